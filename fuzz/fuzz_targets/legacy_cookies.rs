//! The legacy readers' decode paths on arbitrary input: the Storable decoder,
//! the old Dancer cookie format, and the readers of the Rust peers' cookies
//! (cookie's private and signed jars, actix-session, tower-sessions-cookie-store)
//! given a whole `Cookie` header. Never a panic; limits hold; a reader deletes
//! only cookies it reads; every adopted session is a sealable value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealed_cookie::Value;
use sealed_cookie::perl::storable::StorableDecoder;
use sealed_cookie::perl::{Limits, Objects, OldDancerReader};
use sealed_cookie::web::legacy::{
    ActixSessionReader, CookieJarReader, JarKey, JarMode, LegacyCookies, LegacyReader,
    TowerSessionsReader,
};
use sealed_cookie_fuzz::{depth, non_finite};

/// The key the seeds' jar cookies were made with: `cookie::Key::from(&[7; 64])`.
const MASTER: [u8; 64] = [7; 64];

fn storable(image: &[u8]) {
    let limits = Limits {
        max_depth: 32,
        max_items: 20_000,
        max_string_bytes: 1 << 20,
        max_body_len: 1 << 16,
    };
    let decoder = StorableDecoder::new().limits(limits);
    let result = decoder.decode(image);
    if let Ok(value) = &result {
        assert!(depth(value) <= limits.max_depth.min(Value::MAX_DEPTH));
        assert!(serde_json::to_string(value).is_ok() || non_finite(value));
        // Unblessing only ever turns an object refusal into success.
        let unblessed = decoder.objects(Objects::Unbless).decode(image);
        assert_eq!(format!("{unblessed:?}"), format!("{result:?}"));
    }
}

fn readers() -> Vec<Box<dyn LegacyReader>> {
    let key = || JarKey::from_master(&MASTER).unwrap();
    vec![
        Box::new(
            CookieJarReader::new(key(), JarMode::Private)
                .entries(["user_id", "theme"])
                .session_cookie("profile"),
        ),
        Box::new(CookieJarReader::new(key(), JarMode::Signed).entries(["signed_user"])),
        Box::new(ActixSessionReader::new(key(), JarMode::Private)),
        Box::new(ActixSessionReader::new(key(), JarMode::Signed).cookie_name("actix_signed")),
        Box::new(TowerSessionsReader::new(key(), JarMode::Signed)),
        Box::new(TowerSessionsReader::new(key(), JarMode::Private).cookie_name("tower_private")),
        Box::new(
            OldDancerReader::new("fuzz secret", ["old fuzz secret"], u64::MAX)
                .cookie_name("dancer.session"),
        ),
    ]
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => storable(rest),
        1 => {
            let text = String::from_utf8_lossy(rest);
            let reader = OldDancerReader::new("fuzz secret", ["old fuzz secret"], u64::MAX);
            if let Ok(value) = reader.open(&text, 0) {
                assert!(matches!(value, Value::Map(_)));
                assert!(serde_json::to_string(&value).is_ok() || non_finite(&value));
            }
            assert!(
                OldDancerReader::new("another", None::<&str>, u64::MAX)
                    .open(&text, 0)
                    .is_err()
            );
            // Past its day, nothing is decrypted.
            assert!(reader.open(&text, u64::MAX).is_err());
        }
        _ => {
            let header = String::from_utf8_lossy(rest);
            LegacyCookies::with_header(&header, |cookies| {
                for reader in readers() {
                    let names = reader.cookie_names();
                    let adoption = reader.adopt(cookies, 1_800_000_000);
                    assert!(adoption.delete.iter().all(|name| names.contains(name)));
                    if let Some(session) = adoption.session {
                        let value = Value::Map(session);
                        assert!(serde_json::to_string(&value).is_ok() || non_finite(&value));
                    }
                }
            });
        }
    }
});
