//! Configuration from TOML or the environment, mirroring Dancer::Session::Cookie's
//! settings: keys, cookie name, expiry as a human duration, path, domain, secure,
//! http-only, plus SameSite, a renewal window and chunking.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use super::cache::CacheControl;
use super::layer::{
    DEFAULT_MAX_CHUNKS, DEFAULT_REQUEST_HEADER_BUDGET, DEFAULT_REQUEST_HEADER_HEADROOM,
    SessionLayer, SessionLayerBuilder,
};
use super::legacy::LegacyReader;
use super::payload::{SessionPayload, Typed};
use super::revocation::OnStoreError;
use crate::attributes::SameSite;
use crate::codec::{DEFAULT_BUDGET, SizeRule};
use crate::error::{ConfigError, KeyError};
use crate::keyring::Keyring;
use crate::words::{parse_bool, parse_duration, parse_same_site};
use zeroize::Zeroizing;

/// The environment variable that holds the keys: comma-separated base64url
/// (no padding), primary first.
pub const KEYS_ENV: &str = "SEALED_COOKIE_KEYS";

/// The environment variable that names a keyring file (see [`crate::keyfile`]).
pub const KEYRING_ENV: &str = "SEALED_COOKIE_KEYRING";

/// Prefix of the environment variables read by [`SessionConfig::from_env`].
const ENV_PREFIX: &str = "SEALED_COOKIE_";

/// Why a session layer could not be configured. The message says what to change.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum WebConfigError {
    /// The type declared with `SessionLayer::typed` cannot hold a session.
    #[error(
        "the declared session type {type_name} cannot hold a session ({reason}): declare a struct or a map with string keys"
    )]
    SessionType {
        /// The declared type.
        type_name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The request-header budget cannot carry even one session cookie.
    #[error(
        "request_header_budget of {request_budget} bytes, less {headroom} of headroom for other cookies, leaves {room} bytes for the session, under the {cookie_budget}-byte cookie budget: raise request_header_budget (if every proxy allows it) or lower budget to {room}"
    )]
    RequestHeaderBudgetTooSmall {
        /// The request-header budget.
        request_budget: usize,
        /// Headroom left to other cookies.
        headroom: usize,
        /// The per-cookie budget.
        cookie_budget: usize,
        /// What is left for the session.
        room: usize,
    },
    /// No keys: the environment variable is unset or empty, and no keyring file is set.
    /// (`var` names the variable only when it is shaped like a variable name.)
    #[error(
        "no session keys: set {var} to comma-separated base64url keys of 32 bytes or more, primary first, \
         or name a keyring file with keyring_file / SEALED_COOKIE_KEYRING"
    )]
    MissingKeys {
        /// The environment variable that was read.
        var: String,
    },
    /// The keys could not be read.
    #[error("session keys in {source_name} are invalid: {error}")]
    InvalidKeys {
        /// Where they came from (an environment variable or a file).
        source_name: String,
        /// What is wrong with them (part of the message, so not a `source()`).
        error: KeyError,
    },
    /// A keyring file and the keys variable are both set: the message is the
    /// command-line tool's.
    #[error(transparent)]
    KeySource(crate::keyfile::KeyfileError),
    /// The keyring file could not be read or is invalid.
    #[error("keyring file {path} could not be used: {}", error.reason())]
    KeyringFile {
        /// The file (shown only when it names a file and does not look like a key).
        path: crate::keyfile::MaskedPath,
        /// Why (its masked reason is part of the message).
        error: crate::keyfile::KeyfileError,
    },
    /// The TOML text is not a valid session configuration. The message quotes no
    /// line of the text, and masks anything shaped like a key.
    #[error("session configuration{} is invalid{}: {message}", file.as_ref().map(|f| format!(" {f}")).unwrap_or_default(), location.map(|(l, c)| format!(" at line {l}, column {c}")).unwrap_or_default())]
    Toml {
        /// The file, when the text came from one (shown as [`MaskedPath`](crate::keyfile::MaskedPath) shows it).
        file: Option<crate::keyfile::MaskedPath>,
        /// Line and column (1-based), when known.
        location: Option<(usize, usize)>,
        /// What is wrong.
        message: String,
    },
    /// The configuration file could not be read.
    #[error("session configuration file {path} could not be read: {error}")]
    File {
        /// The file (shown only when it names a file and does not look like a key).
        path: crate::keyfile::MaskedPath,
        /// Why (part of the message).
        error: std::io::Error,
    },
    /// A `SEALED_COOKIE_*` variable that no setting reads: a misspelling would
    /// otherwise be ignored silently.
    #[error("environment variable {var} is not a setting{}: unset it or fix its name", closest.as_ref().map(|c| format!(" (did you mean {c}?)")).unwrap_or_default())]
    UnknownEnv {
        /// The variable.
        var: String,
        /// The known variable closest to it, when one is close.
        closest: Option<String>,
    },
    /// An environment variable holds a value of the wrong form.
    #[error("environment variable {var}={value:?} is invalid: expected {expected}")]
    InvalidEnv {
        /// The variable.
        var: String,
        /// Its value (with anything shaped like a key masked).
        value: String,
        /// What it should look like.
        expected: &'static str,
    },
    /// A keyring reload is asked for, but no keyring file is set.
    #[error(
        "keyring_reload needs a keyring file: set keyring_file / SEALED_COOKIE_KEYRING, or remove keyring_reload"
    )]
    ReloadWithoutFile,
    /// The keyring would be read again too often.
    #[error("keyring_reload every {every:?} is too often: use {min:?} or more (e.g. \"5s\")")]
    ReloadTooOften {
        /// The interval asked for.
        every: Duration,
        /// The shortest accepted.
        min: Duration,
    },
    /// The renewal window is set but sessions have no idle timeout to renew.
    #[error(
        "a renewal window needs an idle timeout: set idle_timeout (e.g. \"30 minutes\") or remove renew_within"
    )]
    RenewalWithoutExpiry,
    /// The renewal window is as long as the idle timeout: every request would renew.
    #[error(
        "renewal window of {window:?} is not shorter than the idle timeout of {max_age:?}: shorten renew_within (the default is half the idle timeout)"
    )]
    RenewalWindowTooLong {
        /// The window.
        window: Duration,
        /// The expiry.
        max_age: Duration,
    },
    /// The chunk cap is out of range.
    #[error("chunk cap of {cap} is invalid: use 1 to {max} (max_chunks)")]
    InvalidChunkCap {
        /// The cap given.
        cap: usize,
        /// Largest accepted.
        max: usize,
    },
    /// The absolute timeout is given twice, under its two names, differently.
    #[error(
        "absolute_timeout ({absolute:?}) and expires ({max_age:?}) both set the absolute timeout: keep one"
    )]
    TwoAbsoluteTimeouts {
        /// `absolute_timeout`.
        absolute: Duration,
        /// `expires` (`max_age`).
        max_age: Duration,
    },
    /// `envelope_format` is neither 1 nor 2.
    #[error("envelope_format {0} is unknown: use 2 (the default) or 1")]
    UnknownEnvelopeFormat(u8),
    /// `revocation_url` names no store this build can open.
    #[error("{0}")]
    RevocationUrl(String),
    /// A legacy reader is configured incompletely, or not compiled in.
    #[error("{0}")]
    Legacy(String),
    /// The codec rejected the configuration.
    #[error(transparent)]
    Codec(#[from] ConfigError),
}

