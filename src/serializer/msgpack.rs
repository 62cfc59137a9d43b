//! MessagePack via `rmp-serde`, with field names so that structs can evolve.

use serde::de::DeserializeOwned;
use serde::{Deserialize as _, Serialize};

use super::{BoxError, Serializer, TrailingBytes};
use crate::value::Value;

/// MessagePack with named fields (id 2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessagePack;

impl Serializer for MessagePack {
    fn id(&self) -> u8 {
        2
    }
    fn name(&self) -> &'static str {
        "msgpack"
    }
    fn serialize_into<T: Serialize + ?Sized>(
        &self,
        value: &T,
        out: &mut Vec<u8>,
    ) -> Result<(), BoxError> {
        rmp_serde::encode::write_named(out, value).map_err(Into::into)
    }
    fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, BoxError> {
        let mut deserializer = rmp_serde::Deserializer::new(std::io::Cursor::new(bytes));
        let value = T::deserialize(&mut deserializer)?;
        exactly(value, deserializer.position(), bytes)
    }
    /// Native MessagePack types (nil, bool, int, float 64, str, array, map), as
    /// `Value` writes itself to a self-describing format.
    fn serialize_value(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
        let mut serializer = rmp_serde::Serializer::new(out).with_human_readable();
        value.serialize(&mut serializer).map_err(Into::into)
    }
    fn deserialize_value(&self, bytes: &[u8]) -> Result<Value, BoxError> {
        let mut cursor = std::io::Cursor::new(bytes);
        let value = Value::deserialize(
            &mut rmp_serde::Deserializer::new(&mut cursor).with_human_readable(),
        )?;
        exactly(value, cursor.position(), bytes)
    }
}

/// `value` when the deserializer read all of `bytes`.
fn exactly<T>(value: T, read: u64, bytes: &[u8]) -> Result<T, BoxError> {
    let read = usize::try_from(read).unwrap_or(usize::MAX);
    match bytes.len().saturating_sub(read) {
        0 => Ok(value),
        rest => Err(TrailingBytes(rest).into()),
    }
}
