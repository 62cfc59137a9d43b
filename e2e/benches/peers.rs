//! The sample session sealed and opened by this crate, by the `cookie` crate's
//! private jar, and by the bare AEAD (the floor), side by side in one run.
//!
//! - `ours/<suite>`: [`Codec::seal`] and [`Codec::open`] of the typed session,
//!   serialization and deserialization included.
//! - `cookie-jar`: `serde_json` text of the session added to a `cookie` 0.18
//!   private jar (AES-256-GCM), and read back and parsed.
//! - `floor/<cipher>`: a random nonce, the AEAD over the session's postcard bytes
//!   (the plaintext `ours/<cipher>+postcard` encrypts) and base64url; then base64url
//!   decoding and the AEAD open. The cipher is built once; no serialization.
//! - `serde/postcard`: postcard alone, writing the session into a reused buffer
//!   and reading (and dropping) it back, the part of `ours` no AEAD accounts for.
//!
//! ```text
//! cargo bench --all-features --bench peers -- --warm-up-time 1 --measurement-time 2
//! cargo run --release --all-features --example bench_report
//! ```

mod support;

use std::hint::black_box;

use aead::{AeadInOut, KeyInit};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::{Cookie, CookieJar};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sealed_cookie::cipher::{Aes256Gcm, Aes256Siv, XChaCha20Poly1305};

use support::{Session, codec};

const TAG_LEN: usize = 16;

fn ours(c: &mut Criterion, session: &Session) {
    let mut group = c.benchmark_group("peers");
    for (name, codec) in [
        ("ours/xchacha20poly1305+postcard", codec(XChaCha20Poly1305)),
        ("ours/aes256gcm+postcard", codec(Aes256Gcm)),
        ("ours/aes256siv+postcard", codec(Aes256Siv)),
    ] {
        group.bench_function(BenchmarkId::new(name, "seal"), |b| {
            b.iter(|| codec.seal(black_box(session)).expect("fits"));
        });
        let cookie = codec.seal(session).expect("fits");
        group.bench_function(BenchmarkId::new(name, "open"), |b| {
            b.iter(|| codec.open(black_box(&cookie)).expect("valid"));
        });
    }
    group.finish();
}

fn cookie_jar(c: &mut Criterion, session: &Session) {
    let key = cookie::Key::generate();
    let mut group = c.benchmark_group("peers");
    group.bench_function(BenchmarkId::new("cookie-jar", "seal"), |b| {
        b.iter(|| {
            let mut jar = CookieJar::new();
            let json = serde_json::to_string(black_box(session)).expect("serializes");
            jar.private_mut(&key).add(Cookie::new("session", json));
            jar
        });
    });
    let mut jar = CookieJar::new();
    jar.private_mut(&key)
        .add(Cookie::new("session", support::json(session)));
    let sealed = jar.get("session").expect("added").value().to_owned();
    let mut jar = CookieJar::new();
    jar.add_original(Cookie::new("session", sealed));
    group.bench_function(BenchmarkId::new("cookie-jar", "open"), |b| {
        b.iter(|| {
            let cookie = black_box(&jar).private(&key).get("session").expect("valid");
            serde_json::from_str::<Session>(cookie.value()).expect("a session")
        });
    });
    group.finish();
}

/// Nonce, AEAD and base64url: nothing more.
fn floor<A: AeadInOut + KeyInit>(c: &mut Criterion, name: &str, aead: A, plaintext: &[u8]) {
    let nonce_len = aead::Nonce::<A>::default().len();
    let seal = |plaintext: &[u8]| {
        let mut buf = Vec::with_capacity(nonce_len + plaintext.len() + TAG_LEN);
        buf.resize(nonce_len, 0);
        rand::fill(&mut buf[..]);
        buf.extend_from_slice(plaintext);
        let (nonce, body) = buf.split_at_mut(nonce_len);
        let nonce = aead::Nonce::<A>::try_from(&*nonce).expect("nonce length");
        let tag = aead
            .encrypt_inout_detached(&nonce, b"", body.into())
            .expect("encrypts");
        buf.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(&buf)
    };
    let open = |text: &str| {
        let mut buf = URL_SAFE_NO_PAD.decode(text).expect("base64url");
        let (nonce, rest) = buf.split_at_mut(nonce_len);
        let body_len = rest.len() - TAG_LEN;
        let (body, tag) = rest.split_at_mut(body_len);
        let nonce = aead::Nonce::<A>::try_from(&*nonce).expect("nonce length");
        let tag = aead::Tag::<A>::try_from(&*tag).expect("tag length");
        aead.decrypt_inout_detached(&nonce, b"", body.into(), &tag)
            .expect("authentic");
        buf
    };
    let mut group = c.benchmark_group("peers");
    let id = format!("floor/{name}");
    group.bench_function(BenchmarkId::new(&id, "seal"), |b| {
        b.iter(|| seal(black_box(plaintext)));
    });
    let sealed = seal(plaintext);
    assert_eq!(
        &open(&sealed)[nonce_len..nonce_len + plaintext.len()],
        plaintext
    );
    group.bench_function(BenchmarkId::new(&id, "open"), |b| {
        b.iter(|| open(black_box(&sealed)));
    });
    group.finish();
}

