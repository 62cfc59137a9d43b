//! Session lifetimes at the codec: format 2 sessions keep their id and creation
//! time through re-seals, key rotation, suite upgrades and the move from format
//! 1; flash messages round-trip; the timeouts end sessions with their own errors.

#![cfg(all(
    feature = "xchacha20poly1305",
    feature = "postcard",
    feature = "aes-gcm"
))]

use std::time::Duration;

use sealed_cookie::cipher::{Aes256Gcm, XChaCha20Poly1305};
use sealed_cookie::serializer::Postcard;
use sealed_cookie::{
    Codec, CodecBuilder, Ending, FixedClock, Format, Key, Keyring, OpenError, SealError,
    SealOptions, SessionMap, Suite, Value,
};

const T0: u64 = 1_700_000_000;

fn key(byte: u8) -> Key {
    Key::from_bytes(&[byte; 32]).unwrap()
}

fn builder(keyring: Keyring) -> CodecBuilder<String> {
    Codec::<String>::builder()
        .keyring(keyring)
        .idle_timeout(Duration::from_secs(1800))
        .absolute_timeout(Duration::from_secs(8 * 3600))
        .clock(FixedClock(T0))
}

#[test]
fn rotation_upgrades_and_format_moves_keep_the_session_id_and_creation_time() {
    let (k1, k2) = (key(1), key(2));
    // A format 1 cookie from a server not yet upgraded.
    let v1 = builder(Keyring::new(k1.clone()))
        .envelope_format(Format::V1)
        .build()
        .unwrap();
    let old = v1.seal_at(&"alice".to_owned(), T0).unwrap();
    let v2 = builder(Keyring::new(k1.clone())).build().unwrap();
    let opened = v2.open_at(&old, T0 + 100).unwrap();
    assert_eq!(opened.facts.format, Format::V1);
    assert!(opened.facts.old_format && opened.facts.needs_reissue);
    assert_eq!(opened.facts.session_id, None);
    // Re-issued into format 2: the issued-at becomes the creation time, and it
    // gets its id.
    let moved = v2
        .reseal_at(&opened.value, &opened.facts, T0 + 100)
        .unwrap();
    let facts = v2.open_at(&moved, T0 + 200).unwrap().facts;
    assert_eq!(
        (facts.format, facts.issued_at, facts.sealed_at),
        (Format::V2, T0, T0 + 100)
    );
    let id = facts.session_id.expect("a session id");
    assert!(!facts.needs_reissue);

    // Key rotation and a suite upgrade on another server: same id, same creation.
    let upgraded = builder(Keyring::new(k2.clone()).with_accepted(k1.clone()))
        .suite(1, Suite::new(XChaCha20Poly1305, Postcard))
        .suite(2, Suite::new(Aes256Gcm, Postcard))
        .current(2)
        .build()
        .unwrap();
    let opened = upgraded.open_at(&moved, T0 + 300).unwrap();
    assert!(opened.facts.old_key && opened.facts.old_suite && opened.facts.needs_reissue);
    let reissued = upgraded
        .reseal_at(&opened.value, &opened.facts, T0 + 300)
        .unwrap();
    let facts = upgraded.open_at(&reissued, T0 + 400).unwrap().facts;
    assert_eq!((facts.version, facts.key_id), (2, k2.id()));
    assert_eq!(
        (facts.session_id, facts.issued_at, facts.sealed_at),
        (Some(id), T0, T0 + 300)
    );
    // A fresh seal is a new session.
    let fresh = upgraded.seal_at(&"alice".to_owned(), T0 + 400).unwrap();
    let fresh = upgraded.open_at(&fresh, T0 + 400).unwrap().facts;
    assert_ne!(fresh.session_id, Some(id));
    assert_eq!(fresh.issued_at, T0 + 400);
}

#[test]
fn activity_extends_the_idle_timeout_but_never_the_absolute_one() {
    let codec = builder(Keyring::new(key(1)))
        .clock_skew(Duration::ZERO)
        .build()
        .unwrap();
    let mut cookie = codec.seal_at(&"alice".to_owned(), T0).unwrap();
    let mut now = T0;
    // A request every 20 minutes, each re-sealing: alive until 8 h after T0.
    loop {
        now += 1200;
        match codec.open_at(&cookie, now) {
            Ok(opened) => {
                assert!(opened.facts.absolute_expires_at == Some(T0 + 8 * 3600));
                cookie = match codec.reseal_at(&opened.value, &opened.facts, now) {
                    Ok(cookie) => cookie,
                    Err(error) => panic!("{now}: {error}"),
                };
            }
            Err(OpenError::AbsolutelyExpired { expired_at }) => {
                assert_eq!(expired_at, T0 + 8 * 3600);
                assert!((T0 + 8 * 3600..T0 + 8 * 3600 + 1200).contains(&now));
                break;
            }
            Err(other) => panic!("{now}: {other}"),
        }
    }
    // Idle for longer than 30 minutes: idle-expired, and the facts said why before.
    let cookie = codec.seal_at(&"bob".to_owned(), T0).unwrap();
    let facts = codec.open_at(&cookie, T0 + 1000).unwrap().facts;
    assert_eq!(facts.ends_by, Some(Ending::Idle));
    assert!(matches!(
        codec.open_at(&cookie, T0 + 1800),
        Err(OpenError::IdleExpired { expired_at }) if expired_at == T0 + 1800
    ));
}

