//! Cookies made at test time by Perl's own `Session::Storage::Secure` and
//! `Dancer::Session::Cookie` (tests/perl/make_cookies.pl), opened here and
//! compared with the JSON Perl prints for the same data.
//!
//! Needs `perl` with the Debian packages `libsession-storage-secure-perl`,
//! `libdancer-session-cookie-perl` and `libjson-perl` (installed by `.ci/run`).
#![cfg(feature = "perl-compat")]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use sealed_cookie::Value;
use sealed_cookie::perl::{
    BinaryStrings, Objects, PerlError, PerlReader, SerealDecoder, SerealError,
};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Case {
    cookie: String,
    secret: String,
    old_secrets: Vec<String>,
    now: u64,
    expires: Option<i64>,
    protocol: u8,
    compressed: bool,
    expected: Option<serde_json::Value>,
}

#[path = "perl/script.rs"]
mod script;

/// The cases the Perl script makes; `None` (the tests skip, saying so) when the
/// Perl modules are missing on a developer's machine, never under CI (`CI` set),
/// where `.ci/run` installs them.
fn cases() -> Option<&'static BTreeMap<String, Case>> {
    static CASES: OnceLock<Option<BTreeMap<String, Case>>> = OnceLock::new();
    CASES
        .get_or_init(|| {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/perl/make_cookies.pl");
            let text = script::output(
                script,
                "libsession-storage-secure-perl, libdancer-session-cookie-perl and libjson-perl",
            )?;
            Some(
                text.lines()
                    .map(|line| {
                        let mut object: serde_json::Map<String, serde_json::Value> =
                            serde_json::from_str(line).expect("one JSON object a line");
                        let name = object["name"].as_str().expect("a name").to_owned();
                        object.remove("name");
                        let case = serde_json::from_value(object.into()).expect("a case");
                        (name, case)
                    })
                    .collect(),
            )
        })
        .as_ref()
}

/// Returns from a test when [`cases`] skips.
macro_rules! skip_without_perl {
    () => {
        if crate::cases().is_none() {
            return;
        }
    };
}

fn case(name: &str) -> &'static Case {
    cases()
        .expect("the Perl cases")
        .get(name)
        .unwrap_or_else(|| panic!("the Perl script made no case {name:?}"))
}

fn reader(case: &Case) -> PerlReader {
    PerlReader::new(&case.secret, &case.old_secrets)
}

