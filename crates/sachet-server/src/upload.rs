//! The chunked upload protocol: a multipart chunk streamed into the blob
//! store with its limits enforced as bytes arrive, recorded against its
//! upload, and the upload completed once every index is present.

use std::{collections::HashSet, io};

use futures_util::StreamExt;
use poem::{Body, Request, RequestBody};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef, Registry},
};
use sachet_blob::{BlobError, BlobKey, ByteStream};
use sachet_store::{
    Chunk, Claim, ContentSwitch, ShareRecord, SwitchRule, UploadRecord, UploadRefusal,
};

use crate::{error::ApiError, state::AppState};

/// What one chunk request achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkOutcome {
    /// The chunk was stored; the upload still misses chunks.
    Received,
    /// The chunk completed the upload: the share now has the new content.
    Completed,
}

/// What recording a chunk led to.
#[derive(Debug)]
enum Recorded {
    /// Every index of the upload is present: it can complete.
    Full(UploadRecord),
    /// The upload still misses chunks.
    Partial,
    /// The upload was already complete, or being completed: the chunk
    /// changed nothing, and the answer says how far the upload is.
    Late(ChunkOutcome),
}

/// A `multipart/form-data` chunk, read lazily: nothing is parsed or stored
/// before the handler has checked permissions and the share.
pub struct ChunkForm {
    content_type: Option<String>,
    body: Option<Body>,
}

impl std::fmt::Debug for ChunkForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkForm")
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

/// The most of a refused chunk's body read and dropped before answering.
const REFUSED_BODY_DRAIN: u64 = 8 * 1024 * 1024;

/// How long a refused chunk's body is read before answering anyway.
const REFUSED_BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

impl ChunkForm {
    /// Reads and drops the body of a chunk refused before it was read (401,
    /// 403, 404, 423), up to [`REFUSED_BODY_DRAIN`] bytes for at most
    /// [`REFUSED_BODY_DEADLINE`]. A client that sends its headers and its
    /// body in separate writes then reads the refusal, instead of failing
    /// to write into a connection the server already closed. A larger or
    /// slower body is cut off.
    pub async fn discard(self) {
        let Some(body) = self.body else { return };
        let mut reader = tokio::io::AsyncReadExt::take(body.into_async_read(), REFUSED_BODY_DRAIN);
        let mut sink = tokio::io::sink();
        let drain = tokio::io::copy(&mut reader, &mut sink);
        // Whatever happens while draining, the refusal is the answer.
        let _ = tokio::time::timeout(REFUSED_BODY_DEADLINE, drain).await;
    }
}

/// The longest upload id (`dzuuid`), in characters.
const MAX_UPLOAD_ID_CHARS: usize = 64;

/// The longest text field of a chunk form.
const MAX_TEXT_FIELD: usize = 256;

/// The metadata fields of a chunk, as sent.
#[derive(Debug, Default)]
struct ChunkFields {
    client_id: Option<String>,
    index: Option<String>,
    total: Option<String>,
    declared_size: Option<String>,
    chunk_size: Option<String>,
    byte_offset: Option<String>,
}

impl ChunkFields {
    /// Stores a text field; `false` when the field is none of ours.
    fn set(&mut self, name: &str, value: String) -> Result<bool, ApiError> {
        let slot = match name {
            "dzuuid" => &mut self.client_id,
            "dzchunkindex" => &mut self.index,
            "dztotalchunks" | "dztotalchunkcount" => &mut self.total,
            "dztotalfilesize" => &mut self.declared_size,
            "dzchunksize" => &mut self.chunk_size,
            "dzchunkbyteoffset" => &mut self.byte_offset,
            _ => return Ok(false),
        };
        match slot {
            Some(previous) if *previous != value => Err(ApiError::bad_request(format!(
                "Field `{name}` was sent twice with different values."
            ))),
            _ => {
                *slot = Some(value);
                Ok(true)
            }
        }
    }
}

/// A chunk whose fields are valid, and whose bytes may not be stored yet.
#[derive(Debug)]
struct ChunkMeta {
    client_id: String,
    index: u32,
    total: u32,
}

