//! Reading the sessions of Perl applications (feature `perl-compat`), so that a
//! Dancer application can move to Rust without logging anyone out.
//!
//! [`PerlReader`] opens cookies written by `Session::Storage::Secure` 1.000
//! (protocols 2 and 1), the store `Dancer::Session::Cookie` 0.30 uses: it checks
//! the HMAC-SHA256 MAC in constant time against the current secret and then the
//! old ones, enforces the expiry, decrypts AES-256-CBC and decodes the Sereal
//! payload ([`sereal`]) into a [`Value`](crate::Value) or any
//! `T: Deserialize`. Re-issue the session with a [`Codec`](crate::Codec): the
//! next response carries it in this crate's format.
//!
//! With the `tower` feature, `SessionLayerBuilder::perl_legacy` does this for
//! every request: a Perl cookie opens, the handler sees the session, and the
//! response re-issues it in the current suite.
//!
//! ```
//! # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
//! use sealed_cookie::perl::PerlReader;
//! use sealed_cookie::{Codec, Key, Keyring, Value};
//!
//! // Written by Dancer::Session::Cookie with session_cookie_key "s3cret".
//! let perl_cookie = "gFTk1rj_eQFll_y1QepL9YG1EI19r7oPtvy-NXI0csU~4102444800~\
//!                    FHId3hNoDelPxeZYIfZ6rqDkKrDUylVfigMqo7Yt_Fc~\
//!                    2CaogZTH-RKRUwbhciHcJ5JHAe9jfJsI7XWHWGhOtUM~2";
//! let perl = PerlReader::new("s3cret", None::<&str>);
//! let codec = Codec::<Value>::builder()
//!     .keyring(Keyring::new(Key::generate()?))
//!     .build()?;
//!
//! let now = 1_700_000_000;
//! let session = perl.open(perl_cookie, now)?;
//! let reissued = codec.seal_at(&session, now)?;
//! assert_eq!(codec.open_at(&reissued, now)?.value.get("user"), Some(&"alice".into()));
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The older `Dancer::Session::Cookie` format (before 0.20: `Crypt::CBC` with a
//! CRC32 and `Storable`, no MAC) is read by [`OldDancerReader`] (feature
//! `legacy-dancer-old`), opt-in and only until a configured date.

#[cfg(feature = "legacy-dancer-old")]
mod dancer_old;
pub mod sereal;
#[cfg(feature = "legacy-dancer-old")]
pub mod storable;
mod storage_secure;
#[cfg(feature = "web")]
pub(crate) mod web;

#[cfg(feature = "legacy-dancer-old")]
pub use dancer_old::{OLD_DANCER_PREFIX, OldDancerError, OldDancerReader};
pub use sereal::{BinaryStrings, Limits, MAX_DEPTH, Objects, SerealDecoder, SerealError};
pub use storage_secure::{
    MAX_PERL_COOKIE_LEN, PERL_OLD_SECRETS_ENV, PERL_SECRET_ENV, PerlEnvError, PerlError,
    PerlOpened, PerlReader,
};
