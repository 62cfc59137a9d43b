//! The fixed table of named suites: each name always means the same cipher,
//! serializer and compressor under the same suite version, so `open` can register
//! every one of them and open a cookie sealed under any.
//!
//! Applications number their suites themselves: `--suite-version VERSION=NAME`
//! maps one of their versions to a named suite, replacing the table's entry for
//! that version (see [`Suites`]).

use sealed_cookie::cipher::{Aes256Gcm, Aes256Siv, Cipher, XChaCha20Poly1305};
use sealed_cookie::compressor::Zstd;
use sealed_cookie::envelope::VERSIONS;
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

    /// Registers this suite under `version` (its own, or an application's).
    /// Padding needs no setting: the header's padded flag tells the opener.
    pub fn register(&self, builder: CodecBuilder<Value>, version: u8) -> CodecBuilder<Value> {
        match self.cipher {
            CipherName::XChaCha => self.with_cipher(builder, version, XChaCha20Poly1305),
            CipherName::AesGcm => self.with_cipher(builder, version, Aes256Gcm),
            CipherName::AesSiv => self.with_cipher(builder, version, Aes256Siv),
        }
    }

    fn with_cipher<C: Cipher>(
        &self,
        builder: CodecBuilder<Value>,
        version: u8,
        cipher: C,
    ) -> CodecBuilder<Value> {
        match self.serializer {
            SerializerName::Postcard => self.with_serializer(builder, version, cipher, Postcard),
            SerializerName::MessagePack => {
                self.with_serializer(builder, version, cipher, MessagePack)
            }
            SerializerName::Json => self.with_serializer(builder, version, cipher, Json),
        }
    }

    fn with_serializer<C: Cipher, S: Serializer>(
        &self,
        builder: CodecBuilder<Value>,
        version: u8,
        cipher: C,
        serializer: S,
    ) -> CodecBuilder<Value> {
        let suite = Suite::new(cipher, serializer);
        if self.zstd {
            builder.suite(version, suite.compressor(Zstd::default()))
        } else {
            builder.suite(version, suite)
        }
    }
}

/// An application's suite version mapped to a named suite: `VERSION=NAME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    pub version: u8,
    pub suite: &'static NamedSuite,
}

impl std::fmt::Display for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.version, self.suite.name)
    }
}

/// Parses a suite version: 1 to 127 (0 and 128 to 255 are reserved by the envelope).
fn parse_version(text: &str) -> Result<u8, String> {
    let text = text.trim();
    match text.parse::<u64>() {
        Ok(v) => match u8::try_from(v) {
            Ok(v) if VERSIONS.contains(&v) => Ok(v),
            _ => Err(format!(
                "suite version {v} is reserved or out of range: use a version from {} to {}",
                VERSIONS.start(),
                VERSIONS.end()
            )),
        },
        Err(_) => Err(format!(
            "{text:?} is not a suite version: use a whole number from {} to {}",
            VERSIONS.start(),
            VERSIONS.end()
        )),
    }
}

/// Parses `--suite-version VERSION=NAME`.
pub fn parse_mapping(text: &str) -> Result<Mapping, String> {
    let Some((version, name)) = text.split_once('=') else {
        return Err(
            "not VERSION=NAME: write e.g. `2=aes-gcm-postcard` (the application's \
                    version, then a name from `sealed-cookie suites`)"
                .to_owned(),
        );
    };
    Ok(Mapping {
        version: parse_version(version)?,
        suite: NamedSuite::parse(name)?,
    })
}

/// `--suite`: a named suite under its table version, or `VERSION=NAME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuiteChoice {
    Named(&'static NamedSuite),
    Mapped(Mapping),
}

/// Parses `--suite NAME` or `--suite VERSION=NAME`.
pub fn parse_choice(text: &str) -> Result<SuiteChoice, String> {
    if text.contains('=') {
        parse_mapping(text).map(SuiteChoice::Mapped)
    } else {
        NamedSuite::parse(text).map(SuiteChoice::Named)
    }
}

/// The suites a codec registers: the table, with the application's mappings in
/// place of the table's entries for their versions, and the version that seals.
#[derive(Debug, Clone)]
pub struct Suites {
    /// Indexed by version; `None` for 0.
    by_version: Vec<Option<&'static NamedSuite>>,
    current: u8,
}

impl Suites {
    /// The table with `mappings` applied (`--suite-version`, and `--suite VERSION=NAME`
    /// when `current` is one), and `current` as the version that seals: version 1
    /// when `None`. A version mapped to two suites, or a current suite registered
    /// under no version or several, is an error; the same mapping given twice is one.
    pub fn new(mappings: &[Mapping], current: Option<SuiteChoice>) -> Result<Self, String> {
        let mut by_version = vec![None; usize::from(*VERSIONS.end()) + 1];
        for suite in SUITES {
            by_version[usize::from(suite.version)] = Some(suite);
        }
        let chosen = match current {
            Some(SuiteChoice::Mapped(mapping)) => Some(mapping),
            _ => None,
        };
        let mut mapped: Vec<Mapping> = Vec::new();
        for mapping in mappings.iter().chain(&chosen) {
            if mapped.contains(mapping) {
                continue;
            }
            if let Some(earlier) = mapped.iter().find(|m| m.version == mapping.version) {
                return Err(format!(
                    "suite version {} is mapped twice ({earlier} and {mapping}): map each version once",
                    mapping.version
                ));
            }
            mapped.push(*mapping);
            by_version[usize::from(mapping.version)] = Some(mapping.suite);
        }
        let current = match current {
            None => 1,
            Some(SuiteChoice::Mapped(mapping)) => mapping.version,
            Some(SuiteChoice::Named(suite)) => {
                let versions: Vec<u8> = mapped
                    .iter()
                    .filter(|m| m.suite == suite)
                    .map(|m| m.version)
                    .collect();
                match versions[..] {
                    [version] => version,
                    [] if by_version[usize::from(suite.version)] == Some(suite) => suite.version,
                    [] => {
                        return Err(format!(
                            "suite {} is registered under no version: its version {} is mapped to {}; \
                             name the version it seals under with --suite VERSION={}",
                            suite.name,
                            suite.version,
                            by_version[usize::from(suite.version)].map_or("?", |s| s.name),
                            suite.name
                        ));
                    }
                    _ => {
                        let list: Vec<String> = versions.iter().map(u8::to_string).collect();
                        return Err(format!(
                            "suite {} is mapped to versions {}: say which one seals with --suite VERSION={}",
                            suite.name,
                            list.join(", "),
                            suite.name
                        ));
                    }
                }
            }
        };
        Ok(Self {
            by_version,
            current,
        })
    }

