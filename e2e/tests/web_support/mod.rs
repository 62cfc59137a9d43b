//! Shared by the web tests: the example app on a loopback port, a client with a
//! cookie jar, and a clock the test moves.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::cookie::{CookieStore as _, Jar};
use sealed_cookie::envelope::Header;
use sealed_cookie::web::SessionLayer;
use sealed_cookie::{Clock, Key, Keyring};

#[cfg(feature = "actix")]
#[path = "../../examples/actix_server.rs"]
pub mod actix_server;
#[path = "../../examples/server.rs"]
pub mod server;

/// Which example server a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Axum,
    Actix,
}

tokio::task_local! {
    /// The backend of the running test (set by `on_both_servers!`).
    pub static BACKEND: Backend;
}

/// Writes each test twice, as `name::axum` and `name::actix` (with the
/// `actix` feature): `serve(layer)` then starts that server, so one set of
/// tests covers both adapters.
#[macro_export]
macro_rules! on_both_servers {
    ($(#[$meta:meta])* async fn $name:ident() $body:block $($rest:tt)*) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn axum() {
                web_support::BACKEND
                    .scope(web_support::Backend::Axum, async $body)
                    .await
            }

            #[cfg(feature = "actix")]
            #[tokio::test]
            async fn actix() {
                web_support::BACKEND
                    .scope(web_support::Backend::Actix, async $body)
                    .await
            }
        }
        $crate::on_both_servers!($($rest)*);
    };
    () => {};
}

/// A clock shared between a test and its servers.
#[derive(Clone, Debug)]
pub struct TestClock(pub Arc<AtomicU64>);

impl TestClock {
    pub fn at(now: u64) -> Self {
        Self(Arc::new(AtomicU64::new(now)))
    }
    pub fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    stop: Stop,
}

enum Stop {
    Task(tokio::task::JoinHandle<()>),
    #[cfg(feature = "actix")]
    Actix(actix_web::dev::ServerHandle),
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        match &self.stop {
            Stop::Task(task) => task.abort(),
            // Sends the stop command now; its completion is not awaited.
            #[cfg(feature = "actix")]
            Stop::Actix(handle) => drop(handle.stop(false)),
        }
    }
}

/// Serves the example app behind `layer` on 127.0.0.1 with an ephemeral port:
/// the axum one, or the actix-web one inside `on_both_servers!`'s actix run.
pub async fn serve(layer: SessionLayer) -> Server {
    match BACKEND
        .try_with(|backend| *backend)
        .unwrap_or(Backend::Axum)
    {
        Backend::Axum => serve_router(server::app(layer)).await,
        #[cfg(feature = "actix")]
        Backend::Actix => serve_actix(layer),
        #[cfg(not(feature = "actix"))]
        Backend::Actix => unreachable!("actix tests need the actix feature"),
    }
}

/// The actix-web example app behind `layer`, on a thread of its own (actix
/// runs its own single-threaded runtime), one worker.
#[cfg(feature = "actix")]
pub fn serve_actix(layer: SessionLayer) -> Server {
    use actix_web::{App, HttpServer, web::Data};
    use sealed_cookie::web::actix::SessionMiddleware;
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    .wrap(SessionMiddleware::new(layer.clone()))
                    .app_data(Data::new(layer.clone()))
                    .configure(actix_server::routes)
            })
            .workers(1)
            .disable_signals()
            .bind("127.0.0.1:0")
            .unwrap();
            let addr = server.addrs()[0];
            let server = server.run();
            send.send((addr, server.handle())).unwrap();
            let _ = server.await;
        });
    });
    let (addr, handle) = receive.recv().expect("the actix server starts");
    Server {
        addr,
        stop: Stop::Actix(handle),
    }
}

pub async fn serve_router(router: axum::Router) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Server {
        addr,
        stop: Stop::Task(task),
    }
}

/// A client that keeps cookies, like a browser, in a jar the test can inspect.
pub struct Client {
    pub http: reqwest::Client,
    pub jar: Arc<Jar>,
}

impl Client {
    pub fn new() -> Self {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { http, jar }
    }

    /// The cookies the jar would send to `server`, as `name -> value`.
    pub fn cookies(&self, server: &Server) -> Vec<(String, String)> {
        let url = server.url("/").parse().unwrap();
        let Some(header) = self.jar.cookies(&url) else {
            return Vec::new();
        };
        let mut cookies: Vec<(String, String)> = header
            .to_str()
            .unwrap()
            .split("; ")
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        cookies.sort();
        cookies
    }

    pub fn cookie(&self, server: &Server, name: &str) -> Option<String> {
        self.cookies(server)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Puts a cookie in the jar as if the server had set it.
    pub fn set_cookie(&self, server: &Server, set_cookie: &str) {
        self.jar
            .add_cookie_str(set_cookie, &server.url("/").parse().unwrap());
    }

    /// `GET /api/counter`: the new count, and the `Set-Cookie` headers sent.
    pub async fn counter(&self, server: &Server) -> (u64, Vec<String>) {
        let response = self
            .http
            .get(server.url("/api/counter"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let cookies = set_cookies(&response);
        let body: serde_json::Value = response.json().await.unwrap();
        (body["count"].as_u64().unwrap(), cookies)
    }

    /// `GET /api/session`: the session and its facts, and the `Set-Cookie` headers.
    pub async fn session(&self, server: &Server) -> (serde_json::Value, Vec<String>) {
        let response = self
            .http
            .get(server.url("/api/session"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let cookies = set_cookies(&response);
        (response.json().await.unwrap(), cookies)
    }

    /// `POST /api/cart`: status and `Set-Cookie` headers.
    pub async fn add_to_cart(&self, server: &Server, quantity: usize) -> (u16, Vec<String>) {
        let response = self
            .http
            .post(server.url("/api/cart"))
            .json(
                &serde_json::json!({ "item": "a fairly long product name", "quantity": quantity }),
            )
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), set_cookies(&response))
    }

    /// Signs in through the login form; returns the status.
    pub async fn login(&self, server: &Server, user: &str) -> u16 {
        let response = self
            .http
            .post(server.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("user={user}"))
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    }

    pub async fn post(&self, server: &Server, path: &str) -> (u16, Vec<String>) {
        let response = self.http.post(server.url(path)).send().await.unwrap();
        (response.status().as_u16(), set_cookies(&response))
    }
}

pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The header of a sealed cookie value.
pub fn header_of(sealed: &str) -> Header {
    Header::decode(sealed).unwrap()
}

pub fn key() -> Key {
    Key::generate().unwrap()
}

/// The builder every web test starts from: plain-http cookies (reqwest's jar does
/// not send `Secure` cookies over http), one hour of expiry.
pub fn base(keyring: Keyring) -> sealed_cookie::web::SessionLayerBuilder {
    SessionLayer::builder()
        .keyring(keyring)
        .secure(false)
        .max_age(std::time::Duration::from_secs(3600))
}
