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
use axum::routing::get;
use sealed_cookie::cipher::Aes256Gcm;
use sealed_cookie::serializer::Postcard;
use sealed_cookie::web::{SessionLayer, SessionLayerBuilder};
use sealed_cookie::{Codec, SessionMap, Suite, Value};
use support::web::{codec_router, counter, floor_router, layer, no_session, serve_in_process};

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
    let with_cookie = |(router, cookie): (Router, String)| (router, Some(cookie));
    let (router, cookie) = match route.as_str() {
        "bare" => (Router::new().route("/api/counter", get(no_session)), None),
        "layer" => with_cookie(layered(SessionLayer::builder().suite(2, aes()), &session)),
        "default" => with_cookie(layered(SessionLayer::builder(), &session)),
        "codec" => with_cookie(codec_router(Codec::builder().suite(2, aes()), &session)),
        "floor" => with_cookie(floor_router(Aes256Gcm)),
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
            serve_in_process(&router, cookie.as_deref()).await;
        }
    });
    let per_request = started.elapsed().as_nanos() as f64 / count as f64;
    println!("{route}: {count} requests, {per_request:.0} ns each");
}
