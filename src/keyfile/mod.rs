//! Keyring files (TOML or JSON) and the `SEALED_COOKIE_KEYS` environment variable.
//!
//! A keyring file lists every key with its role: exactly one `primary` key, which
//! seals and opens, and any number of `accepted` keys, which only open. The same file
//! serves the command-line tool (`sealed-cookie keyring ...`) and the web layer.
//!
//! TOML (the format is chosen by the file extension, `.json` for JSON; any other
//! extension is read as JSON when the text starts with `{`, else as TOML):
//!
//! ```toml
//! # sealed-cookie keyring
//! version = 1
//!
//! [[keys]]
//! id = "3f5a9c01"             # informational; checked against the key when present
//! role = "primary"
//! key = "<43 characters of base64url>"
//! added = 1764000000          # optional, seconds since the Unix epoch
//!
//! [[keys]]
//! id = "9be01d44"
//! role = "accepted"
//! key = "<43 characters of base64url>"
//! ```
//!
//! JSON has the same fields: `{"version": 1, "keys": [{"id": ..., "role": ..., "key": ...}]}`.
//!
//! Key material is held zeroized on drop, never printed by `Debug` or by an error
//! message (parse errors that quote a key-like string are redacted), and files are
//! written with mode `0600` on Unix, atomically (a new temporary file renamed over
//! the old one). Editors lock the file with [`KeyringLock`].
//!
//! ```
//! use sealed_cookie::Key;
//! use sealed_cookie::keyfile::{KeyfileFormat, KeyringFile};
//!
//! let old = Key::generate()?;
//! let new = Key::generate()?;
//! let mut file = KeyringFile::new(old.clone());
//! file.add(new.clone(), None)?;        // accept-only on every server first
//! file.promote(new.id())?;             // then seal with it; `old` stays accepted
//! let text = file.to_text(KeyfileFormat::Toml)?;
//! let again = KeyringFile::parse(&text, KeyfileFormat::Toml)?;
//! let ring = again.keyring();
//! assert_eq!(ring.primary().id(), new.id());
//! assert_eq!(ring.accepted().next().map(|k| k.id()), Some(old.id()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::KeyError;
use crate::keyring::{Key, KeyId, Keyring};

mod mask;
mod write;

use mask::*;
pub use mask::{MaskedPath, is_printable_var_name, looks_like_key, var_name_for_message};
// The web layer masks its own configuration messages the same way.
#[cfg(feature = "web")]
pub(crate) use mask::{line_col, mask_runs};
pub use write::KeyringLock;
use write::*;

/// Environment variable holding comma-separated base64url keys, primary first.
pub const KEYS_ENV: &str = "SEALED_COOKIE_KEYS";
/// Environment variable holding the path of a keyring file.
pub const KEYRING_ENV: &str = "SEALED_COOKIE_KEYRING";
/// The keyring file format version this module reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Text format of a keyring file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyfileFormat {
    /// TOML, an array of `[[keys]]` tables.
    Toml,
    /// JSON, an object with a `keys` array.
    Json,
}

impl KeyfileFormat {
    /// The format a path's extension names: `.json` is JSON, `.toml` is TOML, any
    /// other is `None` (decided from the content when reading, TOML when writing).
    ///
    /// ```
    /// use sealed_cookie::keyfile::KeyfileFormat;
    /// assert_eq!(KeyfileFormat::from_path("keys.JSON".as_ref()), Some(KeyfileFormat::Json));
    /// assert_eq!(KeyfileFormat::from_path("keys".as_ref()), None);
    /// ```
    #[must_use]
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Self::Json),
            "toml" => Some(Self::Toml),
            _ => None,
        }
    }

    /// Guesses the format of a text: JSON when the first non-blank character is `{`.
    #[must_use]
    pub fn sniff(text: &str) -> Self {
        if text.trim_start().starts_with('{') {
            Self::Json
        } else {
            Self::Toml
        }
    }

    /// `"toml"` or `"json"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Toml => "toml",
            Self::Json => "json",
        }
    }
}

impl fmt::Display for KeyfileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a key in a keyring file does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyRole {
    /// Seals and opens. Exactly one key has this role.
    Primary,
    /// Only opens.
    Accepted,
}

impl KeyRole {
    /// `"primary"` or `"accepted"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Accepted => "accepted",
        }
    }
}

impl fmt::Display for KeyRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One key of a keyring file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    /// The key (its `Debug` output is redacted).
    pub key: Key,
    /// Primary or accepted.
    pub role: KeyRole,
    /// When the key was added, seconds since the Unix epoch, if recorded.
    pub added: Option<u64>,
}

