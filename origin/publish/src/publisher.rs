//! The publisher's shell: `publish`, `channel set` and `releases list` as async functions that
//! gather the inputs (folder scan, hashes, bucket state), ask the pure [`crate::plan`] what to
//! do, and carry it out step by step, reporting progress and returning a summary.
//!
//! The summaries are built in a `report` module and `releases list` lives in a `releases`
//! module; both are re-exported here, so their items keep their `publisher::` paths.

use crate::error::Error;
use crate::ledger::LedgerDir;
use crate::manifest::{self, ChannelPointer, Manifest};
use crate::minisign::SecretKey;
use crate::plan::{
    self, ChannelWrite, FileAction, LocalFile, Plan, PlanInput, RemoteManifest, RemoteObject,
    RemoteState, SmallObject,
};
use crate::progress::Progress;
use crate::settings::{ChannelName, GitCommit, Target, Version};
use crate::store::{self, UploadContext, Uploaded, S3};
use edgegate_aws::{Aws, AwsOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::releases::{releases_list, version_order, ChannelEntry, Listing, ReleaseEntry};
use crate::report::dry_run_lines;
pub use crate::report::{
    ChannelReport, InvalidationReport, PlannedFileReport, PublishReport, SignatureReport,
};

/// How long `--wait` waits for an invalidation.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// Polling interval of `--wait`.
pub const WAIT_INTERVAL: Duration = Duration::from_secs(3);
/// Largest accepted `--concurrency`.
pub const MAX_CONCURRENCY: usize = 64;

/// What `edgegate publish` was asked to do.
#[derive(Clone, Debug)]
pub struct PublishOptions {
    /// The folder to publish.
    pub dir: PathBuf,
    /// `--release`.
    pub version: Version,
    /// `--channel`.
    pub channel: Option<ChannelName>,
    /// Bucket, prefix, distribution.
    pub target: Target,
    /// Region and endpoint overrides.
    pub aws: AwsOptions,
    /// `--concurrency`: requests in flight (1..=64).
    pub concurrency: usize,
    /// `--git-commit`.
    pub git_commit: Option<GitCommit>,
    /// `--wait`: wait for invalidations to complete.
    pub wait: bool,
    /// `--dry-run`: plan only.
    pub dry_run: bool,
    /// `--force`: replace a complete release with other content.
    pub force: bool,
    /// `--sign-key`: sign the manifest (minisign format) and write the signature beside it.
    pub sign_key: Option<Arc<SecretKey>>,
    /// `--state-dir`: where multipart uploads are recorded so that a rerun resumes them
    /// ([`crate::resume`]); `None`: nothing is recorded, nothing resumed.
    pub state_dir: Option<PathBuf>,
}

fn caller_reference() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("edgegate-{}-{nanos}", std::process::id())
}

async fn invalidate(
    aws: &Aws,
    distribution_id: &str,
    paths: Vec<String>,
    wait: bool,
    progress: &Progress,
) -> Result<InvalidationReport, Error> {
    let cf = store::cloudfront_client(aws);
    let id = store::invalidate(&cf, distribution_id, &paths, &caller_reference()).await?;
    progress.note(&format!(
        "invalidation {id} of {} on {distribution_id} created",
        paths.join(" ")
    ));
    if wait {
        progress.note(&format!("waiting for invalidation {id} ..."));
        store::wait_invalidation(&cf, distribution_id, &id, WAIT_TIMEOUT, WAIT_INTERVAL).await?;
    }
    Ok(InvalidationReport {
        distribution_id: distribution_id.to_string(),
        id,
        paths,
        completed: wait,
    })
}

/// Reads a channel pointer; `None` when absent or unreadable.
pub(crate) async fn read_pointer(s3: &S3, key: &str) -> Result<Option<ChannelPointer>, Error> {
    Ok(s3
        .get_small(key, 64 * 1024)
        .await?
        .and_then(|b| ChannelPointer::parse(&b).ok()))
}

