//! The codec: seals values into cookie values and opens them, under one current
//! suite and primary key, while still opening every accepted suite and key.

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use subtle::{ConditionallySelectable as _, ConstantTimeEq as _};
use zeroize::{Zeroize as _, Zeroizing};

use crate::attributes::CookieAttributes;
use crate::clock::{Clock, SystemClock};
use crate::envelope::{
    self, DESCRIPTOR_LEN, FLAG_BROWSER_SESSION, FLAG_FLASH, Format, Header, MAX_HEADER_LEN,
};
use crate::error::{ConfigError, OpenError, SealError};
use crate::keyring::{KeyId, Keyring};
use crate::lifecycle::{Facts, Timeouts};
use crate::session_id::SessionId;
use crate::suite::{Padding, Prepared, Suite, SuiteOps};
use crate::value::{SessionMap, Value};
use crate::{cipher::Cipher, compressor::Compressor, serializer::Serializer};

/// What the size budget counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SizeRule {
    /// The whole `Set-Cookie` string: name, value and every attribute (the
    /// strictest reading of the 4096-byte browser limit; the default).
    #[default]
    WholeLine,
    /// RFC 6265bis: name and value together within the budget (4096 by default),
    /// and each attribute value at most [`MAX_ATTRIBUTE_VALUE_LEN`] bytes,
    /// checked when the codec is built.
    NameValue,
}

/// Longest attribute value (Path, Domain) RFC 6265bis lets browsers keep.
pub const MAX_ATTRIBUTE_VALUE_LEN: usize = 1024;

/// Default size budget for the whole `Set-Cookie` string.
pub const DEFAULT_BUDGET: usize = 4096;
/// Largest size budget accepted (16 MiB), so that every length computed from it
/// fits in a `usize`.
pub const MAX_BUDGET: usize = 16 << 20;
/// Default clock-skew allowance between servers.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(60);
/// Default cap on decompressed plaintext.
pub const DEFAULT_DECOMPRESSION_CAP: usize = 64 * 1024;
/// Longest cookie name accepted.
pub const MAX_NAME_LEN: usize = 256;
/// Largest tag any cipher may declare.
const MAX_TAG_LEN: usize = 64;
/// Associated data: header, suite descriptor, cookie name.
const MAX_AAD_LEN: usize = MAX_HEADER_LEN + DESCRIPTOR_LEN + MAX_NAME_LEN;
/// Largest scratch buffer a thread keeps between calls.
const MAX_SCRATCH: usize = 64 * 1024;

thread_local! {
    /// Per-thread working buffer for the envelope, so that a seal allocates only
    /// its output and an open only what the value itself needs. Plaintext is
    /// zeroized before the buffer is handed back; ciphertext may stay.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with an empty working buffer of at least `capacity` bytes: this
/// thread's scratch buffer, or a fresh one on a re-entrant call (a `Serialize`
/// impl that seals) or while the thread is being torn down. `f` zeroizes any
/// plaintext it leaves in the buffer.
fn with_scratch<R>(capacity: usize, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    fn run<R>(buf: &mut Vec<u8>, capacity: usize, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        buf.clear();
        buf.reserve(capacity);
        let result = f(buf);
        buf.clear();
        result
    }
    let mut f = Some(f);
    let pooled = SCRATCH.try_with(|cell| {
        let mut buf = cell.try_borrow_mut().ok()?;
        let f = f.take()?;
        let result = run(&mut buf, capacity, f);
        if buf.capacity() > MAX_SCRATCH {
            *buf = Vec::new();
        }
        Some(result)
    });
    match (pooled, f) {
        (Ok(Some(result)), _) => result,
        (_, Some(f)) => run(&mut Vec::new(), capacity, f),
        (_, None) => unreachable!("the closure runs at most once, and then returns a result"),
    }
}

/// An opened cookie: the value and its facts.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened<T> {
    /// The value.
    pub value: T,
    /// Version, key id, session id, times and whether to re-issue.
    pub facts: Facts,
    /// Flash messages sealed beside the value (format 2; empty when none).
    pub flash: SessionMap,
}

/// How [`Codec::seal_session_at`] seals: a new session or the continuation of
/// an opened one, written as a browser-session or a persistent cookie, with or
/// without flash messages.
#[derive(Debug, Clone, Copy, Default)]
pub struct SealOptions<'a> {
    /// The opened cookie this seal continues: its session id and creation time
    /// are kept. `None` starts a new session (fresh id, created now).
    pub continues: Option<&'a Facts>,
    /// Mark the cookie as a browser-session cookie (format 2 flag), to be written
    /// without `Max-Age` or `Expires`; the size budget then counts neither.
    pub browser_session: bool,
    /// Flash messages for the next request (format 2 only).
    pub flash: Option<&'a SessionMap>,
}

/// A sealed cookie value and what the `Set-Cookie` line needs to know of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The cookie value.
    pub value: String,
    /// Its effective expiry (the earlier timeout), seconds since the epoch.
    pub expires_at: Option<u64>,
    /// The session's id (format 2).
    pub session_id: Option<SessionId>,
}

/// What one seal writes into the header and before the value.
struct Plan<'a> {
    format: Format,
    issued_at: u64,
    sealed_at: u64,
    lifetime: u32,
    flags: u8,
    session_id: Option<SessionId>,
    flash: Option<&'a SessionMap>,
    /// `Max-Age` and `Expires` as written, for the budget.
    expires_at: Option<u64>,
    counted_expiry: Option<u64>,
}

/// Seals values of type `T` into cookie values and opens them.
///
/// Cheap to clone (an `Arc` inside), `Send + Sync`, and lock-free.
///
/// ```
/// # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
/// use std::time::Duration;
/// use sealed_cookie::{Codec, Key, Keyring};
///
/// let codec = Codec::<Vec<String>>::builder()
///     .keyring(Keyring::new(Key::generate().unwrap()))
///     .cookie_name("session")
///     .max_age(Duration::from_secs(3600))
///     .build()
///     .unwrap();
/// let cookie = codec.seal(&vec!["admin".to_string()]).unwrap();
/// let opened = codec.open(&cookie).unwrap();
/// assert_eq!(opened.value, ["admin"]);
/// assert!(!opened.facts.needs_reissue);
/// # }
/// ```
pub struct Codec<T> {
    inner: Arc<Inner<T>>,
}

