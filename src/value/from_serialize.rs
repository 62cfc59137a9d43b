//! A serde `Serializer` that builds a [`Value`] directly, with the results of
//! `serde_json::to_value` followed by `Value::from`: the same numbers, nulls,
//! map keys and errors, without building a `serde_json::Value` first and then
//! rebuilding every map and array of it.
//!
//! What serde_json does in ways that are not worth restating (floats, float
//! map keys, 128-bit integers, its private `RawValue` and number structs, the
//! error for a map key of a kind it refuses) is asked of serde_json itself, one
//! piece at a time, so that its rules and error messages stay the only ones.

use serde::Serialize;
use serde::ser::{self, Impossible, SerializeMap as _};

use super::{SessionMap, Value};

type Error = serde_json::Error;
type JsonStruct = <serde_json::value::Serializer as ser::Serializer>::SerializeStruct;

/// `value` as a [`Value`], as `serde_json::to_value(value).map(Value::from)` gives it.
pub(super) fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    value.serialize(ValueSerializer)
}

/// Whatever serde_json makes of `value`, in this crate's data model.
fn through_json<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    serde_json::to_value(value).map(Value::from)
}

/// A one-entry map, so that serde_json's own key rules read `key`.
fn json_key<T: Serialize + ?Sized>(key: &T) -> Result<String, Error> {
    let mut map = ser::Serializer::serialize_map(serde_json::value::Serializer, Some(1))?;
    map.serialize_key(key)?;
    map.serialize_value(&())?;
    match ser::SerializeMap::end(map)? {
        serde_json::Value::Object(entries) => Ok(entries
            .into_iter()
            .next()
            .map(|(key, _)| key)
            .unwrap_or_default()),
        _ => Err(ser::Error::custom("a map serialized as something else")),
    }
}

/// Serializer methods that each convert their one argument the same way.
macro_rules! converted {
    ($convert:expr => $out:ty; $($method:ident: $t:ty),*) => {$(
        fn $method(self, v: $t) -> Result<$out, Error> {
            Ok($convert(v))
        }
    )*};
}

