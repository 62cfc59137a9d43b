//! The most memory one `open` allocates, on hostile input, against the bound
//! stated in SPEC.md ("Security considerations", "Memory"):
//!
//! - input not sealed under a key of the keyring: at most `3 L / 4 + 1 KiB`,
//!   where `L` is the longest value accepted (`max_value_len`, by default the
//!   4096-byte budget); an over-long value allocates nothing;
//! - authentic input, for `Value` sessions: at most `3 L / 4 + 170 (C + R) + 1 KiB`,
//!   where `C` is the decompression cap (64 KiB by default) and `R` the 16,384
//!   bytes of plain maps that postcard's records forms may stand for.
//!
//! Each case runs in a child process of this binary (no test harness, so no other
//! thread allocates beside it), with dhat's counting allocator started just
//! before the call and read just after: the peak is that of the `open` alone,
//! on a cold thread (its scratch buffer not yet allocated).

#[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))]
#[path = "../../tests/forge/mod.rs"]
mod forge;
#[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))]
mod peak;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[cfg(not(all(feature = "xchacha20poly1305", feature = "postcard")))]
fn main() {
    println!("alloc_bound: needs the default features xchacha20poly1305 and postcard");
}

#[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))]
fn main() {
    match std::env::var_os(cases::CASE_FILE) {
        Some(path) => cases::child(std::path::Path::new(&path)),
        None => cases::parent(),
    }
}

#[cfg(all(feature = "xchacha20poly1305", feature = "postcard"))]
mod cases {
    use std::path::Path;

    use sealed_cookie::cipher::{Cipher, XChaCha20Poly1305};
    use sealed_cookie::serializer::{Postcard, Serializer};
    use sealed_cookie::{Codec, DEFAULT_DECOMPRESSION_CAP, FixedClock, Key, Keyring, Suite, Value};

    use crate::forge::{self, Descriptor, NOW, varint};

    pub const CASE_FILE: &str = "ALLOC_BOUND_CASE";
    const MATERIAL: [u8; 32] = [0x5c; 32];
    const NAME: &str = "session";
    /// Bookkeeping beyond the buffers the bound names (thread-local slots, error
    /// values).
    const SLACK: usize = 1024;

    /// Version 1: XChaCha20-Poly1305 + postcard; version 2 adds zstd.
    fn codec() -> Codec<Value> {
        let builder = Codec::<Value>::builder()
            .suite(1, Suite::new(XChaCha20Poly1305, Postcard))
            .current(1)
            .keyring(Keyring::new(Key::from_bytes(&MATERIAL).expect("key")))
            .cookie_name(NAME)
            .clock(FixedClock(NOW));
        #[cfg(feature = "zstd")]
        let builder = builder.suite(
            2,
            Suite::new(XChaCha20Poly1305, Postcard)
                .compressor(sealed_cookie::compressor::Zstd::default()),
        );
        builder.build().expect("codec")
    }

    /// Longest value `open` decodes.
    fn max_len() -> usize {
        codec().budget()
    }

    /// The bound for input that is not authentic.
    pub fn unauthenticated_bound() -> usize {
        max_len() * 3 / 4 + SLACK
    }

    /// Bytes of `Value` per byte of its plainest encoding: a whole B-tree leaf
    /// (about 630 bytes) and an array slot for the 4 bytes of a one-entry map.
    const VALUE_PER_BYTE: usize = 170;
    /// What records may stand for (SPEC.md section 12.2).
    const RECORDS_BUDGET: usize = 16_384;

    /// The bound for authentic input, `Value` sessions.
    pub fn authentic_bound() -> usize {
        max_len() * 3 / 4 + VALUE_PER_BYTE * (DEFAULT_DECOMPRESSION_CAP + RECORDS_BUDGET) + SLACK
    }

