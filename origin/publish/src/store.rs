//! The S3 and CloudFront calls the publisher makes, one function per call shape. Bodies are
//! streamed from the file (a fixed read buffer per request), never read whole; the SDK can
//! replay such a body on a retry because it reopens the file.

use crate::error::Error;
use crate::plan::{
    part_ranges, PlannedFile, SmallObject, Transfer, RELEASE_CACHE_CONTROL, SHA256_METADATA,
};
use crate::progress::Progress;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use sha2::Digest as _;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
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
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&object.key)
            .body(ByteStream::from(object.body.clone()))
            .content_type(object.content_type)
            .cache_control(object.cache_control)
            .metadata(SHA256_METADATA, digest.hex())
            .checksum_sha256(digest.base64())
            .send()
            .await
            .map_err(|e| sdk_error(&format!("S3 PutObject {}", self.url(&object.key)), &e))?;
        Ok(())
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

    /// Uploads one file (single PUT or multipart, per its plan), `permits` bounding the
    /// requests in flight across all files. Stops early once `cancel` is set.
    ///
    /// # Errors
    /// The first failed request; a multipart upload is aborted (best effort) on failure.
    pub async fn upload(
        self: Arc<Self>,
        file: Arc<PlannedFile>,
        permits: Arc<tokio::sync::Semaphore>,
        cancel: Arc<AtomicBool>,
        progress: Arc<Progress>,
    ) -> Result<(), Error> {
        match file.transfer {
            Transfer::Single => {
                let _permit = permits
                    .acquire()
                    .await
                    .map_err(|_| Error::Unreachable("semaphore closed"))?;
                if cancel.load(Ordering::Relaxed) {
                    return Err(Error::Cancelled);
                }
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
                progress.bytes(file.file.size);
            }
            Transfer::Multipart { part_size, .. } => {
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
                let upload_id = created
                    .upload_id()
                    .ok_or_else(|| Error::Aws(format!("{what}: no UploadId in the answer")))?
                    .to_string();
                let result = Arc::clone(&self)
                    .upload_parts(
                        Arc::clone(&file),
                        part_size,
                        &upload_id,
                        permits,
                        Arc::clone(&cancel),
                        progress,
                    )
                    .await;
                if result.is_err() {
                    // Best effort: the server may be the thing that failed.
                    let _ = self
                        .client
                        .abort_multipart_upload()
                        .bucket(&self.bucket)
                        .key(&file.key)
                        .upload_id(&upload_id)
                        .send()
                        .await;
                }
                result?;
            }
        }
        if !crate::scan::unchanged(&file.file) {
            return Err(Error::ChangedDuringPublish {
                path: file.file.path.clone(),
            });
        }
        Ok(())
    }

    async fn upload_parts(
        self: Arc<Self>,
        file: Arc<PlannedFile>,
        part_size: u64,
        upload_id: &str,
        permits: Arc<tokio::sync::Semaphore>,
        cancel: Arc<AtomicBool>,
        progress: Arc<Progress>,
    ) -> Result<(), Error> {
        let ranges = part_ranges(file.file.size, part_size);
        if ranges.len() != file.file.part_sha256.len() {
            return Err(Error::Unreachable("part hashes do not match the layout"));
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (index, (offset, length)) in ranges.into_iter().enumerate() {
            let number = i32::try_from(index + 1).map_err(|_| Error::Unreachable("part number"))?;
            let checksum = file
                .file
                .part_sha256
                .get(index)
                .map(|h| h.base64())
                .ok_or(Error::Unreachable("part hash"))?;
            let s3 = Arc::clone(&self);
            let file = Arc::clone(&file);
            let permits = Arc::clone(&permits);
            let cancel = Arc::clone(&cancel);
            let progress = Arc::clone(&progress);
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
                    cancel.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(e);
                }
                Err(_) => {
                    cancel.store(true, Ordering::Relaxed);
                    first_error.get_or_insert(Error::Unreachable("part task failed"));
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        parts.sort_by_key(|p| p.part_number());
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
            .map_err(|e| self.upload_error(&file, &what, &e))?;
        // S3 answers with the composite checksum (SHA-256 of the part digests, `-N`); a server
        // that keeps none (s3s-fs) answers without it.
        if let Some(got) = completed.checksum_sha256() {
            let want = composite_sha256(&file.file.part_sha256);
            if got.split('-').next() != want.split('-').next() {
                return Err(Error::Aws(format!(
                    "{what}: composite checksum {got} is not the expected {want}"
                )));
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
