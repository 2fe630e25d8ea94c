//! Black-box conformance scenarios for Sachet servers.
//!
//! The crate judges any deployment of the Sachet HTTP API against the
//! contract, over HTTP only: it never imports server code, so it can judge a
//! server written in any language. A run creates its own users and shares
//! under a random prefix, removes them afterwards, and restores the
//! anonymous permissions it changed.
//!
//! Start reading at [`scenarios::all`] (the catalogue), [`runner::run`] (how
//! a run proceeds) and [`world::Ctx`] (what a scenario can do).

pub mod cli;
pub mod failure;
pub mod http;
pub mod jwt;
pub mod model;
pub mod multipart;
pub mod perm;
pub mod range;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod scenarios;
pub mod session;
pub mod world;
