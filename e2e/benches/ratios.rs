//! Side-by-side ratios of the sample session's seal and open (not criterion):
//! this crate's default suite and AES-256-GCM suite, the `cookie` crate's
//! private jar, and the floor of each suite, timed in interleaved rounds in one
//! process, so that a shared machine's background load hits them alike. Each
//! round times a batch of every contender, in a rotating order; the report gives
//! the median of the per-round ratios.
//!
//! - `ours/<suite>`: `Codec::seal` / `Codec::open` of the typed session.
//! - `jar`: the session's `serde_json` text in a `cookie` 0.18 private jar
//!   (AES-256-GCM), and back.
//! - `floor/<cipher>`: postcard of the session into a reused buffer, a random
//!   nonce, the bare AEAD through the same `Cipher` the suite uses (same crate
//!   versions, base64url included), base64url; then base64url decoding, the AEAD
//!   open and postcard back into the struct. No header, no associated data, no
//!   checks. The XChaCha20-Poly1305 floor is also timed on RustCrypto's
//!   `chacha20poly1305`.
//! - `floor/<cipher> with the envelope's bytes`: the same steps over the bytes
//!   the wire format adds (SPEC.md sections 2 and 3): a 22-byte header before the
//!   nonce, a 16-byte session id before the value, and 36 bytes of associated
//!   data (header, suite descriptor, cookie name); still no checks. What is left
//!   between it and `ours` is the codec's own work.
//!
//! ```text
//! cargo bench -p sealed-cookie-e2e --all-features --bench ratios -- [rounds] [batch]
//! ```
//!
//! Defaults: 300 rounds of 2 000 operations. `cargo test --bench ratios` runs
//! 3 rounds of 10, to check that it works.

mod support;

use std::hint::black_box;
use std::time::Instant;

use cookie::{Cookie, CookieJar};
use sealed_cookie::cipher::{Aes256Gcm, Cipher, XChaCha20Poly1305};

use support::Session;
use support::floor::Floor;

/// RustCrypto's `chacha20poly1305::XChaCha20Poly1305` behind the same trait: the
/// implementation the default suite used before, for its floor beside ours.
struct RustCryptoXChaCha;

impl Cipher for RustCryptoXChaCha {
    type Key = chacha20poly1305::XChaCha20Poly1305;
    fn id(&self) -> u8 {
        201
    }
    fn name(&self) -> &'static str {
        "rustcrypto-xchacha20poly1305"
    }
    fn key_len(&self) -> usize {
        32
    }
    fn nonce_len(&self) -> usize {
        24
    }
    fn tag_len(&self) -> usize {
        16
    }
    fn prepare(&self, subkey: &[u8]) -> Self::Key {
        use aead::KeyInit as _;
        chacha20poly1305::XChaCha20Poly1305::new_from_slice(subkey).expect("32 bytes")
    }
    fn seal_in_place(
        &self,
        key: &Self::Key,
        nonce: &[u8],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &mut [u8],
    ) -> Result<(), sealed_cookie::cipher::AeadError> {
        use aead::AeadInOut as _;
        let nonce = chacha20poly1305::XNonce::try_from(nonce).expect("24 bytes");
        let computed = key
            .encrypt_inout_detached(&nonce, aad, buffer.into())
            .map_err(|_| sealed_cookie::cipher::AeadError)?;
        tag.copy_from_slice(&computed);
        Ok(())
    }
    fn open_in_place(
        &self,
        key: &Self::Key,
        nonce: &[u8],
        aad: &[u8],
        buffer: &mut [u8],
        tag: &[u8],
    ) -> Result<(), sealed_cookie::cipher::AeadError> {
        use aead::AeadInOut as _;
        let nonce = chacha20poly1305::XNonce::try_from(nonce).expect("24 bytes");
        let tag = chacha20poly1305::Tag::try_from(tag).expect("16 bytes");
        key.decrypt_inout_detached(&nonce, aad, buffer.into(), &tag)
            .map_err(|_| sealed_cookie::cipher::AeadError)
    }
}

