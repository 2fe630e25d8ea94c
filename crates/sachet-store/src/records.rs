//! The plain records the store reads and writes; the server never sees a
//! sea-orm model.

use chrono::{DateTime, Utc};
use sachet_core::{PermissionSet, UserId};
use sea_orm::prelude::Uuid;

/// A user account.
#[derive(Clone, Debug)]
pub struct UserRecord {
    /// Stable id; survives renames.
    pub id: UserId,
    /// Current name.
    pub username: String,
    /// Argon2id hash in PHC format.
    pub password_hash: String,
    /// Granted permissions.
    pub permissions: PermissionSet,
    /// When the account was created.
    pub register_date: DateTime<Utc>,
    /// Tokens issued before this instant are refused.
    pub tokens_valid_after: Option<DateTime<Utc>>,
}

/// A change to a user; `None` fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct UserUpdate {
    /// A new name.
    pub username: Option<String>,
    /// A new password hash.
    pub password_hash: Option<String>,
    /// New permissions.
    pub permissions: Option<PermissionSet>,
}

/// A share and what the store knows of its content.
#[derive(Clone, Debug)]
pub struct ShareRecord {
    /// The share id.
    pub id: Uuid,
    /// The owner, or `None` for an anonymous-owned share.
    pub owner_id: Option<UserId>,
    /// The owner's current name.
    pub owner_name: Option<String>,
    /// The file name shown to clients.
    pub file_name: String,
    /// Whether content was ever uploaded.
    pub initialized: bool,
    /// Whether the share is locked against changes and deletion.
    pub locked: bool,
    /// When the share was created.
    pub create_date: DateTime<Utc>,
    /// The current content, made of the parts in the store.
    pub content_id: Option<Uuid>,
    /// Bytes of the current content.
    pub size: Option<u64>,
    /// When the current content was completed.
    pub content_date: Option<DateTime<Utc>>,
}

/// A change to a share's metadata; `None` fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct ShareUpdate {
    /// A new file name.
    pub file_name: Option<String>,
    /// A new owner: `Some(None)` hands the share to anonymous callers.
    pub owner: Option<Option<UserId>>,
}

/// Which page of a list to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u64,
    /// Items per page, at least 1.
    pub per_page: u64,
}

impl PageRequest {
    /// How many items precede the page, when the page starts inside a list
    /// of `total` items; `None` for a page past the end (it is empty).
    pub(crate) fn offset_within(&self, total: u64) -> Option<u64> {
        let offset = self.page.checked_sub(1)?.checked_mul(self.per_page)?;
        (offset < total).then_some(offset)
    }
}

/// One page of a list, and the size of the whole list.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The items of the page, in list order.
    pub items: Vec<T>,
    /// How many items the whole list has.
    pub total: u64,
}

/// An upload in progress.
#[derive(Clone, Debug)]
pub struct UploadRecord {
    /// Server-side id of the upload.
    pub id: Uuid,
    /// The share it will fill.
    pub share_id: Uuid,
    /// The client's `dzuuid`.
    pub client_id: String,
    /// How many chunks complete it.
    pub total_chunks: u32,
}

/// A received chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Its 0-based index.
    pub index: u32,
    /// The blob holding its bytes.
    pub blob_key: String,
    /// Its length in bytes.
    pub size: u64,
}

/// What recording a chunk changed.
#[derive(Clone, Debug)]
pub struct ChunkReceipt {
    /// The blob of a chunk with the same index that this one replaced.
    pub replaced: Option<String>,
    /// How many distinct indexes the upload has now.
    pub received: u32,
}

/// Which condition a content switch requires of the share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwitchRule {
    /// The first upload: the share must not be initialized yet.
    FirstUpload,
    /// A replacement: the share must not be locked.
    Replace,
}

/// The new content a completed upload switches a share to: blobs whose
/// bytes, in order, are the content.
#[derive(Clone, Debug)]
pub struct ContentSwitch {
    /// Each part's blob and length.
    pub parts: Vec<(String, u64)>,
}

impl ContentSwitch {
    /// Bytes of the whole content.
    pub fn size(&self) -> u64 {
        self.parts.iter().map(|(_, size)| size).sum()
    }
}

/// One part of a content: a blob and where its bytes fall in the content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentPart {
    /// The blob holding the part.
    pub blob_key: String,
    /// Where the part starts in the content.
    pub start: u64,
    /// Where the part ends in the content (exclusive).
    pub end: u64,
}
