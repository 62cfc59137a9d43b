//! An axum app whose whole session lives in a sealed cookie.
//!
//! ```sh
//! SEALED_COOKIE_KEYS=$(head -c 32 /dev/urandom | basenc --base64url | tr -d '=') \
//!     cargo run --example server --features axum,metrics
//! ```
//!
//! Listens on 127.0.0.1, port `PORT` (default 3000). Settings come from
//! `examples/server.toml` (an idle timeout of 30 minutes, an absolute timeout of
//! 8 hours, chunking, no `Secure` on plain http), or the file `SEALED_COOKIE_CONFIG` names,
//! then every `SEALED_COOKIE_*` variable; a misspelt one is an error. Keys come
//! from `SEALED_COOKIE_KEYRING` (a keyring file, see `sealed-cookie keyring init`)
//! or `SEALED_COOKIE_KEYS` (comma-separated base64url, primary first); without
//! either a fresh key is generated and sessions do not survive a restart.
//!
//! With `SEALED_COOKIE_REVOCATION_URL` (`redis://127.0.0.1:6379/0`, with the
//! `redis` feature, or `memory`), logout revokes the session: a copy of the cookie
//! taken before is refused from then on.
//!
//! Routes: `/` (a page with a visit counter, a login form with "remember me", a
//! flash message after sign-in, a cart and logout), `POST /login` (`user`, and
//! `remember=on` for a persistent cookie), `POST /logout` (revokes the session
//! when a store is configured), `POST /logout/everywhere` (ends every session of
//! the signed-in user), `POST /cart`, `POST /cart/clear`,
//! `GET /api/counter` (`{"count": N}`), `GET /api/session` (the session as JSON),
//! `POST /api/cart` (`{"item": "...", "quantity": N}`), `POST /api/cart/clear`,
//! `GET /api/flash` (the flash message waiting, taken: `{"notice": ...}`), and
//! `GET /metrics` (the layer's counters, in Prometheus' text format).

use std::net::SocketAddr;

use axum::extract::{Extension, Form};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Json, Router};
use sealed_cookie::web::{Session, SessionConfig, SessionLayer, TypedSession};
use sealed_cookie::{Key, Keyring};
use serde::{Deserialize, Serialize};

/// Most items one request may add to the cart.
const MAX_QUANTITY: usize = 500;

/// The whole session, as the page sees it.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AppSession {
    /// Page views.
    pub visits: u64,
    /// `/api/counter` calls.
    pub count: u64,
    /// Signed-in user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Cart items.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cart: Vec<String>,
}

/// The app's routes behind `layer`.
pub fn app(layer: SessionLayer) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/logout/everywhere", post(logout_everywhere))
        .route("/api/flash", get(flash_json))
        .route("/cart", post(cart_form))
        .route("/cart/clear", post(cart_clear_form))
        .route("/api/counter", get(counter))
        .route("/api/session", get(session_json))
        .route("/api/cart", post(cart_json))
        .route("/api/cart/clear", post(cart_clear_json))
        .layer(layer.clone())
        // For logout everywhere, which needs the layer's revocation store.
        .layer(Extension(layer))
}

