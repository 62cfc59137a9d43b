//! The web layer's legacy reader: a request without a session of ours but with
//! a Perl session cookie gets that session, re-issued in the current suite
//! (see [`SessionLayerBuilder::perl_legacy`](crate::web::SessionLayerBuilder::perl_legacy)).

use super::{PerlError, PerlReader};
use crate::web::legacy::{Adoption, LegacyCookies, LegacyReader, check_name};
use crate::{ConfigError, Value};

/// The Perl reader and the name of the cookie Perl wrote.
#[derive(Debug, Clone)]
pub(crate) struct PerlLegacy {
    pub(crate) reader: PerlReader,
    pub(crate) cookie_name: String,
}

impl PerlLegacy {
    pub(crate) fn new(reader: PerlReader, cookie_name: String) -> Result<Self, ConfigError> {
        check_name(&cookie_name)?;
        Ok(Self {
            reader,
            cookie_name,
        })
    }
}

impl LegacyReader for PerlLegacy {
    fn name(&self) -> &'static str {
        "perl"
    }

    fn cookie_names(&self) -> Vec<String> {
        vec![self.cookie_name.clone()]
    }

    /// `Session::Storage::Secure` joins its fields with `~`, which base64url
    /// never holds.
    fn claims(&self, value: &str) -> bool {
        value.contains('~')
    }

    fn adopt(&self, cookies: &LegacyCookies<'_>, now: u64) -> Adoption {
        let Some(text) = cookies.get(&self.cookie_name) else {
            return Adoption::default();
        };
        let name = self.cookie_name.as_str();
        match self.reader.open_details(text, now) {
            Ok(opened) => match opened.value {
                Value::Map(map) => {
                    tracing::info!(
                        cookie = name,
                        protocol = opened.protocol,
                        old_secret = opened.secret_index > 0,
                        "Perl session cookie opened; re-issuing it in the current format"
                    );
                    let adoption = Adoption::session(map).delete(name);
                    match opened.expires {
                        Some(at) => adoption.expires_at(u64::try_from(at).unwrap_or(0)),
                        None => adoption,
                    }
                }
                _ => {
                    tracing::info!(
                        cookie = name,
                        kind = "perl_not_a_hash",
                        "Perl session cookie rejected: its session is not a hash"
                    );
                    Adoption::default()
                }
            },
            Err(error) => {
                tracing::info!(
                    cookie = name,
                    kind = error.kind(),
                    %error,
                    "Perl session cookie rejected; starting a fresh session"
                );
                if matches!(error, PerlError::Expired { .. }) {
                    Adoption::default().delete(name)
                } else {
                    Adoption::default()
                }
            }
        }
    }
}

/// The pre-0.20 format, which has no MAC: off unless configured, and only
/// until its date.
#[cfg(feature = "legacy-dancer-old")]
impl LegacyReader for super::OldDancerReader {
    fn name(&self) -> &'static str {
        "dancer-old"
    }

    fn cookie_names(&self) -> Vec<String> {
        vec![self.cookie_name.clone()]
    }

    /// Standard base64 of `Salted__` (`U2FsdGVkX1`): a value of ours starts so
    /// only if its bytes begin `Salted_`, a format 1 header with flags `0x64`,
    /// which is malformed (SPEC.md section 2.1): no cookie of ours that could
    /// open is claimed.
    fn claims(&self, value: &str) -> bool {
        value.starts_with(super::OLD_DANCER_PREFIX)
    }

    fn adopt(&self, cookies: &LegacyCookies<'_>, now: u64) -> Adoption {
        let name = self.cookie_name.as_str();
        let Some(text) = cookies.get(name) else {
            return Adoption::default();
        };
        // Another format's cookie (Session::Storage::Secure's, say): not ours to log.
        if !self.claims(text) && !text.contains('%') {
            return Adoption::default();
        }
        match self.open(text, now) {
            Ok(Value::Map(map)) => {
                tracing::warn!(
                    cookie = name,
                    "old Dancer session cookie (no MAC) opened; re-issuing it in the current format"
                );
                Adoption::session(map).delete(name)
            }
            Ok(_) => Adoption::default(),
            Err(error) => {
                tracing::info!(
                    cookie = name,
                    kind = error.kind(),
                    %error,
                    "old Dancer session cookie rejected; starting a fresh session"
                );
                if matches!(error, super::OldDancerError::NoLongerAccepted { .. }) {
                    Adoption::default().delete(name)
                } else {
                    Adoption::default()
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::cookie_header::RequestCookies;
    use http::header::COOKIE;
    use http::{HeaderMap, HeaderValue};

    #[test]
    fn cookie_values_are_found_across_headers() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; dancer.session=x~y"));
        headers.append(
            COOKIE,
            HeaderValue::from_static("dancer.session=second; b=\"q\""),
        );
        let cookies = RequestCookies::from_headers(&headers);
        let cookies = LegacyCookies::new(&cookies);
        assert_eq!(cookies.get("dancer.session"), Some("x~y"));
        assert_eq!(cookies.get("b"), Some("q"));
        assert_eq!(cookies.get("c"), None);
        let mut foreign = HeaderMap::new();
        foreign.append(
            COOKIE,
            HeaderValue::from_bytes(b"pref=caf\xe9; dancer.session=x~y").unwrap(),
        );
        let foreign = RequestCookies::from_headers(&foreign);
        assert_eq!(
            LegacyCookies::new(&foreign).get("dancer.session"),
            Some("x~y")
        );
    }

    #[test]
    fn legacy_cookie_names_are_checked() {
        let reader = PerlReader::new("k", None::<&str>);
        assert!(PerlLegacy::new(reader.clone(), "dancer.session".into()).is_ok());
        for bad in ["", "a b", "a;b", "a=b"] {
            assert!(matches!(
                PerlLegacy::new(reader.clone(), bad.into()),
                Err(ConfigError::InvalidCookieName { name }) if name == bad
            ));
        }
    }
}
