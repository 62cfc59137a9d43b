//! A Sereal decoder for the data sessions hold, into [`Value`].
//!
//! Reads Sereal documents of protocol versions 2 to 5 (the version Perl's
//! `Sereal::Encoder` 4 and 5 write), raw or Snappy-compressed (both the legacy
//! and the incremental framing). Decoded:
//!
//! | Sereal | [`Value`] |
//! |---|---|
//! | `POS`, `NEG`, `VARINT`, `ZIGZAG` | [`Value::Int`], or [`Value::UInt`] above `i64::MAX` |
//! | `FLOAT`, `DOUBLE`, `LONG_DOUBLE`, `FLOAT_128` | [`Value::Float`] (rounded to 64 bits) |
//! | `UNDEF`, `CANONICAL_UNDEF` | [`Value::Null`] |
//! | `TRUE`, `FALSE`, `YES`, `NO` | [`Value::Bool`] |
//! | `STR_UTF8` | [`Value::String`] (validated) |
//! | `BINARY`, `SHORT_BINARY` | [`Value::String`], per [`BinaryStrings`] |
//! | `ARRAY`, `ARRAYREF_n` | [`Value::Array`] |
//! | `HASH`, `HASHREF_n` | [`Value::Map`] |
//! | `REFN`, `WEAKEN` | the referent (a reference and what it points to are not told apart) |
//! | `REFP`, `ALIAS` | the earlier item, read again (shared data is expanded) |
//! | `COPY` | the earlier tag, read again |
//! | `OBJECT`, `OBJECTV` (and `_FREEZE`) | refused, or the object's data, per [`Objects`] |
//!
//! Cyclic data, `REGEXP`, zlib and zstd bodies, and protocol version 1 are
//! refused with an error. Every length, count and depth is checked against
//! [`Limits`]: bad input gives a [`SerealError`], never a panic, and shared data
//! cannot be expanded beyond the limits.
//!
//! # Memory
//!
//! No copy of a back-reference's target is kept: `REFP`, `ALIAS` and `COPY`
//! read the earlier item again, so every value and string byte that exists
//! during decoding is part of the value being built and counted against
//! [`Limits`]. On 64-bit targets, the heap [`SerealDecoder::decode`] requests
//! is at most
//!
//! ```text
//! 9/8 max_body_len + 2 max_string_bytes + 320 max_items + 520 KiB
//! ```
//!
//! whatever the document:
//!
//! - the body, decompressed (Snappy bodies only), and one bit per body byte
//!   marking the tracked items already decoded: `9/8 max_body_len`;
//! - strings: a byte counted against `max_string_bytes` becomes at most two
//!   bytes of UTF-8 (Latin-1 characters above U+007F);
//! - each item at most 320 bytes: an array element takes one 32-byte
//!   [`Value`], twice over while its array grows; a map's first entry
//!   allocates a whole B-tree node (11 entries, 632 bytes), and that entry's key
//!   and the map's own tag are two items;
//! - arrays reserve room for up to 256 elements before reading them: 8 KiB for
//!   each of the at most [`Value::MAX_DEPTH`] arrays being read at once, 512 KiB,
//!   and 8 KiB for the rest (errors, rounding).
//!
//! With the default limits that is 82.5 MB (78.7 MiB). Shared data lets a
//! document of a few hundred bytes come close to it (`e2e/tests/sereal_alloc_bound.rs`
//! builds such documents and measures them), so it is also the bound per
//! document however short: per byte of input, at most this total divided by
//! the document's length. To decode many documents at once, lower the limits:
//! `max_body_len: 64 << 10, max_string_bytes: 256 << 10, max_items: 10_000`
//! bound it to 4.3 MB.
//!
//! ```
//! use sealed_cookie::Value;
//! use sealed_cookie::perl::sereal;
//!
//! // Perl: Sereal::Encoder->new->encode({ user => "alice", visits => 3 })
//! let doc = b"=\xF3rl\x05\x00\x52\x64user\x65alice\x66visits\x03";
//! let value = sereal::from_slice(doc)?;
//! assert_eq!(value.get("user"), Some(&Value::from("alice")));
//! assert_eq!(value.get("visits"), Some(&Value::Int(3)));
//! # Ok::<(), sealed_cookie::perl::SerealError>(())
//! ```

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use crate::Value;

/// How strings without Perl's UTF-8 flag (`BINARY`, `SHORT_BINARY`) become text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BinaryStrings {
    /// As Perl sees them: each byte is one character, U+0000 to U+00FF
    /// (Latin-1). What Perl's own JSON encoder prints for the same data.
    #[default]
    Latin1,
    /// Bytes that are valid UTF-8 are read as UTF-8, others as Latin-1. For
    /// applications that stored undecoded UTF-8 input in their sessions.
    Utf8OrLatin1,
}

/// What to do with blessed references (Perl objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Objects {
    /// Refuse the document, as `Session::Storage::Secure` does by default
    /// (`refuse_objects`).
    #[default]
    Refuse,
    /// Keep the object's data and drop its class name, as if unblessed.
    Unbless,
}

/// Bounds on what a document may make the decoder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of containers, references and copies. Decoding
    /// recurses, so values above [`MAX_DEPTH`] are lowered to it. Arrays and
    /// hashes alone may also nest at most [`Value::MAX_DEPTH`] deep, so that a
    /// decoded value can always be sealed again.
    pub max_depth: usize,
    /// Most tags read, including those read again to expand `COPY`, `REFP` and
    /// `ALIAS` (a hash key is one). Every value decoded, copies included, is
    /// one of them.
    pub max_items: usize,
    /// Most string bytes in the decoded value (keys and copies included),
    /// counted as in the document (a Latin-1 byte may become two bytes of UTF-8).
    pub max_string_bytes: usize,
    /// Longest body, after decompression.
    pub max_body_len: usize,
}

/// The highest [`Limits::max_depth`] honoured, so that decoding fits in any
/// thread's stack (2 MiB by default for spawned threads), debug builds included.
pub const MAX_DEPTH: usize = 128;

impl Default for Limits {
    /// Generous for anything a cookie can carry: depth 128, 200 000 items,
    /// 8 MiB of strings, a 1 MiB body.
    fn default() -> Self {
        Self {
            max_depth: 128,
            max_items: 200_000,
            max_string_bytes: 8 << 20,
            max_body_len: 1 << 20,
        }
    }
}

