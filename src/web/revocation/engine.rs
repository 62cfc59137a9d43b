//! What the layer does with a revocation store around each request: ask before
//! the handler runs, revoke after it destroyed the session.

use std::sync::Arc;

use http::{Response, StatusCode};

use super::{OnStoreError, RevocationQuery, RevocationStore, Verdict};
use crate::lifecycle::Facts;
use crate::value::{SessionMap, Value};
use crate::web::future::Held;
use crate::web::layer::Shared;
use crate::web::metrics;
use crate::web::session::Session;

/// A layer's revocation settings.
#[derive(Clone)]
pub(crate) struct Revocation {
    pub(crate) store: Arc<dyn RevocationStore>,
    pub(crate) on_error: OnStoreError,
    /// The session entry that names the user.
    pub(crate) user_entry: String,
}

/// The user key an entry holds: a string, or an integer written in decimal.
pub(crate) fn user_of(map: &SessionMap, entry: &str) -> Option<String> {
    match map.get(entry)? {
        Value::String(user) => Some(user.clone()),
        Value::Int(n) => Some(n.to_string()),
        Value::UInt(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Asks the store about the request's session and empties it when revoked (the
/// cookie is then deleted) or, under [`OnStoreError::Refuse`], when the store
/// does not answer (the cookie is kept for when it does).
pub(crate) async fn verify(
    shared: &Shared,
    revocation: &Revocation,
    session: &Session,
    held: &mut Held,
) {
    let (facts, user) = {
        let state = session.lock();
        let Some(facts) = state.facts.filter(|_| !state.adopted) else {
            return;
        };
        (facts, user_of(&state.map, &revocation.user_entry))
    };
    if facts.session_id.is_none() && user.is_none() {
        return;
    }
    let query = RevocationQuery {
        session_id: facts.session_id,
        user: user.as_deref(),
        created_at: facts.issued_at,
        now: shared.codec().now(),
    };
    match revocation.store.check(query).await {
        Ok(Verdict::Live) => {}
        Ok(verdict) => {
            metrics::rejected(verdict.kind());
            tracing::info!(
                kind = verdict.kind(),
                cookie = shared.name(),
                session_id = %display_id(&facts),
                "session revoked; starting a fresh session"
            );
            forget(session);
            // A revoked cookie is deleted, as any rejected one.
            held.rejected = true;
        }
        Err(error) => match revocation.on_error {
            OnStoreError::Refuse => {
                metrics::rejected("revocation_store_unreachable");
                tracing::error!(
                    %error,
                    cookie = shared.name(),
                    "revocation store unreachable: serving this request without its session \
                     (revocation_on_error = refuse); the cookie is kept"
                );
                let facts = forget(session);
                session.lock().unverified = facts;
            }
            OnStoreError::Accept => {
                tracing::warn!(
                    %error,
                    cookie = shared.name(),
                    "revocation store unreachable: using the session unchecked \
                     (revocation_on_error = accept)"
                );
            }
        },
    }
}

fn display_id(facts: &Facts) -> String {
    facts
        .session_id
        .map_or_else(|| "none".to_owned(), |id| id.to_string())
}

/// Empties the session as if the request had carried none; its facts.
fn forget(session: &Session) -> Option<Facts> {
    let mut state = session.lock();
    state.map.clear();
    state.flash.clear();
    state.facts.take()
}

/// Until when a revocation of a session with these facts matters: until it
/// could no longer open anyway, its absolute expiry or the idle timeout from now
/// (a copy sealed later than now cannot exist), plus the skew allowance.
pub(crate) fn session_until(facts: &Facts, now: u64, idle: Option<u64>, skew: u64) -> Option<u64> {
    let idle = idle.map(|idle| now.saturating_add(idle));
    let until = match (facts.absolute_expires_at, idle) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    until.map(|until| until.saturating_add(skew))
}

/// After the handler: revokes a destroyed session's id. Under
/// [`OnStoreError::Refuse`] a revocation that fails turns the response into a
/// `503` (its cookie deletions kept): the logout did not take.
pub(crate) async fn revoke_destroyed<B: Default>(
    shared: &Shared,
    revocation: &Revocation,
    session: &Session,
    response: Response<B>,
) -> Response<B> {
    let Some(facts) = session.lock().destroyed.take() else {
        return response;
    };
    let Some(id) = facts.session_id else {
        return response;
    };
    let (now, idle, skew) = {
        let codec = shared.codec();
        (
            codec.now(),
            codec.idle_timeout().map(|d| d.as_secs()),
            codec.clock_skew().as_secs(),
        )
    };
    let until = session_until(&facts, now, idle, skew);
    match revocation.store.revoke_session(id, until).await {
        Ok(()) => {
            metrics::revoked();
            tracing::info!(cookie = shared.name(), session_id = %id, "session revoked at logout");
            response
        }
        Err(error) => {
            tracing::error!(%error, cookie = shared.name(), session_id = %id, "session could not be revoked at logout");
            match revocation.on_error {
                OnStoreError::Accept => response,
                OnStoreError::Refuse => {
                    let mut failed =
                        crate::web::future::status_only(StatusCode::SERVICE_UNAVAILABLE);
                    for value in response.headers().get_all(http::header::SET_COOKIE) {
                        failed
                            .headers_mut()
                            .append(http::header::SET_COOKIE, value.clone());
                    }
                    for name in [http::header::CACHE_CONTROL, http::header::VARY] {
                        if let Some(value) = response.headers().get(&name) {
                            failed.headers_mut().insert(name, value.clone());
                        }
                    }
                    failed
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revocation_lasts_as_long_as_a_copy_could_open() {
        let codec = crate::Codec::<u8>::builder()
            .keyring(crate::Keyring::new(
                crate::Key::from_bytes(&[3; 32]).unwrap(),
            ))
            .build()
            .unwrap();
        let cookie = codec.seal_at(&1, 50).unwrap();
        let mut facts = codec.open_at(&cookie, 50).unwrap().facts;
        facts.absolute_expires_at = Some(1_000);
        assert_eq!(session_until(&facts, 100, Some(300), 60), Some(460));
        assert_eq!(session_until(&facts, 900, Some(300), 60), Some(1_060));
        assert_eq!(session_until(&facts, 900, None, 0), Some(1_000));
        facts.absolute_expires_at = None;
        assert_eq!(session_until(&facts, 900, None, 60), None);
        let map = SessionMap::from([
            ("user".to_owned(), Value::from("alice")),
            ("id".to_owned(), Value::Int(-4)),
            ("n".to_owned(), Value::Float(1.5)),
        ]);
        assert_eq!(user_of(&map, "user").as_deref(), Some("alice"));
        assert_eq!(user_of(&map, "id").as_deref(), Some("-4"));
        assert_eq!(user_of(&map, "n"), None);
        assert_eq!(user_of(&map, "absent"), None);
    }
}
