//! Shared pieces of the fuzz targets and the seed-corpus generator: a codec that
//! opens every suite, an independent envelope writer that seals arbitrary payload
//! bytes under that codec's keys, and arbitrary session values.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use sealed_cookie::cipher::{Aes256Gcm, Aes256Siv, Cipher, XChaCha20Poly1305};
use sealed_cookie::compressor::{Compressor, NoCompression, Zstd};
use sealed_cookie::envelope::{self, FLAG_COMPRESSED, FLAG_PADDED, Header};
use sealed_cookie::serializer::{Json, MessagePack, Postcard, Serializer};
use sealed_cookie::{
    Codec, CodecBuilder, DEFAULT_DECOMPRESSION_CAP, FixedClock, Key, KeyId, Keyring, Padding,
    Suite, Value,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The fixed "now" of every fuzz codec, seconds since the epoch.
pub const NOW: u64 = 1_750_000_000;
/// Lifetime of cookies sealed by the fuzz codecs.
pub const MAX_AGE: u32 = 3600;
/// Cookie name bound into every fuzz cookie.
pub const NAME: &str = "session";
/// Padding block of the padded suites.
pub const PAD: usize = 32;
/// Ciphers, serializers and variants (bit 0: zstd, bit 1: padding).
pub const CIPHERS: usize = 3;
/// Number of serializers.
pub const SERIALIZERS: usize = 3;
/// Number of compression/padding variants per cipher and serializer.
pub const VARIANTS: usize = 4;
/// Number of registered suites, versions 1 to `SUITES`.
pub const SUITES: usize = CIPHERS * SERIALIZERS * VARIANTS;

/// Material of the primary key.
pub const PRIMARY: [u8; 32] = [0x11; 32];
/// Material of the accepted (older) key.
pub const ACCEPTED: [u8; 48] = [0x22; 48];

/// Which cipher, serializer, compressor and padding a version stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteSpec {
    /// Version byte, 1 to [`SUITES`].
    pub version: u8,
    /// 0 XChaCha20-Poly1305, 1 AES-256-GCM, 2 AES-256-SIV.
    pub cipher: usize,
    /// 0 postcard, 1 MessagePack, 2 JSON.
    pub serializer: usize,
    /// zstd registered.
    pub zstd: bool,
    /// Padding registered.
    pub padded: bool,
}

impl SuiteSpec {
    /// The suite of `version`, if registered.
    #[must_use]
    pub fn of(version: u8) -> Option<Self> {
        let index = usize::from(version).checked_sub(1)?;
        let variant = index % VARIANTS;
        (index < SUITES).then_some(Self {
            version,
            cipher: index / (SERIALIZERS * VARIANTS),
            serializer: index / VARIANTS % SERIALIZERS,
            zstd: variant & 1 != 0,
            padded: variant & 2 != 0,
        })
    }

    /// Every registered suite.
    pub fn all() -> impl Iterator<Item = Self> {
        (1..=SUITES as u8).filter_map(Self::of)
    }

    /// The suite's name as the codec reports it.
    #[must_use]
    pub fn label(&self) -> String {
        let cipher = ["xchacha20poly1305", "aes256gcm", "aes256siv"][self.cipher];
        let serializer = ["postcard", "msgpack", "json"][self.serializer];
        let compressor = if self.zstd { "zstd" } else { "none" };
        let pad = if self.padded {
            format!("+pad{PAD}")
        } else {
            String::new()
        };
        format!("{cipher}+{serializer}+{compressor}{pad}")
    }
}

fn register<T, C, S>(
    builder: CodecBuilder<T>,
    first: u8,
    cipher: C,
    serializer: S,
) -> CodecBuilder<T>
where
    T: Serialize + DeserializeOwned + 'static,
    C: Cipher + Copy,
    S: Serializer + Copy,
{
    let pad = Padding::Multiple(PAD);
    builder
        .suite(first, Suite::new(cipher, serializer))
        .suite(
            first + 1,
            Suite::new(cipher, serializer).compressor(Zstd::default()),
        )
        .suite(first + 2, Suite::new(cipher, serializer).padding(pad))
        .suite(
            first + 3,
            Suite::new(cipher, serializer)
                .compressor(Zstd::default())
                .padding(pad),
        )
}

fn register_cipher<T, C>(builder: CodecBuilder<T>, first: u8, cipher: C) -> CodecBuilder<T>
where
    T: Serialize + DeserializeOwned + 'static,
    C: Cipher + Copy,
{
    let step = VARIANTS as u8;
    let builder = register(builder, first, cipher, Postcard);
    let builder = register(builder, first + step, cipher, MessagePack);
    register(builder, first + 2 * step, cipher, Json)
}