/// Why a Sereal document could not be decoded.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SerealError {
    /// The document does not start with a Sereal magic string.
    #[error("not a Sereal document (bad magic string)")]
    BadMagic,
    /// The document was UTF-8 encoded after serialization, which corrupts it.
    #[error("the Sereal document was UTF-8 encoded after serialization")]
    Utf8EncodedDocument,
    /// The protocol version is not one this decoder reads (2 to 5).
    #[error("Sereal protocol version {0} is not supported (2 to 5 are)")]
    UnsupportedVersion(u8),
    /// The body encoding is not raw or Snappy.
    #[error("Sereal body encoding {0} is not supported (raw and Snappy are)")]
    UnsupportedEncoding(u8),
    /// The document ends in the middle of an item.
    #[error("the Sereal document is truncated")]
    Truncated,
    /// A varint is longer than 64 bits.
    #[error("a Sereal varint overflows 64 bits at body offset {0}")]
    VarintOverflow(usize),
    /// The Snappy-compressed body is corrupt.
    #[error("the Snappy-compressed Sereal body is corrupt: {0}")]
    Snappy(String),
    /// A tag that this decoder does not support, or that is invalid where it stands.
    #[error("unsupported Sereal tag 0x{tag:02x} ({name}) at body offset {offset}")]
    UnsupportedTag {
        /// The tag byte, track flag cleared.
        tag: u8,
        /// Its name in the Sereal specification.
        name: &'static str,
        /// Where it is (0-based, in the decompressed body).
        offset: usize,
    },
    /// A hash key is not a string.
    #[error("a Sereal hash key at body offset {0} is not a string")]
    BadKey(usize),
    /// A back-reference points outside the document, forward, or at an item
    /// that was never marked for tracking.
    #[error("a Sereal back-reference at body offset {at} points to invalid offset {target}")]
    BadOffset {
        /// Where the back-reference is.
        at: usize,
        /// The offset it gives.
        target: u64,
    },
    /// A back-reference points into an item that contains it (cyclic data).
    #[error("cyclic data: a Sereal back-reference at body offset {0} points to an enclosing item")]
    Cyclic(usize),
    /// A `STR_UTF8` string is not valid UTF-8.
    #[error("a Sereal UTF-8 string at body offset {0} is not valid UTF-8")]
    InvalidUtf8(usize),
    /// The document holds a Perl object and objects are refused.
    #[error("the Sereal document holds a Perl object (class {0:?}) and objects are refused")]
    ObjectRefused(String),
    /// Nesting is deeper than [`Limits::max_depth`].
    #[error("Sereal data nests deeper than {0} levels")]
    TooDeep(usize),
    /// More items than [`Limits::max_items`].
    #[error(
        "Sereal data has more than {0} items, shared data expanded (the decoder's Limits::max_items)"
    )]
    TooManyItems(usize),
    /// More string bytes than [`Limits::max_string_bytes`].
    #[error(
        "Sereal data has more than {0} bytes of strings, shared data expanded (the decoder's Limits::max_string_bytes)"
    )]
    TooManyStringBytes(usize),
    /// The body is longer than [`Limits::max_body_len`].
    #[error("the Sereal body is {len} bytes; at most {max} are accepted")]
    BodyTooLong {
        /// The body's length (declared, for compressed bodies).
        len: u64,
        /// The limit.
        max: usize,
    },
    /// Bytes remain after the top-level item.
    #[error("{0} bytes of trailing data after the Sereal document")]
    TrailingData(usize),
    /// The decoded value does not have the shape of the requested type.
    #[error("the Sereal data does not match the requested type: {0}")]
    Shape(String),
}

const MAGIC_V1_V2: &[u8; 4] = b"=srl";
const MAGIC_V3: &[u8; 4] = b"=\xF3rl";
const MAGIC_V3_UTF8: &[u8; 5] = b"=\xC3\xB3rl";

const TRACK_FLAG: u8 = 0x80;
#[cfg(test)]
const ARRAYREF: u8 = 0x40;
const VARINT: u8 = 0x20;
const ZIGZAG: u8 = 0x21;
const FLOAT: u8 = 0x22;
const DOUBLE: u8 = 0x23;
const LONG_DOUBLE: u8 = 0x24;
const UNDEF: u8 = 0x25;
const BINARY: u8 = 0x26;
const STR_UTF8: u8 = 0x27;
const REFN: u8 = 0x28;
const REFP: u8 = 0x29;
const HASH: u8 = 0x2a;
const ARRAY: u8 = 0x2b;
const OBJECT: u8 = 0x2c;
const OBJECTV: u8 = 0x2d;
const ALIAS: u8 = 0x2e;
const COPY: u8 = 0x2f;
const WEAKEN: u8 = 0x30;
const REGEXP: u8 = 0x31;
const OBJECT_FREEZE: u8 = 0x32;
const OBJECTV_FREEZE: u8 = 0x33;
const NO: u8 = 0x34;
const YES: u8 = 0x35;
const FLOAT_128: u8 = 0x38;
const CANONICAL_UNDEF: u8 = 0x39;
const FALSE: u8 = 0x3a;
const TRUE: u8 = 0x3b;
const PAD: u8 = 0x3f;

fn tag_name(tag: u8) -> &'static str {
    match tag {
        REGEXP => "REGEXP",
        0x36 | 0x37 => "RESERVED",
        0x3c => "MANY",
        0x3d => "PACKET_START",
        0x3e => "EXTEND",
        OBJECT | OBJECTV | OBJECT_FREEZE | OBJECTV_FREEZE => "OBJECT",
        _ => "unexpected here",
    }
}

/// A configured Sereal decoder.
///
/// ```
/// use sealed_cookie::perl::sereal::{BinaryStrings, Limits, SerealDecoder};
///
/// let decoder = SerealDecoder::new()
///     .binary_strings(BinaryStrings::Utf8OrLatin1)
///     .limits(Limits { max_depth: 16, ..Limits::default() });
/// // Perl: Sereal::Encoder->new->encode(["caf\xc3\xa9"]) (bytes, not characters)
/// let doc = b"=\xF3rl\x05\x00\x41\x65caf\xC3\xA9";
/// assert_eq!(decoder.decode(doc)?, sealed_cookie::Value::Array(vec!["café".into()]));
/// # Ok::<(), sealed_cookie::perl::SerealError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SerealDecoder {
    limits: Limits,
    binary_strings: BinaryStrings,
    objects: Objects,
}

impl SerealDecoder {
    /// A decoder with the default [`Limits`], Latin-1 binary strings and
    /// objects refused.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the limits.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets how binary strings become text.
    #[must_use]
    pub fn binary_strings(mut self, policy: BinaryStrings) -> Self {
        self.binary_strings = policy;
        self
    }

    /// Sets what to do with Perl objects.
    #[must_use]
    pub fn objects(mut self, policy: Objects) -> Self {
        self.objects = policy;
        self
    }

