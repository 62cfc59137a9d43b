//! AES-256-SIV: nonce-misuse resistant; a repeated nonce reveals only that two
//! plaintexts were equal, never the key stream.

use aead::KeyInit as _;
use aes_siv::siv::Aes256Siv as Siv;
use zeroize::Zeroizing;

use super::{AeadError, Cipher};

/// AES-256-SIV (CMAC-SIV, RFC 5297, id 3): 64-byte key, 16-byte random nonce, and
/// the 16-byte synthetic IV stored as the tag. The associated data and the nonce
/// are the two SIV header strings, in that order.
///
/// ```
/// use sealed_cookie::cipher::{Aes256Siv, Cipher};
/// assert_eq!((Aes256Siv.id(), Aes256Siv.key_len()), (3, 64));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Aes256Siv;

/// The raw subkey: SIV runs its key schedule per message (its MAC state is
/// consumed), and the per-message state zeroizes itself on drop.
pub struct SivKey(Zeroizing<[u8; 64]>);

// `Zeroizing` wipes the subkey when the key is dropped.
impl zeroize::ZeroizeOnDrop for SivKey {}

impl Cipher for Aes256Siv {
    type Key = SivKey;

    fn id(&self) -> u8 {
        3
    }
    fn name(&self) -> &'static str {
        "aes256siv"
    }
    fn key_len(&self) -> usize {
        64
    }
    fn nonce_len(&self) -> usize {
        16
    }
    fn tag_len(&self) -> usize {
        16
    }
    fn prepare(&self, subkey: &[u8]) -> SivKey {
        let mut key = Zeroizing::new([0u8; 64]);
        key.copy_from_slice(subkey);
        SivKey(key)
    }
    fn seal_in_place(
        &self,
        key: &SivKey,
        nonce: &[u8],
        associated_data: &[u8],
        buffer: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), AeadError> {
        let mut siv = Siv::new_from_slice(key.0.as_ref()).map_err(|_| AeadError)?;
        let computed = siv
            .encrypt_inout_detached([associated_data, nonce], buffer.into())
            .map_err(|_| AeadError)?;
        tag.copy_from_slice(&computed);
        Ok(())
    }
    fn open_in_place(
        &self,
        key: &SivKey,
        nonce: &[u8],
        associated_data: &[u8],
        buffer: &mut [u8],
        tag: &[u8],
    ) -> Result<(), AeadError> {
        let tag = aes_siv::Tag::try_from(tag).map_err(|_| AeadError)?;
        let mut siv = Siv::new_from_slice(key.0.as_ref()).map_err(|_| AeadError)?;
        siv.decrypt_inout_detached([associated_data, nonce], buffer.into(), &tag)
            .map_err(|_| AeadError)
    }
}
