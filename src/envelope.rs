//! The version-prefixed envelope: fixed header, nonce, ciphertext, tag; base64url.
//! SPEC.md is the normative description; this module is its code.

use crate::error::OpenError;
use crate::keyring::KeyId;
use crate::session_id::SessionId;

/// Format 1 header length in bytes: version, key id, flags, issued-at, lifetime.
pub const HEADER_LEN: usize = 18;
/// Format 2 header length in bytes: version, key id, flags, creation time, age
/// of the seal, lifetime.
pub const HEADER_2_LEN: usize = 22;
/// The longest header of any format.
pub const MAX_HEADER_LEN: usize = HEADER_2_LEN;
/// Length of the suite descriptor placed in the associated data after the header.
pub const DESCRIPTOR_LEN: usize = 7;
/// Length of a format 2 session id, the first plaintext bytes.
pub const SESSION_ID_LEN: usize = 16;

/// Flag bit: the payload is compressed with the suite's compressor.
pub const FLAG_COMPRESSED: u8 = 0x01;
/// Flag bit: the payload ends with `0x80` and zero bytes up to a block multiple.
pub const FLAG_PADDED: u8 = 0x02;
/// Flag bit (format 2): the cookie was written as a browser-session cookie,
/// without `Max-Age` or `Expires`; re-issues keep writing it so.
pub const FLAG_BROWSER_SESSION: u8 = 0x04;
/// Flag bit (format 2): the plaintext holds flash messages after the session id.
pub const FLAG_FLASH: u8 = 0x08;
const KNOWN_FLAGS_1: u8 = FLAG_COMPRESSED | FLAG_PADDED;
const KNOWN_FLAGS_2: u8 = KNOWN_FLAGS_1 | FLAG_BROWSER_SESSION | FLAG_FLASH;

/// Lowest and highest suite versions an application may register. The first
/// header byte is the suite version itself in format 1 and the suite version
/// plus 128 in format 2; 0 and 128 are reserved for future envelope formats.
pub const VERSIONS: std::ops::RangeInclusive<u8> = 1..=127;
/// Added to the suite version in the first byte of a format 2 header.
pub const FORMAT_2_BIT: u8 = 0x80;

/// The envelope format, told by the first header byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Format 1: `issued_at` and a sealed `lifetime`; no session id.
    V1,
    /// Format 2 (the default writer): creation time, time since creation of the
    /// last seal, and a session id and optional flash messages in the plaintext.
    #[default]
    V2,
}

impl Format {
    /// The format's number, 1 or 2.
    #[must_use]
    pub fn number(self) -> u8 {
        match self {
            Self::V1 => 1,
            Self::V2 => 2,
        }
    }

    /// Length of the format's header.
    #[must_use]
    pub fn header_len(self) -> usize {
        match self {
            Self::V1 => HEADER_LEN,
            Self::V2 => HEADER_2_LEN,
        }
    }

    /// The format a first header byte names.
    #[must_use]
    pub fn of_version_byte(byte: u8) -> Self {
        if byte & FORMAT_2_BIT == 0 {
            Self::V1
        } else {
            Self::V2
        }
    }

    /// Bytes of the plaintext before the session value's own: the session id in
    /// format 2.
    #[must_use]
    pub fn plaintext_prefix_len(self) -> usize {
        match self {
            Self::V1 => 0,
            Self::V2 => SESSION_ID_LEN,
        }
    }
}

/// The authenticated, unencrypted envelope header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Envelope format.
    pub format: Format,
    /// Suite version (1 to 127, whatever the format).
    pub version: u8,
    /// Id of the key that sealed.
    pub key_id: KeyId,
    /// Flag bits.
    pub flags: u8,
    /// Format 1: the issued-at; format 2: the session's creation time. Seconds
    /// since the Unix epoch; re-issues keep it, so it is when the session began.
    pub issued_at: u64,
    /// Lifetime in seconds after `issued_at` (0: no expiry): the absolute limit
    /// the sealing server set, which re-issues never lengthen.
    pub lifetime: u32,
    /// When this cookie was sealed: format 2 writes it as its distance from
    /// `issued_at`; format 1 has no such field and reads as `issued_at`.
    pub sealed_at: u64,
}

/// An encoded header: [`HEADER_LEN`] or [`HEADER_2_LEN`] bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderBytes {
    bytes: [u8; MAX_HEADER_LEN],
    len: usize,
}