    /// Decodes a whole document (header and body).
    ///
    /// # Errors
    /// Any [`SerealError`]: a malformed or unsupported document, or one beyond
    /// the limits.
    pub fn decode(&self, doc: &[u8]) -> Result<Value, SerealError> {
        let (encoding, rest) = parse_header(doc)?;
        let body: std::borrow::Cow<'_, [u8]> = match encoding {
            0 => rest.into(),
            1 => self.snappy(rest)?.into(),
            2 => {
                let mut pos = 0;
                let len = read_varint(rest, &mut pos)?;
                let blob = usize::try_from(len)
                    .ok()
                    .and_then(|len| rest.get(pos..pos.checked_add(len)?))
                    .ok_or(SerealError::Truncated)?;
                let trailing = rest.len() - pos - blob.len();
                if trailing != 0 {
                    return Err(SerealError::TrailingData(trailing));
                }
                self.snappy(blob)?.into()
            }
            other => return Err(SerealError::UnsupportedEncoding(other)),
        };
        if body.len() > self.limits.max_body_len {
            return Err(SerealError::BodyTooLong {
                len: body.len() as u64,
                max: self.limits.max_body_len,
            });
        }
        self.decode_body(&body)
    }

    /// Decodes a whole document into any deserializable type, through [`Value`].
    ///
    /// # Errors
    /// As [`decode`](Self::decode), and [`SerealError::Shape`] when the data
    /// does not fit `T`.
    pub fn decode_into<T: DeserializeOwned>(&self, doc: &[u8]) -> Result<T, SerealError> {
        self.decode(doc)?
            .deserialize_into()
            .map_err(|e| SerealError::Shape(e.to_string()))
    }

    fn snappy(&self, blob: &[u8]) -> Result<Vec<u8>, SerealError> {
        let len =
            snap::raw::decompress_len(blob).map_err(|e| SerealError::Snappy(e.to_string()))?;
        if len > self.limits.max_body_len {
            return Err(SerealError::BodyTooLong {
                len: len as u64,
                max: self.limits.max_body_len,
            });
        }
        snap::raw::Decoder::new()
            .decompress_vec(blob)
            .map_err(|e| SerealError::Snappy(e.to_string()))
    }

    /// Decodes a body (no header; protocol 2 or later offsets).
    fn decode_body(&self, body: &[u8]) -> Result<Value, SerealError> {
        let mut parser = Parser {
            body,
            opts: *self,
            done: Vec::new(),
            items: 0,
            string_bytes: 0,
            containers: 0,
        };
        let mut pos = 0;
        let value = parser.item(&mut pos, 0)?;
        let trailing = body[pos..].iter().filter(|&&b| b != PAD).count();
        if trailing != 0 {
            return Err(SerealError::TrailingData(body.len() - pos));
        }
        Ok(value)
    }
}

/// Decodes a document with the default [`SerealDecoder`].
///
/// # Errors
/// As [`SerealDecoder::decode`].
pub fn from_slice(doc: &[u8]) -> Result<Value, SerealError> {
    SerealDecoder::new().decode(doc)
}

/// Decodes a document with the default [`SerealDecoder`] into any deserializable type.
///
/// ```
/// use std::collections::BTreeMap;
/// // Perl: Sereal::Encoder->new->encode({ id => 18446744073709551615 })
/// let doc = b"=\xF3rl\x05\x00\x51\x62id\x20\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01";
/// let map: BTreeMap<String, u64> = sealed_cookie::perl::sereal::from_slice_into(doc)?;
/// assert_eq!(map["id"], u64::MAX);
/// # Ok::<(), sealed_cookie::perl::SerealError>(())
/// ```
///
/// # Errors
/// As [`SerealDecoder::decode_into`].
pub fn from_slice_into<T: DeserializeOwned>(doc: &[u8]) -> Result<T, SerealError> {
    SerealDecoder::new().decode_into(doc)
}

/// Returns (body encoding, rest after the header suffix).
fn parse_header(doc: &[u8]) -> Result<(u8, &[u8]), SerealError> {
    if doc.starts_with(MAGIC_V3_UTF8) {
        return Err(SerealError::Utf8EncodedDocument);
    }
    let magic = doc.get(..4).ok_or(SerealError::BadMagic)?;
    let high_magic = if magic == MAGIC_V3 {
        true
    } else if magic == MAGIC_V1_V2 {
        false
    } else {
        return Err(SerealError::BadMagic);
    };
    let version_type = *doc.get(4).ok_or(SerealError::Truncated)?;
    let (version, encoding) = (version_type & 0x0f, version_type >> 4);
    // Versions 1 and 2 use "=srl", 3 and later "=\xF3rl".
    if !(2..=5).contains(&version) || high_magic != (version >= 3) {
        return Err(SerealError::UnsupportedVersion(version));
    }
    let mut pos = 5;
    let suffix_len = read_varint(doc, &mut pos)?;
    // The header suffix (optional user metadata) is skipped.
    let rest = usize::try_from(suffix_len)
        .ok()
        .and_then(|len| pos.checked_add(len))
        .and_then(|end| doc.get(end..))
        .ok_or(SerealError::Truncated)?;
    Ok((encoding, rest))
}

fn read_varint(buf: &[u8], pos: &mut usize) -> Result<u64, SerealError> {
    let start = *pos;
    let mut value: u64 = 0;
    for shift in (0..70).step_by(7) {
        let byte = *buf.get(*pos).ok_or(SerealError::Truncated)?;
        *pos += 1;
        let bits = u64::from(byte & 0x7f);
        if shift == 63 && bits > 1 || shift > 63 {
            return Err(SerealError::VarintOverflow(start));
        }
        value |= bits << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(SerealError::VarintOverflow(start))
}

fn take<'a>(buf: &'a [u8], pos: &mut usize, len: u64) -> Result<&'a [u8], SerealError> {
    let slice = usize::try_from(len)
        .ok()
        .and_then(|len| buf.get(*pos..pos.checked_add(len)?))
        .ok_or(SerealError::Truncated)?;
    *pos += slice.len();
    Ok(slice)
}

fn fixed<const N: usize>(buf: &[u8], pos: &mut usize) -> Result<[u8; N], SerealError> {
    let bytes = take(buf, pos, N as u64)?;
    let mut out = [0; N];
    out.copy_from_slice(bytes);
    Ok(out)
}

/// `x * 2^exp` without intermediate overflow.
fn scale(mut x: f64, mut exp: i32) -> f64 {
    while exp > 1000 {
        x *= 2f64.powi(1000);
        exp -= 1000;
    }
    while exp < -1000 {
        x *= 2f64.powi(-1000);
        exp += 1000;
    }
    x * 2f64.powi(exp)
}

