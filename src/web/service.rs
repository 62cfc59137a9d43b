//! The service: opens the session before the inner service, writes it after.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::future::{Held, ResponseFuture, write_session};
use super::layer::Shared;
use super::payload::LayerCodec;
use super::revocation::engine as revocation;
use super::session::Session;
use super::{chunking, metrics};
use crate::codec::Opened;
use crate::value::SessionMap;

/// Opens the first candidate that opens, at most one AEAD attempt per
/// candidate; the second value says whether something was sent and rejected.
fn open_candidates(
    shared: &Shared,
    codec: &dyn LayerCodec,
    incoming: &chunking::Incoming,
) -> (Option<Opened<SessionMap>>, bool) {
    // Counted only when no copy opened: a stale duplicate is no forgery.
    let mut rejections = Vec::new();
    for (index, sealed) in incoming.candidates.iter().enumerate() {
        match codec.open(sealed) {
            Ok(opened) => {
                metrics::opened(&opened.facts);
                if index > 0 {
                    tracing::info!(
                        cookie = shared.name(),
                        tried = index + 1,
                        "session cookie sent several times; opened candidate {}",
                        index + 1
                    );
                }
                return (Some(opened), false);
            }
            Err(error) => {
                rejections.push(error.kind());
                tracing::info!(
                kind = error.kind(),
                %error,
                cookie = shared.name(),
                candidate = index + 1,
                candidates = incoming.candidates.len(),
                "session cookie rejected"
                );
            }
        }
    }
    for kind in rejections {
        metrics::rejected(kind);
    }
    if let Some(error) = incoming.error {
        metrics::rejected(error.kind());
        tracing::info!(
            kind = error.kind(),
            cookie = shared.name(),
            "chunked session cookie could not be reassembled"
        );
    }
    let rejected = !incoming.candidates.is_empty() || incoming.error.is_some();
    if rejected {
        tracing::info!(cookie = shared.name(), "starting a fresh session");
    }
    (None, rejected)
}

/// The [`Service`] made by [`SessionLayer`](super::SessionLayer).
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
        let (session, mut held) = open_session(&self.shared, request.headers());
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
                Ok(revocation::revoke_destroyed(&shared, revocation, &session, response).await)
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

/// Opens the session the request's cookies carry (or adopts a legacy one) and
/// notes what the client holds, for the response.
pub(crate) fn open_session(shared: &Arc<Shared>, headers: &http::HeaderMap) -> (Session, Held) {
    let incoming = chunking::read(headers, shared.name(), shared.max_chunks);
    // One keyring for the whole request, even if a reload lands meanwhile.
    let snapshot = shared.codec();
    let codec: &dyn LayerCodec = &***snapshot;
    let (opened, rejected) = open_candidates(shared, codec, &incoming);
    #[cfg_attr(not(feature = "perl-compat"), allow(unused_mut))]
    let mut session = match opened {
        Some(opened) => Session::opened(
            opened.value,
            opened.flash,
            Some(opened.facts),
            Arc::clone(shared),
        ),
        None => Session::opened(
            SessionMap::new(),
            SessionMap::new(),
            None,
            Arc::clone(shared),
        ),
    };
    #[cfg(feature = "perl-compat")]
    let mut legacy_delete = false;
    #[cfg(feature = "perl-compat")]
    if let Some(perl) = &shared.perl
        && session.facts().is_none()
    {
        let now = codec.now();
        let adopted = perl.adopt(headers, shared.name(), now);
        legacy_delete = adopted.delete_cookie;
        if let Some(map) = adopted.map {
            metrics::legacy_adopted();
            // Written on the way out, in the current suite, re-sealed (not
            // renewed): it keeps the Perl cookie's expiry, cut to the
            // configured timeouts, and never gains a longer one.
            let expires = adopted.expires.map(|at| u64::try_from(at).unwrap_or(0));
            let facts = crate::lifecycle::adopted_facts(
                codec.current_version(),
                codec.primary_key_id(),
                codec.max_age().map(|age| age.as_secs()),
                now,
                expires,
            );
            session = Session::opened(map, SessionMap::new(), Some(facts), Arc::clone(shared));
            session.lock().adopted = true;
        }
    }
    let held = Held {
        main: incoming.main_present,
        chunks: incoming.chunks_held,
        // A name sent twice may include a cookie planted under another
        // Path or Domain: deleting "the" rejected cookie could then hit
        // the user's own, so nothing is deleted.
        rejected: rejected && !incoming.duplicated,
        #[cfg(feature = "perl-compat")]
        legacy_delete,
    };
    (session, held)
}
