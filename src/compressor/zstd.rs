//! zstd, with a configurable level, a size threshold and an optional trained
//! dictionary.

use std::sync::{Arc, Mutex};

use sha2::{Digest as _, Sha256};
use zstd::bulk::{Compressor as ZstdEncoder, Decompressor as ZstdDecoder};

use super::{Compressor, DecompressError};
use crate::error::ConfigError;

/// Default zstd level: fast, and within a few bytes of the best ratio on cookie-sized input.
pub const DEFAULT_LEVEL: i32 = 3;
/// Default threshold: shorter plaintexts are not worth a frame header.
pub const DEFAULT_MIN_INPUT: usize = 64;

/// zstd (id 1). Frames record their content size, so opening can refuse an
/// oversized frame before allocating anything.
///
/// ```
/// use sealed_cookie::compressor::{Compressor, Zstd};
/// let zstd = Zstd::new(3).unwrap();
/// let input = b"abcabcabc".repeat(40);
/// let out = zstd.compress(&input).unwrap().unwrap();
/// assert!(out.len() < input.len());
/// assert_eq!(zstd.decompress(&out, 4096).unwrap(), input);
/// assert!(zstd.decompress(&out, 100).is_err()); // over the cap
/// ```
#[derive(Clone)]
pub struct Zstd {
    level: i32,
    min_input: usize,
    dictionary: Option<Arc<[u8]>>,
    dictionary_id: u32,
    // Compression contexts are costly to create; keep a few for reuse. The lock is
    // held only to take or return one, never while compressing.
    encoders: Arc<Mutex<Vec<ZstdEncoder<'static>>>>,
}

impl std::fmt::Debug for Zstd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Zstd")
            .field("level", &self.level)
            .field("min_input", &self.min_input)
            .field("dictionary_id", &self.dictionary_id)
            .finish()
    }
}

const POOL_LIMIT: usize = 16;

impl Default for Zstd {
    /// Level 3, 64-byte threshold, no dictionary.
    fn default() -> Self {
        Self::new(DEFAULT_LEVEL).expect("the default level is valid")
    }
}

impl Zstd {
    /// zstd at `level` (1 to 22), compressing plaintexts of 64 bytes or more.
    ///
    /// # Errors
    /// [`ConfigError::Compressor`] for a level outside 1 to 22.
    pub fn new(level: i32) -> Result<Self, ConfigError> {
        if !(1..=22).contains(&level) {
            return Err(ConfigError::Compressor("zstd level must be 1 to 22"));
        }
        Ok(Self {
            level,
            min_input: DEFAULT_MIN_INPUT,
            dictionary: None,
            dictionary_id: 0,
            encoders: Arc::default(),
        })
    }

    /// Compresses only plaintexts of at least `min_input` bytes.
    #[must_use]
    pub fn min_input(mut self, min_input: usize) -> Self {
        self.min_input = min_input;
        self
    }

    /// Uses a dictionary trained on typical sessions (e.g. with `zstd --train`). Its
    /// identity, the first four bytes of its SHA-256 read as a big-endian integer
    /// (never 0), is part of the suite.
    ///
    /// # Errors
    /// [`ConfigError::Compressor`] if zstd rejects the dictionary.
    pub fn with_dictionary(mut self, dictionary: &[u8]) -> Result<Self, ConfigError> {
        ZstdEncoder::with_dictionary(self.level, dictionary)
            .map_err(|_| ConfigError::Compressor("zstd rejected the dictionary"))?;
        let digest = Sha256::digest(dictionary);
        let id = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        self.dictionary_id = id.max(1);
        self.dictionary = Some(dictionary.into());
        self.encoders = Arc::default();
        Ok(self)
    }

    fn new_encoder(&self) -> std::io::Result<ZstdEncoder<'static>> {
        let mut encoder = match &self.dictionary {
            Some(dictionary) => ZstdEncoder::with_dictionary(self.level, dictionary)?,
            None => ZstdEncoder::new(self.level)?,
        };
        // No checksum: the AEAD already authenticates every byte.
        encoder.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(false))?;
        encoder.set_parameter(zstd::zstd_safe::CParameter::ContentSizeFlag(true))?;
        encoder.set_parameter(zstd::zstd_safe::CParameter::DictIdFlag(false))?;
        Ok(encoder)
    }
}

