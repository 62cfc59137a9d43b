//! What the layer does with a revocation store around each request: ask before
//! the handler runs, revoke after it destroyed the session.

use std::sync::Arc;

use super::{OnStoreError, RevocationQuery, RevocationStore, Verdict};
use crate::lifecycle::Facts;
use crate::value::{SessionMap, Value};
use crate::web::engine::Held;
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
    let (facts, user, adopted) = {
        let state = session.lock();
        let Some(facts) = state.facts else {
            return;
        };
        (
            facts,
            user_of(&state.map, &revocation.user_entry),
            state.adopted,
        )
    };
    if facts.session_id.is_none() && user.is_none() {
        return;
    }
    let query = RevocationQuery {
        session_id: facts.session_id,
        user: user.as_deref(),
        // A legacy session began before any cutoff set since the migration.
        created_at: if adopted { 0 } else { facts.issued_at },
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
                session.lock().unverified = facts.map(Box::new);
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

/// Until when a revocation of a session with these facts matters: its absolute
/// expiry, plus the skew allowance. Not sooner: a request that opened a copy
/// before the logout may still re-seal it afterwards, with the same id and a
/// fresh idle window, so only the absolute limit bounds every copy. `None`
/// (kept) without an absolute limit.
pub(crate) fn session_until(facts: &Facts, skew: u64) -> Option<u64> {
    facts
        .absolute_expires_at
        .map(|until| until.saturating_add(skew))
}

/// After the handler: revokes the id of a destroyed session, and the previous id
/// of a renewed one (so that a copy of the cookie from before sign-in or a
/// privilege change names nothing afterwards). `status` is the response's.
/// Returns `false` when the revocation failed under [`OnStoreError::Refuse`]:
/// the adapter then answers `503` (keeping the cookie deletions), since the
/// logout did not take.
pub(crate) async fn revoke_ended(
    shared: &Shared,
    revocation: &Revocation,
    session: &Session,
    status: u16,
) -> bool {
    let (ended, logout) = {
        let mut state = session.lock();
        match state.destroyed.take() {
            Some(facts) => (Some(facts), true),
            None => (state.renewed_from.take(), false),
        }
    };
    let Some(facts) = ended else {
        return true;
    };
    // A renewal the response does not write leaves the client on its old id.
    if !logout && !shared.writes_session_on(status) {
        return true;
    }
    let Some(id) = facts.session_id else {
        return true;
    };
    let until = session_until(&facts, shared.codec().clock_skew().as_secs());
    match revocation.store.revoke_session(id, until).await {
        Ok(()) => {
            metrics::revoked();
            let when = if logout {
                "at logout"
            } else {
                "as it was renewed"
            };
            tracing::info!(cookie = shared.name(), session_id = %id, "session revoked {when}");
            true
        }
        Err(error) => {
            tracing::error!(%error, cookie = shared.name(), session_id = %id, "session could not be revoked");
            revocation.on_error == OnStoreError::Accept
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revocation_lasts_until_every_copy_has_expired() {
        let codec = crate::Codec::<u8>::builder()
            .keyring(crate::Keyring::new(
                crate::Key::from_bytes(&[3; 32]).unwrap(),
            ))
            .build()
            .unwrap();
        let cookie = codec.seal_at(&1, 50).unwrap();
        let mut facts = codec.open_at(&cookie, 50).unwrap().facts;
        facts.absolute_expires_at = Some(1_000);
        assert_eq!(session_until(&facts, 60), Some(1_060));
        assert_eq!(session_until(&facts, 0), Some(1_000));
        facts.absolute_expires_at = None;
        assert_eq!(session_until(&facts, 60), None);
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
