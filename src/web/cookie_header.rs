//! Reading the request's `Cookie` header fields as bytes.
//!
//! Another application on the same site may set a cookie whose value is not
//! UTF-8 (or not even visible ASCII); HTTP/2 sends each cookie in a field of its
//! own. Every field is read, pair by pair: a malformed pair (no `=`, an empty
//! name, bytes that are not UTF-8) is skipped and the rest are still read, so one
//! foreign cookie can never hide the session. A value is checked for UTF-8 only
//! when its name is one the reader looks for: the other applications' cookies,
//! often most of the header, are split but never decoded.

#[cfg(any(feature = "tower", test))]
use http::{HeaderMap, header::COOKIE};
use smallvec::SmallVec;

/// Pairs kept inline: a request rarely carries more cookies than this.
const INLINE_PAIRS: usize = 8;

/// The request's cookies: every `name=value` pair of every `Cookie` field, in
/// the order sent, with surrounding spaces trimmed. What the engine reads,
/// whatever the framework's header types.
#[derive(Debug, Default)]
pub(crate) struct RequestCookies<'a> {
    /// Names checked and trimmed; values trimmed, checked when read.
    pairs: SmallVec<[(&'a str, &'a [u8]); INLINE_PAIRS]>,
}

impl<'a> RequestCookies<'a> {
    /// From the raw bytes of each `Cookie` field.
    pub(crate) fn from_fields(fields: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut pairs = SmallVec::new();
        for field in fields {
            let mut start = 0;
            for end in memchr::memchr_iter(b';', field).chain([field.len()]) {
                if let Some(found) = pair(&field[start..end]) {
                    pairs.push(found);
                }
                start = end + 1;
            }
        }
        Self { pairs }
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

    /// Every pair, in the order sent, its value not yet checked: read it with
    /// [`value_text`].
    pub(crate) fn as_slice(&self) -> &[(&'a str, &'a [u8])] {
        &self.pairs
    }

    /// Every pair whose value is UTF-8, in the order sent.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.pairs
            .iter()
            .filter_map(|&(name, value)| Some((name, value_text(value)?)))
    }
}

/// Every `name=value` pair of every `Cookie` field, in the order sent.
#[cfg(test)]
pub(crate) fn pairs(headers: &HeaderMap) -> Vec<(&str, &str)> {
    RequestCookies::from_headers(headers).iter().collect()
}

/// A cookie's value as text: `None` when it is not UTF-8 (the pair is then
/// skipped, as if not sent).
pub(crate) fn value_text(value: &[u8]) -> Option<&str> {
    std::str::from_utf8(value).ok()
}

fn pair(bytes: &[u8]) -> Option<(&str, &[u8])> {
    let equals = memchr::memchr(b'=', bytes)?;
    let name = std::str::from_utf8(trim(&bytes[..equals])).ok()?;
    (!name.is_empty()).then_some((name, trim(&bytes[equals + 1..])))
}

/// Without surrounding spaces and tabs (ASCII: never part of a UTF-8 sequence).
fn trim(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
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

    #[test]
    fn more_cookies_than_kept_inline_are_all_read_in_order() {
        let field: Vec<String> = (0..3 * INLINE_PAIRS).map(|i| format!("c{i}={i}")).collect();
        let map = headers(&[field.join("; ").as_bytes(), b"session=abc;"]);
        let found = pairs(&map);
        assert_eq!(found.len(), 3 * INLINE_PAIRS + 1);
        for (i, (name, value)) in found.iter().take(3 * INLINE_PAIRS).enumerate() {
            assert_eq!(
                (*name, *value),
                (format!("c{i}").as_str(), i.to_string().as_str())
            );
        }
        assert_eq!(found.last(), Some(&("session", "abc")));
    }
}
