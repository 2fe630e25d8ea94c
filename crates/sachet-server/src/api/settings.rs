//! Server-wide settings: the anonymous permissions.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, payload::Json};
use sachet_core::{Permission, PermissionSet};
use serde::Deserialize;

use super::{
    ApiTags, Success,
    model::{PermissionCode, permission_codes, permission_set},
};
use crate::{
    auth::AnyCaller,
    error::{Fails, error_sets},
    http::body::JsonBody,
    state::AppState,
};

error_sets! {
    /// Errors of `read_settings`.
    ReadSettingsErrors = [401, 403];
    /// Errors of `patch_settings` and `replace_settings`.
    ChangeSettingsErrors = [400, 401, 403, 413, 415];
}

/// The server's settings.
#[derive(Debug, Object)]
pub struct Settings {
    /// The permissions of callers that send no token.
    pub default_permissions: Vec<PermissionCode>,
}

/// Changes to the settings; absent (or `null`) fields stay as they are.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
pub struct SettingsPatch {
    /// The permissions of callers that send no token.
    #[oai(nullable)]
    pub default_permissions: Option<Vec<PermissionCode>>,
}

impl poem_openapi::types::Example for SettingsPatch {
    fn example() -> SettingsPatch {
        SettingsPatch {
            default_permissions: Some(vec![PermissionCode::Read]),
        }
    }
}

/// All of the settings.
#[derive(Debug, Object, Deserialize)]
#[oai(example)]
pub struct SettingsReplacement {
    /// The permissions of callers that send no token.
    pub default_permissions: Vec<PermissionCode>,
}

impl poem_openapi::types::Example for SettingsReplacement {
    fn example() -> SettingsReplacement {
        SettingsReplacement {
            default_permissions: vec![PermissionCode::Read, PermissionCode::List],
        }
    }
}

/// Operations on settings.
#[derive(Debug)]
pub struct SettingsApi;

const ADMIN: PermissionSet = PermissionSet::only(Permission::Admin);

#[OpenApi(tag = "ApiTags::Settings")]
impl SettingsApi {
    /// Read the settings
    #[oai(
        path = "/admin/settings",
        method = "get",
        operation_id = "read_settings"
    )]
    async fn read_settings(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
    ) -> Result<Json<Settings>, Fails<ReadSettingsErrors>> {
        state.caller(&auth, ADMIN).await?;
        let anonymous = state.store.anonymous_permissions().await?;
        Ok(Json(Settings {
            default_permissions: permission_codes(anonymous),
        }))
    }

    /// Change the settings
    ///
    /// Changes the given fields. Anonymous permissions apply to the next
    /// request, on every replica.
    #[oai(
        path = "/admin/settings",
        method = "patch",
        operation_id = "patch_settings"
    )]
    async fn patch_settings(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        body: JsonBody<SettingsPatch>,
    ) -> Result<Json<Success>, Fails<ChangeSettingsErrors>> {
        state.caller(&auth, ADMIN).await?;
        let patch = body.parse()?.value;
        if let Some(codes) = patch.default_permissions {
            Self::set_anonymous(&state, permission_set(&codes)).await?;
        }
        Ok(Json(Success::new()))
    }

    /// Replace the settings
    #[oai(
        path = "/admin/settings",
        method = "put",
        operation_id = "replace_settings"
    )]
    async fn replace_settings(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        body: JsonBody<SettingsReplacement>,
    ) -> Result<Json<Success>, Fails<ChangeSettingsErrors>> {
        state.caller(&auth, ADMIN).await?;
        let whole = body.parse()?.value;
        Self::set_anonymous(&state, permission_set(&whole.default_permissions)).await?;
        Ok(Json(Success::new()))
    }
}

impl SettingsApi {
    async fn set_anonymous(
        state: &AppState,
        permissions: PermissionSet,
    ) -> Result<(), sachet_store::StoreError> {
        state.store.set_anonymous_permissions(permissions).await?;
        tracing::info!(permissions = ?permissions, "anonymous permissions changed");
        Ok(())
    }
}
