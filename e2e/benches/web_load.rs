//! Load benchmark of the web layer (not criterion): requests per second of one
//! counter route (`GET /api/counter`, JSON `{"count": N}`), every request with a
//! valid cookie that is opened, incremented and re-sealed, served every way
//! below in the same run, measured by `wrk` (Debian package `wrk`) on loopback:
//!
//! - axum: no session (the ceiling), `SessionLayer` on AES-256-GCM + postcard
//!   and on the default suite, `TypedSession` over the default suite, a session
//!   split over two chunks, revocation checked in Redis (when `redis-server` is
//!   installed), and axum-extra's `PrivateCookieJar` (AES-256-GCM);
//! - the ceilings of a layer on axum, for AES-256-GCM + postcard and the default
//!   suite: the same route calling `Codec` in the handler (no layer: the
//!   envelope without the layer's own work), and the same route over the bare
//!   floor (support/floor.rs: postcard, nonce, AEAD, base64url; no envelope),
//!   each writing the `Set-Cookie` line the layer writes;
//! - actix-web: no session, and `SessionMiddleware` on the default suite.
//!
//! Every server runs one worker on CPU 0 and wrk runs on CPU 1 (`taskset`), where
//! the machine has two CPUs; the routes take turns in each round in a rotating
//! order, and the report gives medians of requests/s and of per-round ratios.
//!
//! ```sh
//! cargo bench -p sealed-cookie-e2e --all-features --bench web_load -- [seconds] [rounds]
//! ```
//!
//! Defaults: 5 seconds per measurement, 7 rounds. `cargo test --bench web_load`
//! checks every route once (a valid cookie is opened and re-sealed), without wrk.

mod support;

use std::process::Command;

use axum::routing::get;
use axum::{Json, Router};
use axum_extra::extract::cookie::{Cookie, Key as JarKey, PrivateCookieJar};
use sealed_cookie::cipher::{Aes256Gcm, XChaCha20Poly1305};
use sealed_cookie::serializer::Postcard;
use sealed_cookie::web::revocation::RedisStore;
use sealed_cookie::web::{Session, SessionLayer, TypedSession};
use sealed_cookie::{Codec, SessionMap, Suite, Value};
use sealed_cookie_e2e::Redis;
use support::web::{ATTRIBUTES, codec_router, counter, floor_router, layer, no_session};

const CONNECTIONS: u32 = 32;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Counter {
    count: u64,
    #[serde(default)]
    user: String,
    #[serde(default)]
    notes: Vec<String>,
}

async fn typed_counter(mut session: TypedSession<Counter>) -> Json<serde_json::Value> {
    session.count += 1;
    let _ = session.save();
    Json(serde_json::json!({ "count": session.count }))
}

async fn jar_counter(jar: PrivateCookieJar) -> (PrivateCookieJar, Json<serde_json::Value>) {
    let count = jar
        .get("count")
        .and_then(|c| c.value().parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    let cookie = Cookie::build(("count", count.to_string()))
        .http_only(true)
        .same_site(axum_extra::extract::cookie::SameSite::Lax)
        .path("/")
        .max_age(cookie::time::Duration::hours(1));
    (jar.add(cookie), Json(serde_json::json!({ "count": count })))
}

async fn actix_no_session() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(serde_json::json!({ "count": 1 }))
}

async fn actix_counter(session: Session) -> actix_web::HttpResponse {
    let count = session.get::<u64>("count").ok().flatten().unwrap_or(0) + 1;
    let _ = session.insert("count", &count);
    actix_web::HttpResponse::Ok().json(serde_json::json!({ "count": count }))
}

/// A server for the route `router` answers, and its cookie.
fn served((router, cookie): (Router, String)) -> (String, String) {
    (serve(router), cookie)
}

/// Pins this thread (and the threads it starts) to `cpu`, where there is one.
fn pin_to(cpu: usize) {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    let _ = rustix::thread::sched_setaffinity(None, &set);
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Serves `router` on a current-thread runtime of its own, on CPU 0.
fn serve(router: Router) -> String {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        pin_to(0);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            send.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, router).await.unwrap();
        });
    });
    let addr = receive.recv().expect("the server starts");
    format!("http://{addr}/api/counter")
}

/// Starts an actix-web server from an app factory, one worker, on CPU 0.
macro_rules! serve_actix {
    ($factory:expr) => {{
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            pin_to(0);
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new($factory)
                    .workers(1)
                    .disable_signals()
                    .bind("127.0.0.1:0")
                    .unwrap();
                send.send(server.addrs()[0]).unwrap();
                let _ = server.run().await;
            });
        });
        let addr = receive.recv().expect("the actix-web server starts");
        format!("http://{addr}/api/counter")
    }};
}

