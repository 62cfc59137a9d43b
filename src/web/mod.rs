//! A session layer for [tower] and [axum]: the whole session lives in the sealed
//! cookie, the server stores nothing.
//!
//! [`SessionLayer`] opens the session cookie of every request (reassembling chunks
//! when chunking is on), hands the handler a [`Session`] through the request
//! extensions, and writes `Set-Cookie` on the way out only when it has to:
//!
//! | the request's cookie | the handler | response |
//! |---|---|---|
//! | absent | reads only | no `Set-Cookie` |
//! | absent, tampered, expired, revoked, unknown key | writes | a fresh cookie |
//! | tampered, expired, revoked, unknown key | reads only | the cookie (and its chunks) deleted |
//! | valid | reads only | nothing, unless it must be re-issued: sealed with an old key or suite (re-sealed keeping its issued-at), or due for renewal (sealed fresh) |
//! | valid | writes | re-sealed, keeping its issued-at |
//! | any | [`Session::renew`] | sealed fresh: a new issued-at and a full lifetime |
//! | any | empties it ([`Session::clear`], [`Session::destroy`]) | the cookie and every chunk deleted |
//!
//! A rejected cookie never becomes an error response: the handler sees an empty
//! session, and the reason is logged through [`tracing`](https://docs.rs/tracing)
//! with [`OpenError::kind`](crate::OpenError::kind). A session that does not fit
//! the size budget is never dropped silently: with chunking off the response is
//! replaced by a `500 Internal Server Error` and the sizes are logged; with
//! chunking on it is split over numbered cookies (see [`SessionLayerBuilder::chunking`]
//! and the chunking section of `SPEC.md`).
//!
//! Configuration comes from code ([`SessionLayer::builder`]) or from a
//! [`SessionConfig`] read from TOML or the environment; every mistake is reported
//! when the layer is built, never on a request.
//!
//! ```
//! # #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))] {
//! use std::time::Duration;
//! use sealed_cookie::{Key, Keyring};
//! use sealed_cookie::web::SessionLayer;
//!
//! let layer = SessionLayer::builder()
//!     .keyring(Keyring::new(Key::generate()?))
//!     .max_age(Duration::from_secs(3600))
//!     .renew_within(Duration::from_secs(600))
//!     .build()?;
//! // axum: Router::new().route(..).layer(layer)
//! # let _ = layer;
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [tower]: https://docs.rs/tower
//! [axum]: https://docs.rs/axum

// The engine alone (feature `web` without an adapter) is for adapters to call.
#![cfg_attr(not(any(feature = "tower", feature = "actix")), allow(dead_code))]

#[cfg(feature = "actix")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
pub mod actix;
mod cache;
mod chunking;
mod config;
pub(crate) mod cookie_header;
mod engine;
mod layer;
pub mod legacy;
pub mod metrics;
mod payload;
mod reload;
pub mod revocation;
mod session;
mod set_cookie;
#[cfg(feature = "tower")]
mod tower;

pub use cache::CacheControl;
pub use chunking::MAX_CANDIDATES;
pub use config::{CONFIG_ENV, KEYRING_ENV, KEYS_ENV, SessionConfig, WebConfigError};
pub use layer::{
    DEFAULT_MAX_CHUNKS, DEFAULT_REQUEST_HEADER_BUDGET, DEFAULT_REQUEST_HEADER_HEADROOM, MAX_CHUNKS,
    SessionLayer, SessionLayerBuilder,
};
pub use payload::{SessionPayload, Typed};
pub use reload::MIN_RELOAD_INTERVAL;
pub use revocation::{OnStoreError, RevocationStore};
pub use session::{Session, SessionMissing, SessionValueError, TypedSession};
#[cfg(feature = "tower")]
pub use tower::{future::ResponseFuture, service::SessionService};
