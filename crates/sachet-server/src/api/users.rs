//! User accounts, and `whoami`.

use poem::web::Data;
use poem::{IntoResponse, Request, Response, http::Method};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::MaybeUndefined,
};
use sachet_core::{Password, Permission, PermissionSet, Username};
use sachet_store::{StoreError, UserRecord, UserUpdate};
use serde::Deserialize;

use super::{
    ApiTags, Success, Timestamp,
    model::{Created, PermissionCode, page_links, page_request, permission_codes, permission_set},
    session::internal,
};
use crate::{
    auth::{AnyCaller, Credential, UserOnly},
    error::quoted,
    error::{ApiError, Fails, error_sets},
    http::{
        body::JsonBody,
        params::{PathName, PositiveInt},
        percent,
    },
    state::AppState,
};

error_sets! {
    /// Errors of `read_user`.
    ReadUserErrors = [401, 403];
    /// Errors of `patch_user` and `replace_user`.
    ChangeUserErrors = [400, 401, 403, 404, 409, 413, 415];
    /// Errors of `delete_user`.
    DeleteUserErrors = [401, 403, 404];
    /// Errors of `list_users`.
    ListUsersErrors = [400, 401, 403, 404];
    /// Errors of `create_user`.
    CreateUserErrors = [400, 401, 403, 409, 413, 415];
    /// Errors of `revoke_user_tokens`.
    RevokeTokensErrors = [401, 403, 404];
    /// Errors of `whoami`.
    WhoamiErrors = [401];
}

/// A user account.
#[derive(Debug, Object)]
pub struct User {
    /// The username.
    pub username: String,
    /// The user's permissions, in canonical order.
    pub permissions: Vec<PermissionCode>,
    /// When the account was created.
    pub register_date: Timestamp,
}

impl From<UserRecord> for User {
    fn from(user: UserRecord) -> User {
        User {
            username: user.username,
            permissions: permission_codes(user.permissions),
            register_date: Timestamp(user.register_date),
        }
    }
}

/// A new account.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
pub struct NewUser {
    /// 1 to 64 characters, no `/` or control characters, not `login`,
    /// `extend`, `logout` or `password`.
    #[oai(validator(
        min_length = 1,
        max_length = 64,
        pattern = "^[^/\\u0000-\\u001F\\u007F-\\u009F]*$"
    ))]
    pub username: String,
    /// The password: 1 to 1024 characters.
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub password: String,
    /// The permissions to grant.
    pub permissions: Vec<PermissionCode>,
}

impl poem_openapi::types::Example for NewUser {
    fn example() -> NewUser {
        NewUser {
            username: "alice".into(),
            password: "correct horse battery staple".into(),
            permissions: vec![
                PermissionCode::Create,
                PermissionCode::Modify,
                PermissionCode::Read,
            ],
        }
    }
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
pub struct UserPatch {
    /// A new name: the user's shares follow it, and tokens issued to the old
    /// name stop working.
    #[oai(
        nullable,
        validator(
            min_length = 1,
            max_length = 64,
            pattern = "^[^/\\u0000-\\u001F\\u007F-\\u009F]*$"
        )
    )]
    pub username: Option<String>,
    /// A new password: 1 to 1024 characters.
    #[oai(nullable, validator(min_length = 1, max_length = 1024))]
    pub password: Option<String>,
    /// New permissions.
    #[oai(nullable)]
    pub permissions: Option<Vec<PermissionCode>>,
    /// Read-only: accepted only with its current value.
    #[oai(read_only)]
    #[serde(default)]
    pub register_date: MaybeUndefined<Timestamp>,
}

impl poem_openapi::types::Example for UserPatch {
    fn example() -> UserPatch {
        UserPatch {
            username: None,
            password: None,
            permissions: Some(vec![PermissionCode::Read]),
            register_date: MaybeUndefined::Undefined,
        }
    }
}

