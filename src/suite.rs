//! A suite is one cipher, one serializer, one compressor and a padding policy. The
//! codec registers each under a version number of the application's choosing.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroize as _;

use crate::cipher::Cipher;
use crate::compressor::{Compressor, DecompressError, NoCompression};
use crate::envelope::{self, DESCRIPTOR_LEN, FLAG_COMPRESSED, FLAG_PADDED, Format};
use crate::error::{OpenError, SealError};
use crate::keyring::Keyring;
use crate::serializer::Serializer;
use crate::session_id::SessionId;
use crate::value::{SessionMap, Value};

/// What a format 2 plaintext carries before the session value.
#[derive(Debug, Default)]
pub(crate) struct PlaintextPrefix {
    pub(crate) session_id: Option<SessionId>,
    pub(crate) flash: SessionMap,
}

/// Padding hides the exact plaintext length, which compression would otherwise leak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Padding {
    /// No padding (the default).
    #[default]
    None,
    /// Pad the payload with `0x80` then zeros up to a multiple of this many bytes
    /// (1 to 4096).
    Multiple(usize),
}

/// A cipher, a serializer, a compressor and a padding policy.
///
/// ```
/// # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
/// use sealed_cookie::{Padding, Suite};
/// use sealed_cookie::cipher::XChaCha20Poly1305;
/// use sealed_cookie::serializer::Postcard;
///
/// let suite = Suite::new(XChaCha20Poly1305, Postcard).padding(Padding::Multiple(32));
/// assert_eq!(suite.to_string(), "xchacha20poly1305+postcard+none+pad32");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Suite<C, S, Z = NoCompression> {
    pub(crate) cipher: C,
    pub(crate) serializer: S,
    pub(crate) compressor: Z,
    pub(crate) padding: Padding,
}

impl<C: Cipher, S: Serializer> Suite<C, S, NoCompression> {
    /// A suite without compression or padding.
    #[must_use]
    pub fn new(cipher: C, serializer: S) -> Self {
        Self {
            cipher,
            serializer,
            compressor: NoCompression,
            padding: Padding::None,
        }
    }
}

impl<C: Cipher, S: Serializer, Z: Compressor> Suite<C, S, Z> {
    /// Uses `compressor` when it makes the payload smaller.
    #[must_use]
    pub fn compressor<Z2: Compressor>(self, compressor: Z2) -> Suite<C, S, Z2> {
        Suite {
            cipher: self.cipher,
            serializer: self.serializer,
            compressor,
            padding: self.padding,
        }
    }

    /// Sets the padding policy.
    #[must_use]
    pub fn padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    /// The cipher.
    pub fn cipher(&self) -> &C {
        &self.cipher
    }

    /// The suite's identity as bound into the associated data: cipher id,
    /// serializer id, compressor id, dictionary id (big-endian).
    #[must_use]
    pub fn descriptor(&self) -> [u8; DESCRIPTOR_LEN] {
        let dictionary = self.compressor.dictionary_id().to_be_bytes();
        [
            self.cipher.id(),
            self.serializer.id(),
            self.compressor.id(),
            dictionary[0],
            dictionary[1],
            dictionary[2],
            dictionary[3],
        ]
    }
}

impl<C: Cipher, S: Serializer, Z: Compressor> fmt::Display for Suite<C, S, Z> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}+{}+{}",
            self.cipher.name(),
            self.serializer.name(),
            self.compressor.name()
        )?;
        if self.compressor.dictionary_id() != 0 {
            write!(f, "-dict{:08x}", self.compressor.dictionary_id())?;
        }
        if let Padding::Multiple(block) = self.padding {
            write!(f, "+pad{block}")?;
        }
        Ok(())
    }
}

/// What the codec needs to know of a prepared suite without its types.
#[derive(Debug, Clone)]
pub(crate) struct SuiteInfo {
    pub(crate) name: String,
    pub(crate) descriptor: [u8; DESCRIPTOR_LEN],
    pub(crate) nonce_len: usize,
    pub(crate) tag_len: usize,
    pub(crate) padding: Padding,
}

impl SuiteInfo {
    /// Payload length after padding for `len` bytes of (possibly compressed) plaintext.
    pub(crate) fn padded_len(&self, len: usize) -> usize {
        match self.padding {
            Padding::None => len,
            Padding::Multiple(block) => len.saturating_add(1).div_ceil(block).saturating_mul(block),
        }
    }
}

