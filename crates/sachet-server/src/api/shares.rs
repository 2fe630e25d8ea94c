//! Shares and their metadata.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::MaybeUndefined,
};
use sachet_core::{Caller, FileName, Permission, PermissionSet};
use sachet_store::{ShareRecord, ShareUpdate, StoreError};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    ApiTags, Message, Success, Timestamp,
    model::{page_links, page_request},
};
use crate::{
    auth::AnyCaller,
    error::quoted,
    error::{ApiError, Fails, error_sets},
    http::{
        body::{JsonBody, OptionalJsonBody, Parsed},
        params::{PositiveInt, ShareId},
    },
    state::AppState,
};

error_sets! {
    /// Errors of `create_share`.
    CreateShareErrors = [400, 401, 403, 413, 415];
    /// Errors of `list_shares`.
    ListSharesErrors = [400, 401, 403, 404];
    /// Errors of `read_share`, `lock_share` and `unlock_share`.
    ShareErrors = [401, 403, 404];
    /// Errors of `patch_share` and `replace_share`.
    ChangeShareErrors = [400, 401, 403, 404, 413, 415, 423];
    /// Errors of `delete_share`.
    DeleteShareErrors = [401, 403, 404, 423];
}

/// A share: a named file, its owner and its state.
#[derive(Debug, Object)]
pub struct Share {
    /// The share's id.
    pub share_id: Uuid,
    /// The owner's username; `null` when anonymous callers own the share.
    #[oai(nullable)]
    pub owner_name: Option<String>,
    /// The file name, used for downloads.
    pub file_name: String,
    /// Whether content was uploaded.
    pub initialized: bool,
    /// Whether the share is locked against changes and deletion.
    pub locked: bool,
    /// When the share was created.
    pub create_date: Timestamp,
    /// Bytes of the current content; `null` before the first upload.
    #[oai(nullable)]
    pub size: Option<u64>,
    /// Media type of the content, from the file name; `null` before the
    /// first upload.
    #[oai(nullable)]
    pub content_type: Option<String>,
}

impl From<ShareRecord> for Share {
    fn from(share: ShareRecord) -> Share {
        let content_type = share.initialized.then(|| content_type_of(&share.file_name));
        Share {
            share_id: share.id,
            owner_name: share.owner_name,
            file_name: share.file_name,
            initialized: share.initialized,
            locked: share.locked,
            create_date: Timestamp(share.create_date),
            size: share.size,
            content_type,
        }
    }
}

/// The media type served for a file name.
pub fn content_type_of(file_name: &str) -> String {
    mime_guess::from_path(file_name)
        .first_or_octet_stream()
        .essence_str()
        .to_owned()
}

