//! postcard: compact and fast for typed values; not self-describing, so structs
//! cannot gain or lose fields without a new suite version.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{BoxError, Serializer, TrailingBytes};
use crate::value::{Value, compact};

/// postcard (id 1), the default serializer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Postcard;

impl Serializer for Postcard {
    fn id(&self) -> u8 {
        1
    }
    fn name(&self) -> &'static str {
        "postcard"
    }
    fn serialize_into<T: Serialize + ?Sized>(
        &self,
        value: &T,
        out: &mut Vec<u8>,
    ) -> Result<(), BoxError> {
        // to_extend takes the writer by value; on error the caller discards `out`.
        *out = postcard::to_extend(value, std::mem::take(out))?;
        Ok(())
    }
    fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, BoxError> {
        let (value, rest) = postcard::take_from_bytes(bytes)?;
        if rest.is_empty() {
            Ok(value)
        } else {
            Err(TrailingBytes(rest.len()).into())
        }
    }
    /// The compact tagged form of SPEC.md, "Session values": a superset of the
    /// tagged enum that `Value`'s serde implementation writes under postcard.
    fn serialize_value(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
        compact::encode(value, out).map_err(Into::into)
    }
    fn deserialize_value(&self, bytes: &[u8]) -> Result<Value, BoxError> {
        compact::decode(bytes).map_err(Into::into)
    }
}
