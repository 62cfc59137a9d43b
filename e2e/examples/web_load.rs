//! Load benchmark of the session layer (not a test): requests per second of one
//! counter route, served five ways in the same run on loopback, measured by
//! `wrk` (Debian package `wrk`):
//!
//! 1. axum, no session at all (the ceiling);
//! 2. axum behind `SessionLayer` with an AES-256-GCM + postcard suite: every
//!    request carries a valid session cookie, so every request opens it,
//!    increments the counter and re-seals it (`Set-Cookie` on every response);
//! 3. axum, the same counter in axum-extra's `PrivateCookieJar` (AES-256-GCM),
//!    also opened and re-sealed on every request;
//! 4. actix-web, no session;
//! 5. actix-web behind `SessionMiddleware` over the same layer settings.
//!
//! ```sh
//! cargo run --release --example web_load --features axum,actix,aes-gcm -- [seconds] [rounds]
//! ```
//!
//! Defaults: 5 seconds per measurement, 7 rounds. The routes take turns in each
//! round (in a rotating order) so that background load hits them alike; the
//! report gives the median requests/s of each route and the median of the
//! per-round ratios to the same framework's no-session route. wrk runs with 1
//! thread and 32 connections; the axum servers share one tokio runtime with a
//! worker per CPU, and the actix-web servers run as many workers each.

use std::process::Command;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use axum_extra::extract::cookie::{Cookie, Key as JarKey, PrivateCookieJar};
use sealed_cookie::cipher::Aes256Gcm;
use sealed_cookie::serializer::Postcard;
use sealed_cookie::web::{Session, SessionLayer};
use sealed_cookie::{Key, Keyring, SessionMap, Suite, Value};

const CONNECTIONS: u32 = 32;

async fn no_session() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "count": 1 }))
}

async fn layer_counter(session: Session) -> Json<serde_json::Value> {
    let count = session.get::<u64>("count").ok().flatten().unwrap_or(0) + 1;
    let _ = session.insert("count", &count);
    Json(serde_json::json!({ "count": count }))
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
        .max_age(time_hour());
    (jar.add(cookie), Json(serde_json::json!({ "count": count })))
}

fn time_hour() -> cookie::time::Duration {
    cookie::time::Duration::hours(1)
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/api/counter")
}

/// One request without a cookie; returns the `name=value` of the cookie set.
async fn first_cookie(url: &str) -> Option<String> {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200);
    response
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
}