/// A new share. The owner is always the caller.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
pub struct NewShare {
    /// The file name: 1 to 255 characters without control characters; the
    /// share's id when absent or `null`.
    #[oai(
        nullable,
        validator(
            min_length = 1,
            max_length = 255,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub file_name: Option<String>,
}

impl poem_openapi::types::Example for NewShare {
    fn example() -> NewShare {
        NewShare {
            file_name: Some("report.pdf".into()),
        }
    }
}

/// Read-only fields of a share. A client may send them back unchanged (a
/// share read with GET, changed and sent back with PUT); any other value is
/// refused with 400. The document marks them `readOnly`.
#[derive(Debug, Default, Object, Deserialize)]
pub struct ShareReadOnly {
    /// Read-only.
    #[oai(read_only)]
    #[serde(default)]
    pub share_id: MaybeUndefined<Uuid>,
    /// Read-only.
    #[oai(read_only)]
    #[serde(default)]
    pub initialized: MaybeUndefined<bool>,
    /// Read-only.
    #[oai(read_only)]
    #[serde(default)]
    pub locked: MaybeUndefined<bool>,
    /// Read-only.
    #[oai(read_only)]
    #[serde(default)]
    pub create_date: MaybeUndefined<Timestamp>,
    /// Read-only.
    #[oai(read_only, nullable)]
    #[serde(default)]
    pub size: MaybeUndefined<u64>,
    /// Read-only.
    #[oai(read_only, nullable)]
    #[serde(default)]
    pub content_type: MaybeUndefined<String>,
}

/// Changes to a share; absent fields stay as they are.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
pub struct SharePatch {
    /// A new file name: 1 to 255 characters without control characters.
    #[oai(
        nullable,
        validator(
            min_length = 1,
            max_length = 255,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub file_name: Option<String>,
    /// A new owner, who must exist; `null` hands the share to anonymous
    /// callers.
    #[oai(nullable)]
    #[serde(default)]
    pub owner_name: MaybeUndefined<String>,
    #[oai(flatten)]
    #[serde(flatten)]
    pub read_only: ShareReadOnly,
}

impl poem_openapi::types::Example for SharePatch {
    fn example() -> SharePatch {
        SharePatch {
            file_name: Some("renamed.pdf".into()),
            owner_name: MaybeUndefined::Undefined,
            read_only: ShareReadOnly::default(),
        }
    }
}

/// A whole share's writable fields.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
pub struct ShareReplacement {
    /// The file name: 1 to 255 characters without control characters.
    #[oai(validator(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    ))]
    pub file_name: String,
    /// The owner, who must exist; `null` hands the share to anonymous
    /// callers. Required, even when `null`.
    #[oai(nullable)]
    #[serde(default)]
    pub owner_name: MaybeUndefined<String>,
    #[oai(flatten)]
    #[serde(flatten)]
    pub read_only: ShareReadOnly,
}

impl poem_openapi::types::Example for ShareReplacement {
    fn example() -> ShareReplacement {
        ShareReplacement {
            file_name: "report.pdf".into(),
            owner_name: MaybeUndefined::Value("alice".into()),
            read_only: ShareReadOnly::default(),
        }
    }
}

/// One page of shares.
#[derive(Debug, Object)]
pub struct SharePage {
    /// The shares of this page, oldest first.
    pub data: Vec<Share>,
    /// The previous page, if any.
    #[oai(nullable)]
    pub prev: Option<u64>,
    /// The next page, if any.
    #[oai(nullable)]
    pub next: Option<u64>,
    /// How many pages there are; 0 when there are no shares.
    pub pages: u64,
    /// How many shares there are.
    pub total: u64,
}

/// The answer to a share's creation: [`Created`] with the new share's id.
#[derive(Debug, Clone, Object)]
pub struct ShareCreated {
    /// Always `success`.
    pub status: String,
    /// The path of the new share, `/files/<share_id>`.
    pub url: String,
    /// The new share's id.
    pub share_id: Uuid,
}

/// The answer to a creation.
#[derive(Debug, ApiResponse)]
pub enum CreatedShare {
    /// The share was created, empty.
    #[oai(status = 201)]
    Created(Json<ShareCreated>, #[oai(header = "Location")] String),
}

/// Operations on shares.
#[derive(Debug)]
pub struct ShareApi;

const fn needs(permission: Permission) -> PermissionSet {
    PermissionSet::only(permission)
}

#[OpenApi(tag = "ApiTags::Shares")]
impl ShareApi {
    /// Create a share
    ///
    /// Creates an empty share owned by the caller (anonymous callers create
    /// anonymous-owned shares). Its content is uploaded next.
    #[oai(path = "/files", method = "post", operation_id = "create_share")]
    async fn create_share(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        body: OptionalJsonBody<NewShare>,
    ) -> Result<CreatedShare, Fails<CreateShareErrors>> {
        let caller = state.caller(&auth, needs(Permission::Create)).await?;
        let file_name = match body.parse()? {
            Some(parsed) => refuse_set_fields(parsed)?,
            None => None,
        };

        let created = state
            .store
            .create_share(caller.user_id(), file_name.as_ref().map(FileName::as_str))
            .await;
        let share = match created {
            Ok(share) => share,
            // The caller's account was deleted while the share was made.
            Err(StoreError::NotFound("referenced row")) => {
                return Err(ApiError::unauthorized("The token's user no longer exists.").into());
            }
            Err(err) => return Err(err.into()),
        };
        tracing::info!(share.id = %share.id, "share created");
        let url = format!("/files/{}", share.id);
        let created = ShareCreated {
            status: "success".into(),
            url: url.clone(),
            share_id: share.id,
        };
        Ok(CreatedShare::Created(Json(created), url))
    }

    /// List shares
    ///
    /// One page of every user's shares, oldest first.
    #[oai(path = "/files", method = "get", operation_id = "list_shares")]
    async fn list_shares(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        /// Page number, from 1.
        page: Query<PositiveInt>,
        /// Shares per page (default 15); larger values than the server's
        /// maximum are clamped to it.
        per_page: Query<PositiveInt>,
    ) -> Result<Json<SharePage>, Fails<ListSharesErrors>> {
        state.caller(&auth, needs(Permission::List)).await?;
        let request = page_request(&page.0, &per_page.0, state.limits.max_per_page)?;
        let list = state.store.list_shares(request).await?;
        let links = page_links(request, list.total)?;
        Ok(Json(SharePage {
            data: list.items.into_iter().map(Share::from).collect(),
            prev: links.prev,
            next: links.next,
            pages: links.pages,
            total: list.total,
        }))
    }

