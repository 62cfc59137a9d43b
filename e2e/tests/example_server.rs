//! The real `examples/server.rs` binary, configured as an operator would: keys
//! from `SEALED_COOKIE_KEYRING` (a keyring file the real `sealed-cookie` tool
//! made), settings from the environment; a misspelt variable stops it with a
//! message that names the right one.

#![cfg(all(feature = "cli", feature = "axum", feature = "metrics"))]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};

/// The example binary `cargo test` built beside this test.
fn example_server() -> PathBuf {
    sealed_cookie_e2e::built("examples", "server")
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
        .env("RUST_LOG", "warn,sealed_cookie=info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}

/// Starts the server on a port the system picks (`PORT=0`) and waits for its
/// `listening on` line; returns the port, and a receiver for the lines it prints
/// after that (its log, at the level `RUST_LOG` says).
fn start_logged(dir: &Path, vars: &[(&str, &str)]) -> (Server, u16, Receiver<String>) {
    let vars: Vec<(&str, &str)> = [("PORT", "0")]
        .into_iter()
        .chain(vars.iter().copied())
        .collect();
    let mut child = command(dir, &vars)
        .spawn()
        .expect("the example server runs");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let port = sealed_cookie_e2e::listening_port(&mut stdout, "the example server");
    let (send, receive) = channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    (Server(child), port, receive)
}

fn start(dir: &Path, vars: &[(&str, &str)]) -> (Server, u16) {
    let (server, port, _) = start_logged(dir, vars);
    (server, port)
}

/// Waits (up to 20 s) for a log line holding `needle`.
fn wait_for(log: &Receiver<String>, needle: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match log.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return line,
            Ok(_) => {}
            Err(error) => panic!("no log line with {needle:?}: {error}"),
        }
    }
}

fn cli(dir: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    sealed_cookie_e2e::run_cli(dir, args, stdin)
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
    let (_server, port) = start(
        dir.path(),
        &[
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
    let output = command(
        dir.path(),
        &[("PORT", "0"), ("SEALED_COOKIE_EXPIRY", "1 hour")],
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

fn key_id_of(dir: &Path, cookie: &str) -> String {
    let out = cli(dir, &["inspect", "--json"], cookie);
    let header: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    header["key_id"].as_str().unwrap().to_owned()
}

fn keyring(dir: &Path, args: &[&str]) -> String {
    let out = cli(
        dir,
        &[&["keyring"], args, &["--keyring", "ring.toml"]].concat(),
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The rotation runbook on one running server: the real tool edits its keyring
/// file (add, promote, retire), the server reloads it each time, and a client
/// keeps its session throughout, ending on the new key, with no restart.
#[tokio::test]
async fn a_running_server_follows_its_keyring_file_through_a_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let old = keyring(dir.path(), &["init"]);
    let ring = dir.path().join("ring.toml").display().to_string();
    let (_server, port, log) = start_logged(
        dir.path(),
        &[
            ("SEALED_COOKIE_KEYRING", &ring),
            ("SEALED_COOKIE_KEYRING_RELOAD", "200ms"),
        ],
    );
    let http = reqwest::Client::new();
    let mut cookie = String::new();
    let mut count = 0;
    // One request with the client's cookie; keeps the one sent back, if any.
    let visit = async |cookie: &mut String| {
        let mut request = http.get(format!("http://127.0.0.1:{port}/api/counter"));
        if !cookie.is_empty() {
            request = request.header("cookie", format!("session={cookie}"));
        }
        let response = request.send().await.unwrap();
        if let Some(set) = response.headers().get("set-cookie") {
            let set = set.to_str().unwrap();
            *cookie = set["session=".len()..]
                .split(';')
                .next()
                .unwrap()
                .to_owned();
        }
        let body: serde_json::Value = response.json().await.unwrap();
        body["count"].as_u64().unwrap()
    };
    count += 1;
    assert_eq!(visit(&mut cookie).await, count);
    assert_eq!(key_id_of(dir.path(), &cookie), old);

    // 1. A new key, accepted everywhere first.
    let new = keyring(dir.path(), &["add"]);
    let line = wait_for(&log, "keyring reloaded");
    assert!(line.contains(&format!("{new} accepted")), "{line}");
    count += 1;
    assert_eq!(visit(&mut cookie).await, count);
    assert_eq!(key_id_of(dir.path(), &cookie), old);

    // 2. It becomes the primary: the client's cookie is re-issued under it.
    keyring(dir.path(), &["promote", &new]);
    let line = wait_for(&log, "keyring reloaded");
    assert!(line.contains(&format!("{new} primary")), "{line}");
    let before = cookie.clone();
    count += 1;
    assert_eq!(visit(&mut cookie).await, count);
    assert_eq!(key_id_of(dir.path(), &cookie), new);

    // A file that fails to load keeps the keys in use.
    let text = std::fs::read_to_string(&ring).unwrap();
    replace(&ring, "not a keyring");
    wait_for(&log, "did not load; keeping the keys in use");
    count += 1;
    assert_eq!(visit(&mut cookie).await, count);
    replace(&ring, &text);
    wait_for(&log, "keyring reloaded");

    // 3. The old key is retired: the session goes on under the new key, and a
    // copy of a cookie under the old one no longer opens.
    keyring(dir.path(), &["retire", &old]);
    let line = wait_for(&log, "keyring reloaded");
    assert!(!line.contains(&old), "{line}");
    count += 1;
    assert_eq!(visit(&mut cookie).await, count);
    assert_eq!(key_id_of(dir.path(), &cookie), new);
    let mut copy = before;
    assert_eq!(
        visit(&mut copy).await,
        1,
        "the old key's cookie starts afresh"
    );
}

/// Replaces the file as a deploy should: a new file renamed over the old one.
fn replace(path: &str, text: &str) {
    let temporary = format!("{path}.new");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}