/// Why a keyring file or the environment gave no usable keyring. Messages never
/// contain key material.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum KeyfileError {
    /// The file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file (shown in messages only when it names an existing file and does
        /// not look like a key, see [`MaskedPath`]).
        path: MaskedPath,
        /// The operating system's error.
        error: std::io::Error,
    },
    /// The file already exists (when creating a new keyring).
    #[error("{0}: already exists; refusing to overwrite a keyring")]
    AlreadyExists(PathBuf),
    /// The text is not valid TOML or JSON of the keyring shape.
    #[error("invalid {format} keyring{}: {message}", location.map(|(l, c)| format!(" at line {l}, column {c}")).unwrap_or_default())]
    Parse {
        /// The format it was read as.
        format: KeyfileFormat,
        /// Line and column (1-based), when known.
        location: Option<(usize, usize)>,
        /// What is wrong. Quoted text from the file is replaced by its length
        /// unless it is a field or role name of the format.
        message: String,
    },
    /// The file states a format version this library does not know.
    #[error("keyring format version {0} is not supported (expected {FORMAT_VERSION})")]
    UnsupportedVersion(u32),
    /// The file lists no key at all.
    #[error("the keyring lists no key: add one primary key")]
    Empty,
    /// No key has the role `primary`.
    #[error("the keyring has no primary key: exactly one key must have role \"primary\"")]
    NoPrimary,
    /// More than one key has the role `primary`.
    #[error("the keyring has {0} primary keys: exactly one key must have role \"primary\"")]
    SeveralPrimaries(usize),
    /// A key's material is unusable.
    #[error("key #{index} (counting from 1): {error}")]
    Key {
        /// Position in the file, from 1.
        index: usize,
        /// Why the key was refused.
        error: KeyError,
    },
    /// A key's stated `id` does not match its material (a copy-paste mistake).
    #[error("key #{index} (counting from 1) states id {stated} but its material has id {actual}")]
    IdMismatch {
        /// Position in the file, from 1.
        index: usize,
        /// The `id` written in the file.
        stated: String,
        /// The id derived from the key.
        actual: KeyId,
    },
    /// A key's stated `id` is not 8 hex digits, so it is not shown (it may be a key
    /// pasted into the wrong field).
    #[error(
        "key #{index} (counting from 1) has an id of {len} characters that is not 8 hex digits (not shown in case it is a key); its material has id {actual}: write id = \"{actual}\" or remove the id"
    )]
    InvalidId {
        /// Position in the file, from 1.
        index: usize,
        /// Length of the stated id, in characters.
        len: usize,
        /// The id derived from the key.
        actual: KeyId,
    },
    /// Two keys share a key id (the same key listed twice, or a collision).
    #[error("key id {0} is listed twice")]
    DuplicateKeyId(KeyId),
    /// No key with this id is in the keyring.
    #[error("no key with id {0} in the keyring")]
    UnknownKeyId(String),
    /// A key id was asked for in a form no key id has; it is not shown (it may be
    /// a key pasted by mistake).
    #[error(
        "the key id given ({0} characters, not shown in case it is a key) is not a key id: give 8 hex digits, or a unique prefix of 4 or more"
    )]
    MalformedKeyId(usize),
    /// The primary key cannot be retired: promote another key first.
    #[error("key {0} is the primary key: promote another key before retiring it")]
    RetirePrimary(KeyId),
    /// `SEALED_COOKIE_KEYS` is set but does not hold a usable list of keys.
    #[error("{KEYS_ENV}: {0}")]
    Env(KeyError),
    /// An environment variable is not valid UTF-8.
    #[error("{0} is not valid UTF-8")]
    EnvNotUnicode(&'static str),
    /// A keyring file and a keys variable are both set (for the tool:
    /// `SEALED_COOKIE_KEYRING` and `SEALED_COOKIE_KEYS` with no `--keyring`), so
    /// which keys are meant is unclear. Raised by [`check_single_source`], for the
    /// tool and the web layer alike.
    #[error("both {file} and {keys} are set: unset one of them")]
    AmbiguousEnv {
        /// The setting that names the keyring file.
        file: String,
        /// The variable that holds keys (its name only when shaped like one).
        keys: String,
    },
    /// No keyring path was given and neither environment variable is set.
    #[error(
        "no keys: give a keyring file, or set {KEYRING_ENV} (a path) or {KEYS_ENV} (base64url keys, primary first)"
    )]
    NoSource,
}

/// Where a keyring comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A keyring file.
    File(PathBuf),
    /// The `SEALED_COOKIE_KEYS` environment variable.
    KeysEnv,
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", MaskedPath::new(path)),
            Self::KeysEnv => f.write_str(KEYS_ENV),
        }
    }
}

/// The serialized shape of a keyring file.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[zeroize(skip)]
    version: Option<u32>,
    #[serde(default)]
    keys: Vec<RawKey>,
}

#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct RawKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[zeroize(skip)]
    role: KeyRole,
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    added: Option<u64>,
}

/// A keyring file in memory: keys with their roles, in file order.
///
/// Invariants, checked by every constructor and method: at least one key, exactly
/// one primary, no key id twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringFile {
    entries: Vec<KeyEntry>,
}

impl KeyringFile {
    /// A keyring file holding only `primary`.
    #[must_use]
    pub fn new(primary: Key) -> Self {
        Self {
            entries: vec![KeyEntry {
                key: primary,
                role: KeyRole::Primary,
                added: None,
            }],
        }
    }

    /// A keyring file holding only `primary`, recorded as added at `added`
    /// (seconds since the Unix epoch).
    #[must_use]
    pub fn with_added(primary: Key, added: u64) -> Self {
        let mut file = Self::new(primary);
        file.entries[0].added = Some(added);
        file
    }

    /// Builds from entries, checking the invariants.
    ///
    /// # Errors
    /// [`KeyfileError::Empty`], [`KeyfileError::NoPrimary`],
    /// [`KeyfileError::SeveralPrimaries`] or [`KeyfileError::DuplicateKeyId`].
    pub fn from_entries(entries: Vec<KeyEntry>) -> Result<Self, KeyfileError> {
        let file = Self { entries };
        file.check()?;
        Ok(file)
    }

