//! Key rotation during a rolling deploy: two servers run at once while the new
//! key is rolled out, and a client bouncing between them keeps its session at
//! every step. The naive order (promote before every server accepts the key)
//! loses the session, so the runbook's order matters.

#![cfg(all(feature = "axum", feature = "xchacha20poly1305", feature = "postcard"))]

mod web_support;

use sealed_cookie::{Key, KeyId, Keyring};
use web_support::{Client, Server, base, header_of, key, serve};

async fn server(keyring: Keyring) -> Server {
    serve(base(keyring).build().unwrap()).await
}

/// `[primary, accepted...]`
fn ring(keys: &[&Key]) -> Keyring {
    keys[1..]
        .iter()
        .fold(Keyring::new(keys[0].clone()), |ring, key| {
            ring.with_accepted((*key).clone())
        })
}

/// Bounces the client `rounds` times between `a` and `b`, incrementing the
/// counter; returns the counts seen and the key id of the cookie held after each.
async fn bounce(client: &Client, a: &Server, b: &Server, rounds: usize) -> Vec<(u64, KeyId)> {
    let mut seen = Vec::new();
    for round in 0..rounds {
        let server = if round % 2 == 0 { a } else { b };
        let (count, _) = client.counter(server).await;
        let held = header_of(&client.cookie(server, "session").unwrap()).key_id;
        seen.push((count, held));
    }
    seen
}

fn counts(seen: &[(u64, KeyId)]) -> Vec<u64> {
    seen.iter().map(|(count, _)| *count).collect()
}

#[tokio::test]
async fn three_phase_rollout_never_loses_the_session() {
    let (k1, k2) = (key(), key());
    let client = Client::new();
    let mut expected = 0u64;
    let mut check = |seen: &[(u64, KeyId)], phase: &str| {
        let want: Vec<u64> = (1..=seen.len() as u64).map(|i| expected + i).collect();
        assert_eq!(counts(seen), want, "session lost during {phase}");
        expected += seen.len() as u64;
    };

    // Before: every server seals with K1.
    let (a, b) = (server(ring(&[&k1])).await, server(ring(&[&k1])).await);
    let seen = bounce(&client, &a, &b, 4).await;
    check(&seen, "the start");
    assert!(seen.iter().all(|(_, id)| *id == k1.id()));

    // Step 1, half done: K2 rolled out accept-only on one server.
    let (a, b) = (server(ring(&[&k1])).await, server(ring(&[&k1, &k2])).await);
    let seen = bounce(&client, &a, &b, 6).await;
    check(&seen, "step 1 (K2 accepted on one server)");
    assert!(
        seen.iter().all(|(_, id)| *id == k1.id()),
        "nobody seals with K2 yet"
    );

    // Step 2, half done: K2 promoted on one server; the other accepts it already.
    let (a, b) = (
        server(ring(&[&k1, &k2])).await,
        server(ring(&[&k2, &k1])).await,
    );
    let seen = bounce(&client, &a, &b, 6).await;
    check(&seen, "step 2 (K2 primary on one server)");
    assert!(seen.iter().any(|(_, id)| *id == k2.id()));

    // Step 2 done: K2 primary everywhere, K1 still accepted.
    let (a, b) = (
        server(ring(&[&k2, &k1])).await,
        server(ring(&[&k2, &k1])).await,
    );
    let seen = bounce(&client, &a, &b, 4).await;
    check(&seen, "step 2 done");
    assert!(seen.iter().all(|(_, id)| *id == k2.id()));

    // Step 3: K1 retired.
    let (a, b) = (server(ring(&[&k2])).await, server(ring(&[&k2])).await);
    let seen = bounce(&client, &a, &b, 4).await;
    check(&seen, "step 3 (K1 retired)");
    assert_eq!(expected, 24);
    let last = header_of(&client.cookie(&a, "session").unwrap());
    assert_eq!(last.key_id, k2.id(), "the client ends holding a K2 cookie");
}

#[tokio::test]
async fn promoting_before_every_server_accepts_the_key_loses_the_session() {
    let (k1, k2) = (key(), key());
    let client = Client::new();
    // Naive order: K2 promoted on one server while the other knows only K1.
    let (old, new) = (server(ring(&[&k1])).await, server(ring(&[&k2, &k1])).await);
    assert_eq!(client.counter(&old).await.0, 1);
    assert_eq!(client.counter(&old).await.0, 2);
    // The new server opens the K1 cookie and answers with a K2 cookie...
    assert_eq!(client.counter(&new).await.0, 3);
    assert_eq!(
        header_of(&client.cookie(&new, "session").unwrap()).key_id,
        k2.id()
    );
    // ...which the old server cannot open: the session is gone.
    let (count, _) = client.counter(&old).await;
    assert_eq!(count, 1, "the old server must have started a fresh session");
    // The fresh K1 session it issues opens on the new server: only the old
    // session was lost.
    assert_eq!(client.counter(&new).await.0, 2);
}
