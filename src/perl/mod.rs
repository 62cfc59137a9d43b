//! Reading the sessions of Perl applications (feature `perl-compat`), so that a
//! Dancer application can move to Rust without logging anyone out.
//!
//! [`sereal`] decodes the Sereal documents Perl's `Sereal::Encoder` writes into
//! a [`Value`](crate::Value) or any `T: Deserialize`.

pub mod sereal;

pub use sereal::{BinaryStrings, Limits, Objects, SerealDecoder, SerealError};
