//! Integration tests: one binary, so the project links its tests once.

mod admin;
mod attack;
mod booking;
mod browser;
mod cli;
mod deploy;
mod eligibility;
mod failover;
mod fairness;
mod forwarder;
mod gateway;
mod hostile;
mod invitations;
mod layout;
mod notify;
mod page;
mod process;
mod protection;
mod readme;
mod restore;
mod scaleout;
mod simulation;
mod supply;
mod support;
mod tls;
mod upstream;