// Threads share one codec with no lock: a compile-time check that it stays so.
const _: fn() = || {
    fn shareable<X: Send + Sync + Clone + 'static>() {}
    shareable::<Codec<String>>();
};

impl<T> Clone for Codec<T> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

struct Inner<T> {
    suites: Vec<(u8, Box<dyn SuiteOps<T>>)>,
    // Suite index per version byte; u8::MAX where none is registered.
    by_version: [u8; 256],
    current: usize,
    key_ids: Vec<KeyId>,
    name: String,
    /// Also the absolute timeout.
    max_age: Option<u32>,
    timeouts: Timeouts,
    write_format: Format,
    attributes: CookieAttributes,
    budget: usize,
    size_rule: SizeRule,
    max_value_len: usize,
    decompression_cap: usize,
    clock: Arc<dyn Clock>,
}

type SuiteFactory<T> = Box<dyn FnOnce(&Keyring) -> Box<dyn SuiteOps<T>> + Send>;

/// Builds a [`Codec`]; every mistake is reported by [`CodecBuilder::build`].
#[must_use]
pub struct CodecBuilder<T> {
    suites: Vec<(u8, SuiteFactory<T>, Padding)>,
    current: Option<u8>,
    keyring: Option<Keyring>,
    name: String,
    max_age: Option<Duration>,
    idle_timeout: Option<Duration>,
    clock_skew: Duration,
    not_before: u64,
    renew_within: Option<Duration>,
    format: Format,
    attributes: CookieAttributes,
    budget: usize,
    size_rule: SizeRule,
    max_value_len: Option<usize>,
    decompression_cap: usize,
    clock: Arc<dyn Clock>,
    _value: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for CodecBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodecBuilder")
            .field(
                "versions",
                &self.suites.iter().map(|s| s.0).collect::<Vec<_>>(),
            )
            .field("current", &self.current)
            .field("keyring", &self.keyring)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<T: Serialize + DeserializeOwned + 'static> Codec<T> {
    /// Starts a builder with the defaults: cookie name `session`, no expiry, 60 s
    /// clock skew, safe attributes, a 4096-byte budget and a 64 KiB decompression cap.
    pub fn builder() -> CodecBuilder<T> {
        CodecBuilder {
            suites: Vec::new(),
            current: None,
            keyring: None,
            name: "session".to_owned(),
            max_age: None,
            idle_timeout: None,
            clock_skew: DEFAULT_CLOCK_SKEW,
            not_before: 0,
            renew_within: None,
            format: Format::V2,
            attributes: CookieAttributes::default(),
            budget: DEFAULT_BUDGET,
            size_rule: SizeRule::WholeLine,
            max_value_len: None,
            decompression_cap: DEFAULT_DECOMPRESSION_CAP,
            clock: Arc::new(SystemClock),
            _value: PhantomData,
        }
    }
}

