//! No error or log line of the library, the web layer or the command-line tool
//! repeats key material placed where it does not belong: a key in any common
//! alphabet pasted into any field of a keyring file (TOML and JSON), or where a
//! path or a variable name belongs (environment, TOML setting, command-line flag).
//! Neither the key text nor any 12-character piece of it may appear in a
//! message's `Display`, its `Debug`, or the tool's output, and the message must
//! still say what is wrong.
#![cfg(feature = "keyfile")]

use std::ffi::OsString;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sealed_cookie::Key;
use sealed_cookie::keyfile::{
    KEYRING_ENV, KEYS_ENV, KeyfileFormat, KeyringFile, KeyringLock, load_source, resolve_source,
};

/// Length of the pieces of key text that must not appear.
const PIECE: usize = 12;

/// 32 bytes chosen so that standard base64 holds `+` and `/`, and base64url `-`
/// and `_`.
fn secret_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = [0xfb, 0xff, 0xbe, 0x3e, 0x7a, 0x01, 0xc4, 0x95][i % 8] ^ (i as u8);
    }
    bytes
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = block.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                let index = usize::try_from((bits >> (35 - 5 * i)) & 31).unwrap();
                out.push(char::from(ALPHABET[index]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The same key in every common alphabet, with the alphabet's name.
fn key_texts() -> Vec<(&'static str, String)> {
    let bytes = secret_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let texts = vec![
        ("base64 standard, padded", STANDARD.encode(bytes)),
        ("base64url", URL_SAFE_NO_PAD.encode(bytes)),
        ("hex, lower case", hex.clone()),
        ("hex, upper case", hex.to_uppercase()),
        ("base32, padded", base32(&bytes)),
    ];
    assert!(texts[0].1.contains('+') && texts[0].1.contains('/') && texts[0].1.ends_with('='));
    assert!(texts[1].1.contains('-') && texts[1].1.contains('_'));
    assert!(texts[4].1.ends_with('='));
    texts
}

/// The first 12-character piece of `secret` found in `text`.
fn leak<'a>(text: &str, secret: &'a str) -> Option<&'a str> {
    let chars: Vec<(usize, char)> = secret.char_indices().collect();
    (0..=chars.len().saturating_sub(PIECE)).find_map(|i| {
        let start = chars[i].0;
        let end = chars.get(i + PIECE).map_or(secret.len(), |c| c.0);
        let piece = &secret[start..end];
        text.contains(piece).then_some(piece)
    })
}

#[track_caller]
fn assert_no_leak(what: &str, text: &str, secret: &str) {
    if let Some(piece) = leak(text, secret) {
        panic!("{what}: the message repeats {piece:?} of the key:\n{text}");
    }
}

/// Asserts that `error` leaks nothing in `Display` or `Debug` and that its
/// message holds one of `needles`.
#[track_caller]
fn check_error(
    what: &str,
    error: &dyn std::fmt::Debug,
    shown: &str,
    secret: &str,
    needles: &[&str],
) {
    assert_no_leak(what, shown, secret);
    assert_no_leak(what, &format!("{error:?}"), secret);
    assert!(
        needles.iter().any(|n| shown.contains(n)),
        "{what}: the message does not say what is wrong (expected one of {needles:?}):\n{shown}"
    );
}

fn valid_key() -> String {
    Key::from_bytes(&[42; 32]).unwrap().to_base64().to_string()
}

