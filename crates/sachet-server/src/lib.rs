//! The Sachet HTTP API: typed poem-openapi endpoints over the metadata store
//! and the blob store, with JWT authentication, the JSON error envelope,
//! CORS, request logging and range serving.
//!
//! [`app`] builds the whole HTTP application; [`openapi_document`] renders
//! its OpenAPI document without serving it.

pub mod api;
pub mod auth;
pub mod cleanup;
pub mod error;
pub mod http;
mod logging;
pub mod state;
mod upload;

use std::sync::Arc;

use poem::{
    Endpoint, EndpointExt, IntoEndpoint, Request, Response, Route,
    http::{Method, header},
    middleware::Cors,
};

pub use cleanup::{CleanupPolicy, CleanupReport};
pub use state::{AppState, Limits};

/// Which browser origins may call the API.
#[derive(Clone, Debug, Default)]
pub struct CorsOrigins(pub Vec<String>);

/// The whole HTTP application: the API, its document at `/openapi.json`,
/// Swagger UI at `/swagger`, CORS and request logging.
pub fn app(state: AppState, origins: &CorsOrigins) -> impl Endpoint<Output = Response> + use<> {
    let service = api::service();
    let routes = Route::new()
        .at("/openapi.json", service.spec_endpoint())
        .at("/openapi.yaml", service.spec_endpoint_yaml())
        .nest("/swagger", service.swagger_ui())
        .nest("/", service.into_endpoint());

    let reserved = Arc::new(api::reserved_names(state.clone()));
    routes
        .around(move |inner, request| {
            let reserved = reserved.clone();
            async move {
                match reserved_user_name(&request) {
                    Some(name) => Ok(reserved.serve(&name, request).await),
                    None => inner
                        .call(request)
                        .await
                        .map(poem::IntoResponse::into_response),
                }
            }
        })
        .data(state)
        .catch_all_error(error::envelope_errors)
        .with(cors(origins))
        .catch_all_error(error::envelope_errors)
        .around(logging::log_requests)
}

/// The OpenAPI document, as JSON.
pub fn openapi_document() -> String {
    api::service().spec()
}

fn cors(origins: &CorsOrigins) -> Cors {
    let exposed = [
        header::CONTENT_DISPOSITION,
        header::CONTENT_RANGE,
        header::CONTENT_LENGTH,
        header::ACCEPT_RANGES,
        header::LOCATION,
        header::ETAG,
        header::LAST_MODIFIED,
    ];
    let cors = Cors::new().expose_headers(exposed).max_age(3600);
    match origins.0.is_empty() {
        true => cors,
        false => cors.allow_origins(origins.0.iter().map(String::as_str)),
    }
}

/// The name of a `/users/{name}` request that a static POST route of the
/// authentication operations would otherwise take.
fn reserved_user_name(request: &Request) -> Option<String> {
    if *request.method() == Method::POST || *request.method() == Method::OPTIONS {
        return None;
    }
    let name = request.uri().path().strip_prefix("/users/")?;
    sachet_core::Username::RESERVED
        .contains(&name)
        .then(|| name.to_owned())
}
