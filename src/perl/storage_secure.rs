//! Cookies written by Perl's `Session::Storage::Secure` (version 1.000), the
//! store behind `Dancer::Session::Cookie` 0.30.
//!
//! A cookie is `salt~expires~ciphertext~mac~2` (protocol 2) or
//! `salt~expires~ciphertext~mac` (protocol 1), where, for each secret tried:
//!
//! - `key = HMAC-SHA256(key: secret, message: salt)`, with the salt base64url-decoded
//!   (32 random bytes) in protocol 2 and taken as the decimal text in protocol 1;
//! - `mac = base64url(HMAC-SHA256(key: key, message: "expires~ciphertext"))`,
//!   compared in constant time;
//! - the payload is AES-256-CBC with PKCS#7 padding: in protocol 2 under `key`
//!   with `IV = AES-256(key, first 16 salt bytes)`; in protocol 1 in OpenSSL's
//!   `Salted__` format with key and IV from `EVP_BytesToKey(MD5, key, salt)`;
//! - the plaintext is a Sereal document (Snappy-compressed when large),
//!   decoded by [`SerealDecoder`];
//! - `expires` is empty (no expiry) or Unix seconds; a cookie is refused once
//!   `expires < now`.
//!
//! base64url is without padding, as `MIME::Base64::encode_base64url` writes it.

use std::fmt;

use aes::Aes256;
use aes::cipher::{BlockCipherEncrypt, BlockModeDecrypt, KeyInit, KeyIvInit, block_padding::Pkcs7};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde::de::DeserializeOwned;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::sereal::{SerealDecoder, SerealError};
use crate::Value;

/// base64url as `MIME::Base64::decode_base64url` reads it: padding optional.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Why a Perl cookie could not be opened.
///
/// As for [`OpenError`](crate::OpenError), a client must never be told which
/// one happened: treat every error as "no session".
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PerlError {
    /// The text is not `salt~expires~ciphertext~mac[~version]`, or a field is not
    /// what its protocol requires.
    #[error("not a Session::Storage::Secure cookie: {0}")]
    Malformed(&'static str),
    /// The protocol field is neither 1 nor 2.
    #[error("Session::Storage::Secure protocol {0:?} is not supported (1 and 2 are)")]
    UnsupportedProtocol(String),
    /// No secret gives the cookie's MAC: a wrong secret, or an altered cookie.
    #[error("the cookie's MAC matches none of the secrets (wrong secret or altered cookie)")]
    BadMac,
    /// The cookie's expiry time has passed.
    #[error("the cookie expired at {expires} (now {now})")]
    Expired {
        /// The cookie's expiry, Unix seconds.
        expires: i64,
        /// The time it was opened at, Unix seconds.
        now: u64,
    },
    /// The payload does not decrypt (bad length or padding) although the MAC matched.
    #[error("the cookie's payload does not decrypt")]
    Decrypt,
    /// The decrypted payload is not a Sereal document this crate reads.
    #[error(transparent)]
    Sereal(#[from] SerealError),
    /// The session does not have the shape of the requested type.
    #[error("the session does not match the requested type: {0}")]
    Shape(String),
}

impl PerlError {
    /// A short stable name for logs and metrics.
    ///
    /// ```
    /// use sealed_cookie::perl::PerlError;
    /// assert_eq!(PerlError::BadMac.kind(), "perl_bad_mac");
    /// ```
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "perl_malformed",
            Self::UnsupportedProtocol(_) => "perl_unsupported_protocol",
            Self::BadMac => "perl_bad_mac",
            Self::Expired { .. } => "perl_expired",
            Self::Decrypt => "perl_decrypt_failed",
            Self::Sereal(_) => "perl_sereal_invalid",
            Self::Shape(_) => "perl_shape_mismatch",
        }
    }
}

/// Longest cookie text [`PerlReader`] looks at: far above what browsers keep
/// (4 KiB), low enough that the MAC checks stay cheap.
pub const MAX_PERL_COOKIE_LEN: usize = 64 * 1024;

