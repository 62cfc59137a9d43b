//! The format `Dancer::Session::Cookie` wrote before 0.20, which 0.30 still
//! reads (`_old_retrieve`): `Storable::freeze` of the session, a CRC32 of it in
//! front, `Crypt::CBC` (Rijndael, OpenSSL-style `Salted__` header, key and IV
//! from the passphrase by `EVP_BytesToKey` with MD5), base64 with `_*-` for `=+/`.
//!
//! **It has no MAC.** A CRC32 is not one: it is linear, and CBC lets whoever
//! holds one such cookie flip chosen bits of the plaintext and fix the CRC, so
//! a client could alter the session it carries without the key. Read it only to
//! move users off it, only until a date a few weeks after the switch, and only
//! if those sessions are worth that risk: see SPEC.md's security section.

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

use super::PerlEnvError;
use super::storable::{StorableDecoder, StorableError};
use super::storage_secure::{decrypt_v1, env_secrets, percent_decode, secret_list};
use crate::Value;

/// Standard base64 as `MIME::Base64::decode` reads it: padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// What every such cookie starts with: base64 of `Salted__`.
pub const OLD_DANCER_PREFIX: &str = "U2FsdGVkX1";

/// Longest cookie text looked at (browsers keep 4 KiB).
const MAX_OLD_COOKIE_LEN: usize = 8 * 1024;

/// Why an old-format cookie was not read.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OldDancerError {
    /// The configured last day for this format has passed.
    #[error(
        "the old Dancer cookie format is no longer accepted (accepted until {until}, now {now})"
    )]
    NoLongerAccepted {
        /// The end of acceptance, Unix seconds.
        until: u64,
        /// The time it was opened at, Unix seconds.
        now: u64,
    },
    /// The text is not `Salted__` ciphertext in Dancer's base64.
    #[error("not an old Dancer::Session::Cookie cookie: {0}")]
    Malformed(&'static str),
    /// No secret decrypts it to a plaintext whose CRC32 matches (wrong secret,
    /// or an altered cookie).
    #[error("no secret decrypts the cookie to a matching CRC32 (wrong secret or altered cookie)")]
    NoSecretMatches,
    /// The plaintext is not a `Storable` image this crate reads.
    #[error(transparent)]
    Storable(#[from] StorableError),
    /// The session is not a hash.
    #[error("the old Dancer session is not a hash")]
    NotAHash,
}

impl OldDancerError {
    /// A short stable name for logs and metrics.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NoLongerAccepted { .. } => "dancer_old_no_longer_accepted",
            Self::Malformed(_) => "dancer_old_malformed",
            Self::NoSecretMatches => "dancer_old_no_secret_matches",
            Self::Storable(_) => "dancer_old_storable_invalid",
            Self::NotAHash => "dancer_old_not_a_hash",
        }
    }
}

debug_as_message!(OldDancerError);

/// Opens cookies of the format `Dancer::Session::Cookie` wrote before 0.20
/// (feature `legacy-dancer-old`), up to a configured time. Read the module
/// documentation on its risk first.
///
/// ```
/// use sealed_cookie::perl::OldDancerReader;
///
/// // Made by Dancer::Session::Cookie 0.15's _encrypt(Storable::freeze(...))
/// // with session_cookie_key "s3cret".
/// let cookie = "U2FsdGVkX18AslBPEAA86OueZ0Kl0nCMA82KMsKMTT7NO3G7zsSDuWcLQPBYI2wo\
///               q*MtbWVZocBbFlro9a7Q0QN1MR5KMS2JAWe9ntSXRH8dSU-v*7vXE17qmQI4mfJy";
/// let until = 4_102_444_800; // 2100-01-01
/// let reader = OldDancerReader::new("s3cret", None::<&str>, until);
/// let session = reader.open(cookie, 1_700_000_000)?;
/// assert_eq!(session.get("user"), Some(&"alice".into()));
///
/// // After the configured time, or with another secret, it is not read.
/// assert!(reader.open(cookie, until).is_err());
/// assert!(OldDancerReader::new("other", None::<&str>, until).open(cookie, 0).is_err());
/// # Ok::<(), sealed_cookie::perl::OldDancerError>(())
/// ```
#[derive(Clone)]
pub struct OldDancerReader {
    secrets: Vec<Zeroizing<Vec<u8>>>,
    accept_until: u64,
    decoder: StorableDecoder,
    pub(crate) cookie_name: String,
}

impl fmt::Debug for OldDancerReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OldDancerReader")
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .field("accept_until", &self.accept_until)
            .field("decoder", &self.decoder)
            .field("cookie_name", &self.cookie_name)
            .finish()
    }
}

