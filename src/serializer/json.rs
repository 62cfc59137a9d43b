//! JSON via `serde_json`: readable, largest on the wire.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde::ser::{self, Impossible};

use super::{BoxError, Serializer};
use crate::value::Value;

/// JSON (id 3). `serde_json` rejects trailing data and nests at most 127 levels.
///
/// Sealing refuses what JSON cannot give back: a NaN or infinite float (which
/// `serde_json` would write as `null`) and nesting deeper than `serde_json` reads.
///
/// ```
/// use sealed_cookie::serializer::{Json, Serializer};
/// let mut out = Vec::new();
/// assert!(Json.serialize_into(&(1.5, Some(f64::NAN)), &mut out).is_err());
/// assert!(Json.serialize_into(&(1.5, None::<f64>), &mut out).is_ok());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json;

/// Deepest nesting `serde_json` reads back (its recursion limit is 128).
const MAX_JSON_DEPTH: usize = 127;

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
        value.serialize(Check { depth: 0 })?;
        serde_json::to_writer(out, value).map_err(Into::into)
    }
    fn deserialize<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, BoxError> {
        serde_json::from_slice(bytes).map_err(Into::into)
    }
    /// Compact JSON, keys in byte order (a `Value`'s maps are sorted).
    fn serialize_value(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
        // `Value` refuses non-finite floats and deep nesting itself.
        serde_json::to_writer(out, value).map_err(Into::into)
    }
    /// As `deserialize`, but an integer literal outside −2^63 ..= 2^64 − 1 is an
    /// error: `serde_json` would read it as an inexact float.
    fn deserialize_value(&self, bytes: &[u8]) -> Result<Value, BoxError> {
        check_integer_literals(bytes)?;
        serde_json::from_slice(bytes).map_err(Into::into)
    }
}

/// An integer literal that no 64-bit integer holds.
#[derive(Debug, thiserror::Error)]
#[error(
    "the integer {0} is outside the session value's range (-2^63 to 2^64-1); write it as a string"
)]
struct IntegerOutOfRange(String);

