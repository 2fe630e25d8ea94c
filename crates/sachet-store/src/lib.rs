//! Metadata persistence for Sachet: users, shares, uploads, revocations and
//! settings, through sea-orm on SQLite, PostgreSQL or MySQL/MariaDB.
//!
//! The rest of the server sees [`Store`] and plain record types; sea-orm
//! types stay inside this crate. Content bytes live elsewhere (the blob
//! store); here a share only knows the key of its current blob.

mod connect;
mod content;
mod entity;
mod error;
mod logins;
mod migration;
mod records;
mod revocations;
mod settings;
mod shares;
mod time;
mod uploads;
mod users;

pub use connect::{Backend, Store};
pub use error::StoreError;
pub use logins::LoginLimit;
pub use records::{
    Chunk, ChunkReceipt, ContentPart, ContentSwitch, Page, PageRequest, ShareRecord, ShareUpdate,
    SwitchRule, UploadRecord, UserRecord, UserUpdate,
};
pub use time::{from_micros, to_micros};
pub use uploads::{CLAIM_LEASE, Claim, Refusable, UploadRefusal};
