//! The layer and its builder: configuration, checked once at start-up.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use super::cache::CacheControl;
use super::config::WebConfigError;
use super::revocation::{OnStoreError, RevocationStore, StoreError};
use crate::attributes::{CookieAttributes, SameSite};
use crate::cipher::Cipher;
use crate::clock::Clock;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::payload::{LayerCodec, SessionPayload, Typed};
use crate::codec::{Codec, CodecBuilder, DEFAULT_BUDGET, Opened, SizeRule};
use crate::compressor::Compressor;
use crate::error::{OpenError, SealError};
use crate::keyring::KeyId;
use crate::keyring::Keyring;
use crate::serializer::Serializer;
use crate::suite::Suite;
use crate::value::SessionMap;
use crate::value::Value;

/// Default bound on the whole `Cookie` request header line: nginx refuses
/// header lines over 8 KiB by default (`large_client_header_buffers`).
pub const DEFAULT_REQUEST_HEADER_BUDGET: usize = 8192;
/// Default share of the request budget left to the site's other cookies, which
/// the layer cannot see or count.
pub const DEFAULT_REQUEST_HEADER_HEADROOM: usize = 1024;
/// `Cookie: ` before the pairs.
const COOKIE_FIELD_PREFIX: usize = "Cookie: ".len();

/// Chunk cap used when chunking is turned on without one.
pub const DEFAULT_MAX_CHUNKS: usize = 4;
/// Largest chunk cap accepted: browsers keep about 50 cookies per domain.
pub const MAX_CHUNKS: usize = 16;

/// Settings and the codec, shared by every service the layer makes.
pub(crate) struct Shared {
    /// Swapped whole when the keyring is reloaded; read without a lock.
    codec: ArcSwap<Box<dyn LayerCodec>>,
    /// The cookie name and attributes, which a reload never changes.
    name: String,
    attributes: CookieAttributes,
    /// Largest `Set-Cookie` string of any one cookie.
    pub(crate) cookie_budget: usize,
    /// `Some(cap)` when a session may be split over up to `cap` chunk cookies.
    pub(crate) max_chunks: Option<usize>,
    /// Bytes of the `Cookie` request header our cookies may take together.
    pub(crate) request_room: usize,
    /// Written on responses that set or delete the session cookie.
    pub(crate) cache_control: CacheControl,
    /// Whether a 5xx response still carries the handler's session changes.
    pub(crate) commit_on_server_error: bool,
    /// Whether cookies are persistent (`Max-Age`) unless the handler chooses.
    pub(crate) persistent: bool,
    /// The revocation store, when one is configured.
    pub(crate) revocation: Option<super::revocation::engine::Revocation>,
    /// Largest serialized payload the layer can write (all chunks together).
    pub(crate) payload_capacity: usize,
    /// Read legacy session cookies when the request has none of ours.
    pub(crate) legacy: super::legacy::Readers,
}

impl Shared {
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Whether a response with `status` carries the session's changes: not a
    /// server error, unless `commit_on_server_error` says so.
    pub(crate) fn writes_session_on(&self, status: u16) -> bool {
        !(500..600).contains(&status) || self.commit_on_server_error
    }

    pub(crate) fn attributes(&self) -> &CookieAttributes {
        &self.attributes
    }

    /// The codec of the current keyring.
    pub(crate) fn codec(&self) -> arc_swap::Guard<Arc<Box<dyn LayerCodec>>> {
        self.codec.load()
    }

    /// Puts a codec for `keyring` in place for the requests that follow.
    pub(crate) fn replace_keyring(
        &self,
        keyring: crate::keyring::Keyring,
    ) -> Result<(), crate::ConfigError> {
        let codec = self.codec().with_keyring(keyring)?;
        self.codec.store(Arc::new(codec));
        Ok(())
    }

    /// Bytes the request's `Cookie` header takes for these `(name, value)` pairs.
    pub(crate) fn request_len(cookies: &[(impl AsRef<str>, impl AsRef<str>)]) -> usize {
        let separators = cookies.len().saturating_sub(1) * "; ".len();
        cookies.iter().fold(separators, |len, (name, value)| {
            len.saturating_add(name.as_ref().len() + 1)
                .saturating_add(value.as_ref().len())
        })
    }

