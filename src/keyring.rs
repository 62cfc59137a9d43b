//! Keys and the keyring: one primary key that seals, any number of accepted keys
//! that only open.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::KeyError;

/// Shortest accepted key material: 256 bits.
pub const MIN_KEY_LEN: usize = 32;
/// Longest accepted key material.
pub const MAX_KEY_LEN: usize = 1024;
/// Length of a key made by [`Key::generate`].
pub const GENERATED_KEY_LEN: usize = 32;

/// HKDF `info` label for the key id (see SPEC.md, "Key ids").
pub(crate) const KEY_ID_LABEL: &[u8] = b"sealed-cookie/1/key-id";

/// A non-secret 32-bit name for a key, derived from the key material, so that every
/// server holding the same key agrees on it without configuration.
///
/// ```
/// use sealed_cookie::Key;
/// let key = Key::from_bytes(&[7u8; 32]).unwrap();
/// assert_eq!(key.id().to_string().len(), 8); // eight hex digits
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub u32);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Secret key material: at least 32 bytes, zeroized on drop, never printed.
///
/// ```
/// use sealed_cookie::Key;
/// let key = Key::generate().unwrap();
/// let again = Key::from_base64(&key.to_base64()).unwrap();
/// assert_eq!(key, again); // compared in constant time
/// assert!(!format!("{key:?}").contains(&*key.to_base64()));
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Key {
    material: Box<[u8]>,
    #[zeroize(skip)]
    id: KeyId,
}

impl Key {
    /// Makes a key from raw bytes (32 to 1024 bytes). The bytes are copied; the
    /// caller should zeroize its own copy.
    ///
    /// # Errors
    /// [`KeyError::TooShort`] under 32 bytes, [`KeyError::TooLong`] over 1024.
    pub fn from_bytes(material: &[u8]) -> Result<Self, KeyError> {
        if material.len() < MIN_KEY_LEN {
            return Err(KeyError::TooShort {
                len: material.len(),
                min: MIN_KEY_LEN,
            });
        }
        if material.len() > MAX_KEY_LEN {
            return Err(KeyError::TooLong {
                len: material.len(),
                max: MAX_KEY_LEN,
            });
        }
        let id = derive_key_id(material);
        Ok(Self {
            material: material.into(),
            id,
        })
    }

    /// Makes a key from unpadded base64url text (surrounding whitespace is ignored).
    ///
    /// # Errors
    /// [`KeyError::InvalidBase64`] for bad text, or the length errors of [`Key::from_bytes`].
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(text.trim())
                .map_err(|_| KeyError::InvalidBase64)?,
        );
        Self::from_bytes(&bytes)
    }

    /// Generates a 32-byte key from the operating system's CSPRNG.
    ///
    /// # Errors
    /// [`KeyError::Rng`] if the operating system cannot provide randomness.
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new([0u8; GENERATED_KEY_LEN]);
        getrandom::fill(bytes.as_mut()).map_err(|_| KeyError::Rng)?;
        Self::from_bytes(bytes.as_ref())
    }

    /// The key's non-secret id.
    #[must_use]
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The key material as unpadded base64url, for storing in a keyring file or
    /// environment variable. The returned string is zeroized on drop.
    #[must_use]
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(URL_SAFE_NO_PAD.encode(&self.material))
    }

    /// Derives `out.len()` bytes of subkey for `label` with HKDF-SHA256 (no salt).
    pub(crate) fn derive(&self, label: &[u8], out: &mut [u8]) {
        Hkdf::<Sha256>::new(None, &self.material)
            .expand(label, out)
            .expect("HKDF-SHA256 output lengths used here are far below 255 * 32 bytes");
    }
}

fn derive_key_id(material: &[u8]) -> KeyId {
    let mut id = [0u8; 4];
    Hkdf::<Sha256>::new(None, material)
        .expand(KEY_ID_LABEL, &mut id)
        .expect("4 bytes is a valid HKDF-SHA256 output length");
    KeyId(u32::from_be_bytes(id))
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.material.ct_eq(&other.material).into()
    }
}

impl Eq for Key {}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("material", &"<redacted>")
            .finish()
    }
}

/// One primary key, which seals and opens, and any number of accepted keys, which
/// only open. Rotation: add the new key as accepted everywhere, promote it, and
/// retire the old one after the longest session lifetime.
///
/// ```
/// use sealed_cookie::{Key, Keyring};
/// let old = Key::generate().unwrap();
/// let new = Key::generate().unwrap();
/// let ring = Keyring::new(new.clone()).with_accepted(old.clone());
/// assert_eq!(ring.primary().id(), new.id());
/// assert_eq!(ring.accepted().count(), 1);
/// ```
#[derive(Clone)]
pub struct Keyring {
    // keys[0] is the primary.
    keys: Vec<Key>,
}

