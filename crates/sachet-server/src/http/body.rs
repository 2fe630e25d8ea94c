//! JSON request bodies, read by the framework but judged by the handler.
//!
//! An operation checks permissions, existence and locks before it looks at
//! the body, as the contract orders. So the body is only read here; parsing
//! and its errors (415, 400, 413) wait until the handler asks.

use std::marker::PhantomData;

use bytes::Bytes;
use poem::{Request, RequestBody, error::ReadBodyError};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    registry::{MetaMediaType, MetaRequest, Registry},
    types::Type,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{ApiError, quoted};

/// The largest JSON body accepted.
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// A JSON object body of type `T`; `REQUIRED` says whether it may be left
/// out entirely.
#[derive(Debug)]
pub struct JsonBody<T, const REQUIRED: bool = true> {
    raw: Result<RawBody, ApiError>,
    kind: PhantomData<fn() -> T>,
}

/// A JSON object body of type `T` that may be left out entirely.
pub type OptionalJsonBody<T> = JsonBody<T, false>;

/// A parsed body, with the object it came from for presence checks.
#[derive(Debug)]
pub struct Parsed<T> {
    /// The typed value.
    pub value: T,
    /// The JSON object as sent.
    pub object: Map<String, Value>,
}

impl<T> Parsed<T> {
    /// Whether the client sent the field `name`, even as `null`.
    pub fn has(&self, name: &str) -> bool {
        self.object.contains_key(name)
    }
}

#[derive(Debug)]
struct RawBody {
    content_type: Option<String>,
    bytes: Bytes,
}

impl RawBody {
    fn is_empty(&self) -> bool {
        self.bytes.iter().all(u8::is_ascii_whitespace)
    }

    fn parse<T: DeserializeOwned>(&self) -> Result<Parsed<T>, ApiError> {
        if let Some(content_type) = &self.content_type
            && !is_json(content_type)
        {
            return Err(ApiError::new(
                poem::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "Content-Type must be application/json, not {}.",
                    quoted(content_type)
                ),
            ));
        }
        let value: Value = serde_json::from_slice(&self.bytes)
            .map_err(|err| ApiError::bad_request(format!("Malformed JSON body: {err}.")))?;
        let Value::Object(object) = value else {
            return Err(ApiError::bad_request(format!(
                "The body must be a JSON object, not {}.",
                kind_of(&value)
            )));
        };
        let value = serde_path_to_error::deserialize(Value::Object(object.clone())).map_err(
            |err: serde_path_to_error::Error<serde_json::Error>| {
                let path = err.path().to_string();
                let inner = err.into_inner();
                match path.as_str() {
                    "." => ApiError::bad_request(format!("Invalid body: {inner}.")),
                    path => ApiError::bad_request(format!("Invalid field `{path}`: {inner}.")),
                }
            },
        )?;
        Ok(Parsed { value, object })
    }
}

impl<T, const REQUIRED: bool> JsonBody<T, REQUIRED> {
    /// Reads the body of a request, for handlers called outside the
    /// framework's routing.
    pub async fn read(request: &Request, body: &mut RequestBody) -> JsonBody<T, REQUIRED> {
        JsonBody {
            raw: read_raw(request, body).await,
            kind: PhantomData,
        }
    }
}

impl<T: DeserializeOwned> JsonBody<T, true> {
    /// Parses the body; a missing or empty body is a 400.
    pub fn parse(self) -> Result<Parsed<T>, ApiError> {
        let raw = self.raw?;
        if raw.is_empty() {
            return Err(ApiError::bad_request("A JSON object body is required."));
        }
        raw.parse()
    }
}

impl<T: DeserializeOwned> JsonBody<T, false> {
    /// Parses the body; a missing or empty body is `None`.
    pub fn parse(self) -> Result<Option<Parsed<T>>, ApiError> {
        let raw = self.raw?;
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse().map(Some)
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

async fn read_raw(request: &Request, body: &mut RequestBody) -> Result<RawBody, ApiError> {
    let content_type = request.content_type().map(str::to_owned);
    let body = body
        .take()
        .map_err(|_| ApiError::bad_request("The request body was already read."))?;
    let bytes = body
        .into_bytes_limit(MAX_JSON_BODY)
        .await
        .map_err(|err| match err {
            ReadBodyError::PayloadTooLarge => {
                ApiError::too_large(format!("JSON bodies are limited to {MAX_JSON_BODY} bytes."))
            }
            err => ApiError::bad_request(format!("Reading the request body failed: {err}.")),
        })?;
    Ok(RawBody {
        content_type,
        bytes,
    })
}

fn request_meta<T: Type>(required: bool) -> MetaRequest {
    MetaRequest {
        description: None,
        content: vec![MetaMediaType {
            content_type: "application/json",
            schema: T::schema_ref(),
        }],
        required,
    }
}

impl<'a, T: Type + DeserializeOwned, const REQUIRED: bool> ApiExtractor<'a>
    for JsonBody<T, REQUIRED>
{
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(request_meta::<T>(REQUIRED))
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(JsonBody::read(request, body).await)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Login {
        #[allow(dead_code, reason = "only parsed")]
        username: String,
    }

    fn raw(content_type: Option<&str>, body: &str) -> RawBody {
        RawBody {
            content_type: content_type.map(str::to_owned),
            bytes: Bytes::from(body.to_owned()),
        }
    }

    fn message(content_type: Option<&str>, body: &str) -> String {
        raw(content_type, body)
            .parse::<Login>()
            .unwrap_err()
            .message()
            .to_owned()
    }

    #[test]
    fn bodies_that_are_not_objects_are_refused_by_kind() {
        assert_eq!(
            message(None, "\"hello\""),
            "The body must be a JSON object, not a string."
        );
        assert_eq!(
            message(None, "[1]"),
            "The body must be a JSON object, not an array."
        );
        assert_eq!(
            message(None, "7"),
            "The body must be a JSON object, not a number."
        );
    }

    #[test]
    fn field_errors_name_the_field() {
        assert_eq!(
            message(None, "{}"),
            "Invalid body: missing field `username`."
        );
        assert_eq!(
            message(None, r#"{"username": 5}"#),
            "Invalid field `username`: invalid type: integer `5`, expected a string."
        );
        assert!(message(None, "{").starts_with("Malformed JSON body"));
    }

    #[test]
    fn content_types_other_than_json_are_unsupported() {
        let err = raw(Some("text/plain"), "{}").parse::<Login>().unwrap_err();
        assert_eq!(err.status(), poem::http::StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(
            raw(
                Some("application/json; charset=utf-8"),
                r#"{"username":"a"}"#
            )
            .parse::<Login>()
            .is_ok()
        );
        assert!(
            raw(Some("application/merge-patch+json"), r#"{"username":"a"}"#)
                .parse::<Login>()
                .is_ok()
        );
    }
}
