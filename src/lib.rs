//! wartesaal: a virtual waiting room in front of an unchanged booking site.
//!
//! Every visitor draws a signed ticket with a FIFO number; the gateway lets visitors through
//! in ticket order at the rate the backend can take, and shows everyone else their place in
//! line. `server::start` runs the whole thing in-process, which is what the binary and the
//! integration tests do.
//!
//! The folders are layers; each may use the ones listed before it, never one after:
//! `clock`, `queue` (the pure admission arithmetic), `access` (tokens, issuance limits),
//! `tls`, `config`, `metrics`, `tasks` (background work's life), `http1` (the upstream client), `page`, `state` (where a room's
//! counters live), `acme` (certificates ordered from an ACME CA), `notify` (e-mails to waiting visitors), `forward` (what crosses to the upstream), `site` (the runtime model built
//! from config), `gateway` (what happens to a request), `ops` (admin API, history, tick),
//! `server` (listeners), `demo`, `rehearse` (the dress rehearsal: the gateway in-process and a
//! synthetic crowd measuring what the booking site can take).
#![forbid(unsafe_code)]

pub mod access;
pub mod acme;
pub mod clock;
pub mod config;
pub mod demo;
pub mod forward;
pub mod gateway;
pub mod http1;
pub mod locale;
pub mod metrics;
pub mod notify;
pub mod ops;
pub mod page;
pub mod queue;
pub mod rehearse;
pub mod server;
pub mod site;
pub mod state;
pub mod tasks;
pub mod tls;

pub use server::{start, Running};
