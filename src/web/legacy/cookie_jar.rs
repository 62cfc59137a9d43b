//! Adopting what the `cookie` crate's private or signed jar holds (axum-extra's
//! `PrivateCookieJar`/`SignedCookieJar`, tower-cookies' `private`/`signed`).

use super::jar::{JarKey, JarMode, jar_shape};
use super::{Adoption, LegacyCookies, LegacyReader};
use crate::value::{SessionMap, Value};

/// Reads cookies of the `cookie` crate's private (or signed) jar into a
/// session: each cookie named in [`entries`](Self::entries) becomes the session
/// entry of that name (a JSON value parsed, other text kept as a string), and a
/// JSON object in the [`session_cookie`](Self::session_cookie) becomes the whole
/// session. Adopted cookies are deleted; one that does not open is left alone
/// (logged), as the application may still own it.
///
/// ```
/// use sealed_cookie::web::legacy::{CookieJarReader, JarKey, JarMode};
///
/// // The application's cookie::Key, as its 64 master bytes in base64.
/// # let master = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [3u8; 64]);
/// let reader = CookieJarReader::new(JarKey::from_base64(&master)?, JarMode::Private)
///     .entries(["user_id", "theme"]);
/// # let _ = reader;
/// # Ok::<(), sealed_cookie::web::legacy::JarKeyError>(())
/// ```
#[derive(Debug)]
pub struct CookieJarReader {
    key: JarKey,
    mode: JarMode,
    entries: Vec<String>,
    session_cookie: Option<String>,
}

impl CookieJarReader {
    /// A reader of the jar of `mode` under `key`; name its cookies with
    /// [`entries`](Self::entries) or [`session_cookie`](Self::session_cookie).
    #[must_use]
    pub fn new(key: JarKey, mode: JarMode) -> Self {
        Self {
            key,
            mode,
            entries: Vec::new(),
            session_cookie: None,
        }
    }

    /// Cookies adopted one each as the session entry of the same name.
    #[must_use]
    pub fn entries<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.entries.extend(names.into_iter().map(Into::into));
        self
    }

    /// A cookie holding a JSON object that becomes the whole session (entries
    /// from [`entries`](Self::entries) are added to it).
    #[must_use]
    pub fn session_cookie(mut self, name: impl Into<String>) -> Self {
        self.session_cookie = Some(name.into());
        self
    }

    /// Opens one cookie value, or `None` (logged).
    fn open(&self, name: &str, value: &str) -> Option<String> {
        self.key.open_cookie(self.mode, name, value, self.name())
    }
}

/// A JSON value as a session value; text that is not JSON stays a string.
pub(crate) fn entry_value(text: String) -> Value {
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(json) => Value::from(json),
        Err(_) => Value::String(text),
    }
}

impl LegacyReader for CookieJarReader {
    fn name(&self) -> &'static str {
        match self.mode {
            JarMode::Private => "cookie-private-jar",
            JarMode::Signed => "cookie-signed-jar",
        }
    }

    fn cookie_names(&self) -> Vec<String> {
        self.session_cookie
            .iter()
            .chain(&self.entries)
            .cloned()
            .collect()
    }

    fn claims(&self, value: &str) -> bool {
        jar_shape(self.mode, value)
    }

    fn adopt(&self, cookies: &LegacyCookies<'_>, _now: u64) -> Adoption {
        let mut session = SessionMap::new();
        let mut delete = Vec::new();
        if let Some(name) = &self.session_cookie
            && let Some(value) = cookies.get(name)
            && let Some(text) = self.open(name, value)
        {
            match serde_json::from_str::<serde_json::Value>(&text).map(Value::from) {
                Ok(Value::Map(map)) => {
                    session = map;
                    delete.push(name.clone());
                }
                _ => tracing::info!(
                    cookie = name.as_str(),
                    reader = self.name(),
                    "legacy session cookie opened but holds no JSON object; left as it is"
                ),
            }
        }
        for name in &self.entries {
            if let Some(value) = cookies.get(name)
                && let Some(text) = self.open(name, value)
            {
                session.insert(name.clone(), entry_value(text));
                delete.push(name.clone());
            }
        }
        if delete.is_empty() {
            return Adoption::default();
        }
        Adoption {
            session: Some(session),
            expires_at: None,
            delete,
        }
    }
}
