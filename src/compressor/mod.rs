//! Compressors shrink the plaintext before encryption. Compression is applied only
//! when it makes the payload smaller, and decompression runs only after the AEAD
//! tag verified, under a cap.
//!
//! Compressing secrets next to attacker-influenced data can leak the secrets
//! through the cookie's length (CRIME/BREACH). See SPEC.md and the padding option.

mod none;
#[cfg(feature = "zstd")]
mod zstd;

pub use self::none::NoCompression;
#[cfg(feature = "zstd")]
pub use self::zstd::{
    DEFAULT_LEVEL as ZSTD_DEFAULT_LEVEL, DEFAULT_MIN_INPUT as ZSTD_DEFAULT_MIN_INPUT, Zstd,
};

/// Why decompression failed.
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecompressError {
    /// The output would pass the cap.
    #[error("decompressed size would exceed the cap of {cap} bytes")]
    OverCap {
        /// The cap that was hit.
        cap: usize,
    },
    /// The input is not valid compressed data for this compressor.
    #[error("corrupt compressed data")]
    Corrupt,
}

/// A lossless compressor.
///
/// Ids 1 to 127 are reserved for this crate; applications pick theirs from 128 to
/// 255; 0 means no compression.
///
/// ```
/// use sealed_cookie::compressor::{Compressor, NoCompression};
/// assert_eq!(NoCompression.compress(b"abc").unwrap(), None);
/// ```
pub trait Compressor: Send + Sync + 'static {
    /// Stable numeric id, bound into the associated data (0: no compression).
    fn id(&self) -> u8;
    /// Identity of the dictionary in use (0 for none), bound into the associated
    /// data, so a cookie compressed with one dictionary never meets another.
    fn dictionary_id(&self) -> u32 {
        0
    }
    /// Human-readable name.
    fn name(&self) -> &'static str;
    /// The compressed form of `input`, or `None` when the compressor declines, e.g.
    /// for short input. The codec keeps the result only if it is smaller than `input`.
    ///
    /// # Errors
    /// When the compressor fails.
    fn compress(
        &self,
        input: &[u8],
    ) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>>;
    /// Decompresses `input`, allocating and producing at most `cap` bytes.
    ///
    /// # Errors
    /// [`DecompressError::OverCap`] past the cap, [`DecompressError::Corrupt`] on bad input.
    fn decompress(&self, input: &[u8], cap: usize) -> Result<Vec<u8>, DecompressError>;
}

debug_as_message!(DecompressError);
