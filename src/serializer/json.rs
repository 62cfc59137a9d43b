//! JSON via `serde_json`: readable, largest on the wire.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{BoxError, Serializer};

/// JSON (id 3). `serde_json` rejects trailing data and nests at most 128 levels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json;

impl Serializer for Json {
    fn id(&self) -> u8 {
        3
    }
    fn name(&self) -> &'static str {
        "json"
    }
    fn serialize_into<T: Serialize + ?Sized>(
        &self,
        value: &T,
        out: &mut Vec<u8>,
    ) -> Result<(), BoxError> {
        serde_json::to_writer(out, value).map_err(Into::into)
    }
    fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, BoxError> {
        serde_json::from_slice(bytes).map_err(Into::into)
    }
}
