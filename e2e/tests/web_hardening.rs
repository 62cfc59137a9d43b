//! The session layer against hostile or careless surroundings: foreign cookies
//! that are not UTF-8, cookies tossed from sibling subdomains, shared caches,
//! failing handlers, re-issues that no longer fit and request-header limits.
//! Each test runs a real server on a loopback port.

#![cfg(all(feature = "axum", feature = "xchacha20poly1305", feature = "postcard"))]

mod web_support;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::routing::get;
use sealed_cookie::web::{CacheControl, Session, SessionLayer, SessionLayerBuilder};
use sealed_cookie::{Key, Keyring, SizeRule};
use web_support::{Server, base, key, serve_router, set_cookies};

/// Routes that exercise one behaviour each.
fn app(layer: SessionLayer) -> Router {
    Router::new()
        .route(
            "/count",
            get(|session: Session| async move {
                let count = session.get::<u64>("count").unwrap().unwrap_or(0) + 1;
                session.insert("count", &count).unwrap();
                count.to_string()
            }),
        )
        .route(
            "/read",
            get(|session: Session| async move {
                session
                    .get::<u64>("count")
                    .unwrap()
                    .unwrap_or(0)
                    .to_string()
            }),
        )
        .route("/static", get(|| async { "no session here" }))
        .route(
            "/public",
            get(|session: Session| async move {
                session.insert("seen", &true).unwrap();
                ([(header::CACHE_CONTROL, "public, max-age=60")], "cached?")
            }),
        )
        .route(
            "/no-store",
            get(|session: Session| async move {
                session.insert("seen", &true).unwrap();
                ([(header::CACHE_CONTROL, "no-store")], "never cached")
            }),
        )
        .route(
            "/logout",
            get(|session: Session| async move {
                session.destroy();
                "bye"
            }),
        )
        .route(
            "/fail",
            get(|session: Session| async move {
                session.insert("count", &1000u64).unwrap();
                (StatusCode::INTERNAL_SERVER_ERROR, "the handler failed")
            }),
        )
        .route(
            "/blob/{len}",
            get(|session: Session, Path(len): Path<usize>| async move {
                session.insert("blob", &"x".repeat(len)).unwrap();
                "stored"
            }),
        )
        .route(
            "/remaining",
            get(|session: Session| async move { session.remaining_bytes().unwrap().to_string() }),
        )
        .layer(layer)
}

async fn start(builder: SessionLayerBuilder) -> Server {
    serve_router(app(builder.build().unwrap())).await
}

/// A client without a cookie jar: every request carries exactly the given
/// `Cookie` fields.
struct Raw {
    http: reqwest::Client,
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    cookies: Vec<String>,
    body: String,
}

impl Answer {
    fn session_cookie(&self) -> Option<String> {
        self.cookies.iter().find_map(|c| {
            let value = c.strip_prefix("session=")?.split(';').next()?;
            Some(value.to_owned())
        })
    }

    fn all(&self, name: header::HeaderName) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

impl Raw {
    fn new() -> Self {
        Self {
            http: reqwest::Client::new(),
        }
    }

