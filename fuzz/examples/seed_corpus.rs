//! Writes the committed seed corpus under `fuzz/corpus/<target>/`: valid cookies
//! of every suite and cut-down ones, authentic payload descriptions, envelopes,
//! zstd frames and session inputs. Deterministic (fixed time and nonces), so that
//! running it again changes nothing.
//!
//! ```sh
//! cd fuzz && cargo run --example seed_corpus
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sealed_cookie::compressor::{Compressor, Zstd};
use sealed_cookie::envelope::{self, FLAG_COMPRESSED, FLAG_PADDED, HEADER_LEN};
use sealed_cookie::serializer::{Json, MessagePack, Postcard, Serializer};
use sealed_cookie::{Codec, Value};
use sealed_cookie_fuzz::{Kind, NOW, PAD, SuiteSpec, Typed, codec_sealing_with};

const SAMPLE: &str = include_str!("../../examples/sample-session.json");

fn nonce_len(spec: SuiteSpec) -> usize {
    [24, 12, 16][spec.cipher]
}

fn typed_sample() -> Typed {
    Typed {
        user_id: 42,
        name: "alice".into(),
        roles: vec!["admin".into(), "editor".into()],
        flags: BTreeMap::from([("beta".into(), true), ("dark".into(), false)]),
        note: Some("f3a9c0d1e2b34a5c".into()),
        score: -7,
        blob: vec![0, 1, 2, 254, 255],
        pairs: vec![(1, Some(-1)), (2, None)],
        kind: Kind::Admin {
            level: 3,
            scopes: vec!["billing".into()],
        },
        zoom: Some(1.25),
        ratio: -0.5,
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::write(dir.join(name), bytes).expect("writable corpus directory");
}

fn target_dir(root: &Path, target: &str) -> PathBuf {
    let dir = root.join(target);
    if dir.exists() {
        for entry in fs::read_dir(&dir).expect("readable corpus directory") {
            fs::remove_file(entry.expect("entry").path()).expect("removable seed");
        }
    }
    fs::create_dir_all(&dir).expect("corpus directory");
    dir
}

/// Mode byte + text: the `open` target's cookie-text mode.
fn text_seed(typed: bool, text: &str) -> Vec<u8> {
    let mut seed = vec![if typed { 0x02 } else { 0x00 }];
    seed.extend_from_slice(text.as_bytes());
    seed
}

fn serialize(spec: SuiteSpec, value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    match spec.serializer {
        0 => Postcard.serialize_value(value, &mut out),
        1 => MessagePack.serialize_value(value, &mut out),
        _ => Json.serialize_value(value, &mut out),
    }
    .expect("the sample serializes");
    out
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let sample = Value::from(serde_json::from_str::<serde_json::Value>(SAMPLE).expect("JSON"));
    let typed = typed_sample();

    let open = target_dir(&root, "open");
    let header = target_dir(&root, "header");
    for spec in SuiteSpec::all() {
        let label = spec.label();
        let nonce: Vec<u8> = (0..nonce_len(spec)).map(|i| i as u8 * 7).collect();
        let values: Codec<Value> = codec_sealing_with(spec.version);
        let cookie = values
            .seal_with_nonce(&sample, NOW, &nonce)
            .expect("the sample fits");
        assert!(values.open_at(&cookie, NOW).is_ok());
        write(&open, &format!("{label}-value"), &text_seed(false, &cookie));
        let typed_codec: Codec<Typed> = codec_sealing_with(spec.version);
        let typed_cookie = typed_codec
            .seal_with_nonce(&typed, NOW, &nonce)
            .expect("the sample fits");
        write(
            &open,
            &format!("{label}-typed"),
            &text_seed(true, &typed_cookie),
        );

        // The authentic-payload mode: suite, flags, choice, then the plaintext.
        let mut payload = serialize(spec, &sample);
        let mut flags = 0;
        if spec.zstd
            && let Some(compressed) = Zstd::default().compress(&payload).expect("zstd")
            && compressed.len() < payload.len()
        {
            payload = compressed;
            flags |= FLAG_COMPRESSED;
        }
        if spec.padded {
            envelope::pad(&mut payload, 0, PAD);
            flags |= FLAG_PADDED;
        }
        let mut seed = vec![0x01, spec.version - 1, flags, 0x00];
        seed.extend_from_slice(&payload);
        write(&open, &format!("{label}-payload"), &seed);

        let decoded = URL_SAFE_NO_PAD.decode(&cookie).expect("base64url");
        if !spec.zstd && !spec.padded {
            // Cut-down cookies: the header alone, header and nonce, no tag, one
            // character short.
            let cuts = [
                ("header", envelope::encoded_len(HEADER_LEN)),
                ("nonce", envelope::encoded_len(HEADER_LEN + nonce.len())),
                ("untagged", envelope::encoded_len(decoded.len() - 16)),
                ("short", cookie.len() - 1),
            ];
            for (cut, len) in cuts {
                write(
                    &open,
                    &format!("{label}-cut-{cut}"),
                    &text_seed(false, &cookie[..len]),
                );
            }
            write(&header, &format!("{label}-envelope"), &decoded);
        }
    }
    write(
        &header,
        "header-only",
        &URL_SAFE_NO_PAD
            .decode("AQAAAAEDAAAAAGhZGcAAAA4Q")
            .expect("b64"),
    );
    write(&header, "padded-block", &[0x1f, b'a', b'b', 0x80, 0, 0]);

    let decompress = target_dir(&root, "decompress");
    let zstd = Zstd::default();
    let frame = zstd
        .compress(SAMPLE.as_bytes())
        .expect("zstd")
        .expect("long enough");
    for (cap, choice) in [("cap64k", 4u8), ("cap64", 1)] {
        let mut seed = vec![choice];
        seed.extend_from_slice(&frame);
        write(&decompress, &format!("sample-{cap}"), &seed);
    }
    let mut truncated = vec![4u8];
    truncated.extend_from_slice(&frame[..frame.len() / 2]);
    write(&decompress, "sample-truncated", &truncated);
    let bomb = zstd
        .compress(&vec![0u8; 1 << 20])
        .expect("zstd")
        .expect("long enough");
    let mut seed = vec![4u8];
    seed.extend_from_slice(&bomb);
    write(&decompress, "zeros-1mib", &seed);
    let mut seed = vec![0x84u8];
    seed.extend_from_slice(&frame);
    write(&decompress, "sample-other-dictionary", &seed);

    let roundtrip = target_dir(&root, "roundtrip");
    for (i, suite) in [0u8, 13, 26, 35].into_iter().enumerate() {
        let mut seed = vec![suite];
        seed.extend_from_slice(SAMPLE.as_bytes());
        write(&roundtrip, &format!("sample-text-{i}"), &seed);
        let mut seed = vec![suite, 1];
        seed.extend(postcard_bytes(&typed));
        write(&roundtrip, &format!("typed-bytes-{i}"), &seed);
    }
    // Session values: serializer choice, then the plaintext of every vector that
    // is not compressed, and the sample in each serializer's form.
    let session_value = target_dir(&root, "session_value");
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("../../tests/vectors/v1.json")).expect("vectors");
    for (i, vector) in vectors["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .enumerate()
    {
        let choice = match vector["serializer"].as_str() {
            Some("postcard") => 0u8,
            Some("msgpack") => 1,
            _ => 2,
        };
        let hex = vector["plaintext_hex"].as_str().expect("hex");
        let mut seed = vec![choice];
        seed.extend(
            (0..hex.len())
                .step_by(2)
                .map(|j| u8::from_str_radix(&hex[j..j + 2], 16).expect("hex digits")),
        );
        write(&session_value, &format!("vector-{}", i + 1), &seed);
    }
    for choice in 0u8..3 {
        let mut seed = vec![choice];
        let spec = SuiteSpec::all()
            .into_iter()
            .find(|s| s.serializer == usize::from(choice))
            .expect("spec");
        seed.extend(serialize(spec, &sample));
        write(&session_value, &format!("sample-{choice}"), &seed);
    }
    println!("seed corpus written to {}", root.display());
}

fn postcard_bytes(typed: &Typed) -> Vec<u8> {
    let mut out = Vec::new();
    Postcard.serialize_into(typed, &mut out).expect("postcard");
    out
}