#[test]
fn flash_messages_ride_in_format_2_only() {
    let codec = builder(Keyring::new(key(1))).build().unwrap();
    let flash = SessionMap::from([("notice".to_owned(), Value::from("Saved."))]);
    let options = SealOptions {
        flash: Some(&flash),
        browser_session: true,
        ..SealOptions::default()
    };
    let sealed = codec
        .seal_session_at(&"alice".to_owned(), &options, T0)
        .unwrap();
    assert_eq!(sealed.expires_at, Some(T0 + 1800));
    let opened = codec.open_at(&sealed.value, T0).unwrap();
    assert_eq!((opened.value.as_str(), &opened.flash), ("alice", &flash));
    assert!(opened.facts.has_flash && opened.facts.browser_session);
    assert_eq!(opened.facts.session_id, sealed.session_id);
    // Re-sealed without them: gone, the mark kept.
    let again = codec
        .reseal_at(&opened.value, &opened.facts, T0 + 1)
        .unwrap();
    let reopened = codec.open_at(&again, T0 + 1).unwrap();
    assert!(reopened.flash.is_empty() && reopened.facts.browser_session);
    // Format 1 has no place for them.
    let v1 = builder(Keyring::new(key(1)))
        .envelope_format(Format::V1)
        .build()
        .unwrap();
    assert!(matches!(
        v1.seal_session_at(&"alice".to_owned(), &options, T0),
        Err(SealError::Flash(_))
    ));
}

#[test]
fn timeouts_are_checked_when_the_codec_is_built() {
    let window_too_long = builder(Keyring::new(key(1)))
        .renew_within(Duration::from_secs(1800))
        .build()
        .unwrap_err();
    assert!(
        window_too_long.to_string().contains("renew_within"),
        "{window_too_long}"
    );
    for idle in [Duration::ZERO, Duration::from_secs(1 << 33)] {
        let error = builder(Keyring::new(key(1)))
            .idle_timeout(idle)
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("idle timeout"), "{error}");
    }
}

#[test]
fn format_1_writers_never_seal_a_cookie_without_expiry() {
    // Only an idle timeout, written in format 1 (which has no seal time): the
    // cookie lives that long from sign-in.
    let v1 = Codec::<String>::builder()
        .keyring(Keyring::new(key(1)))
        .idle_timeout(Duration::from_secs(600))
        .envelope_format(Format::V1)
        .build()
        .unwrap();
    let cookie = v1.seal_at(&"alice".to_owned(), T0).unwrap();
    let facts = v1.open_at(&cookie, T0).unwrap().facts;
    assert_eq!((facts.lifetime, facts.expires_at), (600, Some(T0 + 600)));
    let bare = Codec::<String>::builder()
        .keyring(Keyring::new(key(1)))
        .build()
        .unwrap();
    assert!(matches!(
        bare.open_at(&cookie, T0 + 700),
        Err(OpenError::Expired { .. })
    ));
}

#[test]
fn the_fresh_expiry_is_what_a_fresh_seal_writes() {
    for (format, idle, absolute, expected) in [
        (Format::V2, Some(600), None, Some(600)),
        (Format::V2, Some(600), Some(300), Some(300)),
        (Format::V2, None, None, None),
        (Format::V1, Some(600), None, Some(600)),
        (Format::V1, Some(600), Some(3600), Some(3600)),
    ] {
        let mut builder = Codec::<String>::builder()
            .keyring(Keyring::new(key(1)))
            .envelope_format(format);
        if let Some(idle) = idle {
            builder = builder.idle_timeout(Duration::from_secs(idle));
        }
        if let Some(absolute) = absolute {
            builder = builder.absolute_timeout(Duration::from_secs(absolute));
        }
        let codec = builder.build().unwrap();
        let sealed = codec
            .seal_session_at(&"x".to_owned(), &SealOptions::default(), T0)
            .unwrap();
        assert_eq!(sealed.expires_at.map(|at| at - T0), expected, "{format:?}");
        assert_eq!(
            codec.fresh_expiry().map(|d| d.as_secs()),
            expected,
            "{format:?}"
        );
    }
}

#[test]
fn a_format_1_writer_keeps_format_2_sessions_in_format_2() {
    let v2 = builder(Keyring::new(key(1))).build().unwrap();
    let cookie = v2.seal_at(&"alice".to_owned(), T0).unwrap();
    let v1 = builder(Keyring::new(key(1)))
        .envelope_format(Format::V1)
        .build()
        .unwrap();
    let opened = v1.open_at(&cookie, T0 + 10).unwrap();
    assert!(!opened.facts.old_format && !opened.facts.needs_reissue);
    let again = v1.reseal_at(&opened.value, &opened.facts, T0 + 10).unwrap();
    let facts = v1.open_at(&again, T0 + 20).unwrap().facts;
    assert_eq!(
        facts.format,
        Format::V2,
        "never moved back: its id would be lost"
    );
    assert_eq!(facts.session_id, opened.facts.session_id);
    // A fresh seal follows the written format.
    let fresh = v1.seal_at(&"bob".to_owned(), T0).unwrap();
    assert_eq!(v1.open_at(&fresh, T0).unwrap().facts.format, Format::V1);
}
