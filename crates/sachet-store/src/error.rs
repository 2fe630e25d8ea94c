//! The store's error type. Unique-key violations and missing rows are
//! classified here, once, for every backend.

use sea_orm::{DbErr, SqlErr};

/// What went wrong with a metadata operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row to read or change does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique key is already taken.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The share is locked against the change.
    #[error("share is locked")]
    Locked,
    /// The configuration names a database this build cannot use.
    #[error("{0}")]
    Config(String),
    /// The database failed or could not be reached.
    #[error("database error")]
    Database(#[source] DbErr),
}

impl StoreError {
    /// Whether the database could not be reached at all, as opposed to a
    /// query that failed.
    pub fn is_outage(&self) -> bool {
        matches!(
            self,
            StoreError::Database(DbErr::Conn(_) | DbErr::ConnectionAcquire(_))
        )
    }

    /// Whether the failure is a deadlock or a serialization conflict with a
    /// concurrent transaction, which succeeds when tried again.
    pub(crate) fn is_retryable(&self) -> bool {
        use sea_orm::RuntimeErr;
        let StoreError::Database(
            DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)),
        ) = self
        else {
            return false;
        };
        let sea_orm::sqlx::Error::Database(database) = err.as_ref() else {
            return false;
        };
        // 40001: serialization failure (MySQL deadlocks too); 40P01:
        // PostgreSQL deadlock.
        matches!(database.code().as_deref(), Some("40001" | "40P01"))
    }

    /// Classifies a database error: a unique-key violation becomes
    /// [`StoreError::Conflict`] naming `what`, anything else stays a database error.
    pub(crate) fn from_write(what: &'static str, err: DbErr) -> StoreError {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict(what),
            // A row referred to (an owner, a share) vanished meanwhile.
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                StoreError::NotFound("referenced row")
            }
            _ => StoreError::Database(err),
        }
    }
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> StoreError {
        match err {
            DbErr::RecordNotFound(_) => StoreError::NotFound("record"),
            err => StoreError::Database(err),
        }
    }
}
