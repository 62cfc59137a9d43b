//! Authenticated ciphers (AEADs). One file per algorithm; a new one is one
//! [`Cipher`] impl, inside or outside this crate.

#[cfg(feature = "aes-gcm")]
mod aes_gcm;
#[cfg(feature = "aes-siv")]
mod aes_siv;
#[cfg(feature = "xchacha20poly1305")]
mod xchacha20poly1305;

#[cfg(feature = "aes-gcm")]
pub use self::aes_gcm::Aes256Gcm;
#[cfg(feature = "aes-siv")]
pub use self::aes_siv::Aes256Siv;
#[cfg(feature = "xchacha20poly1305")]
pub use self::xchacha20poly1305::{XChaCha20Poly1305, XChaChaKey};

/// The AEAD refused: the tag did not verify, or an input was too long for the algorithm.
/// Deliberately opaque.
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("AEAD operation failed")]
pub struct AeadError;

/// An authenticated cipher with associated data.
///
/// The codec derives a subkey of [`Cipher::key_len`] bytes per key with HKDF-SHA256
/// (label `sealed-cookie/1/aead/<name>/<id>`), calls [`Cipher::prepare`] once per
/// key when the codec is built, and then only [`Cipher::seal_in_place`] and
/// [`Cipher::open_in_place`] on requests. Nonces are random, from a CSPRNG.
///
/// Ids 1 to 127 are reserved for this crate; applications pick theirs from 128 to 255.
///
/// ```
/// use sealed_cookie::cipher::{AeadError, Cipher};
///
/// /// A toy to show the shape; never use it.
/// struct Xor;
/// impl Cipher for Xor {
///     type Key = u8;
///     fn id(&self) -> u8 { 200 }
///     fn name(&self) -> &'static str { "xor-demo" }
///     fn key_len(&self) -> usize { 1 }
///     fn nonce_len(&self) -> usize { 1 }
///     fn tag_len(&self) -> usize { 1 }
///     fn prepare(&self, subkey: &[u8]) -> u8 { subkey[0] }
///     fn seal_in_place(&self, key: &u8, _n: &[u8], _aad: &[u8], buf: &mut [u8], tag: &mut [u8]) -> Result<(), AeadError> {
///         buf.iter_mut().for_each(|b| *b ^= key);
///         tag[0] = *key;
///         Ok(())
///     }
///     fn open_in_place(&self, key: &u8, _n: &[u8], _aad: &[u8], buf: &mut [u8], tag: &[u8]) -> Result<(), AeadError> {
///         if tag[0] != *key { return Err(AeadError); }
///         buf.iter_mut().for_each(|b| *b ^= key);
///         Ok(())
///     }
/// }
/// assert_eq!(Xor.name(), "xor-demo");
/// ```
pub trait Cipher: Send + Sync + 'static {
    /// The prepared key (key schedule), built once per key. It should zeroize on drop.
    type Key: Send + Sync + 'static;

    /// Stable numeric id, bound into the associated data and the key-derivation label.
    fn id(&self) -> u8;
    /// Stable name, part of the key-derivation label.
    fn name(&self) -> &'static str;
    /// Length of the derived subkey.
    fn key_len(&self) -> usize;
    /// Length of the nonce stored in the envelope.
    fn nonce_len(&self) -> usize;
    /// Length of the tag stored after the ciphertext.
    fn tag_len(&self) -> usize;
    /// Builds the key schedule from a subkey of exactly [`Cipher::key_len`] bytes.
    fn prepare(&self, subkey: &[u8]) -> Self::Key;
    /// Encrypts `buffer` in place and writes the tag into `tag` ([`Cipher::tag_len`] bytes).
    ///
    /// # Errors
    /// When the algorithm cannot encrypt this input.
    fn seal_in_place(
        &self,
        key: &Self::Key,
        nonce: &[u8],
        associated_data: &[u8],
        buffer: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), AeadError>;
    /// Verifies `tag` and decrypts `buffer` in place.
    ///
    /// # Errors
    /// When the tag does not verify. `buffer` must then be treated as garbage.
    fn open_in_place(
        &self,
        key: &Self::Key,
        nonce: &[u8],
        associated_data: &[u8],
        buffer: &mut [u8],
        tag: &[u8],
    ) -> Result<(), AeadError>;
}

