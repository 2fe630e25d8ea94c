//! API tests: each starts the real `sachet serve` on a free port with a
//! fresh data folder and talks HTTP to it.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

mod anonymous;
mod auth;
mod cli;
mod client;
mod content;
mod download;
mod errors;
mod memory;
mod pagination;
mod regressions;
mod replicas;
mod shares;
mod support;
mod users;
