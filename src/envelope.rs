//! The version-prefixed envelope: fixed header, nonce, ciphertext, tag; base64url.
//! SPEC.md is the normative description; this module is its code.

use crate::error::OpenError;
use crate::keyring::KeyId;

/// Header length in bytes: version, key id, flags, issued-at, lifetime.
pub const HEADER_LEN: usize = 18;
/// Length of the suite descriptor placed in the associated data after the header.
pub const DESCRIPTOR_LEN: usize = 7;

/// Flag bit: the payload is compressed with the suite's compressor.
pub const FLAG_COMPRESSED: u8 = 0x01;
/// Flag bit: the payload ends with `0x80` and zero bytes up to a block multiple.
pub const FLAG_PADDED: u8 = 0x02;
const KNOWN_FLAGS: u8 = FLAG_COMPRESSED | FLAG_PADDED;

/// Lowest and highest suite versions an application may register; 0 and 128 to
/// 255 are reserved for future envelope formats.
pub const VERSIONS: std::ops::RangeInclusive<u8> = 1..=127;

/// The authenticated, unencrypted envelope header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Suite version.
    pub version: u8,
    /// Id of the key that sealed.
    pub key_id: KeyId,
    /// Flag bits.
    pub flags: u8,
    /// Seconds since the Unix epoch.
    pub issued_at: u64,
    /// Lifetime in seconds after `issued_at`; 0 means no expiry.
    pub lifetime: u32,
}

impl Header {
    /// Encodes the header.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = self.version;
        out[1..5].copy_from_slice(&self.key_id.0.to_be_bytes());
        out[5] = self.flags;
        out[6..14].copy_from_slice(&self.issued_at.to_be_bytes());
        out[14..18].copy_from_slice(&self.lifetime.to_be_bytes());
        out
    }

    /// Parses the header at the start of `envelope`: only lengths and flags are
    /// checked here; nothing is trusted until the AEAD tag verifies.
    ///
    /// # Errors
    /// [`OpenError::Malformed`] when shorter than a header or with unknown flags.
    pub fn parse(envelope: &[u8]) -> Result<Self, OpenError> {
        let bytes: &[u8; HEADER_LEN] = envelope
            .get(..HEADER_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(OpenError::Malformed("shorter than the header"))?;
        let flags = bytes[5];
        if flags & !KNOWN_FLAGS != 0 {
            return Err(OpenError::Malformed("unknown flag bits"));
        }
        Ok(Self {
            version: bytes[0],
            key_id: KeyId(u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]])),
            flags,
            issued_at: u64::from_be_bytes(bytes[6..14].try_into().expect("8 bytes")),
            lifetime: u32::from_be_bytes(bytes[14..18].try_into().expect("4 bytes")),
        })
    }

    /// Expiry in seconds since the epoch, or `None` for no expiry.
    #[must_use]
    pub fn expires_at(&self) -> Option<u64> {
        (self.lifetime != 0).then(|| self.issued_at.saturating_add(u64::from(self.lifetime)))
    }
}

/// Length of the unpadded base64url text for `bytes` bytes (`usize::MAX` if
/// it does not fit).
#[must_use]
pub const fn encoded_len(bytes: usize) -> usize {
    (bytes / 3)
        .saturating_mul(4)
        .saturating_add((bytes % 3 * 4).div_ceil(3))
}

/// Pads `payload` in place with `0x80` then zeros to a multiple of `block`.
pub fn pad(payload: &mut Vec<u8>, start: usize, block: usize) {
    payload.push(0x80);
    let len = payload.len() - start;
    let padded = len.div_ceil(block) * block;
    payload.resize(start + padded, 0);
}

/// Strips the padding written by [`pad`].
///
/// # Errors
/// [`OpenError::Malformed`] when no `0x80` marker ends the zeros.
pub fn unpad(payload: &[u8]) -> Result<&[u8], OpenError> {
    let end = payload
        .iter()
        .rposition(|&b| b != 0)
        .ok_or(OpenError::Malformed("padding marker missing"))?;
    if payload[end] == 0x80 {
        Ok(&payload[..end])
    } else {
        Err(OpenError::Malformed("padding marker missing"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_roundtrips_and_rejects_unknown_flags() {
        let header = Header {
            version: 7,
            key_id: KeyId(0xdead_beef),
            flags: FLAG_PADDED,
            issued_at: 1_700_000_000,
            lifetime: 3600,
        };
        let bytes = header.to_bytes();
        assert_eq!(Header::parse(&bytes).unwrap(), header);
        assert_eq!(header.expires_at(), Some(1_700_003_600));
        for bit in 2..8 {
            let mut bad = bytes;
            bad[5] |= 1 << bit;
            assert!(Header::parse(&bad).is_err());
        }
        for len in 0..HEADER_LEN {
            assert!(Header::parse(&bytes[..len]).is_err());
        }
    }

    #[test]
    fn padding_roundtrips_for_every_length() {
        for block in [1, 2, 16, 64] {
            for len in 0..100 {
                let mut buf = vec![9u8; 5];
                buf.extend((0..len).map(|i| i as u8));
                pad(&mut buf, 5, block);
                assert_eq!((buf.len() - 5) % block, 0);
                assert_eq!(unpad(&buf[5..]).unwrap().len(), len);
            }
        }
        assert!(unpad(&[1, 0, 0]).is_err());
        assert!(unpad(&[0, 0]).is_err());
        assert!(unpad(&[]).is_err());
    }

    #[test]
    fn encoded_len_matches_base64() {
        use base64::Engine as _;
        for n in 0..50 {
            let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(vec![0u8; n]);
            assert_eq!(encoded_len(n), text.len());
        }
    }

    #[test]
    fn encoded_len_of_huge_lengths_is_exact_or_saturates() {
        let k = usize::MAX / 4;
        assert_eq!(encoded_len(3 * k), 4 * k);
        assert_eq!(encoded_len(3 * k + 1), 4 * k + 2);
        assert_eq!(encoded_len(usize::MAX), usize::MAX);
    }
}