    /// Read a share
    #[oai(path = "/files/:id", method = "get", operation_id = "read_share")]
    async fn read_share(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        id: Path<ShareId>,
    ) -> Result<Json<Share>, Fails<ShareErrors>> {
        state.caller(&auth, needs(Permission::Read)).await?;
        let share = state.find_share(&id.0).await?;
        Ok(Json(share.into()))
    }

    /// Change a share
    ///
    /// Changes the given fields of a share the caller owns.
    #[oai(path = "/files/:id", method = "patch", operation_id = "patch_share")]
    async fn patch_share(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        id: Path<ShareId>,
        body: JsonBody<SharePatch>,
    ) -> Result<Json<Success>, Fails<ChangeShareErrors>> {
        let (caller, share) = Self::modifiable(&state, &auth, &id.0).await?;
        let body = body.parse().map(|parsed| parsed.value);
        let owner = match &body {
            Ok(patch) => Self::new_owner(&state, &patch.owner_name).await?,
            Err(_) => None,
        };
        check_unlocked(&share)?;
        let patch = body?;
        check_read_only(&share, &patch.read_only)?;

        let update = ShareUpdate {
            file_name: patch
                .file_name
                .map(FileName::parse)
                .transpose()?
                .map(FileName::into_string),
            owner,
        };
        Self::update(&state, &caller, &share, update).await
    }

    /// Replace a share
    ///
    /// Sets the file name and owner of a share the caller owns.
    #[oai(path = "/files/:id", method = "put", operation_id = "replace_share")]
    async fn replace_share(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        id: Path<ShareId>,
        body: JsonBody<ShareReplacement>,
    ) -> Result<Json<Success>, Fails<ChangeShareErrors>> {
        let (caller, share) = Self::modifiable(&state, &auth, &id.0).await?;
        let body = body.parse().map(|parsed| parsed.value);
        let owner = match &body {
            Ok(whole) => Self::new_owner(&state, &whole.owner_name).await?,
            Err(_) => None,
        };
        check_unlocked(&share)?;
        let whole = body?;
        if whole.owner_name.is_undefined() {
            return Err(ApiError::bad_request(
                "Field `owner_name` is required; null hands the share to anonymous callers.",
            )
            .into());
        }
        check_read_only(&share, &whole.read_only)?;

        let update = ShareUpdate {
            file_name: Some(FileName::parse(whole.file_name)?.into_string()),
            owner,
        };
        Self::update(&state, &caller, &share, update).await
    }

    /// Delete a share
    ///
    /// Deletes any unlocked share, with its content.
    #[oai(path = "/files/:id", method = "delete", operation_id = "delete_share")]
    async fn delete_share(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        id: Path<ShareId>,
    ) -> Result<Json<Success>, Fails<DeleteShareErrors>> {
        state.caller(&auth, needs(Permission::Delete)).await?;
        let id = id.0.get()?;
        let blobs = state.store.delete_share(id, state.doom_time()).await?;
        tracing::info!(share.id = %id, "share deleted");
        state.remove_blobs(blobs).await;
        Ok(Json(Success::new()))
    }

    /// Lock a share
    ///
    /// A locked share cannot be changed or deleted. Locking is idempotent.
    #[oai(path = "/files/:id/lock", method = "post", operation_id = "lock_share")]
    async fn lock_share(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        id: Path<ShareId>,
    ) -> Result<Json<Message>, Fails<ShareErrors>> {
        state.caller(&auth, needs(Permission::Lock)).await?;
        state.store.set_locked(id.0.get()?, true).await?;
        Ok(Json(Message::new("Share has been locked.")))
    }

    /// Unlock a share
    #[oai(
        path = "/files/:id/unlock",
        method = "post",
        operation_id = "unlock_share"
    )]
    async fn unlock_share(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        id: Path<ShareId>,
    ) -> Result<Json<Message>, Fails<ShareErrors>> {
        state.caller(&auth, needs(Permission::Lock)).await?;
        state.store.set_locked(id.0.get()?, false).await?;
        Ok(Json(Message::new("Share has been unlocked.")))
    }
}

impl ShareApi {
    /// The caller and the share, once MODIFY, existence and ownership hold.
    async fn modifiable(
        state: &AppState,
        auth: &AnyCaller,
        id: &ShareId,
    ) -> Result<(Caller, ShareRecord), ApiError> {
        let caller = state.caller(auth, needs(Permission::Modify)).await?;
        let share = state.find_share(id).await?;
        if !caller.owns(share.owner_id) {
            return Err(ApiError::forbidden("Share must be modified by its owner."));
        }
        Ok((caller, share))
    }