/// The primary and the accepted key.
#[must_use]
pub fn keyring() -> Keyring {
    Keyring::new(Key::from_bytes(&PRIMARY).expect("valid key"))
        .with_accepted(Key::from_bytes(&ACCEPTED).expect("valid key"))
}

/// A codec that opens all 36 suites (every cipher and serializer, with and
/// without zstd and padding) and seals with `current`.
///
/// # Panics
/// When `current` is not 1 to [`SUITES`].
#[must_use]
pub fn codec_sealing_with<T: Serialize + DeserializeOwned + 'static>(current: u8) -> Codec<T> {
    let step = (SERIALIZERS * VARIANTS) as u8;
    let builder = Codec::<T>::builder()
        .keyring(keyring())
        .cookie_name(NAME)
        .max_age(std::time::Duration::from_secs(u64::from(MAX_AGE)))
        .clock(FixedClock(NOW));
    let builder = register_cipher(builder, 1, XChaCha20Poly1305);
    let builder = register_cipher(builder, 1 + step, Aes256Gcm);
    let builder = register_cipher(builder, 1 + 2 * step, Aes256Siv);
    builder.current(current).build().expect("valid fuzz codec")
}

/// One codec per sealing suite, built once.
pub fn codecs<T: Serialize + DeserializeOwned + 'static>(
    cell: &'static OnceLock<Vec<Codec<T>>>,
) -> &'static [Codec<T>] {
    cell.get_or_init(|| (1..=SUITES as u8).map(codec_sealing_with::<T>).collect())
}

/// A typed session: what an application would keep in its cookie.
#[derive(Debug, Clone, Serialize, Deserialize, Arbitrary)]
pub struct Typed {
    /// A number.
    pub user_id: u64,
    /// A string.
    pub name: String,
    /// A list.
    pub roles: Vec<String>,
    /// A map.
    pub flags: BTreeMap<String, bool>,
    /// An option.
    pub note: Option<String>,
    /// A signed number.
    pub score: i32,
    /// Bytes.
    pub blob: Vec<u8>,
    /// Tuples and options.
    pub pairs: Vec<(u8, Option<i64>)>,
    /// An enum.
    pub kind: Kind,
    /// A float, any bits.
    pub zoom: Option<f64>,
    /// A single-precision float, any bits.
    pub ratio: f32,
}

impl Typed {
    /// Holds a NaN or an infinity, which JSON cannot represent.
    #[must_use]
    pub fn has_non_finite(&self) -> bool {
        !self.ratio.is_finite() || self.zoom.is_some_and(|z| !z.is_finite())
    }
}

impl PartialEq for Typed {
    /// Floats compare bit for bit, so that a NaN equals itself.
    fn eq(&self, other: &Self) -> bool {
        self.user_id == other.user_id
            && self.name == other.name
            && self.roles == other.roles
            && self.flags == other.flags
            && self.note == other.note
            && self.score == other.score
            && self.blob == other.blob
            && self.pairs == other.pairs
            && self.kind == other.kind
            && self.zoom.map(f64::to_bits) == other.zoom.map(f64::to_bits)
            && self.ratio.to_bits() == other.ratio.to_bits()
    }
}

/// An enum with every variant shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Arbitrary)]
pub enum Kind {
    /// Unit.
    Guest,
    /// Newtype.
    Member(u32),
    /// Tuple.
    Pair(i16, String),
    /// Struct.
    Admin {
        /// A level.
        level: u8,
        /// Scopes.
        scopes: Vec<String>,
    },
}

/// An arbitrary [`Value`], built without the type's invariants so that the
/// conversion can normalize it the way the crate does.
#[derive(Debug, Clone, Arbitrary)]
pub enum ArbValue {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer (normalized through `Value::from(u64)`).
    UInt(u64),
    /// A float, any bit pattern.
    Float(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<ArbValue>),
    /// A map.
    Map(Vec<(String, ArbValue)>),
}

impl From<ArbValue> for Value {
    fn from(value: ArbValue) -> Self {
        match value {
            ArbValue::Null => Self::Null,
            ArbValue::Bool(b) => Self::Bool(b),
            ArbValue::Int(i) => Self::Int(i),
            ArbValue::UInt(u) => Self::from(u),
            ArbValue::Float(f) => Self::Float(f),
            ArbValue::String(s) => Self::String(s),
            ArbValue::Array(items) => Self::Array(items.into_iter().map(Self::from).collect()),
            ArbValue::Map(entries) => Self::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, Self::from(v)))
                    .collect(),
            ),
        }
    }
}

