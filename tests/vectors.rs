//! Frozen test vectors for envelope format 1: every cookie in `tests/vectors/v1.json`
//! must open, and must be reproduced byte for byte from its fixed nonce, forever.
//! A failure here means the wire format changed: that needs a new format version,
//! never an edit of the vector file.
//!
//! Vectors 1 to 5 predate the compact forms of the postcard session value: their
//! plaintexts are what `Value`'s serde implementation writes (tags 0 to 7 under
//! postcard, a tagged enum under MessagePack), which the session-value reader
//! still reads (vector 4 excepted: it is marked `"payload": "typed"`). Later
//! vectors are written by the session-value writer (SPEC.md, "Session values").
//!
//! To print vectors for a new format version: `cargo test --all-features --test
//! vectors -- --ignored --nocapture print_vectors`.

#![cfg(all(
    feature = "test-vectors",
    feature = "xchacha20poly1305",
    feature = "aes-gcm",
    feature = "aes-siv",
    feature = "postcard",
    feature = "msgpack",
    feature = "zstd"
))]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use sealed_cookie::cipher::{Aes256Gcm, Aes256Siv, Cipher, XChaCha20Poly1305};
use sealed_cookie::compressor::{Compressor, NoCompression, Zstd};
use sealed_cookie::serializer::{Json, MessagePack, Postcard, Serializer};
use sealed_cookie::{Codec, FixedClock, Format, Key, Keyring, Padding, SealOptions, Suite, Value};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

#[derive(Debug, Serialize, Deserialize)]
struct VectorFile {
    format: String,
    vectors: Vec<Vector>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Vector {
    description: String,
    version: u8,
    cipher: String,
    serializer: String,
    compressor: String,
    padding: usize,
    key: String,
    key_id: String,
    subkey_hex: String,
    cookie_name: String,
    issued_at: u64,
    lifetime: u32,
    nonce_hex: String,
    value: serde_json::Value,
    #[serde(default, skip_serializing_if = "Payload::is_value")]
    payload: Payload,
    plaintext_hex: String,
    envelope_hex: String,
    cookie: String,
    /// Envelope format (absent in v1.json: 1).
    #[serde(default = "format_1", skip_serializing_if = "is_format_1")]
    format: u8,
    /// Format 2: when the cookie was sealed (`issued_at` is the session's
    /// creation), its session id, browser-session mark, flash messages, and the
    /// idle timeout its expiry is judged with (0: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_id_hex: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    browser_session: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    flash: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    idle_timeout: Option<u32>,
}

fn format_1() -> u8 {
    1
}

fn is_format_1(format: &u8) -> bool {
    *format == 1
}

/// What the plaintext is: a session value (SPEC.md, "Session values"), or the
/// encoding of some application type (here `Value`'s serde form).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Payload {
    #[default]
    Value,
    Typed,
}

impl Payload {
    fn is_value(&self) -> bool {
        *self == Self::Value
    }
}

/// `Value` written through its serde implementation, as an application type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
struct SerdeForm(Value);

/// Vectors written before the session value had a form of its own.
const SERDE_WRITTEN: usize = 5;

const FILE: &str = include_str!("vectors/v1.json");
const FILE_2: &str = include_str!("vectors/v2.json");

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Everything a vector needs from its suite, whatever the suite's types.
struct Built {
    /// Seals and opens session values.
    codec: Codec<Value>,
    /// Seals and opens `Value`'s serde form.
    serde_codec: Codec<SerdeForm>,
    subkey: Vec<u8>,
    /// The session-value writer's plaintext.
    plaintext: Vec<u8>,
    /// The serde writer's plaintext.
    serde_plaintext: Vec<u8>,
}

