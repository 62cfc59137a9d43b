//! Wycheproof's XChaCha20-Poly1305 vectors (tests/vectors/wycheproof, from
//! C2SP/wycheproof `testvectors_v1`, Apache-2.0), every one through the crate's
//! `Cipher` trait: valid cases seal to the expected bytes and open again,
//! invalid ones (modified tags, wrong nonce sizes, ...) never open.
#![cfg(feature = "xchacha20poly1305")]

use sealed_cookie::cipher::{Cipher, XChaCha20Poly1305};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    #[serde(rename = "testGroups")]
    groups: Vec<Group>,
    #[serde(rename = "numberOfTests")]
    count: usize,
}

#[derive(Deserialize)]
struct Group {
    tests: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    #[serde(rename = "tcId")]
    id: u32,
    key: String,
    iv: String,
    aad: String,
    msg: String,
    ct: String,
    tag: String,
    result: String,
    flags: Vec<String>,
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn every_wycheproof_xchacha20_poly1305_case() {
    let text = include_str!("vectors/wycheproof/xchacha20_poly1305_test.json");
    let file: File = serde_json::from_str(text).unwrap();
    let cipher = XChaCha20Poly1305;
    let (mut valid, mut invalid) = (0, 0);
    for case in file.groups.iter().flat_map(|group| &group.tests) {
        let key = cipher.prepare(&hex(&case.key));
        let (nonce, aad, msg) = (hex(&case.iv), hex(&case.aad), hex(&case.msg));
        let (ct, tag) = (hex(&case.ct), hex(&case.tag));
        let mut opened = ct.clone();
        let open = cipher.open_in_place(&key, &nonce, &aad, &mut opened, &tag);
        match case.result.as_str() {
            "valid" => {
                valid += 1;
                open.unwrap_or_else(|_| panic!("case {} must open", case.id));
                assert_eq!(opened, msg, "case {}", case.id);
                let mut sealed = msg.clone();
                let mut computed = [0u8; 16];
                cipher
                    .seal_in_place(&key, &nonce, &aad, &mut sealed, &mut computed)
                    .unwrap();
                assert_eq!((sealed, computed.to_vec()), (ct, tag), "case {}", case.id);
            }
            "invalid" => {
                invalid += 1;
                assert!(open.is_err(), "case {} ({:?}) opened", case.id, case.flags);
                if case.flags.iter().any(|flag| flag == "InvalidNonceSize") {
                    let mut sealed = msg.clone();
                    let mut computed = [0u8; 16];
                    assert!(
                        cipher
                            .seal_in_place(&key, &nonce, &aad, &mut sealed, &mut computed)
                            .is_err(),
                        "case {}: a {}-byte nonce sealed",
                        case.id,
                        nonce.len()
                    );
                }
            }
            other => panic!("case {}: unexpected result {other}", case.id),
        }
    }
    assert_eq!(valid + invalid, file.count);
    assert_eq!((valid, invalid), (246, 69));
}
