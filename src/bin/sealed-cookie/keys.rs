//! `keygen`, `keyring ...`, and finding the keys for the other commands.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use sealed_cookie::keyfile::{
    self, KEYRING_ENV, KEYS_ENV, KeySource, KeyfileError, KeyfileFormat, KeyringFile, KeyringLock,
    MaskedPath,
};
use sealed_cookie::{Key, Keyring};
use zeroize::Zeroizing;

use crate::{Failure, KeyringCommand, KeyringPath};

/// Longest input accepted on stdin for a key.
const MAX_KEY_INPUT: u64 = 4096;

pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub fn keygen() -> Result<(), Failure> {
    let key = Key::generate()?;
    let text = key.to_base64();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", text.as_str())?;
    Ok(())
}

/// The keyring for `seal` and `open`: `--keyring`, else `SEALED_COOKIE_KEYRING`,
/// else `SEALED_COOKIE_KEYS`.
pub fn load(path: &KeyringPath) -> Result<(Keyring, KeySource), Failure> {
    let env = |name: &str| std::env::var_os(name);
    let explain = |error| explain(error, origin(path));
    let source = keyfile::resolve_source(path.keyring.as_deref(), env).map_err(explain)?;
    if let KeySource::File(file) = &source {
        warn_if_readable_by_others(file);
    }
    let ring = keyfile::load_source(&source, env).map_err(explain)?;
    Ok((ring, source))
}

/// Where the keyring path came from, for messages.
fn origin(path: &KeyringPath) -> &'static str {
    if path.keyring.is_some() {
        "--keyring"
    } else {
        KEYRING_ENV
    }
}

/// Adds the command-line spelling to the library's "no keys" message, and says
/// which setting holds a path that is not shown (see [`MaskedPath`]).
fn explain(error: KeyfileError, origin: &str) -> Failure {
    match error {
        KeyfileError::NoSource => Failure::Usage(format!(
            "no keys: pass --keyring PATH, or set {KEYRING_ENV} (a keyring file) or {KEYS_ENV} (base64url keys, primary first)"
        )),
        KeyfileError::Io { path, error } if !path.is_shown() => {
            Failure::Usage(format!("{origin}: {path}: {error}"))
        }
        other => other.into(),
    }
}

/// The library's warning about a keyring file open to other users, on stderr.
fn warn_if_readable_by_others(path: &Path) {
    if let Some(warning) = keyfile::permissions_warning(path) {
        eprintln!("sealed-cookie: warning: {warning}");
    }
}

/// A keyring file to edit, and the setting that named it.
struct Target {
    path: PathBuf,
    origin: &'static str,
}

impl Target {
    fn fail(&self) -> impl Fn(KeyfileError) -> Failure + '_ {
        |error| explain(error, self.origin)
    }

    /// The path as messages show it.
    fn shown(&self) -> MaskedPath {
        MaskedPath::new(&self.path)
    }
}

/// The file that `keyring` edits: `--keyring`, else `SEALED_COOKIE_KEYRING`.
fn file_path(path: &KeyringPath) -> Result<Target, Failure> {
    let origin = origin(path);
    if let Some(path) = &path.keyring {
        return Ok(Target {
            path: path.clone(),
            origin,
        });
    }
    match std::env::var_os(KEYRING_ENV) {
        Some(value) if !value.is_empty() => Ok(Target {
            path: PathBuf::from(value),
            origin,
        }),
        _ => Err(Failure::Usage(format!(
            "this command edits a keyring file: pass --keyring PATH or set {KEYRING_ENV} ({KEYS_ENV} cannot be edited)"
        ))),
    }
}

fn load_file(path: &Path, origin: &str) -> Result<KeyringFile, Failure> {
    warn_if_readable_by_others(path);
    KeyringFile::load(path).map_err(|error| explain(error, origin))
}

/// Takes the edit lock of an existing keyring file. A path that names no file is
/// reported as loading it would, and leaves no lock file behind.
fn lock_file(target: &Target) -> Result<KeyringLock, Failure> {
    if std::fs::metadata(&target.path).is_err() {
        load_file(&target.path, target.origin)?;
    }
    KeyringLock::acquire(&target.path).map_err(target.fail())
}

/// Loads the keyring file, applies `change` and saves it, holding the file's
/// [`KeyringLock`] throughout, so that concurrent edits lose no update.
fn edit<R>(
    target: &Target,
    change: impl FnOnce(&mut KeyringFile) -> Result<R, Failure>,
) -> Result<R, Failure> {
    let _lock = lock_file(target)?;
    let mut file = load_file(&target.path, target.origin)?;
    let result = change(&mut file)?;
    save_file(&file, target)?;
    Ok(result)
}

/// Saves in the format the file was read in. The caller holds the file's
/// [`KeyringLock`] from before loading.
fn save_file(file: &KeyringFile, target: &Target) -> Result<(), Failure> {
    let path = &target.path;
    let format = match KeyfileFormat::from_path(path) {
        Some(format) => format,
        None => std::fs::read_to_string(path)
            .map(|text| KeyfileFormat::sniff(&Zeroizing::new(text)))
            .unwrap_or(KeyfileFormat::Toml),
    };
    file.save_as(path, format).map_err(target.fail())
}

fn read_key_from_stdin() -> Result<Key, Failure> {
    crate::announce_stdin("a base64url key");
    let mut text = Zeroizing::new(String::new());
    std::io::stdin()
        .take(MAX_KEY_INPUT + 1)
        .read_to_string(&mut text)?;
    if !u64::try_from(text.len()).is_ok_and(|len| len <= MAX_KEY_INPUT) {
        return Err(Failure::Usage(format!(
            "stdin holds more than {MAX_KEY_INPUT} bytes; expected one base64url key"
        )));
    }
    Ok(Key::from_base64(&text)?)
}

