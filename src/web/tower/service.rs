//! The tower adapter's service: asks the engine to open the session before the
//! inner service, and to write it after.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::future::{ResponseFuture, write_session};
use crate::web::cookie_header::RequestCookies;
use crate::web::engine;
use crate::web::layer::Shared;
use crate::web::revocation::engine as revocation;

/// The [`Service`] made by [`SessionLayer`](crate::web::SessionLayer).
pub struct SessionService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: Clone> Clone for SessionService<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for SessionService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionService")
            .field("inner", &self.inner)
            .field("cookie_name", &self.shared.name())
            .finish_non_exhaustive()
    }
}

impl<S> SessionService<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        Self { inner, shared }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let cookies = RequestCookies::from_headers(request.headers());
        let (session, mut held) = engine::open_session(&self.shared, &cookies);
        drop(cookies);
        if self.shared.revocation.is_some() {
            // The store answers asynchronously: the inner service is called once
            // it has, on a clone (the ready one moves into the future, as tower
            // asks of services that call later).
            let clone = self.inner.clone();
            let mut inner = std::mem::replace(&mut self.inner, clone);
            let shared = Arc::clone(&self.shared);
            return ResponseFuture::checked(Box::pin(async move {
                let revocation = shared.revocation.as_ref().expect("checked above");
                revocation::verify(&shared, revocation, &session, &mut held).await;
                request.extensions_mut().insert(session.clone());
                let response = inner.call(request).await?;
                let response = write_session(&shared, &session, held, response);
                let status = response.status().as_u16();
                if revocation::revoke_ended(&shared, revocation, &session, status).await {
                    Ok(response)
                } else {
                    Ok(unavailable(response))
                }
            }));
        }
        request.extensions_mut().insert(session.clone());
        ResponseFuture::new(
            self.inner.call(request),
            Arc::clone(&self.shared),
            session,
            held,
        )
    }
}

/// A `503` in place of `response`, keeping its `Set-Cookie` lines (the cookie is
/// still deleted) and cache headers: a logout that the store did not record.
fn unavailable<B: Default>(response: http::Response<B>) -> http::Response<B> {
    use http::header::{CACHE_CONTROL, SET_COOKIE, VARY};
    let mut failed = super::future::status_only(http::StatusCode::SERVICE_UNAVAILABLE);
    for value in response.headers().get_all(SET_COOKIE) {
        failed.headers_mut().append(SET_COOKIE, value.clone());
    }
    for name in [CACHE_CONTROL, VARY] {
        if let Some(value) = response.headers().get(&name) {
            failed.headers_mut().insert(name, value.clone());
        }
    }
    failed
}
