//! Property tests: every cipher x serializer x compressor round-trips arbitrary
//! session values and typed structs, and opening arbitrary text never panics.

#![cfg(all(
    feature = "xchacha20poly1305",
    feature = "aes-gcm",
    feature = "aes-siv",
    feature = "postcard",
    feature = "msgpack",
    feature = "zstd"
))]

use std::collections::BTreeMap;

use proptest::prelude::*;
use sealed_cookie::cipher::{Aes256Gcm, Aes256Siv, Cipher, XChaCha20Poly1305};
use sealed_cookie::compressor::{Compressor, NoCompression, Zstd};
use sealed_cookie::serializer::{Json, MessagePack, Postcard, Serializer};
use sealed_cookie::{Codec, Key, Keyring, Padding, Suite, Value};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Typed {
    id: u64,
    name: String,
    score: i32,
    tags: Vec<String>,
    nested: Option<Box<Typed>>,
}

/// serde_json's own path from a serializable value to a `Value`.
fn through_json<T: Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).map(Value::from).ok()
}

fn value_strategy() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(Value::UInt),
        // JSON has no NaN or infinities.
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6).prop_map(Value::Map),
        ]
    })
}

fn typed_strategy() -> impl Strategy<Value = Typed> {
    let flat = (
        any::<u64>(),
        ".{0,16}",
        any::<i32>(),
        prop::collection::vec(".{0,6}", 0..4),
    )
        .prop_map(|(id, name, score, tags)| Typed {
            id,
            name,
            score,
            tags,
            nested: None,
        });
    (flat.clone(), prop::option::of(flat)).prop_map(|(mut outer, inner)| {
        outer.nested = inner.map(Box::new);
        outer
    })
}

fn codecs<T, C, S>(cipher: C, serializer: S) -> Vec<Codec<T>>
where
    T: Serialize + serde::de::DeserializeOwned + 'static,
    C: Cipher + Clone,
    S: Serializer + Clone,
{
    let ring = Keyring::new(Key::from_bytes(&[42; 32]).unwrap());
    let plain = Suite::new(cipher.clone(), serializer.clone());
    fn build<T, C, S, Z>(ring: &Keyring, suite: Suite<C, S, Z>) -> Codec<T>
    where
        T: Serialize + serde::de::DeserializeOwned + 'static,
        C: Cipher,
        S: Serializer,
        Z: Compressor,
    {
        Codec::<T>::builder()
            .keyring(ring.clone())
            .suite(7, suite)
            .build()
            .unwrap()
    }
    vec![
        build(&ring, plain.clone().compressor(NoCompression)),
        build(
            &ring,
            plain.clone().compressor(Zstd::default().min_input(1)),
        ),
        build(
            &ring,
            plain
                .compressor(Zstd::default())
                .padding(Padding::Multiple(16)),
        ),
    ]
}

fn all_codecs<T: Serialize + serde::de::DeserializeOwned + 'static>() -> Vec<(String, Codec<T>)> {
    let mut out = Vec::new();
    macro_rules! add {
        ($cipher:expr) => {
            for codec in codecs::<T, _, _>($cipher, Postcard)
                .into_iter()
                .chain(codecs::<T, _, _>($cipher, MessagePack))
                .chain(codecs::<T, _, _>($cipher, Json))
            {
                out.push((codec.suite_name(7).unwrap().to_owned(), codec));
            }
        };
    }
    add!(XChaCha20Poly1305);
    add!(Aes256Gcm);
    add!(Aes256Siv);
    out
}

#[test]
fn every_combination_is_covered() {
    let names: Vec<String> = all_codecs::<Value>().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.len(), 27);
    for cipher in ["xchacha20poly1305", "aes256gcm", "aes256siv"] {
        for serializer in ["postcard", "msgpack", "json"] {
            for compressor in ["none", "zstd"] {
                let prefix = format!("{cipher}+{serializer}+{compressor}");
                assert!(
                    names.iter().any(|n| n.starts_with(&prefix)),
                    "{prefix} missing"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Reading a value in place gives what reading it through `serde_json`
    /// gives, for the untyped forms and a typed struct alike.
    #[test]
    fn a_value_reads_in_place_as_through_serde_json(value in value_strategy()) {
        let json = serde_json::Value::from(value.clone());
        prop_assert_eq!(value.deserialize_into::<serde_json::Value>().ok(), Some(json.clone()));
        prop_assert_eq!(
            value.deserialize_into::<Value>().ok(),
            serde_json::from_value::<Value>(json.clone()).ok()
        );
        prop_assert_eq!(
            value.deserialize_into::<Typed>().ok(),
            serde_json::from_value::<Typed>(json.clone()).ok()
        );
        prop_assert_eq!(
            value.deserialize_into::<BTreeMap<String, Vec<i64>>>().ok(),
            serde_json::from_value::<BTreeMap<String, Vec<i64>>>(json).ok()
        );
    }

    /// Building a value from anything serializable gives what serde_json's
    /// `to_value` and then `Value::from` give, for the untyped forms and a
    /// typed struct alike.
    #[test]
    fn a_value_builds_from_serialize_as_through_serde_json(
        value in value_strategy(),
        typed in typed_strategy(),
    ) {
        let json = serde_json::Value::from(value.clone());
        prop_assert_eq!(Value::from_serialize(&json).ok(), through_json(&json));
        prop_assert_eq!(Value::from_serialize(&value).ok(), through_json(&value));
        prop_assert_eq!(Value::from_serialize(&typed).ok(), through_json(&typed));
    }

    #[test]
    fn session_values_roundtrip_under_every_suite(map in prop::collection::btree_map(".{0,8}", value_strategy(), 0..6)) {
        let value = Value::Map(map.into_iter().collect::<BTreeMap<_, _>>());
        for (name, codec) in all_codecs::<Value>() {
            let cookie = codec.seal(&value).unwrap();
            let opened = codec.open(&cookie).unwrap();
            prop_assert_eq!(&opened.value, &value, "suite {}", name);
        }
    }

    #[test]
    fn typed_values_roundtrip_under_every_suite(typed in typed_strategy()) {
        for (name, codec) in all_codecs::<Typed>() {
            let cookie = codec.seal(&typed).unwrap();
            prop_assert_eq!(&codec.open(&cookie).unwrap().value, &typed, "suite {}", name);
        }
    }

    #[test]
    fn opening_arbitrary_text_never_panics(text in ".{0,600}", b64 in "[A-Za-z0-9_-]{0,600}") {
        for (_, codec) in all_codecs::<Value>() {
            prop_assert!(codec.open(&text).is_err());
            prop_assert!(codec.open(&b64).is_err());
        }
    }

    #[test]
    fn opening_mutated_cookies_never_panics_nor_accepts(position in 0usize..400, byte in any::<u8>()) {
        for (name, codec) in all_codecs::<Value>() {
            let cookie = codec.seal(&Value::from(serde_json::json!({"user": "alice", "n": 3}))).unwrap();
            let mut bytes = cookie.clone().into_bytes();
            let index = position % bytes.len();
            if bytes[index] == byte {
                continue;
            }
            bytes[index] = byte;
            let mutated = String::from_utf8_lossy(&bytes).into_owned();
            prop_assert!(codec.open(&mutated).is_err(), "suite {} accepted a mutation", name);
        }
    }
}
