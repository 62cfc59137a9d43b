//! The session value: the one untyped payload that the web layer, the command line
//! and other implementations share (SPEC.md, "Session values"). Each built-in
//! serializer writes it in a form of its own ([`Serializer::serialize_value`]):
//! postcard in a compact tagged form, MessagePack and JSON with their native types.
//! Its serde implementation (used by other serializers) writes plain values to
//! human-readable formats and a tagged enum to binary ones.
//!
//! [`Serializer::serialize_value`]: crate::serializer::Serializer::serialize_value

mod borrowed;
#[cfg(feature = "postcard")]
pub(crate) mod compact;
mod from_serialize;
#[cfg(test)]
mod test_types;

pub(crate) use borrowed::ValueRef;

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// The JSON data model, with integers kept exact up to 64 bits: null, booleans,
/// integers from −2^63 to 2^64 − 1, finite floats, UTF-8 strings, arrays, and maps
/// with string keys (sorted, each once), nested at most [`Value::MAX_DEPTH`] levels.
///
/// Signed integers that fit `i64` are always [`Value::Int`]; only values above
/// `i64::MAX` are [`Value::UInt`]. A NaN or infinite float is outside the model:
/// sealing refuses it under every serializer.
///
/// ```
/// use sealed_cookie::Value;
/// let value = Value::from(serde_json::json!({"user": "alice", "visits": 3}));
/// assert_eq!(value.get("visits"), Some(&Value::Int(3)));
/// assert_eq!(serde_json::Value::from(value)["user"], "alice");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer above `i64::MAX`.
    UInt(u64),
    /// A float.
    Float(f64),
    /// A UTF-8 string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// A map with string keys, sorted.
    Map(BTreeMap<String, Value>),
}

/// A session's entries: what [`Value::Map`] holds. The web layer seals a session
/// as that `Value`; seal `Value::Map(entries)` with a `Codec<Value>` to make the
/// same cookie (a `Codec<SessionMap>` writes the bare map, through serde).
pub type SessionMap = BTreeMap<String, Value>;

impl Value {
    /// Deepest nesting of arrays and maps a value may have. Sealing refuses a
    /// deeper value and opening rejects one, so that decoding needs bounded stack
    /// and memory whatever the plaintext says, and whatever seals also opens under
    /// every serializer (`serde_json` stops at 128 levels).
    ///
    /// ```
    /// use sealed_cookie::Value;
    /// let mut deep = Value::Null;
    /// for _ in 0..=Value::MAX_DEPTH {
    ///     deep = Value::Array(vec![deep]);
    /// }
    /// assert!(serde_json::to_string(&deep).is_err());
    /// ```
    pub const MAX_DEPTH: usize = 64;

    /// The entry under `key` when this is a map.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Self::Map(map) => map.get(key),
            _ => None,
        }
    }

    /// Converts any serializable value (through the JSON data model).
    ///
    /// # Errors
    /// When the value has no JSON form (e.g. a map with non-string keys).
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        // Built directly, without a `serde_json::Value` first: same results.
        from_serialize::to_value(value)
    }

    /// Converts into any deserializable type (through the JSON data model, as
    /// `serde_json::from_value` would).
    ///
    /// # Errors
    /// When the shapes do not match.
    pub fn deserialize_into<T: de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        // Read in place, without a copy into a `serde_json::Value`: same results.
        T::deserialize(ValueRef(self))
    }

    fn from_u64(v: u64) -> Self {
        i64::try_from(v).map_or(Self::UInt(v), Self::Int)
    }
}

impl From<serde_json::Value> for Value {
    fn from(value: serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Bool(b) => Self::Bool(b),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(Self::Int)
                .or_else(|| n.as_u64().map(Self::from_u64))
                .unwrap_or_else(|| Self::Float(n.as_f64().unwrap_or(f64::NAN))),
            serde_json::Value::String(s) => Self::String(s),
            serde_json::Value::Array(items) => {
                Self::Array(items.into_iter().map(Self::from).collect())
            }
            serde_json::Value::Object(map) => {
                Self::Map(map.into_iter().map(|(k, v)| (k, Self::from(v))).collect())
            }
        }
    }
}

