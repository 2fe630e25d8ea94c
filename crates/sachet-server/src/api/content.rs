//! The content of shares: chunked uploads, and downloads with ranges and
//! conditional requests.

use futures_util::{StreamExt, TryStreamExt};
use poem::web::Data;
use poem::{
    Body, IntoResponse, Response,
    http::{HeaderValue, StatusCode, header},
};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path},
    payload::Json,
    registry::{
        MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
    },
};
use sachet_blob::{BlobKey, ByteStream};
use sachet_core::{Permission, PermissionSet};
use sachet_store::{ShareRecord, SwitchRule};

use super::{ApiTags, Message, shares::content_type_of};
use crate::{
    auth::AnyCaller,
    error::{ApiError, Fails, error_sets},
    http::{
        conditional::Validators,
        disposition,
        params::{PathName, ShareId},
        range::{self, RangeRequest},
    },
    state::AppState,
    upload::{ChunkForm, ChunkOutcome},
};

error_sets! {
    /// Errors of `upload_content` and `replace_content`.
    UploadErrors = [400, 401, 403, 404, 408, 409, 413, 415, 423, 503];
    /// Errors of `read_upload`.
    ReadUploadErrors = [401, 403, 404];
    /// Errors of `read_content` and `head_content`.
    DownloadErrors = [401, 403, 404];
}

/// The answer to a chunk.
#[derive(Debug, ApiResponse)]
pub enum ChunkAnswer {
    /// The chunk was stored; the upload still misses chunks.
    #[oai(status = 200)]
    Received(Json<Message>),
    /// The chunk completed the upload; the share has its new content.
    #[oai(status = 201)]
    Completed(Json<Message>),
}

impl From<ChunkOutcome> for ChunkAnswer {
    fn from(outcome: ChunkOutcome) -> ChunkAnswer {
        match outcome {
            ChunkOutcome::Received => ChunkAnswer::Received(Json(Message::new("Chunk uploaded."))),
            ChunkOutcome::Completed => {
                ChunkAnswer::Completed(Json(Message::new("Upload completed.")))
            }
        }
    }
}

/// The progress of an upload, for a client resuming it.
#[derive(Debug, Object)]
pub struct UploadProgress {
    /// Always `success`.
    pub status: String,
    /// The upload's id.
    pub dzuuid: String,
    /// How many chunks complete it.
    pub dztotalchunks: u32,
    /// The indexes received so far, in order.
    pub received: Vec<u32>,
}

/// Operations on content.
#[derive(Debug)]
pub struct ContentApi;

const fn needs(permission: Permission) -> PermissionSet {
    PermissionSet::only(permission)
}

/// Receives a chunk for the share its operation's checks admitted. A chunk
/// refused before its body was read is drained first (see
/// [`ChunkForm::discard`]).
async fn receive_checked(
    state: &AppState,
    checked: Result<ShareRecord, Fails<UploadErrors>>,
    form: ChunkForm,
    rule: SwitchRule,
) -> Result<ChunkAnswer, Fails<UploadErrors>> {
    match checked {
        Ok(share) => Ok(state.receive_chunk(&share, form, rule).await?.into()),
        Err(refusal) => {
            form.discard().await;
            Err(refusal)
        }
    }
}

