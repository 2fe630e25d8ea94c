//! Server-wide settings, kept in one database row so every replica sees the
//! same values at once.

use sachet_core::PermissionSet;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

use crate::{Store, StoreError, entity::setting};

impl Store {
    /// The permissions of callers that send no token.
    pub async fn anonymous_permissions(&self) -> Result<PermissionSet, StoreError> {
        let row = setting::Entity::find_by_id(setting::ROW_ID)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("settings"))?;
        Ok(PermissionSet::from_bits(row.default_permissions))
    }

    /// Replaces the anonymous permissions.
    pub async fn set_anonymous_permissions(
        &self,
        permissions: PermissionSet,
    ) -> Result<(), StoreError> {
        setting::Entity::update_many()
            .col_expr(
                setting::Column::DefaultPermissions,
                Expr::value(permissions.bits()),
            )
            .filter(setting::Column::Id.eq(setting::ROW_ID))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
