//! `sealed-cookie`: generate keys, manage a keyring file through a rotation, seal and
//! open cookies, look inside a cookie without its key, and measure the size budget.
//!
//! Keys never come from a command-line argument: only from a keyring file
//! (`--keyring PATH` or `SEALED_COOKIE_KEYRING`) or from `SEALED_COOKIE_KEYS`.
//!
//! Exit codes: 0 success; 1 usage, configuration or input error; 2 cookie rejected
//! (the rejection kind is printed on stderr); 3 the cookie is authentic but its payload
//! is not a session value (an application's typed payload).

#![forbid(unsafe_code)]

mod cookie;
mod keys;
mod legacy;
mod suites;
mod words;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sealed_cookie::OpenError;

/// Keys, rotation drills and a look inside sealed session cookies.
///
/// Keys are read from a keyring file (--keyring PATH, or the path in
/// SEALED_COOKIE_KEYRING) or from SEALED_COOKIE_KEYS (comma-separated base64url keys,
/// primary first); never from a command-line argument.
///
/// Exit codes:
///   0  success
///   1  usage, configuration or input error
///   2  cookie rejected (forged, altered, wrong key or name, expired...), with the
///      rejection kind first on stderr
///   3  cookie authentic (key, name and times check out) but its payload is not a
///      session value: an application's typed payload; `open --plaintext` prints it
#[derive(Debug, Parser)]
#[command(
    name = "sealed-cookie",
    version,
    about,
    long_about,
    verbatim_doc_comment
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a new random key (32 bytes from the operating system, base64url).
    Keygen,
    /// Create and edit a keyring file through a key rotation.
    #[command(subcommand)]
    Keyring(KeyringCommand),
    /// Read JSON on stdin and print the sealed cookie value.
    Seal(SealArgs),
    /// Read a cookie value on stdin and print its JSON value.
    Open(OpenArgs),
    /// Print a cookie's header (version, key id, flags, times, lengths) without any key.
    Inspect(InspectArgs),
    /// Print how many plaintext bytes fit in a cookie with this name, attributes and suite.
    Budget(BudgetArgs),
    /// List the named suites and their versions.
    Suites(SuitesArgs),
}

