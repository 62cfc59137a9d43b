//! Serializers turn the application's value into plaintext bytes. One file per format.

mod json;
#[cfg(feature = "msgpack")]
mod msgpack;
#[cfg(feature = "postcard")]
mod postcard;

pub use self::json::Json;
#[cfg(feature = "msgpack")]
pub use self::msgpack::MessagePack;
#[cfg(feature = "postcard")]
pub use self::postcard::Postcard;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::value::Value;

/// The boxed error a serializer returns.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A serde data format.
///
/// Ids 1 to 127 are reserved for this crate; applications pick theirs from 128 to 255.
///
/// ```
/// use sealed_cookie::serializer::{Json, Serializer};
/// let mut out = Vec::new();
/// Json.serialize_into(&vec![1, 2], &mut out).unwrap();
/// assert_eq!(out, b"[1,2]");
/// let back: Vec<u8> = Json.deserialize(&out).unwrap();
/// assert_eq!(back, [1, 2]);
/// ```
pub trait Serializer: Send + Sync + 'static {
    /// Stable numeric id, bound into the associated data.
    fn id(&self) -> u8;
    /// Human-readable name.
    fn name(&self) -> &'static str;
    /// Appends the encoding of `value` to `out`.
    ///
    /// # Errors
    /// When the format cannot represent the value.
    fn serialize_into<T: Serialize + ?Sized>(
        &self,
        value: &T,
        out: &mut Vec<u8>,
    ) -> Result<(), BoxError>;
    /// Decodes exactly `bytes` (trailing bytes are an error).
    ///
    /// # Errors
    /// When the bytes are not a valid encoding of `T`.
    fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, BoxError>;

    /// Appends the encoding of a session [`Value`], the one untyped payload that
    /// the web layer, the command line and other implementations share (SPEC.md,
    /// "Session values"). The default writes `Value`'s serde form; a format with
    /// native types of its own overrides it to use them.
    ///
    /// # Errors
    /// When the value is outside the data model (too deep, a non-finite float).
    fn serialize_value(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
        self.serialize_into(value, out)
    }

    /// Decodes exactly `bytes` as a session [`Value`]; the counterpart of
    /// [`Serializer::serialize_value`].
    ///
    /// # Errors
    /// When the bytes are not a session value.
    fn deserialize_value(&self, bytes: &[u8]) -> Result<Value, BoxError> {
        self.deserialize(bytes)
    }
}

/// Trailing bytes after a complete value.
#[cfg(any(feature = "postcard", feature = "msgpack"))]
#[derive(Debug, thiserror::Error)]
#[error("{0} trailing bytes after the value")]
pub(crate) struct TrailingBytes(pub(crate) usize);