    /// Longest sealed value (characters) the layer can write: within each
    /// cookie's budget, the chunk cap and the request-header room.
    fn longest_value(
        codec: &dyn LayerCodec,
        cookie_budget: usize,
        max_chunks: Option<usize>,
        request_room: usize,
    ) -> usize {
        let name = codec.cookie_name();
        // The longest attributes: a persistent cookie's.
        let max_age = codec.fresh_expiry().map(|age| age.as_secs());
        let single = cookie_budget
            .saturating_sub(codec.measured_len(name, 0, max_age, max_age))
            .min(request_room.saturating_sub(Self::request_len(&[(name, "")])));
        let Some(cap) = max_chunks else {
            return single;
        };
        let longest = super::chunking::chunk_name(name, cap);
        let per_chunk =
            cookie_budget.saturating_sub(codec.measured_len(&longest, 0, max_age, max_age));
        (1..=cap)
            .map(|count| {
                // The request bytes of `count` chunks, less their values.
                let fixed = Self::request_len(&super::chunking::cookies(name, &vec![""; count]));
                per_chunk
                    .saturating_mul(count)
                    .min(request_room.saturating_sub(fixed))
            })
            .chain([single])
            .max()
            .unwrap_or(0)
    }
}

/// A tower [`Layer`](tower_layer::Layer) that gives every request a [`Session`](super::Session) kept in
/// a sealed cookie. Cheap to clone.
///
/// Build it with [`SessionLayer::builder`] or from a
/// [`SessionConfig`](super::SessionConfig).
#[derive(Clone)]
pub struct SessionLayer {
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for SessionLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionLayer")
            .field("codec", &**self.shared.codec())
            .field("cookie_budget", &self.shared.cookie_budget)
            .field("max_chunks", &self.shared.max_chunks)
            .finish()
    }
}

impl SessionLayer {
    /// Starts a builder with the safe defaults: cookie `session`, `HttpOnly`,
    /// `Secure`, `SameSite=Lax`, `Path=/`, a 4096-byte budget per cookie, no
    /// expiry, no chunking, and the default suite (XChaCha20-Poly1305 + postcard).
    /// The session's entries are sealed as one session value (SPEC.md, "Session
    /// values"), which `sealed-cookie open` and every implementation read.
    pub fn builder() -> SessionLayerBuilder {
        SessionLayerBuilder::new()
    }

    /// As [`SessionLayer::builder`], for an application that declares its whole
    /// session as `T` (what [`TypedSession<T>`](super::TypedSession) extracts): the
    /// cookie holds `T` itself, which postcard writes without keys, so it is
    /// smaller (206 characters instead of 284 for the sample session). [`Session`]
    /// still works on such a layer, as a view of `T`'s fields: entries that `T`
    /// does not describe cannot be saved (the response is a `500`, logged).
    /// `sealed-cookie open` authenticates these cookies but cannot decode them.
    ///
    /// [`Session`]: super::Session
    ///
    /// ```
    /// # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
    /// use serde::{Deserialize, Serialize};
    /// use sealed_cookie::web::SessionLayer;
    /// use sealed_cookie::{Key, Keyring};
    ///
    /// #[derive(Serialize, Deserialize, Default)]
    /// struct Cart { user: Option<String>, items: Vec<String> }
    ///
    /// let layer = SessionLayer::typed::<Cart>()
    ///     .keyring(Keyring::new(Key::generate()?))
    ///     .build()?;
    /// # let _ = layer;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn typed<T>() -> SessionLayerBuilder<Typed<T>>
    where
        T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
    {
        SessionLayerBuilder::new()
    }

    /// The cookie name.
    #[must_use]
    pub fn cookie_name(&self) -> &str {
        self.shared.name()
    }

    /// The suite version that seals.
    #[must_use]
    pub fn current_version(&self) -> u8 {
        self.shared.codec().current_version()
    }

    /// The id of the key that seals.
    #[must_use]
    pub fn primary_key_id(&self) -> KeyId {
        self.shared.codec().primary_key_id()
    }