/// AES-SIV's `encrypt_inout_detached` takes `&mut self`: one instance, built once,
/// reused for every message.
fn floor_siv(c: &mut Criterion, plaintext: &[u8]) {
    use aes_siv::siv::Aes256Siv as Siv;
    const NONCE_LEN: usize = 16;
    let mut siv = Siv::new_from_slice(&random_key::<64>()).expect("64-byte key");
    let seal = |siv: &mut Siv, plaintext: &[u8]| {
        let mut buf = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        buf.resize(NONCE_LEN, 0);
        rand::fill(&mut buf[..]);
        buf.extend_from_slice(plaintext);
        let (nonce, body) = buf.split_at_mut(NONCE_LEN);
        let tag = siv
            .encrypt_inout_detached([&b""[..], nonce], body.into())
            .expect("encrypts");
        buf.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(&buf)
    };
    let open = |siv: &mut Siv, text: &str| {
        let mut buf = URL_SAFE_NO_PAD.decode(text).expect("base64url");
        let (nonce, rest) = buf.split_at_mut(NONCE_LEN);
        let body_len = rest.len() - TAG_LEN;
        let (body, tag) = rest.split_at_mut(body_len);
        let tag = aes_siv::Tag::try_from(&*tag).expect("tag length");
        siv.decrypt_inout_detached([&b""[..], nonce], body.into(), &tag)
            .expect("authentic");
        buf
    };
    let mut group = c.benchmark_group("peers");
    group.bench_function(BenchmarkId::new("floor/aes256siv", "seal"), |b| {
        b.iter(|| seal(&mut siv, black_box(plaintext)));
    });
    let sealed = seal(&mut siv, plaintext);
    group.bench_function(BenchmarkId::new("floor/aes256siv", "open"), |b| {
        b.iter(|| open(&mut siv, black_box(&sealed)));
    });
    group.finish();
}

fn serde_postcard(c: &mut Criterion, session: &Session, plaintext: &[u8]) {
    let mut group = c.benchmark_group("peers");
    let mut buf = Vec::with_capacity(4096);
    group.bench_function(BenchmarkId::new("serde/postcard", "seal"), |b| {
        b.iter(|| {
            buf.clear();
            buf = postcard::to_extend(black_box(session), std::mem::take(&mut buf))
                .expect("serializes");
            buf.len()
        });
    });
    group.bench_function(BenchmarkId::new("serde/postcard", "open"), |b| {
        b.iter(|| postcard::from_bytes::<Session>(black_box(plaintext)).expect("decodes"));
    });
    group.finish();
}

fn random_key<const N: usize>() -> [u8; N] {
    let mut key = [0u8; N];
    rand::fill(&mut key[..]);
    key
}

fn peers(c: &mut Criterion) {
    let session = support::sample();
    let plaintext = postcard::to_allocvec(&session).expect("serializes");
    ours(c, &session);
    cookie_jar(c, &session);
    floor(
        c,
        "xchacha20poly1305",
        chacha20poly1305::XChaCha20Poly1305::new_from_slice(&random_key::<32>())
            .expect("32-byte key"),
        &plaintext,
    );
    floor(
        c,
        "aes256gcm",
        aes_gcm::Aes256Gcm::new_from_slice(&random_key::<32>()).expect("32-byte key"),
        &plaintext,
    );
    floor_siv(c, &plaintext);
    serde_postcard(c, &session, &plaintext);
}

criterion_group!(benches, peers);
criterion_main!(benches);