#[derive(Debug, Args)]
struct KeyringPath {
    /// Keyring file (TOML, or JSON when the name ends in .json). Default: the path in
    /// SEALED_COOKIE_KEYRING.
    #[arg(long, value_name = "PATH")]
    keyring: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum KeyringCommand {
    /// Create a keyring file holding one new primary key (never overwrites).
    Init {
        #[command(flatten)]
        path: KeyringPath,
        /// Write JSON instead of TOML whatever the file name.
        #[arg(long)]
        json: bool,
        /// Record this time as the key's `added` time (Unix seconds; for drills and tests).
        #[arg(long, value_name = "UNIX_SECS")]
        now: Option<u64>,
    },
    /// Add an accept-only key: a new random one, or one read from stdin with --stdin.
    Add {
        #[command(flatten)]
        path: KeyringPath,
        /// Read the key (base64url) from stdin instead of generating one.
        #[arg(long)]
        stdin: bool,
        /// Record this time as the key's `added` time (Unix seconds; for drills and tests).
        #[arg(long, value_name = "UNIX_SECS")]
        now: Option<u64>,
    },
    /// Make a key primary; the former primary stays accepted.
    Promote {
        /// Key id (8 hex digits, or a unique prefix of 4 or more).
        id: String,
        #[command(flatten)]
        path: KeyringPath,
    },
    /// Remove an accepted key: cookies sealed with it are rejected from then on.
    Retire {
        /// Key id (8 hex digits, or a unique prefix of 4 or more).
        id: String,
        #[command(flatten)]
        path: KeyringPath,
    },
    /// Show key ids and roles (never key bytes). Also reads SEALED_COOKIE_KEYS.
    List {
        #[command(flatten)]
        path: KeyringPath,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the keys as one SEALED_COOKIE_KEYS value (primary first), for deploy systems
    /// that pass secrets through the environment.
    ExportEnv {
        #[command(flatten)]
        path: KeyringPath,
    },
}

/// The cookie's name, suite, lifetime and attributes, as the web application sets them.
/// Flags named like a setting of the web layer's configuration (`cookie_name`,
/// `expires`, `secure`, `http_only`, `same_site`, `budget`...) take its words.
#[derive(Debug, Args)]
struct CookieArgs {
    /// Cookie name, bound into the cookie: it opens only under the same name.
    #[arg(long, visible_alias = "cookie-name", default_value = "session")]
    name: String,
    /// Named suite that seals (see `sealed-cookie suites`), under its own version, or
    /// VERSION=NAME under the application's version. Default: version 1
    /// (xchacha-postcard).
    #[arg(long, value_name = "[VERSION=]SUITE", value_parser = suites::parse_choice)]
    suite: Option<suites::SuiteChoice>,
    /// Absolute timeout (the session lifetime): `3600` (seconds), `30m`, `12h`,
    /// `1 hour`, `2h 30min`, `7days` (default: no expiry).
    #[arg(long, visible_alias = "absolute-timeout", value_name = "DURATION", value_parser = words::parse_duration)]
    max_age: Option<std::time::Duration>,
    /// The configuration's word for --max-age: the session lifetime. (An Expires
    /// attribute is --write-expires.)
    #[arg(long, value_name = "DURATION", value_parser = words::parse_duration, conflicts_with = "max_age")]
    expires: Option<std::time::Duration>,
    /// Idle timeout: the session ends when not re-sealed for this long.
    #[arg(long, value_name = "DURATION", value_parser = words::parse_duration)]
    idle_timeout: Option<std::time::Duration>,
    /// Envelope format to seal in: 2 (default; session id, creation time, idle
    /// timeout) or 1 (for servers that read only format 1).
    #[arg(long, value_name = "1|2", default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
    format: u8,
    /// Seal as a browser-session cookie: no Max-Age or Expires is written (or
    /// counted in the budget).
    #[arg(long)]
    browser_session: bool,
    /// Path attribute.
    #[arg(long, default_value = "/")]
    path: String,
    /// Write no Path attribute.
    #[arg(long, conflicts_with = "path")]
    no_path: bool,
    /// Domain attribute (default, or empty: none, host-only).
    #[arg(long)]
    domain: Option<String>,
    /// Secure attribute: on/off, true/false, yes/no, 1/0 (default on).
    #[arg(long, value_name = "BOOL", value_parser = words::parse_bool, conflicts_with = "no_secure",
          num_args = 0..=1, default_missing_value = "on")]
    secure: Option<bool>,
    /// Leave out Secure (`--secure off`).
    #[arg(long)]
    no_secure: bool,
    /// HttpOnly attribute: on/off, true/false, yes/no, 1/0 (default on).
    #[arg(long, value_name = "BOOL", value_parser = words::parse_bool, conflicts_with = "no_http_only",
          num_args = 0..=1, default_missing_value = "on")]
    http_only: Option<bool>,
    /// Leave out HttpOnly (`--http-only off`).
    #[arg(long)]
    no_http_only: bool,
    /// SameSite attribute: strict, lax, none, or off / omit (no attribute).
    #[arg(long, value_name = "SAME_SITE", value_parser = words::parse_same_site, default_value = "lax")]
    same_site: words::SameSiteWord,
    /// Add the Partitioned attribute (CHIPS).
    #[arg(long)]
    partitioned: bool,
    /// Also write an Expires date next to Max-Age (`--expires` is the lifetime).
    #[arg(long)]
    write_expires: bool,
    /// Largest Set-Cookie string in bytes (at most 16777216).
    #[arg(long, default_value_t = sealed_cookie::DEFAULT_BUDGET, value_name = "BYTES", value_parser = words::parse_whole_number)]
    budget: usize,
}

#[derive(Debug, Args)]
struct SealArgs {
    #[command(flatten)]
    cookie: CookieArgs,
    #[command(flatten)]
    keyring: KeyringPath,
    /// Seal as if the time were this (Unix seconds). For rotation drills and tests.
    #[arg(long, value_name = "UNIX_SECS")]
    now: Option<u64>,
    /// Print the whole Set-Cookie header value instead of the cookie value alone.
    #[arg(long)]
    set_cookie: bool,
}

/// How `open --facts` reports the facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FactsMode {
    /// Print `{"value": ..., "facts": {...}}` on stdout.
    Json,
    /// Print the value on stdout and the facts as JSON on stderr.
    Stderr,
}

/// How `open --plaintext` prints the plaintext bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlaintextFormat {
    /// Lower-case hexadecimal.
    Hex,
    /// Standard base64 with padding (RFC 4648 section 4), as `base64 -d` reads it.
    Base64,
}

