//! Connecting to the database named by a URL, and running migrations.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::{StoreError, migration::Migrator};

/// The database engines Sachet can keep its metadata in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (feature `sqlite`).
    Sqlite,
    /// A PostgreSQL server (feature `postgres`).
    Postgres,
    /// A MySQL or MariaDB server (feature `mysql`).
    MySql,
}

impl Backend {
    /// The backend a database URL names, whether or not it is compiled in.
    pub fn of_url(url: &str) -> Option<Backend> {
        let scheme = url.split_once(':').map(|(scheme, _)| scheme)?;
        match scheme {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            "mysql" | "mariadb" => Some(Backend::MySql),
            _ => None,
        }
    }

    /// The Cargo feature that compiles this backend in.
    pub fn feature(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::MySql => "mysql",
        }
    }

    /// Whether this build can talk to the backend.
    pub fn is_compiled_in(self) -> bool {
        match self {
            Backend::Sqlite => cfg!(feature = "sqlite"),
            Backend::Postgres => cfg!(feature = "postgres"),
            Backend::MySql => cfg!(feature = "mysql"),
        }
    }
}

/// The metadata store: a pool of connections to one database.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: DatabaseConnection,
    /// How long a claim on an upload holds without being renewed.
    pub(crate) claim_lease: Duration,
}

impl Store {
    /// Connects to the database at `url`. A SQLite file is created when
    /// missing and opened in WAL mode with a busy timeout, so that concurrent
    /// requests wait for each other instead of failing.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        let backend = Backend::of_url(url).ok_or_else(|| {
            StoreError::Config(format!(
                "unsupported database URL scheme in {:?}: expected sqlite:, postgres: or mysql:",
                redact_url(url)
            ))
        })?;
        if !backend.is_compiled_in() {
            return Err(StoreError::Config(format!(
                "this build of Sachet has no {0} support: rebuild with `--features {0}`",
                backend.feature()
            )));
        }

        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(16)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false);
        configure_sqlite(&mut options);

        let db = Database::connect(options)
            .await
            .map_err(StoreError::Database)?;
        Ok(Store {
            db,
            claim_lease: crate::uploads::CLAIM_LEASE,
        })
    }

    /// The same store with another lease for upload claims (tests shorten it).
    #[must_use]
    pub fn with_claim_lease(mut self, lease: Duration) -> Store {
        self.claim_lease = lease;
        self
    }

    /// How long a claim on an upload holds without being renewed.
    pub fn claim_lease(&self) -> Duration {
        self.claim_lease
    }

    /// Creates the database `name` on the server that `server_url` reaches
    /// (PostgreSQL or MySQL) and returns the URL of the new database. Tests
    /// use it to work in a database of their own.
    pub async fn create_database(server_url: &str, name: &str) -> Result<String, StoreError> {
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StoreError::Config(format!(
                "invalid database name {name:?}"
            )));
        }
        let admin = Store::connect(server_url).await?;
        let statement = match Backend::of_url(server_url) {
            Some(Backend::Postgres) => format!("CREATE DATABASE \"{name}\""),
            Some(Backend::MySql) => {
                format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            }
            _ => {
                return Err(StoreError::Config(
                    "only PostgreSQL and MySQL have databases to create".into(),
                ));
            }
        };
        admin
            .db
            .execute_unprepared(&statement)
            .await
            .map_err(StoreError::Database)?;
        admin.close().await;
        Ok(database_url(server_url, name))
    }

    /// Drops the database `name` on the server that `server_url` reaches,
    /// even while connections to it remain.
    pub async fn drop_database(server_url: &str, name: &str) -> Result<(), StoreError> {
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StoreError::Config(format!(
                "invalid database name {name:?}"
            )));
        }
        let admin = Store::connect(server_url).await?;
        let statement = match Backend::of_url(server_url) {
            Some(Backend::Postgres) => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            Some(Backend::MySql) => {
                // MySQL waits for sessions that still use the database; end them.
                let sessions = admin
                    .db
                    .query_all_raw(sea_orm::Statement::from_string(
                        admin.db.get_database_backend(),
                        format!(
                            "SELECT id FROM information_schema.processlist WHERE db = '{name}'"
                        ),
                    ))
                    .await
                    .map_err(StoreError::Database)?;
                for session in sessions {
                    if let Ok(id) = session.try_get_by_index::<u64>(0) {
                        let _ = admin.db.execute_unprepared(&format!("KILL {id}")).await;
                    }
                }
                format!("DROP DATABASE IF EXISTS `{name}`")
            }
            _ => {
                return Err(StoreError::Config(
                    "only PostgreSQL and MySQL have databases to drop".into(),
                ));
            }
        };
        admin
            .db
            .execute_unprepared(&statement)
            .await
            .map_err(StoreError::Database)?;
        admin.close().await;
        Ok(())
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None)
            .await
            .map_err(StoreError::Database)
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(StoreError::Database)
    }

    /// Closes every connection of the pool.
    pub async fn close(self) {
        if let Err(err) = self.db.close().await {
            tracing::warn!(error = %err, "closing the database pool failed");
        }
    }

    /// Runs `attempt` again, a few times with a growing pause, while it fails
    /// with a deadlock or serialization conflict: concurrent transactions on
    /// PostgreSQL and MySQL end that way by design.
    pub(crate) async fn retrying<T, F, Fut>(&self, mut attempt: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let mut pause = Duration::from_millis(5);
        for _ in 0..6 {
            match attempt().await {
                Err(err) if err.is_retryable() => {
                    tracing::debug!("retrying a transaction after a conflict");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                result => return result,
            }
        }
        attempt().await
    }

    /// Starts a transaction that will write. On SQLite it takes the write
    /// lock at once (`BEGIN IMMEDIATE`), so that a transaction never has to
    /// upgrade a read lock, which SQLite refuses without waiting.
    pub(crate) async fn write_transaction(&self) -> Result<DatabaseTransaction, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        Ok(self.db.begin_with_options(options).await?)
    }
}

#[cfg(feature = "sqlite")]
fn configure_sqlite(options: &mut ConnectOptions) {
    use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};

    options.map_sqlx_sqlite_opts(|sqlite| {
        sqlite
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
    });
}

#[cfg(not(feature = "sqlite"))]
fn configure_sqlite(_options: &mut ConnectOptions) {}

/// `server_url` with its database (the path) replaced by `name`.
fn database_url(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (server_url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |at| at + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |at| authority_start + at);
    format!("{}/{name}{query}", &base[..path_start])
}

/// The URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            let credentials = &url[start + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..start + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_follow_the_url_scheme() {
        assert_eq!(Backend::of_url("sqlite://x.db"), Some(Backend::Sqlite));
        assert_eq!(
            Backend::of_url("postgres://u@h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://root@h/db"), Some(Backend::MySql));
        assert_eq!(Backend::of_url("redis://h"), None);
        assert_eq!(Backend::of_url("nothing"), None);
    }

    #[test]
    fn database_urls_swap_their_path() {
        assert_eq!(
            database_url("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(database_url("mysql://root@h", "x"), "mysql://root@h/x");
        assert_eq!(
            database_url("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
    }

    #[test]
    fn urls_lose_their_password_in_messages() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("sqlite://a.db"), "sqlite://a.db");
    }
}
