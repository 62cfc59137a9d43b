//! Support for the end-to-end tests of sealed-cookie: they live in this workspace
//! member, with the HTTP servers, clients, browser driver and benchmark harness
//! they need, so that the library's own build (and `cargo run --example
//! sample_session`) needs none of them.

use std::path::{Path, PathBuf};

/// A binary built into the same target directory as the running test: the
/// `sealed-cookie` tool (`""` as `kind`) or an example (`"examples"`).
///
/// # Panics
/// When it was not built, saying how to build it: the root's
/// `cargo test --all-features` builds both.
#[must_use]
pub fn built(kind: &str, name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    let path = profile.join(kind).join(name);
    assert!(
        path.exists(),
        "{} is missing: run the whole suite (`cargo test --all-features` at the root), \
         which builds the tool and the examples",
        path.display()
    );
    path
}

/// The `sealed-cookie` tool.
#[must_use]
pub fn cli() -> PathBuf {
    built("", "sealed-cookie")
}

/// Runs the `sealed-cookie` tool in `dir` with `stdin`, without the caller's key
/// variables, and returns what it printed and how it exited.
///
/// # Panics
/// When the tool cannot be started.
#[must_use]
pub fn run_cli(dir: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new(cli())
        .args(args)
        .current_dir(dir)
        .env_remove("SEALED_COOKIE_KEYS")
        .env_remove("SEALED_COOKIE_KEYRING")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sealed-cookie tool runs");
    // The tool may exit before reading stdin (a usage error): ignore a closed pipe.
    let _ = child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("the tool's output")
}
