//! The tower adapter (feature `tower`): [`SessionLayer`](crate::web::SessionLayer)
//! is a [`tower_layer::Layer`]; its service moves the request's `Cookie` fields
//! into the engine and the engine's `Set-Cookie` lines onto the `http::Response`.
//! With the `axum` feature, [`Session`](crate::web::Session) and
//! [`TypedSession`](crate::web::TypedSession) are extractors.

#[cfg(feature = "axum")]
mod axum;
pub(crate) mod future;
pub(crate) mod service;

use std::sync::Arc;

use tower_layer::Layer;

use super::SessionLayer;
use service::SessionService;

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService::new(inner, Arc::clone(&self.shared))
    }
}
