//! Rejecting an over-long cookie value costs the same whatever its length: the
//! length is compared before anything is decoded, so a 1 KB, a 1 MB and a 100 MB
//! value are all turned away in constant time. The codec accepts values up to
//! 512 bytes here, so that all three are over-long.
//!
//! ```text
//! cargo bench --bench reject_long
//! ```

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sealed_cookie::{Codec, Key, Keyring, OpenError};

fn reject_long(c: &mut Criterion) {
    let codec = Codec::<Vec<String>>::builder()
        .keyring(Keyring::new(Key::from_bytes(&[9u8; 32]).expect("32 bytes")))
        .max_value_len(512)
        .build()
        .expect("a valid codec");
    let mut group = c.benchmark_group("reject_long");
    for (label, len) in [
        ("1 KB", 1_000),
        ("1 MB", 1_000_000),
        ("100 MB", 100_000_000),
    ] {
        // Valid base64url throughout, so nothing but the length can reject it.
        let value = "A".repeat(len);
        assert!(matches!(
            codec.open(&value),
            Err(OpenError::TooLong { len: l, max: 512 }) if l == len
        ));
        group.bench_with_input(BenchmarkId::from_parameter(label), &value, |b, value| {
            b.iter(|| codec.open(black_box(value)).is_err());
        });
    }
    group.finish();
}

criterion_group!(benches, reject_long);
criterion_main!(benches);
