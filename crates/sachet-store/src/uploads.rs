//! Chunked uploads: their progress, and the switch of a share to the content
//! they complete.
//!
//! Several requests, possibly on several replicas, may handle chunks of one
//! upload at once. The rules that keep them apart live in the database: one
//! upload per (share, client id), one chunk row per index, and a claim that
//! exactly one request holds while it completes the upload. While the claim
//! holds, chunks of that upload are refused, so the content is exactly the
//! chunks counted. A claim is a lease: a request that died while completing
//! stops renewing it, and another request can then complete the upload.
//! A completed upload stays known for one claim lease, so that a late retry
//! of one of its chunks is not taken for a new upload. After that, or for a
//! chunk with another chunk count or method, its client id is free for a new
//! upload.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    prelude::Uuid, sea_query::Expr,
};

use crate::{
    Chunk, ChunkReceipt, ContentSwitch, Store, StoreError, SwitchRule, UploadRecord,
    content::{doom_content, insert_parts},
    entity::{content_part, share, upload, upload_chunk},
    time::{now, to_micros},
};

/// Why the store refused a step of an upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadRefusal {
    /// The upload was started with another chunk count.
    TotalMismatch {
        /// The count of its first chunk.
        expected: u32,
    },
    /// Another request is joining the chunks of this upload.
    Completing,
    /// The upload already completed.
    Completed,
    /// The upload finished or was purged while this chunk arrived.
    Gone,
    /// The chunks would add up to more than the allowed size.
    TooLarge,
    /// The share was deleted meanwhile.
    ShareMissing,
    /// The share was locked meanwhile.
    ShareLocked,
    /// A first upload found the share already initialized.
    AlreadyInitialized,
}

/// The result of an upload step the store may refuse.
pub type Refusable<T> = Result<Result<T, UploadRefusal>, StoreError>;

/// How long a claim holds without being renewed.
pub const CLAIM_LEASE: std::time::Duration = std::time::Duration::from_secs(30);

/// What an attempt to claim an upload found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The caller holds the claim and completes the upload.
    Claimed,
    /// Another request holds it.
    Busy,
    /// The upload already completed.
    Completed,
    /// The upload no longer exists.
    Gone,
}

/// Whether another request is completing the upload and still alive.
/// Whether a chunk for `upload` starts a new upload under the same client
/// id: the upload completed, and the chunk cannot be a retry of one of its
/// chunks (another chunk count, another method, or later than a lease after
/// the completion).
fn reuses_completed(
    upload: &upload::Model,
    total_chunks: u32,
    rule: SwitchRule,
    lease: std::time::Duration,
) -> bool {
    let lease = chrono::Duration::from_std(lease).unwrap_or_default();
    let retries_until = upload
        .updated_at
        .saturating_add(lease.num_microseconds().unwrap_or(0));
    upload.completed
        && (upload.total_chunks != total_chunks as i32
            || upload.replaces != (rule == SwitchRule::Replace)
            || to_micros(now()) > retries_until)
}

fn is_claimed(upload: &upload::Model, lease: std::time::Duration) -> bool {
    let lease = chrono::Duration::from_std(lease).unwrap_or_default();
    let fresh_after = to_micros(now() - lease);
    upload.completing && upload.claimed_at.is_some_and(|at| at >= fresh_after)
}

impl Store {
    /// The upload `client_id` of a share, created with `total_chunks` if new.
    pub async fn open_upload(
        &self,
        share_id: Uuid,
        client_id: &str,
        total_chunks: u32,
        rule: SwitchRule,
    ) -> Refusable<UploadRecord> {
        self.retrying(|| self.open_upload_once(share_id, client_id, total_chunks, rule))
            .await
    }

    async fn open_upload_once(
        &self,
        share_id: Uuid,
        client_id: &str,
        total_chunks: u32,
        rule: SwitchRule,
    ) -> Refusable<UploadRecord> {
        if let Some(found) = self.find_upload(share_id, client_id).await? {
            if !reuses_completed(&found, total_chunks, rule, self.claim_lease) {
                return Ok(check_total(found, total_chunks, self.claim_lease));
            }
            // A new upload under the id of a completed one: forget the old
            // one (its chunks already belong to the content). Another chunk
            // of the new upload may have done so already.
            upload::Entity::delete_many()
                .filter(upload::Column::Id.eq(found.id))
                .filter(upload::Column::Completed.eq(true))
                .exec(&self.db)
                .await?;
        }

        let stamp = to_micros(now());
        let model = upload::ActiveModel {
            id: Set(Uuid::new_v4()),
            share_id: Set(share_id),
            client_id: Set(client_id.to_owned()),
            total_chunks: Set(total_chunks as i32),
            completing: Set(false),
            claimed_at: Set(None),
            completed: Set(false),
            received_chunks: Set(0),
            received_bytes: Set(0),
            created_at: Set(stamp),
            updated_at: Set(stamp),
            replaces: Set(rule == SwitchRule::Replace),
        };
        match upload::Entity::insert(model)
            .exec_without_returning(&self.db)
            .await
        {
            Ok(_) => {}
            Err(err) => match StoreError::from_write("upload", err) {
                // Another chunk of the same upload created it first.
                StoreError::Conflict(_) => {}
                StoreError::NotFound(_) => return Ok(Err(UploadRefusal::ShareMissing)),
                other => return Err(other),
            },
        }
        match self.find_upload(share_id, client_id).await? {
            Some(found) => Ok(check_total(found, total_chunks, self.claim_lease)),
            None => Ok(Err(UploadRefusal::Gone)),
        }
    }

