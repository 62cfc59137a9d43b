//! Cookie attributes, and the exact length of the `Set-Cookie` string they make.
//!
//! Browsers drop a cookie whose `Set-Cookie` string passes about 4096 bytes, without
//! telling anyone. The codec counts name, value and these attributes before it
//! returns a sealed value.

use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use crate::error::ConfigError;

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    /// Sent only on same-site requests.
    Strict,
    /// Sent on same-site requests and top-level navigations (the default).
    #[default]
    Lax,
    /// Sent everywhere; implies `Secure`.
    None,
}

impl SameSite {
    /// The attribute value as written in `Set-Cookie`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "Strict",
            Self::Lax => "Lax",
            Self::None => "None",
        }
    }
}

/// Attributes written after `name=value` in `Set-Cookie`, in the order the `cookie`
/// crate writes them. The defaults are the safe ones: `HttpOnly`, `SameSite=Lax`,
/// `Secure`, `Path=/`.
///
/// ```
/// use sealed_cookie::CookieAttributes;
/// let attributes = CookieAttributes::default();
/// let header = attributes.render("session", "abc", Some(3600), None);
/// assert_eq!(header, "session=abc; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=3600");
/// assert_eq!(attributes.rendered_len("session", 3, Some(3600), None), header.len());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieAttributes {
    /// `Path`; default `/`.
    pub path: Option<String>,
    /// `Domain`; default none (host-only).
    pub domain: Option<String>,
    /// `Secure`; default on.
    pub secure: bool,
    /// `HttpOnly`; default on.
    pub http_only: bool,
    /// `SameSite`; default `Lax`.
    pub same_site: Option<SameSite>,
    /// `Partitioned` (CHIPS); default off. Implies `Secure`.
    pub partitioned: bool,
    /// Also write `Expires` next to `Max-Age` (for very old browsers); default off.
    pub expires: bool,
}

impl Default for CookieAttributes {
    fn default() -> Self {
        Self {
            path: Some("/".to_owned()),
            domain: None,
            secure: true,
            http_only: true,
            same_site: Some(SameSite::Lax),
            partitioned: false,
            expires: false,
        }
    }
}

/// Length of `; Expires=Thu, 01 Jan 1970 00:00:00 GMT`: the date format is fixed-width.
const EXPIRES_LEN: usize = "; Expires=".len() + "Thu, 01 Jan 1970 00:00:00 GMT".len();
/// The last second an HTTP date can name (four-digit years): 9999-12-31 23:59:59 UTC.
const LAST_HTTP_DATE: u64 = 253_402_300_799;

impl CookieAttributes {
    /// Whether `Secure` is written (asked for, or implied by `Partitioned` or `SameSite=None`).
    #[must_use]
    pub fn writes_secure(&self) -> bool {
        self.secure || self.partitioned || self.same_site == Some(SameSite::None)
    }

