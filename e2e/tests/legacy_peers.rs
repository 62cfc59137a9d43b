//! Moving from the Rust peers without logging anyone out: sessions made here by
//! the real peer crates (axum-extra's `PrivateCookieJar` and `SignedCookieJar`
//! over the `cookie` crate, actix-session's `CookieSessionStore` in its private
//! and signed modes, tower-sessions-cookie-store signed and private) are sent to
//! both real example servers (`examples/server.rs` on axum,
//! `examples/actix_server.rs` on actix-web), configured through
//! `SEALED_COOKIE_LEGACY_*` as an operator would. Each server must show the same
//! session data, re-issue it in its current suite, and delete the legacy cookie.

#![cfg(all(
    feature = "cli",
    feature = "axum",
    feature = "actix",
    feature = "metrics",
    feature = "legacy-cookie-jar",
    feature = "legacy-actix-session",
    feature = "legacy-tower-sessions"
))]

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use base64::Engine as _;
use sealed_cookie::envelope::Header;
use serde_json::json;

/// One example server process, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SERVERS: [&str; 2] = ["server", "actix_server"];

/// Starts example `name` on a free port with `vars` (and nothing else of this
/// process's environment), and waits for its `listening on` line.
fn start(name: &str, vars: &[(&str, String)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(sealed_cookie_e2e::built("examples", name));
    command
        .current_dir(dir.path())
        .env_clear()
        .env("PORT", "0")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (var, value) in vars {
        command.env(var, value);
    }
    let mut child = command.spawn().expect("the example server runs");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let port = sealed_cookie_e2e::listening_port(&mut stdout, name);
    // The rest of its output is not read: let it go nowhere.
    std::thread::spawn(move || for _ in stdout.lines() {});
    Server { child, port }
}

/// `GET /api/session` with a `Cookie` header: the JSON and the `Set-Cookie` values.
async fn session(server: &Server, cookie: &str) -> (serde_json::Value, Vec<String>) {
    let client = reqwest::Client::new();
    let mut request = client.get(format!("http://127.0.0.1:{}/api/session", server.port));
    if !cookie.is_empty() {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let set_cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    (response.json().await.unwrap(), set_cookies)
}

/// The `name=value` of the first `Set-Cookie` for `name`.
fn pair(set_cookies: &[String], name: &str) -> Option<String> {
    set_cookies
        .iter()
        .filter_map(|line| line.split(';').next())
        .find(|pair| pair.split('=').next() == Some(name))
        .map(str::to_owned)
}

fn deleted(set_cookies: &[String], name: &str) -> bool {
    set_cookies
        .iter()
        .any(|line| line.starts_with(&format!("{name}=;")) && line.contains("Max-Age=0"))
}

/// The suite version of a cookie of ours (`name=value`).
fn suite_version(pair: &str) -> u8 {
    let value = pair.split_once('=').unwrap().1;
    Header::decode(value).expect("a cookie of ours").version
}

/// Sends `legacy` (a `Cookie` header of peer cookies) to `server` and checks
/// the adoption: `expected` as the session, a re-issued cookie of ours in the
/// suite a new session gets, each of `legacy_names` deleted (unless it is our
/// own name, which the re-issue overwrites), and the re-issued cookie alone
/// giving the same session back.
async fn adopts(
    server: &Server,
    legacy: &str,
    legacy_names: &[&str],
    expected: &serde_json::Value,
) {
    let (body, set_cookies) = session(server, legacy).await;
    assert_eq!(
        &body["session"], expected,
        "adopted from {legacy}: {set_cookies:?}"
    );
    let ours = pair(&set_cookies, "session").expect("the session re-issued in our cookie");
    assert!(ours.len() > "session=".len(), "{set_cookies:?}");
    for name in legacy_names.iter().filter(|name| **name != "session") {
        assert!(
            deleted(&set_cookies, name),
            "{name} not deleted: {set_cookies:?}"
        );
    }
    // The same suite as a session this server starts today.
    let response = reqwest::get(format!("http://127.0.0.1:{}/api/counter", server.port))
        .await
        .unwrap();
    let new_cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect();
    let new = pair(&new_cookies, "session").expect("a new session's cookie");
    assert_eq!(suite_version(&ours), suite_version(&new));
    // Our cookie alone now carries the session, with the facts of a sealed one.
    let (again, more) = session(server, &ours).await;
    assert_eq!(&again["session"], expected);
    assert!(again["facts"]["key_id"].is_string(), "{again}");
    assert!(pair(&more, "session").is_none_or(|pair| pair.len() > "session=".len()));
}

fn master_base64(master: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(master)
}

/// `Set-Cookie` values of a response, as `name=value` pairs joined for a
/// `Cookie` request header, the way a browser sends them back.
fn cookie_header<'a>(set_cookies: impl IntoIterator<Item = &'a str>) -> String {
    set_cookies
        .into_iter()
        .filter_map(|line| line.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

mod peers {
    use axum::response::IntoResponse as _;
    use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar, SignedCookieJar};

    /// What axum-extra's `PrivateCookieJar` sends for the entries: `user_id`
    /// and `theme` one each, and the whole `cart` object in `profile`.
    pub fn private_jar(key: &Key) -> String {
        let jar = PrivateCookieJar::new(key.clone())
            .add(Cookie::new("user_id", "42"))
            .add(Cookie::new("theme", "\"dark; large\""))
            .add(Cookie::new(
                "profile",
                r#"{"user":"ada","items":["apple","pear"]}"#,
            ));
        headers(jar.into_response())
    }

    pub fn signed_jar(key: &Key) -> String {
        let jar = SignedCookieJar::new(key.clone())
            .add(Cookie::new("user_id", "7"))
            .add(Cookie::new("theme", "light"))
            .add(Cookie::new("profile", r#"{"user":"lin","admin":false}"#));
        headers(jar.into_response())
    }

    fn headers(response: axum::response::Response) -> String {
        let lines: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect();
        super::cookie_header(lines.iter().map(String::as_str))
    }

    /// A session made by actix-session's `CookieSessionStore`, in a real
    /// actix-web service.
    pub async fn actix_session(
        master: &[u8],
        security: actix_session::config::CookieContentSecurity,
    ) -> String {
        use actix_session::storage::CookieSessionStore;
        use actix_session::{Session, SessionMiddleware};
        use actix_web::{App, HttpResponse, test, web};

        let key = actix_web::cookie::Key::from(master);
        let app = test::init_service(
            App::new()
                .wrap(
                    SessionMiddleware::builder(CookieSessionStore::default(), key)
                        .cookie_content_security(security)
                        .cookie_secure(false)
                        .build(),
                )
                .route(
                    "/",
                    web::get().to(|session: Session| async move {
                        session.insert("user", "grace").unwrap();
                        session.insert("count", 3).unwrap();
                        session.insert("roles", ["admin", "ops"]).unwrap();
                        HttpResponse::Ok().finish()
                    }),
                ),
        )
        .await;
        let response =
            test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
        let lines: Vec<String> = response
            .headers()
            .get_all(actix_web::http::header::SET_COOKIE)
            .map(|value| value.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        super::cookie_header(lines.iter().map(String::as_str))
    }

    /// A session made by tower-sessions-cookie-store in a real axum router.
    pub async fn tower_sessions(master: &[u8], signed: bool) -> String {
        use tower_service::Service as _;
        use tower_sessions_cookie_store::{
            CookieSessionConfig, CookieSessionManagerLayer, Session,
        };

        let key = tower_sessions_cookie_store::Key::from(master);
        let config = CookieSessionConfig::default().with_secure(false);
        let route = axum::routing::get(
            |axum::Extension(session): axum::Extension<Session>| async move {
                session.insert("user", "hopper").await.unwrap();
                session.insert("cart", vec![1, 2, 3]).await.unwrap();
                "ok"
            },
        );
        let router = axum::Router::new().route("/", route);
        let mut router = if signed {
            router.layer(CookieSessionManagerLayer::signed(key).with_config(config))
        } else {
            router.layer(CookieSessionManagerLayer::private(key).with_config(config))
        };
        let request = http::Request::get("/")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = router.call(request).await.unwrap();
        assert_eq!(response.status(), 200);
        headers(response)
    }
}

/// The jars, actix-session and tower-sessions-cookie-store configured together
/// on each server, the first two in `jar_mode` and tower-sessions in the other
/// (its default is signed), under fresh keys given as an operator would.
async fn every_peer_adopted_by_both_servers(jar_mode: &str) {
    use actix_session::config::CookieContentSecurity;
    let signed = jar_mode == "signed";
    let jar_key = axum_extra::extract::cookie::Key::generate();
    let actix_master = axum_extra::extract::cookie::Key::generate()
        .master()
        .to_vec();
    let tower_master = axum_extra::extract::cookie::Key::generate()
        .master()
        .to_vec();
    let tower_mode = if signed { "private" } else { "signed" };
    let vars = [
        (
            "SEALED_COOKIE_LEGACY_JAR_KEY",
            master_base64(jar_key.master()),
        ),
        ("SEALED_COOKIE_LEGACY_JAR_MODE", jar_mode.to_owned()),
        (
            "SEALED_COOKIE_LEGACY_JAR_COOKIES",
            "user_id, theme".to_owned(),
        ),
        (
            "SEALED_COOKIE_LEGACY_JAR_SESSION_COOKIE",
            "profile".to_owned(),
        ),
        (
            "SEALED_COOKIE_LEGACY_ACTIX_KEY",
            master_base64(&actix_master),
        ),
        ("SEALED_COOKIE_LEGACY_ACTIX_MODE", jar_mode.to_owned()),
        ("SEALED_COOKIE_LEGACY_ACTIX_COOKIE", "id".to_owned()),
        // The URL-safe alphabet is accepted too.
        (
            "SEALED_COOKIE_LEGACY_TOWER_KEY",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tower_master),
        ),
        ("SEALED_COOKIE_LEGACY_TOWER_MODE", tower_mode.to_owned()),
    ];
    let (jar, jar_session) = if signed {
        (
            peers::signed_jar(&jar_key),
            json!({"user": "lin", "admin": false, "user_id": 7, "theme": "light"}),
        )
    } else {
        (
            peers::private_jar(&jar_key),
            json!({"user": "ada", "items": ["apple", "pear"], "user_id": 42, "theme": "dark; large"}),
        )
    };
    let security = if signed {
        CookieContentSecurity::Signed
    } else {
        CookieContentSecurity::Private
    };
    let actix = peers::actix_session(&actix_master, security).await;
    let tower = peers::tower_sessions(&tower_master, !signed).await;
    // Under our own cookie name.
    assert!(tower.starts_with("session="), "{tower}");
    let cases = [
        (jar, vec!["user_id", "theme", "profile"], jar_session),
        (
            actix,
            vec!["id"],
            json!({"user": "grace", "count": 3, "roles": ["admin", "ops"]}),
        ),
        (
            tower,
            vec!["session"],
            json!({"user": "hopper", "cart": [1, 2, 3]}),
        ),
    ];
    for name in SERVERS {
        let server = start(name, &vars);
        for (cookies, names, expected) in &cases {
            adopts(&server, cookies, names, expected).await;
        }
        // A cookie made under another key is not adopted, and left alone.
        let stranger = peers::private_jar(&axum_extra::extract::cookie::Key::generate());
        let (body, set_cookies) = session(&server, &stranger).await;
        assert_eq!(body["session"], json!({}));
        assert!(!deleted(&set_cookies, "user_id"), "{set_cookies:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_jar_actix_private_and_tower_signed_sessions_are_adopted_by_both_servers() {
    every_peer_adopted_by_both_servers("private").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_jar_actix_signed_and_tower_private_sessions_are_adopted_by_both_servers() {
    every_peer_adopted_by_both_servers("signed").await;
}

/// `sealed-cookie open --legacy`, given the servers' own settings, reads the
/// same sessions before any server is switched.
fn cli_opens(vars: &[(&str, String)], cookies: &str, reader: &str, expected: &serde_json::Value) {
    let output = open_legacy(vars, cookies);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(&doc["value"], expected);
    assert_eq!(doc["facts"]["reader"], reader);
}

/// `sealed-cookie open --legacy --facts` with only `vars` in its environment.
fn open_legacy(vars: &[(&str, String)], stdin: &str) -> std::process::Output {
    use std::io::Write as _;
    let mut child = Command::new(sealed_cookie_e2e::cli())
        .args(["open", "--legacy", "--facts"])
        .env_clear()
        .envs(vars.iter().map(|(var, value)| (*var, value.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn the_tool_reads_the_peers_cookies_with_the_servers_settings() {
    let jar_key = axum_extra::extract::cookie::Key::generate();
    let actix_master = axum_extra::extract::cookie::Key::generate()
        .master()
        .to_vec();
    let vars = [
        (
            "SEALED_COOKIE_LEGACY_JAR_KEY",
            master_base64(jar_key.master()),
        ),
        (
            "SEALED_COOKIE_LEGACY_JAR_COOKIES",
            "user_id,theme".to_owned(),
        ),
        (
            "SEALED_COOKIE_LEGACY_JAR_SESSION_COOKIE",
            "profile".to_owned(),
        ),
        (
            "SEALED_COOKIE_LEGACY_ACTIX_KEY",
            master_base64(&actix_master),
        ),
    ];
    let jar = peers::private_jar(&jar_key);
    cli_opens(
        &vars,
        &jar,
        "cookie-private-jar",
        &json!({"user": "ada", "items": ["apple", "pear"], "user_id": 42, "theme": "dark; large"}),
    );
    // One `name=value` a line works too, as copied from a browser.
    cli_opens(
        &vars,
        &jar.replace("; ", "\n"),
        "cookie-private-jar",
        &json!({"user": "ada", "items": ["apple", "pear"], "user_id": 42, "theme": "dark; large"}),
    );
    let actix = peers::actix_session(
        &actix_master,
        actix_session::config::CookieContentSecurity::Private,
    )
    .await;
    cli_opens(
        &vars,
        &format!("Cookie: {actix}"),
        "actix-session",
        &json!({"user": "grace", "count": 3, "roles": ["admin", "ops"]}),
    );
    // Not adopted: exit 2, with the readers named.
    let stranger = peers::private_jar(&axum_extra::extract::cookie::Key::generate());
    let output = open_legacy(&vars, &stranger);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cookie-private-jar, actix-session"),
        "{stderr}"
    );
}

/// A misconfigured legacy reader stops the server with what to change.
#[test]
fn an_incomplete_legacy_configuration_stops_both_servers_with_the_fix() {
    for name in SERVERS {
        let output = Command::new(sealed_cookie_e2e::built("examples", name))
            .env_clear()
            .env("PORT", "0")
            .env("SEALED_COOKIE_LEGACY_JAR_COOKIES", "user_id")
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("SEALED_COOKIE_LEGACY_JAR_KEY"),
            "{name}: {stderr}"
        );
    }
}
