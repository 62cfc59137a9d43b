//! The most memory one Sereal decode allocates, on hostile documents, against the
//! bound stated in the `sealed_cookie::perl::sereal` module docs ("Memory"):
//!
//! `9/8 B + 2 S + 320 I + 520 KiB` (64-bit targets), where `B`, `S` and `I` are the limits
//! `max_body_len`, `max_string_bytes` and `max_items`, whatever the document.
//!
//! The documents are small on the wire (Snappy-compressed) and expand through
//! back-references (`ALIAS`, `REFP`): levels that each repeat the level before
//! twice, tracked containers wrapped around shared data, a long string repeated.
//! Each case runs in a child process of this binary (no test harness, so no
//! other thread allocates beside it), with dhat's counting allocator started
//! just before the call and read just after, as in `tests/alloc_bound.rs`.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

mod peak;

fn main() {
    match std::env::var_os(cases::CASE_FILE) {
        Some(path) => cases::child(std::path::Path::new(&path)),
        None => cases::parent(),
    }
}

mod cases {
    use std::path::Path;

    use sealed_cookie::perl::sereal::{self, Limits, SerealError};

    pub const CASE_FILE: &str = "SEREAL_ALLOC_BOUND_CASE";
    /// The committed fuzz seed holding the `doubling` document (mode byte 0: a
    /// whole document).
    const SEED: &str = "../fuzz/corpus/perl_cookie/sereal-shared-doubling";

    const TRACK: u8 = 0x80;
    const ARRAYREF_1: u8 = 0x41;
    const ARRAYREF_2: u8 = 0x42;
    const HASHREF_1: u8 = 0x51;
    const ARRAY: u8 = 0x2b;
    const BINARY: u8 = 0x26;
    const ALIAS: u8 = 0x2e;
    const REFP: u8 = 0x29;
    const REFN: u8 = 0x28;
    const EMPTY_KEY: u8 = 0x60;

    /// The bound the module docs state, for these limits.
    pub fn bound(limits: &Limits) -> usize {
        limits.max_body_len / 8 * 9
            + 2 * limits.max_string_bytes
            + 320 * limits.max_items
            + (520 << 10)
    }

    fn varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    /// A back-reference tag to the item whose tag is at `target` (0-based;
    /// Sereal offsets are 1-based).
    fn back_reference(tag: u8, target: usize, body: &mut Vec<u8>) {
        body.push(tag);
        varint(target + 1, body);
    }

    /// A protocol 5 document with an incrementally Snappy-compressed body, as
    /// `Sereal::Encoder` writes it with `compress => SRL_SNAPPY`.
    fn snappy_document(body: &[u8]) -> Vec<u8> {
        let packed = snap::raw::Encoder::new()
            .compress_vec(body)
            .expect("compresses");
        let mut doc = b"=\xF3rl\x25\x00".to_vec();
        varint(packed.len(), &mut doc);
        doc.extend_from_slice(&packed);
        doc
    }

    /// Appends an array of `levels + 1` items: `1`, then arrays that each hold
    /// the previous item twice (by `ALIAS`), so level `k` expands to `2^k`
    /// leaves. Every level is tracked.
    fn doubling(levels: usize, body: &mut Vec<u8>) {
        body.push(ARRAY);
        varint(levels + 1, body);
        let mut prev = body.len();
        body.push(TRACK | 0x01);
        for _ in 0..levels {
            let at = body.len();
            body.push(TRACK | ARRAYREF_2);
            back_reference(ALIAS, prev, body);
            back_reference(ALIAS, prev, body);
            prev = at;
        }
    }

    /// `n` tracked one-element arrays, each holding the next: each encloses
    /// whatever follows.
    fn wrappers(n: usize, body: &mut Vec<u8>) {
        body.extend(std::iter::repeat_n(TRACK | ARRAYREF_1, n));
    }

    /// An array of `count` references to one tracked string of `len` bytes.
    fn repeated_string(len: usize, count: usize, body: &mut Vec<u8>) {
        body.push(ARRAY);
        varint(count, body);
        let at = body.len();
        body.push(TRACK | BINARY);
        varint(len, body);
        body.extend(std::iter::repeat_n(b'a', len));
        for _ in 1..count {
            back_reference(ALIAS, at, body);
        }
    }

