//! Reading the request's `Cookie` header fields as bytes.
//!
//! Another application on the same site may set a cookie whose value is not
//! UTF-8 (or not even visible ASCII); HTTP/2 sends each cookie in a field of its
//! own. Every field is read, pair by pair: a malformed pair (no `=`, an empty
//! name, bytes that are not UTF-8) is skipped and the rest are still read, so one
//! foreign cookie can never hide the session.

#[cfg(any(feature = "tower", test))]
use http::{HeaderMap, header::COOKIE};

/// The request's cookies: every `name=value` pair of every `Cookie` field, in
/// the order sent, with surrounding spaces trimmed. What the engine reads,
/// whatever the framework's header types.
#[derive(Debug, Default)]
pub(crate) struct RequestCookies<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> RequestCookies<'a> {
    /// From the raw bytes of each `Cookie` field.
    pub(crate) fn from_fields(fields: impl IntoIterator<Item = &'a [u8]>) -> Self {
        Self {
            pairs: fields
                .into_iter()
                .flat_map(|field| field.split(|&byte| byte == b';'))
                .filter_map(pair)
                .collect(),
        }
    }

    /// From an `http` header map.
    #[cfg(any(feature = "tower", test))]
    pub(crate) fn from_headers(headers: &'a HeaderMap) -> Self {
        Self::from_fields(
            headers
                .get_all(COOKIE)
                .iter()
                .map(http::HeaderValue::as_bytes),
        )
    }

    /// Every pair, in the order sent.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.pairs.iter().copied()
    }
}

/// Every `name=value` pair of every `Cookie` field, in the order sent.
#[cfg(test)]
pub(crate) fn pairs(headers: &HeaderMap) -> Vec<(&str, &str)> {
    RequestCookies::from_headers(headers).iter().collect()
}

fn pair(bytes: &[u8]) -> Option<(&str, &str)> {
    let equals = bytes.iter().position(|&byte| byte == b'=')?;
    let name = std::str::from_utf8(&bytes[..equals])
        .ok()?
        .trim_matches(is_space);
    let value = std::str::from_utf8(&bytes[equals + 1..])
        .ok()?
        .trim_matches(is_space);
    (!name.is_empty()).then_some((name, value))
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(fields: &[&[u8]]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for field in fields {
            map.append(COOKIE, HeaderValue::from_bytes(field).unwrap());
        }
        map
    }

    #[test]
    fn a_foreign_non_utf8_cookie_hides_nothing_else() {
        let map = headers(&[b"pref=caf\xe9; session=abc; lang=fr\xc3\xa9; x"]);
        let found = pairs(&map);
        assert_eq!(found, [("session", "abc"), ("lang", "fr\u{e9}")]);
    }

    #[test]
    fn every_field_is_one_list_in_order() {
        let map = headers(&[b"a=1", b"session=abc", b" b = 2 ;;=x; c="]);
        let found = pairs(&map);
        assert_eq!(
            found,
            [("a", "1"), ("session", "abc"), ("b", "2"), ("c", "")]
        );
    }
}
