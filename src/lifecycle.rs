//! Session lifetimes: the idle and absolute timeouts, renewal throttling and the
//! clock-skew allowance, applied to an authentic header (SPEC.md, "Lifecycle").

use crate::envelope::{Format, Header};
use crate::error::OpenError;
use crate::keyring::KeyId;
use crate::session_id::SessionId;

/// Which limit ends a session first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ending {
    /// The idle timeout, counted from the last seal.
    Idle,
    /// The absolute timeout, counted from the session's creation (and, in format
    /// 1, the lifetime sealed in the cookie).
    Absolute,
}

/// What an opened cookie says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Envelope format it was sealed in.
    pub format: Format,
    /// Suite version it was sealed under.
    pub version: u8,
    /// Key it was sealed with.
    pub key_id: KeyId,
    /// When the session began (sign-in), seconds since the Unix epoch: the
    /// format 2 creation time, or format 1's issued-at. Re-seals keep it.
    pub issued_at: u64,
    /// When this cookie was sealed (format 1: its issued-at).
    pub sealed_at: u64,
    /// The session's id (format 2 only; a format 1 session gets one when it is
    /// re-issued).
    pub session_id: Option<SessionId>,
    /// The sealed lifetime in seconds from `issued_at` (0: none): the absolute
    /// limit of the server that sealed it, which the opening server may shorten.
    pub lifetime: u32,
    /// End of the idle timeout: `sealed_at` plus the idle timeout (none for a
    /// format 1 cookie, whose idle time counts from its re-issue).
    pub idle_expires_at: Option<u64>,
    /// End of the absolute timeout: `issued_at` plus the absolute timeout (and
    /// no later than format 1's sealed lifetime).
    pub absolute_expires_at: Option<u64>,
    /// Effective expiry, the earlier of the two; `None` when neither is set.
    pub expires_at: Option<u64>,
    /// Which limit gives `expires_at`.
    pub ends_by: Option<Ending>,
    /// Written as a browser-session cookie (no `Max-Age`, no `Expires`).
    pub browser_session: bool,
    /// The plaintext carried flash messages.
    pub has_flash: bool,
    /// The payload was compressed.
    pub compressed: bool,
    /// The payload was padded.
    pub padded: bool,
    /// Sealed with an accepted (not the primary) key.
    pub old_key: bool,
    /// Sealed under an accepted (not the current) suite.
    pub old_suite: bool,
    /// Sealed in format 1 by a codec that writes format 2 (a format 2 cookie
    /// is never moved back to format 1).
    pub old_format: bool,
    /// The idle timeout is close enough to re-seal for activity: less than the
    /// renewal window (default half the idle timeout) remains before the idle
    /// expiry, which is still the earlier limit (SPEC.md, "Lifecycle").
    pub renewal_due: bool,
    /// The cookie should be sealed again: old key, suite or format, or renewal
    /// due. [`Codec::reseal`](crate::Codec::reseal) moves it to the primary key,
    /// current suite and format, and keeps its session id and creation time.
    pub needs_reissue: bool,
}

impl Facts {
    /// Splits the plaintext of the cookie these facts describe (as
    /// [`Codec::open_plaintext_at`](crate::Codec::open_plaintext_at) returns it)
    /// into session id, flash messages and value.
    ///
    /// # Errors
    /// [`OpenError::Malformed`] when it is shorter than its prefix says.
    pub fn split_plaintext<'a>(
        &self,
        plain: &'a [u8],
    ) -> Result<crate::envelope::PlaintextParts<'a>, OpenError> {
        let flags = if self.has_flash {
            crate::envelope::FLAG_FLASH
        } else {
            0
        };
        crate::envelope::split_plaintext(self.format, flags, plain)
    }
}

