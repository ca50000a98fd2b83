//! Helpers shared by the HTTP integration tests: a small client, ways to start a server, and
//! look-ups in the store behind it.
// Each test binary compiles this module and uses only part of it.
#![allow(dead_code, unused_imports)]

mod client;
mod servers;
mod stored;

pub use client::*;
pub use servers::*;
pub use stored::*;
