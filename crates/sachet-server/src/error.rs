//! The JSON error envelope, and the one place where failures of the lower
//! layers become HTTP statuses.

use std::{borrow::Cow, fmt, marker::PhantomData};

use poem::{
    IntoResponse, Response,
    error::ResponseError,
    http::{HeaderName, HeaderValue, StatusCode, header},
};
use poem_openapi::{
    ApiResponse, Object,
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::ToJSON,
};
use sachet_blob::BlobError;
use sachet_core::{Denial, NameError, PermissionSet};
use sachet_store::StoreError;

/// The body of every error answer.
#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct ErrorBody {
    /// Always `fail`.
    pub status: String,
    /// What went wrong, as a sentence.
    pub message: String,
}

impl poem_openapi::types::Example for ErrorBody {
    fn example() -> ErrorBody {
        ErrorBody {
            status: "fail".into(),
            message: "Share does not exist.".into(),
        }
    }
}

/// An error answer: a status, a message for the client, and rarely a header.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: Cow<'static, str>,
    header: Option<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// An error with any status.
    pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            header: None,
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401: no usable credentials.
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 403: the caller may not do this.
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, message)
    }

    /// 404: no such resource.
    pub fn not_found(message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// 409: the change collides with the current state.
    pub fn conflict(message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }

    /// 413: over a size limit.
    pub fn too_large(message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message)
    }

    /// 423: the share is locked, or in the wrong state for this method.
    pub fn locked(message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(StatusCode::LOCKED, message)
    }

    /// 500: a fault of the server or of a backend. The cause was logged by
    /// the caller; the client learns nothing of it.
    pub fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error.")
    }

    /// The missing share every share route answers alike.
    pub fn no_share() -> ApiError {
        ApiError::not_found("Share does not exist.")
    }

    /// The answer to a caller that lacks `needed`.
    pub fn denied(denial: Denial, needed: PermissionSet) -> ApiError {
        let codes = needed.codes().join(", ");
        match denial {
            Denial::Unauthenticated => ApiError::unauthorized(format!(
                "Authentication required: anonymous callers lack the {codes} permission."
            )),
            Denial::Forbidden => {
                ApiError::forbidden(format!("You need the {codes} permission to do this."))
            }
        }
    }

    /// Adds a header to the answer.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> ApiError {
        self.header = Some((name, value));
        self
    }

    /// The status of the answer.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message for the client.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        let mut response = envelope(self.status, &self.message);
        if let Some((name, value)) = &self.header {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response
    }
}

/// A JSON error answer.
pub fn envelope(status: StatusCode, message: &str) -> Response {
    let body = ErrorBody {
        status: "fail".into(),
        message: message.to_owned(),
    };
    let json = body.to_json().unwrap_or_default().to_string();
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(json)
}

impl From<NameError> for ApiError {
    fn from(err: NameError) -> ApiError {
        ApiError::bad_request(capitalized_sentence(&err.to_string()))
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        match err {
            StoreError::NotFound("share") => ApiError::no_share(),
            StoreError::NotFound(what) => {
                ApiError::not_found(capitalized_sentence(&format!("{what} does not exist")))
            }
            StoreError::Conflict(what) => {
                ApiError::conflict(capitalized_sentence(&format!("{what} already exists")))
            }
            StoreError::Locked => ApiError::locked("Share is locked."),
            err if err.is_outage() => {
                log_chain("metadata store unreachable", &err);
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The database is unavailable.",
                )
            }
            err @ (StoreError::Config(_) | StoreError::Database(_)) => {
                log_chain("metadata store failed", &err);
                ApiError::internal()
            }
        }
    }
}

impl From<BlobError> for ApiError {
    fn from(err: BlobError) -> ApiError {
        match err {
            BlobError::Source(cause) => {
                ApiError::bad_request(format!("Reading the request body failed: {cause}."))
            }
            err => {
                log_chain("blob store failed", &err);
                ApiError::internal()
            }
        }
    }
}

/// Logs an internal failure once, with its whole chain of causes.
pub fn log_chain(context: &str, err: &dyn std::error::Error) {
    let mut chain = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    tracing::error!(error = %chain, "{context}");
}