    fn check(&self) -> Result<(), KeyfileError> {
        if self.entries.is_empty() {
            return Err(KeyfileError::Empty);
        }
        let primaries = self
            .entries
            .iter()
            .filter(|e| e.role == KeyRole::Primary)
            .count();
        match primaries {
            0 => return Err(KeyfileError::NoPrimary),
            1 => {}
            n => return Err(KeyfileError::SeveralPrimaries(n)),
        }
        let mut ids: Vec<KeyId> = self.entries.iter().map(|e| e.key.id()).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(KeyfileError::DuplicateKeyId(w[0]));
        }
        Ok(())
    }

    /// Parses the text of a keyring file.
    ///
    /// # Errors
    /// [`KeyfileError::Parse`] for text that is not a keyring,
    /// [`KeyfileError::UnsupportedVersion`], [`KeyfileError::Key`] for unusable key
    /// material, [`KeyfileError::InvalidId`], [`KeyfileError::IdMismatch`], and the invariant errors of
    /// [`KeyringFile::from_entries`].
    pub fn parse(text: &str, format: KeyfileFormat) -> Result<Self, KeyfileError> {
        let raw: RawFile = match format {
            KeyfileFormat::Toml => toml::from_str(text).map_err(|e| KeyfileError::Parse {
                format,
                location: e.span().map(|span| line_col(text, span.start)),
                message: mask_parse_message(e.message()),
            })?,
            KeyfileFormat::Json => serde_json::from_str(text).map_err(|e| {
                let message = e.to_string();
                // serde_json appends " at line L column C"; keep our own location.
                let message = message
                    .rsplit_once(" at line ")
                    .map_or(message.as_str(), |(m, _)| m)
                    .to_owned();
                KeyfileError::Parse {
                    format,
                    location: (e.line() > 0).then(|| (e.line(), e.column())),
                    message: mask_parse_message(&message),
                }
            })?,
        };
        if let Some(version) = raw.version
            && version != FORMAT_VERSION
        {
            return Err(KeyfileError::UnsupportedVersion(version));
        }
        let mut entries = Vec::with_capacity(raw.keys.len());
        for (i, item) in raw.keys.iter().enumerate() {
            let index = i + 1;
            let key =
                Key::from_base64(&item.key).map_err(|error| KeyfileError::Key { index, error })?;
            if let Some(stated) = &item.id {
                let stated = stated.trim();
                let well_formed =
                    stated.len() == 8 && stated.bytes().all(|b| b.is_ascii_hexdigit());
                if !well_formed {
                    return Err(KeyfileError::InvalidId {
                        index,
                        len: stated.chars().count(),
                        actual: key.id(),
                    });
                }
                if u32::from_str_radix(stated, 16).ok() != Some(key.id().0) {
                    return Err(KeyfileError::IdMismatch {
                        index,
                        stated: stated.to_owned(),
                        actual: key.id(),
                    });
                }
            }
            entries.push(KeyEntry {
                key,
                role: item.role,
                added: item.added,
            });
        }
        Self::from_entries(entries)
    }

    /// Reads a keyring file. The format comes from the extension
    /// ([`KeyfileFormat::from_path`]) or else from the content ([`KeyfileFormat::sniff`]).
    ///
    /// # Errors
    /// [`KeyfileError::Io`] when the file cannot be read, or the errors of
    /// [`KeyringFile::parse`].
    pub fn load(path: &Path) -> Result<Self, KeyfileError> {
        let text = Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| KeyfileError::io(path, source))?,
        );
        let format = KeyfileFormat::from_path(path).unwrap_or_else(|| KeyfileFormat::sniff(&text));
        Self::parse(&text, format)
    }

    /// The file's text in `format`, with each key's id written beside it. The text
    /// holds key material and is zeroized on drop.
    ///
    /// # Errors
    /// [`KeyfileError::Parse`] if the serializer fails (it does not for valid files).
    pub fn to_text(&self, format: KeyfileFormat) -> Result<Zeroizing<String>, KeyfileError> {
        let raw = RawFile {
            version: Some(FORMAT_VERSION),
            keys: self
                .entries
                .iter()
                .map(|e| RawKey {
                    id: Some(e.key.id().to_string()),
                    role: e.role,
                    key: e.key.to_base64().to_string(),
                    added: e.added,
                })
                .collect(),
        };
        let fail = |message: String| KeyfileError::Parse {
            format,
            location: None,
            message,
        };
        let text = match format {
            KeyfileFormat::Toml => {
                let body = Zeroizing::new(toml::to_string(&raw).map_err(|e| fail(e.to_string()))?);
                format!(
                    "# sealed-cookie keyring: one primary key seals, accepted keys only open.\n\
                     # Secret: keep this file readable by the service account only.\n{}",
                    body.as_str()
                )
            }
            KeyfileFormat::Json => {
                let mut body =
                    serde_json::to_string_pretty(&raw).map_err(|e| fail(e.to_string()))?;
                body.push('\n');
                body
            }
        };
        Ok(Zeroizing::new(text))
    }

    /// Writes the file atomically: a new temporary file with a random name in the
    /// same directory (created exclusively, so nothing planted there is reused or
    /// followed, mode `0600` on Unix) is written, synced and renamed over `path`, and
    /// the directory is synced. The temporary file is removed on any failure. The
    /// format comes from the extension, TOML when it names none.
    ///
    /// Saving does not lock: a read-modify-write that other processes may run at the
    /// same time holds a [`KeyringLock`] from before loading until after saving.
    ///
    /// # Errors
    /// [`KeyfileError::Io`] when writing fails.
    pub fn save(&self, path: &Path) -> Result<(), KeyfileError> {
        let format = KeyfileFormat::from_path(path).unwrap_or(KeyfileFormat::Toml);
        self.save_as(path, format)
    }

    /// Like [`KeyringFile::save`] with an explicit format.
    ///
    /// # Errors
    /// [`KeyfileError::Io`] when writing fails.
    pub fn save_as(&self, path: &Path, format: KeyfileFormat) -> Result<(), KeyfileError> {
        let text = self.to_text(format)?;
        let io = |source| KeyfileError::io(path, source);
        let (dir, file_name) = split_file_path(path).map_err(io)?;
        let (tmp, mut file) = create_temp(&dir, file_name, random_suffix).map_err(io)?;
        let result = write_synced(&mut file, text.as_bytes())
            .and_then(|()| {
                drop(file);
                std::fs::rename(&tmp, path)
            })
            .and_then(|()| sync_dir(&dir));
        if result.is_err() {
            // Harmless after a successful rename: the name is gone then.
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(io)
    }

    /// Writes a new file, failing if `path` exists (mode `0600` on Unix).
    ///
    /// # Errors
    /// [`KeyfileError::AlreadyExists`], or [`KeyfileError::Io`] when writing fails.
    pub fn create(&self, path: &Path) -> Result<(), KeyfileError> {
        let format = KeyfileFormat::from_path(path).unwrap_or(KeyfileFormat::Toml);
        self.create_as(path, format)
    }

    /// Like [`KeyringFile::create`] with an explicit format.
    ///
    /// # Errors
    /// [`KeyfileError::AlreadyExists`], or [`KeyfileError::Io`] when writing fails.
    pub fn create_as(&self, path: &Path, format: KeyfileFormat) -> Result<(), KeyfileError> {
        let text = self.to_text(format)?;
        let (dir, _) = split_file_path(path).map_err(|source| KeyfileError::io(path, source))?;
        write_private(path, text.as_bytes())
            .and_then(|()| sync_dir(&dir))
            .map_err(|source| {
                if source.kind() == std::io::ErrorKind::AlreadyExists {
                    KeyfileError::AlreadyExists(path.to_owned())
                } else {
                    KeyfileError::io(path, source)
                }
            })
    }

    /// The keys in file order.
    #[must_use]
    pub fn entries(&self) -> &[KeyEntry] {
        &self.entries
    }

    /// The primary key.
    #[must_use]
    pub fn primary(&self) -> &Key {
        &self
            .entries
            .iter()
            .find(|e| e.role == KeyRole::Primary)
            .expect("a keyring file always has a primary key")
            .key
    }

    /// The keyring a codec uses: the primary key, then the accepted keys in file order.
    #[must_use]
    pub fn keyring(&self) -> Keyring {
        self.entries
            .iter()
            .filter(|e| e.role == KeyRole::Accepted)
            .fold(Keyring::new(self.primary().clone()), |ring, e| {
                ring.with_accepted(e.key.clone())
            })
    }

    /// Finds a key by its id, written as 8 hex digits (a unique prefix of at least
    /// 4 digits is accepted too).
    ///
    /// # Errors
    /// [`KeyfileError::UnknownKeyId`] when no key (or several) match,
    /// [`KeyfileError::MalformedKeyId`] when `id` is not 4 to 8 hex digits.
    pub fn find(&self, id: &str) -> Result<KeyId, KeyfileError> {
        let wanted = id.trim().to_ascii_lowercase();
        if wanted.len() < 4 || wanted.len() > 8 || !wanted.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(KeyfileError::MalformedKeyId(id.trim().chars().count()));
        }
        let unknown = || KeyfileError::UnknownKeyId(wanted.clone());
        let mut matches = self
            .entries
            .iter()
            .map(|e| e.key.id())
            .filter(|kid| kid.to_string().starts_with(&wanted));
        match (matches.next(), matches.next()) {
            (Some(kid), None) => Ok(kid),
            _ => Err(unknown()),
        }
    }

    fn position(&self, id: KeyId) -> Result<usize, KeyfileError> {
        self.entries
            .iter()
            .position(|e| e.key.id() == id)
            .ok_or_else(|| KeyfileError::UnknownKeyId(id.to_string()))
    }

    /// Adds an accept-only key, recorded as added at `added` (Unix seconds) if given.
    ///
    /// # Errors
    /// [`KeyfileError::DuplicateKeyId`] when a key with the same id is present.
    pub fn add(&mut self, key: Key, added: Option<u64>) -> Result<KeyId, KeyfileError> {
        let id = key.id();
        if self.entries.iter().any(|e| e.key.id() == id) {
            return Err(KeyfileError::DuplicateKeyId(id));
        }
        self.entries.push(KeyEntry {
            key,
            role: KeyRole::Accepted,
            added,
        });
        Ok(id)
    }

    /// Makes the key `id` primary; the former primary stays as an accepted key.
    /// Promoting the current primary changes nothing.
    ///
    /// # Errors
    /// [`KeyfileError::UnknownKeyId`].
    pub fn promote(&mut self, id: KeyId) -> Result<(), KeyfileError> {
        let at = self.position(id)?;
        for entry in &mut self.entries {
            entry.role = KeyRole::Accepted;
        }
        self.entries[at].role = KeyRole::Primary;
        Ok(())
    }

    /// Removes the accepted key `id`: cookies sealed with it are rejected from then on.
    ///
    /// # Errors
    /// [`KeyfileError::UnknownKeyId`], or [`KeyfileError::RetirePrimary`] for the primary key.
    pub fn retire(&mut self, id: KeyId) -> Result<Key, KeyfileError> {
        let at = self.position(id)?;
        if self.entries[at].role == KeyRole::Primary {
            return Err(KeyfileError::RetirePrimary(id));
        }
        Ok(self.entries.remove(at).key)
    }
}

