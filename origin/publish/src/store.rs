//! The S3 and CloudFront calls the publisher makes, one function per call shape. Bodies are
//! streamed from the file (a fixed read buffer per request), never read whole; the SDK can
//! replay such a body on a retry because it reopens the file.
//!
//! A multipart upload resumes the pending upload its ledger records ([`crate::resume`],
//! [`crate::ledger`]) when ListParts proves parts of it hold this file's bytes; an upload that
//! fails is kept for the next run to resume when its ledger could be written (and aborted
//! otherwise, or when it can no longer be used).

use crate::error::{escape, Error};
use crate::ledger::{LedgerDir, LedgerWriter};
use crate::plan::{
    part_ranges, PlannedFile, SmallObject, Transfer, RELEASE_CACHE_CONTROL, SHA256_METADATA,
};
use crate::progress::{human_bytes, Progress};
use crate::resume::{self, LedgerHeader, ListedPart, RecordedPart, ReusedPart, UploadIdentity};
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use sha2::Digest as _;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// [`edgegate_aws::sdk_error`] as the publisher's error.
fn sdk_error<E>(what: &str, err: &SdkError<E>) -> Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    edgegate_aws::sdk_error(what, err).into()
}

/// Read buffer per streamed request body.
const BODY_BUFFER: usize = 256 * 1024;

/// The S3 client: path-style addressing when an endpoint is overridden (a local stand-in);
/// checksums only where edgegate sets them (no SDK-added CRC32 trailers).
pub fn s3_client(aws: &edgegate_aws::Aws) -> aws_sdk_s3::Client {
    let config = aws.config();
    let builder = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some())
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired);
    aws_sdk_s3::Client::from_conf(builder.build())
}

/// The CloudFront client.
pub fn cloudfront_client(aws: &edgegate_aws::Aws) -> aws_sdk_cloudfront::Client {
    aws_sdk_cloudfront::Client::new(aws.config())
}

/// S3 operations on one bucket.
#[derive(Clone, Debug)]
pub struct S3 {
    client: aws_sdk_s3::Client,
    bucket: String,
}

/// What a HEAD says about an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    /// Size in bytes.
    pub size: u64,
    /// `x-amz-meta-sha256`, lower-cased.
    pub sha256: Option<String>,
}

/// What the uploads of one run share.
#[derive(Clone, Debug)]
pub struct UploadContext {
    /// Bounds the requests in flight across all files.
    pub permits: Arc<tokio::sync::Semaphore>,
    /// Set on the first failure: no new request starts.
    pub cancel: Arc<AtomicBool>,
    /// Progress and notes.
    pub progress: Arc<Progress>,
    /// Where multipart uploads are recorded for a rerun to resume (`None`: no resume).
    pub ledger: Option<Arc<LedgerDir>>,
}

impl UploadContext {
    /// Waits for one of the transfer slots (`permits`), then refuses with
    /// [`Error::Cancelled`] when the publish was cancelled meanwhile.
    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, Error> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::Unreachable("semaphore closed"))?;
        if self.cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        Ok(permit)
    }
}

/// What one upload did besides sending bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Uploaded {
    /// Parts reused from a pending upload of an earlier run (not sent again).
    pub resumed_parts: u64,
    /// Their bytes.
    pub resumed_bytes: u64,
    /// Pending uploads of the key aborted because they could not be resumed.
    pub aborted_uploads: u64,
}

/// A pending multipart upload as ListMultipartUploads lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingUpload {
    /// Its key.
    pub key: String,
    /// Its upload id (never printed).
    pub upload_id: String,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn is_no_such_upload<E>(e: &SdkError<E>) -> bool
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    e.as_service_error()
        .is_some_and(|s| s.code() == Some("NoSuchUpload"))
        || e.raw_response().is_some_and(|r| r.status().as_u16() == 404)
}

/// A 4xx answer: the server refused the request itself (retrying will not help).
fn is_refusal<E>(e: &SdkError<E>) -> bool {
    e.raw_response()
        .is_some_and(|r| (400..500).contains(&r.status().as_u16()))
}

fn size_of(n: Option<i64>) -> u64 {
    n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
}

fn i64_of(n: u64) -> Result<i64, Error> {
    i64::try_from(n).map_err(|_| Error::Unreachable("size beyond i64"))
}

