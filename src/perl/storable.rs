//! A bounded decoder for Perl's `Storable` (`freeze` and `nfreeze` images, binary
//! major version 2), enough for the sessions old `Dancer::Session::Cookie`
//! versions froze: hashes, arrays, references, strings, numbers, booleans and
//! `undef`, blessed or not.
//!
//! Every length is checked against the bytes that remain before anything is
//! allocated, nesting is bounded, and items and string bytes are counted against
//! [`Limits`], as for [`SerealDecoder`](super::SerealDecoder). Shared references
//! (`SX_OBJECT`), tied data, hooks, code, regexps and v-strings are refused.
//!
//! ```
//! use sealed_cookie::perl::storable::StorableDecoder;
//! use sealed_cookie::Value;
//!
//! // perl -MStorable=nfreeze -e 'print nfreeze({ user => "alice", n => 42 })'
//! let image = b"\x05\x0b\x03\x00\x00\x00\x02\x08\xaa\x00\x00\x00\x01n\
//!               \x0a\x05alice\x00\x00\x00\x04user";
//! let session = StorableDecoder::new().decode(image)?;
//! assert_eq!(session.get("user"), Some(&Value::from("alice")));
//! assert_eq!(session.get("n"), Some(&Value::from(42)));
//! # Ok::<(), sealed_cookie::perl::storable::StorableError>(())
//! ```

use std::collections::BTreeMap;

use super::sereal::{BinaryStrings, Limits, MAX_DEPTH, Objects};
use crate::Value;

/// Why a `Storable` image could not be decoded.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorableError {
    /// The image does not start with a `Storable` binary major version 2 header.
    #[error("not a Storable image (major version {0}; 2 is read)")]
    BadHeader(u8),
    /// The image comes from a later `Storable` than this decoder knows.
    #[error("Storable minor version {0} is newer than this decoder reads (up to 12)")]
    FutureMinor(u8),
    /// A native image from a machine whose integers or floats this decoder does
    /// not read.
    #[error("Storable native image of an unsupported machine: {0}")]
    Machine(&'static str),
    /// The image ends in the middle of an item.
    #[error("the Storable image is truncated")]
    Truncated,
    /// A marker this decoder does not read.
    #[error("unsupported Storable marker {marker} ({name}) at offset {offset}")]
    Unsupported {
        /// The marker byte.
        marker: u8,
        /// Its name in Storable's source.
        name: &'static str,
        /// Where it is.
        offset: usize,
    },
    /// A length field is negative or larger than what remains of the image.
    #[error("a Storable length at offset {0} is out of range")]
    BadLength(usize),
    /// A UTF-8 string or key is not valid UTF-8.
    #[error("a Storable UTF-8 string at offset {0} is not valid UTF-8")]
    InvalidUtf8(usize),
    /// An index names a class that was not given before.
    #[error("a Storable class index at offset {0} names no earlier class")]
    BadClassIndex(usize),
    /// A blessed reference below the top level, and objects are refused.
    #[error("the Storable image holds a Perl object (class {0:?}) and objects are refused")]
    ObjectRefused(String),
    /// Nesting is deeper than the limit.
    #[error("Storable data nests deeper than {0} levels")]
    TooDeep(usize),
    /// More items than [`Limits::max_items`].
    #[error("Storable data has more than {0} items (the decoder's Limits::max_items)")]
    TooManyItems(usize),
    /// More string bytes than [`Limits::max_string_bytes`].
    #[error(
        "Storable data has more than {0} bytes of strings (the decoder's Limits::max_string_bytes)"
    )]
    TooManyStringBytes(usize),
    /// The image is longer than [`Limits::max_body_len`].
    #[error("the Storable image is {len} bytes; at most {max} are accepted")]
    TooLong {
        /// The image's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Bytes remain after the top-level item.
    #[error("{0} bytes of trailing data after the Storable image")]
    TrailingData(usize),
}

