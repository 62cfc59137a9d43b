//! The session layer against a real server on a loopback port, through a real
//! HTTP client that keeps cookies.

#![cfg(all(feature = "axum", feature = "xchacha20poly1305", feature = "postcard"))]

mod web_support;

use std::time::Duration;

use axum::routing::get;
use sealed_cookie::web::{Session, SessionConfig};
use sealed_cookie::{Codec, Keyring, SessionMap, Value};
use serde_json::json;
use web_support::{Client, TestClock, base, header_of, key, serve, serve_router};

const T0: u64 = 1_800_000_000;

on_both_servers! {
async fn counter_counts_and_only_changes_set_cookies() {
    let server = serve(base(Keyring::new(key())).build().unwrap()).await;
    let client = Client::new();
    for expected in 1..=5 {
        let (count, cookies) = client.counter(&server).await;
        assert_eq!(count, expected);
        assert_eq!(cookies.len(), 1, "{cookies:?}");
        assert!(cookies[0].starts_with("session="), "{cookies:?}");
        assert!(cookies[0].contains("; HttpOnly; SameSite=Lax; Path=/; Max-Age="));
    }
    // Reading alone sends nothing back.
    let (body, cookies) = client.session(&server).await;
    assert_eq!(body["session"]["count"], 5);
    assert!(cookies.is_empty(), "{cookies:?}");
    // A client without a cookie that only reads gets no cookie either.
    let (body, cookies) = Client::new().session(&server).await;
    assert_eq!(body["session"], serde_json::json!({}));
    assert!(cookies.is_empty(), "{cookies:?}");
}
}

on_both_servers! {
async fn login_renews_and_keeps_data_changes_keep_issued_at() {
    let clock = TestClock::at(T0);
    let layer = base(Keyring::new(key()))
        .clock(clock.clone())
        .build()
        .unwrap();
    let server = serve(layer).await;
    let client = Client::new();
    client.counter(&server).await;
    let first = header_of(&client.cookie(&server, "session").unwrap());
    assert_eq!(first.issued_at, T0);

    // A change re-seals but keeps the issued-at: activity does not extend a session.
    clock.advance(100);
    client.counter(&server).await;
    let changed = header_of(&client.cookie(&server, "session").unwrap());
    assert_eq!(changed.issued_at, T0);

    // Login renews: a fresh issued-at, and the data stays.
    clock.advance(100);
    assert_eq!(client.login(&server, "alice").await, 303);
    let renewed = header_of(&client.cookie(&server, "session").unwrap());
    assert_eq!(renewed.issued_at, T0 + 200);
    let (body, _) = client.session(&server).await;
    assert_eq!(body["session"]["user"], "alice");
    assert_eq!(body["session"]["count"], 2);
    assert_eq!(body["facts"]["issued_at"], T0 + 200);
}
}

on_both_servers! {
async fn logout_deletes_the_cookie() {
    let server = serve(base(Keyring::new(key())).build().unwrap()).await;
    let client = Client::new();
    client.counter(&server).await;
    assert!(client.cookie(&server, "session").is_some());
    let (status, cookies) = client.post(&server, "/logout").await;
    assert_eq!(status, 303);
    assert_eq!(
        cookies,
        ["session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"],
        "{cookies:?}"
    );
    assert_eq!(client.cookies(&server), []);
    let (body, _) = client.session(&server).await;
    assert_eq!(body["session"], serde_json::json!({}));
}
}

on_both_servers! {
async fn tampered_cookie_gives_a_fresh_session_with_200() {
    let server = serve(base(Keyring::new(key())).build().unwrap()).await;
    let client = Client::new();
    client.counter(&server).await;
    client.counter(&server).await;
    let sealed = client.cookie(&server, "session").unwrap();
    // Flip one character in the ciphertext.
    let mut bytes = sealed.into_bytes();
    let at = bytes.len() - 5;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    client.set_cookie(&server, &format!("session={tampered}; Path=/"));
    let (count, cookies) = client.counter(&server).await;
    assert_eq!(count, 1, "a tampered session must not open");
    assert_eq!(cookies.len(), 1);
    // A rejected cookie on a read-only request is deleted.
    client.set_cookie(&server, &format!("session={tampered}; Path=/"));
    let (body, cookies) = client.session(&server).await;
    assert_eq!(body["session"], serde_json::json!({}));
    assert_eq!(cookies.len(), 1);
    assert!(cookies[0].contains("Max-Age=0"), "{cookies:?}");
}
}