impl From<Value> for serde_json::Value {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(b),
            Value::Int(i) => Self::from(i),
            Value::UInt(u) => Self::from(u),
            // Non-finite floats have no JSON form.
            Value::Float(f) => serde_json::Number::from_f64(f).map_or(Self::Null, Self::Number),
            Value::String(s) => Self::String(s),
            Value::Array(items) => Self::Array(items.into_iter().map(Self::from).collect()),
            Value::Map(map) => {
                Self::Object(map.into_iter().map(|(k, v)| (k, Self::from(v))).collect())
            }
        }
    }
}

macro_rules! from_scalar {
    ($($t:ty => $variant:ident),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Self::$variant(v.into()) }
        }
    )*};
}
from_scalar!(bool => Bool, i8 => Int, i16 => Int, i32 => Int, i64 => Int, u8 => Int, u16 => Int, u32 => Int, f32 => Float, f64 => Float, String => String, &str => String);

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Self::from_u64(v)
    }
}

const VARIANTS: &[&str] = &[
    "Null", "Bool", "Int", "UInt", "Float", "String", "Array", "Map",
];

const MAX_DEPTH: usize = Value::MAX_DEPTH;

/// The most that records forms may stand for in one postcard session value: the
/// bytes their rows would take as plain maps (SPEC.md section 12.2). Keys written
/// once expand on reading; this bounds what a reader builds, whatever the input.
pub(crate) const RECORDS_BUDGET: usize = 16_384;

/// Why bytes are not a session value, or a value is outside the data model.
/// (Most variants belong to the postcard form's reader.)
#[cfg_attr(not(feature = "postcard"), allow(dead_code))]
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// Arrays and maps nest deeper than [`Value::MAX_DEPTH`].
    #[error("value nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A NaN or infinite float: session values hold finite floats only.
    #[error("a session value holds finite floats only, not {0}")]
    NonFinite(String),
    /// The bytes end inside a value.
    #[error("the value ends early")]
    Truncated,
    /// A tag byte that names no form.
    #[error("tag {0:#04x} names no form of a session value")]
    UnknownTag(u8),
    /// A varint longer than 10 bytes or above 2^64 - 1.
    #[error("a varint is longer than 10 bytes or exceeds 64 bits")]
    BadVarint,
    /// A string that is not UTF-8.
    #[error("a string is not UTF-8")]
    NotUtf8,
    /// The byte after a bool tag is neither 0 nor 1.
    #[error("a bool byte is {0:#04x}, neither 0 nor 1")]
    BadBool(u8),
    /// A map holds the same key twice.
    #[error("a map holds the key {0:?} twice")]
    DuplicateKey(String),
    /// Records with no keys, no rows, or keys not strictly ascending.
    #[error("records need at least one key and one row, with keys strictly ascending")]
    BadRecords,
    /// Records that stand for more than [`RECORDS_BUDGET`] bytes of plain maps.
    #[error("records stand for more than {RECORDS_BUDGET} bytes of plain maps")]
    RecordsTooLarge,
    /// A declared length longer than the bytes that remain.
    #[error("a declared length of {0} exceeds the bytes that remain")]
    LengthTooLong(u64),
    /// Bytes after a complete value.
    #[error("{0} trailing bytes after the value")]
    Trailing(usize),
}

/// Elements reserved up front for an array whose length the format declares;
/// longer arrays grow as their elements actually arrive.
pub(crate) const PREALLOCATE: usize = 64;

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Nested(self, 0).serialize(serializer)
    }
}

/// A value at a nesting depth, to refuse values deeper than [`MAX_DEPTH`].
struct Nested<'a>(&'a Value, usize);

impl Serialize for Nested<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let Nested(value, depth) = *self;
        if matches!(value, Value::Array(_) | Value::Map(_)) && depth >= MAX_DEPTH {
            return Err(S::Error::custom(FormError::TooDeep));
        }
        if serializer.is_human_readable() {
            return match value {
                Value::Null => serializer.serialize_unit(),
                Value::Bool(b) => serializer.serialize_bool(*b),
                Value::Int(i) => serializer.serialize_i64(*i),
                Value::UInt(u) => serializer.serialize_u64(*u),
                // Outside the model (and JSON would write `null`).
                Value::Float(f) if !f.is_finite() => Err(non_finite(*f)),
                Value::Float(f) => serializer.serialize_f64(*f),
                Value::String(s) => serializer.serialize_str(s),
                Value::Array(list) => Seq(list, depth).serialize(serializer),
                Value::Map(map) => Entries(map, depth).serialize(serializer),
            };
        }
        // Binary formats such as postcard cannot describe themselves: tag each value.
        match value {
            Value::Null => serializer.serialize_unit_variant("Value", 0, "Null"),
            Value::Bool(b) => serializer.serialize_newtype_variant("Value", 1, "Bool", b),
            Value::Int(i) => serializer.serialize_newtype_variant("Value", 2, "Int", i),
            Value::UInt(u) => serializer.serialize_newtype_variant("Value", 3, "UInt", u),
            Value::Float(f) if !f.is_finite() => Err(non_finite(*f)),
            Value::Float(f) => serializer.serialize_newtype_variant("Value", 4, "Float", f),
            Value::String(s) => serializer.serialize_newtype_variant("Value", 5, "String", s),
            Value::Array(list) => {
                serializer.serialize_newtype_variant("Value", 6, "Array", &Seq(list, depth))
            }
            Value::Map(map) => {
                serializer.serialize_newtype_variant("Value", 7, "Map", &Entries(map, depth))
            }
        }
    }
}