/// The environment variable [`PerlReader::from_env`] reads the secret from.
pub const PERL_SECRET_ENV: &str = "SEALED_COOKIE_PERL_SECRET";
/// The environment variable [`PerlReader::from_env`] reads old secrets from, one a line.
pub const PERL_OLD_SECRETS_ENV: &str = "SEALED_COOKIE_PERL_OLD_SECRETS";

/// The Perl secrets could not be read from the environment.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PerlEnvError {
    /// The secret's variable is unset or empty.
    #[error("no Perl secret: set {PERL_SECRET_ENV} to the application's session secret")]
    MissingSecret,
    /// A variable is not valid Unicode.
    #[error("{0} is not valid Unicode")]
    NotUnicode(&'static str),
}

/// A Perl cookie, opened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PerlOpened {
    /// The session data.
    pub value: Value,
    /// Its expiry (Unix seconds), if it has one.
    pub expires: Option<i64>,
    /// The `Session::Storage::Secure` protocol: 1 or 2.
    pub protocol: u8,
    /// Which secret opened it: 0 for the current one, 1 and up for old ones.
    pub secret_index: usize,
}

/// Opens cookies written by `Session::Storage::Secure` / `Dancer::Session::Cookie`.
///
/// Cheap to clone, `Send + Sync`; secrets are zeroized on drop and never printed.
///
/// ```
/// use sealed_cookie::perl::PerlReader;
///
/// // Written by: Session::Storage::Secure->new(secret_key => "s3cret")
/// //   ->encode({ user => "alice", visits => 3 }, 4102444800)
/// let cookie = "gFTk1rj_eQFll_y1QepL9YG1EI19r7oPtvy-NXI0csU~4102444800~\
///               FHId3hNoDelPxeZYIfZ6rqDkKrDUylVfigMqo7Yt_Fc~\
///               2CaogZTH-RKRUwbhciHcJ5JHAe9jfJsI7XWHWGhOtUM~2";
/// let reader = PerlReader::new("s3cret", ["an older secret"]);
/// let session = reader.open(cookie, 1_700_000_000)?;
/// assert_eq!(session.get("user"), Some(&"alice".into()));
/// assert_eq!(session.get("visits"), Some(&3.into()));
///
/// // Expired, wrong secret:
/// assert!(reader.open(cookie, 4_102_444_801).is_err());
/// assert!(PerlReader::new("other", None::<&str>).open(cookie, 1_700_000_000).is_err());
/// # Ok::<(), sealed_cookie::perl::PerlError>(())
/// ```
#[derive(Clone)]
pub struct PerlReader {
    secrets: Vec<Zeroizing<Vec<u8>>>,
    separator: char,
    decoder: SerealDecoder,
}

impl fmt::Debug for PerlReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PerlReader")
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .field("separator", &self.separator)
            .field("decoder", &self.decoder)
            .finish()
    }
}

impl PerlReader {
    /// A reader for cookies sealed with `secret` (the application's
    /// `session_cookie_key`, or `secret_key`) or any of `old_secrets` (the
    /// store's `old_secrets`), as the bytes Perl sees. ASCII secrets need no
    /// thought; Perl hashes a secret with characters U+0080 to U+00FF (e.g. read
    /// from a YAML file) as Latin-1, one byte each, so pass those bytes.
    pub fn new<S, O, I>(secret: S, old_secrets: I) -> Self
    where
        S: AsRef<[u8]>,
        O: AsRef<[u8]>,
        I: IntoIterator<Item = O>,
    {
        Self::with_secrets(secret_list(secret, old_secrets))
    }

    /// A reader with the secret from [`PERL_SECRET_ENV`] and the old secrets
    /// from [`PERL_OLD_SECRETS_ENV`] (one a line; empty lines are skipped).
    ///
    /// # Errors
    /// [`PerlEnvError`] when the secret is missing or a variable is not Unicode.
    pub fn from_env() -> Result<Self, PerlEnvError> {
        Self::from_env_with(|name| std::env::var_os(name))
    }