on_both_servers! {
async fn expired_cookie_gives_a_fresh_session_with_200() {
    let clock = TestClock::at(T0);
    let layer = base(Keyring::new(key()))
        .clock(clock.clone())
        .clock_skew(Duration::from_secs(60))
        .build()
        .unwrap();
    let server = serve(layer).await;
    let client = Client::new();
    client.counter(&server).await;
    client.counter(&server).await;
    // Inside the clock-skew allowance it still opens, but it cannot be re-sealed
    // past its expiry: the session ends and the cookie is deleted.
    clock.advance(3600 + 30);
    let (count, cookies) = client.counter(&server).await;
    assert_eq!(count, 3);
    assert_eq!(cookies.len(), 1);
    assert!(cookies[0].contains("Max-Age=0"), "{cookies:?}");
    // Past the allowance it does not open. (The jar keeps the cookie: its
    // Max-Age was counted from the real clock, so the server's check is tested.)
    let client = Client::new();
    clock.0.store(T0, std::sync::atomic::Ordering::SeqCst);
    client.counter(&server).await;
    clock.advance(3600 + 61);
    let (count, cookies) = client.counter(&server).await;
    assert_eq!(count, 1);
    assert_eq!(
        header_of(&client.cookie(&server, "session").unwrap()).issued_at,
        T0 + 3661
    );
    assert_eq!(cookies.len(), 1);
}
}

on_both_servers! {
async fn revoked_and_unknown_key_cookies_give_fresh_sessions() {
    let k1 = key();
    let old = serve(base(Keyring::new(k1.clone())).build().unwrap()).await;
    let client = Client::new();
    client.counter(&old).await;
    client.counter(&old).await;

    let other = serve(base(Keyring::new(key())).build().unwrap()).await;
    assert_eq!(
        client.counter(&other).await.0,
        1,
        "unknown key must not open"
    );

    client.counter(&old).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let revoking = serve(
        base(Keyring::new(k1))
            .not_before(now + 10)
            .clock_skew(Duration::ZERO)
            .build()
            .unwrap(),
    )
    .await;
    let (body, cookies) = client.session(&revoking).await;
    assert_eq!(body["session"], serde_json::json!({}));
    assert!(cookies[0].contains("Max-Age=0"), "{cookies:?}");
}
}

on_both_servers! {
async fn old_key_cookie_is_reissued_silently_keeping_issued_at() {
    let clock = TestClock::at(T0);
    let (k1, k2) = (key(), key());
    let before = serve(
        base(Keyring::new(k1.clone()))
            .clock(clock.clone())
            .build()
            .unwrap(),
    )
    .await;
    let after = serve(
        base(Keyring::new(k2.clone()).with_accepted(k1.clone()))
            .clock(clock.clone())
            .build()
            .unwrap(),
    )
    .await;
    let client = Client::new();
    client.counter(&before).await;
    clock.advance(50);
    // A read-only request re-issues under the new primary key.
    let (body, cookies) = client.session(&after).await;
    assert_eq!(body["session"]["count"], 1);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let header = header_of(&client.cookie(&after, "session").unwrap());
    assert_eq!(header.key_id, k2.id());
    assert_eq!(header.issued_at, T0);
    // Once re-issued, nothing more is sent.
    assert!(client.session(&after).await.1.is_empty());
}
}

on_both_servers! {
async fn renewal_window_slides_the_expiry() {
    // max_age with renew_within and no timeout set: format 1's sliding session,
    // an idle timeout of max_age. The re-seal keeps the creation time.
    let clock = TestClock::at(T0);
    let layer = base(Keyring::new(key()))
        .clock(clock.clone())
        .renew_within(Duration::from_secs(600))
        .build()
        .unwrap();
    let server = serve(layer).await;
    let client = Client::new();
    client.counter(&server).await;
    clock.advance(2000);
    assert!(client.session(&server).await.1.is_empty(), "not yet due");
    clock.advance(1100);
    let (_, cookies) = client.session(&server).await;
    assert_eq!(cookies.len(), 1, "due: renewed on a read");
    assert!(cookies[0].ends_with("Max-Age=3600"), "{cookies:?}");
    let header = header_of(&client.cookie(&server, "session").unwrap());
    assert_eq!((header.issued_at, header.sealed_at), (T0, T0 + 3100));
}
}

