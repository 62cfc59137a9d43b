//! Behaviour of the codec as an application sees it: rotation, suite upgrades,
//! expiry, binding to the cookie name and header, the size budget, configuration
//! errors, and garbage.

#![cfg(all(feature = "xchacha20poly1305", feature = "postcard"))]

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sealed_cookie::cipher::XChaCha20Poly1305;
use sealed_cookie::envelope::{HEADER_2_LEN, HEADER_LEN, encoded_len};
use sealed_cookie::serializer::{Json, Postcard};
use sealed_cookie::{
    Codec, CodecBuilder, ConfigError, CookieAttributes, FixedClock, Key, KeyError, Keyring,
    OpenError, Padding, SealError, Suite,
};

const T0: u64 = 1_700_000_000;
const HOUR: Duration = Duration::from_secs(3600);

fn key(byte: u8) -> Key {
    Key::from_bytes(&[byte; 32]).unwrap()
}

fn builder(keyring: Keyring) -> CodecBuilder<Vec<String>> {
    Codec::<Vec<String>>::builder()
        .keyring(keyring)
        .max_age(HOUR)
        .clock(FixedClock(T0))
}

fn value() -> Vec<String> {
    vec!["alice".into(), "admin".into()]
}

#[test]
fn rotation_opens_old_keys_reissues_under_primary_and_forgets_retired_keys() {
    let (k1, k2) = (key(1), key(2));
    let old = builder(Keyring::new(k1.clone())).build().unwrap();
    let cookie = old.seal_at(&value(), T0).unwrap();

    // Step 1: K2 rolled out accept-only; K1 still seals.
    let step1 = builder(Keyring::new(k1.clone()).with_accepted(k2.clone()))
        .build()
        .unwrap();
    let opened = step1.open_at(&cookie, T0 + 10).unwrap();
    assert!(!opened.facts.needs_reissue);

    // Step 2: K2 promoted; K1 cookies open and are flagged.
    let step2 = builder(Keyring::new(k2.clone()).with_accepted(k1.clone()))
        .build()
        .unwrap();
    let opened = step2.open_at(&cookie, T0 + 20).unwrap();
    assert_eq!(opened.value, value());
    assert_eq!(opened.facts.key_id, k1.id());
    assert!(opened.facts.old_key && opened.facts.needs_reissue);
    let reissued = step2
        .reseal_at(&opened.value, &opened.facts, T0 + 20)
        .unwrap();
    let reopened = step2.open_at(&reissued, T0 + 30).unwrap();
    assert_eq!(reopened.facts.key_id, k2.id());
    assert!(!reopened.facts.needs_reissue);
    assert_eq!(
        reopened.facts.issued_at, T0,
        "re-issuing keeps the original issued-at"
    );
    assert_eq!(reopened.facts.expires_at, Some(T0 + 3600));
    // A server still at step 1 opens the re-issued cookie: it accepts K2 already.
    assert!(step1.open_at(&reissued, T0 + 30).is_ok());

    // Step 3: K1 retired.
    let step3 = builder(Keyring::new(k2.clone())).build().unwrap();
    assert!(step3.open_at(&reissued, T0 + 40).is_ok());
    match step3.open_at(&cookie, T0 + 40) {
        Err(OpenError::UnknownKey(id)) => assert_eq!(id, k1.id()),
        other => panic!("expected unknown key, got {other:?}"),
    }
    // SPEC.md section 6's order: the header's key id is reported before a tail
    // that does not decode (a character outside base64url).
    let broken = format!("{cookie}!");
    match step3.open_at(&broken, T0 + 40) {
        Err(OpenError::UnknownKey(id)) => assert_eq!(id, k1.id()),
        other => panic!("expected unknown key, got {other:?}"),
    }
    assert!(matches!(
        step1.open_at(&broken, T0 + 40),
        Err(OpenError::Malformed(_))
    ));
}

