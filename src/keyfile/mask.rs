//! Messages that never repeat a key pasted in the wrong place: paths, variable
//! names and parser text are shown only when they cannot be key material.

use std::fmt;
use std::path::{Path, PathBuf};

/// 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The largest char boundary of `text` at or before `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut i = index.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The shortest text of a 32-byte key in the common alphabets (base64 without
/// padding); hex takes 64 characters, base32 52.
pub(super) const SHORTEST_KEY_TEXT: usize = 43;

/// Runs of this many key-alphabet characters outside quotes are masked in parse
/// messages, as a second line of defence.
pub(super) const MASKED_RUN: usize = 20;

/// A character of base64 (standard or URL-safe, with padding), hex or base32.
pub(super) fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_')
}

/// Whether `text` holds something shaped like a key: a run of at least
/// 43 (`SHORTEST_KEY_TEXT`) characters of the key alphabets with letters and digits.
/// (Key text almost surely mixes both; long plain words and paths rarely do.)
#[must_use]
pub fn looks_like_key(text: &str) -> bool {
    let runs = text.split(|c: char| !is_key_char(c));
    runs.into_iter().any(|run| {
        run.len() >= SHORTEST_KEY_TEXT
            && run.bytes().any(|b| b.is_ascii_digit())
            && run.bytes().any(|b| b.is_ascii_alphabetic())
    })
}

/// Whether `name` may be printed as the name of an environment variable: shaped
/// like one (`[A-Za-z_][A-Za-z0-9_]*`) and at most 40 characters, shorter than the
/// text of any 32-byte key, so a key pasted where a variable name belongs is not.
#[must_use]
pub fn is_printable_var_name(name: &str) -> bool {
    const LONGEST: usize = 40;
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && name.len() <= LONGEST
}

/// `name` for a message about the variable a setting names: the name itself when
/// [`is_printable_var_name`], else a description with its length.
///
/// ```
/// use sealed_cookie::keyfile::var_name_for_message;
/// assert_eq!(var_name_for_message("keys_env", "APP_KEYS"), "APP_KEYS");
/// let key = "QWxhZGRpbjpvcGVuIHNlc2FtZQ+QWxhZGRpbjpvcGVuX/A=";
/// assert_eq!(
///     var_name_for_message("keys_env", key),
///     "the variable keys_env names (47 characters, not shown: not shaped like a variable name, it could be a key)"
/// );
/// ```
#[must_use]
pub fn var_name_for_message(setting: &str, name: &str) -> String {
    if is_printable_var_name(name) {
        name.to_owned()
    } else {
        format!(
            "the variable {setting} names ({} characters, not shown: not shaped like a variable name, it could be a key)",
            name.chars().count()
        )
    }
}

/// A path from a setting that could hold a key pasted by mistake (the keyring
/// path), as messages show it: the path itself only when it named an existing
/// file when the message was made and does not [look like a key](looks_like_key),
/// else its length. A key pasted where a path belongs names no file.
///
/// ```
/// use std::path::Path;
/// use sealed_cookie::keyfile::MaskedPath;
/// let here = MaskedPath::new(Path::new("Cargo.toml"));
/// assert_eq!(here.to_string(), "Cargo.toml");
/// let pasted = MaskedPath::new(Path::new("3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
/// assert_eq!(
///     pasted.to_string(),
///     "a path of 44 characters that names no file (not shown in case it is a key)"
/// );
/// assert_eq!(pasted.path(), Path::new("3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct MaskedPath {
    path: PathBuf,
    shown: Shown,
}

/// How a [`MaskedPath`] is shown, decided once when it is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// An existing file whose path does not look like a key.
    Path,
    /// An existing file, but its path looks like a key.
    LooksLikeKey,
    /// No file: perhaps a key pasted where the path belongs.
    NoFile,
}