#[derive(Debug, Args)]
struct OpenArgs {
    /// Cookie name it was sealed under (default `session`, or the name in a pasted
    /// `name=value`).
    #[arg(long, visible_alias = "cookie-name")]
    name: Option<String>,
    /// The suite the application seals with now, by name or as VERSION=NAME: cookies
    /// under another version open with needs-reissue. Every named suite opens.
    /// Default: version 1.
    #[arg(long, value_name = "[VERSION=]SUITE", value_parser = suites::parse_choice)]
    suite: Option<suites::SuiteChoice>,
    #[command(flatten)]
    versions: SuiteVersions,
    /// The application's absolute timeout (session lifetime): caps the cookie's
    /// own lifetime.
    #[arg(long, visible_alias = "absolute-timeout", value_name = "DURATION", value_parser = words::parse_duration)]
    max_age: Option<std::time::Duration>,
    /// The configuration's word for --max-age: the session lifetime.
    #[arg(long, value_name = "DURATION", value_parser = words::parse_duration, conflicts_with = "max_age")]
    expires: Option<std::time::Duration>,
    /// The application's idle timeout (format 2 cookies).
    #[arg(long, value_name = "DURATION", value_parser = words::parse_duration)]
    idle_timeout: Option<std::time::Duration>,
    /// Flag the cookie for renewal when less than this remains (`renew_within`).
    #[arg(long, value_name = "DURATION", value_parser = words::parse_duration)]
    renew_within: Option<std::time::Duration>,
    /// Allowance for clocks that disagree between servers.
    #[arg(long, value_name = "DURATION", value_parser = words::parse_duration, default_value = "60s")]
    clock_skew: std::time::Duration,
    /// Reject cookies issued before this time (Unix seconds).
    #[arg(long, value_name = "UNIX_SECS")]
    not_before: Option<u64>,
    /// The application's largest Set-Cookie string in bytes (`budget`): longer cookie
    /// values are rejected unread.
    #[arg(long, default_value_t = sealed_cookie::DEFAULT_BUDGET, value_name = "BYTES", value_parser = words::parse_whole_number)]
    budget: usize,
    #[command(flatten)]
    keyring: KeyringPath,
    /// Open as if the time were this (Unix seconds). For rotation drills and tests.
    #[arg(long, value_name = "UNIX_SECS")]
    now: Option<u64>,
    /// Also print the facts: version, suite, key id, issued-at, expiry, needs-reissue.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "json", value_name = "WHERE")]
    facts: Option<FactsMode>,
    /// Pretty-print the JSON.
    #[arg(long)]
    pretty: bool,
    /// Print the authenticated plaintext (unpadded, decompressed, not deserialized)
    /// instead of the JSON value: for payloads of an application's own types, which
    /// are not session values (exit 3 without this option).
    #[arg(long, value_enum, value_name = "FORMAT")]
    plaintext: Option<PlaintextFormat>,
    /// Open a cookie written by Perl's Session::Storage::Secure (Dancer::Session::Cookie),
    /// with the secret from SEALED_COOKIE_PERL_SECRET and old secrets, one a line,
    /// from SEALED_COOKIE_PERL_OLD_SECRETS. Facts: protocol, expiry, secret used.
    #[arg(long, conflicts_with_all = ["name", "max_age", "expires", "idle_timeout", "renew_within", "not_before", "budget", "keyring", "plaintext", "mappings"])]
    perl: bool,
    /// Open another library's cookies as the web layer's legacy readers would:
    /// stdin holds a Cookie header (`a=1; b=2`, or one `name=value` a line), and
    /// the readers are those the server's settings configure (SEALED_COOKIE_LEGACY_*,
    /// the Perl secrets, and the TOML file of --config or SEALED_COOKIE_CONFIG).
    /// Facts: the reader, the recorded expiry, the cookies the server would delete.
    #[arg(long, conflicts_with_all = ["perl", "name", "max_age", "expires", "idle_timeout", "renew_within", "not_before", "budget", "keyring", "plaintext", "mappings"])]
    legacy: bool,
    /// With --legacy: the server's TOML settings file.
    #[arg(long, value_name = "PATH", requires = "legacy")]
    config: Option<PathBuf>,
}

/// The application's own suite numbering.
#[derive(Debug, Args)]
struct SuiteVersions {
    /// Open the application's suite version VERSION (1 to 127) with the named suite
    /// NAME, in place of the table's entry for that version; repeat for each version
    /// the application numbers differently from `sealed-cookie suites`.
    #[arg(long = "suite-version", value_name = "VERSION=NAME", value_parser = suites::parse_mapping)]
    mappings: Vec<suites::Mapping>,
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Judge expiry against this time (Unix seconds) instead of the clock.
    #[arg(long, value_name = "UNIX_SECS")]
    now: Option<u64>,
    /// The application's absolute timeout, when shorter than the lifetime the
    /// cookie carries (a format 2 cookie does not carry the idle timeout).
    #[arg(long, visible_alias = "max-age", value_name = "DURATION", value_parser = words::parse_duration)]
    absolute_timeout: Option<std::time::Duration>,
    /// The application's idle timeout.
    #[arg(long, value_name = "DURATION", value_parser = words::parse_duration)]
    idle_timeout: Option<std::time::Duration>,
    /// Also say whether the key id is in this keyring (only ids are compared; the
    /// cookie is not opened).
    #[arg(long, value_name = "PATH")]
    keyring: Option<PathBuf>,
    #[command(flatten)]
    versions: SuiteVersions,
}

