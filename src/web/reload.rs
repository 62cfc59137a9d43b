//! Keys reloaded while the server runs: a thread reads the keyring file every
//! interval and, when its bytes changed (the same on two reads in a row) and load,
//! puts a codec for the new keyring in place for the requests that follow (an
//! atomic swap: requests take no lock).
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

/// Starts watching `path` for `shared`. The first check reads the file as it is
/// then, so a change made while the layer was being built is not missed.
pub(crate) fn watch(shared: Weak<Shared>, path: PathBuf, every: Duration) {
    // A relative path would follow the process's later working directory.
    let path = std::path::absolute(&path).unwrap_or(path);
    let spawned = std::thread::Builder::new()
        .name("sealed-cookie-keyring-reload".into())
        .spawn(move || {
            let mut state = Watch::default();
            loop {
                std::thread::sleep(every);
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                state = check(&shared, &path, state);
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "keyring reload could not start: keys are read only at startup");
    }
}

/// What the watcher knows of the file.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
struct Watch {
    /// The text in use (or last refused).
    applied: Option<[u8; 32]>,
    /// A new text read once: applied when the next read agrees, so that a file
    /// caught half-written is never used.
    pending: Option<[u8; 32]>,
    /// The last read failed (logged once until it reads again).
    unreadable: bool,
}

/// One look at the file.
fn check(shared: &Shared, path: &Path, state: Watch) -> Watch {
    let shown = MaskedPath::new(path);
    let text = match std::fs::read_to_string(path) {
        Ok(text) => Zeroizing::new(text),
        Err(error) => {
            if !state.unreadable {
                tracing::warn!(file = %shown, %error, "keyring file unreadable; keeping the keys in use");
            }
            return Watch {
                unreadable: true,
                ..state
            };
        }
    };
    let now = digest(text.as_bytes());
    if state.applied == Some(now) {
        return Watch {
            pending: None,
            unreadable: false,
            ..state
        };
    }
    if state.pending != Some(now) {
        return Watch {
            pending: Some(now),
            unreadable: false,
            ..state
        };
    }
    let format = KeyfileFormat::from_path(path).unwrap_or_else(|| KeyfileFormat::sniff(&text));
    let reloaded = KeyringFile::parse(&text, format)
        .map_err(|error| error.to_string())
        .and_then(|file| {
            let keys: Vec<String> = file
                .entries()
                .iter()
                .map(|entry| format!("{} {}", entry.key.id(), entry.role.as_str()))
                .collect();
            shared
                .replace_keyring(file.keyring())
                .map(|()| keys.join(", "))
                .map_err(|error| error.to_string())
        });
    match reloaded {
        Ok(keys) => tracing::info!(file = %shown, %keys, "keyring reloaded"),
        Err(error) => {
            tracing::warn!(file = %shown, %error, "keyring file did not load; keeping the keys in use");
        }
    }
    // A file that failed is not read again until it changes.
    Watch {
        applied: Some(now),
        pending: None,
        unreadable: false,
    }
}
