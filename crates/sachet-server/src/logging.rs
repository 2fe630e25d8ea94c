//! One log line per request: method, path, status, duration and a request
//! id, which the answer carries as `X-Request-Id`. Query strings, headers
//! and bodies are never logged, so no token or password can reach a log.

use std::{sync::Arc, time::Instant};

use poem::{Endpoint, IntoResponse, Request, Response, http::HeaderValue};
use tracing::Instrument;

/// The middleware, for `EndpointExt::around`.
pub async fn log_requests<E: Endpoint>(
    endpoint: Arc<E>,
    request: Request,
) -> poem::Result<Response> {
    let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", id = %id, method = %method, path = %path);

    let started = Instant::now();
    let mut response = match endpoint.call(request).instrument(span.clone()).await {
        Ok(output) => output.into_response(),
        Err(err) => err.into_response(),
    };
    let status = response.status().as_u16();
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| match status {
        500.. => tracing::error!(
            status,
            duration_ms = format!("{millis:.1}"),
            "request failed"
        ),
        _ => tracing::info!(status, duration_ms = format!("{millis:.1}"), "request"),
    });

    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    Ok(response)
}
