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
use sealed_cookie::web::{Session, SessionLayer, TypedSession};

// Each example binary holds its own copy; the tests include both servers.
#[allow(clippy::duplicate_mod)]
#[path = "common/mod.rs"]
pub mod common;
pub use common::AppSession;
use common::{CartForm, LoginForm};

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

async fn index(session: TypedSession<AppSession>) -> Html<String> {
    Html(common::index(session))
}

async fn login(session: Session, Form(form): Form<LoginForm>) -> Redirect {
    common::login(&session, &form);
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
    Json(common::flash_json(&session))
}

async fn cart_form(session: Session, Form(form): Form<CartForm>) -> Redirect {
    common::add_to_cart(&session, &form);
    Redirect::to("/")
}

async fn cart_clear_form(session: Session) -> Redirect {
    session.remove("cart");
    Redirect::to("/")
}

async fn cart_json(session: Session, Json(form): Json<CartForm>) -> Json<serde_json::Value> {
    let items = common::add_to_cart(&session, &form);
    Json(serde_json::json!({ "items": items }))
}

async fn cart_clear_json(session: Session) -> Json<serde_json::Value> {
    session.remove("cart");
    Json(serde_json::json!({ "items": 0 }))
}

async fn counter(session: Session) -> Json<serde_json::Value> {
    Json(common::counter(&session))
}

async fn session_json(session: Session) -> Json<serde_json::Value> {
    Json(common::session_json(&session))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (layer, metrics, port) = common::start()?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("listening on http://{}/", listener.local_addr()?);
    let app = app(layer).route(
        "/metrics",
        get(move || std::future::ready(metrics.render())),
    );
    axum::serve(listener, app).await?;
    Ok(())
}
