//! Revocation: what makes logout mean logout for a session kept in a cookie.
//!
//! A sealed cookie needs no server state, so a copy taken before logout opens
//! until it expires. A [`RevocationStore`] shared by the servers closes that gap:
//! the layer asks it, after the cookie authenticated and in one round trip,
//! whether the session's id was revoked ([`Session::destroy`]) or its user was
//! logged out everywhere since the session began ([`RevocationStore::revoke_user`]).
//! Entries live only as long as the sessions they strike could still open.
//!
//! [`Session::destroy`]: super::Session::destroy

pub(crate) mod engine;
mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

pub use self::memory::{DEFAULT_MEMORY_CAPACITY, MemoryStore};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisStore;
use crate::SessionId;

/// The future a store returns: boxed, so that the trait is object safe.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// What the layer asks about one authentic session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevocationQuery<'a> {
    /// The session's id (none for a format 1 cookie).
    pub session_id: Option<SessionId>,
    /// The user the session belongs to, from the configured session entry.
    pub user: Option<&'a str>,
    /// When the session began, seconds since the Unix epoch.
    pub created_at: u64,
    /// The time now, seconds since the Unix epoch.
    pub now: u64,
}

/// The store's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Neither the session nor its user is revoked.
    Live,
    /// The session's id was revoked (logout).
    SessionRevoked,
    /// The user's sessions begun before `not_before` were revoked (log out
    /// everywhere, password change).
    UserRevoked {
        /// The user's cutoff, seconds since the Unix epoch.
        not_before: u64,
    },
}

impl Verdict {
    /// The verdict on a session begun at `created_at`, from the store's entries:
    /// whether its id is revoked and the user's cutoff, if any.
    #[must_use]
    pub fn of(session_revoked: bool, user_not_before: Option<u64>, created_at: u64) -> Self {
        match user_not_before {
            _ if session_revoked => Self::SessionRevoked,
            Some(not_before) if created_at < not_before => Self::UserRevoked { not_before },
            _ => Self::Live,
        }
    }

    /// A short name for logs and metrics.
    #[must_use]
    pub fn kind(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::SessionRevoked => "session_revoked",
            Self::UserRevoked { .. } => "user_revoked",
        }
    }
}

/// The store could not answer or record: unreachable, full, or refusing.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("revocation store: {message}")]
pub struct StoreError {
    message: String,
}

debug_as_message!(StoreError);

impl StoreError {
    /// An error with this message (never a secret: it is logged).
    #[must_use]
    pub fn new(message: impl fmt::Display) -> Self {
        Self {
            message: message.to_string(),
        }
    }
}

/// Where revocations are kept, shared by every server that opens the cookies.
///
/// `until` is the Unix second after which an entry can no longer matter (the
/// sessions it strikes would be refused as expired anyway): the store may drop
/// it then. `None` keeps it.
pub trait RevocationStore: Send + Sync + 'static {
    /// Whether the session or its user is revoked. The layer does not time the
    /// store out: bound every wait (the Redis store gives up after 1 s).
    fn check<'a>(&'a self, query: RevocationQuery<'a>) -> StoreFuture<'a, Verdict>;

    /// Revokes one session: a cookie with this id is refused from now on.
    fn revoke_session(&self, id: SessionId, until: Option<u64>) -> StoreFuture<'_, ()>;

    /// Revokes every session of `user` begun before `at` (seconds since the
    /// epoch). A store should never let a later call weaken an earlier one:
    /// keep the later cutoff and the longer `until`, as the crate's stores do.
    fn revoke_user<'a>(&'a self, user: &'a str, at: u64, until: Option<u64>)
    -> StoreFuture<'a, ()>;
}

/// What the layer does while the store cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnStoreError {
    /// Serve the request as if it carried no session, keeping the cookie for
    /// when the store answers again, and answer a failed logout with `503`. The
    /// default: a store is configured so that logout means logout, and failing
    /// open would let a revoked cookie back in whenever the store can be made
    /// unreachable.
    #[default]
    Refuse,
    /// Use the session anyway, logging a warning: availability over revocation.
    Accept,
}

impl OnStoreError {
    /// Reads `refuse` or `accept`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "refuse" => Some(Self::Refuse),
            "accept" => Some(Self::Accept),
            _ => None,
        }
    }
}

/// A store URL with its password (and user) replaced by `***`, for messages.
///
/// ```
/// use sealed_cookie::web::revocation::masked_url;
/// assert_eq!(masked_url("redis://:p@ss!@host:6379/0"), "redis://***@host:6379/0");
/// assert_eq!(masked_url("redis://127.0.0.1/0"), "redis://127.0.0.1/0");
/// ```
#[must_use]
pub fn masked_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return crate::keyfile::mask_runs(url);
    };
    match rest.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://***@{host}"),
        None => url.to_owned(),
    }
}

/// Opens the store a `revocation_url` names: `memory`, or `redis://host:port/db`
/// (or `redis+unix:///path`) with the `redis` feature.
///
/// # Errors
/// A message saying what to change, for a configuration error.
pub fn store_from_url(url: &str) -> Result<std::sync::Arc<dyn RevocationStore>, String> {
    let url = url.trim();
    if url == "memory" {
        return Ok(std::sync::Arc::new(MemoryStore::new(
            DEFAULT_MEMORY_CAPACITY,
        )));
    }
    if url.starts_with("rediss://") {
        return Err(
            "rediss:// (Redis over TLS) is not supported: use redis:// on a trusted network or \
             redis+unix:// on the same host"
                .to_owned(),
        );
    }
    if url.starts_with("redis://") || url.starts_with("redis+unix://") {
        #[cfg(feature = "redis")]
        return RedisStore::open(url)
            .map(|store| std::sync::Arc::new(store) as std::sync::Arc<dyn RevocationStore>)
            .map_err(|error| error.to_string());
        #[cfg(not(feature = "redis"))]
        return Err(
            "a redis:// revocation_url needs the crate's `redis` feature: enable it, or use `memory`"
                .to_owned(),
        );
    }
    Err(format!(
        "revocation_url {:?} is neither `memory` nor a redis://host:port/db URL",
        masked_url(url)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_weigh_the_session_then_the_user_cutoff() {
        assert_eq!(Verdict::of(false, None, 10), Verdict::Live);
        assert_eq!(Verdict::of(true, Some(5), 10), Verdict::SessionRevoked);
        assert_eq!(Verdict::of(false, Some(10), 10), Verdict::Live);
        assert_eq!(
            Verdict::of(false, Some(11), 10),
            Verdict::UserRevoked { not_before: 11 }
        );
    }

    #[test]
    fn urls_name_a_store_or_say_what_to_write() {
        assert!(store_from_url("memory").is_ok());
        let error = store_from_url("postgres://x").err().unwrap();
        assert!(error.contains("neither `memory` nor a redis://"), "{error}");
        let error = store_from_url("rediss://:secret@host/0").err().unwrap();
        assert!(
            error.contains("not supported") && !error.contains("secret"),
            "{error}"
        );
        assert_eq!(OnStoreError::parse(" Accept "), Some(OnStoreError::Accept));
        assert_eq!(OnStoreError::parse("maybe"), None);
    }
}
