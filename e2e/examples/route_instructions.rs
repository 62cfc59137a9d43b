//! The counter route of the web benchmarks served in process, without a
//! network, `count` times in a row: for counting the instructions and heap
//! allocations of one request under valgrind, where the difference between two
//! counts (say 2 000 and 4 000 requests), halved, is the cost of one request
//! without start-up.
//!
//! ```sh
//! cargo build --release -p sealed-cookie-e2e --all-features --example route_instructions
//! for n in 2000 4000; do
//!   valgrind --tool=callgrind --callgrind-out-file=cg.$n \
//!     target/release/examples/route_instructions layer $n
//! done
//! ```
//!
//! Routes: `bare` (no session), `layer` (`SessionLayer`, AES-256-GCM + postcard),
//! `default` (`SessionLayer`, default suite), `codec` (`Codec` in the handler,
//! AES-256-GCM + postcard), `floor` (AES-256-GCM's floor in the handler).

#[path = "../benches/support/mod.rs"]
mod support;

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::Request;
use sealed_cookie::cipher::Aes256Gcm;
use sealed_cookie::serializer::Postcard;
use sealed_cookie::web::{SessionLayer, SessionLayerBuilder};
use sealed_cookie::{Codec, SessionMap, Suite, Value};
use support::web::{codec_router, counter, floor_router, layer, no_session};
use tower_service::Service as _;

fn layered(builder: SessionLayerBuilder, session: &SessionMap) -> (Router, String) {
    let (layer, cookie) = layer(builder, session);
    let router = Router::new()
        .route("/api/counter", get(counter))
        .layer(layer);
    (router, cookie)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let route = args.next().unwrap_or_else(|| "layer".to_owned());
    let count: usize = args
        .next()
        .map_or(2000, |count| count.parse().expect("a number of requests"));
    let mut session = SessionMap::new();
    session.insert("count".to_owned(), Value::Int(1));
    session.insert("user".to_owned(), Value::from("alice"));
    let aes = || Suite::new(Aes256Gcm, Postcard);
    let (mut router, cookie) = match route.as_str() {
        "bare" => (
            Router::new().route("/api/counter", get(no_session)),
            String::new(),
        ),
        "layer" => layered(SessionLayer::builder().suite(2, aes()), &session),
        "default" => layered(SessionLayer::builder(), &session),
        "codec" => codec_router(Codec::builder().suite(2, aes()), &session),
        "floor" => floor_router(Aes256Gcm),
        other => {
            eprintln!("unknown route {other}: bare, layer, default, codec or floor");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let started = Instant::now();
    runtime.block_on(async {
        for _ in 0..count {
            let mut request = Request::get("/api/counter").header("host", "localhost");
            if !cookie.is_empty() {
                request = request.header("cookie", &cookie);
            }
            let response = router
                .call(request.body(Body::empty()).expect("a valid request"))
                .await
                .expect("infallible");
            assert_eq!(response.status(), 200);
            assert_eq!(
                response.headers().contains_key("set-cookie"),
                !cookie.is_empty(),
                "every request with a cookie re-seals it"
            );
        }
    });
    let per_request = started.elapsed().as_nanos() as f64 / count as f64;
    println!("{route}: {count} requests, {per_request:.0} ns each");
}