impl<T: Serialize + DeserializeOwned + 'static> CodecBuilder<T> {
    /// Registers `suite` under `version` (1 to 127). The first registered suite is
    /// current unless [`CodecBuilder::current`] picks another; all of them open.
    pub fn suite<C: Cipher, S: Serializer, Z: Compressor>(
        mut self,
        version: u8,
        suite: Suite<C, S, Z>,
    ) -> Self {
        let padding = suite.padding;
        self.suites.push((
            version,
            Box::new(move |keyring: &Keyring| -> Box<dyn SuiteOps<T>> {
                Box::new(Prepared::new(suite, keyring))
            }),
            padding,
        ));
        self
    }

    /// The version that seals. Required when more than one suite is registered.
    pub fn current(mut self, version: u8) -> Self {
        self.current = Some(version);
        self
    }

    /// The keys: the primary seals, all open.
    pub fn keyring(mut self, keyring: Keyring) -> Self {
        self.keyring = Some(keyring);
        self
    }

    /// The cookie name, bound into the associated data (default `session`).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The absolute timeout: a session ends this long after it began, whatever
    /// its activity; re-seals, renewals, key rotations and suite upgrades never
    /// extend it. Also caps format 1 cookies sealed with a longer lifetime.
    pub fn absolute_timeout(mut self, timeout: Duration) -> Self {
        self.max_age = Some(timeout);
        self
    }

    /// The absolute timeout under its format 1 name (the lifetime of a fresh
    /// cookie): the same as [`CodecBuilder::absolute_timeout`].
    pub fn max_age(self, max_age: Duration) -> Self {
        self.absolute_timeout(max_age)
    }

    /// The idle timeout: a session not re-sealed for this long ends. Counted
    /// from the last seal; format 1 cookies, which do not record it, count from
    /// their re-issue.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// The envelope format that seals (default [`Format::V2`]); both always
    /// open. Keep [`Format::V1`] while servers that read only format 1 still
    /// serve the same users, during a rolling deploy.
    pub fn envelope_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Allowance for clocks that disagree between servers (default 60 s).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// Rejects every cookie issued before `unix_seconds` (revocation of all sessions).
    pub fn not_before(mut self, unix_seconds: u64) -> Self {
        self.not_before = unix_seconds;
        self
    }

    /// Flags a cookie for renewal (a re-seal for activity) when less than
    /// `window` remains before its idle expiry; the default is half the idle
    /// timeout. For a format 1 cookie: before its expiry.
    pub fn renew_within(mut self, window: Duration) -> Self {
        self.renew_within = Some(window);
        self
    }

    /// The attributes written after `name=value`, counted in the size budget.
    pub fn attributes(mut self, attributes: CookieAttributes) -> Self {
        self.attributes = attributes;
        self
    }

    /// Largest `Set-Cookie` string, in bytes (default 4096, at most [`MAX_BUDGET`]).
    pub fn budget(mut self, bytes: usize) -> Self {
        self.budget = bytes;
        self
    }

    /// What the budget counts (default [`SizeRule::WholeLine`]).
    pub fn size_rule(mut self, rule: SizeRule) -> Self {
        self.size_rule = rule;
        self
    }

    /// Longest cookie value `open` decodes (default: the budget). Longer values
    /// are rejected before any decoding.
    pub fn max_value_len(mut self, bytes: usize) -> Self {
        self.max_value_len = Some(bytes);
        self
    }

    /// Cap on decompressed plaintext (default 64 KiB).
    pub fn decompression_cap(mut self, bytes: usize) -> Self {
        self.decompression_cap = bytes;
        self
    }

    /// The clock used by [`Codec::seal`] and [`Codec::open`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the configuration and builds every key schedule.
    ///
    /// # Errors
    /// A [`ConfigError`] naming what to change.
    pub fn build(mut self) -> Result<Codec<T>, ConfigError> {
        let keyring = self.keyring.take().ok_or(ConfigError::NoKeyring)?;
        if let Some(id) = keyring.duplicate_key_id() {
            return Err(ConfigError::KeyIdCollision(id));
        }
        validate_name(&self.name)?;
        self.attributes.validate_for(&self.name)?;
        if self.size_rule == SizeRule::NameValue {
            for (attribute, value) in [
                ("Path", &self.attributes.path),
                ("Domain", &self.attributes.domain),
            ] {
                if let Some(len) = value.as_ref().map(String::len)
                    && len > MAX_ATTRIBUTE_VALUE_LEN
                {
                    return Err(ConfigError::AttributeTooLong {
                        attribute,
                        len,
                        max: MAX_ATTRIBUTE_VALUE_LEN,
                    });
                }
            }
        }
        if self.suites.is_empty() {
            self.suites.push(default_suite::<T>()?);
        }
        let mut by_version = [u8::MAX; 256];
        for (index, (version, _, padding)) in self.suites.iter().enumerate() {
            if !envelope::VERSIONS.contains(version) {
                return Err(ConfigError::ReservedVersion(*version));
            }
            if by_version[usize::from(*version)] != u8::MAX {
                return Err(ConfigError::DuplicateVersion(*version));
            }
            if let Padding::Multiple(block) = padding
                && !(1..=4096).contains(block)
            {
                return Err(ConfigError::InvalidPadding(*block));
            }
            by_version[usize::from(*version)] =
                u8::try_from(index).expect("at most 127 versions are registrable");
        }
        let current_version = match self.current {
            Some(version) => version,
            None if self.suites.len() == 1 => self.suites[0].0,
            None => return Err(ConfigError::CurrentSuiteNotChosen),
        };
        let current = by_version[usize::from(current_version)];
        if current == u8::MAX {
            return Err(ConfigError::CurrentSuiteNotRegistered(current_version));
        }
        let max_age = self
            .max_age
            .map(|age| match u32::try_from(age.as_secs()) {
                // Lifetime 0 means "no expiry" on the wire: a shorter max age
                // would seal cookies that other servers accept forever.
                Ok(0) => Err(ConfigError::MaxAgeTooShort { max_age: age }),
                Ok(seconds) => Ok(seconds),
                Err(_) => Err(ConfigError::MaxAgeTooLong {
                    seconds: age.as_secs(),
                    max: u64::from(u32::MAX),
                }),
            })
            .transpose()?;
        let idle = self
            .idle_timeout
            .map(|idle| match u32::try_from(idle.as_secs()) {
                Ok(seconds) if seconds > 0 => Ok(seconds),
                _ => Err(ConfigError::IdleTimeoutOutOfRange { idle }),
            })
            .transpose()?;
        if let (Some(window), Some(idle)) = (self.renew_within, self.idle_timeout)
            && window >= idle
        {
            return Err(ConfigError::RenewalWindowTooLong { window, idle });
        }
        if self.decompression_cap == 0 {
            return Err(ConfigError::InvalidDecompressionCap);
        }
        if self.budget > MAX_BUDGET {
            return Err(ConfigError::BudgetTooLarge {
                budget: self.budget,
                max: MAX_BUDGET,
            });
        }
        let suites = self
            .suites
            .into_iter()
            .map(|(version, factory, _)| (version, factory(&keyring)))
            .collect();
        let codec = Codec {
            inner: Arc::new(Inner {
                suites,
                by_version,
                current: usize::from(current),
                key_ids: keyring.keys().map(|k| k.id()).collect(),
                name: self.name,
                max_age,
                timeouts: Timeouts {
                    idle,
                    absolute: max_age,
                    skew: self.clock_skew.as_secs(),
                    not_before: self.not_before,
                    renew_within: self.renew_within.map(|w| w.as_secs()),
                },
                write_format: self.format,
                attributes: self.attributes,
                budget: self.budget,
                size_rule: self.size_rule,
                max_value_len: self.max_value_len.unwrap_or(self.budget),
                decompression_cap: self.decompression_cap,
                clock: self.clock,
            }),
        };
        let empty = codec.set_cookie_len_for_payload(0, codec.fresh_lifetime());
        if empty > codec.inner.budget {
            return Err(ConfigError::BudgetTooSmall {
                needed: empty,
                budget: codec.inner.budget,
            });
        }
        Ok(codec)
    }
}

#[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))]
fn default_suite<T: Serialize + DeserializeOwned + 'static>()
-> Result<(u8, SuiteFactory<T>, Padding), ConfigError> {
    let suite = Suite::new(
        crate::cipher::XChaCha20Poly1305,
        crate::serializer::Postcard,
    );
    Ok((
        1,
        Box::new(move |keyring: &Keyring| -> Box<dyn SuiteOps<T>> {
            Box::new(Prepared::new(suite, keyring))
        }),
        Padding::None,
    ))
}

#[cfg(not(all(feature = "xchacha20poly1305", feature = "postcard")))]
fn default_suite<T>() -> Result<(u8, SuiteFactory<T>, Padding), ConfigError> {
    Err(ConfigError::NoSuite)
}

/// RFC 6265 token: visible ASCII without separators.
fn validate_name(name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ConfigError::InvalidCookieName {
            name: name.to_owned(),
        })
    }
}

/// Assembles the associated data on the stack: header, suite descriptor, name.
fn with_aad<R>(
    header: &[u8],
    descriptor: &[u8; DESCRIPTOR_LEN],
    name: &str,
    f: impl FnOnce(&[u8]) -> R,
) -> R {
    let mut aad = [0u8; MAX_AAD_LEN];
    let header_len = header.len();
    let len = header_len + DESCRIPTOR_LEN + name.len();
    aad[..header_len].copy_from_slice(header);
    aad[header_len..header_len + DESCRIPTOR_LEN].copy_from_slice(descriptor);
    aad[header_len + DESCRIPTOR_LEN..len].copy_from_slice(name.as_bytes());
    f(&aad[..len])
}

