//! The session engine, apart from any framework: what the layer does for each
//! request. Before the handler it reads the session cookie(s) from the request's
//! `Cookie` fields (chunks, duplicates, legacy readers) and opens them into a
//! [`Session`]; after it, from the session and the response status, it decides
//! the `Set-Cookie` lines (write, re-issue, renewal, deletion). A framework
//! adapter (the tower layer in `service.rs` and `future.rs`) only moves headers
//! in and out; revocation's asynchronous steps are in `revocation/engine.rs`.

use std::borrow::Cow;
use std::sync::Arc;

use smallvec::{SmallVec, smallvec};

use super::cookie_header::RequestCookies;
use super::layer::Shared;
use super::payload::LayerCodec;
use super::session::Session;
use super::set_cookie::{removal, set_cookie};
use super::{chunking, metrics};
use crate::codec::{Opened, SealOptions};
use crate::error::SealError;
use crate::value::SessionMap;

/// What the client holds, as seen on the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Held {
    /// The main cookie was sent.
    pub(crate) main: bool,
    /// Highest chunk index the client holds.
    pub(crate) chunks: usize,
    /// A cookie was sent but rejected.
    pub(crate) rejected: bool,
    /// Legacy cookies to delete: bits over the legacy readers' cookie names.
    pub(crate) legacy_delete: u64,
}

/// `Set-Cookie` values: most responses write one, kept inline.
pub(crate) type Lines = SmallVec<[String; 2]>;

/// What the engine decided for the response.
#[derive(Debug)]
pub(crate) enum Written {
    /// A server error the session's changes are not written on: nothing to add.
    Untouched,
    /// The session cannot be written as the handler asked: answer `500` (logged).
    ServerError,
    /// These `Set-Cookie` values (possibly none).
    Cookies(Lines),
}

/// The `Set-Cookie` values for a response with `status`, from the session the
/// handler left and what the client held.
pub(crate) fn response_cookies(
    shared: &Shared,
    session: &Session,
    held: Held,
    status: u16,
) -> Written {
    if !shared.writes_session_on(status) {
        // The request failed: the client keeps the cookie it had.
        if session.lock().changed {
            tracing::info!(
                status,
                cookie = shared.name(),
                "server error: the session changes of this request are not written"
            );
        }
        return Written::Untouched;
    }
    let Ok(mut lines) = cookies_to_set(shared, session, held) else {
        return Written::ServerError;
    };
    for name in shared.legacy.names_in(held.legacy_delete) {
        lines.push(removal(shared.attributes(), name));
    }
    Written::Cookies(lines)
}

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

/// Opens the session the request's cookies carry (or adopts a legacy one) and
/// notes what the client holds, for the response.
pub(crate) fn open_session(shared: &Arc<Shared>, cookies: &RequestCookies<'_>) -> (Session, Held) {
    let mut incoming = chunking::read(cookies, shared.name(), shared.max_chunks);
    // A legacy cookie under our own name, told apart by its shape: our codec
    // never tries it.
    let before = incoming.candidates.len();
    if !shared.legacy.is_empty() {
        incoming
            .candidates
            .retain(|candidate| !shared.legacy.claimed(candidate));
    }
    let claimed = incoming.candidates.len() < before;
    // One keyring for the whole request, even if a reload lands meanwhile.
    let snapshot = shared.codec();
    let codec: &dyn LayerCodec = &***snapshot;
    let (opened, mut rejected) = open_candidates(shared, codec, &incoming);
    let mut legacy_delete = 0;
    let session = match opened {
        Some(opened) => Session::opened(
            opened.value,
            opened.flash,
            Some(opened.facts),
            Arc::clone(shared),
        ),
        None if !shared.legacy.is_empty() => {
            let now = codec.now();
            let found = shared.legacy.adopt(cookies, shared.name(), now);
            legacy_delete = found.delete;
            // A claimed cookie that no reader could adopt is deleted as any
            // rejected one.
            rejected |= claimed && found.session.is_none();
            adopted(shared, codec, found.session, now)
        }
        None => Session::opened(
            SessionMap::new(),
            SessionMap::new(),
            None,
            Arc::clone(shared),
        ),
    };
    let held = Held {
        main: incoming.main_present,
        chunks: incoming.chunks_held,
        // A name sent twice may include a cookie planted under another
        // Path or Domain: deleting "the" rejected cookie could then hit
        // the user's own, so nothing is deleted.
        rejected: rejected && !incoming.duplicated,
        legacy_delete,
    };
    (session, held)
}

/// The session a legacy reader found (or an empty one), to be written on the
/// way out in the current suite, re-sealed (not renewed): it keeps the legacy
/// expiry, cut to the configured timeouts, and never gains a longer one.
fn adopted(
    shared: &Arc<Shared>,
    codec: &dyn LayerCodec,
    found: Option<(SessionMap, Option<u64>, &'static str)>,
    now: u64,
) -> Session {
    let Some((map, expires, reader)) = found else {
        return Session::opened(
            SessionMap::new(),
            SessionMap::new(),
            None,
            Arc::clone(shared),
        );
    };
    metrics::legacy_adopted(reader);
    tracing::info!(
        reader,
        cookie = shared.name(),
        "legacy session adopted; re-issuing it in the current format"
    );
    let facts = crate::lifecycle::adopted_facts(
        codec.current_version(),
        codec.primary_key_id(),
        codec.max_age().map(|age| age.as_secs()),
        now,
        expires,
    );
    let session = Session::opened(map, SessionMap::new(), Some(facts), Arc::clone(shared));
    session.lock().adopted = true;
    session
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
fn too_large(shared: &Shared, held: Held, origin: Origin, detail: &str) -> Result<Lines, ()> {
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
    Ok(Lines::new())
}

/// The `Set-Cookie` values to send, or `Err` (already logged) for a 500.
fn cookies_to_set(shared: &Shared, session: &Session, held: Held) -> Result<Lines, ()> {
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
        return Ok(Lines::new());
    }
    if !(state.changed || state.renew || reissue || state.adopted) {
        return Ok(Lines::new());
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
        smallvec![(Cow::Borrowed(name), Cow::Borrowed(sealed.as_str()))]
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
    let mut headers: Lines = cookies
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
fn deletions(shared: &Shared, held: Held, main: bool, from: usize) -> Lines {
    let attributes = shared.attributes();
    let name = shared.name();
    let mut headers = Lines::new();
    if main {
        headers.push(removal(attributes, name));
    }
    for index in from..=held.chunks {
        headers.push(removal(attributes, &chunking::chunk_name(name, index)));
    }
    headers
}
