//! Cookies in the format `Dancer::Session::Cookie` wrote before 0.20, made at
//! test time by the real Perl modules (tests/perl/make_old_cookies.pl: Crypt::CBC,
//! Crypt::Rijndael, String::CRC32, Storable), opened here and compared with the
//! JSON Perl prints for the same data.
//!
//! Needs `perl` with the Debian packages `libcrypt-cbc-perl`,
//! `libcrypt-rijndael-perl` and `libstring-crc32-perl` (installed by `.ci/run`).
#![cfg(feature = "legacy-dancer-old")]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use sealed_cookie::Value;
use sealed_cookie::perl::storable::{StorableDecoder, StorableError};
use sealed_cookie::perl::{Objects, OldDancerError, OldDancerReader};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Case {
    cookie: String,
    secret: String,
    expected: Option<serde_json::Value>,
}

const UNTIL: u64 = 4_102_444_800; // 2100-01-01
const NOW: u64 = 1_800_000_000;

#[path = "perl/script.rs"]
mod script;

/// The cases the Perl script makes; `None` (the tests skip, saying so) when the
/// Perl modules are missing on a developer's machine, never under CI (`CI` set),
/// where `.ci/run` installs them.
fn cases() -> Option<&'static BTreeMap<String, Case>> {
    static CASES: OnceLock<Option<BTreeMap<String, Case>>> = OnceLock::new();
    CASES
        .get_or_init(|| {
            let script = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/perl/make_old_cookies.pl"
            );
            let text = script::output(
                script,
                "libcrypt-cbc-perl, libcrypt-rijndael-perl and libstring-crc32-perl",
            )?;
            Some(
                text.lines()
                    .map(|line| {
                        let mut object: serde_json::Map<String, serde_json::Value> =
                            serde_json::from_str(line).expect("one JSON object a line");
                        let name = object.remove("name").unwrap().as_str().unwrap().to_owned();
                        (name, serde_json::from_value(object.into()).expect("a case"))
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
    &cases().expect("the Perl cases")[name]
}

fn reader(case: &Case) -> OldDancerReader {
    OldDancerReader::new(&case.secret, ["the secret before"], UNTIL)
}

fn opens_as_perl_printed(name: &str) {
    let case = case(name);
    let value = reader(case).open(&case.cookie, NOW).unwrap();
    assert_eq!(
        serde_json::to_value(&value).unwrap(),
        *case.expected.as_ref().unwrap(),
        "{name}"
    );
}

#[test]
fn a_flat_session() {
    skip_without_perl!();
    opens_as_perl_printed("flat");
}

#[test]
fn numbers_nesting_latin1_and_utf8_strings_and_keys() {
    skip_without_perl!();
    opens_as_perl_printed("types");
}

#[test]
fn a_network_order_image() {
    skip_without_perl!();
    opens_as_perl_printed("network_order");
}

#[test]
fn an_old_secret_opens_and_a_wrong_one_does_not() {
    skip_without_perl!();
    opens_as_perl_printed("old_secret");
    let case = case("wrong_secret");
    assert_eq!(
        reader(case).open(&case.cookie, NOW),
        Err(OldDancerError::NoSecretMatches)
    );
}

#[test]
fn nested_objects_are_refused_unless_unblessed() {
    skip_without_perl!();
    let case = case("nested_object");
    assert_eq!(
        reader(case).open(&case.cookie, NOW),
        Err(OldDancerError::Storable(StorableError::ObjectRefused(
            "Some::Class".into()
        )))
    );
    let unblessed = reader(case)
        .decoder(StorableDecoder::new().objects(Objects::Unbless))
        .open(&case.cookie, NOW)
        .unwrap();
    assert_eq!(
        unblessed.get("thing").and_then(|thing| thing.get("a")),
        Some(&Value::Int(1))
    );
}

#[test]
fn nothing_is_read_from_the_configured_time_on() {
    skip_without_perl!();
    let case = case("flat");
    let reader = OldDancerReader::new(&case.secret, None::<&str>, NOW + 1);
    assert!(reader.open(&case.cookie, NOW).is_ok());
    assert_eq!(
        reader.open(&case.cookie, NOW + 1),
        Err(OldDancerError::NoLongerAccepted {
            until: NOW + 1,
            now: NOW + 1
        })
    );
}

#[test]
fn percent_encoded_cookies_open() {
    skip_without_perl!();
    let case = case("flat");
    let encoded = case.cookie.replace('*', "%2A").replace('_', "%5F");
    assert!(encoded.contains('%'));
    assert!(reader(case).open(&encoded, NOW).is_ok());
}

/// Without a MAC, the CRC32 and the padding are all that notice a change: one
/// changed character of a real cookie is still refused (a false accept would
/// need a CRC32 collision, 1 in 2^32 per change).
#[test]
fn every_changed_character_of_a_real_cookie_is_rejected() {
    skip_without_perl!();
    let case = case("types");
    let reader = reader(case);
    let bytes = case.cookie.as_bytes();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_";
    let mut rejected = 0;
    // Past the `Salted__` prefix; every change there breaks the prefix check.
    for i in 0..bytes.len() {
        for replacement in [alphabet[(i * 7) % 64], alphabet[(i * 13 + 5) % 64]] {
            if replacement == bytes[i] {
                continue;
            }
            let mut changed = bytes.to_vec();
            changed[i] = replacement;
            let changed = String::from_utf8(changed).unwrap();
            match reader.open(&changed, NOW) {
                Err(_) => rejected += 1,
                // The last character may carry only unused bits.
                Ok(value) => {
                    assert!(i + 2 >= bytes.len(), "change at {i} opened");
                    assert_eq!(
                        serde_json::to_value(&value).unwrap(),
                        *case.expected.as_ref().unwrap()
                    );
                }
            }
        }
    }
    assert!(rejected >= bytes.len(), "{rejected}");
}

/// The web layer reading both Dancer formats from one cookie.
#[cfg(all(feature = "tower", feature = "xchacha20poly1305", feature = "postcard"))]
#[path = "perl/tower_harness.rs"]
mod tower_harness;

#[cfg(all(feature = "tower", feature = "xchacha20poly1305", feature = "postcard"))]
mod web_layer {
    use sealed_cookie::perl::{OldDancerReader, PerlReader};
    use sealed_cookie::web::SessionLayer;
    use sealed_cookie::{FixedClock, Key, Keyring, Value};

    use super::{NOW, case};
    use crate::tower_harness::{send, value_of};

    fn layer(our_name: &str, secret: &str, until: u64) -> SessionLayer {
        SessionLayer::builder()
            .keyring(Keyring::new(Key::generate().unwrap()))
            .cookie_name(our_name)
            .clock(FixedClock(NOW))
            .perl_legacy(PerlReader::new(secret, None::<&str>), "dancer.session")
            .legacy_reader(OldDancerReader::new(secret, None::<&str>, until))
            .build()
            .unwrap()
    }

    #[test]
    fn an_old_dancer_session_is_adopted_reissued_and_its_cookie_deleted() {
        skip_without_perl!();
        let case = case("flat");
        let layer = layer("session", &case.secret, NOW + 60);
        let (user, cookies) = send(&layer, false, &format!("dancer.session={}", case.cookie));
        assert_eq!(user, "grace");
        let ours = value_of(&cookies, "session").expect("re-issued");
        let opened = layer.open_at(ours, NOW).unwrap();
        assert_eq!(opened.value.get("visits"), Some(&Value::Int(3)));
        assert_eq!(value_of(&cookies, "dancer.session"), Some(""));
        assert!(
            cookies
                .iter()
                .any(|c| c.starts_with("dancer.session=") && c.contains("Max-Age=0"))
        );
    }

    #[test]
    fn under_our_own_cookie_name_it_is_told_apart_by_its_prefix() {
        skip_without_perl!();
        let case = case("flat");
        let layer = layer("dancer.session", &case.secret, NOW + 60);
        let (user, cookies) = send(&layer, false, &format!("dancer.session={}", case.cookie));
        assert_eq!(user, "grace");
        let ours = value_of(&cookies, "dancer.session").expect("re-issued in place");
        assert!(!ours.starts_with("U2FsdGVkX1"));
        assert!(layer.open_at(ours, NOW).is_ok());
    }

    #[test]
    fn after_the_configured_time_only_its_own_format_is_deleted() {
        skip_without_perl!();
        let case = case("flat");
        let layer = layer("session", &case.secret, NOW);
        // A percent-encoded cookie of another format (here one no reader opens)
        // is left for whoever owns it.
        let (user, cookies) = send(&layer, false, "dancer.session=abc%7Edef%7E1%7Exyz");
        assert_eq!(user, "");
        assert_eq!(value_of(&cookies, "dancer.session"), None, "{cookies:?}");
    }

    #[test]
    fn after_the_configured_time_it_is_deleted_unread() {
        skip_without_perl!();
        let case = case("flat");
        let layer = layer("session", &case.secret, NOW);
        let (user, cookies) = send(&layer, false, &format!("dancer.session={}", case.cookie));
        assert_eq!(user, "");
        assert_eq!(value_of(&cookies, "session"), None);
        assert_eq!(value_of(&cookies, "dancer.session"), Some(""));
    }
}

/// `sealed-cookie open --legacy` with the server's settings: the Perl secret,
/// the Dancer cookie's name and the last day of the old format.
#[cfg(feature = "cli")]
mod tool {
    use std::io::Write as _;
    use std::process::{Command, Output, Stdio};

    use super::case;

    fn open(until: &str, stdin: &str) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sealed-cookie"))
            .args(["open", "--legacy", "--facts", "--now", "1800000000"])
            .env_clear()
            .env("SEALED_COOKIE_PERL_SECRET", &case("flat").secret)
            .env("SEALED_COOKIE_LEGACY_PERL_COOKIE", "dancer.session")
            .env("SEALED_COOKIE_LEGACY_DANCER_OLD_UNTIL", until)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        child.wait_with_output().unwrap()
    }

    #[test]
    fn the_tool_reads_an_old_dancer_cookie_until_the_configured_day() {
        skip_without_perl!();
        let cookie = format!("dancer.session={}", case("flat").cookie);
        let output = open("2100-01-01", &cookie);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(doc["value"]["user"], "grace");
        assert_eq!(doc["facts"]["reader"], "dancer-old");
        assert_eq!(
            doc["facts"]["deletes"],
            serde_json::json!(["dancer.session"])
        );
        // 2027-01-15 is before --now: refused, and the server would delete it.
        let output = open("2027-01-15", &cookie);
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("perl, dancer-old") && stderr.contains("delete dancer.session"),
            "{stderr}"
        );
        // A date that is not one: a usage error naming the setting.
        let output = open("next spring", &cookie);
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("legacy_dancer_old_until"), "{stderr}");
    }
}