impl Keyring {
    /// A keyring whose only key is `primary`.
    #[must_use]
    pub fn new(primary: Key) -> Self {
        Self {
            keys: vec![primary],
        }
    }

    /// Adds a key that opens cookies but never seals.
    #[must_use]
    pub fn with_accepted(mut self, key: Key) -> Self {
        self.keys.push(key);
        self
    }

    /// Parses a comma-separated list of base64url keys, primary first, as in the
    /// `SEALED_COOKIE_KEYS` environment variable. Empty items are ignored.
    ///
    /// # Errors
    /// [`KeyError::Empty`] when no key is listed, or the first key's error.
    ///
    /// ```
    /// use sealed_cookie::Keyring;
    /// let ring = Keyring::from_base64_list(&"A".repeat(43)).unwrap();
    /// assert_eq!(ring.len(), 1);
    /// ```
    pub fn from_base64_list(list: &str) -> Result<Self, KeyError> {
        let mut keys = list
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(Key::from_base64);
        let primary = keys.next().ok_or(KeyError::Empty)??;
        keys.try_fold(Self::new(primary), |ring, key| Ok(ring.with_accepted(key?)))
    }

    /// The key that seals.
    #[must_use]
    pub fn primary(&self) -> &Key {
        &self.keys[0]
    }

    /// The keys that only open.
    pub fn accepted(&self) -> impl Iterator<Item = &Key> {
        self.keys[1..].iter()
    }

    /// Every key, primary first.
    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.keys.iter()
    }

    /// Number of keys, primary included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always false: a keyring has a primary key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The first key id held by two keys, if any (a configuration error).
    #[must_use]
    pub fn duplicate_key_id(&self) -> Option<KeyId> {
        let mut ids: Vec<KeyId> = self.keys.iter().map(Key::id).collect();
        ids.sort_unstable();
        ids.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("primary", &self.primary().id())
            .field(
                "accepted",
                &self.accepted().map(Key::id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_keys_are_rejected_with_figures() {
        assert_eq!(
            Key::from_bytes(&[1; 31]).unwrap_err(),
            KeyError::TooShort { len: 31, min: 32 }
        );
        assert_eq!(
            Key::from_bytes(&[1; 1025]).unwrap_err(),
            KeyError::TooLong {
                len: 1025,
                max: 1024
            }
        );
        assert!(Key::from_bytes(&[1; 32]).is_ok());
    }

    #[test]
    fn key_id_depends_on_material_only() {
        let a = Key::from_bytes(&[1; 32]).unwrap();
        let b = Key::from_bytes(&[1; 32]).unwrap();
        let c = Key::from_bytes(&[2; 32]).unwrap();
        assert_eq!(a.id(), b.id());
        assert_ne!(a.id(), c.id());
    }

    #[test]
    fn debug_prints_no_key_bytes() {
        let key = Key::from_bytes(&[0xab; 32]).unwrap();
        let ring = Keyring::new(key.clone());
        for text in [
            format!("{key:?}"),
            format!("{ring:?}"),
            format!("{ring:#?}"),
        ] {
            assert!(!text.contains("171"), "{text}");
            assert!(!text.to_lowercase().contains("abab"), "{text}");
            assert!(!text.contains(&*key.to_base64()), "{text}");
        }
    }

    #[test]
    fn base64_list_keeps_order_and_rejects_bad_items() {
        let a = Key::from_bytes(&[1; 32]).unwrap();
        let b = Key::from_bytes(&[2; 32]).unwrap();
        let list = format!(" {} , {} ,", &*a.to_base64(), &*b.to_base64());
        let ring = Keyring::from_base64_list(&list).unwrap();
        assert_eq!(ring.primary(), &a);
        assert_eq!(ring.accepted().next(), Some(&b));
        assert_eq!(
            Keyring::from_base64_list(" , ").unwrap_err(),
            KeyError::Empty
        );
        assert_eq!(
            Keyring::from_base64_list("not base64!").unwrap_err(),
            KeyError::InvalidBase64
        );
    }

    #[test]
    fn duplicate_ids_are_found() {
        let a = Key::from_bytes(&[1; 32]).unwrap();
        let ring = Keyring::new(a.clone()).with_accepted(a.clone());
        assert_eq!(ring.duplicate_key_id(), Some(a.id()));
    }
}
