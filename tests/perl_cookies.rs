//! Cookies made at test time by Perl's own `Session::Storage::Secure` and
//! `Dancer::Session::Cookie` (tests/perl/make_cookies.pl), opened here and
//! compared with the JSON Perl prints for the same data.
//!
//! Needs `perl` with the Debian packages `libsession-storage-secure-perl`,
//! `libdancer-session-cookie-perl` and `libjson-perl` (installed by `.ci/run`).
#![cfg(feature = "perl-compat")]

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::OnceLock;

use sealed_cookie::Value;
use sealed_cookie::perl::{BinaryStrings, PerlError, PerlReader, SerealDecoder};
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

fn cases() -> &'static BTreeMap<String, Case> {
    static CASES: OnceLock<BTreeMap<String, Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/perl/make_cookies.pl");
        let output = Command::new("perl")
            .arg(script)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run perl ({e}): install perl and libsession-storage-secure-perl")
            });
        assert!(
            output.status.success(),
            "{script} failed (are libsession-storage-secure-perl, libdancer-session-cookie-perl \
             and libjson-perl installed?):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).expect("the script prints UTF-8 JSON");
        text.lines()
            .map(|line| {
                let mut object: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(line).expect("one JSON object a line");
                let name = object["name"].as_str().expect("a name").to_owned();
                object.remove("name");
                let case = serde_json::from_value(object.into()).expect("a case");
                (name, case)
            })
            .collect()
    })
}

fn case(name: &str) -> &'static Case {
    cases()
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
    let value = opens_as_perl_printed("flat");
    // A Perl string "007" stays a string.
    assert_eq!(value.get("zip"), Some(&Value::from("007")));
    assert_eq!(value.get("visits"), Some(&Value::Int(3)));
}

#[test]
fn nested_hashes_and_arrays() {
    let value = opens_as_perl_printed("nested");
    let Some(Value::Map(many)) = value.get("many") else {
        panic!("many is not a map")
    };
    assert_eq!(many.len(), 20);
}

#[test]
fn unicode_strings_and_keys() {
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
    let value = opens_as_perl_printed("floats");
    assert_eq!(value.get("half"), Some(&Value::Float(1.5)));
    assert_eq!(value.get("pi"), Some(&Value::Float(std::f64::consts::PI)));
    assert_eq!(value.get("third"), Some(&Value::Float(1.0 / 3.0)));
}

#[test]
fn empty_session() {
    assert_eq!(opens_as_perl_printed("empty"), Value::Map(BTreeMap::new()));
}

#[test]
fn undef_values_are_null() {
    let value = opens_as_perl_printed("undef_values");
    assert_eq!(value.get("gone"), Some(&Value::Null));
}

#[test]
fn shared_references_are_expanded() {
    let value = opens_as_perl_printed("shared_references");
    assert_eq!(value.get("a"), value.get("b"));
    assert_eq!(value.get("ref1"), Some(&Value::from("pointed at")));
    assert_eq!(value.get("ref2"), Some(&Value::from("pointed at")));
    assert_eq!(value.get("refref"), Some(&Value::from("deep")));
}

#[test]
fn copied_and_aliased_strings() {
    opens_as_perl_printed("deduplicated_strings");
    opens_as_perl_printed("aliased_strings");
}

#[test]
fn snappy_compressed_body() {
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
fn old_secret() {
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
    let case = case("wrong_secret");
    assert!(case.expected.is_none());
    assert_eq!(
        reader(case).open(&case.cookie, case.now),
        Err(PerlError::BadMac)
    );
}

#[test]
fn protocol_1() {
    let value = opens_as_perl_printed("protocol_1");
    assert_eq!(value.get("unicode"), Some(&Value::from("☺")));
}

#[test]
fn dancer_session_cookie() {
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