/// Session settings, as read from a TOML table or `SEALED_COOKIE_*` variables.
///
/// Keys are not part of it: they come from a keyring file (`keyring_file`, or
/// the variable [`KEYRING_ENV`]; see [`crate::keyfile`] for the format) or else
/// from the environment variable named by `keys_env` (default [`KEYS_ENV`]), so
/// that a configuration file can be committed without secrets.
///
/// ```
/// use std::time::Duration;
/// use sealed_cookie::web::SessionConfig;
///
/// let config = SessionConfig::from_toml_str(r#"
///     cookie_name = "app_session"
///     expires = "1 hour"
///     renew_within = "10 minutes"
///     same_site = "strict"
///     chunking = true
/// "#)?;
/// assert_eq!(config.expires, Some(Duration::from_secs(3600)));
/// assert!(config.secure && config.http_only);
/// assert_eq!(config.max_chunks, 4);
///
/// let layer = config.layer_with_keyring(sealed_cookie::Keyring::new(sealed_cookie::Key::generate()?))?;
/// assert_eq!(layer.cookie_name(), "app_session");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// Cookie name (default `session`).
    pub cookie_name: String,
    /// Session lifetime as a human duration (`1 hour`, `30 minutes`); none by default.
    #[serde(deserialize_with = "human_duration")]
    pub expires: Option<Duration>,
    /// `Path` (default `/`).
    pub path: String,
    /// `Domain` (default none: host-only).
    pub domain: Option<String>,
    /// `Secure` (default on).
    pub secure: bool,
    /// `HttpOnly` (default on).
    pub http_only: bool,
    /// `SameSite`: `strict`, `lax` (default), `none`, or `off` (no attribute).
    #[serde(deserialize_with = "same_site")]
    pub same_site: Option<SameSite>,
    /// How early before its idle expiry an active session is re-sealed (default
    /// half the idle timeout; needs `idle_timeout`, or `expires` in its old
    /// sliding meaning).
    #[serde(deserialize_with = "human_duration")]
    pub renew_within: Option<Duration>,
    /// Split sessions too large for one cookie over chunk cookies (default off).
    pub chunking: bool,
    /// Most chunk cookies one session may use when chunking is on (default 4).
    pub max_chunks: usize,
    /// Largest `Set-Cookie` string of one cookie, in bytes (default 4096).
    pub budget: usize,
    /// Environment variable with the keys (default `SEALED_COOKIE_KEYS`).
    pub keys_env: String,
    /// Keyring file (TOML or JSON, see [`crate::keyfile`]); when set, the keys
    /// variable must not be set as well (loading the keys fails if it is).
    pub keyring_file: Option<PathBuf>,
    /// Read the keyring file again this often, using its keys from the next
    /// request on when it changed (default: read once, at startup).
    #[serde(deserialize_with = "human_duration")]
    pub keyring_reload: Option<Duration>,
    /// Bound on the whole `Cookie` request header line, in bytes (default 8192).
    pub request_header_budget: usize,
    /// Part of it left to the site's other cookies (default 1024).
    pub request_header_headroom: usize,
    /// What the per-cookie budget counts: `whole-line` (default) or
    /// `name-value` (RFC 6265bis).
    #[serde(deserialize_with = "size_rule")]
    pub size_rule: SizeRule,
    /// `Cache-Control` on responses that set the cookie: `private` (default) or `no-store`.
    #[serde(deserialize_with = "cache_control")]
    pub cache_control: CacheControl,
    /// Whether a 5xx response still writes the session's changes (default false).
    pub commit_on_server_error: bool,
    /// Idle timeout as a human duration: a session not used for this long ends
    /// (none by default).
    #[serde(deserialize_with = "human_duration")]
    pub idle_timeout: Option<Duration>,
    /// Absolute timeout: a session ends this long after sign-in, however active
    /// (none by default; `expires` is its older name).
    #[serde(deserialize_with = "human_duration")]
    pub absolute_timeout: Option<Duration>,
    /// Allowance for clocks that disagree between servers (default 60 s).
    #[serde(deserialize_with = "human_duration")]
    pub clock_skew: Option<Duration>,
    /// Persistent cookies (`Max-Age`, default) or browser-session cookies; a
    /// handler chooses per session with `Session::set_persistent`.
    pub persistent: bool,
    /// Envelope format that seals: 2 (default) or 1, while servers that read
    /// only format 1 still serve the same users.
    pub envelope_format: u8,
    /// Revocation store: `memory`, or `redis://host:port/db` (feature `redis`);
    /// none by default.
    pub revocation_url: Option<String>,
    /// While the store does not answer: `refuse` (default) or `accept`.
    #[serde(deserialize_with = "on_store_error")]
    pub revocation_on_error: OnStoreError,
    /// The session entry naming the user, for `revoke_user` (default `user`).
    pub revocation_user_entry: String,
    /// Cookies of the `cookie` crate's private (or signed) jar adopted one
    /// each as a session entry (feature `legacy-cookie-jar`; the key comes
    /// from `SEALED_COOKIE_LEGACY_JAR_KEY`).
    pub legacy_jar_cookies: Vec<String>,
    /// A jar cookie whose JSON object becomes the whole session.
    pub legacy_jar_session_cookie: Option<String>,
    /// Which jar wrote them: `private` (default) or `signed`.
    pub legacy_jar_mode: String,
    /// actix-session's cookie name (default `id`; feature
    /// `legacy-actix-session`, on when `SEALED_COOKIE_LEGACY_ACTIX_KEY` is set).
    pub legacy_actix_cookie: String,
    /// actix-session's `CookieContentSecurity`: `private` (default) or `signed`.
    pub legacy_actix_mode: String,
    /// tower-sessions-cookie-store's cookie name (default `session`; feature
    /// `legacy-tower-sessions`, on when `SEALED_COOKIE_LEGACY_TOWER_KEY` is set).
    pub legacy_tower_cookie: String,
    /// Which jar tower-sessions-cookie-store used: `signed` (its default) or `private`.
    pub legacy_tower_mode: String,
    /// The cookie a Perl Dancer application wrote (`dancer.session`), read with
    /// the secrets of `SEALED_COOKIE_PERL_SECRET` and `SEALED_COOKIE_PERL_OLD_SECRETS`
    /// (feature `perl-compat`); none by default.
    pub legacy_perl_cookie: Option<String>,
    /// Also read that cookie in the format Dancer::Session::Cookie wrote before
    /// 0.20, which has no MAC, until this date (`2027-03-01` or an RFC 3339 UTC
    /// time; feature `legacy-dancer-old`); off by default.
    pub legacy_dancer_old_until: Option<String>,
    /// `SEALED_COOKIE_LEGACY_JAR_KEY`: never read from a file.
    #[serde(skip)]
    legacy_jar_key: Option<Zeroizing<String>>,
    /// `SEALED_COOKIE_LEGACY_TOWER_KEY`: never read from a file.
    #[serde(skip)]
    legacy_tower_key: Option<Zeroizing<String>>,
    /// `SEALED_COOKIE_LEGACY_ACTIX_KEY`: never read from a file.
    #[serde(skip)]
    legacy_actix_key: Option<Zeroizing<String>>,
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("cookie_name", &self.cookie_name)
            .field("expires", &self.expires)
            .field("path", &self.path)
            .field("domain", &self.domain)
            .field("secure", &self.secure)
            .field("http_only", &self.http_only)
            .field("same_site", &self.same_site)
            .field("renew_within", &self.renew_within)
            .field("chunking", &self.chunking)
            .field("max_chunks", &self.max_chunks)
            .field("budget", &self.budget)
            // Masked when they could be keys pasted in the wrong place.
            .field(
                "keys_env",
                &crate::keyfile::var_name_for_message("keys_env", &self.keys_env),
            )
            .field(
                "keyring_file",
                &self
                    .keyring_file
                    .as_deref()
                    .map(crate::keyfile::MaskedPath::new),
            )
            .field("keyring_reload", &self.keyring_reload)
            .field("request_header_budget", &self.request_header_budget)
            .field("request_header_headroom", &self.request_header_headroom)
            .field("size_rule", &self.size_rule)
            .field("cache_control", &self.cache_control)
            .field("commit_on_server_error", &self.commit_on_server_error)
            .field("idle_timeout", &self.idle_timeout)
            .field("absolute_timeout", &self.absolute_timeout)
            .field("clock_skew", &self.clock_skew)
            .field("persistent", &self.persistent)
            .field("envelope_format", &self.envelope_format)
            // A Redis URL may hold a password.
            .field(
                "revocation_url",
                &self
                    .revocation_url
                    .as_deref()
                    .map(super::revocation::masked_url),
            )
            .field("revocation_on_error", &self.revocation_on_error)
            .field("revocation_user_entry", &self.revocation_user_entry)
            .field("legacy_jar_cookies", &self.legacy_jar_cookies)
            .field("legacy_jar_session_cookie", &self.legacy_jar_session_cookie)
            .field("legacy_jar_mode", &self.legacy_jar_mode)
            .field("legacy_actix_cookie", &self.legacy_actix_cookie)
            .field("legacy_actix_mode", &self.legacy_actix_mode)
            .field("legacy_tower_cookie", &self.legacy_tower_cookie)
            .field("legacy_tower_mode", &self.legacy_tower_mode)
            .field("legacy_perl_cookie", &self.legacy_perl_cookie)
            .field("legacy_dancer_old_until", &self.legacy_dancer_old_until)
            .field(
                "legacy_tower_key",
                &self.legacy_tower_key.as_ref().map(|_| "<set>"),
            )
            .field(
                "legacy_jar_key",
                &self.legacy_jar_key.as_ref().map(|_| "<set>"),
            )
            .field(
                "legacy_actix_key",
                &self.legacy_actix_key.as_ref().map(|_| "<set>"),
            )
            .finish()
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            cookie_name: "session".to_owned(),
            expires: None,
            path: "/".to_owned(),
            domain: None,
            secure: true,
            http_only: true,
            same_site: Some(SameSite::Lax),
            renew_within: None,
            chunking: false,
            max_chunks: DEFAULT_MAX_CHUNKS,
            budget: DEFAULT_BUDGET,
            keys_env: KEYS_ENV.to_owned(),
            keyring_file: None,
            keyring_reload: None,
            request_header_budget: DEFAULT_REQUEST_HEADER_BUDGET,
            request_header_headroom: DEFAULT_REQUEST_HEADER_HEADROOM,
            size_rule: SizeRule::WholeLine,
            cache_control: CacheControl::Private,
            commit_on_server_error: false,
            idle_timeout: None,
            absolute_timeout: None,
            clock_skew: None,
            persistent: true,
            envelope_format: 2,
            revocation_url: None,
            revocation_on_error: OnStoreError::Refuse,
            revocation_user_entry: "user".to_owned(),
            legacy_jar_cookies: Vec::new(),
            legacy_jar_session_cookie: None,
            legacy_jar_mode: "private".to_owned(),
            legacy_actix_cookie: "id".to_owned(),
            legacy_actix_mode: "private".to_owned(),
            legacy_tower_cookie: "session".to_owned(),
            legacy_tower_mode: "signed".to_owned(),
            legacy_perl_cookie: None,
            legacy_dancer_old_until: None,
            legacy_tower_key: None,
            legacy_jar_key: None,
            legacy_actix_key: None,
        }
    }
}