/// Checks that a request with `cookie` is served and re-sealed.
async fn check(url: &str, cookie: Option<&str>) {
    let client = reqwest::Client::new();
    let mut request = client.get(url);
    if let Some(cookie) = cookie {
        request = request.header(reqwest::header::COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let resealed = response.headers().contains_key(reqwest::header::SET_COOKIE);
    let body: serde_json::Value = response.json().await.unwrap();
    if cookie.is_some() {
        assert!(resealed, "{url}: the cookie must be re-sealed");
        assert_eq!(body["count"], 2, "{url}: the cookie must open");
    }
}

fn wrk(url: &str, cookie: Option<&str>, seconds: u64) -> f64 {
    let mut command = Command::new("wrk");
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

async fn actix_no_session() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(serde_json::json!({ "count": 1 }))
}

async fn actix_counter(session: Session) -> actix_web::HttpResponse {
    let count = session.get::<u64>("count").ok().flatten().unwrap_or(0) + 1;
    let _ = session.insert("count", &count);
    actix_web::HttpResponse::Ok().json(serde_json::json!({ "count": count }))
}

/// Starts an actix-web server from an app factory on a thread of its own
/// (actix runs its own runtimes), a worker per CPU; gives the counter's URL.
macro_rules! serve_actix {
    ($factory:expr) => {{
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
                let server = actix_web::HttpServer::new($factory)
                    .workers(workers)
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

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().map_or(5, |s| s.parse().expect("seconds"));
    let rounds: usize = args.next().map_or(7, |s| s.parse().expect("rounds"));

    let bare = serve(Router::new().route("/api/counter", get(no_session))).await;

    let layer = SessionLayer::builder()
        .keyring(Keyring::new(Key::generate().unwrap()))
        .suite(2, Suite::new(Aes256Gcm, Postcard))
        .max_age(Duration::from_secs(3600))
        .build()
        .unwrap();
    let mut map = SessionMap::new();
    map.insert("count".to_owned(), Value::Int(1));
    let layer_cookie = format!("session={}", layer.seal(&map).unwrap());
    let layered = serve(
        Router::new()
            .route("/api/counter", get(layer_counter))
            .layer(layer.clone()),
    )
    .await;

    let jar = serve(
        Router::new()
            .route("/api/counter", get(jar_counter))
            .with_state(JarKey::generate()),
    )
    .await;
    let jar_cookie = first_cookie(&jar).await.expect("the jar sets a cookie");

    let actix_bare = serve_actix!(|| {
        actix_web::App::new().route("/api/counter", actix_web::web::get().to(actix_no_session))
    });
    let actix_layer = layer.clone();
    let actix_layered = serve_actix!(move || {
        actix_web::App::new()
            .wrap(sealed_cookie::web::actix::SessionMiddleware::new(
                actix_layer.clone(),
            ))
            .route("/api/counter", actix_web::web::get().to(actix_counter))
    });

    check(&bare, None).await;
    check(&layered, Some(&layer_cookie)).await;
    check(&jar, Some(&jar_cookie)).await;
    check(&actix_bare, None).await;
    check(&actix_layered, Some(&layer_cookie)).await;
    println!(
        "cookie lengths: layer {} bytes, private jar {} bytes",
        layer_cookie.len(),
        jar_cookie.len()
    );

    // (name, URL, cookie, index of the same framework's no-session route)
    let cases: [(&str, &str, Option<&str>, usize); 5] = [
        ("axum, no session", &bare, None, 0),
        (
            "axum, SessionLayer (AES-256-GCM + postcard)",
            &layered,
            Some(&layer_cookie),
            0,
        ),
        (
            "axum, axum-extra PrivateCookieJar",
            &jar,
            Some(&jar_cookie),
            0,
        ),
        ("actix-web, no session", &actix_bare, None, 3),
        (
            "actix-web, SessionMiddleware (same layer)",
            &actix_layered,
            Some(&layer_cookie),
            3,
        ),
    ];
    let mut results = vec![Vec::new(); cases.len()];
    // Per-round ratios to the same framework's no-session route: background load
    // changes between rounds, so each round's servers are compared with each other.
    let mut ratios = vec![Vec::new(); cases.len()];
    let mut layer_vs_jar = Vec::new();
    let mut actix_vs_axum = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        let mut this_round = [0.0; 5];
        // Rotate the order so that no route always runs first or last.
        for step in 0..cases.len() {
            let index = (round + step) % cases.len();
            let (name, url, cookie, _) = cases[index];
            let (url, cookie) = (url.to_string(), cookie.map(str::to_owned));
            let rps = tokio::task::spawn_blocking(move || wrk(&url, cookie.as_deref(), seconds))
                .await
                .unwrap();
            println!("round {}: {name:<44} {rps:>10.0} requests/s", round + 1);
            results[index].push(rps);
            this_round[index] = rps;
        }
        for (index, case) in cases.iter().enumerate() {
            ratios[index].push(this_round[index] / this_round[case.3]);
        }
        layer_vs_jar.push(this_round[1] / this_round[2]);
        actix_vs_axum[0].push(this_round[3] / this_round[0]);
        actix_vs_axum[1].push(this_round[4] / this_round[1]);
    }
    let medians: Vec<f64> = results.iter_mut().map(|r| median(r)).collect();
    let ratio_medians: Vec<f64> = ratios.iter_mut().map(|r| median(r)).collect();
    println!();
    println!(
        "wrk -t1 -c{CONNECTIONS} -d{seconds}s, {rounds} rounds, loopback, {} CPUs; \
         medians of requests/s and of per-round ratios",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| route | requests/s | vs the same framework without a session |");
    println!("|---|---:|---:|");
    for (((name, _, _, _), rps), ratio) in cases.iter().zip(&medians).zip(&ratio_medians) {
        println!("| {name} | {rps:.0} | {:.0}% |", 100.0 * ratio);
    }
    println!();
    println!(
        "SessionLayer / PrivateCookieJar on axum (median of per-round ratios): {:.2}",
        median(&mut layer_vs_jar)
    );
    println!(
        "actix-web / axum (median of per-round ratios): without a session {:.2}, with it {:.2}",
        median(&mut actix_vs_axum[0]),
        median(&mut actix_vs_axum[1])
    );
}