fn non_finite<E: serde::ser::Error>(f: f64) -> E {
    E::custom(format_args!(
        "a session value holds finite floats only, not {f}"
    ))
}

/// The elements of an array at `depth`, one level deeper.
struct Seq<'a>(&'a [Value], usize);

impl Serialize for Seq<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|v| Nested(v, self.1 + 1)))
    }
}

/// The entries of a map at `depth`, one level deeper.
struct Entries<'a>(&'a BTreeMap<String, Value>, usize);

impl Serialize for Entries<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, Nested(v, self.1 + 1))))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ValueSeed(0).deserialize(deserializer)
    }
}

/// Deserializes a value at a nesting depth.
#[derive(Clone, Copy)]
struct ValueSeed(usize);

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(PlainVisitor(self.0))
        } else {
            deserializer.deserialize_enum("Value", VARIANTS, TaggedVisitor(self.0))
        }
    }
}

/// A map key: a string, and nothing a format might turn into one (MessagePack's
/// `bin`, say).
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string map key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

fn finite<E: de::Error>(v: f64) -> Result<Value, E> {
    if v.is_finite() {
        Ok(Value::Float(v))
    } else {
        Err(E::custom(FormError::NonFinite(v.to_string())))
    }
}

fn too_deep<E: de::Error>() -> E {
    E::custom(FormError::TooDeep)
}

/// Inserts an entry, refusing a key already present.
pub(crate) fn insert_unique(
    map: &mut BTreeMap<String, Value>,
    key: String,
    value: Value,
) -> Result<(), FormError> {
    match map.entry(key) {
        std::collections::btree_map::Entry::Occupied(entry) => {
            Err(FormError::DuplicateKey(entry.key().clone()))
        }
        std::collections::btree_map::Entry::Vacant(entry) => {
            entry.insert(value);
            Ok(())
        }
    }
}

fn read_seq<'de, A: SeqAccess<'de>>(depth: usize, mut seq: A) -> Result<Vec<Value>, A::Error> {
    if depth >= MAX_DEPTH {
        return Err(too_deep());
    }
    let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(PREALLOCATE));
    while let Some(item) = seq.next_element_seed(ValueSeed(depth + 1))? {
        items.push(item);
    }
    Ok(items)
}

fn read_map<'de, A: MapAccess<'de>>(
    depth: usize,
    mut map: A,
) -> Result<BTreeMap<String, Value>, A::Error> {
    if depth >= MAX_DEPTH {
        return Err(too_deep());
    }
    let mut out = BTreeMap::new();
    while let Some(key) = map.next_key_seed(KeySeed)? {
        let value = map.next_value_seed(ValueSeed(depth + 1))?;
        insert_unique(&mut out, key, value).map_err(de::Error::custom)?;
    }
    Ok(out)
}

/// The array payload of a tagged value.
struct SeqSeed(usize);

impl<'de> DeserializeSeed<'de> for SeqSeed {
    type Value = Vec<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Value>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SeqSeed {
    type Value = Vec<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence of session values")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Vec<Value>, A::Error> {
        read_seq(self.0, seq)
    }
}

/// The map payload of a tagged value.
struct MapSeed(usize);

impl<'de> DeserializeSeed<'de> for MapSeed {
    type Value = BTreeMap<String, Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MapSeed {
    type Value = BTreeMap<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of session values")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        read_map(self.0, map)
    }
}

struct PlainVisitor(usize);

