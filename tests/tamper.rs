//! Exhaustive tampering, for every cipher: every single-bit flip of the decoded
//! envelope, every truncation, every single-character substitution in the
//! base64url text and every one-byte extension is rejected with an error, never
//! opened to a value. Also: nothing that holds key material prints key bytes.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sealed_cookie::{Codec, FixedClock, Key, Keyring, Value};

const NOW: u64 = 1_750_000_000;
const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// Characters outside the alphabet: standard base64, padding, separators, space,
/// control, non-ASCII.
const FOREIGN: [char; 10] = [
    '+',
    '/',
    '=',
    '.',
    ' ',
    ';',
    '%',
    '\0',
    '\u{e9}',
    '\u{1f36a}',
];

fn sample() -> Value {
    let text = include_str!("../examples/sample-session.json");
    Value::from(serde_json::from_str::<serde_json::Value>(text).expect("sample JSON"))
}

fn keyring() -> Keyring {
    Keyring::new(Key::from_bytes(&[0x42; 32]).expect("key"))
        .with_accepted(Key::from_bytes(&[0x43; 32]).expect("key"))
}

fn codec_with<C, S, Z>(suite: sealed_cookie::Suite<C, S, Z>) -> Codec<Value>
where
    C: sealed_cookie::cipher::Cipher,
    S: sealed_cookie::serializer::Serializer,
    Z: sealed_cookie::compressor::Compressor,
{
    Codec::<Value>::builder()
        .suite(1, suite)
        .keyring(keyring())
        .cookie_name("session")
        .max_age(Duration::from_secs(3600))
        .clock(FixedClock(NOW))
        .build()
        .expect("codec")
}

fn assert_rejected(codec: &Codec<Value>, text: &str, what: &dyn Fn() -> String) {
    if let Ok(opened) = codec.open_at(text, NOW) {
        panic!("{} opened to {:?}", what(), opened.value);
    }
}

/// Runs every tampering against one sealed cookie and returns how many were tried.
fn tamper_everything(codec: &Codec<Value>) -> usize {
    let value = sample();
    let cookie = codec.seal_at(&value, NOW).expect("seal");
    assert_eq!(codec.open_at(&cookie, NOW).expect("intact").value, value);
    let envelope = URL_SAFE_NO_PAD.decode(&cookie).expect("base64url");
    let mut tried = 0;

    for byte in 0..envelope.len() {
        for bit in 0..8 {
            let mut bad = envelope.clone();
            bad[byte] ^= 1 << bit;
            let text = URL_SAFE_NO_PAD.encode(&bad);
            assert_rejected(codec, &text, &|| {
                format!("bit {bit} of byte {byte} flipped")
            });
            tried += 1;
        }
    }

    for len in 0..cookie.len() {
        assert_rejected(codec, &cookie[..len], &|| {
            format!("text cut to {len} chars")
        });
        tried += 1;
    }
    for len in 0..envelope.len() {
        let text = URL_SAFE_NO_PAD.encode(&envelope[..len]);
        assert_rejected(codec, &text, &|| format!("envelope cut to {len} bytes"));
        tried += 1;
    }

    let chars: Vec<char> = cookie.chars().collect();
    for (at, &original) in chars.iter().enumerate() {
        for replacement in ALPHABET.chars().chain(FOREIGN) {
            if replacement == original {
                continue;
            }
            let mut bad = chars.clone();
            bad[at] = replacement;
            let text: String = bad.into_iter().collect();
            assert_rejected(codec, &text, &|| {
                format!("char {at} {original:?} replaced by {replacement:?}")
            });
            tried += 1;
        }
    }

    for extra in 0..=255u8 {
        let mut bad = envelope.clone();
        bad.push(extra);
        let text = URL_SAFE_NO_PAD.encode(&bad);
        assert_rejected(codec, &text, &|| {
            format!("envelope extended by {extra:#04x}")
        });
        tried += 1;
    }
    for extra in ALPHABET.chars().chain(FOREIGN) {
        let text = format!("{cookie}{extra}");
        assert_rejected(codec, &text, &|| format!("text extended by {extra:?}"));
        let text = format!("{extra}{cookie}");
        assert_rejected(codec, &text, &|| format!("text prefixed by {extra:?}"));
        tried += 2;
    }
    tried
}

