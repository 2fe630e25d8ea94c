//! Failed logins, counted per key (a username or a client address) in a
//! window, so that password guessing is slowed down on every replica.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect,
    sea_query::Expr,
};

use crate::{
    Store, StoreError,
    entity::login_failure,
    time::{from_micros, now, to_micros},
};

/// How many failures a key may have in a window before it is blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginLimit {
    /// Failures allowed in one window; 0 turns the limit off.
    pub max_failures: u32,
    /// The window failures are counted in.
    pub window: Duration,
    /// How long a key stays blocked once it reached the limit.
    pub lockout: Duration,
}

impl Store {
    /// Counts a login attempt for `key` before its password is checked, so
    /// that concurrent attempts cannot slip past the limit together. When
    /// the key is blocked, nothing is counted and the end of the block is
    /// returned. A successful login takes its count back afterwards.
    pub async fn begin_login_attempt(
        &self,
        key: &str,
        limit: LoginLimit,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        if limit.max_failures == 0 {
            return Ok(None);
        }
        for _ in 0..3 {
            match self
                .retrying(|| self.begin_login_attempt_once(key, limit))
                .await
            {
                // Another attempt created the row first: count on it.
                Err(StoreError::Conflict(_)) => continue,
                result => return result,
            }
        }
        self.begin_login_attempt_once(key, limit).await
    }

    async fn begin_login_attempt_once(
        &self,
        key: &str,
        limit: LoginLimit,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let now = now();
        let window_start = now - chrono::Duration::from_std(limit.window).unwrap_or_default();
        let blocked = now + chrono::Duration::from_std(limit.lockout).unwrap_or_default();

        let txn = self.write_transaction().await?;
        let row = login_failure::Entity::find_by_id(key.to_owned())
            .lock_exclusive()
            .one(&txn)
            .await?;
        if let Some(until) = row.as_ref().and_then(|row| row.blocked_until)
            && until > to_micros(now)
        {
            txn.rollback().await?;
            return Ok(Some(from_micros(until)));
        }
        let (failures, started) = match &row {
            Some(row) if row.window_start >= to_micros(window_start) => {
                (row.failures + 1, row.window_start)
            }
            _ => (1, to_micros(now)),
        };
        let model = login_failure::ActiveModel {
            key: Set(key.to_owned()),
            failures: Set(failures),
            window_start: Set(started),
            blocked_until: Set((failures as u32 >= limit.max_failures).then(|| to_micros(blocked))),
        };
        let written = match row {
            Some(_) => login_failure::Entity::update(model)
                .exec(&txn)
                .await
                .map(drop),
            None => login_failure::Entity::insert(model)
                .exec_without_returning(&txn)
                .await
                .map(drop),
        };
        written.map_err(|err| StoreError::from_write("login attempt", err))?;
        txn.commit().await?;
        Ok(None)
    }

    /// Takes back the count of one attempt of `key` that succeeded.
    pub async fn end_login_attempt(&self, key: &str) -> Result<(), StoreError> {
        login_failure::Entity::update_many()
            .col_expr(
                login_failure::Column::Failures,
                sea_orm::sea_query::ExprTrait::sub(Expr::col(login_failure::Column::Failures), 1),
            )
            .filter(login_failure::Column::Key.eq(key))
            .filter(login_failure::Column::Failures.gt(0))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Forgets the failures of `key`, after a successful login.
    pub async fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        login_failure::Entity::delete_by_id(key.to_owned())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Forgets failures counted before `cutoff` whose block, if any, ended.
    pub async fn purge_login_failures(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let now = to_micros(now());
        let stale: Vec<String> = login_failure::Entity::find()
            .select_only()
            .column(login_failure::Column::Key)
            .filter(login_failure::Column::WindowStart.lt(to_micros(cutoff)))
            .filter(
                Condition::any()
                    .add(login_failure::Column::BlockedUntil.is_null())
                    .add(login_failure::Column::BlockedUntil.lt(now)),
            )
            .into_tuple()
            .all(&self.db)
            .await?;
        let result = login_failure::Entity::delete_many()
            .filter(login_failure::Column::Key.is_in(stale))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}
