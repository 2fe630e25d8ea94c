//! Tokens: log in, renew, log out, change one's password.

use poem::{
    http::{HeaderValue, header},
    web::{Data, RemoteAddr},
};
use poem_openapi::{Object, OpenApi, payload::Json};
use sachet_core::{Caller, Password, Permission, PermissionSet, Username};
use serde::Deserialize;

use super::{ApiTags, Message};
use crate::{
    auth::{TokenError, TokenRefusal, UserOnly},
    error::{ApiError, Fails, error_sets},
    http::body::JsonBody,
    state::AppState,
};

error_sets! {
    /// Errors of `login`.
    LoginErrors = [400, 401, 413, 415, 429];
    /// Errors of `extend_token`.
    ExtendErrors = [401];
    /// Errors of `logout`.
    LogoutErrors = [400, 401, 403, 413, 415];
    /// Errors of `change_password`.
    PasswordErrors = [400, 401, 403, 413, 415];
}

/// Credentials to log in with.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
pub struct LoginRequest {
    /// The username.
    pub username: String,
    /// The password.
    pub password: String,
}

impl poem_openapi::types::Example for LoginRequest {
    fn example() -> LoginRequest {
        LoginRequest {
            username: "admin".into(),
            password: "correct horse battery staple".into(),
        }
    }
}

/// A new token.
#[derive(Debug, Object)]
pub struct TokenAnswer {
    /// Always `success`.
    pub status: String,
    /// What happened.
    pub message: String,
    /// The user the token belongs to.
    pub username: String,
    /// The token, to send as `Authorization: Bearer <token>`.
    pub auth_token: String,
}

/// The token to revoke.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
pub struct LogoutRequest {
    /// A token issued by this server.
    pub token: String,
}

impl poem_openapi::types::Example for LogoutRequest {
    fn example() -> LogoutRequest {
        LogoutRequest {
            token: "eyJhbGciOiJIUzI1NiJ9.e30.signature".into(),
        }
    }
}

/// A password change.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
pub struct PasswordChange {
    /// The current password.
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub old: String,
    /// The new password: 1 to 1024 characters.
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub new: String,
}

impl poem_openapi::types::Example for PasswordChange {
    fn example() -> PasswordChange {
        PasswordChange {
            old: "correct horse battery staple".into(),
            new: "tr0ub4dor&3".into(),
        }
    }
}

/// Operations on tokens.
#[derive(Debug)]
pub struct SessionApi;

#[OpenApi(tag = "ApiTags::Auth")]
impl SessionApi {
    /// Log in
    ///
    /// Exchanges a username and password for a token. An unknown user and a
    /// wrong password get the same answer, in the same time. Repeated
    /// failures for one username or from one client address are refused for
    /// a while (429 with `Retry-After`).
    #[oai(path = "/users/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        remote: &RemoteAddr,
        body: JsonBody<LoginRequest>,
    ) -> Result<Json<TokenAnswer>, Fails<LoginErrors>> {
        let request = body.parse()?.value;
        let throttle = Throttle::new(&request.username, remote);
        throttle.begin(&state).await?;

        let user = state.store.user_by_name(&request.username).await?;
        let verified = match Password::parse(request.password) {
            Ok(password) => {
                let hash = user.as_ref().map(|user| user.password_hash.clone());
                state
                    .passwords
                    .verify(password, hash)
                    .await
                    .map_err(internal)?
            }
            Err(_) => false,
        };
        let Some(user) = user.filter(|_| verified) else {
            return Err(ApiError::unauthorized("Invalid credentials.").into());
        };
        throttle.succeeded(&state).await?;

        let answer = Self::token_answer(&state, &user.username, user.id, "Logged in.")?;
        tracing::info!(user.name = %user.username, "logged in");
        Ok(Json(answer))
    }

    /// Renew a token
    ///
    /// Issues a new token to the caller. The token used for the request is
    /// not revoked: it keeps working until it expires or is logged out.
    #[oai(path = "/users/extend", method = "post", operation_id = "extend_token")]
    async fn extend_token(
        &self,
        state: Data<&AppState>,
        auth: UserOnly,
    ) -> Result<Json<TokenAnswer>, Fails<ExtendErrors>> {
        let caller = state.user(&auth, PermissionSet::EMPTY).await?;
        let (name, id) = signed_in(&caller)?;
        Ok(Json(Self::token_answer(
            &state,
            name,
            id,
            "Renewed token.",
        )?))
    }

    /// Log out
    ///
    /// Revokes a token everywhere, for good. Users revoke their own tokens;
    /// admins may revoke anyone's.
    #[oai(path = "/users/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        auth: UserOnly,
        body: JsonBody<LogoutRequest>,
    ) -> Result<Json<Message>, Fails<LogoutErrors>> {
        let caller = state.user(&auth, PermissionSet::EMPTY).await?;
        let request = body.parse()?.value;

        let claims = match state.tokens.verify(&request.token) {
            Ok(claims) => claims,
            Err(TokenError::Expired) => {
                return Err(ApiError::bad_request("Token has already expired.").into());
            }
            Err(TokenError::Invalid) => {
                return Err(ApiError::bad_request("Not a valid token.").into());
            }
        };
        let is_admin = caller.permissions().contains(Permission::Admin);
        if caller.user_id() != Some(claims.user_id()) && !is_admin {
            return Err(ApiError::forbidden("You may only revoke your own tokens.").into());
        }
        // A token that no longer works for another reason is revoked already.
        if let Err(refusal) = state.check_token(&request.token).await? {
            return Err(ApiError::bad_request(match refusal {
                TokenRefusal::UserGone => "Token no longer works: its user is gone.",
                _ => "Token is already revoked.",
            })
            .into());
        }
        // Kept a day past the expiry: longer than any allowed clock leeway,
        // so the token cannot pass again once the record is gone.
        let keep_until = claims.expires_at() + chrono::Duration::days(1);
        match state.store.revoke_token(&claims.jti, keep_until).await {
            Ok(()) => Ok(Json(Message::new("Token revoked."))),
            Err(sachet_store::StoreError::Conflict(_)) => {
                Err(ApiError::bad_request("Token is already revoked.").into())
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Change one's password
    ///
    /// Existing tokens stay valid (log them out to revoke them), unless the
    /// server is configured to revoke them on a password change.
    #[oai(
        path = "/users/password",
        method = "post",
        operation_id = "change_password"
    )]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        auth: UserOnly,
        body: JsonBody<PasswordChange>,
    ) -> Result<Json<Message>, Fails<PasswordErrors>> {
        let caller = state.user(&auth, PermissionSet::EMPTY).await?;
        let (_, id) = signed_in(&caller)?;
        let request = body.parse()?.value;
        if request.old.is_empty() {
            return Err(ApiError::bad_request("Field `old` must not be empty.").into());
        }
        let new = Password::parse(request.new)
            .map_err(|err| ApiError::bad_request(format!("Field `new`: {err}.")))?;

        let user = state
            .store
            .user_by_id(id)
            .await?
            .ok_or_else(ApiError::internal)?;
        let old_matches = match Password::parse(request.old) {
            Ok(old) => state
                .passwords
                .verify(old, Some(user.password_hash))
                .await
                .map_err(internal)?,
            Err(_) => false,
        };
        if !old_matches {
            return Err(ApiError::forbidden("The old password is wrong.").into());
        }

        let hash = state.passwords.hash(new).await.map_err(internal)?;
        let update = sachet_store::UserUpdate {
            password_hash: Some(hash),
            ..Default::default()
        };
        state.store.update_user(id, update).await?;
        if state.limits.revoke_tokens_on_password_change {
            state
                .store
                .set_tokens_valid_after(id, chrono::Utc::now())
                .await?;
        }
        tracing::info!(user.name = %user.username, "password changed");
        Ok(Json(Message::new("Password changed.")))
    }
}