impl MaskedPath {
    /// Decides now, from the file system, whether `path` may be shown.
    #[must_use]
    pub fn new(path: &Path) -> Self {
        let shown = if std::fs::symlink_metadata(path).is_err() {
            Shown::NoFile
        } else if looks_like_key(&path.as_os_str().to_string_lossy()) {
            Shown::LooksLikeKey
        } else {
            Shown::Path
        };
        Self {
            path: path.to_owned(),
            shown,
        }
    }

    /// The path (for programs: never print it, print the `MaskedPath`).
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether messages show the path itself.
    #[must_use]
    pub fn is_shown(&self) -> bool {
        self.shown == Shown::Path
    }

    /// Length of the path in characters.
    #[must_use]
    pub fn len(&self) -> usize {
        self.path.as_os_str().to_string_lossy().chars().count()
    }

    /// Whether the path is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.path.as_os_str().is_empty()
    }
}

impl fmt::Display for MaskedPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.shown {
            Shown::Path => write!(f, "{}", self.path.display()),
            Shown::LooksLikeKey => write!(
                f,
                "a path of {} characters (not shown: it looks like a key)",
                self.len()
            ),
            Shown::NoFile => write!(
                f,
                "a path of {} characters that names no file (not shown in case it is a key)",
                self.len()
            ),
        }
    }
}

impl fmt::Debug for MaskedPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_shown() {
            f.debug_tuple("MaskedPath").field(&self.path).finish()
        } else {
            write!(f, "MaskedPath(<{} characters, not shown>)", self.len())
        }
    }
}

/// Words of the keyring format that parse messages may quote.
pub(super) const FORMAT_WORDS: &[&str] = &[
    "version", "keys", "id", "role", "key", "added", "primary", "accepted",
];

/// A parser's message about a keyring file, made safe to print: every quoted
/// (`` `...` `` or `"..."`) piece of text is replaced by its length unless it is a
/// word of the format ([`FORMAT_WORDS`]) or punctuation of at most 3 characters;
/// long runs of key characters outside quotes are masked as well.
pub(super) fn mask_parse_message(message: &str) -> String {
    mask_quoted(message, |quoted| {
        FORMAT_WORDS.contains(&quoted)
            || (quoted.chars().count() <= 3 && !quoted.chars().any(char::is_alphanumeric))
    })
}

/// Replaces quoted text not `allowed`, then unquoted runs of [`MASKED_RUN`] or
/// more key characters, by `(N characters, not shown)`. An opening quote without
/// its closing one masks the rest of the message.
pub(crate) fn mask_quoted(message: &str, allowed: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        out.push_str(&mask_runs(&rest[..open]));
        let quote = rest[open..].chars().next().unwrap_or('"');
        let body = &rest[open + 1..];
        let close = quoted_end(body, quote);
        let quoted = &body[..close.unwrap_or(body.len())];
        if close.is_some() && allowed(quoted) {
            out.push(quote);
            out.push_str(quoted);
            out.push(quote);
        } else {
            out.push_str(&not_shown(quoted.chars().count()));
        }
        rest = close.map_or("", |at| &body[at + 1..]);
    }
    out.push_str(&mask_runs(rest));
    out
}

/// Where `quote` closes in `body`; a backslash escapes inside double quotes (Rust
/// `Debug` strings, as serde writes them).
pub(super) fn quoted_end(body: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in body.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quote == '"' {
            escaped = true;
        } else if c == quote {
            return Some(at);
        }
    }
    None
}

/// Masks every run of [`MASKED_RUN`] or more key characters in `text`.
pub(crate) fn mask_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run_start = None;
    for (at, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (is_key_char(c) && at < text.len(), run_start) {
            (true, None) => run_start = Some(at),
            (true, Some(_)) => {}
            (false, start) => {
                if let Some(start) = start {
                    let run = &text[start..at];
                    if run.len() >= MASKED_RUN {
                        out.push_str(&not_shown(run.len()));
                    } else {
                        out.push_str(run);
                    }
                    run_start = None;
                }
                if at < text.len() {
                    out.push(c);
                }
            }
        }
    }
    out
}

pub(super) fn not_shown(chars: usize) -> String {
    format!("({chars} characters, not shown)")
}
