//! The response future: writes (or deletes) the session cookie once the inner
//! service has answered.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::header::SET_COOKIE;
use http::{HeaderValue, Response, StatusCode};

use super::layer::{Shared, removal, set_cookie};
use super::payload::LayerCodec;
use super::session::Session;
use super::{cache, chunking, metrics};
use crate::codec::SealOptions;
use crate::error::SealError;

/// What the client holds, as seen on the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Held {
    /// The main cookie was sent.
    pub(crate) main: bool,
    /// Highest chunk index the client holds.
    pub(crate) chunks: usize,
    /// A cookie was sent but rejected.
    pub(crate) rejected: bool,
    /// A Perl session cookie under another name is to be deleted.
    #[cfg(feature = "perl-compat")]
    pub(crate) legacy_delete: bool,
}

/// The boxed future of a request whose session a revocation store checks.
type Checked<O> = Pin<Box<dyn Future<Output = O> + Send>>;

pin_project_lite::pin_project! {
    /// Response future of [`SessionService`](super::SessionService).
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
    if response.status().is_server_error() && !shared.commit_on_server_error {
        // The request failed: the client keeps the cookie it had.
        if session.lock().changed {
            tracing::info!(
                status = response.status().as_u16(),
                cookie = shared.name(),
                "server error: the session changes of this request are not written"
            );
        }
        return response;
    }
    #[cfg_attr(not(feature = "perl-compat"), allow(unused_mut))]
    let Ok(mut headers) = cookies_to_set(shared, session, held) else {
        return server_error();
    };
    #[cfg(feature = "perl-compat")]
    if let (true, Some(perl)) = (held.legacy_delete, &shared.perl) {
        headers.push(removal(shared.attributes(), &perl.cookie_name));
    }
    let read = session.lock().read;
    let response_headers = response.headers_mut();
    for header in &headers {
        match HeaderValue::try_from(header.as_str()) {
            Ok(value) => {
                response_headers.append(SET_COOKIE, value);
            }
            Err(_) => {
                tracing::error!("session Set-Cookie header is not a valid header value");
                return server_error();
            }
        }
    }
    if !headers.is_empty() {
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

/// Who asked for the write that did not fit, and so what happens instead.
#[derive(Debug, Clone, Copy)]
struct Origin {
    /// The handler wrote or renewed the session: its write cannot be dropped.
    handler: bool,
    /// The session came from a legacy cookie.
    adopted: bool,
}

/// A session that does not fit its cookies. A handler's own write is a 500
/// (`Err`, logged); a re-issue or renewal is skipped and the client keeps its
/// cookie; a legacy session that cannot be re-sealed becomes a fresh session
/// and its cookie is deleted.
fn too_large(shared: &Shared, held: Held, origin: Origin, detail: &str) -> Result<Vec<String>, ()> {
    metrics::too_large();
    let name = shared.name();
    if origin.adopted {
        tracing::warn!(
            cookie = name,
            "legacy session does not fit the current format ({detail}); \
             starting a fresh session and deleting the legacy cookie"
        );
        return Ok(deletions(shared, held, held.main, 1));
    }
    if origin.handler {
        tracing::error!(
            cookie = name,
            "session does not fit its cookie ({detail}); store less in the session, \
             turn chunking on or raise the budgets. Answering 500 rather than dropping the cookie"
        );
        return Err(());
    }
    tracing::warn!(
        cookie = name,
        "session re-issue skipped: it no longer fits ({detail}); the client keeps its cookie"
    );
    Ok(Vec::new())
}

/// The `Set-Cookie` values to send, or `Err` (already logged) for a 500.
fn cookies_to_set(shared: &Shared, session: &Session, held: Held) -> Result<Vec<String>, ()> {
    let snapshot = shared.codec();
    let codec: &dyn LayerCodec = &***snapshot;
    let mut state = session.lock();
    let reissue = state.facts.is_some_and(|facts| facts.needs_reissue);
    let holds_any = held.main || held.chunks > 0;
    if state.map.is_empty() && state.flash.is_empty() {
        // Nothing to keep: delete what the client holds if it changed or was bad.
        if holds_any && (state.changed || held.rejected || reissue) {
            return Ok(deletions(shared, held, held.main, 1));
        }
        return Ok(Vec::new());
    }
    if !(state.changed || state.renew || reissue || state.adopted) {
        return Ok(Vec::new());
    }
    let origin = Origin {
        handler: state.changed || state.renew,
        adopted: state.adopted,
    };
    // Renewal for activity re-seals too, keeping the creation time: only the
    // handler's renew() starts a new session (new id, new creation time).
    // Under a format 1 writer, a format 1 cookie due for renewal is sealed fresh,
    // as format 1 always renewed (it records no seal time to move).
    let format_1_renewal = |facts: &crate::Facts| {
        facts.renewal_due
            && facts.format == crate::Format::V1
            && codec.envelope_format() == crate::Format::V1
    };
    let continues = state
        .facts
        .filter(|facts| !state.renew && !format_1_renewal(facts));
    let (facts, renewed) = (state.facts, state.renew);
    let browser_session = !super::session::persistent(&state, shared.persistent);
    let now = codec.now();
    let flash = std::mem::take(&mut state.flash);
    let options = SealOptions {
        continues: continues.as_ref(),
        browser_session,
        flash: Some(&flash),
    };
    let sealed = codec.seal(&mut state.map, &options, now);
    state.flash = flash;
    drop(state);
    let sealed = match sealed {
        Ok(sealed) => sealed,
        Err(SealError::TooLarge { needed, budget }) => {
            return too_large(
                shared,
                held,
                origin,
                &format!("{needed} bytes of Set-Cookie, over the budget of {budget}"),
            );
        }
        // A legacy session, or a re-issue of a cookie, that the declared session
        // type cannot hold: not the handler's doing, so no 500.
        Err(SealError::Serialize(error)) if origin.adopted || !origin.handler => {
            return too_large(shared, held, origin, &error.to_string());
        }
        Err(SealError::AlreadyExpired { expires_at }) => {
            tracing::info!(
                expires_at,
                cookie = shared.name(),
                "session expired while the request ran; deleting it"
            );
            return Ok(deletions(shared, held, held.main, 1));
        }
        Err(error) => {
            tracing::error!(%error, cookie = shared.name(), "session could not be sealed; answering 500");
            return Err(());
        }
    };
    // A browser-session cookie carries neither Max-Age nor Expires.
    let expires_at = sealed.expires_at.filter(|_| !browser_session);
    let max_age = expires_at.map(|at| at.saturating_sub(now));
    let sealed = sealed.value;
    let name = shared.name();
    let whole = codec.measured_len(name, sealed.len(), max_age, expires_at);
    // The cookies to set, as (name, value): the sealed value itself, or a
    // marker and the chunks.
    let cookies = if whole <= shared.cookie_budget {
        vec![(name.to_owned(), sealed)]
    } else {
        let Some(cap) = shared.max_chunks else {
            // The codec's budget is the cookie budget when chunking is off.
            return too_large(
                shared,
                held,
                origin,
                &format!("{whole} bytes, over the budget of {}", shared.cookie_budget),
            );
        };
        let longest = chunking::chunk_name(name, cap);
        let room = shared
            .cookie_budget
            .saturating_sub(codec.measured_len(&longest, 0, max_age, expires_at));
        let parts = chunking::split(&sealed, room);
        if parts.len() > cap {
            return too_large(
                shared,
                held,
                origin,
                &format!(
                    "{} chunk cookies of at most {room} bytes of value each, over the cap of {cap}",
                    parts.len()
                ),
            );
        }
        chunking::cookies(name, &parts)
    };
    let request = Shared::request_len(&cookies);
    if request > shared.request_room {
        return too_large(
            shared,
            held,
            origin,
            &format!(
                "{request} bytes of Cookie request header over {} cookies, over the {} left by request_header_budget",
                cookies.len(),
                shared.request_room
            ),
        );
    }
    let attributes = shared.attributes();
    let mut headers: Vec<String> = cookies
        .iter()
        .map(|(cookie, value)| set_cookie(attributes, cookie, value, max_age, expires_at))
        .collect();
    metrics::written(&headers, cookies.len());
    match (origin.handler, facts) {
        (true, _) if renewed => metrics::renewed(),
        (false, Some(facts)) if !origin.adopted => metrics::reissued(&facts),
        _ => {}
    }
    // Unchunked: every chunk the client holds is stale; chunked into n parts
    // (n + 1 cookies): the chunks above n are.
    headers.extend(deletions(shared, held, false, cookies.len()));
    Ok(headers)
}

/// Deletes the main cookie (when `main`) and chunks `from..=held.chunks`.
fn deletions(shared: &Shared, held: Held, main: bool, from: usize) -> Vec<String> {
    let attributes = shared.attributes();
    let name = shared.name();
    let mut headers = Vec::new();
    if main {
        headers.push(removal(attributes, name));
    }
    for index in from..=held.chunks {
        headers.push(removal(attributes, &chunking::chunk_name(name, index)));
    }
    headers
}
