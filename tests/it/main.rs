//! Integration tests: one binary, so the project links its tests once.

mod cli;
mod gateway;
mod process;
mod support;
