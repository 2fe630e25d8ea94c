//! The HTTP layer: requests described well enough to be quoted in a failure,
//! answers captured whole, and a record of what the suite created so that it
//! can clean up after itself.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::failure::{EXCERPT_CHARS, Failure, excerpt};
use crate::multipart::Form;
use crate::world::Account;

/// A client bound to one server.
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    base: String,
    created: Arc<Mutex<Created>>,
}

/// Users and shares that answered 201 to the suite's requests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Created {
    pub shares: BTreeSet<String>,
    pub users: BTreeSet<String>,
}

impl Http {
    /// A client for `base_url` (plain `http://`; the suite carries no TLS).
    pub fn new(base_url: &str, timeout: Duration) -> Result<Http, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| format!("cannot build the HTTP client: {err}"))?;
        Ok(Http {
            client,
            base: base_url.trim_end_matches('/').to_string(),
            created: Arc::default(),
        })
    }

    pub fn call(&self, method: Method, path: impl Into<String>) -> Call {
        Call {
            http: self.clone(),
            method,
            path: path.into(),
            caller: "anonymous".into(),
            authorization: None,
            headers: Vec::new(),
            body: None,
            body_summary: None,
            json: None,
        }
    }

    /// What the suite has created so far.
    pub fn created(&self) -> Created {
        self.created
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn note_creation(&self, call: &Call, reply: &Reply) {
        let mut created = self.created.lock().unwrap_or_else(PoisonError::into_inner);
        let json_name = call.json.as_ref().and_then(|body| body.get("username"));
        let username = json_name.and_then(Value::as_str).map(String::from);
        match (call.method.as_str(), call.path.as_str(), reply.status) {
            ("POST", "/files", 201) => {
                if let Some(id) = reply.json_opt().and_then(|body| share_id_of(&body)) {
                    created.shares.insert(id);
                }
            }
            ("POST", "/users", 201) => created.users.extend(username),
            ("PATCH" | "PUT", path, 200) if path.starts_with("/users/") => {
                created.users.extend(username)
            }
            _ => {}
        }
    }
}

