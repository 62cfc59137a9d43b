//! Frozen test vectors for envelope format 1: every cookie in `tests/vectors/v1.json`
//! must open, and must be reproduced byte for byte from its fixed nonce, forever.
//! A failure here means the wire format changed: that needs a new format version,
//! never an edit of the vector file.
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
use sealed_cookie::{Codec, FixedClock, Key, Keyring, Padding, Suite, Value};
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
    plaintext_hex: String,
    envelope_hex: String,
    cookie: String,
}

const FILE: &str = include_str!("vectors/v1.json");

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
    codec: Codec<Value>,
    subkey: Vec<u8>,
    plaintext: Vec<u8>,
}

fn build_with<C: Cipher, S: Serializer, Z: Compressor>(
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
    let mut builder = Codec::<Value>::builder()
        .keyring(Keyring::new(key))
        .suite(v.version, suite)
        .cookie_name(v.cookie_name.as_str())
        .clock(FixedClock(v.issued_at));
    if v.lifetime != 0 {
        builder = builder.max_age(std::time::Duration::from_secs(u64::from(v.lifetime)));
    }
    let mut plaintext = Vec::new();
    serializer
        .serialize_into(&Value::from(v.value.clone()), &mut plaintext)
        .unwrap();
    Built {
        codec: builder.build().unwrap(),
        subkey,
        plaintext,
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
    assert!(file.vectors.len() >= 5);
    for v in &file.vectors {
        let built = build(v);
        assert_eq!(
            hex(&built.subkey),
            v.subkey_hex,
            "{}: subkey",
            v.description
        );
        assert_eq!(
            hex(&built.plaintext),
            v.plaintext_hex,
            "{}: plaintext",
            v.description
        );
        assert_eq!(
            hex(&URL_SAFE_NO_PAD.decode(&v.cookie).unwrap()),
            v.envelope_hex,
            "{}: envelope",
            v.description
        );

        let opened = built.codec.open_at(&v.cookie, v.issued_at).unwrap();
        assert_eq!(
            opened.value,
            Value::from(v.value.clone()),
            "{}",
            v.description
        );
        assert_eq!(opened.facts.version, v.version);
        assert_eq!(opened.facts.issued_at, v.issued_at);
        assert_eq!(opened.facts.lifetime, v.lifetime);

        let resealed = built
            .codec
            .seal_with_nonce(
                &Value::from(v.value.clone()),
                v.issued_at,
                &unhex(&v.nonce_hex),
            )
            .unwrap();
        assert_eq!(resealed, v.cookie, "{}: reproduced cookie", v.description);
    }
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

/// The definitions the frozen file was generated from.
fn definitions() -> Vec<Vector> {
    let sample: serde_json::Value =
        serde_json::from_str(include_str!("../examples/sample-session.json")).unwrap();
    let key = URL_SAFE_NO_PAD.encode((0u8..32).collect::<Vec<_>>());
    let small = serde_json::json!({"user": "alice", "n": 7});
    let def = |description: &str,
               version,
               cipher: &str,
               serializer: &str,
               compressor: &str,
               padding,
               lifetime,
               nonce_len: usize,
               value: &serde_json::Value| Vector {
        description: description.into(),
        version,
        cipher: cipher.into(),
        serializer: serializer.into(),
        compressor: compressor.into(),
        padding,
        key: key.clone(),
        key_id: String::new(),
        subkey_hex: String::new(),
        cookie_name: "session".into(),
        issued_at: 1_700_000_000,
        lifetime,
        nonce_hex: hex(&(0..nonce_len).map(|i| 0xa0 + i as u8).collect::<Vec<_>>()),
        value: value.clone(),
        plaintext_hex: String::new(),
        envelope_hex: String::new(),
        cookie: String::new(),
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
    ]
}

#[test]
#[ignore = "prints vectors for a new format version; the frozen file is never regenerated"]
fn print_vectors() {
    let mut vectors = definitions();
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
    let file = VectorFile {
        format: "sealed-cookie envelope format 1".into(),
        vectors,
    };
    println!("{}", serde_json::to_string_pretty(&file).unwrap());
}