/// Compares what we decoded with what Perl printed: exactly, except that
/// numbers where either side is a float compare as floats (Perl prints 15
/// significant digits).
fn same(ours: &Value, perl: &serde_json::Value, path: &str) -> Result<(), String> {
    use serde_json::Value as J;
    let mismatch = || Err(format!("at {path}: ours {ours:?}, Perl's {perl}"));
    match (ours, perl) {
        (Value::Null, J::Null) => Ok(()),
        (Value::Bool(a), J::Bool(b)) if a == b => Ok(()),
        (Value::String(a), J::String(b)) if a == b => Ok(()),
        (Value::Int(a), J::Number(b)) if b.as_i64() == Some(*a) => Ok(()),
        (Value::UInt(a), J::Number(b)) if b.as_u64() == Some(*a) => Ok(()),
        (Value::Float(a), J::Number(b)) => {
            let b = b.as_f64().unwrap_or(f64::NAN);
            if (a - b).abs() <= 1e-14 * a.abs().max(b.abs()) {
                Ok(())
            } else {
                mismatch()
            }
        }
        (Value::Int(a), J::Number(b)) if b.is_f64() => {
            if (*a as f64 - b.as_f64().unwrap_or(f64::NAN)).abs() < 1e-9 {
                Ok(())
            } else {
                mismatch()
            }
        }
        (Value::Array(a), J::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .try_for_each(|(i, (a, b))| same(a, b, &format!("{path}[{i}]"))),
        (Value::Map(a), J::Object(b)) if a.keys().eq(b.keys()) => a
            .iter()
            .try_for_each(|(k, v)| same(v, &b[k], &format!("{path}.{k}"))),
        _ => mismatch(),
    }
}

/// Opens a case's cookie and checks it against Perl's JSON.
fn opens_as_perl_printed(name: &str) -> Value {
    let case = case(name);
    let opened = reader(case)
        .open_details(&case.cookie, case.now)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let expected = case.expected.as_ref().expect("a case that opens");
    if let Err(e) = same(&opened.value, expected, name) {
        panic!("{e}");
    }
    assert_eq!(opened.protocol, case.protocol, "{name}");
    assert_eq!(opened.expires, case.expires, "{name}");
    opened.value
}

#[test]
fn flat_session() {
    skip_without_perl!();
    let value = opens_as_perl_printed("flat");
    // A Perl string "007" stays a string.
    assert_eq!(value.get("zip"), Some(&Value::from("007")));
    assert_eq!(value.get("visits"), Some(&Value::Int(3)));
}

#[test]
fn nested_hashes_and_arrays() {
    skip_without_perl!();
    let value = opens_as_perl_printed("nested");
    let Some(Value::Map(many)) = value.get("many") else {
        panic!("many is not a map")
    };
    assert_eq!(many.len(), 20);
}

#[test]
fn unicode_strings_and_keys() {
    skip_without_perl!();
    let value = opens_as_perl_printed("unicode");
    assert_eq!(value.get("wide"), Some(&Value::from("☺ 日本 😀")));
    assert_eq!(
        value.get("clé"),
        Some(&Value::from("key with a Latin-1 character"))
    );
    // Perl sees undecoded UTF-8 as Latin-1 characters; the other policy decodes it.
    let case = case("unicode");
    let utf8 =
        reader(case).decoder(SerealDecoder::new().binary_strings(BinaryStrings::Utf8OrLatin1));
    let value = utf8.open(&case.cookie, case.now).unwrap();
    assert_eq!(value.get("utf8_bytes"), Some(&Value::from("Bât ☺")));
    assert_eq!(value.get("latin1"), Some(&Value::from("café crème brûlée")));
}

#[test]
fn big_and_negative_integers_are_exact() {
    skip_without_perl!();
    let value = opens_as_perl_printed("integers");
    let int = |k: &str| value.get(k).cloned();
    assert_eq!(int("past_2_53"), Some(Value::Int(9_007_199_254_740_993)));
    assert_eq!(int("negative_53"), Some(Value::Int(-9_007_199_254_740_993)));
    assert_eq!(int("u64_max"), Some(Value::UInt(u64::MAX)));
    assert_eq!(int("past_i64"), Some(Value::UInt(1 << 63)));
    assert_eq!(int("i64_min"), Some(Value::Int(i64::MIN)));
    assert_eq!(int("i64_max"), Some(Value::Int(i64::MAX)));
    // And as JSON, still exact.
    let json = serde_json::to_string(&value).unwrap();
    assert!(json.contains("\"u64_max\":18446744073709551615"), "{json}");
    assert!(json.contains("\"past_2_53\":9007199254740993"), "{json}");
}

#[test]
fn floats() {
    skip_without_perl!();
    let value = opens_as_perl_printed("floats");
    assert_eq!(value.get("half"), Some(&Value::Float(1.5)));
    assert_eq!(value.get("pi"), Some(&Value::Float(std::f64::consts::PI)));
    assert_eq!(value.get("third"), Some(&Value::Float(1.0 / 3.0)));
}

#[test]
fn empty_session() {
    skip_without_perl!();
    assert_eq!(opens_as_perl_printed("empty"), Value::Map(BTreeMap::new()));
}

#[test]
fn undef_values_are_null() {
    skip_without_perl!();
    let value = opens_as_perl_printed("undef_values");
    assert_eq!(value.get("gone"), Some(&Value::Null));
}

#[test]
fn shared_references_are_expanded() {
    skip_without_perl!();
    let value = opens_as_perl_printed("shared_references");
    assert_eq!(value.get("a"), value.get("b"));
    assert_eq!(value.get("ref1"), Some(&Value::from("pointed at")));
    assert_eq!(value.get("ref2"), Some(&Value::from("pointed at")));
    assert_eq!(value.get("refref"), Some(&Value::from("deep")));
}

#[test]
fn copied_and_aliased_strings() {
    skip_without_perl!();
    opens_as_perl_printed("deduplicated_strings");
    opens_as_perl_printed("aliased_strings");
}

#[test]
fn snappy_compressed_body() {
    skip_without_perl!();
    assert!(
        case("snappy").compressed,
        "the data must be large enough for Snappy"
    );
    let value = opens_as_perl_printed("snappy");
    let Some(Value::Array(items)) = value.get("items") else {
        panic!("items is not an array")
    };
    assert_eq!(items.len(), 100);
}

#[test]
fn sereal_protocols_2_to_4() {
    skip_without_perl!();
    for version in 2..=4 {
        let name = format!("sereal_v{version}");
        assert!(case(&name).compressed, "{name} must be compressed");
        let value = opens_as_perl_printed(&name);
        assert_eq!(value.get("a"), value.get("b"), "{name}");
        assert_eq!(value.get("big"), Some(&Value::UInt(u64::MAX)), "{name}");
    }
}

#[test]
fn objects_are_refused_unless_unblessed() {
    skip_without_perl!();
    let case = case("objects");
    // Perl's hash order varies from run to run: either class may come first.
    match reader(case).open(&case.cookie, case.now) {
        Err(PerlError::Sereal(SerealError::ObjectRefused(class))) => {
            assert!(class == "My::Date" || class == "My::Pair", "{class}");
        }
        other => panic!("objects were not refused: {other:?}"),
    }
    let unbless = reader(case).decoder(SerealDecoder::new().objects(Objects::Unbless));
    let value = unbless.open(&case.cookie, case.now).unwrap();
    same(&value, case.expected.as_ref().unwrap(), "objects").unwrap();
    assert_eq!(
        value.get("when").and_then(|w| w.get("tz")),
        Some(&Value::from("UTC"))
    );
}

#[test]
fn old_secret() {
    skip_without_perl!();
    let case = case("old_secret");
    let opened = reader(case).open_details(&case.cookie, case.now).unwrap();
    assert_eq!(opened.secret_index, 2);
    opens_as_perl_printed("old_secret");
    // Without the old secrets it does not open.
    assert_eq!(
        PerlReader::new(&case.secret, None::<&str>).open(&case.cookie, case.now),
        Err(PerlError::BadMac)
    );
}

#[test]
fn expiry() {
    skip_without_perl!();
    let case = case("future_expiry");
    opens_as_perl_printed("future_expiry");
    let expires = u64::try_from(case.expires.unwrap()).unwrap();
    assert!(reader(case).open(&case.cookie, expires).is_ok());
    assert!(matches!(
        reader(case).open(&case.cookie, expires + 1),
        Err(PerlError::Expired { .. })
    ));

    let case = self::case("expired");
    assert!(case.expected.is_none());
    assert!(matches!(
        reader(case).open(&case.cookie, case.now),
        Err(PerlError::Expired { .. })
    ));
}

#[test]
fn wrong_secret() {
    skip_without_perl!();
    let case = case("wrong_secret");
    assert!(case.expected.is_none());
    assert_eq!(
        reader(case).open(&case.cookie, case.now),
        Err(PerlError::BadMac)
    );
}

#[test]
fn protocol_1() {
    skip_without_perl!();
    let value = opens_as_perl_printed("protocol_1");
    assert_eq!(value.get("unicode"), Some(&Value::from("☺")));
}

#[test]
fn dancer_session_cookie() {
    skip_without_perl!();
    #[derive(Deserialize)]
    struct Cart {
        sku: String,
        qty: u32,
    }
    #[derive(Deserialize)]
    struct Session {
        id: String,
        user: String,
        cart: Vec<Cart>,
        total: f64,
    }
    opens_as_perl_printed("dancer");
    let case = case("dancer");
    let session: Session = reader(case).open_as(&case.cookie, case.now).unwrap();
    assert_eq!(session.user, "grace");
    assert!(!session.id.is_empty());
    assert_eq!(
        (session.cart[0].sku.as_str(), session.cart[0].qty),
        ("Z9", 1)
    );
    assert!((session.total - 19.99).abs() < 1e-12);
}

#[test]
fn every_changed_character_of_a_real_cookie_is_rejected() {
    skip_without_perl!();
    let case = case("nested");
    let reader = reader(case);
    let bytes = case.cookie.as_bytes();
    let mut rejected = 0;
    for i in 0..bytes.len() {
        for replacement in [b'A', b'-', b'~'] {
            if bytes[i] == replacement {
                continue;
            }
            let mut changed = bytes.to_vec();
            changed[i] = replacement;
            let changed = String::from_utf8(changed).unwrap();
            // A base64url salt's last character carries unused bits: changes
            // there alone may leave the salt's bytes, and so the cookie, intact.
            match reader.open(&changed, case.now) {
                Err(_) => rejected += 1,
                Ok(value) => {
                    assert!(i < 43, "change at {i} opened: {changed}");
                    assert!(same(&value, case.expected.as_ref().unwrap(), "nested").is_ok());
                }
            }
        }
    }
    assert!(rejected >= bytes.len() * 2, "{rejected}");
}

/// The web layer given the Perl secret as a legacy reader.
#[cfg(all(feature = "tower", feature = "xchacha20poly1305", feature = "postcard"))]
#[path = "perl/tower_harness.rs"]
mod tower_harness;

#[cfg(all(feature = "tower", feature = "xchacha20poly1305", feature = "postcard"))]
mod web_layer {
    use sealed_cookie::perl::{PERL_OLD_SECRETS_ENV, PERL_SECRET_ENV, PerlReader};
    use sealed_cookie::web::{SessionConfig, SessionLayer};
    use sealed_cookie::{FixedClock, Key, Keyring, Value};

    use super::case;
    use crate::tower_harness::{send, value_of};

    fn legacy_layer(our_name: &str, perl_secret: &str, now: u64) -> SessionLayer {
        SessionLayer::builder()
            .keyring(Keyring::new(Key::generate().unwrap()))
            .cookie_name(our_name)
            .clock(FixedClock(now))
            .perl_legacy(
                PerlReader::new(perl_secret, ["an unused old secret"]),
                "dancer.session",
            )
            .build()
            .unwrap()
    }

    #[test]
    fn a_dancer_session_is_seen_and_reissued_in_the_current_format() {
        skip_without_perl!();
        let case = case("dancer");
        let layer = legacy_layer("session", &case.secret, case.now);
        let (user, cookies) = send(&layer, false, &format!("dancer.session={}", case.cookie));
        assert_eq!(user, "grace");
        assert_eq!(cookies.len(), 2, "{cookies:?}");
        // Re-issued under our name, with the same data...
        let ours = value_of(&cookies, "session").expect("our cookie");
        let opened = layer.open_at(ours, case.now).unwrap();
        let expected = case.expected.as_ref().unwrap();
        super::same(&Value::Map(opened.value.clone()), expected, "reissued").unwrap();
        // ...keeping the Perl cookie's expiry rather than starting a new lifetime...
        let perl_expires = u64::try_from(case.expires.expect("Dancer sets an expiry")).unwrap();
        assert!(perl_expires > case.now);
        assert_eq!(opened.facts.expires_at, Some(perl_expires));
        // ...and the Perl cookie deleted.
        assert_eq!(value_of(&cookies, "dancer.session"), Some(""));
        assert!(
            cookies
                .iter()
                .any(|c| c.starts_with("dancer.session=") && c.contains("Max-Age=0"))
        );

        // The next request carries only our cookie: read, nothing to send.
        let (user, cookies) = send(&layer, false, &format!("session={ours}"));
        assert_eq!((user.as_str(), cookies.len()), ("grace", 0), "{cookies:?}");
        // Our cookie wins over a stale Perl one.
        let both = format!("session={ours}; dancer.session={}", case.cookie);
        let (user, cookies) = send(&layer, true, &both);
        assert_eq!(user, "grace");
        assert_eq!(cookies.len(), 1, "{cookies:?}");
        let ours = value_of(&cookies, "session").unwrap();
        let opened = layer.open_at(ours, case.now).unwrap();
        assert_eq!(opened.value.get("visits"), Some(&Value::Int(1)));
    }

    #[test]
    fn a_perl_session_too_large_to_reseal_starts_fresh_and_its_cookie_is_deleted() {
        skip_without_perl!();
        let case = case("dancer");
        // The smallest budget that builds holds an empty session only.
        let layer = (100..1000)
            .find_map(|budget| {
                SessionLayer::builder()
                    .keyring(Keyring::new(Key::generate().unwrap()))
                    .budget(budget)
                    .clock(FixedClock(case.now))
                    .perl_legacy(
                        PerlReader::new(&case.secret, None::<&str>),
                        "dancer.session",
                    )
                    .build()
                    .ok()
            })
            .unwrap();
        for write in [false, true] {
            let (user, cookies) = send(&layer, write, &format!("dancer.session={}", case.cookie));
            // No 500: the handler saw the session, the response deletes the Perl
            // cookie and writes nothing of ours.
            assert_eq!(user, "grace");
            assert_eq!(cookies.len(), 1, "{cookies:?}");
            assert!(
                cookies[0].starts_with("dancer.session=;") && cookies[0].contains("Max-Age=0"),
                "{cookies:?}"
            );
        }
    }

    #[test]
    fn the_same_cookie_name_is_overwritten_in_place() {
        skip_without_perl!();
        let case = case("dancer");
        let layer = legacy_layer("dancer.session", &case.secret, case.now);
        let (user, cookies) = send(&layer, true, &format!("dancer.session={}", case.cookie));
        assert_eq!(user, "grace");
        assert_eq!(cookies.len(), 1, "{cookies:?}");
        let ours = value_of(&cookies, "dancer.session").unwrap();
        let opened = layer.open_at(ours, case.now).unwrap();
        assert_eq!(opened.value.get("user"), Some(&Value::from("grace")));
        assert_eq!(opened.value.get("visits"), Some(&Value::Int(1)));
    }

    #[test]
    fn expired_and_foreign_perl_cookies_give_an_empty_session() {
        skip_without_perl!();
        let expired = case("expired");
        let layer = legacy_layer("session", &expired.secret, expired.now);
        let (user, cookies) = send(&layer, false, &format!("dancer.session={}", expired.cookie));
        assert_eq!(user, "");
        // An expired Perl cookie is deleted.
        assert_eq!(cookies.len(), 1, "{cookies:?}");
        assert_eq!(value_of(&cookies, "dancer.session"), Some(""));

        let wrong = case("wrong_secret");
        let layer = legacy_layer("session", &wrong.secret, wrong.now);
        let (user, cookies) = send(&layer, false, &format!("dancer.session={}", wrong.cookie));
        assert_eq!((user.as_str(), cookies.len()), ("", 0), "{cookies:?}");
    }

    #[test]
    fn a_configured_layer_takes_the_perl_secrets_from_the_environment() {
        skip_without_perl!();
        let case = case("old_secret");
        let old = case.old_secrets.join("\n");
        let reader = PerlReader::from_env_with(|name| match name {
            PERL_SECRET_ENV => Some(case.secret.clone().into()),
            PERL_OLD_SECRETS_ENV => Some(old.clone().into()),
            _ => None,
        })
        .unwrap();
        let layer = SessionConfig::default()
            .builder_with_keyring(Keyring::new(Key::generate().unwrap()))
            .clock(FixedClock(case.now))
            .perl_legacy(reader, "dancer.session")
            .build()
            .unwrap();
        let (user, cookies) = send(&layer, false, &format!("dancer.session={}", case.cookie));
        assert_eq!(user, "carol");
        assert!(value_of(&cookies, "session").is_some(), "{cookies:?}");
    }

    #[test]
    fn an_invalid_legacy_cookie_name_is_a_configuration_error() {
        skip_without_perl!();
        let built = SessionLayer::builder()
            .keyring(Keyring::new(Key::generate().unwrap()))
            .perl_legacy(PerlReader::new("s", None::<&str>), "dancer session")
            .build();
        assert!(built.is_err());
    }
}

/// `sealed-cookie open --perl`, through the real binary.
#[cfg(feature = "cli")]
mod cli {
    use std::io::Write as _;
    use std::process::{Command, Output, Stdio};

    use sealed_cookie::Value;

    use super::{case, same};

    fn open_perl(args: &[&str], secret: Option<&str>, old: &str, stdin: &str) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sealed-cookie"));
        command
            .arg("open")
            .arg("--perl")
            .args(args)
            .env_remove("SEALED_COOKIE_PERL_SECRET")
            .env("SEALED_COOKIE_PERL_OLD_SECRETS", old)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(secret) = secret {
            command.env("SEALED_COOKIE_PERL_SECRET", secret);
        }
        let mut child = command.spawn().expect("the sealed-cookie binary runs");
        // The binary exits before reading stdin when the secret is missing: a
        // closed pipe is then expected, and the exit status tells the rest.
        let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        if let Err(e) = written {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        child.wait_with_output().unwrap()
    }

    #[test]
    fn prints_the_session_as_exact_json() {
        skip_without_perl!();
        for name in [
            "integers",
            "flat",
            "floats",
            "unicode",
            "undef_values",
            "shared_references",
        ] {
            let case = case(name);
            let now = case.now.to_string();
            let output = open_perl(&["--now", &now], Some(&case.secret), "", &case.cookie);
            assert!(output.status.success(), "{name}: {output:?}");
            let text = String::from_utf8(output.stdout).unwrap();
            // Parsed back exactly (serde_json keeps 64-bit integers).
            let printed: serde_json::Value = serde_json::from_str(&text).unwrap();
            let value = Value::from(printed);
            same(&value, case.expected.as_ref().unwrap(), name).unwrap();
            if name == "integers" {
                assert!(text.contains("\"u64_max\":18446744073709551615"), "{text}");
                assert!(text.contains("\"past_2_53\":9007199254740993"), "{text}");
                assert!(text.contains("\"i64_min\":-9223372036854775808"), "{text}");
            }
            if name == "flat" {
                assert!(text.contains("\"zip\":\"007\""), "{text}");
            }
        }
    }

    #[test]
    fn old_secrets_come_one_a_line_and_facts_say_which() {
        skip_without_perl!();
        let case = case("old_secret");
        let old = case.old_secrets.join("\n") + "\n";
        let pasted = format!("dancer.session={}; Path=/; HttpOnly", case.cookie);
        let output = open_perl(&["--facts"], Some(&case.secret), &old, &pasted);
        assert!(output.status.success(), "{output:?}");
        let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(doc["value"]["user"], "carol");
        assert_eq!(doc["facts"]["old_secret"], true);
        assert_eq!(doc["facts"]["protocol"], 2);
    }

    #[test]
    fn rejections_and_missing_secrets() {
        skip_without_perl!();
        let case = case("wrong_secret");
        let output = open_perl(&[], Some(&case.secret), "", &case.cookie);
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("perl_bad_mac"));

        let case = super::case("future_expiry");
        let later = (case.expires.unwrap() + 1).to_string();
        let output = open_perl(&["--now", &later], Some(&case.secret), "", &case.cookie);
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("perl_expired"));

        let output = open_perl(&[], None, "", &case.cookie);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("SEALED_COOKIE_PERL_SECRET"));
    }
}