impl SessionConfig {
    /// Reads a TOML table; missing keys keep their defaults, unknown keys are errors.
    ///
    /// # Errors
    /// [`WebConfigError::Toml`] naming the line and the problem.
    pub fn from_toml_str(text: &str) -> Result<Self, WebConfigError> {
        // Not toml's own Display: it quotes the line, which may hold a key pasted
        // where a path or a variable name belongs (and its Debug holds the text).
        toml::from_str(text).map_err(|e| WebConfigError::Toml {
            file: None,
            location: e
                .span()
                .map(|span| crate::keyfile::line_col(text, span.start)),
            message: crate::keyfile::mask_runs(e.message().trim_end()),
        })
    }

    /// Reads a TOML file, and nothing else: [`SessionConfig::load_file`] also
    /// applies the `SEALED_COOKIE_*` variables, as an operator expects.
    ///
    /// # Errors
    /// As [`SessionConfig::from_toml_str`], or [`WebConfigError::File`].
    pub fn from_toml_file(path: impl Into<PathBuf>) -> Result<Self, WebConfigError> {
        let path = path.into();
        let text = std::fs::read_to_string(&path).map_err(|error| WebConfigError::File {
            path: crate::keyfile::MaskedPath::new(&path),
            error,
        })?;
        Self::from_toml_str(&text).map_err(|error| match error {
            WebConfigError::Toml {
                location, message, ..
            } => WebConfigError::Toml {
                file: Some(crate::keyfile::MaskedPath::new(&path)),
                location,
                message,
            },
            other => other,
        })
    }

    /// The configuration as an operator expects it, in one call: the TOML file
    /// named by `SEALED_COOKIE_CONFIG` when it is set (else the defaults), then
    /// every `SEALED_COOKIE_*` variable over it. Keys come, when the layer is
    /// built, from `SEALED_COOKIE_KEYRING` (or `keyring_file`) or
    /// `SEALED_COOKIE_KEYS`. A `SEALED_COOKIE_*` variable that is no setting is
    /// an error naming the closest one.
    ///
    /// ```no_run
    /// use sealed_cookie::web::SessionConfig;
    /// let layer = SessionConfig::load()?.layer()?;
    /// # let _ = layer;
    /// # Ok::<(), sealed_cookie::web::WebConfigError>(())
    /// ```
    ///
    /// A process with several layers whose keys come from different variables
    /// should name them without the `SEALED_COOKIE_` prefix (`keys_env`), or pass
    /// its own variables to [`SessionConfig::load_with`].
    ///
    /// # Errors
    /// [`WebConfigError::File`] or [`WebConfigError::Toml`] naming the file (and
    /// the line), [`WebConfigError::InvalidEnv`] or [`WebConfigError::UnknownEnv`]
    /// naming the variable.
    pub fn load() -> Result<Self, WebConfigError> {
        Self::load_with(None, process_vars())
    }

    /// As [`SessionConfig::load`], with `path` as the file when
    /// `SEALED_COOKIE_CONFIG` is not set (the variable, when set, wins: the
    /// operator's choice over the code's).
    ///
    /// # Errors
    /// As [`SessionConfig::load`].
    pub fn load_file(path: impl AsRef<Path>) -> Result<Self, WebConfigError> {
        Self::load_with(Some(path.as_ref()), process_vars())
    }

