//! The `cookie` crate's private and signed jars, as a reader sees them: what
//! axum-extra's `PrivateCookieJar`/`SignedCookieJar`, tower-cookies and
//! actix-session write (the `cookie` crate 0.16 to 0.18 use the same format).
//!
//! - Private: standard base64 (padded) of a 12-byte nonce, the AES-256-GCM
//!   ciphertext and its 16-byte tag; the cookie's name is the associated data;
//!   the key is the last 32 bytes of the 64-byte master key.
//! - Signed: standard base64 (44 characters) of HMAC-SHA256 over the value,
//!   then the value itself; the key is the first 32 bytes of the master key.
//!
//! The formats are implemented on RustCrypto's AES-GCM and HMAC rather than
//! through `cookie::Key`, which does not zeroize its bytes.

use std::fmt;

use aead::{AeadInOut as _, KeyInit as _};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The length of the `cookie` crate's master key.
const MASTER_LEN: usize = 64;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Standard base64 of a 32-byte HMAC-SHA256 digest.
const DIGEST_B64_LEN: usize = 44;
/// `Key::derive_from`'s HKDF info string.
const DERIVE_INFO: &[u8] = b"COOKIE;SIGNED:HMAC-SHA256;PRIVATE:AEAD-AES-256-GCM";
/// Longest cookie value read: browsers keep 4096 bytes per cookie.
pub(crate) const MAX_VALUE_LEN: usize = 4096;

/// Which jar wrote the cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JarMode {
    /// The private jar (encrypted and authenticated): the default.
    #[default]
    Private,
    /// The signed jar (authenticated, readable by the client).
    Signed,
}

impl JarMode {
    /// Reads `private` or `signed`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "private" => Some(Self::Private),
            "signed" => Some(Self::Signed),
            _ => None,
        }
    }
}

/// A `cookie::Key` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JarKeyError {
    /// Not 64 bytes.
    #[error(
        "a cookie::Key master key is 64 bytes (cookie::Key::master()), not {0}: give all 64 bytes, or the Key::derive_from input with derive_from"
    )]
    Length(usize),
    /// `Key::derive_from` needs at least 32 bytes.
    #[error("the Key::derive_from input must be at least 32 bytes, not {0}")]
    DeriveInputTooShort(usize),
    /// Not base64.
    #[error(
        "the key is not base64 (standard or URL-safe alphabet, padded or not) of the 64 bytes of cookie::Key::master()"
    )]
    NotBase64,
}

/// The master key of the `cookie` crate's jars (`cookie::Key`), held zeroized.
pub struct JarKey {
    signing: Zeroizing<[u8; 32]>,
    encryption: aes_gcm::Aes256Gcm,
}

impl fmt::Debug for JarKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JarKey(..)")
    }
}

impl JarKey {
    /// From the 64 bytes of `cookie::Key::master()` (also what
    /// `cookie::Key::from` took).
    ///
    /// # Errors
    /// [`JarKeyError::Length`] unless exactly 64 bytes.
    pub fn from_master(master: &[u8]) -> Result<Self, JarKeyError> {
        if master.len() != MASTER_LEN {
            return Err(JarKeyError::Length(master.len()));
        }
        let mut signing = Zeroizing::new([0; 32]);
        signing.copy_from_slice(&master[..32]);
        let encryption = aes_gcm::Aes256Gcm::new_from_slice(&master[32..])
            .unwrap_or_else(|_| unreachable!("32 bytes"));
        Ok(Self {
            signing,
            encryption,
        })
    }

    /// The key `cookie::Key::derive_from(input)` made (HKDF-SHA256 expand).
    ///
    /// # Errors
    /// [`JarKeyError::DeriveInputTooShort`] under 32 bytes.
    pub fn derive_from(input: &[u8]) -> Result<Self, JarKeyError> {
        let hkdf = hkdf::Hkdf::<Sha256>::from_prk(input)
            .map_err(|_| JarKeyError::DeriveInputTooShort(input.len()))?;
        let mut master = Zeroizing::new([0; MASTER_LEN]);
        hkdf.expand(DERIVE_INFO, &mut master[..])
            .unwrap_or_else(|_| unreachable!("64 bytes is a valid HKDF-SHA256 length"));
        Self::from_master(&master[..])
    }

    /// From base64 of the 64 master bytes, in the standard or URL-safe alphabet,
    /// padded or not (surrounding white space ignored).
    ///
    /// ```
    /// use sealed_cookie::web::legacy::JarKey;
    /// let master = [7u8; 64];
    /// let text = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, master);
    /// assert!(JarKey::from_base64(&text).is_ok());
    /// assert!(JarKey::from_base64("c2hvcnQ").is_err());
    /// ```
    ///
    /// # Errors
    /// [`JarKeyError::NotBase64`] or [`JarKeyError::Length`].
    pub fn from_base64(text: &str) -> Result<Self, JarKeyError> {
        let master =
            Zeroizing::new(decode_base64_either(text.trim()).ok_or(JarKeyError::NotBase64)?);
        Self::from_master(&master)
    }

