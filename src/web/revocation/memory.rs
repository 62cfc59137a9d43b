//! An in-process revocation store: for tests and single-process deployments.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{RevocationQuery, RevocationStore, StoreError, StoreFuture, Verdict};
use crate::SessionId;
use crate::clock::{Clock, SystemClock};

/// Entries a [`MemoryStore`] holds by default.
pub const DEFAULT_MEMORY_CAPACITY: usize = 100_000;

#[derive(Default)]
struct Entries {
    /// Revoked session ids, with the second after which they no longer matter.
    sessions: HashMap<SessionId, Option<u64>>,
    /// Users' cutoffs, with the same.
    users: HashMap<String, (u64, Option<u64>)>,
}

impl Entries {
    fn len(&self) -> usize {
        self.sessions.len() + self.users.len()
    }

    fn drop_expired(&mut self, now: u64) {
        self.sessions.retain(|_, until| live(*until, now));
        self.users.retain(|_, (_, until)| live(*until, now));
    }
}

/// Revocations kept in this process, bounded to `capacity` entries. Entries
/// expire with the sessions they revoke; when the store is full of live ones, a
/// new revocation is refused with an error rather than evicting one that still
/// matters (which would let a revoked cookie back in).
///
/// Its futures are ready at once:
///
/// ```
/// use std::task::{Context, Poll, Waker};
/// use sealed_cookie::SessionId;
/// use sealed_cookie::web::revocation::{MemoryStore, RevocationQuery, RevocationStore, Verdict};
///
/// fn now<T>(mut f: sealed_cookie::web::revocation::StoreFuture<'_, T>) -> T {
///     match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
///         Poll::Ready(result) => result.expect("stored"),
///         Poll::Pending => unreachable!(),
///     }
/// }
/// let store = MemoryStore::new(10);
/// let id = SessionId::generate()?;
/// now(store.revoke_session(id, None));
/// let query = RevocationQuery { session_id: Some(id), user: None, created_at: 0, now: 1 };
/// assert_eq!(now(store.check(query)), Verdict::SessionRevoked);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MemoryStore {
    entries: Mutex<Entries>,
    capacity: usize,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.lock().len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl MemoryStore {
    /// An empty store of at most `capacity` entries, on the system clock.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self::with_clock(capacity, SystemClock)
    }

    /// An empty store whose entries expire by `clock`.
    #[must_use]
    pub fn with_clock(capacity: usize, clock: impl Clock) -> Self {
        Self {
            entries: Mutex::new(Entries::default()),
            capacity,
            clock: Arc::new(clock),
        }
    }

    /// Entries held, expired ones included until the next insertion drops them.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Plain data: a panic elsewhere cannot leave it torn.
        self.entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Makes room for one more entry (unless `replacing` one), or says why not.
    fn room(&self, entries: &mut Entries, replacing: bool) -> Result<(), StoreError> {
        if replacing || entries.len() < self.capacity {
            return Ok(());
        }
        entries.drop_expired(self.clock.now());
        if entries.len() < self.capacity {
            Ok(())
        } else {
            Err(StoreError::new(format_args!(
                "the in-memory store holds {} live revocations, its capacity; \
                 raise it or use Redis",
                self.capacity
            )))
        }
    }
}

/// Whether an entry kept `until` still matters at `now` (`None`: for good).
fn live(until: Option<u64>, now: u64) -> bool {
    until.is_none_or(|until| until > now)
}

/// The longer of two lifetimes of one revocation (`None`: for good).
fn longer(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    a.zip(b).map(|(a, b)| a.max(b))
}

fn ready<'a, T: Send + 'a>(result: Result<T, StoreError>) -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(result))
}

impl RevocationStore for MemoryStore {
    fn check<'a>(&'a self, query: RevocationQuery<'a>) -> StoreFuture<'a, Verdict> {
        let entries = self.lock();
        let session = query
            .session_id
            .and_then(|id| entries.sessions.get(&id).copied())
            .is_some_and(|until| live(until, query.now));
        let user = query
            .user
            .and_then(|user| entries.users.get(user).copied())
            .filter(|(_, until)| live(*until, query.now))
            .map(|(not_before, _)| not_before);
        ready(Ok(Verdict::of(session, user, query.created_at)))
    }