/// Moves a channel: writes its links (one per file of the release), then its pointer, removes
/// the links the release does not have, and invalidates the pointer's and the links' paths.
/// A viewer sees each link move as one change (a link is one object), and the pointer last.
async fn move_channel(
    aws: &Aws,
    s3: &S3,
    target: &Target,
    write: &ChannelWrite,
    wait: bool,
    progress: &Progress,
) -> Result<ChannelReport, Error> {
    let previous = read_pointer(s3, &write.object.key)
        .await?
        .map(|p| p.version);
    let existing = s3.list(&write.links_prefix).await?;
    for link in &write.links {
        s3.put_link(link).await?;
    }
    s3.put_small(&write.object).await?;
    let keep: BTreeSet<&str> = write.links.iter().map(|l| l.key.as_str()).collect();
    let mut removed = 0;
    for key in existing.keys().filter(|k| !keep.contains(k.as_str())) {
        s3.delete(key).await?;
        removed += 1;
    }
    progress.note(&format!(
        "channel {} -> {} (s3://{}/{}, {} link(s) under {}, {removed} removed)",
        write.channel,
        write.version,
        s3.bucket(),
        write.object.key,
        write.links.len(),
        write.links_prefix
    ));
    let invalidation = match &target.distribution_id {
        Some(d) => Some(
            invalidate(
                aws,
                d.as_str(),
                write.invalidation_paths.clone(),
                wait,
                progress,
            )
            .await?,
        ),
        None => None,
    };
    Ok(ChannelReport {
        channel: write.channel.to_string(),
        version: write.version.to_string(),
        previous,
        key: write.object.key.clone(),
        links: write.links.len(),
        removed_links: removed,
        invalidation,
    })
}

/// The bucket's state under the release prefix (listing + manifest), before hashing.
async fn remote_listing(
    s3: &S3,
    release_prefix: &str,
    manifest_key: &str,
) -> Result<(BTreeMap<String, u64>, RemoteManifest), Error> {
    let listed = s3.list(release_prefix).await?;
    let manifest = if listed.contains_key(manifest_key) {
        match s3
            .get_small(manifest_key, manifest::MAX_MANIFEST_BYTES)
            .await?
        {
            None => RemoteManifest::Absent,
            Some(bytes) => match Manifest::parse(&bytes) {
                Ok(m) => RemoteManifest::Present(m),
                Err(e) => RemoteManifest::Unreadable(e),
            },
        }
    } else {
        RemoteManifest::Absent
    };
    Ok((listed, manifest))
}

