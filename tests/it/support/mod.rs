//! Test harness: a real upstream and the real gateway, both on 127.0.0.1:0, a manual clock,
//! and visitors that keep their cookie like a browser; and the outside servers some tests
//! need (Redis and its sentinels, SMTP, Chromium). Each part has its file; everything is
//! reachable as `support::…`.

mod browser;
mod client;
mod config;
mod devtools;
mod gateways;
mod host;
mod pebble;
mod process;
mod redis;
mod sentinels;
mod smtp;
mod upstreams;

pub use browser::*;
pub use client::*;
pub use config::*;
pub use devtools::*;
pub use gateways::*;
pub use host::*;
pub use pebble::*;
pub use process::*;
pub use redis::*;
pub use sentinels::*;
pub use smtp::*;
pub use upstreams::*;