on_both_servers! {
async fn oversize_without_chunking_is_a_500_and_keeps_the_old_cookie() {
    let server = serve(base(Keyring::new(key())).build().unwrap()).await;
    let client = Client::new();
    client.counter(&server).await;
    let before = client.cookie(&server, "session").unwrap();
    let (status, cookies) = client.add_to_cart(&server, 200).await;
    assert_eq!(status, 500);
    assert!(cookies.is_empty(), "{cookies:?}");
    assert_eq!(client.cookie(&server, "session").unwrap(), before);
    assert_eq!(client.counter(&server).await.0, 2);
}
}

on_both_servers! {
async fn oversize_with_chunking_round_trips_and_stale_chunks_are_cleared() {
    // Chunking mechanics over more than the default 8 KiB request header.
    let layer = base(Keyring::new(key()))
        .chunking(4)
        .request_header_budget(32 * 1024)
        .build()
        .unwrap();
    let budget = layer.budget();
    let server = serve(layer).await;
    let client = Client::new();
    client.counter(&server).await;

    let (status, cookies) = client.add_to_cart(&server, 200).await;
    assert_eq!(status, 200);
    let chunks = cookies.len() - 1;
    assert!(chunks >= 2, "{cookies:?}");
    assert!(
        cookies[0].starts_with(&format!("session=chunks-{chunks};")),
        "{cookies:?}"
    );
    for (index, cookie) in cookies[1..].iter().enumerate() {
        assert!(
            cookie.starts_with(&format!("sessionC{}=", index + 1)),
            "{cookie}"
        );
        assert!(cookie.len() <= 4096, "{} bytes", cookie.len());
    }
    assert!(budget >= 4096 * 4);

    let (body, cookies) = client.session(&server).await;
    assert_eq!(body["session"]["cart"].as_array().unwrap().len(), 200);
    assert_eq!(body["session"]["count"], 1);
    assert!(cookies.is_empty(), "{cookies:?}");

    // Grow further, then shrink to one chunk's worth, then to a single cookie.
    assert_eq!(client.add_to_cart(&server, 100).await.0, 200);
    let held = client
        .cookies(&server)
        .iter()
        .filter(|(k, _)| k.starts_with("sessionC"))
        .count();
    assert!(held > chunks, "{held} chunks after growing");
    let (status, cookies) = client.post(&server, "/api/cart/clear").await;
    assert_eq!(status, 200);
    assert!(!cookies[0].starts_with("session=chunks-"), "{cookies:?}");
    assert_eq!(cookies.len(), 1 + held, "{cookies:?}");
    for (index, cookie) in cookies[1..].iter().enumerate() {
        assert!(
            cookie.starts_with(&format!("sessionC{}=; ", index + 1))
                && cookie.contains("Max-Age=0"),
            "{cookie}"
        );
    }
    assert_eq!(
        client
            .cookies(&server)
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>(),
        ["session"]
    );
    assert_eq!(client.counter(&server).await.0, 2);
}
}

on_both_servers! {
async fn shrinking_chunked_session_deletes_only_the_extra_chunks() {
    let server = serve(
        base(Keyring::new(key()))
            .chunking(6)
            .request_header_budget(32 * 1024)
            .build()
            .unwrap(),
    )
    .await;
    let client = Client::new();
    assert_eq!(client.add_to_cart(&server, 400).await.0, 200);
    let many = client.cookies(&server).len() - 1;
    assert!(many >= 4, "{many}");
    client.post(&server, "/api/cart/clear").await;
    assert_eq!(client.add_to_cart(&server, 150).await.0, 200);
    let (_, cookies) = client.session(&server).await;
    assert!(cookies.is_empty());
    let held = client.cookies(&server);
    let chunks = held
        .iter()
        .filter(|(k, _)| k.starts_with("sessionC"))
        .count();
    assert!((2..many).contains(&chunks), "{held:?}");
    assert_eq!(
        client.cookie(&server, "session").unwrap(),
        format!("chunks-{chunks}")
    );
    let (body, _) = client.session(&server).await;
    assert_eq!(body["session"]["cart"].as_array().unwrap().len(), 150);
}
}

on_both_servers! {
async fn over_the_chunk_cap_is_a_500() {
    let server = serve(base(Keyring::new(key())).chunking(2).build().unwrap()).await;
    let client = Client::new();
    let (status, cookies) = client.add_to_cart(&server, 400).await;
    assert_eq!(status, 500);
    assert!(cookies.is_empty(), "{cookies:?}");
}
}

