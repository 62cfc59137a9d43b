//! The envelope's base64url (RFC 4648 section 5, without padding, the final
//! character canonical: SPEC.md section 2) on the path of every seal and open.
//!
//! It runs `base64-simd`, which takes about a third of the time of the `base64`
//! crate's scalar engine on a cookie-sized value; the two accept exactly the
//! same texts and write the same ones (the tests below hold them equal), and the
//! `base64` crate still serves everything off that path.

use base64_simd::{Out, URL_SAFE_NO_PAD};

/// `bytes` as base64url, in a string of exactly its length.
pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode_to_string(bytes)
}

/// Appends the bytes `text` encodes to `out`; `Err` (with `out` unchanged) when
/// `text` is not canonical base64url.
pub(crate) fn decode_into(text: &str, out: &mut Vec<u8>) -> Result<(), NotBase64url> {
    let text = text.as_bytes();
    let len = URL_SAFE_NO_PAD
        .decoded_length(text)
        .map_err(|_| NotBase64url)?;
    let start = out.len();
    out.resize(start + len, 0);
    match URL_SAFE_NO_PAD.decode(text, Out::from_slice(&mut out[start..])) {
        Ok(decoded) if decoded.len() == len => Ok(()),
        _ => {
            out.truncate(start);
            Err(NotBase64url)
        }
    }
}

/// A text that is not canonical base64url.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotBase64url;

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as REFERENCE;

    fn decoded(text: &str) -> Option<Vec<u8>> {
        let mut out = vec![0xAA];
        let result = decode_into(text, &mut out);
        assert_eq!(out.first(), Some(&0xAA), "what was in the buffer stays");
        match result {
            Ok(()) => Some(out.split_off(1)),
            Err(NotBase64url) => {
                assert_eq!(out, [0xAA], "a refused text leaves nothing");
                None
            }
        }
    }

    #[test]
    fn refuses_what_the_spec_refuses() {
        // Non-canonical final characters, padding, the standard alphabet,
        // whitespace, an impossible length.
        for text in ["AB", "AAB", "AA==", "A+/w", "AAAA\n", " AAAA", "A", "AAAAA"] {
            assert_eq!(decoded(text), None, "{text:?}");
        }
        assert_eq!(decoded("A-_w"), Some(vec![3, 239, 240]));
        assert_eq!(decoded(""), Some(vec![]));
    }

    /// A deterministic stream of pseudo-random numbers (xorshift64).
    fn stream(mut x: u64) -> impl Iterator<Item = u64> {
        std::iter::repeat_with(move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
    }

    #[test]
    fn writes_what_the_base64_crate_writes() {
        let mut numbers = stream(0x5eed);
        for len in 0..400 {
            let bytes: Vec<u8> = numbers.by_ref().take(len).map(|n| n as u8).collect();
            let text = encode(&bytes);
            assert_eq!(text, REFERENCE.encode(&bytes));
            assert_eq!(text.len(), text.capacity());
            assert_eq!(decoded(&text), Some(bytes));
        }
    }

    #[test]
    fn accepts_exactly_what_the_base64_crate_accepts() {
        const CHARS: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ \n\xff";
        let check = |text: &[u8]| {
            let text = String::from_utf8_lossy(text);
            assert_eq!(decoded(&text), REFERENCE.decode(&*text).ok(), "{text:?}");
        };
        // Every text of up to three characters...
        for a in CHARS {
            check(&[*a]);
            for b in CHARS {
                check(&[*a, *b]);
                for c in CHARS {
                    check(&[*a, *b, *c]);
                }
            }
        }
        // ...and longer ones, mostly of the alphabet, with a stray byte now and then.
        let mut numbers = stream(0xba5e);
        for _ in 0..20_000 {
            let len = (numbers.next().unwrap() % 200) as usize;
            let text: Vec<u8> = numbers
                .by_ref()
                .take(len)
                .map(|n| match n % 1000 {
                    0..990 => CHARS[(n % 64) as usize],
                    _ => CHARS[64 + (n % 6) as usize],
                })
                .collect();
            check(&text);
        }
    }
}