fn build_with<C: Cipher + Clone, S: Serializer + Clone, Z: Compressor + Clone>(
    v: &Vector,
    suite: Suite<C, S, Z>,
    serializer: &S,
) -> Built {
    let key = Key::from_base64(&v.key).unwrap();
    assert_eq!(key.id().to_string(), v.key_id, "{}: key id", v.description);
    let suite = match v.padding {
        0 => suite,
        block => suite.padding(Padding::Multiple(block)),
    };
    let label = format!(
        "sealed-cookie/1/aead/{}/{}",
        suite.cipher().name(),
        suite.cipher().id()
    );
    let mut subkey = vec![0u8; suite.cipher().key_len()];
    Hkdf::<Sha256>::new(None, &URL_SAFE_NO_PAD.decode(&v.key).unwrap())
        .expand(label.as_bytes(), &mut subkey)
        .unwrap();
    fn codec<T: Serialize + serde::de::DeserializeOwned + 'static>(
        v: &Vector,
        key: Key,
        suite: Suite<impl Cipher, impl Serializer, impl Compressor>,
    ) -> Codec<T> {
        let mut builder = Codec::<T>::builder()
            .keyring(Keyring::new(key))
            .suite(v.version, suite)
            .cookie_name(v.cookie_name.as_str())
            .clock(FixedClock(v.issued_at))
            .envelope_format(if v.format == 2 {
                Format::V2
            } else {
                Format::V1
            });
        if let Some(idle) = v.idle_timeout {
            builder = builder.idle_timeout(std::time::Duration::from_secs(u64::from(idle)));
        }
        if v.lifetime != 0 {
            builder = builder.max_age(std::time::Duration::from_secs(u64::from(v.lifetime)));
        }
        builder.build().unwrap()
    }
    let value = Value::from(v.value.clone());
    let mut plaintext = Vec::new();
    serializer.serialize_value(&value, &mut plaintext).unwrap();
    let mut serde_plaintext = Vec::new();
    serializer
        .serialize_into(&SerdeForm(value), &mut serde_plaintext)
        .unwrap();
    Built {
        codec: codec(v, key.clone(), suite.clone()),
        serde_codec: codec(v, key, suite),
        subkey,
        plaintext,
        serde_plaintext,
    }
}

fn build(v: &Vector) -> Built {
    macro_rules! with_serializer {
        ($cipher:expr) => {
            match v.serializer.as_str() {
                "postcard" => with_compressor!($cipher, Postcard),
                "msgpack" => with_compressor!($cipher, MessagePack),
                "json" => with_compressor!($cipher, Json),
                other => panic!("unknown serializer {other}"),
            }
        };
    }
    macro_rules! with_compressor {
        ($cipher:expr, $serializer:expr) => {
            match v.compressor.as_str() {
                "none" => build_with(
                    v,
                    Suite::new($cipher, $serializer).compressor(NoCompression),
                    &$serializer,
                ),
                "zstd" => build_with(
                    v,
                    Suite::new($cipher, $serializer).compressor(Zstd::default()),
                    &$serializer,
                ),
                other => panic!("unknown compressor {other}"),
            }
        };
    }
    match v.cipher.as_str() {
        "xchacha20poly1305" => with_serializer!(XChaCha20Poly1305),
        "aes256gcm" => with_serializer!(Aes256Gcm),
        "aes256siv" => with_serializer!(Aes256Siv),
        other => panic!("unknown cipher {other}"),
    }
}

