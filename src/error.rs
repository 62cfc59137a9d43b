//! Error types for building a codec, sealing and opening.
//!
//! Opening errors are meant for server logs and metrics. A client must never be
//! told which one happened: treat every [`OpenError`] as "no session".

use std::fmt;

use crate::keyring::KeyId;

/// Writes `error`'s message and then the message of each of its sources.
pub(crate) fn write_message(
    error: &dyn std::error::Error,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    write!(f, "{error}")?;
    let mut source = error.source();
    while let Some(cause) = source {
        write!(f, ": {cause}")?;
        source = cause.source();
    }
    Ok(())
}

debug_as_message!(KeyError, ConfigError, SealError, OpenError);

/// A key could not be made from the material given.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key material is shorter than 32 bytes (256 bits).
    #[error("key material is {len} bytes; at least {min} bytes (256 bits) are required")]
    TooShort {
        /// Length given.
        len: usize,
        /// Minimum length.
        min: usize,
    },
    /// The key material is longer than the accepted maximum.
    #[error("key material is {len} bytes; at most {max} bytes are accepted")]
    TooLong {
        /// Length given.
        len: usize,
        /// Maximum length.
        max: usize,
    },
    /// The text is not valid unpadded base64url.
    #[error("key text is not valid base64url (RFC 4648 section 5, no padding)")]
    InvalidBase64,
    /// A list of keys was empty.
    #[error("no key was given: expected at least one base64url key (primary first)")]
    Empty,
    /// The operating system's random number generator failed.
    #[error("the operating system's random number generator failed")]
    Rng,
}