// Markers, as Storable.xs names them.
const SX_OBJECT: u8 = 0;
const SX_LSCALAR: u8 = 1;
const SX_ARRAY: u8 = 2;
const SX_HASH: u8 = 3;
const SX_REF: u8 = 4;
const SX_UNDEF: u8 = 5;
const SX_INTEGER: u8 = 6;
const SX_DOUBLE: u8 = 7;
const SX_BYTE: u8 = 8;
const SX_NETINT: u8 = 9;
const SX_SCALAR: u8 = 10;
const SX_SV_UNDEF: u8 = 14;
const SX_SV_YES: u8 = 15;
const SX_SV_NO: u8 = 16;
const SX_BLESS: u8 = 17;
const SX_IX_BLESS: u8 = 18;
const SX_OVERLOAD: u8 = 20;
const SX_UTF8STR: u8 = 23;
const SX_LUTF8STR: u8 = 24;
const SX_FLAG_HASH: u8 = 25;
const SX_WEAKREF: u8 = 27;
const SX_WEAKOVERLOAD: u8 = 28;
const SX_SVUNDEF_ELEM: u8 = 31;
const SX_BOOLEAN_TRUE: u8 = 34;
const SX_BOOLEAN_FALSE: u8 = 35;

// Hash key flags of SX_FLAG_HASH.
const SHV_K_UTF8: u8 = 0x01;
const SHV_K_PLACEHOLDER: u8 = 0x08;
const SHV_K_ISSV: u8 = 0x10;

fn marker_name(marker: u8) -> &'static str {
    match marker {
        SX_OBJECT => "SX_OBJECT (shared reference)",
        11 => "SX_TIED_ARRAY",
        12 => "SX_TIED_HASH",
        13 => "SX_TIED_SCALAR",
        19 => "SX_HOOK",
        21 => "SX_TIED_KEY",
        22 => "SX_TIED_IDX",
        26 => "SX_CODE",
        29 => "SX_VSTRING",
        30 => "SX_LVSTRING",
        32 => "SX_REGEXP",
        33 => "SX_LOBJECT",
        _ => "unknown",
    }
}

/// Decodes `Storable` images into [`Value`]s, within [`Limits`].
#[derive(Debug, Clone, Copy, Default)]
pub struct StorableDecoder {
    limits: Limits,
    binary_strings: BinaryStrings,
    objects: Objects,
}

impl StorableDecoder {
    /// A decoder with the default limits, Latin-1 binary strings, and objects
    /// refused below the top level (the top-level value may be blessed: a
    /// session object).
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

    /// Sets how strings without Perl's UTF-8 flag become text.
    #[must_use]
    pub fn binary_strings(mut self, policy: BinaryStrings) -> Self {
        self.binary_strings = policy;
        self
    }

    /// Sets what happens to blessed references below the top level.
    #[must_use]
    pub fn objects(mut self, policy: Objects) -> Self {
        self.objects = policy;
        self
    }

    /// Decodes a whole image (`Storable::freeze` or `nfreeze`).
    ///
    /// # Errors
    /// A [`StorableError`] for anything not a well-formed image within the limits.
    pub fn decode(&self, image: &[u8]) -> Result<Value, StorableError> {
        if image.len() > self.limits.max_body_len {
            return Err(StorableError::TooLong {
                len: image.len(),
                max: self.limits.max_body_len,
            });
        }
        let (machine, start) = header(image)?;
        let mut parser = Parser {
            image,
            machine,
            opts: *self,
            classes: Vec::new(),
            items: 0,
            string_bytes: 0,
            containers: 0,
        };
        let mut pos = start;
        let value = parser.item(&mut pos, 0, true)?;
        match image.len() - pos {
            0 => Ok(value),
            extra => Err(StorableError::TrailingData(extra)),
        }
    }
}