impl KeyfileError {
    /// The message without the path, for a caller that names the file itself.
    #[cfg(feature = "web")]
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::Io { error, .. } => error.to_string(),
            other => other.to_string(),
        }
    }

    /// [`KeyfileError::Io`] for `path`.
    #[must_use]
    pub fn io(path: &Path, error: std::io::Error) -> Self {
        Self::Io {
            path: MaskedPath::new(path),
            error,
        }
    }
}

/// Parses the value of `SEALED_COOKIE_KEYS`: comma-separated base64url keys,
/// primary first.
///
/// # Errors
/// [`KeyfileError::Env`] for an empty list or unusable key, and
/// [`KeyfileError::DuplicateKeyId`] when a key is listed twice.
///
/// ```
/// use sealed_cookie::Key;
/// use sealed_cookie::keyfile::keyring_from_keys;
/// let (a, b) = (Key::generate()?, Key::generate()?);
/// let ring = keyring_from_keys(&format!("{},{}", &*a.to_base64(), &*b.to_base64()))?;
/// assert_eq!(ring.primary(), &a);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn keyring_from_keys(list: &str) -> Result<Keyring, KeyfileError> {
    let ring = Keyring::from_base64_list(list).map_err(KeyfileError::Env)?;
    if let Some(id) = ring.duplicate_key_id() {
        return Err(KeyfileError::DuplicateKeyId(id));
    }
    Ok(ring)
}

