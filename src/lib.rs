//! # sealed-cookie
//!
//! Web sessions that live entirely in the browser cookie, sealed with authenticated
//! encryption so that the client can neither read, alter, move (to another cookie
//! name) nor outlive them. The server stores nothing; servers share only a keyring.
//!
//! With axum (feature `axum`), the session is an extractor and the layer comes
//! from the environment (`SEALED_COOKIE_KEYS` from `sealed-cookie keygen`, and any
//! `SEALED_COOKIE_*` setting):
//!
//! ```ignore
//! // Needs axum and tokio. A fuller app, compiled and tested: e2e/examples/server.rs.
//! use axum::{Router, routing::get};
//! use sealed_cookie::web::{Session, SessionConfig};
//!
//! async fn counter(session: Session) -> String {
//!     let count = session.get::<u64>("count").ok().flatten().unwrap_or(0) + 1;
//!     session.insert("count", &count).expect("a number converts");
//!     count.to_string()
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let layer = SessionConfig::load()?.layer()?; // every mistake is reported here
//!     let app = Router::new().route("/api/counter", get(counter)).layer(layer);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! **Lifetimes.** A session ends after its idle timeout without a request and at
//! its absolute timeout after sign-in however active (`idle_timeout`,
//! `absolute_timeout`); both are checked by the server from authenticated data,
//! and activity re-seals the cookie at most once per half idle window. Cookies
//! are persistent or browser-session ones ([`web::Session::set_persistent`],
//! "remember me"), every session has a random 128-bit id that sign-in renews
//! ([`web::Session::renew`]), and flash messages ride in the same cookie.
//!
//! **Logout.** Without a store, a copy of the cookie taken before logout still
//! opens until it expires: nothing on the server strikes it out. Configure a
//! revocation store (`SEALED_COOKIE_REVOCATION_URL=redis://127.0.0.1:6379/0`,
//! feature `redis`, or `memory` for one process) and [`web::Session::destroy`]
//! revokes the session's id on every server sharing the store, while
//! [`web::SessionLayer::revoke_user`] logs a user out everywhere. Without one,
//! keep lifetimes short; a not-before cutoff or a key rotation ends every session
//! at once.
//!
//! Without a framework, [`Codec`] seals and opens any serde type:
//!
//! - **Suites** compose a [`Cipher`](cipher::Cipher) (XChaCha20-Poly1305, AES-256-GCM,
//!   AES-256-SIV), a [`Serializer`](serializer::Serializer) (postcard, MessagePack,
//!   JSON) and a [`Compressor`](compressor::Compressor) (none, zstd), chosen in code.
//! - A **version byte** picks the suite and a **key id** picks the key: one AEAD
//!   attempt per cookie, and rotation or algorithm upgrades open old cookies while
//!   issuing new ones ([`Facts::needs_reissue`]).
//! - **Server-side expiry** from the authenticated header (idle and absolute
//!   timeouts, [`Facts::ends_by`]), a clock-skew allowance, and a not-before cutoff
//!   that revokes every older cookie.
//! - An **exact size budget**: the whole `Set-Cookie` string is measured before a
//!   value is returned ([`SealError::TooLarge`]).
//!
//! The wire format is specified in `SPEC.md`, with frozen test vectors.
//!
//! ```
//! # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
//! use std::time::Duration;
//! use serde::{Deserialize, Serialize};
//! use sealed_cookie::{Codec, Key, Keyring};
//!
//! #[derive(Serialize, Deserialize, PartialEq, Debug)]
//! struct Session { user_id: u64, roles: Vec<String> }
//!
//! let codec = Codec::<Session>::builder()
//!     .keyring(Keyring::new(Key::generate()?))
//!     .cookie_name("session")
//!     .max_age(Duration::from_secs(3600))
//!     .build()?;
//! let cookie = codec.seal(&Session { user_id: 42, roles: vec!["admin".into()] })?;
//! let opened = codec.open(&cookie)?;
//! assert_eq!(opened.value.user_id, 42);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `xchacha20poly1305` | yes | [`cipher::XChaCha20Poly1305`] |
//! | `postcard` | yes | [`serializer::Postcard`] |
//! | `aes-gcm` | no | [`cipher::Aes256Gcm`] |
//! | `aes-siv` | no | [`cipher::Aes256Siv`] |
//! | `msgpack` | no | [`serializer::MessagePack`] |
//! | `zstd` | no | [`compressor::Zstd`] |
//! | `perl-compat` | no | [`perl`]: open `Session::Storage::Secure` / `Dancer::Session::Cookie` cookies |
//! | `tower` | no | [`web::SessionLayer`]: a tower session layer, configured in code or from TOML / the environment |
//! | `axum` | no | `Session` and `TypedSession` as axum extractors (implies `tower`) |
//! | `redis` | no | [`web::revocation::RedisStore`]: revocation shared through Redis (implies `tower`) |
//! | `metrics` | no | counters and histograms through the `metrics` facade (implies `tower`) |
//! | `keyfile` | no | [`keyfile`]: keyring files (TOML, JSON) and `SEALED_COOKIE_KEYS` |
//! | `cli` | no | the `sealed-cookie` command-line tool (every cipher, serializer and compressor) |
//! | `test-vectors` | no | [`Codec::seal_with_nonce`], for reproducing frozen vectors only |
//!
//! JSON ([`serializer::Json`]) and no compression are always available.
//!
//! ## Compression and secrets
//!
//! Compressing a secret next to data an attacker can influence leaks the secret
//! through the cookie's length (CRIME/BREACH). Leave compression off for such
//! sessions, or pad ([`Padding`]) to hide the length.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// `Debug` for a public error: its message, then each cause after `: `, which is
/// what `?` in `main` and `{:?}` then print (never a struct dump).
macro_rules! debug_as_message {
    ($($t:ty),* $(,)?) => {$(
        impl ::core::fmt::Debug for $t {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                crate::error::write_message(self, f)
            }
        }
    )*};
}