    /// As [`from_env`](Self::from_env), reading variables through `lookup`.
    ///
    /// ```
    /// use sealed_cookie::perl::{PERL_OLD_SECRETS_ENV, PERL_SECRET_ENV, PerlReader};
    ///
    /// let reader = PerlReader::from_env_with(|name| match name {
    ///     PERL_SECRET_ENV => Some("current".into()),
    ///     PERL_OLD_SECRETS_ENV => Some("old one\nolder one\n".into()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(reader.secret_count(), 3);
    /// # Ok::<(), sealed_cookie::perl::PerlEnvError>(())
    /// ```
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_env_with(
        lookup: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Self, PerlEnvError> {
        Ok(Self::with_secrets(env_secrets(lookup)?))
    }

    fn with_secrets(secrets: Vec<Zeroizing<Vec<u8>>>) -> Self {
        Self {
            secrets,
            separator: '~',
            decoder: SerealDecoder::new(),
        }
    }

    /// Sets the field separator (the store's `separator`, `~` by default).
    #[must_use]
    pub fn separator(mut self, separator: char) -> Self {
        self.separator = separator;
        self
    }

    /// Sets the Sereal decoder (limits, binary strings, objects).
    #[must_use]
    pub fn decoder(mut self, decoder: SerealDecoder) -> Self {
        self.decoder = decoder;
        self
    }

    /// How many secrets are tried (the current one and the old ones).
    #[must_use]
    pub fn secret_count(&self) -> usize {
        self.secrets.len()
    }

    /// Opens a cookie at `now` (Unix seconds) and returns the session.
    ///
    /// # Errors
    /// Any [`PerlError`].
    pub fn open(&self, cookie: &str, now: u64) -> Result<Value, PerlError> {
        self.open_details(cookie, now).map(|opened| opened.value)
    }

    /// Opens a cookie at `now` into any deserializable type, through [`Value`].
    ///
    /// # Errors
    /// Any [`PerlError`]; [`PerlError::Shape`] when the data does not fit `T`.
    pub fn open_as<T: DeserializeOwned>(&self, cookie: &str, now: u64) -> Result<T, PerlError> {
        self.open(cookie, now)?
            .deserialize_into()
            .map_err(|e| PerlError::Shape(e.to_string()))
    }

    /// Opens a cookie at `now` and tells which protocol and secret it used.
    ///
    /// # Errors
    /// Any [`PerlError`].
    pub fn open_details(&self, cookie: &str, now: u64) -> Result<PerlOpened, PerlError> {
        if cookie.len() > MAX_PERL_COOKIE_LEN {
            return Err(PerlError::Malformed("longer than MAX_PERL_COOKIE_LEN"));
        }
        // Perl's cookie writers may percent-encode the value (older URI::Escape
        // escaped `~`); base64url never holds `%`.
        let decoded;
        let cookie = if cookie.contains('%') {
            decoded = percent_decode(cookie.trim())
                .ok_or(PerlError::Malformed("bad percent-encoding"))?;
            decoded.as_str()
        } else {
            cookie.trim()
        };
        let fields: Vec<&str> = cookie.split(self.separator).collect();
        let (salt, expires, ciphertext, mac, protocol) = match fields[..] {
            [salt, expires, ciphertext, mac] => (salt, expires, ciphertext, mac, 1),
            [salt, expires, ciphertext, mac, "1"] => (salt, expires, ciphertext, mac, 1),
            [salt, expires, ciphertext, mac, "2"] => (salt, expires, ciphertext, mac, 2),
            [_, _, _, _, other] => {
                return Err(PerlError::UnsupportedProtocol(
                    other.chars().take(16).collect(),
                ));
            }
            _ => return Err(PerlError::Malformed("expected 4 or 5 fields")),
        };
        if ciphertext.is_empty() || mac.is_empty() {
            return Err(PerlError::Malformed("empty ciphertext or MAC"));
        }
        let salt: Vec<u8> = if protocol == 1 {
            if salt.is_empty() || !salt.bytes().all(|b| b.is_ascii_digit()) {
                return Err(PerlError::Malformed(
                    "protocol 1 salt is not a decimal number",
                ));
            }
            salt.as_bytes().to_vec()
        } else {
            BASE64URL
                .decode(salt)
                .map_err(|_| PerlError::Malformed("salt is not base64url"))?
        };

        // The MAC covers the expiry and the ciphertext as written.
        let mut message = String::with_capacity(expires.len() + 1 + ciphertext.len());
        message.push_str(expires);
        message.push(self.separator);
        message.push_str(ciphertext);
        let (key, secret_index) = self
            .secrets
            .iter()
            .enumerate()
            .find_map(|(index, secret)| {
                let key = Zeroizing::new(hmac_sha256(secret, &salt));
                let expected = BASE64URL.encode(hmac_sha256(&key[..], message.as_bytes()));
                bool::from(expected.as_bytes().ct_eq(mac.as_bytes())).then_some((key, index))
            })
            .ok_or(PerlError::BadMac)?;

        let expires = if expires.is_empty() {
            None
        } else {
            let at: i64 = expires
                .parse()
                .map_err(|_| PerlError::Malformed("expiry is not an integer"))?;
            if i128::from(at) < i128::from(now) {
                return Err(PerlError::Expired { expires: at, now });
            }
            Some(at)
        };

        let mut payload = BASE64URL
            .decode(ciphertext)
            .map_err(|_| PerlError::Malformed("ciphertext is not base64url"))?;
        let plaintext = if protocol == 2 {
            decrypt_v2(&key, &salt, &mut payload)?
        } else {
            decrypt_v1(&key[..], &mut payload)?
        };
        let value = self.decoder.decode(plaintext)?;
        Ok(PerlOpened {
            value,
            expires,
            protocol,
            secret_index,
        })
    }
}

/// The secret, then the old ones, as owned zeroized bytes.
pub(super) fn secret_list<S, O, I>(secret: S, old_secrets: I) -> Vec<Zeroizing<Vec<u8>>>
where
    S: AsRef<[u8]>,
    O: AsRef<[u8]>,
    I: IntoIterator<Item = O>,
{
    let mut secrets = vec![Zeroizing::new(secret.as_ref().to_vec())];
    secrets.extend(
        old_secrets
            .into_iter()
            .map(|s| Zeroizing::new(s.as_ref().to_vec())),
    );
    secrets
}

/// The secrets of [`PERL_SECRET_ENV`] and [`PERL_OLD_SECRETS_ENV`] (one a line;
/// empty lines are skipped), read through `lookup`.
pub(super) fn env_secrets(
    lookup: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Result<Vec<Zeroizing<Vec<u8>>>, PerlEnvError> {
    let text = |name: &'static str| {
        lookup(name)
            .map(|value| {
                value
                    .into_string()
                    .map_err(|_| PerlEnvError::NotUnicode(name))
            })
            .transpose()
    };
    let secret = text(PERL_SECRET_ENV)?
        .filter(|s| !s.is_empty())
        .map(Zeroizing::new)
        .ok_or(PerlEnvError::MissingSecret)?;
    let old = Zeroizing::new(text(PERL_OLD_SECRETS_ENV)?.unwrap_or_default());
    let old = old
        .lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.is_empty());
    Ok(secret_list(secret.as_str(), old))
}