/// Every tampering of a cookie of `bytes` envelope bytes and `chars` characters.
fn expected_cases(bytes: usize, chars: usize) -> usize {
    let replacements = ALPHABET.len() + FOREIGN.len() - 1;
    bytes * 8 + chars + bytes + chars * replacements + 256 + 2 * (ALPHABET.len() + FOREIGN.len())
}

fn check_suite<C, S, Z>(suite: sealed_cookie::Suite<C, S, Z>)
where
    C: sealed_cookie::cipher::Cipher,
    S: sealed_cookie::serializer::Serializer,
    Z: sealed_cookie::compressor::Compressor,
{
    let name = suite.to_string();
    let codec = codec_with(suite);
    let cookie = codec.seal_at(&sample(), NOW).expect("seal");
    let bytes = URL_SAFE_NO_PAD.decode(&cookie).expect("base64url").len();
    let tried = tamper_everything(&codec);
    assert_eq!(tried, expected_cases(bytes, cookie.len()), "{name}");
}

#[cfg(feature = "xchacha20poly1305")]
#[test]
fn xchacha20poly1305_rejects_every_tampering() {
    use sealed_cookie::cipher::XChaCha20Poly1305;
    use sealed_cookie::serializer::Json;
    check_suite(sealed_cookie::Suite::new(XChaCha20Poly1305, Json));
}

#[cfg(feature = "aes-gcm")]
#[test]
fn aes256gcm_rejects_every_tampering() {
    use sealed_cookie::cipher::Aes256Gcm;
    use sealed_cookie::serializer::Json;
    check_suite(sealed_cookie::Suite::new(Aes256Gcm, Json));
}

#[cfg(feature = "aes-siv")]
#[test]
fn aes256siv_rejects_every_tampering() {
    use sealed_cookie::cipher::Aes256Siv;
    use sealed_cookie::serializer::Json;
    check_suite(sealed_cookie::Suite::new(Aes256Siv, Json));
}

/// The same with compression and padding, whose flags and payload layout are
/// then in play too.
#[cfg(all(feature = "zstd", feature = "postcard"))]
#[test]
fn compressed_and_padded_suites_reject_every_tampering() {
    use sealed_cookie::Padding;
    use sealed_cookie::compressor::Zstd;
    use sealed_cookie::serializer::Postcard;
    let zstd = || Zstd::default().min_input(1);
    #[cfg(feature = "xchacha20poly1305")]
    check_suite(
        sealed_cookie::Suite::new(sealed_cookie::cipher::XChaCha20Poly1305, Postcard)
            .compressor(zstd())
            .padding(Padding::Multiple(32)),
    );
    #[cfg(feature = "aes-gcm")]
    check_suite(
        sealed_cookie::Suite::new(sealed_cookie::cipher::Aes256Gcm, Postcard)
            .compressor(zstd())
            .padding(Padding::Multiple(32)),
    );
    #[cfg(feature = "aes-siv")]
    check_suite(
        sealed_cookie::Suite::new(sealed_cookie::cipher::Aes256Siv, Postcard)
            .compressor(zstd())
            .padding(Padding::Multiple(32)),
    );
}

/// A cookie sealed under one cipher never opens under a codec whose suite of the
/// same version uses another: the suite descriptor is bound into the tag.
#[cfg(all(
    feature = "xchacha20poly1305",
    feature = "aes-gcm",
    feature = "aes-siv"
))]
#[test]
fn a_cookie_never_opens_under_another_suite_of_the_same_version() {
    use sealed_cookie::cipher::{Aes256Gcm, Aes256Siv, XChaCha20Poly1305};
    use sealed_cookie::serializer::Json;
    let codecs = [
        codec_with(sealed_cookie::Suite::new(XChaCha20Poly1305, Json)),
        codec_with(sealed_cookie::Suite::new(Aes256Gcm, Json)),
        codec_with(sealed_cookie::Suite::new(Aes256Siv, Json)),
    ];
    for (i, sealer) in codecs.iter().enumerate() {
        let cookie = sealer.seal_at(&sample(), NOW).expect("seal");
        for (j, opener) in codecs.iter().enumerate() {
            assert_eq!(opener.open_at(&cookie, NOW).is_ok(), i == j, "{i} -> {j}");
        }
    }
}