#[derive(Debug, Args)]
struct BudgetArgs {
    #[command(flatten)]
    cookie: CookieArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct SuitesArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Why a command failed, and so its exit code.
#[derive(Debug)]
pub enum Failure {
    /// Usage, configuration or input error: exit 1.
    Usage(String),
    /// The cookie was rejected: exit 2.
    Rejected(OpenError),
    /// The Perl cookie was rejected (`open --perl`): exit 2.
    RejectedPerl(sealed_cookie::perl::PerlError),
    /// No legacy reader adopted the cookies (`open --legacy`): exit 2.
    NotAdopted(String),
    /// The cookie is authentic but its payload is not a session value: exit 3.
    /// The message says what the cookie is.
    NotAValue(String),
}

/// Exit code of [`Failure::Usage`].
const EXIT_USAGE: u8 = 1;
/// Exit code of [`Failure::Rejected`], [`Failure::RejectedPerl`] and [`Failure::NotAdopted`].
const EXIT_REJECTED: u8 = 2;
/// Exit code of [`Failure::NotAValue`].
const EXIT_NOT_A_VALUE: u8 = 3;

macro_rules! usage_from {
    ($($error:ty),*) => {
        $(impl From<$error> for Failure {
            fn from(error: $error) -> Self {
                Self::Usage(error.to_string())
            }
        })*
    };
}

usage_from!(
    sealed_cookie::keyfile::KeyfileError,
    sealed_cookie::ConfigError,
    sealed_cookie::KeyError,
    sealed_cookie::SealError,
    std::io::Error,
    serde_json::Error,
    String
);

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("sealed-cookie: error: {message}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(Failure::Rejected(error)) => {
            let message = cookie::rejection(&error);
            eprintln!("sealed-cookie: rejected: {}: {message}", error.kind());
            ExitCode::from(EXIT_REJECTED)
        }
        Err(Failure::RejectedPerl(error)) => {
            let message = cookie::perl_rejection(&error);
            eprintln!("sealed-cookie: rejected: {}: {message}", error.kind());
            ExitCode::from(EXIT_REJECTED)
        }
        Err(Failure::NotAdopted(message)) => {
            eprintln!("sealed-cookie: rejected: legacy_not_adopted: {message}");
            ExitCode::from(EXIT_REJECTED)
        }
        Err(Failure::NotAValue(message)) => {
            eprintln!("sealed-cookie: {message}");
            ExitCode::from(EXIT_NOT_A_VALUE)
        }
    }
}

/// The key that ends input on a terminal.
#[cfg(windows)]
const END_OF_INPUT: &str = "Ctrl-Z, then Enter";
#[cfg(not(windows))]
const END_OF_INPUT: &str = "Ctrl-D";

/// What to say before reading `what` from stdin: nothing unless stdin is a
/// terminal, where the tool would otherwise seem to hang.
fn stdin_prompt(stdin_is_terminal: bool, what: &str) -> Option<String> {
    stdin_is_terminal.then(|| {
        format!("sealed-cookie: reading {what} from stdin (paste it, then press {END_OF_INPUT})")
    })
}

/// Says on stderr what is read from stdin, when stdin is a terminal.
pub fn announce_stdin(what: &str) {
    use std::io::IsTerminal as _;
    if let Some(prompt) = stdin_prompt(std::io::stdin().is_terminal(), what) {
        eprintln!("{prompt}");
    }
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Keygen => keys::keygen(),
        Command::Keyring(command) => keys::keyring(command),
        Command::Seal(args) => cookie::seal(&args),
        Command::Open(args) => cookie::open(&args),
        Command::Inspect(args) => cookie::inspect(&args),
        Command::Budget(args) => cookie::budget(&args),
        Command::Suites(args) => cookie::list_suites(&args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn stdin_is_announced_only_on_a_terminal() {
        assert_eq!(stdin_prompt(false, "a cookie value"), None);
        let prompt = stdin_prompt(true, "a cookie value").unwrap();
        assert!(
            prompt.starts_with(
                "sealed-cookie: reading a cookie value from stdin (paste it, then press Ctrl-"
            ),
            "{prompt}"
        );
    }
}