    /// The owner an `owner_name` field names: `None` when absent.
    async fn new_owner(
        state: &AppState,
        owner_name: &MaybeUndefined<String>,
    ) -> Result<Option<Option<sachet_core::UserId>>, ApiError> {
        match owner_name {
            MaybeUndefined::Undefined => Ok(None),
            MaybeUndefined::Null => Ok(Some(None)),
            MaybeUndefined::Value(name) => match state.store.user_by_name(name).await? {
                Some(user) => Ok(Some(Some(user.id))),
                None => Err(ApiError::bad_request(format!(
                    "Owner {} does not exist.",
                    quoted(name)
                ))),
            },
        }
    }

    async fn update(
        state: &AppState,
        caller: &Caller,
        share: &ShareRecord,
        update: ShareUpdate,
    ) -> Result<Json<Success>, Fails<ChangeShareErrors>> {
        let transferred = update.owner.is_some();
        match state.store.update_share(share.id, update).await {
            Ok(()) => {}
            Err(StoreError::NotFound("referenced row")) => {
                return Err(ApiError::bad_request("The new owner no longer exists.").into());
            }
            Err(err) => return Err(err.into()),
        }
        if transferred {
            tracing::info!(share.id = %share.id, by = ?caller.username(), "share transferred");
        }
        Ok(Json(Success::new()))
    }
}

impl AppState {
    /// The share a path names, or the contract's 404.
    pub async fn find_share(&self, id: &ShareId) -> Result<ShareRecord, ApiError> {
        let id = id.get()?;
        self.store.share(id).await?.ok_or_else(ApiError::no_share)
    }

    /// Removes blobs nothing refers to any more. A failure leaves an orphan
    /// for the cleanup task, so it is logged, not returned.
    pub async fn remove_blobs(&self, keys: impl IntoIterator<Item = String>) {
        for key in keys {
            let removed = match sachet_blob::BlobKey::parse(&key) {
                Ok(key) => self.blobs.delete(&key).await,
                Err(err) => Err(err),
            };
            if let Err(err) = removed {
                tracing::warn!(blob = %key, error = %err, "removing a blob failed; cleanup will retry");
            }
        }
    }
}

fn check_unlocked(share: &ShareRecord) -> Result<(), ApiError> {
    match share.locked {
        true => Err(ApiError::locked("Share is locked.")),
        false => Ok(()),
    }
}

/// Refuses fields a creation cannot set, and validates the file name.
fn refuse_set_fields(parsed: Parsed<NewShare>) -> Result<Option<FileName>, ApiError> {
    if parsed.has("owner_name") {
        return Err(ApiError::bad_request(
            "Field `owner_name` cannot be set: a new share belongs to its creator.",
        ));
    }
    const READ_ONLY: [&str; 6] = [
        "share_id",
        "initialized",
        "locked",
        "create_date",
        "size",
        "content_type",
    ];
    if let Some(field) = READ_ONLY.iter().find(|field| parsed.has(field)) {
        return Err(ApiError::bad_request(format!(
            "Field `{field}` is read-only."
        )));
    }
    Ok(parsed.value.file_name.map(FileName::parse).transpose()?)
}

/// Accepts read-only fields only with their current values.
fn check_read_only(share: &ShareRecord, sent: &ShareReadOnly) -> Result<(), ApiError> {
    let current = Share::from(share.clone());
    let differs = |field: &str| {
        Err(ApiError::bad_request(format!(
            "Field `{field}` is read-only: send it only with its current value."
        )))
    };
    if !matches_nullable(&sent.share_id, &Some(current.share_id)) {
        return differs("share_id");
    }
    if !matches_nullable(&sent.initialized, &Some(current.initialized)) {
        return differs("initialized");
    }
    if !matches_nullable(&sent.locked, &Some(current.locked)) {
        return differs("locked");
    }
    if !matches_nullable(&sent.create_date, &Some(current.create_date)) {
        return differs("create_date");
    }
    if !matches_nullable(&sent.size, &current.size) {
        return differs("size");
    }
    if !matches_nullable(&sent.content_type, &current.content_type) {
        return differs("content_type");
    }
    Ok(())
}

fn matches_nullable<T: PartialEq>(sent: &MaybeUndefined<T>, current: &Option<T>) -> bool {
    match sent {
        MaybeUndefined::Undefined => true,
        MaybeUndefined::Null => current.is_none(),
        MaybeUndefined::Value(value) => current.as_ref() == Some(value),
    }
}
