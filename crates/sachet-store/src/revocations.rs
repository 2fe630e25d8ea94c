//! Revoked token ids, stored until the token would have expired anyway.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::{Store, StoreError, entity::revocation, time::to_micros};

impl Store {
    /// Records that the token `jti` is revoked, to be kept until `keep_until`
    /// (its expiry plus any clock leeway); revoking twice is a conflict.
    pub async fn revoke_token(
        &self,
        jti: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let model = revocation::ActiveModel {
            jti: Set(jti.to_owned()),
            expires_at: Set(to_micros(keep_until)),
        };
        revocation::Entity::insert(model)
            .exec_without_returning(&self.db)
            .await
            .map_err(|err| StoreError::from_write("revocation", err))?;
        Ok(())
    }

    /// Whether the token `jti` was revoked.
    pub async fn is_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        let found = revocation::Entity::find_by_id(jti.to_owned())
            .one(&self.db)
            .await?;
        Ok(found.is_some())
    }

    /// Forgets revocations of tokens that expired before `cutoff`.
    pub async fn purge_revocations(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let result = revocation::Entity::delete_many()
            .filter(revocation::Column::ExpiresAt.lt(to_micros(cutoff)))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}
