//! The publisher's shell: `publish`, `channel set` and `releases list` as async functions that
//! gather the inputs (folder scan, hashes, bucket state), ask the pure [`crate::plan`] what to
//! do, and carry it out step by step, reporting progress and returning a summary.

use crate::error::Error;
use crate::manifest::{self, ChannelPointer, Manifest};
use crate::plan::{
    self, ChannelWrite, FileAction, LocalFile, Plan, PlanInput, ReleaseState, RemoteManifest,
    RemoteObject, RemoteState, Transfer,
};
use crate::progress::{human_bytes, Progress};
use crate::settings::{ChannelName, GitCommit, Target, Version};
use crate::store::{self, S3};
use edgegate_aws::{Aws, AwsOptions};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
}

/// One invalidation made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvalidationReport {
    /// The distribution.
    pub distribution_id: String,
    /// The invalidation id.
    pub id: String,
    /// The invalidated paths.
    pub paths: Vec<String>,
    /// Whether `--wait` saw it complete.
    pub completed: bool,
}

/// A channel move.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChannelReport {
    /// The channel.
    pub channel: String,
    /// The version it now points to.
    pub version: String,
    /// The version it pointed to before, if any.
    pub previous: Option<String>,
    /// The pointer's key.
    pub key: String,
    /// The pointer's invalidation, when a distribution is configured.
    pub invalidation: Option<InvalidationReport>,
}

/// One file in a `--dry-run` plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedFileReport {
    /// Path inside the folder.
    pub path: String,
    /// The S3 key.
    pub key: String,
    /// upload / replace / skip.
    pub action: FileAction,
    /// Size in bytes.
    pub size: u64,
    /// Whole-file SHA-256 (hex).
    pub sha256: String,
    /// Content-Type.
    pub content_type: String,
    /// Number of parts (1 for a single PUT).
    pub parts: u32,
    /// Part size in bytes (the file size for a single PUT).
    pub part_size: u64,
}

/// The summary of a publish run (`--output json` prints it as is).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PublishReport {
    /// The bucket.
    pub bucket: String,
    /// The key prefix.
    pub prefix: String,
    /// The release.
    pub version: String,
    /// `<prefix><VERSION>/`.
    pub release_prefix: String,
    /// The release's state before the run.
    pub state: ReleaseState,
    /// `--dry-run`: nothing was changed.
    pub dry_run: bool,
    /// Files in the release.
    pub files: usize,
    /// Bytes in the release.
    pub bytes: u64,
    /// Files transferred (or to transfer, in a dry run).
    pub uploaded_files: usize,
    /// Bytes transferred (or to transfer).
    pub uploaded_bytes: u64,
    /// Files already present with the same SHA-256.
    pub skipped_files: usize,
    /// Objects deleted from the release prefix (not part of the release).
    pub deleted: Vec<String>,
    /// The manifest key written (`None` when the release was already complete).
    pub manifest: Option<String>,
    /// The invalidation of the release path after `--force`.
    pub release_invalidation: Option<InvalidationReport>,
    /// The channel move.
    pub channel: Option<ChannelReport>,
    /// Warnings (also printed on stderr).
    pub warnings: Vec<String>,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Every file with its action (dry run only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Vec<PlannedFileReport>>,
}

