//! The operator's tool and the application read the same cookies: the example
//! server (`examples/server.rs`) and the real `sealed-cookie` binary share one
//! keyring file; a cookie the server issues opens in `sealed-cookie open`, and one
//! sealed by `sealed-cookie seal` is the server's session.

#![cfg(all(feature = "cli", feature = "axum"))]

mod web_support;

use std::path::Path;
use std::process::Output;

use sealed_cookie::web::SessionConfig;
use serde_json::json;
use web_support::{Client, serve};

/// Runs the tool in `dir` with `stdin`, which must succeed.
fn run(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let output = sealed_cookie_e2e::run_cli(dir, args, stdin);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[tokio::test]
async fn the_servers_cookies_open_in_the_cli_and_the_clis_open_in_the_server() {
    let dir = tempfile::tempdir().unwrap();
    run(
        dir.path(),
        &["keyring", "init", "--keyring", "ring.toml"],
        "",
    );
    let ring = dir.path().join("ring.toml");
    let config = SessionConfig::from_toml_str(&format!(
        "keyring_file = {:?}\nsecure = false\nexpires = \"1 hour\"\n",
        ring.display().to_string()
    ))
    .unwrap();
    let server = serve(config.layer().unwrap()).await;

    // The application's session, as the browser holds it, in the operator's tool.
    let client = Client::new();
    for _ in 0..3 {
        client.counter(&server).await;
    }
    let (status, _) = client.add_to_cart(&server, 2).await;
    assert_eq!(status, 200);
    let (body, _) = client.session(&server).await;
    let cookie = client.cookie(&server, "session").unwrap();
    let opened = run(
        dir.path(),
        &["open", "--keyring", "ring.toml", "--expires", "1 hour"],
        &cookie,
    );
    let printed: serde_json::Value = serde_json::from_slice(&opened.stdout).unwrap();
    assert_eq!(printed, body["session"]);
    assert_eq!(printed["count"], 3);

    // A session sealed by the operator's tool is the application's session.
    let sealed = run(
        dir.path(),
        &["seal", "--keyring", "ring.toml", "--expires", "1 hour"],
        &json!({"count": 41, "user": "bob", "cart": ["pear #0001"]}).to_string(),
    );
    let sealed = String::from_utf8(sealed.stdout).unwrap();
    let client = Client::new();
    client.set_cookie(&server, &format!("session={}; Path=/", sealed.trim()));
    assert_eq!(client.counter(&server).await.0, 42);
    let (body, _) = client.session(&server).await;
    assert_eq!(body["session"]["user"], "bob");
    assert_eq!(body["session"]["cart"], json!(["pear #0001"]));
    // And the server's re-sealed cookie opens in the tool again.
    let cookie = client.cookie(&server, "session").unwrap();
    let opened = run(dir.path(), &["open", "--keyring", "ring.toml"], &cookie);
    let printed: serde_json::Value = serde_json::from_slice(&opened.stdout).unwrap();
    assert_eq!(printed["count"], 42);
}
