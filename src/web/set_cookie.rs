//! `Set-Cookie` values, written straight into one string of the exact length
//! (so that a header value takes it without a copy).

use crate::attributes::{CookieAttributes, SameSite};

/// The `Set-Cookie` value for `name=value`: the attributes in the order, and
/// with the spelling, of the `cookie` crate's `Display` (a test holds the two
/// equal), written straight into one string. An `Expires` date is formatted by
/// the `cookie` crate.
pub(crate) fn set_cookie(
    attributes: &CookieAttributes,
    name: &str,
    value: &str,
    max_age: Option<u64>,
    expires_at: Option<u64>,
) -> String {
    if attributes.expires && expires_at.is_some() {
        return set_cookie_with_crate(attributes, name, value, max_age, expires_at);
    }
    // Measured first, then written: the same steps, so the lengths agree.
    let mut len = 0;
    write_line(attributes, name, value, max_age, &mut |part| {
        len += part.len()
    });
    let mut out = String::with_capacity(len);
    write_line(attributes, name, value, max_age, &mut |part| {
        out.push_str(part)
    });
    debug_assert_eq!(out.len(), out.capacity());
    out
}

/// Hands `put` the pieces of the `Set-Cookie` value, in order.
fn write_line(
    attributes: &CookieAttributes,
    name: &str,
    value: &str,
    max_age: Option<u64>,
    put: &mut dyn FnMut(&str),
) {
    put(name);
    put("=");
    put(value);
    if attributes.http_only {
        put("; HttpOnly");
    }
    match attributes.same_site {
        Some(SameSite::Strict) => put("; SameSite=Strict"),
        Some(SameSite::Lax) => put("; SameSite=Lax"),
        Some(SameSite::None) => put("; SameSite=None"),
        None => {}
    }
    if attributes.partitioned {
        put("; Partitioned");
    }
    if attributes.writes_secure() {
        put("; Secure");
    }
    if let Some(path) = &attributes.path {
        put("; Path=");
        put(path);
    }
    if let Some(domain) = &attributes.domain {
        put("; Domain=");
        put(domain);
    }
    if let Some(max_age) = max_age {
        // As the cookie crate writes it: an i64 number of seconds.
        let seconds = max_age.min(i64::MAX.unsigned_abs());
        let mut digits = [0u8; 20];
        put("; Max-Age=");
        put(decimal(seconds, &mut digits));
    }
}

/// `n` in decimal, written at the end of `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[at..]).expect("ASCII digits")
}

/// The `Set-Cookie` value for `name=value`, built with the `cookie` crate.
fn set_cookie_with_crate(
    attributes: &CookieAttributes,
    name: &str,
    value: &str,
    max_age: Option<u64>,
    expires_at: Option<u64>,
) -> String {
    let mut cookie = cookie::Cookie::build((name, value))
        .http_only(attributes.http_only)
        .secure(attributes.writes_secure())
        .partitioned(attributes.partitioned);
    if let Some(same_site) = attributes.same_site {
        cookie = cookie.same_site(match same_site {
            SameSite::Strict => cookie::SameSite::Strict,
            SameSite::Lax => cookie::SameSite::Lax,
            SameSite::None => cookie::SameSite::None,
        });
    }
    if let Some(path) = &attributes.path {
        cookie = cookie.path(path.as_str());
    }
    if let Some(domain) = &attributes.domain {
        cookie = cookie.domain(domain.as_str());
    }
    if let Some(max_age) = max_age {
        let seconds = i64::try_from(max_age).unwrap_or(i64::MAX);
        cookie = cookie.max_age(cookie::time::Duration::seconds(seconds));
    }
    if attributes.expires
        && let Some(expires_at) = expires_at
        && let Ok(when) = i64::try_from(expires_at)
            .map_err(|_| ())
            .and_then(|at| cookie::time::OffsetDateTime::from_unix_timestamp(at).map_err(|_| ()))
    {
        cookie = cookie.expires(when);
    }
    cookie.build().to_string()
}

/// A `Set-Cookie` value that deletes `name`.
pub(crate) fn removal(attributes: &CookieAttributes, name: &str) -> String {
    let attributes = CookieAttributes {
        expires: false,
        ..attributes.clone()
    };
    set_cookie(&attributes, name, "", Some(0), None)
}

#[cfg(test)]
mod crate_agreement {
    use super::*;

    #[test]
    fn the_direct_writer_matches_the_cookie_crate_for_every_attribute_mix() {
        let mut checked = 0;
        for http_only in [false, true] {
            for secure in [false, true] {
                for partitioned in [false, true] {
                    for same_site in [
                        None,
                        Some(SameSite::Strict),
                        Some(SameSite::Lax),
                        Some(SameSite::None),
                    ] {
                        for path in [None, Some("/"), Some("/app")] {
                            for domain in [None, Some("example.com")] {
                                for max_age in [None, Some(0), Some(1800), Some(u64::MAX)] {
                                    let attributes = CookieAttributes {
                                        http_only,
                                        secure,
                                        partitioned,
                                        same_site,
                                        path: path.map(str::to_owned),
                                        domain: domain.map(str::to_owned),
                                        expires: false,
                                    };
                                    assert_eq!(
                                        set_cookie(
                                            &attributes,
                                            "__Host-s",
                                            "v4LuE_-x",
                                            max_age,
                                            Some(1_800_000_000)
                                        ),
                                        set_cookie_with_crate(
                                            &attributes,
                                            "__Host-s",
                                            "v4LuE_-x",
                                            max_age,
                                            Some(1_800_000_000)
                                        ),
                                        "{attributes:?} {max_age:?}"
                                    );
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 2 * 2 * 2 * 4 * 3 * 2 * 4);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_rendered_len_agrees_with_the_cookie_crate() {
        for (attributes, max_age, expires_at) in crate::attributes::combinations() {
            let built = set_cookie(&attributes, "session", "c2VhbGVk", max_age, expires_at);
            assert_eq!(
                built,
                attributes.render("session", "c2VhbGVk", max_age, expires_at),
                "{attributes:?}"
            );
            assert_eq!(
                attributes.rendered_len("session", 8, max_age, expires_at),
                built.len(),
                "{built}"
            );
        }
    }

    #[test]
    fn decimal_writes_every_width() {
        let mut buf = [0; 20];
        for n in [0, 7, 10, 99, 100, 3600, 1_700_000_000, u64::MAX] {
            assert_eq!(decimal(n, &mut buf), n.to_string());
        }
    }

    #[test]
    fn removal_expires_the_cookie_now() {
        let header = removal(&CookieAttributes::default(), "sessionC2");
        assert_eq!(
            header,
            "sessionC2=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0"
        );
    }
}
