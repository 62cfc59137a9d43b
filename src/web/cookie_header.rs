//! Reading the request's `Cookie` header fields as bytes.
//!
//! Another application on the same site may set a cookie whose value is not
//! UTF-8 (or not even visible ASCII); HTTP/2 sends each cookie in a field of its
//! own. Every field is read, pair by pair: a malformed pair (no `=`, an empty
//! name, bytes that are not UTF-8) is skipped and the rest are still read, so one
//! foreign cookie can never hide the session.

use http::HeaderMap;
use http::header::COOKIE;

/// Every `name=value` pair of every `Cookie` field, in the order sent, with
/// surrounding spaces trimmed.
pub(crate) fn pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|field| field.as_bytes().split(|&byte| byte == b';'))
        .filter_map(pair)
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
        let found: Vec<_> = pairs(&map).collect();
        assert_eq!(found, [("session", "abc"), ("lang", "fr\u{e9}")]);
    }

    #[test]
    fn every_field_is_one_list_in_order() {
        let map = headers(&[b"a=1", b"session=abc", b" b = 2 ;;=x; c="]);
        let found: Vec<_> = pairs(&map).collect();
        assert_eq!(
            found,
            [("a", "1"), ("session", "abc"), ("b", "2"), ("c", "")]
        );
    }
}