/// Decodes `%XX` escapes; `None` for a bad escape or non-UTF-8 result.
pub(super) fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Protocol 2: `Crypt::CBC` with `-pbkdf none -header none`, the HMAC-derived
/// key, and the IV `AES-256-ECB(key, salt)[..16]` (as `Crypt::Rijndael` computes it).
fn decrypt_v2<'a>(
    key: &[u8; 32],
    salt: &[u8],
    payload: &'a mut [u8],
) -> Result<&'a [u8], PerlError> {
    if salt.is_empty() || !salt.len().is_multiple_of(16) {
        return Err(PerlError::Malformed(
            "protocol 2 salt is not a whole number of AES blocks",
        ));
    }
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&salt[..16]);
    Aes256::new(key.into()).encrypt_block((&mut iv).into());
    cbc::Decryptor::<Aes256>::new(key.into(), &iv.into())
        .decrypt_padded::<Pkcs7>(payload)
        .map_err(|_| PerlError::Decrypt)
}

/// Protocol 1: `Crypt::CBC` with `-pbkdf opensslv1`: `Salted__`, an 8-byte
/// salt, and key and IV from `EVP_BytesToKey(MD5, passphrase = key, salt)`.
pub(super) fn decrypt_v1<'a>(key: &[u8], payload: &'a mut [u8]) -> Result<&'a [u8], PerlError> {
    if payload.len() < 16 || &payload[..8] != b"Salted__" {
        return Err(PerlError::Malformed(
            "protocol 1 ciphertext has no Salted__ header",
        ));
    }
    let mut salt = [0u8; 8];
    salt.copy_from_slice(&payload[8..16]);
    let mut material = Zeroizing::new([0u8; 48]);
    let mut block: Zeroizing<[u8; 16]> = Zeroizing::new([0; 16]);
    for (i, chunk) in material.chunks_mut(16).enumerate() {
        let mut md5 = Md5::new();
        if i > 0 {
            md5.update(&block[..]);
        }
        md5.update(key);
        md5.update(salt);
        block.copy_from_slice(&md5.finalize());
        chunk.copy_from_slice(&block[..]);
    }
    let (cbc_key, iv) = material.split_at(32);
    cbc::Decryptor::<Aes256>::new_from_slices(cbc_key, iv)
        .map_err(|_| PerlError::Decrypt)?
        .decrypt_padded::<Pkcs7>(&mut payload[16..])
        .map_err(|_| PerlError::Decrypt)
}

