//! The real `examples/server.rs` binary, configured as an operator would: keys
//! from `SEALED_COOKIE_KEYRING` (a keyring file the real `sealed-cookie` tool
//! made), settings from the environment; a misspelt variable stops it with a
//! message that names the right one.

#![cfg(all(feature = "cli", feature = "axum", feature = "metrics"))]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const CLI: &str = env!("CARGO_BIN_EXE_sealed-cookie");

/// The example binary `cargo test` built beside this test (with every target;
/// `--test example_server` alone builds no example).
fn example_server() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(Path::parent).unwrap();
    let server = debug.join("examples").join("server");
    assert!(
        server.exists(),
        "{} is missing: run the whole test suite, or `cargo build --example server --features axum,metrics` first",
        server.display()
    );
    server
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The server, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn command(dir: &Path, vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(example_server());
    command
        .current_dir(dir)
        .env_clear()
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}

/// Starts the server and waits for its `listening on` line.
fn start(dir: &Path, vars: &[(&str, &str)]) -> Server {
    let mut child = command(dir, vars).spawn().expect("the example server runs");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on"), "{line:?}");
    Server(child)
}

fn cli(dir: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write as _;
    let mut child = Command::new(CLI)
        .args(args)
        .current_dir(dir)
        .env_remove("SEALED_COOKIE_KEYS")
        .env_remove("SEALED_COOKIE_KEYRING")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn the_example_server_takes_its_keys_from_the_keyring_variable() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        cli(
            dir.path(),
            &["keyring", "init", "--keyring", "ring.toml"],
            ""
        )
        .status
        .success()
    );
    let ring = dir.path().join("ring.toml").display().to_string();
    let port = free_port().to_string();
    let _server = start(
        dir.path(),
        &[
            ("PORT", &port),
            ("SEALED_COOKIE_KEYRING", &ring),
            ("SEALED_COOKIE_NAME", "demo"),
        ],
    );
    let response = reqwest::get(format!("http://127.0.0.1:{port}/api/counter"))
        .await
        .unwrap();
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let value = set_cookie
        .strip_prefix("demo=")
        .and_then(|rest| rest.split(';').next())
        .expect("the cookie is named by SEALED_COOKIE_NAME");
    // Sealed under the keyring file's key: the tool opens it with the same file.
    let opened = cli(
        dir.path(),
        &["open", "--keyring", "ring.toml", "--name", "demo"],
        value,
    );
    assert!(
        opened.status.success(),
        "{}",
        String::from_utf8_lossy(&opened.stderr)
    );
    let session: serde_json::Value = serde_json::from_slice(&opened.stdout).unwrap();
    assert_eq!(session["count"], 1);

    // The cookie comes back: it opened under the keyring file's primary key, as
    // `/metrics` says in Prometheus' text format.
    let http = reqwest::Client::new();
    http.get(format!("http://127.0.0.1:{port}/api/counter"))
        .header("cookie", format!("demo={value}"))
        .send()
        .await
        .unwrap();
    let metrics = http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = metrics
        .lines()
        .find(|line| line.starts_with("sealed_cookie_opened_total{"))
        .unwrap_or_else(|| panic!("no opened counter in:\n{metrics}"));
    assert!(
        line.contains("key=\"primary\"") && line.ends_with(" 1"),
        "{line}"
    );
}

#[test]
fn a_misspelt_variable_stops_the_server_with_the_right_name() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let output = command(
        dir.path(),
        &[("PORT", &port), ("SEALED_COOKIE_EXPIRY", "1 hour")],
    )
    .output()
    .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    // `?` in main prints the error's message, not a struct.
    assert!(
        stderr.contains(
            "Error: environment variable SEALED_COOKIE_EXPIRY is not a setting \
             (did you mean SEALED_COOKIE_EXPIRES?)"
        ),
        "{stderr}"
    );
}
