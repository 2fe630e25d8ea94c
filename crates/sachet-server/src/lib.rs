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
    let document = openapi_document();
    let routes = Dispatch {
        allow: http::allow::Routes::from_document(&document),
        reserved: api::reserved_names(state.clone()),
        documents: documents(&service, document),
        api: service.into_endpoint(),
    };
    routes
        .data(state)
        .with(cors(origins))
        .catch_all_error(error::envelope_errors)
        .around(logging::log_requests)
}

/// The OpenAPI document, as JSON.
pub fn openapi_document() -> String {
    serde_json::to_string_pretty(&api::document()).expect("a JSON value renders")
}

/// `/openapi.json`, `/openapi.yaml` and Swagger UI at `/swagger`, all
/// showing the completed document (see [`api::document`]).
fn documents<T: poem_openapi::OpenApi>(
    service: &poem_openapi::OpenApiService<T, ()>,
    json: String,
) -> Route {
    let value: serde_json::Value = serde_json::from_str(&json).expect("the document is JSON");
    let yaml = serde_yaml::to_string(&value).expect("a JSON value renders as YAML");
    // Swagger UI's page embeds the document poem-openapi derived; it is
    // swapped for the completed one.
    let swagger = service
        .swagger_ui_html()
        .replacen(&service.spec(), &json, 1);
    let serve = |content_type: &'static str, body: String| {
        poem::endpoint::make_sync(move |_| {
            Response::builder()
                .content_type(content_type)
                .body(body.clone())
        })
    };
    Route::new()
        .at("/openapi.json", serve("application/json", json))
        .at("/openapi.yaml", serve("application/yaml", yaml))
        .at(
            "/swagger",
            serve("text/html; charset=utf-8", swagger.clone()),
        )
        .at("/swagger/", serve("text/html; charset=utf-8", swagger))
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

/// Sends each request to its handler and turns every error into the JSON
/// envelope: document paths to their routes, the methods of `/users/{name}`
/// for the names the authentication routes take, everything else to the API.
///
/// The API is not nested under a route: a nested router refuses a path whose
/// rest does not decode to UTF-8 with a 400 of its own, where the contract
/// wants a missing share.
struct Dispatch<A> {
    allow: http::allow::Routes,
    reserved: api::ReservedNames,
    documents: Route,
    api: A,
}

impl<A: Endpoint> Endpoint for Dispatch<A> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        let path = request.uri().path().to_owned();
        let is_document = matches!(
            path.as_str(),
            "/openapi.json" | "/openapi.yaml" | "/swagger"
        ) || path.starts_with("/swagger/");
        let answer = match (is_document, reserved_user_name(&request)) {
            (true, _) => self.documents.call(request).await,
            (false, Some(name)) => Ok(self.reserved.serve(&name, request).await),
            (false, None) => self
                .api
                .call(request)
                .await
                .map(poem::IntoResponse::into_response),
        };
        let mut response = match answer {
            Ok(response) => response,
            Err(err) => error::envelope_errors(err).await,
        };
        if response.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED
            && let Some(methods) = self.allow.allowed(&path)
            && let Ok(value) = poem::http::HeaderValue::from_str(&methods)
        {
            response.headers_mut().insert(header::ALLOW, value);
        }
        // No answer is to be sniffed into another type: JSON errors and
        // 416s included, not only content.
        response
            .headers_mut()
            .entry(header::X_CONTENT_TYPE_OPTIONS)
            .or_insert(poem::http::HeaderValue::from_static("nosniff"));
        Ok(response)
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