impl PublishReport {
    /// The human summary.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let verb = if self.dry_run {
            "would publish"
        } else {
            "published"
        };
        let state = match self.state {
            ReleaseState::New => "new release",
            ReleaseState::Incomplete => "resumed an unfinished release",
            ReleaseState::Identical => "already complete and identical: nothing uploaded",
            ReleaseState::Replaced => "replaced a complete release (--force)",
        };
        out.push_str(&format!(
            "{verb} {} to s3://{}/{} ({state})\n",
            self.version, self.bucket, self.release_prefix
        ));
        if let Some(plan) = &self.plan {
            for f in plan {
                out.push_str(&format!(
                    "  {:<7} {} ({}, {}, {} part(s)) sha256 {}\n",
                    serde_json::to_value(f.action)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    crate::error::escape(&f.key),
                    human_bytes(f.size),
                    f.content_type,
                    f.parts,
                    f.sha256
                ));
            }
        }
        out.push_str(&format!(
            "  files: {} ({}); uploaded {} ({}); skipped {} already present\n",
            self.files,
            human_bytes(self.bytes),
            self.uploaded_files,
            human_bytes(self.uploaded_bytes),
            self.skipped_files
        ));
        if !self.deleted.is_empty() {
            out.push_str(&format!(
                "  deleted {} stale object(s)\n",
                self.deleted.len()
            ));
        }
        if let Some(m) = &self.manifest {
            out.push_str(&format!("  manifest: s3://{}/{m}\n", self.bucket));
        }
        if let Some(i) = &self.release_invalidation {
            out.push_str(&format!("  {}\n", invalidation_line(i)));
        }
        if let Some(c) = &self.channel {
            out.push_str(&channel_text(c));
        }
        out.push_str(&format!("  took {:.1} s", self.seconds));
        out
    }
}

fn invalidation_line(i: &InvalidationReport) -> String {
    format!(
        "invalidation {} of {} on {}{}",
        i.id,
        i.paths.join(" "),
        i.distribution_id,
        if i.completed { " (completed)" } else { "" }
    )
}

fn channel_text(c: &ChannelReport) -> String {
    let mut out = format!(
        "  channel {}: {} -> {} (s3 key {})\n",
        c.channel,
        c.previous.as_deref().unwrap_or("(none)"),
        c.version,
        c.key
    );
    if let Some(i) = &c.invalidation {
        out.push_str(&format!("  {}\n", invalidation_line(i)));
    }
    out
}

