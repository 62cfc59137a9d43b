//! Support for the end-to-end tests of sealed-cookie: they live in this workspace
//! member, with the HTTP servers, clients, browser driver and benchmark harness
//! they need, so that the library's own build (and `cargo run --example
//! sample_session`) needs none of them.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// Reads an example server's standard output up to its `listening on
/// http://127.0.0.1:PORT/` line and returns the port; panics, naming `server`,
/// if the server stops first.
pub fn listening_port(stdout: &mut impl std::io::BufRead, server: &str) -> u16 {
    let mut line = String::new();
    while !line.starts_with("listening on") {
        line.clear();
        let read = stdout.read_line(&mut line).expect("the server's output");
        assert_ne!(read, 0, "{server} stopped before listening");
    }
    line.trim()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

/// A `redis-server` of a test's (or benchmark's) own, on a free loopback port,
/// with its files in a temporary directory; killed when dropped.
pub struct Redis {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Redis {
    /// Starts one and waits until it answers.
    ///
    /// # Panics
    /// When `redis-server` is not installed or does not start.
    #[must_use]
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut redis = Self {
            port,
            dir: tempfile::tempdir().expect("a temporary directory"),
            child: None,
        };
        redis.restart();
        redis
    }

    /// As [`start`](Self::start), or `None` (saying so) when `redis-server` is
    /// not installed on a developer's machine; under CI (`CI` set), where
    /// `.ci/run` installs it, a missing server is a failure.
    #[must_use]
    pub fn start_or_skip() -> Option<Self> {
        let installed = std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|dir| dir.join("redis-server").is_file())
        });
        if !installed && std::env::var_os("CI").is_none() {
            eprintln!(
                "SKIPPED: redis-server not found on PATH (install it with: apt-get install redis-server)"
            );
            return None;
        }
        Some(Self::start())
    }

    /// Its URL, database 0.
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts the server again on the same port and waits until it answers.
    ///
    /// # Panics
    /// When it does not start again.
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            // `DEBUG SLEEP`, for tests of a Redis that stops answering.
            .args(["--enable-debug-command", "local"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (Debian package redis-server; .ci/run installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.command("PING").as_deref() != Some("+PONG") {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills it (as an outage would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// One inline command; the first line of the reply.
    #[must_use]
    pub fn command(&self, command: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        stream.write_all(format!("{command}\r\n").as_bytes()).ok()?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).ok()?;
        Some(line.trim_end().to_owned())
    }
}

impl Redis {
    /// The `INFO` section `section` (`clients`, `commandstats`, ...), as text.
    #[must_use]
    pub fn info(&self, section: &str) -> String {
        use std::io::Read as _;
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("redis answers");
        stream
            .write_all(format!("INFO {section}\r\n").as_bytes())
            .expect("sent");
        let mut reader = BufReader::new(stream);
        let mut size = String::new();
        reader.read_line(&mut size).expect("a bulk reply");
        let size: usize = size
            .trim()
            .trim_start_matches('$')
            .parse()
            .expect("a length");
        let mut body = vec![0; size];
        reader.read_exact(&mut body).expect("the reply");
        String::from_utf8(body).expect("text")
    }

    /// How many times Redis ran `command` (lower case) since the last
    /// `CONFIG RESETSTAT`, from `INFO commandstats`.
    #[must_use]
    pub fn calls(&self, command: &str) -> u64 {
        let prefix = format!("cmdstat_{command}:calls=");
        self.info("commandstats")
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .and_then(|rest| rest.split(',').next())
            .map_or(0, |calls| calls.parse().expect("a count"))
    }

    /// The number `INFO section` gives for `field` (0 when it gives none).
    fn info_count(&self, section: &str, field: &str) -> u64 {
        self.info(section)
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .map_or(0, |count| count.trim().parse().expect("a count"))
    }

    /// How many connections Redis has accepted since it started, counting the
    /// one that asks.
    #[must_use]
    pub fn connections_received(&self) -> u64 {
        self.info_count("stats", "total_connections_received")
    }

    /// How many clients are connected, counting the one that asks.
    #[must_use]
    pub fn connected_clients(&self) -> u64 {
        self.info_count("clients", "connected_clients")
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
