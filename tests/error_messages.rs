//! Every public error reads well wherever it is printed: `{:?}` (what `?` in
//! `main` prints) is the human message, never a struct dump, and walking
//! `source()` (what anyhow, eyre and chain printers do) never repeats a cause that
//! the message already holds.

#![cfg(all(feature = "tower", feature = "xchacha20poly1305", feature = "postcard"))]

use std::error::Error;

use sealed_cookie::web::{SessionConfig, SessionLayer};
use sealed_cookie::{Codec, Key, Keyring, Value};

/// The message, then each source's after `: `, as a chain printer writes it.
fn chain(error: &dyn Error) -> Vec<String> {
    let mut out = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        out.push(cause.to_string());
        source = cause.source();
    }
    out
}

fn reads_well(error: &dyn Error, debug: String) {
    let links = chain(error);
    assert_eq!(
        debug,
        links.join(": "),
        "Debug is the message and its causes"
    );
    for pair in links.windows(2) {
        assert!(
            !pair[0].contains(&pair[1]),
            "a cause is printed twice: {:?} already holds {:?}",
            pair[0],
            pair[1]
        );
    }
    for dump in ["{ ", " }", "Some(", "TooShort", "InvalidKeys"] {
        assert!(!debug.contains(dump), "{dump:?} in {debug}");
    }
}

#[test]
fn configuration_errors_print_their_message_once() {
    let short_key = "AAECAwQFBgcICQoLDA0ODw"; // 16 bytes
    let mut config = SessionConfig::default();
    let env = |name: &str| (name == "SEALED_COOKIE_KEYS").then(|| short_key.into());
    let error = config.keyring_with(env).unwrap_err();
    reads_well(&error, format!("{error:?}"));
    assert!(
        format!("{error:?}").contains("at least 32 bytes"),
        "{error:?}"
    );

    // A missing keyring file: the keyfile error inside is part of the message.
    config.keyring_file = Some("/nonexistent/keyring.toml".into());
    let error = config.keyring_with(|_| None).unwrap_err();
    reads_well(&error, format!("{error:?}"));

    let error = SessionConfig::from_toml_str("expires = 5").unwrap_err();
    reads_well(&error, format!("{error:?}"));

    let error = SessionLayer::builder()
        .keyring(Keyring::new(Key::generate().unwrap()))
        .budget(10)
        .build()
        .unwrap_err();
    reads_well(&error, format!("{error:?}"));
    assert!(format!("{error:?}").contains("budget"), "{error:?}");
}

#[test]
fn codec_errors_print_their_message_once() {
    let error = Key::from_bytes(&[1; 16]).unwrap_err();
    reads_well(&error, format!("{error:?}"));

    let error = Codec::<Value>::builder().build().unwrap_err();
    reads_well(&error, format!("{error:?}"));

    let codec = Codec::<Value>::builder()
        .keyring(Keyring::new(Key::generate().unwrap()))
        .build()
        .unwrap();
    let error = codec.seal(&Value::Float(f64::NAN)).unwrap_err();
    reads_well(&error, format!("{error:?}"));
    let error = codec.seal(&Value::String("x".repeat(5000))).unwrap_err();
    reads_well(&error, format!("{error:?}"));
    for cookie in ["", "not a cookie", &"A".repeat(5000)] {
        let error = codec.open(cookie).unwrap_err();
        reads_well(&error, format!("{error:?}"));
    }
}

/// A keyring file with a bad key: the error names the key and why, once.
#[test]
fn keyfile_errors_print_their_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keyring.toml");
    std::fs::write(
        &path,
        "version = 1\n[[keys]]\nid = \"00000000\"\nrole = \"primary\"\nkey = \"AAAA\"\nadded = 0\n",
    )
    .unwrap();
    let error = sealed_cookie::keyfile::KeyringFile::load(&path).unwrap_err();
    reads_well(&error, format!("{error:?}"));
}
