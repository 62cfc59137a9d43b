//! Revocations in Redis, shared by every server: one `MGET` per request, and
//! entries that expire (`SET ... EX`) when the sessions they strike would.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use tokio::sync::watch;

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

/// The connection is made by the first request that finds none, one attempt
/// at a time, and dropped when a command fails or times out on it, so that the
/// next request connects afresh: nothing retries in the background while Redis
/// is down, and a request waits only for the one attempt under way.
struct Shared {
    client: redis::Client,
    config: AsyncConnectionConfig,
    slot: Mutex<Slot>,
    /// Connections made so far: tells a connection from the one before it.
    made: AtomicU64,
}

/// The shared connection, or the attempt to make one.
enum Slot {
    /// None yet, or the last one failed: the next request starts an attempt.
    Empty,
    /// An attempt under way, since when; every request that needs a
    /// connection meanwhile waits for its outcome (`None` until it is known).
    Connecting(Instant, watch::Receiver<Option<Attempt>>),
    /// The connection, and which one it is.
    Connected(u64, MultiplexedConnection),
}

type Attempt = Result<(u64, MultiplexedConnection), String>;

/// A connection for one command.
struct Connection {
    which: u64,
    connection: MultiplexedConnection,
    /// Made before this request asked: Redis may have dropped it since.
    cached: bool,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &*self.shared.slot() {
            Slot::Empty => "not connected",
            Slot::Connecting(..) => "connecting",
            Slot::Connected(..) => "connected",
        };
        f.debug_struct("RedisStore")
            .field("connection", &state)
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

/// Why a request has no connection after waiting the whole timeout for one.
fn no_connection_in_time() -> String {
    format!("Redis unreachable: no connection within {STORE_TIMEOUT:?}")
}

impl Shared {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        // Nothing under this lock can panic halfway through a write.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The shared connection, or the outcome of the attempt to make one: the
    /// attempt under way, or one this request starts.
    async fn connection(self: &Arc<Self>) -> Result<Connection, StoreError> {
        let mut outcome = {
            let mut slot = self.slot();
            match &*slot {
                Slot::Connected(which, connection) => {
                    return Ok(Connection {
                        which: *which,
                        connection: connection.clone(),
                        cached: true,
                    });
                }
                // An attempt bounds itself by the timeout: one older than
                // twice that runs on a runtime that no longer runs it.
                Slot::Connecting(since, outcome) if since.elapsed() < 2 * STORE_TIMEOUT => {
                    outcome.clone()
                }
                Slot::Connecting(..) | Slot::Empty => {
                    let (report, outcome) = watch::channel(None);
                    *slot = Slot::Connecting(Instant::now(), outcome.clone());
                    // A task of its own: the attempt ends, and its outcome is
                    // kept, even when every request waiting for it is cancelled.
                    tokio::spawn(Arc::clone(self).connect(report));
                    outcome
                }
            }
        };
        let waited = outcome
            .wait_for(Option::is_some)
            .await
            .map(|attempt| attempt.clone());
        let attempt = match waited {
            Ok(attempt) => attempt,
            Err(_) => {
                // The attempt's task ended without an outcome (it panicked,
                // or its runtime dropped it): the next request tries again.
                let mut slot = self.slot();
                if matches!(&*slot, Slot::Connecting(_, current) if current.same_channel(&outcome))
                {
                    *slot = Slot::Empty;
                }
                None
            }
        };
        match attempt {
            Some(Ok((which, connection))) => Ok(Connection {
                which,
                connection,
                cached: false,
            }),
            Some(Err(message)) => Err(StoreError::new(message)),
            None => Err(StoreError::new(
                "Redis unreachable: the connection attempt failed",
            )),
        }
    }

    /// One connection attempt; its outcome goes into the slot and to every
    /// request waiting for it.
    async fn connect(self: Arc<Self>, report: watch::Sender<Option<Attempt>>) {
        let made = tokio::time::timeout(
            STORE_TIMEOUT,
            self.client
                .get_multiplexed_async_connection_with_config(&self.config),
        )
        .await;
        let attempt = match made {
            Ok(Ok(connection)) => {
                let which = self.made.fetch_add(1, Ordering::Relaxed) + 1;
                Ok((which, connection))
            }
            Ok(Err(error)) => Err(format!("Redis unreachable: {error}")),
            Err(_) => Err(no_connection_in_time()),
        };
        {
            // Into the slot only while it still waits for this attempt (a
            // request may have given it up as stale and started another).
            let mine = report.subscribe();
            let mut slot = self.slot();
            if matches!(&*slot, Slot::Connecting(_, current) if current.same_channel(&mine)) {
                *slot = match &attempt {
                    Ok((which, connection)) => Slot::Connected(*which, connection.clone()),
                    Err(_) => Slot::Empty,
                };
            }
        }
        report.send_replace(Some(attempt));
    }

    /// Drops connection `which` after a command failed on it, unless another
    /// has replaced it already.
    fn forget(&self, which: u64) {
        let mut slot = self.slot();
        if matches!(&*slot, Slot::Connected(current, _) if *current == which) {
            *slot = Slot::Empty;
        }
    }

    /// `command` on the shared connection, each wait bounded by the timeout.
    async fn query<T: redis::FromRedisValue>(
        self: &Arc<Self>,
        command: &redis::Cmd,
    ) -> Result<T, (StoreError, bool)> {
        let Connection {
            which,
            mut connection,
            cached,
        } = match tokio::time::timeout(STORE_TIMEOUT, self.connection()).await {
            Ok(Ok(connection)) => connection,
            Ok(Err(error)) => return Err((error, false)),
            Err(_) => return Err((StoreError::new(no_connection_in_time()), false)),
        };
        let reply = tokio::time::timeout(STORE_TIMEOUT, command.query_async(&mut connection)).await;
        let (error, dropped) = match reply {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) => (
                StoreError::new(format_args!("Redis: {error}")),
                error.is_connection_dropped(),
            ),
            Err(_) => (
                StoreError::new(format_args!(
                    "Redis did not answer within {STORE_TIMEOUT:?}"
                )),
                false,
            ),
        };
        self.forget(which);
        Err((error, cached && dropped))
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
                slot: Mutex::new(Slot::Empty),
                made: AtomicU64::new(0),
            }),
        })
    }

    async fn run<T: redis::FromRedisValue>(&self, command: redis::Cmd) -> Result<T, StoreError> {
        match self.shared.query(&command).await {
            Ok(value) => Ok(value),
            // A command that finds the cached connection dropped by Redis (a
            // restart before or during it) is sent again, once, on a new
            // connection. Both commands may run twice: `MGET` reads, and the
            // `EVAL` only ever raises.
            Err((_, true)) => self
                .shared
                .query(&command)
                .await
                .map_err(|(error, _)| error),
            Err((error, false)) => Err(error),
        }
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
