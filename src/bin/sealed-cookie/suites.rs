//! The fixed table of named suites: each name always means the same cipher,
//! serializer and compressor under the same suite version, so `open` can register
//! every one of them and open a cookie sealed under any.

use sealed_cookie::cipher::{Aes256Gcm, Aes256Siv, Cipher, XChaCha20Poly1305};
use sealed_cookie::compressor::Zstd;
use sealed_cookie::serializer::{Json, MessagePack, Postcard, Serializer};
use sealed_cookie::{CodecBuilder, Suite, Value};

/// The cipher of a named suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CipherName {
    XChaCha,
    AesGcm,
    AesSiv,
}

/// The serializer of a named suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerializerName {
    Postcard,
    MessagePack,
    Json,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamedSuite {
    pub name: &'static str,
    pub version: u8,
    pub cipher: CipherName,
    pub serializer: SerializerName,
    pub zstd: bool,
}

/// The suite `seal` uses when `--suite` is not given: the library's default suite,
/// under the library's default version 1.
pub const DEFAULT_SUITE: &str = "xchacha-postcard";

macro_rules! table {
    ($(($name:literal, $version:literal, $cipher:ident, $ser:ident, $zstd:literal)),* $(,)?) => {
        /// Every named suite, by version.
        pub const SUITES: &[NamedSuite] = &[
            $(NamedSuite {
                name: $name,
                version: $version,
                cipher: CipherName::$cipher,
                serializer: SerializerName::$ser,
                zstd: $zstd,
            }),*
        ];
    };
}

table![
    ("xchacha-postcard", 1, XChaCha, Postcard, false),
    ("xchacha-msgpack", 2, XChaCha, MessagePack, false),
    ("xchacha-json", 3, XChaCha, Json, false),
    ("xchacha-postcard-zstd", 4, XChaCha, Postcard, true),
    ("xchacha-msgpack-zstd", 5, XChaCha, MessagePack, true),
    ("xchacha-json-zstd", 6, XChaCha, Json, true),
    ("aes-gcm-postcard", 7, AesGcm, Postcard, false),
    ("aes-gcm-msgpack", 8, AesGcm, MessagePack, false),
    ("aes-gcm-json", 9, AesGcm, Json, false),
    ("aes-gcm-postcard-zstd", 10, AesGcm, Postcard, true),
    ("aes-gcm-msgpack-zstd", 11, AesGcm, MessagePack, true),
    ("aes-gcm-json-zstd", 12, AesGcm, Json, true),
    ("aes-siv-postcard", 13, AesSiv, Postcard, false),
    ("aes-siv-msgpack", 14, AesSiv, MessagePack, false),
    ("aes-siv-json", 15, AesSiv, Json, false),
    ("aes-siv-postcard-zstd", 16, AesSiv, Postcard, true),
    ("aes-siv-msgpack-zstd", 17, AesSiv, MessagePack, true),
    ("aes-siv-json-zstd", 18, AesSiv, Json, true),
];

