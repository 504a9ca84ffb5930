//! wartesaal: a virtual waiting room in front of an unchanged booking site.
//!
//! Every visitor draws a signed ticket with a FIFO number; the gateway lets visitors through
//! in ticket order at the rate the backend can take, and shows everyone else their place in
//! line. `server::start` runs the whole thing in-process, which is what the binary and the
//! integration tests do.
#![forbid(unsafe_code)]

#[path = "queue/adaptive.rs"]
pub mod adaptive;
#[path = "ops/admin.rs"]
pub mod admin;
#[path = "queue/admission.rs"]
pub mod admission;
pub mod clock;
#[path = "config/mod.rs"]
pub mod config;
#[path = "ops/ctl.rs"]
pub mod ctl;
pub mod demo;
#[path = "gateway/mod.rs"]
pub mod gateway;
#[path = "ops/history.rs"]
pub mod history;
#[path = "access/issuance.rs"]
pub mod issuance;
pub mod metrics;
#[path = "page/mod.rs"]
pub mod page;
#[path = "forward/mod.rs"]
pub mod proxy;
#[path = "queue/schedule.rs"]
pub mod schedule;
#[path = "server/mod.rs"]
pub mod server;
#[path = "state/redis/mod.rs"]
pub mod shared;
#[path = "queue/shuffle.rs"]
pub mod shuffle;
#[path = "state/embedded/mod.rs"]
pub mod state;
#[path = "state/embedded/file.rs"]
pub mod store;
#[path = "page/templates.rs"]
pub mod templates;
#[path = "access/ticket.rs"]
pub mod ticket;
pub mod tls;
#[path = "http1/pool.rs"]
pub mod upstream;

pub use server::{start, Running};