    /// Checks that no attribute value can break the header.
    ///
    /// # Errors
    /// [`ConfigError::InvalidAttribute`] naming the attribute.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |value: &Option<String>| {
            value.as_deref().is_some_and(|v| {
                v.is_empty() || v.chars().any(|c| c.is_control() || c == ';' || c == ' ')
            })
        };
        if bad(&self.path) {
            return Err(ConfigError::InvalidAttribute { attribute: "Path" });
        }
        if bad(&self.domain) {
            return Err(ConfigError::InvalidAttribute {
                attribute: "Domain",
            });
        }
        Ok(())
    }

    /// Exact length of [`CookieAttributes::render`] for a value of `value_len`
    /// bytes, without building the string.
    #[must_use]
    pub fn rendered_len(
        &self,
        name: &str,
        value_len: usize,
        max_age: Option<u64>,
        expires_at: Option<u64>,
    ) -> usize {
        // The other parts are strings held in memory and short constants: only
        // `value_len` can be near `usize::MAX`.
        let mut len = name.len() + 1;
        if self.http_only {
            len += "; HttpOnly".len();
        }
        if let Some(same_site) = self.same_site {
            len += "; SameSite=".len() + same_site.as_str().len();
        }
        if self.partitioned {
            len += "; Partitioned".len();
        }
        if self.writes_secure() {
            len += "; Secure".len();
        }
        if let Some(path) = &self.path {
            len += "; Path=".len() + path.len();
        }
        if let Some(domain) = &self.domain {
            len += "; Domain=".len() + domain.len();
        }
        if let Some(max_age) = max_age {
            len += "; Max-Age=".len() + decimal_digits(max_age);
        }
        if self.expires && expires_at.is_some() {
            len += EXPIRES_LEN;
        }
        len.saturating_add(value_len)
    }

    /// The complete `Set-Cookie` header value. An `Expires` after year 9999,
    /// which an HTTP date cannot write, is written as its last second.
    #[must_use]
    pub fn render(
        &self,
        name: &str,
        value: &str,
        max_age: Option<u64>,
        expires_at: Option<u64>,
    ) -> String {
        let mut out =
            String::with_capacity(self.rendered_len(name, value.len(), max_age, expires_at));
        // Writing to a String cannot fail.
        let _ = write!(out, "{name}={value}");
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if let Some(same_site) = self.same_site {
            let _ = write!(out, "; SameSite={}", same_site.as_str());
        }
        if self.partitioned {
            out.push_str("; Partitioned");
        }
        if self.writes_secure() {
            out.push_str("; Secure");
        }
        if let Some(path) = &self.path {
            let _ = write!(out, "; Path={path}");
        }
        if let Some(domain) = &self.domain {
            let _ = write!(out, "; Domain={domain}");
        }
        if let Some(max_age) = max_age {
            let _ = write!(out, "; Max-Age={max_age}");
        }
        if let (true, Some(expires_at)) = (self.expires, expires_at) {
            let when = UNIX_EPOCH + Duration::from_secs(expires_at.min(LAST_HTTP_DATE));
            let _ = write!(out, "; Expires={}", httpdate::fmt_http_date(when));
        }
        out
    }
}