/// Checks the metadata fields against the contract and the limits.
fn validate(fields: &ChunkFields, limits: &crate::state::Limits) -> Result<ChunkMeta, ApiError> {
    let client_id = fields
        .client_id
        .clone()
        .ok_or_else(|| ApiError::bad_request("Missing field `dzuuid`."))?;
    let length = client_id.chars().count();
    if !(1..=MAX_UPLOAD_ID_CHARS).contains(&length) || client_id.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "Field `dzuuid` must be 1 to {MAX_UPLOAD_ID_CHARS} characters without control characters."
        )));
    }
    let index = integer_field("dzchunkindex", fields.index.as_deref())?;
    let total = integer_field("dztotalchunks", fields.total.as_deref())?;
    if total < 1 {
        return Err(ApiError::bad_request(
            "Field `dztotalchunks` must be at least 1.",
        ));
    }
    if total > u64::from(limits.max_chunks) {
        return Err(ApiError::bad_request(format!(
            "Field `dztotalchunks` is {total}, above the limit of {} chunks.",
            limits.max_chunks
        )));
    }
    if index >= total {
        return Err(ApiError::bad_request(format!(
            "Field `dzchunkindex` is {index}, outside 0..{} for {total} chunks.",
            total - 1
        )));
    }
    for (name, value) in [
        ("dzchunksize", &fields.chunk_size),
        ("dzchunkbyteoffset", &fields.byte_offset),
    ] {
        if let Some(value) = value {
            integer_field(name, Some(value))?;
        }
    }
    if let Some(declared) = &fields.declared_size {
        let declared = integer_field("dztotalfilesize", Some(declared))?;
        if declared > limits.max_upload_size {
            return Err(too_large_upload(limits.max_upload_size));
        }
    }
    Ok(ChunkMeta {
        client_id,
        index: index as u32,
        total: total as u32,
    })
}

fn integer_field(name: &str, value: Option<&str>) -> Result<u64, ApiError> {
    let value = value.ok_or_else(|| ApiError::bad_request(format!("Missing field `{name}`.")))?;
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| value.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "Field `{name}` must be a non-negative integer, not {value:?}."
            ))
        })
}

fn too_large_upload(limit: u64) -> ApiError {
    ApiError::too_large(format!("The upload exceeds the limit of {limit} bytes."))
}

fn too_large_chunk(limit: u64) -> ApiError {
    ApiError::too_large(format!("The chunk exceeds the limit of {limit} bytes."))
}

/// The marker error a limited stream fails with.
#[derive(Debug, thiserror::Error)]
#[error("the chunk exceeds its size limit")]
struct OverLimit;

/// The bytes of a file part, failing as soon as they pass `limit`.
fn limited(field: multer::Field<'static>, limit: u64) -> ByteStream {
    let mut seen = 0u64;
    field
        .map(move |piece| {
            let piece = piece.map_err(|err| io::Error::other(MultipartFailure(err)))?;
            seen += piece.len() as u64;
            match seen > limit {
                true => Err(io::Error::other(OverLimit)),
                false => Ok(piece),
            }
        })
        .boxed()
}

/// The marker error of a body that sent nothing for too long.
#[derive(Debug, thiserror::Error)]
#[error("the client sent nothing for too long")]
struct IdleBody;

/// The body's bytes, failing with [`IdleBody`] once none arrive for `idle`:
/// a client that stalls cannot hold its buffers and a turn forever.
fn idle_timeout<S>(body: S, idle: std::time::Duration) -> ByteStream
where
    S: futures_util::Stream<Item = io::Result<bytes::Bytes>> + Send + 'static,
{
    let body = Box::pin(body);
    futures_util::stream::unfold(Some(body), move |body| async move {
        let mut body = body?;
        match tokio::time::timeout(idle, body.next()).await {
            Ok(Some(piece)) => Some((piece, Some(body))),
            Ok(None) => None,
            Err(_) => Some((Err(io::Error::other(IdleBody)), None)),
        }
    })
    .boxed()
}

