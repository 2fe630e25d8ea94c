//! Schema migrations, applied in order at start-up and by `sachet migrate`.
//!
//! Every statement is built with sea-query, so the same migration runs on
//! SQLite, PostgreSQL and MySQL/MariaDB.

use sea_orm_migration::prelude::*;

mod m20261204_000001_initial;
mod m20261204_000002_upload_rule;

/// The list of migrations.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261204_000001_initial::Migration),
            Box::new(m20261204_000002_upload_rule::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "sachet_migrations".into_iden()
    }
}
