//! Heap allocations per seal and per open, counted with dhat's allocator in a
//! binary of its own (no test harness threads allocating beside the counts).
//!
//! The bounds: one allocation per seal (the cookie), and per open none beyond
//! those made by deserializing the value itself (measured by deserializing the
//! same plaintext directly). Counts are taken in steady state, after the
//! thread's first call has set up its scratch buffer and random generator.

// Without the library's features (the default of this package) nothing is counted.
#![cfg_attr(
    not(all(feature = "xchacha20poly1305", feature = "postcard")),
    allow(dead_code, unused_imports, unused_mut)
)]

#[path = "../benches/support/mod.rs"]
mod support;

use std::time::Duration;

use sealed_cookie::cipher::Cipher;
use sealed_cookie::serializer::Serializer;
use sealed_cookie::{Codec, Key, Keyring, Suite};
use support::Session;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const MAX_SEAL: u64 = 1;
const MAX_OPEN_EXTRA: u64 = 0;
const RUNS: usize = 5;
/// Scratch buffer, random generator, output.
const MAX_FIRST_SEAL: u64 = 3;

fn allocations<R>(f: impl FnOnce() -> R) -> (u64, R) {
    let before = dhat::HeapStats::get().total_blocks;
    let result = f();
    (dhat::HeapStats::get().total_blocks - before, result)
}

/// Checks one suite at every payload size, printing the counts.
fn check<C: Cipher, S: Serializer + Copy>(cipher: C, serializer: S, failures: &mut Vec<String>) {
    let codec = Codec::<Session>::builder()
        .suite(1, Suite::new(cipher, serializer))
        .keyring(Keyring::new(Key::from_bytes(&[7u8; 32]).expect("32 bytes")))
        .max_age(Duration::from_secs(3600))
        .budget(8192)
        .build()
        .expect("a valid codec");
    let name = codec.suite_name(1).expect("registered").to_owned();
    for (label, session) in support::payloads() {
        let mut plaintext = Vec::new();
        serializer
            .serialize_into(&session, &mut plaintext)
            .expect("serializes");
        // Warm up this thread's scratch buffer and random generator.
        let cookie = codec.seal(&session).expect("fits");
        codec.open(&cookie).expect("opens");
        let (mut seal_max, mut open_max, mut value_min) = (0, 0, u64::MAX);
        for _ in 0..RUNS {
            let (n, cookie) = allocations(|| codec.seal(&session).expect("fits"));
            seal_max = seal_max.max(n);
            let (n, opened) = allocations(|| codec.open(&cookie).expect("opens"));
            assert_eq!(opened.value, session);
            open_max = open_max.max(n);
            let (n, value) = allocations(|| {
                serializer
                    .deserialize::<Session>(&plaintext)
                    .expect("decodes")
            });
            assert_eq!(value, session);
            value_min = value_min.min(n);
        }
        let open_extra = open_max.saturating_sub(value_min);
        println!(
            "{name:<32} {label:>5}: seal {seal_max} allocations; open {open_max} \
             (the value itself {value_min}, extra {open_extra})"
        );
        if seal_max > MAX_SEAL {
            failures.push(format!("{name} {label}: seal made {seal_max} allocations"));
        }
        if open_extra > MAX_OPEN_EXTRA {
            failures.push(format!(
                "{name} {label}: open made {open_extra} allocations beyond the value's {value_min}"
            ));
        }
    }
}

