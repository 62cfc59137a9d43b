//! The Sereal decoder and the Session::Storage::Secure cookie parser on
//! arbitrary input: never a panic, limits always hold, and the decoder's
//! policies only change what they are meant to.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealed_cookie::Value;
use sealed_cookie::perl::{BinaryStrings, Limits, Objects, PerlReader, SerealDecoder};
use sealed_cookie_fuzz::{depth, non_finite};

/// (values, string bytes) in a decoded value, keys included.
fn weigh(value: &Value) -> (usize, usize) {
    match value {
        Value::String(s) => (1, s.len()),
        Value::Array(items) => items
            .iter()
            .map(weigh)
            .fold((1, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
        Value::Map(map) => map.iter().fold((1, 0), |(n, b), (k, v)| {
            let (vn, vb) = weigh(v);
            (n + vn + 1, b + vb + k.len())
        }),
        _ => (1, 0),
    }
}

fn check(doc: &[u8]) {
    let limits = Limits {
        max_depth: 32,
        max_items: 20_000,
        max_string_bytes: 1 << 20,
        max_body_len: 1 << 16,
    };
    let plain = SerealDecoder::new().limits(limits);
    let result = plain.decode(doc);
    if let Ok(value) = &result {
        assert!(depth(value) <= limits.max_depth);
        let (_, bytes) = weigh(value);
        // Latin-1 text takes at most two UTF-8 bytes per input byte.
        assert!(bytes <= 2 * limits.max_string_bytes);
        // Every decoded value seals again: it has a JSON form unless it holds
        // a non-finite float.
        assert!(serde_json::to_string(value).is_ok() || non_finite(value));
        assert!(depth(value) <= Value::MAX_DEPTH);
    }
    // Reading binary strings as UTF-8 changes strings, never success.
    let utf8 = plain
        .binary_strings(BinaryStrings::Utf8OrLatin1)
        .decode(doc);
    assert_eq!(result.is_ok(), utf8.is_ok());
    // Accepting objects only ever turns an object refusal into success.
    if result.is_ok() {
        // (Compared as text: NaN is not equal to itself.)
        let unblessed = plain.objects(Objects::Unbless).decode(doc);
        assert_eq!(format!("{unblessed:?}"), format!("{result:?}"));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        // A whole document.
        0 => check(rest),
        // A raw protocol 5 body, to reach the tags quickly.
        1 | 2 => {
            let mut doc = b"=\xF3rl\x05\x00".to_vec();
            doc.extend_from_slice(rest);
            check(&doc);
        }
        // A cookie. The seeds are real cookies sealed with this secret.
        _ => {
            let text = String::from_utf8_lossy(rest);
            let reader = PerlReader::new("fuzz secret", ["old fuzz secret"]);
            let opened = reader.open_details(&text, 0);
            if let Ok(opened) = &opened {
                assert!(serde_json::to_string(&opened.value).is_ok() || non_finite(&opened.value));
                let again = reader.open(&text, 0).map(|value| format!("{value:?}"));
                assert_eq!(again, Ok(format!("{:?}", opened.value)));
            }
            // Another secret never opens it.
            let stranger = PerlReader::new("another secret", None::<&str>);
            assert!(stranger.open(&text, 0).is_err());
        }
    }
});