    fn authentic(version: u8, payload: &[u8]) -> String {
        forge::forge(
            &XChaCha20Poly1305,
            &MATERIAL,
            &forge::Envelope {
                version,
                descriptor: Descriptor {
                    cipher: XChaCha20Poly1305.id(),
                    serializer: Postcard.id(),
                    compressor: u8::from(version == 2),
                },
                name: NAME,
                compressed: version == 2,
                padded: false,
            },
            payload,
        )
    }

    /// A valid header (known version and key) followed by `fill` up to the
    /// longest accepted length.
    fn longest_with(fill: char) -> String {
        let mut text = authentic(1, b"");
        text.truncate(24);
        while text.len() < max_len() {
            text.push(fill);
        }
        text
    }

    struct Case {
        name: &'static str,
        input: String,
        authentic: bool,
        /// Expected outcome: an `OpenError::kind()` or `ok`.
        outcome: &'static str,
    }

    fn cases() -> Vec<Case> {
        let mut cases = vec![
            Case {
                name: "1 MB string",
                input: "A".repeat(1_000_000),
                authentic: false,
                outcome: "too_long",
            },
            Case {
                name: "100 MB string",
                input: "A".repeat(100_000_000),
                authentic: false,
                outcome: "too_long",
            },
            Case {
                name: "longest value, valid header, wrong tag",
                input: longest_with('A'),
                authentic: false,
                outcome: "authentication_failed",
            },
            Case {
                name: "longest value, valid header, not base64url",
                input: longest_with('!'),
                authentic: false,
                outcome: "malformed",
            },
        ];
        // Postcard Value: tag 6 (array) with a declared length of 2^32 - 1,
        // nested as deep as the budget allows.
        let deep = [6u8, 0xff, 0xff, 0xff, 0xff, 0x0f].repeat(max_len() / 12);
        cases.push(Case {
            name: "deep arrays declaring 4 G elements each",
            input: authentic(1, &deep),
            authentic: true,
            outcome: "deserialization_failed",
        });
        let mut nulls = vec![6u8];
        varint(2900, &mut nulls);
        nulls.resize(nulls.len() + 2900, 0);
        cases.push(Case {
            name: "longest uncompressed array of nulls",
            input: authentic(1, &nulls),
            authentic: true,
            outcome: "ok",
        });
        #[cfg(feature = "zstd")]
        cases.extend(zstd_cases());
        cases
    }