#[test]
fn every_frozen_vector_opens_and_reproduces_byte_for_byte() {
    let file: VectorFile = serde_json::from_str(FILE).unwrap();
    assert_eq!(file.format, "sealed-cookie envelope format 1");
    assert!(file.vectors.len() >= 10);
    for (index, v) in file.vectors.iter().enumerate() {
        let built = build(v);
        let what = &v.description;
        assert_eq!(hex(&built.subkey), v.subkey_hex, "{what}: subkey");
        assert_eq!(
            hex(&URL_SAFE_NO_PAD.decode(&v.cookie).unwrap()),
            v.envelope_hex,
            "{what}: envelope"
        );
        let value = Value::from(v.value.clone());
        let facts = match v.payload {
            Payload::Value => {
                let opened = built.codec.open_at(&v.cookie, v.issued_at).unwrap();
                assert_eq!(opened.value, value, "{what}");
                opened.facts
            }
            Payload::Typed => {
                let opened = built.serde_codec.open_at(&v.cookie, v.issued_at).unwrap();
                assert_eq!(opened.value.0, value, "{what}");
                opened.facts
            }
        };
        assert_eq!(facts.version, v.version);
        assert_eq!(facts.issued_at, v.issued_at);
        assert_eq!(facts.lifetime, v.lifetime);
        let opened = built
            .codec
            .open_plaintext_at(&v.cookie, v.issued_at)
            .unwrap();
        // Unpadded and decompressed: the plaintext, compressed or not.
        assert_eq!(hex(&opened.value), v.plaintext_hex, "{what}: plaintext");

        let nonce = unhex(&v.nonce_hex);
        let resealed = if index < SERDE_WRITTEN {
            assert_eq!(
                hex(&built.serde_plaintext),
                v.plaintext_hex,
                "{what}: plaintext"
            );
            let form = SerdeForm(value);
            built
                .serde_codec
                .seal_with_nonce(&form, v.issued_at, &nonce)
        } else {
            assert_eq!(hex(&built.plaintext), v.plaintext_hex, "{what}: plaintext");
            built.codec.seal_with_nonce(&value, v.issued_at, &nonce)
        };
        assert_eq!(resealed.unwrap(), v.cookie, "{what}: reproduced cookie");
    }
}

/// The web layer seals the session's entries as a session value: its own
/// cookies are the vectors' cookies, and it opens the web-layer vector.
#[cfg(feature = "tower")]
#[test]
fn the_web_layer_opens_the_web_layer_vector() {
    let file: VectorFile = serde_json::from_str(FILE).unwrap();
    let v = file
        .vectors
        .iter()
        .find(|v| v.description.starts_with("web layer"))
        .expect("a web-layer vector");
    let layer = sealed_cookie::web::SessionLayer::builder()
        .keyring(Keyring::new(Key::from_base64(&v.key).unwrap()))
        .build()
        .unwrap();
    let opened = layer.open_at(&v.cookie, v.issued_at).unwrap();
    assert_eq!(
        Value::Map(opened.value.clone()),
        Value::from(v.value.clone())
    );
    // What the layer seals for those entries is the vector's plaintext.
    let codec = Codec::<Value>::builder()
        .keyring(Keyring::new(Key::from_base64(&v.key).unwrap()))
        .build()
        .unwrap();
    let sealed = layer.seal(&opened.value).unwrap();
    let plaintext = codec.open_plaintext_at(&sealed, codec.now()).unwrap().value;
    // The layer writes format 2: the session id, then the same session value.
    assert_eq!(hex(&plaintext[16..]), v.plaintext_hex);
}

#[test]
fn spec_prints_the_first_vector_in_full() {
    let file: VectorFile = serde_json::from_str(FILE).unwrap();
    let spec = include_str!("../SPEC.md");
    let first = &file.vectors[0];
    for field in [
        &first.cookie,
        &first.envelope_hex,
        &first.subkey_hex,
        &first.plaintext_hex,
        &first.nonce_hex,
    ] {
        assert!(spec.contains(field.as_str()), "SPEC.md lacks {field}");
    }
}

/// A format 1 vector to be filled in: the sample key, cookie `session`, issued
/// at 1 700 000 000; `suite` is (version, cipher, serializer, compressor,
/// padding).
fn definition(
    description: &str,
    suite: (u8, &str, &str, &str, usize),
    lifetime: u32,
    nonce_hex: String,
    value: serde_json::Value,
) -> Vector {
    let (version, cipher, serializer, compressor, padding) = suite;
    Vector {
        description: description.into(),
        version,
        cipher: cipher.into(),
        serializer: serializer.into(),
        compressor: compressor.into(),
        padding,
        key: URL_SAFE_NO_PAD.encode((0u8..32).collect::<Vec<_>>()),
        key_id: String::new(),
        subkey_hex: String::new(),
        cookie_name: "session".into(),
        issued_at: 1_700_000_000,
        lifetime,
        nonce_hex,
        value,
        payload: Payload::Value,
        plaintext_hex: String::new(),
        envelope_hex: String::new(),
        cookie: String::new(),
        format: 1,
        sealed_at: None,
        session_id_hex: None,
        browser_session: false,
        flash: None,
        idle_timeout: None,
    }
}

