//! Session lifetimes over HTTP: idle and absolute timeouts, renewal throttling,
//! browser-session and persistent cookies, flash messages, session ids across
//! key rotation and suite upgrades, and revocation through the in-memory store.

#![cfg(all(
    feature = "axum",
    feature = "xchacha20poly1305",
    feature = "postcard",
    feature = "aes-gcm"
))]

mod web_support;

use std::time::Duration;

use sealed_cookie::cipher::{Aes256Gcm, XChaCha20Poly1305};
use sealed_cookie::serializer::Postcard;
use sealed_cookie::web::SessionLayer;
use sealed_cookie::web::revocation::MemoryStore;
use sealed_cookie::{Keyring, Suite};
use web_support::{Client, TestClock, header_of, key, serve};

const T0: u64 = 1_800_000_000;
const IDLE: u64 = 1800;
const ABSOLUTE: u64 = 8 * 3600;

fn layer(keyring: Keyring, clock: &TestClock) -> sealed_cookie::web::SessionLayerBuilder {
    SessionLayer::builder()
        .keyring(keyring)
        .secure(false)
        .clock(clock.clone())
        .clock_skew(Duration::ZERO)
        .idle_timeout(Duration::from_secs(IDLE))
        .absolute_timeout(Duration::from_secs(ABSOLUTE))
}

