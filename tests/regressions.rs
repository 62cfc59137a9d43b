//! One test per defect found by the fuzz targets (fuzz/) or while writing them,
//! named after the target and kept even when the code around it changes. Each
//! says what the input was, what went wrong, and checks the behaviour that
//! replaced it.

mod forge;

use std::time::Duration;

use sealed_cookie::serializer::Json;
use sealed_cookie::{Codec, FixedClock, Key, Keyring, SealError, Suite, Value};

use forge::NOW;

const MATERIAL: [u8; 32] = [0x3e; 32];

fn codec_with<C, S, Z>(suite: Suite<C, S, Z>) -> Codec<Value>
where
    C: sealed_cookie::cipher::Cipher,
    S: sealed_cookie::serializer::Serializer,
    Z: sealed_cookie::compressor::Compressor,
{
    Codec::<Value>::builder()
        .suite(1, suite)
        .keyring(Keyring::new(Key::from_bytes(&MATERIAL).expect("key")))
        .cookie_name("session")
        .max_age(Duration::from_secs(3600))
        .clock(FixedClock(NOW))
        .build()
        .expect("codec")
}

fn nest(levels: usize) -> Value {
    (0..levels).fold(Value::Int(1), |v, _| Value::Array(vec![v]))
}

/// `roundtrip`, first minutes (crash-aa5b1e2c6eb1437e10c966b57b796362dc6b7c0c,
/// base64 `IwEqbmFtZQSfkxp7Ion///9lEgU=`): `Value::Float(NaN)` sealed under
/// `aes256siv+json+zstd+pad32` opened as `Value::Null`, because serde_json writes
/// non-finite floats as `null`. Sealing now refuses such a value under JSON
/// instead of changing it; binary formats keep it bit for bit.
#[cfg(feature = "xchacha20poly1305")]
#[test]
fn roundtrip_non_finite_float_under_json_is_refused_not_turned_into_null() {
    #[cfg(all(feature = "aes-siv", feature = "zstd"))]
    let codec = codec_with(
        Suite::new(sealed_cookie::cipher::Aes256Siv, Json)
            .compressor(sealed_cookie::compressor::Zstd::default())
            .padding(sealed_cookie::Padding::Multiple(32)),
    );
    #[cfg(not(all(feature = "aes-siv", feature = "zstd")))]
    let codec = codec_with(Suite::new(sealed_cookie::cipher::XChaCha20Poly1305, Json));
    for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        for value in [
            Value::Float(f),
            Value::Array(vec![Value::Int(1), Value::Float(f)]),
        ] {
            match codec.seal_at(&value, NOW) {
                Err(SealError::Serialize(_)) => {}
                Ok(cookie) => panic!(
                    "{value:?} sealed and opened as {:?}",
                    codec.open_at(&cookie, NOW).map(|o| o.value)
                ),
                Err(other) => panic!("{value:?}: {other}"),
            }
        }
    }
    let finite = Value::Float(-0.0);
    let cookie = codec.seal_at(&finite, NOW).expect("finite floats seal");
    match codec.open_at(&cookie, NOW).expect("opens").value {
        Value::Float(f) => assert_eq!(f.to_bits(), (-0.0f64).to_bits()),
        other => panic!("{other:?}"),
    }
}

/// The session value's data model holds finite floats only (SPEC.md, "Session
/// values"), so the JSON rule above holds under the binary formats too: a NaN
/// or an infinity never seals, whatever the serializer.
#[cfg(all(
    feature = "postcard",
    feature = "msgpack",
    feature = "xchacha20poly1305"
))]
#[test]
fn non_finite_floats_are_refused_under_the_binary_serializers_too() {
    use sealed_cookie::cipher::XChaCha20Poly1305;
    use sealed_cookie::serializer::{MessagePack, Postcard};
    let codecs = [
        codec_with(Suite::new(XChaCha20Poly1305, Postcard)),
        codec_with(Suite::new(XChaCha20Poly1305, MessagePack)),
    ];
    for codec in &codecs {
        for f in [f64::from_bits(0x7ff8_0000_dead_beef), f64::INFINITY] {
            let nested = Value::Array(vec![Value::Float(f)]);
            for value in [Value::Float(f), nested] {
                assert!(
                    matches!(codec.seal_at(&value, NOW), Err(SealError::Serialize(_))),
                    "{value:?}"
                );
            }
        }
    }
}

/// `roundtrip`, found while writing the target (its nesting check): a `Value`
/// nested deeper than serde_json's 128-level limit sealed under JSON but never
/// opened again. Nesting is now limited to `Value::MAX_DEPTH` on both sides, so
/// whatever seals also opens.
#[cfg(feature = "xchacha20poly1305")]
#[test]
fn roundtrip_deep_values_either_refuse_to_seal_or_open() {
    let codec = codec_with(Suite::new(sealed_cookie::cipher::XChaCha20Poly1305, Json));
    let ok = nest(Value::MAX_DEPTH);
    let cookie = codec.seal_at(&ok, NOW).expect("the deepest value seals");
    assert_eq!(codec.open_at(&cookie, NOW).expect("opens").value, ok);
    for levels in [Value::MAX_DEPTH + 1, 129, 500] {
        assert!(matches!(
            codec.seal_at(&nest(levels), NOW),
            Err(SealError::Serialize(_))
        ));
    }
}