/// The counter of a session that also holds enough notes for two chunks,
/// written on its first request.
async fn chunked_counter(session: Session) -> Json<serde_json::Value> {
    if session.get::<Vec<String>>("notes").ok().flatten().is_none() {
        let notes: Vec<String> = (0..40)
            .map(|i| format!("note {i}: {}", "x".repeat(80)))
            .collect();
        let _ = session.insert("notes", &notes);
    }
    counter(session).await
}

/// Every cookie a first request without one sets, as a `Cookie` header.
fn first_cookies(url: &str) -> String {
    let response = reqwest::blocking::get(url).unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

/// One request with `cookie`: served, and (with a cookie) opened and re-sealed;
/// the first `Set-Cookie` line.
fn check(url: &str, cookie: Option<&str>) -> Option<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut request = client.get(url);
        if let Some(cookie) = cookie {
            request = request.header(reqwest::header::COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let line = response
            .headers()
            .get(reqwest::header::SET_COOKIE)
            .map(|value| value.to_str().expect("ASCII").to_owned());
        let body: serde_json::Value = response.json().await.unwrap();
        if cookie.is_some() {
            assert!(line.is_some(), "{url}: the cookie must be re-sealed");
            assert_eq!(body["count"], 2, "{url}: the cookie must open");
        }
        line
    })
}

fn wrk(url: &str, cookie: Option<&str>, seconds: u64) -> f64 {
    let mut command = if cpus() >= 2 {
        let mut taskset = Command::new("taskset");
        taskset.args(["-c", "1", "wrk"]);
        taskset
    } else {
        Command::new("wrk")
    };
    command.args(["-t1", &format!("-c{CONNECTIONS}"), &format!("-d{seconds}s")]);
    if let Some(cookie) = cookie {
        command.args(["-H", &format!("Cookie: {cookie}")]);
    }
    let output = command.arg(url).output().unwrap_or_else(|error| {
        eprintln!("wrk could not be started ({error}): install it with apt-get install wrk");
        std::process::exit(2);
    });
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        !text.contains("Non-2xx"),
        "wrk saw error responses from {url}:\n{text}"
    );
    text.lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk output:\n{text}"))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

