//! Writing keyring files safely: a new private temporary file with a random
//! name, synced and renamed into place, and the edit lock beside the file.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::KeyfileError;

/// An exclusive advisory lock on a keyring file, held until dropped.
///
/// Every process that edits the file (load, change, save) should hold it from
/// before loading until after saving, so that concurrent edits are applied one
/// after the other instead of one silently undoing another; the command-line tool
/// does. Readers need no lock: saving renames a complete file into place.
///
/// The lock is taken on a sibling file, `.<file name>.lock` (mode `0600` on Unix,
/// created when missing and left in place), not on the keyring file itself: saving
/// replaces the keyring file, and a lock on the replaced file would not stop the
/// next process, which opens the new one. The lock file is never followed through
/// a symlink.
///
/// ```
/// use sealed_cookie::Key;
/// use sealed_cookie::keyfile::{KeyringFile, KeyringLock};
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("keyring.toml");
/// # KeyringFile::new(Key::generate()?).create(&path)?;
/// let lock = KeyringLock::acquire(&path)?;  // waits for other editors
/// let mut file = KeyringFile::load(&path)?;
/// file.add(Key::generate()?, None)?;
/// file.save(&path)?;
/// drop(lock);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct KeyringLock {
    file: std::fs::File,
}

impl KeyringLock {
    /// Waits for and takes the exclusive lock of the keyring file at `path` (which
    /// need not exist yet).
    ///
    /// # Errors
    /// [`KeyfileError::Io`] when the lock file cannot be created or opened, is a
    /// symlink, or cannot be locked.
    pub fn acquire(path: &Path) -> Result<Self, KeyfileError> {
        let io = |source| KeyfileError::io(path, source);
        let lock_path = Self::lock_path(path).map_err(io)?;
        let file = open_lock_file(&lock_path).map_err(io)?;
        file.lock().map_err(io)?;
        Ok(Self { file })
    }

    /// The lock file of the keyring file at `path`: `.<file name>.lock` beside it.
    ///
    /// # Errors
    /// [`std::io::ErrorKind::InvalidInput`] when `path` names no file.
    pub fn lock_path(path: &Path) -> std::io::Result<PathBuf> {
        let (dir, file_name) = split_file_path(path)?;
        Ok(hidden_sibling(&dir, file_name, ".lock"))
    }
}

impl Drop for KeyringLock {
    fn drop(&mut self) {
        // Closing the file releases the lock as well; unlocking first is explicit.
        let _ = self.file.unlock();
    }
}

/// Opens (creating it when missing) a lock file, refusing a symlink or anything
/// but a regular file at `path`.
pub(super) fn open_lock_file(path: &Path) -> std::io::Result<std::fs::File> {
    match open_new_private(path) {
        Ok(file) => return Ok(file),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let not_regular = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the keyring's lock file is not a regular file (a symlink?): remove it",
        )
    };
    if !std::fs::symlink_metadata(path)?.file_type().is_file() {
        return Err(not_regular());
    }
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    // The name may have been swapped for a symlink between the check and the open:
    // the file opened must be the one checked.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let opened = file.metadata()?;
        let named = std::fs::symlink_metadata(path)?;
        if !named.file_type().is_file()
            || opened.dev() != named.dev()
            || opened.ino() != named.ino()
        {
            return Err(not_regular());
        }
    }
    Ok(file)
}

/// Creates `path`, which must not exist (a symlink there is not followed), with
/// mode `0600` on Unix, writes `bytes` and syncs; removes it again if writing fails.
pub(super) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = open_new_private(path)?;
    let result = write_synced(&mut file, bytes);
    if result.is_err() {
        drop(file);
        let _ = std::fs::remove_file(path);
    }
    result
}

/// Opens a new file for writing with `O_CREAT | O_EXCL` (`create_new`): it fails
/// when anything, a dangling symlink included, is at `path`. Mode `0600` on Unix,
/// whatever the umask left of it.
pub(super) fn open_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

pub(super) fn write_synced(file: &mut std::fs::File, bytes: &[u8]) -> std::io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

/// The directory (`.` for a bare file name) and the file name of `path`.
pub(super) fn split_file_path(path: &Path) -> std::io::Result<(PathBuf, &std::ffi::OsStr)> {
    let file_name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a file path: it ends in `..` or `/`",
        )
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok((dir, file_name))
}

/// How many random names [`create_temp`] tries before giving up.
/// `dir/.<file_name><suffix>`: the lock and temporary files of a keyring file.
fn hidden_sibling(dir: &Path, file_name: &std::ffi::OsStr, suffix: &str) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(file_name);
    name.push(suffix);
    dir.join(name)
}

pub(super) const TEMP_ATTEMPTS: usize = 8;

/// 16 random hex digits.
pub(super) fn random_suffix() -> std::io::Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Creates `.<file_name>.tmp-<suffix>` in `dir`, exclusively (see
/// [`open_new_private`]), trying new suffixes while the name is taken.
pub(super) fn create_temp(
    dir: &Path,
    file_name: &std::ffi::OsStr,
    mut suffix: impl FnMut() -> std::io::Result<String>,
) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut last = None;
    for _ in 0..TEMP_ATTEMPTS {
        let tmp = hidden_sibling(dir, file_name, &format!(".tmp-{}", suffix()?));
        match open_new_private(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temporary file name was free")))
}

/// Makes a rename in `dir` durable (Unix; elsewhere a no-op).
pub(super) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