/// Whether an error, or one of its causes, is [`IdleBody`].
fn is_idle(err: &(dyn std::error::Error + 'static)) -> bool {
    if err.is::<IdleBody>() {
        return true;
    }
    // An I/O error hides the error it wraps from `source`.
    if let Some(inner) = err.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
        return is_idle(inner);
    }
    if let Some(multer::Error::StreamReadFailed(inner)) = err.downcast_ref::<multer::Error>() {
        return is_idle(inner.as_ref());
    }
    err.source().is_some_and(is_idle)
}

/// A multipart parsing failure inside a stored stream.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct MultipartFailure(multer::Error);

/// Maps a failed write of a file part to its answer.
fn storing_failed(err: BlobError, limit: u64) -> ApiError {
    if let BlobError::Source(source) = &err {
        if source
            .get_ref()
            .is_some_and(|inner| inner.is::<OverLimit>())
        {
            return too_large_chunk(limit);
        }
        if let Some(MultipartFailure(inner)) =
            source.get_ref().and_then(|inner| inner.downcast_ref())
        {
            return multipart_error(inner, limit);
        }
    }
    err.into()
}

fn multipart_error(err: &multer::Error, limit: u64) -> ApiError {
    if is_idle(err) {
        return ApiError::new(
            poem::http::StatusCode::REQUEST_TIMEOUT,
            "The upload sent nothing for too long.",
        );
    }
    match err {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            too_large_chunk(limit)
        }
        err => ApiError::bad_request(format!("Malformed multipart body: {err}.")),
    }
}

fn refusal_error(refusal: UploadRefusal, limits: &crate::state::Limits) -> ApiError {
    match refusal {
        UploadRefusal::TotalMismatch { expected } => ApiError::bad_request(format!(
            "Field `dztotalchunks` differs from the {expected} chunks this upload started with."
        )),
        UploadRefusal::Completing | UploadRefusal::Completed | UploadRefusal::Gone => {
            ApiError::conflict("This upload has already completed.")
        }
        UploadRefusal::TooLarge => too_large_upload(limits.max_upload_size),
        UploadRefusal::ShareMissing => ApiError::no_share(),
        UploadRefusal::ShareLocked => ApiError::locked("Share is locked."),
        UploadRefusal::AlreadyInitialized => ApiError::locked("Use PUT to modify the share."),
    }
}

impl ChunkForm {
    /// The multipart reader over the body; 415 or 400 when it is none.
    fn open(
        self,
        limit: u64,
        idle: std::time::Duration,
    ) -> Result<multer::Multipart<'static>, ApiError> {
        let content_type = self.content_type.unwrap_or_default();
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("multipart/form-data") {
            return Err(ApiError::new(
                poem::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Chunks must be sent as multipart/form-data.",
            ));
        }
        let boundary = multer::parse_boundary(&content_type)
            .map_err(|err| ApiError::bad_request(format!("Malformed multipart body: {err}.")))?;
        let body = self
            .body
            .ok_or_else(|| ApiError::bad_request("The request body was already read."))?;
        // The text fields and part headers add a little to the chunk itself.
        let constraints = multer::Constraints::new()
            .size_limit(multer::SizeLimit::new().whole_stream(limit.saturating_add(64 * 1024)));
        Ok(multer::Multipart::with_constraints(
            idle_timeout(body.into_bytes_stream(), idle),
            boundary,
            constraints,
        ))
    }
}

