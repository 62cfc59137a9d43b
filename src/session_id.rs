//! Session ids: 128 random bits given to a session when it begins and kept by
//! every re-seal, key rotation and suite upgrade, so that a revocation store can
//! name one session.

use std::fmt;
use std::str::FromStr;

use crate::envelope::SESSION_ID_LEN;
use crate::error::SealError;

/// A session's random 128-bit id (format 2 cookies carry it, encrypted).
///
/// Written as 32 lower-case hex digits:
///
/// ```
/// use sealed_cookie::SessionId;
/// let id: SessionId = "00112233445566778899aabbccddeeff".parse()?;
/// assert_eq!(id.to_string(), "00112233445566778899aabbccddeeff");
/// assert_ne!(SessionId::generate()?, SessionId::generate()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub [u8; SESSION_ID_LEN]);

impl SessionId {
    /// A fresh id from the same generator as the nonces.
    ///
    /// # Errors
    /// [`SealError::Rng`] when the operating system's generator fails.
    pub fn generate() -> Result<Self, SealError> {
        let mut bytes = [0u8; SESSION_ID_LEN];
        crate::nonce::fill(&mut bytes).map_err(|_| SealError::Rng)?;
        Ok(Self(bytes))
    }

    /// The id's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; SESSION_ID_LEN] {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
    }
}

/// Text that is not 32 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a session id is 32 hex digits (128 bits)")]
pub struct InvalidSessionId;

impl FromStr for SessionId {
    type Err = InvalidSessionId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text.as_bytes();
        // Hex digits only: from_str_radix alone would take a leading sign.
        if digits.len() != 2 * SESSION_ID_LEN || !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err(InvalidSessionId);
        }
        let mut bytes = [0u8; SESSION_ID_LEN];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| InvalidSessionId)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| InvalidSessionId)?;
        }
        Ok(Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_other_text() {
        let id = SessionId([0xab; SESSION_ID_LEN]);
        assert_eq!(id.to_string().parse::<SessionId>(), Ok(id));
        for bad in [
            "",
            "ab",
            &"g".repeat(32),
            &"a".repeat(33),
            "+1234567890abcdef1234567890abcde",
        ] {
            assert_eq!(bad.parse::<SessionId>(), Err(InvalidSessionId), "{bad}");
        }
    }
}
