//! Revocation against a real Redis: the test starts `redis-server` itself on a
//! free loopback port in a temporary directory, stops it mid-run, starts it
//! again, and kills it at the end.

#![cfg(all(
    feature = "axum",
    feature = "redis",
    feature = "xchacha20poly1305",
    feature = "postcard"
))]

mod web_support;

use std::time::Duration;

use sealed_cookie::Keyring;
use sealed_cookie::web::revocation::RedisStore;
use sealed_cookie::web::{OnStoreError, SessionLayer};
use sealed_cookie_e2e::Redis;
use web_support::{Client, key, serve};

fn layer(keyring: &Keyring, redis: &Redis, on_error: OnStoreError) -> SessionLayer {
    SessionLayer::builder()
        .keyring(keyring.clone())
        .secure(false)
        .idle_timeout(Duration::from_secs(1800))
        .absolute_timeout(Duration::from_secs(8 * 3600))
        .revocation(RedisStore::open(&redis.url()).unwrap())
        .revocation_on_error(on_error)
        .build()
        .unwrap()
}

async fn signed_in_as(client: &Client, server: &web_support::Server) -> serde_json::Value {
    client.session(server).await.0["session"]["user"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_revokes_the_copy_and_revoke_user_ends_sessions_on_every_server() {
    let Some(redis) = Redis::start_or_skip() else {
        return;
    };
    let keyring = Keyring::new(key());
    let (layer_a, layer_b) = (
        layer(&keyring, &redis, OnStoreError::Refuse),
        layer(&keyring, &redis, OnStoreError::Refuse),
    );
    let (a, b) = (serve(layer_a.clone()).await, serve(layer_b).await);

    // A copy of the cookie taken before logout is refused after it, on both servers.
    let client = Client::new();
    assert_eq!(client.login(&a, "alice").await, 303);
    let copy = client.cookie(&a, "session").unwrap();
    let (body, _) = client.session(&a).await;
    let id = body["facts"]["session_id"].as_str().unwrap().to_owned();
    let (status, cookies) = client.post(&a, "/logout").await;
    assert_eq!(status, 303);
    assert!(
        cookies.iter().any(|c| c.contains("Max-Age=0")),
        "{cookies:?}"
    );
    for server in [&a, &b] {
        let thief = Client::new();
        thief.set_cookie(server, &format!("session={copy}"));
        assert_eq!(signed_in_as(&thief, server).await, serde_json::Value::Null);
    }
    // The store keeps it as long as any copy could live, re-sealed or not: until
    // the absolute timeout (8 h from sign-in) plus the 60 s skew.
    let keys = redis.command("KEYS sealed-cookie:session:*").unwrap();
    assert_eq!(keys, "*1", "one revoked session: {keys}");
    let ttl: i64 = redis
        .command(&format!("TTL sealed-cookie:session:{id}"))
        .unwrap()
        .trim_start_matches(':')
        .parse()
        .unwrap();
    assert!((8 * 3600 - 10..=8 * 3600 + 60).contains(&ttl), "TTL {ttl}");

    // One round trip per request: an MGET, and no PING to check the connection.
    assert_eq!(redis.command("CONFIG RESETSTAT").as_deref(), Some("+OK"));
    for _ in 0..10 {
        client.counter(&a).await;
    }
    // (The first request, logged out, starts a session: nothing to check.)
    assert_eq!((redis.calls("mget"), redis.calls("ping")), (9, 0));

    // revoke_user ends every session of the user, on every server sharing Redis.
    let (on_a, on_b, other) = (Client::new(), Client::new(), Client::new());
    assert_eq!(on_a.login(&a, "bob").await, 303);
    assert_eq!(on_b.login(&b, "bob").await, 303);
    assert_eq!(other.login(&b, "carol").await, 303);
    assert_eq!(signed_in_as(&on_a, &a).await, "bob");
    assert_eq!(signed_in_as(&on_b, &b).await, "bob", "server b opens it");
    // Sessions begun before the cutoff: one second ahead of now.
    let at = layer_a.now() + 1;
    layer_a.revoke_user("bob", at).await.unwrap();
    let ttl: i64 = redis
        .command("TTL sealed-cookie:user:bob")
        .unwrap()
        .trim_start_matches(':')
        .parse()
        .unwrap();
    assert!((8 * 3600..=8 * 3600 + 62).contains(&ttl), "TTL {ttl}");
    assert_eq!(signed_in_as(&on_a, &a).await, serde_json::Value::Null);
    assert_eq!(signed_in_as(&on_b, &a).await, serde_json::Value::Null);
    assert_eq!(signed_in_as(&on_b, &b).await, serde_json::Value::Null);
    assert_eq!(signed_in_as(&other, &b).await, "carol", "other users stay");
    // Signing in again after the cutoff works.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = Client::new();
    assert_eq!(again.login(&a, "bob").await, 303);
    assert_eq!(signed_in_as(&again, &b).await, "bob");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_refuses_or_accepts_as_configured() {
    let Some(mut redis) = Redis::start_or_skip() else {
        return;
    };
    let keyring = Keyring::new(key());
    let refuse = serve(layer(&keyring, &redis, OnStoreError::Refuse)).await;
    let accept = serve(layer(&keyring, &redis, OnStoreError::Accept)).await;
    let client = Client::new();
    assert_eq!(client.login(&refuse, "alice").await, 303);
    let cookie = client.cookie(&refuse, "session").unwrap();
    let elsewhere = Client::new();
    elsewhere.set_cookie(&accept, &format!("session={cookie}"));
    assert_eq!(signed_in_as(&client, &refuse).await, "alice");

    redis.stop();
    // Refuse: no session while the store is down, and the cookie is kept.
    let (body, cookies) = client.session(&refuse).await;
    assert_eq!(body["session"], serde_json::json!({}));
    assert!(cookies.is_empty(), "the cookie is not deleted: {cookies:?}");
    // Accept: the session is used unchecked.
    assert_eq!(signed_in_as(&elsewhere, &accept).await, "alice");

    redis.restart();
    // Back: the same cookie opens again.
    assert_eq!(signed_in_as(&client, &refuse).await, "alice");

    // Logout with the store down: 503 under refuse, the cookie deleted anyway.
    redis.stop();
    let (status, cookies) = client.post(&refuse, "/logout").await;
    assert_eq!(status, 503);
    assert!(
        cookies.iter().any(|c| c.contains("Max-Age=0")),
        "{cookies:?}"
    );
    redis.restart();
    // The logout did not take: the copy still opens, which is why it said 503.
    let copy = Client::new();
    copy.set_cookie(&refuse, &format!("session={cookie}"));
    assert_eq!(signed_in_as(&copy, &refuse).await, "alice");
}

/// Concurrent checks share one connection (their commands pipelined on it);
/// when Redis drops it, the next check is sent again on a new one, which every
/// request waiting meanwhile shares.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_checks_share_one_connection_which_is_replaced_when_dropped() {
    use sealed_cookie::SessionId;
    use sealed_cookie::web::revocation::{RevocationQuery, RevocationStore, Verdict};
    let Some(redis) = Redis::start_or_skip() else {
        return;
    };
    let store = RedisStore::open(&redis.url()).unwrap();
    let revoked = SessionId([7; 16]);
    store.revoke_session(revoked, None).await.unwrap();
    let query = |id: u8| RevocationQuery {
        session_id: Some(SessionId([id; 16])),
        user: None,
        created_at: 1_700_000_000,
        now: 1_700_000_100,
    };
    // 64 checks at once, all waiting while Redis holds every command for a while.
    let burst = |redis: &Redis| {
        assert_eq!(
            redis.command("CLIENT PAUSE 300 ALL").as_deref(),
            Some("+OK")
        );
        let checks: Vec<_> = (0..64u8)
            .map(|id| {
                let store = store.clone();
                tokio::spawn(async move { (id, store.check(query(id)).await) })
            })
            .collect();
        async move {
            for check in checks {
                let (id, verdict) = check.await.unwrap();
                let expected = if id == 7 {
                    Verdict::SessionRevoked
                } else {
                    Verdict::Live
                };
                assert_eq!(verdict.unwrap(), expected, "session {id}");
            }
        }
    };
    burst(&redis).await;
    // This store's connection and the one asking.
    assert_eq!(redis.connected_clients(), 2);

    // Every other client dropped, as a Redis restart or a proxy would; then 64
    // checks at once find the dropped connection, and one new connection serves
    // them all.
    let before = redis.connections_received();
    assert_eq!(
        redis.command("CLIENT KILL TYPE normal").as_deref(),
        Some(":1")
    );
    burst(&redis).await;
    // The kill, the pause and this count connected too.
    assert_eq!(redis.connections_received() - before, 1 + 3);
    assert_eq!(redis.connected_clients(), 2);
}

/// A connection attempt left on a runtime that no longer runs (a process with
/// several runtimes) does not hold up the store: after twice the store's
/// timeout another request starts a new one.
#[test]
fn an_attempt_stranded_on_a_stopped_runtime_is_given_up() {
    use sealed_cookie::SessionId;
    use sealed_cookie::web::revocation::{RevocationQuery, RevocationStore};
    let Some(redis) = Redis::start_or_skip() else {
        return;
    };
    let store = RedisStore::open(&redis.url()).unwrap();
    let query = RevocationQuery {
        session_id: Some(SessionId([1; 16])),
        user: None,
        created_at: 1_700_000_000,
        now: 1_700_000_100,
    };
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    std::thread::scope(|scope| {
        // Redis sleeps (it answers nothing, the new connection's first
        // command included), so the attempt is still under way when this
        // runtime stops running it.
        scope.spawn(|| redis.command("DEBUG SLEEP 0.5"));
        std::thread::sleep(Duration::from_millis(50));
        let stopped = runtime();
        let gave_up = stopped.block_on(async {
            tokio::time::timeout(Duration::from_millis(20), store.check(query)).await
        });
        assert!(gave_up.is_err(), "the check is still waiting");
        // Another runtime: its checks fail while the stranded attempt looks
        // alive, then one starts an attempt of its own.
        let running = runtime();
        let answered = running.block_on(async {
            for _ in 0..5 {
                if store.check(query).await.is_ok() {
                    return true;
                }
            }
            false
        });
        assert!(answered, "a new attempt connects");
        drop(stopped);
    });
}

/// The lifecycle over HTTP with revocation through Redis on: an idle session
/// ends after its idle timeout while an active one lasts until its absolute
/// timeout, a browser-session cookie carries no lifetime, and a flash message is
/// seen once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifetimes_browser_sessions_and_flash_hold_with_redis_on() {
    use web_support::TestClock;
    let Some(redis) = Redis::start_or_skip() else {
        return;
    };
    let clock = TestClock::at(1_800_000_000);
    let server = serve(
        SessionLayer::builder()
            .keyring(Keyring::new(key()))
            .secure(false)
            .clock(clock.clone())
            .clock_skew(Duration::ZERO)
            .idle_timeout(Duration::from_secs(1800))
            .absolute_timeout(Duration::from_secs(4 * 3600))
            .persistent(false)
            .revocation(RedisStore::open(&redis.url()).unwrap())
            .build()
            .unwrap(),
    )
    .await;
    let (active, idle) = (Client::new(), Client::new());
    assert_eq!(active.login(&server, "alice").await, 303);
    assert_eq!(idle.login(&server, "bob").await, 303);
    // Browser-session cookies by configuration: neither Max-Age nor Expires.
    let (_, cookies) = active.counter(&server).await;
    assert!(
        !cookies[0].contains("Max-Age") && !cookies[0].contains("Expires"),
        "{cookies:?}"
    );
    // The flash message of the sign-in, once.
    let flash = |client: &Client| {
        let (http, url) = (client.http.clone(), server.url("/api/flash"));
        async move {
            let body: serde_json::Value = http.get(url).send().await.unwrap().json().await.unwrap();
            body["notice"].clone()
        }
    };
    assert_eq!(flash(&active).await, "Signed in as alice.");
    assert_eq!(flash(&active).await, serde_json::Value::Null);
    // Twenty minutes apart, for four hours: the active session lasts; the idle one
    // is gone after its first half hour.
    for step in 1..12 {
        clock.advance(1200);
        assert_eq!(signed_in_as(&active, &server).await, "alice", "step {step}");
    }
    assert_eq!(signed_in_as(&idle, &server).await, serde_json::Value::Null);
    clock.advance(1200);
    assert_eq!(
        signed_in_as(&active, &server).await,
        serde_json::Value::Null,
        "ended at its absolute timeout"
    );
    drop(redis);
}