/// A whole account; an absent password stays as it is.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
pub struct UserReplacement {
    /// The name: 1 to 64 characters, no `/` or control characters.
    #[oai(validator(
        min_length = 1,
        max_length = 64,
        pattern = "^[^/\\u0000-\\u001F\\u007F-\\u009F]*$"
    ))]
    pub username: String,
    /// A new password: 1 to 1024 characters; absent or `null` keeps the
    /// old one.
    #[oai(nullable, validator(min_length = 1, max_length = 1024))]
    pub password: Option<String>,
    /// The permissions.
    pub permissions: Vec<PermissionCode>,
    /// Read-only: accepted only with its current value.
    #[oai(read_only)]
    #[serde(default)]
    pub register_date: MaybeUndefined<Timestamp>,
}

impl poem_openapi::types::Example for UserReplacement {
    fn example() -> UserReplacement {
        UserReplacement {
            username: "alice".into(),
            password: None,
            permissions: vec![PermissionCode::Create, PermissionCode::Read],
            register_date: MaybeUndefined::Undefined,
        }
    }
}

/// One page of users.
#[derive(Debug, Object)]
pub struct UserPage {
    /// The users of this page, oldest first.
    pub data: Vec<User>,
    /// The previous page, if any.
    #[oai(nullable)]
    pub prev: Option<u64>,
    /// The next page, if any.
    #[oai(nullable)]
    pub next: Option<u64>,
    /// How many pages there are; 0 when there are no users.
    pub pages: u64,
    /// How many users there are.
    pub total: u64,
}

/// Who the caller is.
#[derive(Debug, Object)]
pub struct Whoami {
    /// The caller's username, or `null` for an anonymous caller.
    #[oai(nullable)]
    pub username: Option<String>,
    /// The caller's permissions; for an anonymous caller, the server's
    /// anonymous permissions.
    pub permissions: Vec<PermissionCode>,
}

/// The answer to a creation.
#[derive(Debug, ApiResponse)]
pub enum CreatedUser {
    /// The account was created.
    #[oai(status = 201)]
    Created(Json<Created>, #[oai(header = "Location")] String),
}

/// Operations on accounts.
#[derive(Debug)]
pub struct UserApi;

#[OpenApi(tag = "ApiTags::Users")]
impl UserApi {
    /// Read a user
    ///
    /// Users may read themselves; admins may read anyone. Any other request,
    /// including one for a user that does not exist, is refused alike.
    #[oai(path = "/users/:username", method = "get", operation_id = "read_user")]
    async fn read_user(
        &self,
        state: Data<&AppState>,
        auth: UserOnly,
        username: Path<PathName>,
    ) -> Result<Json<User>, Fails<ReadUserErrors>> {
        let caller = state.user(&auth, PermissionSet::EMPTY).await?;
        let refused = || ApiError::forbidden("You are not authorized to view this page.");
        let is_self = caller
            .username()
            .is_some_and(|name| name.as_str() == username.0.0);
        if !is_self && !caller.permissions().contains(Permission::Admin) {
            return Err(refused().into());
        }
        let user = state
            .store
            .user_by_name(&username.0.0)
            .await?
            .ok_or_else(refused)?;
        Ok(Json(user.into()))
    }