impl<'de> Visitor<'de> for PlainVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        ValueSeed(self.0).deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from_u64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        finite(v)
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        read_seq(self.0, seq).map(Value::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        read_map(self.0, map).map(Value::Map)
    }
}

struct TaggedVisitor(usize);

#[derive(Deserialize)]
#[serde(variant_identifier)]
enum Tag {
    Null,
    Bool,
    Int,
    UInt,
    Float,
    String,
    Array,
    Map,
}

impl<'de> Visitor<'de> for TaggedVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tagged session value")
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, variant) = data.variant::<Tag>()?;
        Ok(match tag {
            Tag::Null => {
                variant.unit_variant()?;
                Value::Null
            }
            Tag::Bool => Value::Bool(variant.newtype_variant()?),
            Tag::Int => Value::Int(variant.newtype_variant()?),
            Tag::UInt => Value::from_u64(variant.newtype_variant()?),
            Tag::Float => finite(variant.newtype_variant()?)?,
            Tag::String => Value::String(variant.newtype_variant()?),
            Tag::Array => Value::Array(variant.newtype_variant_seed(SeqSeed(self.0))?),
            Tag::Map => Value::Map(variant.newtype_variant_seed(MapSeed(self.0))?),
        })
    }
}

debug_as_message!(FormError);

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Value {
        Value::from(serde_json::json!({
            "n": null, "t": true, "i": -5, "big": u64::MAX, "f": 1.5, "s": "héllo",
            "a": [1, "x", [], {}], "m": {"k": {"deep": [null]}}
        }))
    }

    #[test]
    fn json_form_is_plain_json() {
        let text = serde_json::to_string(&sample()).unwrap();
        assert!(text.contains("\"big\":18446744073709551615"), "{text}");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, sample());
    }

    #[cfg(feature = "postcard")]
    #[test]
    fn postcard_roundtrips() {
        let bytes = postcard::to_allocvec(&sample()).unwrap();
        let back: Value = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, sample());
    }

    #[cfg(feature = "msgpack")]
    #[test]
    fn msgpack_roundtrips() {
        let bytes = rmp_serde::to_vec_named(&sample()).unwrap();
        let back: Value = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back, sample());
    }

    fn nest(levels: usize) -> Value {
        (0..levels).fold(Value::Null, |v, i| {
            if i % 2 == 0 {
                Value::Array(vec![v])
            } else {
                Value::Map(BTreeMap::from([("k".to_owned(), v)]))
            }
        })
    }

    #[test]
    fn nesting_is_bounded_both_ways() {
        let ok = nest(Value::MAX_DEPTH);
        let text = serde_json::to_string(&ok).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), ok);
        let deep = nest(Value::MAX_DEPTH + 1);
        assert!(serde_json::to_string(&deep).is_err());
        let deep_text = format!("[{text}]");
        assert!(serde_json::from_str::<Value>(&deep_text).is_err());
    }

    #[cfg(feature = "postcard")]
    #[test]
    fn postcard_nesting_is_bounded_and_lengths_do_not_preallocate() {
        let ok = nest(Value::MAX_DEPTH);
        let bytes = postcard::to_allocvec(&ok).unwrap();
        assert_eq!(postcard::from_bytes::<Value>(&bytes).unwrap(), ok);
        assert!(postcard::to_allocvec(&nest(Value::MAX_DEPTH + 1)).is_err());
        // Array tag 6 with a declared length of 2^32 - 1, nested far too deep.
        let bomb: Vec<u8> = [6u8, 0xff, 0xff, 0xff, 0xff, 0x0f].repeat(10_000);
        assert!(postcard::from_bytes::<Value>(&bomb).is_err());
    }

    #[test]
    fn non_finite_floats_have_no_json_form() {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(serde_json::to_string(&Value::Float(f)).is_err());
            assert!(serde_json::to_string(&Value::Array(vec![Value::Float(f)])).is_err());
        }
        assert_eq!(serde_json::to_string(&Value::Float(-0.0)).unwrap(), "-0.0");
    }

    #[test]
    fn typed_conversion() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct User {
            id: u32,
            name: String,
        }
        let user = User {
            id: 7,
            name: "bo".into(),
        };
        let value = Value::from_serialize(&user).unwrap();
        assert_eq!(value.get("id"), Some(&Value::Int(7)));
        assert_eq!(value.deserialize_into::<User>().unwrap(), user);
    }
}