/// Implements [`Cipher`] for a RustCrypto AEAD: the AES files differ only in
/// their figures.
#[cfg(any(feature = "aes-gcm", feature = "aes-siv"))]
macro_rules! rustcrypto_cipher {
    (
        $(#[$doc:meta])*
        $name:ident, $inner:ty, id = $id:expr, name = $label:expr,
        key = $key:expr, nonce = $nonce:expr
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name;

        impl $crate::cipher::Cipher for $name {
            type Key = $inner;

            fn id(&self) -> u8 {
                $id
            }
            fn name(&self) -> &'static str {
                $label
            }
            fn key_len(&self) -> usize {
                $key
            }
            fn nonce_len(&self) -> usize {
                $nonce
            }
            fn tag_len(&self) -> usize {
                16
            }
            fn prepare(&self, subkey: &[u8]) -> $inner {
                use aead::KeyInit as _;
                <$inner>::new_from_slice(subkey)
                    .expect("the codec derives subkeys of exactly key_len bytes")
            }
            fn seal_in_place(
                &self,
                key: &$inner,
                nonce: &[u8],
                associated_data: &[u8],
                buffer: &mut [u8],
                tag: &mut [u8],
            ) -> Result<(), $crate::cipher::AeadError> {
                use aead::AeadInOut as _;
                let nonce = aead::Nonce::<$inner>::try_from(nonce)
                    .map_err(|_| $crate::cipher::AeadError)?;
                let computed = key
                    .encrypt_inout_detached(&nonce, associated_data, buffer.into())
                    .map_err(|_| $crate::cipher::AeadError)?;
                tag.copy_from_slice(&computed);
                Ok(())
            }
            fn open_in_place(
                &self,
                key: &$inner,
                nonce: &[u8],
                associated_data: &[u8],
                buffer: &mut [u8],
                tag: &[u8],
            ) -> Result<(), $crate::cipher::AeadError> {
                use aead::AeadInOut as _;
                let nonce = aead::Nonce::<$inner>::try_from(nonce)
                    .map_err(|_| $crate::cipher::AeadError)?;
                // Full 16-byte tags only: a truncated tag never verifies.
                let tag = aead::Tag::<$inner>::try_from(tag)
                    .map_err(|_| $crate::cipher::AeadError)?;
                key.decrypt_inout_detached(&nonce, associated_data, buffer.into(), &tag)
                    .map_err(|_| $crate::cipher::AeadError)
            }
        }
    };
}
#[allow(unused_imports)]
#[cfg(any(feature = "aes-gcm", feature = "aes-siv"))]
pub(crate) use rustcrypto_cipher;

debug_as_message!(AeadError);

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(dead_code)]
    fn roundtrip<C: Cipher>(cipher: C) {
        let subkey: Vec<u8> = (0..cipher.key_len()).map(|i| i as u8).collect();
        let key = cipher.prepare(&subkey);
        let nonce = vec![9u8; cipher.nonce_len()];
        let mut buf = b"attack at dawn".to_vec();
        let mut tag = vec![0u8; cipher.tag_len()];
        cipher
            .seal_in_place(&key, &nonce, b"aad", &mut buf, &mut tag)
            .unwrap();
        assert_ne!(buf, b"attack at dawn");
        let sealed = buf.clone();
        cipher
            .open_in_place(&key, &nonce, b"aad", &mut buf, &tag)
            .unwrap();
        assert_eq!(buf, b"attack at dawn");
        let mut buf = sealed.clone();
        assert!(
            cipher
                .open_in_place(&key, &nonce, b"aaD", &mut buf, &tag)
                .is_err()
        );
        let mut buf = sealed.clone();
        assert!(
            cipher
                .open_in_place(&key, &nonce, b"aad", &mut buf, &tag[..15])
                .is_err(),
            "a truncated tag must not verify"
        );
        let mut bad_tag = tag.clone();
        bad_tag[0] ^= 1;
        let mut buf = sealed;
        assert!(
            cipher
                .open_in_place(&key, &nonce, b"aad", &mut buf, &bad_tag)
                .is_err()
        );
    }

    /// Compile-time proof that every prepared key wipes itself when dropped.
    #[allow(dead_code)]
    fn prepared_keys_zeroize_on_drop() {
        fn zeroizes<K: zeroize::ZeroizeOnDrop>() {}
        #[cfg(feature = "xchacha20poly1305")]
        zeroizes::<<XChaCha20Poly1305 as Cipher>::Key>();
        #[cfg(feature = "aes-gcm")]
        zeroizes::<<Aes256Gcm as Cipher>::Key>();
        #[cfg(feature = "aes-siv")]
        zeroizes::<<Aes256Siv as Cipher>::Key>();
        zeroizes::<crate::Key>();
    }

    #[cfg(feature = "xchacha20poly1305")]
    #[test]
    fn xchacha_roundtrip_and_rejects() {
        roundtrip(XChaCha20Poly1305);
    }

    #[cfg(feature = "aes-gcm")]
    #[test]
    fn aes_gcm_roundtrip_and_rejects() {
        roundtrip(Aes256Gcm);
    }

    #[cfg(feature = "aes-siv")]
    #[test]
    fn aes_siv_roundtrip_and_rejects() {
        roundtrip(Aes256Siv);
    }
}