/// The definitions the frozen file was generated from.
fn definitions() -> Vec<Vector> {
    let sample: serde_json::Value =
        serde_json::from_str(include_str!("../examples/sample-session.json")).unwrap();
    let small = serde_json::json!({"user": "alice", "n": 7});
    let every = every_type();
    let cart = long_cart();
    let def = |description: &str,
               version,
               cipher: &str,
               serializer: &str,
               compressor: &str,
               padding,
               lifetime,
               nonce_len: usize,
               value: &serde_json::Value| {
        definition(
            description,
            (version, cipher, serializer, compressor, padding),
            lifetime,
            hex(&(0..nonce_len).map(|i| 0xa0 + i as u8).collect::<Vec<_>>()),
            value.clone(),
        )
    };
    vec![
        def(
            "default suite: XChaCha20-Poly1305, postcard, the sample session",
            1,
            "xchacha20poly1305",
            "postcard",
            "none",
            0,
            3600,
            24,
            &sample,
        ),
        def(
            "AES-256-GCM, postcard",
            2,
            "aes256gcm",
            "postcard",
            "none",
            0,
            3600,
            12,
            &small,
        ),
        def(
            "AES-256-SIV, postcard",
            3,
            "aes256siv",
            "postcard",
            "none",
            0,
            3600,
            16,
            &small,
        ),
        def(
            "XChaCha20-Poly1305, MessagePack, zstd (compressed)",
            4,
            "xchacha20poly1305",
            "msgpack",
            "zstd",
            0,
            86_400,
            24,
            &sample,
        ),
        def(
            "AES-256-GCM, JSON, padded to 32 bytes, no expiry",
            5,
            "aes256gcm",
            "json",
            "none",
            32,
            0,
            12,
            &small,
        ),
        def(
            "web layer: the sample session as SessionLayer seals it on its defaults \
             (XChaCha20-Poly1305, postcard session value, no expiry)",
            1,
            "xchacha20poly1305",
            "postcard",
            "none",
            0,
            0,
            24,
            &sample,
        ),
        def(
            "XChaCha20-Poly1305, MessagePack session value (native types), the sample session",
            2,
            "xchacha20poly1305",
            "msgpack",
            "none",
            0,
            3600,
            24,
            &sample,
        ),
        def(
            "AES-256-SIV, JSON session value holding every type",
            3,
            "aes256siv",
            "json",
            "none",
            0,
            3600,
            16,
            &every,
        ),
        def(
            "AES-256-GCM, postcard, zstd (compressed), padded to 32 bytes",
            4,
            "aes256gcm",
            "postcard",
            "zstd",
            32,
            3600,
            12,
            &cart,
        ),
        def(
            "XChaCha20-Poly1305, postcard session value holding every type (every compact form)",
            5,
            "xchacha20poly1305",
            "postcard",
            "none",
            0,
            3600,
            24,
            &every,
        ),
        def(
            "AES-256-GCM, MessagePack session value holding every type",
            6,
            "aes256gcm",
            "msgpack",
            "none",
            0,
            3600,
            12,
            &every,
        ),
    ]
}

/// A value holding every type and every form of the data model.
fn every_type() -> serde_json::Value {
    serde_json::from_str(
        r#"{
            "null": null, "true": true, "false": false,
            "zero": 0, "small": 63, "int": 64, "negative": -1,
            "min": -9223372036854775808, "max": 18446744073709551615,
            "float": 1.5, "negative_zero": -0.0, "tiny": 5e-324, "huge": 1e300,
            "empty": "",
            "escapes": "quote \" backslash \\ slash / newline \n tab \t nul \u0000 del \u007f",
            "unicode": "h\u00e9llo, \u4e16\u754c \ud83c\udf89",
            "long": "a string of more than forty-seven bytes takes a length varint",
            "list": [1, "two", [3.0], {}, []],
            "records": [{"qty": 1, "sku": "A1"}, {"qty": 2, "sku": "B2"}],
            "nested": {"a": {"b": [null]}}
        }"#,
    )
    .unwrap()
}

