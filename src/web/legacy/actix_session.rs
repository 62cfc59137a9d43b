//! Adopting actix-session's `CookieSessionStore` sessions.

use super::cookie_jar::entry_value;
use super::jar::{JarKey, JarMode, standard_base64_shape};
use super::{Adoption, LegacyCookies, LegacyReader};
use crate::value::SessionMap;

/// actix-session's default cookie name.
pub const ACTIX_DEFAULT_COOKIE: &str = "id";

/// Reads the session actix-session's `CookieSessionStore` keeps in its cookie
/// (default name `id`): the session state, a JSON object whose values are each
/// a JSON document in a string, in the private (default) or signed jar of the
/// application's `actix_web::cookie::Key`. actix-session records no expiry in
/// the cookie, so the adopted session gets the configured lifetime.
///
/// ```
/// use sealed_cookie::web::legacy::{ActixSessionReader, JarKey, JarMode};
/// # let master = [5u8; 64];
/// let reader = ActixSessionReader::new(JarKey::from_master(&master)?, JarMode::Private);
/// # let _ = reader;
/// # Ok::<(), sealed_cookie::web::legacy::JarKeyError>(())
/// ```
#[derive(Debug)]
pub struct ActixSessionReader {
    key: JarKey,
    mode: JarMode,
    cookie_name: String,
}

impl ActixSessionReader {
    /// A reader of the cookie `id` in the jar of `mode` under `key`.
    #[must_use]
    pub fn new(key: JarKey, mode: JarMode) -> Self {
        Self {
            key,
            mode,
            cookie_name: ACTIX_DEFAULT_COOKIE.to_owned(),
        }
    }

    /// The cookie name the application gave `SessionMiddleware::builder(..).cookie_name`.
    #[must_use]
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }
}

impl LegacyReader for ActixSessionReader {
    fn name(&self) -> &'static str {
        "actix-session"
    }

    fn cookie_names(&self) -> Vec<String> {
        vec![self.cookie_name.clone()]
    }

    fn claims(&self, value: &str) -> bool {
        // Written percent-encoded by actix-web: `%` never occurs in ours.
        value.contains('%') || standard_base64_shape(value)
    }

    fn adopt(&self, cookies: &LegacyCookies<'_>, _now: u64) -> Adoption {
        let name = self.cookie_name.as_str();
        let Some(value) = cookies.get(name) else {
            return Adoption::default();
        };
        let Some(text) = self.key.open_cookie(self.mode, name, value, self.name()) else {
            return Adoption::default();
        };
        let Ok(state) = serde_json::from_str::<std::collections::BTreeMap<String, String>>(&text)
        else {
            tracing::info!(
                cookie = name,
                reader = self.name(),
                "actix-session cookie opened but holds no session state; deleting it"
            );
            return Adoption::default().delete(name);
        };
        let session: SessionMap = state
            .into_iter()
            .map(|(key, value)| (key, entry_value(value)))
            .collect();
        Adoption::session(session).delete(name)
    }
}