impl Compressor for Zstd {
    fn id(&self) -> u8 {
        1
    }
    fn dictionary_id(&self) -> u32 {
        self.dictionary_id
    }
    fn name(&self) -> &'static str {
        "zstd"
    }
    fn compress(
        &self,
        input: &[u8],
    ) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>> {
        if input.len() < self.min_input {
            return Ok(None);
        }
        let pooled = self.encoders.lock().ok().and_then(|mut pool| pool.pop());
        let mut encoder = match pooled {
            Some(encoder) => encoder,
            None => self.new_encoder()?,
        };
        let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(input.len()));
        let result = encoder.compress_to_buffer(input, &mut out);
        if let Ok(mut pool) = self.encoders.lock()
            && pool.len() < POOL_LIMIT
        {
            pool.push(encoder);
        }
        result?;
        Ok(Some(out))
    }
    fn decompress(&self, input: &[u8], cap: usize) -> Result<Vec<u8>, DecompressError> {
        // Refuse on the declared size before allocating; zstd then never writes past
        // the buffer it is given, whatever the frame claims.
        let declared = zstd::zstd_safe::get_frame_content_size(input)
            .map_err(|_| DecompressError::Corrupt)?
            .ok_or(DecompressError::Corrupt)?;
        if declared > cap as u64 {
            return Err(DecompressError::OverCap { cap });
        }
        let mut decoder = match &self.dictionary {
            Some(dictionary) => ZstdDecoder::with_dictionary(dictionary),
            None => ZstdDecoder::new(),
        }
        .map_err(|_| DecompressError::Corrupt)?;
        let mut output = Vec::with_capacity(declared as usize);
        let written = decoder
            .decompress_to_buffer(input, &mut output)
            .map_err(|_| DecompressError::Corrupt)?;
        if written as u64 != declared {
            return Err(DecompressError::Corrupt);
        }
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_input_is_declined() {
        assert_eq!(Zstd::new(3).unwrap().compress(&[0; 10]).unwrap(), None);
        let input = vec![b'x'; 1000];
        let out = Zstd::new(3).unwrap().compress(&input).unwrap().unwrap();
        assert_eq!(Zstd::new(3).unwrap().decompress(&out, 1000).unwrap(), input);
    }

    #[test]
    fn bomb_hits_cap_without_allocating() {
        let zstd = Zstd::new(19).unwrap();
        let input = vec![0u8; 8 << 20];
        let bomb = zstd.compress(&input).unwrap().unwrap();
        assert!(bomb.len() < 1024, "{} bytes", bomb.len());
        assert_eq!(
            zstd.decompress(&bomb, 65536),
            Err(DecompressError::OverCap { cap: 65536 })
        );
    }

    #[test]
    fn bad_levels_and_garbage_are_errors() {
        assert!(Zstd::new(0).is_err());
        assert!(Zstd::new(23).is_err());
        let zstd = Zstd::new(3).unwrap();
        for len in 0..64 {
            let garbage: Vec<u8> = (0..len).map(|i| (i * 37) as u8).collect();
            assert!(zstd.decompress(&garbage, 1 << 16).is_err());
        }
    }

    #[test]
    fn dictionary_changes_identity_and_roundtrips() {
        let samples: Vec<Vec<u8>> = (0..200)
            .map(|i| {
                format!("{{\"user\":{i},\"role\":\"editor\",\"theme\":\"dark\"}}").into_bytes()
            })
            .collect();
        let dictionary = zstd::dict::from_samples(&samples, 1024).unwrap();
        let zstd = Zstd::new(3)
            .unwrap()
            .min_input(1)
            .with_dictionary(&dictionary)
            .unwrap();
        assert_ne!(zstd.dictionary_id(), 0);
        let out = zstd.compress(&samples[5]).unwrap().unwrap();
        assert_eq!(zstd.decompress(&out, 4096).unwrap(), samples[5]);
        let plain = Zstd::new(3).unwrap();
        assert!(plain.decompress(&out, 4096).is_err());
    }
}