    /// The cookie's attributes.
    #[must_use]
    pub fn attributes(&self) -> &CookieAttributes {
        self.shared.attributes()
    }

    /// The session lifetime, when one is set.
    #[must_use]
    pub fn max_age(&self) -> Option<Duration> {
        self.shared.codec().max_age()
    }

    /// Largest `Set-Cookie` string the codec writes (all chunks together when
    /// chunking is on).
    #[must_use]
    pub fn budget(&self) -> usize {
        self.shared.codec().budget()
    }

    /// Seals `entries` as a fresh session cookie value, as the layer would: for
    /// test clients, load generators and migrations. (An empty session is sealed
    /// too, though the layer itself deletes the cookie of one.)
    ///
    /// ```
    /// # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
    /// use sealed_cookie::web::SessionLayer;
    /// use sealed_cookie::{Key, Keyring, SessionMap, Value};
    ///
    /// let layer = SessionLayer::builder().keyring(Keyring::new(Key::generate()?)).build()?;
    /// let entries = SessionMap::from([("user".to_owned(), Value::from("alice"))]);
    /// let cookie = layer.seal(&entries)?;
    /// assert_eq!(layer.open(&cookie)?.value, entries);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// When the entries do not fit the budget (or the declared session type).
    pub fn seal(&self, entries: &SessionMap) -> Result<String, SealError> {
        let codec = self.shared.codec();
        let options = crate::codec::SealOptions {
            browser_session: !self.shared.persistent,
            ..Default::default()
        };
        codec
            .seal(&mut entries.clone(), &options, codec.now())
            .map(|sealed| sealed.value)
    }

    /// Opens a session cookie value at the layer clock's time, as the layer would.
    ///
    /// # Errors
    /// Why it does not open.
    pub fn open(&self, cookie: &str) -> Result<Opened<SessionMap>, OpenError> {
        self.shared.codec().open(cookie)
    }

    /// The layer clock's time, in Unix seconds.
    #[must_use]
    pub fn now(&self) -> u64 {
        self.shared.codec().now()
    }

    /// Opens a session cookie value at `now` (Unix seconds), as the layer would.
    ///
    /// # Errors
    /// Why it does not open.
    pub fn open_at(&self, cookie: &str, now: u64) -> Result<Opened<SessionMap>, OpenError> {
        self.shared.codec().open_at(cookie, now)
    }
}

impl<P: SessionPayload> SessionLayerBuilder<P> {
    fn new() -> Self {
        SessionLayerBuilder {
            codec: Codec::builder(),
            attributes: CookieAttributes::default(),
            budget: DEFAULT_BUDGET,
            max_chunks: None,
            max_age: None,
            idle_timeout: None,
            absolute_timeout: None,
            renew_within: None,
            persistent: true,
            revocation: None,
            deferred: None,
            revocation_on_error: OnStoreError::Refuse,
            revocation_user_entry: "user".to_owned(),
            request_header_budget: DEFAULT_REQUEST_HEADER_BUDGET,
            request_header_headroom: DEFAULT_REQUEST_HEADER_HEADROOM,
            cache_control: CacheControl::Private,
            commit_on_server_error: false,
            reload: None,
            #[cfg(feature = "perl-compat")]
            perl: None,
            legacy: Vec::new(),
        }
    }
}

impl SessionLayer {
    /// The revocation store, when one is configured.
    #[must_use]
    pub fn revocation_store(&self) -> Option<Arc<dyn RevocationStore>> {
        self.shared
            .revocation
            .as_ref()
            .map(|revocation| Arc::clone(&revocation.store))
    }

    /// Revokes the session with this id (an admin tool: the session's owner
    /// logs out with [`Session::destroy`](super::Session::destroy)), for as long
    /// as a session alive now could last: the absolute timeout, or forever when
    /// only an idle timeout (which activity renews) or none is set.
    ///
    /// # Errors
    /// When no store is configured, or the store fails.
    pub async fn revoke_session(&self, id: crate::SessionId) -> Result<(), StoreError> {
        let store = self.store()?;
        let until = self.longest_remaining(self.now());
        store.revoke_session(id, until).await
    }

