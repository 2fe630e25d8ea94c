//! sea-orm entities: one module per table. Times are stored as microseconds
//! since the Unix epoch, which every supported database keeps exactly.

pub mod content_part;
pub mod doomed_content;
pub mod login_failure;
pub mod revocation;
pub mod setting;
pub mod share;
pub mod upload;
pub mod upload_chunk;
pub mod user;
