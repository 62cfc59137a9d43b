//! The actix-web extractors: [`Session`] and [`TypedSession`] from the request
//! extensions the middleware filled.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError};
use serde::de::DeserializeOwned;

use crate::web::session::{Session, SessionMissing, SessionValueError, TypedSession};

impl ResponseError for SessionMissing {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        tracing::error!("{self}");
        HttpResponse::InternalServerError().body("Internal Server Error")
    }
}

/// A value that does not convert, returned with `?` from a handler: a 500,
/// logged server-side, with only a generic body to the client.
impl ResponseError for SessionValueError {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        tracing::error!("{self}");
        HttpResponse::InternalServerError().body("Internal Server Error")
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