/// `open`, authentic-payload mode, found while writing that mode: a postcard
/// `Value` plaintext of array tags,
/// each declaring 2^32 - 1 elements, nested thousands deep (a few bytes per
/// level, and far more behind zstd), made serde reserve up to 1 MiB per level and
/// recurse without limit: gigabytes and a stack overflow from one cookie for
/// whoever holds a key. Now it is an error after `Value::MAX_DEPTH` levels with
/// at most 64 elements reserved per level, on a small stack.
#[cfg(all(feature = "postcard", feature = "xchacha20poly1305"))]
#[test]
fn open_deep_postcard_arrays_declaring_huge_lengths_are_an_error() {
    use sealed_cookie::cipher::{Cipher as _, XChaCha20Poly1305};
    use sealed_cookie::serializer::{Postcard, Serializer as _};
    let codec = codec_with(Suite::new(XChaCha20Poly1305, Postcard));
    let payload = [6u8, 0xff, 0xff, 0xff, 0xff, 0x0f].repeat(500);
    let cookie = forge::forge(
        &XChaCha20Poly1305,
        &MATERIAL,
        &forge::Envelope {
            version: 1,
            descriptor: forge::Descriptor {
                cipher: XChaCha20Poly1305.id(),
                serializer: Postcard.id(),
                compressor: 0,
            },
            name: "session",
            compressed: false,
            padded: false,
        },
        &payload,
    );
    let result = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || codec.open_at(&cookie, NOW).map(|o| o.value))
        .expect("thread")
        .join()
        .expect("no stack overflow");
    assert_eq!(
        result.expect_err("too deep").kind(),
        "deserialization_failed"
    );
}

/// `roundtrip`, the same defect for typed sessions (found by reading serde_json
/// after the `Value` case): an `Option<f64>` holding NaN sealed under JSON opened
/// as `None`, and a plain `f64` made a cookie that never opened. The JSON
/// serializer now refuses non-finite floats in any type.
#[cfg(feature = "xchacha20poly1305")]
#[test]
fn roundtrip_typed_non_finite_float_under_json_is_refused_not_turned_into_none() {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Prefs {
        zoom: Option<f64>,
        ratio: f32,
    }
    let codec = Codec::<Prefs>::builder()
        .suite(
            1,
            Suite::new(sealed_cookie::cipher::XChaCha20Poly1305, Json),
        )
        .keyring(Keyring::new(Key::from_bytes(&MATERIAL).expect("key")))
        .clock(FixedClock(NOW))
        .build()
        .expect("codec");
    for prefs in [
        Prefs {
            zoom: Some(f64::NAN),
            ratio: 1.0,
        },
        Prefs {
            zoom: None,
            ratio: f32::INFINITY,
        },
    ] {
        match codec.seal_at(&prefs, NOW) {
            Err(SealError::Serialize(_)) => {}
            Ok(cookie) => panic!(
                "{prefs:?} sealed and opened as {:?}",
                codec.open_at(&cookie, NOW).map(|o| o.value)
            ),
            Err(other) => panic!("{prefs:?}: {other}"),
        }
    }
    let fine = Prefs {
        zoom: Some(1.25),
        ratio: -0.5,
    };
    let cookie = codec.seal_at(&fine, NOW).expect("finite floats seal");
    assert_eq!(codec.open_at(&cookie, NOW).expect("opens").value, fine);
}

/// `perl_cookie`, a 20-minute run (crash-f80b04f64616e39029367a9b7247e43650f599da,
/// the document after its mode byte in `tests/data/perl_cookie-crash-f80b04f6.sereal`):
/// a back-reference (REFP/ALIAS) to an already decoded nest of arrays, placed
/// inside other arrays, produced a value nested deeper than the decoder's
/// configured `max_depth` (checked only against `Value::MAX_DEPTH`). The
/// placement is now checked against the configured limit too.
#[cfg(feature = "perl-compat")]
#[test]
fn perl_cookie_back_reference_respects_the_configured_depth() {
    use sealed_cookie::perl::{Limits, SerealDecoder};

    fn depth(value: &Value) -> usize {
        match value {
            Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            Value::Map(map) => 1 + map.values().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }
    let doc = include_bytes!("data/perl_cookie-crash-f80b04f6.sereal");
    for max_depth in [2, 8, 32, 64, 128] {
        let limits = Limits {
            max_depth,
            max_items: 20_000,
            max_string_bytes: 1 << 20,
            max_body_len: 1 << 16,
        };
        if let Ok(value) = SerealDecoder::new().limits(limits).decode(doc) {
            assert!(
                depth(&value) <= max_depth,
                "depth {} over {max_depth}",
                depth(&value)
            );
        }
    }
}

/// A review of the zstd rules: a plaintext longer than the decompression cap was
/// compressed, sealed within the budget, and then never opened (opening refuses
/// to decompress past the cap). Such a plaintext is now sealed uncompressed.
#[cfg(all(feature = "zstd", feature = "postcard", feature = "xchacha20poly1305"))]
#[test]
fn plaintexts_beyond_the_decompression_cap_are_not_compressed() {
    use sealed_cookie::compressor::Zstd;
    let codec = Codec::<Value>::builder()
        .suite(
            1,
            Suite::new(
                sealed_cookie::cipher::XChaCha20Poly1305,
                sealed_cookie::serializer::Postcard,
            )
            .compressor(Zstd::default()),
        )
        .keyring(Keyring::new(Key::from_bytes(&MATERIAL).expect("key")))
        .budget(64 * 1024)
        .max_value_len(64 * 1024)
        .decompression_cap(1000)
        .clock(FixedClock(NOW))
        .build()
        .expect("codec");
    for len in [900, 5000] {
        let value = Value::String("a".repeat(len));
        let cookie = codec.seal_at(&value, NOW).expect("seals");
        let opened = codec.open_at(&cookie, NOW).expect("opens");
        assert_eq!(opened.value, value);
        assert_eq!(opened.facts.compressed, len <= 1000, "{len}");
    }
}
