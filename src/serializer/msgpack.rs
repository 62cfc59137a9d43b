//! MessagePack via `rmp-serde`, with field names so that structs can evolve.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{BoxError, Serializer, TrailingBytes};

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
        let read = usize::try_from(deserializer.position()).unwrap_or(usize::MAX);
        let rest = bytes.len().saturating_sub(read);
        if rest == 0 {
            Ok(value)
        } else {
            Err(TrailingBytes(rest).into())
        }
    }
}