impl<T: Serialize + DeserializeOwned + 'static> Codec<T> {
    /// Seals `value` as a fresh cookie issued now.
    ///
    /// # Errors
    /// [`SealError::TooLarge`] over the size budget, or a serialization error.
    pub fn seal(&self, value: &T) -> Result<String, SealError> {
        self.seal_at(value, self.inner.clock.now())
    }

    /// Seals `value` as a fresh cookie issued at `now` (seconds since the epoch):
    /// a new session, with a new session id.
    ///
    /// # Errors
    /// As [`Codec::seal`].
    pub fn seal_at(&self, value: &T, now: u64) -> Result<String, SealError> {
        self.seal_session_at(value, &SealOptions::default(), now)
            .map(|sealed| sealed.value)
    }

    /// Seals `value` under the primary key, current suite and format, keeping
    /// the session id and creation time of the cookie it was opened from (and
    /// its browser-session mark), so that re-issuing never extends the absolute
    /// timeout. Use [`Codec::seal`] to start a new session instead.
    ///
    /// # Errors
    /// As [`Codec::seal`], or [`SealError::AlreadyExpired`].
    pub fn reseal(&self, value: &T, facts: &Facts) -> Result<String, SealError> {
        self.reseal_at(value, facts, self.inner.clock.now())
    }

    /// [`Codec::reseal`] at a given time.
    ///
    /// # Errors
    /// As [`Codec::reseal`].
    pub fn reseal_at(&self, value: &T, facts: &Facts, now: u64) -> Result<String, SealError> {
        let options = SealOptions {
            continues: Some(facts),
            browser_session: facts.browser_session,
            flash: None,
        };
        self.seal_session_at(value, &options, now)
            .map(|sealed| sealed.value)
    }

    /// Seals `value` at `now` as `options` say: the general form of
    /// [`Codec::seal_at`] and [`Codec::reseal_at`], used by the web layer.
    ///
    /// ```
    /// # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
    /// use std::time::Duration;
    /// use sealed_cookie::{Codec, Key, Keyring, SealOptions, SessionMap, Value};
    ///
    /// let codec = Codec::<u32>::builder()
    ///     .keyring(Keyring::new(Key::generate()?))
    ///     .idle_timeout(Duration::from_secs(1800))
    ///     .absolute_timeout(Duration::from_secs(8 * 3600))
    ///     .build()?;
    /// let flash = SessionMap::from([("notice".to_owned(), Value::from("saved"))]);
    /// let t0 = 1_700_000_000;
    /// let first = codec.seal_session_at(&1, &SealOptions { flash: Some(&flash), ..Default::default() }, t0)?;
    /// assert_eq!(first.expires_at, Some(t0 + 1800)); // the idle timeout ends it first
    /// let opened = codec.open_at(&first.value, t0 + 1000)?;
    /// assert_eq!(opened.flash, flash);
    /// assert!(opened.facts.renewal_due); // past half the idle window
    /// let again = codec.reseal_at(&2, &opened.facts, t0 + 1000)?;
    /// let reopened = codec.open_at(&again, t0 + 2500)?;
    /// assert_eq!(reopened.facts.session_id, opened.facts.session_id);
    /// assert_eq!(reopened.facts.issued_at, t0); // the absolute timeout still counts from t0
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Codec::reseal`]; [`SealError::Flash`] for flash messages under
    /// format 1.
    pub fn seal_session_at(
        &self,
        value: &T,
        options: &SealOptions<'_>,
        now: u64,
    ) -> Result<Sealed, SealError> {
        let plan = self.plan(options, now)?;
        let session_id = plan.session_id;
        let expires_at = plan.expires_at;
        self.seal_inner(value, &plan, None).map(|value| Sealed {
            value,
            expires_at,
            session_id,
        })
    }

    /// The header's times and flags, the session id and the expiry of a seal.
    fn plan<'a>(&self, options: &SealOptions<'a>, now: u64) -> Result<Plan<'a>, SealError> {
        let inner = &*self.inner;
        // A format 2 session stays in format 2 under a format 1 writer: moving
        // it back would drop its id (and so its revocation) and its idle time.
        let format = match options.continues {
            Some(facts) if facts.format == Format::V2 => Format::V2,
            _ => inner.write_format,
        };
        let flash = options.flash.filter(|flash| !flash.is_empty());
        let cap = self.lifetime_cap(format);
        let (issued_at, lifetime) = match options.continues {
            None => (now, cap.unwrap_or(0)),
            Some(facts) => {
                let lifetime = match (facts.lifetime, cap) {
                    (0, max_age) => max_age.unwrap_or(0),
                    (sealed, Some(max_age)) => sealed.min(max_age),
                    (sealed, None) => sealed,
                };
                // Neither the opened cookie's expiry nor this codec's absolute
                // limit may have passed: the skew allowance that let the cookie
                // open does not extend it.
                let (_, absolute) = inner
                    .timeouts
                    .expiries(format, facts.issued_at, now, lifetime);
                let ends = match (facts.expires_at, absolute) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                if let Some(expires_at) = ends
                    && now >= expires_at
                {
                    return Err(SealError::AlreadyExpired { expires_at });
                }
                (facts.issued_at, lifetime)
            }
        };
        // A session accepted within the skew of a clock ahead of ours is sealed
        // at its own time, never before it began.
        let sealed_at = now.max(issued_at);
        let mut flags = 0;
        let (lifetime, session_id) = match format {
            Format::V1 => {
                if flash.is_some() {
                    return Err(SealError::Flash("envelope format 1 has no place for them"));
                }
                (lifetime, None)
            }
            Format::V2 => {
                if sealed_at - issued_at > u64::from(u32::MAX) {
                    return Err(SealError::SessionTooOld { issued_at });
                }
                if options.browser_session {
                    flags |= FLAG_BROWSER_SESSION;
                }
                if flash.is_some() {
                    flags |= FLAG_FLASH;
                }
                let id = match options.continues.and_then(|facts| facts.session_id) {
                    Some(id) => id,
                    None => SessionId::generate()?,
                };
                (lifetime, Some(id))
            }
        };
        let expires_at = inner
            .timeouts
            .expiry_of_seal(format, issued_at, sealed_at, lifetime);
        Ok(Plan {
            format,
            issued_at,
            sealed_at,
            lifetime,
            flags,
            session_id,
            flash,
            expires_at,
            counted_expiry: expires_at.filter(|_| !options.browser_session),
        })
    }

    /// Seals a fresh cookie with a caller-chosen nonce, to reproduce the frozen
    /// test vectors (format 2 cookies get a random session id: see
    /// [`Codec::seal_vector`]). Never use it otherwise: a repeated nonce breaks
    /// AES-GCM and XChaCha20-Poly1305.
    ///
    /// # Errors
    /// As [`Codec::seal`].
    #[cfg(feature = "test-vectors")]
    pub fn seal_with_nonce(&self, value: &T, now: u64, nonce: &[u8]) -> Result<String, SealError> {
        let plan = self.plan(&SealOptions::default(), now)?;
        self.seal_inner(value, &plan, Some(nonce))
    }

    /// Seals with a caller-chosen nonce and (format 2) session id at `now`, as
    /// `options` say, to reproduce the frozen test vectors. Never use it
    /// otherwise.
    ///
    /// # Errors
    /// As [`Codec::seal_session_at`].
    #[cfg(feature = "test-vectors")]
    pub fn seal_vector(
        &self,
        value: &T,
        options: &SealOptions<'_>,
        now: u64,
        session_id: Option<SessionId>,
        nonce: &[u8],
    ) -> Result<String, SealError> {
        let mut plan = self.plan(options, now)?;
        if plan.session_id.is_some() {
            plan.session_id = session_id.or(plan.session_id);
        }
        self.seal_inner(value, &plan, Some(nonce))
    }

    fn seal_inner(
        &self,
        value: &T,
        plan: &Plan<'_>,
        fixed_nonce: Option<&[u8]>,
    ) -> Result<String, SealError> {
        let inner = &*self.inner;
        // Room for the largest envelope the budget allows, so that serializing
        // never reallocates.
        let capacity = (inner.budget / 4 * 3 + 3).min(MAX_SCRATCH);
        with_scratch(capacity, |buf| {
            let sealed = self.seal_into(buf, value, plan, fixed_nonce);
            match sealed {
                Ok(()) => Ok(crate::base64url::encode(buf)),
                Err(error) => {
                    // The plaintext may not have been encrypted.
                    buf.as_mut_slice().zeroize();
                    Err(error)
                }
            }
        })
    }

    /// Writes the envelope into `buf` (empty): header, nonce, ciphertext, tag.
    fn seal_into(
        &self,
        buf: &mut Vec<u8>,
        value: &T,
        plan: &Plan<'_>,
        fixed_nonce: Option<&[u8]>,
    ) -> Result<(), SealError> {
        let inner = &*self.inner;
        let suite = &*inner.suites[inner.current].1;
        let info = suite.info();
        let header_len = plan.format.header_len();
        let prefix = header_len + info.nonce_len;
        buf.resize(prefix, 0);
        if let Some(id) = plan.session_id {
            buf.extend_from_slice(id.as_bytes());
        }
        if let Some(flash) = plan.flash {
            let at = buf.len();
            buf.extend_from_slice(&[0, 0]);
            // Moved into a `Value` and back would need `&mut`: flash is small.
            suite.encode_value(&Value::Map(flash.clone()), buf)?;
            let len = u16::try_from(buf.len() - at - 2)
                .map_err(|_| SealError::Flash("they take more than 65535 bytes"))?;
            buf[at..at + 2].copy_from_slice(&len.to_be_bytes());
        }
        let flags =
            plan.flags | suite.encode_payload(value, inner.decompression_cap, buf, prefix)?;
        let header = Header {
            format: plan.format,
            version: inner.suites[inner.current].0,
            key_id: inner.key_ids[0],
            flags,
            issued_at: plan.issued_at,
            lifetime: plan.lifetime,
            sealed_at: plan.sealed_at,
        };
        let max_age = plan
            .counted_expiry
            .map(|at| at.saturating_sub(plan.sealed_at));
        let needed = self.measured_len(
            &inner.name,
            envelope::encoded_len(buf.len() + info.tag_len),
            max_age,
            plan.counted_expiry,
        );
        if needed > inner.budget {
            return Err(SealError::TooLarge {
                needed,
                budget: inner.budget,
            });
        }
        let header_bytes = header.to_bytes();
        buf[..header_len].copy_from_slice(&header_bytes);
        let (head, payload) = buf.split_at_mut(prefix);
        let nonce = &mut head[header_len..];
        match fixed_nonce {
            Some(fixed) if fixed.len() == nonce.len() => nonce.copy_from_slice(fixed),
            Some(_) => return Err(SealError::Encrypt),
            // A per-thread ChaCha12 generator, seeded again after fork(): see nonce.rs.
            None => crate::nonce::fill(nonce).map_err(|_| SealError::Rng)?,
        }
        let mut tag = [0u8; MAX_TAG_LEN];
        let tag = &mut tag[..info.tag_len];
        with_aad(&header_bytes, &info.descriptor, &inner.name, |aad| {
            suite.seal(0, &head[header_len..], aad, payload, tag)
        })?;
        buf.extend_from_slice(tag);
        Ok(())
    }

    /// Opens a cookie value at the clock's current time.
    ///
    /// # Errors
    /// An [`OpenError`] for logs; the client should just get a fresh session.
    pub fn open(&self, cookie: &str) -> Result<Opened<T>, OpenError> {
        self.open_at(cookie, self.inner.clock.now())
    }

    /// Opens a cookie value at `now` (seconds since the epoch).
    ///
    /// Checks run cheapest first: length, base64url, version, key id, then one AEAD
    /// attempt, then the timestamps, then decompression and deserialization.
    ///
    /// # Errors
    /// As [`Codec::open`].
    pub fn open_at(&self, cookie: &str, now: u64) -> Result<Opened<T>, OpenError> {
        let cap = self.inner.decompression_cap;
        // The value is written once, here, and moved once, into the result.
        let mut value = None;
        let mut prefix = None;
        let mut facts = self.open_with(cookie, now, |suite, header, payload| {
            prefix = Some(suite.decode_payload(
                header.format,
                header.flags,
                payload,
                cap,
                &mut value,
            )?);
            Ok(())
        })?;
        let (Some(value), Some(prefix)) = (value, prefix) else {
            unreachable!("open_with returns facts only after reading the payload")
        };
        facts.session_id = prefix.session_id;
        Ok(Opened {
            value,
            facts,
            flash: prefix.flash,
        })
    }

    /// Authenticates a cookie and checks its times like [`Codec::open_at`], then
    /// returns the whole plaintext (unpadded, decompressed; in format 2 the
    /// session id and any flash messages first) without reading it
    /// as `T`: for tools that must tell an authentic cookie holding some other
    /// type from a forgery.
    ///
    /// ```
    /// # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
    /// use sealed_cookie::{Codec, Key, Keyring};
    /// let keyring = Keyring::new(Key::from_bytes(&[7; 32]).unwrap());
    /// let typed = Codec::<(u8, u8)>::builder().keyring(keyring.clone()).build().unwrap();
    /// let cookie = typed.seal_at(&(1, 0xff), 1_700_000_000).unwrap();
    /// let other = Codec::<String>::builder().keyring(keyring).build().unwrap();
    /// assert!(other.open_at(&cookie, 1_700_000_000).is_err());
    /// let opened = other.open_plaintext_at(&cookie, 1_700_000_000).unwrap();
    /// // Format 2: the 16-byte session id, then the value, not the UTF-8 a String needs.
    /// assert_eq!(opened.value[..16], opened.facts.session_id.unwrap().0);
    /// assert_eq!(opened.value[16..], [1, 0xff]);
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`Codec::open`], except that the plaintext is never deserialized.
    pub fn open_plaintext_at(
        &self,
        cookie: &str,
        now: u64,
    ) -> Result<Opened<Zeroizing<Vec<u8>>>, OpenError> {
        let cap = self.inner.decompression_cap;
        let mut plain = Zeroizing::new(Vec::new());
        let mut facts = self.open_with(cookie, now, |suite, header, payload| {
            suite.visit_plaintext(header.flags, payload, cap, &mut |bytes| {
                plain.extend_from_slice(bytes);
            })
        })?;
        facts.session_id = facts.split_plaintext(&plain)?.session_id;
        Ok(Opened {
            value: plain,
            facts,
            flash: SessionMap::new(),
        })
    }

    /// The checks and the one AEAD attempt shared by every way of opening;
    /// `read` takes the authentic payload into the caller's result.
    ///
    /// The value is base64url-decoded once, into the thread's scratch buffer,
    /// and the header read from those bytes: length, version, key id and
    /// base64url are all checked before the one AEAD attempt, and reported in
    /// SPEC.md's order (the header alone is decoded again only when the whole
    /// value does not decode).
    fn open_with(
        &self,
        cookie: &str,
        now: u64,
        read: impl FnOnce(&dyn SuiteOps<T>, &Header, &[u8]) -> Result<(), OpenError>,
    ) -> Result<Facts, OpenError> {
        let inner = &*self.inner;
        if cookie.len() > inner.max_value_len {
            return Err(OpenError::TooLong {
                len: cookie.len(),
                max: inner.max_value_len,
            });
        }
        with_scratch(cookie.len() / 4 * 3 + 3, |buf| {
            if crate::base64url::decode_into(cookie, buf).is_err() {
                // SPEC.md section 6: a header that names no suite or key is
                // reported as such even when the rest does not decode.
                let header = Header::decode(cookie)?;
                self.suite_and_key(&header)?;
                return Err(OpenError::Malformed("not base64url"));
            }
            let header = Header::parse(buf)?;
            let (suite_index, key_index) = self.suite_and_key(&header)?;
            let suite = &*inner.suites[suite_index].1;
            let info = suite.info();
            let header_len = header.format.header_len();
            let prefix = header_len + info.nonce_len;
            let Some(payload_len) = buf.len().checked_sub(prefix + info.tag_len) else {
                return Err(OpenError::Malformed("shorter than header, nonce and tag"));
            };
            let (head, rest) = buf.split_at_mut(prefix);
            let (payload, tag) = rest.split_at_mut(payload_len);
            let facts = with_aad(&head[..header_len], &info.descriptor, &inner.name, |aad| {
                suite.open(key_index, &head[header_len..], aad, payload, tag)
            })
            .and_then(|()| self.check_time(&header, key_index, now))
            .and_then(|facts| read(suite, &header, payload).map(|()| facts));
            // Plaintext, or whatever a cipher that refused left behind, never
            // stays in the scratch buffer.
            payload.zeroize();
            facts
        })
    }

    /// Version and key id: what names the suite and the key, checked without one.
    fn suite_and_key(&self, header: &Header) -> Result<(usize, usize), OpenError> {
        let inner = &*self.inner;
        let suite_index = inner.by_version[usize::from(header.version)];
        if suite_index == u8::MAX {
            return Err(OpenError::UnknownVersion(header.version));
        }
        // Every id is compared, without an early exit, so that the time taken does
        // not tell which key of the keyring (primary or which accepted one) matched.
        let mut found = u64::MAX;
        for (index, id) in (0u64..).zip(&inner.key_ids) {
            let first = id.0.ct_eq(&header.key_id.0) & found.ct_eq(&u64::MAX);
            found = u64::conditional_select(&found, &index, first);
        }
        let key_index = usize::try_from(found)
            .ok()
            .filter(|&index| index < inner.key_ids.len())
            .ok_or(OpenError::UnknownKey(header.key_id))?;
        Ok((usize::from(suite_index), key_index))
    }

    fn check_time(&self, header: &Header, key_index: usize, now: u64) -> Result<Facts, OpenError> {
        let inner = &*self.inner;
        let mut facts = inner.timeouts.check(header, now, inner.write_format)?;
        facts.old_key = key_index != 0;
        facts.old_suite = facts.version != inner.suites[inner.current].0;
        facts.needs_reissue =
            facts.old_key || facts.old_suite || facts.old_format || facts.renewal_due;
        Ok(facts)
    }
}

