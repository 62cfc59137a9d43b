//! Adopting tower-sessions-cookie-store sessions.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::jar::{JarKey, JarMode, jar_shape};
use super::{Adoption, LegacyCookies, LegacyReader};
use crate::value::{SessionMap, Value};

/// tower-sessions-cookie-store's default cookie name, which is also ours.
pub const TOWER_SESSIONS_DEFAULT_COOKIE: &str = "session";

/// Reads the session tower-sessions-cookie-store (0.5) keeps in its cookie
/// (default name `session`): in the signed (default) or private jar of the
/// application's `tower_cookies::Key`, base64url of the JSON
/// `{"v":1,"record":{"id":..,"data":{..},"expiry_date":..}}`. The record's
/// `data` becomes the session and its `expiry_date` the session's end; an
/// expired record is deleted unread.
///
/// Its default cookie name is the same as this crate's: the two are told apart
/// by shape (see [`LegacyReader::claims`]).
///
/// ```
/// use sealed_cookie::web::legacy::{JarKey, JarMode, TowerSessionsReader};
/// # let master = [9u8; 64];
/// let reader = TowerSessionsReader::new(JarKey::from_master(&master)?, JarMode::Signed);
/// # let _ = reader;
/// # Ok::<(), sealed_cookie::web::legacy::JarKeyError>(())
/// ```
#[derive(Debug)]
pub struct TowerSessionsReader {
    key: JarKey,
    mode: JarMode,
    cookie_name: String,
}

impl TowerSessionsReader {
    /// A reader of the cookie `session` in the jar of `mode` under `key`.
    #[must_use]
    pub fn new(key: JarKey, mode: JarMode) -> Self {
        Self {
            key,
            mode,
            cookie_name: TOWER_SESSIONS_DEFAULT_COOKIE.to_owned(),
        }
    }

    /// The name the application gave `CookieSessionConfig::with_name`.
    #[must_use]
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }
}

#[derive(Deserialize)]
struct Envelope {
    v: u8,
    record: Record,
}

#[derive(Deserialize)]
struct Record {
    data: serde_json::Map<String, serde_json::Value>,
    expiry_date: ExpiryDate,
}

/// `time::OffsetDateTime` as serde writes it: a tuple by default, a string
/// where the application enabled `time`'s `serde-human-readable`.
#[derive(Deserialize)]
#[serde(untagged)]
enum ExpiryDate {
    /// (year, ordinal day, hour, minute, second, nanosecond, offset h, m, s).
    Tuple(i32, u16, u8, u8, u8, serde::de::IgnoredAny, i8, i8, i8),
    /// `2026-12-03 10:20:30.5 +01:00:00`.
    Text(String),
}

impl ExpiryDate {
    /// Unix seconds, or `None` for a date out of range.
    fn unix(&self) -> Option<i64> {
        let (days, seconds, offset) = match self {
            Self::Tuple(year, ordinal, hour, minute, second, _, oh, om, os) => {
                if !(1..=366).contains(ordinal) {
                    return None;
                }
                let days = days_from_civil(i64::from(*year), 1, 1) + i64::from(*ordinal) - 1;
                let seconds = clock_seconds(*hour, *minute, *second)?;
                let offset = i64::from(*oh) * 3600 + i64::from(*om) * 60 + i64::from(*os);
                (days, seconds, offset)
            }
            Self::Text(text) => parse_text(text)?,
        };
        Some(days * 86_400 + seconds - offset)
    }
}

