//! The session-value readers of every built-in serializer (SPEC.md, section 12) on
//! arbitrary bytes: they never panic, and whatever one reads is written back in
//! its canonical form, which reads as the same value and is written again
//! byte for byte. postcard's reader also reads what `Value`'s serde form (the
//! tagged enum) reads, to the same value, except a tag written in more than one
//! byte (which serde's varint allows and the specified form does not).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealed_cookie::Value;
use sealed_cookie::serializer::{Json, MessagePack, Postcard, Serializer};

fn check<S: Serializer>(serializer: &S, input: &[u8]) -> Result<Value, String> {
    let value = serializer
        .deserialize_value(input)
        .map_err(|error| error.to_string())?;
    let mut canonical = Vec::new();
    serializer
        .serialize_value(&value, &mut canonical)
        .expect("a value that reads is inside the model and writes");
    let again = serializer
        .deserialize_value(&canonical)
        .expect("the canonical form reads");
    assert_eq!(again, value);
    let mut twice = Vec::new();
    serializer
        .serialize_value(&again, &mut twice)
        .expect("writes");
    assert_eq!(twice, canonical, "the canonical form is stable");
    Ok(value)
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, input)) = data.split_first() else {
        return;
    };
    match choice % 3 {
        0 => {
            let compact = check(&Postcard, input);
            if let Ok(tagged) = Postcard.deserialize::<Value>(input) {
                match compact {
                    Ok(value) => assert_eq!(value, tagged, "both readers agree"),
                    Err(error) => assert!(error.contains("names no form"), "{error}"),
                }
            }
        }
        1 => drop(check(&MessagePack, input)),
        _ => drop(check(&Json, input)),
    }
});
