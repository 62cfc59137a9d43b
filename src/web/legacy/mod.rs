//! Legacy readers: adopting the sessions that another library left in the
//! browser, so that moving to this crate logs nobody out.
//!
//! A [`LegacyReader`] is asked only when the request carries no session of ours
//! that opens. Given the request's cookies it may return a session, the expiry
//! its format recorded, and the cookies to delete ([`Adoption`]). The engine
//! then hands the handler that session and, on the same response, re-issues it
//! in the current suite (keeping the legacy expiry, cut to the configured
//! timeouts) and deletes the legacy cookies. Readers shipped here:
//!
//! | reader | feature | peer |
//! |---|---|---|
//! | [`PerlReader`](crate::perl::PerlReader) (via `perl_legacy`) | `perl-compat` | Perl's `Session::Storage::Secure` (`Dancer::Session::Cookie`) |
//! | [`CookieJarReader`] | `legacy-cookie-jar` | `cookie`'s private and signed jars (axum-extra's `PrivateCookieJar`/`SignedCookieJar`, tower-cookies) |
//! | [`ActixSessionReader`] | `legacy-actix-session` | actix-session's `CookieSessionStore`, private and signed |
//! | [`TowerSessionsReader`] | `legacy-tower-sessions` | tower-sessions-cookie-store, signed and private |
//! | [`OldDancerReader`](crate::perl::OldDancerReader) | `legacy-dancer-old` | `Dancer::Session::Cookie` before 0.20 (no MAC: until a date) |
//!
//! **A legacy cookie under our own name.** When a reader reads a cookie of the
//! same name as ours, the engine asks it first whether a value is its format
//! ([`LegacyReader::claims`], a test of shape, no cryptography): a claimed value
//! is not given to our codec at all, so our side makes no AEAD attempt on it,
//! and an unclaimed one gets at most the one attempt every cookie gets. The
//! shipped readers claim by alphabet: our values are base64url without padding,
//! while Perl's contain `~` and the jars' standard base64 contains `+`, `/` or
//! `=`, or fails our header check (version and key id) before any AEAD.

#[cfg(feature = "legacy-actix-session")]
mod actix_session;
#[cfg(feature = "legacy-cookie-jar")]
mod cookie_jar;
#[cfg(any(
    feature = "legacy-cookie-jar",
    feature = "legacy-actix-session",
    feature = "legacy-tower-sessions"
))]
mod jar;
#[cfg(feature = "legacy-tower-sessions")]
mod tower_sessions;

use std::fmt;
use std::sync::Arc;

#[cfg(feature = "legacy-actix-session")]
pub use actix_session::ActixSessionReader;
#[cfg(feature = "legacy-cookie-jar")]
pub use cookie_jar::CookieJarReader;
#[cfg(any(
    feature = "legacy-cookie-jar",
    feature = "legacy-actix-session",
    feature = "legacy-tower-sessions"
))]
pub use jar::{JarKey, JarKeyError, JarMode};
#[cfg(feature = "legacy-tower-sessions")]
pub use tower_sessions::{TOWER_SESSIONS_DEFAULT_COOKIE, TowerSessionsReader};

use super::cookie_header::{RequestCookies, value_text};
use crate::value::SessionMap;
use crate::{ConfigError, MAX_NAME_LEN};

/// Reads the sessions another library wrote into cookies. See the
/// [module documentation](self).
///
/// ```
/// use sealed_cookie::web::legacy::{Adoption, LegacyCookies, LegacyReader};
/// use sealed_cookie::{SessionMap, Value};
///
/// /// A made-up format: `user=<name>` in a cookie `old_user`.
/// #[derive(Debug)]
/// struct OldUser;
///
/// impl LegacyReader for OldUser {
///     fn name(&self) -> &'static str { "old-user" }
///     fn cookie_names(&self) -> Vec<String> { vec!["old_user".into()] }
///     fn adopt(&self, cookies: &LegacyCookies<'_>, _now: u64) -> Adoption {
///         let Some(user) = cookies.get("old_user") else { return Adoption::default() };
///         let mut session = SessionMap::new();
///         session.insert("user".into(), Value::from(user));
///         Adoption::session(session).delete("old_user")
///     }
/// }
/// # let _ = OldUser;
/// ```
pub trait LegacyReader: fmt::Debug + Send + Sync + 'static {
    /// A short name, for logs and the `reader` label of
    /// `sealed_cookie_legacy_adopted_total`.
    fn name(&self) -> &'static str;

    /// The cookies it reads (checked when the layer is built, and the only
    /// ones an [`Adoption`] may delete).
    fn cookie_names(&self) -> Vec<String>;

    /// Whether `value`, sent under the session cookie's own name, is in this
    /// reader's format rather than ours, judged by shape alone (no
    /// cryptography). Asked only of readers whose [`cookie_names`](Self::cookie_names)
    /// include our cookie's name; a claimed value is not opened by our codec.
    fn claims(&self, value: &str) -> bool {
        let _ = value;
        false
    }

    /// Reads the request's cookies at `now` (Unix seconds).
    fn adopt(&self, cookies: &LegacyCookies<'_>, now: u64) -> Adoption;
}

/// The request's cookies, as a [`LegacyReader`] sees them.
#[derive(Debug)]
pub struct LegacyCookies<'a> {
    pairs: &'a [(&'a str, &'a [u8])],
}

impl<'a> LegacyCookies<'a> {
    pub(crate) fn new(cookies: &'a RequestCookies<'_>) -> Self {
        Self {
            pairs: cookies.as_slice(),
        }
    }

