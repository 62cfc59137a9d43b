//! Revocations in Redis, shared by every server: one `MGET` per request, and
//! entries that expire (`SET ... EX`) when the sessions they strike would.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;

use super::{RevocationQuery, RevocationStore, StoreError, StoreFuture, Verdict};
use crate::SessionId;

/// Longest wait for a connection or a reply: a store that does not answer
/// within it counts as unreachable.
const STORE_TIMEOUT: Duration = Duration::from_secs(1);

/// A [`RevocationStore`] in Redis, over one multiplexed connection that every
/// request shares (the commands of concurrent requests are pipelined on it).
///
/// Keys: `sealed-cookie:session:<32 hex digits>` (value `1`) for a revoked
/// session, `sealed-cookie:user:<user>` (value: the cutoff in Unix seconds) for
/// a user logged out everywhere; each expires when its `until` passes. A second
/// revocation of the same key keeps the later cutoff and the longer lifetime
/// (one `EVAL`, atomic in Redis).
#[derive(Clone)]
pub struct RedisStore {
    shared: Arc<Shared>,
}

/// The connection is made by the first request that needs one, and again by
/// the first after a command failed on it: while Redis is down each request
/// fails as soon as the connection is refused, and the first one after it is
/// back connects. (redis's `ConnectionManager` reconnects in the background,
/// with retries and backoff, which holds requests while Redis is down and
/// fails the first one after it returns.)
struct Shared {
    client: redis::Client,
    config: AsyncConnectionConfig,
    /// The connection, and which one it is (a count of connections made).
    current: Mutex<Option<(u64, MultiplexedConnection)>>,
    /// Held while connecting, so that requests arriving meanwhile take the new
    /// connection instead of each making one; the count of connections made.
    connecting: tokio::sync::Mutex<u64>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("connected", &self.shared.current().is_some())
            .finish_non_exhaustive()
    }
}

fn session_key(id: SessionId) -> String {
    format!("sealed-cookie:session:{id}")
}

fn user_key(user: &str) -> String {
    format!("sealed-cookie:user:{user}")
}

/// Seconds from `now` to `until`, at least 1 (Redis refuses `EX 0`).
fn ttl(until: u64, now: u64) -> u64 {
    until.saturating_sub(now).max(1)
}

impl Shared {
    fn current(&self) -> Option<(u64, MultiplexedConnection)> {
        // Only clones and stores happen under this lock: a panic cannot leave
        // it half-written.
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The shared connection, made now if there is none.
    async fn connection(&self) -> Result<(u64, MultiplexedConnection), StoreError> {
        if let Some(connection) = self.current() {
            return Ok(connection);
        }
        let mut made = self.connecting.lock().await;
        // Made while this request waited for the lock.
        if let Some(connection) = self.current() {
            return Ok(connection);
        }
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await
            .map_err(|error| StoreError::new(format_args!("Redis unreachable: {error}")))?;
        *made += 1;
        let current = (*made, connection);
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(current.clone());
        Ok(current)
    }

    /// Drops connection `which` after a command failed on it, unless another
    /// has replaced it already.
    fn forget(&self, which: u64) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|(id, _)| *id == which) {
            *current = None;
        }
    }
}