    /// Ends every session of `user` that began before `at` (Unix seconds): log
    /// out everywhere, or after a password change. Sessions begun later (a new
    /// sign-in) are unaffected. The entry is kept until the sessions it strikes
    /// reach their absolute timeout (forever without one).
    ///
    /// # Errors
    /// When no store is configured, or the store fails.
    pub async fn revoke_user(&self, user: &str, at: u64) -> Result<(), StoreError> {
        let store = self.store()?;
        let until = self.longest_remaining(at);
        store.revoke_user(user, at, until).await
    }

    fn store(&self) -> Result<Arc<dyn RevocationStore>, StoreError> {
        self.revocation_store().ok_or_else(|| {
            StoreError::new("no revocation store is configured: set revocation_url or call SessionLayerBuilder::revocation")
        })
    }

    /// `from` plus the absolute timeout and the skew: the latest a session alive
    /// at `from` can still open; `None` without an absolute timeout.
    fn longest_remaining(&self, from: u64) -> Option<u64> {
        let codec = self.shared.codec();
        codec.max_age().map(|absolute| {
            from.saturating_add(absolute.as_secs())
                .saturating_add(codec.clock_skew().as_secs())
        })
    }

    /// The chunk cap, when chunking is on.
    #[must_use]
    pub fn max_chunks(&self) -> Option<usize> {
        self.shared.max_chunks
    }
}

/// Builds a [`SessionLayer`]; every mistake is reported by [`SessionLayerBuilder::build`].
#[must_use]
pub struct SessionLayerBuilder<P = Value> {
    codec: CodecBuilder<P>,
    attributes: CookieAttributes,
    budget: usize,
    max_chunks: Option<usize>,
    max_age: Option<Duration>,
    idle_timeout: Option<Duration>,
    absolute_timeout: Option<Duration>,
    renew_within: Option<Duration>,
    persistent: bool,
    revocation: Option<Arc<dyn RevocationStore>>,
    /// A configuration mistake found before `build` (a bad URL, format number).
    deferred: Option<WebConfigError>,
    revocation_on_error: OnStoreError,
    revocation_user_entry: String,
    request_header_budget: usize,
    request_header_headroom: usize,
    cache_control: CacheControl,
    commit_on_server_error: bool,
    /// The keyring file to read again, and how often (`None` as the file: asked
    /// for by the configuration without a keyring file).
    reload: Option<(Option<PathBuf>, Duration)>,
    #[cfg(feature = "perl-compat")]
    perl: Option<(crate::perl::PerlReader, String)>,
    legacy: Vec<Arc<dyn super::legacy::LegacyReader>>,
}

impl<P> fmt::Debug for SessionLayerBuilder<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionLayerBuilder")
            .field("codec", &self.codec)
            .field("attributes", &self.attributes)
            .field("budget", &self.budget)
            .field("max_chunks", &self.max_chunks)
            .finish_non_exhaustive()
    }
}

impl<P: SessionPayload> SessionLayerBuilder<P> {
    /// The keys: the primary seals, all open. Required.
    pub fn keyring(mut self, keyring: Keyring) -> Self {
        self.codec = self.codec.keyring(keyring);
        self
    }

    /// Registers a suite under `version`, as [`CodecBuilder::suite`].
    pub fn suite<C: Cipher, S: Serializer, Z: Compressor>(
        mut self,
        version: u8,
        suite: Suite<C, S, Z>,
    ) -> Self {
        self.codec = self.codec.suite(version, suite);
        self
    }

    /// The version that seals, as [`CodecBuilder::current`].
    pub fn current(mut self, version: u8) -> Self {
        self.codec = self.codec.current(version);
        self
    }

