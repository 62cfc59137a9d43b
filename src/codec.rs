//! The codec: seals values into cookie values and opens them, under one current
//! suite and primary key, while still opening every accepted suite and key.

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;
use subtle::{ConditionallySelectable as _, ConstantTimeEq as _};
use zeroize::{Zeroize as _, Zeroizing};

use crate::attributes::CookieAttributes;
use crate::clock::{Clock, SystemClock};
use crate::envelope::{self, DESCRIPTOR_LEN, FLAG_COMPRESSED, FLAG_PADDED, HEADER_LEN, Header};
use crate::error::{ConfigError, OpenError, SealError};
use crate::keyring::{KeyId, Keyring};
use crate::suite::{Padding, Prepared, Suite, SuiteOps};
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
const MAX_AAD_LEN: usize = HEADER_LEN + DESCRIPTOR_LEN + MAX_NAME_LEN;
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

/// What an opened cookie says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Suite version it was sealed under.
    pub version: u8,
    /// Key it was sealed with.
    pub key_id: KeyId,
    /// Issued-at, seconds since the Unix epoch.
    pub issued_at: u64,
    /// Lifetime in seconds from `issued_at` as sealed (0: none).
    pub lifetime: u32,
    /// Effective expiry, seconds since the Unix epoch: the sealed lifetime, cut
    /// short by the codec's current max age. `None` when neither is set.
    pub expires_at: Option<u64>,
    /// The payload was compressed.
    pub compressed: bool,
    /// The payload was padded.
    pub padded: bool,
    /// Sealed with an accepted (not the primary) key.
    pub old_key: bool,
    /// Sealed under an accepted (not the current) suite.
    pub old_suite: bool,
    /// Less than the renewal window remains before expiry.
    pub renewal_due: bool,
    /// The cookie should be sealed again: `old_key || old_suite || renewal_due`.
    /// Re-sealing with [`Codec::reseal`] moves it to the primary key and current
    /// suite and keeps its issued-at; [`Codec::seal`] renews it.
    pub needs_reissue: bool,
}

