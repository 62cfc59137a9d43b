//! The example app in a real browser: headless Chromium driven over WebDriver
//! (Debian's `chromium` and `chromium-driver`). The counter survives reloads,
//! login persists, a chunked cart survives a reload (the browser accepts every
//! chunk), and logout clears everything.
//!
//! Skips, saying so, only when `chromedriver` is not installed on a developer's
//! machine; under CI (`CI` set) a missing driver is a failure.

#![cfg(all(feature = "axum", feature = "xchacha20poly1305", feature = "postcard"))]

mod web_support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use sealed_cookie::{Key, Keyring};
use web_support::{serve, server};

const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// chromedriver, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver(path: &PathBuf) -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on port {port} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    driver
}

async fn text(browser: &Client, id: &str) -> String {
    browser
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id} on the page: {e}"))
        .text()
        .await
        .unwrap()
}

/// The session cookies the browser holds (HttpOnly ones included), sorted by name.
async fn session_cookies(browser: &Client) -> Vec<(String, usize)> {
    let mut cookies: Vec<(String, usize)> = browser
        .get_all_cookies()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.name() == "session" || c.name().starts_with("sessionC"))
        .map(|c| (c.name().to_owned(), c.value().len()))
        .collect();
    cookies.sort();
    cookies
}

#[tokio::test]
async fn counter_login_chunked_cart_and_logout_in_chromium() {
    let Some(chromedriver) = find_on_path("chromedriver") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromedriver is missing under CI: .ci/run must install chromium and chromium-driver"
        );
        eprintln!(
            "SKIPPED browser test: chromedriver not found on PATH \
             (install it with: apt-get install chromium chromium-driver)"
        );
        return;
    };
    let driver = start_driver(&chromedriver);
    let profile = tempfile::tempdir().unwrap();

    // The example's own settings (chunking on, plain-http cookies), with a fresh key.
    let config = server::config_from_env().unwrap();
    let app = serve(
        config
            .layer_with_keyring(Keyring::new(Key::generate().unwrap()))
            .unwrap(),
    )
    .await;
    let base = app.url("/");

    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| (*s).to_owned()).collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let mut options = serde_json::json!({ "args": args });
    if let Some(chromium) = find_on_path("chromium") {
        options["binary"] = chromium.display().to_string().into();
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), "chrome".into());
    capabilities.insert("goog:chromeOptions".into(), options);
    let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("chromedriver starts a headless Chromium session");

    // Run the steps in a task so that a failed assertion still closes the browser.
    let steps = browser.clone();
    let result = tokio::spawn(async move {
        let browser = steps;
        // The counter survives reloads.
        browser.goto(&base).await.unwrap();
        assert_eq!(text(&browser, "visits").await, "1");
        for expected in 2..=4 {
            browser.refresh().await.unwrap();
            assert_eq!(text(&browser, "visits").await, expected.to_string());
        }
        assert_eq!(session_cookies(&browser).await.len(), 1);

        // Login persists.
        browser
            .find(Locator::Id("username"))
            .await
            .unwrap()
            .send_keys("alice")
            .await
            .unwrap();
        browser
            .find(Locator::Id("login"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(text(&browser, "user").await, "alice");
        browser.refresh().await.unwrap();
        assert_eq!(text(&browser, "user").await, "alice");
        assert_eq!(text(&browser, "visits").await, "6");

        // A cart large enough to need chunks survives a reload.
        let quantity = browser.find(Locator::Id("quantity")).await.unwrap();
        quantity.clear().await.unwrap();
        quantity.send_keys("400").await.unwrap();
        browser
            .find(Locator::Id("add"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(text(&browser, "cart-count").await, "400");
        let cookies = session_cookies(&browser).await;
        let chunks = cookies
            .iter()
            .filter(|(name, _)| name.starts_with("sessionC"))
            .count();
        assert!(chunks >= 2, "the cart should be chunked: {cookies:?}");
        assert_eq!(cookies.len(), chunks + 1, "{cookies:?}");
        browser.refresh().await.unwrap();
        assert_eq!(text(&browser, "cart-count").await, "400");
        assert_eq!(text(&browser, "user").await, "alice");

        // Logout clears everything: user, cart, counter and every chunk.
        browser
            .find(Locator::Id("logout"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        browser.find(Locator::Id("user-none")).await.unwrap();
        assert_eq!(text(&browser, "cart-count").await, "0");
        assert_eq!(text(&browser, "visits").await, "1");
        let cookies = session_cookies(&browser).await;
        assert_eq!(cookies.len(), 1, "only the new visit's cookie: {cookies:?}");
        assert_eq!(cookies[0].0, "session");
    })
    .await;
    let _ = browser.close().await;
    drop(driver);
    if let Err(error) = result {
        std::panic::resume_unwind(error.into_panic());
    }
}
