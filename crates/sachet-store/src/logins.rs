//! Failed logins, counted per key (a username or a client address) in a
//! window, so that password guessing is slowed down on every replica.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};

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
    /// The latest instant until which any of `keys` is blocked, if one is.
    pub async fn login_blocked_until(
        &self,
        keys: &[String],
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let now = to_micros(now());
        let rows = login_failure::Entity::find()
            .filter(login_failure::Column::Key.is_in(keys.iter().cloned()))
            .filter(login_failure::Column::BlockedUntil.gt(now))
            .all(&self.db)
            .await?;
        Ok(rows
            .iter()
            .filter_map(|row| row.blocked_until)
            .max()
            .map(from_micros))
    }

    /// Counts a failed login for `key`, blocking it once it reaches the limit.
    pub async fn record_login_failure(
        &self,
        key: &str,
        limit: LoginLimit,
    ) -> Result<(), StoreError> {
        self.retrying(|| self.record_login_failure_once(key, limit))
            .await
    }

    async fn record_login_failure_once(
        &self,
        key: &str,
        limit: LoginLimit,
    ) -> Result<(), StoreError> {
        if limit.max_failures == 0 {
            return Ok(());
        }
        let now = now();
        let window_start = now - chrono::Duration::from_std(limit.window).unwrap_or_default();
        let blocked = now + chrono::Duration::from_std(limit.lockout).unwrap_or_default();

        let txn = self.write_transaction().await?;
        let row = login_failure::Entity::find_by_id(key.to_owned())
            .lock_exclusive()
            .one(&txn)
            .await?;
        let (failures, started) = match &row {
            Some(row) if row.window_start >= to_micros(window_start) => {
                (row.failures + 1, row.window_start)
            }
            _ => (1, to_micros(now)),
        };
        let blocked_until = match failures as u32 >= limit.max_failures {
            true => Some(to_micros(blocked)),
            false => row.as_ref().and_then(|row| row.blocked_until),
        };
        let model = login_failure::ActiveModel {
            key: Set(key.to_owned()),
            failures: Set(failures),
            window_start: Set(started),
            blocked_until: Set(blocked_until),
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
        match written.map_err(|err| StoreError::from_write("login failure", err)) {
            // A concurrent failure created the row first; one count is lost.
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(err) => return Err(err),
        }
        txn.commit().await?;
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