    /// The first value sent for cookie `name`, without surrounding double
    /// quotes.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.get_all(name).next()
    }

    /// Runs `f` on the cookies of one `Cookie` header value (`a=1; b=2`), as a
    /// reader sees them in a request: to try a reader outside a server.
    ///
    /// ```
    /// use sealed_cookie::web::legacy::LegacyCookies;
    ///
    /// let user = LegacyCookies::with_header("theme=dark; user=\"ada\"", |cookies| {
    ///     cookies.get("user").map(str::to_owned)
    /// });
    /// assert_eq!(user.as_deref(), Some("ada"));
    /// ```
    pub fn with_header<R>(header: &str, f: impl FnOnce(&LegacyCookies<'_>) -> R) -> R {
        let cookies = RequestCookies::from_fields([header.as_bytes()]);
        f(&LegacyCookies::new(&cookies))
    }

    /// Every value sent for cookie `name`, in order.
    pub fn get_all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
        // A value that is not UTF-8 counts as a pair not sent.
        self.pairs
            .iter()
            .filter(move |(key, _)| *key == name)
            .filter_map(|(_, value)| value_text(value))
            .map(|value| value.trim_matches('"'))
    }
}

/// What a [`LegacyReader`] found in a request.
#[derive(Debug, Default, Clone, PartialEq)]
#[non_exhaustive]
pub struct Adoption {
    /// The session, when a legacy cookie opened.
    pub session: Option<SessionMap>,
    /// When the legacy session ends (Unix seconds), where its format records
    /// it: the adopted session keeps that end rather than a new lifetime.
    pub expires_at: Option<u64>,
    /// Legacy cookies to delete on the response (moved to ours, or dead).
    pub delete: Vec<String>,
}

impl Adoption {
    /// A session adopted, no expiry recorded, nothing deleted yet.
    #[must_use]
    pub fn session(session: SessionMap) -> Self {
        Self {
            session: Some(session),
            ..Self::default()
        }
    }

    /// The legacy session ends at `expires_at` (Unix seconds).
    #[must_use]
    pub fn expires_at(mut self, expires_at: u64) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Also deletes cookie `name` (one of the reader's [`LegacyReader::cookie_names`]).
    #[must_use]
    pub fn delete(mut self, name: impl Into<String>) -> Self {
        self.delete.push(name.into());
        self
    }
}

/// Most legacy cookie names one layer may read: their deletions are tracked
/// as bits of one word.
pub(crate) const MAX_LEGACY_COOKIES: usize = 64;

/// A layer's legacy readers, checked when the layer is built.
#[derive(Debug, Default, Clone)]
pub(crate) struct Readers {
    readers: Vec<Arc<dyn LegacyReader>>,
    /// Every cookie name the readers read, once each.
    names: Vec<String>,
    /// The readers that read our own cookie name.
    claimants: Vec<Arc<dyn LegacyReader>>,
}

/// What the readers found for one request.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) session: Option<(SessionMap, Option<u64>, &'static str)>,
    /// Bit `i`: delete `names[i]`.
    pub(crate) delete: u64,
}

impl Readers {
    pub(crate) fn new(
        readers: Vec<Arc<dyn LegacyReader>>,
        our_name: &str,
    ) -> Result<Self, ConfigError> {
        let mut names: Vec<String> = Vec::new();
        let mut claimants = Vec::new();
        for reader in &readers {
            let mut ours = false;
            for name in reader.cookie_names() {
                check_name(&name)?;
                ours |= name == our_name;
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            if ours {
                claimants.push(Arc::clone(reader));
            }
        }
        if names.len() > MAX_LEGACY_COOKIES {
            return Err(ConfigError::TooManyLegacyCookies {
                count: names.len(),
                max: MAX_LEGACY_COOKIES,
            });
        }
        Ok(Self {
            readers,
            names,
            claimants,
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.readers.is_empty()
    }

    /// Whether a reader claims `value`, sent under our cookie's name.
    pub(crate) fn claimed(&self, value: &str) -> bool {
        self.claimants.iter().any(|reader| reader.claims(value))
    }

    /// Asks every reader in turn; the first session found is adopted, and
    /// every reader's deletions are kept (but never of our own cookie, which
    /// the response rewrites or deletes by its own rules).
    pub(crate) fn adopt(&self, cookies: &RequestCookies<'_>, our_name: &str, now: u64) -> Found {
        let view = LegacyCookies::new(cookies);
        let mut found = Found::default();
        for reader in &self.readers {
            if found.session.is_some() {
                break;
            }
            let adoption = reader.adopt(&view, now);
            for name in &adoption.delete {
                match self.names.iter().position(|known| known == name) {
                    Some(_) if name == our_name => {}
                    Some(index) => found.delete |= 1 << index,
                    None => tracing::warn!(
                        reader = reader.name(),
                        cookie = name.as_str(),
                        "legacy reader asked to delete a cookie it does not read; ignored"
                    ),
                }
            }
            if let Some(session) = adoption.session {
                found.session = Some((session, adoption.expires_at, reader.name()));
            }
        }
        found
    }

    /// The names whose bits are set in `delete`.
    pub(crate) fn names_in(&self, delete: u64) -> impl Iterator<Item = &str> {
        self.names
            .iter()
            .enumerate()
            .filter(move |(index, _)| delete & (1 << index) != 0)
            .map(|(_, name)| name.as_str())
    }
}

/// A cookie name as RFC 6265 allows it (a token).
pub(crate) fn check_name(name: &str) -> Result<(), ConfigError> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(ConfigError::InvalidCookieName {
            name: name.to_owned(),
        })
    }
}