on_both_servers! {
async fn missing_chunk_gives_a_fresh_session() {
    let server = serve(
        base(Keyring::new(key()))
            .chunking(4)
            .request_header_budget(32 * 1024)
            .build()
            .unwrap(),
    )
    .await;
    let client = Client::new();
    assert_eq!(client.add_to_cart(&server, 200).await.0, 200);
    client.set_cookie(&server, "sessionC2=; Path=/; Max-Age=0");
    let (body, cookies) = client.session(&server).await;
    assert_eq!(body["session"], serde_json::json!({}));
    assert!(
        cookies.iter().all(|c| c.contains("Max-Age=0")),
        "{cookies:?}"
    );
    assert_eq!(client.cookies(&server), []);
}
}

#[tokio::test]
async fn extractor_without_the_layer_is_a_500() {
    async fn handler(session: Session) -> String {
        session.len().to_string()
    }
    let server = serve_router(axum::Router::new().route("/", get(handler))).await;
    let response = reqwest::get(server.url("/")).await.unwrap();
    assert_eq!(response.status(), 500);
}

on_both_servers! {
async fn cookie_sealed_elsewhere_with_the_same_key_opens() {
    // The layer seals one session value: a cookie sealed by a Codec<Value>
    // holding a map, with the same key and name, opens as a session, and vice
    // versa.
    let k = key();
    let server = serve(base(Keyring::new(k.clone())).build().unwrap()).await;
    let codec = Codec::<Value>::builder()
        .keyring(Keyring::new(k))
        .build()
        .unwrap();
    let mut map = SessionMap::new();
    map.insert("count".into(), Value::Int(41));
    let client = Client::new();
    client.set_cookie(
        &server,
        &format!("session={}; Path=/", codec.seal(&Value::Map(map)).unwrap()),
    );
    assert_eq!(client.counter(&server).await.0, 42);
    let opened = codec
        .open(&client.cookie(&server, "session").unwrap())
        .unwrap();
    assert_eq!(opened.value.get("count"), Some(&Value::Int(42)));
    // A value that is not a map is no session: the handler starts afresh.
    let client = Client::new();
    client.set_cookie(
        &server,
        &format!("session={}; Path=/", codec.seal(&Value::Int(7)).unwrap()),
    );
    assert_eq!(client.counter(&server).await.0, 1);
}
}

on_both_servers! {
async fn configuration_from_toml_drives_the_cookie() {
    let config = SessionConfig::from_toml_str(
        r#"
        cookie_name = "sid"
        expires = "30 minutes"
        path = "/"
        domain = ".localhost.test"
        secure = false
        http_only = false
        same_site = "strict"
        "#,
    )
    .unwrap();
    let layer = config.layer_with_keyring(Keyring::new(key())).unwrap();
    let server = serve(layer).await;
    let response = reqwest::get(server.url("/api/counter")).await.unwrap();
    let cookies = web_support::set_cookies(&response);
    assert_eq!(cookies.len(), 1);
    let (name, rest) = cookies[0].split_once('=').unwrap();
    assert_eq!(name, "sid");
    let attributes = rest.split_once(';').unwrap().1;
    assert_eq!(
        attributes,
        " SameSite=Strict; Path=/; Domain=localhost.test; Max-Age=1800"
    );
}
}

/// The sample session as the application's own struct.
#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Sample {
    user_id: u64,
    username: String,
    roles: Vec<String>,
    csrf: String,
    cart: Vec<Item>,
    theme: String,
    locale: String,
}

#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Item {
    sku: String,
    qty: u32,
}