#[OpenApi(tag = "ApiTags::Content")]
impl ContentApi {
    /// Upload the first content
    ///
    /// Sends one chunk of a share's first upload. Chunks may come in any
    /// order; the one that makes every index present completes the upload.
    #[oai(
        path = "/files/:id/content",
        method = "post",
        operation_id = "upload_content"
    )]
    async fn upload_content(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        id: Path<ShareId>,
        form: ChunkForm,
    ) -> Result<ChunkAnswer, Fails<UploadErrors>> {
        let checked: Result<_, Fails<UploadErrors>> = async {
            let caller = state.caller(&auth, needs(Permission::Create)).await?;
            let share = state.find_share(&id.0).await?;
            if !caller.owns(share.owner_id) {
                return Err(ApiError::forbidden("Share must be initialized by its owner.").into());
            }
            if share.initialized {
                return Err(ApiError::locked("Use PUT to modify the share.").into());
            }
            Ok(share)
        }
        .await;
        receive_checked(&state, checked, form, SwitchRule::FirstUpload).await
    }

    /// Replace the content
    ///
    /// Sends one chunk of an upload that replaces a share's content. Readers
    /// see the old content until the upload completes.
    #[oai(
        path = "/files/:id/content",
        method = "put",
        operation_id = "replace_content"
    )]
    async fn replace_content(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        id: Path<ShareId>,
        form: ChunkForm,
    ) -> Result<ChunkAnswer, Fails<UploadErrors>> {
        let checked: Result<_, Fails<UploadErrors>> = async {
            let caller = state.caller(&auth, needs(Permission::Modify)).await?;
            let share = state.find_share(&id.0).await?;
            if share.locked {
                return Err(ApiError::locked("Share is locked.").into());
            }
            if !caller.owns(share.owner_id) {
                return Err(ApiError::forbidden("Share must be modified by its owner.").into());
            }
            if !share.initialized {
                return Err(ApiError::locked("Use POST to upload the first content.").into());
            }
            Ok(share)
        }
        .await;
        receive_checked(&state, checked, form, SwitchRule::Replace).await
    }

    /// Read an upload's progress
    ///
    /// Which chunks of an unfinished upload arrived, so that a client can
    /// resume after a crash. Owner only; a finished upload no longer exists.
    #[oai(
        path = "/files/:id/content/uploads/:dzuuid",
        method = "get",
        operation_id = "read_upload"
    )]
    async fn read_upload(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        id: Path<ShareId>,
        dzuuid: Path<PathName>,
    ) -> Result<Json<UploadProgress>, Fails<ReadUploadErrors>> {
        let caller = state.caller(&auth, PermissionSet::EMPTY).await?;
        let may_upload = [Permission::Create, Permission::Modify];
        if !may_upload.iter().any(|p| caller.permissions().contains(*p)) {
            let needed = may_upload.into_iter().collect();
            let denial = caller
                .require(needed)
                .err()
                .unwrap_or(sachet_core::Denial::Forbidden);
            return Err(ApiError::denied(denial, needed).into());
        }
        let share = state.find_share(&id.0).await?;
        if !caller.owns(share.owner_id) {
            return Err(ApiError::forbidden("Only the share's owner may see its uploads.").into());
        }
        let (upload, received) = state
            .store
            .received_indexes(share.id, &dzuuid.0.0)
            .await?
            .ok_or_else(|| ApiError::not_found("No such upload in progress."))?;
        Ok(Json(UploadProgress {
            status: "success".into(),
            dzuuid: upload.client_id,
            dztotalchunks: upload.total_chunks,
            received,
        }))
    }

    /// Download the content
    ///
    /// Streams the content, whole or one byte range of it.
    #[oai(
        path = "/files/:id/content",
        method = "get",
        operation_id = "read_content"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "one parameter per documented header"
    )]
    async fn read_content(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        id: Path<ShareId>,
        /// One byte range: `bytes=a-b`, `bytes=a-` or `bytes=-n`.
        #[oai(name = "Range")]
        range: Header<Option<String>>,
        /// Serve the range only if the content still has this ETag or date.
        #[oai(name = "If-Range")]
        if_range: Header<Option<String>>,
        /// Answer 304 if the content still has one of these ETags.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
        /// Answer 304 if the content did not change since this date.
        #[oai(name = "If-Modified-Since")]
        if_modified_since: Header<Option<String>>,
    ) -> Result<Download, Fails<DownloadErrors>> {
        let conditions = Conditions::new(range, if_range, if_none_match, if_modified_since);
        Ok(Self::download(&state, &auth, &id.0, conditions, true).await?)
    }

    /// Download headers only
    ///
    /// The headers `read_content` would answer, without the content.
    #[oai(
        path = "/files/:id/content",
        method = "head",
        operation_id = "head_content"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "one parameter per documented header"
    )]
    async fn head_content(
        &self,
        state: Data<&AppState>,
        auth: AnyCaller,
        id: Path<ShareId>,
        /// One byte range: `bytes=a-b`, `bytes=a-` or `bytes=-n`.
        #[oai(name = "Range")]
        range: Header<Option<String>>,
        /// Serve the range only if the content still has this ETag or date.
        #[oai(name = "If-Range")]
        if_range: Header<Option<String>>,
        /// Answer 304 if the content still has one of these ETags.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
        /// Answer 304 if the content did not change since this date.
        #[oai(name = "If-Modified-Since")]
        if_modified_since: Header<Option<String>>,
    ) -> Result<Download, Fails<DownloadErrors>> {
        let conditions = Conditions::new(range, if_range, if_none_match, if_modified_since);
        Ok(Self::download(&state, &auth, &id.0, conditions, false).await?)
    }
}

