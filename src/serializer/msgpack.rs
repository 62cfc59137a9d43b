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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_values_are_native_messagepack() {
        let value = Value::from(serde_json::json!({"b": [1, -1, 1.5, null, true], "a": "x"}));
        let mut out = Vec::new();
        MessagePack.serialize_value(&value, &mut out).unwrap();
        // fixmap(2) "a" "x" "b" fixarray(5) 1 -1 float64(1.5) nil true
        let expected = [
            0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0x95, 0x01, 0xff, 0xcb, 0x3f, 0xf8, 0, 0, 0,
            0, 0, 0, 0xc0, 0xc3,
        ];
        assert_eq!(out, expected);
        assert_eq!(MessagePack.deserialize_value(&out).unwrap(), value);
        // Widest integers, and a float 32 read as a float.
        for (bytes, expected) in [
            (
                vec![0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                Value::UInt(u64::MAX),
            ),
            (vec![0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0], Value::Int(i64::MIN)),
            (vec![0xca, 0x3f, 0xc0, 0, 0], Value::Float(1.5)),
        ] {
            assert_eq!(MessagePack.deserialize_value(&bytes).unwrap(), expected);
        }
    }

    #[test]
    fn what_is_outside_the_model_is_refused() {
        let cases: [&[u8]; 6] = [
            &[0xc4, 0x01, 0x00],                         // bin 8
            &[0xd4, 0x01, 0x00],                         // fixext 1
            &[0x81, 0x01, 0xc0],                         // an integer key
            &[0x82, 0xa1, b'a', 0xc0, 0xa1, b'a', 0xc0], // a key twice
            &[0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0],       // NaN
            &[0xc0, 0xc0],                               // trailing bytes
        ];
        for bytes in cases {
            assert!(MessagePack.deserialize_value(bytes).is_err(), "{bytes:x?}");
        }
    }
}