impl AppState {
    /// Receives one chunk for `share` and completes the upload when it is
    /// the last missing one. The share's visible content changes only at
    /// completion, in one transaction.
    pub async fn receive_chunk(
        &self,
        share: &ShareRecord,
        form: ChunkForm,
        rule: SwitchRule,
    ) -> Result<ChunkOutcome, ApiError> {
        let turn = tokio::time::timeout(
            self.limits.idle_timeout,
            self.upload_turns.clone().acquire_owned(),
        );
        let Ok(Ok(_turn)) = turn.await else {
            return Err(ApiError::new(
                poem::http::StatusCode::SERVICE_UNAVAILABLE,
                "Too many uploads in progress: try again shortly.",
            )
            .with_header(
                poem::http::header::RETRY_AFTER,
                poem::http::HeaderValue::from(5u32),
            ));
        };
        let (meta, blob, size) = self.store_chunk(form).await?;
        let upload = match self.record(share, &meta, &blob, size, rule).await {
            Ok(Recorded::Full(upload)) => upload,
            Ok(Recorded::Partial) => return Ok(ChunkOutcome::Received),
            Ok(Recorded::Late(outcome)) => {
                self.remove_blobs([blob.to_string()]).await;
                return Ok(outcome);
            }
            Err(err) => {
                self.remove_blobs([blob.to_string()]).await;
                return Err(err);
            }
        };

        // The completion must finish even if the client goes away now, so
        // it runs as its own task.
        let state = self.clone();
        tokio::spawn(async move { state.complete(upload, rule).await })
            .await
            .map_err(|err| {
                crate::error::log_chain("upload completion task failed", &err);
                ApiError::internal()
            })?
    }

    /// Parses the form and streams its file part into a new chunk blob.
    async fn store_chunk(&self, form: ChunkForm) -> Result<(ChunkMeta, BlobKey, u64), ApiError> {
        let limit = self.limits.max_chunk_size;
        let mut multipart = form.open(limit, self.limits.idle_timeout)?;
        let mut fields = ChunkFields::default();
        let mut stored: Option<(BlobKey, u64)> = None;

        let result: Result<(), ApiError> = async {
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|err| multipart_error(&err, limit))?
            {
                let name = field.name().unwrap_or_default().to_owned();
                if name == "upload" || name == "file" {
                    if stored.is_some() {
                        return Err(ApiError::bad_request("Only one file part is allowed."));
                    }
                    // Fields sent before the file are checked before any byte is stored.
                    precheck(&fields, &self.limits)?;
                    let key = BlobKey::new_chunk();
                    let size = self
                        .blobs
                        .put(&key, limited(field, limit))
                        .await
                        .map_err(|err| storing_failed(err, limit))?;
                    stored = Some((key, size));
                } else {
                    let text = read_text(field, &name).await?;
                    fields.set(&name, text)?;
                }
            }
            Ok(())
        }
        .await;