/// A suite with its key schedules built, erased to the value type `T`.
pub(crate) trait SuiteOps<T>: Send + Sync {
    fn info(&self) -> &SuiteInfo;
    /// Appends `value` to the plaintext that began at `start` in `buf` (format 2
    /// writes the session id and flash messages first), then compresses and pads
    /// the whole plaintext, returning the flags.
    /// Compression is skipped for a plaintext longer than `cap`, which opening
    /// would refuse to decompress.
    fn encode_payload(
        &self,
        value: &T,
        cap: usize,
        buf: &mut Vec<u8>,
        start: usize,
    ) -> Result<u8, SealError>;
    /// Appends a session value (flash messages) as the serializer writes one.
    fn encode_value(&self, value: &Value, buf: &mut Vec<u8>) -> Result<(), SealError>;
    fn seal(
        &self,
        key_index: usize,
        nonce: &[u8],
        aad: &[u8],
        payload: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), SealError>;
    fn open(
        &self,
        key_index: usize,
        nonce: &[u8],
        aad: &[u8],
        payload: &mut [u8],
        tag: &[u8],
    ) -> Result<(), OpenError>;
    /// The value, into `value` (written once, where the caller keeps it), and
    /// what precedes it in a format 2 plaintext.
    fn decode_payload(
        &self,
        format: Format,
        flags: u8,
        payload: &[u8],
        cap: usize,
        value: &mut Option<T>,
    ) -> Result<PlaintextPrefix, OpenError>;
    /// The same suite, with its keys derived from `keyring` instead.
    fn rekeyed(&self, keyring: &Keyring) -> Box<dyn SuiteOps<T>>;
    /// Strips padding and decompresses an authentic payload and hands `f` the
    /// plaintext, without deserializing it.
    fn visit_plaintext(
        &self,
        flags: u8,
        payload: &[u8],
        cap: usize,
        f: &mut dyn FnMut(&[u8]),
    ) -> Result<(), OpenError>;
}

pub(crate) struct Prepared<C: Cipher, S, Z> {
    // Shared, so that a new keyring prepares the same suite again.
    suite: Arc<Suite<C, S, Z>>,
    info: SuiteInfo,
    // In keyring order: index 0 is the primary key.
    keys: Vec<C::Key>,
}

/// Key-derivation label for a cipher's subkey (SPEC.md, "Key derivation").
pub(crate) fn subkey_label(cipher_name: &str, cipher_id: u8) -> String {
    format!("sealed-cookie/1/aead/{cipher_name}/{cipher_id}")
}

impl<C: Cipher, S: Serializer, Z: Compressor> Prepared<C, S, Z> {
    pub(crate) fn new(suite: Suite<C, S, Z>, keyring: &Keyring) -> Self {
        Self::shared(Arc::new(suite), keyring)
    }

    fn shared(suite: Arc<Suite<C, S, Z>>, keyring: &Keyring) -> Self {
        let label = subkey_label(suite.cipher.name(), suite.cipher.id());
        let mut subkey = vec![0u8; suite.cipher.key_len()];
        let keys = keyring
            .keys()
            .map(|key| {
                key.derive(label.as_bytes(), &mut subkey);
                suite.cipher.prepare(&subkey)
            })
            .collect();
        subkey.zeroize();
        let info = SuiteInfo {
            name: suite.to_string(),
            descriptor: suite.descriptor(),
            nonce_len: suite.cipher.nonce_len(),
            tag_len: suite.cipher.tag_len(),
            padding: suite.padding,
        };
        Self { suite, info, keys }
    }
}