/// The codec was configured wrongly. Returned by [`CodecBuilder::build`](crate::CodecBuilder::build),
/// never later on a request.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No keyring was given.
    #[error("no keyring: call .keyring(...) with at least one key of 32 bytes or more")]
    NoKeyring,
    /// No suite was registered and the default suite's features are disabled.
    #[error(
        "no suite registered: call .suite(version, Suite::new(cipher, serializer)) or enable the default features"
    )]
    NoSuite,
    /// The current suite version was never registered with `.suite(..)`.
    #[error("current suite version {0} is not registered: register it with .suite({0}, ...)")]
    CurrentSuiteNotRegistered(u8),
    /// Several suites are registered but none was chosen as current.
    #[error("several suites are registered: choose the one that seals with .current(version)")]
    CurrentSuiteNotChosen,
    /// The same version was registered twice.
    #[error("suite version {0} is registered twice: each version must name exactly one suite")]
    DuplicateVersion(u8),
    /// The version number is reserved by the envelope format.
    #[error("suite version {0} is reserved: use a version from 1 to 127")]
    ReservedVersion(u8),
    /// Two keys in the keyring have the same key id.
    #[error(
        "two keys in the keyring share key id {0}: remove the duplicate key or generate a new one"
    )]
    KeyIdCollision(KeyId),
    /// The cookie name is empty or holds characters not allowed in a cookie name.
    #[error(
        "cookie name {name:?} is invalid: use 1 to 256 visible ASCII characters, none of ()<>@,;:\\\"/[]?={{}}"
    )]
    InvalidCookieName {
        /// The rejected name.
        name: String,
    },
    /// The legacy readers read more cookies than one layer tracks.
    #[error(
        "legacy readers read {count} cookie names; at most {max} are supported: adopt fewer cookies"
    )]
    TooManyLegacyCookies {
        /// Names configured.
        count: usize,
        /// Most accepted.
        max: usize,
    },
    /// A cookie attribute value holds a character that would break the `Set-Cookie` header.
    #[error("cookie attribute {attribute} holds a control character, ';' or a space")]
    InvalidAttribute {
        /// The attribute's name.
        attribute: &'static str,
    },
    /// `Path` does not start with `/`: browsers ignore such a Path.
    #[error("cookie Path {path:?} must start with '/': use e.g. \"/\" or \"/app\"")]
    PathNotAbsolute {
        /// The path given.
        path: String,
    },
    /// `Domain` is not a bare host name.
    #[error(
        "cookie Domain {domain:?} must be a bare host name such as \"example.com\", without scheme, port or path"
    )]
    DomainNotAHost {
        /// The domain given.
        domain: String,
    },
    /// The cookie name has a prefix whose requirements the attributes break:
    /// browsers would drop every cookie.
    #[error(
        "cookie name {name:?} starts with {prefix}, which browsers accept only with {needs}: set those attributes or choose a name without the prefix"
    )]
    PrefixRequirements {
        /// The cookie name.
        name: String,
        /// The prefix, `__Host-` or `__Secure-`.
        prefix: &'static str,
        /// What the prefix needs.
        needs: &'static str,
    },
    /// Under [`SizeRule::NameValue`](crate::SizeRule::NameValue), an attribute
    /// value is longer than RFC 6265bis lets browsers keep.
    #[error(
        "cookie attribute {attribute} is {len} bytes; RFC 6265bis browsers ignore values over {max}: shorten it"
    )]
    AttributeTooLong {
        /// The attribute's name.
        attribute: &'static str,
        /// Its length.
        len: usize,
        /// The most accepted.
        max: usize,
    },
    /// The maximum age does not fit the envelope's 32-bit lifetime field.
    #[error("max age of {seconds} s is too long: at most {max} s (about 136 years)")]
    MaxAgeTooLong {
        /// Seconds asked for.
        seconds: u64,
        /// Largest accepted.
        max: u64,
    },
    /// The maximum age is under one second: it would seal lifetime 0, which on
    /// the wire means "no expiry".
    #[error(
        "max age of {max_age:?} is under one second, and would seal cookies with no expiry at all: use at least 1 s, or no max age for browser-session cookies"
    )]
    MaxAgeTooShort {
        /// The max age asked for.
        max_age: std::time::Duration,
    },
    /// An idle timeout under one second or over 2^32 − 1 seconds.
    #[error("idle timeout of {idle:?} is out of range: use 1 s to about 136 years, or none")]
    IdleTimeoutOutOfRange {
        /// The timeout asked for.
        idle: std::time::Duration,
    },
    /// The renewal window is not shorter than the idle timeout: every request
    /// would re-seal.
    #[error(
        "renewal window of {window:?} is not shorter than the idle timeout of {idle:?}: use a shorter renew_within (the default is half the idle timeout)"
    )]
    RenewalWindowTooLong {
        /// The renewal window.
        window: std::time::Duration,
        /// The idle timeout.
        idle: std::time::Duration,
    },
    /// Not even an empty payload fits the size budget.
    #[error(
        "size budget of {budget} bytes cannot hold even an empty cookie ({needed} bytes): raise the budget or shorten the name and attributes"
    )]
    BudgetTooSmall {
        /// Bytes an empty sealed cookie needs.
        needed: usize,
        /// The configured budget.
        budget: usize,
    },
    /// The size budget is larger than [`MAX_BUDGET`](crate::MAX_BUDGET).
    #[error("size budget of {budget} bytes is too large: at most {max} bytes are accepted")]
    BudgetTooLarge {
        /// The configured budget.
        budget: usize,
        /// Largest accepted.
        max: usize,
    },
    /// The padding block is 0 or larger than 4096.
    #[error("padding block of {0} bytes is invalid: use 1 to 4096")]
    InvalidPadding(usize),
    /// The compressor rejected its configuration.
    #[error("compressor configuration rejected: {0}")]
    Compressor(&'static str),
    /// The decompression cap is zero.
    #[error("decompression cap must be at least 1 byte")]
    InvalidDecompressionCap,
}

/// Why sealing failed.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The full `Set-Cookie` string would exceed the size budget.
    #[error("sealed cookie needs {needed} bytes of Set-Cookie header but the budget is {budget}")]
    TooLarge {
        /// Length of the complete `Set-Cookie` value (name, value and attributes).
        needed: usize,
        /// The configured budget.
        budget: usize,
    },
    /// The value could not be serialized.
    #[error("serialization failed: {0}")]
    Serialize(Box<dyn std::error::Error + Send + Sync>),
    /// The compressor failed.
    #[error("compression failed: {0}")]
    Compress(Box<dyn std::error::Error + Send + Sync>),
    /// The cipher refused to encrypt (message too long for the algorithm).
    #[error("encryption failed")]
    Encrypt,
    /// The operating system's random number generator failed to seed the nonce
    /// generator.
    #[error("the operating system's random number generator failed; no nonce could be drawn")]
    Rng,
    /// Flash messages were given to a codec that writes envelope format 1, which
    /// has no place for them, or they take more than 65535 bytes.
    #[error("flash messages cannot be sealed: {0}")]
    Flash(&'static str),
    /// The session began more than 2^32 − 1 seconds (about 136 years) before
    /// this seal: format 2 cannot record its age.
    #[error("cannot re-seal: the session began at {issued_at}, too long ago for format 2")]
    SessionTooOld {
        /// When the session began, seconds since the Unix epoch.
        issued_at: u64,
    },
    /// The issued-at time given to a re-seal lies after its expiry.
    #[error("cannot re-seal: the cookie already expired at {expires_at}")]
    AlreadyExpired {
        /// Expiry, in seconds since the Unix epoch.
        expires_at: u64,
    },
}

