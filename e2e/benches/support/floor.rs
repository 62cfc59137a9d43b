//! The floor of a suite: what any sealed cookie costs with the same cipher and
//! serializer, without this crate's envelope. The value in postcard into a
//! reused buffer, a random nonce from `rand`'s thread-local generator (the
//! codec's algorithm, ChaCha12, without its fork guard), the bare AEAD through
//! the same `Cipher` the suite uses, base64url (`base64-simd`, as the codec);
//! then base64url decoding, the AEAD open and postcard back. No header, no
//! associated data, no checks, unless `with_envelope` asks for the envelope's
//! bytes.

use base64_simd::URL_SAFE_NO_PAD;
use sealed_cookie::cipher::Cipher;
use sealed_cookie::envelope;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Format 2 header, session id and associated data lengths, from the library's
/// own constants: the associated data is the header, the suite descriptor and
/// the cookie name (`session`, the codec's default).
const HEADER: usize = envelope::HEADER_2_LEN;
const SESSION_ID: usize = envelope::SESSION_ID_LEN;
const AAD: usize = HEADER + envelope::DESCRIPTOR_LEN + "session".len();

/// The floor of one cipher: everything but the envelope.
pub struct Floor<C: Cipher> {
    cipher: C,
    key: C::Key,
    buffer: Vec<u8>,
    /// Carry the envelope's header, session id and associated data.
    envelope: bool,
}

impl<C: Cipher> Floor<C> {
    pub fn new(cipher: C, subkey: &[u8]) -> Self {
        let key = cipher.prepare(subkey);
        Self {
            cipher,
            key,
            buffer: Vec::with_capacity(512),
            envelope: false,
        }
    }

    /// The same steps over the bytes the wire format adds (SPEC.md sections 2
    /// and 3): a 22-byte header before the nonce, a 16-byte session id before
    /// the value, and 36 bytes of associated data (header, suite descriptor,
    /// cookie name); still no checks.
    pub fn with_envelope(cipher: C, subkey: &[u8]) -> Self {
        Self {
            envelope: true,
            ..Self::new(cipher, subkey)
        }
    }

    fn lens(&self) -> (usize, usize, usize) {
        if self.envelope {
            (HEADER, SESSION_ID, AAD)
        } else {
            (0, 0, 0)
        }
    }

    pub fn seal<T: Serialize>(&mut self, value: &T) -> String {
        let (header, session_id, aad) = self.lens();
        let prefix = header + self.cipher.nonce_len();
        self.buffer.clear();
        self.buffer.resize(prefix + session_id, 7);
        rand::fill(&mut self.buffer[header..prefix]);
        let buffer = std::mem::take(&mut self.buffer);
        let mut buffer = postcard::to_extend(value, buffer).expect("serializes");
        let body_len = buffer.len() - prefix;
        buffer.resize(buffer.len() + self.cipher.tag_len(), 0);
        let (head, rest) = buffer.split_at_mut(prefix);
        let (body, tag) = rest.split_at_mut(body_len);
        self.cipher
            .seal_in_place(&self.key, &head[header..], &[7; AAD][..aad], body, tag)
            .expect("seals");
        let text = URL_SAFE_NO_PAD.encode_to_string(&buffer);
        self.buffer = buffer;
        text
    }

    /// The value `text` seals; `None` when it is not base64url, not authentic
    /// or not a `T`.
    pub fn try_open<T: DeserializeOwned>(&mut self, text: &str) -> Option<T> {
        let (header, session_id, aad) = self.lens();
        let prefix = header + self.cipher.nonce_len();
        let tag_len = self.cipher.tag_len();
        let len = URL_SAFE_NO_PAD.decoded_length(text.as_bytes()).ok()?;
        if len < prefix + session_id + tag_len {
            return None;
        }
        self.buffer.clear();
        self.buffer.resize(len, 0);
        URL_SAFE_NO_PAD
            .decode(
                text.as_bytes(),
                base64_simd::Out::from_slice(&mut self.buffer),
            )
            .ok()?;
        let (head, rest) = self.buffer.split_at_mut(prefix);
        let (body, tag) = rest.split_at_mut(rest.len() - tag_len);
        self.cipher
            .open_in_place(&self.key, &head[header..], &[7; AAD][..aad], body, tag)
            .ok()?;
        postcard::from_bytes(&body[session_id..]).ok()
    }

    pub fn open<T: DeserializeOwned>(&mut self, text: &str) -> T {
        self.try_open(text).expect("an authentic value of the type")
    }
}