/// Finds number tokens outside strings and refuses integer literals (no
/// fraction, no exponent) beyond 64 bits. Malformed JSON is left to the parser.
fn check_integer_literals(bytes: &[u8]) -> Result<(), IntegerOutOfRange> {
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let token = std::str::from_utf8(&bytes[start..i]).unwrap_or_default();
                let digits = token.strip_prefix('-').unwrap_or(token);
                let integer = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
                if integer && token.parse::<i64>().is_err() && token.parse::<u64>().is_err() {
                    let shown: String = token.chars().take(40).collect();
                    return Err(IntegerOutOfRange(shown));
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// What JSON cannot round-trip.
#[derive(Debug, thiserror::Error)]
enum Unrepresentable {
    #[error("{0} has no JSON form (serde_json would write null)")]
    NonFinite(f64),
    #[error("value nests deeper than the {MAX_JSON_DEPTH} levels JSON reads back")]
    TooDeep,
    #[error("{0}")]
    Custom(String),
}

impl ser::Error for Unrepresentable {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Self::Custom(msg.to_string())
    }
}

/// Walks a value the way `serde_json` writes it, writing nothing, to find
/// non-finite floats and nesting too deep to read back.
#[derive(Clone, Copy)]
struct Check {
    depth: usize,
}

impl Check {
    /// One level deeper (`levels` JSON arrays or objects).
    fn enter(self, levels: usize) -> Result<Self, Unrepresentable> {
        let depth = self.depth + levels;
        if depth > MAX_JSON_DEPTH {
            Err(Unrepresentable::TooDeep)
        } else {
            Ok(Self { depth })
        }
    }
}

fn finite(f: f64) -> Result<(), Unrepresentable> {
    if f.is_finite() {
        Ok(())
    } else {
        Err(Unrepresentable::NonFinite(f))
    }
}

impl ser::Serializer for Check {
    type Ok = ();
    type Error = Unrepresentable;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, _: bool) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_i128(self, _: i128) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_u8(self, _: u8) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_u128(self, _: u128) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Unrepresentable> {
        finite(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Unrepresentable> {
        finite(v)
    }
    fn serialize_char(self, _: char) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Unrepresentable> {
        self.enter(1).map(drop)
    }
    fn serialize_none(self) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unrepresentable> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unrepresentable> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unrepresentable> {
        value.serialize(self.enter(1)?)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Unrepresentable> {
        self.enter(1)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, Unrepresentable> {
        self.enter(1)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Unrepresentable> {
        self.enter(1)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Unrepresentable> {
        self.enter(2)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, Unrepresentable> {
        self.enter(1)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Unrepresentable> {
        self.enter(1)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Unrepresentable> {
        self.enter(2)
    }
}

macro_rules! compound {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Check {
            type Ok = ();
            type Error = Unrepresentable;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unrepresentable> {
                value.serialize(*self)
            }
            fn end(self) -> Result<(), Unrepresentable> {
                Ok(())
            }
        }
    )*};
}
compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Check {
    type Ok = ();
    type Error = Unrepresentable;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unrepresentable> {
        // Keys are written as strings; a float key is written as its text.
        key.serialize(MapKey)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unrepresentable> {
        value.serialize(*self)
    }
    fn end(self) -> Result<(), Unrepresentable> {
        Ok(())
    }
}

impl ser::SerializeStruct for Check {
    type Ok = ();
    type Error = Unrepresentable;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unrepresentable> {
        value.serialize(*self)
    }
    fn end(self) -> Result<(), Unrepresentable> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Check {
    type Ok = ();
    type Error = Unrepresentable;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unrepresentable> {
        value.serialize(*self)
    }
    fn end(self) -> Result<(), Unrepresentable> {
        Ok(())
    }
}

/// Map keys: `serde_json` itself refuses the kinds it cannot write as a key, and
/// writes a float key as text, which is fine unless it is not finite.
struct MapKey;

impl ser::Serializer for MapKey {
    type Ok = ();
    type Error = Unrepresentable;
    type SerializeSeq = Impossible<(), Unrepresentable>;
    type SerializeTuple = Impossible<(), Unrepresentable>;
    type SerializeTupleStruct = Impossible<(), Unrepresentable>;
    type SerializeTupleVariant = Impossible<(), Unrepresentable>;
    type SerializeMap = Impossible<(), Unrepresentable>;
    type SerializeStruct = Impossible<(), Unrepresentable>;
    type SerializeStructVariant = Impossible<(), Unrepresentable>;

    fn serialize_bool(self, _: bool) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_u8(self, _: u8) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Unrepresentable> {
        finite(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Unrepresentable> {
        finite(v)
    }
    fn serialize_char(self, _: char) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unrepresentable> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unrepresentable> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unrepresentable> {
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unrepresentable> {
        Err(ser::Error::custom("map key must be a string"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unrepresentable> {
        Err(ser::Error::custom("map key must be a string"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unrepresentable> {
        Err(ser::Error::custom("map key must be a string"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unrepresentable> {
        Err(ser::Error::custom("map key must be a string"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unrepresentable> {
        Err(ser::Error::custom("map key must be a string"))
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Unrepresentable> {
        Err(ser::Error::custom("map key must be a string"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unrepresentable> {
        Err(ser::Error::custom("map key must be a string"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn roundtrips<T: Serialize + DeserializeOwned + PartialEq + fmt::Debug>(value: &T) {
        let mut out = Vec::new();
        Json.serialize_into(value, &mut out).unwrap();
        assert_eq!(&Json.deserialize::<T>(&out).unwrap(), value);
    }

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    enum Shape {
        Dot,
        Circle(f64),
        Pair(f32, f32),
        Rect { w: f64, h: f64 },
    }

    #[test]
    fn non_finite_floats_are_refused_everywhere() {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut out = Vec::new();
            assert!(Json.serialize_into(&f, &mut out).is_err());
            assert!(Json.serialize_into(&Some(f), &mut out).is_err());
            assert!(Json.serialize_into(&vec![0.0, f], &mut out).is_err());
            assert!(Json.serialize_into(&Shape::Circle(f), &mut out).is_err());
            assert!(
                Json.serialize_into(&Shape::Rect { w: 1.0, h: f }, &mut out)
                    .is_err()
            );
            assert!(
                Json.serialize_into(&Shape::Pair(1.0, f as f32), &mut out)
                    .is_err()
            );
            let map = BTreeMap::from([("k".to_owned(), f)]);
            assert!(Json.serialize_into(&map, &mut out).is_err());
        }
        roundtrips(&Some(1.5f64));
        roundtrips(&None::<f64>);
        roundtrips(&Shape::Dot);
        roundtrips(&Shape::Circle(-0.0));
        roundtrips(&Shape::Pair(1.0, 2.5));
        roundtrips(&Shape::Rect {
            w: 1e300,
            h: 5e-324,
        });
        roundtrips(&BTreeMap::from([(7u32, vec![1.0f64])]));
    }

    #[test]
    fn whatever_passes_the_depth_check_reads_back() {
        // Nested arrays, and nested newtype variants (an object each).
        fn arrays(depth: usize) -> String {
            format!("{}{}", "[".repeat(depth), "]".repeat(depth))
        }
        let mut limit = None;
        assert!(serde_json::from_str::<serde_json::Value>(&arrays(MAX_JSON_DEPTH)).is_ok());
        assert!(serde_json::from_str::<serde_json::Value>(&arrays(MAX_JSON_DEPTH + 1)).is_err());
        for depth in 1..200 {
            let nested = (0..depth).fold(serde_json::Value::Null, |v, _| {
                serde_json::Value::Array(vec![v])
            });
            let mut out = Vec::new();
            match Json.serialize_into(&nested, &mut out) {
                Ok(()) => {
                    assert!(
                        serde_json::from_slice::<serde_json::Value>(&out).is_ok(),
                        "{depth}"
                    );
                }
                Err(_) => {
                    limit.get_or_insert(depth);
                }
            }
        }
        assert_eq!(limit, Some(MAX_JSON_DEPTH + 1));

        #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
        enum Tree {
            Leaf,
            Node(Box<Tree>),
        }
        let mut tree = Tree::Leaf;
        for depth in 1..200 {
            tree = Tree::Node(Box::new(tree));
            let mut out = Vec::new();
            if Json.serialize_into(&tree, &mut out).is_ok() {
                assert_eq!(Json.deserialize::<Tree>(&out).unwrap(), tree, "{depth}");
            } else {
                assert!(depth > MAX_JSON_DEPTH, "{depth}");
            }
        }
    }

    fn value_of(text: &str) -> Result<Value, BoxError> {
        Json.deserialize_value(text.as_bytes())
    }

    #[test]
    fn session_values_are_compact_sorted_json() {
        let text = r#" { "b" : [1, -0.0, 1e300, 5e-324, 2.5], "a" : "\u00e9\n\"\u0001/" } "#;
        let mut out = Vec::new();
        Json.serialize_value(&value_of(text).unwrap(), &mut out)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":"é\n\"\u0001/","b":[1,-0.0,1e+300,5e-324,2.5]}"#
        );
    }

    #[test]
    fn integers_beyond_64_bits_are_refused_not_rounded() {
        assert_eq!(
            value_of("18446744073709551615").unwrap(),
            Value::UInt(u64::MAX)
        );
        assert_eq!(
            value_of("-9223372036854775808").unwrap(),
            Value::Int(i64::MIN)
        );
        for text in [
            "18446744073709551616",
            "-9223372036854775809",
            r#"{"a":[1,123456789012345678901234567890]}"#,
        ] {
            let error = value_of(text).unwrap_err().to_string();
            assert!(
                error.contains("outside the session value's range"),
                "{text}: {error}"
            );
        }
        // Floats of any size stay floats; digits inside strings are text.
        assert_eq!(value_of("1e30").unwrap(), Value::Float(1e30));
        // Malformed numbers are the parser's to report.
        for text in ["--5", "1-2", "-"] {
            let error = value_of(text).unwrap_err().to_string();
            assert!(!error.contains("range"), "{text}: {error}");
        }
        assert_eq!(
            value_of(r#"["99999999999999999999\"", 1]"#).unwrap(),
            Value::Array(vec![
                Value::String("99999999999999999999\"".into()),
                Value::Int(1)
            ])
        );
    }

    #[test]
    fn duplicate_keys_and_byte_order_marks_are_refused() {
        assert!(value_of(r#"{"a":1,"a":2}"#).is_err());
        assert!(value_of(r#"{"m":{"k":1,"k":1}}"#).is_err());
        assert!(Json.deserialize_value(b"\xef\xbb\xbf{}").is_err());
        assert!(value_of("{} x").is_err());
        assert_eq!(
            value_of(" \t\r\n{}\n").unwrap(),
            Value::Map(Default::default())
        );
    }
}