// --- key material never printed -------------------------------------------------

/// Every way the bytes of `secret` could show up in text: hex (either case, any
/// 4-byte window), decimal lists, base64url and standard base64.
fn leaks(text: &str, secret: &[u8]) -> Option<String> {
    use base64::engine::general_purpose::STANDARD_NO_PAD;
    let lower = text.to_lowercase();
    for window in secret.windows(4) {
        let hex: Vec<String> = window.iter().map(|b| format!("{b:02x}")).collect();
        let short_hex: Vec<String> = window.iter().map(|b| format!("{b:x}")).collect();
        let decimal: Vec<String> = window.iter().map(u8::to_string).collect();
        for needle in [
            hex.concat(),
            hex.join(", "),
            short_hex.join(", "),
            decimal.join(", "),
            decimal.join(","),
        ] {
            if lower.contains(&needle) {
                return Some(needle);
            }
        }
    }
    for encoded in [
        URL_SAFE_NO_PAD.encode(secret),
        STANDARD_NO_PAD.encode(secret),
    ] {
        if text.contains(&encoded[..8]) {
            return Some(encoded);
        }
    }
    None
}

fn secret_bytes(seed: u8) -> [u8; 32] {
    std::array::from_fn(|i| {
        seed.wrapping_mul(31)
            .wrapping_add((i as u8).wrapping_mul(73))
            | 1
    })
}

fn subkey(material: &[u8], label: &str, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    hkdf::Hkdf::<sha2::Sha256>::new(None, material)
        .expand(label.as_bytes(), &mut out)
        .expect("short output");
    out
}

#[test]
fn nothing_holding_key_material_prints_key_bytes() {
    let primary = secret_bytes(7);
    let accepted = secret_bytes(9);
    let key = Key::from_bytes(&primary).expect("key");
    let ring = Keyring::new(key.clone()).with_accepted(Key::from_bytes(&accepted).expect("key"));
    let builder = Codec::<Value>::builder().keyring(ring.clone());
    let builder_text = [format!("{builder:?}"), format!("{builder:#?}")];
    let codec = builder.build().expect("codec");
    let mut secrets = vec![primary.to_vec(), accepted.to_vec()];
    // The per-cipher subkeys derived from each key are secret as well.
    for material in [&primary[..], &accepted[..]] {
        for (label, len) in [
            ("sealed-cookie/1/aead/xchacha20poly1305/1", 32),
            ("sealed-cookie/1/aead/aes256gcm/2", 32),
            ("sealed-cookie/1/aead/aes256siv/3", 64),
        ] {
            secrets.push(subkey(material, label, len));
        }
    }
    let texts = [
        format!("{key:?}"),
        format!("{key:#?}"),
        format!("{ring:?}"),
        format!("{ring:#?}"),
        format!("{codec:?}"),
        format!("{codec:#?}"),
        format!("{}", key.id()),
        format!("{:?}", key.id()),
        builder_text[0].clone(),
        builder_text[1].clone(),
    ];
    for text in &texts {
        for secret in &secrets {
            assert_eq!(leaks(text, secret), None, "{text}");
        }
    }
    // The check itself finds bytes where they are printed.
    assert!(leaks(&format!("{primary:?}"), &primary).is_some());
    assert!(leaks(&format!("{primary:02x?}"), &primary).is_some());
    assert!(leaks(&key.to_base64(), &primary).is_some());
    // Ids are printed: they are not secret.
    assert!(texts[2].contains(&key.id().to_string()));
}

