//! Runs the real `sealed-cookie` binary: every subcommand, bad keyring files, wrong
//! keys, expired cookies, a cookie under another name, and a full rotation drill.
#![cfg(feature = "cli")]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sealed_cookie::keyfile::KeyringFile;
use sealed_cookie::{Codec, CookieAttributes, Key, Keyring, OpenError, SameSite, Value};
use serde_json::{Value as Json, json};

const BIN: &str = env!("CARGO_BIN_EXE_sealed-cookie");
const T0: u64 = 1_750_000_000;

#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn ok(self) -> Self {
        assert_eq!(self.code, 0, "expected success: {self:?}");
        self
    }
    fn usage(self) -> Self {
        assert_eq!(self.code, 1, "expected a usage/config error: {self:?}");
        assert!(self.stdout.is_empty(), "{self:?}");
        self
    }
    fn rejected(self, kind: &str) -> Self {
        assert_eq!(self.code, 2, "expected a rejection: {self:?}");
        assert!(
            self.stderr.contains(&format!("rejected: {kind}:")),
            "expected kind {kind}: {self:?}"
        );
        assert!(self.stdout.is_empty(), "{self:?}");
        self
    }
    /// Exit 3: the cookie is authentic, its payload is not a session value.
    fn not_a_value(self) -> Self {
        assert_eq!(self.code, 3, "expected an authentic non-value: {self:?}");
        assert!(
            self.stderr
                .lines()
                .any(|l| l.starts_with("sealed-cookie: authentic: key ")),
            "{self:?}"
        );
        assert!(!self.stderr.contains("rejected"), "{self:?}");
        assert!(self.stdout.is_empty(), "{self:?}");
        self
    }
    fn line(&self) -> &str {
        self.stdout.trim_end()
    }
    fn json(&self) -> Json {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }
}

/// A scratch directory and the environment the binary sees (no key variables
/// inherited from the caller).
struct Sandbox {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn with_env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    fn run(&self, args: &[&str], stdin: &str) -> Out {
        let mut child = self.spawn(args);
        // The binary may exit before reading stdin (a usage error): ignore a closed pipe.
        let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        if let Err(e) = written {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        finish(child)
    }

    /// Starts the binary with stdin, stdout and stderr piped.
    fn spawn(&self, args: &[&str]) -> std::process::Child {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_remove("SEALED_COOKIE_KEYS")
            .env_remove("SEALED_COOKIE_KEYRING")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.spawn().expect("the binary runs")
    }

    /// `keyring init` into `name`; returns the primary key id.
    fn init(&self, name: &str) -> String {
        let out = self
            .run(
                &[
                    "keyring",
                    "init",
                    "--keyring",
                    name,
                    "--now",
                    &T0.to_string(),
                ],
                "",
            )
            .ok();
        out.line().to_owned()
    }

    fn seal(&self, ring: &str, value: &Json, extra: &[&str]) -> String {
        let mut args = vec!["seal", "--keyring", ring];
        args.extend_from_slice(extra);
        self.run(&args, &value.to_string()).ok().line().to_owned()
    }