    /// As [`SessionConfig::load_file`], with the variables given instead of the
    /// process environment's (for tests).
    ///
    /// ```
    /// use sealed_cookie::web::SessionConfig;
    /// let vars = [("SEALED_COOKIE_EXPIRY".to_owned(), "1 hour".to_owned())];
    /// let error = SessionConfig::load_with(None, vars).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "environment variable SEALED_COOKIE_EXPIRY is not a setting \
    ///      (did you mean SEALED_COOKIE_EXPIRES?): unset it or fix its name"
    /// );
    /// ```
    ///
    /// # Errors
    /// As [`SessionConfig::load`].
    pub fn load_with(
        path: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, WebConfigError> {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        let named = vars
            .iter()
            .find(|(var, value)| var == CONFIG_ENV && !value.trim().is_empty())
            .map(|(_, value)| PathBuf::from(value.trim()));
        let mut config = match named.as_deref().or(path) {
            Some(file) => Self::from_toml_file(file)?,
            None => Self::default(),
        };
        config.apply_vars(vars.iter().cloned())?;
        // A misspelt variable would otherwise be ignored silently.
        for (var, _) in &vars {
            if let Some(setting) = var.strip_prefix(ENV_PREFIX)
                && !SETTINGS.contains(&setting)
                && !READ_ELSEWHERE.contains(&setting)
                && *var != config.keys_env
            {
                return Err(WebConfigError::UnknownEnv {
                    var: var.clone(),
                    closest: closest_var(setting),
                });
            }
        }
        Ok(config)
    }

    /// The defaults, overridden by the process environment (see [`SessionConfig::apply_vars`]).
    ///
    /// # Errors
    /// [`WebConfigError::InvalidEnv`] naming the variable.
    pub fn from_env() -> Result<Self, WebConfigError> {
        let mut config = Self::default();
        config.apply_vars(process_vars())?;
        Ok(config)
    }

    /// Overrides settings from `SEALED_COOKIE_NAME`, `_EXPIRES`, `_PATH`, `_DOMAIN`,
    /// `_SECURE`, `_HTTP_ONLY`, `_SAME_SITE`, `_RENEW_WITHIN`, `_CHUNKING`,
    /// `_MAX_CHUNKS`, `_BUDGET`, `_REQUEST_HEADER_BUDGET`, `_REQUEST_HEADER_HEADROOM`,
    /// `_SIZE_RULE`, `_CACHE_CONTROL`, `_COMMIT_ON_SERVER_ERROR`, `_KEYS_ENV` and
    /// `_KEYRING` (the keyring file; `_KEYRING_FILE` too) and `_KEYRING_RELOAD`
    /// among `vars`; others are ignored here ([`SessionConfig::load`] refuses an
    /// unknown `SEALED_COOKIE_*` variable).
    /// Booleans are `true`/`false`/`1`/`0`/`yes`/`no`/`on`/`off`; an empty
    /// `_EXPIRES`, `_DOMAIN` or `_RENEW_WITHIN` unsets it.
    ///
    /// ```
    /// use sealed_cookie::web::SessionConfig;
    /// let mut config = SessionConfig::default();
    /// config.apply_vars([
    ///     ("SEALED_COOKIE_EXPIRES".to_owned(), "30 minutes".to_owned()),
    ///     ("SEALED_COOKIE_SECURE".to_owned(), "off".to_owned()),
    /// ])?;
    /// assert_eq!(config.expires, Some(std::time::Duration::from_secs(1800)));
    /// assert!(!config.secure);
    /// # Ok::<(), sealed_cookie::web::WebConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`WebConfigError::InvalidEnv`] naming the variable.
    pub fn apply_vars(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), WebConfigError> {
        let mut vars: Vec<(String, String)> = vars.into_iter().collect();
        // The keys variable may itself carry the prefix: learn its name first.
        vars.sort_by_key(|(var, _)| var != "SEALED_COOKIE_KEYS_ENV");
        for (var, value) in vars {
            let Some(setting) = var.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let invalid = |expected| WebConfigError::InvalidEnv {
                var: var.clone(),
                value: crate::keyfile::mask_runs(&value),
                expected,
            };
            let optional = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_owned());
            let whole_number = |form| value.trim().parse::<usize>().map_err(|_| invalid(form));
            match setting {
                "NAME" => self.cookie_name = value.trim().to_owned(),
                "EXPIRES" => {
                    self.expires = optional(&value)
                        .map(|text| parse_duration(&text))
                        .transpose()
                        .map_err(|_| invalid(DURATION_FORM))?;
                }
                "RENEW_WITHIN" => {
                    self.renew_within = optional(&value)
                        .map(|text| parse_duration(&text))
                        .transpose()
                        .map_err(|_| invalid(DURATION_FORM))?;
                }
                "PATH" => self.path = value.trim().to_owned(),
                "DOMAIN" => self.domain = optional(&value),
                "SECURE" => self.secure = parse_bool(&value).ok_or_else(|| invalid(BOOL_FORM))?,
                "HTTP_ONLY" => {
                    self.http_only = parse_bool(&value).ok_or_else(|| invalid(BOOL_FORM))?;
                }
                "SAME_SITE" => {
                    self.same_site =
                        parse_same_site(&value).ok_or_else(|| invalid(SAME_SITE_FORM))?;
                }
                "CHUNKING" => {
                    self.chunking = parse_bool(&value).ok_or_else(|| invalid(BOOL_FORM))?;
                }
                "MAX_CHUNKS" => {
                    self.max_chunks = whole_number("a whole number")?;
                }
                "BUDGET" => {
                    self.budget = whole_number("a whole number of bytes")?;
                }
                "REQUEST_HEADER_BUDGET" => {
                    self.request_header_budget = whole_number("a whole number of bytes")?;
                }
                "REQUEST_HEADER_HEADROOM" => {
                    self.request_header_headroom = whole_number("a whole number of bytes")?;
                }
                "SIZE_RULE" => {
                    self.size_rule =
                        parse_size_rule(&value).ok_or_else(|| invalid(SIZE_RULE_FORM))?;
                }
                "CACHE_CONTROL" => {
                    self.cache_control =
                        CacheControl::parse(&value).ok_or_else(|| invalid(CACHE_CONTROL_FORM))?;
                }
                "COMMIT_ON_SERVER_ERROR" => {
                    self.commit_on_server_error =
                        parse_bool(&value).ok_or_else(|| invalid(BOOL_FORM))?;
                }
                "KEYS_ENV" => self.keys_env = value.trim().to_owned(),
                // KEYRING_FILE: the TOML key's name, as an operator may guess it.
                "KEYRING" | "KEYRING_FILE" => {
                    self.keyring_file = optional(&value).map(PathBuf::from);
                }
                "IDLE_TIMEOUT" | "ABSOLUTE_TIMEOUT" | "CLOCK_SKEW" => {
                    let duration = optional(&value)
                        .map(|text| parse_duration(&text))
                        .transpose()
                        .map_err(|_| invalid(DURATION_FORM))?;
                    match setting {
                        "IDLE_TIMEOUT" => self.idle_timeout = duration,
                        "ABSOLUTE_TIMEOUT" => self.absolute_timeout = duration,
                        _ => self.clock_skew = duration,
                    }
                }
                "PERSISTENT" => {
                    self.persistent = parse_bool(&value).ok_or_else(|| invalid(BOOL_FORM))?;
                }
                "ENVELOPE_FORMAT" => {
                    self.envelope_format = match value.trim() {
                        "1" => 1,
                        "2" => 2,
                        _ => return Err(invalid("1 or 2")),
                    };
                }
                "REVOCATION_URL" => self.revocation_url = optional(&value),
                "REVOCATION_ON_ERROR" => {
                    self.revocation_on_error =
                        OnStoreError::parse(&value).ok_or_else(|| invalid("refuse or accept"))?;
                }
                "REVOCATION_USER_ENTRY" => self.revocation_user_entry = value.trim().to_owned(),
                "LEGACY_JAR_COOKIES" => {
                    self.legacy_jar_cookies = value
                        .split(',')
                        .map(str::trim)
                        .filter(|name| !name.is_empty())
                        .map(str::to_owned)
                        .collect();
                }
                "LEGACY_JAR_SESSION_COOKIE" => self.legacy_jar_session_cookie = optional(&value),
                "LEGACY_JAR_MODE" => self.legacy_jar_mode = value.trim().to_owned(),
                "LEGACY_ACTIX_COOKIE" => self.legacy_actix_cookie = value.trim().to_owned(),
                "LEGACY_ACTIX_MODE" => self.legacy_actix_mode = value.trim().to_owned(),
                "LEGACY_TOWER_COOKIE" => self.legacy_tower_cookie = value.trim().to_owned(),
                "LEGACY_TOWER_MODE" => self.legacy_tower_mode = value.trim().to_owned(),
                "LEGACY_TOWER_KEY" => {
                    self.legacy_tower_key = optional(&value).map(Zeroizing::new);
                }
                "LEGACY_PERL_COOKIE" => self.legacy_perl_cookie = optional(&value),
                "LEGACY_DANCER_OLD_UNTIL" => self.legacy_dancer_old_until = optional(&value),
                "LEGACY_JAR_KEY" => {
                    self.legacy_jar_key = optional(&value).map(Zeroizing::new);
                }
                "LEGACY_ACTIX_KEY" => {
                    self.legacy_actix_key = optional(&value).map(Zeroizing::new);
                }
                "KEYRING_RELOAD" => {
                    self.keyring_reload = optional(&value)
                        .map(|text| parse_duration(&text))
                        .transpose()
                        .map_err(|_| invalid(DURATION_FORM))?;
                }
                // Other variables: `SessionConfig::load` refuses unknown ones.
                _ => {}
            }
        }
        Ok(())
    }

    /// The keyring: from `keyring_file` when set, else from the environment
    /// variable named by `keys_env`. Setting both is refused, as the command-line
    /// tool refuses it (with the same message), and a keyring file that other users
    /// can read draws the tool's warning as a `tracing` warning.
    ///
    /// # Errors
    /// [`WebConfigError::KeySource`] when both are set,
    /// [`WebConfigError::KeyringFile`], [`WebConfigError::MissingKeys`] or
    /// [`WebConfigError::InvalidKeys`].
    pub fn keyring(&self) -> Result<Keyring, WebConfigError> {
        self.keyring_with(|name| std::env::var_os(name))
    }