        let checked = result.and_then(|()| validate(&fields, &self.limits));
        match (checked, stored) {
            (Ok(meta), Some((key, size))) => Ok((meta, key, size)),
            (Ok(_), None) => Err(ApiError::bad_request("Missing the file part `upload`.")),
            (Err(err), stored) => {
                if let Some((key, _)) = stored {
                    self.remove_blobs([key.to_string()]).await;
                }
                Err(err)
            }
        }
    }

    /// Records a stored chunk.
    async fn record(
        &self,
        share: &ShareRecord,
        meta: &ChunkMeta,
        blob: &BlobKey,
        size: u64,
        rule: SwitchRule,
    ) -> Result<Recorded, ApiError> {
        let opened = self
            .store
            .open_upload(share.id, &meta.client_id, meta.total, rule)
            .await?;
        let upload = match opened {
            Ok(upload) => upload,
            Err(refusal) => return self.moot_or_refused(share, refusal).await,
        };
        let chunk = Chunk {
            index: meta.index,
            blob_key: blob.to_string(),
            size,
        };
        let receipt = match self
            .store
            .record_chunk(upload.id, &chunk, self.limits.max_upload_size)
            .await?
        {
            Ok(receipt) => receipt,
            Err(refusal) => return self.moot_or_refused(share, refusal).await,
        };
        self.remove_blobs(receipt.replaced).await;
        match receipt.received >= upload.total_chunks {
            true => Ok(Recorded::Full(upload)),
            false => Ok(Recorded::Partial),
        }
    }

    /// A chunk that reaches an upload already completing or completed is a
    /// late retry: it is accepted and changes nothing, since every index was
    /// there. Other refusals are errors.
    async fn moot_or_refused(
        &self,
        share: &ShareRecord,
        refusal: UploadRefusal,
    ) -> Result<Recorded, ApiError> {
        match refusal {
            UploadRefusal::Completing => Ok(Recorded::Late(ChunkOutcome::Received)),
            UploadRefusal::Completed => Ok(Recorded::Late(ChunkOutcome::Completed)),
            UploadRefusal::Gone => match self.store.share(share.id).await? {
                Some(_) => Ok(Recorded::Late(ChunkOutcome::Received)),
                None => Err(ApiError::no_share()),
            },
            refusal => Err(refusal_error(refusal, &self.limits)),
        }
    }

    /// Joins the chunks of a full upload and switches the share to them.
    async fn complete(
        &self,
        upload: UploadRecord,
        rule: SwitchRule,
    ) -> Result<ChunkOutcome, ApiError> {
        match self.store.claim_upload(upload.id).await? {
            Claim::Claimed => {}
            // Another request is completing it; this chunk was counted.
            Claim::Busy => return Ok(ChunkOutcome::Received),
            Claim::Completed => return Ok(ChunkOutcome::Completed),
            Claim::Gone => {
                return match self.store.share(upload.share_id).await? {
                    Some(_) => Ok(ChunkOutcome::Received),
                    None => Err(ApiError::no_share()),
                };
            }
        }

        // Renew the claim while the chunks are joined, so that a request
        // that dies meanwhile frees the upload after one lease.
        let renewing = {
            let state = self.clone();
            let id = upload.id;
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(state.store.claim_lease() / 3);
                ticks.tick().await;
                loop {
                    ticks.tick().await;
                    if let Err(err) = state.store.renew_claim(id).await {
                        crate::error::log_chain("renewing an upload claim", &err);
                    }
                }
            })
        };
        let completed = self.join_and_switch(&upload, rule).await;
        renewing.abort();
        if completed.is_err()
            && let Err(release) = self.store.release_upload(upload.id).await
        {
            crate::error::log_chain("releasing a failed upload", &release);
        }
        completed
    }

    async fn join_and_switch(
        &self,
        upload: &UploadRecord,
        rule: SwitchRule,
    ) -> Result<ChunkOutcome, ApiError> {
        let chunks = self.store.upload_chunks(upload.id).await?;
        let complete = chunks.len() == upload.total_chunks as usize
            && chunks
                .iter()
                .enumerate()
                .all(|(at, chunk)| chunk.index as usize == at);
        if !complete {
            // The share was deleted after the claim, and its upload with it.
            if self.store.share(upload.share_id).await?.is_none() {
                return Err(ApiError::no_share());
            }
            tracing::error!(upload.id = %upload.id, "claimed an upload with missing chunks");
            return Err(ApiError::internal());
        }
        let parts = chunks
            .iter()
            .map(|chunk| Ok((BlobKey::parse(&chunk.blob_key)?, chunk.size)))
            .collect::<Result<Vec<_>, BlobError>>()?;

        let content = BlobKey::new_content();
        let assembled = match self.blobs.assemble(&content, &parts).await {
            Ok(assembled) => assembled,
            // The share was deleted, with its chunks, while they were joined.
            Err(BlobError::NotFound(_)) if self.store.share(upload.share_id).await?.is_none() => {
                return Err(ApiError::no_share());
            }
            Err(err) => return Err(err.into()),
        };
        let switch = ContentSwitch {
            parts: assembled
                .iter()
                .map(|(key, size)| (key.to_string(), *size))
                .collect(),
        };
        let chunk_keys: HashSet<String> = chunks.into_iter().map(|chunk| chunk.blob_key).collect();
        let part_keys: HashSet<String> = switch.parts.iter().map(|(key, _)| key.clone()).collect();
        // Blobs the store made for the content, and chunks it no longer needs.
        let created: Vec<String> = part_keys.difference(&chunk_keys).cloned().collect();
        let leftovers: Vec<String> = chunk_keys.difference(&part_keys).cloned().collect();

        let switched = self
            .store
            .complete_upload(upload, rule, &switch, self.doom_time())
            .await;
        match switched {
            Ok(Ok(())) => {
                tracing::info!(share.id = %upload.share_id, size = switch.size(), "upload completed");
                self.remove_blobs(leftovers).await;
                Ok(ChunkOutcome::Completed)
            }
            Ok(Err(refusal)) => {
                self.remove_blobs(created).await;
                let discarded = self.store.discard_upload(upload.id).await?;
                self.remove_blobs(discarded).await;
                Err(refusal_error(refusal, &self.limits))
            }
            Err(err) => {
                self.remove_blobs(created).await;
                Err(err.into())
            }
        }
    }

    /// Until when blobs that content no longer needs are kept for readers.
    pub fn doom_time(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::Duration::from_std(self.limits.blob_grace).unwrap_or_default()
    }
}