/// How the image's numbers are laid out.
#[derive(Debug, Clone, Copy)]
struct Machine {
    /// Network order (`nfreeze`): big-endian 32-bit lengths, no native numbers.
    network: bool,
    big_endian: bool,
    /// Bytes of a native integer (`SX_INTEGER`): 4 or 8.
    iv_size: usize,
}

fn header(image: &[u8]) -> Result<(Machine, usize), StorableError> {
    let (&first, rest) = image.split_first().ok_or(StorableError::Truncated)?;
    if first >> 1 != 2 {
        return Err(StorableError::BadHeader(first >> 1));
    }
    let network = first & 1 == 1;
    let (&minor, rest) = rest.split_first().ok_or(StorableError::Truncated)?;
    if minor > 12 {
        return Err(StorableError::FutureMinor(minor));
    }
    if network {
        return Ok((
            Machine {
                network,
                big_endian: true,
                iv_size: 4,
            },
            2,
        ));
    }
    let (&order_len, rest) = rest.split_first().ok_or(StorableError::Truncated)?;
    let order = rest
        .get(..usize::from(order_len))
        .ok_or(StorableError::Truncated)?;
    let (big_endian, iv_size) = match order {
        b"1234" => (false, 4),
        b"12345678" => (false, 8),
        b"4321" => (true, 4),
        b"87654321" => (true, 8),
        _ => {
            return Err(StorableError::Machine(
                "byte order is not 1234, 4321 or 64-bit",
            ));
        }
    };
    // sizeof(int), sizeof(long), sizeof(char *), then (minor 2 and later) sizeof(NV).
    let sizes_len = if minor >= 2 { 4 } else { 3 };
    let sizes = rest
        .get(usize::from(order_len)..usize::from(order_len) + sizes_len)
        .ok_or(StorableError::Truncated)?;
    if sizes[0] != 4 {
        return Err(StorableError::Machine("int is not 4 bytes"));
    }
    if minor >= 2 && sizes[3] != 8 {
        return Err(StorableError::Machine("NV is not an 8-byte double"));
    }
    Ok((
        Machine {
            network,
            big_endian,
            iv_size,
        },
        3 + usize::from(order_len) + sizes_len,
    ))
}

struct Parser<'a> {
    image: &'a [u8],
    machine: Machine,
    opts: StorableDecoder,
    /// Class names seen, for `SX_IX_BLESS`.
    classes: Vec<String>,
    items: usize,
    string_bytes: usize,
    /// Arrays and hashes enclosing the current item.
    containers: usize,
}