    /// As [`SessionConfig::keyring`], reading variables through `env` (pass a map
    /// in a test).
    ///
    /// ```
    /// use sealed_cookie::web::SessionConfig;
    /// let env = |name: &str| match name {
    ///     "SEALED_COOKIE_KEYRING" => Some("/etc/app/keyring.toml".into()),
    ///     "SEALED_COOKIE_KEYS" => Some("k".into()),
    ///     _ => None,
    /// };
    /// let mut config = SessionConfig::default();
    /// config.apply_vars([("SEALED_COOKIE_KEYRING".to_owned(), "/etc/app/keyring.toml".to_owned())])?;
    /// let error = config.keyring_with(env).unwrap_err();
    /// assert_eq!(
    ///     error.to_string(),
    ///     "both SEALED_COOKIE_KEYRING and SEALED_COOKIE_KEYS are set: unset one of them"
    /// );
    /// # Ok::<(), sealed_cookie::web::WebConfigError>(())
    /// ```
    ///
    /// # Errors
    /// As [`SessionConfig::keyring`].
    pub fn keyring_with(
        &self,
        env: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Keyring, WebConfigError> {
        use crate::keyfile;
        if let Some(path) = &self.keyring_file {
            // Named as the operator set it: the variable, or the setting.
            let setting = if env(KEYRING_ENV).is_some_and(|v| v == path.as_os_str()) {
                KEYRING_ENV
            } else {
                "keyring_file"
            };
            keyfile::check_single_source(setting, &self.keys_env, &env)
                .map_err(WebConfigError::KeySource)?;
            if let Some(warning) = keyfile::permissions_warning(path) {
                tracing::warn!("{warning}");
            }
            return keyfile::KeyringFile::load(path)
                .map(|file| file.keyring())
                .map_err(|error| WebConfigError::KeyringFile {
                    path: keyfile::MaskedPath::new(path),
                    error,
                });
        }
        let value = env(&self.keys_env).and_then(|v| v.into_string().ok());
        let text = zeroize::Zeroizing::new(value.unwrap_or_default());
        self.keyring_from(&text)
    }

    /// The keyring from `text` as found in the keys variable (comma-separated
    /// base64url, primary first).
    ///
    /// # Errors
    /// As [`SessionConfig::keyring`].
    pub fn keyring_from(&self, text: &str) -> Result<Keyring, WebConfigError> {
        if text.trim().is_empty() {
            return Err(WebConfigError::MissingKeys {
                var: self.keys_env_for_message(),
            });
        }
        Keyring::from_base64_list(text).map_err(|error| WebConfigError::InvalidKeys {
            source_name: self.keys_env_for_message(),
            error,
        })
    }

    /// `keys_env` as messages show it: not at all when it could be a key.
    fn keys_env_for_message(&self) -> String {
        crate::keyfile::var_name_for_message("keys_env", &self.keys_env)
    }

    /// A builder with every setting applied and the keyring from
    /// [`SessionConfig::keyring`]; add suites or a clock, then build.
    ///
    /// # Errors
    /// As [`SessionConfig::keyring`].
    pub fn builder(&self) -> Result<SessionLayerBuilder, WebConfigError> {
        Ok(self.builder_with_keyring(self.keyring()?))
    }

    /// A builder with every setting applied and the given keyring.
    pub fn builder_with_keyring(&self, keyring: Keyring) -> SessionLayerBuilder {
        self.apply(SessionLayer::builder().keyring(keyring))
    }

    /// As [`SessionConfig::builder`], for a layer that seals the declared session
    /// type `T` ([`SessionLayer::typed`]).
    ///
    /// # Errors
    /// As [`SessionConfig::keyring`].
    pub fn typed_builder<T>(&self) -> Result<SessionLayerBuilder<Typed<T>>, WebConfigError>
    where
        T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
    {
        Ok(self.apply(SessionLayer::typed::<T>().keyring(self.keyring()?)))
    }

    /// The layer of [`SessionConfig::typed_builder`].
    ///
    /// ```
    /// # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
    /// use serde::{Deserialize, Serialize};
    /// use sealed_cookie::web::SessionConfig;
    ///
    /// #[derive(Serialize, Deserialize, Default)]
    /// struct AppSession { user: Option<String>, visits: u64 }
    ///
    /// let config = SessionConfig::from_toml_str("expires = \"1 hour\"")?;
    /// // Keys come from SEALED_COOKIE_KEYS or a keyring file.
    /// match config.typed_layer::<AppSession>() {
    ///     Ok(layer) => assert_eq!(layer.cookie_name(), "session"),
    ///     Err(error) => assert!(error.to_string().starts_with("no session keys")),
    /// }
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// A [`WebConfigError`] that says what to change.
    pub fn typed_layer<T>(&self) -> Result<SessionLayer, WebConfigError>
    where
        T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
    {
        self.typed_builder::<T>()?.build()
    }

    /// Every setting of this configuration except the keys, applied to `builder`.
    fn apply<P: SessionPayload>(&self, builder: SessionLayerBuilder<P>) -> SessionLayerBuilder<P> {
        let mut builder = builder
            .cookie_name(self.cookie_name.clone())
            .path(self.path.clone())
            .secure(self.secure)
            .http_only(self.http_only)
            .same_site(self.same_site)
            .budget(self.budget)
            .request_header_budget(self.request_header_budget)
            .request_header_headroom(self.request_header_headroom)
            .size_rule(self.size_rule)
            .cache_control(self.cache_control)
            .commit_on_server_error(self.commit_on_server_error);
        if let Some(domain) = &self.domain {
            builder = builder.domain(domain.clone());
        }
        if let Some(expires) = self.expires {
            builder = builder.max_age(expires);
        }
        if let Some(idle) = self.idle_timeout {
            builder = builder.idle_timeout(idle);
        }
        if let Some(absolute) = self.absolute_timeout {
            builder = builder.absolute_timeout(absolute);
        }
        if let Some(skew) = self.clock_skew {
            builder = builder.clock_skew(skew);
        }
        builder = builder
            .persistent(self.persistent)
            .envelope_format_number(self.envelope_format)
            .revocation_on_error(self.revocation_on_error)
            .revocation_user_entry(self.revocation_user_entry.clone());
        if let Some(url) = &self.revocation_url {
            builder = builder.revocation_url(url);
        }
        if let Some(window) = self.renew_within {
            builder = builder.renew_within(window);
        }
        if self.chunking {
            builder = builder.chunking(self.max_chunks);
        }
        if let Some(every) = self.keyring_reload {
            builder = builder.keyring_reload_of(self.keyring_file.clone(), every);
        }
        match self.legacy_readers_or_fix() {
            Ok(readers) => readers
                .into_iter()
                .fold(builder, |builder, reader| builder.legacy_reader_arc(reader)),
            Err(message) => builder.deferred_error(WebConfigError::Legacy(message)),
        }
    }

    /// The legacy readers these settings configure, in the order the layer
    /// asks them: what `sealed-cookie open --legacy` uses to read a cookie the
    /// way the server will.
    ///
    /// ```
    /// use sealed_cookie::web::SessionConfig;
    /// assert!(SessionConfig::default().legacy_readers()?.is_empty());
    /// # Ok::<(), sealed_cookie::web::WebConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`WebConfigError::Legacy`] saying what to change when a reader is
    /// configured incompletely or not compiled in.
    pub fn legacy_readers(&self) -> Result<Vec<std::sync::Arc<dyn LegacyReader>>, WebConfigError> {
        self.legacy_readers_or_fix().map_err(WebConfigError::Legacy)
    }

    /// The legacy readers the settings ask for, or what to change.
    fn legacy_readers_or_fix(&self) -> Result<Vec<std::sync::Arc<dyn LegacyReader>>, String> {
        #[cfg_attr(
            not(any(
                feature = "legacy-cookie-jar",
                feature = "legacy-actix-session",
                feature = "legacy-tower-sessions",
                feature = "perl-compat"
            )),
            allow(unused_mut)
        )]
        let mut readers: Vec<std::sync::Arc<dyn LegacyReader>> = Vec::new();
        let jar_named =
            !self.legacy_jar_cookies.is_empty() || self.legacy_jar_session_cookie.is_some();
        match (&self.legacy_jar_key, jar_named) {
            (None, false) => {}
            (None, true) => {
                return Err(
                    "legacy_jar_cookies / legacy_jar_session_cookie name jar cookies to adopt, but no key is set: \
                     set SEALED_COOKIE_LEGACY_JAR_KEY to the base64 of the 64 bytes of the application's cookie::Key::master()"
                        .to_owned(),
                );
            }
            (Some(_), false) => {
                return Err(
                    "SEALED_COOKIE_LEGACY_JAR_KEY is set but no jar cookie is named: set legacy_jar_cookies \
                     (SEALED_COOKIE_LEGACY_JAR_COOKIES, comma-separated) or legacy_jar_session_cookie"
                        .to_owned(),
                );
            }
            #[cfg(feature = "legacy-cookie-jar")]
            (Some(key), true) => {
                use super::legacy::{CookieJarReader, JarKey};
                let key = JarKey::from_base64(key)
                    .map_err(|error| format!("SEALED_COOKIE_LEGACY_JAR_KEY: {error}"))?;
                let mode = jar_mode("legacy_jar_mode", &self.legacy_jar_mode)?;
                let mut reader =
                    CookieJarReader::new(key, mode).entries(self.legacy_jar_cookies.clone());
                if let Some(name) = &self.legacy_jar_session_cookie {
                    reader = reader.session_cookie(name.clone());
                }
                readers.push(std::sync::Arc::new(reader));
            }
            #[cfg(not(feature = "legacy-cookie-jar"))]
            (Some(_), true) => {
                return Err(
                    "SEALED_COOKIE_LEGACY_JAR_KEY is set, but this build has no cookie jar reader: \
                     enable the sealed-cookie feature legacy-cookie-jar"
                        .to_owned(),
                );
            }
        }
        if let Some(key) = &self.legacy_actix_key {
            #[cfg(feature = "legacy-actix-session")]
            {
                use super::legacy::{ActixSessionReader, JarKey};
                let key = JarKey::from_base64(key)
                    .map_err(|error| format!("SEALED_COOKIE_LEGACY_ACTIX_KEY: {error}"))?;
                let mode = jar_mode("legacy_actix_mode", &self.legacy_actix_mode)?;
                readers.push(std::sync::Arc::new(
                    ActixSessionReader::new(key, mode)
                        .cookie_name(self.legacy_actix_cookie.clone()),
                ));
            }
            #[cfg(not(feature = "legacy-actix-session"))]
            {
                let _ = key;
                return Err(
                    "SEALED_COOKIE_LEGACY_ACTIX_KEY is set, but this build has no actix-session reader: \
                     enable the sealed-cookie feature legacy-actix-session"
                        .to_owned(),
                );
            }
        }
        if let Some(key) = &self.legacy_tower_key {
            #[cfg(feature = "legacy-tower-sessions")]
            {
                use super::legacy::{JarKey, TowerSessionsReader};
                let key = JarKey::from_base64(key)
                    .map_err(|error| format!("SEALED_COOKIE_LEGACY_TOWER_KEY: {error}"))?;
                let mode = jar_mode("legacy_tower_mode", &self.legacy_tower_mode)?;
                readers.push(std::sync::Arc::new(
                    TowerSessionsReader::new(key, mode)
                        .cookie_name(self.legacy_tower_cookie.clone()),
                ));
            }
            #[cfg(not(feature = "legacy-tower-sessions"))]
            {
                let _ = key;
                return Err(
                    "SEALED_COOKIE_LEGACY_TOWER_KEY is set, but this build has no tower-sessions reader: \
                     enable the sealed-cookie feature legacy-tower-sessions"
                        .to_owned(),
                );
            }
        }
        readers.extend(self.perl_readers()?);
        Ok(readers)
    }

    /// The Perl readers `legacy_perl_cookie` and `legacy_dancer_old_until` ask for.
    fn perl_readers(&self) -> Result<Vec<std::sync::Arc<dyn LegacyReader>>, String> {
        let Some(name) = &self.legacy_perl_cookie else {
            return match self.legacy_dancer_old_until {
                Some(_) => Err("legacy_dancer_old_until is set but legacy_perl_cookie is not: \
                     set legacy_perl_cookie (SEALED_COOKIE_LEGACY_PERL_COOKIE) to the Dancer cookie's name, \
                     e.g. dancer.session"
                    .to_owned()),
                None => Ok(Vec::new()),
            };
        };
        #[cfg(feature = "perl-compat")]
        {
            use crate::perl::PerlReader;
            let reader = PerlReader::from_env()
                .map_err(|error| format!("legacy_perl_cookie is set: {error}"))?;
            let mut readers: Vec<std::sync::Arc<dyn LegacyReader>> = vec![std::sync::Arc::new(
                crate::perl::web::PerlLegacy::new(reader, name.clone())
                    .map_err(|error| error.to_string())?,
            )];
            if let Some(until) = &self.legacy_dancer_old_until {
                #[cfg(feature = "legacy-dancer-old")]
                readers.push(std::sync::Arc::new(
                    crate::perl::OldDancerReader::from_env(parse_until(until)?)
                        .map_err(|error| format!("legacy_dancer_old_until is set: {error}"))?
                        .cookie_name(name.clone()),
                ));
                #[cfg(not(feature = "legacy-dancer-old"))]
                return Err(format!(
                    "legacy_dancer_old_until is {until:?}, but this build cannot read the old \
                     Dancer format: enable the sealed-cookie feature legacy-dancer-old"
                ));
            }
            Ok(readers)
        }
        #[cfg(not(feature = "perl-compat"))]
        {
            Err(format!(
                "legacy_perl_cookie is {name:?}, but this build has no Perl reader: \
                 enable the sealed-cookie feature perl-compat"
            ))
        }
    }

    /// The layer, with keys from the environment.
    ///
    /// # Errors
    /// A [`WebConfigError`] that says what to change.
    pub fn layer(&self) -> Result<SessionLayer, WebConfigError> {
        self.builder()?.build()
    }

    /// The layer, with the given keys.
    ///
    /// # Errors
    /// A [`WebConfigError`] that says what to change.
    pub fn layer_with_keyring(&self, keyring: Keyring) -> Result<SessionLayer, WebConfigError> {
        self.builder_with_keyring(keyring).build()
    }
}