async fn index(mut session: TypedSession<AppSession>) -> Html<String> {
    let notice = session
        .session()
        .take_flash::<String>("notice")
        .ok()
        .flatten()
        .map(|text| format!(r#"<p id="notice">{}</p>"#, escape(&text)))
        .unwrap_or_default();
    session.visits += 1;
    if let Err(error) = session.save() {
        tracing::error!(%error, "session could not be saved");
    }
    let account = match &session.user {
        Some(user) => format!(
            r#"<p>Signed in as <b id="user">{}</b>.</p>
<form method="post" action="/logout"><button id="logout" type="submit">Log out</button></form>"#,
            escape(user)
        ),
        None => r#"<p id="user-none">Not signed in.</p>
<form method="post" action="/login">
  <input id="username" name="user" placeholder="name" required>
  <label><input id="remember" name="remember" type="checkbox"> Remember me</label>
  <button id="login" type="submit">Log in</button>
</form>"#
            .to_owned(),
    };
    let cart_bytes: usize = session.cart.iter().map(String::len).sum();
    Html(format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>sealed-cookie example</title></head>
<body>
<h1>sealed-cookie</h1>
{notice}
<p>Visits in this session: <b id="visits">{visits}</b></p>
{account}
<h2>Cart</h2>
<p><b id="cart-count">{items}</b> items (<span id="cart-bytes">{cart_bytes}</span> bytes)</p>
<form method="post" action="/cart">
  <input id="item" name="item" value="widget" required>
  <input id="quantity" name="quantity" type="number" value="1" min="1" max="{MAX_QUANTITY}">
  <button id="add" type="submit">Add to cart</button>
</form>
<form method="post" action="/cart/clear"><button id="clear" type="submit">Empty cart</button></form>
</body></html>"#,
        visits = session.visits,
        items = session.cart.len(),
    ))
}

#[derive(Deserialize)]
struct LoginForm {
    user: String,
    /// `on` when "remember me" is ticked.
    #[serde(default)]
    remember: Option<String>,
}

async fn login(session: Session, Form(form): Form<LoginForm>) -> impl IntoResponse {
    let user = form.user.trim();
    if !user.is_empty() {
        // New privileges: a new session id and creation time, so that an id
        // known before sign-in names nothing afterwards.
        session.renew();
        // A persistent cookie only when asked: otherwise it ends with the browser.
        session.set_persistent(form.remember.as_deref() == Some("on"));
        let saved = session
            .insert("user", user)
            .and_then(|()| session.flash("notice", &format!("Signed in as {user}.")));
        if let Err(error) = saved {
            tracing::error!(%error, "session could not be saved");
        }
    }
    Redirect::to("/")
}

/// Ends the session; with a revocation store, a copy of its cookie is refused too.
async fn logout(session: Session) -> Redirect {
    session.destroy();
    Redirect::to("/")
}

/// Ends every session of the signed-in user, on every server sharing the store.
async fn logout_everywhere(
    Extension(layer): Extension<SessionLayer>,
    session: Session,
) -> impl IntoResponse {
    let Ok(Some(user)) = session.get::<String>("user") else {
        return (StatusCode::FORBIDDEN, "not signed in").into_response();
    };
    match layer.revoke_user(&user, layer.now()).await {
        Ok(()) => {
            session.destroy();
            Redirect::to("/").into_response()
        }
        Err(error) => {
            tracing::error!(%error, "logout everywhere failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the revocation store did not answer",
            )
                .into_response()
        }
    }
}

async fn flash_json(session: Session) -> Json<serde_json::Value> {
    let notice = session.take_flash::<String>("notice").ok().flatten();
    Json(serde_json::json!({ "notice": notice }))
}

#[derive(Deserialize)]
struct CartForm {
    item: String,
    #[serde(default = "one")]
    quantity: usize,
}

fn one() -> usize {
    1
}

fn add_to_cart(session: &Session, form: &CartForm) -> usize {
    let mut cart: Vec<String> = session.get("cart").ok().flatten().unwrap_or_default();
    let item = form.item.trim();
    for _ in 0..form.quantity.min(MAX_QUANTITY) {
        cart.push(format!("{item} #{:04}", cart.len() + 1));
    }
    if let Err(error) = session.insert("cart", &cart) {
        tracing::error!(%error, "session could not be saved");
    }
    cart.len()
}

async fn cart_form(session: Session, Form(form): Form<CartForm>) -> Redirect {
    add_to_cart(&session, &form);
    Redirect::to("/")
}

async fn cart_clear_form(session: Session) -> Redirect {
    session.remove("cart");
    Redirect::to("/")
}

async fn cart_json(session: Session, Json(form): Json<CartForm>) -> Json<serde_json::Value> {
    let items = add_to_cart(&session, &form);
    Json(serde_json::json!({ "items": items }))
}

async fn cart_clear_json(session: Session) -> Json<serde_json::Value> {
    session.remove("cart");
    Json(serde_json::json!({ "items": 0 }))
}

async fn counter(session: Session) -> Json<serde_json::Value> {
    let count = session.get::<u64>("count").ok().flatten().unwrap_or(0) + 1;
    if let Err(error) = session.insert("count", &count) {
        tracing::error!(%error, "session could not be saved");
    }
    Json(serde_json::json!({ "count": count }))
}

async fn session_json(session: Session) -> Json<serde_json::Value> {
    let facts = session.facts().map(|facts| {
        serde_json::json!({
            "key_id": facts.key_id.to_string(),
            "session_id": facts.session_id.map(|id| id.to_string()),
            "issued_at": facts.issued_at,
            "sealed_at": facts.sealed_at,
            "expires_at": facts.expires_at,
            "ends_by": facts.ends_by.map(|ending| format!("{ending:?}").to_lowercase()),
        })
    });
    Json(serde_json::json!({
        "session": serde_json::Value::from(sealed_cookie::Value::Map(session.to_map())),
        "facts": facts,
    }))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The example's configuration: `examples/server.toml` (or the file that
/// `SEALED_COOKIE_CONFIG` names), then every `SEALED_COOKIE_*` variable.
pub fn config() -> Result<SessionConfig, sealed_cookie::web::WebConfigError> {
    SessionConfig::load_file(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/server.toml"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = config()?;
    if !config.secure {
        eprintln!(
            "note: cookies are sent without Secure because this example serves plain http; \
             set SEALED_COOKIE_SECURE=true behind TLS"
        );
    }
    // Keys from SEALED_COOKIE_KEYRING (a keyring file) or SEALED_COOKIE_KEYS; a
    // demo without either gets a fresh key.
    let keyring = match config.keyring() {
        Ok(keyring) => keyring,
        Err(sealed_cookie::web::WebConfigError::MissingKeys { var }) => {
            eprintln!(
                "warning: neither {} nor {var} is set; using a fresh random key, so sessions will not survive a restart",
                sealed_cookie::web::KEYRING_ENV
            );
            Keyring::new(Key::generate()?)
        }
        Err(error) => return Err(error.into()),
    };
    let layer = config.layer_with_keyring(keyring)?;
    // The layer's counters (sealed_cookie::web::metrics), for Prometheus to scrape.
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port
            .trim()
            .parse()
            .map_err(|_| format!("PORT={port:?} is not a port number (1-65535)"))?,
        Err(_) => 3000,
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    let app = app(layer).route(
        "/metrics",
        get(move || std::future::ready(metrics.render())),
    );
    axum::serve(listener, app).await?;
    Ok(())
}