/// The lifetime settings of a codec, in whole seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Timeouts {
    pub(crate) idle: Option<u32>,
    pub(crate) absolute: Option<u32>,
    pub(crate) skew: u64,
    pub(crate) not_before: u64,
    /// Re-seal when less than this remains before the idle expiry (format 2), or
    /// before the effective expiry (format 1); default half the idle timeout.
    pub(crate) renew_within: Option<u64>,
}

/// The earlier of two optional times, and which one it was (ties: absolute).
fn earliest(idle: Option<u64>, absolute: Option<u64>) -> (Option<u64>, Option<Ending>) {
    match (idle, absolute) {
        (Some(i), Some(a)) if i < a => (Some(i), Some(Ending::Idle)),
        (_, Some(a)) => (Some(a), Some(Ending::Absolute)),
        (Some(i), None) => (Some(i), Some(Ending::Idle)),
        (None, None) => (None, None),
    }
}

fn plus(at: u64, seconds: Option<u32>) -> Option<u64> {
    seconds.map(|s| at.saturating_add(u64::from(s)))
}

impl Timeouts {
    /// The renewal window: `renew_within`, or half the idle timeout.
    fn window(&self) -> Option<u64> {
        self.renew_within
            .or_else(|| self.idle.map(|idle| u64::from(idle) / 2))
    }

    /// Both expiries of a cookie sealed at `sealed_at` in a session begun at
    /// `issued_at` (`lifetime`: format 1's sealed lifetime, 0 for none).
    pub(crate) fn expiries(
        &self,
        format: Format,
        issued_at: u64,
        sealed_at: u64,
        lifetime: u32,
    ) -> (Option<u64>, Option<u64>) {
        let mut absolute = plus(issued_at, self.absolute);
        if lifetime != 0 {
            let sealed = issued_at.saturating_add(u64::from(lifetime));
            absolute = Some(absolute.map_or(sealed, |a| a.min(sealed)));
        }
        let idle = match format {
            Format::V1 => None,
            Format::V2 => plus(sealed_at, self.idle),
        };
        (idle, absolute)
    }

    /// Effective expiry of a cookie sealed now (`Max-Age` and `Expires`).
    pub(crate) fn expiry_of_seal(
        &self,
        format: Format,
        issued_at: u64,
        now: u64,
        lifetime: u32,
    ) -> Option<u64> {
        let (idle, absolute) = self.expiries(format, issued_at, now, lifetime);
        earliest(idle, absolute).0
    }

    /// Whether an opened cookie is due for a re-seal for activity: less than the
    /// renewal window (default half the idle timeout) remains before its idle
    /// expiry, which is still the earlier limit. So read-only traffic re-seals at
    /// most once per window, and never past the absolute timeout. A format 1
    /// cookie, which has no idle expiry, is due when less than the window remains
    /// before its expiry (its old meaning).
    fn renewal_due(
        &self,
        now: u64,
        expires_at: Option<u64>,
        ends_by: Option<Ending>,
        format: Format,
    ) -> bool {
        let (Some(window), Some(expires_at)) = (self.window(), expires_at) else {
            return false;
        };
        // Only a live cookie: one accepted past its expiry by the skew allowance
        // must not be renewed into a fresh window.
        let live = now < expires_at && expires_at - now < window;
        match format {
            Format::V1 => live,
            Format::V2 => live && ends_by == Some(Ending::Idle),
        }
    }