impl NamedSuite {
    /// Finds a suite by name (case-insensitive).
    pub fn by_name(name: &str) -> Option<&'static Self> {
        SUITES
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
    }

    /// Finds a suite by version.
    pub fn by_version(version: u8) -> Option<&'static Self> {
        SUITES.iter().find(|s| s.version == version)
    }

    /// Parses `--suite`, listing the names on a mistake.
    pub fn parse(name: &str) -> Result<&'static Self, String> {
        Self::by_name(name).ok_or_else(|| {
            let names: Vec<&str> = SUITES.iter().map(|s| s.name).collect();
            format!(
                "unknown suite {name:?}; known suites: {} (see `sealed-cookie suites`)",
                names.join(", ")
            )
        })
    }

    pub fn cipher_name(&self) -> &'static str {
        match self.cipher {
            CipherName::XChaCha => XChaCha20Poly1305.name(),
            CipherName::AesGcm => Aes256Gcm.name(),
            CipherName::AesSiv => Aes256Siv.name(),
        }
    }

    pub fn serializer_name(&self) -> &'static str {
        match self.serializer {
            SerializerName::Postcard => Postcard.name(),
            SerializerName::MessagePack => MessagePack.name(),
            SerializerName::Json => Json.name(),
        }
    }

    pub fn compressor_name(&self) -> &'static str {
        if self.zstd { "zstd" } else { "none" }
    }

    /// Nonce length of the suite's cipher.
    pub fn nonce_len(&self) -> usize {
        match self.cipher {
            CipherName::XChaCha => XChaCha20Poly1305.nonce_len(),
            CipherName::AesGcm => Aes256Gcm.nonce_len(),
            CipherName::AesSiv => Aes256Siv.nonce_len(),
        }
    }

    /// Tag length of the suite's cipher.
    pub fn tag_len(&self) -> usize {
        match self.cipher {
            CipherName::XChaCha => XChaCha20Poly1305.tag_len(),
            CipherName::AesGcm => Aes256Gcm.tag_len(),
            CipherName::AesSiv => Aes256Siv.tag_len(),
        }
    }

    /// Registers this suite under its version.
    pub fn register(&self, builder: CodecBuilder<Value>) -> CodecBuilder<Value> {
        match self.cipher {
            CipherName::XChaCha => self.with_cipher(builder, XChaCha20Poly1305),
            CipherName::AesGcm => self.with_cipher(builder, Aes256Gcm),
            CipherName::AesSiv => self.with_cipher(builder, Aes256Siv),
        }
    }

    fn with_cipher<C: Cipher>(
        &self,
        builder: CodecBuilder<Value>,
        cipher: C,
    ) -> CodecBuilder<Value> {
        match self.serializer {
            SerializerName::Postcard => self.with_serializer(builder, cipher, Postcard),
            SerializerName::MessagePack => self.with_serializer(builder, cipher, MessagePack),
            SerializerName::Json => self.with_serializer(builder, cipher, Json),
        }
    }

    fn with_serializer<C: Cipher, S: Serializer>(
        &self,
        builder: CodecBuilder<Value>,
        cipher: C,
        serializer: S,
    ) -> CodecBuilder<Value> {
        let suite = Suite::new(cipher, serializer);
        if self.zstd {
            builder.suite(self.version, suite.compressor(Zstd::default()))
        } else {
            builder.suite(self.version, suite)
        }
    }
}

/// Registers every named suite and makes `current` the one that seals.
pub fn register_all(builder: CodecBuilder<Value>, current: &NamedSuite) -> CodecBuilder<Value> {
    SUITES
        .iter()
        .fold(builder, |b, suite| suite.register(b))
        .current(current.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_versions_are_unique_and_the_default_is_version_1() {
        for (i, a) in SUITES.iter().enumerate() {
            for b in &SUITES[i + 1..] {
                assert_ne!(a.name, b.name);
                assert_ne!(a.version, b.version);
                assert!(
                    (a.cipher, a.serializer, a.zstd) != (b.cipher, b.serializer, b.zstd),
                    "{} and {} are the same suite",
                    a.name,
                    b.name
                );
            }
        }
        assert_eq!(NamedSuite::by_name(DEFAULT_SUITE).unwrap().version, 1);
        assert_eq!(
            NamedSuite::by_name("AES-GCM-MSGPACK-ZSTD").unwrap().version,
            11
        );
        assert!(
            NamedSuite::parse("rot13")
                .unwrap_err()
                .contains("xchacha-postcard")
        );
    }

    #[test]
    fn names_spell_out_their_parts() {
        for suite in SUITES {
            let cipher = match suite.cipher {
                CipherName::XChaCha => "xchacha-",
                CipherName::AesGcm => "aes-gcm-",
                CipherName::AesSiv => "aes-siv-",
            };
            let serializer = match suite.serializer {
                SerializerName::Postcard => "postcard",
                SerializerName::MessagePack => "msgpack",
                SerializerName::Json => "json",
            };
            let zstd = if suite.zstd { "-zstd" } else { "" };
            assert_eq!(suite.name, format!("{cipher}{serializer}{zstd}"));
        }
    }
}
