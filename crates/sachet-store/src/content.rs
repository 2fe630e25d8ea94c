//! Contents and their parts, and blobs waiting to be removed.
//!
//! A content is an ordered list of parts, each a blob. Depending on the
//! blob store, a completed upload becomes one joined blob or keeps its
//! chunks as parts. Blobs a content no longer needs are doomed rather than
//! removed at once: readers may still be streaming them, and the cleanup
//! removes them after a grace period.

use std::ops::Range;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, prelude::Uuid, sea_query::Expr,
};

use crate::{
    ContentPart, ContentSwitch, Store, StoreError,
    entity::{content_part, doomed_blob},
    time::to_micros,
};

impl Store {
    /// The parts of a content that hold bytes of `range`, in order.
    pub async fn content_parts(
        &self,
        content_id: Uuid,
        range: Range<u64>,
    ) -> Result<Vec<ContentPart>, StoreError> {
        let rows = content_part::Entity::find()
            .filter(content_part::Column::ContentId.eq(content_id))
            .filter(content_part::Column::StartOffset.lt(clamp(range.end)))
            .filter(content_part::Column::EndOffset.gt(clamp(range.start)))
            // Empty parts hold no byte of any range.
            .filter(sea_orm::sea_query::ExprTrait::gt(
                Expr::col(content_part::Column::EndOffset),
                Expr::col(content_part::Column::StartOffset),
            ))
            .order_by_asc(content_part::Column::PartIndex)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| ContentPart {
                blob_key: row.blob_key,
                start: row.start_offset.max(0) as u64,
                end: row.end_offset.max(0) as u64,
            })
            .collect())
    }

    /// Doomed blobs whose grace period ended before `now`, at most `limit`.
    pub async fn due_doomed_blobs(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<String>, StoreError> {
        Ok(doomed_blob::Entity::find()
            .select_only()
            .column(doomed_blob::Column::BlobKey)
            .filter(doomed_blob::Column::DeleteAfter.lt(to_micros(now)))
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// Forgets doomed blobs once they are removed.
    pub async fn forget_doomed_blobs(&self, keys: &[String]) -> Result<(), StoreError> {
        doomed_blob::Entity::delete_many()
            .filter(doomed_blob::Column::BlobKey.is_in(keys.iter().cloned()))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

/// Records the parts of a new content.
pub(crate) async fn insert_parts(
    db: &impl ConnectionTrait,
    content_id: Uuid,
    content: &ContentSwitch,
) -> Result<(), StoreError> {
    let mut offset = 0u64;
    let mut rows = Vec::with_capacity(content.parts.len());
    for (index, (blob_key, size)) in content.parts.iter().enumerate() {
        rows.push(content_part::ActiveModel {
            content_id: Set(content_id),
            part_index: Set(index as i32),
            blob_key: Set(blob_key.clone()),
            start_offset: Set(offset as i64),
            end_offset: Set((offset + size) as i64),
        });
        offset += size;
    }
    // Batches keep each statement under every backend's parameter limit.
    for batch in rows.chunks(500) {
        content_part::Entity::insert_many(batch.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Dooms the parts of a content and forgets the content, so the cleanup
/// removes its blobs after `delete_after`.
pub(crate) async fn doom_content(
    db: &impl ConnectionTrait,
    content_id: Uuid,
    delete_after: DateTime<Utc>,
) -> Result<(), StoreError> {
    let keys: Vec<String> = content_part::Entity::find()
        .select_only()
        .column(content_part::Column::BlobKey)
        .filter(content_part::Column::ContentId.eq(content_id))
        .into_tuple()
        .all(db)
        .await?;
    for batch in keys.chunks(500) {
        let rows = batch.iter().map(|key| doomed_blob::ActiveModel {
            blob_key: Set(key.clone()),
            delete_after: Set(to_micros(delete_after)),
        });
        doomed_blob::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    content_part::Entity::delete_many()
        .filter(content_part::Column::ContentId.eq(content_id))
        .exec(db)
        .await?;
    Ok(())
}

fn clamp(offset: u64) -> i64 {
    offset.min(i64::MAX as u64) as i64
}