    /// An array of `count` references (`REFN`, then `REFP`) to one tracked nest
    /// of `depth` maps of one entry each (`{"" => {"" => ... {"" => 1}}}`):
    /// the most memory per item a value takes (a map's first entry allocates a
    /// whole B-tree node).
    fn repeated_map_nest(depth: usize, count: usize, body: &mut Vec<u8>) {
        body.push(ARRAY);
        varint(count, body);
        body.push(REFN);
        let at = body.len();
        body.push(TRACK | 0x2a); // HASH
        body.push(1);
        body.push(EMPTY_KEY);
        for _ in 1..depth {
            body.extend_from_slice(&[HASHREF_1, EMPTY_KEY]);
        }
        body.push(0x01);
        for _ in 1..count {
            back_reference(REFP, at, body);
        }
    }

    struct Case {
        name: &'static str,
        doc: Vec<u8>,
        /// `ok`, or the `SerealError` variant expected.
        outcome: &'static str,
    }

    fn doubling_document() -> Vec<u8> {
        let mut body = Vec::new();
        doubling(40, &mut body);
        snappy_document(&body)
    }

    fn cases() -> Vec<Case> {
        let mut wrapped_levels = Vec::new();
        wrappers(48, &mut wrapped_levels);
        doubling(14, &mut wrapped_levels);
        let mut wrapped_string = Vec::new();
        wrappers(60, &mut wrapped_string);
        repeated_string(8000, 1000, &mut wrapped_string);
        let mut long_string = Vec::new();
        repeated_string(8000, 1100, &mut long_string);
        let mut map_nests = Vec::new();
        repeated_map_nest(60, 2000, &mut map_nests);
        vec![
            Case {
                name: "40 doubling levels (2^41 items expanded)",
                doc: doubling_document(),
                outcome: "TooManyItems",
            },
            Case {
                name: "14 doubling levels in 48 tracked arrays",
                doc: snappy_document(&wrapped_levels),
                outcome: "ok",
            },
            Case {
                name: "an 8000-byte string 1000 times in 60 tracked arrays",
                doc: snappy_document(&wrapped_string),
                outcome: "ok",
            },
            Case {
                name: "an 8000-byte string 1100 times",
                doc: snappy_document(&long_string),
                outcome: "TooManyStringBytes",
            },
            Case {
                name: "a nest of 60 one-entry maps 2000 times",
                doc: snappy_document(&map_nests),
                outcome: "TooManyItems",
            },
        ]
    }

    /// Decodes the document in the file under dhat and prints `peak <bytes> <outcome>`.
    pub fn child(path: &Path) {
        let doc = std::fs::read(path).expect("case file");
        let profiler = dhat::Profiler::builder().testing().build();
        let result = sereal::from_slice(&doc);
        let stats = dhat::HeapStats::get();
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(error) => {
                let variant = match error {
                    SerealError::TooManyItems(_) => "TooManyItems",
                    SerealError::TooManyStringBytes(_) => "TooManyStringBytes",
                    _ => "another error",
                };
                format!("{variant} ({error})")
            }
        };
        drop(result);
        drop(profiler);
        crate::peak::report(stats.max_bytes, &outcome);
    }

    pub fn parent() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let limits = Limits::default();
        let bound = bound(&limits);
        let mut failures = Vec::new();
        println!("bound with the default limits: {bound} bytes");

        let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED);
        let mut want = vec![0u8];
        want.extend(doubling_document());
        if std::fs::read(&seed).ok().as_ref() != Some(&want) {
            failures.push(format!(
                "{SEED} is not the doubling document; write it afresh ({} bytes: mode 0, then the document)",
                want.len()
            ));
        }

        for (i, case) in cases().into_iter().enumerate() {
            let (peak, outcome) = match crate::peak::in_child(CASE_FILE, dir.path(), i, &case.doc) {
                Ok(measured) => measured,
                Err(failure) => {
                    failures.push(format!("{}: {failure}", case.name));
                    continue;
                }
            };
            println!(
                "{:<52} {:>6}-byte document: {:>10} bytes peak, {outcome}",
                case.name,
                case.doc.len(),
                peak
            );
            let variant = outcome.split(' ').next().unwrap_or_default();
            if variant != case.outcome {
                failures.push(format!(
                    "{}: expected {}, got {outcome}",
                    case.name, case.outcome
                ));
            }
            if peak > bound {
                failures.push(format!("{}: peak {peak} > bound {bound}", case.name));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        println!("sereal_alloc_bound: all cases within the bound");
    }
}
