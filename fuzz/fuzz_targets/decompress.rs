//! The capped decompressor on arbitrary bytes: it never returns (or reserves)
//! more than the cap, and what it returns is what zstd itself decodes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sealed_cookie::DEFAULT_DECOMPRESSION_CAP;
use sealed_cookie::compressor::{Compressor, NoCompression, Zstd};

const CAPS: [usize; 6] = [1, 64, 1000, 4096, DEFAULT_DECOMPRESSION_CAP, 1 << 20];

static DICTIONARY: OnceLock<(Vec<u8>, Zstd)> = OnceLock::new();

fn dictionary() -> &'static (Vec<u8>, Zstd) {
    DICTIONARY.get_or_init(|| {
        let samples: Vec<Vec<u8>> = (0..300)
            .map(|i| {
                format!(
                    r#"{{"user_id":{i},"roles":["reader","editor"],"theme":"dark","n":{}}}"#,
                    i * 7
                )
                .into_bytes()
            })
            .collect();
        let dictionary = zstd::dict::from_samples(&samples, 2048).expect("trainable samples");
        let zstd = Zstd::default()
            .with_dictionary(&dictionary)
            .expect("a trained dictionary");
        (dictionary, zstd)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, input)) = data.split_first() else {
        return;
    };
    let cap = CAPS[usize::from(choice) % CAPS.len()];
    assert!(NoCompression.decompress(input, cap).is_err());
    if choice & 0x80 == 0 {
        if let Ok(out) = Zstd::default().decompress(input, cap) {
            assert!(out.len() <= cap && out.capacity() <= cap);
            let reference = zstd::bulk::decompress(input, cap).expect("zstd decodes it too");
            assert_eq!(out, reference);
        }
    } else {
        let (raw, zstd) = dictionary();
        if let Ok(out) = zstd.decompress(input, cap) {
            assert!(out.len() <= cap && out.capacity() <= cap);
            let reference = zstd::bulk::Decompressor::with_dictionary(raw)
                .and_then(|mut d| d.decompress(input, cap))
                .expect("zstd decodes it too");
            assert_eq!(out, reference);
        }
    }
});
