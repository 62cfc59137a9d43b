//! Keeping session cookies out of shared caches.
//!
//! A shared cache (a CDN, a reverse proxy) that stores a response carrying
//! `Set-Cookie` hands one user's session to the next. Every response that sets
//! or deletes the session cookie is therefore marked `private` (or `no-store`),
//! and every response whose handler read the session varies on `Cookie`.

#[cfg(any(feature = "tower", test))]
use http::header::{CACHE_CONTROL, Entry, VARY};
#[cfg(any(feature = "tower", test))]
use http::{HeaderMap, HeaderValue};

/// The `Cache-Control` directive put on responses that set or delete the
/// session cookie, unless the handler already chose `private` or `no-store`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheControl {
    /// `private`: browsers may still cache the page; shared caches may not (the default).
    #[default]
    Private,
    /// `no-store`: nothing may keep the response.
    NoStore,
}

impl CacheControl {
    /// The directive as written.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::NoStore => "no-store",
        }
    }

    /// Reads `private` or `no-store`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "private" => Some(Self::Private),
            "no-store" => Some(Self::NoStore),
            _ => None,
        }
    }
}

/// Directives that let a shared cache store the response.
const SHARED: [&str; 2] = ["public", "s-maxage"];

/// Marks a response that sets or deletes the session cookie as not for shared
/// caches. A handler's `private` or `no-store` is kept; its `public` (and
/// `s-maxage`) is dropped, with a log line.
#[cfg(any(feature = "tower", test))]
pub(crate) fn keep_private(headers: &mut HeaderMap, directive: CacheControl) {
    // One lookup of the name. Most handlers set none: the directive alone,
    // without parsing or allocating.
    match headers.entry(CACHE_CONTROL) {
        Entry::Vacant(slot) => {
            slot.insert(HeaderValue::from_static(directive.as_str()));
        }
        Entry::Occupied(mut slot) => {
            let existing = slot.iter().filter_map(|value| value.to_str().ok());
            if let Some(value) = private_cache_control(existing, directive) {
                let value = HeaderValue::try_from(value)
                    .unwrap_or_else(|_| HeaderValue::from_static(directive.as_str()));
                slot.insert(value);
            }
        }
    }
}

/// The `Cache-Control` value to write on a response that sets or deletes the
/// session cookie, given the handler's values (`None`: keep them as they are).
/// Framework-neutral: each adapter reads and writes its own header types.
pub(crate) fn private_cache_control<'a>(
    existing: impl Iterator<Item = &'a str>,
    directive: CacheControl,
) -> Option<String> {
    let directives: Vec<String> = existing
        .flat_map(|value| value.split(','))
        .map(|directive| directive.trim().to_owned())
        .filter(|directive| !directive.is_empty())
        .collect();
    let name_of = |directive: &str| {
        directive
            .split('=')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    };
    if directives
        .iter()
        .any(|d| matches!(name_of(d).as_str(), "private" | "no-store"))
    {
        return None;
    }
    let (shared, kept): (Vec<String>, Vec<String>) = directives
        .into_iter()
        .partition(|d| SHARED.contains(&name_of(d).as_str()));
    if !shared.is_empty() {
        tracing::warn!(
            handler = shared.join(", "),
            written = directive.as_str(),
            "a response that sets the session cookie was marked for shared caches; \
             writing Cache-Control: {} instead, so that no cache hands this session to another user",
            directive.as_str()
        );
    }
    Some(
        std::iter::once(directive.as_str().to_owned())
            .chain(kept)
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// Adds `Vary: Cookie` unless the response already varies on it (or on `*`).
#[cfg(any(feature = "tower", test))]
pub(crate) fn vary_on_cookie(headers: &mut HeaderMap) {
    let cookie = || HeaderValue::from_static("Cookie");
    match headers.entry(VARY) {
        Entry::Vacant(slot) => {
            slot.insert(cookie());
        }
        Entry::Occupied(mut slot) => {
            if !varies_on_cookie(slot.iter().filter_map(|value| value.to_str().ok())) {
                slot.append(cookie());
            }
        }
    }
}

/// Whether `Vary` values already cover `Cookie` (by name or `*`).
pub(crate) fn varies_on_cookie<'a>(mut existing: impl Iterator<Item = &'a str>) -> bool {
    existing.any(|value| {
        value
            .split(',')
            .map(str::trim)
            .any(|name| name == "*" || name.eq_ignore_ascii_case("cookie"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: http::HeaderName, values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(name.clone(), HeaderValue::from_static(value));
        }
        headers
    }

    fn cache_control(headers: &HeaderMap) -> Vec<&str> {
        headers
            .get_all(CACHE_CONTROL)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    #[test]
    fn cache_control_is_made_private_unless_already_private() {
        for (before, directive, after) in [
            (&[][..], CacheControl::Private, "private"),
            (&[], CacheControl::NoStore, "no-store"),
            (
                &["max-age=60"],
                CacheControl::Private,
                "private, max-age=60",
            ),
            (
                &["public, max-age=60"],
                CacheControl::Private,
                "private, max-age=60",
            ),
            (
                &["Public", "s-maxage=600"],
                CacheControl::NoStore,
                "no-store",
            ),
            (
                &["private, max-age=5"],
                CacheControl::NoStore,
                "private, max-age=5",
            ),
            (&["no-store"], CacheControl::Private, "no-store"),
            (
                &["max-age=0", "No-Store"],
                CacheControl::Private,
                "max-age=0",
            ),
        ] {
            let mut headers = with(CACHE_CONTROL, before);
            keep_private(&mut headers, directive);
            assert_eq!(cache_control(&headers)[0], after, "{before:?}");
        }
    }

    #[test]
    fn vary_cookie_is_added_once() {
        for (before, count) in [
            (&[][..], 1),
            (&["Accept-Encoding"], 2),
            (&["accept-encoding, cookie"], 1),
            (&["*"], 1),
        ] {
            let mut headers = with(VARY, before);
            vary_on_cookie(&mut headers);
            let all: Vec<_> = headers.get_all(VARY).iter().collect();
            assert_eq!(all.len(), count, "{before:?}");
            assert!(all.iter().any(
                |v| v.to_str().unwrap().to_ascii_lowercase().contains("cookie")
                    || v.to_str().unwrap() == "*"
            ));
        }
    }
}
