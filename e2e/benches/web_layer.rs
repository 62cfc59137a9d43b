//! Time per request of one counter route served in-process (no network): with no
//! session, through `SessionLayer` (AES-256-GCM + postcard; the request carries a
//! valid cookie, so it is opened, incremented and re-sealed), and through
//! axum-extra's `PrivateCookieJar` (also opened and re-sealed). The loopback
//! throughput of the same routes and more is `benches/web_load.rs`.
//!
//! ```text
//! cargo bench --all-features --bench web_layer
//! ```

mod support;

use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use axum_extra::extract::cookie::{Cookie, Key as JarKey, PrivateCookieJar};
use criterion::{Criterion, criterion_group, criterion_main};
use sealed_cookie::cipher::Aes256Gcm;
use sealed_cookie::serializer::Postcard;
use sealed_cookie::web::SessionLayer;
use sealed_cookie::{Key, Keyring, SessionMap, Suite, Value};
use support::web::{counter, no_session, serve_in_process as serve};

async fn jar_counter(jar: PrivateCookieJar) -> (PrivateCookieJar, Json<serde_json::Value>) {
    let count = jar
        .get("count")
        .and_then(|c| c.value().parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    let cookie = Cookie::build(("count", count.to_string()))
        .http_only(true)
        .path("/")
        .max_age(cookie::time::Duration::hours(1));
    (jar.add(cookie), Json(serde_json::json!({ "count": count })))
}

fn web_layer(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");

    let bare = Router::new().route("/api/counter", get(no_session));

    let layer = SessionLayer::builder()
        .keyring(Keyring::new(Key::generate().expect("OS randomness")))
        .suite(2, Suite::new(Aes256Gcm, Postcard))
        .max_age(Duration::from_secs(3600))
        .build()
        .expect("a valid layer");
    let mut map = SessionMap::new();
    map.insert("count".to_owned(), Value::Int(1));
    let layer_cookie = format!("session={}", layer.seal(&map).expect("fits"));
    let layered = Router::new()
        .route("/api/counter", get(counter))
        .layer(layer);

    let jar_key = JarKey::generate();
    let mut private = cookie::CookieJar::new();
    private.private_mut(&jar_key).add(Cookie::new("count", "1"));
    let jar_cookie = private
        .delta()
        .next()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .expect("one cookie");
    let jar = Router::new()
        .route("/api/counter", get(jar_counter))
        .with_state(jar_key);

    let mut group = c.benchmark_group("counter route, one request");
    group.bench_function("no session", |b| {
        b.iter(|| runtime.block_on(serve(&bare, None)));
    });
    group.bench_function("SessionLayer aes256gcm+postcard", |b| {
        b.iter(|| runtime.block_on(serve(&layered, Some(&layer_cookie))));
    });
    group.bench_function("PrivateCookieJar", |b| {
        b.iter(|| runtime.block_on(serve(&jar, Some(&jar_cookie))));
    });
    group.finish();
}

criterion_group!(benches, web_layer);
criterion_main!(benches);