impl OldDancerReader {
    /// A reader for cookies encrypted with `secret` (the application's
    /// `session_cookie_key`, the bytes Perl sees) or any of `old_secrets`,
    /// accepted while the time is before `accept_until` (Unix seconds).
    pub fn new<S, O, I>(secret: S, old_secrets: I, accept_until: u64) -> Self
    where
        S: AsRef<[u8]>,
        O: AsRef<[u8]>,
        I: IntoIterator<Item = O>,
    {
        Self::with_secrets(secret_list(secret, old_secrets), accept_until)
    }

    /// A reader with the secrets of [`PERL_SECRET_ENV`](super::PERL_SECRET_ENV)
    /// and [`PERL_OLD_SECRETS_ENV`](super::PERL_OLD_SECRETS_ENV), as
    /// [`PerlReader::from_env`](super::PerlReader::from_env) reads them.
    ///
    /// # Errors
    /// [`PerlEnvError`] when the secret is missing or a variable is not Unicode.
    pub fn from_env(accept_until: u64) -> Result<Self, PerlEnvError> {
        Self::from_env_with(|name| std::env::var_os(name), accept_until)
    }

    /// As [`from_env`](Self::from_env), reading variables through `lookup`.
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_env_with(
        lookup: impl Fn(&str) -> Option<std::ffi::OsString>,
        accept_until: u64,
    ) -> Result<Self, PerlEnvError> {
        Ok(Self::with_secrets(env_secrets(lookup)?, accept_until))
    }

    fn with_secrets(secrets: Vec<Zeroizing<Vec<u8>>>, accept_until: u64) -> Self {
        Self {
            secrets,
            accept_until,
            decoder: StorableDecoder::new(),
            cookie_name: "dancer.session".to_owned(),
        }
    }

    /// The cookie the web layer reads (Dancer's `session_name`, by default
    /// `dancer.session`); as a [`LegacyReader`](crate::web::legacy::LegacyReader)
    /// it is asked after the `Session::Storage::Secure` reader of the same cookie.
    #[must_use]
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// Sets the `Storable` decoder (limits, binary strings, objects).
    #[must_use]
    pub fn decoder(mut self, decoder: StorableDecoder) -> Self {
        self.decoder = decoder;
        self
    }

    /// When acceptance ends (Unix seconds).
    #[must_use]
    pub fn accept_until(&self) -> u64 {
        self.accept_until
    }

    /// Opens a cookie at `now` (Unix seconds) and returns the session's entries.
    ///
    /// # Errors
    /// Any [`OldDancerError`]; the date is checked before any decryption, and
    /// only for a value of this format.
    pub fn open(&self, cookie: &str, now: u64) -> Result<Value, OldDancerError> {
        if cookie.len() > MAX_OLD_COOKIE_LEN {
            return Err(OldDancerError::Malformed("longer than 8 KiB"));
        }
        let decoded;
        let cookie = if cookie.contains('%') {
            decoded = percent_decode(cookie.trim())
                .ok_or(OldDancerError::Malformed("bad percent-encoding"))?;
            decoded.as_str()
        } else {
            cookie.trim()
        };
        if !cookie.starts_with(OLD_DANCER_PREFIX) {
            return Err(OldDancerError::Malformed("no Salted__ header"));
        }
        // Only a cookie of this format is past its day; nothing is decrypted then.
        if now >= self.accept_until {
            return Err(OldDancerError::NoLongerAccepted {
                until: self.accept_until,
                now,
            });
        }
        let standard: String = cookie
            .chars()
            .map(|c| match c {
                '_' => '=',
                '*' => '+',
                '-' => '/',
                other => other,
            })
            .collect();
        let sealed = BASE64
            .decode(standard.as_bytes())
            .map_err(|_| OldDancerError::Malformed("not base64"))?;
        // One AES-256-CBC decryption per secret; a wrong one fails the padding
        // or, 1 time in 2^32 beyond that, the CRC.
        for secret in &self.secrets {
            let mut payload = Zeroizing::new(sealed.clone());
            let Ok(plaintext) = decrypt_v1(secret, &mut payload) else {
                continue;
            };
            let Some((crc, image)) = plaintext.split_first_chunk::<4>() else {
                continue;
            };
            // `pack "L"`: the writer's native order, little-endian on most servers.
            let expected = crc32fast::hash(image);
            if u32::from_le_bytes(*crc) != expected && u32::from_be_bytes(*crc) != expected {
                continue;
            }
            return match self.decoder.decode(image)? {
                map @ Value::Map(_) => Ok(map),
                _ => Err(OldDancerError::NotAHash),
            };
        }
        Err(OldDancerError::NoSecretMatches)
    }
}