impl SessionApi {
    fn token_answer(
        state: &AppState,
        username: &str,
        id: sachet_core::UserId,
        message: &str,
    ) -> Result<TokenAnswer, ApiError> {
        let (token, _) = state.tokens.issue(username, id).map_err(internal)?;
        Ok(TokenAnswer {
            status: "success".into(),
            message: message.into(),
            username: username.into(),
            auth_token: token,
        })
    }
}

/// The keys failed logins are counted under: the username (when it could
/// be one) and the client address.
struct Throttle {
    user: Option<String>,
    address: Option<String>,
}

impl Throttle {
    fn new(username: &str, remote: &RemoteAddr) -> Throttle {
        Throttle {
            user: Username::parse(username)
                .ok()
                .map(|name| format!("user:{name}")),
            address: remote
                .as_socket_addr()
                .map(|addr| format!("addr:{}", addr.ip())),
        }
    }

    /// Counts the attempt against both keys before the password is
    /// checked, or refuses it while a key is blocked.
    async fn begin(&self, state: &AppState) -> Result<(), ApiError> {
        let keys = [
            (&self.user, state.limits.logins_per_user),
            (&self.address, state.limits.logins_per_address),
        ];
        for (key, limit) in keys {
            let Some(key) = key else { continue };
            if let Some(until) = state.store.begin_login_attempt(key, limit).await? {
                return Err(too_many(until));
            }
        }
        Ok(())
    }

    /// Takes back the counts of a successful attempt: the username starts
    /// afresh, the address loses this one attempt.
    async fn succeeded(&self, state: &AppState) -> Result<(), ApiError> {
        if let Some(key) = &self.user {
            state.store.clear_login_failures(key).await?;
        }
        if let Some(key) = &self.address {
            state.store.end_login_attempt(key).await?;
        }
        Ok(())
    }
}

/// The 429 of a blocked key.
fn too_many(until: chrono::DateTime<chrono::Utc>) -> ApiError {
    let millis = (until - chrono::Utc::now()).num_milliseconds().max(0) as u64;
    let seconds = millis.div_ceil(1000).max(1);
    ApiError::new(
        poem::http::StatusCode::TOO_MANY_REQUESTS,
        format!("Too many failed logins: try again in {seconds} seconds."),
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from(seconds))
}

/// The name and id of a signed-in caller.
fn signed_in(caller: &Caller) -> Result<(&str, sachet_core::UserId), ApiError> {
    match caller {
        Caller::User { id, name, .. } => Ok((name.as_str(), *id)),
        Caller::Anonymous { .. } => Err(ApiError::unauthorized("Authentication required.")),
    }
}

/// Logs an unexpected failure and hides it from the client.
pub(super) fn internal(err: impl std::error::Error) -> ApiError {
    crate::error::log_chain("unexpected failure", &err);
    ApiError::internal()
}