#[cfg(all(feature = "aes-gcm", feature = "msgpack"))]
#[test]
fn suite_upgrade_opens_v1_under_a_v2_codec_and_reissues_as_v2() {
    use sealed_cookie::cipher::Aes256Gcm;
    use sealed_cookie::serializer::MessagePack;
    let ring = Keyring::new(key(1));
    let v1 = Suite::new(XChaCha20Poly1305, Postcard);
    let v2 = Suite::new(Aes256Gcm, MessagePack);
    let old = builder(ring.clone()).suite(1, v1.clone()).build().unwrap();
    let new = builder(ring.clone())
        .suite(1, v1)
        .suite(2, v2.clone())
        .current(2)
        .build()
        .unwrap();
    let cookie = old.seal_at(&value(), T0).unwrap();
    let opened = new.open_at(&cookie, T0 + 5).unwrap();
    assert_eq!((opened.facts.version, opened.facts.old_suite), (1, true));
    assert!(opened.facts.needs_reissue);
    let upgraded = new.reseal_at(&opened.value, &opened.facts, T0 + 5).unwrap();
    let reopened = new.open_at(&upgraded, T0 + 6).unwrap();
    assert_eq!(reopened.facts.version, 2);
    assert!(!reopened.facts.needs_reissue);
    assert_eq!(reopened.value, value());
    // After the old suite is dropped, v1 cookies are unknown.
    let only_v2 = builder(ring).suite(2, v2).build().unwrap();
    assert!(matches!(
        only_v2.open_at(&cookie, T0 + 7),
        Err(OpenError::UnknownVersion(1))
    ));
}

#[test]
fn expiry_skew_and_not_before() {
    let codec = builder(Keyring::new(key(1)))
        .clock_skew(Duration::from_secs(60))
        .build()
        .unwrap();
    let cookie = codec.seal_at(&value(), T0).unwrap();
    assert!(
        codec.open_at(&cookie, T0 + 3600 + 59).is_ok(),
        "inside the skew allowance"
    );
    match codec.open_at(&cookie, T0 + 3600 + 60) {
        Err(OpenError::AbsolutelyExpired { expired_at }) => assert_eq!(expired_at, T0 + 3600),
        other => panic!("expected absolutely expired, got {other:?}"),
    }
    assert!(
        codec.open_at(&cookie, T0 - 60).is_ok(),
        "a slow clock inside the allowance"
    );
    assert!(matches!(
        codec.open_at(&cookie, T0 - 61),
        Err(OpenError::NotYetValid { issued_at: T0 })
    ));

    let revoking = builder(Keyring::new(key(1)))
        .not_before(T0 + 1)
        .build()
        .unwrap();
    assert!(matches!(
        revoking.open_at(&cookie, T0 + 2),
        Err(OpenError::Revoked { issued_at: T0, not_before }) if not_before == T0 + 1
    ));
    let later = revoking.seal_at(&value(), T0 + 1).unwrap();
    assert!(revoking.open_at(&later, T0 + 2).is_ok());
}

#[test]
fn a_shorter_configured_max_age_caps_older_cookies() {
    let long = builder(Keyring::new(key(1))).build().unwrap();
    let cookie = long.seal_at(&value(), T0).unwrap();
    let short = builder(Keyring::new(key(1)))
        .max_age(Duration::from_secs(600))
        .clock_skew(Duration::ZERO)
        .build()
        .unwrap();
    assert_eq!(
        short.open_at(&cookie, T0).unwrap().facts.expires_at,
        Some(T0 + 600)
    );
    assert!(matches!(
        short.open_at(&cookie, T0 + 600),
        Err(OpenError::AbsolutelyExpired { .. })
    ));
}

