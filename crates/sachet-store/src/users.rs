//! Queries on user accounts.

use sachet_core::{PermissionSet, UserId};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, prelude::Uuid, sea_query::Expr,
};

use crate::{
    Page, PageRequest, Store, StoreError, UserRecord, UserUpdate,
    entity::{share, user},
    time::{from_micros, now, to_micros},
};

impl Store {
    /// How many users exist.
    pub async fn count_users(&self) -> Result<u64, StoreError> {
        Ok(user::Entity::find().count(&self.db).await?)
    }

    /// Creates a user; a taken name is a conflict.
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        permissions: PermissionSet,
    ) -> Result<UserRecord, StoreError> {
        let model = user::Model {
            id: Uuid::new_v4(),
            username: username.to_owned(),
            password_hash: password_hash.to_owned(),
            permissions: permissions.bits(),
            register_date: to_micros(now()),
            tokens_valid_after: None,
        };
        user::Entity::insert(user::ActiveModel::from(model.clone()))
            .exec_without_returning(&self.db)
            .await
            .map_err(|err| StoreError::from_write("user", err))?;
        Ok(user_record(model))
    }

    /// The user with this name.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let model = user::Entity::find()
            .filter(user::Column::Username.eq(username))
            .one(&self.db)
            .await?;
        Ok(model.map(user_record))
    }

    /// The user with this id.
    pub async fn user_by_id(&self, id: UserId) -> Result<Option<UserRecord>, StoreError> {
        let model = user::Entity::find_by_id(uuid_of(id)).one(&self.db).await?;
        Ok(model.map(user_record))
    }

    /// Changes the given fields of a user. Renaming onto a taken name is a
    /// conflict; a missing user is not found.
    pub async fn update_user(&self, id: UserId, update: UserUpdate) -> Result<(), StoreError> {
        let mut model = user::ActiveModel {
            id: Set(uuid_of(id)),
            ..Default::default()
        };
        if let Some(username) = update.username {
            model.username = Set(username);
            // Tokens name the account by its name too: none issued before
            // a rename may work again, even after a rename back.
            model.tokens_valid_after = Set(Some(to_micros(now())));
        }
        if let Some(hash) = update.password_hash {
            model.password_hash = Set(hash);
        }
        if let Some(permissions) = update.permissions {
            model.permissions = Set(permissions.bits());
        }
        if !model.is_changed() {
            return self.check_updated(id, 0).await;
        }
        let result = user::Entity::update_many()
            .set(model)
            .filter(user::Column::Id.eq(uuid_of(id)))
            .exec(&self.db)
            .await
            .map_err(|err| StoreError::from_write("user", err))?;
        self.check_updated(id, result.rows_affected).await
    }

    /// Refuses every token of the user issued before `instant`.
    pub async fn set_tokens_valid_after(
        &self,
        id: UserId,
        instant: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let result = user::Entity::update_many()
            .col_expr(
                user::Column::TokensValidAfter,
                Expr::value(to_micros(instant)),
            )
            .filter(user::Column::Id.eq(uuid_of(id)))
            .exec(&self.db)
            .await?;
        self.check_updated(id, result.rows_affected).await
    }

    /// Deletes a user; the shares it owned become anonymous-owned.
    pub async fn delete_user(&self, id: UserId) -> Result<(), StoreError> {
        self.retrying(|| self.delete_user_once(id)).await
    }

    async fn delete_user_once(&self, id: UserId) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        share::Entity::update_many()
            .col_expr(share::Column::OwnerId, Expr::value(Option::<Uuid>::None))
            .filter(share::Column::OwnerId.eq(uuid_of(id)))
            .exec(&txn)
            .await?;
        let result = user::Entity::delete_by_id(uuid_of(id)).exec(&txn).await?;
        if result.rows_affected == 0 {
            txn.rollback().await?;
            return Err(StoreError::NotFound("user"));
        }
        txn.commit().await?;
        Ok(())
    }

    /// One page of users, oldest first.
    pub async fn list_users(&self, request: PageRequest) -> Result<Page<UserRecord>, StoreError> {
        let total = user::Entity::find().count(&self.db).await?;
        let Some(offset) = request.offset_within(total) else {
            return Ok(Page {
                items: Vec::new(),
                total,
            });
        };
        let models = user::Entity::find()
            .order_by_asc(user::Column::RegisterDate)
            .order_by_asc(user::Column::Id)
            .offset(offset)
            .limit(request.per_page.min(total))
            .all(&self.db)
            .await?;
        Ok(Page {
            items: models.into_iter().map(user_record).collect(),
            total,
        })
    }
}

impl Store {
    /// Turns an update's row count into a result. No row changed means the
    /// user is missing, or (on MySQL, which counts changed rows) that the
    /// values were already in place.
    async fn check_updated(&self, id: UserId, rows_affected: u64) -> Result<(), StoreError> {
        if rows_affected == 0 && self.user_by_id(id).await?.is_none() {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }
}

pub(crate) fn uuid_of(id: UserId) -> Uuid {
    Uuid::from_bytes(id.0)
}

pub(crate) fn user_id_of(uuid: Uuid) -> UserId {
    UserId(uuid.into_bytes())
}

fn user_record(model: user::Model) -> UserRecord {
    UserRecord {
        id: user_id_of(model.id),
        username: model.username,
        password_hash: model.password_hash,
        permissions: PermissionSet::from_bits(model.permissions),
        register_date: from_micros(model.register_date),
        tokens_valid_after: model.tokens_valid_after.map(from_micros),
    }
}
