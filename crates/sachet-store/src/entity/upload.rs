//! The `uploads` table: one row per chunked upload in progress.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "uploads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub share_id: Uuid,
    /// The client's upload id (`dzuuid`), unique per share.
    pub client_id: String,
    pub total_chunks: i32,
    /// Set while one request joins the chunks; no chunk may change meanwhile.
    pub completing: bool,
    /// When the completing request last showed it was alive.
    pub claimed_at: Option<i64>,
    /// The upload completed; the row stays a while so that late retries of
    /// its chunks are recognised.
    pub completed: bool,
    /// How many distinct indexes arrived.
    pub received_chunks: i32,
    /// Bytes of the chunks that arrived.
    pub received_bytes: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The upload replaces the share's content (`PUT`), rather than giving
    /// it its first content (`POST`).
    pub replaces: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