#[test]
fn reseal_never_extends_and_refuses_expired_sessions() {
    let codec = builder(Keyring::new(key(1))).build().unwrap();
    let cookie = codec.seal_at(&value(), T0).unwrap();
    let facts = codec.open_at(&cookie, T0 + 100).unwrap().facts;
    let again = codec.reseal_at(&value(), &facts, T0 + 200).unwrap();
    let reopened = codec.open_at(&again, T0 + 300).unwrap().facts;
    assert_eq!(
        (reopened.issued_at, reopened.expires_at),
        (T0, Some(T0 + 3600))
    );
    assert!(matches!(
        codec.reseal_at(&value(), &facts, T0 + 3600),
        Err(SealError::AlreadyExpired { expires_at }) if expires_at == T0 + 3600
    ));
    // Renewal: a fresh seal restarts the lifetime.
    let renewed = codec.seal_at(&value(), T0 + 200).unwrap();
    assert_eq!(
        codec.open_at(&renewed, T0 + 300).unwrap().facts.issued_at,
        T0 + 200
    );
}

#[test]
fn renewal_window_flags_reissue() {
    let codec = builder(Keyring::new(key(1)))
        .idle_timeout(Duration::from_secs(1800))
        .renew_within(Duration::from_secs(600))
        .build()
        .unwrap();
    let cookie = codec.seal_at(&value(), T0).unwrap();
    let early = codec.open_at(&cookie, T0 + 1200).unwrap().facts;
    assert!(!early.renewal_due && !early.needs_reissue);
    let late = codec.open_at(&cookie, T0 + 1201).unwrap().facts;
    assert!(late.renewal_due && late.needs_reissue && !late.old_key);
    // Past expiry but inside the skew allowance: opened, yet never renewed into a
    // fresh window, and re-sealing refuses it.
    let stale = codec.open_at(&cookie, T0 + 1800).unwrap().facts;
    assert!(!stale.renewal_due && !stale.needs_reissue);
    assert!(matches!(
        codec.reseal_at(&value(), &stale, T0 + 1800),
        Err(SealError::AlreadyExpired { .. })
    ));
}

#[test]
fn a_cookie_presented_under_another_name_fails() {
    let ring = Keyring::new(key(1));
    let a = builder(ring.clone())
        .cookie_name("session")
        .build()
        .unwrap();
    let b = builder(ring).cookie_name("session2").build().unwrap();
    let cookie = a.seal_at(&value(), T0).unwrap();
    assert!(matches!(
        b.open_at(&cookie, T0),
        Err(OpenError::AuthenticationFailed)
    ));
    assert!(a.open_at(&cookie, T0).is_ok());
}

#[test]
fn changing_any_header_field_fails_authentication() {
    // Two versions of the same cipher and two keys, so that a re-versioned or
    // re-keyed header still reaches the AEAD and must fail there.
    let ring = Keyring::new(key(1)).with_accepted(key(2));
    let codec = builder(ring)
        .suite(1, Suite::new(XChaCha20Poly1305, Postcard))
        .suite(2, Suite::new(XChaCha20Poly1305, Postcard))
        .current(1)
        .build()
        .unwrap();
    let cookie = codec.seal_at(&value(), T0).unwrap();
    let bytes = URL_SAFE_NO_PAD.decode(&cookie).unwrap();
    let reencode = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);

    let mut edits: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut re_versioned = bytes.clone();
    re_versioned[0] = 2;
    edits.push(("version", re_versioned));
    let mut re_keyed = bytes.clone();
    re_keyed[1..5].copy_from_slice(&key(2).id().0.to_be_bytes());
    edits.push(("key id", re_keyed));
    for flags in [1u8, 2, 3] {
        let mut edited = bytes.clone();
        edited[5] = flags;
        edits.push(("flags", edited));
    }
    for offset in 6..HEADER_LEN {
        let mut edited = bytes.clone();
        edited[offset] ^= 0x01;
        edits.push(("timestamps", edited));
    }
    for (field, edited) in edits {
        match codec.open_at(&reencode(&edited), T0) {
            Err(OpenError::AuthenticationFailed) => {}
            other => panic!("editing the {field} gave {other:?}"),
        }
    }
}