fn clock_seconds(hour: u8, minute: u8, second: u8) -> Option<i64> {
    (hour < 24 && minute < 60 && second < 61)
        .then(|| i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `YYYY-MM-DD HH:MM:SS[.fraction] ±HH:MM:SS` → (days, seconds of day, offset seconds).
fn parse_text(text: &str) -> Option<(i64, i64, i64)> {
    let mut parts = text.split(' ');
    let (date, time, offset) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let number = |text: &str| text.parse::<i64>().ok();
    let mut date_parts = date.rsplitn(3, '-');
    let (day, month, year) = (
        number(date_parts.next()?)?,
        number(date_parts.next()?)?,
        number(date_parts.next()?)?,
    );
    // `time` itself keeps years within ±999 999: beyond, the arithmetic below
    // could overflow.
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || !(-999_999..=999_999).contains(&year)
    {
        return None;
    }
    let time = time.split('.').next()?;
    let mut clock = time.split(':').map(|part| part.parse::<u8>().ok());
    let seconds = clock_seconds(clock.next()??, clock.next()??, clock.next()??)?;
    let (sign, offset) = match offset.split_at_checked(1)? {
        ("+", rest) => (1, rest),
        ("-", rest) => (-1, rest),
        _ => return None,
    };
    // `time`'s offsets are within ±25:59:59.
    let offset: Vec<u8> = offset
        .split(':')
        .map(|part| part.parse().ok())
        .collect::<Option<_>>()?;
    let (h, m, s) = match offset[..] {
        [h] => (h, 0, 0),
        [h, m] => (h, m, 0),
        [h, m, s] => (h, m, s),
        _ => return None,
    };
    if h > 25 || m > 59 || s > 59 {
        return None;
    }
    let offset = i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s);
    Some((days_from_civil(year, month, day), seconds, sign * offset))
}

impl LegacyReader for TowerSessionsReader {
    fn name(&self) -> &'static str {
        "tower-sessions-cookie-store"
    }

    fn cookie_names(&self) -> Vec<String> {
        vec![self.cookie_name.clone()]
    }

    /// The private jar's value is padded standard base64 (with `+`, `/` or
    /// `=`), percent-encoded by tower-cookies; the signed jar's starts with a
    /// 44-character padded base64 digest whose byte 43 is `=`. Ours is
    /// base64url without padding: neither `%`, `+`, `/` nor `=` occurs in it.
    fn claims(&self, value: &str) -> bool {
        jar_shape(self.mode, value)
    }

    fn adopt(&self, cookies: &LegacyCookies<'_>, now: u64) -> Adoption {
        let name = self.cookie_name.as_str();
        let Some(value) = cookies.get(name) else {
            return Adoption::default();
        };
        let Some(text) = self.key.open_cookie(self.mode, name, value, self.name()) else {
            return Adoption::default();
        };
        let record = URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .ok()
            .and_then(|json| serde_json::from_slice::<Envelope>(&json).ok())
            .filter(|envelope| envelope.v == 1)
            .and_then(|envelope| Some((envelope.record.expiry_date.unix()?, envelope.record.data)));
        let Some((expires_at, data)) = record else {
            tracing::info!(
                cookie = name,
                reader = self.name(),
                "tower-sessions cookie opened but holds no version 1 record; deleting it"
            );
            return Adoption::default().delete(name);
        };
        let Some(expires_at) = u64::try_from(expires_at).ok().filter(|&at| at > now) else {
            return Adoption::default().delete(name);
        };
        let session: SessionMap = data
            .into_iter()
            .map(|(key, value)| (key, Value::from(value)))
            .collect();
        Adoption::session(session)
            .expires_at(expires_at)
            .delete(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_dates_in_both_serde_forms_give_unix_seconds() {
        // 2026-12-03 10:20:30 UTC = 1796293230.
        let tuple: ExpiryDate =
            serde_json::from_str("[2026,337,10,20,30,500000000,0,0,0]").unwrap();
        assert_eq!(tuple.unix(), Some(1_796_293_230));
        let shifted: ExpiryDate = serde_json::from_str("[2026,337,11,20,30,0,1,0,0]").unwrap();
        assert_eq!(shifted.unix(), Some(1_796_293_230));
        let text: ExpiryDate = serde_json::from_str("\"2026-12-03 11:20:30.5 +01:00:00\"").unwrap();
        assert_eq!(text.unix(), Some(1_796_293_230));
        let negative: ExpiryDate =
            serde_json::from_str("\"2026-12-03 08:20:30.0 -02:00:00\"").unwrap();
        assert_eq!(negative.unix(), Some(1_796_293_230));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for bad in [
            "\"2026-13-03 10:20:30 +00:00:00\"",
            "\"yesterday\"",
            "[2026,400,0,0,0,0,0,0,0]",
            "\"999999999999999999-01-01 00:00:00 +00:00:00\"",
            "\"2026-12-03 10:20:30 +99999999999999999:00:00\"",
            "\"-9223372036854775808-01-01 00:00:00 +00:00:00\"",
        ] {
            let date: ExpiryDate = serde_json::from_str(bad).unwrap();
            assert_eq!(date.unix(), None, "{bad}");
        }
    }
}
