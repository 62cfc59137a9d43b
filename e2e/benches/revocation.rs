//! The cost of revocation: the counter route behind `SessionLayer` (AES-256-GCM
//! with postcard; a valid cookie opened, incremented and re-sealed on every
//! request) without a store, with the in-memory store, and with Redis on
//! loopback (a `redis-server` the benchmark starts on a free port; one `MGET`
//! per request over the store's one shared connection). Served in-process; the
//! ratio of the Redis figure to the first is the throughput cost of revocation.
//!
//! ```text
//! cargo bench -p sealed-cookie-e2e --all-features --bench revocation
//! ```

mod support;

use std::hint::black_box;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use http::header::{COOKIE, SET_COOKIE};
use sealed_cookie::cipher::Aes256Gcm;
use sealed_cookie::serializer::Postcard;
use sealed_cookie::web::revocation::{MemoryStore, RedisStore};
use sealed_cookie::web::{SessionLayer, SessionLayerBuilder};
use sealed_cookie::{Key, Keyring, SessionMap, Suite, Value};
use sealed_cookie_e2e::Redis;
use support::web::counter;
use tower_service::Service;

/// Requests in flight at once in the second group.
const CONCURRENT: usize = 64;

/// The route behind a layer, and a valid cookie for it.
fn route(builder: SessionLayerBuilder) -> (Router, String) {
    let layer = builder
        .keyring(Keyring::new(Key::generate().expect("OS randomness")))
        .suite(2, Suite::new(Aes256Gcm, Postcard))
        .idle_timeout(Duration::from_secs(1800))
        .absolute_timeout(Duration::from_secs(8 * 3600))
        .build()
        .expect("a valid layer");
    let mut map = SessionMap::new();
    map.insert("count".to_owned(), Value::Int(1));
    map.insert("user".to_owned(), Value::from("alice"));
    let cookie = format!("session={}", layer.seal(&map).expect("fits"));
    let router = Router::new()
        .route("/api/counter", get(counter))
        .layer(layer);
    (router, cookie)
}

async fn serve(router: &Router, cookie: &str) {
    let request = Request::get("/api/counter")
        .header(COOKIE, cookie)
        .body(Body::empty())
        .expect("a valid request");
    let response = router.clone().call(request).await.expect("infallible");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().contains_key(SET_COOKIE),
        "opened and re-sealed"
    );
    black_box(response);
}

fn revocation(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let redis = Redis::start();
    let store = RedisStore::open(&redis.url()).expect("a Redis URL");
    let routes = [
        ("no store", route(SessionLayer::builder())),
        (
            "memory store",
            route(SessionLayer::builder().revocation(MemoryStore::new(1000))),
        ),
        (
            "Redis on loopback",
            route(SessionLayer::builder().revocation(store)),
        ),
    ];
    let mut group = c.benchmark_group("counter route with revocation");
    for (name, (router, cookie)) in &routes {
        // The first request makes the store's connection.
        runtime.block_on(serve(router, cookie));
        group.bench_function(*name, |b| {
            b.iter(|| runtime.block_on(serve(router, cookie)))
        });
    }
    group.finish();
    // Many clients at once: the store's round trips overlap, as under load.
    let mut group = c.benchmark_group("counter route with revocation, 64 requests at once");
    group.throughput(criterion::Throughput::Elements(CONCURRENT as u64));
    for (name, (router, cookie)) in &routes {
        group.bench_function(*name, |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let mut requests = tokio::task::JoinSet::new();
                    for _ in 0..CONCURRENT {
                        let (router, cookie) = (router.clone(), cookie.clone());
                        requests.spawn(async move { serve(&router, &cookie).await });
                    }
                    requests.join_all().await;
                });
            });
        });
    }
    group.finish();
    drop(redis);
}

criterion_group!(benches, revocation);
criterion_main!(benches);
