//! XChaCha20-Poly1305: the default. Its 192-bit random nonce makes collisions
//! negligible for any realistic number of cookies per key.

super::rustcrypto_cipher!(
    /// XChaCha20-Poly1305 (id 1): 32-byte key, 24-byte random nonce, 16-byte tag.
    ///
    /// ```
    /// use sealed_cookie::cipher::{Cipher, XChaCha20Poly1305};
    /// assert_eq!((XChaCha20Poly1305.id(), XChaCha20Poly1305.nonce_len()), (1, 24));
    /// ```
    XChaCha20Poly1305, chacha20poly1305::XChaCha20Poly1305,
    id = 1, name = "xchacha20poly1305", key = 32, nonce = 24
);
