//! wartesaal: a virtual waiting room in front of an unchanged booking site.
//!
//! Every visitor draws a signed ticket with a FIFO number; the gateway lets visitors through
//! in ticket order at the rate the backend can take, and shows everyone else their place in
//! line. `server::start` runs the whole thing in-process, which is what the binary and the
//! integration tests do.
#![forbid(unsafe_code)]

pub mod adaptive;
pub mod admin;
pub mod admission;
pub mod clock;
pub mod config;
pub mod ctl;
pub mod demo;
pub mod gateway;
pub mod history;
pub mod issuance;
pub mod metrics;
pub mod page;
pub mod proxy;
pub mod schedule;
pub mod server;
pub mod shared;
pub mod shuffle;
pub mod state;
pub mod store;
pub mod templates;
pub mod ticket;
pub mod tls;
pub mod upstream;

pub use server::{start, Running};
