//! Queries on shares and their metadata.

use sachet_core::UserId;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, prelude::Uuid,
};

use crate::{
    Page, PageRequest, ShareRecord, ShareUpdate, Store, StoreError,
    content::doom_content,
    entity::{share, upload, upload_chunk, user},
    time::{from_micros, now, to_micros},
    users::{user_id_of, uuid_of},
};

impl Store {
    /// Creates an empty share owned by `owner` (`None`: anonymous callers).
    pub async fn create_share(
        &self,
        owner: Option<UserId>,
        file_name: Option<&str>,
    ) -> Result<ShareRecord, StoreError> {
        let id = Uuid::new_v4();
        let model = share::Model {
            id,
            owner_id: owner.map(uuid_of),
            file_name: file_name.map_or_else(|| id.to_string(), str::to_owned),
            initialized: false,
            locked: false,
            create_date: to_micros(now()),
            content_id: None,
            size: None,
            content_date: None,
        };
        share::Entity::insert(share::ActiveModel::from(model))
            .exec_without_returning(&self.db)
            .await
            .map_err(|err| StoreError::from_write("share", err))?;
        self.share(id).await?.ok_or(StoreError::NotFound("share"))
    }

    /// The share with this id.
    pub async fn share(&self, id: Uuid) -> Result<Option<ShareRecord>, StoreError> {
        find_share(&self.db, id).await
    }

    /// One page of shares, oldest first.
    pub async fn list_shares(&self, request: PageRequest) -> Result<Page<ShareRecord>, StoreError> {
        let total = share::Entity::find().count(&self.db).await?;
        let Some(offset) = request.offset_within(total) else {
            return Ok(Page {
                items: Vec::new(),
                total,
            });
        };
        let rows = share::Entity::find()
            .find_also_related(user::Entity)
            .order_by_asc(share::Column::CreateDate)
            .order_by_asc(share::Column::Id)
            .offset(offset)
            .limit(request.per_page.min(total))
            .all(&self.db)
            .await?;
        Ok(Page {
            items: rows.into_iter().map(share_record).collect(),
            total,
        })
    }

    /// Changes a share's metadata unless it is locked.
    pub async fn update_share(&self, id: Uuid, update: ShareUpdate) -> Result<(), StoreError> {
        self.retrying(|| self.update_share_once(id, update.clone()))
            .await
    }

    async fn update_share_once(&self, id: Uuid, update: ShareUpdate) -> Result<(), StoreError> {
        let mut model = <share::ActiveModel as Default>::default();
        if let Some(file_name) = update.file_name {
            model.file_name = Set(file_name);
        }
        if let Some(owner) = update.owner {
            model.owner_id = Set(owner.map(uuid_of));
        }
        if !model.is_changed() {
            return self.require_unlocked(id).await;
        }
        let result = share::Entity::update_many()
            .set(model)
            .filter(share::Column::Id.eq(id))
            .filter(share::Column::Locked.eq(false))
            .exec(&self.db)
            .await
            .map_err(|err| StoreError::from_write("share", err))?;
        match result.rows_affected {
            // No row changed: missing, locked, or (MySQL) unchanged values.
            0 => self.require_unlocked(id).await,
            _ => Ok(()),
        }
    }

    /// Locks or unlocks a share.
    pub async fn set_locked(&self, id: Uuid, locked: bool) -> Result<(), StoreError> {
        self.retrying(|| self.set_locked_once(id, locked)).await
    }

    async fn set_locked_once(&self, id: Uuid, locked: bool) -> Result<(), StoreError> {
        let result = share::Entity::update_many()
            .col_expr(share::Column::Locked, locked.into())
            .filter(share::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        if result.rows_affected == 0 && self.share(id).await?.is_none() {
            return Err(StoreError::NotFound("share"));
        }
        Ok(())
    }

    /// Deletes an unlocked share with its uploads. Its content's blobs are
    /// doomed until `delete_after`; the chunks of unfinished uploads are
    /// returned, for the caller to remove now.
    pub async fn delete_share(
        &self,
        id: Uuid,
        delete_after: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, StoreError> {
        self.retrying(|| self.delete_share_once(id, delete_after))
            .await
    }

    async fn delete_share_once(
        &self,
        id: Uuid,
        delete_after: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let txn = self.write_transaction().await?;
        let share = share::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&txn)
            .await?;
        let share = match share {
            Some(share) if !share.locked => share,
            found => {
                txn.rollback().await?;
                return Err(match found {
                    Some(_) => StoreError::Locked,
                    None => StoreError::NotFound("share"),
                });
            }
        };

        let upload_ids: Vec<Uuid> = upload::Entity::find()
            .select_only()
            .column(upload::Column::Id)
            .filter(upload::Column::ShareId.eq(id))
            .into_tuple()
            .all(&txn)
            .await?;
        let blobs: Vec<String> = upload_chunk::Entity::find()
            .select_only()
            .column(upload_chunk::Column::BlobKey)
            .filter(upload_chunk::Column::UploadId.is_in(upload_ids.clone()))
            .into_tuple()
            .all(&txn)
            .await?;
        if let Some(content) = share.content_id {
            doom_content(&txn, content, delete_after).await?;
        }

        upload_chunk::Entity::delete_many()
            .filter(upload_chunk::Column::UploadId.is_in(upload_ids))
            .exec(&txn)
            .await?;
        upload::Entity::delete_many()
            .filter(upload::Column::ShareId.eq(id))
            .exec(&txn)
            .await?;
        share::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        Ok(blobs)
    }

    /// Shares created before `cutoff` that never received content and are
    /// not locked.
    pub async fn stale_empty_shares(
        &self,
        cutoff: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Uuid>, StoreError> {
        Ok(share::Entity::find()
            .select_only()
            .column(share::Column::Id)
            .filter(share::Column::Initialized.eq(false))
            .filter(share::Column::Locked.eq(false))
            .filter(share::Column::CreateDate.lt(to_micros(cutoff)))
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    async fn require_unlocked(&self, id: Uuid) -> Result<(), StoreError> {
        match self.share(id).await? {
            None => Err(StoreError::NotFound("share")),
            Some(share) if share.locked => Err(StoreError::Locked),
            Some(_) => Ok(()),
        }
    }
}

pub(crate) async fn find_share(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<ShareRecord>, StoreError> {
    let row = share::Entity::find_by_id(id)
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(row.map(share_record))
}

fn share_record((share, owner): (share::Model, Option<user::Model>)) -> ShareRecord {
    ShareRecord {
        id: share.id,
        owner_id: share.owner_id.map(user_id_of),
        owner_name: owner.map(|owner| owner.username),
        file_name: share.file_name,
        initialized: share.initialized,
        locked: share.locked,
        create_date: from_micros(share.create_date),
        content_id: share.content_id,
        size: share.size.map(|size| size.max(0) as u64),
        content_date: share.content_date.map(from_micros),
    }
}