    fn open(&self, ring: &str, cookie: &str, extra: &[&str]) -> Out {
        let mut args = vec!["open", "--keyring", ring];
        args.extend_from_slice(extra);
        self.run(&args, cookie)
    }
}

fn finish(child: std::process::Child) -> Out {
    let output = child.wait_with_output().unwrap();
    Out {
        code: output.status.code().expect("exited normally"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn ids_in(path: &Path) -> Vec<String> {
    let mut ids: Vec<String> = KeyringFile::load(path)
        .unwrap()
        .entries()
        .iter()
        .map(|e| e.key.id().to_string())
        .collect();
    ids.sort();
    ids
}

fn sample() -> Json {
    json!({"user_id": 42, "roles": ["admin", "ops"], "big": 18_446_744_073_709_551_615u64,
           "cart": [{"sku": "A-1", "qty": 2, "price": 9.99}], "theme": null, "ok": true})
}

fn keys_in(path: &Path) -> Vec<String> {
    KeyringFile::load(path)
        .unwrap()
        .entries()
        .iter()
        .map(|e| e.key.to_base64().to_string())
        .collect()
}

#[test]
fn keygen_prints_fresh_32_byte_keys() {
    let sb = Sandbox::new();
    let a = sb.run(&["keygen"], "").ok();
    let b = sb.run(&["keygen"], "").ok();
    assert_ne!(a.line(), b.line());
    for out in [&a, &b] {
        assert_eq!(out.line().len(), 43, "{out:?}");
        let key = Key::from_base64(out.line()).unwrap();
        assert_eq!(&*key.to_base64(), out.line());
    }
}

#[test]
fn suites_lists_every_name_and_each_seals_and_opens() {
    let sb = Sandbox::new();
    sb.init("ring.toml");
    let text = sb.run(&["suites"], "").ok();
    let list = sb.run(&["suites", "--json"], "").ok().json();
    let list = list.as_array().unwrap();
    assert!(list.len() >= 18, "{list:?}");
    let mut versions = Vec::new();
    for row in list {
        let name = row["name"].as_str().unwrap();
        let version = row["version"].as_u64().unwrap();
        assert!(text.stdout.contains(name), "{}", text.stdout);
        versions.push(version);

        let cookie = sb.seal("ring.toml", &sample(), &["--suite", name]);
        // `open` registers every named suite, whatever it seals with itself.
        let opened = sb.open("ring.toml", &cookie, &["--facts"]).ok().json();
        assert_eq!(opened["value"], sample(), "{name}");
        assert_eq!(opened["facts"]["version"], version, "{name}");
        assert_eq!(opened["facts"]["suite"], name);
        let reissue = name != "xchacha-postcard";
        assert_eq!(opened["facts"]["old_suite"], reissue, "{name}");
        assert_eq!(opened["facts"]["needs_reissue"], reissue, "{name}");
        // Opening with the suite it was sealed under: nothing to re-issue.
        let same = sb
            .open("ring.toml", &cookie, &["--facts", "--suite", name])
            .ok()
            .json();
        assert_eq!(same["facts"]["needs_reissue"], false, "{name}");

        let info = sb.run(&["inspect", "--json"], &cookie).ok().json();
        assert_eq!(info["version"], version);
        assert_eq!(info["suite"], name);
        let parts: u64 = ["header_len", "nonce_len", "ciphertext_len", "tag_len"]
            .iter()
            .map(|f| info[*f].as_u64().unwrap())
            .sum();
        assert_eq!(parts, info["total_len"].as_u64().unwrap(), "{info}");
        assert_eq!(info["text_len"].as_u64().unwrap() as usize, cookie.len());
        let repetitive = json!({ "log": "page viewed; ".repeat(40) });
        let long = sb.seal("ring.toml", &repetitive, &["--suite", name]);
        assert_eq!(sb.open("ring.toml", &long, &[]).ok().json(), repetitive);
        let info = sb.run(&["inspect", "--json"], &long).ok().json();
        assert_eq!(info["compressed"], name.ends_with("-zstd"), "{name}");
    }
    versions.sort_unstable();
    versions.dedup();
    assert_eq!(versions.len(), list.len(), "versions are unique");
    assert!(
        text.stdout
            .lines()
            .any(|l| l.starts_with("xchacha-postcard") && l.contains("default"))
    );
    sb.run(
        &["seal", "--keyring", "ring.toml", "--suite", "rot13"],
        "{}",
    )
    .usage();
}

#[test]
fn keyring_commands_manage_roles_and_never_print_key_bytes() {
    let sb = Sandbox::new();
    let k1 = sb.init("ring.toml");
    assert_eq!(k1.len(), 8);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(sb.path("ring.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // init never overwrites.
    let again = sb
        .run(&["keyring", "init", "--keyring", "ring.toml"], "")
        .usage();
    assert!(again.stderr.contains("already exists"), "{again:?}");

    let k2 = sb
        .run(&["keyring", "add", "--keyring", "ring.toml"], "")
        .ok()
        .line()
        .to_owned();
    let generated = sb.run(&["keygen"], "").ok().line().to_owned();
    let k3 = sb
        .run(
            &["keyring", "add", "--stdin", "--keyring", "ring.toml"],
            &generated,
        )
        .ok()
        .line()
        .to_owned();
    assert_eq!(k3, Key::from_base64(&generated).unwrap().id().to_string());
    // The same key twice is refused.
    let dup = sb
        .run(
            &["keyring", "add", "--stdin", "--keyring", "ring.toml"],
            &generated,
        )
        .usage();
    assert!(dup.stderr.contains("listed twice"), "{dup:?}");

    let list = sb
        .run(&["keyring", "list", "--keyring", "ring.toml", "--json"], "")
        .ok()
        .json();
    let roles: Vec<(String, String)> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["id"].as_str().unwrap().to_owned(),
                k["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        vec![
            (k1.clone(), "primary".to_owned()),
            (k2.clone(), "accepted".to_owned()),
            (k3.clone(), "accepted".to_owned()),
        ]
    );
    assert_eq!(list["keys"][0]["added"], T0);
    let text = sb
        .run(&["keyring", "list", "--keyring", "ring.toml"], "")
        .ok();
    for secret in keys_in(&sb.path("ring.toml")) {
        assert!(!text.stdout.contains(&secret[..16]), "{text:?}");
        assert!(!text.stderr.contains(&secret[..16]), "{text:?}");
        assert!(!list.to_string().contains(&secret[..16]));
    }
    assert!(text.stdout.contains(&format!("{k1}  primary")), "{text:?}");
    assert!(
        text.stdout.contains(&format!(
            "{k1}  primary   2025-06-15T15:06:40Z (1750000000)\n"
        )),
        "{text:?}"
    );

    // Promote by a unique prefix; the former primary stays accepted.
    sb.run(
        &["keyring", "promote", &k2[..6], "--keyring", "ring.toml"],
        "",
    )
    .ok();
    let file = KeyringFile::load(&sb.path("ring.toml")).unwrap();
    assert_eq!(file.primary().id().to_string(), k2);
    assert_eq!(file.keyring().len(), 3);
    // The primary cannot be retired; unknown ids are errors.
    let refused = sb
        .run(&["keyring", "retire", &k2, "--keyring", "ring.toml"], "")
        .usage();
    assert!(
        refused.stderr.contains("promote another key"),
        "{refused:?}"
    );
    sb.run(
        &["keyring", "retire", "0badf00d", "--keyring", "ring.toml"],
        "",
    )
    .usage();
    sb.run(&["keyring", "promote", "zz", "--keyring", "ring.toml"], "")
        .usage();
    sb.run(&["keyring", "retire", &k3, "--keyring", "ring.toml"], "")
        .ok();
    let ids: Vec<String> = KeyringFile::load(&sb.path("ring.toml"))
        .unwrap()
        .entries()
        .iter()
        .map(|e| e.key.id().to_string())
        .collect();
    assert_eq!(ids, vec![k1, k2]);

    // Editing needs a file: SEALED_COOKIE_KEYS cannot be edited.
    let env_only = Sandbox::new().with_env("SEALED_COOKIE_KEYS", &generated);
    let out = env_only.run(&["keyring", "add"], "").usage();
    assert!(out.stderr.contains("--keyring"), "{out:?}");
}

#[test]
fn json_keyring_files_work_like_toml_ones() {
    let sb = Sandbox::new();
    sb.run(&["keyring", "init", "--keyring", "ring.json"], "")
        .ok();
    sb.run(&["keyring", "init", "--json", "--keyring", "ring.conf"], "")
        .ok();
    sb.run(&["keyring", "add", "--keyring", "ring.conf"], "")
        .ok();
    for name in ["ring.json", "ring.conf"] {
        let text = std::fs::read_to_string(sb.path(name)).unwrap();
        assert!(text.trim_start().starts_with('{'), "{name}: {text}");
        let cookie = sb.seal(name, &sample(), &[]);
        assert_eq!(sb.open(name, &cookie, &[]).ok().json(), sample());
    }
    assert_eq!(
        KeyringFile::load(&sb.path("ring.conf"))
            .unwrap()
            .entries()
            .len(),
        2
    );
}

#[test]
fn bad_keyring_files_are_configuration_errors_that_name_the_problem() {
    let sb = Sandbox::new();
    let key = |b: u8| Key::from_bytes(&[b; 32]).unwrap().to_base64().to_string();
    let entry = |role: &str, k: &str| format!("[[keys]]\nrole = \"{role}\"\nkey = \"{k}\"\n");
    let cases = [
        ("missing.toml", None, "No such file"),
        (
            "garbage.toml",
            Some("this is = = not toml".to_owned()),
            "invalid toml keyring",
        ),
        (
            "garbage.json",
            Some("{\"keys\": [".to_owned()),
            "invalid json keyring",
        ),
        (
            "noprimary.toml",
            Some(entry("accepted", &key(1))),
            "no primary key",
        ),
        (
            "twoprimaries.toml",
            Some(entry("primary", &key(1)) + &entry("primary", &key(2))),
            "2 primary keys",
        ),
        (
            "short.toml",
            Some(entry("primary", "AAAA")),
            "at least 32 bytes",
        ),
        (
            "notbase64.toml",
            Some(entry("primary", "&&&&")),
            "base64url",
        ),
        (
            "dup.toml",
            Some(entry("primary", &key(1)) + &entry("accepted", &key(1))),
            "listed twice",
        ),
        (
            "idmismatch.toml",
            Some(format!(
                "[[keys]]\nid = \"00000000\"\nrole = \"primary\"\nkey = \"{}\"\n",
                key(1)
            )),
            "states id 00000000",
        ),
        (
            "typo.toml",
            Some(entry("primary", &key(1)) + "rol = \"accepted\"\n"),
            "unknown field",
        ),
        (
            "version.toml",
            Some("version = 9\n".to_owned() + &entry("primary", &key(1))),
            "version 9",
        ),
        ("empty.toml", Some(String::new()), "no key"),
    ];
    for (name, content, needle) in cases {
        if let Some(content) = &content {
            std::fs::write(sb.path(name), content).unwrap();
        }
        for args in [
            vec!["seal", "--keyring", name],
            vec!["open", "--keyring", name],
            vec!["keyring", "list", "--keyring", name],
            vec!["keyring", "add", "--keyring", name],
        ] {
            let out = sb.run(&args, "{}").usage();
            assert!(out.stderr.contains(needle), "{name} {args:?}: {out:?}");
            assert!(!out.stderr.contains(&key(1)[..16]), "{out:?}");
        }
    }
    // A file that was not changed by a failed edit.
    let before = std::fs::read_to_string(sb.path("noprimary.toml")).unwrap();
    assert_eq!(before, entry("accepted", &key(1)));
}

#[test]
fn keys_come_from_the_environment_or_a_file_and_never_from_arguments() {
    let sb = Sandbox::new();
    let k1 = sb.init("ring.toml");
    let cookie = sb.seal("ring.toml", &sample(), &[]);
    let exported = sb
        .run(&["keyring", "export-env", "--keyring", "ring.toml"], "")
        .ok()
        .line()
        .to_owned();

    let by_keys = Sandbox::new().with_env("SEALED_COOKIE_KEYS", &exported);
    assert_eq!(by_keys.run(&["open"], &cookie).ok().json(), sample());
    let listed = by_keys.run(&["keyring", "list", "--json"], "").ok().json();
    assert_eq!(listed["source"], "SEALED_COOKIE_KEYS");
    assert_eq!(listed["keys"][0]["id"], k1);
    let fresh = by_keys.run(&["seal"], "{\"a\": 1}").ok();
    assert_eq!(
        sb.open("ring.toml", fresh.line(), &[]).ok().json(),
        json!({"a": 1})
    );

    let ring_path = sb.path("ring.toml").display().to_string();
    let by_path = Sandbox::new().with_env("SEALED_COOKIE_KEYRING", &ring_path);
    assert_eq!(by_path.run(&["open"], &cookie).ok().json(), sample());
    // The keyring commands edit the file SEALED_COOKIE_KEYRING names.
    let added = by_path.run(&["keyring", "add"], "").ok().line().to_owned();
    let listed = sb
        .run(&["keyring", "list", "--json", "--keyring", "ring.toml"], "")
        .ok()
        .json();
    assert_eq!(listed["keys"][1]["id"], added);
    by_path.run(&["keyring", "retire", &added], "").ok();

    // --keyring wins over the environment.
    let other = Sandbox::new();
    other.init("other.toml");
    let other_path = other.path("other.toml").display().to_string();
    let both = Sandbox::new().with_env("SEALED_COOKIE_KEYRING", &other_path);
    both.run(&["open", "--keyring", &ring_path], &cookie).ok();
    both.run(&["open"], &cookie).rejected("unknown_key");

    // Both variables at once is ambiguous; neither is a configuration error.
    let ambiguous = Sandbox::new()
        .with_env("SEALED_COOKIE_KEYS", &exported)
        .with_env("SEALED_COOKIE_KEYRING", &ring_path);
    let out = ambiguous.run(&["open"], &cookie).usage();
    assert!(out.stderr.contains("both"), "{out:?}");
    // The web layer refuses the same environment with the same message.
    #[cfg(feature = "tower")]
    {
        let env = |name: &str| match name {
            "SEALED_COOKIE_KEYS" => Some(exported.clone().into()),
            "SEALED_COOKIE_KEYRING" => Some(ring_path.clone().into()),
            _ => None,
        };
        let mut config = sealed_cookie::web::SessionConfig::default();
        config
            .apply_vars([("SEALED_COOKIE_KEYRING".to_owned(), ring_path.clone())])
            .unwrap();
        let web = config.keyring_with(env).unwrap_err();
        assert_eq!(out.stderr, format!("sealed-cookie: error: {web}\n"));
    }
    let none = Sandbox::new().run(&["open"], &cookie).usage();
    assert!(none.stderr.contains("--keyring PATH"), "{none:?}");
    assert!(none.stderr.contains("SEALED_COOKIE_KEYS"), "{none:?}");
    let bad = Sandbox::new()
        .with_env("SEALED_COOKIE_KEYS", "AAAA")
        .run(&["seal"], "{}")
        .usage();
    assert!(bad.stderr.contains("SEALED_COOKIE_KEYS"), "{bad:?}");

    // There is no option that takes key material.
    let attempt = sb.run(&["seal", "--key", &exported], "{}").usage();
    assert!(attempt.stderr.contains("--key"), "{attempt:?}");
    let help = sb.run(&["seal", "--help"], "").ok();
    assert!(!help.stdout.contains("--key "), "{}", help.stdout);
}

#[test]
fn concurrent_keyring_edits_lose_no_update() {
    const RUNS: usize = 8;
    let sb = Sandbox::new();
    let first = sb.init("ring.toml");
    // Eight `keyring add --stdin` started together; their keys are written only
    // once all of them are running, so every one of them edits at the same moment.
    let keys: Vec<Key> = (0..RUNS).map(|_| Key::generate().unwrap()).collect();
    let children: Vec<_> = keys
        .iter()
        .map(|_| sb.spawn(&["keyring", "add", "--stdin", "--keyring", "ring.toml"]))
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let outs: Vec<Out> = children
        .into_iter()
        .zip(&keys)
        .map(|(mut child, key)| {
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(key.to_base64().as_bytes()).unwrap();
            drop(stdin);
            child
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(finish)
        .collect();
    for out in outs {
        out.ok();
    }
    let mut expected: Vec<String> = keys.iter().map(|k| k.id().to_string()).collect();
    expected.push(first.clone());
    expected.sort();
    assert_eq!(ids_in(&sb.path("ring.toml")), expected);

    // Adds (new random keys) and promotions of keys already there, all at once.
    let children: Vec<_> = (0..RUNS)
        .map(|i| {
            if i % 2 == 0 {
                sb.spawn(&["keyring", "add", "--keyring", "ring.toml"])
            } else {
                let id = keys[i].id().to_string();
                sb.spawn(&["keyring", "promote", &id, "--keyring", "ring.toml"])
            }
        })
        .collect();
    let outs: Vec<Out> = children.into_iter().map(finish).collect();
    let mut added = Vec::new();
    for (i, out) in outs.into_iter().enumerate() {
        let out = out.ok();
        if i % 2 == 0 {
            added.push(out.line().to_owned());
        }
    }
    expected.extend(added);
    expected.sort();
    assert_eq!(ids_in(&sb.path("ring.toml")), expected);
    let file = KeyringFile::load(&sb.path("ring.toml")).unwrap();
    let promoted: Vec<String> = (1..RUNS)
        .step_by(2)
        .map(|i| keys[i].id().to_string())
        .collect();
    assert!(
        promoted.contains(&file.primary().id().to_string()),
        "{promoted:?}"
    );
    // Only the keyring and its lock file are left.
    let mut names: Vec<String> = std::fs::read_dir(sb.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".ring.toml.lock", "ring.toml"]);
}

#[test]
fn keyring_files_readable_by_others_draw_a_warning() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let sb = Sandbox::new();
        sb.init("ring.toml");
        let quiet = sb
            .run(&["keyring", "list", "--keyring", "ring.toml"], "")
            .ok();
        assert!(!quiet.stderr.contains("warning"), "{quiet:?}");
        std::fs::set_permissions(sb.path("ring.toml"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let loud = sb
            .run(&["keyring", "list", "--keyring", "ring.toml"], "")
            .ok();
        assert!(loud.stderr.contains("chmod 600"), "{loud:?}");
    }
}

#[test]
fn wrong_keys_wrong_names_and_altered_cookies_are_rejected_with_exit_2() {
    let sb = Sandbox::new();
    sb.init("a.toml");
    sb.init("b.toml");
    let cookie = sb.seal("a.toml", &sample(), &[]);
    sb.open("a.toml", &cookie, &[]).ok();
    sb.open("b.toml", &cookie, &[]).rejected("unknown_key");

    // A cookie moved to another name fails authentication.
    sb.open("a.toml", &cookie, &["--name", "admin_session"])
        .rejected("authentication_failed");
    let named = sb.seal("a.toml", &sample(), &["--name", "prefs"]);
    sb.open("a.toml", &named, &[])
        .rejected("authentication_failed");
    assert_eq!(
        sb.open("a.toml", &named, &["--name", "prefs"]).ok().json(),
        sample()
    );
    // Pasted as `name=value` (or a whole Set-Cookie value), the name comes along.
    sb.open("a.toml", &format!("prefs={named}; Path=/; HttpOnly"), &[])
        .ok();
    sb.open("a.toml", &format!("session={named}"), &[])
        .rejected("authentication_failed");

    // One changed character, truncation, garbage.
    let mut altered = cookie.clone().into_bytes();
    let i = altered.len() - 10;
    altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    sb.open("a.toml", &altered, &[])
        .rejected("authentication_failed");
    sb.open("a.toml", &cookie[..30], &[]).rejected("malformed");
    sb.open("a.toml", "not a cookie!", &[])
        .rejected("malformed");
    // A version byte outside the named table.
    let mut raw = base64_decode(&cookie);
    raw[0] = 99;
    sb.open("a.toml", &base64_encode(&raw), &[])
        .rejected("unknown_version");
    sb.open("a.toml", "", &[]).usage();
}

#[test]
fn expiry_is_judged_at_the_given_time() {
    let sb = Sandbox::new();
    sb.init("ring.toml");
    let t0 = T0.to_string();
    let cookie = sb.seal(
        "ring.toml",
        &sample(),
        &["--max-age", "1 hour", "--now", &t0],
    );
    let at = |secs: u64| (T0 + secs).to_string();

    let facts = sb
        .open("ring.toml", &cookie, &["--now", &at(100), "--facts"])
        .ok()
        .json();
    assert_eq!(facts["facts"]["issued_at"], T0);
    assert_eq!(facts["facts"]["lifetime"], 3600);
    assert_eq!(facts["facts"]["expires_at"], T0 + 3600);
    assert_eq!(facts["facts"]["issued_at_rfc3339"], "2025-06-15T15:06:40Z");
    // Inside the 60 s clock-skew allowance, then past it.
    sb.open("ring.toml", &cookie, &["--now", &at(3630)]).ok();
    let late = sb
        .open("ring.toml", &cookie, &["--now", &at(3661)])
        .rejected("absolutely_expired");
    assert!(
        late.stderr
            .contains("expired at 2025-06-15T16:06:40Z (1750003600)"),
        "{late:?}"
    );
    sb.open(
        "ring.toml",
        &cookie,
        &["--now", &at(3630), "--clock-skew", "0s"],
    )
    .rejected("absolutely_expired");
    // The application's max age caps the sealed lifetime.
    sb.open(
        "ring.toml",
        &cookie,
        &["--now", &at(1900), "--max-age", "30m"],
    )
    .rejected("absolutely_expired");
    // Renewal window: due when less than 10 minutes remain.
    let due = sb
        .open(
            "ring.toml",
            &cookie,
            &["--now", &at(3300), "--renew-within", "10m", "--facts"],
        )
        .ok()
        .json();
    // A re-seal cannot extend the absolute timeout: nothing is due without an
    // idle timeout that ends first.
    assert_eq!(due["facts"]["renewal_due"], false);
    let due = sb
        .open(
            "ring.toml",
            &cookie,
            &[
                "--now",
                &at(2000),
                "--idle-timeout",
                "40 min",
                "--renew-within",
                "25min",
                "--facts",
            ],
        )
        .ok()
        .json();
    assert_eq!(due["facts"]["renewal_due"], true);
    assert_eq!(due["facts"]["ends_by"], "idle");
    assert_eq!(due["facts"]["needs_reissue"], true);
    // Issued in the future, and revoked by a not-before cutoff.
    let early = sb
        .open("ring.toml", &cookie, &["--now", &(T0 - 3600).to_string()])
        .rejected("not_yet_valid");
    assert!(
        early
            .stderr
            .contains("issued at 2025-06-15T15:06:40Z (1750000000)"),
        "{early:?}"
    );
    let revoked = sb
        .open(
            "ring.toml",
            &cookie,
            &["--now", &at(10), "--not-before", &at(5)],
        )
        .rejected("revoked");
    assert!(
        revoked.stderr.contains(
            "issued at 2025-06-15T15:06:40Z (1750000000) is revoked by the not-before cutoff \
             2025-06-15T15:06:45Z (1750000005)"
        ),
        "{revoked:?}"
    );

    // Without --max-age a cookie never expires.
    let forever = sb.seal("ring.toml", &json!(1), &["--now", &t0]);
    sb.open("ring.toml", &forever, &["--now", &at(10 * 365 * 86_400)])
        .ok();
    sb.run(
        &["seal", "--keyring", "ring.toml", "--max-age", "soon"],
        "1",
    )
    .usage();
}

#[test]
fn open_reports_facts_as_json_or_on_stderr() {
    let sb = Sandbox::new();
    let k1 = sb.init("ring.toml");
    let t0 = T0.to_string();
    let cookie = sb.seal("ring.toml", &sample(), &["--now", &t0, "--max-age", "2h"]);
    let split = sb
        .open(
            "ring.toml",
            &cookie,
            &["--facts", "stderr", "--now", &t0, "--pretty"],
        )
        .ok();
    assert_eq!(
        serde_json::from_str::<Json>(&split.stdout).unwrap(),
        sample()
    );
    let facts: Json = serde_json::from_str(&split.stderr).unwrap();
    assert_eq!(facts["key_id"], k1);
    assert_eq!(facts["version"], 1);
    assert_eq!(facts["expires_at"], T0 + 7200);
    assert_eq!(facts["needs_reissue"], false);
    let plain = sb.open("ring.toml", &cookie, &["--now", &t0]).ok();
    assert_eq!(plain.stdout.lines().count(), 1, "{plain:?}");
    assert!(plain.stderr.is_empty(), "{plain:?}");
}

#[test]
fn seal_rejects_bad_json_and_values_over_budget_with_the_sizes() {
    let sb = Sandbox::new();
    sb.init("ring.toml");
    sb.run(&["seal", "--keyring", "ring.toml"], "{not json")
        .usage();
    // The session value's rules apply to what the tool seals: nothing is lost.
    for (text, needle) in [
        (r#"{"a":1,"a":2}"#, "twice"),
        (
            "[18446744073709551616]",
            "outside the session value's range",
        ),
    ] {
        let out = sb.run(&["seal", "--keyring", "ring.toml"], text).usage();
        assert!(out.stderr.contains(needle), "{text}: {out:?}");
    }
    let big = json!({ "blob": "x".repeat(5000) });
    let out = sb
        .run(&["seal", "--keyring", "ring.toml"], &big.to_string())
        .usage();
    assert!(out.stderr.contains("budget is 4096"), "{out:?}");
    let capacity = sb.run(&["budget", "--json"], "").ok().json()["plaintext_capacity"]
        .as_u64()
        .unwrap();
    assert!(
        out.stderr
            .contains(&format!("at most {capacity} plaintext bytes")),
        "{out:?}"
    );
    // The same value fits a bigger budget, or compressed.
    let roomy = sb.seal("ring.toml", &big, &["--budget", "8192"]);
    // Opening takes the same budget: the default refuses the longer value unread.
    sb.open("ring.toml", &roomy, &[]).rejected("too_long");
    assert_eq!(
        sb.open("ring.toml", &roomy, &["--budget", "8192"])
            .ok()
            .json(),
        big
    );
    let zstd = sb.seal("ring.toml", &big, &["--suite", "xchacha-json-zstd"]);
    assert_eq!(sb.open("ring.toml", &zstd, &[]).ok().json(), big);
}

#[test]
fn seal_can_print_the_whole_set_cookie_header() {
    let sb = Sandbox::new();
    sb.init("ring.toml");
    let out = sb
        .run(
            &[
                "seal",
                "--keyring",
                "ring.toml",
                "--set-cookie",
                "--max-age",
                "30m",
                "--same-site",
                "strict",
                "--domain",
                "example.com",
            ],
            "{}",
        )
        .ok();
    let header = out.line();
    let value = header
        .strip_prefix("session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap();
    assert_eq!(
        header,
        CookieAttributes {
            domain: Some("example.com".to_owned()),
            same_site: Some(SameSite::Strict),
            ..CookieAttributes::default()
        }
        .render("session", value, Some(1800), None)
    );
    sb.open("ring.toml", header, &[]).ok();
}

#[test]
fn inspect_reads_the_header_without_any_key() {
    let sb = Sandbox::new();
    let k1 = sb.init("ring.toml");
    let t0 = T0.to_string();
    let cookie = sb.seal(
        "ring.toml",
        &sample(),
        &[
            "--now",
            &t0,
            "--max-age",
            "1h",
            "--suite",
            "aes-gcm-msgpack",
        ],
    );
    // No keyring anywhere: inspect still works.
    let bare = Sandbox::new();
    let info = bare
        .run(
            &["inspect", "--json", "--now", &(T0 + 7200).to_string()],
            &cookie,
        )
        .ok()
        .json();
    assert_eq!(info["version"], 8);
    assert_eq!(info["suite"], "aes-gcm-msgpack");
    assert_eq!(info["key_id"], k1);
    assert_eq!(info["issued_at"], T0);
    assert_eq!(info["issued_at_rfc3339"], "2025-06-15T15:06:40Z");
    assert_eq!(info["expires_at"], T0 + 3600);
    assert_eq!(info["expires_at_rfc3339"], "2025-06-15T16:06:40Z");
    assert_eq!(info["expired"], true);
    assert_eq!(info["flags"], 0);
    assert_eq!(info["nonce_len"], 12);
    assert_eq!(info["tag_len"], 16);
    assert!(info.get("key_role").is_none());

    let text = bare
        .run(&["inspect", "--now", &(T0 + 60).to_string()], &cookie)
        .ok();
    for needle in [
        "version     8 (aes-gcm-msgpack",
        &format!("key id      {k1}"),
        "created at  2025-06-15T15:06:40Z (1750000000)\n",
        "expires at  2025-06-15T16:06:40Z (1750003600); valid for 59m more\n",
        "nonce 12",
    ] {
        assert!(text.stdout.contains(needle), "{needle}: {}", text.stdout);
    }

    // With a keyring, inspect tells whether the key is known (the cookie is not opened).
    let role = |ring: &str| {
        sb.run(&["inspect", "--json", "--keyring", ring], &cookie)
            .ok()
            .json()["key_role"]
            .clone()
    };
    assert_eq!(role("ring.toml"), "primary");
    sb.init("other.toml");
    assert_eq!(role("other.toml"), "unknown");
    let known = sb
        .run(&["inspect", "--keyring", "other.toml"], &cookie)
        .ok();
    assert!(
        known.stdout.contains("(unknown in other.toml)"),
        "{known:?}"
    );

    // A version outside the named table: header only.
    let mut raw = base64_decode(&cookie);
    raw[0] = 99;
    let foreign = base64_encode(&raw);
    let info = bare.run(&["inspect", "--json"], &foreign).ok().json();
    assert_eq!(info["version"], 99);
    assert_eq!(info["suite"], Json::Null);
    assert_eq!(info["ciphertext_len"], Json::Null);
    // Not a cookie, or cut short.
    bare.run(&["inspect"], "%%%").rejected("malformed");
    bare.run(&["inspect"], &cookie[..20]).rejected("malformed");
    bare.run(&["inspect"], &cookie[..40]).rejected("malformed");
    let mut flags = base64_decode(&cookie);
    flags[5] = 0x80;
    bare.run(&["inspect"], &base64_encode(&flags))
        .rejected("malformed");
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn budget_matches_the_library_for_names_attributes_and_suites() {
    let sb = Sandbox::new();
    let library = |name: &str,
                   attributes: CookieAttributes,
                   max_age: Option<u64>,
                   budget: usize,
                   zstd: bool| {
        let mut builder = Codec::<Value>::builder()
            .keyring(Keyring::new(Key::generate().unwrap()))
            .cookie_name(name)
            .attributes(attributes)
            .budget(budget);
        builder = if zstd {
            builder.suite(
                11,
                sealed_cookie::Suite::new(
                    sealed_cookie::cipher::Aes256Gcm,
                    sealed_cookie::serializer::MessagePack,
                )
                .compressor(sealed_cookie::compressor::Zstd::default()),
            )
        } else {
            builder
        };
        if let Some(age) = max_age {
            builder = builder.max_age(std::time::Duration::from_secs(age));
        }
        builder.build().unwrap().plaintext_capacity() as u64
    };
    let cli = |args: &[&str]| {
        let mut all = vec!["budget", "--json"];
        all.extend_from_slice(args);
        sb.run(&all, "").ok().json()["plaintext_capacity"]
            .as_u64()
            .unwrap()
    };
    let defaults = CookieAttributes::default();
    let plain = cli(&[]);
    assert_eq!(
        plain,
        library("session", defaults.clone(), None, 4096, false)
    );
    // The text form prints the number alone on stdout.
    assert_eq!(sb.run(&["budget"], "").ok().line(), plain.to_string());
    assert_eq!(
        cli(&["--name", "a_much_longer_cookie_name", "--max-age", "30m"]),
        library(
            "a_much_longer_cookie_name",
            defaults.clone(),
            Some(1800),
            4096,
            false
        )
    );
    let custom = CookieAttributes {
        path: Some("/app".to_owned()),
        domain: Some("example.com".to_owned()),
        secure: false,
        http_only: false,
        same_site: Some(SameSite::Strict),
        partitioned: false,
        expires: true,
    };
    let custom_cli = cli(&[
        "--path",
        "/app",
        "--domain",
        "example.com",
        "--no-secure",
        "--no-http-only",
        "--same-site",
        "strict",
        "--write-expires",
        "--max-age",
        "1 hour",
        "--budget",
        "3000",
    ]);
    assert_eq!(
        custom_cli,
        library("session", custom, Some(3600), 3000, false)
    );
    assert!(custom_cli < plain);
    assert_eq!(
        cli(&["--suite", "aes-gcm-msgpack-zstd"]),
        library("session", defaults, None, 4096, true)
    );
    let out = sb.run(&["budget", "--budget", "40"], "").usage();
    assert!(out.stderr.contains("budget of 40 bytes"), "{out:?}");
    sb.run(&["budget", "--name", "bad name"], "").usage();
    sb.run(&["budget", "--domain", "a;b"], "").usage();
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    let sb = Sandbox::new();
    sb.run(&["frobnicate"], "").usage();
    sb.run(&[], "").usage();
    sb.run(&["open", "--facts", "nowhere"], "").usage();
    sb.run(&["budget", "--same-site", "sometimes"], "").usage();
    let help = sb.run(&["--help"], "").ok();
    for command in [
        "keygen", "keyring", "seal", "open", "inspect", "budget", "suites",
    ] {
        assert!(help.stdout.contains(command), "{command}: {}", help.stdout);
    }
    assert!(help.stdout.contains("Exit codes"), "{}", help.stdout);
    for code in [
        "0  success",
        "1  usage",
        "2  cookie rejected",
        "3  cookie authentic",
    ] {
        assert!(help.stdout.contains(code), "{code}: {}", help.stdout);
    }
    sb.run(&["--version"], "").ok();
}

/// The rotation drill of a rolling deploy. Servers that have not yet received a
/// keyring change keep a copy of the file as it was.
#[test]
fn rotation_drill_add_promote_retire() {
    let sb = Sandbox::new();
    let ring = "ring.toml";
    let now = |secs: u64| (T0 + secs).to_string();
    let k1 = sb.init(ring);
    let c1 = sb.seal(ring, &sample(), &["--max-age", "1h", "--now", &now(0)]);
    let key_of = |cookie: &str| {
        sb.run(&["inspect", "--json"], cookie).ok().json()["key_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(key_of(&c1), k1);

    // 1. Add K2 as accept-only. Sealing still uses K1; C1 needs nothing.
    let k2 = sb
        .run(
            &["keyring", "add", "--keyring", ring, "--now", &now(10)],
            "",
        )
        .ok()
        .line()
        .to_owned();
    assert_ne!(k1, k2);
    std::fs::copy(sb.path(ring), sb.path("old-server.toml")).unwrap();
    let facts = sb
        .open(ring, &c1, &["--facts", "--now", &now(20)])
        .ok()
        .json();
    assert_eq!(facts["facts"]["needs_reissue"], false);
    assert_eq!(key_of(&sb.seal(ring, &json!(1), &[])), k1);

    // 2. Promote K2: new cookies are sealed with K2; C1 opens with needs-reissue.
    sb.run(&["keyring", "promote", &k2, "--keyring", ring], "")
        .ok();
    let c2 = sb.seal(ring, &sample(), &["--max-age", "1h", "--now", &now(30)]);
    assert_eq!(key_of(&c2), k2);
    let facts = sb
        .open(ring, &c1, &["--facts", "--now", &now(40)])
        .ok()
        .json();
    assert_eq!(facts["value"], sample());
    assert_eq!(facts["facts"]["key_id"], k1);
    assert_eq!(facts["facts"]["old_key"], true);
    assert_eq!(facts["facts"]["needs_reissue"], true);
    let facts = sb
        .open(ring, &c2, &["--facts", "--now", &now(40)])
        .ok()
        .json();
    assert_eq!(facts["facts"]["needs_reissue"], false);
    // A server not yet given the promotion (K1 primary, K2 accepted) opens C2 too.
    let old = sb
        .open("old-server.toml", &c2, &["--facts", "--now", &now(40)])
        .ok()
        .json();
    assert_eq!(old["value"], sample());
    assert_eq!(old["facts"]["needs_reissue"], true);

    // 3. Retire K1: C1 is now rejected as an unknown key, C2 still opens.
    sb.run(&["keyring", "retire", &k1, "--keyring", ring], "")
        .ok();
    let rejected = sb
        .open(ring, &c1, &["--now", &now(50)])
        .rejected("unknown_key");
    assert!(rejected.stderr.contains(&k1), "{rejected:?}");
    sb.open(ring, &c2, &["--now", &now(50)]).ok();
    let list = sb
        .run(&["keyring", "list", "--json", "--keyring", ring], "")
        .ok()
        .json();
    assert_eq!(list["keys"].as_array().unwrap().len(), 1);
    assert_eq!(list["keys"][0]["id"], k2);
    assert_eq!(list["keys"][0]["role"], "primary");
    assert_eq!(list["keys"][0]["added"], T0 + 10);
    // inspect still reads the retired cookie's header.
    let info = sb
        .run(&["inspect", "--json", "--keyring", ring], &c1)
        .ok()
        .json();
    assert_eq!(info["key_role"], "unknown");
}

/// The first second of year 10000: RFC 3339 and HTTP dates end the second before.
const YEAR_10000: u64 = 253_402_300_800;

/// The cookie with its (unauthenticated, as `inspect` reads it) issued-at replaced.
fn with_issued_at(cookie: &str, issued_at: u64) -> String {
    let mut raw = base64_decode(cookie);
    raw[6..14].copy_from_slice(&issued_at.to_be_bytes());
    base64_encode(&raw)
}

#[test]
fn inspect_prints_times_past_year_9999_without_a_date() {
    let sb = Sandbox::new();
    sb.init("ring.toml");
    let cookie = sb.seal(
        "ring.toml",
        &sample(),
        &["--now", &T0.to_string(), "--max-age", "1h"],
    );
    // Expiring in the last second RFC 3339 can write: every date printed.
    let last = with_issued_at(&cookie, YEAR_10000 - 1 - 3600);
    let info = sb
        .run(&["inspect", "--json", "--now", &T0.to_string()], &last)
        .ok()
        .json();
    assert_eq!(info["expires_at_rfc3339"], "9999-12-31T23:59:59Z");
    assert_eq!(info["issued_at_rfc3339"], "9999-12-31T22:59:59Z");

    let later = with_issued_at(&cookie, YEAR_10000);
    let info = sb
        .run(&["inspect", "--json", "--now", &T0.to_string()], &later)
        .ok()
        .json();
    assert_eq!(info["issued_at"], YEAR_10000);
    assert_eq!(info["issued_at_rfc3339"], Json::Null);
    assert_eq!(info["expires_at"], YEAR_10000 + 3600);
    assert_eq!(info["expires_at_rfc3339"], Json::Null);
    assert_eq!(info["expired"], false);
    let text = sb.run(&["inspect", "--now", &T0.to_string()], &later).ok();
    for needle in [
        "created at  after 9999-12-31T23:59:59Z (253402300800)",
        "expires at  after 9999-12-31T23:59:59Z (253402304400); valid for",
    ] {
        assert!(text.stdout.contains(needle), "{needle}: {}", text.stdout);
    }
    // The far end of the range, at either end of time.
    for issued_at in [u64::MAX - 3600, u64::MAX] {
        let forged = with_issued_at(&cookie, issued_at);
        for now in [0, T0, u64::MAX] {
            let now = now.to_string();
            let info = sb
                .run(&["inspect", "--json", "--now", &now], &forged)
                .ok()
                .json();
            assert_eq!(info["issued_at"], issued_at);
            assert_eq!(info["expires_at"], u64::MAX);
            assert_eq!(info["expires_at_rfc3339"], Json::Null);
            let text = sb.run(&["inspect", "--now", &now], &forged).ok();
            assert!(text.stdout.contains("after 9999"), "{}", text.stdout);
        }
    }
}

#[test]
fn open_facts_of_a_cookie_sealed_past_year_9999_have_no_date() {
    let sb = Sandbox::new();
    sb.init("ring.toml");
    for now in [YEAR_10000, u64::MAX - 3600] {
        let now = now.to_string();
        let cookie = sb.seal("ring.toml", &sample(), &["--now", &now, "--max-age", "1h"]);
        let doc = sb
            .open("ring.toml", &cookie, &["--now", &now, "--facts"])
            .ok()
            .json();
        assert_eq!(doc["value"], sample());
        assert_eq!(doc["facts"]["issued_at"].to_string(), now);
        assert_eq!(doc["facts"]["issued_at_rfc3339"], Json::Null);
        assert_eq!(doc["facts"]["expires_at_rfc3339"], Json::Null);
        let out = sb.open("ring.toml", &cookie, &["--now", &now, "--facts", "stderr"]);
        assert!(out.ok().stderr.contains("\"issued_at_rfc3339\":null"));
    }
    // Huge allowances and windows saturate: the cookie is judged, not a panic.
    let cookie = sb.seal(
        "ring.toml",
        &sample(),
        &["--now", &T0.to_string(), "--max-age", "1h"],
    );
    let huge = u64::MAX.to_string();
    sb.open(
        "ring.toml",
        &cookie,
        &[
            "--now",
            &huge,
            "--clock-skew",
            &huge,
            "--renew-within",
            &huge,
        ],
    )
    .rejected("absolutely_expired");
    let doc = sb
        .open(
            "ring.toml",
            &cookie,
            &[
                "--now",
                "0",
                "--clock-skew",
                &huge,
                "--renew-within",
                &huge,
                "--facts",
            ],
        )
        .ok()
        .json();
    // Format 2 renews only against an idle timeout, and none is set.
    assert_eq!(doc["facts"]["renewal_due"], false);
    assert_eq!(doc["facts"]["format"], 2);
}

#[test]
fn keyring_list_prints_added_times_past_year_9999_without_a_date() {
    for ring in ["ring.toml", "ring.json"] {
        let sb = Sandbox::new();
        let now = |t: u64| t.to_string();
        sb.run(
            &[
                "keyring",
                "init",
                "--keyring",
                ring,
                "--now",
                &now(YEAR_10000),
            ],
            "",
        )
        .ok();
        sb.run(
            &[
                "keyring",
                "add",
                "--keyring",
                ring,
                "--now",
                &now(YEAR_10000 - 1),
            ],
            "",
        )
        .ok();
        sb.run(
            &["keyring", "add", "--keyring", ring, "--now", &now(u64::MAX)],
            "",
        )
        .ok();
        let doc = sb
            .run(&["keyring", "list", "--keyring", ring, "--json"], "")
            .ok()
            .json();
        let keys = doc["keys"].as_array().unwrap();
        assert_eq!(keys[0]["added"], YEAR_10000);
        assert_eq!(keys[0]["added_rfc3339"], Json::Null, "{ring}");
        assert_eq!(keys[1]["added_rfc3339"], "9999-12-31T23:59:59Z", "{ring}");
        assert_eq!(keys[2]["added"], u64::MAX);
        assert_eq!(keys[2]["added_rfc3339"], Json::Null, "{ring}");
        let text = sb.run(&["keyring", "list", "--keyring", ring], "").ok();
        assert_eq!(
            text.stdout.matches("after 9999-12-31T23:59:59Z").count(),
            2,
            "{}",
            text.stdout
        );
        assert!(
            text.stdout.contains("  9999-12-31T23:59:59Z"),
            "{}",
            text.stdout
        );
    }
}

#[test]
fn set_cookie_expiring_past_year_9999_writes_the_last_http_date() {
    let sb = Sandbox::new();
    sb.init("ring.toml");
    let set_cookie = |now: u64| {
        sb.run(
            &[
                "seal",
                "--keyring",
                "ring.toml",
                "--set-cookie",
                "--write-expires",
                "--max-age",
                "1h",
                "--now",
                &now.to_string(),
            ],
            "{}",
        )
        .ok()
        .line()
        .to_owned()
    };
    let header = set_cookie(YEAR_10000 - 3602);
    assert!(
        header.ends_with("; Max-Age=3600; Expires=Fri, 31 Dec 9999 23:59:58 GMT"),
        "{header}"
    );
    // The last second an HTTP date can write, then later ones.
    for now in [
        YEAR_10000 - 3601,
        YEAR_10000 - 800,
        YEAR_10000,
        u64::MAX - 1,
        u64::MAX,
    ] {
        let header = set_cookie(now);
        assert!(
            header.ends_with("; Max-Age=3600; Expires=Fri, 31 Dec 9999 23:59:59 GMT"),
            "{now}: {header}"
        );
        // The library's length agrees, and the cookie opens.
        let value = header
            .strip_prefix("session=")
            .and_then(|rest| rest.split(';').next())
            .unwrap();
        let attributes = CookieAttributes {
            expires: true,
            ..CookieAttributes::default()
        };
        let expires_at = now.saturating_add(3600);
        assert_eq!(
            header.len(),
            attributes.rendered_len("session", value.len(), Some(3600), Some(expires_at))
        );
        assert_eq!(
            header,
            attributes.render("session", value, Some(3600), Some(expires_at))
        );
        // (Its expiry saturates at the last second of u64: it opens before then.)
        let open_at = now.min(u64::MAX - 1).to_string();
        sb.open("ring.toml", &header, &["--now", &open_at]).ok();
    }
}

#[test]
fn budgets_beyond_the_largest_are_refused_with_the_limit() {
    let sb = Sandbox::new();
    sb.init("ring.toml");
    let max = sealed_cookie::MAX_BUDGET;
    for budget in [u64::MAX, max as u64 + 1] {
        let budget = budget.to_string();
        let out = sb.run(&["budget", "--budget", &budget], "").usage();
        assert!(
            out.stderr.contains(&format!(
                "size budget of {budget} bytes is too large: at most {max}"
            )),
            "{out:?}"
        );
        sb.run(&["budget", "--budget", &budget, "--json"], "")
            .usage();
        sb.run(
            &["seal", "--keyring", "ring.toml", "--budget", &budget],
            "{}",
        )
        .usage();
    }
    // The largest budget gives the library's answer.
    let doc = sb
        .run(
            &[
                "budget",
                "--budget",
                &max.to_string(),
                "--max-age",
                "1h",
                "--json",
            ],
            "",
        )
        .ok()
        .json();
    let codec = Codec::<Value>::builder()
        .keyring(Keyring::new(Key::generate().unwrap()))
        .budget(max)
        .max_age(std::time::Duration::from_secs(3600))
        .build()
        .unwrap();
    assert_eq!(doc["plaintext_capacity"], codec.plaintext_capacity());
    assert!(codec.plaintext_capacity() > max / 2);
    let help = sb.run(&["budget", "--help"], "").ok();
    assert!(
        help.stdout.contains(&format!("at most {max}")),
        "{}",
        help.stdout
    );
}

#[test]
fn a_too_large_value_reports_its_excess() {
    let sb = Sandbox::new();
    sb.init("ring.toml");
    let big = json!({ "blob": "x".repeat(5000) });
    let out = sb
        .run(&["seal", "--keyring", "ring.toml"], &big.to_string())
        .usage();
    assert!(out.stderr.contains("bytes over"), "{out:?}");
}

/// A `Session::Storage::Secure` protocol 2 cookie, sealed as the Perl module
/// does (HMAC-SHA256 key from the salt, AES-256-CBC, MAC over `expires~ciphertext`).
fn perl_cookie(secret: &str, expires: &str, sereal: &[u8]) -> String {
    use aes::Aes256;
    use aes::cipher::{
        BlockCipherEncrypt, BlockModeEncrypt, KeyInit, KeyIvInit, block_padding::Pkcs7,
    };
    use hmac::{Hmac, Mac};
    let hmac = |key: &[u8], message: &[u8]| -> [u8; 32] {
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
        mac.update(message);
        mac.finalize().into_bytes().into()
    };
    let salt = [7u8; 32];
    let key = hmac(secret.as_bytes(), &salt);
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&salt[..16]);
    Aes256::new((&key).into()).encrypt_block((&mut iv).into());
    let mut buf = sereal.to_vec();
    let len = buf.len();
    buf.resize(len + 16, 0);
    let ciphertext = cbc::Encryptor::<Aes256>::new((&key).into(), &iv.into())
        .encrypt_padded::<Pkcs7>(&mut buf, len)
        .unwrap()
        .to_vec();
    let ciphertext = base64_encode(&ciphertext);
    let mac = base64_encode(&hmac(&key, format!("{expires}~{ciphertext}").as_bytes()));
    format!("{}~{expires}~{ciphertext}~{mac}~2", base64_encode(&salt))
}

#[test]
fn open_perl_facts_of_an_expiry_past_year_9999_have_no_date() {
    let sb = Sandbox::new().with_env("SEALED_COOKIE_PERL_SECRET", "s3cret");
    // Perl: Sereal::Encoder->new->encode({ user => "alice" })
    let doc = b"=\xF3rl\x05\x00\x51\x64user\x65alice";
    for (expires, utc) in [
        (YEAR_10000 - 1, json!("9999-12-31T23:59:59Z")),
        (YEAR_10000, Json::Null),
        (i64::MAX as u64, Json::Null),
    ] {
        let cookie = perl_cookie("s3cret", &expires.to_string(), doc);
        let out = sb
            .run(
                &["open", "--perl", "--facts", "--now", &T0.to_string()],
                &cookie,
            )
            .ok()
            .json();
        assert_eq!(out["value"], json!({"user": "alice"}));
        assert_eq!(out["facts"]["expires_at"], expires);
        assert_eq!(out["facts"]["expires_at_utc"], utc, "{expires}");
        assert_eq!(out["facts"]["expires_at_rfc3339"], utc, "{expires}");
    }
    // Expired: the time in RFC 3339 beside the Unix seconds.
    let cookie = perl_cookie("s3cret", &(T0 - 1).to_string(), doc);
    let out = sb
        .run(&["open", "--perl", "--now", &T0.to_string()], &cookie)
        .rejected("perl_expired");
    assert!(
        out.stderr.contains(
            "expired at 2025-06-15T15:06:39Z (1749999999) (now 2025-06-15T15:06:40Z (1750000000))"
        ),
        "{out:?}"
    );
}

/// A codec over the keyring file `ring` for an application's own type `T`, on the
/// default suite (version 1), with a one-hour lifetime.
fn typed_codec<T: serde::Serialize + serde::de::DeserializeOwned + 'static>(
    sb: &Sandbox,
    ring: &str,
) -> Codec<T> {
    Codec::<T>::builder()
        .keyring(KeyringFile::load(&sb.path(ring)).unwrap().keyring())
        .max_age(std::time::Duration::from_secs(3600))
        .build()
        .unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn an_authentic_typed_payload_is_told_from_a_forgery_and_can_be_printed() {
    let sb = Sandbox::new();
    let k1 = sb.init("ring.toml");
    let t0 = T0.to_string();
    // An application's typed payload: two bytes 0xff, which no session value
    // starts with (tag 0xff names no form).
    let typed = typed_codec::<(u8, u8)>(&sb, "ring.toml");
    let cookie = typed.seal_at(&(0xff, 0xff), T0).unwrap();
    let as_value = typed_codec::<Value>(&sb, "ring.toml").open_at(&cookie, T0);
    assert!(
        matches!(as_value, Err(OpenError::Deserialize(_))),
        "the payload must not be a session value for this test: {as_value:?}"
    );
    // Format 2 plaintext: the 16-byte session id, then the payload.
    let id = typed
        .open_at(&cookie, T0)
        .unwrap()
        .facts
        .session_id
        .unwrap();
    let plain = [id.as_bytes().as_slice(), &[0xff, 0xff]].concat();

    let out = sb.open("ring.toml", &cookie, &["--now", &t0]).not_a_value();
    let expected = format!(
        "sealed-cookie: authentic: key {k1}, suite xchacha-postcard (version 1), \
         sealed at 2025-06-15T15:06:40Z (1750000000), expires 2025-06-15T16:06:40Z (1750003600); \
         the payload is 2 bytes of postcard that is not a session value ("
    );
    assert!(out.stderr.starts_with(&expected), "{out:?}");
    assert!(out.stderr.contains("--plaintext hex"), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");

    // The plaintext on stdout, whole, with exit 0.
    let hex_out = sb
        .open("ring.toml", &cookie, &["--now", &t0, "--plaintext", "hex"])
        .ok();
    assert_eq!(hex_out.stdout, format!("{}\n", hex(&plain)));
    assert!(hex_out.stderr.is_empty(), "{hex_out:?}");
    let b64 = sb
        .open(
            "ring.toml",
            &cookie,
            &["--now", &t0, "--plaintext", "base64"],
        )
        .ok();
    use base64::Engine as _;
    let b64_text = base64::engine::general_purpose::STANDARD.encode(&plain);
    assert_eq!(b64.stdout, format!("{b64_text}\n"));
    let doc = sb
        .open(
            "ring.toml",
            &cookie,
            &["--now", &t0, "--plaintext", "hex", "--facts"],
        )
        .ok()
        .json();
    assert_eq!(doc["plaintext_hex"], hex(&plain));
    assert_eq!(doc["facts"]["key_id"], k1);
    assert_eq!(doc["facts"]["expires_at"], T0 + 3600);
    assert!(doc.get("value").is_none(), "{doc}");
    // --facts stderr: the facts as JSON, then the line.
    let out = sb
        .open("ring.toml", &cookie, &["--now", &t0, "--facts", "stderr"])
        .not_a_value();
    let mut lines = out.stderr.lines();
    let facts: Json = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(facts["issued_at"], T0);
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("sealed-cookie: authentic:")
    );

    // Forged, expired, another name or an unknown key: rejected (exit 2), with or
    // without --plaintext.
    let mut altered = cookie.clone().into_bytes();
    let i = altered.len() - 5;
    altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    sb.init("other.toml");
    let late = (T0 + 7200).to_string();
    for plaintext in [&[][..], &["--plaintext", "hex"][..]] {
        fn with<'a>(extra: &[&'a str], plaintext: &[&'a str]) -> Vec<&'a str> {
            [extra, plaintext].concat()
        }
        sb.open("ring.toml", &altered, &with(&["--now", &t0], plaintext))
            .rejected("authentication_failed");
        sb.open("ring.toml", &cookie, &with(&["--now", &late], plaintext))
            .rejected("absolutely_expired");
        sb.open(
            "ring.toml",
            &cookie,
            &with(&["--now", &t0, "--name", "other"], plaintext),
        )
        .rejected("authentication_failed");
        sb.open("other.toml", &cookie, &with(&["--now", &t0], plaintext))
            .rejected("unknown_key");
    }

    // A session value's plaintext is printed too: the library's bytes.
    let value_cookie = sb.seal("ring.toml", &sample(), &["--now", &t0, "--max-age", "1h"]);
    let plain = typed_codec::<Value>(&sb, "ring.toml")
        .open_plaintext_at(&value_cookie, T0)
        .unwrap()
        .value;
    let out = sb
        .open(
            "ring.toml",
            &value_cookie,
            &["--now", &t0, "--plaintext", "hex"],
        )
        .ok();
    assert_eq!(out.line(), hex(&plain));
    // --plaintext does not combine with --perl.
    sb.run(&["open", "--perl", "--plaintext", "hex"], &cookie)
        .usage();
}

/// The table's name of a frozen vector's suite (`cipher`, `serializer`, `compressor`).
fn table_name(vector: &Json) -> String {
    let field = |name: &str| {
        vector[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} in {vector}"))
    };
    let cipher = match field("cipher") {
        "xchacha20poly1305" => "xchacha",
        "aes256gcm" => "aes-gcm",
        "aes256siv" => "aes-siv",
        other => panic!("cipher {other} has no named suite"),
    };
    let serializer = match field("serializer") {
        s @ ("postcard" | "msgpack" | "json") => s,
        other => panic!("serializer {other} has no named suite"),
    };
    let compressor = match field("compressor") {
        "none" => "",
        "zstd" => "-zstd",
        other => panic!("compressor {other} has no named suite"),
    };
    format!("{cipher}-{serializer}{compressor}")
}

#[test]
fn every_frozen_vector_opens_with_its_version_mapped_to_a_named_suite() {
    let file: Json = serde_json::from_str(include_str!("vectors/v1.json")).unwrap();
    let vectors = file["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 5, "{}", vectors.len());
    let sb = Sandbox::new();
    for (i, v) in vectors.iter().enumerate() {
        let what = v["description"].as_str().unwrap_or("?");
        let ring = format!("vector-{i}.toml");
        let key = Key::from_base64(v["key"].as_str().unwrap()).unwrap();
        KeyringFile::new(key).save(&sb.path(&ring)).unwrap();
        let mapping = format!("{}={}", v["version"], table_name(v));
        let now = v["issued_at"].to_string();
        let name = v["cookie_name"].as_str().unwrap();
        let cookie = v["cookie"].as_str().unwrap();
        let args = ["--now", &now, "--name", name, "--suite-version", &mapping];

        let out = sb.open(&ring, cookie, &args);
        match v.get("payload").and_then(Json::as_str).unwrap_or("value") {
            "value" => assert_eq!(out.ok().json(), v["value"], "{what}"),
            // Vector 4, `Value`'s serde form under MessagePack: bytes that read as
            // a session value, the map of variant names.
            "typed" => {
                let printed = out.ok().json();
                assert!(printed.get("Map").is_some(), "{what}: {printed}");
            }
            other => panic!("{what}: unknown payload {other:?}"),
        }

        let plain = sb.open(
            &ring,
            cookie,
            &[&args[..], &["--plaintext", "hex"]].concat(),
        );
        // Unpadded and decompressed: the vector's plaintext either way.
        assert_eq!(plain.ok().line(), v["plaintext_hex"], "{what}");

        // The facts and inspect name the mapped suite; the lengths add up.
        let facts = sb
            .open(
                &ring,
                cookie,
                &[&args[..], &["--plaintext", "hex", "--facts"]].concat(),
            )
            .ok()
            .json();
        assert_eq!(facts["facts"]["suite"], table_name(v), "{what}");
        assert_eq!(facts["facts"]["version"], v["version"], "{what}");
        assert_eq!(facts["facts"]["key_id"], v["key_id"], "{what}");
        let info = sb
            .run(&["inspect", "--json", "--suite-version", &mapping], cookie)
            .ok()
            .json();
        assert_eq!(info["suite"], table_name(v), "{what}");
        let parts: u64 = ["header_len", "nonce_len", "ciphertext_len", "tag_len"]
            .iter()
            .map(|f| info[*f].as_u64().unwrap())
            .sum();
        assert_eq!(parts, info["total_len"].as_u64().unwrap(), "{what}");
    }
}

#[test]
fn suite_versions_map_an_applications_numbering_to_named_suites() {
    let sb = Sandbox::new();
    sb.init("ring.toml");
    // The application seals aes-gcm-json under its version 2 (the table's
    // xchacha-msgpack) and aes-siv-postcard under 40 (not in the table).
    let v2 = sb.seal("ring.toml", &sample(), &["--suite", "2=aes-gcm-json"]);
    let v40 = sb.seal("ring.toml", &sample(), &["--suite", "40=aes-siv-postcard"]);
    let info = sb.run(&["inspect", "--json"], &v2).ok().json();
    assert_eq!(info["version"], 2);
    assert_eq!(info["suite"], "xchacha-msgpack");
    sb.open("ring.toml", &v2, &[])
        .rejected("authentication_failed");
    sb.open("ring.toml", &v40, &[]).rejected("unknown_version");

    let maps = [
        "--suite-version",
        "2=aes-gcm-json",
        "--suite-version",
        "40=aes-siv-postcard",
    ];
    for cookie in [&v2, &v40] {
        let doc = sb
            .open("ring.toml", cookie, &[&maps[..], &["--facts"]].concat())
            .ok()
            .json();
        assert_eq!(doc["value"], sample());
        // Without --suite, version 1 seals: both are an old suite.
        assert_eq!(doc["facts"]["needs_reissue"], true);
    }
    let doc = sb
        .open(
            "ring.toml",
            &v2,
            &[&maps[..], &["--facts", "--suite", "aes-gcm-json"]].concat(),
        )
        .ok()
        .json();
    assert_eq!(doc["facts"]["suite"], "aes-gcm-json");
    assert_eq!(doc["facts"]["needs_reissue"], false);
    let doc = sb
        .open(
            "ring.toml",
            &v40,
            &["--facts", "--suite", "40=aes-siv-postcard"],
        )
        .ok()
        .json();
    assert_eq!(doc["facts"]["needs_reissue"], false);
    assert_eq!(doc["facts"]["suite"], "aes-siv-postcard");
    let info = sb
        .run(
            &[
                "inspect",
                "--json",
                "--suite-version",
                "40=aes-siv-postcard",
            ],
            &v40,
        )
        .ok()
        .json();
    assert_eq!(info["suite"], "aes-siv-postcard");
    assert_eq!(info["nonce_len"], 16);
    let text = sb.run(&["inspect"], &v40).ok();
    assert!(text.stdout.contains("--suite-version 40=NAME"), "{text:?}");
    // --suite NAME keeps working: the table's version.
    let v9 = sb.seal("ring.toml", &sample(), &["--suite", "aes-gcm-json"]);
    let doc = sb
        .open("ring.toml", &v9, &["--facts", "--suite", "aes-gcm-json"])
        .ok()
        .json();
    assert_eq!(doc["facts"]["version"], 9);
    assert_eq!(doc["facts"]["needs_reissue"], false);
    assert_eq!(
        sb.run(&["budget", "--json", "--suite", "40=aes-siv-postcard"], "")
            .ok()
            .json()["version"],
        40
    );

    // Bad mappings are usage errors that say what is wrong.
    for (args, needle) in [
        (vec!["--suite-version", "0=aes-gcm-json"], "reserved"),
        (vec!["--suite-version", "200=aes-gcm-json"], "reserved"),
        (vec!["--suite-version", "2=rot13"], "unknown suite"),
        (vec!["--suite-version", "aes-gcm-json"], "VERSION=NAME"),
        (vec!["--suite", "0=aes-gcm-json"], "reserved"),
        (
            vec![
                "--suite-version",
                "2=aes-gcm-json",
                "--suite-version",
                "2=aes-siv-json",
            ],
            "version 2 is mapped twice",
        ),
        (
            vec![
                "--suite-version",
                "2=aes-gcm-json",
                "--suite-version",
                "3=aes-gcm-json",
                "--suite",
                "aes-gcm-json",
            ],
            "versions 2, 3",
        ),
    ] {
        let out = sb.open("ring.toml", &v2, &args).usage();
        assert!(out.stderr.contains(needle), "{args:?}: {out:?}");
    }
    // The same mapping given twice says one thing.
    sb.open(
        "ring.toml",
        &v2,
        &[
            "--suite-version",
            "2=aes-gcm-json",
            "--suite",
            "2=aes-gcm-json",
        ],
    )
    .ok();
    let out = sb
        .run(
            &[
                "inspect",
                "--suite-version",
                "2=aes-gcm-json",
                "--suite-version",
                "2=aes-siv-json",
            ],
            &v2,
        )
        .usage();
    assert!(out.stderr.contains("mapped twice"), "{out:?}");
    sb.run(
        &[
            "seal",
            "--keyring",
            "ring.toml",
            "--suite",
            "128=aes-gcm-json",
        ],
        "{}",
    )
    .usage();
}

/// The `Set-Cookie` template and lifetime `budget --json` reports for `args`.
#[cfg(feature = "tower")]
fn cli_cookie(sb: &Sandbox, args: &[&str]) -> (String, Option<u64>) {
    let doc = sb
        .run(&[&["budget", "--json"][..], args].concat(), "")
        .ok()
        .json();
    (
        doc["set_cookie"].as_str().unwrap().to_owned(),
        doc["max_age"].as_u64(),
    )
}

/// The same template from the web layer built from a session configuration.
#[cfg(feature = "tower")]
fn config_cookie(config: &sealed_cookie::web::SessionConfig) -> (String, Option<u64>) {
    let layer = config
        .layer_with_keyring(Keyring::new(Key::generate().unwrap()))
        .unwrap();
    let max_age = layer.max_age().map(|d| d.as_secs());
    let header = layer
        .attributes()
        .render(layer.cookie_name(), "<value>", max_age, None);
    (header, max_age)
}

#[cfg(feature = "tower")]
#[test]
fn flags_take_the_words_of_the_session_configuration() {
    use sealed_cookie::web::SessionConfig;
    let sb = Sandbox::new();
    let toml = |text: &str| SessionConfig::from_toml_str(text).unwrap();
    let var = |name: &str, value: &str| {
        let mut config = SessionConfig::default();
        config
            .apply_vars([(format!("SEALED_COOKIE_{name}"), value.to_owned())])
            .unwrap();
        config
    };
    assert_eq!(
        cli_cookie(&sb, &[]),
        config_cookie(&SessionConfig::default())
    );

    // same_site = "off" and --same-site omit, and every other word, either way.
    for word in ["strict", "lax", "none", "off", "Strict", "OFF", ""] {
        let expected = config_cookie(&toml(&format!("same_site = {word:?}")));
        assert_eq!(expected, config_cookie(&var("SAME_SITE", word)), "{word:?}");
        assert_eq!(
            cli_cookie(&sb, &["--same-site", word]),
            expected,
            "{word:?}"
        );
    }
    assert_eq!(
        cli_cookie(&sb, &["--same-site", "omit"]),
        config_cookie(&toml("same_site = \"off\""))
    );

    // expires = "1 hour" is --expires (and --max-age) on the command line.
    for text in [
        "1 hour",
        "1hour",
        "30 minutes",
        "2h 30min",
        "2 h 30 min",
        "7 days",
        "90s",
        "1 day 2 hours",
    ] {
        let expected = config_cookie(&toml(&format!("expires = {text:?}")));
        assert_eq!(expected, config_cookie(&var("EXPIRES", text)), "{text}");
        assert_eq!(cli_cookie(&sb, &["--expires", text]), expected, "{text}");
        assert_eq!(cli_cookie(&sb, &["--max-age", text]), expected, "{text}");
    }
    // The lifetime is the same meaning on open: a cookie sealed for 1 hour and
    // opened with --expires 30m is expired after 30 minutes.
    sb.init("ring.toml");
    let t0 = T0.to_string();
    let cookie = sb.seal(
        "ring.toml",
        &json!(1),
        &["--expires", "1 hour", "--now", &t0],
    );
    let facts = sb
        .open("ring.toml", &cookie, &["--facts", "--now", &t0])
        .ok()
        .json();
    assert_eq!(facts["facts"]["lifetime"], 3600);
    let late = (T0 + 1900).to_string();
    sb.open("ring.toml", &cookie, &["--now", &late]).ok();
    sb.open(
        "ring.toml",
        &cookie,
        &["--now", &late, "--expires", "30 minutes"],
    )
    .rejected("absolutely_expired");
    // renew_within takes the same durations.
    let due = sb
        .open(
            "ring.toml",
            &cookie,
            &["--now", &late, "--renew-within", "2 h 30 min", "--facts"],
        )
        .ok()
        .json();
    // A re-seal cannot extend the absolute timeout: nothing is due without an
    // idle timeout that ends first.
    assert_eq!(due["facts"]["renewal_due"], false);
    let due = sb
        .open(
            "ring.toml",
            &cookie,
            &[
                "--now",
                &late,
                "--idle-timeout",
                "40 min",
                "--renew-within",
                "25min",
                "--facts",
            ],
        )
        .ok()
        .json();
    assert_eq!(due["facts"]["renewal_due"], true);
    assert_eq!(due["facts"]["ends_by"], "idle");
    assert_eq!(
        toml("expires = \"3 hours\"\nrenew_within = \"2 h 30 min\"").renew_within,
        Some(std::time::Duration::from_secs(9000))
    );
    // The old flag that wrote an Expires attribute is --write-expires; --expires
    // without a duration is a usage error, never an attribute.
    let (header, _) = cli_cookie(&sb, &["--expires", "1h", "--write-expires"]);
    assert!(header.contains("; Expires="), "{header}");
    let (header, _) = cli_cookie(&sb, &["--expires", "1h"]);
    assert!(!header.contains("Expires="), "{header}");
    sb.run(&["budget", "--expires"], "").usage();
    sb.run(&["budget", "--expires", "1h", "--max-age", "1h"], "")
        .usage();

    // secure / http_only: the configuration's booleans, and the --no- flags.
    for word in [
        "true", "false", "1", "0", "yes", "no", "on", "off", "On", "FALSE",
    ] {
        for (setting, flag) in [("SECURE", "--secure"), ("HTTP_ONLY", "--http-only")] {
            let expected = config_cookie(&var(setting, word));
            assert_eq!(cli_cookie(&sb, &[flag, word]), expected, "{flag} {word}");
        }
    }
    assert_eq!(
        cli_cookie(&sb, &["--no-secure", "--no-http-only"]),
        config_cookie(&toml("secure = false\nhttp_only = false"))
    );
    sb.run(&["budget", "--secure", "maybe"], "").usage();
    sb.run(&["budget", "--secure", "on", "--no-secure"], "")
        .usage();

    // cookie_name, domain (empty: none) and budget.
    assert_eq!(
        cli_cookie(&sb, &["--cookie-name", "sid"]),
        config_cookie(&toml("cookie_name = \"sid\""))
    );
    assert_eq!(
        cli_cookie(&sb, &["--name", "sid"]),
        cli_cookie(&sb, &["--cookie-name", "sid"])
    );
    assert_eq!(
        cli_cookie(&sb, &["--domain", "example.com"]),
        config_cookie(&toml("domain = \"example.com\""))
    );
    assert_eq!(
        cli_cookie(&sb, &["--domain", ""]),
        config_cookie(&var("DOMAIN", ""))
    );
    let budget = |args: &[&str]| {
        sb.run(&[&["budget", "--json"][..], args].concat(), "")
            .ok()
            .json()["budget"]
            .clone()
    };
    assert_eq!(
        budget(&["--budget", " 3000 "]),
        var("BUDGET", " 3000 ").budget
    );
    let named = sb
        .open(
            "ring.toml",
            &sb.seal("ring.toml", &json!(1), &["--cookie-name", "sid"]),
            &["--cookie-name", "sid"],
        )
        .ok();
    assert_eq!(named.json(), json!(1));
}
