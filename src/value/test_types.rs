//! Types of every serde shape, written and read by the tests of both
//! directions between `Value` and Rust types (`borrowed`, `from_serialize`).

use serde::{Deserialize, Serialize};

/// A struct with a defaulted field, an option and an optional field left out
/// when empty.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(super) struct User {
    pub(super) name: String,
    pub(super) visits: u32,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    pub(super) admin: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) nickname: Option<String>,
}

/// An externally tagged enum of every variant form.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(super) enum Shape {
    Empty,
    Nothing(),
    Circle(f64),
    Point(i32, i32),
    Rect { w: u16, h: u16 },
}

/// An internally tagged enum.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub(super) enum Tagged {
    A { x: i8 },
    B,
}

/// An untagged enum, recursive.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(super) enum Either {
    Number(i64),
    Text(String),
    List(Vec<Either>),
}
