//! The example app in a real browser, on both example servers (axum and
//! actix-web): headless Chromium driven over WebDriver (Debian's `chromium`
//! and `chromium-driver`). The counter survives reloads,
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

static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

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

/// Waits until `#id` shows `expected`: after a click the browser is still
/// navigating, and the old page or none at all may answer for a while.
async fn wait_text(browser: &Client, id: &str, expected: impl ToString) {
    let expected = expected.to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = String::from("<no element>");
    loop {
        if let Ok(element) = browser.find(Locator::Id(id)).await
            && let Ok(text) = element.text().await
        {
            if text == expected {
                return;
            }
            seen = text;
        }
        assert!(
            Instant::now() < deadline,
            "#{id} should show {expected:?}, still shows {seen:?} after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until an element with this id is on the page.
async fn wait_element(browser: &Client, id: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id} on the page: {e}"))
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

on_both_servers! {
/// On the axum server, and on the actix-web one.
async fn counter_login_chunked_cart_and_logout_in_chromium() {
    // One browser at a time: two Chromiums starting together on 2 cores time out.
    let _one_at_a_time = ONE_BROWSER.lock().await;
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
    let config = server::common::config().unwrap();
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
        wait_text(&browser, "visits", "1").await;
        for expected in 2..=4 {
            browser.refresh().await.unwrap();
            wait_text(&browser, "visits", expected.to_string()).await;
        }
        assert_eq!(session_cookies(&browser).await.len(), 1);

        // Login persists.
        wait_element(&browser, "username")
            .await
            .send_keys("alice")
            .await
            .unwrap();
        wait_element(&browser, "login").await.click().await.unwrap();
        wait_text(&browser, "user", "alice").await;
        browser.refresh().await.unwrap();
        wait_text(&browser, "user", "alice").await;
        wait_text(&browser, "visits", "6").await;

        // A cart large enough to need chunks survives a reload.
        let quantity = wait_element(&browser, "quantity").await;
        quantity.clear().await.unwrap();
        quantity.send_keys("400").await.unwrap();
        wait_element(&browser, "add").await.click().await.unwrap();
        wait_text(&browser, "cart-count", "400").await;
        let cookies = session_cookies(&browser).await;
        let chunks = cookies
            .iter()
            .filter(|(name, _)| name.starts_with("sessionC"))
            .count();
        assert!(chunks >= 2, "the cart should be chunked: {cookies:?}");
        assert_eq!(cookies.len(), chunks + 1, "{cookies:?}");
        browser.refresh().await.unwrap();
        wait_text(&browser, "cart-count", "400").await;
        wait_text(&browser, "user", "alice").await;

        // Logout clears everything: user, cart, counter and every chunk.
        wait_element(&browser, "logout")
            .await
            .click()
            .await
            .unwrap();
        wait_element(&browser, "user-none").await;
        wait_text(&browser, "cart-count", "0").await;
        wait_text(&browser, "visits", "1").await;
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
}
