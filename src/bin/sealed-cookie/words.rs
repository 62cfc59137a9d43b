//! The words of the web layer's session configuration (TOML keys and
//! `SEALED_COOKIE_*` variables), accepted by every flag with the same meaning:
//! durations (`3600`, `1 hour`, `2h 30min`), booleans (`on`/`off`, `true`/`false`,
//! `yes`/`no`, `1`/`0`), `SameSite` (`strict`, `lax`, `none`, `off` or `omit`) and
//! whole numbers of bytes. The parsing is `sealed_cookie::words`, shared with the
//! configuration; this module adds the messages.

use std::time::Duration;

use sealed_cookie::{SameSite, words};

/// The forms of a duration, for messages.
pub const DURATION_FORM: &str =
    "a duration like `3600` (seconds), `30m`, `12h`, `1 hour`, `2h 30min` or `7days`";
/// The forms of a boolean, for messages.
pub const BOOL_FORM: &str = "true/false, on/off, yes/no or 1/0";
/// The forms of `SameSite`, for messages.
pub const SAME_SITE_FORM: &str = "strict, lax, none, or off (also omit, or empty: no attribute)";

/// A duration in the configuration's forms ([`sealed_cookie::words::parse_duration`]).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    words::parse_duration(text).map_err(|e| format!("{e}; write {DURATION_FORM}"))
}

/// A boolean, in the configuration's words (any case).
pub fn parse_bool(text: &str) -> Result<bool, String> {
    words::parse_bool(text).ok_or_else(|| format!("not a boolean: write {BOOL_FORM}"))
}

/// A `SameSite` setting; `None` writes no attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SameSiteWord(pub Option<SameSite>);

/// `SameSite` in the configuration's words (any case), `omit` included.
pub fn parse_same_site(text: &str) -> Result<SameSiteWord, String> {
    words::parse_same_site(text)
        .map(SameSiteWord)
        .ok_or_else(|| format!("not a SameSite setting: write {SAME_SITE_FORM}"))
}

/// A whole number (of bytes), surrounding spaces allowed as in the variables.
pub fn parse_whole_number(text: &str) -> Result<usize, String> {
    text.trim()
        .parse::<usize>()
        .map_err(|e| format!("not a whole number of bytes: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The configuration's words themselves are tested in `sealed_cookie::words`;
    // here, what the tool adds: messages that show the forms.
    #[test]
    fn duration_errors_show_the_forms() {
        assert_eq!(parse_duration(" 90 "), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1 hour"), Ok(Duration::from_secs(3600)));
        for bad in ["soon", "1 fortnight", "", "-5"] {
            assert!(parse_duration(bad).unwrap_err().contains("30m"), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_accepted_words() {
        assert_eq!(parse_bool(" YES "), Ok(true));
        assert!(parse_bool("maybe").unwrap_err().contains("on/off"));
        assert_eq!(parse_same_site("omit"), Ok(SameSiteWord(None)));
        assert!(parse_same_site("sometimes").unwrap_err().contains("off"));
        assert_eq!(parse_whole_number(" 3000 "), Ok(3000));
        assert!(parse_whole_number("3 KB").is_err());
    }
}
