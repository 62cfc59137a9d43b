//! The response future: writes (or deletes) the session cookie once the inner
//! service has answered.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::SET_COOKIE;
use http::{HeaderValue, Response, StatusCode};

use super::chunking;
use super::layer::{Shared, removal, set_cookie};
use super::session::Session;
use crate::envelope::{self, HEADER_LEN, Header};
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

pin_project_lite::pin_project! {
    /// Response future of [`SessionService`](super::SessionService).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        shared: Arc<Shared>,
        session: Session,
        held: Held,
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, shared: Arc<Shared>, session: Session, held: Held) -> Self {
        Self {
            inner,
            shared,
            session,
            held,
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
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        match cookies_to_set(this.shared, this.session, *this.held) {
            #[cfg_attr(not(feature = "perl-compat"), allow(unused_mut))]
            Ok(mut headers) => {
                #[cfg(feature = "perl-compat")]
                if let (true, Some(perl)) = (this.held.legacy_delete, &this.shared.perl) {
                    headers.push(removal(this.shared.attributes(), &perl.cookie_name));
                }
                for header in headers {
                    match HeaderValue::try_from(header) {
                        Ok(value) => {
                            response.headers_mut().append(SET_COOKIE, value);
                        }
                        Err(_) => {
                            tracing::error!(
                                "session Set-Cookie header is not a valid header value"
                            );
                            return Poll::Ready(Ok(server_error()));
                        }
                    }
                }
                Poll::Ready(Ok(response))
            }
            Err(()) => Poll::Ready(Ok(server_error())),
        }
    }
}

fn server_error<B: Default>() -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}

/// The `Set-Cookie` values to send, or `Err` (already logged) for a 500.
fn cookies_to_set(shared: &Shared, session: &Session, held: Held) -> Result<Vec<String>, ()> {
    let state = session.lock();
    let reissue = state.facts.is_some_and(|facts| facts.needs_reissue);
    let holds_any = held.main || held.chunks > 0;
    if state.map.is_empty() {
        // Nothing to keep: delete what the client holds if it changed or was bad.
        if holds_any && (state.changed || held.rejected || reissue) {
            return Ok(deletions(shared, held, held.main, 1));
        }
        return Ok(Vec::new());
    }
    if !(state.changed || state.renew || reissue) {
        return Ok(Vec::new());
    }
    let sealed = match state.facts {
        Some(facts) if !state.renew && !facts.renewal_due => {
            shared.codec.reseal(&state.map, &facts)
        }
        _ => shared.codec.seal(&state.map),
    };
    let sealed = match sealed {
        Ok(sealed) => sealed,
        Err(SealError::TooLarge { needed, budget }) => {
            tracing::error!(
                needed,
                budget,
                cookie = shared.name(),
                "session does not fit its cookie: the Set-Cookie header would be {needed} bytes, \
                 over the budget of {budget}; store less in the session or turn chunking on. \
                 Answering 500 rather than dropping the cookie"
            );
            return Err(());
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
    drop(state);
    let (max_age, expires_at) = lifetime_of(shared, &sealed);
    let attributes = shared.attributes();
    let name = shared.name();
    let whole = attributes.rendered_len(name, sealed.len(), max_age, expires_at);
    if whole <= shared.cookie_budget {
        let mut headers = vec![set_cookie(attributes, name, &sealed, max_age, expires_at)];
        headers.extend(deletions(shared, held, false, 1));
        return Ok(headers);
    }
    let Some(cap) = shared.max_chunks else {
        // The codec's budget is the cookie budget when chunking is off.
        tracing::error!(
            needed = whole,
            budget = shared.cookie_budget,
            "session does not fit its cookie; answering 500"
        );
        return Err(());
    };
    let longest = chunking::chunk_name(name, cap);
    let room = shared
        .cookie_budget
        .saturating_sub(attributes.rendered_len(&longest, 0, max_age, expires_at));
    let parts = chunking::split(&sealed, room);
    if parts.len() > cap {
        tracing::error!(
            chunks = parts.len(),
            cap,
            sealed_len = sealed.len(),
            cookie = name,
            "session needs {} chunk cookies of at most {room} bytes of value each, over the cap of {cap}; \
             store less in the session or raise the chunk cap. Answering 500 rather than dropping the cookie",
            parts.len()
        );
        return Err(());
    }
    let mut headers = Vec::with_capacity(parts.len() + 1);
    headers.push(set_cookie(
        attributes,
        name,
        &chunking::marker(parts.len()),
        max_age,
        expires_at,
    ));
    for (index, part) in parts.iter().enumerate() {
        let chunk = chunking::chunk_name(name, index + 1);
        headers.push(set_cookie(attributes, &chunk, part, max_age, expires_at));
    }
    headers.extend(deletions(shared, held, false, parts.len() + 1));
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

/// `Max-Age` and expiry of a freshly sealed value, read from its header.
fn lifetime_of(shared: &Shared, sealed: &str) -> (Option<u64>, Option<u64>) {
    let mut bytes = [0u8; HEADER_LEN];
    let header = sealed
        .get(..envelope::encoded_len(HEADER_LEN))
        .and_then(|text| URL_SAFE_NO_PAD.decode_slice(text, &mut bytes).ok())
        .and_then(|_| Header::parse(&bytes).ok());
    let expires_at = header.and_then(|header| header.expires_at());
    let max_age = expires_at.map(|at| at.saturating_sub(shared.codec.now()));
    (max_age, expires_at)
}
