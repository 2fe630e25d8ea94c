//! Content storage for Sachet: the [`BlobStore`] trait and its implementations.
//!
//! A blob is an immutable sequence of bytes under a key the server generated
//! ([`BlobKey`]); content is never overwritten in place. Writes are atomic: a
//! blob is either absent or whole, whatever happens to the writer.

mod fs;
mod key;
#[cfg(feature = "s3")]
mod s3;

use std::{fmt, io, ops::Range, pin::Pin, sync::Arc};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::Stream;

pub use fs::FsBlobStore;
pub use key::BlobKey;
#[cfg(feature = "s3")]
pub use s3::S3BlobStore;

/// A stream of bytes moving in or out of a blob store.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// What went wrong with a blob operation.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The blob does not exist.
    #[error("blob {0} not found")]
    NotFound(BlobKey),
    /// The stream being written failed; nothing was stored. The inner error
    /// is the one the stream produced.
    #[error("the data being stored could not be read")]
    Source(#[source] io::Error),
    /// The storage itself failed.
    #[error("blob storage failed")]
    Storage(#[source] io::Error),
    /// A stored key is not a key this server would generate.
    #[error("invalid blob key {0:?}")]
    InvalidKey(String),
    /// The storage URL cannot be used by this build.
    #[error("{0}")]
    Config(String),
}

/// Where content bytes live.
#[async_trait]
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// Stores the whole stream under `key` and returns its length. The blob
    /// appears only once every byte is stored; on any error, or if the future
    /// is dropped, nothing is left under `key`.
    async fn put(&self, key: &BlobKey, data: ByteStream) -> Result<u64, BlobError>;

    /// Streams the blob, or the byte range `range` of it (which must lie
    /// within the blob).
    async fn get(&self, key: &BlobKey, range: Option<Range<u64>>) -> Result<ByteStream, BlobError>;

    /// Makes one content of `parts` (blobs and their lengths), in order, and
    /// returns the blobs that hold it from now on. A store that reads parts
    /// in place returns them as they are, in no time whatever their size; one
    /// that prefers whole blobs joins them into `dest` (atomically, like
    /// [`BlobStore::put`]). Parts it does not return are the caller's to
    /// remove once the content is recorded.
    async fn assemble(
        &self,
        dest: &BlobKey,
        parts: &[(BlobKey, u64)],
    ) -> Result<Vec<(BlobKey, u64)>, BlobError>;

    /// Removes a blob; removing a missing blob succeeds.
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;

    /// Every blob last written before `cutoff`.
    async fn list_older_than(&self, cutoff: DateTime<Utc>) -> Result<Vec<BlobKey>, BlobError>;

    /// Removes what interrupted writes left behind before `cutoff`, and
    /// returns how many leftovers went.
    async fn purge_incomplete(&self, cutoff: DateTime<Utc>) -> Result<u64, BlobError>;

    /// Checks that the storage is reachable and writable.
    async fn check(&self) -> Result<(), BlobError>;
}

/// Opens the blob store a storage URL names: `file:///path` for a local
/// folder, `s3://bucket/prefix` for S3-compatible storage (feature `s3`).
pub async fn open(url: &str) -> Result<Arc<dyn BlobStore>, BlobError> {
    if let Some(path) = url.strip_prefix("file://") {
        if path.is_empty() {
            return Err(BlobError::Config(format!(
                "storage URL {url:?} names no folder"
            )));
        }
        return Ok(Arc::new(FsBlobStore::open(path).await?));
    }
    if url.starts_with("s3://") {
        return open_s3(url);
    }
    Err(BlobError::Config(format!(
        "unsupported storage URL {url:?}: expected file:///path or s3://bucket/prefix"
    )))
}

#[cfg(feature = "s3")]
fn open_s3(url: &str) -> Result<Arc<dyn BlobStore>, BlobError> {
    let (bucket, prefix) = s3::parse_url(url)?;
    Ok(Arc::new(S3BlobStore::open(&bucket, &prefix)?))
}

#[cfg(not(feature = "s3"))]
fn open_s3(_url: &str) -> Result<Arc<dyn BlobStore>, BlobError> {
    Err(BlobError::Config(
        "this build of Sachet has no S3 support: rebuild with `--features s3`".into(),
    ))
}