/// Hex text to bytes, for the unit tests' published vectors and images.
#[cfg(test)]
pub(crate) fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digits"))
        .collect()
}

mod attributes;
mod base64url;
pub mod cipher;
mod clock;
mod codec;
pub mod compressor;
pub mod envelope;
mod error;
#[cfg(feature = "keyfile")]
#[cfg_attr(docsrs, doc(cfg(feature = "keyfile")))]
pub mod keyfile;
mod keyring;
mod lifecycle;
mod nonce;
#[cfg(feature = "perl-compat")]
#[cfg_attr(docsrs, doc(cfg(feature = "perl-compat")))]
pub mod perl;
pub mod serializer;
mod session_id;
mod suite;
mod value;
#[cfg(feature = "web")]
#[cfg_attr(docsrs, doc(cfg(feature = "web")))]
pub mod web;
#[cfg(any(feature = "web", feature = "cli"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "web", feature = "cli"))))]
pub mod words;

pub use attributes::{CookieAttributes, SameSite};
pub use clock::{Clock, FixedClock, SystemClock};
pub use codec::{
    Codec, CodecBuilder, DEFAULT_BUDGET, DEFAULT_CLOCK_SKEW, DEFAULT_DECOMPRESSION_CAP,
    MAX_ATTRIBUTE_VALUE_LEN, MAX_BUDGET, MAX_NAME_LEN, Opened, SealOptions, Sealed, SizeRule,
};
pub use envelope::Format;
pub use error::{ConfigError, KeyError, OpenError, SealError};
pub use keyring::{GENERATED_KEY_LEN, Key, KeyId, Keyring, MAX_KEY_LEN, MIN_KEY_LEN};
pub use lifecycle::{Ending, Facts};
pub use session_id::{InvalidSessionId, SessionId};
pub use suite::{Padding, Suite};
pub use value::{SessionMap, Value};
