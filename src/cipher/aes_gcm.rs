//! AES-256-GCM: fastest with AES-NI; its 96-bit random nonce bounds a key to
//! about 2^32 cookies (NIST SP 800-38D), which is why keys should be rotated.

super::rustcrypto_cipher!(
    /// AES-256-GCM (id 2): 32-byte key, 12-byte random nonce, 16-byte tag.
    ///
    /// ```
    /// use sealed_cookie::cipher::{Aes256Gcm, Cipher};
    /// assert_eq!((Aes256Gcm.id(), Aes256Gcm.nonce_len()), (2, 12));
    /// ```
    Aes256Gcm, aes_gcm::Aes256Gcm,
    id = 2, name = "aes256gcm", key = 32, nonce = 12
);