/// IEEE 754 binary128, little-endian, to the nearest `f64`.
fn f128_to_f64(bytes: [u8; 16]) -> f64 {
    let bits = u128::from_le_bytes(bytes);
    let negative = bits >> 127 == 1;
    let exp = ((bits >> 112) & 0x7fff) as i32;
    let frac = bits & ((1u128 << 112) - 1);
    let magnitude = match exp {
        0x7fff if frac == 0 => f64::INFINITY,
        0x7fff => f64::NAN,
        0 => scale(frac as f64, -16382 - 112),
        _ => scale(((1u128 << 112) | frac) as f64, exp - 16383 - 112),
    };
    if negative { -magnitude } else { magnitude }
}

/// x87 80-bit extended precision (stored in 16 bytes), little-endian, to the nearest `f64`.
fn x87_to_f64(bytes: [u8; 16]) -> f64 {
    let mut mantissa = [0; 8];
    mantissa.copy_from_slice(&bytes[..8]);
    let mantissa = u64::from_le_bytes(mantissa);
    let sign_exp = u16::from_le_bytes([bytes[8], bytes[9]]);
    let negative = sign_exp >> 15 == 1;
    let exp = i32::from(sign_exp & 0x7fff);
    let magnitude = match exp {
        0x7fff if mantissa << 1 == 0 => f64::INFINITY,
        0x7fff => f64::NAN,
        0 => scale(mantissa as f64, -16382 - 63),
        _ => scale(mantissa as f64, exp - 16383 - 63),
    };
    if negative { -magnitude } else { magnitude }
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

impl BinaryStrings {
    /// A Perl string's `bytes` as text: with Perl's UTF-8 flag (`utf8`) they
    /// must be valid UTF-8 (`None` otherwise); without it, as this policy says.
    /// Shared by the Sereal and Storable decoders.
    pub(crate) fn text(self, bytes: &[u8], utf8: bool) -> Option<String> {
        if utf8 {
            return std::str::from_utf8(bytes).ok().map(str::to_owned);
        }
        Some(match self {
            Self::Latin1 => latin1(bytes),
            Self::Utf8OrLatin1 => match std::str::from_utf8(bytes) {
                Ok(s) => s.to_owned(),
                Err(_) => latin1(bytes),
            },
        })
    }
}

struct Parser<'a> {
    body: &'a [u8],
    opts: SerealDecoder,
    /// The tracked items decoded so far: one bit per body offset, set at the
    /// offset of the item's tag once the item is complete. Back-references read
    /// their target again instead of keeping a copy of it.
    done: Vec<u64>,
    items: usize,
    string_bytes: usize,
    /// Arrays and hashes enclosing the current item.
    containers: usize,
}