/// The last second RFC 3339 can write (four-digit years).
pub const LAST_RFC3339: &str = "9999-12-31T23:59:59Z";
const LAST_RFC3339_SECS: u64 = 253_402_300_799;

/// `secs` (Unix seconds) as an RFC 3339 UTC time, or `None` after
/// [`LAST_RFC3339`].
pub fn rfc3339(secs: u64) -> Option<String> {
    use std::fmt::Write as _;
    if secs > LAST_RFC3339_SECS {
        return None;
    }
    let time = std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(secs))?;
    let mut text = String::new();
    write!(text, "{}", humantime::format_rfc3339_seconds(time)).ok()?;
    Some(text)
}

/// [`rfc3339`] for text output: a time too late for RFC 3339 says so.
pub fn rfc3339_text(secs: u64) -> String {
    rfc3339(secs).unwrap_or_else(|| format!("after {LAST_RFC3339}"))
}

/// A time for human messages: RFC 3339 UTC beside the Unix seconds, e.g.
/// `2023-11-14T22:13:20Z (1700000000)`.
pub fn when(secs: u64) -> String {
    format!("{} ({secs})", rfc3339_text(secs))
}

pub fn keyring(command: KeyringCommand) -> Result<(), Failure> {
    match command {
        KeyringCommand::Init { path, json, now } => {
            let target = file_path(&path)?;
            let file = KeyringFile::with_added(Key::generate()?, now.unwrap_or_else(now_unix));
            let format = if json {
                KeyfileFormat::Json
            } else {
                KeyfileFormat::from_path(&target.path).unwrap_or(KeyfileFormat::Toml)
            };
            file.create_as(&target.path, format)
                .map_err(target.fail())?;
            let id = file.primary().id();
            eprintln!("created {} with primary key {id}", target.shown());
            println!("{id}");
            Ok(())
        }
        KeyringCommand::Add { path, stdin, now } => {
            let target = file_path(&path)?;
            // Read before locking: the lock is not held while stdin is awaited.
            let key = if stdin {
                read_key_from_stdin()?
            } else {
                Key::generate()?
            };
            let id = edit(&target, |file| {
                Ok(file.add(key, Some(now.unwrap_or_else(now_unix)))?)
            })?;
            eprintln!(
                "added key {id} as accepted to {}: deploy this keyring everywhere, then promote it",
                target.shown()
            );
            println!("{id}");
            Ok(())
        }
        KeyringCommand::Promote { id, path } => {
            let target = file_path(&path)?;
            let (id, former) = edit(&target, |file| {
                let id = file.find(&id)?;
                let former = file.primary().id();
                file.promote(id)?;
                Ok((id, former))
            })?;
            if former == id {
                eprintln!("key {id} is already primary in {}", target.shown());
            } else {
                eprintln!(
                    "promoted key {id} to primary in {}; key {former} stays accepted",
                    target.shown()
                );
            }
            Ok(())
        }
        KeyringCommand::Retire { id, path } => {
            let target = file_path(&path)?;
            let id = edit(&target, |file| {
                let id = file.find(&id)?;
                file.retire(id)?;
                Ok(id)
            })?;
            eprintln!(
                "retired key {id} from {}: cookies sealed with it are now rejected",
                target.shown()
            );
            Ok(())
        }
        KeyringCommand::List { path, json } => list(&path, json),
        KeyringCommand::ExportEnv { path } => {
            let (ring, _) = load(&path)?;
            // Sized up front: growing a String would leave unwiped copies of keys.
            let needed = ring
                .keys()
                .fold(0usize, |n, key| n.saturating_add(key.to_base64().len() + 1));
            let mut value = Zeroizing::new(String::with_capacity(needed));
            for (i, key) in ring.keys().enumerate() {
                if i > 0 {
                    value.push(',');
                }
                value.push_str(&key.to_base64());
            }
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", value.as_str())?;
            Ok(())
        }
    }
}

struct Row {
    id: String,
    role: &'static str,
    added: Option<u64>,
}

fn list(path: &KeyringPath, json: bool) -> Result<(), Failure> {
    let env = |name: &str| std::env::var_os(name);
    let source = keyfile::resolve_source(path.keyring.as_deref(), env)
        .map_err(|error| explain(error, origin(path)))?;
    let rows: Vec<Row> = match &source {
        KeySource::File(file) => load_file(file, origin(path))?
            .entries()
            .iter()
            .map(|e| Row {
                id: e.key.id().to_string(),
                role: e.role.as_str(),
                added: e.added,
            })
            .collect(),
        KeySource::KeysEnv => {
            let ring = keyfile::load_source(&source, env)?;
            ring.keys()
                .enumerate()
                .map(|(i, k)| Row {
                    id: k.id().to_string(),
                    role: if i == 0 { "primary" } else { "accepted" },
                    added: None,
                })
                .collect()
        }
    };
    let mut out = std::io::stdout().lock();
    if json {
        let keys: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id,
                    "role": r.role,
                    "added": r.added,
                    "added_rfc3339": r.added.and_then(rfc3339),
                })
            })
            .collect();
        let doc = serde_json::json!({ "source": source.to_string(), "keys": keys });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        writeln!(out, "# {source}")?;
        writeln!(out, "{:<10}{:<10}ADDED", "ID", "ROLE")?;
        for r in rows {
            let added = r.added.map_or_else(|| "-".to_owned(), when);
            writeln!(out, "{:<10}{:<10}{added}", r.id, r.role)?;
        }
    }
    Ok(())
}
