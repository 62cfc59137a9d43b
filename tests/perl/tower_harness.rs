//! A `SessionLayer` over a handler that answers with the session's `user`, called
//! once per request without a server: shared by the Perl tests of the web layer.

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use http::header::{COOKIE, SET_COOKIE};
use http::{Request, Response};
use sealed_cookie::web::{Session, SessionLayer};
use tower_layer::Layer;
use tower_service::Service;

/// Answers with the session's `user` and counts visits in the session.
#[derive(Clone)]
struct Handler {
    write: bool,
}

impl Service<Request<String>> for Handler {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<String>) -> Self::Future {
        let session = request
            .extensions()
            .get::<Session>()
            .expect("a session")
            .clone();
        let user = session.get::<String>("user").unwrap().unwrap_or_default();
        if self.write {
            let visits = session.get::<u64>("visits").unwrap().unwrap_or(0);
            session.insert("visits", &(visits + 1)).unwrap();
        }
        ready(Ok(Response::new(user)))
    }
}

/// Sends one request with `cookie` and returns (body, Set-Cookie headers).
pub fn send(layer: &SessionLayer, write: bool, cookie: &str) -> (String, Vec<String>) {
    let mut service = layer.layer(Handler { write });
    let request = Request::builder()
        .header(COOKIE, cookie)
        .body(String::new())
        .unwrap();
    let mut future = pin!(service.call(request));
    let Poll::Ready(Ok(response)) = future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    else {
        panic!("the handler answers at once")
    };
    let cookies = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    (response.into_body(), cookies)
}

/// The value of the first `Set-Cookie` for `name` (empty for a deletion).
pub fn value_of<'a>(cookies: &'a [String], name: &str) -> Option<&'a str> {
    cookies.iter().find_map(|c| {
        c.strip_prefix(name)?
            .strip_prefix('=')
            .map(|rest| rest.split(';').next().unwrap_or(""))
    })
}