impl Parser<'_> {
    fn count_items(&mut self, n: usize) -> Result<(), SerealError> {
        self.items = self.items.saturating_add(n);
        if self.items > self.opts.limits.max_items {
            return Err(SerealError::TooManyItems(self.opts.limits.max_items));
        }
        Ok(())
    }

    fn count_string(&mut self, n: usize) -> Result<(), SerealError> {
        self.string_bytes = self.string_bytes.saturating_add(n);
        if self.string_bytes > self.opts.limits.max_string_bytes {
            return Err(SerealError::TooManyStringBytes(
                self.opts.limits.max_string_bytes,
            ));
        }
        Ok(())
    }

    fn check_depth(&self, depth: usize) -> Result<(), SerealError> {
        let max = self.opts.limits.max_depth.min(MAX_DEPTH);
        if depth > max {
            return Err(SerealError::TooDeep(max));
        }
        Ok(())
    }

    /// Reads a 1-based body offset (protocol 2 and later) at `pos` and returns
    /// the 0-based position it names, which must lie before `at`.
    fn offset(&self, pos: &mut usize, at: usize) -> Result<usize, SerealError> {
        let target = read_varint(self.body, pos)?;
        usize::try_from(target)
            .ok()
            .and_then(|t| t.checked_sub(1))
            .filter(|&t| t < at)
            .ok_or(SerealError::BadOffset { at, target })
    }

    fn mark_done(&mut self, at: usize) {
        if self.done.is_empty() {
            self.done = vec![0; self.body.len() / 64 + 1];
        }
        if let Some(word) = self.done.get_mut(at / 64) {
            *word |= 1 << (at % 64);
        }
    }

    fn is_done(&self, at: usize) -> bool {
        self.done
            .get(at / 64)
            .is_some_and(|word| word >> (at % 64) & 1 == 1)
    }

    /// The tracked item at `target`, read again, for `REFP` and `ALIAS`.
    ///
    /// Reading it again (rather than cloning a kept copy) counts every tag and
    /// string byte of the copy against the limits, and checks its placement
    /// against the depth limits, exactly as for the original.
    fn back_reference(
        &mut self,
        target: usize,
        at: usize,
        depth: usize,
    ) -> Result<Value, SerealError> {
        if self.is_done(target) {
            let mut pos = target;
            return self.item(&mut pos, depth + 1);
        }
        if self.body.get(target).is_some_and(|b| b & TRACK_FLAG != 0) {
            // Tracked, but not complete yet: the item encloses this reference.
            Err(SerealError::Cyclic(at))
        } else {
            Err(SerealError::BadOffset {
                at,
                target: target as u64 + 1,
            })
        }
    }

    fn string(&mut self, bytes: &[u8], utf8: bool, at: usize) -> Result<String, SerealError> {
        self.count_string(bytes.len())?;
        self.opts
            .binary_strings
            .text(bytes, utf8)
            .ok_or(SerealError::InvalidUtf8(at))
    }

    /// Reads a string tag (a hash key or class name): `SHORT_BINARY`,
    /// `BINARY`, `STR_UTF8`, or a `COPY` of one of those.
    fn key(&mut self, pos: &mut usize, copied: bool) -> Result<String, SerealError> {
        let at = *pos;
        let tag = *self.body.get(at).ok_or(SerealError::Truncated)? & !TRACK_FLAG;
        *pos += 1;
        self.count_items(1)?;
        match tag {
            0x60..=0x7f => {
                let bytes = take(self.body, pos, u64::from(tag & 0x1f))?;
                self.string(bytes, false, at)
            }
            BINARY | STR_UTF8 => {
                let len = read_varint(self.body, pos)?;
                let bytes = take(self.body, pos, len)?;
                self.string(bytes, tag == STR_UTF8, at)
            }
            COPY if !copied => {
                let mut target = self.offset(pos, at)?;
                self.key(&mut target, true)
            }
            _ => Err(SerealError::BadKey(at)),
        }
    }

    /// Enters an array or hash: at most [`Value::MAX_DEPTH`] nest, so that every
    /// decoded value also seals.
    fn enter(&mut self) -> Result<(), SerealError> {
        if self.containers >= Value::MAX_DEPTH {
            return Err(SerealError::TooDeep(Value::MAX_DEPTH));
        }
        self.containers += 1;
        Ok(())
    }

    fn array(&mut self, pos: &mut usize, count: u64, depth: usize) -> Result<Value, SerealError> {
        self.check_depth(depth + 1)?;
        self.enter()?;
        // Every item takes at least one byte: a larger count is a lie.
        let remaining = (self.body.len() - *pos) as u64;
        if count > remaining {
            return Err(SerealError::Truncated);
        }
        // Nested arrays could each claim the rest of the body: reserve little up front.
        let mut items = Vec::with_capacity(count.min(256) as usize);
        for _ in 0..count {
            items.push(self.item(pos, depth + 1)?);
        }
        self.containers -= 1;
        Ok(Value::Array(items))
    }

    fn hash(&mut self, pos: &mut usize, count: u64, depth: usize) -> Result<Value, SerealError> {
        self.check_depth(depth + 1)?;
        self.enter()?;
        let remaining = (self.body.len() - *pos) as u64;
        if count.saturating_mul(2) > remaining {
            return Err(SerealError::Truncated);
        }
        let mut map = BTreeMap::new();
        for _ in 0..count {
            let key = self.key(pos, false)?;
            let value = self.item(pos, depth + 1)?;
            // As in Perl, a repeated key keeps the last value.
            map.insert(key, value);
        }
        self.containers -= 1;
        Ok(Value::Map(map))
    }

    /// Reads one item at `pos`, recording it if its tag carries the track flag.
    fn item(&mut self, pos: &mut usize, depth: usize) -> Result<Value, SerealError> {
        self.check_depth(depth)?;
        // PAD bytes before an item are skipped.
        loop {
            match self.body.get(*pos) {
                None => return Err(SerealError::Truncated),
                Some(&b) if b & !TRACK_FLAG == PAD => {
                    self.count_items(1)?;
                    *pos += 1;
                }
                Some(_) => break,
            }
        }
        let at = *pos;
        let byte = self.body[at];
        *pos += 1;
        self.count_items(1)?;
        let value = self.tag(byte & !TRACK_FLAG, at, pos, depth)?;
        if byte & TRACK_FLAG != 0 {
            self.mark_done(at);
        }
        Ok(value)
    }

    fn tag(
        &mut self,
        tag: u8,
        at: usize,
        pos: &mut usize,
        depth: usize,
    ) -> Result<Value, SerealError> {
        let body = self.body;
        Ok(match tag {
            0x00..=0x0f => Value::Int(i64::from(tag)),
            0x10..=0x1f => Value::Int(i64::from(tag) - 32),
            VARINT => Value::from(read_varint(body, pos)?),
            ZIGZAG => {
                let z = read_varint(body, pos)?;
                // (z >> 1) fits 63 bits, so the cast is exact.
                Value::Int(((z >> 1) as i64) ^ -((z & 1) as i64))
            }
            FLOAT => Value::Float(f64::from(f32::from_le_bytes(fixed(body, pos)?))),
            DOUBLE => Value::Float(f64::from_le_bytes(fixed(body, pos)?)),
            LONG_DOUBLE => Value::Float(x87_to_f64(fixed(body, pos)?)),
            FLOAT_128 => Value::Float(f128_to_f64(fixed(body, pos)?)),
            UNDEF | CANONICAL_UNDEF => Value::Null,
            TRUE | YES => Value::Bool(true),
            FALSE | NO => Value::Bool(false),
            BINARY | STR_UTF8 => {
                let len = read_varint(body, pos)?;
                let bytes = take(body, pos, len)?;
                Value::String(self.string(bytes, tag == STR_UTF8, at)?)
            }
            0x60..=0x7f => {
                let bytes = take(body, pos, u64::from(tag & 0x1f))?;
                Value::String(self.string(bytes, false, at)?)
            }
            REFN | WEAKEN => self.item(pos, depth + 1)?,
            REFP | ALIAS => {
                let target = self.offset(pos, at)?;
                self.back_reference(target, at, depth)?
            }
            COPY => {
                let mut target = self.offset(pos, at)?;
                let tag = self.body[target] & !TRACK_FLAG;
                if tag == COPY {
                    return Err(SerealError::UnsupportedTag {
                        tag,
                        name: "COPY of a COPY",
                        offset: at,
                    });
                }
                self.item(&mut target, depth + 1)?
            }
            HASH => {
                let count = read_varint(body, pos)?;
                self.hash(pos, count, depth)?
            }
            ARRAY => {
                let count = read_varint(body, pos)?;
                self.array(pos, count, depth)?
            }
            0x40..=0x4f => self.array(pos, u64::from(tag & 0x0f), depth)?,
            0x50..=0x5f => self.hash(pos, u64::from(tag & 0x0f), depth)?,
            OBJECT | OBJECT_FREEZE | OBJECTV | OBJECTV_FREEZE => {
                let class = if matches!(tag, OBJECT | OBJECT_FREEZE) {
                    self.key(pos, false)?
                } else {
                    let mut target = self.offset(pos, at)?;
                    self.key(&mut target, false)?
                };
                match self.opts.objects {
                    Objects::Refuse => return Err(SerealError::ObjectRefused(class)),
                    Objects::Unbless => self.item(pos, depth + 1)?,
                }
            }
            _ => {
                return Err(SerealError::UnsupportedTag {
                    tag,
                    name: tag_name(tag),
                    offset: at,
                });
            }
        })
    }
}

