//! The actix-web extractors: [`Session`] and [`TypedSession`] from the request
//! extensions the middleware filled.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError};
use serde::de::DeserializeOwned;

use crate::web::session::{Session, SessionMissing, SessionValueError, TypedSession};

/// A `500` (`ResponseError`'s default status), the reason logged server-side
/// and only a generic body sent to the client.
fn logged_server_error(error: &dyn std::fmt::Display) -> HttpResponse {
    tracing::error!("{error}");
    HttpResponse::InternalServerError().body("Internal Server Error")
}

impl ResponseError for SessionMissing {
    fn error_response(&self) -> HttpResponse {
        logged_server_error(self)
    }
}

/// A value that does not convert, returned with `?` from a handler.
impl ResponseError for SessionValueError {
    fn error_response(&self) -> HttpResponse {
        logged_server_error(self)
    }
}

impl FromRequest for Session {
    type Error = SessionMissing;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Session::extracted(request.extensions().get::<Session>()))
    }
}

impl<T: DeserializeOwned + Default + 'static> FromRequest for TypedSession<T> {
    type Error = SessionMissing;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            Session::extracted(request.extensions().get::<Session>()).map(TypedSession::extracted),
        )
    }
}
