//! Envelope parsing alone: the header, the padding and the length arithmetic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealed_cookie::envelope::{
    self, FLAG_COMPRESSED, FLAG_PADDED, HEADER_LEN, Header, encoded_len,
};

fuzz_target!(|data: &[u8]| {
    match Header::parse(data) {
        Ok(header) => {
            assert!(data.len() >= HEADER_LEN);
            assert_eq!(header.to_bytes()[..], data[..HEADER_LEN]);
            assert_eq!(header.flags & !(FLAG_COMPRESSED | FLAG_PADDED), 0);
            match header.expires_at() {
                Some(at) => {
                    assert_ne!(header.lifetime, 0);
                    assert!(at >= header.issued_at);
                }
                None => assert_eq!(header.lifetime, 0),
            }
        }
        Err(_) => {
            assert!(data.len() < HEADER_LEN || data[5] & !(FLAG_COMPRESSED | FLAG_PADDED) != 0);
        }
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