impl<'a> Parser<'a> {
    fn take(&self, pos: &mut usize, len: usize) -> Result<&'a [u8], StorableError> {
        let image: &'a [u8] = self.image;
        let bytes = image
            .get(*pos..pos.saturating_add(len))
            .ok_or(StorableError::Truncated)?;
        *pos += len;
        Ok(bytes)
    }

    fn byte(&self, pos: &mut usize) -> Result<u8, StorableError> {
        Ok(self.take(pos, 1)?[0])
    }

    /// A 32-bit length in the image's order, no larger than what remains.
    fn length(&self, pos: &mut usize) -> Result<usize, StorableError> {
        let at = *pos;
        let bytes: [u8; 4] = self.take(pos, 4)?.try_into().unwrap_or([0; 4]);
        let len = if self.machine.big_endian {
            i32::from_be_bytes(bytes)
        } else {
            i32::from_le_bytes(bytes)
        };
        usize::try_from(len)
            .ok()
            .filter(|&len| len <= self.image.len() - *pos)
            .ok_or(StorableError::BadLength(at))
    }

    fn count_item(&mut self) -> Result<(), StorableError> {
        self.items += 1;
        if self.items > self.opts.limits.max_items {
            return Err(StorableError::TooManyItems(self.opts.limits.max_items));
        }
        Ok(())
    }

    fn text(&mut self, bytes: &[u8], utf8: bool, at: usize) -> Result<String, StorableError> {
        self.string_bytes = self.string_bytes.saturating_add(bytes.len());
        if self.string_bytes > self.opts.limits.max_string_bytes {
            return Err(StorableError::TooManyStringBytes(
                self.opts.limits.max_string_bytes,
            ));
        }
        self.opts
            .binary_strings
            .text(bytes, utf8)
            .ok_or(StorableError::InvalidUtf8(at))
    }

    fn string(&mut self, pos: &mut usize, long: bool, utf8: bool) -> Result<Value, StorableError> {
        let at = *pos;
        let len = if long {
            self.length(pos)?
        } else {
            usize::from(self.byte(pos)?)
        };
        let bytes = self.take(pos, len)?;
        Ok(Value::String(self.text(bytes, utf8, at)?))
    }

    /// Reads a class name, keeps it for `SX_IX_BLESS`, and gives its index.
    fn class_name(&mut self, pos: &mut usize) -> Result<usize, StorableError> {
        let at = *pos;
        let len = match self.byte(pos)? {
            short if short & 0x80 == 0 => usize::from(short),
            _ => self.length(pos)?,
        };
        let bytes = self.take(pos, len)?;
        let name = self.text(bytes, false, at)?;
        self.classes.push(name);
        Ok(self.classes.len() - 1)
    }

    /// Reads the index of a class named before (never copying its name).
    fn class_index(&mut self, pos: &mut usize) -> Result<usize, StorableError> {
        let at = *pos;
        let index = match self.byte(pos)? {
            short if short & 0x80 == 0 => usize::from(short),
            _ => self.length(pos)?,
        };
        if index < self.classes.len() {
            Ok(index)
        } else {
            Err(StorableError::BadClassIndex(at))
        }
    }

    fn integer(&self, pos: &mut usize) -> Result<Value, StorableError> {
        let bytes = self.take(pos, self.machine.iv_size)?;
        let mut wide = [0u8; 8];
        let value = if self.machine.iv_size == 4 {
            wide[..4].copy_from_slice(bytes);
            let narrow: [u8; 4] = wide[..4].try_into().unwrap_or([0; 4]);
            i64::from(if self.machine.big_endian {
                i32::from_be_bytes(narrow)
            } else {
                i32::from_le_bytes(narrow)
            })
        } else {
            wide.copy_from_slice(bytes);
            if self.machine.big_endian {
                i64::from_be_bytes(wide)
            } else {
                i64::from_le_bytes(wide)
            }
        };
        Ok(Value::Int(value))
    }

    fn double(&self, pos: &mut usize) -> Result<Value, StorableError> {
        let bytes: [u8; 8] = self.take(pos, 8)?.try_into().unwrap_or([0; 8]);
        Ok(Value::Float(if self.machine.big_endian {
            f64::from_be_bytes(bytes)
        } else {
            f64::from_le_bytes(bytes)
        }))
    }

    fn check_depth(&self, depth: usize) -> Result<(), StorableError> {
        // Containers must also fit in a sealable value.
        let max = self.opts.limits.max_depth.min(MAX_DEPTH);
        if depth > max {
            return Err(StorableError::TooDeep(max));
        }
        Ok(())
    }

    /// Enters an array or hash: at most [`Value::MAX_DEPTH`] nest, so that every
    /// decoded value also seals.
    fn enter(&mut self) -> Result<(), StorableError> {
        if self.containers >= Value::MAX_DEPTH {
            return Err(StorableError::TooDeep(Value::MAX_DEPTH));
        }
        self.containers += 1;
        Ok(())
    }

    fn array(&mut self, pos: &mut usize, depth: usize) -> Result<Value, StorableError> {
        self.enter()?;
        let count = self.length(pos)?;
        let mut items = Vec::with_capacity(count.min(256));
        for _ in 0..count {
            items.push(self.item(pos, depth + 1, false)?);
        }
        self.containers -= 1;
        Ok(Value::Array(items))
    }

    fn hash(
        &mut self,
        pos: &mut usize,
        depth: usize,
        flagged: bool,
    ) -> Result<Value, StorableError> {
        self.enter()?;
        if flagged {
            let _hash_flags = self.byte(pos)?;
        }
        let count = self.length(pos)?;
        let mut map = BTreeMap::new();
        for _ in 0..count {
            let value = self.item(pos, depth + 1, false)?;
            let flags = if flagged { self.byte(pos)? } else { 0 };
            let key = if flags & SHV_K_ISSV != 0 {
                let at = *pos;
                match self.item(pos, depth + 1, false)? {
                    Value::String(key) => key,
                    _ => {
                        return Err(StorableError::Unsupported {
                            marker: flags,
                            name: "a hash key that is not a string",
                            offset: at,
                        });
                    }
                }
            } else {
                let at = *pos;
                let len = self.length(pos)?;
                let bytes = self.take(pos, len)?;
                self.count_item()?;
                self.text(bytes, flags & SHV_K_UTF8 != 0, at)?
            };
            // Restricted hashes keep deleted keys as placeholders.
            if flags & SHV_K_PLACEHOLDER == 0 {
                map.insert(key, value);
            }
        }
        self.containers -= 1;
        Ok(Value::Map(map))
    }

    /// Reads one item; `top` is the image's root, the one place an object
    /// (the session) is always accepted.
    fn item(&mut self, pos: &mut usize, depth: usize, top: bool) -> Result<Value, StorableError> {
        self.check_depth(depth)?;
        self.count_item()?;
        let at = *pos;
        let marker = self.byte(pos)?;
        Ok(match marker {
            SX_LSCALAR => self.string(pos, true, false)?,
            SX_SCALAR => self.string(pos, false, false)?,
            SX_LUTF8STR => self.string(pos, true, true)?,
            SX_UTF8STR => self.string(pos, false, true)?,
            SX_ARRAY => self.array(pos, depth)?,
            SX_HASH => self.hash(pos, depth, false)?,
            SX_FLAG_HASH => self.hash(pos, depth, true)?,
            // A reference is its referent: sessions hold data, not aliases.
            SX_REF | SX_WEAKREF | SX_OVERLOAD | SX_WEAKOVERLOAD => {
                self.item(pos, depth + 1, top)?
            }
            SX_UNDEF | SX_SV_UNDEF | SX_SVUNDEF_ELEM => Value::Null,
            SX_SV_YES | SX_BOOLEAN_TRUE => Value::Bool(true),
            SX_SV_NO | SX_BOOLEAN_FALSE => Value::Bool(false),
            SX_BYTE => Value::Int(i64::from(self.byte(pos)?) - 128),
            SX_INTEGER if !self.machine.network => self.integer(pos)?,
            SX_NETINT => {
                let bytes: [u8; 4] = self.take(pos, 4)?.try_into().unwrap_or([0; 4]);
                Value::Int(i64::from(i32::from_be_bytes(bytes)))
            }
            SX_DOUBLE if !self.machine.network => self.double(pos)?,
            SX_BLESS | SX_IX_BLESS => {
                let class = if marker == SX_BLESS {
                    self.class_name(pos)?
                } else {
                    self.class_index(pos)?
                };
                if !top && self.opts.objects == Objects::Refuse {
                    return Err(StorableError::ObjectRefused(self.classes[class].clone()));
                }
                self.item(pos, depth + 1, top)?
            }
            other => {
                return Err(StorableError::Unsupported {
                    marker: other,
                    name: match other {
                        SX_INTEGER => "SX_INTEGER in a network-order image",
                        SX_DOUBLE => "SX_DOUBLE in a network-order image",
                        _ => marker_name(other),
                    },
                    offset: at,
                });
            }
        })
    }
}