/// Percent-encodes one path segment (a user name, say), leaving only the
/// unreserved characters of RFC 3986 as they are.
pub fn segment(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The share id at the end of a `url` field such as `/files/<id>`.
pub fn share_id_of(body: &Value) -> Option<String> {
    let url = body.get("url")?.as_str()?;
    url.rsplit('/').next().map(String::from)
}

/// One request being built.
#[derive(Debug)]
pub struct Call {
    http: Http,
    method: Method,
    path: String,
    caller: String,
    authorization: Option<String>,
    headers: Vec<(String, String)>,
    body: Option<(String, Vec<u8>)>,
    body_summary: Option<String>,
    json: Option<Value>,
}

impl Call {
    /// Sends the request as this user.
    pub fn by(self, account: &Account) -> Call {
        let label = account.name.clone();
        self.token(&label, &account.token)
    }

    /// Sends the request as this user, or anonymously for `None`.
    pub fn by_opt(self, account: Option<&Account>) -> Call {
        match account {
            Some(account) => self.by(account),
            None => self,
        }
    }

    /// Sends `Authorization: Bearer <token>`, described as `label`.
    pub fn token(self, label: &str, token: &str) -> Call {
        self.authorization(label, &format!("Bearer {token}"))
    }

    /// Sends this exact `Authorization` value, described as `label`.
    pub fn authorization(mut self, label: &str, value: &str) -> Call {
        self.caller = label.to_string();
        self.authorization = Some(value.to_string());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Call {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn json(mut self, body: Value) -> Call {
        let bytes = body.to_string().into_bytes();
        self.body_summary = Some(format!("body {}", excerpt(&bytes, 160)));
        self.body = Some(("application/json".into(), bytes));
        self.json = Some(body);
        self
    }

    /// A body sent verbatim, described by `summary` in reports.
    pub fn raw(mut self, content_type: &str, bytes: Vec<u8>, summary: &str) -> Call {
        self.body_summary = Some(summary.to_string());
        self.body = Some((content_type.to_string(), bytes));
        self
    }

    pub fn form(mut self, form: &Form) -> Call {
        let boundary = format!("sachetconf{}", uuid::Uuid::new_v4().simple());
        let (content_type, bytes) = form.encode(&boundary);
        self.body_summary = Some(form.summary());
        self.body = Some((content_type, bytes));
        self
    }

    /// `METHOD /path as caller [headers] body ...`, as failures quote it.
    pub fn describe(&self) -> String {
        let mut text = format!("{} {} as {}", self.method, self.path, self.caller);
        for (name, value) in &self.headers {
            let _ = write!(text, " [{name}: {}]", excerpt(value.as_bytes(), 80));
        }
        if let Some(summary) = &self.body_summary {
            let _ = write!(text, " {summary}");
        }
        text
    }

    pub async fn send(self) -> Result<Reply, Failure> {
        let request = self.describe();
        let url = format!("{}{}", self.http.base, self.path);
        let mut builder = self.http.client.request(self.method.clone(), &url);
        if let Some(value) = &self.authorization {
            builder = builder.header("Authorization", value);
        }
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some((content_type, bytes)) = &self.body {
            builder = builder
                .header("Content-Type", content_type)
                .body(bytes.clone());
        }
        let reply = receive(builder, request).await?;
        self.http.note_creation(&self, &reply);
        Ok(reply)
    }
}

async fn receive(builder: reqwest::RequestBuilder, request: String) -> Result<Reply, Failure> {
    let transport = |err: reqwest::Error| {
        Failure::new("an HTTP answer")
            .with_request(request.clone())
            .with_actual(format!("transport error: {err}"))
    };
    let response = builder.send().await.map_err(transport)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(transport)?.to_vec();
    Ok(Reply {
        request,
        status,
        headers,
        body,
    })
}

/// A whole answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub request: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// A failure quoting this request, its status and the start of its body.
    pub fn fail(&self, expected: impl Into<String>) -> Failure {
        Failure {
            request: Some(self.request.clone()),
            expected: expected.into(),
            actual: Some(format!("status {}", self.status)),
            body: Some(excerpt(&self.body, EXCERPT_CHARS)),
            detail: None,
        }
    }

    pub fn expect(self, status: u16) -> Result<Reply, Failure> {
        self.expect_any(&[status])
    }

    pub fn expect_any(self, statuses: &[u16]) -> Result<Reply, Failure> {
        if statuses.contains(&self.status) {
            return Ok(self);
        }
        let list: Vec<String> = statuses.iter().map(u16::to_string).collect();
        Err(self.fail(format!("status {}", list.join(" or "))))
    }

    /// The status and the error envelope `{"status":"fail","message":<text>}`.
    pub fn expect_error(self, status: u16) -> Result<Reply, Failure> {
        let reply = self.expect(status)?;
        reply.error_message()?;
        Ok(reply)
    }

    /// The status and `"status": "success"` in the body.
    pub fn expect_success(self, status: u16) -> Result<Reply, Failure> {
        let reply = self.expect(status)?;
        let body = reply.json()?;
        if body.get("status") != Some(&Value::from("success")) {
            return Err(reply.fail(format!("status {status} with \"status\": \"success\"")));
        }
        Ok(reply)
    }

    /// The status, `"status": "success"` and this exact `message`.
    pub fn expect_message(self, status: u16, message: &str) -> Result<Reply, Failure> {
        let reply = self.expect_success(status)?;
        if reply.json()?.get("message") != Some(&Value::from(message)) {
            return Err(reply.fail(format!("status {status} with message {message:?}")));
        }
        Ok(reply)
    }

    /// The `message` of an error envelope.
    pub fn error_message(&self) -> Result<String, Failure> {
        let expected = "the error envelope {\"status\": \"fail\", \"message\": <text>}";
        let body = self.json_opt().ok_or_else(|| self.fail(expected))?;
        let message = body.get("message").and_then(Value::as_str);
        match (body.get("status").and_then(Value::as_str), message) {
            (Some("fail"), Some(message)) => Ok(message.to_string()),
            _ => Err(self.fail(expected)),
        }
    }

    pub fn json(&self) -> Result<Value, Failure> {
        self.json_opt()
            .ok_or_else(|| self.fail(format!("status {} with a JSON body", self.status)))
    }

    fn json_opt(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// A string field of the JSON body.
    pub fn string(&self, field: &str) -> Result<String, Failure> {
        let body = self.json()?;
        body.get(field)
            .and_then(Value::as_str)
            .map(String::from)
            .ok_or_else(|| self.fail(format!("a string field \"{field}\" in the body")))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        let value = self.headers.get(name)?;
        Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
    }

    /// A failure about a header value rather than the status.
    pub fn fail_header(&self, name: &str, expected: impl Into<String>) -> Failure {
        let actual = match self.header(name) {
            Some(value) => format!("status {}, {name}: {value}", self.status),
            None => format!("status {}, no {name} header", self.status),
        };
        Failure {
            request: Some(self.request.clone()),
            expected: expected.into(),
            actual: Some(actual),
            body: Some(excerpt(&self.body, EXCERPT_CHARS)),
            detail: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            request: "GET /x as anonymous".into(),
            status,
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn expect_reports_request_expected_and_actual() {
        let failure = reply(500, "boom").expect(200).unwrap_err();
        assert_eq!(failure.request.as_deref(), Some("GET /x as anonymous"));
        assert_eq!(failure.expected, "status 200");
        assert_eq!(failure.actual.as_deref(), Some("status 500"));
        assert_eq!(failure.body.as_deref(), Some("boom"));
    }

    #[test]
    fn expect_any_lists_every_accepted_status() {
        let failure = reply(500, "").expect_any(&[200, 206]).unwrap_err();
        assert_eq!(failure.expected, "status 200 or 206");
    }

    #[test]
    fn expect_error_requires_the_envelope() {
        assert!(
            reply(404, r#"{"status":"fail","message":"no"}"#)
                .expect_error(404)
                .is_ok()
        );
        assert!(reply(404, "<html>").expect_error(404).is_err());
        assert!(
            reply(404, r#"{"status":"fail"}"#)
                .expect_error(404)
                .is_err()
        );
        assert!(
            reply(404, r#"{"status":"error","message":"x"}"#)
                .expect_error(404)
                .is_err()
        );
    }

    #[test]
    fn expect_message_compares_the_quoted_message_exactly() {
        let ok = r#"{"status":"success","message":"Token revoked."}"#;
        assert!(reply(200, ok).expect_message(200, "Token revoked.").is_ok());
        assert!(reply(200, ok).expect_message(200, "Token revoked").is_err());
    }

    #[test]
    fn segment_encodes_everything_but_unreserved_characters() {
        assert_eq!(segment("sachetconf-1a_b.c~"), "sachetconf-1a_b.c~");
        assert_eq!(segment("a/b c\n"), "a%2Fb%20c%0A");
        assert_eq!(segment("é"), "%C3%A9");
    }

    #[test]
    fn share_id_is_the_last_url_segment() {
        assert_eq!(
            share_id_of(&json!({"url": "/files/abc"})).as_deref(),
            Some("abc")
        );
        assert_eq!(share_id_of(&json!({"status": "success"})), None);
    }

    #[test]
    fn describe_quotes_headers_and_body() {
        let http = Http::new("http://127.0.0.1:1/", Duration::from_secs(1)).unwrap();
        let call = http
            .call(Method::PATCH, "/files/x")
            .header("Range", "bytes=0-1")
            .json(json!({"file_name": "a"}));
        assert_eq!(
            call.describe(),
            r#"PATCH /files/x as anonymous [Range: bytes=0-1] body {"file_name":"a"}"#
        );
    }
}
