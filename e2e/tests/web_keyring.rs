//! The web layer loads keys as the command-line tool does: it refuses a keyring
//! file and `SEALED_COOKIE_KEYS` set together, with the tool's message, and warns
//! (through `tracing`) about a keyring file other users can read.
//!
//! This binary holds one test only: it sets the process environment.
#![cfg(feature = "tower")]

use std::io::Write as _;
use std::sync::{Arc, Mutex};

use sealed_cookie::Key;
use sealed_cookie::keyfile::{KEYRING_ENV, KEYS_ENV, KeyringFile};
use sealed_cookie::web::SessionConfig;

/// Log lines written by a `tracing` subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// Runs `f` with log lines going here.
    fn during<T>(&self, f: impl FnOnce() -> T) -> T {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, f)
    }
}

#[test]
fn keys_come_from_one_place_and_open_keyring_files_draw_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyring.toml");
    let key = Key::generate().unwrap();
    KeyringFile::new(key.clone()).create(&path).unwrap();
    let other = Key::generate().unwrap().to_base64().to_string();
    // SAFETY: the only test of this binary, so no other thread reads the
    // environment meanwhile.
    unsafe {
        std::env::set_var(KEYRING_ENV, &path);
        std::env::set_var(KEYS_ENV, &other);
    }
    let config = SessionConfig::from_env().unwrap();
    let error = config
        .keyring()
        .expect_err("a keyring file and SEALED_COOKIE_KEYS together are refused");
    let message = "both SEALED_COOKIE_KEYRING and SEALED_COOKIE_KEYS are set: unset one of them";
    assert_eq!(error.to_string(), message);
    assert!(config.layer().is_err());
    #[cfg(feature = "cli")]
    {
        // The tool, in the same environment, says the same.
        let out = std::process::Command::new(sealed_cookie_e2e::cli())
            .args(["keyring", "list"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            String::from_utf8(out.stderr).unwrap(),
            format!("sealed-cookie: error: {message}\n")
        );
    }

    // SAFETY: as above.
    unsafe { std::env::remove_var(KEYS_ENV) };
    let logs = Captured::default();
    let ring = logs.during(|| config.keyring()).unwrap();
    assert_eq!(ring.primary(), &key);
    assert!(!logs.text().contains("WARN"), "{}", logs.text());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let logs = Captured::default();
        logs.during(|| config.keyring()).unwrap();
        let text = logs.text();
        assert!(text.contains("WARN"), "{text}");
        let warning = sealed_cookie::keyfile::permissions_warning(&path).unwrap();
        assert!(text.contains(&warning), "{text}");
        assert!(
            text.contains(&format!(
                "{} is accessible to other users (mode 644); run chmod 600 on it",
                path.display()
            )),
            "{text}"
        );
        // The tool's warning has the same words.
        #[cfg(feature = "cli")]
        {
            let out = std::process::Command::new(sealed_cookie_e2e::cli())
                .args(["keyring", "list"])
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8(out.stderr).unwrap(),
                format!("sealed-cookie: warning: {warning}\n")
            );
        }
    }
    let _ = std::io::stderr().flush();
}
