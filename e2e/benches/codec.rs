//! Seal and open for every cipher with every serializer at four payload sizes,
//! rejection of bad cookies, and seal-and-open throughput on one and two threads
//! sharing one codec.
//!
//! ```text
//! cargo bench --all-features --bench codec -- --warm-up-time 1 --measurement-time 2
//! ```

mod support;

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sealed_cookie::cipher::{Aes256Gcm, Aes256Siv, Cipher, XChaCha20Poly1305};
use sealed_cookie::serializer::{Json, MessagePack, Postcard, Serializer};
use sealed_cookie::{Codec, Key, Keyring, Suite};

use support::Session;

/// Large enough for the 3 KB payload under every suite.
const BUDGET: usize = 8192;

fn codec<C: Cipher, S: Serializer>(cipher: C, serializer: S) -> Codec<Session> {
    Codec::builder()
        .suite(1, Suite::new(cipher, serializer))
        .keyring(Keyring::new(Key::generate().expect("OS randomness")))
        .max_age(Duration::from_secs(3600))
        .budget(BUDGET)
        .build()
        .expect("a valid codec")
}

/// Every cipher with every serializer, named `cipher+serializer`.
fn codecs() -> Vec<(String, Codec<Session>)> {
    fn named(codec: Codec<Session>) -> (String, Codec<Session>) {
        let name = codec
            .suite_name(1)
            .expect("version 1 is registered")
            .trim_end_matches("+none")
            .to_owned();
        (name, codec)
    }
    vec![
        named(codec(XChaCha20Poly1305, Postcard)),
        named(codec(XChaCha20Poly1305, MessagePack)),
        named(codec(XChaCha20Poly1305, Json)),
        named(codec(Aes256Gcm, Postcard)),
        named(codec(Aes256Gcm, MessagePack)),
        named(codec(Aes256Gcm, Json)),
        named(codec(Aes256Siv, Postcard)),
        named(codec(Aes256Siv, MessagePack)),
        named(codec(Aes256Siv, Json)),
    ]
}

/// Throughput is counted in bytes of the value's JSON text under every suite, so
/// that the serializers are compared on the same value.
fn seal_and_open(c: &mut Criterion) {
    let codecs = codecs();
    let payloads = support::payloads();
    let mut group = c.benchmark_group("seal");
    for (label, session) in &payloads {
        group.throughput(Throughput::Bytes(support::json(session).len() as u64));
        for (name, codec) in &codecs {
            group.bench_with_input(BenchmarkId::new(name, label), session, |b, session| {
                b.iter(|| codec.seal(black_box(session)).expect("fits the budget"));
            });
        }
    }
    group.finish();
    let mut group = c.benchmark_group("open");
    for (label, session) in &payloads {
        group.throughput(Throughput::Bytes(support::json(session).len() as u64));
        for (name, codec) in &codecs {
            let cookie = codec.seal(session).expect("fits the budget");
            group.bench_with_input(BenchmarkId::new(name, label), &cookie, |b, cookie| {
                b.iter(|| codec.open(black_box(cookie)).expect("a valid cookie"));
            });
        }
    }
    group.finish();
}

/// A cookie with one character changed fails its tag; one over the length limit is
/// refused before any decoding.
fn reject(c: &mut Criterion) {
    let session = support::sample();
    let mut group = c.benchmark_group("reject");
    for (name, codec) in codecs()
        .into_iter()
        .filter(|(name, _)| name.ends_with("+postcard"))
    {
        let cookie = codec.seal(&session).expect("fits the budget");
        let mut tampered = cookie.into_bytes();
        let middle = tampered.len() / 2;
        tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("base64url is ASCII");
        assert!(codec.open(&tampered).is_err());
        group.bench_with_input(BenchmarkId::new(&name, "tampered"), &tampered, |b, t| {
            b.iter(|| codec.open(black_box(t)).expect_err("tampered"));
        });
        let too_long = "A".repeat(BUDGET + 1);
        assert!(codec.open(&too_long).is_err());
        group.bench_with_input(BenchmarkId::new(&name, "too-long"), &too_long, |b, t| {
            b.iter(|| codec.open(black_box(t)).expect_err("too long"));
        });
    }
    group.finish();
}

/// Seal-then-open of the sample session on one and on two threads that share one
/// codec. Reported as time per operation pair across all threads, so that
/// elements per second is the aggregate rate.
fn threads(c: &mut Criterion) {
    let session = support::sample();
    let mut group = c.benchmark_group("threads");
    group.throughput(Throughput::Elements(1));
    for (name, codec) in [
        (
            "xchacha20poly1305+postcard",
            codec(XChaCha20Poly1305, Postcard),
        ),
        ("aes256gcm+postcard", codec(Aes256Gcm, Postcard)),
    ] {
        for threads in [1u32, 2] {
            group.bench_function(BenchmarkId::new(name, threads), |b| {
                b.iter_custom(|iters| {
                    let start = Barrier::new(threads as usize + 1);
                    std::thread::scope(|scope| {
                        for _ in 0..threads {
                            scope.spawn(|| {
                                start.wait();
                                for _ in 0..iters {
                                    let cookie = codec.seal(black_box(&session)).expect("fits");
                                    black_box(codec.open(&cookie).expect("valid"));
                                }
                            });
                        }
                        start.wait();
                        let began = Instant::now();
                        // Leaving the scope joins every thread.
                        began
                    })
                    .elapsed()
                        / threads
                });
            });
        }
    }
    group.finish();
}

/// How the nonce is drawn, side by side in one run: the codec's own seal (a
/// per-thread generator reseeded after `fork()`), the same seal with a nonce from
/// rand's thread-local generator (the mechanism before fork safety, which repeats
/// nonces in a forked child), and with a nonce from the OS per seal.
#[cfg(feature = "test-vectors")]
fn nonce_sources(c: &mut Criterion) {
    let session = support::sample();
    let mut group = c.benchmark_group("nonce");
    for (name, codec, nonce_len) in [
        (
            "xchacha20poly1305+postcard",
            codec(XChaCha20Poly1305, Postcard),
            XChaCha20Poly1305.nonce_len(),
        ),
        (
            "aes256gcm+postcard",
            codec(Aes256Gcm, Postcard),
            Aes256Gcm.nonce_len(),
        ),
    ] {
        let now = codec.now();
        group.bench_function(BenchmarkId::new(name, "seal"), |b| {
            b.iter(|| codec.seal(black_box(&session)).expect("fits"));
        });
        group.bench_function(BenchmarkId::new(name, "thread-rng"), |b| {
            let mut nonce = vec![0u8; nonce_len];
            b.iter(|| {
                rand::fill(&mut nonce[..]);
                codec
                    .seal_with_nonce(black_box(&session), now, &nonce)
                    .expect("fits")
            });
        });
        group.bench_function(BenchmarkId::new(name, "os-per-nonce"), |b| {
            let mut nonce = vec![0u8; nonce_len];
            b.iter(|| {
                getrandom::fill(&mut nonce).expect("OS randomness");
                codec
                    .seal_with_nonce(black_box(&session), now, &nonce)
                    .expect("fits")
            });
        });
    }
    group.finish();
}

#[cfg(not(feature = "test-vectors"))]
fn nonce_sources(_: &mut Criterion) {}

criterion_group!(benches, seal_and_open, reject, threads, nonce_sources);
criterion_main!(benches);
