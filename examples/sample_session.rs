//! Seals and opens the sample session on the default suite (XChaCha20-Poly1305 +
//! postcard) and prints the cookie, its length and its facts. With
//! `--all-features`, also prints the cookie length under every suite.
//!
//! ```sh
//! cargo run --example sample_session
//! ```

use std::time::Duration;

use sealed_cookie::{Codec, Key, Keyring};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CartItem {
    sku: String,
    qty: u32,
}

/// The sample session as a Rust application would hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Session {
    user_id: u64,
    username: String,
    roles: Vec<String>,
    csrf: String,
    cart: Vec<CartItem>,
    theme: String,
    locale: String,
}

const SAMPLE_JSON: &str = include_str!("sample-session.json");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let session: Session = serde_json::from_str(SAMPLE_JSON)?;
    // A fresh key per run: fine for a demonstration, useless for real servers,
    // which load theirs from a keyring file or SEALED_COOKIE_KEYS.
    let keyring = Keyring::new(Key::generate()?);
    let codec = Codec::<Session>::builder()
        .keyring(keyring.clone())
        .cookie_name("session")
        .max_age(Duration::from_secs(3600))
        .build()?;

    let cookie = codec.seal(&session)?;
    let opened = codec.open(&cookie)?;
    assert_eq!(opened.value, session);

    let facts = &opened.facts;
    println!(
        "sample session: {} bytes of JSON",
        SAMPLE_JSON.trim_end().len()
    );
    println!(
        "suite:          v{} {}",
        facts.version,
        codec.suite_name(facts.version).unwrap_or("?")
    );
    println!("cookie value:   {cookie}");
    println!("value length:   {} characters", cookie.len());
    println!(
        "set-cookie:     {} bytes of {} allowed ({} plaintext bytes would fit)",
        codec
            .attributes()
            .rendered_len("session", cookie.len(), Some(3600), facts.expires_at),
        codec.budget(),
        codec.plaintext_capacity()
    );
    println!("key id:         {}", facts.key_id);
    println!("issued at:      {}", facts.issued_at);
    println!(
        "expires at:     {}",
        facts.expires_at.map_or("never".into(), |t| t.to_string())
    );
    println!("needs reissue:  {}", facts.needs_reissue);

    every_suite(&keyring, &session)?;
    Ok(())
}

#[cfg(all(
    feature = "aes-gcm",
    feature = "aes-siv",
    feature = "msgpack",
    feature = "zstd"
))]
fn every_suite(keyring: &Keyring, session: &Session) -> Result<(), Box<dyn std::error::Error>> {
    use sealed_cookie::Suite;
    use sealed_cookie::cipher::{Aes256Gcm, Aes256Siv, Cipher, XChaCha20Poly1305};
    use sealed_cookie::compressor::Zstd;
    use sealed_cookie::serializer::{Json, MessagePack, Postcard, Serializer};

    fn length<C: Cipher, S: Serializer>(
        keyring: &Keyring,
        session: &Session,
        cipher: C,
        serializer: S,
        zstd: bool,
    ) -> Result<usize, Box<dyn std::error::Error>> {
        let suite = Suite::new(cipher, serializer);
        let builder = Codec::<Session>::builder().keyring(keyring.clone());
        let codec = if zstd {
            builder
                .suite(1, suite.compressor(Zstd::default().min_input(1)))
                .build()?
        } else {
            builder.suite(1, suite).build()?
        };
        let cookie = codec.seal(session)?;
        assert_eq!(codec.open(&cookie)?.value, *session);
        Ok(cookie.len())
    }

    println!(
        "\ncookie value length of the sample session per suite (Perl: 357, cookie crate: 384)"
    );
    println!(
        "{:<20} {:>9} {:>9} {:>9} {:>9}",
        "cipher", "postcard", "+zstd", "msgpack", "+zstd"
    );
    macro_rules! row {
        ($name:expr, $cipher:expr) => {
            println!(
                "{:<20} {:>9} {:>9} {:>9} {:>9}   json {}",
                $name,
                length(keyring, session, $cipher, Postcard, false)?,
                length(keyring, session, $cipher, Postcard, true)?,
                length(keyring, session, $cipher, MessagePack, false)?,
                length(keyring, session, $cipher, MessagePack, true)?,
                length(keyring, session, $cipher, Json, false)?,
            )
        };
    }
    row!("xchacha20poly1305", XChaCha20Poly1305);
    row!("aes256gcm", Aes256Gcm);
    row!("aes256siv", Aes256Siv);
    Ok(())
}

#[cfg(not(all(
    feature = "aes-gcm",
    feature = "aes-siv",
    feature = "msgpack",
    feature = "zstd"
)))]
fn every_suite(_: &Keyring, _: &Session) -> Result<(), Box<dyn std::error::Error>> {
    println!("\n(run with --all-features to compare every suite's cookie length)");
    Ok(())
}