    fn revoke_session(&self, id: SessionId, until: Option<u64>) -> StoreFuture<'_, ()> {
        let mut entries = self.lock();
        let replacing = entries.sessions.contains_key(&id);
        let result = self.room(&mut entries, replacing).map(|()| {
            let kept = entries.sessions.entry(id).or_insert(until);
            *kept = longer(*kept, until);
        });
        ready(result)
    }

    fn revoke_user<'a>(
        &'a self,
        user: &'a str,
        at: u64,
        until: Option<u64>,
    ) -> StoreFuture<'a, ()> {
        let mut entries = self.lock();
        let replacing = entries.users.contains_key(user);
        let result = self.room(&mut entries, replacing).map(|()| {
            let kept = entries.users.entry(user.to_owned()).or_insert((at, until));
            // The later cutoff and the longer life: a revocation never weakens.
            kept.0 = kept.0.max(at);
            kept.1 = longer(kept.1, until);
        });
        ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FixedClock;

    fn block_on<T>(future: StoreFuture<'_, T>) -> Result<T, StoreError> {
        // The memory store's futures are ready at once.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut future = future;
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(result) => result,
            std::task::Poll::Pending => unreachable!("memory store futures are ready"),
        }
    }

    fn query(
        id: Option<SessionId>,
        user: Option<&str>,
        created_at: u64,
        now: u64,
    ) -> RevocationQuery<'_> {
        RevocationQuery {
            session_id: id,
            user,
            created_at,
            now,
        }
    }

    #[test]
    fn revocations_hold_until_they_expire() {
        let store = MemoryStore::with_clock(10, FixedClock(100));
        let id = SessionId([1; 16]);
        block_on(store.revoke_session(id, Some(200))).unwrap();
        assert_eq!(
            block_on(store.check(query(Some(id), None, 0, 199))).unwrap(),
            Verdict::SessionRevoked
        );
        assert_eq!(
            block_on(store.check(query(Some(id), None, 0, 200))).unwrap(),
            Verdict::Live
        );
        assert_eq!(
            block_on(store.check(query(Some(SessionId([2; 16])), None, 0, 150))).unwrap(),
            Verdict::Live
        );
        block_on(store.revoke_user("alice", 150, None)).unwrap();
        assert_eq!(
            block_on(store.check(query(None, Some("alice"), 149, 10_000))).unwrap(),
            Verdict::UserRevoked { not_before: 150 }
        );
        assert_eq!(
            block_on(store.check(query(None, Some("alice"), 150, 10_000))).unwrap(),
            Verdict::Live
        );
        assert_eq!(
            block_on(store.check(query(None, Some("bob"), 0, 10_000))).unwrap(),
            Verdict::Live
        );
    }

    #[test]
    fn a_full_store_refuses_rather_than_forgets() {
        let store = MemoryStore::with_clock(2, FixedClock(100));
        block_on(store.revoke_session(SessionId([1; 16]), Some(150))).unwrap();
        block_on(store.revoke_session(SessionId([2; 16]), None)).unwrap();
        let error = block_on(store.revoke_session(SessionId([3; 16]), None)).unwrap_err();
        assert!(error.to_string().contains("capacity"), "{error}");
        // Re-revoking a held id needs no room.
        block_on(store.revoke_session(SessionId([2; 16]), None)).unwrap();
        // Once an entry expires, its room is reused.
        let later = MemoryStore::with_clock(2, FixedClock(100));
        block_on(later.revoke_session(SessionId([1; 16]), Some(100))).unwrap();
        block_on(later.revoke_session(SessionId([2; 16]), None)).unwrap();
        block_on(later.revoke_session(SessionId([3; 16]), None)).unwrap();
        assert_eq!(later.len(), 2);
    }
}
