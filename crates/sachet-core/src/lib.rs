//! The domain of Sachet: permissions, validated names and the caller of a request.
//!
//! This crate knows nothing of HTTP, databases or storage; every other crate
//! speaks its vocabulary.

mod caller;
mod names;
mod permission;

pub use caller::{Caller, Denial, UserId};
pub use names::{FileName, NameError, Password, Username};
pub use permission::{Permission, PermissionSet, UnknownPermission};