    #[cfg(feature = "zstd")]
    fn zstd_cases() -> Vec<Case> {
        let cap = DEFAULT_DECOMPRESSION_CAP;
        let compress = |plain: &[u8]| zstd::bulk::compress(plain, 19).expect("zstd");
        let bomb = zstd::bulk::compress(&vec![0u8; 64 << 20], 1).expect("zstd");
        let undeclared = zstd::stream::encode_all(&vec![0u8; 8 << 20][..], 1).expect("zstd");
        // An array of nulls filling the cap: the largest Value per plaintext byte.
        let mut nulls = vec![6u8];
        varint((cap - 4) as u64, &mut nulls);
        nulls.resize(cap, 0);
        // Distinct two-byte keys, each mapped to null: as many as compress into
        // the longest value.
        let map_of = |entries: usize| {
            let mut map = vec![7u8];
            varint(entries as u64, &mut map);
            for i in 0..entries {
                let key = [ALPHABET[i / 64 % 64], ALPHABET[i % 64]];
                map.extend_from_slice(&[2, key[0], key[1], 0]);
            }
            map
        };
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut entries = 64 * 64;
        while authentic(2, &compress(&map_of(entries))).len() > max_len() {
            entries = entries * 7 / 8;
        }
        let map = map_of(entries);
        let mut deep = [6u8, 0xff, 0xff, 0xff, 0xff, 0x0f].repeat(cap / 6);
        deep.truncate(cap);
        // Maps of one entry (an empty key, null): the most Value per plaintext
        // byte, a whole B-tree leaf for 4 bytes.
        let small_maps = |bytes: usize| {
            let count = bytes / 4;
            let mut out = vec![6u8];
            varint(count as u64, &mut out);
            out.extend([7u8, 1, 0, 0].repeat(count));
            out
        };
        let maps = small_maps(cap - 8);
        // Records of an empty key at the whole records budget (4,096 rows of
        // null, 4 bytes each as plain maps), then one-entry maps filling the
        // rest of the cap.
        let rows = 4_096;
        let mut records = vec![6u8];
        let fill = small_maps(cap - rows - 16);
        varint(2, &mut records);
        records.extend([10u8, 1, 0]);
        varint(rows as u64, &mut records);
        records.resize(records.len() + rows, 0);
        records.extend(fill);
        vec![
            Case {
                name: "zstd bomb: 64 MiB of zeros, declared",
                input: authentic(2, &bomb),
                authentic: true,
                outcome: "decompression_over_cap",
            },
            Case {
                name: "zstd bomb: 8 MiB of zeros, size not declared",
                input: authentic(2, &undeclared),
                authentic: true,
                outcome: "decompression_failed",
            },
            Case {
                name: "zstd: exactly the cap of zeros",
                input: authentic(2, &compress(&vec![0u8; cap])),
                authentic: true,
                outcome: "deserialization_failed",
            },
            Case {
                name: "zstd: an array of nulls filling the cap",
                input: authentic(2, &compress(&nulls)),
                authentic: true,
                outcome: "ok",
            },
            Case {
                name: "zstd: a map of distinct keys filling the cap",
                input: authentic(2, &compress(&map)),
                authentic: true,
                outcome: "ok",
            },
            Case {
                name: "zstd: one-entry maps filling the cap",
                input: authentic(2, &compress(&maps)),
                authentic: true,
                outcome: "ok",
            },
            Case {
                name: "zstd: records at the budget, then small maps",
                input: authentic(2, &compress(&records)),
                authentic: true,
                outcome: "ok",
            },
            Case {
                name: "zstd: deep arrays filling the cap",
                input: authentic(2, &compress(&deep)),
                authentic: true,
                outcome: "deserialization_failed",
            },
        ]
    }

    /// Opens the value in the file under dhat and prints `peak <bytes> <kind>`.
    pub fn child(path: &Path) {
        let input = std::fs::read_to_string(path).expect("case file");
        let codec = codec();
        let profiler = dhat::Profiler::builder().testing().build();
        let result = codec.open_at(&input, NOW);
        let stats = dhat::HeapStats::get();
        let outcome = match &result {
            Ok(_) => "ok",
            Err(error) => error.kind(),
        };
        drop(result);
        drop(profiler);
        crate::peak::report(stats.max_bytes, outcome);
    }

    pub fn parent() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut failures = Vec::new();
        println!(
            "bounds: unauthenticated {} bytes, authentic {} bytes",
            unauthenticated_bound(),
            authentic_bound()
        );
        for (i, case) in cases().into_iter().enumerate() {
            let (peak, outcome) =
                crate::peak::in_child(CASE_FILE, dir.path(), i, case.input.as_bytes())
                    .unwrap_or_else(|failure| panic!("{}: {failure}", case.name));
            let bound = if case.authentic {
                authentic_bound()
            } else {
                unauthenticated_bound()
            };
            println!(
                "{:<48} {:>12} bytes peak (bound {bound}), {outcome}",
                case.name, peak
            );
            if outcome != case.outcome {
                failures.push(format!(
                    "{}: expected {}, got {outcome}",
                    case.name, case.outcome
                ));
            }
            if peak > bound {
                failures.push(format!("{}: peak {peak} > bound {bound}", case.name));
            }
            if case.outcome == "too_long" && peak != 0 {
                failures.push(format!(
                    "{}: an over-long value allocated {peak}",
                    case.name
                ));
            }
        }
        #[cfg(feature = "zstd")]
        println!(
            "libzstd decompression context (C heap, not counted above): {} bytes",
            zstd::zstd_safe::DCtx::create().sizeof()
        );
        assert!(failures.is_empty(), "{failures:#?}");
        println!("alloc_bound: all cases within the bound");
    }
}
