//! Envelope parsing alone: the header, the padding and the length arithmetic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealed_cookie::envelope::{
    self, FLAG_BROWSER_SESSION, FLAG_COMPRESSED, FLAG_FLASH, FLAG_PADDED, Format, Header,
    SESSION_ID_LEN, encoded_len,
};

fuzz_target!(|data: &[u8]| {
    let format = data.first().map(|&b| Format::of_version_byte(b));
    let known = match format {
        Some(Format::V2) => FLAG_COMPRESSED | FLAG_PADDED | FLAG_BROWSER_SESSION | FLAG_FLASH,
        _ => FLAG_COMPRESSED | FLAG_PADDED,
    };
    match Header::parse(data) {
        Ok(header) => {
            let len = header.format.header_len();
            assert!(data.len() >= len);
            assert_eq!(Some(header.format), format);
            assert!(header.version <= 127);
            assert!(header.sealed_at >= header.issued_at);
            // Re-encoding gives the bytes back, unless the seal's age saturated.
            if header.sealed_at < u64::MAX {
                assert_eq!(header.to_bytes()[..], data[..len]);
            }
            assert_eq!(header.flags & !known, 0);
            match header.expires_at() {
                Some(at) => {
                    assert_ne!(header.lifetime, 0);
                    assert!(at >= header.issued_at);
                }
                None => assert_eq!(header.lifetime, 0),
            }
        }
        Err(_) => {
            let len = format.map_or(0, Format::header_len);
            assert!(data.len() < len.max(1) || data[5] & !known != 0);
        }
    }

    // The plaintext prefix of format 2: never reads past the input.
    if let Some((&flags, plain)) = data.split_first()
        && let Ok(parts) = envelope::split_plaintext(Format::V2, flags, plain)
    {
        assert!(parts.session_id.is_some());
        let flash_len = parts.flash.map_or(0, |f| f.len() + 2);
        assert_eq!(SESSION_ID_LEN + flash_len + parts.value.len(), plain.len());
    }

    match envelope::unpad(data) {
        Ok(body) => {
            assert_eq!(data[body.len()], 0x80);
            assert!(data[body.len() + 1..].iter().all(|&b| b == 0));
        }
        Err(_) => {
            let last = data.iter().rposition(|&b| b != 0);
            assert!(last.is_none_or(|i| data[i] != 0x80));
        }
    }

    if let Some((&block, body)) = data.split_first() {
        let block = usize::from(block) + 1;
        let mut padded = vec![0xee; 3];
        padded.extend_from_slice(body);
        envelope::pad(&mut padded, 3, block);
        assert_eq!((padded.len() - 3) % block, 0);
        assert!(padded.len() - 3 > body.len());
        assert_eq!(envelope::unpad(&padded[3..]).expect("padded"), body);
    }

    let n = data.len();
    assert_eq!(encoded_len(n), (n * 4).div_ceil(3));
});