/// A session [`Value`](sealed_cookie::Value), what the web layer seals: read
/// by the serializer's own reader, with nothing beyond its own allocations.
#[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))]
fn check_session_value(failures: &mut Vec<String>) {
    use sealed_cookie::serializer::Postcard;
    use sealed_cookie::{SessionMap, Value};
    let codec = Codec::<Value>::builder()
        .keyring(Keyring::new(Key::from_bytes(&[7u8; 32]).expect("32 bytes")))
        .build()
        .expect("a valid codec");
    let mut map = SessionMap::new();
    map.insert("count".to_owned(), Value::Int(1));
    map.insert("user".to_owned(), Value::from("alice"));
    let session = Value::Map(map);
    let mut plaintext = Vec::new();
    Postcard
        .serialize_value(&session, &mut plaintext)
        .expect("serializes");
    let cookie = codec.seal(&session).expect("fits");
    codec.open(&cookie).expect("opens");
    let (open, opened) = allocations(|| codec.open(&cookie).expect("opens"));
    assert_eq!(opened.value, session);
    let (value, decoded) = allocations(|| Postcard.deserialize_value(&plaintext).expect("decodes"));
    assert_eq!(decoded, session);
    println!("a session Value: open {open} allocations (the value itself {value})");
    if open > value + MAX_OPEN_EXTRA {
        failures.push(format!(
            "opening a session Value made {open} allocations beyond the value's {value}"
        ));
    }
}

/// The rejection paths allocate nothing.
fn check_rejections(failures: &mut Vec<String>) {
    let codec = Codec::<Session>::builder()
        .keyring(Keyring::new(Key::from_bytes(&[7u8; 32]).expect("32 bytes")))
        .build()
        .expect("a valid codec");
    let cookie = codec.seal(&support::sample()).expect("fits");
    let mut tampered = cookie.into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ASCII");
    let too_long = "A".repeat(codec.budget() + 1);
    for (what, cookie) in [("tampered", &tampered), ("too long", &too_long)] {
        let (n, result) = allocations(|| codec.open(cookie).is_err());
        assert!(result, "{what} cookie must be rejected");
        println!("rejecting a {what} cookie: {n} allocations");
        if n != 0 {
            failures.push(format!("rejecting a {what} cookie made {n} allocations"));
        }
    }
}

/// A thread's first seal and open also set up its scratch buffer and random
/// generator, once; counted here for the record and bounded.
#[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))]
fn check_first_calls(failures: &mut Vec<String>) {
    let codec = Codec::<Session>::builder()
        .keyring(Keyring::new(Key::from_bytes(&[7u8; 32]).expect("32 bytes")))
        .build()
        .expect("a valid codec");
    let session = support::sample();
    let (seal, open) = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let (seal, cookie) = allocations(|| codec.seal(&session).expect("fits"));
                let (open, opened) = allocations(|| codec.open(&cookie).expect("opens"));
                assert_eq!(opened.value, session);
                (seal, open)
            })
            .join()
            .expect("thread")
    });
    println!("a new thread's first seal: {seal} allocations; its first open: {open}");
    if seal > MAX_FIRST_SEAL {
        failures.push(format!("a thread's first seal made {seal} allocations"));
    }
}

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let mut failures: Vec<String> = Vec::new();
    #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))]
    check_first_calls(&mut failures);
    #[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))]
    {
        check(
            sealed_cookie::cipher::XChaCha20Poly1305,
            sealed_cookie::serializer::Postcard,
            &mut failures,
        );
        check_rejections(&mut failures);
        check_session_value(&mut failures);
    }
    #[cfg(all(feature = "aes-gcm", feature = "postcard"))]
    check(
        sealed_cookie::cipher::Aes256Gcm,
        sealed_cookie::serializer::Postcard,
        &mut failures,
    );
    #[cfg(all(feature = "aes-siv", feature = "msgpack"))]
    check(
        sealed_cookie::cipher::Aes256Siv,
        sealed_cookie::serializer::MessagePack,
        &mut failures,
    );
    #[cfg(feature = "aes-gcm")]
    check(
        sealed_cookie::cipher::Aes256Gcm,
        sealed_cookie::serializer::Json,
        &mut failures,
    );
    #[cfg(feature = "xchacha20poly1305")]
    check(
        sealed_cookie::cipher::XChaCha20Poly1305,
        sealed_cookie::serializer::Json,
        &mut failures,
    );
    if failures.is_empty() {
        println!("alloc_count: all bounds hold");
    } else {
        for failure in &failures {
            eprintln!("FAILED: {failure}");
        }
        std::process::exit(1);
    }
}