impl S3 {
    /// Operations on `bucket` through `client`.
    pub fn new(client: aws_sdk_s3::Client, bucket: &str) -> S3 {
        S3 {
            client,
            bucket: bucket.to_string(),
        }
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    /// Every object under `prefix` with its size.
    ///
    /// # Errors
    /// The listing fails (no bucket, no access, unreachable).
    pub async fn list(&self, prefix: &str) -> Result<BTreeMap<String, u64>, Error> {
        let mut out = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let resp = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| sdk_error(&format!("S3 ListObjectsV2 {}", self.url(prefix)), &e))?;
            for o in resp.contents() {
                if let Some(k) = o.key() {
                    out.insert(k.to_string(), size_of(o.size()));
                }
            }
            match resp.next_continuation_token() {
                Some(t) if resp.is_truncated().unwrap_or(false) => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// The "folders" directly under `prefix` (common prefixes with delimiter `/`).
    ///
    /// # Errors
    /// The listing fails.
    pub async fn list_folders(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let resp = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .delimiter("/")
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| sdk_error(&format!("S3 ListObjectsV2 {}", self.url(prefix)), &e))?;
            out.extend(
                resp.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_string)),
            );
            match resp.next_continuation_token() {
                Some(t) if resp.is_truncated().unwrap_or(false) => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// HEAD: size and `x-amz-meta-sha256`; `None` when the object does not exist.
    ///
    /// # Errors
    /// Anything but "not found".
    pub async fn head(&self, key: &str) -> Result<Option<Head>, Error> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(Head {
                size: size_of(out.content_length()),
                sha256: out
                    .metadata()
                    .and_then(|m| m.get(SHA256_METADATA))
                    .map(|s| s.to_ascii_lowercase()),
            })),
            Err(e)
                if e.as_service_error().is_some_and(|s| s.is_not_found())
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
            {
                Ok(None)
            }
            Err(e) => Err(sdk_error(&format!("S3 HeadObject {}", self.url(key)), &e)),
        }
    }

    /// GET of a small object (manifest, pointer); `None` when it does not exist.
    ///
    /// # Errors
    /// A failure, or an object larger than `max` bytes.
    pub async fn get_small(&self, key: &str, max: usize) -> Result<Option<Vec<u8>>, Error> {
        let what = format!("S3 GetObject {}", self.url(key));
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e)
                if e.as_service_error().is_some_and(|s| s.is_no_such_key())
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(sdk_error(&what, &e)),
        };
        if size_of(out.content_length()) > max as u64 {
            return Err(Error::Aws(format!("{what}: larger than {max} bytes")));
        }
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| Error::Aws(format!("{what}: {e}")))?
            .into_bytes();
        Ok(Some(bytes.to_vec()))
    }

    /// PUT of a small in-memory object, with its SHA-256 as `x-amz-checksum-sha256` and
    /// `x-amz-meta-sha256`.
    ///
    /// # Errors
    /// The PUT fails.
    pub async fn put_small(&self, object: &SmallObject) -> Result<(), Error> {
        let digest = crate::plan::Sha256(sha2::Sha256::digest(&object.body).into());
        self.put_whole(
            &object.key,
            object.body.clone(),
            &digest,
            object.content_type,
            object.cache_control,
            (SHA256_METADATA, &digest.hex()),
        )
        .await
    }

    /// One PutObject of `body` with `digest` (its SHA-256) as checksum, these headers and one
    /// user metadata member.
    async fn put_whole(
        &self,
        key: &str,
        body: Vec<u8>,
        digest: &crate::plan::Sha256,
        content_type: &str,
        cache_control: &str,
        metadata: (&str, &str),
    ) -> Result<(), Error> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(body))
            .content_type(content_type)
            .cache_control(cache_control)
            .metadata(metadata.0, metadata.1)
            .checksum_sha256(digest.base64())
            .send()
            .await
            .map_err(|e| sdk_error(&format!("S3 PutObject {}", self.url(key)), &e))?;
        Ok(())
    }

    /// PUT of a channel link: an empty object carrying `x-amz-meta-edgegate-location` (the
    /// versioned URL path), `Cache-Control: max-age=60` ([`crate::plan::ChannelLink`]).
    ///
    /// # Errors
    /// The PUT fails.
    pub async fn put_link(&self, link: &crate::plan::ChannelLink) -> Result<(), Error> {
        let empty = crate::plan::Sha256(sha2::Sha256::digest(b"").into());
        self.put_whole(
            &link.key,
            Vec::new(),
            &empty,
            "text/plain; charset=utf-8",
            crate::plan::CHANNEL_CACHE_CONTROL,
            (crate::plan::LOCATION_METADATA, &link.location),
        )
        .await
    }

    /// DELETE of one object.
    ///
    /// # Errors
    /// The DELETE fails.
    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("S3 DeleteObject {}", self.url(key)), &e))?;
        Ok(())
    }

    /// Every pending multipart upload whose key starts with `prefix` (ListMultipartUploads,
    /// every page).
    ///
    /// # Errors
    /// The listing fails (no permission `s3:ListBucketMultipartUploads`, a server without the
    /// call, unreachable).
    pub async fn pending_uploads(&self, prefix: &str) -> Result<Vec<PendingUpload>, Error> {
        let mut out = Vec::new();
        let mut key_marker: Option<String> = None;
        let mut id_marker: Option<String> = None;
        loop {
            let resp = self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.take())
                .set_upload_id_marker(id_marker.take())
                .send()
                .await
                .map_err(|e| {
                    sdk_error(&format!("S3 ListMultipartUploads {}", self.url(prefix)), &e)
                })?;
            out.extend(resp.uploads().iter().filter_map(|u| {
                Some(PendingUpload {
                    key: u.key()?.to_string(),
                    upload_id: u.upload_id()?.to_string(),
                })
            }));
            let next = (
                resp.next_key_marker().map(str::to_string),
                resp.next_upload_id_marker().map(str::to_string),
            );
            match next {
                (Some(k), id) if resp.is_truncated().unwrap_or(false) => {
                    key_marker = Some(k);
                    id_marker = id;
                }
                _ => break,
            }
        }
        Ok(out)
    }

    /// The parts of a pending upload (ListParts, every page); `None` when the upload no longer
    /// exists (completed, aborted, or removed by a lifecycle rule).
    ///
    /// # Errors
    /// The listing fails otherwise.
    pub async fn list_parts(
        &self,
        key: &str,
        upload_id: &str,
    ) -> Result<Option<Vec<ListedPart>>, Error> {
        let what = format!("S3 ListParts {}", self.url(key));
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let resp = match self
                .client
                .list_parts()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .set_part_number_marker(marker.take())
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) if is_no_such_upload(&e) => return Ok(None),
                Err(e) => return Err(sdk_error(&what, &e)),
            };
            for p in resp.parts() {
                let Some(number) = p.part_number() else {
                    continue;
                };
                out.push(ListedPart {
                    number,
                    size: size_of(p.size()),
                    e_tag: p.e_tag().map(str::to_string),
                    sha256: p.checksum_sha256().map(str::to_string),
                });
            }
            match resp.next_part_number_marker() {
                Some(m) if resp.is_truncated().unwrap_or(false) => {
                    // A marker that does not advance would loop forever.
                    if marker.as_deref() == Some(m) {
                        break;
                    }
                    marker = Some(m.to_string());
                }
                _ => break,
            }
        }
        Ok(Some(out))
    }

    /// AbortMultipartUpload; an upload that no longer exists is fine.
    ///
    /// # Errors
    /// The call fails otherwise (e.g. no permission `s3:AbortMultipartUpload`).
    pub async fn abort(&self, key: &str, upload_id: &str) -> Result<(), Error> {
        match self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_no_such_upload(&e) => Ok(()),
            Err(e) => Err(sdk_error(
                &format!("S3 AbortMultipartUpload {}", self.url(key)),
                &e,
            )),
        }
    }

    /// [`S3::abort`], a failure only noted (the bucket lifecycle rule removes what is left).
    /// Returns whether the upload is gone.
    pub async fn abort_noted(&self, key: &str, upload_id: &str, progress: &Progress) -> bool {
        match self.abort(key, upload_id).await {
            Ok(()) => true,
            Err(e) => {
                progress.note(&format!(
                    "warning: {e}; the bucket's AbortIncompleteMultipartUpload lifecycle rule removes it"
                ));
                false
            }
        }
    }

    async fn body(file: &PlannedFile, offset: u64, length: u64) -> Result<ByteStream, Error> {
        ByteStream::read_from()
            .path(&file.file.source)
            .offset(offset)
            .length(Length::Exact(length))
            .buffer_size(BODY_BUFFER)
            .build()
            .await
            .map_err(|e| Error::Io {
                path: file.file.source.display().to_string(),
                source: std::io::Error::other(e.to_string()),
            })
    }

    /// A failed checksum means the bytes sent are not the bytes hashed: the file changed.
    fn upload_error<E>(&self, file: &PlannedFile, what: &str, e: &SdkError<E>) -> Error
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        let bad_digest = e
            .as_service_error()
            .is_some_and(|s| matches!(s.code(), Some("BadDigest" | "InvalidDigest")));
        if bad_digest && !crate::scan::unchanged(&file.file) {
            return Error::ChangedDuringPublish {
                path: file.file.path.clone(),
            };
        }
        sdk_error(what, e)
    }

    /// Uploads one file (single PUT or multipart, per its plan), `ctx.permits` bounding the
    /// requests in flight across all files. Stops early once `ctx.cancel` is set.
    ///
    /// # Errors
    /// The first failed request. A failed multipart upload is kept for a rerun to resume when
    /// its ledger was written, and aborted (best effort) otherwise.
    pub async fn upload(
        self: Arc<Self>,
        file: Arc<PlannedFile>,
        ctx: UploadContext,
    ) -> Result<Uploaded, Error> {
        let mut uploaded = Uploaded::default();
        match file.transfer {
            Transfer::Single => {
                let _permit = ctx.slot().await?;
                let what = format!("S3 PutObject {}", self.url(&file.key));
                let body = S3::body(&file, 0, file.file.size).await?;
                self.client
                    .put_object()
                    .bucket(&self.bucket)
                    .key(&file.key)
                    .body(body)
                    .content_length(i64_of(file.file.size)?)
                    .content_type(&file.content_type)
                    .cache_control(RELEASE_CACHE_CONTROL)
                    .metadata(SHA256_METADATA, file.file.sha256.hex())
                    .checksum_sha256(file.file.sha256.base64())
                    .send()
                    .await
                    .map_err(|e| self.upload_error(&file, &what, &e))?;
                ctx.progress.bytes(file.file.size);
            }
            Transfer::Multipart { part_size, .. } => {
                uploaded = Arc::clone(&self)
                    .multipart(Arc::clone(&file), part_size, &ctx)
                    .await?;
            }
        }
        if !crate::scan::unchanged(&file.file) {
            return Err(Error::ChangedDuringPublish {
                path: file.file.path.clone(),
            });
        }
        Ok(uploaded)
    }

    /// The pending upload of `file` its ledger records, when it may be resumed; an upload that
    /// may not is aborted (counted in `uploaded`) and its ledger removed.
    async fn resumable(
        &self,
        file: &PlannedFile,
        identity: &UploadIdentity,
        ranges: &[(u64, u64)],
        ctx: &UploadContext,
        uploaded: &mut Uploaded,
    ) -> Option<resume::Resumable> {
        let ledger = ctx.ledger.as_ref()?;
        let record = ledger.read(&self.bucket, &file.key)?;
        let upload_id = record.header.upload_id.clone();
        let name = escape(&file.file.path);
        let listed = {
            let _permit = ctx.permits.acquire().await.ok()?;
            self.list_parts(&file.key, &upload_id).await
        };
        let why = match listed {
            Ok(Some(listed)) => {
                match resume::decide(identity, ranges, &file.file.part_sha256, &record, &listed) {
                    Ok(r) if !r.reused.is_empty() => return Some(r),
                    // Nothing to gain from it, and the server's state of it to depend on.
                    Ok(_) => "no part of it is proven to hold this file's bytes".to_string(),
                    Err(why) => why.to_string(),
                }
            }
            Ok(None) => {
                ctx.progress.note(&format!(
                    "  the pending upload of {name} an earlier run recorded is gone (completed, aborted or expired): uploading it afresh"
                ));
                ledger.remove(&self.bucket, &file.key);
                return None;
            }
            Err(e) => format!("its parts cannot be listed ({e})"),
        };
        ctx.progress.note(&format!(
            "  not resuming the pending upload of {name}: {why}; aborting it and uploading afresh"
        ));
        if self.abort_noted(&file.key, &upload_id, &ctx.progress).await {
            uploaded.aborted_uploads += 1;
        }
        ledger.remove(&self.bucket, &file.key);
        None
    }

    /// A multipart upload: resumed from the ledger's pending upload when [`resume::decide`]
    /// allows, created otherwise; only the missing parts are sent, and it is completed only
    /// with every part of the file.
    async fn multipart(
        self: Arc<Self>,
        file: Arc<PlannedFile>,
        part_size: u64,
        ctx: &UploadContext,
    ) -> Result<Uploaded, Error> {
        let ranges = part_ranges(file.file.size, part_size);
        if ranges.len() != file.file.part_sha256.len() {
            return Err(Error::Unreachable("part hashes do not match the layout"));
        }
        let identity = UploadIdentity {
            size: file.file.size,
            sha256: file.file.sha256.hex(),
            part_size,
            parts: ranges.len(),
            content_type: file.content_type.clone(),
            cache_control: RELEASE_CACHE_CONTROL.to_string(),
        };
        let name = escape(&file.file.path);
        let mut uploaded = Uploaded::default();
        let resumed = self
            .resumable(&file, &identity, &ranges, ctx, &mut uploaded)
            .await;
        let (upload_id, reused, missing, writer) = match resumed {
            Some(r) => {
                let writer = ctx
                    .ledger
                    .as_ref()
                    .and_then(|l| l.append_to(&self.bucket, &file.key).ok());
                if !r.reused.is_empty() {
                    let bytes = r.reused_bytes();
                    ctx.progress.note(&format!(
                        "  resuming {name}: {} of {} part(s) ({}) already uploaded by an earlier run",
                        r.reused.len(),
                        ranges.len(),
                        human_bytes(bytes)
                    ));
                    ctx.progress.bytes(bytes);
                    uploaded.resumed_parts = r.reused.len() as u64;
                    uploaded.resumed_bytes = bytes;
                }
                (r.upload_id, r.reused, r.missing, writer)
            }
            None => {
                let upload_id = self.create(&file, ctx).await?;
                let writer = ctx.ledger.as_ref().and_then(|l| {
                    let header = LedgerHeader {
                        format: resume::LEDGER_FORMAT,
                        endpoint: l.endpoint().to_string(),
                        bucket: self.bucket.clone(),
                        key: file.key.clone(),
                        upload_id: upload_id.clone(),
                        created_at: now_secs(),
                        identity: identity.clone(),
                    };
                    match l.create(&header) {
                        Ok(w) => Some(w),
                        Err(e) => {
                            ctx.progress.note(&format!(
                                "warning: cannot record the upload of {name} in {} ({e}): it cannot be resumed if interrupted",
                                l.dir().display()
                            ));
                            None
                        }
                    }
                });
                let all = (1..=ranges.len())
                    .filter_map(|n| i32::try_from(n).ok())
                    .collect();
                (upload_id, Vec::new(), all, writer)
            }
        };
        let writer = writer.map(Arc::new);
        let accepted = Arc::new(AtomicU64::new(reused.len() as u64));
        let result = Arc::clone(&self)
            .upload_parts(
                Arc::clone(&file),
                &ranges,
                &missing,
                &upload_id,
                writer.clone(),
                Arc::clone(&accepted),
                ctx,
            )
            .await;
        let result = match result {
            Ok(new) => self.complete(&file, &upload_id, reused, new).await,
            Err(e) => Err((e, false)),
        };
        match result {
            Ok(()) => {
                if let Some(l) = &ctx.ledger {
                    l.remove(&self.bucket, &file.key);
                }
                Ok(uploaded)
            }
            Err((e, refused)) => {
                let unusable = refused || matches!(e, Error::ChangedDuringPublish { .. });
                if writer.is_some() && !unusable {
                    ctx.progress.note(&format!(
                        "  kept the multipart upload of {name} ({} of {} part(s) uploaded): run the same publish again to resume it",
                        accepted.load(Ordering::Relaxed),
                        ranges.len()
                    ));
                } else {
                    // Best effort: the server may be the thing that failed.
                    let _ = self.abort(&file.key, &upload_id).await;
                    if let Some(l) = &ctx.ledger {
                        l.remove(&self.bucket, &file.key);
                    }
                }
                Err(e)
            }
        }
    }

    /// CreateMultipartUpload with the object's metadata and the SHA-256 checksum algorithm.
    async fn create(&self, file: &PlannedFile, ctx: &UploadContext) -> Result<String, Error> {
        let _permit = ctx.slot().await?;
        let what = format!("S3 CreateMultipartUpload {}", self.url(&file.key));
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&file.key)
            .content_type(&file.content_type)
            .cache_control(RELEASE_CACHE_CONTROL)
            .metadata(SHA256_METADATA, file.file.sha256.hex())
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .send()
            .await
            .map_err(|e| sdk_error(&what, &e))?;
        created
            .upload_id()
            .map(str::to_string)
            .ok_or_else(|| Error::Aws(format!("{what}: no UploadId in the answer")))
    }

    /// Uploads the parts numbered `missing`, recording each accepted one in `writer` and
    /// counting it in `accepted`.
    #[allow(clippy::too_many_arguments)] // reason: one private call site; a struct adds nothing.
    async fn upload_parts(
        self: Arc<Self>,
        file: Arc<PlannedFile>,
        ranges: &[(u64, u64)],
        missing: &[i32],
        upload_id: &str,
        writer: Option<Arc<LedgerWriter>>,
        accepted: Arc<AtomicU64>,
        ctx: &UploadContext,
    ) -> Result<Vec<CompletedPart>, Error> {
        let mut tasks = tokio::task::JoinSet::new();
        for &number in missing {
            let index = usize::try_from(number)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .ok_or(Error::Unreachable("part number"))?;
            let &(offset, length) = ranges.get(index).ok_or(Error::Unreachable("part range"))?;
            let checksum = file
                .file
                .part_sha256
                .get(index)
                .map(|h| h.base64())
                .ok_or(Error::Unreachable("part hash"))?;
            let s3 = Arc::clone(&self);
            let file = Arc::clone(&file);
            let permits = Arc::clone(&ctx.permits);
            let cancel = Arc::clone(&ctx.cancel);
            let progress = Arc::clone(&ctx.progress);
            let writer = writer.clone();
            let accepted = Arc::clone(&accepted);
            let upload_id = upload_id.to_string();
            tasks.spawn(async move {
                let _permit = permits
                    .acquire()
                    .await
                    .map_err(|_| Error::Unreachable("semaphore closed"))?;
                if cancel.load(Ordering::Relaxed) {
                    return Err(Error::Cancelled);
                }
                let what = format!("S3 UploadPart {} part {number}", s3.url(&file.key));
                let body = S3::body(&file, offset, length).await?;
                let out = s3
                    .client
                    .upload_part()
                    .bucket(&s3.bucket)
                    .key(&file.key)
                    .upload_id(&upload_id)
                    .part_number(number)
                    .body(body)
                    .content_length(i64_of(length)?)
                    .checksum_sha256(&checksum)
                    .send()
                    .await
                    .map_err(|e| s3.upload_error(&file, &what, &e))?;
                accepted.fetch_add(1, Ordering::Relaxed);
                if let Some(w) = &writer {
                    // A part that cannot be recorded is only sent again by a rerun.
                    let _ = w.record(&RecordedPart {
                        part: number,
                        size: length,
                        sha256: checksum.clone(),
                        e_tag: out.e_tag().unwrap_or_default().to_string(),
                    });
                }
                progress.bytes(length);
                Ok(CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag().map(str::to_string))
                    .checksum_sha256(checksum)
                    .build())
            });
        }
        let mut parts = Vec::new();
        let mut first_error = None;
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok(part)) => parts.push(part),
                Ok(Err(e)) => {
                    ctx.cancel.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(e);
                }
                Err(_) => {
                    ctx.cancel.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(Error::Unreachable("part task failed"));
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(parts),
        }
    }

    /// CompleteMultipartUpload with the reused and the new parts, only when they are every part
    /// of the file, then the composite checksum check. The error's flag says the upload cannot
    /// be used any more (the server refused the completion).
    async fn complete(
        &self,
        file: &PlannedFile,
        upload_id: &str,
        reused: Vec<ReusedPart>,
        new: Vec<CompletedPart>,
    ) -> Result<(), (Error, bool)> {
        let mut parts: Vec<CompletedPart> = reused
            .into_iter()
            .map(|p| {
                CompletedPart::builder()
                    .part_number(p.number)
                    .e_tag(p.e_tag)
                    .checksum_sha256(p.sha256)
                    .build()
            })
            .chain(new)
            .collect();
        parts.sort_by_key(|p| p.part_number());
        let numbers: Vec<i32> = parts.iter().map(|p| p.part_number().unwrap_or(0)).collect();
        if !resume::covers_every_part(&numbers, file.file.part_sha256.len()) {
            return Err((
                Error::Unreachable("a multipart upload lacks parts at completion"),
                true,
            ));
        }
        let what = format!("S3 CompleteMultipartUpload {}", self.url(&file.key));
        let completed = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&file.key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| (self.upload_error(file, &what, &e), is_refusal(&e)))?;
        // S3 answers with the composite checksum (SHA-256 of the part digests, `-N`); a server
        // that keeps none (s3s-fs) answers without it.
        if let Some(got) = completed.checksum_sha256() {
            let want = composite_sha256(&file.file.part_sha256);
            if got.split('-').next() != want.split('-').next() {
                return Err((
                    Error::Aws(format!(
                        "{what}: composite checksum {got} is not the expected {want}"
                    )),
                    true,
                ));
            }
        }
        Ok(())
    }
}