fn decimal_digits(mut n: u64) -> usize {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

/// Every combination of attributes and a range of max ages (with the matching
/// expiry), for tests that compare renderings.
/// The cookie name prefixes browsers enforce, with what each requires.
const PREFIXES: [(&str, &str); 2] = [
    ("__Host-", "Secure, Path=/ and no Domain"),
    ("__Secure-", "Secure"),
];

impl CookieAttributes {
    /// Checks what browsers would otherwise drop silently: `Path` must start
    /// with `/`; `Domain` is a host name (no scheme, port or path); a name with
    /// the `__Host-` prefix needs `Secure`, `Path=/` and no `Domain`, one with
    /// `__Secure-` needs `Secure` (prefixes are matched without regard to case,
    /// as browsers match them).
    ///
    /// ```
    /// use sealed_cookie::CookieAttributes;
    /// let mut attributes = CookieAttributes::default();
    /// assert!(attributes.validate_for("__Host-session").is_ok());
    /// attributes.domain = Some("example.com".into());
    /// assert!(attributes.validate_for("__Host-session").is_err());
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] that says which attribute to change.
    pub fn validate_for(&self, name: &str) -> Result<(), ConfigError> {
        self.validate()?;
        if let Some(path) = &self.path
            && !path.starts_with('/')
        {
            return Err(ConfigError::PathNotAbsolute { path: path.clone() });
        }
        if let Some(domain) = &self.domain {
            let host = domain.strip_prefix('.').unwrap_or(domain);
            if host.is_empty() || host.contains([':', '/', '\\', '?', '#', '@']) {
                return Err(ConfigError::DomainNotAHost {
                    domain: domain.clone(),
                });
            }
        }
        let lower = name.to_ascii_lowercase();
        for (prefix, needs) in PREFIXES {
            if !lower.starts_with(&prefix.to_ascii_lowercase()) {
                continue;
            }
            let host_only = prefix == "__Host-";
            let fits = self.writes_secure()
                && (!host_only || (self.path.as_deref() == Some("/") && self.domain.is_none()));
            if !fits {
                return Err(ConfigError::PrefixRequirements {
                    name: name.to_owned(),
                    prefix,
                    needs,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) fn combinations() -> impl Iterator<Item = (CookieAttributes, Option<u64>, Option<u64>)> {
    (0u32..512).flat_map(|mask| {
        let attributes = CookieAttributes {
            path: (mask & 1 != 0).then(|| "/app".to_owned()),
            domain: (mask & 2 != 0).then(|| "example.com".to_owned()),
            secure: mask & 4 != 0,
            http_only: mask & 8 != 0,
            same_site: [
                None,
                Some(SameSite::Strict),
                Some(SameSite::Lax),
                Some(SameSite::None),
            ][(mask as usize >> 4) % 4],
            partitioned: mask & 64 != 0,
            expires: mask & 128 != 0,
        };
        [
            None,
            Some(0),
            Some(9),
            Some(10),
            Some(86_400),
            Some(u64::from(u32::MAX)),
        ]
        .into_iter()
        .map(move |max_age| {
            let expires_at = max_age.map(|age| 1_700_000_000 + age);
            (attributes.clone(), max_age, expires_at)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_len_is_exact_for_every_combination() {
        for (attributes, max_age, expires_at) in combinations() {
            let header = attributes.render("id", "value", max_age, expires_at);
            assert_eq!(
                attributes.rendered_len("id", 5, max_age, expires_at),
                header.len(),
                "{header}"
            );
        }
    }

    #[test]
    fn attribute_values_that_break_the_header_are_rejected() {
        for bad in ["", "/a;b", "/a b", "/a\n"] {
            let attributes = CookieAttributes {
                path: Some(bad.to_owned()),
                ..Default::default()
            };
            assert!(attributes.validate().is_err(), "{bad:?}");
        }
        assert!(CookieAttributes::default().validate().is_ok());
    }

    #[test]
    fn prefixes_paths_and_domains_browsers_would_drop_are_refused() {
        let with = |f: fn(&mut CookieAttributes)| {
            let mut attributes = CookieAttributes::default();
            f(&mut attributes);
            attributes
        };
        let defaults = CookieAttributes::default();
        for name in [
            "__Host-session",
            "__host-session",
            "__Secure-session",
            "session",
        ] {
            assert_eq!(defaults.validate_for(name), Ok(()), "{name}");
        }
        let refused = [
            ("__Host-s", with(|a| a.secure = false)),
            ("__HOST-s", with(|a| a.domain = Some("example.com".into()))),
            ("__Host-s", with(|a| a.path = Some("/app".into()))),
            ("__Host-s", with(|a| a.path = None)),
            ("__Secure-s", with(|a| a.secure = false)),
            ("__secure-s", with(|a| a.secure = false)),
        ];
        for (name, attributes) in refused {
            let error = attributes.validate_for(name).unwrap_err();
            assert!(
                matches!(error, ConfigError::PrefixRequirements { .. }),
                "{name} {attributes:?}"
            );
            assert!(error.to_string().contains("Secure"), "{error}");
        }
        // __Secure- is satisfied by an implied Secure (SameSite=None).
        let implied = with(|a| {
            a.secure = false;
            a.same_site = Some(SameSite::None);
        });
        assert_eq!(implied.validate_for("__Secure-s"), Ok(()));
        for path in ["app", "./x"] {
            let attributes = CookieAttributes {
                path: Some(path.into()),
                ..Default::default()
            };
            assert!(matches!(
                attributes.validate_for("s"),
                Err(ConfigError::PathNotAbsolute { .. })
            ));
        }
        for domain in [
            "https://example.com",
            "example.com:8080",
            "example.com/app",
            ".",
        ] {
            let attributes = CookieAttributes {
                domain: Some(domain.into()),
                ..Default::default()
            };
            assert!(
                matches!(
                    attributes.validate_for("s"),
                    Err(ConfigError::DomainNotAHost { .. })
                ),
                "{domain}"
            );
        }
        let sub = CookieAttributes {
            domain: Some(".example.com".into()),
            ..Default::default()
        };
        assert_eq!(sub.validate_for("s"), Ok(()));
    }

    #[test]
    fn expiry_past_year_9999_and_huge_lengths_render_without_overflow() {
        let attributes = CookieAttributes {
            expires: true,
            ..Default::default()
        };
        for expires_at in [LAST_HTTP_DATE, LAST_HTTP_DATE + 1, u64::MAX] {
            let header = attributes.render("id", "v", Some(u64::MAX), Some(expires_at));
            assert!(
                header.ends_with(
                    "; Max-Age=18446744073709551615; Expires=Fri, 31 Dec 9999 23:59:59 GMT"
                ),
                "{header}"
            );
            assert_eq!(
                attributes.rendered_len("id", 1, Some(u64::MAX), Some(expires_at)),
                header.len()
            );
        }
        let len = attributes.rendered_len("id", usize::MAX, Some(1), Some(1));
        assert_eq!(len, usize::MAX);
    }
}
