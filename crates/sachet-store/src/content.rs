//! Contents and their parts, and blobs waiting to be removed.
//!
//! A content is an ordered list of parts, each a blob. Depending on the
//! blob store, a completed upload becomes one joined blob or keeps its
//! chunks as parts. Blobs a content no longer needs are doomed rather than
//! removed at once: readers may still be streaming them, so a replaced or
//! deleted content keeps its parts until the cleanup removes them after a
//! grace period.

use std::ops::Range;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, prelude::Uuid, sea_query::Expr,
};

use crate::{
    ContentPart, ContentSwitch, Store, StoreError,
    entity::{content_part, doomed_content},
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

    /// Doomed contents whose grace period ended before `now`, at most
    /// `limit` of them.
    pub async fn due_doomed_contents(
        &self,
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Uuid>, StoreError> {
        Ok(doomed_content::Entity::find()
            .select_only()
            .column(doomed_content::Column::ContentId)
            .filter(doomed_content::Column::DeleteAfter.lt(to_micros(now)))
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// The blobs of every part of a content.
    pub async fn content_blobs(&self, content_id: Uuid) -> Result<Vec<String>, StoreError> {
        Ok(content_part::Entity::find()
            .select_only()
            .column(content_part::Column::BlobKey)
            .filter(content_part::Column::ContentId.eq(content_id))
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// Forgets a doomed content once its blobs are removed.
    pub async fn forget_content(&self, content_id: Uuid) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        content_part::Entity::delete_many()
            .filter(content_part::Column::ContentId.eq(content_id))
            .exec(&txn)
            .await?;
        doomed_content::Entity::delete_by_id(content_id)
            .exec(&txn)
            .await?;
        txn.commit().await?;
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

/// Dooms a content no share shows any more: its parts stay readable, for
/// downloads that started before, until the cleanup removes them after
/// `delete_after`.
pub(crate) async fn doom_content(
    db: &impl ConnectionTrait,
    content_id: Uuid,
    delete_after: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = doomed_content::ActiveModel {
        content_id: Set(content_id),
        delete_after: Set(to_micros(delete_after)),
    };
    doomed_content::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

fn clamp(offset: u64) -> i64 {
    offset.min(i64::MAX as u64) as i64
}