/// A cart that zstd shrinks.
fn long_cart() -> serde_json::Value {
    let items: Vec<serde_json::Value> = (1..=40)
        .map(|i| serde_json::json!({"sku": format!("SKU-{i:04}"), "qty": i % 5 + 1}))
        .collect();
    serde_json::json!({"user_id": 42, "cart": items})
}

#[test]
#[ignore = "prints the vectors added after the frozen ones; the frozen file is never regenerated"]
fn print_vectors() {
    let file: VectorFile = serde_json::from_str(FILE).unwrap();
    let mut vectors: Vec<Vector> = definitions().into_iter().skip(file.vectors.len()).collect();
    for v in &mut vectors {
        v.key_id = Key::from_base64(&v.key).unwrap().id().to_string();
        let built = build(v);
        v.subkey_hex = hex(&built.subkey);
        v.plaintext_hex = hex(&built.plaintext);
        v.cookie = built
            .codec
            .seal_with_nonce(
                &Value::from(v.value.clone()),
                v.issued_at,
                &unhex(&v.nonce_hex),
            )
            .unwrap();
        v.envelope_hex = hex(&URL_SAFE_NO_PAD.decode(&v.cookie).unwrap());
    }
    println!("{}", serde_json::to_string_pretty(&vectors).unwrap());
}

/// The format 2 definitions: fresh seals re-sealed later, so that the age of
/// the seal is not 0, with and without flash messages and the browser-session mark.
fn definitions_2() -> Vec<Vector> {
    let sample: serde_json::Value =
        serde_json::from_str(include_str!("../examples/sample-session.json")).unwrap();
    let def = |description: &str,
               version,
               cipher: &str,
               serializer: &str,
               compressor: &str,
               padding,
               lifetime,
               nonce_len: usize,
               value: serde_json::Value,
               browser_session,
               flash: Option<serde_json::Value>| Vector {
        format: 2,
        sealed_at: Some(1_700_000_900),
        session_id_hex: Some(hex(&(0u8..16).map(|i| 0xc0 + i).collect::<Vec<_>>())),
        browser_session,
        flash,
        idle_timeout: Some(1800),
        ..definition(
            description,
            (version, cipher, serializer, compressor, padding),
            lifetime,
            hex(&(0..nonce_len).map(|i| 0xb0 + i as u8).collect::<Vec<_>>()),
            value,
        )
    };
    vec![
        def(
            "format 2, default suite: the sample session, re-sealed 900 s after it began, 8 h absolute lifetime",
            1,
            "xchacha20poly1305",
            "postcard",
            "none",
            0,
            28_800,
            24,
            sample,
            false,
            None,
        ),
        def(
            "format 2, AES-256-GCM + postcard: a browser-session cookie with a flash message, no lifetime",
            2,
            "aes256gcm",
            "postcard",
            "none",
            0,
            0,
            12,
            serde_json::json!({"user": "alice", "n": 7}),
            true,
            Some(serde_json::json!({"notice": "Saved."})),
        ),
        def(
            "format 2, XChaCha20-Poly1305 + MessagePack + zstd + padding to 32: a long cart and a flash message",
            3,
            "xchacha20poly1305",
            "msgpack",
            "zstd",
            32,
            3600,
            24,
            long_cart(),
            false,
            Some(serde_json::json!({"n": 1})),
        ),
    ]
}