debug_as_message!(SerealError);

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(body: &[u8]) -> Vec<u8> {
        let mut d = b"=\xF3rl\x05\x00".to_vec();
        d.extend_from_slice(body);
        d
    }

    fn decode(body: &[u8]) -> Result<Value, SerealError> {
        from_slice(&doc(body))
    }

    fn json(v: serde_json::Value) -> Value {
        Value::from(v)
    }

    /// (values, string bytes, nesting of arrays and maps) in a value, keys included.
    fn weigh(value: &Value) -> (usize, usize, usize) {
        match value {
            Value::String(s) => (1, s.len(), 0),
            Value::Array(items) => items.iter().fold((1, 0, 1), |(n, b, d), v| {
                let (vn, vb, vd) = weigh(v);
                (n + vn, b + vb, d.max(vd + 1))
            }),
            Value::Map(map) => map.iter().fold((1, 0, 1), |(n, b, d), (k, v)| {
                let (vn, vb, vd) = weigh(v);
                (n + vn + 1, b + vb + k.len(), d.max(vd + 1))
            }),
            _ => (1, 0, 0),
        }
    }

    #[test]
    fn small_integers() {
        assert_eq!(decode(b"\x00").unwrap(), Value::Int(0));
        assert_eq!(decode(b"\x0f").unwrap(), Value::Int(15));
        assert_eq!(decode(b"\x10").unwrap(), Value::Int(-16));
        assert_eq!(decode(b"\x1f").unwrap(), Value::Int(-1));
    }

    #[test]
    fn varints_and_zigzags_of_every_width() {
        let cases: &[(&[u8], Value)] = &[
            (b"\x20\x10", Value::Int(16)),
            (b"\x20\xac\x02", Value::Int(300)),
            (b"\x20\xff\xff\xff\xff\x0f", Value::Int(u32::MAX.into())),
            (
                b"\x20\xff\xff\xff\xff\xff\xff\xff\xff\x7f",
                Value::Int(i64::MAX),
            ),
            (
                b"\x20\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01",
                Value::UInt(1 << 63),
            ),
            (
                b"\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
                Value::UInt(u64::MAX),
            ),
            (b"\x21\x21", Value::Int(-17)),
            (b"\x21\x22", Value::Int(17)),
            (b"\x21\xff\xff\xff\xff\x0f", Value::Int(-(1 << 31))),
            (
                b"\x21\xfd\xff\xff\xff\xff\xff\xff\xff\xff\x01",
                Value::Int(i64::MIN + 1),
            ),
            (
                b"\x21\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
                Value::Int(i64::MIN),
            ),
        ];
        for (body, want) in cases {
            assert_eq!(&decode(body).unwrap(), want, "{body:02x?}");
        }
    }

    #[test]
    fn varint_overflow_is_an_error() {
        assert_eq!(
            decode(b"\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"),
            Err(SerealError::VarintOverflow(1))
        );
        assert_eq!(
            decode(b"\x20\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00"),
            Err(SerealError::VarintOverflow(1))
        );
        assert_eq!(decode(b"\x20\x80"), Err(SerealError::Truncated));
    }

    #[test]
    fn floats_of_every_width() {
        assert_eq!(decode(b"\x22\x00\x00\xc0\x3f").unwrap(), Value::Float(1.5));
        let mut d = vec![DOUBLE];
        d.extend_from_slice(&(-0.1f64).to_le_bytes());
        assert_eq!(decode(&d).unwrap(), Value::Float(-0.1));
        // 1.5 as x87 extended: mantissa 0xC000..., exponent 16383.
        let mut d = vec![LONG_DOUBLE];
        d.extend_from_slice(&0xC000_0000_0000_0000u64.to_le_bytes());
        d.extend_from_slice(&16383u16.to_le_bytes());
        d.extend_from_slice(&[0; 6]);
        assert_eq!(decode(&d).unwrap(), Value::Float(1.5));
        // -2.5 as binary128: exponent 16384, fraction .01.
        let bits: u128 = (1 << 127) | (16384u128 << 112) | (1u128 << 110);
        let mut d = vec![FLOAT_128];
        d.extend_from_slice(&bits.to_le_bytes());
        assert_eq!(decode(&d).unwrap(), Value::Float(-2.5));
        // Out of f64 range: infinity, not a panic.
        let bits: u128 = 0x7ffe << 112;
        let mut d = vec![FLOAT_128];
        d.extend_from_slice(&bits.to_le_bytes());
        assert_eq!(decode(&d).unwrap(), Value::Float(f64::INFINITY));
        assert_eq!(decode(b"\x23\x00\x00"), Err(SerealError::Truncated));
    }

    #[test]
    fn undef_and_booleans() {
        for (body, want) in [
            (UNDEF, Value::Null),
            (CANONICAL_UNDEF, Value::Null),
            (TRUE, Value::Bool(true)),
            (YES, Value::Bool(true)),
            (FALSE, Value::Bool(false)),
            (NO, Value::Bool(false)),
        ] {
            assert_eq!(decode(&[body]).unwrap(), want);
        }
    }

    #[test]
    fn strings() {
        assert_eq!(decode(b"\x63007").unwrap(), Value::from("007"));
        assert_eq!(decode(b"\x60").unwrap(), Value::from(""));
        assert_eq!(
            decode(b"\x27\x03\xe2\x98\xba").unwrap(),
            Value::from("\u{263a}")
        );
        assert_eq!(decode(b"\x26\x02\xe9x").unwrap(), Value::from("\u{e9}x"));
        assert_eq!(decode(b"\x61\xe9").unwrap(), Value::from("é"));
        assert_eq!(decode(b"\x27\x01\xff"), Err(SerealError::InvalidUtf8(0)));
        assert_eq!(decode(b"\x27\x05ab"), Err(SerealError::Truncated));
        assert_eq!(decode(b"\x65ab"), Err(SerealError::Truncated));
        let utf8 = SerealDecoder::new().binary_strings(BinaryStrings::Utf8OrLatin1);
        assert_eq!(
            utf8.decode(&doc(b"\x62\xc3\xa9")).unwrap(),
            Value::from("é")
        );
        assert_eq!(utf8.decode(&doc(b"\x61\xe9")).unwrap(), Value::from("é"));
        assert_eq!(
            from_slice(&doc(b"\x62\xc3\xa9")).unwrap(),
            Value::from("Ã©")
        );
    }

    #[test]
    fn containers() {
        // {a => [1, undef, "x"], b => {}} via HASHREF, ARRAYREF, REFN+HASH.
        let v = decode(b"\x52\x61a\x43\x01\x25\x61x\x61b\x28\x2a\x00").unwrap();
        assert_eq!(v, json(serde_json::json!({"a": [1, null, "x"], "b": {}})));
        // REFN + ARRAY with a varint count.
        let v = decode(b"\x28\x2b\x02\x01\x02").unwrap();
        assert_eq!(v, json(serde_json::json!([1, 2])));
        // A repeated key keeps the last value.
        let v = decode(b"\x52\x61k\x01\x61k\x02").unwrap();
        assert_eq!(v, json(serde_json::json!({"k": 2})));
        // Keys may be UTF-8 or binary strings.
        let v = decode(b"\x52\x27\x02\xc3\xa9\x01\x26\x01\xe9\x02").unwrap();
        assert_eq!(v, json(serde_json::json!({"é": 2})));
    }

    #[test]
    fn non_string_keys_are_refused() {
        assert_eq!(decode(b"\x51\x01\x01"), Err(SerealError::BadKey(1)));
    }

    #[test]
    fn lying_counts_are_refused_before_allocating() {
        assert_eq!(
            decode(b"\x2b\xff\xff\xff\xff\x0f"),
            Err(SerealError::Truncated)
        );
        assert_eq!(decode(b"\x2a\x80\x80\x04\x01"), Err(SerealError::Truncated));
        assert_eq!(decode(b"\x43\x01"), Err(SerealError::Truncated));
    }

    #[test]
    fn refp_shares_a_tracked_array() {
        // Perl: my $a = [1, 2]; { x => $a, y => $a }
        let v = decode(b"\x52\x61y\x28\xab\x02\x01\x02\x61x\x29\x05").unwrap();
        assert_eq!(v, json(serde_json::json!({"x": [1, 2], "y": [1, 2]})));
    }

    #[test]
    fn alias_repeats_a_tracked_scalar() {
        let v = decode(b"\x42\xe3abc\x2e\x02").unwrap();
        assert_eq!(v, json(serde_json::json!(["abc", "abc"])));
    }

    #[test]
    fn copy_rereads_hash_keys_and_values() {
        // Perl: { k => [ map { { name => "x", val => $_ } } 1..3 ] }
        let v = decode(
            b"\x51\x61k\x28\x2b\x03\x28\x2a\x02\x64name\x61x\x63val\x01\x28\x2a\x02\x2f\x0a\x61x\x2f\x11\x02\x28\x2a\x02\x2f\x0a\x61x\x2f\x11\x03",
        )
        .unwrap();
        assert_eq!(
            v,
            json(serde_json::json!({"k": [
                {"name": "x", "val": 1}, {"name": "x", "val": 2}, {"name": "x", "val": 3}
            ]}))
        );
        // COPY of a whole value.
        let v = decode(b"\x42\x63abc\x2f\x02").unwrap();
        assert_eq!(v, json(serde_json::json!(["abc", "abc"])));
    }

    #[test]
    fn bad_back_references_are_refused() {
        // Forward.
        assert!(matches!(
            decode(b"\x42\x29\x05\x01"),
            Err(SerealError::BadOffset { at: 1, target: 5 })
        ));
        // Offset 0 (offsets are 1-based).
        assert!(matches!(
            decode(b"\x42\x01\x29\x00"),
            Err(SerealError::BadOffset { .. })
        ));
        // At an untracked item.
        assert!(matches!(
            decode(b"\x42\x01\x29\x02"),
            Err(SerealError::BadOffset { .. })
        ));
        // COPY of a COPY.
        assert!(matches!(
            decode(b"\x43\x01\x2f\x02\x2f\x03"),
            Err(SerealError::UnsupportedTag { .. })
        ));
    }

    #[test]
    fn cycles_are_refused() {
        // Perl: my $a = []; push @$a, $a;  (REFN, tracked ARRAY holding REFP to itself)
        assert_eq!(decode(b"\x28\xab\x01\x29\x02"), Err(SerealError::Cyclic(3)));
        // A COPY of an enclosing item recurses until the depth limit.
        assert!(matches!(
            decode(b"\x41\x41\x2f\x01"),
            Err(SerealError::TooDeep(_))
        ));
        assert!(matches!(
            decode(b"\x28\x28\x2f\x01"),
            Err(SerealError::TooDeep(_))
        ));
    }

    fn varint(mut n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
        out
    }

    #[test]
    fn shared_data_cannot_expand_beyond_the_limits() {
        // An array of 41 levels, each a tracked pair of aliases to the level
        // before: 2^40 leaves once expanded, from a 300-byte body.
        let mut body = vec![ARRAY, 41, 0x81];
        let mut prev = 3; // 1-based offset of the tracked POS_1
        for _ in 0..40 {
            let at = body.len() + 1;
            body.push(0xc2);
            for _ in 0..2 {
                body.push(ALIAS);
                body.extend(varint(prev));
            }
            prev = at;
        }
        assert!(body.len() < 400);
        assert_eq!(
            decode(&body),
            Err(SerealError::TooManyItems(Limits::default().max_items))
        );
        // The same shape, ten levels deep, expands fine.
        let mut body = vec![ARRAY, 11, 0x81];
        let mut prev = 3;
        for _ in 0..10 {
            let at = body.len() + 1;
            body.push(0xc2);
            for _ in 0..2 {
                body.push(ALIAS);
                body.extend(varint(prev));
            }
            prev = at;
        }
        let Value::Array(levels) = decode(&body).unwrap() else {
            panic!("not an array")
        };
        assert_eq!(weigh(&levels[10]), (2047, 0, 10));
    }

    #[test]
    fn depth_is_bounded() {
        // References to references: no container, only recursion.
        let body = [REFN; 1000];
        assert_eq!(
            decode(&body),
            Err(SerealError::TooDeep(Limits::default().max_depth))
        );
        let shallow = SerealDecoder::new().limits(Limits {
            max_depth: 2,
            ..Limits::default()
        });
        assert!(shallow.decode(&doc(b"\x41\x41\x01")).is_ok());
        assert_eq!(
            shallow.decode(&doc(b"\x41\x41\x41\x01")),
            Err(SerealError::TooDeep(2))
        );
    }

    #[test]
    fn containers_nest_no_deeper_than_a_value_may() {
        let loose = SerealDecoder::new().limits(Limits {
            max_depth: MAX_DEPTH,
            ..Limits::default()
        });
        let nest = |n: usize| {
            let mut body = vec![0x41u8; n];
            body.push(0x01);
            doc(&body)
        };
        let value = loose.decode(&nest(Value::MAX_DEPTH)).unwrap();
        serde_json::to_string(&value).expect("a decoded value serializes");
        assert_eq!(
            loose.decode(&nest(Value::MAX_DEPTH + 1)),
            Err(SerealError::TooDeep(Value::MAX_DEPTH))
        );
        // A back-reference to a deep array, placed deep, would nest too deep.
        let half = Value::MAX_DEPTH / 2 + 1;
        let mut body = vec![ARRAYREF + 2, TRACK_FLAG | (ARRAYREF + 1)];
        body.extend(std::iter::repeat_n(ARRAYREF + 1, half - 1));
        body.push(0x01);
        body.extend(std::iter::repeat_n(ARRAYREF + 1, half - 1));
        body.extend_from_slice(&[ALIAS, 2]);
        assert_eq!(
            loose.decode(&doc(&body)),
            Err(SerealError::TooDeep(Value::MAX_DEPTH))
        );
        // Shallower, the same shape decodes.
        let body = vec![
            ARRAYREF + 2,
            TRACK_FLAG | (ARRAYREF + 1),
            0x01,
            ARRAYREF + 1,
            ALIAS,
            2,
        ];
        let value = loose.decode(&doc(&body)).unwrap();
        assert_eq!(value, json(serde_json::json!([[1], [[1]]])));
        // References between containers do not count.
        let mut body = Vec::new();
        for _ in 0..Value::MAX_DEPTH {
            body.extend_from_slice(&[REFN, ARRAY, 1]);
        }
        body.push(0x01);
        assert!(loose.decode(&doc(&body)).is_ok());
    }

    #[test]
    fn depth_is_capped_for_the_stack() {
        let deep = SerealDecoder::new().limits(Limits {
            max_depth: usize::MAX,
            ..Limits::default()
        });
        // Run where the stack is small: a spawned thread's default.
        let result = std::thread::spawn(move || deep.decode(&doc(&[REFN; 100_000])))
            .join()
            .expect("no stack overflow");
        assert_eq!(result, Err(SerealError::TooDeep(MAX_DEPTH)));
    }

    #[test]
    fn objects_are_refused_or_unblessed() {
        // OBJECT "Foo" { a => 1 }, then OBJECTV naming the same class.
        let body = b"\x42\x2c\x63Foo\x51\x61a\x01\x2d\x03\x51\x61b\x02";
        assert_eq!(decode(body), Err(SerealError::ObjectRefused("Foo".into())));
        let unbless = SerealDecoder::new().objects(Objects::Unbless);
        assert_eq!(
            unbless.decode(&doc(body)).unwrap(),
            json(serde_json::json!([{"a": 1}, {"b": 2}]))
        );
    }

    #[test]
    fn unsupported_tags_are_named() {
        for (tag, name) in [
            (REGEXP, "REGEXP"),
            (0x36, "RESERVED"),
            (0x3c, "MANY"),
            (0x3d, "PACKET_START"),
            (0x3e, "EXTEND"),
        ] {
            assert_eq!(
                decode(&[tag, 0, 0]),
                Err(SerealError::UnsupportedTag {
                    tag,
                    name,
                    offset: 0
                })
            );
        }
    }

    #[test]
    fn padding_is_skipped_and_trailing_data_refused() {
        assert_eq!(
            decode(b"\x3f\x3f\x41\x3f\x05\x3f").unwrap(),
            json(serde_json::json!([5]))
        );
        assert_eq!(decode(b"\x01\x02"), Err(SerealError::TrailingData(1)));
        assert_eq!(decode(b""), Err(SerealError::Truncated));
    }

    #[test]
    fn headers() {
        assert_eq!(from_slice(b"=srm\x05\x00\x01"), Err(SerealError::BadMagic));
        assert_eq!(from_slice(b"=s"), Err(SerealError::BadMagic));
        assert_eq!(
            from_slice(b"=\xc3\xb3rl\x05\x00\x01"),
            Err(SerealError::Utf8EncodedDocument)
        );
        assert_eq!(
            from_slice(b"=srl\x01\x00\x01"),
            Err(SerealError::UnsupportedVersion(1))
        );
        assert_eq!(
            from_slice(b"=srl\x05\x00\x01"),
            Err(SerealError::UnsupportedVersion(5))
        );
        assert_eq!(
            from_slice(b"=\xf3rl\x02\x00\x01"),
            Err(SerealError::UnsupportedVersion(2))
        );
        assert_eq!(from_slice(b"=srl\x02\x00\x07").unwrap(), Value::Int(7));
        assert_eq!(from_slice(b"=\xf3rl\x03\x00\x07").unwrap(), Value::Int(7));
        assert_eq!(
            from_slice(b"=\xf3rl\x45\x00\x01"),
            Err(SerealError::UnsupportedEncoding(4))
        );
        // A header suffix (user metadata) is skipped.
        assert_eq!(
            from_slice(b"=\xf3rl\x05\x03\x01\x60\x00\x07").unwrap(),
            Value::Int(7)
        );
        assert_eq!(
            from_slice(b"=\xf3rl\x05\x09\x01"),
            Err(SerealError::Truncated)
        );
    }

    #[test]
    fn snappy_bodies() {
        let body: Vec<u8> = {
            let mut b = vec![0x41, 0x26, 0xd0, 0x0f];
            b.extend(std::iter::repeat_n(b'a', 2000));
            b
        };
        let packed = snap::raw::Encoder::new().compress_vec(&body).unwrap();
        assert!(packed.len() < 200);
        // Incremental: <varint length><snappy>.
        let mut d = b"=\xf3rl\x25\x00".to_vec();
        d.extend(varint(packed.len()));
        d.extend_from_slice(&packed);
        let want = json(serde_json::json!(["a".repeat(2000)]));
        assert_eq!(from_slice(&d).unwrap(), want);
        // Legacy: the rest of the document is one Snappy block.
        let mut d = b"=\xf3rl\x15\x00".to_vec();
        d.extend_from_slice(&packed);
        assert_eq!(from_slice(&d).unwrap(), want);
        // Corrupt and oversized bodies.
        let mut d = b"=\xf3rl\x15\x00".to_vec();
        d.extend_from_slice(&packed[..packed.len() - 3]);
        assert!(matches!(from_slice(&d), Err(SerealError::Snappy(_))));
        let small = SerealDecoder::new().limits(Limits {
            max_body_len: 1000,
            ..Limits::default()
        });
        let mut d = b"=\xf3rl\x15\x00".to_vec();
        d.extend_from_slice(&packed);
        assert_eq!(
            small.decode(&d),
            Err(SerealError::BodyTooLong {
                len: 2004,
                max: 1000
            })
        );
    }

    #[test]
    fn string_bytes_are_bounded_across_copies() {
        let tight = SerealDecoder::new().limits(Limits {
            max_string_bytes: 10,
            ..Limits::default()
        });
        assert!(tight.decode(&doc(b"\x42\xe3abc\x2e\x02")).is_ok());
        assert_eq!(
            tight.decode(&doc(b"\x44\xe3abc\x2e\x02\x2e\x02\x2e\x02")),
            Err(SerealError::TooManyStringBytes(10))
        );
    }

    #[test]
    fn into_serde_types() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Session {
            user: String,
            roles: Vec<String>,
            id: u64,
        }
        let d = doc(b"\x53\x64user\x65alice\x65roles\x41\x65admin\x62id\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
        let s: Session = from_slice_into(&d).unwrap();
        assert_eq!(
            s,
            Session {
                user: "alice".into(),
                roles: vec!["admin".into()],
                id: u64::MAX
            }
        );
        assert!(matches!(
            from_slice_into::<Vec<u8>>(&d),
            Err(SerealError::Shape(_))
        ));
    }
}
