//! Keys reloaded while the server runs: a thread reads the keyring file every
//! interval and, when its bytes changed and load, puts a codec for the new keyring
//! in place for the requests that follow (an atomic swap: requests take no lock).
//! A file that fails to load leaves the keys in use, and the log says why. The
//! thread ends with the last handle on the layer.

use std::path::{Path, PathBuf};
use std::sync::Weak;
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::layer::Shared;
use crate::keyfile::{KeyfileFormat, KeyringFile, MaskedPath};

/// Shortest reload interval accepted.
pub const MIN_RELOAD_INTERVAL: Duration = Duration::from_millis(100);

/// The file's digest, so that a change is seen whatever the file system's clock.
fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Starts watching `path` for `shared`; `loaded` is the digest of the text the
/// layer was built with, if known.
pub(crate) fn watch(shared: Weak<Shared>, path: PathBuf, every: Duration) {
    let initial = std::fs::read(&path)
        .ok()
        .map(|bytes| digest(&Zeroizing::new(bytes)));
    let spawned = std::thread::Builder::new()
        .name("sealed-cookie-keyring-reload".into())
        .spawn(move || {
            let mut seen = initial;
            loop {
                std::thread::sleep(every);
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                seen = check(&shared, &path, seen);
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "keyring reload could not start: keys are read only at startup");
    }
}

/// Reloads when the file's text changed since `seen`; returns what was seen now.
fn check(shared: &Shared, path: &Path, seen: Option<[u8; 32]>) -> Option<[u8; 32]> {
    let shown = MaskedPath::new(path);
    let text = match std::fs::read_to_string(path) {
        Ok(text) => Zeroizing::new(text),
        Err(error) => {
            tracing::warn!(file = %shown, %error, "keyring file unreadable; keeping the keys in use");
            return seen;
        }
    };
    let now = digest(text.as_bytes());
    if seen == Some(now) {
        return seen;
    }
    let format = KeyfileFormat::from_path(path).unwrap_or_else(|| KeyfileFormat::sniff(&text));
    match KeyringFile::parse(&text, format) {
        Ok(file) => {
            let keys: Vec<String> = file
                .entries()
                .iter()
                .map(|entry| format!("{} {}", entry.key.id(), entry.role.as_str()))
                .collect();
            shared.replace_keyring(file.keyring());
            tracing::info!(file = %shown, keys = %keys.join(", "), "keyring reloaded");
        }
        Err(error) => {
            tracing::warn!(file = %shown, %error, "keyring file did not load; keeping the keys in use");
        }
    }
    // A file that failed is not read again until it changes.
    Some(now)
}