/// Containers on the longest path from the root.
#[must_use]
pub fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Map(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Whether a value holds an infinite or NaN float (Perl can store them; JSON cannot).
#[must_use]
pub fn non_finite(value: &Value) -> bool {
    match value {
        Value::Float(f) => !f.is_finite(),
        Value::Array(items) => items.iter().any(non_finite),
        Value::Map(map) => map.values().any(non_finite),
        _ => false,
    }
}

/// Equality that treats two NaNs with the same bits as equal (session values are
/// compared bit for bit).
#[must_use]
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
        }
        _ => a == b,
    }
}

/// A cookie envelope written independently of the codec: header, nonce,
/// ciphertext of `payload` under the suite's cipher and the key's HKDF subkey
/// (SPEC.md, "Key derivation"), tag; base64url.
#[must_use]
pub fn forge(spec: SuiteSpec, material: &[u8], header: &Header, payload: &[u8]) -> String {
    match spec.cipher {
        0 => forge_with(XChaCha20Poly1305, spec, material, header, payload),
        1 => forge_with(Aes256Gcm, spec, material, header, payload),
        _ => forge_with(Aes256Siv, spec, material, header, payload),
    }
}

fn forge_with<C: Cipher>(
    cipher: C,
    spec: SuiteSpec,
    material: &[u8],
    header: &Header,
    payload: &[u8],
) -> String {
    let label = format!("sealed-cookie/1/aead/{}/{}", cipher.name(), cipher.id());
    let mut subkey = vec![0u8; cipher.key_len()];
    Hkdf::<Sha256>::new(None, material)
        .expand(label.as_bytes(), &mut subkey)
        .expect("short HKDF output");
    let key = cipher.prepare(&subkey);
    let serializer_id = [Postcard.id(), MessagePack.id(), Json.id()][spec.serializer];
    let compressor_id = if spec.zstd {
        Zstd::default().id()
    } else {
        NoCompression.id()
    };
    let header_bytes = header.to_bytes();
    let mut aad = header_bytes.to_vec();
    aad.extend_from_slice(&[cipher.id(), serializer_id, compressor_id, 0, 0, 0, 0]);
    aad.extend_from_slice(NAME.as_bytes());
    let nonce = vec![0x5a; cipher.nonce_len()];
    let mut body = payload.to_vec();
    let mut tag = vec![0u8; cipher.tag_len()];
    cipher
        .seal_in_place(&key, &nonce, &aad, &mut body, &mut tag)
        .expect("sealing never fails for short input");
    let mut out = Vec::with_capacity(header_bytes.len() + nonce.len() + body.len() + tag.len());
    out.extend_from_slice(&header_bytes);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    out.extend_from_slice(&tag);
    URL_SAFE_NO_PAD.encode(out)
}

/// What the codec must return for an authentic payload: padding stripped and
/// decompression as the flags say, then the suite's serializer (its session-value
/// reader for a `Value`).
#[must_use]
pub fn reference_decode<T: DeserializeOwned + 'static>(
    spec: SuiteSpec,
    format: sealed_cookie::Format,
    flags: u8,
    payload: &[u8],
) -> Option<T> {
    let payload = if flags & FLAG_PADDED != 0 {
        envelope::unpad(payload).ok()?
    } else {
        payload
    };
    let plain;
    let payload = if flags & FLAG_COMPRESSED != 0 {
        if !spec.zstd {
            return None;
        }
        plain = Zstd::default()
            .decompress(payload, DEFAULT_DECOMPRESSION_CAP)
            .ok()?;
        &plain[..]
    } else {
        payload
    };
    // Format 2: the session id, then flash messages that must be a map.
    let parts = envelope::split_plaintext(format, flags, payload).ok()?;
    if let Some(flash) = parts.flash {
        let flash = match spec.serializer {
            0 => Postcard.deserialize_value(flash).ok(),
            1 => MessagePack.deserialize_value(flash).ok(),
            _ => Json.deserialize_value(flash).ok(),
        }?;
        if !matches!(flash, Value::Map(_)) {
            return None;
        }
    }
    let payload = parts.value;
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<Value>() {
        let value = match spec.serializer {
            0 => Postcard.deserialize_value(payload).ok(),
            1 => MessagePack.deserialize_value(payload).ok(),
            _ => Json.deserialize_value(payload).ok(),
        }?;
        let value: Box<dyn std::any::Any> = Box::new(value);
        return value.downcast::<T>().ok().map(|value| *value);
    }
    match spec.serializer {
        0 => Postcard.deserialize(payload).ok(),
        1 => MessagePack.deserialize(payload).ok(),
        _ => Json.deserialize(payload).ok(),
    }
}

/// The id of the primary (`false`) or accepted (`true`) key.
#[must_use]
pub fn key_id(accepted: bool) -> KeyId {
    if accepted {
        Key::from_bytes(&ACCEPTED).expect("valid key").id()
    } else {
        Key::from_bytes(&PRIMARY).expect("valid key").id()
    }
}
