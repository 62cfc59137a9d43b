//! The values every benchmark, size table and chart uses: the sample session of
//! `examples/sample-session.json` as a typed struct, and sessions of the same
//! shape grown or shrunk to other sizes.

#![allow(dead_code)]

pub mod floor;
#[cfg(feature = "axum")]
pub mod web;

use std::time::Duration;

use sealed_cookie::cipher::Cipher;
use sealed_cookie::serializer::Postcard;
use sealed_cookie::{Codec, Key, Keyring, Suite};
use serde::{Deserialize, Serialize};

/// The sample session as a Rust application would hold it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: u64,
    pub username: String,
    pub roles: Vec<String>,
    pub csrf: String,
    pub cart: Vec<Item>,
    pub theme: String,
    pub locale: String,
}

/// One line of the cart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub sku: String,
    pub qty: u32,
}

/// The sample session (258 bytes as JSON), read from the committed file.
pub fn sample() -> Session {
    serde_json::from_str(include_str!("../../../examples/sample-session.json"))
        .expect("examples/sample-session.json is a valid session")
}

/// A session whose JSON text is about `json_len` bytes: the sample session with
/// its cart extended, or, below the sample's size, with its roles, token and cart
/// emptied (96 bytes of JSON, the least this shape takes) and roles added back.
pub fn of_json_len(json_len: usize) -> Session {
    let mut session = sample();
    if json_len < json(&session).len() {
        session.roles.clear();
        session.csrf.clear();
        session.cart.clear();
        while json(&session).len() < json_len {
            session.roles.push("user".to_owned());
        }
        return session;
    }
    let mut qty = 6;
    while json(&session).len() < json_len {
        session.cart.push(Item {
            sku: format!("SKU{qty}"),
            qty,
        });
        qty += 1;
    }
    session
}

/// The JSON text of a session.
pub fn json(session: &Session) -> String {
    serde_json::to_string(session).expect("a session serializes")
}

/// The payload sizes benchmarked, labelled by their JSON length: the smallest
/// session of this shape (every collection and the token empty: 96 bytes as JSON,
/// 21 as postcard), the sample session (258), about 1 KB and about 3 KB.
pub fn payloads() -> Vec<(&'static str, Session)> {
    vec![
        ("96B", of_json_len(64)),
        ("256B", sample()),
        ("1KB", of_json_len(1024)),
        ("3KB", of_json_len(3072)),
    ]
}

/// A codec of the session under `cipher` + postcard (version 1), a fresh key
/// and a one-hour lifetime: what the side-by-side benchmarks seal and open with.
pub fn codec<C: Cipher>(cipher: C) -> Codec<Session> {
    Codec::builder()
        .suite(1, Suite::new(cipher, Postcard))
        .keyring(Keyring::new(Key::generate().expect("OS randomness")))
        .max_age(Duration::from_secs(3600))
        .build()
        .expect("a valid codec")
}