/// An opened cookie: the value and its facts.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened<T> {
    /// The value.
    pub value: T,
    /// Version, key id, timestamps and whether to re-issue.
    pub facts: Facts,
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
    max_age: Option<u32>,
    clock_skew: u64,
    not_before: u64,
    renew_within: Option<u64>,
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
    clock_skew: Duration,
    not_before: u64,
    renew_within: Option<Duration>,
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
            clock_skew: DEFAULT_CLOCK_SKEW,
            not_before: 0,
            renew_within: None,
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

    /// Lifetime of a fresh cookie; also caps cookies sealed with a longer one.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
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

    /// Flags a cookie for renewal when less than `window` remains before expiry.
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
                clock_skew: self.clock_skew.as_secs(),
                not_before: self.not_before,
                renew_within: self.renew_within.map(|w| w.as_secs()),
                attributes: self.attributes,
                budget: self.budget,
                size_rule: self.size_rule,
                max_value_len: self.max_value_len.unwrap_or(self.budget),
                decompression_cap: self.decompression_cap,
                clock: self.clock,
            }),
        };
        let empty = codec.set_cookie_len_for_payload(0, max_age.map(u64::from));
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
    header: &[u8; HEADER_LEN],
    descriptor: &[u8; DESCRIPTOR_LEN],
    name: &str,
    f: impl FnOnce(&[u8]) -> R,
) -> R {
    let mut aad = [0u8; MAX_AAD_LEN];
    let len = HEADER_LEN + DESCRIPTOR_LEN + name.len();
    aad[..HEADER_LEN].copy_from_slice(header);
    aad[HEADER_LEN..HEADER_LEN + DESCRIPTOR_LEN].copy_from_slice(descriptor);
    aad[HEADER_LEN + DESCRIPTOR_LEN..len].copy_from_slice(name.as_bytes());
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

    /// Seals `value` as a fresh cookie issued at `now` (seconds since the epoch).
    ///
    /// # Errors
    /// As [`Codec::seal`].
    pub fn seal_at(&self, value: &T, now: u64) -> Result<String, SealError> {
        let lifetime = self.inner.max_age.unwrap_or(0);
        self.seal_inner(value, now, now, lifetime, None)
    }

    /// Seals `value` under the primary key and current suite, keeping the issued-at
    /// and lifetime of the cookie it was opened from, so that re-issuing never
    /// extends a session. Use [`Codec::seal`] to renew instead.
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
        let lifetime = match (facts.lifetime, self.inner.max_age) {
            (0, max_age) => max_age.unwrap_or(0),
            (sealed, Some(max_age)) => sealed.min(max_age),
            (sealed, None) => sealed,
        };
        if lifetime != 0 {
            let expires_at = facts.issued_at.saturating_add(u64::from(lifetime));
            if now >= expires_at {
                return Err(SealError::AlreadyExpired { expires_at });
            }
        }
        self.seal_inner(value, facts.issued_at, now, lifetime, None)
    }

    /// Seals with a caller-chosen nonce, to reproduce the frozen test vectors.
    /// Never use it otherwise: a repeated nonce breaks AES-GCM and XChaCha20-Poly1305.
    ///
    /// # Errors
    /// As [`Codec::seal`].
    #[cfg(feature = "test-vectors")]
    pub fn seal_with_nonce(&self, value: &T, now: u64, nonce: &[u8]) -> Result<String, SealError> {
        let lifetime = self.inner.max_age.unwrap_or(0);
        self.seal_inner(value, now, now, lifetime, Some(nonce))
    }

    fn seal_inner(
        &self,
        value: &T,
        issued_at: u64,
        now: u64,
        lifetime: u32,
        fixed_nonce: Option<&[u8]>,
    ) -> Result<String, SealError> {
        let inner = &*self.inner;
        // Room for the largest envelope the budget allows, so that serializing
        // never reallocates.
        let capacity = (inner.budget / 4 * 3 + 3).min(MAX_SCRATCH);
        with_scratch(capacity, |buf| {
            let sealed = self.seal_into(buf, value, issued_at, now, lifetime, fixed_nonce);
            match sealed {
                Ok(()) => Ok(URL_SAFE_NO_PAD.encode(&buf)),
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
        issued_at: u64,
        now: u64,
        lifetime: u32,
        fixed_nonce: Option<&[u8]>,
    ) -> Result<(), SealError> {
        let inner = &*self.inner;
        let suite = &*inner.suites[inner.current].1;
        let info = suite.info();
        let prefix = HEADER_LEN + info.nonce_len;
        buf.resize(prefix, 0);
        let flags = suite.encode_payload(value, inner.decompression_cap, buf)?;
        let header = Header {
            version: inner.suites[inner.current].0,
            key_id: inner.key_ids[0],
            flags,
            issued_at,
            lifetime,
        };
        let max_age = header.expires_at().map(|at| at.saturating_sub(now));
        let needed = self.measured_len(
            &inner.name,
            envelope::encoded_len(buf.len() + info.tag_len),
            max_age,
            header.expires_at(),
        );
        if needed > inner.budget {
            return Err(SealError::TooLarge {
                needed,
                budget: inner.budget,
            });
        }
        let header_bytes = header.to_bytes();
        buf[..HEADER_LEN].copy_from_slice(&header_bytes);
        let (head, payload) = buf.split_at_mut(prefix);
        let nonce = &mut head[HEADER_LEN..];
        match fixed_nonce {
            Some(fixed) if fixed.len() == nonce.len() => nonce.copy_from_slice(fixed),
            Some(_) => return Err(SealError::Encrypt),
            // A per-thread ChaCha12 generator, seeded again after fork(): see nonce.rs.
            None => crate::nonce::fill(nonce).map_err(|_| SealError::Rng)?,
        }
        let mut tag = [0u8; MAX_TAG_LEN];
        let tag = &mut tag[..info.tag_len];
        with_aad(&header_bytes, &info.descriptor, &inner.name, |aad| {
            suite.seal(0, &head[HEADER_LEN..], aad, payload, tag)
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
        self.open_with(cookie, now, |suite, flags, payload| {
            suite.decode_payload(flags, payload, cap)
        })
    }

    /// Authenticates a cookie and checks its times like [`Codec::open_at`], then
    /// returns the plaintext bytes (unpadded, decompressed) without reading them
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
    /// assert_eq!(*opened.value, [1, 0xff]); // not the UTF-8 a String needs
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
        self.open_with(cookie, now, |suite, flags, payload| {
            let mut plain = Zeroizing::new(Vec::new());
            suite.visit_plaintext(flags, payload, cap, &mut |bytes| {
                plain.extend_from_slice(bytes);
            })?;
            Ok(plain)
        })
    }

    /// The checks and the one AEAD attempt shared by every way of opening;
    /// `read` turns the authentic payload into the result.
    fn open_with<R>(
        &self,
        cookie: &str,
        now: u64,
        read: impl FnOnce(&dyn SuiteOps<T>, u8, &[u8]) -> Result<R, OpenError>,
    ) -> Result<Opened<R>, OpenError> {
        let inner = &*self.inner;
        let (header, suite_index, key_index) = self.check_header(cookie)?;
        let (version, suite) = (&inner.suites[suite_index].0, &*inner.suites[suite_index].1);
        let info = suite.info();
        with_scratch(cookie.len() / 4 * 3 + 3, |buf| {
            URL_SAFE_NO_PAD
                .decode_vec(cookie, buf)
                .map_err(|_| OpenError::Malformed("not base64url"))?;
            let prefix = HEADER_LEN + info.nonce_len;
            let Some(payload_len) = buf.len().checked_sub(prefix + info.tag_len) else {
                return Err(OpenError::Malformed("shorter than header, nonce and tag"));
            };
            let (head, rest) = buf.split_at_mut(prefix);
            let (payload, tag) = rest.split_at_mut(payload_len);
            let header_bytes: &[u8; HEADER_LEN] = head[..HEADER_LEN].try_into().expect("header");
            let opened = with_aad(header_bytes, &info.descriptor, &inner.name, |aad| {
                suite.open(key_index, &head[HEADER_LEN..], aad, payload, tag)
            })
            .and_then(|()| self.check_time(&header, *version, key_index, now))
            .and_then(|facts| {
                let value = read(suite, header.flags, payload)?;
                Ok(Opened { value, facts })
            });
            // Plaintext, or whatever a cipher that refused left behind, never
            // stays in the scratch buffer.
            payload.zeroize();
            opened
        })
    }

    /// Length, version and key id: everything that can be checked without a key.
    fn check_header(&self, cookie: &str) -> Result<(Header, usize, usize), OpenError> {
        let inner = &*self.inner;
        if cookie.len() > inner.max_value_len {
            return Err(OpenError::TooLong {
                len: cookie.len(),
                max: inner.max_value_len,
            });
        }
        let header_text = cookie
            .get(..envelope::encoded_len(HEADER_LEN))
            .ok_or(OpenError::Malformed("shorter than the header"))?;
        let mut header_bytes = [0u8; HEADER_LEN];
        URL_SAFE_NO_PAD
            .decode_slice(header_text, &mut header_bytes)
            .map_err(|_| OpenError::Malformed("not base64url"))?;
        let header = Header::parse(&header_bytes)?;
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
        Ok((header, usize::from(suite_index), key_index))
    }

    fn check_time(
        &self,
        header: &Header,
        version: u8,
        key_index: usize,
        now: u64,
    ) -> Result<Facts, OpenError> {
        let inner = &*self.inner;
        if header.issued_at < inner.not_before {
            return Err(OpenError::Revoked {
                issued_at: header.issued_at,
                not_before: inner.not_before,
            });
        }
        if header.issued_at > now.saturating_add(inner.clock_skew) {
            return Err(OpenError::NotYetValid {
                issued_at: header.issued_at,
            });
        }
        let capped = inner
            .max_age
            .map(|age| header.issued_at.saturating_add(u64::from(age)));
        let expires_at = match (header.expires_at(), capped) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(expires_at) = expires_at
            && now >= expires_at.saturating_add(inner.clock_skew)
        {
            return Err(OpenError::Expired {
                expired_at: expires_at,
            });
        }
        // Only a live cookie is due for renewal: one accepted past its expiry by the
        // skew allowance must not be renewed into a fresh lifetime.
        let renewal_due = match (inner.renew_within, expires_at) {
            (Some(window), Some(expires_at)) => now < expires_at && expires_at - now < window,
            _ => false,
        };
        let old_key = key_index != 0;
        let old_suite = version != inner.suites[inner.current].0;
        Ok(Facts {
            version,
            key_id: header.key_id,
            issued_at: header.issued_at,
            lifetime: header.lifetime,
            expires_at,
            compressed: header.flags & FLAG_COMPRESSED != 0,
            padded: header.flags & FLAG_PADDED != 0,
            old_key,
            old_suite,
            renewal_due,
            needs_reissue: old_key || old_suite || renewal_due,
        })
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
                clock_skew: inner.clock_skew,
                not_before: inner.not_before,
                renew_within: inner.renew_within,
                attributes: inner.attributes.clone(),
                budget: inner.budget,
                size_rule: inner.size_rule,
                max_value_len: inner.max_value_len,
                decompression_cap: inner.decompression_cap,
                clock: Arc::clone(&inner.clock),
            }),
        })
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

    /// Lifetime of a fresh cookie.
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
        envelope::encoded_len(
            (HEADER_LEN + info.nonce_len + info.tag_len)
                .saturating_add(info.padded_len(payload_len)),
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
    #[cfg(feature = "tower")]
    pub(crate) fn payload_capacity_for_value_len(&self, value_len: usize) -> usize {
        last_fitting(value_len, |n| self.sealed_len_for_payload(n) <= value_len)
    }

    /// Length of `value`'s payload as the current suite would seal it
    /// (serialized, compressed when that shrinks it), without its padding.
    ///
    /// # Errors
    /// A serialization or compression error.
    #[cfg(feature = "tower")]
    pub(crate) fn payload_len(&self, value: &T) -> Result<usize, SealError> {
        let inner = &*self.inner;
        let suite = &*inner.suites[inner.current].1;
        let mut buf = Vec::new();
        let flags = suite.encode_payload(value, inner.decompression_cap, &mut buf)?;
        let len = if flags & FLAG_PADDED == 0 {
            buf.len()
        } else {
            envelope::unpad(&buf).map_or(buf.len(), <[u8]>::len)
        };
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
        let max_age = self.inner.max_age.map(u64::from);
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
