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
    use std::fmt::Write as _;
    // As the cookie crate writes it: an i64 number of seconds.
    let max_age = max_age.map(|seconds| seconds.min(i64::MAX.unsigned_abs()));
    // `rendered_len` is exact (a test holds it to this writer's output).
    let mut out = String::with_capacity(attributes.rendered_len(name, value.len(), max_age, None));
    out.push_str(name);
    out.push('=');
    out.push_str(value);
    if attributes.http_only {
        out.push_str("; HttpOnly");
    }
    if let Some(same_site) = attributes.same_site {
        out.push_str("; SameSite=");
        out.push_str(same_site.as_str());
    }
    if attributes.partitioned {
        out.push_str("; Partitioned");
    }
    if attributes.writes_secure() {
        out.push_str("; Secure");
    }
    if let Some(path) = &attributes.path {
        out.push_str("; Path=");
        out.push_str(path);
    }
    if let Some(domain) = &attributes.domain {
        out.push_str("; Domain=");
        out.push_str(domain);
    }
    if let Some(seconds) = max_age {
        let _ = write!(out, "; Max-Age={seconds}");
    }
    debug_assert_eq!(out.len(), out.capacity());
    out
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
    fn removal_expires_the_cookie_now() {
        let header = removal(&CookieAttributes::default(), "sessionC2");
        assert_eq!(
            header,
            "sessionC2=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0"
        );
    }
}