impl<T> Codec<T> {
    /// The same codec (suites, name, lifetimes, attributes, budget, clock) with
    /// another keyring: for keys reloaded while the server runs. The suites'
    /// subkeys are derived again from the new keys.
    ///
    /// ```
    /// # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
    /// use sealed_cookie::{Codec, Key, Keyring};
    /// let (old, new) = (Key::generate()?, Key::generate()?);
    /// let codec = Codec::<u32>::builder().keyring(Keyring::new(old.clone())).build()?;
    /// let cookie = codec.seal(&7)?;
    /// let rotated = codec.with_keyring(Keyring::new(new.clone()).with_accepted(old))?;
    /// assert_eq!(rotated.open(&cookie)?.value, 7);
    /// assert_eq!(rotated.primary_key_id(), new.id());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::KeyIdCollision`], as [`CodecBuilder::build`].
    pub fn with_keyring(&self, keyring: Keyring) -> Result<Self, ConfigError> {
        if let Some(id) = keyring.duplicate_key_id() {
            return Err(ConfigError::KeyIdCollision(id));
        }
        let inner = &*self.inner;
        Ok(Codec {
            inner: Arc::new(Inner {
                suites: inner
                    .suites
                    .iter()
                    .map(|(version, suite)| (*version, suite.rekeyed(&keyring)))
                    .collect(),
                by_version: inner.by_version,
                current: inner.current,
                key_ids: keyring.keys().map(|k| k.id()).collect(),
                name: inner.name.clone(),
                max_age: inner.max_age,
                timeouts: inner.timeouts,
                write_format: inner.write_format,
                attributes: inner.attributes.clone(),
                budget: inner.budget,
                size_rule: inner.size_rule,
                max_value_len: inner.max_value_len,
                decompression_cap: inner.decompression_cap,
                clock: Arc::clone(&inner.clock),
            }),
        })
    }

