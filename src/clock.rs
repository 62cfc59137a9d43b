//! Time, injectable so that tests never sleep.

/// A source of the current time in whole seconds since the Unix epoch.
///
/// ```
/// use sealed_cookie::{Clock, FixedClock};
/// assert_eq!(FixedClock(1_700_000_000).now(), 1_700_000_000);
/// ```
pub trait Clock: Send + Sync + 'static {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn now(&self) -> u64;
}

/// The operating system's wall clock. On Linux, its coarse reading
/// (`CLOCK_REALTIME_COARSE`, behind the precise one by at most a scheduler
/// tick, a few milliseconds): the codec reads whole seconds on every seal and
/// open, and the coarse clock costs a fraction of the precise one.
///
/// ```
/// use sealed_cookie::{Clock, SystemClock};
/// let precise = std::time::SystemTime::now()
///     .duration_since(std::time::UNIX_EPOCH)
///     .unwrap()
///     .as_secs();
/// assert!(SystemClock.now().abs_diff(precise) <= 1);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        // Where a sandbox refuses the coarse clock, the precise one.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Ok(now) = rustix::time::clock_gettime_dynamic(rustix::time::DynamicClockId::Known(
            rustix::time::ClockId::RealtimeCoarse,
        )) {
            return u64::try_from(now.tv_sec).unwrap_or(0);
        }
        use std::time::{SystemTime, UNIX_EPOCH};
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
    }
}

/// A clock stopped at a given second, for tests and test vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(pub u64);

impl Clock for FixedClock {
    fn now(&self) -> u64 {
        self.0
    }
}