    /// Checks the times of an authentic header at `now` and reports its facts;
    /// `write_format` is the format the codec seals in.
    pub(crate) fn check(
        &self,
        header: &Header,
        now: u64,
        write_format: Format,
    ) -> Result<Facts, OpenError> {
        if header.issued_at < self.not_before {
            return Err(OpenError::Revoked {
                issued_at: header.issued_at,
                not_before: self.not_before,
            });
        }
        if header.sealed_at > now.saturating_add(self.skew) {
            return Err(OpenError::NotYetValid {
                issued_at: header.sealed_at,
            });
        }
        let (idle, absolute) = self.expiries(
            header.format,
            header.issued_at,
            header.sealed_at,
            header.lifetime,
        );
        let (expires_at, ends_by) = earliest(idle, absolute);
        if let (Some(expired_at), Some(ending)) = (expires_at, ends_by)
            && now >= expired_at.saturating_add(self.skew)
        {
            return Err(match (header.format, ending) {
                (Format::V1, _) => OpenError::Expired { expired_at },
                (Format::V2, Ending::Idle) => OpenError::IdleExpired { expired_at },
                (Format::V2, Ending::Absolute) => OpenError::AbsolutelyExpired { expired_at },
            });
        }
        Ok(Facts {
            format: header.format,
            version: header.version,
            key_id: header.key_id,
            issued_at: header.issued_at,
            sealed_at: header.sealed_at,
            session_id: None,
            lifetime: header.lifetime,
            idle_expires_at: idle,
            absolute_expires_at: absolute,
            expires_at,
            ends_by,
            browser_session: header.flags & crate::envelope::FLAG_BROWSER_SESSION != 0,
            has_flash: header.flags & crate::envelope::FLAG_FLASH != 0,
            compressed: header.flags & crate::envelope::FLAG_COMPRESSED != 0,
            padded: header.flags & crate::envelope::FLAG_PADDED != 0,
            old_key: false,
            old_suite: false,
            // Format 1 under a format 2 writer; a format 2 cookie is never
            // moved back to format 1.
            old_format: header.format == Format::V1 && write_format == Format::V2,
            renewal_due: self.renewal_due(now, expires_at, ends_by, header.format),
            needs_reissue: false,
        })
    }
}

