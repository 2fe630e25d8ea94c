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
        .summary("Self-hosted file sharing")
        .description(DESCRIPTION)
        .license(poem_openapi::LicenseObject::new("MIT OR Apache-2.0"))
}

const DESCRIPTION: &str = "\
Sachet shares files among the users of a team and with the public. \
Clients sign in with `POST /users/login` and send the token as \
`Authorization: Bearer <token>`. Operations marked with optional security \
also admit anonymous callers when the server's anonymous permissions allow \
it. Every error answers with `{\"status\": \"fail\", \"message\": \"...\"}`.";
