//! Arbitrary input against a codec that opens every suite.
//!
//! The first byte picks the mode. Even: the rest is a cookie value, as a client
//! would send it. Odd: the rest describes an authentic cookie (suite, flags, key,
//! timestamps, payload bytes) that is sealed under one of the codec's keys, so
//! that padding, decompression and deserialization see arbitrary plaintext; the
//! codec must then return exactly what an independent decode of that plaintext
//! gives, or an error when that decode fails.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sealed_cookie::envelope::Header;
use sealed_cookie::{Codec, Format, Value};
use sealed_cookie_fuzz::{
    ACCEPTED, MAX_AGE, NOW, PRIMARY, SUITES, SuiteSpec, Typed, codecs, forge, key_id,
    reference_decode, same_value,
};

static VALUES: OnceLock<Vec<Codec<Value>>> = OnceLock::new();
static TYPED: OnceLock<Vec<Codec<Typed>>> = OnceLock::new();

/// Opening times tried against the cookie text: fresh, near expiry, expired,
/// before issue.
const NOWS: [u64; 4] = [
    NOW,
    NOW + MAX_AGE as u64 - 1,
    NOW + 10 * MAX_AGE as u64,
    NOW - 86_400,
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let typed = mode & 2 != 0;
    if mode & 1 == 0 {
        let text = String::from_utf8_lossy(rest);
        let codec_index = usize::from(mode >> 2) % SUITES;
        let now = NOWS[usize::from(mode >> 6) % NOWS.len()];
        if typed {
            open_text(&codecs(&TYPED)[codec_index], &text, now, |a, b| a == b);
        } else {
            open_text(&codecs(&VALUES)[codec_index], &text, now, same_value);
        }
    } else if typed {
        open_authentic(codecs(&TYPED), rest, |a, b| a == b);
    } else {
        open_authentic(codecs(&VALUES), rest, same_value);
    }
});

fn open_text<T>(codec: &Codec<T>, text: &str, now: u64, same: fn(&T, &T) -> bool)
where
    T: serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    let Ok(opened) = codec.open_at(text, now) else {
        return;
    };
    // Only an authentic cookie opens: its facts agree with its header, and the
    // value survives being sealed again.
    assert!(opened.facts.issued_at <= now + 60);
    assert!(opened.facts.key_id == key_id(false) || opened.facts.key_id == key_id(true));
    assert!(SuiteSpec::of(opened.facts.version).is_some());
    let again = codec
        .reseal_at(&opened.value, &opened.facts, now)
        .expect("an opened value seals again");
    let reopened = codec.open_at(&again, now).expect("a resealed cookie opens");
    assert!(same(&reopened.value, &opened.value));
    assert_eq!(reopened.facts.issued_at, opened.facts.issued_at);
}

fn open_authentic<T>(codecs: &[Codec<T>], data: &[u8], same: fn(&T, &T) -> bool)
where
    T: serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug + 'static,
{
    let [suite, flags, choice, payload @ ..] = data else {
        return;
    };
    let spec = SuiteSpec::of(1 + suite % SUITES as u8).expect("registered");
    // Format 2 when the flags byte says so: its plaintext begins with the session
    // id and, under flag 0x08, the flash messages, all from the fuzzer's bytes.
    let format = if flags & 0x40 != 0 {
        Format::V2
    } else {
        Format::V1
    };
    let known = match format {
        Format::V1 => 0x03,
        Format::V2 => 0x0f,
    };
    // Unknown flag bits only now and then, so that most inputs reach the payload.
    let flags = if choice & 0x80 != 0 {
        *flags & !0x40
    } else {
        flags & known
    };
    let accepted = choice & 1 != 0;
    let (issued_at, lifetime, in_time) = match (choice >> 1) & 3 {
        0 => (NOW, MAX_AGE, true),
        1 => (NOW - 10, 0, true),
        2 => (NOW - 10 * u64::from(MAX_AGE), MAX_AGE, false),
        _ => (NOW + 10_000, MAX_AGE, false),
    };
    let header = Header {
        format,
        version: spec.version,
        key_id: key_id(accepted),
        flags,
        issued_at,
        lifetime,
        sealed_at: issued_at,
    };
    let material: &[u8] = if accepted { &ACCEPTED } else { &PRIMARY };
    let cookie = forge(spec, material, &header, payload);
    let codec = &codecs[usize::from(choice >> 3) % codecs.len()];
    let got = codec.open_at(&cookie, NOW);
    let expected = if in_time && flags & !known == 0 && cookie.len() <= codec.budget() {
        reference_decode::<T>(spec, format, flags, payload)
    } else {
        None
    };
    match (&got, &expected) {
        (Ok(opened), Some(value)) => {
            assert!(
                same(&opened.value, value),
                "{:?} != {value:?}",
                opened.value
            );
            assert_eq!(opened.facts.version, spec.version);
            assert_eq!(opened.facts.format, format);
            assert_eq!(opened.facts.session_id.is_some(), format == Format::V2);
            assert_eq!(opened.facts.old_key, accepted);
            assert_eq!(opened.facts.padded, flags & 0x02 != 0);
            assert_eq!(opened.facts.compressed, flags & 0x01 != 0);
        }
        (Err(_), None) => {}
        _ => panic!("codec {got:?} but independent decode {expected:?}"),
    }
}