/// Refuses what the fields sent so far already rule out.
fn precheck(fields: &ChunkFields, limits: &crate::state::Limits) -> Result<(), ApiError> {
    let complete = fields.client_id.is_some() && fields.index.is_some() && fields.total.is_some();
    if complete {
        validate(fields, limits)?;
    } else if let Some(declared) = &fields.declared_size
        && integer_field("dztotalfilesize", Some(declared))? > limits.max_upload_size
    {
        return Err(too_large_upload(limits.max_upload_size));
    }
    Ok(())
}

/// Reads a text field, refusing long ones.
async fn read_text(mut field: multer::Field<'static>, name: &str) -> Result<String, ApiError> {
    let mut text = Vec::new();
    while let Some(piece) = field
        .chunk()
        .await
        .map_err(|err| ApiError::bad_request(format!("Malformed multipart body: {err}.")))?
    {
        text.extend_from_slice(&piece);
        if text.len() > MAX_TEXT_FIELD {
            return Err(ApiError::bad_request(format!(
                "Field `{name}` is longer than {MAX_TEXT_FIELD} bytes."
            )));
        }
    }
    String::from_utf8(text)
        .map_err(|_| ApiError::bad_request(format!("Field `{name}` is not UTF-8 text.")))
}

fn property(
    ty: &'static str,
    format: Option<&'static str>,
    description: &'static str,
    minimum: Option<f64>,
) -> (&'static str, MetaSchemaRef) {
    let schema = MetaSchema {
        format,
        description: Some(description),
        minimum,
        ..MetaSchema::new(ty)
    };
    ("", MetaSchemaRef::Inline(Box::new(schema)))
}

fn upload_id_schema() -> MetaSchemaRef {
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        description: Some("Id of the upload, the same for all its chunks."),
        min_length: Some(1),
        max_length: Some(MAX_UPLOAD_ID_CHARS),
        pattern: Some(r"^[^\u0000-\u001F\u007F-\u009F]*$".into()),
        ..MetaSchema::new("string")
    }))
}

fn chunk_schema() -> MetaSchema {
    let named = |name: &'static str, (_, schema): (&'static str, MetaSchemaRef)| (name, schema);
    MetaSchema {
        description: Some("One chunk of an upload. Fields may come in any order."),
        required: vec!["dzuuid", "dzchunkindex", "dztotalchunks", "upload"],
        properties: vec![
            ("dzuuid", upload_id_schema()),
            named(
                "dzchunkindex",
                property(
                    "integer",
                    Some("int64"),
                    "0-based index of this chunk.",
                    Some(0.0),
                ),
            ),
            named(
                "dztotalchunks",
                property(
                    "integer",
                    Some("int64"),
                    "Number of chunks in the upload.",
                    Some(1.0),
                ),
            ),
            named(
                "upload",
                property("string", Some("binary"), "The chunk's bytes.", None),
            ),
            named(
                "dztotalfilesize",
                property(
                    "integer",
                    Some("int64"),
                    "Total size of the upload, if known; an oversized upload is refused at its first chunk.",
                    Some(0.0),
                ),
            ),
        ],
        example: Some(serde_json::json!({
            "dzuuid": "6f1c2a4e-3b5d-4c7e-9a8b-0d1e2f3a4b5c",
            "dzchunkindex": 0,
            "dztotalchunks": 2,
            "upload": "the first bytes of the file",
        })),
        ..MetaSchema::new("object")
    }
}