    /// Seconds a fresh cookie lives (`Max-Age` of a persistent one), for the budget.
    fn fresh_lifetime(&self) -> Option<u64> {
        let inner = &*self.inner;
        inner.timeouts.expiry_of_seal(
            inner.write_format,
            0,
            0,
            self.lifetime_cap(inner.write_format).unwrap_or(0),
        )
    }

    /// The longest lifetime a seal writes into the header. Format 1 records no
    /// seal time, so no idle expiry: its cookies live the absolute timeout or,
    /// when only an idle timeout is set, that long from sign-in, and never
    /// without an expiry the codec was given.
    fn lifetime_cap(&self, format: Format) -> Option<u32> {
        let inner = &*self.inner;
        match format {
            Format::V1 => inner.max_age.or(inner.timeouts.idle),
            Format::V2 => inner.max_age,
        }
    }

    /// The cookie name bound into every cookie.
    #[must_use]
    pub fn cookie_name(&self) -> &str {
        &self.inner.name
    }

    /// The attributes counted in the budget.
    #[must_use]
    pub fn attributes(&self) -> &CookieAttributes {
        &self.inner.attributes
    }

    /// The idle timeout.
    #[must_use]
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.inner
            .timeouts
            .idle
            .map(|s| Duration::from_secs(u64::from(s)))
    }

    /// The clock-skew allowance.
    #[must_use]
    pub fn clock_skew(&self) -> Duration {
        Duration::from_secs(self.inner.timeouts.skew)
    }

    /// The envelope format that seals.
    #[must_use]
    pub fn envelope_format(&self) -> Format {
        self.inner.write_format
    }

    /// How long a fresh cookie lives: the earlier of the two timeouts (`Max-Age`
    /// of a persistent cookie sealed now).
    #[must_use]
    pub fn fresh_expiry(&self) -> Option<Duration> {
        self.fresh_lifetime().map(Duration::from_secs)
    }

    /// The absolute timeout (also the lifetime of a fresh format 1 cookie).
    #[must_use]
    pub fn max_age(&self) -> Option<Duration> {
        self.inner
            .max_age
            .map(|s| Duration::from_secs(u64::from(s)))
    }

    /// The size budget for the whole `Set-Cookie` string.
    #[must_use]
    pub fn budget(&self) -> usize {
        self.inner.budget
    }

    /// The version that seals.
    #[must_use]
    pub fn current_version(&self) -> u8 {
        self.inner.suites[self.inner.current].0
    }

    /// The name of the suite registered under `version`, e.g. `xchacha20poly1305+postcard+none`.
    #[must_use]
    pub fn suite_name(&self, version: u8) -> Option<&str> {
        let index = self.inner.by_version[usize::from(version)];
        self.inner
            .suites
            .get(usize::from(index))
            .map(|(_, suite)| suite.info().name.as_str())
    }

    /// The primary key's id.
    #[must_use]
    pub fn primary_key_id(&self) -> KeyId {
        self.inner.key_ids[0]
    }

    /// The clock's current time, in seconds since the epoch.
    #[must_use]
    pub fn now(&self) -> u64 {
        self.inner.clock.now()
    }

    /// Length of the `Set-Cookie` string for a fresh cookie whose (serialized,
    /// compressed) payload is `payload_len` bytes under the current suite.
    fn set_cookie_len_for_payload(&self, payload_len: usize, max_age: Option<u64>) -> usize {
        self.measured_len(
            &self.inner.name,
            self.sealed_len_for_payload(payload_len),
            max_age,
            max_age,
        )
    }

    /// Characters of the sealed value for a payload of `payload_len` bytes
    /// under the current suite: header, nonce, padded payload and tag, base64url.
    fn sealed_len_for_payload(&self, payload_len: usize) -> usize {
        let inner = &*self.inner;
        let info = inner.suites[inner.current].1.info();
        let plain = payload_len.saturating_add(inner.write_format.plaintext_prefix_len());
        envelope::encoded_len(
            (inner.write_format.header_len() + info.nonce_len + info.tag_len)
                .saturating_add(info.padded_len(plain)),
        )
    }

    /// What the budget counts of cookie `name` with a value of `value_len`
    /// bytes: the whole `Set-Cookie` string, or name and value alone.
    pub(crate) fn measured_len(
        &self,
        name: &str,
        value_len: usize,
        max_age: Option<u64>,
        expires_at: Option<u64>,
    ) -> usize {
        match self.inner.size_rule {
            SizeRule::WholeLine => self
                .inner
                .attributes
                .rendered_len(name, value_len, max_age, expires_at),
            SizeRule::NameValue => name.len().saturating_add(value_len),
        }
    }

    /// What the size budget counts.
    #[must_use]
    pub fn size_rule(&self) -> SizeRule {
        self.inner.size_rule
    }

    /// Largest payload (serialized, after any compression) whose sealed value
    /// is at most `value_len` characters under the current suite.
    #[cfg(feature = "web")]
    pub(crate) fn payload_capacity_for_value_len(&self, value_len: usize) -> usize {
        last_fitting(value_len, |n| self.sealed_len_for_payload(n) <= value_len)
    }

    /// Length of `value`'s payload as the current suite would seal it
    /// (serialized, compressed when that shrinks it), without its padding.
    ///
    /// # Errors
    /// A serialization or compression error.
    #[cfg(feature = "web")]
    pub(crate) fn payload_len(&self, value: &T) -> Result<usize, SealError> {
        let inner = &*self.inner;
        let suite = &*inner.suites[inner.current].1;
        let mut buf = Vec::new();
        let flags = suite.encode_payload(value, inner.decompression_cap, &mut buf, 0)?;
        let len = if flags & envelope::FLAG_PADDED == 0 {
            buf.len()
        } else {
            envelope::unpad(&buf).map_or(buf.len(), <[u8]>::len)
        };
        buf.zeroize();
        Ok(len)
    }

    /// Bytes flash messages take in the plaintext: their length and the
    /// session value the current suite writes for them (before compression).
    ///
    /// # Errors
    /// A serialization error.
    #[cfg(feature = "web")]
    pub(crate) fn flash_len(&self, flash: &SessionMap) -> Result<usize, SealError> {
        if flash.is_empty() {
            return Ok(0);
        }
        let inner = &*self.inner;
        let mut buf = Vec::new();
        inner.suites[inner.current]
            .1
            .encode_value(&Value::Map(flash.clone()), &mut buf)?;
        let len = buf.len() + 2;
        buf.zeroize();
        Ok(len)
    }

    /// How many serialized plaintext bytes a fresh cookie can hold (before any
    /// compression) within the budget, counting name, attributes, header, nonce,
    /// padding and tag.
    ///
    /// ```
    /// # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
    /// use sealed_cookie::{Codec, Key, Keyring, SealError};
    /// let codec = Codec::<Vec<u8>>::builder()
    ///     .keyring(Keyring::new(Key::generate().unwrap()))
    ///     .build()
    ///     .unwrap();
    /// let fits = codec.plaintext_capacity();
    /// // postcard writes a Vec<u8> as a 2-byte length then the bytes.
    /// assert!(codec.seal(&vec![7u8; fits - 2]).is_ok());
    /// assert!(matches!(codec.seal(&vec![7u8; fits - 1]), Err(SealError::TooLarge { .. })));
    /// # }
    /// ```
    #[must_use]
    pub fn plaintext_capacity(&self) -> usize {
        self.plaintext_capacity_of(false)
    }

    /// [`Codec::plaintext_capacity`] of a persistent cookie (`false`), or of a
    /// browser-session one (`true`), whose `Set-Cookie` line carries no
    /// `Max-Age` or `Expires`.
    #[must_use]
    pub fn plaintext_capacity_of(&self, browser_session: bool) -> usize {
        let max_age = self.fresh_lifetime().filter(|_| !browser_session);
        let fits = |n: usize| self.set_cookie_len_for_payload(n, max_age) <= self.inner.budget;
        last_fitting(self.inner.budget, fits)
    }
}

