//! No compression.

use super::{Compressor, DecompressError};

/// Never compresses (id 0). The right choice when the session holds secrets next to
/// attacker-influenced data and length must not leak.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoCompression;

impl Compressor for NoCompression {
    fn id(&self) -> u8 {
        0
    }
    fn name(&self) -> &'static str {
        "none"
    }
    fn compress(
        &self,
        _input: &[u8],
    ) -> Result<Option<Vec<u8>>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(None)
    }
    fn decompress(&self, _input: &[u8], _cap: usize) -> Result<Vec<u8>, DecompressError> {
        // A payload flagged as compressed can only come from a suite with a compressor.
        Err(DecompressError::Corrupt)
    }
}