impl std::ops::Deref for HeaderBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl std::ops::DerefMut for HeaderBytes {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[..self.len]
    }
}

impl Header {
    /// Encodes the header.
    ///
    /// # Panics
    /// In format 2, when `sealed_at` is before `issued_at` or more than 2^32 − 1
    /// seconds after it: the codec never builds such a header.
    #[must_use]
    pub fn to_bytes(&self) -> HeaderBytes {
        let mut out = [0u8; MAX_HEADER_LEN];
        out[1..5].copy_from_slice(&self.key_id.0.to_be_bytes());
        out[5] = self.flags;
        out[6..14].copy_from_slice(&self.issued_at.to_be_bytes());
        match self.format {
            Format::V1 => {
                out[0] = self.version;
                out[14..18].copy_from_slice(&self.lifetime.to_be_bytes());
            }
            Format::V2 => {
                out[0] = self.version | FORMAT_2_BIT;
                let age = self
                    .sealed_at
                    .checked_sub(self.issued_at)
                    .and_then(|age| u32::try_from(age).ok())
                    .expect("sealed 0 to 2^32 - 1 seconds after the session began");
                out[14..18].copy_from_slice(&age.to_be_bytes());
                out[18..22].copy_from_slice(&self.lifetime.to_be_bytes());
            }
        }
        HeaderBytes {
            bytes: out,
            len: self.format.header_len(),
        }
    }

    /// Parses the header at the start of `envelope`: only lengths and flags are
    /// checked here; nothing is trusted until the AEAD tag verifies. The version
    /// may be 0 (bytes 0 and 128); no suite is registered under it.
    ///
    /// # Errors
    /// [`OpenError::Malformed`] when shorter than its format's header or with
    /// flags unknown to its format.
    pub fn parse(envelope: &[u8]) -> Result<Self, OpenError> {
        let short = OpenError::Malformed("shorter than the header");
        let first = *envelope.first().ok_or(short)?;
        let format = Format::of_version_byte(first);
        let bytes = envelope
            .get(..format.header_len())
            .ok_or(OpenError::Malformed("shorter than the header"))?;
        let known = match format {
            Format::V1 => KNOWN_FLAGS_1,
            Format::V2 => KNOWN_FLAGS_2,
        };
        let flags = bytes[5];
        if flags & !known != 0 {
            return Err(OpenError::Malformed("unknown flag bits"));
        }
        let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        let issued_at = u64::from_be_bytes(bytes[6..14].try_into().expect("8 bytes"));
        let (lifetime, sealed_at) = match format {
            Format::V1 => (word(14), issued_at),
            // Saturating: an authentic header never overflows, and a forged one
            // is refused by the AEAD before its times are looked at.
            Format::V2 => (word(18), issued_at.saturating_add(u64::from(word(14)))),
        };
        Ok(Self {
            format,
            version: first & !FORMAT_2_BIT,
            key_id: KeyId(word(1)),
            flags,
            issued_at,
            lifetime,
            sealed_at,
        })
    }

    /// Decodes the header from the start of a cookie value (base64url), on its
    /// own: the first 24 characters (18 bytes) hold a format 1 header; a first
    /// byte naming format 2 asks for the first 32 (24 bytes: its 22 and 2 of the
    /// nonce), since 22 bytes do not end on a base64 boundary.
    ///
    /// ```
    /// use sealed_cookie::envelope::Header;
    /// assert!(Header::decode("AQAAAAEAAAAAAGVTxoAAAA4Q").is_ok());
    /// assert!(Header::decode("short").is_err());
    /// ```
    ///
    /// # Errors
    /// [`OpenError::Malformed`] for a short value, bad base64url or bad flags.
    pub fn decode(cookie: &str) -> Result<Self, OpenError> {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let short = || OpenError::Malformed("shorter than the header");
        let not_base64 = |_| OpenError::Malformed("not base64url");
        let mut bytes = [0u8; 24];
        let text = cookie.get(..encoded_len(HEADER_LEN)).ok_or_else(short)?;
        engine
            .decode_slice(text, &mut bytes[..HEADER_LEN])
            .map_err(not_base64)?;
        if Format::of_version_byte(bytes[0]) == Format::V2 {
            let text = cookie.get(..encoded_len(bytes.len())).ok_or_else(short)?;
            engine.decode_slice(text, &mut bytes).map_err(not_base64)?;
        }
        Self::parse(&bytes)
    }