    /// Change a user
    ///
    /// Changes the given fields of an account.
    #[oai(
        path = "/users/:username",
        method = "patch",
        operation_id = "patch_user"
    )]
    async fn patch_user(
        &self,
        state: Data<&AppState>,
        auth: UserOnly,
        username: Path<PathName>,
        body: JsonBody<UserPatch>,
    ) -> Result<Json<Success>, Fails<ChangeUserErrors>> {
        state
            .user(&auth, PermissionSet::only(Permission::Admin))
            .await?;
        let user = Self::existing(&state, &username.0.0).await?;
        let patch = body.parse()?.value;
        let update = Self::user_update(
            &state,
            &user,
            patch.username,
            patch.password,
            patch.permissions,
            patch.register_date,
        )
        .await?;
        Self::apply(&state, &user, update).await?;
        Ok(Json(Success::new()))
    }

    /// Replace a user
    ///
    /// Sets every field of an account; an absent password stays as it is.
    #[oai(
        path = "/users/:username",
        method = "put",
        operation_id = "replace_user"
    )]
    async fn replace_user(
        &self,
        state: Data<&AppState>,
        auth: UserOnly,
        username: Path<PathName>,
        body: JsonBody<UserReplacement>,
    ) -> Result<Json<Success>, Fails<ChangeUserErrors>> {
        state
            .user(&auth, PermissionSet::only(Permission::Admin))
            .await?;
        let user = Self::existing(&state, &username.0.0).await?;
        let whole = body.parse()?.value;
        let update = Self::user_update(
            &state,
            &user,
            Some(whole.username),
            whole.password,
            Some(whole.permissions),
            whole.register_date,
        )
        .await?;
        Self::apply(&state, &user, update).await?;
        Ok(Json(Success::new()))
    }

    /// Delete a user
    ///
    /// The user's tokens stop working; the shares it owned are kept and
    /// become anonymous-owned.
    #[oai(
        path = "/users/:username",
        method = "delete",
        operation_id = "delete_user"
    )]
    async fn delete_user(
        &self,
        state: Data<&AppState>,
        auth: UserOnly,
        username: Path<PathName>,
    ) -> Result<Json<Success>, Fails<DeleteUserErrors>> {
        state
            .user(&auth, PermissionSet::only(Permission::Admin))
            .await?;
        let user = Self::existing(&state, &username.0.0).await?;
        state.store.delete_user(user.id).await.map_err(user_error)?;
        tracing::info!(user.name = %user.username, "user deleted");
        Ok(Json(Success::new()))
    }

    /// List users
    ///
    /// One page of the accounts, oldest first.
    #[oai(path = "/users", method = "get", operation_id = "list_users")]
    async fn list_users(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        /// Page number, from 1.
        page: Query<PositiveInt>,
        /// Users per page (default 15); larger values than the server's
        /// maximum are clamped to it.
        per_page: Query<PositiveInt>,
    ) -> Result<Json<UserPage>, Fails<ListUsersErrors>> {
        state
            .caller(&auth, PermissionSet::only(Permission::Admin))
            .await?;
        let request = page_request(&page.0, &per_page.0, state.limits.max_per_page)?;
        let list = state.store.list_users(request).await?;
        let links = page_links(request, list.total)?;
        Ok(Json(UserPage {
            data: list.items.into_iter().map(User::from).collect(),
            prev: links.prev,
            next: links.next,
            pages: links.pages,
            total: list.total,
        }))
    }

    /// Create a user
    #[oai(path = "/users", method = "post", operation_id = "create_user")]
    async fn create_user(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        body: JsonBody<NewUser>,
    ) -> Result<CreatedUser, Fails<CreateUserErrors>> {
        state
            .caller(&auth, PermissionSet::only(Permission::Admin))
            .await?;
        let parsed = body.parse()?;
        if parsed.has("register_date") {
            return Err(ApiError::bad_request("Field `register_date` is read-only.").into());
        }
        let new = parsed.value;
        let username = Username::parse(new.username)?;
        let password = Password::parse(new.password)?;
        let permissions = permission_set(&new.permissions);

        let hash = state.passwords.hash(password).await.map_err(internal)?;
        state
            .store
            .create_user(username.as_str(), &hash, permissions)
            .await
            .map_err(user_error)?;
        tracing::info!(user.name = %username, "user created");
        let url = format!("/users/{}", percent::encode(username.as_str()));
        Ok(CreatedUser::Created(Json(Created::new(url.clone())), url))
    }

    /// Revoke every token of a user
    ///
    /// Refuses, on every replica, all tokens issued to the user until now;
    /// new logins work as before. Users may do this for themselves ("log
    /// out everywhere"); admins for anyone.
    #[oai(
        path = "/users/:username/tokens",
        method = "delete",
        operation_id = "revoke_user_tokens"
    )]
    async fn revoke_user_tokens(
        &self,
        state: Data<&AppState>,
        auth: UserOnly,
        username: Path<PathName>,
    ) -> Result<Json<super::Message>, Fails<RevokeTokensErrors>> {
        let caller = state.user(&auth, PermissionSet::EMPTY).await?;
        let is_self = caller
            .username()
            .is_some_and(|name| name.as_str() == username.0.0);
        if !is_self && !caller.permissions().contains(Permission::Admin) {
            return Err(ApiError::forbidden("You may only revoke your own tokens.").into());
        }
        let user = Self::existing(&state, &username.0.0).await?;
        state
            .store
            .set_tokens_valid_after(user.id, chrono::Utc::now())
            .await
            .map_err(user_error)?;
        tracing::info!(user.name = %user.username, "all tokens revoked");
        Ok(Json(super::Message::new("Tokens revoked.")))
    }

    /// Who am I
    ///
    /// The caller's name and permissions; for an anonymous caller, `null` and
    /// the server's anonymous permissions.
    #[oai(path = "/whoami", method = "get", operation_id = "whoami")]
    async fn whoami(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
    ) -> Result<Json<Whoami>, Fails<WhoamiErrors>> {
        let caller = state.caller(&auth, PermissionSet::EMPTY).await?;
        Ok(Json(Whoami {
            username: caller.username().map(|name| name.as_str().to_owned()),
            permissions: permission_codes(caller.permissions()),
        }))
    }
}