debug_as_message!(PerlError, PerlEnvError);

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::BlockModeEncrypt;

    /// Seals as `Session::Storage::Secure` protocol 2 does, with a chosen salt.
    fn seal_v2(secret: &str, salt: [u8; 32], expires: &str, sereal: &[u8]) -> String {
        let key = hmac_sha256(secret.as_bytes(), &salt);
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&salt[..16]);
        Aes256::new((&key).into()).encrypt_block((&mut iv).into());
        let mut buf = sereal.to_vec();
        let len = buf.len();
        buf.resize(len + 16, 0);
        let ct = cbc::Encryptor::<Aes256>::new((&key).into(), &iv.into())
            .encrypt_padded::<Pkcs7>(&mut buf, len)
            .unwrap()
            .to_vec();
        let ct = BASE64URL.encode(ct);
        let mac = BASE64URL.encode(hmac_sha256(&key, format!("{expires}~{ct}").as_bytes()));
        format!("{}~{expires}~{ct}~{mac}~2", BASE64URL.encode(salt))
    }

    /// Seals as protocol 1 does, with a chosen numeric salt and OpenSSL salt.
    fn seal_v1(
        secret: &str,
        salt: u32,
        openssl_salt: [u8; 8],
        expires: &str,
        sereal: &[u8],
    ) -> String {
        let salt = salt.to_string();
        let key = hmac_sha256(secret.as_bytes(), salt.as_bytes());
        let mut material = Vec::new();
        let mut prev: Vec<u8> = Vec::new();
        while material.len() < 48 {
            let mut md5 = Md5::new();
            md5.update(&prev);
            md5.update(key);
            md5.update(openssl_salt);
            prev = md5.finalize().to_vec();
            material.extend_from_slice(&prev);
        }
        let mut buf = sereal.to_vec();
        let len = buf.len();
        buf.resize(len + 16, 0);
        let ct = cbc::Encryptor::<Aes256>::new_from_slices(&material[..32], &material[32..48])
            .unwrap()
            .encrypt_padded::<Pkcs7>(&mut buf, len)
            .unwrap()
            .to_vec();
        let mut payload = b"Salted__".to_vec();
        payload.extend_from_slice(&openssl_salt);
        payload.extend_from_slice(&ct);
        let ct = BASE64URL.encode(payload);
        let mac = BASE64URL.encode(hmac_sha256(&key, format!("{expires}~{ct}").as_bytes()));
        format!("{salt}~{expires}~{ct}~{mac}")
    }

    // Perl: Sereal::Encoder->new->encode({ user => "alice" })
    const DOC: &[u8] = b"=\xF3rl\x05\x00\x51\x64user\x65alice";

    fn alice() -> Value {
        Value::from(serde_json::json!({"user": "alice"}))
    }

    #[test]
    fn protocol_2_round_trip() {
        let cookie = seal_v2("s3cret", [7; 32], "2000", DOC);
        let reader = PerlReader::new("s3cret", None::<&str>);
        let opened = reader.open_details(&cookie, 2000).unwrap();
        assert_eq!(opened.value, alice());
        assert_eq!(opened.expires, Some(2000));
        assert_eq!((opened.protocol, opened.secret_index), (2, 0));
    }

    #[test]
    fn protocol_1_round_trip() {
        let cookie = seal_v1("s3cret", 123_456_789, *b"saltsalt", "", DOC);
        let opened = PerlReader::new("s3cret", None::<&str>)
            .open_details(&cookie, u64::MAX)
            .unwrap();
        assert_eq!(opened.value, alice());
        assert_eq!((opened.expires, opened.protocol), (None, 1));
    }

    #[test]
    fn old_secrets_are_tried_in_order() {
        let cookie = seal_v2("old-2", [1; 32], "", DOC);
        let reader = PerlReader::new("new", ["old-1", "old-2"]);
        assert_eq!(reader.secret_count(), 3);
        assert_eq!(reader.open_details(&cookie, 0).unwrap().secret_index, 2);
        assert_eq!(
            PerlReader::new("new", ["old-1"]).open(&cookie, 0),
            Err(PerlError::BadMac)
        );
    }

    #[test]
    fn expiry_is_enforced() {
        let cookie = seal_v2("k", [2; 32], "1000", DOC);
        let reader = PerlReader::new("k", None::<&str>);
        assert!(reader.open(&cookie, 1000).is_ok());
        assert_eq!(
            reader.open(&cookie, 1001),
            Err(PerlError::Expired {
                expires: 1000,
                now: 1001
            })
        );
        // The expiry is under the MAC: changing it breaks the cookie.
        let moved = cookie.replacen("~1000~", "~9000~", 1);
        assert_eq!(reader.open(&moved, 1001), Err(PerlError::BadMac));
    }

    #[test]
    fn every_changed_character_is_rejected() {
        let cookie = seal_v2("k", [3; 32], "5000", DOC);
        let reader = PerlReader::new("k", None::<&str>);
        for i in 0..cookie.len() {
            let mut bytes = cookie.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            assert!(
                reader.open(&changed, 0).is_err(),
                "byte {i} changed: {changed}"
            );
        }
    }

    #[test]
    fn percent_encoded_cookies_open() {
        let cookie = seal_v2("k", [10; 32], "77", DOC);
        let encoded = cookie.replace('~', "%7E");
        let reader = PerlReader::new("k", None::<&str>);
        assert_eq!(reader.open(&encoded, 0).unwrap(), alice());
        assert_eq!(
            reader.open(&cookie.replace('~', "%7e"), 0).unwrap(),
            alice()
        );
        for bad in ["%7", "%zz~a~b~c~2", "%ff~a~b~c~2", "a%", "%+7E~a~b~c~2"] {
            assert_eq!(
                reader.open(bad, 0),
                Err(PerlError::Malformed("bad percent-encoding")),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_cookies() {
        let reader = PerlReader::new("k", None::<&str>);
        for (cookie, want) in [
            ("", PerlError::Malformed("expected 4 or 5 fields")),
            ("a~b~c", PerlError::Malformed("expected 4 or 5 fields")),
            (
                "a~b~c~d~2~x",
                PerlError::Malformed("expected 4 or 5 fields"),
            ),
            ("a~b~~d~2", PerlError::Malformed("empty ciphertext or MAC")),
            ("a~b~c~~2", PerlError::Malformed("empty ciphertext or MAC")),
            ("a~b~c~d~3", PerlError::UnsupportedProtocol("3".into())),
            (
                "x1~~c~d",
                PerlError::Malformed("protocol 1 salt is not a decimal number"),
            ),
            ("!!~~c~d~2", PerlError::Malformed("salt is not base64url")),
            ("AAAA~~c~d~2", PerlError::BadMac),
            (
                &"A".repeat(MAX_PERL_COOKIE_LEN + 1),
                PerlError::Malformed("longer than MAX_PERL_COOKIE_LEN"),
            ),
        ] {
            assert_eq!(reader.open(cookie, 0), Err(want), "{cookie:?}");
        }
    }

    #[test]
    fn a_bad_payload_under_a_good_mac_is_an_error_not_a_panic() {
        // Not Sereal.
        let cookie = seal_v2("k", [4; 32], "", b"hello");
        assert_eq!(
            PerlReader::new("k", None::<&str>).open(&cookie, 0),
            Err(PerlError::Sereal(SerealError::BadMagic))
        );
        // A short salt (not a whole AES block).
        let key = hmac_sha256(b"k", &[5; 8]);
        let ct = "AAAAAAAAAAAAAAAAAAAAAA";
        let mac = BASE64URL.encode(hmac_sha256(&key, format!("~{ct}").as_bytes()));
        let cookie = format!("{}~~{ct}~{mac}~2", BASE64URL.encode([5; 8]));
        assert!(matches!(
            PerlReader::new("k", None::<&str>).open(&cookie, 0),
            Err(PerlError::Malformed(_))
        ));
        // A payload that is not a whole number of blocks.
        let key = hmac_sha256(b"k", &[6; 32]);
        let mac = BASE64URL.encode(hmac_sha256(&key, format!("~{ct}").as_bytes()));
        let cookie = format!("{}~~{ct}~{mac}~2", BASE64URL.encode([6; 32]));
        assert_eq!(
            PerlReader::new("k", None::<&str>).open(&cookie, 0),
            Err(PerlError::Decrypt)
        );
    }

    #[test]
    fn typed_sessions() {
        #[derive(serde::Deserialize)]
        struct Session {
            user: String,
        }
        let cookie = seal_v2("k", [8; 32], "", DOC);
        let reader = PerlReader::new("k", None::<&str>);
        assert_eq!(reader.open_as::<Session>(&cookie, 0).unwrap().user, "alice");
        assert!(matches!(
            reader.open_as::<Vec<u8>>(&cookie, 0),
            Err(PerlError::Shape(_))
        ));
    }

    #[test]
    fn secrets_from_the_environment() {
        use std::ffi::OsString;
        let env = |secret: Option<OsString>, old: Option<OsString>| {
            move |name: &str| match name {
                PERL_SECRET_ENV => secret.clone(),
                PERL_OLD_SECRETS_ENV => old.clone(),
                _ => None,
            }
        };
        let cookie = seal_v2("older", [9; 32], "", DOC);
        let reader =
            PerlReader::from_env_with(env(Some("new".into()), Some("old\r\n\nolder\n".into())))
                .unwrap();
        assert_eq!(reader.secret_count(), 3);
        assert_eq!(reader.open_details(&cookie, 0).unwrap().secret_index, 2);
        assert_eq!(
            PerlReader::from_env_with(env(None, None)).unwrap_err(),
            PerlEnvError::MissingSecret
        );
        assert_eq!(
            PerlReader::from_env_with(env(Some("".into()), None)).unwrap_err(),
            PerlEnvError::MissingSecret
        );
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let bad = OsString::from_vec(vec![0xff]);
            assert_eq!(
                PerlReader::from_env_with(env(Some("k".into()), Some(bad))).unwrap_err(),
                PerlEnvError::NotUnicode(PERL_OLD_SECRETS_ENV)
            );
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let text = format!("{:?}", PerlReader::new("hunter2", ["old-hunter"]));
        assert!(!text.contains("hunter"), "{text}");
        assert!(text.contains("2 redacted"), "{text}");
    }
}