struct ValueSerializer;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = Items;
    type SerializeTuple = Items;
    type SerializeTupleStruct = Items;
    type SerializeTupleVariant = VariantItems;
    type SerializeMap = Entries;
    type SerializeStruct = Fields;
    type SerializeStructVariant = VariantFields;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::Bool(v))
    }
    // Every integer up to 64 bits is a `Value::Int` or, past `i64::MAX`, a
    // `Value::UInt` (`Value::from`); 128-bit ones and floats as serde_json has them.
    converted!(
        Value::from => Value;
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64
    );
    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        through_json(&v)
    }
    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        through_json(&v)
    }
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        Ok(Value::from(serde_json::Value::from(v)))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        Ok(Value::from(serde_json::Value::from(v)))
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(Value::String(v.into()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(Value::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::Array(
            v.iter().map(|&b| Value::Int(b.into())).collect(),
        ))
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(Value::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        Ok(tagged(variant, to_value(value)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Items, Error> {
        Ok(Items(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<Items, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Items, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantItems, Error> {
        Ok(VariantItems {
            variant,
            items: Vec::with_capacity(len),
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Entries, Error> {
        Ok(Entries {
            map: SessionMap::new(),
            next_key: None,
        })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Fields, Error> {
        // serde_json's RawValue and arbitrary-precision numbers are structs of
        // these names that it reads its own way.
        if name.starts_with("$serde_json::private::") {
            return ser::Serializer::serialize_struct(serde_json::value::Serializer, name, len)
                .map(Fields::Json);
        }
        Ok(Fields::Map(SessionMap::new()))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantFields, Error> {
        Ok(VariantFields {
            variant,
            map: SessionMap::new(),
        })
    }
}

/// `{variant: value}`, as serde_json writes an enum's non-unit variant.
fn tagged(variant: &str, value: Value) -> Value {
    Value::Map(SessionMap::from([(variant.to_owned(), value)]))
}

struct Items(Vec<Value>);

impl ser::SerializeSeq for Items {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.0.push(to_value(value)?);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Array(self.0))
    }
}

impl ser::SerializeTuple for Items {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Items {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Value, Error> {
        ser::SerializeSeq::end(self)
    }
}

struct VariantItems {
    variant: &'static str,
    items: Vec<Value>,
}

impl ser::SerializeTupleVariant for VariantItems {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.items.push(to_value(value)?);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(tagged(self.variant, Value::Array(self.items)))
    }
}

struct Entries {
    map: SessionMap,
    next_key: Option<String>,
}

impl ser::SerializeMap for Entries {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.next_key = Some(key.serialize(MapKey)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        // As serde_json: a serializer that calls these out of order is a bug.
        let key = self
            .next_key
            .take()
            .expect("serialize_value called before serialize_key");
        self.map.insert(key, to_value(value)?);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Map(self.map))
    }
}

enum Fields {
    Map(SessionMap),
    Json(JsonStruct),
}

impl ser::SerializeStruct for Fields {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        match self {
            Fields::Map(map) => {
                map.insert(key.to_owned(), to_value(value)?);
                Ok(())
            }
            Fields::Json(json) => json.serialize_field(key, value),
        }
    }
    fn end(self) -> Result<Value, Error> {
        match self {
            Fields::Map(map) => Ok(Value::Map(map)),
            Fields::Json(json) => ser::SerializeStruct::end(json).map(Value::from),
        }
    }
}

struct VariantFields {
    variant: &'static str,
    map: SessionMap,
}

impl ser::SerializeStructVariant for VariantFields {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.map.insert(key.to_owned(), to_value(value)?);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(tagged(self.variant, Value::Map(self.map)))
    }
}

/// Map keys, by serde_json's rules: text, integers (in decimal), booleans (`true`,
/// `false`), characters, unit variants and newtypes of these are written here;
/// a float is written by serde_json, and any other kind is refused with its
/// error. Each key is serialized once, as serde_json does.
struct MapKey;

/// serde_json's error for a map key of a kind it does not take.
fn key_must_be_a_string() -> Error {
    json_key(&())
        .err()
        .unwrap_or_else(|| ser::Error::custom("key must be a string"))
}

impl ser::Serializer for MapKey {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = Impossible<String, Error>;
    type SerializeTuple = Impossible<String, Error>;
    type SerializeTupleStruct = Impossible<String, Error>;
    type SerializeTupleVariant = Impossible<String, Error>;
    type SerializeMap = Impossible<String, Error>;
    type SerializeStruct = Impossible<String, Error>;
    type SerializeStructVariant = Impossible<String, Error>;

    fn serialize_bool(self, v: bool) -> Result<String, Error> {
        Ok(if v { "true" } else { "false" }.to_owned())
    }
    // Integer keys in decimal, as serde_json writes them.
    converted!(
        |v| ToString::to_string(&v) => String;
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128
    );
    fn serialize_f32(self, v: f32) -> Result<String, Error> {
        json_key(&v)
    }
    fn serialize_f64(self, v: f64) -> Result<String, Error> {
        json_key(&v)
    }
    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.into())
    }
    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_owned())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;
    use crate::value::test_types::{Either, Shape, Tagged, User};

    #[derive(Serialize)]
    #[serde(tag = "t", content = "c")]
    enum Adjacent {
        One(u8),
        Two { s: &'static str },
    }

    #[derive(Serialize)]
    struct Outer {
        id: u64,
        #[serde(flatten)]
        extra: BTreeMap<String, i32>,
    }

    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
    struct Id(u32);

    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    enum Role {
        Admin,
        Guest,
        Named(u8),
    }

    #[derive(Serialize)]
    struct Unit;

    /// Raw bytes, as `serde_bytes` writes them.
    struct Bytes(&'static [u8]);

    impl Serialize for Bytes {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(self.0)
        }
    }

    /// A value written through `collect_str`.
    struct Shown(f64);

    impl Serialize for Shown {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(&format_args!("{:.2}", self.0))
        }
    }

    /// A value whose serialization fails, as a field or as a map key.
    struct Refuses;

    impl Serialize for Refuses {
        fn serialize<S: ser::Serializer>(&self, _serializer: S) -> Result<S::Ok, S::Error> {
            Err(ser::Error::custom("refused by its Serialize impl"))
        }
    }

    /// Whether the type reads as human-readable where it is written.
    struct Readable;

    impl Serialize for Readable {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let readable = serializer.is_human_readable();
            serializer.serialize_bool(readable)
        }
    }

    fn same<T: Serialize + ?Sized>(what: &str, value: &T) {
        let direct = to_value(value);
        let through = serde_json::to_value(value).map(Value::from);
        match (direct, through) {
            (Ok(direct), Ok(through)) => assert_eq!(direct, through, "{what}"),
            (Err(direct), Err(through)) => {
                assert_eq!(direct.to_string(), through.to_string(), "{what}");
            }
            (direct, through) => panic!("{what}: {direct:?} against {through:?}"),
        }
    }

    #[test]
    fn builds_what_serde_json_and_from_build() {
        same("bool", &true);
        for v in [i64::MIN, -1, 0, 1, i64::MAX] {
            same("i64", &v);
        }
        same("i8", &-8i8);
        same("i16", &-16i16);
        same("i32", &i32::MIN);
        same("u8", &255u8);
        same("u16", &65535u16);
        same("u32", &u32::MAX);
        for v in [
            0u64,
            1 << 62,
            i64::MAX as u64,
            i64::MAX as u64 + 1,
            u64::MAX,
        ] {
            same("u64", &v);
        }
        for v in [
            0i128,
            -1,
            i128::from(i64::MIN),
            i128::from(i64::MIN) - 1,
            i128::from(u64::MAX),
            i128::from(u64::MAX) + 1,
            i128::MAX,
            i128::MIN,
        ] {
            same("i128", &v);
        }
        for v in [
            0u128,
            u128::from(u64::MAX),
            u128::from(u64::MAX) + 1,
            u128::MAX,
        ] {
            same("u128", &v);
        }
        for v in [
            0.0f64,
            -0.0,
            0.1,
            1e300,
            f64::MIN_POSITIVE,
            5e-324,
            2.0f64.powi(63),
        ] {
            same("f64", &v);
        }
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            same("non-finite f64", &v);
        }
        for v in [0.1f32, -3.5, f32::MAX, 1e-45, f32::NAN, f32::INFINITY] {
            same("f32", &v);
        }
        same("char", &'é');
        same("str", "text");
        same("string", &String::from("owned"));
        same("bytes", &Bytes(b"\x00\x01\xff"));
        same("none", &None::<u8>);
        same("some", &Some(Some(3u8)));
        same("unit", &());
        same("unit struct", &Unit);
        same("newtype", &Id(7));
        same("tuple", &(1u8, "two", 3.5f64, None::<i8>));
        same("array", &[1u16, 2, 3]);
        same("nested vec", &vec![vec![1i32], vec![], vec![-2, 3]]);
        same(
            "struct",
            &User {
                name: "alice".into(),
                visits: 3,
                tags: vec!["a".into(), "b".into()],
                admin: None,
                nickname: None,
            },
        );
        same(
            "struct with every field",
            &User {
                name: String::new(),
                visits: 0,
                tags: vec![],
                admin: Some(true),
                nickname: Some("al".into()),
            },
        );
        for shape in [
            Shape::Empty,
            Shape::Nothing(),
            Shape::Circle(1.5),
            Shape::Circle(f64::NAN),
            Shape::Point(-1, 2),
            Shape::Rect { w: 3, h: 4 },
        ] {
            same("enum", &shape);
        }
        same("internally tagged", &[Tagged::A { x: -1 }, Tagged::B]);
        same(
            "adjacently tagged",
            &(Adjacent::One(1), Adjacent::Two { s: "x" }),
        );
        same(
            "untagged",
            &Either::List(vec![Either::Number(-5), Either::Text("t".into())]),
        );
        same(
            "flatten",
            &Outer {
                id: 9,
                extra: BTreeMap::from([("a".into(), 1), ("id".into(), 2)]),
            },
        );
        same("collect_str", &Shown(1.0 / 3.0));
        same("human readable", &Readable);
        same("a failing value", &vec![Refuses]);
        same("a failing field", &BTreeMap::from([("k", Refuses)]));
        same(
            "a failing key",
            &[(Refuses, 1)].into_iter().collect::<Vec<_>>(),
        );
        same(
            "json value",
            &serde_json::json!({"a": [1, -2, 3.5, null, {"b": "c"}], "u": u64::MAX}),
        );
    }

    #[test]
    fn reads_map_keys_as_serde_json_does() {
        same("string keys", &BTreeMap::from([("b", 2), ("a", 1)]));
        same("integer keys", &BTreeMap::from([(-1i32, "m"), (10, "t")]));
        same("u128 keys", &BTreeMap::from([(u128::MAX, 1)]));
        same("i128 keys", &BTreeMap::from([(i128::MIN, 1)]));
        same("bool keys", &BTreeMap::from([(true, 1), (false, 0)]));
        same("char keys", &BTreeMap::from([('x', 1)]));
        same("newtype keys", &BTreeMap::from([(Id(3), "three")]));
        same(
            "unit variant keys",
            &BTreeMap::from([(Role::Admin, 1), (Role::Guest, 2)]),
        );
        same(
            "newtype variant keys",
            &BTreeMap::from([(Role::Named(1), 1)]),
        );
        same(
            "float map keys",
            &HashMap::from([(OrderedKey(2.25), 1), (OrderedKey(-0.0), 2)]),
        );
        same("nan keys", &HashMap::from([(OrderedKey(f64::NAN), 1)]));
        same("f32 keys", &HashMap::from([(OrderedKey32(0.1), 1)]));
        same("option keys", &BTreeMap::from([(Some("k"), 1)]));
        same("none keys", &BTreeMap::from([(None::<&str>, 1)]));
        same("unit keys", &BTreeMap::from([((), 1)]));
        same("tuple keys", &BTreeMap::from([((1, 2), 1)]));
        same("sequence keys", &BTreeMap::from([(vec![1], 1)]));
        same("bytes keys", &HashMap::from([(BytesKey, 1)]));
        same("a failing key", &HashMap::from([(RefusesKey, 1)]));
        same("duplicate keys", &DuplicateKeys);
    }

    /// A key that can be serialized only once, as serde_json serializes it.
    struct OnceKey(std::cell::Cell<Option<f64>>);
    impl Serialize for OnceKey {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            match self.0.take() {
                Some(v) => serializer.serialize_f64(v),
                None => Err(ser::Error::custom("serialized twice")),
            }
        }
    }

    struct OnceKeyMap;
    impl Serialize for OnceKeyMap {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry(&OnceKey(std::cell::Cell::new(Some(1.5))), &1)?;
            map.end()
        }
    }

    #[test]
    fn serializes_each_key_once() {
        same("a key serialized once", &OnceKeyMap);
        assert_eq!(
            to_value(&OnceKeyMap).unwrap(),
            Value::Map(SessionMap::from([("1.5".to_owned(), Value::Int(1))]))
        );
    }

    /// Floats as map keys, which the standard maps cannot hold by themselves.
    #[derive(PartialEq)]
    struct OrderedKey(f64);
    impl Eq for OrderedKey {}
    impl std::hash::Hash for OrderedKey {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            self.0.to_bits().hash(state);
        }
    }
    impl Serialize for OrderedKey {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_f64(self.0)
        }
    }

    #[derive(PartialEq)]
    struct OrderedKey32(f32);
    impl Eq for OrderedKey32 {}
    impl std::hash::Hash for OrderedKey32 {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            self.0.to_bits().hash(state);
        }
    }
    impl Serialize for OrderedKey32 {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_f32(self.0)
        }
    }

    #[derive(PartialEq, Eq, Hash)]
    struct BytesKey;
    impl Serialize for BytesKey {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(b"k")
        }
    }

    #[derive(PartialEq, Eq, Hash)]
    struct RefusesKey;
    impl Serialize for RefusesKey {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            Refuses.serialize(serializer)
        }
    }

    /// A map that names one key twice: the later value stays, as in serde_json.
    struct DuplicateKeys;
    impl Serialize for DuplicateKeys {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(3))?;
            map.serialize_entry("k", &1)?;
            map.serialize_entry("j", &2)?;
            map.serialize_entry("k", &3)?;
            map.end()
        }
    }
}
