//! The HTTP API: one module per resource, each an `#[OpenApi]` impl whose
//! operations are documented in the generated OpenAPI document.
//!
//! Handlers read as the contract's steps, in its order: resolve the caller
//! and check permissions, find the resource, check ownership and locks, and
//! only then read the body.

mod content;
mod model;
mod session;
mod settings;
mod shares;
mod system;
mod users;

use poem_openapi::{OpenApiService, Tags};
use serde_json::{Map, Value, json};

use crate::state::AppState;

pub use model::{Message, Success, Timestamp};

/// Serves `/users/{name}` for the names the authentication routes reserve.
#[derive(Debug)]
pub struct ReservedNames(AppState);

/// The handler of reserved user names.
pub fn reserved_names(state: AppState) -> ReservedNames {
    ReservedNames(state)
}

impl ReservedNames {
    /// Answers a request for the user `name` whatever the method but POST.
    pub async fn serve(&self, name: &str, mut request: poem::Request) -> poem::Response {
        let body = request.take_body();
        users::UserApi
            .serve_reserved_name(&self.0, name, request, body)
            .await
    }
}

/// The groups of operations in the document.
#[derive(Debug, Tags)]
pub enum ApiTags {
    /// Tokens: log in, renew, log out, change a password.
    Auth,
    /// User accounts.
    Users,
    /// Server-wide settings.
    Settings,
    /// Shares and their metadata.
    Shares,
    /// The content of shares: chunked uploads and downloads.
    Content,
    /// Health of the server.
    System,
}

/// Every operation of the API.
pub type Api = (
    session::SessionApi,
    users::UserApi,
    settings::SettingsApi,
    shares::ShareApi,
    content::ContentApi,
    system::SystemApi,
);

/// The API with its document's metadata. Handlers find the [`AppState`]
/// in the request data, so the document needs no running backends.
pub fn service() -> OpenApiService<Api, ()> {
    let api = (
        session::SessionApi,
        users::UserApi,
        settings::SettingsApi,
        shares::ShareApi,
        content::ContentApi,
        system::SystemApi,
    );
    OpenApiService::new(api, "Sachet", env!("CARGO_PKG_VERSION"))
        .description(DESCRIPTION)
        .license(poem_openapi::LicenseObject::new("MIT OR Apache-2.0"))
}

/// The OpenAPI document as served and committed: what poem-openapi derives
/// from the typed endpoints, completed with what its attributes cannot say.
pub fn document() -> Value {
    let mut document: Value =
        serde_json::from_str(&service().spec()).expect("poem-openapi renders its document as JSON");
    complete(&mut document);
    document
}

/// Operations that take a share's `id`, reached from the share's creation.
const SHARE_OPERATIONS: [&str; 10] = [
    "read_share",
    "patch_share",
    "replace_share",
    "delete_share",
    "lock_share",
    "unlock_share",
    "upload_content",
    "replace_content",
    "read_content",
    "head_content",
];

/// Operations that take a `username`, reached from the user's creation.
/// Not PATCH and PUT: a rename would leave the links that follow pointing
/// at a name that no longer exists.
const USER_OPERATIONS: [&str; 3] = ["read_user", "delete_user", "revoke_user_tokens"];

/// Adds to the derived document:
/// - `owner_name` as required in a share replacement (it is required even
///   when `null`, which a `MaybeUndefined` field cannot say);
/// - OpenAPI links from the creation of a share or a user to the operations
///   on it, so that generated clients and testing tools can follow them.
fn complete(document: &mut Value) {
    if let Some(required) =
        document["components"]["schemas"]["ShareReplacement"]["required"].as_array_mut()
    {
        required.push(json!("owner_name"));
    }
    let links = |operations: &[&str], parameter: &str, expression: &str| -> Value {
        let links: Map<String, Value> = operations
            .iter()
            .map(|operation| {
                let link = json!({
                    "operationId": operation,
                    "parameters": { parameter: expression },
                });
                (operation.to_string(), link)
            })
            .collect();
        Value::Object(links)
    };
    document["paths"]["/files"]["post"]["responses"]["201"]["links"] =
        links(&SHARE_OPERATIONS, "id", "$response.body#/share_id");
    document["paths"]["/users"]["post"]["responses"]["201"]["links"] =
        links(&USER_OPERATIONS, "username", "$request.body#/username");
}

const DESCRIPTION: &str = "\
Sachet shares files among the users of a team and with the public. \
Clients sign in with `POST /users/login` and send the token as \
`Authorization: Bearer <token>`. Operations marked with optional security \
also admit anonymous callers when the server's anonymous permissions allow \
it. Every error answers with `{\"status\": \"fail\", \"message\": \"...\"}`.";