#[test]
fn errors_about_keys_print_no_key_bytes() {
    let primary = secret_bytes(11);
    let key = Key::from_bytes(&primary).expect("key");
    let ring = Keyring::new(key.clone()).with_accepted(key.clone());
    let error = Codec::<Value>::builder()
        .keyring(ring)
        .build()
        .expect_err("duplicate key id");
    for text in [error.to_string(), format!("{error:?}")] {
        assert_eq!(leaks(&text, &primary), None, "{text}");
        assert!(text.contains(&key.id().to_string()), "{text}");
    }
    let short = Key::from_bytes(&primary[..31]).expect_err("too short");
    for text in [short.to_string(), format!("{short:?}")] {
        assert_eq!(leaks(&text, &primary), None, "{text}");
    }
}

/// The key lookup compares every id (no early exit); it must still find each key
/// of a larger keyring, report the one that matched, and refuse unknown ids.
#[test]
fn key_lookup_finds_every_key_of_the_keyring_and_only_those() {
    let keys: Vec<Key> = (1..=5u8)
        .map(|i| Key::from_bytes(&[i; 32]).expect("key"))
        .collect();
    let ring = keys[1..]
        .iter()
        .fold(Keyring::new(keys[0].clone()), |ring, key| {
            ring.with_accepted(key.clone())
        });
    let opener = Codec::<Value>::builder()
        .keyring(ring)
        .clock(FixedClock(NOW))
        .build()
        .expect("codec");
    for (index, key) in keys.iter().enumerate() {
        let sealer = Codec::<Value>::builder()
            .keyring(Keyring::new(key.clone()))
            .clock(FixedClock(NOW))
            .build()
            .expect("codec");
        let cookie = sealer
            .seal_at(&Value::Int(index as i64), NOW)
            .expect("seal");
        let opened = opener.open_at(&cookie, NOW).expect("a keyring key opens");
        assert_eq!(opened.value, Value::Int(index as i64));
        assert_eq!(opened.facts.key_id, key.id());
        assert_eq!(opened.facts.old_key, index != 0);
    }
    let stranger = Codec::<Value>::builder()
        .keyring(Keyring::new(Key::from_bytes(&[9; 32]).expect("key")))
        .clock(FixedClock(NOW))
        .build()
        .expect("codec");
    let cookie = stranger.seal_at(&Value::Null, NOW).expect("seal");
    assert_eq!(
        opener
            .open_at(&cookie, NOW)
            .expect_err("unknown key")
            .kind(),
        "unknown_key"
    );
}

/// The feature-gated types that hold keys or secrets print none of them either.
#[cfg(any(feature = "keyfile", feature = "perl-compat", feature = "tower"))]
#[test]
fn optional_types_holding_secrets_print_none() {
    let primary = secret_bytes(13);
    let accepted = secret_bytes(17);
    let key = Key::from_bytes(&primary).expect("key");
    let mut texts: Vec<String> = Vec::new();
    #[cfg(feature = "keyfile")]
    {
        use sealed_cookie::keyfile::{KeyEntry, KeyRole, KeyringFile};
        let entry = KeyEntry {
            key: key.clone(),
            role: KeyRole::Primary,
            added: Some(NOW),
        };
        let file = KeyringFile::new(key.clone());
        texts.extend([
            format!("{entry:?}"),
            format!("{entry:#?}"),
            format!("{file:?}"),
            format!("{file:#?}"),
        ]);
    }
    #[cfg(feature = "perl-compat")]
    {
        let reader = sealed_cookie::perl::PerlReader::new(primary, [accepted]);
        texts.extend([format!("{reader:?}"), format!("{reader:#?}")]);
    }
    #[cfg(feature = "tower")]
    {
        let ring =
            Keyring::new(key.clone()).with_accepted(Key::from_bytes(&accepted).expect("key"));
        let builder = sealed_cookie::web::SessionLayer::builder().keyring(ring);
        texts.extend([format!("{builder:?}"), format!("{builder:#?}")]);
        let layer = builder.build().expect("layer");
        texts.extend([format!("{layer:?}"), format!("{layer:#?}")]);
    }
    assert!(!texts.is_empty());
    for text in &texts {
        for secret in [&primary[..], &accepted[..]] {
            assert_eq!(leaks(text, secret), None, "{text}");
        }
    }
}
