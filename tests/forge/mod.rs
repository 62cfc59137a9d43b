//! Seals arbitrary payload bytes under a codec's key without the codec: header,
//! random-free nonce, the cipher's HKDF subkey (SPEC.md, "Key derivation") and the
//! associated data (header, suite descriptor, cookie name). For tests that need
//! an authentic cookie whose plaintext no honest `seal` would write.

#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sealed_cookie::Key;
use sealed_cookie::cipher::Cipher;
use sealed_cookie::envelope::{FLAG_COMPRESSED, FLAG_PADDED, HEADER_LEN, Header};

/// Fixed "now" of the forged cookies.
pub const NOW: u64 = 1_750_000_000;

/// A forged cookie's suite: cipher, serializer and compressor ids.
#[derive(Debug, Clone, Copy)]
pub struct Descriptor {
    /// Cipher id.
    pub cipher: u8,
    /// Serializer id.
    pub serializer: u8,
    /// Compressor id (0: none).
    pub compressor: u8,
}

/// Where and how a forged cookie claims to be sealed.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    /// Suite version.
    pub version: u8,
    /// The suite's ids, bound into the associated data.
    pub descriptor: Descriptor,
    /// Cookie name, bound into the associated data.
    pub name: &'a str,
    /// Flag the payload as compressed.
    pub compressed: bool,
    /// Flag the payload as padded.
    pub padded: bool,
}

/// Seals `payload` under `material` as `envelope` describes.
pub fn forge<C: Cipher>(
    cipher: &C,
    material: &[u8],
    envelope: &Envelope,
    payload: &[u8],
) -> String {
    let Envelope {
        version,
        descriptor,
        name,
        compressed,
        padded,
    } = *envelope;
    let key = Key::from_bytes(material).expect("key material");
    let mut flags = 0;
    if compressed {
        flags |= FLAG_COMPRESSED;
    }
    if padded {
        flags |= FLAG_PADDED;
    }
    let header = Header {
        format: sealed_cookie::Format::V1,
        version,
        key_id: key.id(),
        flags,
        issued_at: NOW,
        lifetime: 3600,
        sealed_at: NOW,
    }
    .to_bytes();
    let label = format!("sealed-cookie/1/aead/{}/{}", cipher.name(), cipher.id());
    let mut subkey = vec![0u8; cipher.key_len()];
    hkdf::Hkdf::<sha2::Sha256>::new(None, material)
        .expand(label.as_bytes(), &mut subkey)
        .expect("short output");
    let prepared = cipher.prepare(&subkey);
    let mut aad = header.to_vec();
    aad.extend_from_slice(&[
        descriptor.cipher,
        descriptor.serializer,
        descriptor.compressor,
        0,
        0,
        0,
        0,
    ]);
    aad.extend_from_slice(name.as_bytes());
    let nonce = vec![0x24; cipher.nonce_len()];
    let mut body = payload.to_vec();
    let mut tag = vec![0u8; cipher.tag_len()];
    cipher
        .seal_in_place(&prepared, &nonce, &aad, &mut body, &mut tag)
        .expect("seal");
    let mut out = Vec::with_capacity(HEADER_LEN + nonce.len() + body.len() + tag.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    out.extend_from_slice(&tag);
    URL_SAFE_NO_PAD.encode(out)
}

/// A postcard varint.
pub fn varint(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