impl ChannelReport {
    /// The human summary.
    pub fn to_text(&self) -> String {
        channel_text(self).trim_end().to_string()
    }
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
async fn read_pointer(s3: &S3, key: &str) -> Result<Option<ChannelPointer>, Error> {
    Ok(s3
        .get_small(key, 64 * 1024)
        .await?
        .and_then(|b| ChannelPointer::parse(&b).ok()))
}

/// Writes a channel pointer and invalidates exactly its path.
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
    s3.put_small(&write.object).await?;
    progress.note(&format!(
        "channel {} -> {} (s3://{}/{})",
        write.channel,
        write.version,
        s3.bucket(),
        write.object.key
    ));
    let invalidation = match &target.distribution_id {
        Some(d) => Some(
            invalidate(
                aws,
                d.as_str(),
                vec![write.invalidation_path.clone()],
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

/// Uploads every non-skipped file, `concurrency` requests in flight. On the first failure no
/// new request starts, the ones in flight finish or fail, and that first failure is returned.
async fn upload_all(
    s3: &Arc<S3>,
    plan: &Plan,
    concurrency: usize,
    progress: &Arc<Progress>,
) -> Result<(), Error> {
    let permits = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let cancel = Arc::new(AtomicBool::new(false));
    let mut queue = plan
        .uploads()
        .map(|f| Arc::new(f.clone()))
        .collect::<Vec<_>>()
        .into_iter();
    let mut tasks = tokio::task::JoinSet::new();
    let mut first_error: Option<Error> = None;
    loop {
        while first_error.is_none() && tasks.len() < concurrency {
            let Some(file) = queue.next() else { break };
            let s3 = Arc::clone(s3);
            let permits = Arc::clone(&permits);
            let cancel = Arc::clone(&cancel);
            let progress = Arc::clone(progress);
            tasks.spawn(async move {
                let path = file.file.path.clone();
                let size = file.file.size;
                let verb = if file.action == FileAction::Replace {
                    "replaced"
                } else {
                    "uploaded"
                };
                let result = S3::upload(s3, file, permits, cancel, Arc::clone(&progress)).await;
                if result.is_ok() {
                    progress.file(verb, &path, size);
                }
                result
            });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let result = joined.unwrap_or(Err(Error::Unreachable("upload task failed")));
        if let Err(e) = result {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            match (&first_error, &e) {
                (None, _) | (Some(Error::Cancelled), _) => first_error = Some(e),
                _ => {}
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn dry_run_lines(plan: &Plan) -> Vec<PlannedFileReport> {
    plan.files
        .iter()
        .map(|f| {
            let (parts, part_size) = match f.transfer {
                Transfer::Single => (1, f.file.size),
                Transfer::Multipart { part_size, parts } => (parts, part_size),
            };
            PlannedFileReport {
                path: f.file.path.clone(),
                key: f.key.clone(),
                action: f.action,
                size: f.file.size,
                sha256: f.file.sha256.hex(),
                content_type: f.content_type.clone(),
                parts,
                part_size,
            }
        })
        .collect()
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
        deleted: plan.deletes.clone(),
        manifest: None,
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
    let uploaded = upload_all(&s3, &plan, concurrency, &progress).await;
    progress.finish();
    uploaded?;
    for key in &plan.deletes {
        s3.delete(key).await?;
    }
    if let Some(m) = &plan.manifest {
        s3.put_small(m).await?;
        report.manifest = Some(m.key.clone());
        progress.note(&format!(
            "wrote s3://{}/{}: release {} is complete",
            s3.bucket(),
            m.key,
            options.version
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
    let write = plan::channel_write(&target.prefix, channel, version, now);
    if target.distribution_id.is_none() {
        progress.note("warning: no distribution id (--distribution-id or publish.distribution_id): the channel pointer is not invalidated");
    }
    move_channel(&aws, &s3, target, &write, wait, progress).await
}

/// One release in `releases list`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReleaseEntry {
    /// The version.
    pub version: String,
    /// Whether its manifest exists and is readable.
    pub complete: bool,
    /// Files (complete releases).
    pub files: Option<usize>,
    /// Bytes (complete releases).
    pub bytes: Option<u64>,
    /// Publish time (complete releases).
    pub published_at: Option<String>,
    /// Git commit, when recorded.
    pub git_commit: Option<String>,
    /// Channels pointing here.
    pub channels: Vec<String>,
}

/// One channel in `releases list`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChannelEntry {
    /// The channel.
    pub channel: String,
    /// The version it points to (`None` when the pointer is unreadable).
    pub version: Option<String>,
    /// When it was moved.
    pub updated_at: Option<String>,
}

/// The result of `releases list`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// The bucket.
    pub bucket: String,
    /// The key prefix.
    pub prefix: String,
    /// Releases, oldest version first.
    pub releases: Vec<ReleaseEntry>,
    /// Channels.
    pub channels: Vec<ChannelEntry>,
}

impl Listing {
    /// The human listing.
    pub fn to_text(&self) -> String {
        let mut out = format!("releases in s3://{}/{}\n", self.bucket, self.prefix);
        if self.releases.is_empty() {
            out.push_str("  (none)\n");
        }
        for r in &self.releases {
            if r.complete {
                out.push_str(&format!(
                    "  {:<20} complete    {:>5} files {:>10}  {}{}{}\n",
                    r.version,
                    r.files.unwrap_or(0),
                    human_bytes(r.bytes.unwrap_or(0)),
                    r.published_at.as_deref().unwrap_or(""),
                    r.git_commit
                        .as_deref()
                        .map(|g| format!("  {g}"))
                        .unwrap_or_default(),
                    if r.channels.is_empty() {
                        String::new()
                    } else {
                        format!("  <- {}", r.channels.join(", "))
                    }
                ));
            } else {
                out.push_str(&format!(
                    "  {:<20} INCOMPLETE  (no manifest: an unfinished publish)\n",
                    r.version
                ));
            }
        }
        out.push_str("channels\n");
        if self.channels.is_empty() {
            out.push_str("  (none)\n");
        }
        for c in &self.channels {
            out.push_str(&format!(
                "  {:<20} -> {}  {}\n",
                c.channel,
                c.version.as_deref().unwrap_or("(unreadable pointer)"),
                c.updated_at.as_deref().unwrap_or("")
            ));
        }
        out.trim_end().to_string()
    }
}

/// Orders versions with digit runs compared as numbers (`1.9.0` < `1.10.0`).
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            let boundary = i == bytes.len()
                || bytes.get(i).map(u8::is_ascii_digit) != bytes.get(i - 1).map(u8::is_ascii_digit);
            if boundary {
                if let Some(chunk) = s.get(start..i) {
                    out.push((chunk.starts_with(|c: char| c.is_ascii_digit()), chunk));
                }
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(cb.iter()) {
        let ord = match (x, y) {
            ((true, x), (true, y)) => {
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            ((_, x), (_, y)) => x.cmp(y),
        };
        if ord != std::cmp::Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

/// `edgegate releases list`: every release folder under the prefix (complete when its manifest
/// is readable) and every channel pointer.
///
/// # Errors
/// An AWS call fails.
pub async fn releases_list(target: &Target, aws_options: &AwsOptions) -> Result<Listing, Error> {
    let aws = Aws::load(aws_options).await?;
    let s3 = Arc::new(S3::new(store::s3_client(&aws), target.bucket.as_str()));
    let prefix = target.prefix.as_str();
    let channels_prefix = format!("{prefix}{}/", plan::CHANNELS_DIR);
    let folders = s3.list_folders(prefix).await?;
    let versions: Vec<String> = folders
        .iter()
        .filter(|f| **f != channels_prefix)
        .filter_map(|f| f.strip_prefix(prefix))
        .map(|v| v.trim_end_matches('/').to_string())
        .collect();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(8));
    let mut tasks = tokio::task::JoinSet::new();
    for version in versions {
        let s3 = Arc::clone(&s3);
        let semaphore = Arc::clone(&semaphore);
        let key = format!("{prefix}{version}/{}", plan::MANIFEST_NAME);
        tasks.spawn(async move {
            let _permit = semaphore
                .acquire()
                .await
                .map_err(|_| Error::Unreachable("semaphore closed"))?;
            let manifest = s3
                .get_small(&key, manifest::MAX_MANIFEST_BYTES)
                .await?
                .and_then(|b| Manifest::parse(&b).ok());
            Ok::<_, Error>((version, manifest))
        });
    }
    let mut releases = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (version, manifest) = joined.map_err(|_| Error::Unreachable("list task failed"))??;
        releases.push(ReleaseEntry {
            complete: manifest.is_some(),
            files: manifest.as_ref().map(|m| m.files.len()),
            bytes: manifest.as_ref().map(Manifest::total_bytes),
            published_at: manifest.as_ref().map(|m| m.published_at.clone()),
            git_commit: manifest.as_ref().and_then(|m| m.git_commit.clone()),
            version,
            channels: Vec::new(),
        });
    }
    releases.sort_by(|a, b| version_order(&a.version, &b.version));
    let mut channels = Vec::new();
    for key in s3.list(&channels_prefix).await?.keys() {
        let Some(name) = key
            .strip_prefix(&channels_prefix)
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let pointer = read_pointer(&s3, key).await?;
        if let Some(p) = &pointer {
            if let Some(r) = releases.iter_mut().find(|r| r.version == p.version) {
                r.channels.push(name.to_string());
            }
        }
        channels.push(ChannelEntry {
            channel: name.to_string(),
            version: pointer.as_ref().map(|p| p.version.clone()),
            updated_at: pointer.map(|p| p.updated_at),
        });
    }
    Ok(Listing {
        bucket: target.bucket.to_string(),
        prefix: prefix.to_string(),
        releases,
        channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_order_is_numeric_aware() {
        let mut v = vec!["1.10.0", "1.9.0", "1.9.0-rc.1", "0.1", "2", "1.9"];
        v.sort_by(|a, b| version_order(a, b));
        assert_eq!(v, ["0.1", "1.9", "1.9.0", "1.9.0-rc.1", "1.10.0", "2"]);
    }
}