    /// The cookie name (default `session`); chunks are named after it.
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.codec = self.codec.cookie_name(name);
        self
    }

    /// The idle timeout: a session that makes no request for this long ends.
    /// Activity re-seals the cookie, at most once per renewal window (default
    /// half the idle timeout), so read-only traffic does not write a cookie on
    /// every request.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// The absolute timeout: a session ends this long after it began (sign-in,
    /// or [`Session::renew`](super::Session::renew)), however active; nothing
    /// extends it.
    pub fn absolute_timeout(mut self, timeout: Duration) -> Self {
        self.absolute_timeout = Some(timeout);
        self
    }

    /// The format 1 lifetime setting (TOML `expires`). Alone, or beside an idle
    /// or absolute timeout, it is the absolute timeout. With
    /// [`SessionLayerBuilder::renew_within`] and no idle timeout set, it keeps
    /// its old sliding meaning: an idle timeout (a session lives `max_age` from
    /// its last renewal), bounded only by an `absolute_timeout` if one is set.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// How early before its idle expiry an active session is re-sealed (default
    /// half the idle timeout; shorter than it). Needs an idle timeout, or
    /// `max_age` in its sliding meaning.
    pub fn renew_within(mut self, window: Duration) -> Self {
        self.renew_within = Some(window);
        self
    }

    /// Whether cookies are persistent, written with `Max-Age` (default), or
    /// browser-session cookies, which the browser drops when it closes; a
    /// handler chooses per session with [`Session::set_persistent`]
    /// ("remember me"). The server enforces both timeouts either way.
    ///
    /// [`Session::set_persistent`]: super::Session::set_persistent
    pub fn persistent(mut self, persistent: bool) -> Self {
        self.persistent = persistent;
        self
    }

    /// Consults `store` for every authentic session (one round trip): a session
    /// whose id was revoked ([`Session::destroy`](super::Session::destroy)), or
    /// whose user was logged out everywhere since it began, is refused. See
    /// [`revocation`](super::revocation).
    pub fn revocation(self, store: impl RevocationStore) -> Self {
        self.revocation_store(Arc::new(store))
    }

    /// As [`SessionLayerBuilder::revocation`], with a store shared elsewhere
    /// (an admin endpoint, a background job).
    pub fn revocation_store(mut self, store: Arc<dyn RevocationStore>) -> Self {
        self.revocation = Some(store);
        self
    }

    /// The store a `revocation_url` names (`memory`, `redis://host:port/db`,
    /// `redis+unix:///path`); a URL this build cannot open fails
    /// [`SessionLayerBuilder::build`].
    pub fn revocation_url(mut self, url: &str) -> Self {
        match super::revocation::store_from_url(url) {
            Ok(store) => self.revocation = Some(store),
            Err(message) => self.deferred = Some(WebConfigError::RevocationUrl(message)),
        }
        self
    }

    /// The envelope format by number, from a configuration (1 or 2).
    pub(crate) fn envelope_format_number(self, number: u8) -> Self {
        match number {
            1 => self.envelope_format(crate::Format::V1),
            2 => self.envelope_format(crate::Format::V2),
            other => Self {
                deferred: Some(WebConfigError::UnknownEnvelopeFormat(other)),
                ..self
            },
        }
    }

    /// What to do while the store does not answer (default
    /// [`OnStoreError::Refuse`]).
    pub fn revocation_on_error(mut self, on_error: OnStoreError) -> Self {
        self.revocation_on_error = on_error;
        self
    }

    /// The session entry that names the session's user, for
    /// [`SessionLayer::revoke_user`] (default `user`; a string or an integer).
    pub fn revocation_user_entry(mut self, entry: impl Into<String>) -> Self {
        self.revocation_user_entry = entry.into();
        self
    }

    /// The envelope format that seals (default 2, which carries the session id,
    /// creation time and flash messages); both open. Keep
    /// [`Format::V1`](crate::Format::V1) while older servers that read only format
    /// 1 serve the same users; flash messages and idle timeouts need format 2.
    pub fn envelope_format(mut self, format: crate::Format) -> Self {
        self.codec = self.codec.envelope_format(format);
        self
    }

    /// Allowance for clocks that disagree between servers (default 60 s).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.codec = self.codec.clock_skew(skew);
        self
    }

    /// Rejects every cookie issued before `unix_seconds`: logs every session out.
    pub fn not_before(mut self, unix_seconds: u64) -> Self {
        self.codec = self.codec.not_before(unix_seconds);
        self
    }

    /// All cookie attributes at once.
    pub fn attributes(mut self, attributes: CookieAttributes) -> Self {
        self.attributes = attributes;
        self
    }

    /// `Path` (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.attributes.path = Some(path.into());
        self
    }

    /// `Domain` (default none: host-only). A leading dot is dropped, as browsers do.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.attributes.domain = Some(domain.into());
        self
    }

    /// `Secure` (default on). Turn it off only for plain-http development.
    pub fn secure(mut self, secure: bool) -> Self {
        self.attributes.secure = secure;
        self
    }

    /// `HttpOnly` (default on).
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.attributes.http_only = http_only;
        self
    }

    /// `SameSite` (default `Lax`); `None` writes no attribute.
    pub fn same_site(mut self, same_site: Option<SameSite>) -> Self {
        self.attributes.same_site = same_site;
        self
    }

    /// Largest `Set-Cookie` string of one cookie, in bytes (default 4096).
    pub fn budget(mut self, bytes: usize) -> Self {
        self.budget = bytes;
        self
    }

    /// Lets a session that does not fit one cookie be split over up to
    /// `max_chunks` chunk cookies (1 to [`MAX_CHUNKS`]); see `SPEC.md`.
    pub fn chunking(mut self, max_chunks: usize) -> Self {
        self.max_chunks = Some(max_chunks);
        self
    }

    /// Bound on the whole `Cookie` request header line (default 8192, nginx's
    /// default limit). The session's cookies, with every chunk, must fit in it
    /// after the headroom left to the site's other cookies; a session that
    /// would not is treated as too large.
    pub fn request_header_budget(mut self, bytes: usize) -> Self {
        self.request_header_budget = bytes;
        self
    }

    /// Part of the request budget left to the site's other cookies (default 1024).
    pub fn request_header_headroom(mut self, bytes: usize) -> Self {
        self.request_header_headroom = bytes;
        self
    }

    /// What the per-cookie budget counts, as [`CodecBuilder::size_rule`].
    pub fn size_rule(mut self, rule: SizeRule) -> Self {
        self.codec = self.codec.size_rule(rule);
        self
    }

    /// `Cache-Control` written on responses that set or delete the session
    /// cookie (default `private`), unless the handler chose `private` or
    /// `no-store` itself; a handler's `public` is replaced, with a log line.
    pub fn cache_control(mut self, directive: CacheControl) -> Self {
        self.cache_control = directive;
        self
    }

    /// Whether a `5xx` response still writes the handler's session changes
    /// (default off: the client keeps the cookie it had, as if the request had
    /// not happened).
    pub fn commit_on_server_error(mut self, commit: bool) -> Self {
        self.commit_on_server_error = commit;
        self
    }

    /// Reads the keyring file at `path` again every `every` and, when it changed
    /// and loads, seals and opens with its keys from the next request on, with
    /// no restart and no lock on the request path. A file that fails to load
    /// leaves the keys in use (the log says why); the reload is logged with the
    /// key ids and roles. Give the same file's keyring to
    /// [`SessionLayerBuilder::keyring`]; [`SessionConfig`](super::SessionConfig)
    /// does both from `keyring_file` and `keyring_reload`.
    ///
    /// ```
    /// # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
    /// use std::time::Duration;
    /// use sealed_cookie::keyfile::KeyringFile;
    /// use sealed_cookie::web::SessionLayer;
    /// use sealed_cookie::Key;
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("keyring.toml");
    /// KeyringFile::new(Key::generate()?).create(&path)?;
    /// let layer = SessionLayer::builder()
    ///     .keyring(KeyringFile::load(&path)?.keyring())
    ///     .keyring_reload(&path, Duration::from_secs(5))
    ///     .build()?;
    /// # let _ = layer;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keyring_reload(mut self, path: impl Into<PathBuf>, every: Duration) -> Self {
        self.reload = Some((Some(path.into()), every));
        self
    }

    /// As [`SessionLayerBuilder::keyring_reload`], from a configuration that may
    /// lack the file (an error when built).
    pub(crate) fn keyring_reload_of(mut self, path: Option<PathBuf>, every: Duration) -> Self {
        self.reload = Some((path, every));
        self
    }

    /// Cap on decompressed plaintext, as [`CodecBuilder::decompression_cap`].
    pub fn decompression_cap(mut self, bytes: usize) -> Self {
        self.codec = self.codec.decompression_cap(bytes);
        self
    }

    /// The clock (tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.codec = self.codec.clock(clock);
        self
    }

    /// Also opens sessions written by Perl's `Session::Storage::Secure` (as
    /// `Dancer::Session::Cookie` writes them) in the cookie `cookie_name`
    /// (Dancer's default is `dancer.session`), when a request has no session of
    /// ours. The handler sees the Perl session; the response re-issues it in the
    /// current suite and deletes the Perl cookie (when its name differs from
    /// ours). See the `perl migration` section of the README.
    ///
    /// ```
    /// # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
    /// use sealed_cookie::perl::PerlReader;
    /// use sealed_cookie::web::SessionLayer;
    /// use sealed_cookie::{Key, Keyring};
    ///
    /// let layer = SessionLayer::builder()
    ///     .keyring(Keyring::new(Key::generate()?))
    ///     .perl_legacy(PerlReader::new("the Perl secret", ["an older one"]), "dancer.session")
    ///     .build()?;
    /// # let _ = layer;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "perl-compat")]
    #[cfg_attr(docsrs, doc(cfg(feature = "perl-compat")))]
    pub fn perl_legacy(
        mut self,
        reader: crate::perl::PerlReader,
        cookie_name: impl Into<String>,
    ) -> Self {
        self.perl = Some((reader, cookie_name.into()));
        self
    }

    /// Also adopts the sessions `reader` finds when a request has no session
    /// of ours (see [`legacy`](crate::web::legacy)); readers are asked in the
    /// order added, after the Perl reader. Each adopted session is re-issued in
    /// the current suite on that response and the legacy cookies deleted.
    ///
    /// ```
    /// # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard", feature = "legacy-cookie-jar"))] {
    /// use sealed_cookie::web::SessionLayer;
    /// use sealed_cookie::web::legacy::{CookieJarReader, JarKey, JarMode};
    /// use sealed_cookie::{Key, Keyring};
    ///
    /// # let master = [4u8; 64];
    /// let layer = SessionLayer::builder()
    ///     .keyring(Keyring::new(Key::generate()?))
    ///     .legacy_reader(CookieJarReader::new(JarKey::from_master(&master)?, JarMode::Private).entries(["user"]))
    ///     .build()?;
    /// # let _ = layer;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn legacy_reader(mut self, reader: impl super::legacy::LegacyReader) -> Self {
        self.legacy.push(Arc::new(reader));
        self
    }

    pub(crate) fn legacy_reader_arc(
        mut self,
        reader: Arc<dyn super::legacy::LegacyReader>,
    ) -> Self {
        self.legacy.push(reader);
        self
    }

    /// A configuration mistake found before `build`, reported by it.
    pub(crate) fn deferred_error(mut self, error: WebConfigError) -> Self {
        self.deferred.get_or_insert(error);
        self
    }

    /// Checks everything and builds the layer.
    ///
    /// # Errors
    /// A [`WebConfigError`] that says what to change.
    pub fn build(self) -> Result<SessionLayer, WebConfigError> {
        if let Some(error) = self.deferred {
            return Err(error);
        }
        let mut attributes = self.attributes;
        if let Some(domain) = &mut attributes.domain
            && let Some(stripped) = domain.strip_prefix('.')
        {
            *domain = stripped.to_owned();
        }
        let (idle, absolute) = match (self.idle_timeout, self.absolute_timeout, self.max_age) {
            // Format 1's sliding session: max_age from the last renewal, which an
            // absolute timeout may now bound.
            (None, absolute, Some(max_age)) if self.renew_within.is_some() => {
                (Some(max_age), absolute)
            }
            (_, Some(absolute), Some(max_age)) if absolute != max_age => {
                return Err(WebConfigError::TwoAbsoluteTimeouts { absolute, max_age });
            }
            (idle, absolute, max_age) => (idle, absolute.or(max_age)),
        };
        if let Some(window) = self.renew_within {
            match idle {
                None => return Err(WebConfigError::RenewalWithoutExpiry),
                Some(idle) if window >= idle => {
                    return Err(WebConfigError::RenewalWindowTooLong {
                        window,
                        max_age: idle,
                    });
                }
                Some(_) => {}
            }
        }
        let mut codec = self.codec;
        if let Some(idle) = idle {
            codec = codec.idle_timeout(idle);
        }
        if let Some(absolute) = absolute {
            codec = codec.absolute_timeout(absolute);
        }
        if let Some(window) = self.renew_within {
            codec = codec.renew_within(window);
        }
        if let Some(cap) = self.max_chunks
            && !(1..=MAX_CHUNKS).contains(&cap)
        {
            return Err(WebConfigError::InvalidChunkCap {
                cap,
                max: MAX_CHUNKS,
            });
        }
        // With chunking on, the codec seals up to the chunks' combined size and the
        // layer checks each chunk against the per-cookie budget.
        let total = self.budget.saturating_mul(self.max_chunks.unwrap_or(1));
        let codec = codec
            .attributes(attributes)
            .budget(total)
            .max_value_len(total)
            .build()?;
        P::check_declared(&codec)?;
        if let Some(cap) = self.max_chunks {
            let name = super::chunking::chunk_name(codec.cookie_name(), cap);
            let max_age = codec.fresh_expiry().map(|age| age.as_secs());
            let empty = codec.measured_len(&name, 1, max_age, max_age);
            if empty > self.budget {
                return Err(WebConfigError::Codec(crate::ConfigError::BudgetTooSmall {
                    needed: empty,
                    budget: self.budget,
                }));
            }
        }
        let request_room = self.request_header_budget.saturating_sub(
            self.request_header_headroom
                .saturating_add(COOKIE_FIELD_PREFIX),
        );
        // One cookie at the full per-cookie budget must reach the server.
        if request_room < self.budget {
            return Err(WebConfigError::RequestHeaderBudgetTooSmall {
                request_budget: self.request_header_budget,
                headroom: self.request_header_headroom,
                cookie_budget: self.budget,
                room: request_room,
            });
        }
        if let Some(cap) = self.max_chunks
            && cap.saturating_mul(self.budget) > request_room
        {
            tracing::info!(
                cap,
                cookie_budget = self.budget,
                request_room,
                "the chunk cap allows more than the request header can carry; \
                 sessions are bounded by the request budget ({request_room} bytes of cookies)"
            );
        }
        let longest_value =
            Shared::longest_value(&codec, self.budget, self.max_chunks, request_room);
        let codec: Box<dyn LayerCodec> = Box::new(codec);
        let payload_capacity = codec.payload_capacity_for_value_len(longest_value);
        #[cfg_attr(not(feature = "perl-compat"), allow(unused_mut))]
        let mut readers = self.legacy;
        #[cfg(feature = "perl-compat")]
        if let Some((reader, name)) = self.perl {
            let perl = crate::perl::web::PerlLegacy::new(reader, name)?;
            readers.insert(0, Arc::new(perl));
        }
        let legacy = super::legacy::Readers::new(readers, codec.cookie_name())?;
        let reload = match self.reload {
            None => None,
            Some((None, _)) => return Err(WebConfigError::ReloadWithoutFile),
            Some((Some(_), every)) if every < super::reload::MIN_RELOAD_INTERVAL => {
                return Err(WebConfigError::ReloadTooOften {
                    every,
                    min: super::reload::MIN_RELOAD_INTERVAL,
                });
            }
            Some((Some(path), every)) => Some((path, every)),
        };
        let layer = SessionLayer {
            shared: Arc::new(Shared {
                name: codec.cookie_name().to_owned(),
                attributes: codec.attributes().clone(),
                codec: ArcSwap::from_pointee(codec),
                cookie_budget: self.budget,
                max_chunks: self.max_chunks,
                request_room,
                cache_control: self.cache_control,
                commit_on_server_error: self.commit_on_server_error,
                persistent: self.persistent,
                revocation: self
                    .revocation
                    .map(|store| super::revocation::engine::Revocation {
                        store,
                        on_error: self.revocation_on_error,
                        user_entry: self.revocation_user_entry,
                    }),
                payload_capacity,
                legacy,
            }),
        };
        if let Some((path, every)) = reload {
            super::reload::watch(Arc::downgrade(&layer.shared), path, every);
        }
        Ok(layer)
    }
}
