//! Liveness and readiness of the server.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

use super::ApiTags;
use crate::state::AppState;

/// The state of the server.
#[derive(Debug, Object)]
pub struct Health {
    /// `ok` when everything checked works, else `unavailable`.
    pub status: String,
    /// Whether the database answers (readiness only).
    #[oai(skip_serializing_if_is_none)]
    pub database: Option<bool>,
    /// Whether the blob store answers and accepts writes (readiness only).
    #[oai(skip_serializing_if_is_none)]
    pub storage: Option<bool>,
}

/// Readiness, with a status a load balancer can use.
#[derive(Debug, ApiResponse)]
pub enum Readiness {
    /// The database and the blob store work.
    #[oai(status = 200)]
    Ready(Json<Health>),
    /// The database or the blob store does not work.
    #[oai(status = 503)]
    Unavailable(Json<Health>),
}

/// Operations on the server itself.
#[derive(Debug)]
pub struct SystemApi;

#[OpenApi(tag = "ApiTags::System")]
impl SystemApi {
    /// Liveness
    ///
    /// Answers as long as the process serves requests.
    #[oai(path = "/health", method = "get", operation_id = "health")]
    async fn health(&self) -> Json<Health> {
        Json(Health {
            status: "ok".into(),
            database: None,
            storage: None,
        })
    }

    /// Readiness
    ///
    /// Checks that the database and the blob store can be reached.
    #[oai(path = "/ready", method = "get", operation_id = "ready")]
    async fn ready(&self, state: Data<&AppState>) -> Readiness {
        let (database, storage) = tokio::join!(state.store.ping(), state.blobs.check());
        if let Err(err) = &database {
            crate::error::log_chain("readiness: database", err);
        }
        if let Err(err) = &storage {
            crate::error::log_chain("readiness: blob store", err);
        }
        let health = Health {
            status: if database.is_ok() && storage.is_ok() {
                "ok"
            } else {
                "unavailable"
            }
            .into(),
            database: Some(database.is_ok()),
            storage: Some(storage.is_ok()),
        };
        match health.status.as_str() {
            "ok" => Readiness::Ready(Json(health)),
            _ => Readiness::Unavailable(Json(health)),
        }
    }
}