/// `POST /login` with a form `body`; the jar keeps the cookie. The `Set-Cookie`
/// lines sent.
async fn login(client: &Client, server: &web_support::Server, body: &str) -> Vec<String> {
    let response = client
        .http
        .post(server.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    web_support::set_cookies(&response)
}

on_both_servers! {
async fn an_idle_session_ends_while_an_active_one_lasts_until_its_absolute_timeout() {
    let clock = TestClock::at(T0);
    let server = serve(layer(Keyring::new(key()), &clock).build().unwrap()).await;
    let (active, idle) = (Client::new(), Client::new());
    active.counter(&server).await;
    idle.counter(&server).await;
    // Read-only traffic re-seals at most once per half idle window.
    let mut reseals = 0;
    let mut last_count = 1;
    for step in 1..=((ABSOLUTE - 60) / 300) {
        clock.advance(300);
        let (body, cookies) = active.session(&server).await;
        assert_eq!(
            body["session"]["count"], last_count,
            "step {step}: still signed in"
        );
        reseals += cookies.len();
        if step % 12 == 0 {
            last_count = active.counter(&server).await.0;
        }
    }
    // 95 reads over 7 h 55 min, 5 minutes apart: a read re-seals only once more
    // than half the idle window (15 min) has passed since the last seal, so
    // every fourth read, and never more than once per 15 minutes.
    assert!(
        (20..=(ABSOLUTE / (IDLE / 2)) as usize).contains(&reseals),
        "{reseals} re-seals"
    );
    // The idle client, untouched since T0, is long gone: idle timeout.
    let (body, cookies) = idle.session(&server).await;
    assert_eq!(body["session"], serde_json::json!({}));
    assert!(
        cookies.iter().any(|c| c.contains("Max-Age=0")),
        "{cookies:?}"
    );
    // The active one ends at its absolute timeout, however active.
    let header = header_of(&active.cookie(&server, "session").unwrap());
    assert_eq!(header.issued_at, T0);
    clock.advance(T0 + ABSOLUTE - clock_now(&clock));
    let (body, _) = active.session(&server).await;
    assert_eq!(body["session"], serde_json::json!({}), "absolutely expired");
}
}

fn clock_now(clock: &TestClock) -> u64 {
    use sealed_cookie::Clock as _;
    clock.now()
}

on_both_servers! {
async fn browser_session_cookies_carry_no_lifetime_and_remember_me_does() {
    let clock = TestClock::at(T0);
    let server = serve(
        layer(Keyring::new(key()), &clock)
            .persistent(false)
            .build()
            .unwrap(),
    )
    .await;
    let client = Client::new();
    let (_, cookies) = client.counter(&server).await;
    assert_eq!(cookies.len(), 1);
    assert!(
        !cookies[0].contains("Max-Age") && !cookies[0].contains("Expires"),
        "{cookies:?}"
    );
    // Remember me: a persistent cookie from sign-in on, kept by later writes.
    let cookies = login(&client, &server, "user=alice&remember=on").await;
    assert!(
        cookies[0].contains(&format!("Max-Age={IDLE}")),
        "{cookies:?}"
    );
    clock.advance(10);
    let (_, cookies) = client.counter(&server).await;
    assert!(cookies[0].contains("Max-Age="), "{cookies:?}");
    // Without it, sign-in writes a browser-session cookie.
    let other = Client::new();
    let cookies = login(&other, &server, "user=bob").await;
    assert!(!cookies[0].contains("Max-Age"), "{cookies:?}");
}
}

on_both_servers! {
async fn a_flash_message_is_seen_once() {
    let clock = TestClock::at(T0);
    let server = serve(layer(Keyring::new(key()), &clock).build().unwrap()).await;
    let client = Client::new();
    login(&client, &server, "user=alice").await;
    let flash = |client: &Client| {
        let url = server.url("/api/flash");
        let http = client.http.clone();
        async move {
            let response = http.get(url).send().await.unwrap();
            let cookies = web_support::set_cookies(&response);
            let body: serde_json::Value = response.json().await.unwrap();
            (body["notice"].clone(), cookies)
        }
    };
    let (notice, cookies) = flash(&client).await;
    assert_eq!(notice, "Signed in as alice.");
    assert_eq!(cookies.len(), 1, "the cookie is re-sealed without it");
    let (notice, cookies) = flash(&client).await;
    assert_eq!(notice, serde_json::Value::Null);
    assert!(cookies.is_empty());
    let (body, _) = client.session(&server).await;
    assert_eq!(body["session"]["user"], "alice", "the session itself stays");
}
}

on_both_servers! {
async fn sign_in_renews_the_id_and_rotation_and_upgrades_keep_it() {
    let clock = TestClock::at(T0);
    let (k1, k2) = (key(), key());
    let old = serve(layer(Keyring::new(k1.clone()), &clock).build().unwrap()).await;
    let client = Client::new();
    client.counter(&old).await;
    let before = header_of(&client.cookie(&old, "session").unwrap());
    let (body, _) = client.session(&old).await;
    let anonymous_id = body["facts"]["session_id"].as_str().unwrap().to_owned();
    clock.advance(100);
    login(&client, &old, "user=alice").await;
    let (body, _) = client.session(&old).await;
    let id = body["facts"]["session_id"].as_str().unwrap().to_owned();
    assert_ne!(id, anonymous_id, "sign-in gives a new id");
    assert_eq!(
        body["facts"]["issued_at"],
        T0 + 100,
        "and a new creation time"
    );
    assert_eq!(before.issued_at, T0);
    // A new primary key and a new suite (AES-GCM as version 2), on another server
    // sharing the cookie: the re-issued cookie keeps the id and creation time.
    clock.advance(100);
    let new = serve(
        layer(Keyring::new(k2.clone()).with_accepted(k1.clone()), &clock)
            .suite(1, Suite::new(XChaCha20Poly1305, Postcard))
            .suite(2, Suite::new(Aes256Gcm, Postcard))
            .current(2)
            .build()
            .unwrap(),
    )
    .await;
    let cookie = client.cookie(&old, "session").unwrap();
    let moved = Client::new();
    moved.set_cookie(&new, &format!("session={cookie}"));
    let (body, cookies) = moved.session(&new).await;
    assert_eq!(cookies.len(), 1, "re-issued under the new key and suite");
    let header = header_of(&moved.cookie(&new, "session").unwrap());
    assert_eq!((header.key_id, header.version), (k2.id(), 2));
    assert_eq!(header.issued_at, T0 + 100);
    let (body2, _) = moved.session(&new).await;
    assert_eq!(body2["facts"]["session_id"], id.as_str());
    assert_eq!(body["session"]["user"], "alice");
}
}

on_both_servers! {
async fn logout_refuses_a_copy_of_the_cookie_with_a_store_and_not_without() {
    let clock = TestClock::at(T0);
    let keyring = Keyring::new(key());
    for with_store in [true, false] {
        let mut builder = layer(keyring.clone(), &clock);
        if with_store {
            builder = builder.revocation(MemoryStore::new(100));
        }
        let server = serve(builder.build().unwrap()).await;
        let client = Client::new();
        login(&client, &server, "user=alice").await;
        let copy = client.cookie(&server, "session").unwrap();
        let (status, cookies) = client.post(&server, "/logout").await;
        assert_eq!(status, 303);
        assert!(
            cookies.iter().any(|c| c.contains("Max-Age=0")),
            "{cookies:?}"
        );
        let thief = Client::new();
        thief.set_cookie(&server, &format!("session={copy}"));
        let (body, _) = thief.session(&server).await;
        if with_store {
            assert_eq!(
                body["session"],
                serde_json::json!({}),
                "the copy is refused"
            );
        } else {
            assert_eq!(
                body["session"]["user"], "alice",
                "without a store the copy opens"
            );
        }
    }
}
}

on_both_servers! {
async fn sign_in_revokes_the_id_known_before_it() {
    let clock = TestClock::at(T0);
    let server = serve(
        layer(Keyring::new(key()), &clock)
            .revocation(MemoryStore::new(100))
            .build()
            .unwrap(),
    )
    .await;
    // A cookie planted before sign-in (session fixation), with a value in it.
    let client = Client::new();
    client.counter(&server).await;
    let planted = client.cookie(&server, "session").unwrap();
    login(&client, &server, "user=alice").await;
    assert_eq!(client.session(&server).await.0["session"]["user"], "alice");
    // The planted copy names nothing now: its id was revoked at sign-in.
    let attacker = Client::new();
    attacker.set_cookie(&server, &format!("session={planted}"));
    assert_eq!(
        attacker.session(&server).await.0["session"],
        serde_json::json!({})
    );
}
}