/// HEADs the listed objects whose size matches a local file (the only ones that can be
/// skipped), `concurrency` at a time, to read their `x-amz-meta-sha256`.
async fn remote_state(
    s3: &Arc<S3>,
    listed: BTreeMap<String, u64>,
    manifest: RemoteManifest,
    files: &[LocalFile],
    release_prefix: &str,
    concurrency: usize,
) -> Result<RemoteState, Error> {
    let mut objects: BTreeMap<String, RemoteObject> = listed
        .iter()
        .map(|(k, size)| {
            (
                k.clone(),
                RemoteObject {
                    size: *size,
                    sha256: None,
                },
            )
        })
        .collect();
    let candidates: Vec<String> = files
        .iter()
        .map(|f| (format!("{release_prefix}{}", f.path), f.size))
        .filter(|(k, size)| listed.get(k) == Some(size))
        .map(|(k, _)| k)
        .collect();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for key in candidates {
        let s3 = Arc::clone(s3);
        let semaphore = Arc::clone(&semaphore);
        tasks.spawn(async move {
            let _permit = semaphore
                .acquire()
                .await
                .map_err(|_| Error::Unreachable("semaphore closed"))?;
            let head = s3.head(&key).await?;
            Ok::<_, Error>((key, head))
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (key, head) = joined.map_err(|_| Error::Unreachable("HEAD task failed"))??;
        match head {
            Some(h) => {
                objects.insert(
                    key,
                    RemoteObject {
                        size: h.size,
                        sha256: h.sha256,
                    },
                );
            }
            None => {
                objects.remove(&key);
            }
        }
    }
    Ok(RemoteState { manifest, objects })
}

/// Aborts the pending multipart uploads under the release prefix that this run will not resume:
/// every one except, for a file this run uploads in parts, the upload its ledger records (which
/// [`store`] then resumes or aborts). A ledger of a file that is no longer uploaded in parts is
/// removed and its upload aborted. Listing failures (no `s3:ListBucketMultipartUploads`, a
/// server without the call) are a warning: the bucket lifecycle rule removes what is left.
async fn abort_stale_uploads(
    s3: &S3,
    plan: &Plan,
    ledger: Option<&LedgerDir>,
    progress: &Progress,
) -> u64 {
    let mut aborted = 0;
    let mut keep: BTreeSet<(String, String)> = BTreeSet::new();
    for f in &plan.files {
        let Some(record) = ledger.and_then(|l| l.read(s3.bucket(), &f.key)) else {
            continue;
        };
        let in_parts = matches!(f.transfer, plan::Transfer::Multipart { .. });
        if f.action != FileAction::Skip && in_parts {
            keep.insert((f.key.clone(), record.header.upload_id));
        } else {
            if s3
                .abort_noted(&f.key, &record.header.upload_id, progress)
                .await
            {
                aborted += 1;
            }
            if let Some(l) = ledger {
                l.remove(s3.bucket(), &f.key);
            }
        }
    }
    match s3.pending_uploads(&plan.release_prefix).await {
        Ok(pending) => {
            for p in pending {
                if keep.contains(&(p.key.clone(), p.upload_id.clone())) {
                    continue;
                }
                progress.note(&format!(
                    "  aborting a pending multipart upload of {} that this run does not resume (an earlier or another publish started it)",
                    crate::error::escape(&p.key)
                ));
                if s3.abort_noted(&p.key, &p.upload_id, progress).await {
                    aborted += 1;
                }
            }
        }
        Err(e) => progress.note(&format!(
            "warning: {e}; stale multipart uploads under {} are left to the bucket's AbortIncompleteMultipartUpload lifecycle rule",
            plan.release_prefix
        )),
    }
    aborted
}

/// Uploads every non-skipped file, `concurrency` requests in flight. On the first failure no
/// new request starts, the ones in flight finish or fail, and that first failure is returned.
async fn upload_all(
    s3: &Arc<S3>,
    plan: &Plan,
    concurrency: usize,
    ledger: Option<Arc<LedgerDir>>,
    progress: &Arc<Progress>,
) -> Result<Uploaded, Error> {
    let ctx = UploadContext {
        permits: Arc::new(tokio::sync::Semaphore::new(concurrency)),
        cancel: Arc::new(AtomicBool::new(false)),
        progress: Arc::clone(progress),
        ledger,
    };
    let mut queue = plan
        .uploads()
        .map(|f| Arc::new(f.clone()))
        .collect::<Vec<_>>()
        .into_iter();
    let mut tasks = tokio::task::JoinSet::new();
    let mut first_error: Option<Error> = None;
    let mut total = Uploaded::default();
    loop {
        while first_error.is_none() && tasks.len() < concurrency {
            let Some(file) = queue.next() else { break };
            let s3 = Arc::clone(s3);
            let ctx = ctx.clone();
            tasks.spawn(async move {
                let path = file.file.path.clone();
                let size = file.file.size;
                let verb = if file.action == FileAction::Replace {
                    "replaced"
                } else {
                    "uploaded"
                };
                let progress = Arc::clone(&ctx.progress);
                let result = S3::upload(s3, file, ctx).await;
                if result.is_ok() {
                    progress.file(verb, &path, size);
                }
                result
            });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        match joined.unwrap_or(Err(Error::Unreachable("upload task failed"))) {
            Ok(u) => {
                total.resumed_parts += u.resumed_parts;
                total.resumed_bytes = total.resumed_bytes.saturating_add(u.resumed_bytes);
                total.aborted_uploads += u.aborted_uploads;
            }
            Err(e) => {
                ctx.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                match (&first_error, &e) {
                    (None, _) | (Some(Error::Cancelled), _) => first_error = Some(e),
                    _ => {}
                }
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(total),
    }
}

/// `edgegate publish`: see the crate docs for the order of steps and the guarantees.
///
/// # Errors
/// Refused names, an immutable release, a local I/O failure or an AWS failure (after retries).
pub async fn publish(
    options: PublishOptions,
    progress: Arc<Progress>,
    now: u64,
) -> Result<PublishReport, Error> {
    let started = Instant::now();
    let concurrency = options.concurrency.clamp(1, MAX_CONCURRENCY);
    let target = options.target.clone();
    let release_prefix = plan::release_prefix(&target.prefix, &options.version);
    let manifest_key = plan::manifest_key(&target.prefix, &options.version);

    // 1. Names: every refused file is named before anything touches the network.
    let found = crate::scan::scan(&options.dir, &release_prefix)?;
    if found.is_empty() {
        return Err(plan::PlanError::Empty(options.dir.display().to_string()).into());
    }

    // 2. The bucket: fails fast on credentials, a missing bucket or an unreachable endpoint.
    let aws = Aws::load(&options.aws).await?;
    let s3 = Arc::new(S3::new(store::s3_client(&aws), target.bucket.as_str()));
    let (listed, manifest) = remote_listing(&s3, &release_prefix, &manifest_key).await?;

    // 3. Hashes.
    let total_bytes = found.iter().map(|f| f.size).fold(0, u64::saturating_add);
    progress.phase("hashing", found.len() as u64, total_bytes);
    let files = crate::scan::hash_files(found, concurrency, Arc::clone(&progress)).await;
    progress.finish();
    let files = files?;
    let remote = remote_state(&s3, listed, manifest, &files, &release_prefix, concurrency).await?;

    // 4. The plan.
    let plan = plan::plan(PlanInput {
        target: target.clone(),
        version: options.version.clone(),
        files,
        remote,
        force: options.force,
        git_commit: options.git_commit.clone(),
        channel: options.channel.clone(),
        now,
    })?;
    for w in &plan.warnings {
        progress.note(&format!("warning: {w}"));
    }
    let mut report = PublishReport {
        bucket: target.bucket.to_string(),
        prefix: target.prefix.to_string(),
        version: options.version.to_string(),
        release_prefix: plan.release_prefix.clone(),
        state: plan.state,
        dry_run: options.dry_run,
        files: plan.files.len(),
        bytes: plan
            .files
            .iter()
            .map(|f| f.file.size)
            .fold(0, u64::saturating_add),
        uploaded_files: plan.uploads().count(),
        uploaded_bytes: plan.upload_bytes(),
        skipped_files: plan
            .files
            .iter()
            .filter(|f| f.action == FileAction::Skip)
            .count(),
        resumed_parts: 0,
        resumed_bytes: 0,
        aborted_uploads: 0,
        deleted: plan.deletes.clone(),
        manifest: None,
        signature: None,
        release_invalidation: None,
        channel: None,
        warnings: plan.warnings.clone(),
        seconds: 0.0,
        plan: None,
    };
    if options.dry_run {
        report.plan = Some(dry_run_lines(&plan));
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }

    // 5. Carry it out, in order; any failure stops the run before the manifest.
    if plan.delete_manifest_first {
        s3.delete(&manifest_key).await?;
        progress.note(&format!(
            "deleted {manifest_key}: release {} is incomplete until this run finishes",
            options.version
        ));
    }
    progress.phase(
        "uploading",
        plan.uploads().count() as u64,
        plan.upload_bytes(),
    );
    let ledger = options
        .state_dir
        .as_deref()
        .map(|d| Arc::new(LedgerDir::new(d, options.aws.endpoint_url.as_deref())));
    if plan.state != plan::ReleaseState::Identical {
        report.aborted_uploads =
            abort_stale_uploads(&s3, &plan, ledger.as_deref(), &progress).await;
    }
    let uploaded = upload_all(&s3, &plan, concurrency, ledger, &progress).await;
    progress.finish();
    let uploaded = uploaded?;
    report.resumed_parts = uploaded.resumed_parts;
    report.resumed_bytes = uploaded.resumed_bytes;
    report.aborted_uploads += uploaded.aborted_uploads;
    for key in &plan.deletes {
        s3.delete(key).await?;
    }
    if let Some(m) = &plan.manifest {
        // The signature first: a manifest never sits beside a signature of another manifest.
        if let Some(sk) = &options.sign_key {
            let comment = format!("edgegate release {} {}", options.version, m.key);
            s3.put_small(&SmallObject {
                key: plan.signature_key.clone(),
                body: sk.sign(&m.body, &comment).into_bytes(),
                content_type: "text/plain; charset=utf-8",
                cache_control: m.cache_control,
            })
            .await?;
            report.signature = Some(SignatureReport {
                key: plan.signature_key.clone(),
                key_id: sk.public_key().key_id(),
            });
        } else if plan.existing_signature {
            s3.delete(&plan.signature_key).await?;
            progress.note(&format!(
                "deleted {}: it signed an earlier manifest, and this publish has no --sign-key",
                plan.signature_key
            ));
        }
        s3.put_small(m).await?;
        report.manifest = Some(m.key.clone());
        progress.note(&format!(
            "wrote s3://{}/{}: release {} is complete",
            s3.bucket(),
            m.key,
            options.version
        ));
    }
    if plan.manifest.is_none() && options.sign_key.is_some() {
        progress.note(&format!(
            "warning: release {} was already complete and unchanged; its manifest was not signed again ({})",
            options.version,
            if plan.existing_signature {
                "the signature written with it stays"
            } else {
                "it has no signature: republish with --force to sign it"
            }
        ));
    }
    if let (Some(path), Some(d)) = (&plan.invalidate_release, &target.distribution_id) {
        progress.note(&format!(
            "warning: release {} was replaced (--force); invalidating {path}",
            options.version
        ));
        report.release_invalidation = Some(
            invalidate(
                &aws,
                d.as_str(),
                vec![path.clone()],
                options.wait,
                &progress,
            )
            .await?,
        );
    }
    if let Some(write) = &plan.channel {
        report.channel =
            Some(move_channel(&aws, &s3, &target, write, options.wait, &progress).await?);
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// `edgegate channel set NAME VERSION`: points a channel at a complete release (one with a
/// readable manifest naming that version) and invalidates exactly the pointer's path.
///
/// # Errors
/// The release is incomplete or absent, or an AWS call fails.
pub async fn channel_set(
    target: &Target,
    aws_options: &AwsOptions,
    channel: &ChannelName,
    version: &Version,
    wait: bool,
    progress: &Progress,
    now: u64,
) -> Result<ChannelReport, Error> {
    let aws = Aws::load(aws_options).await?;
    let s3 = S3::new(store::s3_client(&aws), target.bucket.as_str());
    let key = plan::manifest_key(&target.prefix, version);
    let Some(bytes) = s3.get_small(&key, manifest::MAX_MANIFEST_BYTES).await? else {
        return Err(Error::IncompleteRelease {
            version: version.to_string(),
            bucket: target.bucket.to_string(),
            key,
        });
    };
    let manifest = Manifest::parse(&bytes).map_err(|reason| Error::BadManifest {
        bucket: target.bucket.to_string(),
        key: key.clone(),
        reason,
    })?;
    if manifest.version != version.as_str() {
        return Err(Error::BadManifest {
            bucket: target.bucket.to_string(),
            key,
            reason: format!("it names version {}", manifest.version),
        });
    }
    let write = plan::channel_write(
        &target.prefix,
        channel,
        version,
        manifest.files.iter().map(|f| f.path.as_str()),
        now,
    );
    if target.distribution_id.is_none() {
        progress.note("warning: no distribution id (--distribution-id or publish.distribution_id): the channel pointer is not invalidated");
    }
    move_channel(&aws, &s3, target, &write, wait, progress).await
}