type Op<'a> = Box<dyn FnMut() + 'a>;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"));
    // `cargo bench` passes --bench; `cargo test --bench ratios` does not.
    let smoke = std::env::args().all(|arg| arg != "--bench");
    let (default_rounds, default_batch) = if smoke { (3, 10) } else { (300, 2_000) };
    let rounds: usize = args
        .next()
        .map_or(default_rounds, |s| s.parse().expect("rounds"));
    let batch: usize = args
        .next()
        .map_or(default_batch, |s| s.parse().expect("batch"));

    let session = support::sample();
    let default = support::codec(XChaCha20Poly1305);
    let aes = support::codec(Aes256Gcm);
    let (default_cookie, aes_cookie) = (
        default.seal(&session).expect("fits"),
        aes.seal(&session).expect("fits"),
    );
    let jar_key = cookie::Key::generate();
    let jar_cookie = {
        let mut jar = CookieJar::new();
        jar.private_mut(&jar_key)
            .add(Cookie::new("session", support::json(&session)));
        jar.get("session").expect("added").value().to_owned()
    };
    let mut read_jar = CookieJar::new();
    read_jar.add_original(Cookie::new("session", jar_cookie));
    // Two floors per cipher under one key: one seals, the other opens.
    let mut subkey = [0u8; 32];
    rand::fill(&mut subkey[..]);
    let mut floor_x = Floor::new(XChaCha20Poly1305, &subkey);
    let mut floor_x_open = Floor::new(XChaCha20Poly1305, &subkey);
    let mut floor_a = Floor::new(Aes256Gcm, &subkey);
    let mut floor_a_open = Floor::new(Aes256Gcm, &subkey);
    let mut floor_r = Floor::new(RustCryptoXChaCha, &subkey);
    let mut floor_r_open = Floor::new(RustCryptoXChaCha, &subkey);
    let floor_x_open_cookie = floor_x.seal(&session);
    // The same bytes from both implementations.
    assert_eq!(floor_r_open.open::<Session>(&floor_x_open_cookie), session);
    let floor_r_open_cookie = floor_r.seal(&session);
    assert_eq!(floor_x_open.open::<Session>(&floor_r_open_cookie), session);
    let floor_a_open_cookie = floor_a.seal(&session);
    let mut floor_ae = Floor::with_envelope(Aes256Gcm, &subkey);
    let mut floor_ae_open = Floor::with_envelope(Aes256Gcm, &subkey);
    let floor_ae_open_cookie = floor_ae.seal(&session);
    assert_eq!(
        floor_ae_open_cookie.len(),
        aes_cookie.len(),
        "the envelope's length"
    );
    let mut floor_xe = Floor::with_envelope(XChaCha20Poly1305, &subkey);
    let mut floor_xe_open = Floor::with_envelope(XChaCha20Poly1305, &subkey);
    let floor_xe_open_cookie = floor_xe.seal(&session);
    assert_eq!(
        floor_xe_open_cookie.len(),
        default_cookie.len(),
        "the envelope's length"
    );
    assert_eq!(floor_x_open.open::<Session>(&floor_x_open_cookie), session);
    assert_eq!(floor_a_open.open::<Session>(&floor_a_open_cookie), session);

    let names = [
        "ours/default (xchacha20poly1305+postcard) seal",
        "ours/default (xchacha20poly1305+postcard) open",
        "ours/aes256gcm+postcard seal",
        "ours/aes256gcm+postcard open",
        "jar seal",
        "jar open",
        "floor/xchacha20poly1305 seal",
        "floor/xchacha20poly1305 open",
        "floor/aes256gcm seal",
        "floor/aes256gcm open",
        "floor/xchacha20poly1305 on RustCrypto's chacha20poly1305 seal",
        "floor/xchacha20poly1305 on RustCrypto's chacha20poly1305 open",
        "floor/xchacha20poly1305 with the envelope's bytes seal",
        "floor/xchacha20poly1305 with the envelope's bytes open",
        "floor/aes256gcm with the envelope's bytes seal",
        "floor/aes256gcm with the envelope's bytes open",
    ];
    let mut ops: Vec<Op<'_>> = vec![
        Box::new(|| drop(black_box(default.seal(black_box(&session)).expect("fits")))),
        Box::new(|| {
            drop(black_box(
                default.open(black_box(&default_cookie)).expect("valid"),
            ))
        }),
        Box::new(|| drop(black_box(aes.seal(black_box(&session)).expect("fits")))),
        Box::new(|| drop(black_box(aes.open(black_box(&aes_cookie)).expect("valid")))),
        Box::new(|| {
            let mut jar = CookieJar::new();
            let json = serde_json::to_string(black_box(&session)).expect("serializes");
            jar.private_mut(&jar_key).add(Cookie::new("session", json));
            drop(black_box(jar));
        }),
        Box::new(|| {
            let cookie = black_box(&read_jar)
                .private(&jar_key)
                .get("session")
                .expect("valid");
            drop(black_box(
                serde_json::from_str::<Session>(cookie.value()).expect("a session"),
            ));
        }),
        Box::new(|| drop(black_box(floor_x.seal(black_box(&session))))),
        Box::new(|| {
            drop(black_box(
                floor_x_open.open::<Session>(black_box(&floor_x_open_cookie)),
            ))
        }),
        Box::new(|| drop(black_box(floor_a.seal(black_box(&session))))),
        Box::new(|| {
            drop(black_box(
                floor_a_open.open::<Session>(black_box(&floor_a_open_cookie)),
            ))
        }),
        Box::new(|| drop(black_box(floor_r.seal(black_box(&session))))),
        Box::new(|| {
            drop(black_box(
                floor_r_open.open::<Session>(black_box(&floor_r_open_cookie)),
            ))
        }),
        Box::new(|| drop(black_box(floor_xe.seal(black_box(&session))))),
        Box::new(|| {
            drop(black_box(
                floor_xe_open.open::<Session>(black_box(&floor_xe_open_cookie)),
            ))
        }),
        Box::new(|| drop(black_box(floor_ae.seal(black_box(&session))))),
        Box::new(|| {
            drop(black_box(
                floor_ae_open.open::<Session>(black_box(&floor_ae_open_cookie)),
            ))
        }),
    ];
    assert_eq!(ops.len(), names.len());

    let mut times = vec![Vec::with_capacity(rounds); ops.len()];
    for round in 0..rounds {
        for step in 0..ops.len() {
            let index = (round + step) % ops.len();
            let op = &mut ops[index];
            let start = Instant::now();
            for _ in 0..batch {
                op();
            }
            times[index].push(start.elapsed().as_secs_f64() / batch as f64);
        }
    }
    let ratio = |a: usize, b: usize| {
        median(
            &mut times[a]
                .iter()
                .zip(&times[b])
                .map(|(x, y)| x / y)
                .collect::<Vec<_>>(),
        )
    };
    println!("{rounds} interleaved rounds of {batch} operations; medians");
    println!();
    println!("| operation | time |");
    println!("|---|---:|");
    for (name, samples) in names.iter().zip(&times) {
        let mut samples = samples.clone();
        println!("| {name} | {:.0} ns |", median(&mut samples) * 1e9);
    }
    println!();
    println!("| ratio (median of per-round ratios) | seal | open |");
    println!("|---|---:|---:|");
    println!(
        "| default suite / jar | {:.2} | {:.2} |",
        ratio(0, 4),
        ratio(1, 5)
    );
    println!(
        "| AES-256-GCM suite / jar | {:.2} | {:.2} |",
        ratio(2, 4),
        ratio(3, 5)
    );
    println!(
        "| default suite / its floor | {:.2} | {:.2} |",
        ratio(0, 6),
        ratio(1, 7)
    );
    println!(
        "| AES-256-GCM suite / its floor | {:.2} | {:.2} |",
        ratio(2, 8),
        ratio(3, 9)
    );
    println!(
        "| default suite / its floor with the envelope's bytes | {:.2} | {:.2} |",
        ratio(0, 12),
        ratio(1, 13)
    );
    println!(
        "| AES-256-GCM suite / its floor with the envelope's bytes | {:.2} | {:.2} |",
        ratio(2, 14),
        ratio(3, 15)
    );
    println!(
        "| default floor: ring + HChaCha20 / RustCrypto chacha20poly1305 | {:.2} | {:.2} |",
        ratio(6, 10),
        ratio(7, 11)
    );
}