    /// Records a chunk whose bytes are already in the blob `chunk.blob_key`.
    /// A chunk with the same index is replaced and its blob returned for
    /// removal. Refused when the chunks would exceed `max_total` bytes.
    pub async fn record_chunk(
        &self,
        upload_id: Uuid,
        chunk: &Chunk,
        max_total: u64,
    ) -> Refusable<ChunkReceipt> {
        self.retrying(|| self.record_chunk_once(upload_id, chunk, max_total))
            .await
    }

    async fn record_chunk_once(
        &self,
        upload_id: Uuid,
        chunk: &Chunk,
        max_total: u64,
    ) -> Refusable<ChunkReceipt> {
        let txn = self.write_transaction().await?;
        let Some(upload) = upload::Entity::find_by_id(upload_id)
            .lock_exclusive()
            .one(&txn)
            .await?
        else {
            return refuse(txn, UploadRefusal::Gone).await;
        };
        if upload.completed {
            return refuse(txn, UploadRefusal::Completed).await;
        }
        if is_claimed(&upload, self.claim_lease) {
            return refuse(txn, UploadRefusal::Completing).await;
        }

        let index = chunk.index as i32;
        let previous = upload_chunk::Entity::find_by_id((upload_id, index))
            .one(&txn)
            .await?;
        let replaced_size = previous.as_ref().map_or(0, |row| row.size.max(0) as u64);
        let others = (upload.received_bytes.max(0) as u64).saturating_sub(replaced_size);
        if others.saturating_add(chunk.size) > max_total {
            return refuse(txn, UploadRefusal::TooLarge).await;
        }

        let row = upload_chunk::ActiveModel {
            upload_id: Set(upload_id),
            chunk_index: Set(index),
            blob_key: Set(chunk.blob_key.clone()),
            size: Set(chunk.size as i64),
        };
        match previous {
            Some(_) => upload_chunk::Entity::update(row)
                .exec(&txn)
                .await
                .map(drop)?,
            None => upload_chunk::Entity::insert(row)
                .exec_without_returning(&txn)
                .await
                .map(drop)?,
        }
        let received = upload.received_chunks.max(0) as u32 + u32::from(previous.is_none());
        upload::Entity::update_many()
            .col_expr(upload::Column::ReceivedChunks, Expr::value(received as i32))
            .col_expr(
                upload::Column::ReceivedBytes,
                Expr::value((others + chunk.size) as i64),
            )
            .col_expr(upload::Column::UpdatedAt, Expr::value(to_micros(now())))
            .filter(upload::Column::Id.eq(upload_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;

        Ok(Ok(ChunkReceipt {
            replaced: previous.map(|row| row.blob_key),
            received,
        }))
    }

    /// Claims the upload for completing it. Exactly one caller gets
    /// [`Claim::Claimed`]; from then on its chunks cannot change, as long as
    /// the claim is renewed with [`Store::renew_claim`] within the lease.
    pub async fn claim_upload(&self, upload_id: Uuid) -> Result<Claim, StoreError> {
        self.retrying(|| self.claim_upload_once(upload_id)).await
    }

    async fn claim_upload_once(&self, upload_id: Uuid) -> Result<Claim, StoreError> {
        let lease = chrono::Duration::from_std(self.claim_lease).unwrap_or_default();
        let now = now();
        let result = upload::Entity::update_many()
            .col_expr(upload::Column::Completing, Expr::value(true))
            .col_expr(upload::Column::ClaimedAt, Expr::value(to_micros(now)))
            .filter(upload::Column::Id.eq(upload_id))
            .filter(upload::Column::Completed.eq(false))
            .filter(
                Condition::any()
                    .add(upload::Column::Completing.eq(false))
                    .add(upload::Column::ClaimedAt.is_null())
                    .add(upload::Column::ClaimedAt.lt(to_micros(now - lease))),
            )
            .exec(&self.db)
            .await?;
        if result.rows_affected == 1 {
            return Ok(Claim::Claimed);
        }
        Ok(
            match upload::Entity::find_by_id(upload_id).one(&self.db).await? {
                None => Claim::Gone,
                Some(found) if found.completed => Claim::Completed,
                Some(_) => Claim::Busy,
            },
        )
    }

    /// Shows that the request completing the upload is still alive.
    pub async fn renew_claim(&self, upload_id: Uuid) -> Result<(), StoreError> {
        upload::Entity::update_many()
            .col_expr(upload::Column::ClaimedAt, Expr::value(to_micros(now())))
            .filter(upload::Column::Id.eq(upload_id))
            .filter(upload::Column::Completing.eq(true))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Gives a claimed upload back, after its completion failed.
    pub async fn release_upload(&self, upload_id: Uuid) -> Result<(), StoreError> {
        self.retrying(|| self.release_upload_once(upload_id)).await
    }

    async fn release_upload_once(&self, upload_id: Uuid) -> Result<(), StoreError> {
        upload::Entity::update_many()
            .col_expr(upload::Column::Completing, Expr::value(false))
            .col_expr(upload::Column::ClaimedAt, Expr::value(Option::<i64>::None))
            .filter(upload::Column::Id.eq(upload_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The chunks of an upload, in index order.
    pub async fn upload_chunks(&self, upload_id: Uuid) -> Result<Vec<Chunk>, StoreError> {
        let rows = upload_chunk::Entity::find()
            .filter(upload_chunk::Column::UploadId.eq(upload_id))
            .order_by_asc(upload_chunk::Column::ChunkIndex)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| Chunk {
                index: row.chunk_index.max(0) as u32,
                blob_key: row.blob_key,
                size: row.size.max(0) as u64,
            })
            .collect())
    }

    /// The indexes received so far by the upload `client_id` of a share.
    pub async fn received_indexes(
        &self,
        share_id: Uuid,
        client_id: &str,
    ) -> Result<Option<(UploadRecord, Vec<u32>)>, StoreError> {
        let Some(found) = self.find_upload(share_id, client_id).await? else {
            return Ok(None);
        };
        if found.completed {
            return Ok(None);
        }
        let indexes = self
            .upload_chunks(found.id)
            .await?
            .into_iter()
            .map(|chunk| chunk.index)
            .collect();
        Ok(Some((upload_record(found), indexes)))
    }

    /// Switches the share to the new content of a claimed upload and forgets
    /// the upload, in one transaction. The previous content's blobs are
    /// doomed until `delete_after`, for readers still streaming them.
    pub async fn complete_upload(
        &self,
        upload: &UploadRecord,
        rule: SwitchRule,
        content: &ContentSwitch,
        delete_after: chrono::DateTime<chrono::Utc>,
    ) -> Refusable<()> {
        self.retrying(|| self.complete_upload_once(upload, rule, content, delete_after))
            .await
    }

    async fn complete_upload_once(
        &self,
        upload: &UploadRecord,
        rule: SwitchRule,
        content: &ContentSwitch,
        delete_after: chrono::DateTime<chrono::Utc>,
    ) -> Refusable<()> {
        let txn = self.write_transaction().await?;
        let Some(current) = share::Entity::find_by_id(upload.share_id)
            .lock_exclusive()
            .one(&txn)
            .await?
        else {
            return refuse(txn, UploadRefusal::ShareMissing).await;
        };
        match rule {
            SwitchRule::FirstUpload if current.initialized => {
                return refuse(txn, UploadRefusal::AlreadyInitialized).await;
            }
            SwitchRule::Replace if current.locked => {
                return refuse(txn, UploadRefusal::ShareLocked).await;
            }
            _ => {}
        }

        let content_id = Uuid::new_v4();
        insert_parts(&txn, content_id, content).await?;
        if let Some(previous) = current.content_id {
            doom_content(&txn, previous, delete_after).await?;
        }
        share::Entity::update_many()
            .col_expr(share::Column::ContentId, Expr::value(content_id))
            .col_expr(share::Column::Size, Expr::value(content.size() as i64))
            .col_expr(
                share::Column::ContentDate,
                Expr::value(to_micros(content_date(&current))),
            )
            .col_expr(share::Column::Initialized, Expr::value(true))
            .filter(share::Column::Id.eq(upload.share_id))
            .exec(&txn)
            .await?;
        // The chunks now belong to the content (or were joined into it);
        // the upload stays, completed, until the cleanup forgets it.
        upload_chunk::Entity::delete_many()
            .filter(upload_chunk::Column::UploadId.eq(upload.id))
            .exec(&txn)
            .await?;
        upload::Entity::update_many()
            .col_expr(upload::Column::Completed, Expr::value(true))
            .col_expr(upload::Column::Completing, Expr::value(false))
            .col_expr(upload::Column::ClaimedAt, Expr::value(Option::<i64>::None))
            .col_expr(upload::Column::UpdatedAt, Expr::value(to_micros(now())))
            .filter(upload::Column::Id.eq(upload.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(Ok(()))
    }

    /// Forgets an upload. Returns its chunk blobs, for the caller to remove.
    pub async fn discard_upload(&self, upload_id: Uuid) -> Result<Vec<String>, StoreError> {
        self.retrying(|| self.discard_upload_once(upload_id)).await
    }

    async fn discard_upload_once(&self, upload_id: Uuid) -> Result<Vec<String>, StoreError> {
        let txn = self.write_transaction().await?;
        let blobs: Vec<String> = upload_chunk::Entity::find()
            .select_only()
            .column(upload_chunk::Column::BlobKey)
            .filter(upload_chunk::Column::UploadId.eq(upload_id))
            .into_tuple()
            .all(&txn)
            .await?;
        delete_upload_rows(&txn, upload_id).await?;
        txn.commit().await?;
        Ok(blobs)
    }

    /// Uploads that received no chunk since `cutoff`.
    pub async fn stale_uploads(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Uuid>, StoreError> {
        Ok(upload::Entity::find()
            .select_only()
            .column(upload::Column::Id)
            .filter(upload::Column::UpdatedAt.lt(to_micros(cutoff)))
            .filter(upload::Column::Completed.eq(false))
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// Forgets completed uploads older than `cutoff`: late retries of their
    /// chunks are no longer expected.
    pub async fn purge_completed_uploads(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        let result = upload::Entity::delete_many()
            .filter(upload::Column::Completed.eq(true))
            .filter(upload::Column::UpdatedAt.lt(to_micros(cutoff)))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }

    /// Which of `keys` a content (shown or doomed) or a chunk refers to.
    pub async fn referenced_blobs(&self, keys: &[String]) -> Result<Vec<String>, StoreError> {
        let mut found: Vec<String> = content_part::Entity::find()
            .select_only()
            .column(content_part::Column::BlobKey)
            .filter(content_part::Column::BlobKey.is_in(keys.iter().cloned()))
            .into_tuple()
            .all(&self.db)
            .await?;

        let chunks: Vec<String> = upload_chunk::Entity::find()
            .select_only()
            .column(upload_chunk::Column::BlobKey)
            .filter(upload_chunk::Column::BlobKey.is_in(keys.iter().cloned()))
            .into_tuple()
            .all(&self.db)
            .await?;
        found.extend(chunks);
        Ok(found)
    }

    async fn find_upload(
        &self,
        share_id: Uuid,
        client_id: &str,
    ) -> Result<Option<upload::Model>, StoreError> {
        Ok(upload::Entity::find()
            .filter(upload::Column::ShareId.eq(share_id))
            .filter(upload::Column::ClientId.eq(client_id))
            .one(&self.db)
            .await?)
    }
}

/// The completion date of new content: whole seconds, as `Last-Modified`
/// carries them, and later than the content it replaces, so that a date
/// names one content of the share and can serve as a validator.
fn content_date(current: &share::Model) -> chrono::DateTime<chrono::Utc> {
    let now = now().timestamp();
    let after_previous = current
        .content_date
        .map_or(now, |previous| previous.div_euclid(1_000_000) + 1);
    chrono::DateTime::from_timestamp(now.max(after_previous), 0).unwrap_or_default()
}

/// Ends a transaction without a change and answers the refusal. Rolling
/// back at once releases row locks that a dropped transaction would keep
/// until its connection is used again.
async fn refuse<T>(txn: sea_orm::DatabaseTransaction, refusal: UploadRefusal) -> Refusable<T> {
    txn.rollback().await?;
    Ok(Err(refusal))
}

fn check_total(
    found: upload::Model,
    total_chunks: u32,
    lease: std::time::Duration,
) -> Result<UploadRecord, UploadRefusal> {
    let expected = found.total_chunks.max(0) as u32;
    if expected != total_chunks {
        return Err(UploadRefusal::TotalMismatch { expected });
    }
    if found.completed {
        return Err(UploadRefusal::Completed);
    }
    if is_claimed(&found, lease) {
        return Err(UploadRefusal::Completing);
    }
    Ok(upload_record(found))
}

fn upload_record(found: upload::Model) -> UploadRecord {
    UploadRecord {
        id: found.id,
        share_id: found.share_id,
        client_id: found.client_id,
        total_chunks: found.total_chunks.max(0) as u32,
    }
}

async fn delete_upload_rows(
    txn: &impl sea_orm::ConnectionTrait,
    upload_id: Uuid,
) -> Result<(), StoreError> {
    upload_chunk::Entity::delete_many()
        .filter(upload_chunk::Column::UploadId.eq(upload_id))
        .exec(txn)
        .await?;
    upload::Entity::delete_by_id(upload_id).exec(txn).await?;
    Ok(())
}