struct Route {
    name: &'static str,
    url: String,
    cookie: Option<String>,
    /// The same framework's no-session route.
    baseline: usize,
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --bench web_load` does not.
    let smoke = std::env::args().all(|arg| arg != "--bench");
    let mut args = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"));
    let seconds: u64 = args.next().map_or(5, |s| s.parse().expect("seconds"));
    let rounds: usize = args.next().map_or(7, |s| s.parse().expect("rounds"));

    let mut small = SessionMap::new();
    small.insert("count".to_owned(), Value::Int(1));
    small.insert("user".to_owned(), Value::from("alice"));

    let aes = || SessionLayer::builder().suite(2, Suite::new(Aes256Gcm, Postcard));
    let (aes_layer, aes_cookie) = layer(aes(), &small);
    let (default_layer, default_cookie) = layer(SessionLayer::builder(), &small);
    let (typed_layer, typed_cookie) = layer(SessionLayer::builder(), &small);
    let (chunked_layer, _) = layer(SessionLayer::builder().chunking(4), &small);
    let redis = Redis::start_or_skip();
    let redis_route = redis.as_ref().map(|redis| {
        let store = RedisStore::open(&redis.url()).expect("a Redis URL");
        layer(SessionLayer::builder().revocation(store), &small)
    });

    let bare = serve(Router::new().route("/api/counter", get(no_session)));
    let behind = |layer: SessionLayer| {
        serve(
            Router::new()
                .route("/api/counter", get(counter))
                .layer(layer),
        )
    };
    let mut routes = vec![
        Route {
            name: "axum, no session",
            url: bare,
            cookie: None,
            baseline: 0,
        },
        Route {
            name: "axum, SessionLayer, AES-256-GCM + postcard",
            url: behind(aes_layer),
            cookie: Some(aes_cookie),
            baseline: 0,
        },
        Route {
            name: "axum, SessionLayer, default suite",
            url: behind(default_layer.clone()),
            cookie: Some(default_cookie.clone()),
            baseline: 0,
        },
        Route {
            name: "axum, TypedSession, default suite",
            url: serve(
                Router::new()
                    .route("/api/counter", get(typed_counter))
                    .layer(typed_layer),
            ),
            cookie: Some(typed_cookie),
            baseline: 0,
        },
    ];
    let chunked = serve(
        Router::new()
            .route("/api/counter", get(chunked_counter))
            .layer(chunked_layer),
    );
    let chunked_cookie = first_cookies(&chunked);
    assert!(
        chunked_cookie.contains("sessionC2=") && !chunked_cookie.contains("sessionC3="),
        "two chunks: {chunked_cookie}"
    );
    routes.push(Route {
        name: "axum, SessionLayer, default suite, 2 chunks",
        url: chunked,
        cookie: Some(chunked_cookie),
        baseline: 0,
    });
    if let Some((redis_layer, redis_cookie)) = redis_route {
        routes.push(Route {
            name: "axum, SessionLayer, default suite, Redis revocation",
            url: behind(redis_layer),
            cookie: Some(redis_cookie),
            baseline: 0,
        });
    }
    // What the layer is measured against: the same route over this crate's
    // codec without the layer, and over the bare floor without the envelope.
    let ceilings = [
        (
            "axum, Codec in the handler (no layer), AES-256-GCM + postcard",
            served(codec_router(
                Codec::builder().suite(2, Suite::new(Aes256Gcm, Postcard)),
                &small,
            )),
        ),
        (
            "axum, Codec in the handler (no layer), default suite",
            served(codec_router(Codec::builder(), &small)),
        ),
        (
            "axum, floor in the handler, AES-256-GCM + postcard",
            served(floor_router(Aes256Gcm)),
        ),
        (
            "axum, floor in the handler, XChaCha20-Poly1305 + postcard",
            served(floor_router(XChaCha20Poly1305)),
        ),
    ];
    for (name, (url, cookie)) in ceilings {
        routes.push(Route {
            name,
            url,
            cookie: Some(cookie),
            baseline: 0,
        });
    }
    let jar = serve(
        Router::new()
            .route("/api/counter", get(jar_counter))
            .with_state(JarKey::generate()),
    );
    let jar_cookie = first_cookies(&jar);
    let jar_index = routes.len();
    routes.push(Route {
        name: "axum, axum-extra PrivateCookieJar",
        url: jar,
        cookie: Some(jar_cookie),
        baseline: 0,
    });
    let actix_bare = serve_actix!(|| {
        actix_web::App::new().route("/api/counter", actix_web::web::get().to(actix_no_session))
    });
    let actix_layer = default_layer.clone();
    let actix_layered = serve_actix!(move || {
        actix_web::App::new()
            .wrap(sealed_cookie::web::actix::SessionMiddleware::new(
                actix_layer.clone(),
            ))
            .route("/api/counter", actix_web::web::get().to(actix_counter))
    });
    let actix_index = routes.len();
    routes.push(Route {
        name: "actix-web, no session",
        url: actix_bare,
        cookie: None,
        baseline: actix_index,
    });
    routes.push(Route {
        name: "actix-web, SessionMiddleware, default suite",
        url: actix_layered,
        cookie: Some(default_cookie),
        baseline: actix_index,
    });

    let mut lines = routes
        .iter()
        .map(|route| check(&route.url, route.cookie.as_deref()));
    // The ceilings write the attributes the layer writes (route 1).
    let layer_line = lines.nth(1).flatten().expect("the layer sets its cookie");
    let (_, attributes) = layer_line.split_at(layer_line.find(';').expect("attributes"));
    assert_eq!(attributes, ATTRIBUTES, "the layer's Set-Cookie attributes");
    lines.for_each(drop);
    if smoke {
        println!("web_load: {} routes checked", routes.len());
        return;
    }

    let mut results = vec![Vec::new(); routes.len()];
    let mut ratios = vec![Vec::new(); routes.len()];
    let mut to_jar = vec![Vec::new(); routes.len()];
    for round in 0..rounds {
        let mut this_round = vec![0.0; routes.len()];
        for step in 0..routes.len() {
            let index = (round + step) % routes.len();
            let route = &routes[index];
            let rps = wrk(&route.url, route.cookie.as_deref(), seconds);
            println!(
                "round {}: {:<52} {rps:>9.0} requests/s",
                round + 1,
                route.name
            );
            results[index].push(rps);
            this_round[index] = rps;
        }
        for (index, route) in routes.iter().enumerate() {
            ratios[index].push(this_round[index] / this_round[route.baseline]);
            to_jar[index].push(this_round[index] / this_round[jar_index]);
        }
    }
    println!();
    println!(
        "wrk -t1 -c{CONNECTIONS} -d{seconds}s, {rounds} rounds, loopback, {} CPUs, {}; \
         medians of requests/s and of per-round ratios",
        cpus(),
        if cpus() >= 2 {
            "servers (one worker) on CPU 0, wrk on CPU 1"
        } else {
            "unpinned"
        }
    );
    println!();
    println!(
        "| route | requests/s | µs per request | vs no session (same framework) | vs PrivateCookieJar |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (index, route) in routes.iter().enumerate() {
        let rps = median(&mut results[index]);
        println!(
            "| {} | {rps:.0} | {:.2} | {:.2} | {:.2} |",
            route.name,
            1e6 / rps,
            median(&mut ratios[index]),
            median(&mut to_jar[index])
        );
    }
}