impl<T, C, S, Z> SuiteOps<T> for Prepared<C, S, Z>
where
    T: Serialize + DeserializeOwned + 'static,
    C: Cipher,
    S: Serializer,
    Z: Compressor,
{
    fn info(&self) -> &SuiteInfo {
        &self.info
    }

    fn encode_payload(
        &self,
        value: &T,
        cap: usize,
        buf: &mut Vec<u8>,
        start: usize,
    ) -> Result<u8, SealError> {
        // A session value has one encoding per format (SPEC.md, "Session
        // values"), which a serializer may write differently from serde's.
        let serializer = &self.suite.serializer;
        match (value as &dyn Any).downcast_ref::<Value>() {
            Some(value) => serializer.serialize_value(value, buf),
            None => serializer.serialize_into(value, buf),
        }
        .map_err(SealError::Serialize)?;
        let mut flags = 0;
        let compressed = if buf.len() - start <= cap {
            self.suite
                .compressor
                .compress(&buf[start..])
                .map_err(SealError::Compress)?
        } else {
            None
        };
        if let Some(mut compressed) = compressed {
            if compressed.len() < buf.len() - start {
                buf[start..].zeroize();
                buf.truncate(start);
                buf.extend_from_slice(&compressed);
                flags |= FLAG_COMPRESSED;
            }
            compressed.zeroize();
        }
        if let Padding::Multiple(block) = self.suite.padding {
            envelope::pad(buf, start, block);
            flags |= FLAG_PADDED;
        }
        Ok(flags)
    }

    fn encode_value(&self, value: &Value, buf: &mut Vec<u8>) -> Result<(), SealError> {
        self.suite
            .serializer
            .serialize_value(value, buf)
            .map_err(SealError::Serialize)
    }

    fn seal(
        &self,
        key_index: usize,
        nonce: &[u8],
        aad: &[u8],
        payload: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), SealError> {
        self.suite
            .cipher
            .seal_in_place(&self.keys[key_index], nonce, aad, payload, tag)
            .map_err(|_| SealError::Encrypt)
    }

    fn open(
        &self,
        key_index: usize,
        nonce: &[u8],
        aad: &[u8],
        payload: &mut [u8],
        tag: &[u8],
    ) -> Result<(), OpenError> {
        self.suite
            .cipher
            .open_in_place(&self.keys[key_index], nonce, aad, payload, tag)
            .map_err(|_| OpenError::AuthenticationFailed)
    }

    fn decode_payload(
        &self,
        format: Format,
        flags: u8,
        payload: &[u8],
        cap: usize,
        value: &mut Option<T>,
    ) -> Result<PlaintextPrefix, OpenError> {
        let serializer = &self.suite.serializer;
        plaintext_of(&self.suite.compressor, flags, payload, cap, &mut |plain| {
            let parts = envelope::split_plaintext(format, flags, plain)?;
            let flash = match parts.flash {
                None => SessionMap::new(),
                Some(bytes) => match serializer.deserialize_value(bytes) {
                    Ok(Value::Map(map)) => map,
                    Ok(_) => {
                        return Err(OpenError::Deserialize(
                            "the flash messages are not a map".into(),
                        ));
                    }
                    Err(error) => return Err(OpenError::Deserialize(error)),
                },
            };
            // A session `Value` is read by the serializer's own reader, written
            // straight into the caller's slot.
            let slot: &mut dyn Any = value;
            if let Some(slot) = slot.downcast_mut::<Option<Value>>() {
                *slot = Some(
                    serializer
                        .deserialize_value(parts.value)
                        .map_err(OpenError::Deserialize)?,
                );
            } else {
                *value = Some(
                    serializer
                        .deserialize(parts.value)
                        .map_err(OpenError::Deserialize)?,
                );
            }
            Ok(PlaintextPrefix {
                session_id: parts.session_id,
                flash,
            })
        })?
    }

    fn visit_plaintext(
        &self,
        flags: u8,
        payload: &[u8],
        cap: usize,
        f: &mut dyn FnMut(&[u8]),
    ) -> Result<(), OpenError> {
        plaintext_of(&self.suite.compressor, flags, payload, cap, f)
    }

    fn rekeyed(&self, keyring: &Keyring) -> Box<dyn SuiteOps<T>> {
        Box::new(Self::shared(Arc::clone(&self.suite), keyring))
    }
}

/// Strips padding and decompresses an authentic payload, then hands the plaintext
/// to `f`; decompressed bytes are zeroized afterwards.
fn plaintext_of<Z: Compressor, R>(
    compressor: &Z,
    flags: u8,
    payload: &[u8],
    cap: usize,
    f: &mut dyn FnMut(&[u8]) -> R,
) -> Result<R, OpenError> {
    let payload = if flags & FLAG_PADDED != 0 {
        envelope::unpad(payload)?
    } else {
        payload
    };
    if flags & FLAG_COMPRESSED == 0 {
        return Ok(f(payload));
    }
    let mut plain = compressor.decompress(payload, cap).map_err(|e| match e {
        DecompressError::OverCap { cap } => OpenError::DecompressionOverCap { cap },
        DecompressError::Corrupt => OpenError::Decompress,
    })?;
    let result = f(&plain);
    plain.zeroize();
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_len_is_exact_or_saturates() {
        let info = SuiteInfo {
            name: String::new(),
            descriptor: [0; DESCRIPTOR_LEN],
            nonce_len: 0,
            tag_len: 0,
            padding: Padding::Multiple(32),
        };
        assert_eq!(info.padded_len(0), 32);
        assert_eq!(info.padded_len(31), 32);
        assert_eq!(info.padded_len(32), 64);
        assert_eq!(info.padded_len(usize::MAX - 1), usize::MAX);
        assert_eq!(info.padded_len(usize::MAX), usize::MAX);
    }
}