/// The variable that names the configuration file for [`SessionConfig::load`].
pub const CONFIG_ENV: &str = "SEALED_COOKIE_CONFIG";

/// The settings `apply_vars` reads, after the prefix.
const SETTINGS: &[&str] = &[
    "NAME",
    "EXPIRES",
    "RENEW_WITHIN",
    "PATH",
    "DOMAIN",
    "SECURE",
    "HTTP_ONLY",
    "SAME_SITE",
    "CHUNKING",
    "MAX_CHUNKS",
    "BUDGET",
    "REQUEST_HEADER_BUDGET",
    "REQUEST_HEADER_HEADROOM",
    "SIZE_RULE",
    "CACHE_CONTROL",
    "COMMIT_ON_SERVER_ERROR",
    "KEYS_ENV",
    "KEYRING",
    "KEYRING_FILE",
    "KEYRING_RELOAD",
    "IDLE_TIMEOUT",
    "ABSOLUTE_TIMEOUT",
    "CLOCK_SKEW",
    "PERSISTENT",
    "ENVELOPE_FORMAT",
    "REVOCATION_URL",
    "REVOCATION_ON_ERROR",
    "REVOCATION_USER_ENTRY",
    "LEGACY_JAR_COOKIES",
    "LEGACY_JAR_SESSION_COOKIE",
    "LEGACY_JAR_MODE",
    "LEGACY_JAR_KEY",
    "LEGACY_ACTIX_COOKIE",
    "LEGACY_ACTIX_MODE",
    "LEGACY_ACTIX_KEY",
    "LEGACY_TOWER_COOKIE",
    "LEGACY_TOWER_MODE",
    "LEGACY_TOWER_KEY",
    "LEGACY_PERL_COOKIE",
    "LEGACY_DANCER_OLD_UNTIL",
];

/// `private` or `signed`, for the setting `setting`.
#[cfg(any(
    feature = "legacy-cookie-jar",
    feature = "legacy-actix-session",
    feature = "legacy-tower-sessions"
))]
fn jar_mode(setting: &str, text: &str) -> Result<super::legacy::JarMode, String> {
    super::legacy::JarMode::parse(text)
        .ok_or_else(|| format!("{setting} {text:?} is not private or signed"))
}

/// `2027-03-01` (midnight UTC) or an RFC 3339 time in UTC, as Unix seconds.
#[cfg(feature = "legacy-dancer-old")]
pub(crate) fn parse_until(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    humantime::parse_rfc3339_weak(&full)
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|since| since.as_secs())
        .ok_or_else(|| {
            format!("legacy_dancer_old_until {text:?} is not a date such as 2027-03-01 or an RFC 3339 time in UTC")
        })
}

/// `SEALED_COOKIE_*` variables that other parts read: the keys (the default
/// `keys_env`), the configuration file, and the Perl secrets.
const READ_ELSEWHERE: &[&str] = &["KEYS", "CONFIG", "PERL_SECRET", "PERL_OLD_SECRETS"];

/// The known variable nearest to `setting` (after the prefix), when it is
/// close enough to be a misspelling of it.
fn closest_var(setting: &str) -> Option<String> {
    SETTINGS
        .iter()
        .chain(READ_ELSEWHERE)
        .map(|known| (strsim::levenshtein(setting, known), known))
        .filter(|(distance, known)| *distance <= known.len().div_ceil(3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| format!("{ENV_PREFIX}{known}"))
}

/// The process environment's variables that are valid UTF-8.
fn process_vars() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os()
        .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
}

const DURATION_FORM: &str =
    "a duration such as \"1 hour\", \"30 minutes\", \"2h 30min\" or \"3600\" (seconds)";
const BOOL_FORM: &str = "true or false";
const SAME_SITE_FORM: &str = "strict, lax, none or off (also omit)";
const SIZE_RULE_FORM: &str = "whole-line or name-value";
const CACHE_CONTROL_FORM: &str = "private or no-store";

fn parse_size_rule(text: &str) -> Option<SizeRule> {
    match text.trim().to_ascii_lowercase().as_str() {
        "whole-line" => Some(SizeRule::WholeLine),
        "name-value" => Some(SizeRule::NameValue),
        _ => None,
    }
}

/// A TOML string read with `parse`, which the error says should be `form`.
fn from_text<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    parse: impl Fn(&str) -> Option<T>,
    form: &str,
) -> Result<T, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(&text).ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not {form}")))
}

fn size_rule<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SizeRule, D::Error> {
    from_text(deserializer, parse_size_rule, SIZE_RULE_FORM)
}

fn cache_control<'de, D: Deserializer<'de>>(deserializer: D) -> Result<CacheControl, D::Error> {
    from_text(deserializer, CacheControl::parse, CACHE_CONTROL_FORM)
}

fn human_duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    text.map(|text| {
        parse_duration(&text).map_err(|error| {
            serde::de::Error::custom(format!("{text:?} is not {DURATION_FORM}: {error}"))
        })
    })
    .transpose()
}

fn on_store_error<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OnStoreError, D::Error> {
    from_text(deserializer, OnStoreError::parse, "refuse or accept")
}

fn same_site<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<SameSite>, D::Error> {
    from_text(deserializer, parse_same_site, SAME_SITE_FORM)
}

