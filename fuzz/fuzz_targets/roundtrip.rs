//! An arbitrary session value sealed under an arbitrary suite opens to exactly
//! that value, and so does its re-seal.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sealed_cookie::{Codec, SealError, Value};
use sealed_cookie_fuzz::{ArbValue, NOW, SUITES, SuiteSpec, Typed, codecs, same_value};
use sealed_cookie_fuzz::{depth, non_finite};

static VALUES: OnceLock<Vec<Codec<Value>>> = OnceLock::new();
static TYPED: OnceLock<Vec<Codec<Typed>>> = OnceLock::new();

#[derive(Debug, Arbitrary)]
enum Session {
    Untyped(ArbValue),
    Typed(Typed),
}

#[derive(Debug, Arbitrary)]
struct Input {
    suite: u8,
    session: Session,
}

fuzz_target!(|input: Input| {
    let index = usize::from(input.suite) % SUITES;
    let spec = SuiteSpec::of(index as u8 + 1).expect("registered");
    match input.session {
        Session::Untyped(value) => {
            let value = Value::from(value);
            // The values outside the session value's model, which the crate must
            // refuse to seal rather than alter: too deep, or holding a NaN or an
            // infinity (under every serializer).
            let refused = depth(&value) > Value::MAX_DEPTH || non_finite(&value);
            let codec = &codecs(&VALUES)[index];
            if refused {
                assert!(
                    matches!(codec.seal_at(&value, NOW), Err(SealError::Serialize(_))),
                    "{} sealed a value it cannot keep: {value:?}",
                    spec.label()
                );
            } else {
                roundtrip(codec, spec, &value, same_value);
            }
        }
        Session::Typed(value) => {
            let codec = &codecs(&TYPED)[index];
            if spec.serializer == 2 && value.has_non_finite() {
                assert!(
                    matches!(codec.seal_at(&value, NOW), Err(SealError::Serialize(_))),
                    "{} sealed a value it cannot keep: {value:?}",
                    spec.label()
                );
            } else {
                roundtrip(codec, spec, &value, |a, b| a == b);
            }
        }
    }
});

fn roundtrip<T>(codec: &Codec<T>, spec: SuiteSpec, value: &T, same: fn(&T, &T) -> bool)
where
    T: serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug + 'static,
{
    let cookie = match codec.seal_at(value, NOW) {
        Ok(cookie) => cookie,
        Err(SealError::TooLarge { needed, budget }) => {
            assert!(needed > budget);
            return;
        }
        Err(error) => panic!("{} cannot seal {value:?}: {error}", spec.label()),
    };
    let opened = codec
        .open_at(&cookie, NOW)
        .unwrap_or_else(|e| panic!("{} sealed a cookie it cannot open: {e}", spec.label()));
    assert!(
        same(&opened.value, value),
        "{}: {:?} != {value:?}",
        spec.label(),
        opened.value
    );
    assert_eq!(opened.facts.version, spec.version);
    assert!(!opened.facts.needs_reissue);
    let again = codec
        .reseal_at(&opened.value, &opened.facts, NOW + 1)
        .expect("the same value seals again");
    let reopened = codec.open_at(&again, NOW + 1).expect("a re-seal opens");
    assert!(same(&reopened.value, value));
}
