//! The web layer's legacy reader: a request without a session of ours but with
//! a Perl session cookie gets that session, re-issued in the current suite
//! (see [`SessionLayerBuilder::perl_legacy`](crate::web::SessionLayerBuilder::perl_legacy)).

use crate::web::cookie_header::RequestCookies;

use super::{PerlError, PerlReader};
use crate::{ConfigError, MAX_NAME_LEN, SessionMap, Value};

/// The Perl reader and the name of the cookie Perl wrote.
#[derive(Debug, Clone)]
pub(crate) struct PerlLegacy {
    pub(crate) reader: PerlReader,
    pub(crate) cookie_name: String,
}

/// What a request's Perl cookie gave.
#[derive(Debug, Default)]
pub(crate) struct Adopted {
    /// The session, when a Perl cookie opened.
    pub(crate) map: Option<SessionMap>,
    /// The Perl cookie's expiry (Unix seconds), if it had one: the adopted
    /// session keeps it rather than starting a full new lifetime.
    pub(crate) expires: Option<i64>,
    /// The Perl cookie, held under another name than ours, is to be deleted
    /// (it moved to our cookie, or it expired).
    pub(crate) delete_cookie: bool,
}

impl PerlLegacy {
    pub(crate) fn new(reader: PerlReader, cookie_name: String) -> Result<Self, ConfigError> {
        let valid = !cookie_name.is_empty()
            && cookie_name.len() <= MAX_NAME_LEN
            && cookie_name
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
        if !valid {
            return Err(ConfigError::InvalidCookieName { name: cookie_name });
        }
        Ok(Self {
            reader,
            cookie_name,
        })
    }

    /// Opens the request's Perl cookie, if it sent one. Called only when no
    /// cookie of ours opened; `our_name` is our cookie's name.
    pub(crate) fn adopt(&self, cookies: &RequestCookies<'_>, our_name: &str, now: u64) -> Adopted {
        let Some(text) = cookie_value(cookies, &self.cookie_name) else {
            return Adopted::default();
        };
        let elsewhere = self.cookie_name != our_name;
        match self.reader.open_details(text, now) {
            Ok(opened) => match opened.value {
                Value::Map(map) => {
                    tracing::info!(
                        cookie = self.cookie_name.as_str(),
                        protocol = opened.protocol,
                        old_secret = opened.secret_index > 0,
                        "Perl session cookie opened; re-issuing it in the current format"
                    );
                    Adopted {
                        map: Some(map),
                        expires: opened.expires,
                        delete_cookie: elsewhere,
                    }
                }
                _ => {
                    tracing::info!(
                        cookie = self.cookie_name.as_str(),
                        kind = "perl_not_a_hash",
                        "Perl session cookie rejected: its session is not a hash"
                    );
                    Adopted::default()
                }
            },
            Err(error) => {
                tracing::info!(
                    cookie = self.cookie_name.as_str(),
                    kind = error.kind(),
                    %error,
                    "Perl session cookie rejected; starting a fresh session"
                );
                Adopted {
                    map: None,
                    expires: None,
                    delete_cookie: elsewhere && matches!(error, PerlError::Expired { .. }),
                }
            }
        }
    }
}

/// The first value of cookie `name` in the request's `Cookie` headers, read as
/// bytes so that a foreign non-UTF-8 cookie hides nothing.
fn cookie_value<'a>(cookies: &RequestCookies<'a>, name: &str) -> Option<&'a str> {
    cookies
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(cookie_value(&cookies, "dancer.session"), Some("x~y"));
        assert_eq!(cookie_value(&cookies, "b"), Some("q"));
        assert_eq!(cookie_value(&cookies, "c"), None);
        let mut foreign = HeaderMap::new();
        foreign.append(
            COOKIE,
            HeaderValue::from_bytes(b"pref=caf\xe9; dancer.session=x~y").unwrap(),
        );
        let foreign = RequestCookies::from_headers(&foreign);
        assert_eq!(cookie_value(&foreign, "dancer.session"), Some("x~y"));
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