debug_as_message!(WebConfigError);

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn load_reads_the_file_then_the_environment_over_it() {
        let dir = tempfile::tempdir().unwrap();
        let code_file = dir.path().join("app.toml");
        std::fs::write(&code_file, "cookie_name = \"app\"\nexpires = \"1 hour\"\n").unwrap();
        let ops_file = dir.path().join("ops.toml");
        std::fs::write(&ops_file, "cookie_name = \"ops\"\n").unwrap();

        let config = SessionConfig::load_with(Some(&code_file), vars(&[])).unwrap();
        assert_eq!(
            (config.cookie_name.as_str(), config.expires),
            ("app", Some(Duration::from_secs(3600)))
        );
        // The environment overrides the file; SEALED_COOKIE_CONFIG replaces it.
        let env = [("SEALED_COOKIE_EXPIRES", "5 minutes"), ("PATH", "/usr/bin")];
        let config = SessionConfig::load_with(Some(&code_file), vars(&env)).unwrap();
        assert_eq!(config.expires, Some(Duration::from_secs(300)));
        let ops = ops_file.display().to_string();
        let config =
            SessionConfig::load_with(Some(&code_file), vars(&[("SEALED_COOKIE_CONFIG", &ops)]))
                .unwrap();
        assert_eq!((config.cookie_name.as_str(), config.expires), ("ops", None));
        // No file at all: the defaults and the environment.
        let config = SessionConfig::load_with(None, vars(&[("SEALED_COOKIE_NAME", "x")])).unwrap();
        assert_eq!(config.cookie_name, "x");
    }

    #[test]
    fn unknown_variables_are_errors_naming_the_closest_setting() {
        for (var, closest) in [
            ("SEALED_COOKIE_EXPIRY", Some("SEALED_COOKIE_EXPIRES")),
            ("SEALED_COOKIE_SAMESITE", Some("SEALED_COOKIE_SAME_SITE")),
            ("SEALED_COOKIE_KEY", Some("SEALED_COOKIE_KEYS")),
            ("SEALED_COOKIE_HTTPONLY", Some("SEALED_COOKIE_HTTP_ONLY")),
            ("SEALED_COOKIE_SOMETHING_ELSE_ENTIRELY", None),
        ] {
            let error = SessionConfig::load_with(None, vars(&[(var, "1")])).unwrap_err();
            match &error {
                WebConfigError::UnknownEnv {
                    var: named,
                    closest: found,
                } => {
                    assert_eq!(named, var);
                    assert_eq!(found.as_deref(), closest, "{var}");
                }
                other => panic!("{var}: {other}"),
            }
        }
        // Read elsewhere, or named as the keys variable: not errors.
        let env = [
            ("SEALED_COOKIE_KEYS", "k"),
            ("SEALED_COOKIE_PERL_SECRET", "s"),
            ("SEALED_COOKIE_APP_KEYS", "k"),
            ("SEALED_COOKIE_KEYS_ENV", "SEALED_COOKIE_APP_KEYS"),
        ];
        let config = SessionConfig::load_with(None, vars(&env)).unwrap();
        assert_eq!(config.keys_env, "SEALED_COOKIE_APP_KEYS");
    }

    #[test]
    fn a_keyring_reload_needs_a_file_and_a_sane_interval() {
        let key = crate::Keyring::new(crate::Key::generate().unwrap());
        let config = SessionConfig::from_toml_str("keyring_reload = \"5s\"").unwrap();
        let error = config.layer_with_keyring(key.clone()).unwrap_err();
        assert!(
            matches!(error, WebConfigError::ReloadWithoutFile),
            "{error}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyring.toml");
        let config = SessionConfig::load_with(
            None,
            vars(&[
                ("SEALED_COOKIE_KEYRING", path.to_str().unwrap()),
                ("SEALED_COOKIE_KEYRING_RELOAD", "10ms"),
            ]),
        )
        .unwrap();
        let error = config.layer_with_keyring(key).unwrap_err();
        assert!(
            matches!(error, WebConfigError::ReloadTooOften { .. }),
            "{error}"
        );
    }

    #[test]
    fn a_key_pasted_as_the_configuration_file_is_not_printed() {
        let key = "mK9vQx2LpT7sWb4NcY1eHj6RfUa8ZdG3oIk5Vn0XqE_";
        let error =
            SessionConfig::load_with(None, vars(&[("SEALED_COOKIE_CONFIG", key)])).unwrap_err();
        assert!(matches!(error, WebConfigError::File { .. }), "{error}");
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(!shown.contains(&key[..12]), "{shown}");
        }
    }

    #[test]
    fn file_errors_name_the_file_and_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("session.toml");
        std::fs::write(&file, "cookie_name = \"a\"\nexpiry = \"1 hour\"\n").unwrap();
        let error = SessionConfig::load_with(Some(&file), vars(&[])).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(&file.display().to_string()), "{text}");
        assert!(text.contains("at line 2"), "{text}");
        let missing = dir.path().join("missing.toml");
        let error = SessionConfig::load_with(Some(&missing), vars(&[])).unwrap_err();
        assert!(matches!(error, WebConfigError::File { .. }), "{error}");
    }

    #[test]
    fn defaults_are_the_safe_ones() {
        let config = SessionConfig::from_toml_str("").unwrap();
        assert_eq!(config, SessionConfig::default());
        assert_eq!(config.cookie_name, "session");
        assert_eq!(config.path, "/");
        assert!(config.secure && config.http_only && !config.chunking);
        assert_eq!(config.same_site, Some(SameSite::Lax));
        assert_eq!(config.keys_env, KEYS_ENV);
    }

    #[test]
    fn bad_toml_names_what_to_change() {
        let unknown = SessionConfig::from_toml_str("expiry = \"1 hour\"").unwrap_err();
        assert!(unknown.to_string().contains("expiry"), "{unknown}");
        let duration = SessionConfig::from_toml_str("expires = \"forever\"").unwrap_err();
        assert!(duration.to_string().contains("\"1 hour\""), "{duration}");
        let same_site = SessionConfig::from_toml_str("same_site = \"sometimes\"").unwrap_err();
        assert!(
            same_site.to_string().contains("strict, lax, none or off"),
            "{same_site}"
        );
    }

    #[test]
    fn environment_overrides() {
        let mut config = SessionConfig::default();
        config
            .apply_vars(
                [
                    ("SEALED_COOKIE_NAME", "sid"),
                    ("SEALED_COOKIE_EXPIRES", "2 hours"),
                    ("SEALED_COOKIE_RENEW_WITHIN", "15min"),
                    ("SEALED_COOKIE_DOMAIN", "example.com"),
                    ("SEALED_COOKIE_HTTP_ONLY", "no"),
                    ("SEALED_COOKIE_SAME_SITE", "Strict"),
                    ("SEALED_COOKIE_CHUNKING", "1"),
                    ("SEALED_COOKIE_MAX_CHUNKS", "6"),
                    ("OTHER", "ignored"),
                ]
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
            )
            .unwrap();
        assert_eq!(config.cookie_name, "sid");
        assert_eq!(config.expires, Some(Duration::from_secs(7200)));
        assert_eq!(config.renew_within, Some(Duration::from_secs(900)));
        assert_eq!(config.domain.as_deref(), Some("example.com"));
        assert!(!config.http_only && config.chunking);
        assert_eq!(config.same_site, Some(SameSite::Strict));
        assert_eq!(config.max_chunks, 6);
        let error = config
            .apply_vars([("SEALED_COOKIE_SECURE".to_owned(), "maybe".to_owned())])
            .unwrap_err();
        assert!(
            error.to_string().contains("SEALED_COOKIE_SECURE"),
            "{error}"
        );
    }

    #[test]
    fn missing_and_bad_keys_say_what_to_set() {
        let config = SessionConfig::default();
        let missing = config.keyring_from(" ").unwrap_err();
        assert!(
            missing.to_string().contains("set SEALED_COOKIE_KEYS"),
            "{missing}"
        );
        assert!(missing.to_string().contains("keyring_file"), "{missing}");
        let bad = config.keyring_from("not-a-key!").unwrap_err();
        assert!(bad.to_string().contains("SEALED_COOKIE_KEYS"), "{bad}");
        let short = config.keyring_from("AAAA").unwrap_err();
        assert!(short.to_string().contains("at least 32 bytes"), "{short}");
    }

    #[test]
    fn keyring_file_is_used_when_configured() {
        let dir = std::env::temp_dir().join(format!("sealed-cookie-web-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keyring.toml");
        let (old, new) = (
            crate::Key::generate().unwrap(),
            crate::Key::generate().unwrap(),
        );
        let mut file = crate::keyfile::KeyringFile::new(old.clone());
        file.add(new.clone(), None).unwrap();
        file.promote(new.id()).unwrap();
        file.save(&path).unwrap();
        let config = SessionConfig::from_toml_str(&format!(
            "keyring_file = {:?}\nkeys_env = \"SEALED_COOKIE_TEST_UNSET_VARIABLE\"",
            path.display().to_string()
        ))
        .unwrap();
        let ring = config.keyring().unwrap();
        assert_eq!(ring.primary().id(), new.id());
        assert_eq!(ring.accepted().next().map(|k| k.id()), Some(old.id()));
        let layer = config.layer().unwrap();
        assert_eq!(layer.primary_key_id(), new.id());

        let missing = SessionConfig {
            keyring_file: Some(dir.join("absent.toml")),
            ..SessionConfig::default()
        };
        let error = missing.keyring().unwrap_err();
        // A path that names no file is not shown: it could be a key pasted there.
        let shown = error.to_string();
        assert!(
            shown.starts_with(&format!(
                "keyring file a path of {} characters that names no file (not shown in case it is a key) \
                 could not be used: ",
                dir.join("absent.toml").as_os_str().len()
            )),
            "{shown}"
        );
        assert!(!shown.contains("absent") && !format!("{error:?}").contains("absent"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_keyring_file_and_the_keys_variable_are_not_both_used() {
        let env = |pairs: Vec<(&'static str, String)>| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            }
        };
        let keys = crate::Key::generate().unwrap().to_base64().to_string();
        let path = "/nonexistent/keyring.toml".to_owned();
        // From the environment, as `from_env` reads it: the tool's message exactly.
        let mut config = SessionConfig::default();
        config
            .apply_vars([(KEYRING_ENV.to_owned(), path.clone())])
            .unwrap();
        let both = env(vec![(KEYRING_ENV, path.clone()), (KEYS_ENV, keys.clone())]);
        let error = config.keyring_with(&both).unwrap_err();
        let cli = crate::keyfile::resolve_source(None, &both).unwrap_err();
        assert_eq!(error.to_string(), cli.to_string());
        assert_eq!(
            error.to_string(),
            "both SEALED_COOKIE_KEYRING and SEALED_COOKIE_KEYS are set: unset one of them"
        );
        // From a TOML file, with another keys variable: the same rule and words.
        let config = SessionConfig::from_toml_str(&format!(
            "keyring_file = {path:?}\nkeys_env = \"APP_KEYS\""
        ))
        .unwrap();
        let error = config
            .keyring_with(env(vec![("APP_KEYS", keys.clone())]))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "both keyring_file and APP_KEYS are set: unset one of them"
        );
        // An empty keys variable is not set.
        let error = config
            .keyring_with(env(vec![("APP_KEYS", String::new())]))
            .unwrap_err();
        assert!(
            matches!(error, WebConfigError::KeyringFile { .. }),
            "{error}"
        );
    }

    #[test]
    fn lifecycle_and_revocation_settings_come_from_toml_and_the_environment() {
        let keyring = || Keyring::new(crate::Key::generate().unwrap());
        let config = SessionConfig::from_toml_str(
            "idle_timeout = \"30 minutes\"\nabsolute_timeout = \"8 hours\"\n\
             clock_skew = \"5s\"\npersistent = false\nenvelope_format = 1\n\
             revocation_url = \"memory\"\nrevocation_on_error = \"accept\"\n\
             revocation_user_entry = \"uid\"",
        )
        .unwrap();
        assert_eq!(config.idle_timeout, Some(Duration::from_secs(1800)));
        assert_eq!(config.absolute_timeout, Some(Duration::from_secs(8 * 3600)));
        assert_eq!(config.clock_skew, Some(Duration::from_secs(5)));
        assert!(!config.persistent);
        assert_eq!(config.revocation_on_error, OnStoreError::Accept);
        let layer = config.layer_with_keyring(keyring()).unwrap();
        assert!(layer.revocation_store().is_some());
        let mut config = SessionConfig::default();
        config
            .apply_vars(vars(&[
                ("SEALED_COOKIE_IDLE_TIMEOUT", "20m"),
                ("SEALED_COOKIE_ABSOLUTE_TIMEOUT", "2 hours"),
                ("SEALED_COOKIE_CLOCK_SKEW", "0s"),
                ("SEALED_COOKIE_PERSISTENT", "off"),
                ("SEALED_COOKIE_ENVELOPE_FORMAT", "2"),
                ("SEALED_COOKIE_REVOCATION_URL", "memory"),
                ("SEALED_COOKIE_REVOCATION_ON_ERROR", "refuse"),
            ]))
            .unwrap();
        assert_eq!(config.idle_timeout, Some(Duration::from_secs(1200)));
        assert_eq!(config.absolute_timeout, Some(Duration::from_secs(7200)));
        assert!(!config.persistent);
        assert!(config.layer_with_keyring(keyring()).is_ok());
        for (var, value, says) in [
            ("SEALED_COOKIE_ENVELOPE_FORMAT", "3", "1 or 2"),
            (
                "SEALED_COOKIE_REVOCATION_ON_ERROR",
                "maybe",
                "refuse or accept",
            ),
            (
                "SEALED_COOKIE_IDLE_TIMEOUT",
                "soon",
                "SEALED_COOKIE_IDLE_TIMEOUT",
            ),
        ] {
            let error = SessionConfig::default()
                .apply_vars(vars(&[(var, value)]))
                .unwrap_err();
            assert!(error.to_string().contains(says), "{var}: {error}");
        }
        // Mistakes a build reports, saying what to change.
        let build = |toml: &str| {
            SessionConfig::from_toml_str(toml)
                .unwrap()
                .layer_with_keyring(keyring())
                .unwrap_err()
                .to_string()
        };
        assert!(build("revocation_url = \"postgres://db\"").contains("neither `memory`"));
        let secret =
            SessionConfig::from_toml_str("revocation_url = \"redis://:hunter2@db/0\"").unwrap();
        assert!(!format!("{secret:?}").contains("hunter2"), "{secret:?}");
        assert!(build("envelope_format = 7").contains("use 2"));
        assert!(
            build("expires = \"1h\"\nabsolute_timeout = \"2h\"").contains("keep one"),
            "two names for one timeout"
        );
        assert!(build("renew_within = \"1m\"").contains("idle timeout"));
        // The old sliding session (expires as an idle timeout) bounded absolutely.
        let sliding = SessionConfig::from_toml_str(
            "expires = \"1h\"\nrenew_within = \"10m\"\nabsolute_timeout = \"8h\"",
        )
        .unwrap()
        .layer_with_keyring(keyring())
        .unwrap();
        assert_eq!(sliding.max_age(), Some(Duration::from_secs(8 * 3600)));
        assert_eq!(
            closest_var("IDLE_TIMOUT").as_deref(),
            Some("SEALED_COOKIE_IDLE_TIMEOUT")
        );
    }

    #[test]
    fn inconsistent_settings_fail_at_build() {
        let keyring = || Keyring::new(crate::Key::generate().unwrap());
        let mut config = SessionConfig {
            renew_within: Some(Duration::from_secs(60)),
            ..SessionConfig::default()
        };
        let error = config.layer_with_keyring(keyring()).unwrap_err();
        assert!(
            matches!(error, WebConfigError::RenewalWithoutExpiry),
            "{error}"
        );
        config.expires = Some(Duration::from_secs(60));
        let error = config.layer_with_keyring(keyring()).unwrap_err();
        assert!(
            matches!(error, WebConfigError::RenewalWindowTooLong { .. }),
            "{error}"
        );
        config.expires = Some(Duration::from_secs(3600));
        assert!(config.layer_with_keyring(keyring()).is_ok());
        config.chunking = true;
        config.max_chunks = 0;
        let error = config.layer_with_keyring(keyring()).unwrap_err();
        assert!(error.to_string().contains("max_chunks"), "{error}");
        config.max_chunks = 4;
        config.cookie_name = "bad name".to_owned();
        let error = config.layer_with_keyring(keyring()).unwrap_err();
        assert!(error.to_string().contains("cookie name"), "{error}");
        config.cookie_name = "session".to_owned();
        // A lifetime under one second would seal "no expiry": refused from TOML
        // and from the environment alike.
        for toml in ["expires = \"0s\"", "expires = \"500ms\""] {
            let short = SessionConfig::from_toml_str(toml).unwrap();
            let error = short.layer_with_keyring(keyring()).unwrap_err();
            assert!(
                error.to_string().contains("under one second"),
                "{toml}: {error}"
            );
        }
        let mut short = SessionConfig::default();
        short
            .apply_vars([("SEALED_COOKIE_EXPIRES".to_owned(), "999 ms".to_owned())])
            .unwrap();
        let error = short.layer_with_keyring(keyring()).unwrap_err();
        assert!(error.to_string().contains("under one second"), "{error}");
        config.budget = 40;
        let error = config.layer_with_keyring(keyring()).unwrap_err();
        assert!(error.to_string().contains("raise the budget"), "{error}");
    }
}