/// The composite checksum S3 reports for a multipart upload with SHA-256 parts:
/// base64(SHA-256(part digest 1 || part digest 2 || ...)) `-` number of parts.
pub fn composite_sha256(parts: &[crate::plan::Sha256]) -> String {
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p.0);
    }
    format!(
        "{}-{}",
        crate::plan::Sha256(h.finalize().into()).base64(),
        parts.len()
    )
}

/// Creates an invalidation of `paths` and returns its id.
///
/// # Errors
/// The call fails.
pub async fn invalidate(
    client: &aws_sdk_cloudfront::Client,
    distribution_id: &str,
    paths: &[String],
    caller_reference: &str,
) -> Result<String, Error> {
    use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
    let what = format!("CloudFront CreateInvalidation {distribution_id} {paths:?}");
    let quantity = i32::try_from(paths.len()).map_err(|_| Error::Unreachable("path count"))?;
    let batch = InvalidationBatch::builder()
        .paths(
            Paths::builder()
                .quantity(quantity)
                .set_items(Some(paths.to_vec()))
                .build()
                .map_err(|e| Error::Aws(format!("{what}: {e}")))?,
        )
        .caller_reference(caller_reference)
        .build()
        .map_err(|e| Error::Aws(format!("{what}: {e}")))?;
    let out = client
        .create_invalidation()
        .distribution_id(distribution_id)
        .invalidation_batch(batch)
        .send()
        .await
        .map_err(|e| sdk_error(&what, &e))?;
    out.invalidation()
        .map(|i| i.id().to_string())
        .ok_or_else(|| Error::Aws(format!("{what}: no invalidation in the answer")))
}

/// Polls an invalidation until CloudFront reports it `Completed`.
///
/// # Errors
/// A failed call, or [`Error::InvalidationTimeout`] after `timeout`.
pub async fn wait_invalidation(
    client: &aws_sdk_cloudfront::Client,
    distribution_id: &str,
    id: &str,
    timeout: Duration,
    interval: Duration,
) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let what = format!("CloudFront GetInvalidation {distribution_id} {id}");
    loop {
        let out = client
            .get_invalidation()
            .distribution_id(distribution_id)
            .id(id)
            .send()
            .await
            .map_err(|e| sdk_error(&what, &e))?;
        let status = out.invalidation().map(|i| i.status().to_string());
        if status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("completed"))
        {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(Error::InvalidationTimeout {
                distribution_id: distribution_id.to_string(),
                id: id.to_string(),
                seconds: timeout.as_secs(),
            });
        }
        tokio::time::sleep(interval).await;
    }
}