#[test]
fn over_budget_fails_with_exact_figures_and_the_limit_fits() {
    let attributes = CookieAttributes {
        domain: Some("example.com".into()),
        ..CookieAttributes::default()
    };
    let codec = Codec::<Vec<u8>>::builder()
        .keyring(Keyring::new(key(1)))
        .cookie_name("sid")
        .attributes(attributes.clone())
        .max_age(HOUR)
        .build()
        .unwrap();
    let capacity = codec.plaintext_capacity();
    // postcard: a Vec<u8> of 128 to 16383 bytes is a 2-byte varint length, then the bytes.
    let fits = vec![0xa5; capacity - 2];
    let cookie = codec.seal(&fits).unwrap();
    let full = attributes.rendered_len("sid", cookie.len(), Some(3600), Some(0));
    assert!(full <= 4096);
    assert!(
        full > 4096 - 4,
        "capacity leaves at most one base64 quantum unused: {full}"
    );
    // Format 2: a 22-byte header, and the 16-byte session id before the value.
    assert_eq!(
        cookie.len(),
        encoded_len(HEADER_2_LEN + 24 + 16 + capacity + 16)
    );

    let too_big = vec![0xa5; capacity - 1];
    let expected = attributes.rendered_len(
        "sid",
        encoded_len(HEADER_2_LEN + 24 + 16 + capacity + 1 + 16),
        Some(3600),
        Some(0),
    );
    match codec.seal(&too_big) {
        Err(SealError::TooLarge { needed, budget }) => {
            assert_eq!((needed, budget), (expected, 4096));
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn padding_hides_length_within_a_block() {
    let codec = Codec::<String>::builder()
        .keyring(Keyring::new(key(1)))
        .suite(
            1,
            Suite::new(XChaCha20Poly1305, Json).padding(Padding::Multiple(64)),
        )
        .build()
        .unwrap();
    let short = codec.seal(&"a".to_string()).unwrap();
    let longer = codec.seal(&"a".repeat(40)).unwrap();
    assert_eq!(short.len(), longer.len());
    let opened = codec.open(&longer).unwrap();
    assert!(opened.facts.padded);
    assert_eq!(opened.value, "a".repeat(40));
}

#[cfg(feature = "zstd")]
#[test]
fn zstd_is_used_only_when_it_shrinks_and_bombs_hit_the_cap() {
    use sealed_cookie::compressor::Zstd;
    let suite = Suite::new(XChaCha20Poly1305, Json).compressor(Zstd::default());
    let ring = Keyring::new(key(1));
    let codec = Codec::<String>::builder()
        .keyring(ring.clone())
        .suite(1, suite.clone())
        .budget(1 << 20)
        .max_value_len(1 << 20)
        .decompression_cap(1 << 21)
        .build()
        .unwrap();
    let repetitive = "session ".repeat(100);
    let opened = codec.open(&codec.seal(&repetitive).unwrap()).unwrap();
    assert!(opened.facts.compressed);
    assert_eq!(opened.value, repetitive);
    let random: String = (0..80u32)
        .map(|i| char::from(b'!' + ((i * 7919) % 90) as u8))
        .collect();
    assert!(
        !codec
            .open(&codec.seal(&random).unwrap())
            .unwrap()
            .facts
            .compressed
    );

    // A bomb sealed under a valid key: a megabyte in a few hundred bytes.
    let bomb = codec.seal(&"a".repeat(1 << 20)).unwrap();
    assert!(bomb.len() < 600, "{}", bomb.len());
    let capped = Codec::<String>::builder()
        .keyring(ring)
        .suite(1, suite)
        .build()
        .unwrap();
    assert!(matches!(
        capped.open(&bomb),
        Err(OpenError::DecompressionOverCap { cap: 65536 })
    ));
}

#[test]
fn configuration_mistakes_fail_at_build_with_a_clear_error() {
    fn err(builder: CodecBuilder<Vec<String>>) -> ConfigError {
        builder.build().unwrap_err()
    }
    let ring = || Keyring::new(key(1));
    let suite = || Suite::new(XChaCha20Poly1305, Postcard);
    assert_eq!(err(Codec::builder()), ConfigError::NoKeyring);
    assert_eq!(
        Key::from_bytes(&[0; 16]).unwrap_err(),
        KeyError::TooShort { len: 16, min: 32 }
    );
    assert_eq!(
        err(builder(ring()).suite(1, suite()).suite(1, suite())),
        ConfigError::DuplicateVersion(1)
    );
    assert_eq!(
        err(builder(ring().with_accepted(key(1)))),
        ConfigError::KeyIdCollision(key(1).id())
    );
    assert_eq!(
        err(builder(ring()).suite(1, suite()).current(2)),
        ConfigError::CurrentSuiteNotRegistered(2)
    );
    assert_eq!(
        err(builder(ring()).suite(1, suite()).suite(2, suite())),
        ConfigError::CurrentSuiteNotChosen
    );
    assert_eq!(
        err(builder(ring()).suite(0, suite())),
        ConfigError::ReservedVersion(0)
    );
    assert_eq!(
        err(builder(ring()).suite(128, suite())),
        ConfigError::ReservedVersion(128)
    );
    for bad in ["", "a b", "a;b", "a=b", "ü", &"x".repeat(257)] {
        assert!(matches!(
            err(builder(ring()).cookie_name(bad)),
            ConfigError::InvalidCookieName { .. }
        ));
    }
    assert!(matches!(
        err(builder(ring()).budget(100)),
        ConfigError::BudgetTooSmall { budget: 100, .. }
    ));
    for budget in [sealed_cookie::MAX_BUDGET + 1, usize::MAX] {
        assert_eq!(
            err(builder(ring()).budget(budget)),
            ConfigError::BudgetTooLarge {
                budget,
                max: sealed_cookie::MAX_BUDGET
            }
        );
    }
    let largest = builder(ring())
        .budget(sealed_cookie::MAX_BUDGET)
        .build()
        .expect("the largest budget is accepted");
    assert!(largest.plaintext_capacity() > sealed_cookie::MAX_BUDGET / 2);
    assert!(matches!(
        err(builder(ring()).max_age(Duration::from_secs(1 << 33))),
        ConfigError::MaxAgeTooLong { .. }
    ));
    // Lifetime 0 means "no expiry" on the wire: nothing under a second builds.
    for short in [
        Duration::ZERO,
        Duration::from_millis(500),
        Duration::from_millis(999),
    ] {
        let error = err(builder(ring()).max_age(short));
        assert_eq!(error, ConfigError::MaxAgeTooShort { max_age: short });
        assert!(error.to_string().contains("at least 1 s"), "{error}");
    }
    assert!(
        builder(ring())
            .max_age(Duration::from_secs(1))
            .build()
            .is_ok()
    );
    assert_eq!(
        err(builder(ring()).suite(1, suite().padding(Padding::Multiple(0)))),
        ConfigError::InvalidPadding(0)
    );
    assert_eq!(
        err(builder(ring()).decompression_cap(0)),
        ConfigError::InvalidDecompressionCap
    );
    // Every message says what to change.
    assert!(ConfigError::NoKeyring.to_string().contains(".keyring("));
}

#[test]
fn garbage_of_every_length_is_rejected_without_panicking() {
    let codec = builder(Keyring::new(key(1))).build().unwrap();
    let valid = codec.seal_at(&value(), T0).unwrap();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for len in 0..=512usize {
        let base64ish: String = (0..len)
            .map(|_| char::from(alphabet[(next() % 64) as usize]))
            .collect();
        let bytes: String = (0..len).map(|_| char::from((next() % 256) as u8)).collect();
        // A valid header followed by garbage reaches the AEAD.
        let mut with_header = valid[..valid.len().min(len)].to_string();
        with_header
            .extend((with_header.len()..len).map(|_| char::from(alphabet[(next() % 64) as usize])));
        for input in [base64ish, bytes, with_header] {
            if input == valid {
                continue;
            }
            assert!(
                codec.open_at(&input, T0).is_err(),
                "accepted garbage of length {len}"
            );
        }
    }
}
