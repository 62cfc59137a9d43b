//! What the axum and the actix-web example servers share: the session type,
//! the page, the JSON, and the start-up (configuration, keys, port), so that
//! both serve the same routes with the same answers.

#![allow(dead_code)]

use sealed_cookie::web::{Session, SessionConfig, TypedSession, WebConfigError};
use sealed_cookie::{Key, Keyring};
use serde::{Deserialize, Serialize};

/// Most items one request may add to the cart.
pub const MAX_QUANTITY: usize = 500;

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

/// `POST /login`'s form.
#[derive(Deserialize)]
pub struct LoginForm {
    pub user: String,
    /// `on` when "remember me" is ticked.
    #[serde(default)]
    pub remember: Option<String>,
}

/// `POST /cart`'s form and `POST /api/cart`'s JSON.
#[derive(Deserialize)]
pub struct CartForm {
    pub item: String,
    #[serde(default = "one")]
    pub quantity: usize,
}

fn one() -> usize {
    1
}

/// `GET /`: counts the visit and renders the page.
pub fn index(mut session: TypedSession<AppSession>) -> String {
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
    format!(
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
    )
}

/// `POST /login`: a new session id for the new privileges, persistent only
/// when asked, and a flash notice.
pub fn login(session: &Session, form: &LoginForm) {
    let user = form.user.trim();
    if user.is_empty() {
        return;
    }
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

/// `GET /api/flash`: the notice waiting, taken.
pub fn flash_json(session: &Session) -> serde_json::Value {
    let notice = session.take_flash::<String>("notice").ok().flatten();
    serde_json::json!({ "notice": notice })
}

/// Adds the form's items to the cart; the cart's length.
pub fn add_to_cart(session: &Session, form: &CartForm) -> usize {
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

/// `GET /api/counter`.
pub fn counter(session: &Session) -> serde_json::Value {
    let count = session.get::<u64>("count").ok().flatten().unwrap_or(0) + 1;
    if let Err(error) = session.insert("count", &count) {
        tracing::error!(%error, "session could not be saved");
    }
    serde_json::json!({ "count": count })
}

/// `GET /api/session`: the session and what its cookie records.
pub fn session_json(session: &Session) -> serde_json::Value {
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
    serde_json::json!({
        "session": serde_json::Value::from(sealed_cookie::Value::Map(session.to_map())),
        "facts": facts,
    })
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The examples' configuration: `examples/server.toml` (or the file that
/// `SEALED_COOKIE_CONFIG` names), then every `SEALED_COOKIE_*` variable.
pub fn config() -> Result<SessionConfig, WebConfigError> {
    SessionConfig::load_file(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/server.toml"))
}

/// Logging from `RUST_LOG` (default `info`).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
}

/// The keyring from `SEALED_COOKIE_KEYRING` or `SEALED_COOKIE_KEYS`; a demo
/// without either gets a fresh key, with a warning.
pub fn keyring(config: &SessionConfig) -> Result<Keyring, Box<dyn std::error::Error>> {
    if !config.secure {
        eprintln!(
            "note: cookies are sent without Secure because this example serves plain http; \
             set SEALED_COOKIE_SECURE=true behind TLS"
        );
    }
    match config.keyring() {
        Ok(keyring) => Ok(keyring),
        Err(WebConfigError::MissingKeys { var }) => {
            eprintln!(
                "warning: neither {} nor {var} is set; using a fresh random key, so sessions will not survive a restart",
                sealed_cookie::web::KEYRING_ENV
            );
            Ok(Keyring::new(Key::generate()?))
        }
        Err(error) => Err(error.into()),
    }
}

/// What both servers start from: logging, the configuration, the layer with
/// its keys, the metrics recorder (for `GET /metrics`) and the port.
pub fn start() -> Result<
    (
        sealed_cookie::web::SessionLayer,
        metrics_exporter_prometheus::PrometheusHandle,
        u16,
    ),
    Box<dyn std::error::Error>,
> {
    init_logging();
    let config = config()?;
    let layer = config.layer_with_keyring(keyring(&config)?)?;
    // The layer's counters (sealed_cookie::web::metrics), for Prometheus to scrape.
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;
    Ok((layer, metrics, port()?))
}

/// `PORT`, default 3000.
pub fn port() -> Result<u16, String> {
    match std::env::var("PORT") {
        Ok(port) => port
            .trim()
            .parse()
            .map_err(|_| format!("PORT={port:?} is not a port number (1-65535)")),
        Err(_) => Ok(3000),
    }
}