/// The largest `n` in `0..=high` for which `fits(n)` holds (0 when none does),
/// for a `fits` that holds up to some `n` and not beyond: lengths grow with `n`.
fn last_fitting(high: usize, fits: impl Fn(usize) -> bool) -> usize {
    let (mut low, mut high) = (0usize, high);
    if !fits(low) {
        return 0;
    }
    while low < high {
        let mid = (low + high).div_ceil(2);
        if fits(mid) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    low
}

impl<T> fmt::Debug for Codec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Codec")
            .field("cookie_name", &inner.name)
            .field("current_version", &inner.suites[inner.current].0)
            .field(
                "suites",
                &inner
                    .suites
                    .iter()
                    .map(|(v, s)| (*v, s.info().name.as_str()))
                    .collect::<Vec<_>>(),
            )
            .field("key_ids", &inner.key_ids)
            .field("max_age", &inner.max_age)
            .field("budget", &inner.budget)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_is_empty_sized_and_reentrant() {
        let outer = with_scratch(100, |buf| {
            assert!(buf.is_empty() && buf.capacity() >= 100);
            buf.extend_from_slice(b"outer");
            // A nested call (a Serialize impl that seals) gets a buffer of its own.
            let inner = with_scratch(10, |nested| {
                assert!(nested.is_empty() && nested.capacity() >= 10);
                nested.extend_from_slice(b"inner");
                nested.clone()
            });
            assert_eq!(buf.as_slice(), b"outer");
            (inner, buf.clone())
        });
        assert_eq!(outer, (b"inner".to_vec(), b"outer".to_vec()));
        // Handed back empty, and kept unless it grew past the cap.
        with_scratch(0, |buf| assert!(buf.is_empty() && buf.capacity() >= 100));
        with_scratch(MAX_SCRATCH + 1, |buf| buf.push(1));
        with_scratch(0, |buf| assert!(buf.capacity() <= MAX_SCRATCH));
    }

    #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))]
    #[test]
    fn a_value_whose_serialization_seals_still_seals() {
        use serde::Deserialize;

        /// Serializes itself as a cookie sealed by an inner codec.
        #[derive(Debug, PartialEq, Deserialize)]
        struct Nested(String);
        impl Serialize for Nested {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let inner = Codec::<String>::builder()
                    .keyring(Keyring::new(crate::Key::from_bytes(&[1; 32]).expect("key")))
                    .build()
                    .expect("codec");
                let cookie = inner.seal(&self.0).map_err(serde::ser::Error::custom)?;
                s.serialize_str(&cookie)
            }
        }
        let codec = Codec::<Nested>::builder()
            .keyring(Keyring::new(crate::Key::from_bytes(&[2; 32]).expect("key")))
            .build()
            .expect("codec");
        let cookie = codec.seal(&Nested("hello".to_owned())).expect("seals");
        let opened = codec.open(&cookie).expect("opens").value;
        assert_ne!(opened.0, "hello", "the value holds the inner cookie");
        let inner = Codec::<String>::builder()
            .keyring(Keyring::new(crate::Key::from_bytes(&[1; 32]).expect("key")))
            .build()
            .expect("codec");
        assert_eq!(inner.open(&opened.0).expect("inner opens").value, "hello");
    }
}
