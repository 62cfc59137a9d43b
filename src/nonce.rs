//! Nonces: a ChaCha12 generator per thread, seeded from the operating system and
//! seeded again in a child process after `fork()`.
//!
//! A generator whose state is copied by `fork()` would give parent and child the
//! same nonces, and under AES-GCM two messages with one key and one nonce reveal
//! the authentication key. The generator therefore lives beside a fork guard
//! (`pthread_atfork`, through the `forkguard` crate) created before its seed is
//! drawn: any copy of the state made by a later `fork()` is seen by the guard in
//! the child and replaced before its first nonce. Asking the OS for every nonce
//! would be safe too, but costs a system call (about 0.46 µs here) per seal,
//! which is as much as a whole AES-GCM seal; the guard's check is one atomic load.

use std::cell::RefCell;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

/// The operating system's random number generator failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RngFailed;

struct Source {
    #[cfg(unix)]
    guard: forkguard::atfork::Guard,
    rng: StdRng,
}

impl Source {
    /// The guard first, then the seed: a fork between the two cannot copy a
    /// seeded state unseen.
    fn new() -> Result<Self, RngFailed> {
        #[cfg(unix)]
        let guard = forkguard::atfork::Guard::try_new().map_err(|_| RngFailed)?;
        let mut seed = <StdRng as rand::SeedableRng>::Seed::default();
        getrandom::fill(&mut seed).map_err(|_| RngFailed)?;
        let rng = StdRng::from_seed(seed);
        zeroize::Zeroize::zeroize(&mut seed);
        Ok(Self {
            #[cfg(unix)]
            guard,
            rng,
        })
    }

    /// Whether this state may have been copied into this process by `fork()`.
    fn copied_by_fork(&mut self) -> bool {
        #[cfg(unix)]
        return self.guard.detected_fork();
        #[cfg(not(unix))]
        return false;
    }
}

thread_local! {
    static SOURCE: RefCell<Option<Source>> = const { RefCell::new(None) };
}

/// Fills `nonce` with fresh random bytes, never repeating across `fork()`.
pub(crate) fn fill(nonce: &mut [u8]) -> Result<(), RngFailed> {
    let drawn = SOURCE.try_with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        Some(draw(&mut slot, nonce))
    });
    match drawn {
        Ok(Some(result)) => result,
        // The thread is being torn down: ask the OS directly.
        _ => getrandom::fill(nonce).map_err(|_| RngFailed),
    }
}

fn draw(slot: &mut Option<Source>, nonce: &mut [u8]) -> Result<(), RngFailed> {
    if slot.as_mut().is_none_or(Source::copied_by_fork) {
        *slot = Some(Source::new()?);
    }
    if let Some(source) = slot {
        source.rng.fill_bytes(nonce);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_differ_within_and_across_threads() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let mut nonce = [0u8; 24];
            fill(&mut nonce).unwrap();
            assert!(seen.insert(nonce));
        }
        let other = std::thread::spawn(|| {
            let mut nonce = [0u8; 24];
            fill(&mut nonce).unwrap();
            nonce
        })
        .join()
        .unwrap();
        assert!(seen.insert(other));
    }
}