/// Why a cookie was rejected. For logs and metrics only: a client always just gets
/// a fresh session.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The cookie value is longer than the configured maximum; it was not decoded.
    #[error("cookie value is {len} bytes, longer than the maximum of {max}")]
    TooLong {
        /// Length received.
        len: usize,
        /// Maximum accepted.
        max: usize,
    },
    /// The cookie is not a well-formed envelope (bad base64url, too short, unknown flags).
    #[error("malformed cookie: {0}")]
    Malformed(&'static str),
    /// The version byte names no registered suite.
    #[error("unknown suite version {0}")]
    UnknownVersion(u8),
    /// The key id names no key in the keyring.
    #[error("unknown key id {0}")]
    UnknownKey(KeyId),
    /// The AEAD tag did not verify: wrong key, wrong cookie name, or altered bytes.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The cookie's lifetime is over.
    #[error("cookie expired at {expired_at}")]
    Expired {
        /// Expiry, in seconds since the Unix epoch.
        expired_at: u64,
    },
    /// The session was idle (not re-sealed) for longer than the idle timeout.
    #[error("session idle-expired at {expired_at}")]
    IdleExpired {
        /// End of the idle timeout, in seconds since the Unix epoch.
        expired_at: u64,
    },
    /// The session is older than the absolute timeout, counted from its creation.
    #[error("session absolutely expired at {expired_at}")]
    AbsolutelyExpired {
        /// End of the absolute timeout, in seconds since the Unix epoch.
        expired_at: u64,
    },
    /// The cookie claims to be issued in the future (beyond the clock-skew allowance).
    #[error("cookie is not yet valid: issued at {issued_at}")]
    NotYetValid {
        /// Issued-at, in seconds since the Unix epoch.
        issued_at: u64,
    },
    /// The cookie was issued before the codec's not-before cutoff.
    #[error("cookie issued at {issued_at} is revoked by the not-before cutoff {not_before}")]
    Revoked {
        /// Issued-at, in seconds since the Unix epoch.
        issued_at: u64,
        /// The cutoff.
        not_before: u64,
    },
    /// Decompression would exceed the configured cap.
    #[error("decompressed payload would exceed the cap of {cap} bytes")]
    DecompressionOverCap {
        /// The cap.
        cap: usize,
    },
    /// The compressed payload is corrupt.
    #[error("decompression failed")]
    Decompress,
    /// The plaintext could not be deserialized into the expected type.
    #[error("deserialization failed: {0}")]
    Deserialize(Box<dyn std::error::Error + Send + Sync>),
}

impl OpenError {
    /// A short, stable, lower-case name for logs and metrics labels.
    ///
    /// ```
    /// assert_eq!(sealed_cookie::OpenError::AuthenticationFailed.kind(), "authentication_failed");
    /// ```
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TooLong { .. } => "too_long",
            Self::Malformed(_) => "malformed",
            Self::UnknownVersion(_) => "unknown_version",
            Self::UnknownKey(_) => "unknown_key",
            Self::AuthenticationFailed => "authentication_failed",
            Self::Expired { .. } => "expired",
            Self::IdleExpired { .. } => "idle_expired",
            Self::AbsolutelyExpired { .. } => "absolutely_expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::Revoked { .. } => "revoked",
            Self::DecompressionOverCap { .. } => "decompression_over_cap",
            Self::Decompress => "decompression_failed",
            Self::Deserialize(_) => "deserialization_failed",
        }
    }
}