/// The facts of a session adopted from a legacy cookie that expires at
/// `expires` (if it records that): a session of the current suite that begins
/// `now`, or earlier so that an absolute timeout of `absolute` seconds ends it
/// when the legacy cookie would have ended. Format 1 writers carry the
/// remaining lifetime instead.
#[cfg(feature = "web")]
#[cfg_attr(not(any(feature = "tower", feature = "actix")), allow(dead_code))]
pub(crate) fn adopted_facts(
    version: u8,
    key_id: KeyId,
    absolute: Option<u64>,
    now: u64,
    expires: Option<u64>,
) -> Facts {
    let issued_at = match (expires, absolute) {
        (Some(expires), Some(absolute)) => expires.saturating_sub(absolute).min(now),
        _ => now,
    };
    let lifetime = expires.map_or(0, |expires| {
        u32::try_from(expires.saturating_sub(issued_at))
            .unwrap_or(u32::MAX)
            .max(1)
    });
    Facts {
        format: Format::V1,
        version,
        key_id,
        issued_at,
        sealed_at: now,
        session_id: None,
        lifetime,
        idle_expires_at: None,
        absolute_expires_at: expires,
        expires_at: expires,
        ends_by: expires.map(|_| Ending::Absolute),
        browser_session: false,
        has_flash: false,
        compressed: false,
        padded: false,
        old_key: false,
        old_suite: true,
        old_format: true,
        renewal_due: false,
        needs_reissue: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::FLAG_BROWSER_SESSION;

    const T0: u64 = 1_700_000_000;

    fn header(format: Format, issued_at: u64, sealed_at: u64, lifetime: u32) -> Header {
        Header {
            format,
            version: 1,
            key_id: KeyId(1),
            flags: FLAG_BROWSER_SESSION * u8::from(format == Format::V2),
            issued_at,
            lifetime,
            sealed_at,
        }
    }

    fn timeouts(idle: Option<u32>, absolute: Option<u32>) -> Timeouts {
        Timeouts {
            idle,
            absolute,
            skew: 60,
            ..Timeouts::default()
        }
    }

    #[test]
    fn the_earlier_timeout_ends_the_session_with_its_own_error() {
        let t = timeouts(Some(1800), Some(8 * 3600));
        // Sealed 100 s ago in a session begun 7.6 hours ago: absolute first.
        let now = T0 + 27_500;
        let facts = t
            .check(&header(Format::V2, T0, now - 100, 0), now, Format::V2)
            .unwrap();
        assert_eq!(facts.idle_expires_at, Some(now - 100 + 1800));
        assert_eq!(facts.absolute_expires_at, Some(T0 + 28_800));
        assert_eq!(facts.expires_at, Some(T0 + 28_800));
        assert_eq!(facts.ends_by, Some(Ending::Absolute));
        assert!(facts.browser_session);
        // Renewal would not extend it: not due, though past half the idle window.
        let later = T0 + 28_000;
        let facts = t
            .check(&header(Format::V2, T0, later - 1000, 0), later, Format::V2)
            .unwrap();
        assert!(!facts.renewal_due);
        // Past the absolute limit (beyond the skew): absolutely expired.
        let over = T0 + 28_800 + 60;
        assert!(matches!(
            t.check(&header(Format::V2, T0, over - 10, 0), over, Format::V2),
            Err(OpenError::AbsolutelyExpired { expired_at }) if expired_at == T0 + 28_800
        ));
        // Idle for longer than the idle timeout: idle expired.
        let idle = T0 + 4000;
        assert!(matches!(
            t.check(&header(Format::V2, T0, T0 + 100, 0), idle, Format::V2),
            Err(OpenError::IdleExpired { expired_at }) if expired_at == T0 + 1900
        ));
    }

    #[test]
    fn renewal_is_due_once_half_the_idle_window_has_passed() {
        let t = timeouts(Some(1800), None);
        let check = |age| {
            t.check(&header(Format::V2, T0, T0, 0), T0 + age, Format::V2)
                .unwrap()
        };
        assert!(!check(0).renewal_due);
        assert!(!check(900).renewal_due);
        assert!(check(901).renewal_due);
        assert!(check(1799).renewal_due);
        // Accepted by the skew after its expiry: never renewed.
        assert!(!check(1830).renewal_due);
        let custom = Timeouts {
            renew_within: Some(300),
            ..t
        };
        let due = |age| {
            custom
                .check(&header(Format::V2, T0, T0, 0), T0 + age, Format::V2)
                .unwrap()
                .renewal_due
        };
        assert!(!due(1500));
        assert!(due(1501));
    }

    #[test]
    fn format_1_keeps_its_sealed_lifetime_and_has_no_idle_expiry() {
        let t = timeouts(Some(600), Some(3600));
        let facts = t
            .check(&header(Format::V1, T0, T0, 1200), T0 + 1000, Format::V2)
            .unwrap();
        assert_eq!(facts.idle_expires_at, None);
        assert_eq!(facts.absolute_expires_at, Some(T0 + 1200));
        assert!(facts.old_format);
        assert_eq!(facts.session_id, None);
        assert!(matches!(
            t.check(&header(Format::V1, T0, T0, 1200), T0 + 1260, Format::V2),
            Err(OpenError::Expired { .. })
        ));
    }

    #[test]
    fn future_seals_and_revoked_sessions_are_refused() {
        let t = Timeouts {
            not_before: T0,
            ..timeouts(None, None)
        };
        assert!(matches!(
            t.check(&header(Format::V2, T0 - 1, T0, 0), T0, Format::V2),
            Err(OpenError::Revoked { .. })
        ));
        assert!(
            t.check(&header(Format::V2, T0, T0 + 60, 0), T0, Format::V2)
                .is_ok()
        );
        assert!(matches!(
            t.check(&header(Format::V2, T0, T0 + 61, 0), T0, Format::V2),
            Err(OpenError::NotYetValid { .. })
        ));
        let facts = t
            .check(&header(Format::V2, T0, T0, 0), u64::MAX, Format::V2)
            .unwrap();
        assert_eq!((facts.expires_at, facts.ends_by), (None, None));
    }
}