fn sample_entries() -> SessionMap {
    let text = include_str!("../../examples/sample-session.json");
    match Value::from(serde_json::from_str::<serde_json::Value>(text).unwrap()) {
        Value::Map(map) => map,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_sample_session_is_small_on_the_default_configuration() {
    // Perl's Dancer::Session::Cookie writes 357 characters for this session.
    let keyring = Keyring::new(key());
    let untyped = sealed_cookie::web::SessionLayer::builder()
        .keyring(keyring.clone())
        .build()
        .unwrap();
    let typed = sealed_cookie::web::SessionLayer::typed::<Sample>()
        .keyring(keyring)
        .build()
        .unwrap();
    let entries = sample_entries();
    let untyped_len = untyped.seal(&entries).unwrap().len();
    let typed_cookie = typed.seal(&entries).unwrap();
    // Format 2's session id and creation time take 27 of these characters.
    assert!(untyped_len <= 311, "untyped: {untyped_len} characters");
    assert!(
        typed_cookie.len() <= 232,
        "typed: {} characters",
        typed_cookie.len()
    );
    // Each layer opens only its own kind, and the typed one gives the entries back.
    let now = Codec::<Value>::builder()
        .keyring(Keyring::new(key()))
        .build()
        .unwrap()
        .now();
    assert_eq!(typed.open_at(&typed_cookie, now).unwrap().value, entries);
    assert!(untyped.open_at(&typed_cookie, now).is_err());
}

#[test]
fn a_declared_session_type_must_hold_entries() {
    let error = sealed_cookie::web::SessionLayer::typed::<u32>()
        .keyring(Keyring::new(key()))
        .build()
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("u32") && text.contains("struct or a map"),
        "{text}"
    );
}

/// A declared session type for the typed-layer tests.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Visits {
    count: u64,
    pages: Vec<String>,
    last: Option<Page>,
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Page {
    path: String,
    title: Option<String>,
}

#[tokio::test]
async fn a_typed_layer_shares_its_cookie_between_session_views_and_refuses_stray_entries() {
    use sealed_cookie::web::TypedSession;
    let k = key();
    let router = axum::Router::new()
        .route(
            "/typed",
            get(|mut visits: TypedSession<Visits>| async move {
                visits.count += 1;
                visits.pages.push("typed".into());
                visits.save().unwrap();
                visits.count.to_string()
            }),
        )
        .route(
            "/untyped",
            get(|session: Session| async move {
                let count = session.get::<u64>("count").unwrap().unwrap_or(0) + 1;
                session.insert("count", &count).unwrap();
                count.to_string()
            }),
        )
        .route(
            "/stray",
            get(|session: Session| async move { session.insert("stray", &1).unwrap() }),
        )
        .route(
            "/last",
            get(|session: Session| async move {
                // A nested field left out takes its default.
                session.insert("last", &json!({"path": "/a"})).unwrap();
            }),
        )
        .route(
            "/nested-stray",
            get(|session: Session| async move {
                session
                    .insert("last", &json!({"path": "/a", "stray": 1}))
                    .unwrap();
            }),
        )
        .route(
            "/reset",
            get(|session: Session| async move {
                session.remove("count");
            }),
        )
        .route(
            "/misshapen",
            get(|session: Session| async move { session.insert("count", "many").unwrap() }),
        )
        .layer(
            sealed_cookie::web::SessionLayer::typed::<Visits>()
                .keyring(Keyring::new(k.clone()))
                .secure(false)
                .build()
                .unwrap(),
        );
    let server = serve_router(router).await;
    let client = Client::new();
    let get_text = |path: &'static str| {
        let (client, url) = (&client, server.url(path));
        async move {
            client
                .http
                .get(url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    // A fresh session written through the untyped view: the other fields keep
    // their defaults.
    assert_eq!(get_text("/untyped").await, "1");
    assert_eq!(get_text("/typed").await, "2");
    assert_eq!(get_text("/untyped").await, "3");
    assert_eq!(get_text("/typed").await, "4");
    get_text("/last").await;
    // The cookie holds the declared type itself.
    let codec = Codec::<Visits>::builder()
        .keyring(Keyring::new(k))
        .build()
        .unwrap();
    let opened = |client: &Client| {
        codec
            .open(&client.cookie(&server, "session").unwrap())
            .unwrap()
            .value
    };
    let visits = opened(&client);
    assert_eq!((visits.count, visits.pages.len()), (4, 2));
    assert_eq!(visits.last.unwrap().path, "/a");
    // Writes the declared type cannot hold, at the top or nested, are a 500, and
    // the cookie stays.
    for path in ["/stray", "/misshapen", "/nested-stray"] {
        let response = client.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 500, "{path}");
        assert!(web_support::set_cookies(&response).is_empty(), "{path}");
    }
    assert_eq!(opened(&client).count, 4);
    // Removing an entry resets its field to the default.
    get_text("/reset").await;
    assert_eq!(opened(&client).count, 0);
    assert_eq!(get_text("/typed").await, "1");
}

/// `flatten` serializes through a map of unknown length, which postcard refuses.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Flattened {
    #[serde(flatten)]
    visits: Visits,
}

#[test]
fn a_declared_type_that_postcard_cannot_read_back_fails_at_build() {
    // The example app's session skips empty fields, which postcard cannot tell.
    let error = sealed_cookie::web::SessionLayer::typed::<web_support::server::AppSession>()
        .keyring(Keyring::new(key()))
        .build()
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("skip_serializing_if"), "{text}");
    let error = sealed_cookie::web::SessionLayer::typed::<Flattened>()
        .keyring(Keyring::new(key()))
        .build()
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("Flattened") && text.contains("flatten"),
        "{text}"
    );
}
