//! The initial schema: users, shares, uploads and their chunks, revocations
//! and settings.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(Debug, DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    PasswordHash,
    Permissions,
    RegisterDate,
    TokensValidAfter,
}

#[derive(DeriveIden)]
enum Shares {
    Table,
    Id,
    OwnerId,
    FileName,
    Initialized,
    Locked,
    CreateDate,
    ContentId,
    Size,
    ContentDate,
}

#[derive(DeriveIden)]
enum ContentParts {
    Table,
    ContentId,
    PartIndex,
    BlobKey,
    StartOffset,
    EndOffset,
}

#[derive(DeriveIden)]
enum DoomedContents {
    Table,
    ContentId,
    DeleteAfter,
}

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Id,
    ShareId,
    ClientId,
    TotalChunks,
    Completing,
    ClaimedAt,
    Completed,
    ReceivedChunks,
    ReceivedBytes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UploadChunks {
    Table,
    UploadId,
    ChunkIndex,
    BlobKey,
    Size,
}

#[derive(DeriveIden)]
enum Revocations {
    Table,
    Jti,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Key,
    Failures,
    WindowStart,
    BlockedUntil,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Id,
    DefaultPermissions,
}

/// A new table whose text compares byte for byte on every backend: MySQL's
/// default collations would fold case and accents in unique keys.
fn table(manager: &SchemaManager, name: impl IntoIden) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(name).if_not_exists();
    if manager.get_database_backend() == DatabaseBackend::MySql {
        table.character_set("utf8mb4").collate("utf8mb4_bin");
    }
    table
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table(manager, Users::Table)
                    .col(ColumnDef::new(Users::Id).uuid().not_null().primary_key())
                    .col(
                        ColumnDef::new(Users::Username)
                            .string_len(255)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Users::PasswordHash)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Users::Permissions).big_integer().not_null())
                    .col(ColumnDef::new(Users::RegisterDate).big_integer().not_null())
                    .col(ColumnDef::new(Users::TokensValidAfter).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("users_by_register_date")
                    .table(Users::Table)
                    .col(Users::RegisterDate)
                    .col(Users::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(manager, Shares::Table)
                    .col(ColumnDef::new(Shares::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Shares::OwnerId).uuid().null())
                    .col(ColumnDef::new(Shares::FileName).string_len(1024).not_null())
                    .col(ColumnDef::new(Shares::Initialized).boolean().not_null())
                    .col(ColumnDef::new(Shares::Locked).boolean().not_null())
                    .col(ColumnDef::new(Shares::CreateDate).big_integer().not_null())
                    .col(ColumnDef::new(Shares::ContentId).uuid().null())
                    .col(ColumnDef::new(Shares::Size).big_integer().null())
                    .col(ColumnDef::new(Shares::ContentDate).big_integer().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("shares_owner")
                            .from(Shares::Table, Shares::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shares_by_create_date")
                    .table(Shares::Table)
                    .col(Shares::CreateDate)
                    .col(Shares::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(manager, ContentParts::Table)
                    .col(ColumnDef::new(ContentParts::ContentId).uuid().not_null())
                    .col(ColumnDef::new(ContentParts::PartIndex).integer().not_null())
                    .col(
                        ColumnDef::new(ContentParts::BlobKey)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ContentParts::StartOffset)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ContentParts::EndOffset)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ContentParts::ContentId)
                            .col(ContentParts::PartIndex),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("content_parts_by_blob_key")
                    .table(ContentParts::Table)
                    .col(ContentParts::BlobKey)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(manager, DoomedContents::Table)
                    .col(
                        ColumnDef::new(DoomedContents::ContentId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(DoomedContents::DeleteAfter)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(manager, Uploads::Table)
                    .col(ColumnDef::new(Uploads::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Uploads::ShareId).uuid().not_null())
                    .col(ColumnDef::new(Uploads::ClientId).string_len(255).not_null())
                    .col(ColumnDef::new(Uploads::TotalChunks).integer().not_null())
                    .col(ColumnDef::new(Uploads::Completing).boolean().not_null())
                    .col(ColumnDef::new(Uploads::ClaimedAt).big_integer().null())
                    .col(ColumnDef::new(Uploads::Completed).boolean().not_null())
                    .col(ColumnDef::new(Uploads::ReceivedChunks).integer().not_null())
                    .col(
                        ColumnDef::new(Uploads::ReceivedBytes)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Uploads::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(Uploads::UpdatedAt).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("uploads_share")
                            .from(Uploads::Table, Uploads::ShareId)
                            .to(Shares::Table, Shares::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uploads_by_client_id")
                    .table(Uploads::Table)
                    .col(Uploads::ShareId)
                    .col(Uploads::ClientId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uploads_by_updated_at")
                    .table(Uploads::Table)
                    .col(Uploads::UpdatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(manager, UploadChunks::Table)
                    .col(ColumnDef::new(UploadChunks::UploadId).uuid().not_null())
                    .col(
                        ColumnDef::new(UploadChunks::ChunkIndex)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(UploadChunks::BlobKey)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(UploadChunks::Size).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(UploadChunks::UploadId)
                            .col(UploadChunks::ChunkIndex),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("upload_chunks_upload")
                            .from(UploadChunks::Table, UploadChunks::UploadId)
                            .to(Uploads::Table, Uploads::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("upload_chunks_by_blob_key")
                    .table(UploadChunks::Table)
                    .col(UploadChunks::BlobKey)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(manager, Revocations::Table)
                    .col(
                        ColumnDef::new(Revocations::Jti)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Revocations::ExpiresAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("revocations_by_expiry")
                    .table(Revocations::Table)
                    .col(Revocations::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(manager, LoginFailures::Table)
                    .col(
                        ColumnDef::new(LoginFailures::Key)
                            .string_len(160)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(LoginFailures::Failures).integer().not_null())
                    .col(
                        ColumnDef::new(LoginFailures::WindowStart)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LoginFailures::BlockedUntil)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(manager, Settings::Table)
                    .col(
                        ColumnDef::new(Settings::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Settings::DefaultPermissions)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Settings::Table)
                    .columns([Settings::Id, Settings::DefaultPermissions])
                    .values_panic([1.into(), 0i64.into()])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            UploadChunks::Table.into_iden(),
            Uploads::Table.into_iden(),
            ContentParts::Table.into_iden(),
            DoomedContents::Table.into_iden(),
            Shares::Table.into_iden(),
            Revocations::Table.into_iden(),
            LoginFailures::Table.into_iden(),
            Settings::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