/// A client's value quoted for a message, cut short when long.
pub fn quoted(value: &str) -> String {
    const MAX_CHARS: usize = 64;
    match value.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{:?}…", &value[..cut]),
        None => format!("{value:?}"),
    }
}

fn capitalized_sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut sentence: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !sentence.ends_with('.') {
        sentence.push('.');
    }
    sentence
}

/// The statuses an operation documents besides its successes.
pub trait ErrorSet: Send + Sync + 'static {
    /// The documented error statuses.
    const STATUSES: &'static [u16];
}

/// The error side of an operation's result: any [`ApiError`], documented in
/// the OpenAPI document with the statuses of `S`.
pub struct Fails<S>(ApiError, PhantomData<fn() -> S>);

impl<S> fmt::Debug for Fails<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl<S> From<ApiError> for Fails<S> {
    fn from(err: ApiError) -> Fails<S> {
        Fails(err, PhantomData)
    }
}

impl<S> From<StoreError> for Fails<S> {
    fn from(err: StoreError) -> Fails<S> {
        Fails(err.into(), PhantomData)
    }
}

impl<S> From<BlobError> for Fails<S> {
    fn from(err: BlobError) -> Fails<S> {
        Fails(err.into(), PhantomData)
    }
}

impl<S> From<NameError> for Fails<S> {
    fn from(err: NameError) -> Fails<S> {
        Fails(err.into(), PhantomData)
    }
}

impl<S> From<Fails<S>> for poem::Error {
    fn from(err: Fails<S>) -> poem::Error {
        err.0.into()
    }
}

impl<S> IntoResponse for Fails<S> {
    fn into_response(self) -> Response {
        self.0.as_response()
    }
}

impl<S: ErrorSet> ApiResponse for Fails<S> {
    fn meta() -> MetaResponses {
        let responses = S::STATUSES
            .iter()
            .map(|&status| MetaResponse {
                description: StatusCode::from_u16(status)
                    .ok()
                    .and_then(|code| code.canonical_reason())
                    .unwrap_or("Error"),
                status: Some(status),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/json; charset=utf-8",
                    schema: <ErrorBody as poem_openapi::types::Type>::schema_ref(),
                }],
                headers: vec![],
            })
            .collect();
        MetaResponses { responses }
    }

    fn register(registry: &mut Registry) {
        <ErrorBody as poem_openapi::types::Type>::register(registry);
    }
}

/// Declares error sets: `error_sets! { LoginErrors = [400, 401]; }`.
macro_rules! error_sets {
    ($($(#[$doc:meta])* $name:ident = [$($status:literal),* $(,)?];)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug)]
            pub struct $name;

            impl $crate::error::ErrorSet for $name {
                const STATUSES: &'static [u16] = &[$($status),*];
            }
        )*
    };
}
pub(crate) use error_sets;

/// Turns any framework error into the JSON envelope; errors of our own
/// already are one.
pub async fn envelope_errors(err: poem::Error) -> Response {
    if err.is::<ApiError>() {
        return err.into_response();
    }
    let status = err.status();
    let message = match status {
        StatusCode::NOT_FOUND => "No such route.".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "Method not allowed on this route.".to_owned(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => format!("Unsupported content type: {err}."),
        StatusCode::PAYLOAD_TOO_LARGE => "Request body too large.".to_owned(),
        status if status.is_server_error() => {
            log_chain("request failed", &err);
            "Internal server error.".to_owned()
        }
        _ => capitalized_sentence(&err.to_string()),
    };
    envelope(status, &message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_in_messages() {
        assert_eq!(quoted("bob"), "\"bob\"");
        let long = "é".repeat(100);
        assert_eq!(quoted(&long), format!("{:?}…", "é".repeat(64)));
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(
            capitalized_sentence("user already exists"),
            "User already exists."
        );
        assert_eq!(capitalized_sentence("done."), "Done.");
    }

    #[tokio::test]
    async fn framework_errors_get_the_envelope() {
        let response = envelope_errors(poem::error::NotFoundError.into()).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body: serde_json::Value =
            serde_json::from_str(&response.into_body().into_string().await.unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"status": "fail", "message": "No such route."})
        );
    }
}