/// The conditional and range headers of a download.
#[derive(Debug, Default)]
struct Conditions {
    range: Option<String>,
    if_range: Option<String>,
    if_none_match: Option<String>,
    if_modified_since: Option<String>,
}

impl Conditions {
    fn new(
        range: Header<Option<String>>,
        if_range: Header<Option<String>>,
        if_none_match: Header<Option<String>>,
        if_modified_since: Header<Option<String>>,
    ) -> Conditions {
        Conditions {
            range: range.0,
            if_range: if_range.0,
            if_none_match: if_none_match.0,
            if_modified_since: if_modified_since.0,
        }
    }
}

impl ContentApi {
    async fn download(
        state: &AppState,
        auth: &AnyCaller,
        id: &ShareId,
        conditions: Conditions,
        with_body: bool,
    ) -> Result<Download, ApiError> {
        state.caller(auth, needs(Permission::Read)).await?;
        let share = state.find_share(id).await?;
        let (Some(content), Some(size), Some(completed)) =
            (share.content_id, share.size, share.content_date)
        else {
            return Err(ApiError::not_found("Share has no content yet."));
        };
        let validators = Validators::new(&content.to_string(), completed, chrono::Utc::now());

        let not_modified = match (&conditions.if_none_match, &conditions.if_modified_since) {
            (Some(tags), _) => validators.matches_none_match(tags),
            (None, Some(since)) => validators.unmodified_since(since),
            (None, None) => false,
        };
        let headers = DownloadHeaders::new(&share, &validators);
        if not_modified {
            return Ok(Download::NotModified(headers));
        }

        let wanted = match (&conditions.range, &conditions.if_range) {
            (Some(_), Some(if_range)) if !validators.if_range_holds(if_range) => {
                RangeRequest::Whole
            }
            (Some(range), _) => range::parse(range, size),
            (None, _) => RangeRequest::Whole,
        };
        let body = |range| async move {
            match with_body {
                true => state.content_stream(content, range).await.map(Some),
                false => Ok(None),
            }
        };
        Ok(match wanted {
            RangeRequest::Whole => Download::Whole {
                headers,
                size,
                body: body(0..size).await?,
            },
            RangeRequest::Partial(range) => Download::Partial {
                headers,
                size,
                body: body(range.clone()).await?,
                range,
            },
            RangeRequest::Unsatisfiable => Download::Unsatisfiable { size },
        })
    }
}