/// Seals a format 2 vector: a fresh session at `issued_at`, then re-sealed at
/// `sealed_at` with its flash messages and browser-session mark.
fn seal_2(v: &Vector, built: &Built) -> String {
    let value = Value::from(v.value.clone());
    let nonce = unhex(&v.nonce_hex);
    let id = sealed_cookie::SessionId(
        unhex(v.session_id_hex.as_ref().unwrap())
            .try_into()
            .unwrap(),
    );
    let sealed_at = v.sealed_at.unwrap();
    let first = built
        .codec
        .seal_vector(
            &value,
            &SealOptions::default(),
            v.issued_at,
            Some(id),
            &nonce,
        )
        .unwrap();
    let facts = built.codec.open_at(&first, sealed_at).unwrap().facts;
    let flash = v.flash.clone().map(|flash| match Value::from(flash) {
        Value::Map(map) => map,
        _ => panic!("flash messages are a map"),
    });
    let options = SealOptions {
        continues: Some(&facts),
        browser_session: v.browser_session,
        flash: flash.as_ref(),
    };
    built
        .codec
        .seal_vector(&value, &options, sealed_at, Some(id), &nonce)
        .unwrap()
}

#[test]
fn every_format_2_vector_opens_and_reproduces_byte_for_byte() {
    let file: VectorFile = serde_json::from_str(FILE_2).unwrap();
    assert_eq!(file.format, "sealed-cookie envelope format 2");
    assert_eq!(file.vectors.len(), definitions_2().len());
    for v in &file.vectors {
        let what = &v.description;
        let built = build(v);
        assert_eq!(hex(&built.subkey), v.subkey_hex, "{what}: subkey");
        let envelope = URL_SAFE_NO_PAD.decode(&v.cookie).unwrap();
        assert_eq!(hex(&envelope), v.envelope_hex, "{what}: envelope");
        assert_eq!(envelope[0], v.version + 128, "{what}: version byte");
        let sealed_at = v.sealed_at.unwrap();
        let opened = built.codec.open_at(&v.cookie, sealed_at).unwrap();
        assert_eq!(opened.value, Value::from(v.value.clone()), "{what}");
        let flash = v.flash.clone().map(Value::from);
        assert_eq!(
            (!opened.flash.is_empty()).then(|| Value::Map(opened.flash.clone())),
            flash,
            "{what}: flash"
        );
        let facts = opened.facts;
        assert_eq!(facts.format, Format::V2);
        assert_eq!((facts.issued_at, facts.sealed_at), (v.issued_at, sealed_at));
        assert_eq!(facts.lifetime, v.lifetime);
        assert_eq!(facts.browser_session, v.browser_session);
        assert_eq!(
            facts.session_id.map(|id| hex(&id.0)),
            v.session_id_hex.clone()
        );
        let idle_end = sealed_at + u64::from(v.idle_timeout.unwrap());
        assert_eq!(facts.idle_expires_at, Some(idle_end));
        let plaintext = built.codec.open_plaintext_at(&v.cookie, sealed_at).unwrap();
        assert_eq!(hex(&plaintext.value), v.plaintext_hex, "{what}: plaintext");
        assert_eq!(seal_2(v, &built), v.cookie, "{what}: reproduced cookie");
        // The idle timeout ends each of them first, 1800 s after the seal (60 s
        // of skew).
        assert!(matches!(
            built.codec.open_at(&v.cookie, idle_end + 60),
            Err(sealed_cookie::OpenError::IdleExpired { expired_at }) if expired_at == idle_end
        ));
    }
}

#[test]
#[ignore = "prints the format 2 vectors; the frozen file is never regenerated"]
fn print_vectors_2() {
    let mut vectors = definitions_2();
    for v in &mut vectors {
        v.key_id = Key::from_base64(&v.key).unwrap().id().to_string();
        let built = build(v);
        v.subkey_hex = hex(&built.subkey);
        v.cookie = seal_2(v, &built);
        v.envelope_hex = hex(&URL_SAFE_NO_PAD.decode(&v.cookie).unwrap());
        let plaintext = built
            .codec
            .open_plaintext_at(&v.cookie, v.sealed_at.unwrap())
            .unwrap();
        v.plaintext_hex = hex(&plaintext.value);
    }
    let file = VectorFile {
        format: "sealed-cookie envelope format 2".into(),
        vectors,
    };
    println!("{}", serde_json::to_string_pretty(&file).unwrap());
}