    /// Opens a value of cookie `name` as a browser sent it (percent-decoded
    /// first), for `reader`; `None` is logged: another key, or an altered value.
    pub(crate) fn open_cookie(
        &self,
        mode: JarMode,
        name: &str,
        value: &str,
        reader: &'static str,
    ) -> Option<String> {
        let opened = percent_decoded(value).and_then(|value| self.open(mode, name, &value));
        if opened.is_none() {
            tracing::info!(
                cookie = name,
                reader,
                "legacy cookie did not open (another key, or altered); left as it is"
            );
        }
        opened
    }

    /// Opens a value of cookie `name` written by the jar of `mode`.
    pub(crate) fn open(&self, mode: JarMode, name: &str, value: &str) -> Option<String> {
        if value.len() > MAX_VALUE_LEN {
            return None;
        }
        match mode {
            JarMode::Private => self.unseal(name, value),
            JarMode::Signed => self.verify(value),
        }
    }

    fn unseal(&self, name: &str, value: &str) -> Option<String> {
        let mut data = STANDARD.decode(value).ok()?;
        if data.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let body_end = data.len() - TAG_LEN;
        {
            let (nonce, rest) = data.split_at_mut(NONCE_LEN);
            let (body, tag) = rest.split_at_mut(body_end - NONCE_LEN);
            let nonce = aead::Nonce::<aes_gcm::Aes256Gcm>::try_from(&nonce[..]).ok()?;
            let tag = aead::Tag::<aes_gcm::Aes256Gcm>::try_from(&tag[..]).ok()?;
            self.encryption
                .decrypt_inout_detached(&nonce, name.as_bytes(), body.into(), &tag)
                .ok()?;
        }
        // The plaintext in place: no second buffer.
        data.truncate(body_end);
        data.drain(..NONCE_LEN);
        String::from_utf8(data).ok()
    }

    fn verify(&self, value: &str) -> Option<String> {
        if !value.is_char_boundary(DIGEST_B64_LEN) {
            return None;
        }
        let (digest, text) = value.split_at(DIGEST_B64_LEN);
        let digest = STANDARD.decode(digest).ok()?;
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.signing[..])
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(text.as_bytes());
        // Constant time, inside hmac.
        mac.verify_slice(&digest).ok()?;
        Some(text.to_owned())
    }
}

/// Base64 in the standard or the URL-safe alphabet, padded or not.
fn decode_base64_either(text: &str) -> Option<Vec<u8>> {
    use base64::alphabet::{STANDARD as STANDARD_ALPHABET, URL_SAFE};
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if text.contains(['-', '_']) {
        &URL_SAFE
    } else {
        &STANDARD_ALPHABET
    };
    GeneralPurpose::new(alphabet, config).decode(text).ok()
}

/// Whether `value` is in the jars' standard padded base64 rather than our
/// unpadded base64url: a shape test, no cryptography. A private-jar value of a
/// whole number of base64 quanta with neither `+` nor `/` is not claimed, and
/// then fails our header check or at most one AEAD attempt of ours.
pub(crate) fn standard_base64_shape(value: &str) -> bool {
    value.bytes().any(|b| matches!(b, b'+' | b'/' | b'='))
        && !value.bytes().any(|b| matches!(b, b'-' | b'_'))
}

/// Whether `value`, sent under our own cookie's name, is one the jar of `mode`
/// wrote, as percent-encoded or by its shape: the private jar's is padded
/// standard base64, and the signed jar's starts with a padded base64 digest,
/// whose last character (`=`) never occurs in ours. No cryptography.
pub(crate) fn jar_shape(mode: JarMode, value: &str) -> bool {
    value.contains('%')
        || match mode {
            JarMode::Private => standard_base64_shape(value),
            JarMode::Signed => value.as_bytes().get(DIGEST_B64_LEN - 1) == Some(&b'='),
        }
}

/// Percent-decodes a value (actix-web writes its cookies percent-encoded),
/// or `None` when a `%` escape is malformed or the result is not UTF-8.
pub(crate) fn percent_decoded(value: &str) -> Option<std::borrow::Cow<'_, str>> {
    if !value.contains('%') {
        return Some(value.into());
    }
    percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_the_wrong_size_are_refused_with_the_reason() {
        assert_eq!(
            JarKey::from_master(&[0; 32]).unwrap_err(),
            JarKeyError::Length(32)
        );
        assert_eq!(
            JarKey::derive_from(&[0; 16]).unwrap_err(),
            JarKeyError::DeriveInputTooShort(16)
        );
        assert_eq!(
            JarKey::from_base64("not base64!").unwrap_err(),
            JarKeyError::NotBase64
        );
        let key = JarKey::from_master(&[9; 64]).unwrap();
        assert_eq!(format!("{key:?}"), "JarKey(..)");
    }

    #[test]
    fn garbage_never_opens() {
        let key = JarKey::from_master(&[1; 64]).unwrap();
        for value in [
            "",
            "AAAA",
            "%%%",
            &"A".repeat(5000),
            "€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€",
        ] {
            assert_eq!(key.open(JarMode::Private, "a", value), None);
            assert_eq!(key.open(JarMode::Signed, "a", value), None);
        }
    }

    #[test]
    fn shapes_tell_the_jars_from_ours() {
        assert!(standard_base64_shape("ab+c/d=="));
        assert!(!standard_base64_shape("ab-c_d"));
        assert!(!standard_base64_shape("abcd"));
    }
}