impl RedisStore {
    /// A store for `url` (`redis://host:port/db`); no connection is made until
    /// the first request, so a server starts while Redis is down.
    ///
    /// # Errors
    /// When the URL is not a Redis URL.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        // Parsed now, so that a typo fails at start-up rather than per request.
        let client = redis::Client::open(url).map_err(|error| {
            StoreError::new(format_args!(
                "revocation_url is not a Redis URL (redis://host:port/db): {:?}",
                error.kind()
            ))
        })?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(STORE_TIMEOUT))
            .set_response_timeout(Some(STORE_TIMEOUT));
        Ok(Self {
            shared: Arc::new(Shared {
                client,
                config,
                current: Mutex::new(None),
                connecting: tokio::sync::Mutex::new(0),
            }),
        })
    }

    async fn run<T: redis::FromRedisValue>(&self, command: redis::Cmd) -> Result<T, StoreError> {
        let shared = &*self.shared;
        let (which, mut connection) =
            match tokio::time::timeout(STORE_TIMEOUT, shared.connection()).await {
                Ok(connection) => connection?,
                Err(_) => {
                    return Err(StoreError::new(format_args!(
                        "Redis unreachable: no connection within {STORE_TIMEOUT:?}"
                    )));
                }
            };
        let reply = tokio::time::timeout(STORE_TIMEOUT, command.query_async(&mut connection)).await;
        let error = match reply {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) => StoreError::new(format_args!("Redis: {error}")),
            Err(_) => StoreError::new(format_args!(
                "Redis did not answer within {STORE_TIMEOUT:?}"
            )),
        };
        // The next request connects afresh.
        shared.forget(which);
        Err(error)
    }

    /// Sets `key` to `value` unless it holds a larger number already, with a
    /// TTL to `until` that never shortens the one it has: a later revocation
    /// never weakens an earlier one.
    async fn raise(&self, key: String, value: u64, until: Option<u64>) -> Result<(), StoreError> {
        // KEYS[1]; ARGV[1] the value; ARGV[2] the TTL in seconds, 0 for none.
        const RAISE: &str = "\
            local held = tonumber(redis.call('GET', KEYS[1]) or '-1') \
            local value = tonumber(ARGV[1]) \
            local ttl = tonumber(ARGV[2]) \
            local left = redis.call('TTL', KEYS[1]) \
            if value < held then value = held end \
            if ttl == 0 or left == -1 and held >= 0 then \
                redis.call('SET', KEYS[1], value) \
            else \
                if left > ttl then ttl = left end \
                redis.call('SET', KEYS[1], value, 'EX', ttl) \
            end \
            return 1";
        let ttl = until.map_or(0, |until| ttl(until, crate::SystemClock.now()));
        let mut command = redis::cmd("EVAL");
        command.arg(RAISE).arg(1).arg(key).arg(value).arg(ttl);
        self.run::<i64>(command).await.map(drop)
    }
}

use crate::Clock as _;

impl RevocationStore for RedisStore {
    fn check<'a>(&'a self, query: RevocationQuery<'a>) -> StoreFuture<'a, Verdict> {
        Box::pin(async move {
            let keys: Vec<String> = query
                .session_id
                .map(session_key)
                .into_iter()
                .chain(query.user.map(user_key))
                .collect();
            if keys.is_empty() {
                return Ok(Verdict::Live);
            }
            let mut command = redis::cmd("MGET");
            command.arg(&keys);
            let values: Vec<Option<String>> = self.run(command).await?;
            let mut values = values.into_iter();
            let session = match query.session_id {
                Some(_) => values.next().flatten().is_some(),
                None => false,
            };
            let user = match query.user {
                Some(_) => values
                    .next()
                    .flatten()
                    .map(|text| {
                        text.parse::<u64>().map_err(|_| {
                            StoreError::new("a user cutoff in Redis is not a number of seconds")
                        })
                    })
                    .transpose()?,
                None => None,
            };
            Ok(Verdict::of(session, user, query.created_at))
        })
    }

    fn revoke_session(&self, id: SessionId, until: Option<u64>) -> StoreFuture<'_, ()> {
        Box::pin(self.raise(session_key(id), 1, until))
    }

    fn revoke_user<'a>(
        &'a self,
        user: &'a str,
        at: u64,
        until: Option<u64>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.raise(user_key(user), at, until))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_ttls() {
        assert_eq!(
            session_key(SessionId([0xab; 16])),
            format!("sealed-cookie:session:{}", "ab".repeat(16))
        );
        assert_eq!(user_key("alice"), "sealed-cookie:user:alice");
        assert_eq!(ttl(100, 40), 60);
        assert_eq!(ttl(100, 100), 1);
        assert_eq!(ttl(100, 200), 1);
        assert!(RedisStore::open("not a url").is_err());
        // A valid URL builds without Redis running.
        RedisStore::open("redis://127.0.0.1:1/0").expect("a store, no connection yet");
    }
}