    async fn get(&self, server: &Server, path: &str, cookie_fields: &[&[u8]]) -> Answer {
        let mut request = self.http.get(server.url(path));
        for field in cookie_fields {
            request = request.header(header::COOKIE, HeaderValue::from_bytes(field).unwrap());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let cookies = set_cookies(&response);
        let body = response.text().await.unwrap();
        Answer {
            status,
            headers,
            cookies,
            body,
        }
    }

    /// A session cookie with `count` set, as this server seals it.
    async fn counted(&self, server: &Server) -> String {
        let answer = self.get(server, "/count", &[]).await;
        assert_eq!(answer.body, "1");
        answer.session_cookie().unwrap()
    }
}

#[tokio::test]
async fn a_foreign_cookie_that_is_not_utf8_does_not_drop_the_session() {
    let server = start(base(Keyring::new(key()))).await;
    let raw = Raw::new();
    let sealed = raw.counted(&server).await;
    let field = [
        b"pref=caf\xe9; session=".as_slice(),
        sealed.as_bytes(),
        b"; lang=x\xff",
    ]
    .concat();
    let answer = raw.get(&server, "/count", &[&field]).await;
    assert_eq!(answer.body, "2", "the session survived the foreign cookie");
    // Several Cookie fields (as HTTP/2 sends them) are one list.
    let own = format!("session={sealed}");
    let answer = raw
        .get(
            &server,
            "/count",
            &[b"pref=caf\xe9", b"a=1", own.as_bytes()],
        )
        .await;
    assert_eq!(answer.body, "2");
}

#[tokio::test]
async fn a_tossed_cookie_neither_hides_the_session_nor_gets_it_deleted() {
    let server = start(base(Keyring::new(key()))).await;
    let raw = Raw::new();
    let sealed = raw.counted(&server).await;
    // Planted by a sibling subdomain under a longer Path: sent first.
    let planted = raw.counted(&start(base(Keyring::new(key()))).await).await;
    let both = format!("session={planted}; session={sealed}");
    let answer = raw.get(&server, "/read", &[both.as_bytes()]).await;
    assert_eq!(answer.body, "1", "the user's own cookie opened");
    assert!(answer.cookies.is_empty(), "{:?}", answer.cookies);
    let answer = raw.get(&server, "/count", &[both.as_bytes()]).await;
    assert_eq!(answer.body, "2");
    // Two bad cookies under the name: rejected, but no deletion is sent, since
    // it could hit the user's real cookie.
    let garbage = "session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; session=planted";
    let answer = raw.get(&server, "/read", &[garbage.as_bytes()]).await;
    assert_eq!(answer.body, "0");
    assert!(answer.cookies.is_empty(), "{:?}", answer.cookies);
    // A single bad cookie is still deleted.
    let answer = raw.get(&server, "/read", &[b"session=planted"]).await;
    assert_eq!(answer.cookies.len(), 1);
    assert!(
        answer.cookies[0].contains("Max-Age=0"),
        "{:?}",
        answer.cookies
    );
}

#[test]
fn cookie_prefixes_paths_and_domains_are_checked_when_the_layer_is_built() {
    let builder = || SessionLayer::builder().keyring(Keyring::new(key()));
    assert!(builder().cookie_name("__Host-session").build().is_ok());
    for (what, built) in [
        (
            "no Secure",
            builder()
                .cookie_name("__Host-session")
                .secure(false)
                .build(),
        ),
        (
            "a Domain",
            builder()
                .cookie_name("__Host-session")
                .domain("example.com")
                .build(),
        ),
        (
            "a Path",
            builder().cookie_name("__Host-session").path("/app").build(),
        ),
        (
            "no Secure",
            builder()
                .cookie_name("__Secure-session")
                .secure(false)
                .build(),
        ),
    ] {
        let error = built.expect_err(what);
        assert!(
            error.to_string().contains("browsers accept only"),
            "{what}: {error}"
        );
    }
    assert!(
        builder()
            .path("app")
            .build()
            .unwrap_err()
            .to_string()
            .contains("start with '/'")
    );
    for domain in ["https://example.com", "example.com:443"] {
        let error = builder().domain(domain).build().unwrap_err();
        assert!(error.to_string().contains("bare host name"), "{error}");
    }
}

#[tokio::test]
async fn responses_that_set_the_cookie_are_private_and_vary_on_cookie() {
    let server = start(base(Keyring::new(key()))).await;
    let raw = Raw::new();
    let answer = raw.get(&server, "/count", &[]).await;
    assert_eq!(answer.all(header::CACHE_CONTROL), ["private"]);
    assert_eq!(answer.all(header::VARY), ["Cookie"]);
    let sealed = answer.session_cookie().unwrap();
    let own = format!("session={sealed}");

    // A handler's public is overridden, its other directives kept.
    let answer = raw.get(&server, "/public", &[]).await;
    assert_eq!(answer.all(header::CACHE_CONTROL), ["private, max-age=60"]);
    // A handler's no-store is kept.
    let answer = raw.get(&server, "/no-store", &[]).await;
    assert_eq!(answer.all(header::CACHE_CONTROL), ["no-store"]);
    // Deleting is setting too.
    let answer = raw.get(&server, "/logout", &[own.as_bytes()]).await;
    assert!(answer.cookies[0].contains("Max-Age=0"));
    assert_eq!(answer.all(header::CACHE_CONTROL), ["private"]);
    // Reading only: nothing set, so no Cache-Control, but the page depends on the cookie.
    let answer = raw.get(&server, "/read", &[own.as_bytes()]).await;
    assert!(answer.cookies.is_empty());
    assert!(answer.all(header::CACHE_CONTROL).is_empty());
    assert_eq!(answer.all(header::VARY), ["Cookie"]);
    // A handler that never looks at the session varies on nothing.
    let answer = raw.get(&server, "/static", &[own.as_bytes()]).await;
    assert!(answer.all(header::VARY).is_empty());

    let strict = start(base(Keyring::new(key())).cache_control(CacheControl::NoStore)).await;
    let answer = raw.get(&strict, "/public", &[]).await;
    assert_eq!(answer.all(header::CACHE_CONTROL), ["no-store, max-age=60"]);
}

#[tokio::test]
async fn a_server_error_carries_no_session_change_unless_configured() {
    let raw = Raw::new();
    let server = start(base(Keyring::new(key()))).await;
    let sealed = raw.counted(&server).await;
    let own = format!("session={sealed}");
    let answer = raw.get(&server, "/fail", &[own.as_bytes()]).await;
    assert_eq!(answer.status, 500);
    assert!(answer.cookies.is_empty(), "{:?}", answer.cookies);
    assert_eq!(raw.get(&server, "/read", &[own.as_bytes()]).await.body, "1");

    let committing = start(base(Keyring::new(key())).commit_on_server_error(true)).await;
    let answer = raw.get(&committing, "/fail", &[]).await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.cookies.len(), 1, "{:?}", answer.cookies);
}

/// The largest blob the server stores (a binary search over `/blob/{len}`),
/// and its cookie.
async fn fill(server: &Server) -> (usize, String) {
    let raw = Raw::new();
    let (mut low, mut high) = (0usize, 32_768usize);
    while low < high {
        let mid = (low + high).div_ceil(2);
        if raw.get(server, &format!("/blob/{mid}"), &[]).await.status == 200 {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    let answer = raw.get(server, &format!("/blob/{low}"), &[]).await;
    assert_eq!(answer.status, 200);
    (low, answer.session_cookie().unwrap())
}

#[tokio::test]
async fn a_reissue_that_no_longer_fits_is_skipped_and_the_cookie_kept() {
    let old = key();
    let raw = Raw::new();
    let (_, sealed) = fill(&start(base(Keyring::new(old.clone()))).await).await;
    let own = format!("session={sealed}");
    // Rotated to a new key, and a Domain added: re-issuing the full cookie
    // would pass the budget.
    let ring = Keyring::new(Key::generate().unwrap()).with_accepted(old);
    let rotated = start(base(ring).domain("a-rather-long-subdomain.example.com")).await;
    let answer = raw.get(&rotated, "/read", &[own.as_bytes()]).await;
    assert_eq!(answer.status, 200, "a read-only request never fails");
    assert!(answer.cookies.is_empty(), "{:?}", answer.cookies);
    // The handler's own write that cannot fit is still an error.
    let answer = raw.get(&rotated, "/count", &[own.as_bytes()]).await;
    assert_eq!(answer.status, 500);
}

#[tokio::test]
async fn remaining_bytes_tells_a_handler_what_still_fits() {
    let server = start(base(Keyring::new(key()))).await;
    let raw = Raw::new();
    let room: usize = raw
        .get(&server, "/remaining", &[])
        .await
        .body
        .parse()
        .unwrap();
    let (largest, _) = fill(&server).await;
    // The entry's own framing (key, tags, lengths) takes a few bytes.
    assert!(
        largest <= room && room - largest <= 16,
        "room {room}, largest {largest}"
    );
    let own = format!("session={}", raw.counted(&server).await);
    let left: usize = raw
        .get(&server, "/remaining", &[own.as_bytes()])
        .await
        .body
        .parse()
        .unwrap();
    assert!(left < room && room - left <= 16, "{left} of {room}");
}

#[tokio::test]
async fn chunks_stay_within_the_request_header_budget() {
    let raw = Raw::new();
    let chunked = start(base(Keyring::new(key())).chunking(4)).await;
    let (largest, _) = fill(&chunked).await;
    let cookies = raw
        .get(&chunked, &format!("/blob/{largest}"), &[])
        .await
        .cookies;
    let request: usize = cookies
        .iter()
        .map(|c| c.split(';').next().unwrap().len() + 2)
        .sum();
    assert!(request <= 8192 - 1024, "{request} bytes of Cookie header");
    assert!(
        largest > 4096,
        "chunking still carries more than one cookie: {largest}"
    );
    let roomy = start(
        base(Keyring::new(key()))
            .chunking(4)
            .request_header_budget(32 * 1024),
    )
    .await;
    assert!(fill(&roomy).await.0 > largest + 4096);
    // A request budget that cannot carry one full cookie is refused at build.
    let error = base(Keyring::new(key()))
        .request_header_budget(4096)
        .build()
        .unwrap_err();
    assert!(
        error.to_string().contains("request_header_budget"),
        "{error}"
    );
}

#[tokio::test]
async fn the_rfc6265bis_rule_counts_name_and_value_only() {
    let long_path = format!("/{}", "p".repeat(400));
    let whole = start(base(Keyring::new(key())).path(long_path.clone())).await;
    let bis = start(
        base(Keyring::new(key()))
            .path(long_path)
            .size_rule(SizeRule::NameValue),
    )
    .await;
    let (whole_largest, _) = fill(&whole).await;
    let (bis_largest, _) = fill(&bis).await;
    assert!(
        bis_largest > whole_largest + 250,
        "{bis_largest} vs {whole_largest}"
    );
    let error = base(Keyring::new(key()))
        .path(format!("/{}", "p".repeat(1024)))
        .size_rule(SizeRule::NameValue)
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("1024"), "{error}");
}