impl AppState {
    /// The bytes `range` of a content, streamed part after part. The first
    /// part opens before the answer starts, so that a missing blob is still
    /// an error status; later parts open as the stream reaches them.
    async fn content_stream(
        &self,
        content: uuid::Uuid,
        range: std::ops::Range<u64>,
    ) -> Result<ByteStream, ApiError> {
        if range.is_empty() {
            return Ok(futures_util::stream::empty().boxed());
        }
        let mut pieces = Vec::new();
        for part in self.store.content_parts(content, range.clone()).await? {
            let start = range.start.max(part.start) - part.start;
            let end = range.end.min(part.end) - part.start;
            if start < end {
                // A whole part is read without a range: plain reads are
                // cheaper than ranged ones on some object stores.
                let whole = start == 0 && end == part.end - part.start;
                let part_range = (!whole).then_some(start..end);
                pieces.push((BlobKey::parse(&part.blob_key)?, part_range));
            }
        }
        let mut pieces = pieces.into_iter();
        let Some((key, first)) = pieces.next() else {
            tracing::error!(content = %content, "a content has no parts for a range within it");
            return Err(ApiError::internal());
        };
        let head = self.blobs.get(&key, first).await?;
        let blobs = self.blobs.clone();
        let tail = futures_util::stream::iter(pieces)
            .then(move |(key, part_range)| {
                let blobs = blobs.clone();
                async move {
                    blobs
                        .get(&key, part_range)
                        .await
                        .map_err(std::io::Error::other)
                }
            })
            .try_flatten();
        Ok(head.chain(tail).boxed())
    }
}

/// The headers every download answer carries.
#[derive(Debug)]
pub struct DownloadHeaders {
    content_type: String,
    disposition: String,
    validators: Validators,
}

impl DownloadHeaders {
    fn new(share: &ShareRecord, validators: &Validators) -> DownloadHeaders {
        DownloadHeaders {
            content_type: content_type_of(&share.file_name),
            disposition: disposition::inline(&share.file_name),
            validators: validators.clone(),
        }
    }

    fn apply(&self, response: &mut Response) {
        let headers = response.headers_mut();
        let mut set = |name, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        set(header::CONTENT_TYPE, &self.content_type);
        set(header::CONTENT_DISPOSITION, &self.disposition);
        set(header::ETAG, &self.validators.etag);
        set(
            header::LAST_MODIFIED,
            &self.validators.last_modified_header(),
        );
        set(header::ACCEPT_RANGES, "bytes");
        set(header::CACHE_CONTROL, "private, no-cache");
        set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        if is_active_content(&self.content_type) {
            set(header::CONTENT_SECURITY_POLICY, "sandbox");
        }
    }
}

/// Whether a browser would run script in content of this type.
fn is_active_content(content_type: &str) -> bool {
    let essence = content_type.to_ascii_lowercase();
    essence.contains("html")
        || essence.contains("xml")
        || essence.contains("javascript")
        || essence.contains("ecmascript")
        || essence == "image/svg+xml"
}

/// A download answer.
pub enum Download {
    /// The whole content.
    Whole {
        headers: DownloadHeaders,
        size: u64,
        body: Option<ByteStream>,
    },
    /// One byte range of the content.
    Partial {
        headers: DownloadHeaders,
        size: u64,
        range: std::ops::Range<u64>,
        body: Option<ByteStream>,
    },
    /// The client's copy is current.
    NotModified(DownloadHeaders),
    /// The range lies outside the content or is malformed.
    Unsatisfiable { size: u64 },
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Download::Whole { .. } => "Download::Whole",
            Download::Partial { .. } => "Download::Partial",
            Download::NotModified(_) => "Download::NotModified",
            Download::Unsatisfiable { .. } => "Download::Unsatisfiable",
        })
    }
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        match self {
            Download::Whole {
                headers,
                size,
                body,
            } => {
                let mut response = with_body(StatusCode::OK, body);
                headers.apply(&mut response);
                set_length(&mut response, size);
                response
            }
            Download::Partial {
                headers,
                size,
                range,
                body,
            } => {
                let mut response = with_body(StatusCode::PARTIAL_CONTENT, body);
                headers.apply(&mut response);
                set_length(&mut response, range.end - range.start);
                if let Ok(value) = HeaderValue::from_str(&range::content_range(&range, size)) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                response
            }
            Download::NotModified(headers) => {
                let mut response = Response::builder()
                    .status(StatusCode::NOT_MODIFIED)
                    .finish();
                headers.apply(&mut response);
                let headers = response.headers_mut();
                headers.remove(header::CONTENT_TYPE);
                headers.remove(header::CONTENT_DISPOSITION);
                response
            }
            Download::Unsatisfiable { size } => {
                let err =
                    ApiError::new(StatusCode::RANGE_NOT_SATISFIABLE, "Range not satisfiable.");
                let mut response = poem::error::ResponseError::as_response(&err);
                if let Ok(value) = HeaderValue::from_str(&range::unsatisfied_range(size)) {
                    response.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                response
            }
        }
    }
}