    /// The suite registered under `version`.
    pub fn by_version(&self, version: u8) -> Option<&'static NamedSuite> {
        self.by_version.get(usize::from(version)).copied().flatten()
    }

    /// The version that seals, and its suite.
    pub fn current(&self) -> (u8, &'static NamedSuite) {
        let suite = self
            .by_version(self.current)
            .expect("the current version is registered");
        (self.current, suite)
    }

    /// Registers every suite under its version and makes the current one seal.
    pub fn register(&self, builder: CodecBuilder<Value>) -> CodecBuilder<Value> {
        (0u8..)
            .zip(&self.by_version)
            .filter_map(|(version, suite)| suite.map(|s| (version, s)))
            .fold(builder, |b, (version, suite)| suite.register(b, version))
            .current(self.current)
    }
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

    fn mapping(text: &str) -> Mapping {
        parse_mapping(text).unwrap()
    }

    #[test]
    fn mappings_replace_the_table_entry_of_their_version() {
        let table = Suites::new(&[], None).unwrap();
        assert_eq!(
            table.current(),
            (1, NamedSuite::by_name(DEFAULT_SUITE).unwrap())
        );
        assert_eq!(table.by_version(2).unwrap().name, "xchacha-msgpack");
        assert_eq!(table.by_version(19), None);

        let gcm = NamedSuite::by_name("aes-gcm-postcard").unwrap();
        let suites = Suites::new(
            &[
                mapping("2=aes-gcm-postcard"),
                mapping(" 3 = AES-SIV-POSTCARD "),
            ],
            Some(SuiteChoice::Named(gcm)),
        )
        .unwrap();
        assert_eq!(suites.by_version(2), Some(gcm));
        assert_eq!(suites.by_version(3).unwrap().name, "aes-siv-postcard");
        // The table's own entry of the name stays; the mapping is the one that seals.
        assert_eq!(suites.by_version(7), Some(gcm));
        assert_eq!(suites.current(), (2, gcm));
        // Versions the table does not use.
        let high = Suites::new(&[mapping("127=xchacha-json")], None).unwrap();
        assert_eq!(high.by_version(127).unwrap().name, "xchacha-json");
        // --suite VERSION=NAME maps and seals.
        let chosen = Suites::new(&[], Some(parse_choice("40=aes-siv-json").unwrap())).unwrap();
        assert_eq!(chosen.current().0, 40);
        assert_eq!(chosen.by_version(40).unwrap().name, "aes-siv-json");
    }

    #[test]
    fn bad_mappings_say_what_is_wrong() {
        for (text, needle) in [
            ("0=xchacha-json", "reserved"),
            ("128=xchacha-json", "reserved"),
            ("255=xchacha-json", "reserved"),
            ("256=xchacha-json", "out of range"),
            ("two=xchacha-json", "not a suite version"),
            ("-1=xchacha-json", "not a suite version"),
            ("2=rot13", "unknown suite \"rot13\""),
            ("2", "not VERSION=NAME"),
            ("aes-gcm-json", "not VERSION=NAME"),
        ] {
            let error = parse_mapping(text).unwrap_err();
            assert!(error.contains(needle), "{text}: {error}");
        }
        // The same mapping twice (as --suite-version and --suite) says one thing.
        let same = Suites::new(
            &[mapping("2=aes-gcm-json"), mapping("2=aes-gcm-json")],
            Some(parse_choice("2=aes-gcm-json").unwrap()),
        );
        assert!(same.is_ok(), "{same:?}");
        let twice = Suites::new(
            &[mapping("2=aes-gcm-json")],
            Some(parse_choice("2=aes-siv-json").unwrap()),
        )
        .unwrap_err();
        assert!(
            twice.contains("(2=aes-gcm-json and 2=aes-siv-json)"),
            "{twice}"
        );
        let json = NamedSuite::by_name("xchacha-json").unwrap();
        let ambiguous = Suites::new(
            &[mapping("2=xchacha-json"), mapping("5=xchacha-json")],
            Some(SuiteChoice::Named(json)),
        )
        .unwrap_err();
        assert!(ambiguous.contains("versions 2, 5"), "{ambiguous}");
        let replaced =
            Suites::new(&[mapping("3=aes-gcm-json")], Some(SuiteChoice::Named(json))).unwrap_err();
        assert!(
            replaced.contains("version 3 is mapped to aes-gcm-json"),
            "{replaced}"
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
