//! Load benchmark of the session layer (not a test): requests per second of one
//! counter route, served three ways in the same run on loopback, measured by
//! `wrk` (Debian package `wrk`):
//!
//! 1. no session at all (the ceiling);
//! 2. `SessionLayer` with an AES-256-GCM + postcard suite: every request carries
//!    a valid session cookie, so every request opens it, increments the counter
//!    and re-seals it (`Set-Cookie` on every response);
//! 3. the same counter in axum-extra's `PrivateCookieJar` (AES-256-GCM), also
//!    opened and re-sealed on every request.
//!
//! ```sh
//! cargo run --release --example web_load --features axum,aes-gcm -- [seconds] [rounds]
//! ```
//!
//! Defaults: 5 seconds per measurement, 7 rounds. The three routes take turns in
//! each round (in a rotating order) so that background load hits them alike; the
//! report gives the median requests/s of each route and the median of the
//! per-round ratios. wrk runs with 1 thread and 32 connections; the servers share
//! one tokio runtime.

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
            .layer(layer),
    )
    .await;

    let jar = serve(
        Router::new()
            .route("/api/counter", get(jar_counter))
            .with_state(JarKey::generate()),
    )
    .await;
    let jar_cookie = first_cookie(&jar).await.expect("the jar sets a cookie");

    check(&bare, None).await;
    check(&layered, Some(&layer_cookie)).await;
    check(&jar, Some(&jar_cookie)).await;
    println!(
        "cookie lengths: layer {} bytes, private jar {} bytes",
        layer_cookie.len(),
        jar_cookie.len()
    );

    let cases: [(&str, &str, Option<&str>); 3] = [
        ("no session", &bare, None),
        (
            "SessionLayer (AES-256-GCM + postcard)",
            &layered,
            Some(&layer_cookie),
        ),
        ("axum-extra PrivateCookieJar", &jar, Some(&jar_cookie)),
    ];
    let mut results = vec![Vec::new(); cases.len()];
    // Per-round ratios to the no-session route: background load changes between
    // rounds, so each round's servers are compared with each other.
    let mut ratios = vec![Vec::new(); cases.len()];
    for round in 0..rounds {
        let mut this_round = [0.0; 3];
        // Rotate the order so that no route always runs first or last.
        for step in 0..cases.len() {
            let index = (round + step) % cases.len();
            let (name, url, cookie) = cases[index];
            let (url, cookie) = (url.to_string(), cookie.map(str::to_owned));
            let rps = tokio::task::spawn_blocking(move || wrk(&url, cookie.as_deref(), seconds))
                .await
                .unwrap();
            println!("round {}: {name:<40} {rps:>10.0} requests/s", round + 1);
            results[index].push(rps);
            this_round[index] = rps;
        }
        for index in 0..cases.len() {
            ratios[index].push(this_round[index] / this_round[0]);
        }
    }
    let medians: Vec<f64> = results.iter_mut().map(|r| median(r)).collect();
    let ratio_medians: Vec<f64> = ratios.iter_mut().map(|r| median(r)).collect();
    let layer_vs_jar = median(
        &mut (0..rounds)
            .map(|round| results_ratio(&ratios, round))
            .collect::<Vec<_>>(),
    );
    println!();
    println!(
        "wrk -t1 -c{CONNECTIONS} -d{seconds}s, {rounds} rounds, loopback, {} CPUs; \
         medians of requests/s and of per-round ratios",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| route | requests/s | vs no session |");
    println!("|---|---:|---:|");
    for (((name, _, _), rps), ratio) in cases.iter().zip(&medians).zip(&ratio_medians) {
        println!("| {name} | {rps:.0} | {:.0}% |", 100.0 * ratio);
    }
    println!();
    println!("SessionLayer / PrivateCookieJar (median of per-round ratios): {layer_vs_jar:.2}");
}

/// Layer throughput over jar throughput in one round.
fn results_ratio(ratios: &[Vec<f64>], round: usize) -> f64 {
    ratios[1][round] / ratios[2][round]
}