fn with_body(status: StatusCode, body: Option<ByteStream>) -> Response {
    let body = match body {
        Some(stream) => Body::from_bytes_stream(stream),
        None => Body::empty(),
    };
    Response::builder().status(status).body(body)
}

fn set_length(response: &mut Response, length: u64) {
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
}

fn header_meta(name: &str, description: &str, required: bool) -> MetaHeader {
    MetaHeader {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        required,
        deprecated: false,
        schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
    }
}

fn content_headers() -> Vec<MetaHeader> {
    vec![
        header_meta("Content-Length", "Bytes in the body.", true),
        header_meta("Content-Disposition", "`inline; filename=<name>`.", true),
        header_meta("ETag", "Strong validator of the current content.", true),
        header_meta(
            "Last-Modified",
            "When the current content was completed.",
            true,
        ),
        header_meta("Accept-Ranges", "Always `bytes`.", true),
        header_meta("X-Content-Type-Options", "Always `nosniff`.", true),
    ]
}

fn binary(status: u16, description: &'static str, mut headers: Vec<MetaHeader>) -> MetaResponse {
    if status == 206 {
        headers.push(header_meta("Content-Range", "`bytes a-b/size`.", true));
    }
    MetaResponse {
        description,
        status: Some(status),
        status_range: None,
        content: vec![MetaMediaType {
            content_type: "application/octet-stream",
            schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format(
                "string", "binary",
            ))),
        }],
        headers,
    }
}

impl ApiResponse for Download {
    fn meta() -> MetaResponses {
        let error_schema = <crate::error::ErrorBody as poem_openapi::types::Type>::schema_ref();
        MetaResponses {
            responses: vec![
                binary(
                    200,
                    "The whole content; its media type follows the file name.",
                    content_headers(),
                ),
                binary(206, "One byte range of the content.", content_headers()),
                MetaResponse {
                    description: "The client's copy is current.",
                    status: Some(304),
                    status_range: None,
                    content: vec![],
                    headers: vec![
                        header_meta("ETag", "Strong validator of the current content.", true),
                        header_meta(
                            "Last-Modified",
                            "When the current content was completed.",
                            true,
                        ),
                    ],
                },
                MetaResponse {
                    description: "The range lies outside the content or is malformed.",
                    status: Some(416),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/json; charset=utf-8",
                        schema: error_schema,
                    }],
                    headers: vec![header_meta("Content-Range", "`bytes */size`.", true)],
                },
            ],
        }
    }

    fn register(registry: &mut Registry) {
        <crate::error::ErrorBody as poem_openapi::types::Type>::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_capable_types_are_active() {
        for active in [
            "text/html",
            "image/svg+xml",
            "application/xml",
            "text/javascript",
            "application/xhtml+xml",
        ] {
            assert!(is_active_content(active), "{active}");
        }
        for passive in [
            "text/plain",
            "image/png",
            "application/pdf",
            "application/octet-stream",
        ] {
            assert!(!is_active_content(passive), "{passive}");
        }
    }
}
