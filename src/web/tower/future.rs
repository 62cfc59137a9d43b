//! The tower adapter's response future: once the inner service has answered,
//! applies what the engine decided (`Set-Cookie`, cache headers) to the
//! `http::Response`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::header::SET_COOKIE;
use http::{HeaderValue, Response, StatusCode};

use crate::web::cache;
use crate::web::engine::{self, Held};
use crate::web::layer::Shared;
use crate::web::session::Session;

/// The boxed future of a request whose session a revocation store checks.
type Checked<O> = Pin<Box<dyn Future<Output = O> + Send>>;

pin_project_lite::pin_project! {
    /// Response future of [`SessionService`](crate::web::SessionService).
    pub struct ResponseFuture<F: Future> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProjection]
    enum Kind<F: Future> {
        // No revocation store: the session was opened in `call`, no allocation.
        Direct {
            #[pin]
            inner: F,
            shared: Arc<Shared>,
            session: Session,
            held: Held,
        },
        // A revocation store is asked before the handler runs, and told after.
        Checked {
            future: Checked<F::Output>,
        },
    }
}

impl<F: Future> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F: Future> ResponseFuture<F> {
    pub(crate) fn new(inner: F, shared: Arc<Shared>, session: Session, held: Held) -> Self {
        Self {
            kind: Kind::Direct {
                inner,
                shared,
                session,
                held,
            },
        }
    }

    pub(crate) fn checked(future: Checked<F::Output>) -> Self {
        Self {
            kind: Kind::Checked { future },
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProjection::Direct {
                inner,
                shared,
                session,
                held,
            } => {
                let response = ready!(inner.poll(cx))?;
                Poll::Ready(Ok(write_session(shared, session, *held, response)))
            }
            KindProjection::Checked { future } => future.as_mut().poll(cx),
        }
    }
}

/// Adds the session's `Set-Cookie` lines (and cache headers) to the handler's
/// response, or replaces it with a `500` when the session cannot be written.
pub(crate) fn write_session<B: Default>(
    shared: &Shared,
    session: &Session,
    held: Held,
    mut response: Response<B>,
) -> Response<B> {
    let lines = match engine::response_cookies(shared, session, held, response.status().as_u16()) {
        engine::Written::Untouched => return response,
        engine::Written::ServerError => return server_error(),
        engine::Written::Cookies(lines) => lines,
    };
    let read = session.lock().read;
    let response_headers = response.headers_mut();
    let sets_cookies = !lines.is_empty();
    for line in lines {
        // The line's own buffer becomes the header value: no copy.
        match HeaderValue::try_from(line) {
            Ok(value) => {
                response_headers.append(SET_COOKIE, value);
            }
            Err(_) => {
                tracing::error!("session Set-Cookie header is not a valid header value");
                return server_error();
            }
        }
    }
    if sets_cookies {
        cache::keep_private(response_headers, shared.cache_control);
    }
    if read {
        cache::vary_on_cookie(response_headers);
    }
    response
}

fn server_error<B: Default>() -> Response<B> {
    status_only(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An empty response with `status`.
pub(crate) fn status_only<B: Default>(status: StatusCode) -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = status;
    response
}