impl<'a> ApiExtractor<'a> for ChunkForm {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(_registry: &mut Registry) {}

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: "multipart/form-data",
                schema: MetaSchemaRef::Inline(Box::new(chunk_schema())),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(ChunkForm {
            content_type: request.content_type().map(str::to_owned),
            body: body.take().ok(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Limits;

    fn fields(pairs: &[(&str, &str)]) -> ChunkFields {
        let mut fields = ChunkFields::default();
        for (name, value) in pairs {
            fields.set(name, (*value).to_owned()).unwrap();
        }
        fields
    }

    fn check(pairs: &[(&str, &str)]) -> Result<(u32, u32), String> {
        validate(&fields(pairs), &Limits::default())
            .map(|meta| (meta.index, meta.total))
            .map_err(|err| err.message().to_owned())
    }

    #[test]
    fn valid_fields_and_aliases() {
        assert_eq!(
            check(&[
                ("dzuuid", "u"),
                ("dzchunkindex", "2"),
                ("dztotalchunks", "3")
            ]),
            Ok((2, 3))
        );
        assert_eq!(
            check(&[
                ("dzuuid", "u"),
                ("dzchunkindex", "0"),
                ("dztotalchunkcount", "1")
            ]),
            Ok((0, 1))
        );
    }

    #[test]
    fn invalid_fields_are_refused_with_their_name() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("dzchunkindex", "0"), ("dztotalchunks", "1")],
                "Missing field `dzuuid`.",
            ),
            (
                &[("dzuuid", "u"), ("dztotalchunks", "1")],
                "Missing field `dzchunkindex`.",
            ),
            (
                &[
                    ("dzuuid", "u"),
                    ("dzchunkindex", "x"),
                    ("dztotalchunks", "1"),
                ],
                "Field `dzchunkindex` must be a non-negative integer, not \"x\".",
            ),
            (
                &[
                    ("dzuuid", "u"),
                    ("dzchunkindex", "-1"),
                    ("dztotalchunks", "1"),
                ],
                "Field `dzchunkindex` must be a non-negative integer, not \"-1\".",
            ),
            (
                &[
                    ("dzuuid", "u"),
                    ("dzchunkindex", "0"),
                    ("dztotalchunks", "0"),
                ],
                "Field `dztotalchunks` must be at least 1.",
            ),
            (
                &[
                    ("dzuuid", "u"),
                    ("dzchunkindex", "3"),
                    ("dztotalchunks", "3"),
                ],
                "Field `dzchunkindex` is 3, outside 0..2 for 3 chunks.",
            ),
            (
                &[
                    ("dzuuid", ""),
                    ("dzchunkindex", "0"),
                    ("dztotalchunks", "1"),
                ],
                "Field `dzuuid` must be 1 to 64 characters without control characters.",
            ),
            (
                &[
                    ("dzuuid", &"u".repeat(65)),
                    ("dzchunkindex", "0"),
                    ("dztotalchunks", "1"),
                ],
                "Field `dzuuid` must be 1 to 64 characters without control characters.",
            ),
        ];
        for (pairs, message) in cases {
            assert_eq!(check(pairs).unwrap_err(), *message, "{pairs:?}");
        }
    }

    #[test]
    fn a_declared_oversized_upload_is_refused() {
        let limits = Limits::default();
        let too_big = (limits.max_upload_size + 1).to_string();
        let err = precheck(&fields(&[("dztotalfilesize", &too_big)]), &limits).unwrap_err();
        assert_eq!(err.status().as_u16(), 413);
    }

    #[test]
    fn a_field_sent_twice_must_agree() {
        let mut fields = ChunkFields::default();
        fields.set("dztotalchunks", "3".into()).unwrap();
        assert!(fields.set("dztotalchunkcount", "3".into()).is_ok());
        assert!(fields.set("dztotalchunkcount", "4".into()).is_err());
        assert!(!fields.set("other", "x".into()).unwrap());
        assert!(fields.set("dzchunksize", "10".into()).unwrap());
    }
}