debug_as_message!(StorableError);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unhex as hex;

    /// `Storable::freeze` of a blessed session on x86_64 Linux (Storable 3.26):
    /// perl -MStorable -e 'print Storable::freeze(bless { user => "alice",
    ///   n => 42, big => 1234567890123, neg => -5, f => 1.5,
    ///   list => [1, "two", undef], nested => { a => { b => "c" } },
    ///   u => "caf\x{e9}", w => "\x{263a}", id => "1234" },
    ///   "Dancer::Session::Cookie")'
    const FROZEN: &str = "040b08313233343536373804080808111744616e6365723a3a53657373696f6e3a3a436f6f6b6965030a0000001703e298ba010000007707000000000000f83f010000006608aa010000006e04020300000008810a0374776f05040000006c6973740a05616c69636504000000757365720a04313233340200000069640a04636166e901000000750403010000000403010000000a016301000000620100000061060000006e657374656406cb04fb711f01000003000000626967087b030000006e6567";

    #[test]
    fn a_frozen_session_decodes_with_every_type() {
        let value = StorableDecoder::new().decode(&hex(FROZEN)).unwrap();
        let json = serde_json::to_value(&value).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "user": "alice", "n": 42, "big": 1_234_567_890_123_i64, "neg": -5,
                "f": 1.5, "list": [1, "two", null], "nested": {"a": {"b": "c"}},
                "u": "caf\u{e9}", "w": "\u{263a}", "id": "1234"
            })
        );
    }

    #[test]
    fn every_truncation_and_trailing_byte_is_an_error() {
        let image = hex(FROZEN);
        let decoder = StorableDecoder::new();
        for len in 0..image.len() {
            assert!(decoder.decode(&image[..len]).is_err(), "prefix of {len}");
        }
        let mut longer = image.clone();
        longer.push(0);
        assert_eq!(decoder.decode(&longer), Err(StorableError::TrailingData(1)));
    }

    #[test]
    fn nested_objects_follow_the_policy_and_shared_references_are_refused() {
        // nfreeze([bless({}, "X")])
        let object = b"\x05\x0b\x04\x02\x00\x00\x00\x01\x04\x11\x01X\x03\x00\x00\x00\x00";
        assert_eq!(
            StorableDecoder::new().decode(object),
            Err(StorableError::ObjectRefused("X".into()))
        );
        let unblessed = StorableDecoder::new()
            .objects(Objects::Unbless)
            .decode(object);
        assert_eq!(
            unblessed,
            Ok(Value::Array(vec![Value::Map(BTreeMap::new())]))
        );
        // nfreeze: my $h = {}; [$h, $h]
        let shared =
            b"\x05\x0b\x04\x02\x00\x00\x00\x02\x04\x03\x00\x00\x00\x00\x00\x00\x00\x00\x02";
        assert!(matches!(
            StorableDecoder::new().decode(shared),
            Err(StorableError::Unsupported { marker: 0, .. })
        ));
    }

    #[test]
    fn lengths_beyond_the_image_and_deep_nesting_are_refused_without_allocating() {
        let huge = b"\x05\x0b\x02\x7f\xff\xff\xff";
        assert_eq!(
            StorableDecoder::new().decode(huge),
            Err(StorableError::BadLength(3))
        );
        let negative = b"\x05\x0b\x01\xff\xff\xff\xff";
        assert_eq!(
            StorableDecoder::new().decode(negative),
            Err(StorableError::BadLength(3))
        );
        let mut deep = b"\x05\x0b".to_vec();
        deep.extend(std::iter::repeat_n(SX_REF, 10_000));
        deep.push(SX_UNDEF);
        assert!(matches!(
            StorableDecoder::new().decode(&deep),
            Err(StorableError::TooDeep(_))
        ));
        assert!(matches!(
            StorableDecoder::new().decode(b"\x07\x0b"),
            Err(StorableError::BadHeader(3))
        ));
    }
}
