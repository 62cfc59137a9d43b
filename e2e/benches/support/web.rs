//! The counter route every web benchmark serves (`GET /api/counter`): without a
//! session, behind the layer, and the two ceilings of a layer (the codec, then
//! the bare floor, called in the handler).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, header};
use axum::routing::get;
use axum::{Json, Router};
use sealed_cookie::cipher::Cipher;
use sealed_cookie::web::{Session, SessionLayer, SessionLayerBuilder};
use sealed_cookie::{Codec, CodecBuilder, Key, Keyring, SessionMap, Value};

use super::floor::Floor;

/// The route without a session: the ceiling.
pub async fn no_session() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "count": 1 }))
}

/// The counter in the session: every request reads, increments and writes it.
pub async fn counter(session: Session) -> Json<serde_json::Value> {
    let count = session.get::<u64>("count").ok().flatten().unwrap_or(0) + 1;
    let _ = session.insert("count", &count);
    Json(serde_json::json!({ "count": count }))
}

/// Serves one `GET /api/counter` with `cookie` in process (no network), and
/// checks that it answered and set a cookie exactly when it was sent one.
pub async fn serve_in_process(router: &Router, cookie: Option<&str>) {
    use tower_service::Service as _;
    let mut request = Request::get("/api/counter");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = router
        .clone()
        .call(request.body(Body::empty()).expect("a valid request"))
        .await
        .expect("infallible");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().contains_key(header::SET_COOKIE),
        cookie.is_some()
    );
    std::hint::black_box(response);
}

/// A layer from `builder` with the benchmarks' timeouts, and a `Cookie` header
/// carrying `session`.
pub fn layer(builder: SessionLayerBuilder, session: &SessionMap) -> (SessionLayer, String) {
    let layer = builder
        .keyring(Keyring::new(Key::generate().expect("OS randomness")))
        .idle_timeout(Duration::from_secs(1800))
        .absolute_timeout(Duration::from_secs(8 * 3600))
        .build()
        .expect("a valid layer");
    let cookie = format!("session={}", layer.seal(session).expect("fits"));
    (layer, cookie)
}

/// The attributes `SessionLayer` writes with the benchmarks' timeouts (idle 30
/// minutes, absolute 8 hours).
pub const ATTRIBUTES: &str = "; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=1800";

/// The `session` cookie's value in a `Cookie` header. (The handlers below take
/// the whole request: axum's `HeaderMap` extractor would clone the headers.)
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    let header = headers.get(header::COOKIE)?.to_str().ok()?;
    header
        .split(';')
        .find_map(|pair| pair.trim().strip_prefix("session="))
}

type WithCookie = ([(HeaderName, String); 1], Json<serde_json::Value>);

/// The `Set-Cookie` line, written at its exact length as the layer writes it.
fn set_cookie_line(sealed: &str) -> String {
    let mut line = String::with_capacity("session=".len() + sealed.len() + ATTRIBUTES.len());
    line.push_str("session=");
    line.push_str(sealed);
    line.push_str(ATTRIBUTES);
    line
}

/// The counter with `Codec` called in the handler, no layer: what a session on
/// this crate's envelope costs without the layer's own work (the `Cookie`
/// header's rules, chunks, legacy readers, revocation, cache headers, metrics,
/// the cookie and request size budgets, the `Max-Age` counted from the expiry,
/// the session's place in the request).
async fn codec_counter(
    State(codec): State<Arc<Codec<SessionMap>>>,
    request: Request,
) -> WithCookie {
    let opened = session_cookie(request.headers()).and_then(|cookie| codec.open(cookie).ok());
    let (mut map, facts) = opened.map_or_else(
        || (SessionMap::new(), None),
        |opened| (opened.value, Some(opened.facts)),
    );
    let count = match map.get("count") {
        Some(Value::Int(count)) => *count,
        _ => 0,
    } + 1;
    // In place, as the layer stores a value under a key it holds.
    match map.get_mut("count") {
        Some(value) => *value = Value::Int(count),
        None => drop(map.insert("count".to_owned(), Value::Int(count))),
    }
    let sealed = match &facts {
        Some(facts) => codec.reseal(&map, facts),
        None => codec.seal(&map),
    }
    .expect("fits");
    (
        [(header::SET_COOKIE, set_cookie_line(&sealed))],
        Json(serde_json::json!({ "count": count })),
    )
}

/// The counter's session as the floor holds it.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Small {
    count: i64,
    user: String,
}

/// The counter over the suite's floor (support/floor.rs: postcard, nonce, bare
/// AEAD, base64url, no envelope) in the handler: the least any sealed cookie
/// with this cipher and serializer costs on this route.
async fn floor_counter<C: Cipher>(
    State(floor): State<Arc<Mutex<Floor<C>>>>,
    request: Request,
) -> WithCookie {
    let mut floor = floor.lock().expect("not poisoned");
    let mut small: Small = session_cookie(request.headers())
        .and_then(|cookie| floor.try_open(cookie))
        .unwrap_or_default();
    small.count += 1;
    let sealed = floor.seal(&small);
    (
        [(header::SET_COOKIE, set_cookie_line(&sealed))],
        Json(serde_json::json!({ "count": small.count })),
    )
}

/// The route calling a codec built from `builder` with the layer's timeouts,
/// and a `Cookie` header carrying `session`.
pub fn codec_router(builder: CodecBuilder<SessionMap>, session: &SessionMap) -> (Router, String) {
    let codec = builder
        .keyring(Keyring::new(Key::generate().expect("OS randomness")))
        .idle_timeout(Duration::from_secs(1800))
        .absolute_timeout(Duration::from_secs(8 * 3600))
        .build()
        .expect("a valid codec");
    let cookie = format!("session={}", codec.seal(session).expect("fits"));
    let router = Router::new()
        .route("/api/counter", get(codec_counter))
        .with_state(Arc::new(codec));
    (router, cookie)
}

/// The route over the floor of `cipher`, and a `Cookie` header carrying the
/// counter's session (`count` 1, `user` alice).
pub fn floor_router<C: Cipher + Send + Sync + 'static>(cipher: C) -> (Router, String)
where
    C::Key: Send + Sync,
{
    let mut subkey = [0u8; 32];
    rand::fill(&mut subkey[..]);
    let mut floor = Floor::new(cipher, &subkey);
    let cookie = format!(
        "session={}",
        floor.seal(&Small {
            count: 1,
            user: "alice".to_owned(),
        })
    );
    let router = Router::new()
        .route("/api/counter", get(floor_counter::<C>))
        .with_state(Arc::new(Mutex::new(floor)));
    (router, cookie)
}
