//! XChaCha20-Poly1305: the default. Its 192-bit random nonce makes collisions
//! negligible for any realistic number of cookies per key.
//!
//! The construction of draft-irtf-cfrg-xchacha (section 2.3): HChaCha20 of the
//! key and the nonce's first 16 bytes gives a subkey, and ChaCha20-Poly1305
//! (RFC 8439) under that subkey seals with the nonce `0000 || nonce[16..24]`.
//! HChaCha20 comes from RustCrypto's `chacha20`, ChaCha20-Poly1305 from `ring`,
//! whose assembly (from BoringSSL) is fast on short messages, where the
//! runtime-detected AVX2 Poly1305 of RustCrypto's `poly1305` spends more time
//! setting up than hashing a cookie. The bytes on the wire are the same as
//! `chacha20poly1305::XChaCha20Poly1305`'s.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, Tag, UnboundKey};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{AeadError, Cipher};

/// XChaCha20-Poly1305 (id 1): 32-byte key, 24-byte random nonce, 16-byte tag.
///
/// ```
/// use sealed_cookie::cipher::{Cipher, XChaCha20Poly1305};
/// assert_eq!((XChaCha20Poly1305.id(), XChaCha20Poly1305.nonce_len()), (1, 24));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct XChaCha20Poly1305;

/// A prepared XChaCha20-Poly1305 key: its 32 bytes, wiped on drop. Every
/// message derives its own ChaCha20-Poly1305 key from them and its nonce.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct XChaChaKey([u8; 32]);

/// Runs `f` with the message's ChaCha20-Poly1305 key and 12-byte nonce, made
/// in place (the key is large enough that moving it shows in a profile).
///
/// `ring` holds the subkey for the length of one call and does not wipe it;
/// the copy made here is wiped.
fn with_message_key<R>(
    key: &XChaChaKey,
    nonce: &[u8],
    f: impl FnOnce(&LessSafeKey, Nonce) -> Result<R, AeadError>,
) -> Result<R, AeadError> {
    let nonce: &[u8; 24] = nonce.try_into().map_err(|_| AeadError)?;
    let (prefix, suffix) = nonce.split_at(16);
    let prefix: &[u8; 16] = prefix.try_into().map_err(|_| AeadError)?;
    let subkey = Zeroizing::new(<[u8; 32]>::from(chacha20::hchacha::<chacha20::R20>(
        (&key.0).into(),
        prefix.into(),
    )));
    let mut short = [0u8; 12];
    short[4..].copy_from_slice(suffix);
    let key =
        LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &subkey[..]).map_err(|_| AeadError)?);
    f(&key, Nonce::assume_unique_for_key(short))
}

impl Cipher for XChaCha20Poly1305 {
    type Key = XChaChaKey;

    fn id(&self) -> u8 {
        1
    }
    fn name(&self) -> &'static str {
        "xchacha20poly1305"
    }
    fn key_len(&self) -> usize {
        32
    }
    fn nonce_len(&self) -> usize {
        24
    }
    fn tag_len(&self) -> usize {
        16
    }
    fn prepare(&self, subkey: &[u8]) -> XChaChaKey {
        XChaChaKey(
            subkey
                .try_into()
                .expect("the codec derives subkeys of exactly key_len bytes"),
        )
    }
    fn seal_in_place(
        &self,
        key: &XChaChaKey,
        nonce: &[u8],
        associated_data: &[u8],
        buffer: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), AeadError> {
        if tag.len() != 16 {
            return Err(AeadError);
        }
        with_message_key(key, nonce, |key, nonce| {
            let computed = key
                .seal_in_place_separate_tag(nonce, Aad::from(associated_data), buffer)
                .map_err(|_| AeadError)?;
            tag.copy_from_slice(computed.as_ref());
            Ok(())
        })
    }
    fn open_in_place(
        &self,
        key: &XChaChaKey,
        nonce: &[u8],
        associated_data: &[u8],
        buffer: &mut [u8],
        tag: &[u8],
    ) -> Result<(), AeadError> {
        // Full 16-byte tags only: a truncated tag never verifies.
        let tag: [u8; 16] = tag.try_into().map_err(|_| AeadError)?;
        with_message_key(key, nonce, |key, nonce| {
            key.open_in_place_separate_tag(
                nonce,
                Aad::from(associated_data),
                Tag::from(tag),
                buffer,
                0..,
            )
            .map(|_| ())
            .map_err(|_| AeadError)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unhex as hex;

    /// draft-irtf-cfrg-xchacha-03, appendix A.3.1.
    #[test]
    fn the_draft_vector_seals_and_opens() {
        let key = XChaCha20Poly1305.prepare(&hex(
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
        ));
        let nonce = hex("404142434445464748494a4b4c4d4e4f5051525354555657");
        let aad = hex("50515253c0c1c2c3c4c5c6c7");
        let plaintext = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let mut buffer = plaintext.to_vec();
        let mut tag = [0u8; 16];
        XChaCha20Poly1305
            .seal_in_place(&key, &nonce, &aad, &mut buffer, &mut tag)
            .unwrap();
        assert_eq!(
            buffer,
            hex(
                "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
            )
        );
        assert_eq!(tag.to_vec(), hex("c0875924c1c7987947deafd8780acf49"));
        XChaCha20Poly1305
            .open_in_place(&key, &nonce, &aad, &mut buffer, &tag)
            .unwrap();
        assert_eq!(buffer, plaintext);
    }

    #[test]
    fn wrong_lengths_are_refused() {
        let key = XChaCha20Poly1305.prepare(&[7; 32]);
        let mut buffer = *b"x";
        let mut tag = [0u8; 16];
        for nonce in [&[0u8; 23][..], &[0u8; 25][..], &[][..]] {
            assert!(
                XChaCha20Poly1305
                    .seal_in_place(&key, nonce, b"", &mut buffer, &mut tag)
                    .is_err()
            );
        }
        XChaCha20Poly1305
            .seal_in_place(&key, &[0; 24], b"", &mut buffer, &mut tag)
            .unwrap();
        assert!(
            XChaCha20Poly1305
                .open_in_place(&key, &[0; 24], b"", &mut buffer, &tag[..15])
                .is_err()
        );
        assert!(
            XChaCha20Poly1305
                .seal_in_place(&key, &[0; 24], b"", &mut buffer, &mut [0u8; 15])
                .is_err()
        );
    }
}
