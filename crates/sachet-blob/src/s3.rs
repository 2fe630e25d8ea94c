//! The S3-compatible blob store, through `object_store`.
//!
//! Blobs are objects under a key prefix of one bucket. Contents are not
//! joined: a completed upload keeps its chunks as the parts of its content,
//! so completion copies nothing, however small the chunks (S3 would refuse
//! multipart parts under 5 MiB) and however large the file.

use std::{io, ops::Range, sync::Arc};

use async_trait::async_trait;
use bytes::BytesMut;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt};
use object_store::{
    GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart,
    aws::{AmazonS3, AmazonS3Builder},
    path::Path,
};

use crate::{BlobError, BlobKey, BlobStore, ByteStream};

/// Bytes buffered before a blob is sent as a multipart upload; a smaller
/// blob is one plain PUT.
const PART_SIZE: usize = 8 * 1024 * 1024;

/// Parts of one multipart upload in flight at once; with `PART_SIZE` this
/// bounds the memory one write takes.
const PARTS_IN_FLIGHT: usize = 2;

/// Blobs as objects in an S3 bucket.
#[derive(Debug)]
pub struct S3BlobStore {
    store: Arc<AmazonS3>,
    prefix: String,
}

impl S3BlobStore {
    /// Opens `bucket` under `prefix`, with the endpoint, region and
    /// credentials of the standard `AWS_*` variables.
    pub fn open(bucket: &str, prefix: &str) -> Result<S3BlobStore, BlobError> {
        let store = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|err| BlobError::Config(format!("configuring S3 storage: {err}")))?;
        Ok(S3BlobStore {
            store: Arc::new(store),
            prefix: prefix.trim_matches('/').to_owned(),
        })
    }

    fn path_of(&self, key: &BlobKey) -> Path {
        match self.prefix.is_empty() {
            true => Path::from(key.as_str()),
            false => Path::from(format!("{}/{}", self.prefix, key)),
        }
    }

    fn key_of(&self, path: &Path) -> Option<BlobKey> {
        let text = path.as_ref();
        let key = match self.prefix.is_empty() {
            true => text,
            false => text.strip_prefix(&self.prefix)?.strip_prefix('/')?,
        };
        BlobKey::parse(key).ok()
    }

    /// Sends a blob too large for one PUT as a multipart upload, starting
    /// with what was already buffered. Aborts the upload on any failure.
    async fn put_multipart(
        &self,
        path: &Path,
        buffered: BytesMut,
        mut rest: ByteStream,
    ) -> Result<u64, BlobError> {
        let upload = self.store.put_multipart(path).await.map_err(storage)?;
        let mut writer = AbortOnDrop(Some(WriteMultipart::new_with_chunk_size(upload, PART_SIZE)));
        let mut written = buffered.len() as u64;
        writer.get().put(buffered.freeze());
        while let Some(piece) = rest.next().await {
            let piece = piece.map_err(BlobError::Source)?;
            written += piece.len() as u64;
            writer
                .get()
                .wait_for_capacity(PARTS_IN_FLIGHT)
                .await
                .map_err(storage)?;
            writer.get().put(piece);
        }
        writer.finish().await?;
        Ok(written)
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, key: &BlobKey, mut data: ByteStream) -> Result<u64, BlobError> {
        let path = self.path_of(key);
        let mut buffered = BytesMut::new();
        while let Some(piece) = data.next().await {
            buffered.extend_from_slice(&piece.map_err(BlobError::Source)?);
            if buffered.len() >= PART_SIZE {
                return self.put_multipart(&path, buffered, data).await;
            }
        }
        let size = buffered.len() as u64;
        self.store
            .put(&path, PutPayload::from(buffered.freeze()))
            .await
            .map_err(storage)?;
        Ok(size)
    }

    async fn get(&self, key: &BlobKey, range: Option<Range<u64>>) -> Result<ByteStream, BlobError> {
        if range.as_ref().is_some_and(Range::is_empty) {
            return Ok(futures_util::stream::empty().boxed());
        }
        let options = GetOptions::default().with_range(range.map(GetRange::Bounded));
        let found = self.store.get_opts(&self.path_of(key), options).await;
        match found {
            Ok(result) => Ok(result.into_stream().map_err(io::Error::other).boxed()),
            Err(object_store::Error::NotFound { .. }) => Err(BlobError::NotFound(key.clone())),
            Err(err) => Err(storage(err)),
        }
    }

    async fn assemble(
        &self,
        _dest: &BlobKey,
        parts: &[(BlobKey, u64)],
    ) -> Result<Vec<(BlobKey, u64)>, BlobError> {
        Ok(parts.to_vec())
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match self.store.delete(&self.path_of(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(storage(err)),
        }
    }

    async fn list_older_than(&self, cutoff: DateTime<Utc>) -> Result<Vec<BlobKey>, BlobError> {
        let prefix = (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()));
        let mut listing = self.store.list(prefix.as_ref());
        let mut keys = Vec::new();
        while let Some(object) = listing.next().await {
            let object = object.map_err(storage)?;
            if object.last_modified < cutoff
                && let Some(key) = self.key_of(&object.location)
            {
                keys.push(key);
            }
        }
        Ok(keys)
    }

    async fn purge_incomplete(&self, _cutoff: DateTime<Utc>) -> Result<u64, BlobError> {
        // FIXME: a multipart upload interrupted by a crash stays in the
        // bucket until a lifecycle rule (AbortIncompleteMultipartUpload)
        // removes it: object_store cannot list multipart uploads. Removing
        // them here needs ListMultipartUploads, which a signed S3 client of
        // our own would have to send.
        Ok(0)
    }

    async fn check(&self) -> Result<(), BlobError> {
        let probe = BlobKey::parse(&format!("probe/{}", uuid::Uuid::new_v4()))?;
        let path = self.path_of(&probe);
        self.store
            .put(&path, PutPayload::from_static(b""))
            .await
            .map_err(storage)?;
        self.store.delete(&path).await.map_err(storage)
    }
}

fn storage(err: object_store::Error) -> BlobError {
    BlobError::Storage(io::Error::other(err))
}

/// A multipart upload that is aborted if it is dropped unfinished, as when
/// the request writing it is cancelled.
struct AbortOnDrop(Option<WriteMultipart>);

impl AbortOnDrop {
    fn get(&mut self) -> &mut WriteMultipart {
        self.0
            .as_mut()
            .unwrap_or_else(|| unreachable!("taken only by finish"))
    }

    async fn finish(mut self) -> Result<(), BlobError> {
        match self.0.take() {
            Some(writer) => writer.finish().await.map(drop).map_err(storage),
            None => Ok(()),
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(writer) = self.0.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if let Err(err) = writer.abort().await {
                    tracing::warn!(error = %err, "aborting an unfinished multipart upload failed");
                }
            });
        }
    }
}

/// Splits `s3://bucket/prefix` into the bucket and the prefix.
pub fn parse_url(url: &str) -> Result<(String, String), BlobError> {
    let rest = url.strip_prefix("s3://").unwrap_or(url);
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(BlobError::Config(format!(
            "storage URL {url:?} names no bucket"
        )));
    }
    Ok((bucket.to_owned(), prefix.trim_matches('/').to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_bucket_and_a_prefix() {
        assert_eq!(
            parse_url("s3://files").unwrap(),
            ("files".into(), "".into())
        );
        assert_eq!(
            parse_url("s3://files/team/a/").unwrap(),
            ("files".into(), "team/a".into())
        );
        assert!(parse_url("s3://").is_err());
    }
}