/// Keyring texts with `k` in one place each, with what the message must say.
fn misplaced_in_toml(k: &str) -> Vec<(&'static str, String, &'static [&'static str])> {
    let v = valid_key();
    let ok = format!("role = \"primary\"\nkey = \"{v}\"\n");
    vec![
        (
            "id",
            format!("[[keys]]\nid = \"{k}\"\n{ok}"),
            &["not 8 hex digits"],
        ),
        (
            "id, unquoted",
            format!("[[keys]]\nid = {k}\n{ok}"),
            &["line 2"],
        ),
        (
            "role",
            format!("[[keys]]\nrole = \"{k}\"\nkey = \"{v}\"\n"),
            &["unknown variant", "`primary`"],
        ),
        (
            "role, unquoted",
            format!("[[keys]]\nrole = {k}\nkey = \"{v}\"\n"),
            &["line 2"],
        ),
        (
            "key",
            format!("[[keys]]\nrole = \"primary\"\nkey = \"{k}\"\n"),
            &["base64url", "bytes"],
        ),
        (
            "added",
            format!("[[keys]]\n{ok}added = \"{k}\"\n"),
            &["invalid type"],
        ),
        (
            "added, unquoted",
            format!("[[keys]]\n{ok}added = {k}\n"),
            &["line 4"],
        ),
        (
            "version",
            format!("version = \"{k}\"\n[[keys]]\n{ok}"),
            &["invalid type"],
        ),
        (
            "unknown field name",
            format!("[[keys]]\n{ok}\"{k}\" = 1\n"),
            &["unknown field"],
        ),
        (
            "unknown field name, bare",
            format!("[[keys]]\n{ok}{k} = 1\n"),
            &["unknown field", "line 4"],
        ),
        (
            "unknown top-level field name",
            format!("\"{k}\" = 1\n[[keys]]\n{ok}"),
            &["unknown field"],
        ),
        (
            "unknown field's value",
            format!("[[keys]]\n{ok}colour = \"{k}\"\n"),
            &["unknown field"],
        ),
        ("a whole line", format!("[[keys]]\n{ok}{k}\n"), &["line 4"]),
        ("the whole file", k.to_owned(), &["line 1"]),
    ]
}

fn misplaced_in_json(k: &str) -> Vec<(&'static str, String, &'static [&'static str])> {
    let v = valid_key();
    let ok = format!("\"role\": \"primary\", \"key\": \"{v}\"");
    let one = |fields: String| format!("{{\"version\": 1, \"keys\": [{{{fields}}}]}}");
    vec![
        (
            "id",
            one(format!("\"id\": \"{k}\", {ok}")),
            &["not 8 hex digits"],
        ),
        (
            "role",
            one(format!("\"role\": \"{k}\", \"key\": \"{v}\"")),
            &["unknown variant"],
        ),
        (
            "key",
            one(format!("\"role\": \"primary\", \"key\": \"{k}\"")),
            &["base64url", "bytes"],
        ),
        (
            "added",
            one(format!("{ok}, \"added\": \"{k}\"")),
            &["invalid type"],
        ),
        (
            "added, unquoted",
            one(format!("{ok}, \"added\": {k}")),
            &["line 1"],
        ),
        (
            "version",
            format!("{{\"version\": \"{k}\", \"keys\": []}}"),
            &["invalid type"],
        ),
        (
            "unknown field name",
            one(format!("{ok}, \"{k}\": 1")),
            &["unknown field"],
        ),
        (
            "unknown top-level field name",
            format!("{{\"{k}\": 1, \"keys\": []}}"),
            &["unknown field"],
        ),
        (
            "unknown field's value",
            one(format!("{ok}, \"colour\": \"{k}\"")),
            &["unknown field"],
        ),
        (
            "a whole line",
            format!("{{\"keys\": [{{{ok}}}],\n{k}\n}}"),
            &["line 2"],
        ),
    ]
}

#[test]
fn keys_misplaced_in_a_keyring_file_are_never_repeated() {
    for (alphabet, k) in key_texts() {
        for (format, cases) in [
            (KeyfileFormat::Toml, misplaced_in_toml(&k)),
            (KeyfileFormat::Json, misplaced_in_json(&k)),
        ] {
            for (field, text, needles) in cases {
                let what = format!("{alphabet} in {format} {field}");
                match KeyringFile::parse(&text, format) {
                    Err(error) => check_error(&what, &error, &error.to_string(), &k, needles),
                    // Hex is valid base64url text too: a key after all.
                    Ok(file) => {
                        assert_eq!(field, "key", "{what} was accepted");
                        assert_no_leak(&what, &format!("{file:?}"), &k);
                    }
                }
            }
        }
    }
}

#[test]
fn key_ids_are_echoed_only_when_well_formed() {
    let v = valid_key();
    let text = format!("[[keys]]\nid = \"0000abcd\"\nrole = \"primary\"\nkey = \"{v}\"\n");
    let error = KeyringFile::parse(&text, KeyfileFormat::Toml).unwrap_err();
    assert!(error.to_string().contains("states id 0000abcd"), "{error}");
    let file = KeyringFile::new(Key::from_bytes(&[42; 32]).unwrap());
    for (_, k) in key_texts() {
        let error = file.find(&k).unwrap_err();
        check_error(
            "id argument",
            &error,
            &error.to_string(),
            &k,
            &["8 hex digits"],
        );
    }
    let error = file.find("0000abcd").unwrap_err();
    assert!(error.to_string().contains("0000abcd"), "{error}");
}

fn env_with(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<OsString> {
    move |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| OsString::from(v))
    }
}

#[test]
fn keys_pasted_where_a_keyring_path_belongs_are_never_repeated() {
    let dir = tempfile::tempdir().unwrap();
    for (alphabet, k) in key_texts() {
        let in_dir = dir.path().join(&k);
        for path in [Path::new(&k), in_dir.as_path()] {
            let what = format!("{alphabet} as a keyring path");
            let error = KeyringFile::load(path).unwrap_err();
            check_error(&what, &error, &error.to_string(), &k, &["names no file"]);
            let file = KeyringFile::new(Key::from_bytes(&[1; 32]).unwrap());
            let nested = path.join("ring.toml");
            let error = file.save(&nested).unwrap_err();
            check_error(&what, &error, &error.to_string(), &k, &["names no file"]);
            let error = file.create(&nested).unwrap_err();
            check_error(&what, &error, &error.to_string(), &k, &["names no file"]);
            let error = KeyringLock::acquire(&nested).unwrap_err();
            check_error(&what, &error, &error.to_string(), &k, &["names no file"]);
        }
        let env = env_with(vec![(KEYRING_ENV, k.clone())]);
        let source = resolve_source(None, &env).unwrap();
        assert_no_leak("the source", &format!("{source}"), &k);
        let error = load_source(&source, &env).unwrap_err();
        check_error(
            &format!("{alphabet} in {KEYRING_ENV}"),
            &error,
            &error.to_string(),
            &k,
            &["names no file"],
        );
    }
}

#[test]
fn keys_in_the_keys_variable_are_never_repeated() {
    for (alphabet, k) in key_texts() {
        let env = env_with(vec![(KEYS_ENV, format!("{},{k}", valid_key()))]);
        let source = resolve_source(None, &env).unwrap();
        match load_source(&source, &env) {
            Err(error) => check_error(alphabet, &error, &error.to_string(), &k, &[KEYS_ENV]),
            Ok(ring) => assert_no_leak(alphabet, &format!("{ring:?}"), &k),
        }
    }
}

#[cfg(feature = "tower")]
mod web {
    use super::*;
    use sealed_cookie::web::SessionConfig;

    #[test]
    fn keys_pasted_into_path_and_variable_settings_are_never_repeated() {
        for (alphabet, k) in key_texts() {
            let quoted = format!("{k:?}");
            // TOML settings that parse, then fail when the keys are loaded.
            for (setting, text, needles) in [
                (
                    "keyring_file",
                    format!("keyring_file = {quoted}"),
                    &["names no file"][..],
                ),
                (
                    "keys_env",
                    format!("keys_env = {quoted}"),
                    &["not shaped like a variable name"][..],
                ),
            ] {
                let what = format!("{alphabet} in {setting}");
                let config = SessionConfig::from_toml_str(&text).unwrap();
                assert_no_leak(&what, &format!("{config:?}"), &k);
                let error = config.keyring().unwrap_err();
                check_error(&what, &error, &error.to_string(), &k, needles);
                let error = config.layer().unwrap_err();
                check_error(&what, &error, &error.to_string(), &k, needles);
            }
            // TOML that does not parse, with the key where it was meant to go.
            for text in [
                format!("keyring_file = {k}"),
                format!("keys_env = {k}"),
                format!("keys_env = [{quoted}]"),
                format!("keyring_file = {{ path = {quoted} }}"),
                format!("expires = {quoted}"),
                format!("{quoted} = 1"),
                format!("cookie_name = \"s\"\n{k}"),
            ] {
                let what = format!("{alphabet} in {text:?}");
                let error = SessionConfig::from_toml_str(&text).unwrap_err();
                check_error(&what, &error, &error.to_string(), &k, &["at line"]);
            }
            // The same settings from the environment.
            for var in ["SEALED_COOKIE_KEYRING", "SEALED_COOKIE_KEYS_ENV"] {
                let what = format!("{alphabet} in {var}");
                let mut config = SessionConfig::default();
                config.apply_vars([(var.to_owned(), k.clone())]).unwrap();
                assert_no_leak(&what, &format!("{config:?}"), &k);
                let error = config.keyring().unwrap_err();
                check_error(
                    &what,
                    &error,
                    &error.to_string(),
                    &k,
                    &["names no file", "not shaped like a variable name"],
                );
            }
            let mut config = SessionConfig::default();
            let error = config
                .apply_vars([("SEALED_COOKIE_EXPIRES".to_owned(), k.clone())])
                .unwrap_err();
            check_error(
                alphabet,
                &error,
                &error.to_string(),
                &k,
                &["SEALED_COOKIE_EXPIRES"],
            );
        }
        // Names shaped like variable names are still shown.
        let config = SessionConfig::from_toml_str("keys_env = \"APP_SESSION_KEYS_UNSET\"").unwrap();
        let error = config.keyring().unwrap_err();
        assert!(
            error.to_string().contains("APP_SESSION_KEYS_UNSET"),
            "{error}"
        );
    }
}

#[cfg(feature = "cli")]
mod cli {
    use super::*;
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    const BIN: &str = env!("CARGO_BIN_EXE_sealed-cookie");

    /// Runs the tool in `dir` with only `env` of the key variables; returns the exit
    /// code and stdout + stderr.
    fn run(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> (i32, String) {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(dir)
            .env_remove(KEYS_ENV)
            .env_remove(KEYRING_ENV)
            .env_remove("SEALED_COOKIE_PERL_SECRET")
            .env_remove("SEALED_COOKIE_PERL_OLD_SECRETS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        let out = child.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap(), text)
    }

    #[track_caller]
    fn check(what: &str, (code, out): (i32, String), secret: &str, needles: &[&str]) {
        assert_no_leak(what, &out, secret);
        assert_ne!(code, 0, "{what}: expected a failure: {out}");
        assert!(
            needles.iter().any(|n| out.contains(n)),
            "{what}: expected one of {needles:?}: {out}"
        );
    }

    #[test]
    fn the_tool_never_repeats_a_misplaced_key() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ring = d.join("ring.toml");
        KeyringFile::new(Key::from_bytes(&[42; 32]).unwrap())
            .create(&ring)
            .unwrap();
        let ring = ring.to_str().unwrap();
        for (alphabet, k) in key_texts() {
            let k = k.as_str();
            let nested = format!("{k}/ring.toml");
            // --keyring and SEALED_COOKIE_KEYRING naming no file.
            for path in [k, nested.as_str()] {
                for args in [
                    &["keyring", "list"][..],
                    &["keyring", "add"],
                    &["keyring", "promote", "0000abcd"],
                    &["keyring", "retire", "0000abcd"],
                    &["keyring", "export-env"],
                    &["seal"],
                    &["open"],
                ] {
                    let what = format!("{alphabet} as --keyring of {args:?}");
                    let flag = format!("--keyring={path}");
                    let mut with_flag = args.to_vec();
                    with_flag.push(&flag);
                    check(
                        &what,
                        run(d, &with_flag, &[], "{}"),
                        k,
                        &["--keyring: a path of"],
                    );
                    let what = format!("{alphabet} in {KEYRING_ENV} of {args:?}");
                    let out = run(d, args, &[(KEYRING_ENV, path)], "{}");
                    check(&what, out, k, &["SEALED_COOKIE_KEYRING: a path of"]);
                }
                let out = run(d, &["inspect", &format!("--keyring={path}")], &[], "x");
                assert_no_leak("inspect --keyring", &out.1, k);
            }
            let what = format!("{alphabet} as a new keyring's path");
            check(
                &what,
                run(
                    d,
                    &["keyring", "init", &format!("--keyring={nested}")],
                    &[],
                    "",
                ),
                k,
                &["names no file"],
            );
            // A key given where a key id belongs.
            let what = format!("{alphabet} as a key id");
            for command in ["promote", "retire"] {
                let out = run(
                    d,
                    &["keyring", command, "--keyring", ring, "--", k],
                    &[],
                    "",
                );
                check(&what, out, k, &["not a key id"]);
            }
            // A key in each field of a keyring file.
            for (n, (field, text, _)) in misplaced_in_toml(k).into_iter().enumerate() {
                let name = format!("bad-{n}.toml");
                std::fs::write(d.join(&name), text).unwrap();
                let out = run(d, &["keyring", "list", "--keyring", &name], &[], "");
                assert_no_leak(&format!("{alphabet} in toml {field}"), &out.1, k);
            }
            for (n, (field, text, _)) in misplaced_in_json(k).into_iter().enumerate() {
                let name = format!("bad-{n}.json");
                std::fs::write(d.join(&name), text).unwrap();
                let out = run(d, &["keyring", "list", "--keyring", &name], &[], "");
                assert_no_leak(&format!("{alphabet} in json {field}"), &out.1, k);
            }
            // Keys and Perl secrets in the variables meant for them.
            let keys = format!("{},{k}", valid_key());
            let out = run(d, &["keyring", "list"], &[(KEYS_ENV, &keys)], "");
            assert_no_leak(&format!("{alphabet} in {KEYS_ENV}"), &out.1, k);
            let out = run(
                d,
                &["open", "--perl"],
                &[
                    ("SEALED_COOKIE_PERL_SECRET", k),
                    ("SEALED_COOKIE_PERL_OLD_SECRETS", k),
                ],
                "bm90IGEgY29va2ll~1~2~3",
            );
            check(
                &format!("{alphabet} as a Perl secret"),
                out,
                k,
                &["rejected"],
            );
        }
    }

    #[test]
    fn a_keyring_created_under_a_key_shaped_name_is_not_named() {
        let dir = tempfile::tempdir().unwrap();
        let k = URL_SAFE_NO_PAD.encode(secret_bytes());
        let flag = format!("--keyring={k}");
        let (code, out) = run(dir.path(), &["keyring", "init", &flag], &[], "");
        assert_eq!(code, 0, "{out}");
        assert_no_leak("init", &out, &k);
        assert!(out.contains("looks like a key"), "{out}");
    }
}
