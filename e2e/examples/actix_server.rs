//! The example app of `examples/server.rs` on actix-web: the same routes,
//! pages and JSON, behind [`SessionMiddleware`], with the same configuration.
//!
//! ```sh
//! SEALED_COOKIE_KEYS=$(head -c 32 /dev/urandom | basenc --base64url | tr -d '=') \
//!     cargo run -p sealed-cookie-e2e --example actix_server --features actix,metrics
//! ```
//!
//! Listens on 127.0.0.1, port `PORT` (default 3000). Settings, keys, revocation
//! and legacy readers come from `examples/server.toml` and the `SEALED_COOKIE_*`
//! variables exactly as for `examples/server.rs`, whose documentation lists the
//! routes.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::web::{self, Data, Form, Json};
use actix_web::{App, HttpResponse, HttpServer, Responder};
use sealed_cookie::web::actix::SessionMiddleware;
use sealed_cookie::web::{Session, SessionLayer, TypedSession};

// Each example binary holds its own copy; the tests include both servers.
#[allow(clippy::duplicate_mod)]
#[path = "common/mod.rs"]
mod common;
pub use common::AppSession;
use common::{CartForm, LoginForm};

/// The app's routes (the middleware is wrapped around them by the caller:
/// `App::new().wrap(SessionMiddleware::new(layer.clone())).app_data(Data::new(layer)).configure(routes)`).
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(index))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/logout/everywhere", web::post().to(logout_everywhere))
        .route("/api/flash", web::get().to(flash_json))
        .route("/cart", web::post().to(cart_form))
        .route("/cart/clear", web::post().to(cart_clear_form))
        .route("/api/counter", web::get().to(counter))
        .route("/api/session", web::get().to(session_json))
        .route("/api/cart", web::post().to(cart_json))
        .route("/api/cart/clear", web::post().to(cart_clear_json));
}

/// `303 See Other` to `/`, as axum's `Redirect::to`.
fn to_index() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, "/"))
        .finish()
}

async fn index(session: TypedSession<AppSession>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(common::index(session))
}

async fn login(session: Session, form: Form<LoginForm>) -> HttpResponse {
    common::login(&session, &form);
    to_index()
}

/// Ends the session; with a revocation store, a copy of its cookie is refused too.
async fn logout(session: Session) -> HttpResponse {
    session.destroy();
    to_index()
}

/// Ends every session of the signed-in user, on every server sharing the store.
async fn logout_everywhere(layer: Data<SessionLayer>, session: Session) -> HttpResponse {
    let Ok(Some(user)) = session.get::<String>("user") else {
        return HttpResponse::Forbidden().body("not signed in");
    };
    match layer.revoke_user(&user, layer.now()).await {
        Ok(()) => {
            session.destroy();
            to_index()
        }
        Err(error) => {
            tracing::error!(%error, "logout everywhere failed");
            HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE)
                .body("the revocation store did not answer")
        }
    }
}

async fn flash_json(session: Session) -> impl Responder {
    Json(common::flash_json(&session))
}

async fn cart_form(session: Session, form: Form<CartForm>) -> HttpResponse {
    common::add_to_cart(&session, &form);
    to_index()
}

async fn cart_clear_form(session: Session) -> HttpResponse {
    session.remove("cart");
    to_index()
}

async fn cart_json(session: Session, form: Json<CartForm>) -> impl Responder {
    let items = common::add_to_cart(&session, &form);
    Json(serde_json::json!({ "items": items }))
}

async fn cart_clear_json(session: Session) -> impl Responder {
    session.remove("cart");
    Json(serde_json::json!({ "items": 0 }))
}

async fn counter(session: Session) -> impl Responder {
    Json(common::counter(&session))
}

async fn session_json(session: Session) -> impl Responder {
    Json(common::session_json(&session))
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (layer, metrics, port) = common::start()?;
    let server = HttpServer::new(move || {
        let metrics = metrics.clone();
        App::new()
            .wrap(SessionMiddleware::new(layer.clone()))
            .app_data(Data::new(layer.clone()))
            .configure(routes)
            .route(
                "/metrics",
                web::get().to(move || std::future::ready(metrics.render())),
            )
    })
    .bind(("127.0.0.1", port))?;
    println!("listening on http://{}/", server.addrs()[0]);
    server.run().await?;
    Ok(())
}
