//! Reading any deserializable type straight from a borrowed [`Value`], as
//! `serde_json::from_value` reads a `serde_json::Value`, without first copying
//! the value into one: [`Value::deserialize_into`] and `Session::get` on a session's
//! entries. The same calls reach the visitor (a non-negative integer as `u64`, a
//! non-finite float as unit, the same enum forms), so the results are the same as
//! through `serde_json::Value` (a test below holds them equal).

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, Unexpected, VariantAccess,
    Visitor,
};
use serde::forward_to_deserialize_any;

use super::Value;

type Error = serde_json::Error;

/// A borrowed [`Value`] as a serde [`Deserializer`].
#[derive(Clone, Copy)]
pub(crate) struct ValueRef<'a>(pub(crate) &'a Value);

impl<'de> IntoDeserializer<'de, Error> for ValueRef<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// Methods that hand the value to `deserialize_any` when it has one of the
/// shapes given (a non-finite float counting as null), and refuse it otherwise.
macro_rules! typed {
    ($($($method:ident),+ => [$shape:pat])+) => {$($(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match json_shape(self.0) {
                $shape => self.deserialize_any(visitor),
                other => Err(de::Error::invalid_type(unexpected(other), &visitor)),
            }
        }
    )+)+};
}

impl<'de> Deserializer<'de> for ValueRef<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match json_shape(self.0) {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            // serde_json holds a non-negative integer as unsigned.
            Value::Int(i) => match u64::try_from(*i) {
                Ok(u) => visitor.visit_u64(u),
                Err(_) => visitor.visit_i64(*i),
            },
            Value::UInt(u) => visitor.visit_u64(*u),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.iter().map(ValueRef));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Value::Map(map) => {
                let mut entries =
                    MapDeserializer::new(map.iter().map(|(k, v)| (k.as_str(), ValueRef(v))));
                let value = visitor.visit_map(&mut entries)?;
                entries.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match json_shape(self.0) {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // As serde_json: a string names a unit variant; a map of one entry names
        // a variant and holds its content.
        match json_shape(self.0) {
            Value::String(variant) => visitor.visit_enum(Variant {
                name: variant,
                content: None,
            }),
            Value::Map(map) => {
                let mut entries = map.iter();
                match (entries.next(), entries.next()) {
                    (Some((variant, content)), None) => visitor.visit_enum(Variant {
                        name: variant,
                        content: Some(content),
                    }),
                    _ => Err(de::Error::invalid_value(
                        Unexpected::Map,
                        &"map with a single key",
                    )),
                }
            }
            other => Err(de::Error::invalid_type(unexpected(other), &"string or map")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    // As serde_json, a method that names a type refuses any other before the
    // visitor sees it, whatever the visitor would accept.
    typed! {
        deserialize_bool => [Value::Bool(_)]
        deserialize_i8, deserialize_i16, deserialize_i32, deserialize_i64,
        deserialize_u8, deserialize_u16, deserialize_u32, deserialize_u64,
        deserialize_f32, deserialize_f64 => [Value::Int(_) | Value::UInt(_) | Value::Float(_)]
        deserialize_char, deserialize_str, deserialize_string, deserialize_identifier
            => [Value::String(_)]
        deserialize_bytes, deserialize_byte_buf => [Value::String(_) | Value::Array(_)]
        deserialize_unit => [Value::Null]
        deserialize_seq => [Value::Array(_)]
        deserialize_map => [Value::Map(_)]
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match json_shape(self.0) {
            Value::Array(_) | Value::Map(_) => self.deserialize_any(visitor),
            other => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    forward_to_deserialize_any! { i128 u128 }
}

/// The value as serde_json holds it: a non-finite float, which has no JSON
/// form, is null. Every method reads the value through this.
fn json_shape(value: &Value) -> &Value {
    match value {
        Value::Float(f) if !f.is_finite() => &Value::Null,
        other => other,
    }
}

/// What serde_json reports a value as, for an error.
fn unexpected(value: &Value) -> Unexpected<'_> {
    match json_shape(value) {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Int(i) => match u64::try_from(*i) {
            Ok(u) => Unexpected::Unsigned(u),
            Err(_) => Unexpected::Signed(*i),
        },
        Value::UInt(u) => Unexpected::Unsigned(*u),
        Value::Float(f) => Unexpected::Float(*f),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Map(_) => Unexpected::Map,
    }
}

/// An enum variant: its name and, unless a unit variant, its content.
struct Variant<'a> {
    name: &'a str,
    content: Option<&'a Value>,
}

impl<'de> EnumAccess<'de> for Variant<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        let name: de::value::BorrowedStrDeserializer<'de, Error> =
            de::value::BorrowedStrDeserializer::new(self.name);
        Ok((seed.deserialize(name)?, self))
    }
}

impl<'de> VariantAccess<'de> for Variant<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.content {
            None => Ok(()),
            Some(content) => de::Deserialize::deserialize(ValueRef(content)),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Error> {
        match self.content {
            Some(content) => seed.deserialize(ValueRef(content)),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"newtype variant",
            )),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.content {
            // As serde_json: an empty array is a unit.
            Some(Value::Array(items)) if items.is_empty() => visitor.visit_unit(),
            Some(content @ Value::Array(_)) => ValueRef(content).deserialize_any(visitor),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &"tuple variant")),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"tuple variant",
            )),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.content {
            Some(content @ Value::Map(_)) => ValueRef(content).deserialize_any(visitor),
            Some(other) => Err(de::Error::invalid_type(
                unexpected(other),
                &"struct variant",
            )),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"struct variant",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde::de::DeserializeOwned;
    use std::collections::BTreeMap;
    use std::fmt::Debug;

    use crate::value::test_types::{Either, Shape, Tagged, User};

    #[derive(Debug, PartialEq, Deserialize)]
    struct Wrapper(u64);

    /// What any deserializer method `M` hands its visitor, whatever the type
    /// asked for: a visitor that accepts every shape, to see whether the
    /// method refuses a value before the visitor sees it.
    #[derive(Debug, PartialEq)]
    struct Lenient<const M: u8>(String);

    impl<'de, const M: u8> Deserialize<'de> for Lenient<M> {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Any;
            impl<'de> Visitor<'de> for Any {
                type Value = String;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("anything")
                }
                fn visit_bool<E>(self, v: bool) -> Result<String, E> {
                    Ok(format!("bool {v}"))
                }
                fn visit_i64<E>(self, v: i64) -> Result<String, E> {
                    Ok(format!("i64 {v}"))
                }
                fn visit_u64<E>(self, v: u64) -> Result<String, E> {
                    Ok(format!("u64 {v}"))
                }
                fn visit_f64<E>(self, v: f64) -> Result<String, E> {
                    Ok(format!("f64 {v}"))
                }
                fn visit_str<E>(self, v: &str) -> Result<String, E> {
                    Ok(format!("str {v}"))
                }
                fn visit_unit<E>(self) -> Result<String, E> {
                    Ok("unit".into())
                }
                fn visit_none<E>(self) -> Result<String, E> {
                    Ok("none".into())
                }
                fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
                    d.deserialize_any(Any).map(|inner| format!("some {inner}"))
                }
                fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<String, A::Error> {
                    let mut n = 0;
                    while seq.next_element::<de::IgnoredAny>()?.is_some() {
                        n += 1;
                    }
                    Ok(format!("seq {n}"))
                }
                fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<String, A::Error> {
                    let mut n = 0;
                    while map.next_entry::<String, de::IgnoredAny>()?.is_some() {
                        n += 1;
                    }
                    Ok(format!("map {n}"))
                }
            }
            let d = deserializer;
            match M {
                0 => d.deserialize_bool(Any),
                1 => d.deserialize_u32(Any),
                2 => d.deserialize_f64(Any),
                3 => d.deserialize_str(Any),
                4 => d.deserialize_bytes(Any),
                5 => d.deserialize_unit(Any),
                6 => d.deserialize_seq(Any),
                7 => d.deserialize_map(Any),
                8 => d.deserialize_struct("S", &["a"], Any),
                9 => d.deserialize_option(Any),
                10 => d.deserialize_identifier(Any),
                _ => d.deserialize_any(Any),
            }
            .map(Lenient)
        }
    }

    fn values() -> Vec<Value> {
        let json = [
            serde_json::json!(null),
            serde_json::json!(true),
            serde_json::json!(0),
            serde_json::json!(7),
            serde_json::json!(-7),
            serde_json::json!(255),
            serde_json::json!(256),
            serde_json::json!(70000),
            serde_json::json!(-2147483649i64),
            serde_json::json!(u64::MAX),
            serde_json::json!(1.5),
            serde_json::json!(-0.0),
            serde_json::json!(3.0),
            serde_json::json!(""),
            serde_json::json!("x"),
            serde_json::json!("Empty"),
            serde_json::json!("Circle"),
            serde_json::json!([]),
            serde_json::json!([1, 2]),
            serde_json::json!([1, "a", [2]]),
            serde_json::json!(["a", "b", "c"]),
            serde_json::json!({}),
            serde_json::json!({"Circle": 2.5}),
            serde_json::json!({"Point": [1, -2]}),
            serde_json::json!({"Point": [1]}),
            serde_json::json!({"Nothing": []}),
            serde_json::json!({"Nothing": [1]}),
            serde_json::json!({"Rect": {"w": 3, "h": 4}}),
            serde_json::json!({"Rect": [3, 4]}),
            serde_json::json!({"Empty": null}),
            serde_json::json!({"Circle": 1, "Empty": null}),
            serde_json::json!({"kind": "A", "x": 5}),
            serde_json::json!({"kind": "B"}),
            serde_json::json!({"name": "ada", "visits": 3, "admin": null}),
            serde_json::json!({"name": "ada", "visits": 3, "tags": ["a"], "admin": true, "extra": 1}),
            serde_json::json!({"name": "ada", "visits": -3}),
            serde_json::json!({"name": "ada"}),
        ];
        let mut values: Vec<Value> = json.into_iter().map(Value::from).collect();
        values.push(Value::Float(f64::NAN));
        values.push(Value::Float(f64::INFINITY));
        values.push(Value::Array(vec![Value::Float(f64::NEG_INFINITY)]));
        values
    }

    /// Both ways agree: the same value, or both an error.
    fn agree<T: DeserializeOwned + PartialEq + Debug>(value: &Value) {
        let through_json: Result<T, _> =
            serde_json::from_value(serde_json::Value::from(value.clone()));
        let direct: Result<T, _> = T::deserialize(ValueRef(value));
        match (&through_json, &direct) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{value:?} as {}", std::any::type_name::<T>()),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "{value:?} as {}: through JSON {through_json:?}, directly {direct:?}",
                std::any::type_name::<T>()
            ),
        }
    }

    #[test]
    fn reads_every_type_as_serde_json_value_does() {
        for value in &values() {
            agree::<()>(value);
            agree::<bool>(value);
            agree::<u8>(value);
            agree::<u32>(value);
            agree::<u64>(value);
            agree::<i8>(value);
            agree::<i32>(value);
            agree::<i64>(value);
            agree::<i128>(value);
            agree::<u128>(value);
            agree::<f32>(value);
            agree::<f64>(value);
            agree::<char>(value);
            agree::<String>(value);
            agree::<Option<String>>(value);
            agree::<Option<u8>>(value);
            agree::<Option<Option<bool>>>(value);
            agree::<Vec<u8>>(value);
            agree::<Vec<String>>(value);
            agree::<Vec<Option<f64>>>(value);
            agree::<(i32, i32)>(value);
            agree::<(u8,)>(value);
            agree::<BTreeMap<String, i64>>(value);
            agree::<BTreeMap<String, serde_json::Value>>(value);
            agree::<serde_json::Value>(value);
            agree::<User>(value);
            agree::<Shape>(value);
            agree::<Tagged>(value);
            agree::<Either>(value);
            agree::<Wrapper>(value);
            agree::<Value>(value);
            agree::<Lenient<0>>(value);
            agree::<Lenient<1>>(value);
            agree::<Lenient<2>>(value);
            agree::<Lenient<3>>(value);
            agree::<Lenient<4>>(value);
            agree::<Lenient<5>>(value);
            agree::<Lenient<6>>(value);
            agree::<Lenient<7>>(value);
            agree::<Lenient<8>>(value);
            agree::<Lenient<9>>(value);
            agree::<Lenient<10>>(value);
            agree::<Lenient<11>>(value);
        }
    }

    #[test]
    fn strings_are_borrowed_where_the_type_borrows() {
        let value = Value::from("alice");
        let name: &str = Deserialize::deserialize(ValueRef(&value)).unwrap();
        assert_eq!(name, "alice");
    }
}
