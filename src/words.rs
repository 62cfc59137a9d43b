//! The words of the session configuration (TOML values and `SEALED_COOKIE_*`
//! variables): durations, booleans and `SameSite` settings. The web layer's
//! [`SessionConfig`](crate::web::SessionConfig) and the `sealed-cookie` tool read
//! them with these same functions, so a value written in one is accepted by the other.
//!
//! ```
//! use std::time::Duration;
//! use sealed_cookie::{SameSite, words};
//! assert_eq!(words::parse_duration("2h 30 min").unwrap(), Duration::from_secs(9000));
//! assert_eq!(words::parse_bool("Off"), Some(false));
//! assert_eq!(words::parse_same_site("off"), Some(None));
//! assert_eq!(words::parse_same_site("Strict"), Some(Some(SameSite::Strict)));
//! ```

use std::time::Duration;

use crate::attributes::SameSite;

/// Text that is not a duration.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct NotADuration {
    reason: String,
}

/// A whole number of seconds (`3600`), or humantime's durations (`30m`, `12h`,
/// `7days`), also with spaces between number and unit (`1 hour`, `2 h 30 min`);
/// surrounding spaces are ignored.
///
/// # Errors
/// When the text is no duration, saying why.
pub fn parse_duration(text: &str) -> Result<Duration, NotADuration> {
    if let Ok(seconds) = text.trim().parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut compact = String::with_capacity(text.len());
    let mut previous_digit = false;
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' && previous_digit && chars.peek().is_some_and(|n| n.is_alphabetic()) {
            continue;
        }
        previous_digit = c.is_ascii_digit() || (c == ' ' && previous_digit);
        compact.push(c);
    }
    humantime::parse_duration(&compact).map_err(|error| NotADuration {
        reason: error.to_string(),
    })
}

/// `true`/`false`, `on`/`off`, `yes`/`no`, `1`/`0`, in any case.
#[must_use]
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// `strict`, `lax` or `none`, in any case; `off`, `omit` or an empty value for
/// no `SameSite` attribute (`Some(None)`).
#[must_use]
pub fn parse_same_site(text: &str) -> Option<Option<SameSite>> {
    match text.trim().to_ascii_lowercase().as_str() {
        "strict" => Some(Some(SameSite::Strict)),
        "lax" => Some(Some(SameSite::Lax)),
        "none" => Some(Some(SameSite::None)),
        "off" | "omit" | "" => Some(None),
        _ => None,
    }
}

debug_as_message!(NotADuration);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_with_and_without_spaces() {
        for (text, secs) in [
            ("90", 90),
            (" 3600 ", 3600),
            ("30m", 1800),
            (" 1 hour ", 3600),
            ("1hour", 3600),
            ("30 minutes", 1800),
            ("2h 30min", 9000),
            ("2 h 30 min", 9000),
            ("7 days", 604_800),
            ("7days", 604_800),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        for bad in ["soon", "1 fortnight", "", "-5", "1.5"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn booleans_and_same_site_in_any_case() {
        for (text, value) in [
            ("true", true),
            ("On", true),
            (" YES ", true),
            ("1", true),
            ("false", false),
            ("off", false),
            ("No", false),
            ("0", false),
        ] {
            assert_eq!(parse_bool(text), Some(value), "{text}");
        }
        assert_eq!(parse_bool("maybe"), None);
        for (text, value) in [
            ("strict", Some(SameSite::Strict)),
            ("Lax", Some(SameSite::Lax)),
            ("NONE", Some(SameSite::None)),
            ("off", None),
            ("omit", None),
            ("", None),
        ] {
            assert_eq!(parse_same_site(text), Some(value), "{text}");
        }
        assert_eq!(parse_same_site("sometimes"), None);
    }
}