/// Decides where the keys come from: `path` when given, else the file named by
/// `SEALED_COOKIE_KEYRING`, else `SEALED_COOKIE_KEYS`. `env` looks up a variable
/// (pass `std::env::var_os` in a program, a map in a test).
///
/// # Errors
/// [`KeyfileError::AmbiguousEnv`] when both variables are set and no path is given
/// (see [`check_single_source`]),
/// [`KeyfileError::NoSource`] when none of the three is there.
pub fn resolve_source(
    path: Option<&Path>,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<KeySource, KeyfileError> {
    if let Some(path) = path {
        return Ok(KeySource::File(path.to_owned()));
    }
    let file = env(KEYRING_ENV).filter(|v| !v.is_empty());
    if file.is_some() {
        check_single_source(KEYRING_ENV, KEYS_ENV, &env)?;
    }
    match file {
        Some(file) => Ok(KeySource::File(PathBuf::from(file))),
        None if env(KEYS_ENV).is_some_and(|v| !v.is_empty()) => Ok(KeySource::KeysEnv),
        None => Err(KeyfileError::NoSource),
    }
}

/// The rule the tool and the web layer share: when a keyring file is set (by the
/// setting `file_setting`), the variable `keys_var` must not hold keys as well.
/// `env` looks up a variable.
///
/// ```
/// use sealed_cookie::keyfile::{KEYRING_ENV, KEYS_ENV, check_single_source};
/// let env = |name: &str| (name == KEYS_ENV).then(|| "k".into());
/// let error = check_single_source(KEYRING_ENV, KEYS_ENV, env).unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "both SEALED_COOKIE_KEYRING and SEALED_COOKIE_KEYS are set: unset one of them"
/// );
/// assert!(check_single_source(KEYRING_ENV, "APP_UNSET_KEYS", env).is_ok());
/// ```
///
/// # Errors
/// [`KeyfileError::AmbiguousEnv`] when `keys_var` is set and not empty.
pub fn check_single_source(
    file_setting: &str,
    keys_var: &str,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<(), KeyfileError> {
    if env(keys_var).is_some_and(|v| !v.is_empty()) {
        return Err(KeyfileError::AmbiguousEnv {
            file: file_setting.to_owned(),
            keys: var_name_for_message("keys_env", keys_var),
        });
    }
    Ok(())
}

/// The warning the tool and the web layer give when the keyring file at `path`
/// can be read or written by users other than its owner (Unix modes; `None`
/// elsewhere, and when the file is private or cannot be examined).
///
/// ```
/// # #[cfg(unix)] {
/// use std::os::unix::fs::PermissionsExt as _;
/// use sealed_cookie::keyfile::permissions_warning;
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("keyring.toml");
/// std::fs::write(&path, "")?;
/// std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640))?;
/// let warning = permissions_warning(&path).unwrap();
/// assert!(warning.ends_with("is accessible to other users (mode 640); run chmod 600 on it"));
/// std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
/// assert_eq!(permissions_warning(&path), None);
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use]
pub fn permissions_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "{} is accessible to other users (mode {mode:o}); run chmod 600 on it",
                MaskedPath::new(path)
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Loads the keyring from `source`, reading `SEALED_COOKIE_KEYS` through `env`.
///
/// # Errors
/// The errors of [`KeyringFile::load`] or [`keyring_from_keys`].
pub fn load_source(
    source: &KeySource,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<Keyring, KeyfileError> {
    match source {
        KeySource::File(path) => Ok(KeyringFile::load(path)?.keyring()),
        KeySource::KeysEnv => {
            let value = env(KEYS_ENV)
                .unwrap_or_default()
                .into_string()
                .map_err(|_| KeyfileError::EnvNotUnicode(KEYS_ENV))?;
            let text = Zeroizing::new(value);
            keyring_from_keys(&text)
        }
    }
}

/// Loads the keyring a server or tool should use: from `path` when given, else from
/// the file named by `SEALED_COOKIE_KEYRING`, else from `SEALED_COOKIE_KEYS`.
///
/// # Errors
/// The errors of [`resolve_source`] and [`load_source`].
///
/// ```no_run
/// let ring = sealed_cookie::keyfile::load_keyring(Some("/etc/myapp/keyring.toml".as_ref()))?;
/// # Ok::<(), sealed_cookie::keyfile::KeyfileError>(())
/// ```
pub fn load_keyring(path: Option<&Path>) -> Result<Keyring, KeyfileError> {
    let source = resolve_source(path, |name| std::env::var_os(name))?;
    load_source(&source, |name| std::env::var_os(name))
}

debug_as_message!(KeyfileError);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn key(b: u8) -> Key {
        Key::from_bytes(&[b; 32]).unwrap()
    }

    fn b64(k: &Key) -> String {
        k.to_base64().to_string()
    }

    #[test]
    fn toml_and_json_round_trip_with_roles_and_ids() {
        let mut file = KeyringFile::with_added(key(1), 1_700_000_000);
        file.add(key(2), Some(1_700_000_100)).unwrap();
        for format in [KeyfileFormat::Toml, KeyfileFormat::Json] {
            let text = file.to_text(format).unwrap();
            assert!(text.contains(&key(1).id().to_string()), "{}", *text);
            assert_eq!(KeyfileFormat::sniff(&text), format);
            let back = KeyringFile::parse(&text, format).unwrap();
            assert_eq!(back, file);
            let ring = back.keyring();
            assert_eq!(ring.primary(), &key(1));
            assert_eq!(ring.accepted().collect::<Vec<_>>(), vec![&key(2)]);
        }
    }

    #[test]
    fn hand_written_toml_without_ids_is_read() {
        let text = format!(
            "[[keys]]\nrole = \"accepted\"\nkey = \"{}\"\n\n[[keys]]\nrole = \"primary\"\nkey = \"{}\"\n",
            b64(&key(3)),
            b64(&key(4))
        );
        let file = KeyringFile::parse(&text, KeyfileFormat::Toml).unwrap();
        assert_eq!(file.primary(), &key(4));
        assert_eq!(file.keyring().accepted().next(), Some(&key(3)));
        assert_eq!(file.entries()[0].added, None);
    }

    #[test]
    fn structural_errors_are_named() {
        let one =
            |role: &str, k: &Key| format!("[[keys]]\nrole = \"{role}\"\nkey = \"{}\"\n", b64(k));
        type Check = fn(&KeyfileError) -> bool;
        let cases: Vec<(String, Check)> = vec![
            (String::new(), |e| matches!(e, KeyfileError::Empty)),
            (one("accepted", &key(1)), |e| {
                matches!(e, KeyfileError::NoPrimary)
            }),
            (one("primary", &key(1)) + &one("primary", &key(2)), |e| {
                matches!(e, KeyfileError::SeveralPrimaries(2))
            }),
            (one("primary", &key(1)) + &one("accepted", &key(1)), |e| {
                matches!(e, KeyfileError::DuplicateKeyId(_))
            }),
            ("version = 2\n".to_owned() + &one("primary", &key(1)), |e| {
                matches!(e, KeyfileError::UnsupportedVersion(2))
            }),
            (
                "[[keys]]\nrole = \"primary\"\nkey = \"AAAA\"\n".to_owned(),
                |e| {
                    matches!(
                        e,
                        KeyfileError::Key {
                            index: 1,
                            error: KeyError::TooShort { len: 3, .. }
                        }
                    )
                },
            ),
            (
                "[[keys]]\nrole = \"primary\"\nkey = \"not base64!\"\n".to_owned(),
                |e| {
                    matches!(
                        e,
                        KeyfileError::Key {
                            index: 1,
                            error: KeyError::InvalidBase64
                        }
                    )
                },
            ),
            (one("boss", &key(1)), |e| {
                matches!(e, KeyfileError::Parse { .. })
            }),
            (one("primary", &key(1)) + "colour = 1\n", |e| {
                matches!(e, KeyfileError::Parse { .. })
            }),
            ("[[keys]\n".to_owned(), |e| {
                matches!(
                    e,
                    KeyfileError::Parse {
                        location: Some((1, _)),
                        ..
                    }
                )
            }),
        ];
        for (text, expected) in cases {
            let err = KeyringFile::parse(&text, KeyfileFormat::Toml).unwrap_err();
            assert!(expected(&err), "{text:?} gave {err:?}");
        }
    }

    #[test]
    fn wrong_stated_id_is_caught() {
        let text = format!(
            "[[keys]]\nid = \"{}\"\nrole = \"primary\"\nkey = \"{}\"\n",
            key(2).id(),
            b64(&key(1))
        );
        let err = KeyringFile::parse(&text, KeyfileFormat::Toml).unwrap_err();
        assert!(
            matches!(&err, KeyfileError::IdMismatch { index: 1, actual, .. } if *actual == key(1).id()),
            "{err:?}"
        );
    }

    #[test]
    fn errors_never_echo_key_material() {
        let secret = b64(&key(9));
        // A key pasted into the `role` or `id` field, and a JSON type error.
        let texts = [
            (
                format!("[[keys]]\nrole = \"{secret}\"\nkey = \"{secret}\"\n"),
                KeyfileFormat::Toml,
            ),
            (
                format!("[[keys]]\nid = \"{secret}\"\nrole = \"primary\"\nkey = \"{secret}\"\n"),
                KeyfileFormat::Toml,
            ),
            (
                format!("{{\"keys\": [{{\"role\": \"{secret}\", \"key\": \"{secret}\"}}]}}"),
                KeyfileFormat::Json,
            ),
            (
                format!(
                    "{{\"keys\": [{{\"role\": \"primary\", \"key\": \"{secret}\", \"x\": 1}}]}}"
                ),
                KeyfileFormat::Json,
            ),
        ];
        for (text, format) in texts {
            let err = KeyringFile::parse(&text, format).unwrap_err();
            let shown = format!("{err} / {err:?}");
            assert!(!shown.contains(&secret[..20]), "{shown}");
        }
        assert_eq!(
            mask_parse_message("x \"abcdefghijklmnopqrstuvwxyz\" y"),
            "x (26 characters, not shown) y"
        );
        assert_eq!(
            mask_parse_message("unknown variant `boss`, expected `primary` or `accepted`"),
            "unknown variant (4 characters, not shown), expected `primary` or `accepted`"
        );
    }

    #[test]
    fn json_parse_errors_have_a_location() {
        let err = KeyringFile::parse("{\n  \"keys\": [\n  }", KeyfileFormat::Json).unwrap_err();
        assert!(
            matches!(
                err,
                KeyfileError::Parse {
                    format: KeyfileFormat::Json,
                    location: Some((3, _)),
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn add_promote_retire() {
        let mut file = KeyringFile::new(key(1));
        let k2 = file.add(key(2), None).unwrap();
        assert!(
            matches!(file.add(key(2), None), Err(KeyfileError::DuplicateKeyId(id)) if id == k2)
        );
        file.promote(k2).unwrap();
        assert_eq!(file.primary(), &key(2));
        let ring = file.keyring();
        assert_eq!(ring.primary(), &key(2));
        assert_eq!(ring.accepted().next(), Some(&key(1)));
        assert!(matches!(
            file.retire(k2),
            Err(KeyfileError::RetirePrimary(_))
        ));
        assert_eq!(file.retire(key(1).id()).unwrap(), key(1));
        assert_eq!(file.entries().len(), 1);
        assert!(matches!(
            file.retire(key(1).id()),
            Err(KeyfileError::UnknownKeyId(_))
        ));
        assert!(matches!(
            file.promote(key(7).id()),
            Err(KeyfileError::UnknownKeyId(_))
        ));
        // Promoting the primary again is harmless.
        file.promote(k2).unwrap();
        assert_eq!(file.entries().len(), 1);
        assert_eq!(file.entries()[0].role, KeyRole::Primary);
    }

    #[test]
    fn find_accepts_full_ids_and_unique_prefixes() {
        let mut file = KeyringFile::new(key(1));
        file.add(key(2), None).unwrap();
        let id = key(2).id().to_string();
        assert_eq!(file.find(&id).unwrap(), key(2).id());
        assert_eq!(file.find(&id.to_uppercase()).unwrap(), key(2).id());
        assert_eq!(file.find(&id[..6]).unwrap(), key(2).id());
        assert!(file.find(&id[..3]).is_err());
        assert!(file.find("zzzzzzzz").is_err());
        assert!(file.find(&format!("{id}0")).is_err());
    }

    #[test]
    fn files_are_saved_atomically_private_and_in_the_extension_format() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = KeyringFile::new(key(1));
        let toml_path = dir.path().join("ring.toml");
        let json_path = dir.path().join("ring.json");
        file.create(&toml_path).unwrap();
        assert!(matches!(
            file.create(&toml_path),
            Err(KeyfileError::AlreadyExists(_))
        ));
        file.add(key(2), None).unwrap();
        file.save(&toml_path).unwrap();
        file.save(&json_path).unwrap();
        assert!(
            std::fs::read_to_string(&toml_path)
                .unwrap()
                .contains("[[keys]]")
        );
        assert!(
            std::fs::read_to_string(&json_path)
                .unwrap()
                .trim_start()
                .starts_with('{')
        );
        assert_eq!(KeyringFile::load(&toml_path).unwrap(), file);
        assert_eq!(KeyringFile::load(&json_path).unwrap(), file);
        // No extension: the content decides.
        let bare = dir.path().join("ring");
        std::fs::copy(&json_path, &bare).unwrap();
        assert_eq!(KeyringFile::load(&bare).unwrap(), file);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            for p in [&toml_path, &json_path] {
                let mode = std::fs::metadata(p).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{}", p.display());
            }
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        let missing = KeyringFile::load(&dir.path().join("missing.toml")).unwrap_err();
        assert!(matches!(missing, KeyfileError::Io { .. }), "{missing:?}");
    }

    #[cfg(unix)]
    fn mode_of(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn save_reuses_no_file_and_follows_no_symlink_planted_at_a_predictable_name() {
        use std::os::unix::fs::{PermissionsExt as _, symlink};
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("ring.toml");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap();
        let file = KeyringFile::new(key(1));
        file.create(&target).unwrap();
        // The names an attacker could predict: the former `.<file>.tmp-<pid>` and
        // the lock file's.
        let old_tmp = dir
            .path()
            .join(format!(".ring.toml.tmp-{}", std::process::id()));
        for planted_symlink in [false, true] {
            let _ = std::fs::remove_file(&old_tmp);
            if planted_symlink {
                symlink(&victim, &old_tmp).unwrap();
            } else {
                std::fs::write(&old_tmp, "planted").unwrap();
                std::fs::set_permissions(&old_tmp, std::fs::Permissions::from_mode(0o644)).unwrap();
            }
            let mut file = file.clone();
            file.add(key(if planted_symlink { 3 } else { 2 }), None)
                .unwrap();
            file.save(&target).unwrap();
            assert_eq!(KeyringFile::load(&target).unwrap(), file);
            assert_eq!(mode_of(&target), 0o600, "symlink {planted_symlink}");
            assert!(std::fs::symlink_metadata(&target).unwrap().is_file());
            assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
            if planted_symlink {
                assert!(std::fs::symlink_metadata(&old_tmp).unwrap().is_symlink());
            } else {
                assert_eq!(std::fs::read_to_string(&old_tmp).unwrap(), "planted");
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn temporary_files_are_new_private_and_never_reached_through_a_symlink() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap();
        symlink(&victim, dir.path().join(".ring.toml.tmp-taken")).unwrap();
        symlink(
            dir.path().join("absent"),
            dir.path().join(".ring.toml.tmp-dangling"),
        )
        .unwrap();
        let mut names = ["taken", "dangling", "free"].into_iter();
        let (tmp, mut file) = create_temp(dir.path(), "ring.toml".as_ref(), || {
            Ok(names.next().unwrap().to_owned())
        })
        .unwrap();
        assert_eq!(tmp, dir.path().join(".ring.toml.tmp-free"));
        write_synced(&mut file, b"x").unwrap();
        assert!(std::fs::symlink_metadata(&tmp).unwrap().is_file());
        assert_eq!(mode_of(&tmp), 0o600);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
        assert!(!dir.path().join("absent").exists());
        // Every name taken: an error, nothing followed.
        let error =
            create_temp(dir.path(), "ring.toml".as_ref(), || Ok("taken".to_owned())).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::AlreadyExists);
        // Random names differ.
        assert_ne!(random_suffix().unwrap(), random_suffix().unwrap());
        assert_eq!(random_suffix().unwrap().len(), 16);
    }

    #[test]
    fn a_failed_save_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty directory where the file should go: the rename fails.
        let target = dir.path().join("ring.toml");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), "x").unwrap();
        let error = KeyringFile::new(key(1)).save(&target).unwrap_err();
        assert!(matches!(error, KeyfileError::Io { .. }), "{error:?}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![OsString::from("ring.toml")]);
    }

    #[test]
    fn the_lock_is_exclusive_and_kept_in_a_stable_sibling_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("ring.toml");
        let lock_path = KeyringLock::lock_path(&target).unwrap();
        assert_eq!(lock_path, dir.path().join(".ring.toml.lock"));
        let lock = KeyringLock::acquire(&target).unwrap();
        #[cfg(unix)]
        assert_eq!(mode_of(&lock_path), 0o600);
        let other = std::fs::OpenOptions::new()
            .write(true)
            .open(&lock_path)
            .unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        // Saving (a rename) does not touch the lock file.
        KeyringFile::new(key(1)).save(&target).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(lock);
        other.try_lock().unwrap();
        other.unlock().unwrap();
        // Taken again through the file that is already there.
        drop(KeyringLock::acquire(&target).unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn the_lock_file_is_never_a_symlink() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("ring.toml");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap();
        symlink(&victim, dir.path().join(".ring.toml.lock")).unwrap();
        let error = KeyringLock::acquire(&target).unwrap_err();
        assert!(error.to_string().contains("lock file"), "{error}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
        let dangling = dir.path().join("other.toml");
        symlink(
            dir.path().join("absent"),
            dir.path().join(".other.toml.lock"),
        )
        .unwrap();
        assert!(KeyringLock::acquire(&dangling).is_err());
        assert!(!dir.path().join("absent").exists());
    }

    #[test]
    fn one_source_of_keys_is_the_rule_for_every_caller() {
        let set = |name: &'static str| move |n: &str| (n == name).then(|| OsString::from("k"));
        assert!(check_single_source("keyring_file", KEYS_ENV, |_| None).is_ok());
        assert!(check_single_source("keyring_file", KEYS_ENV, |_| Some(OsString::new())).is_ok());
        let error = check_single_source("keyring_file", "APP_KEYS", set("APP_KEYS")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "both keyring_file and APP_KEYS are set: unset one of them"
        );
        let pasted = "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1";
        let error = check_single_source(KEYRING_ENV, pasted, |_| Some("k".into())).unwrap_err();
        assert!(!error.to_string().contains(pasted), "{error}");
        assert!(!format!("{error:?}").contains(pasted), "{error:?}");
    }

    #[cfg(unix)]
    #[test]
    fn keyring_files_open_to_others_draw_the_shared_warning() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ring.toml");
        KeyringFile::new(key(1)).create(&path).unwrap();
        assert_eq!(permissions_warning(&path), None);
        for (mode, shown) in [
            (0o640, "640"),
            (0o604, "604"),
            (0o602, "602"),
            (0o660, "660"),
        ] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            assert_eq!(
                permissions_warning(&path),
                Some(format!(
                    "{} is accessible to other users (mode {shown}); run chmod 600 on it",
                    path.display()
                ))
            );
        }
        assert_eq!(permissions_warning(&dir.path().join("absent")), None);
    }

    #[test]
    fn sources_resolve_in_order() {
        let env = |pairs: &[(&str, &str)]| {
            let map: HashMap<String, OsString> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
                .collect();
            move |name: &str| map.get(name).cloned()
        };
        let given = Path::new("/x/ring.toml");
        assert_eq!(
            resolve_source(Some(given), env(&[(KEYS_ENV, "k"), (KEYRING_ENV, "/y")])).unwrap(),
            KeySource::File(given.to_owned())
        );
        assert_eq!(
            resolve_source(None, env(&[(KEYRING_ENV, "/y")])).unwrap(),
            KeySource::File("/y".into())
        );
        assert_eq!(
            resolve_source(None, env(&[(KEYS_ENV, "k")])).unwrap(),
            KeySource::KeysEnv
        );
        let both = resolve_source(None, env(&[(KEYS_ENV, "k"), (KEYRING_ENV, "/y")])).unwrap_err();
        assert!(
            matches!(both, KeyfileError::AmbiguousEnv { .. }),
            "{both:?}"
        );
        assert_eq!(
            both.to_string(),
            "both SEALED_COOKIE_KEYRING and SEALED_COOKIE_KEYS are set: unset one of them"
        );
        assert_eq!(
            resolve_source(None, env(&[(KEYS_ENV, ""), (KEYRING_ENV, "/y")])).unwrap(),
            KeySource::File("/y".into())
        );
        assert!(matches!(
            resolve_source(None, env(&[(KEYS_ENV, "")])),
            Err(KeyfileError::NoSource)
        ));

        let list = format!("{},{}", b64(&key(1)), b64(&key(2)));
        let ring = load_source(&KeySource::KeysEnv, env(&[(KEYS_ENV, &list)])).unwrap();
        assert_eq!(ring.primary(), &key(1));
        assert_eq!(ring.len(), 2);
        let twice = format!("{},{}", b64(&key(1)), b64(&key(1)));
        assert!(matches!(
            load_source(&KeySource::KeysEnv, env(&[(KEYS_ENV, &twice)])),
            Err(KeyfileError::DuplicateKeyId(_))
        ));
        let bad = load_source(&KeySource::KeysEnv, env(&[(KEYS_ENV, "AAAA")])).unwrap_err();
        assert!(
            matches!(bad, KeyfileError::Env(KeyError::TooShort { .. })),
            "{bad:?}"
        );
        assert!(bad.to_string().starts_with(KEYS_ENV), "{bad}");
    }
}
