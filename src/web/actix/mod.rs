//! The actix-web 4 adapter (feature `actix`): [`SessionMiddleware`] wraps an
//! `App` or a scope, and [`Session`] and [`TypedSession`] are extractors, with
//! the same semantics as on axum: the engine behind both is the same, and so
//! are the configuration ([`SessionLayer::builder`], [`SessionConfig`](crate::web::SessionConfig),
//! TOML, `SEALED_COOKIE_*`), chunking, re-issue, lifetimes, revocation and the
//! legacy readers.
//!
//! ```
//! # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
//! use actix_web::{App, web};
//! use sealed_cookie::web::actix::SessionMiddleware;
//! use sealed_cookie::web::{Session, SessionLayer};
//! use sealed_cookie::{Key, Keyring};
//!
//! async fn counter(session: Session) -> actix_web::Result<String> {
//!     let count = session.get::<u64>("count")?.unwrap_or(0) + 1;
//!     session.insert("count", &count)?;
//!     Ok(count.to_string())
//! }
//!
//! let layer = SessionLayer::builder()
//!     .keyring(Keyring::new(Key::generate()?))
//!     .build()?;
//! // HttpServer::new(move || App::new().wrap(SessionMiddleware::new(layer.clone())) ...)
//! let app = App::new()
//!     .wrap(SessionMiddleware::new(layer))
//!     .route("/counter", web::get().to(counter));
//! # let _ = app;
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod extract;

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage as _, HttpResponse};

use super::cookie_header::RequestCookies;
use super::engine::{self, Held, Written};
use super::layer::Shared;
use super::revocation::engine as revocation;
use super::session::Session;
use super::{SessionLayer, cache};

#[cfg(doc)]
use super::TypedSession;

/// The session middleware for actix-web, made from a [`SessionLayer`]:
/// `App::new().wrap(SessionMiddleware::new(layer))`. Cheap to clone (one
/// `Arc`), as `HttpServer::new` asks of what each worker's app wraps.
#[derive(Clone, Debug)]
pub struct SessionMiddleware {
    layer: SessionLayer,
}

impl SessionMiddleware {
    /// The middleware for `layer`'s configuration.
    #[must_use]
    pub fn new(layer: SessionLayer) -> Self {
        Self { layer }
    }

    /// The layer it was made from (for `revoke_user`, say).
    #[must_use]
    pub fn layer(&self) -> &SessionLayer {
        &self.layer
    }
}

impl From<SessionLayer> for SessionMiddleware {
    fn from(layer: SessionLayer) -> Self {
        Self::new(layer)
    }
}

impl<S, B> Transform<S, ServiceRequest> for SessionMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = SessionMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionMiddlewareService {
            inner: Rc::new(service),
            shared: Arc::clone(&self.layer.shared),
        }))
    }
}

/// The service [`SessionMiddleware`] wraps around the app's.
pub struct SessionMiddlewareService<S> {
    inner: Rc<S>,
    shared: Arc<Shared>,
}

impl<S> std::fmt::Debug for SessionMiddlewareService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionMiddlewareService")
            .field("cookie_name", &self.shared.name())
            .finish_non_exhaustive()
    }
}

type Answer<B> = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>;

impl<S, B> Service<ServiceRequest> for SessionMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Answer<B>>>>;

    forward_ready!(inner);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let (session, mut held) = {
            let fields = request
                .headers()
                .get_all(header::COOKIE)
                .map(HeaderValue::as_bytes);
            engine::open_session(&self.shared, &RequestCookies::from_fields(fields))
        };
        let shared = Arc::clone(&self.shared);
        let inner = Rc::clone(&self.inner);
        Box::pin(async move {
            if let Some(revocation) = &shared.revocation {
                revocation::verify(&shared, revocation, &session, &mut held).await;
            }
            request.extensions_mut().insert(session.clone());
            let response = inner.call(request).await?;
            let response = write_session(&shared, &session, held, response);
            if let Some(revocation) = &shared.revocation {
                let status = response.status().as_u16();
                if !revocation::revoke_ended(&shared, revocation, &session, status).await {
                    return Ok(unavailable(response));
                }
            }
            Ok(response)
        })
    }
}

/// Adds the engine's `Set-Cookie` lines (and cache headers) to the handler's
/// response, or replaces it with a `500` when the session cannot be written.
fn write_session<B>(
    shared: &Shared,
    session: &Session,
    held: Held,
    mut response: ServiceResponse<B>,
) -> ServiceResponse<EitherBody<B>> {
    let lines = match engine::response_cookies(shared, session, held, response.status().as_u16()) {
        Written::Untouched => return response.map_into_left_body(),
        Written::ServerError => return replaced(response, StatusCode::INTERNAL_SERVER_ERROR),
        Written::Cookies(lines) => lines,
    };
    let read = session.lock().read;
    let headers = response.headers_mut();
    let sets_cookies = !lines.is_empty();
    for line in lines {
        // The line's own buffer becomes the header value: no copy.
        let Ok(value) = HeaderValue::try_from(line) else {
            tracing::error!("session Set-Cookie header is not a valid header value");
            return replaced(response, StatusCode::INTERNAL_SERVER_ERROR);
        };
        headers.append(header::SET_COOKIE, value);
    }
    if sets_cookies && !headers.contains_key(header::CACHE_CONTROL) {
        // Most handlers set none: the directive alone, without parsing.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(shared.cache_control.as_str()),
        );
    } else if sets_cookies {
        let existing = headers
            .get_all(header::CACHE_CONTROL)
            .filter_map(|value| value.to_str().ok());
        if let Some(value) = cache::private_cache_control(existing, shared.cache_control)
            && let Ok(value) = HeaderValue::try_from(value)
        {
            headers.insert(header::CACHE_CONTROL, value);
        }
    }
    if read {
        let existing = headers
            .get_all(header::VARY)
            .filter_map(|value| value.to_str().ok());
        if !cache::varies_on_cookie(existing) {
            headers.append(header::VARY, HeaderValue::from_static("Cookie"));
        }
    }
    response.map_into_left_body()
}

/// An empty response with `status` in place of `response`.
fn replaced<B>(response: ServiceResponse<B>, status: StatusCode) -> ServiceResponse<EitherBody<B>> {
    response
        .into_response(HttpResponse::new(status))
        .map_into_right_body()
}

/// A `503` in place of `response`, keeping its `Set-Cookie` lines (the cookie is
/// still deleted) and cache headers: a logout that the store did not record.
fn unavailable<B>(response: ServiceResponse<EitherBody<B>>) -> ServiceResponse<EitherBody<B>> {
    let mut failed = HttpResponse::new(StatusCode::SERVICE_UNAVAILABLE);
    for value in response.headers().get_all(header::SET_COOKIE) {
        failed
            .headers_mut()
            .append(header::SET_COOKIE, value.clone());
    }
    for name in [header::CACHE_CONTROL, header::VARY] {
        if let Some(value) = response.headers().get(&name) {
            failed.headers_mut().insert(name, value.clone());
        }
    }
    response.into_response(failed).map_into_right_body()
}