    /// The first header byte, as the cookie carries it.
    #[must_use]
    pub fn version_byte(&self) -> u8 {
        match self.format {
            Format::V1 => self.version,
            Format::V2 => self.version | FORMAT_2_BIT,
        }
    }

    /// The sealed expiry, `issued_at + lifetime`, in seconds since the epoch, or
    /// `None` for no expiry. A server's own timeouts may end the session earlier.
    #[must_use]
    pub fn expires_at(&self) -> Option<u64> {
        (self.lifetime != 0).then(|| self.issued_at.saturating_add(u64::from(self.lifetime)))
    }
}

/// The parts of a plaintext: session id, serialized flash messages, serialized value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaintextParts<'a> {
    /// The session id (format 2).
    pub session_id: Option<SessionId>,
    /// The flash messages as the serializer wrote them (format 2, flag 0x08).
    pub flash: Option<&'a [u8]>,
    /// The session value (or application type) as the serializer wrote it.
    pub value: &'a [u8],
}

/// Splits an authentic plaintext (unpadded, decompressed): format 2 writes
/// `session id (16) || [flash length (u16, big-endian) || flash] || value`, the
/// bracketed part only under [`FLAG_FLASH`]; format 1 writes the value alone.
///
/// # Errors
/// [`OpenError::Malformed`] when the plaintext is shorter than its prefix says.
pub fn split_plaintext(
    format: Format,
    flags: u8,
    plain: &[u8],
) -> Result<PlaintextParts<'_>, OpenError> {
    let short = || OpenError::Malformed("plaintext shorter than its session id and flash");
    if format == Format::V1 {
        return Ok(PlaintextParts {
            session_id: None,
            flash: None,
            value: plain,
        });
    }
    let (id, rest) = plain
        .split_first_chunk::<SESSION_ID_LEN>()
        .ok_or_else(short)?;
    let session_id = Some(SessionId(*id));
    if flags & FLAG_FLASH == 0 {
        return Ok(PlaintextParts {
            session_id,
            flash: None,
            value: rest,
        });
    }
    let (len, rest) = rest.split_first_chunk::<2>().ok_or_else(short)?;
    let len = usize::from(u16::from_be_bytes(*len));
    if rest.len() < len {
        return Err(short());
    }
    let (flash, value) = rest.split_at(len);
    Ok(PlaintextParts {
        session_id,
        flash: Some(flash),
        value,
    })
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
            format: Format::V1,
            version: 7,
            key_id: KeyId(0xdead_beef),
            flags: FLAG_PADDED,
            issued_at: 1_700_000_000,
            lifetime: 3600,
            sealed_at: 1_700_000_000,
        };
        let bytes = header.to_bytes();
        assert_eq!(bytes[0], 7);
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
    fn format_2_header_carries_creation_and_seal_times() {
        let header = Header {
            format: Format::V2,
            version: 7,
            key_id: KeyId(1),
            flags: FLAG_BROWSER_SESSION | FLAG_FLASH | FLAG_COMPRESSED,
            issued_at: 1_700_000_000,
            lifetime: 7200,
            sealed_at: 1_700_000_900,
        };
        let bytes = header.to_bytes();
        assert_eq!(bytes.len(), HEADER_2_LEN);
        assert_eq!(bytes[0], 0x87);
        assert_eq!(&bytes[14..18], &900u32.to_be_bytes());
        assert_eq!(&bytes[18..], &7200u32.to_be_bytes());
        assert_eq!(Header::parse(&bytes).unwrap(), header);
        assert_eq!(header.expires_at(), Some(1_700_007_200));
        for len in 0..HEADER_2_LEN {
            assert!(Header::parse(&bytes[..len]).is_err());
        }
        for bit in 4..8 {
            let mut bad = bytes;
            bad[5] |= 1 << bit;
            assert!(Header::parse(&bad).is_err());
        }
        // The format 2 flags mean nothing in format 1.
        let mut v1 = bytes;
        v1[0] = 7;
        let v1 = &v1[..HEADER_LEN];
        assert!(Header::parse(v1).is_err());
        // Byte 128 parses as version 0, which no codec registers.
        let mut reserved = bytes;
        reserved[0] = 0x80;
        assert_eq!(Header::parse(&reserved).unwrap().version, 0);
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