impl UserApi {
    async fn existing(state: &AppState, username: &str) -> Result<UserRecord, ApiError> {
        state.store.user_by_name(username).await?.ok_or_else(|| {
            ApiError::not_found(format!("User {} does not exist.", quoted(username)))
        })
    }

    /// Validates the fields of a change against the current account.
    async fn user_update(
        state: &AppState,
        user: &UserRecord,
        username: Option<String>,
        password: Option<String>,
        permissions: Option<Vec<PermissionCode>>,
        register_date: MaybeUndefined<Timestamp>,
    ) -> Result<UserUpdate, ApiError> {
        let sent_date = match register_date {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(date) => Some(Some(date.0)),
        };
        if sent_date.is_some_and(|date| date != Some(user.register_date)) {
            return Err(ApiError::bad_request(
                "Field `register_date` is read-only: send it only with its current value.",
            ));
        }
        let username = username
            .filter(|name| *name != user.username)
            .map(Username::parse)
            .transpose()?;
        let password_hash = match password {
            Some(password) => {
                let password = Password::parse(password)?;
                Some(state.passwords.hash(password).await.map_err(internal)?)
            }
            None => None,
        };
        Ok(UserUpdate {
            username: username.map(Username::into_string),
            password_hash,
            permissions: permissions.map(|codes| permission_set(&codes)),
        })
    }

    async fn apply(
        state: &AppState,
        user: &UserRecord,
        update: UserUpdate,
    ) -> Result<(), ApiError> {
        let renamed = update.username.clone();
        state
            .store
            .update_user(user.id, update)
            .await
            .map_err(user_error)?;
        match renamed {
            Some(new) => {
                tracing::info!(user.name = %user.username, user.new_name = %new, "user renamed")
            }
            None => tracing::info!(user.name = %user.username, "user changed"),
        }
        Ok(())
    }

    /// Serves the methods of `/users/{username}` for the four names whose
    /// static POST routes shadow that path, so that a `GET /users/login` is a
    /// lookup of the user `login`, as the contract wants, and never a login.
    pub async fn serve_reserved_name(
        &self,
        state: &AppState,
        name: &str,
        request: Request,
        body: poem::Body,
    ) -> Response {
        let auth = UserOnly(Credential::from_request(&request));
        let username = Path(PathName(name.to_owned()));
        let mut request_body = poem::RequestBody::new(body);
        match *request.method() {
            Method::GET | Method::HEAD => {
                respond(self.read_user(Data(state), auth, username).await)
            }
            Method::DELETE => respond(self.delete_user(Data(state), auth, username).await),
            Method::PATCH => {
                let body = JsonBody::read(&request, &mut request_body).await;
                respond(self.patch_user(Data(state), auth, username, body).await)
            }
            Method::PUT => {
                let body = JsonBody::read(&request, &mut request_body).await;
                respond(self.replace_user(Data(state), auth, username, body).await)
            }
            _ => crate::error::envelope(
                poem::http::StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed on this route.",
            ),
        }
    }
}

fn respond<T: IntoResponse, E: IntoResponse>(result: Result<T, E>) -> Response {
    match result {
        Ok(answer) => answer.into_response(),
        Err(err) => err.into_response(),
    }
}

/// A conflicting name, or a user that vanished meanwhile.
fn user_error(err: StoreError) -> ApiError {
    match err {
        StoreError::Conflict(_) => ApiError::conflict("A user with that name already exists."),
        StoreError::NotFound(_) => ApiError::not_found("User does not exist."),
        err => err.into(),
    }
}
