//! The publish plan, as values: which objects to upload, skip, replace or delete, how each is
//! transferred (single PUT or multipart, part size), what the manifest says, whether the
//! release may be written at all (releases are immutable), and the channel pointer. Pure: no
//! I/O, no clock (`now` is a parameter); the shell ([`crate::publisher`]) gathers the inputs
//! and carries the plan out in order.
//!
//! The order of a run is fixed: (1) with `--force` on a complete release, delete its manifest
//! (the release becomes incomplete), (2) upload, (3) delete objects that are not part of the
//! release, (4) write `manifest.json` (now complete), (5) invalidate `<prefix><VERSION>/*` if
//! a complete release was replaced, (6) write the channel pointer and invalidate exactly its
//! path. A failure at any step stops the run before the next one, so a manifest is never
//! present before every upload succeeded and no channel ever points to an incomplete release.
//!
//! The per-object transfer rules (single PUT or multipart, part size, digests, Content-Type)
//! live in a `transfer` module and are re-exported here; the tests are in `plan/tests.rs`.

use crate::manifest::{self, ChannelPointer, Manifest, ManifestFile};
use crate::names::url_path;
use crate::settings::{ChannelName, GitCommit, Prefix, Target, Version};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

pub use crate::transfer::{
    content_type, part_ranges, transfer_for, Sha256, Transfer, MAX_OBJECT_SIZE, MAX_PARTS, MIB,
    MIN_PART_SIZE, MULTIPART_THRESHOLD,
};

/// `Cache-Control` of release objects and manifests: a release never changes (`--force`
/// invalidates). Viewer-facing `private` comes from the distribution's response headers policy.
pub const RELEASE_CACHE_CONTROL: &str = "max-age=31536000, immutable";
/// `Cache-Control` of channel pointers: they move.
pub const CHANNEL_CACHE_CONTROL: &str = "max-age=60";
/// The manifest's name inside a release.
pub const MANIFEST_NAME: &str = "manifest.json";
/// The manifest's minisign signature, beside it (`edgegate publish --sign-key`; see
/// [`crate::minisign`]).
pub const SIGNATURE_NAME: &str = "manifest.json.minisig";
/// The folder (under the prefix) that holds channel pointers.
pub const CHANNELS_DIR: &str = "channels";
/// The user metadata key carrying the whole-file SHA-256 (`x-amz-meta-sha256`).
pub const SHA256_METADATA: &str = "sha256";

/// A local file, scanned and hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalFile {
    /// The path inside the published folder (`/`-separated).
    pub path: String,
    /// Where it is on disk.
    pub source: PathBuf,
    /// Size in bytes when hashed.
    pub size: u64,
    /// Modification time when hashed (to notice a change before upload).
    pub modified: Option<std::time::SystemTime>,
    /// Whole-file SHA-256.
    pub sha256: Sha256,
    /// SHA-256 of each part, for a multipart transfer (empty for a single PUT).
    pub part_sha256: Vec<Sha256>,
}

/// An object found under the release's prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteObject {
    /// Size in bytes.
    pub size: u64,
    /// Its `x-amz-meta-sha256` (lower-case hex) when read; `None` when absent or not looked up.
    pub sha256: Option<String>,
}

/// The release's manifest as found in the bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemoteManifest {
    /// No `manifest.json`: the release does not exist or is incomplete.
    Absent,
    /// A readable manifest: the release is complete.
    Present(Manifest),
    /// A `manifest.json` that does not parse.
    Unreadable(String),
}

/// What is in the bucket under `<prefix><VERSION>/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteState {
    /// The manifest.
    pub manifest: RemoteManifest,
    /// Every object under the release prefix (the manifest included), by key.
    pub objects: BTreeMap<String, RemoteObject>,
}

/// What is asked for.
#[derive(Clone, Debug)]
pub struct PlanInput {
    /// Bucket, prefix, distribution.
    pub target: Target,
    /// The release.
    pub version: Version,
    /// The local files (already name-checked and hashed).
    pub files: Vec<LocalFile>,
    /// The bucket's state.
    pub remote: RemoteState,
    /// `--force`.
    pub force: bool,
    /// `--git-commit`.
    pub git_commit: Option<GitCommit>,
    /// `--channel`.
    pub channel: Option<ChannelName>,
    /// Seconds since the epoch (the manifest's and pointer's time).
    pub now: u64,
}

/// The release's state before the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseState {
    /// Nothing under the release prefix.
    New,
    /// Objects but no manifest: an earlier publish did not finish.
    Incomplete,
    /// Complete with exactly this content: nothing to upload.
    Identical,
    /// Complete with other content, replaced because of `--force`.
    Replaced,
}

/// What happens to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileAction {
    /// Not in the bucket: upload.
    Upload,
    /// In the bucket with other (or unknown) content: upload over it.
    Replace,
    /// Already in the bucket with the same SHA-256.
    Skip,
}

/// One file of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedFile {
    /// The local file.
    pub file: LocalFile,
    /// Its S3 key.
    pub key: String,
    /// Its Content-Type.
    pub content_type: String,
    /// Single PUT or multipart.
    pub transfer: Transfer,
    /// Upload, replace or skip.
    pub action: FileAction,
}

/// A small object to write (manifest, channel pointer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmallObject {
    /// The key.
    pub key: String,
    /// The content.
    pub body: Vec<u8>,
    /// Content-Type.
    pub content_type: &'static str,
    /// Cache-Control.
    pub cache_control: &'static str,
}

/// A channel move: the pointer, the channel's links, and the paths to invalidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelWrite {
    /// The channel.
    pub channel: ChannelName,
    /// The version it will point to.
    pub version: Version,
    /// The pointer object.
    pub object: SmallObject,
    /// The channel's stable URLs, one per file of the release ([`ChannelLink`]).
    pub links: Vec<ChannelLink>,
    /// The key prefix of the links (`releases/channels/stable/`): links under it that the
    /// release does not have are removed.
    pub links_prefix: String,
    /// The paths invalidated: the pointer's (`/releases/channels/stable.json`) and the links'
    /// (`/releases/channels/stable/*`).
    pub invalidation_paths: Vec<String>,
}

/// The user metadata key of a channel link (`x-amz-meta-edgegate-location`).
pub const LOCATION_METADATA: &str = "edgegate-location";

/// One stable channel URL: an empty object at `<prefix>channels/<name>/<path>` whose
/// `x-amz-meta-edgegate-location` is the URL path of the same file in the version the channel
/// points at. The viewer-request gate decides the channel URL like any other path under its
/// route; the bundle's origin-response handler then answers the link `302` to `location`,
/// cacheable 60 s at the edge ([`CHANNEL_CACHE_CONTROL`]), so a move takes effect within 60 s
/// even before its invalidation completes, and the viewer's next request (the versioned URL)
/// is gated again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelLink {
    /// `releases/channels/stable/app.tar.gz`.
    pub key: String,
    /// `/releases/1.2.0/app.tar.gz` (percent-encoded like the viewer's URL).
    pub location: String,
}

/// The plan of one publish run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Bucket, prefix, distribution.
    pub target: Target,
    /// The release.
    pub version: Version,
    /// `<prefix><VERSION>/`.
    pub release_prefix: String,
    /// The release's state before the run.
    pub state: ReleaseState,
    /// Every local file with its action, largest first (the upload order).
    pub files: Vec<PlannedFile>,
    /// Step 1: delete the existing manifest first (a complete release is being replaced).
    pub delete_manifest_first: bool,
    /// Step 3: objects under the release prefix that are not part of this release.
    pub deletes: Vec<String>,
    /// Step 4: the manifest (`None` when the release is already complete and identical).
    pub manifest: Option<SmallObject>,
    /// Where the manifest's signature goes (`manifest.json.minisig` beside it): written just
    /// before a new manifest when the publish signs, deleted then when it does not (a stale
    /// signature never sits beside a manifest it does not sign).
    pub signature_key: String,
    /// The bucket already holds an object at [`Plan::signature_key`].
    pub existing_signature: bool,
    /// Step 5: the release path to invalidate (`/releases/1.0.0/*`) after a replacement.
    pub invalidate_release: Option<String>,
    /// Step 6: the channel pointer.
    pub channel: Option<ChannelWrite>,
    /// Things the user should know (printed as warnings).
    pub warnings: Vec<String>,
}

impl Plan {
    /// Files that will be transferred.
    pub fn uploads(&self) -> impl Iterator<Item = &PlannedFile> {
        self.files.iter().filter(|f| f.action != FileAction::Skip)
    }

    /// Bytes that will be transferred.
    pub fn upload_bytes(&self) -> u64 {
        self.uploads()
            .map(|f| f.file.size)
            .fold(0, u64::saturating_add)
    }
}

/// Why a plan cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The folder has no files.
    #[error("{0} has no files to publish")]
    Empty(String),
    /// A file is larger than S3 allows.
    #[error("{path}: {size} bytes is more than the 5 TiB S3 allows for one object")]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
    },
    /// The release exists with other content (releases are immutable).
    #[error("release {version} already exists with different content ({}); releases are immutable: publish a new version, or pass --force to replace it", summarize(.differences))]
    Changed {
        /// The release.
        version: String,
        /// `changed: a.txt`, `added: b.txt`, `removed: c.txt`.
        differences: Vec<String>,
    },
    /// The release is complete but objects are missing or differ from its manifest.
    #[error("release {version} is complete but its objects do not match its manifest ({}); pass --force to repair it", summarize(.problems))]
    Damaged {
        /// The release.
        version: String,
        /// `missing: a.txt`, `different: b.txt`.
        problems: Vec<String>,
    },
    /// The existing manifest cannot be read.
    #[error("{key} exists but cannot be read ({reason}); pass --force to replace the release")]
    UnreadableManifest {
        /// The manifest key.
        key: String,
        /// The parse error.
        reason: String,
    },
}

/// At most ten items, then "and N more".
pub fn summarize(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut s = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        s.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    s
}

/// `<prefix><VERSION>/`.
pub fn release_prefix(prefix: &Prefix, version: &Version) -> String {
    format!("{prefix}{version}/")
}

/// `<prefix><VERSION>/manifest.json`.
pub fn manifest_key(prefix: &Prefix, version: &Version) -> String {
    format!("{}{MANIFEST_NAME}", release_prefix(prefix, version))
}

/// `<prefix><VERSION>/manifest.json.minisig`.
pub fn signature_key(prefix: &Prefix, version: &Version) -> String {
    format!("{}{SIGNATURE_NAME}", release_prefix(prefix, version))
}

/// `<prefix>channels/<name>.json`.
pub fn channel_key(prefix: &Prefix, channel: &ChannelName) -> String {
    format!("{prefix}{CHANNELS_DIR}/{channel}.json")
}

/// The channel move `channel` -> `version` for a release of `files` (paths inside it; used by
/// publish and `channel set`; the caller has checked that the release is complete).
pub fn channel_write<'a>(
    prefix: &Prefix,
    channel: &ChannelName,
    version: &Version,
    files: impl IntoIterator<Item = &'a str>,
    now: u64,
) -> ChannelWrite {
    let key = channel_key(prefix, channel);
    let pointer = ChannelPointer {
        format: manifest::FORMAT,
        channel: channel.to_string(),
        version: version.to_string(),
        release: url_path(&release_prefix(prefix, version)),
        manifest: url_path(&manifest_key(prefix, version)),
        updated_at: manifest::rfc3339(now),
    };
    let links_prefix = format!("{prefix}{CHANNELS_DIR}/{channel}/");
    let links = files
        .into_iter()
        .map(|path| ChannelLink {
            key: format!("{links_prefix}{path}"),
            location: url_path(&format!("{}{path}", release_prefix(prefix, version))),
        })
        .collect();
    ChannelWrite {
        channel: channel.clone(),
        version: version.clone(),
        invalidation_paths: vec![url_path(&key), url_path(&format!("{links_prefix}*"))],
        links,
        links_prefix,
        object: SmallObject {
            key,
            body: pointer.to_bytes(),
            content_type: "application/json",
            cache_control: CHANNEL_CACHE_CONTROL,
        },
    }
}

/// Differences between a manifest and the local files (empty when the content is identical;
/// Content-Type is not content).
fn differences(manifest: &Manifest, version: &Version, local: &[LocalFile]) -> Vec<String> {
    let mut out = Vec::new();
    if manifest.version != version.as_str() {
        out.push(format!("manifest names version {}", manifest.version));
    }
    let remote: BTreeMap<&str, &ManifestFile> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f))
        .collect();
    let mut local_paths = BTreeSet::new();
    for f in local {
        local_paths.insert(f.path.as_str());
        match remote.get(f.path.as_str()) {
            None => out.push(format!("added: {}", f.path)),
            Some(r) if r.sha256 != f.sha256.hex() || r.size != f.size => {
                out.push(format!("changed: {}", f.path));
            }
            Some(_) => {}
        }
    }
    for path in remote.keys() {
        if !local_paths.contains(path) {
            out.push(format!("removed: {path}"));
        }
    }
    out
}

/// Makes the plan.
///
/// # Errors
/// [`PlanError`]: nothing to publish, a file too large, or a complete release that may not be
/// written (changed content without `--force`, damaged, unreadable manifest).
pub fn plan(input: PlanInput) -> Result<Plan, PlanError> {
    let PlanInput {
        target,
        version,
        mut files,
        remote,
        force,
        git_commit,
        channel,
        now,
    } = input;
    if files.is_empty() {
        return Err(PlanError::Empty("the folder".into()));
    }
    if let Some(f) = files.iter().find(|f| f.size > MAX_OBJECT_SIZE) {
        return Err(PlanError::TooLarge {
            path: f.path.clone(),
            size: f.size,
        });
    }
    // Largest first: long multipart uploads start early and small files fill the gaps.
    files.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
    let prefix = target.prefix.clone();
    let release_prefix = release_prefix(&prefix, &version);
    let manifest_key = manifest_key(&prefix, &version);
    let signature_key = signature_key(&prefix, &version);
    let mut warnings = Vec::new();

    let same_remote = |key: &str, f: &LocalFile| {
        remote.objects.get(key).is_some_and(|o| {
            o.size == f.size && o.sha256.as_deref() == Some(f.sha256.hex().as_str())
        })
    };

    let state = match &remote.manifest {
        RemoteManifest::Present(m) => {
            let diff = differences(m, &version, &files);
            if diff.is_empty() {
                let problems: Vec<String> = files
                    .iter()
                    .filter_map(|f| {
                        let key = format!("{release_prefix}{}", f.path);
                        match remote.objects.get(&key) {
                            None => Some(format!("missing: {}", f.path)),
                            Some(_) if !same_remote(&key, f) => {
                                Some(format!("different: {}", f.path))
                            }
                            Some(_) => None,
                        }
                    })
                    .collect();
                if problems.is_empty() {
                    ReleaseState::Identical
                } else if force {
                    warnings.push(format!(
                        "--force: repairing complete release {version} ({})",
                        summarize(&problems)
                    ));
                    ReleaseState::Replaced
                } else {
                    return Err(PlanError::Damaged {
                        version: version.to_string(),
                        problems,
                    });
                }
            } else if force {
                warnings.push(format!(
                    "--force: replacing complete release {version} ({}); viewers and channels may see a mix of old and new files until the invalidation of {} completes",
                    summarize(&diff),
                    url_path(&format!("{release_prefix}*"))
                ));
                ReleaseState::Replaced
            } else {
                return Err(PlanError::Changed {
                    version: version.to_string(),
                    differences: diff,
                });
            }
        }
        RemoteManifest::Unreadable(reason) => {
            if force {
                warnings.push(format!(
                    "--force: replacing release {version} whose manifest cannot be read ({reason})"
                ));
                ReleaseState::Replaced
            } else {
                return Err(PlanError::UnreadableManifest {
                    key: manifest_key,
                    reason: reason.clone(),
                });
            }
        }
        RemoteManifest::Absent if remote.objects.is_empty() => ReleaseState::New,
        RemoteManifest::Absent => ReleaseState::Incomplete,
    };

    let mut planned = Vec::with_capacity(files.len());
    let mut local_keys = BTreeSet::new();
    let mut changed_since = Vec::new();
    for file in files {
        let key = format!("{release_prefix}{}", file.path);
        let action = match remote.objects.get(&key) {
            None => FileAction::Upload,
            Some(_) if same_remote(&key, &file) => FileAction::Skip,
            Some(o) => {
                if state == ReleaseState::Incomplete && o.sha256.is_some() {
                    changed_since.push(file.path.clone());
                }
                FileAction::Replace
            }
        };
        local_keys.insert(key.clone());
        planned.push(PlannedFile {
            content_type: content_type(&file.path),
            transfer: transfer_for(file.size),
            key,
            file,
            action,
        });
    }
    if !changed_since.is_empty() {
        warnings.push(format!(
            "changed locally since an earlier, unfinished publish of {version} (uploading the new content): {}",
            summarize(&changed_since)
        ));
    }

    let (deletes, manifest, delete_manifest_first, invalidate_release) = if state
        == ReleaseState::Identical
    {
        (Vec::new(), None, false, None)
    } else {
        let deletes: Vec<String> = remote
            .objects
            .keys()
            .filter(|k| !local_keys.contains(*k) && **k != manifest_key && **k != signature_key)
            .cloned()
            .collect();
        if !deletes.is_empty() {
            warnings.push(format!(
                    "deleting {} object(s) under {release_prefix} that are not part of this release: {}",
                    deletes.len(),
                    summarize(&deletes)
                ));
        }
        let mut entries: Vec<ManifestFile> = planned
            .iter()
            .map(|p| ManifestFile {
                path: p.file.path.clone(),
                size: p.file.size,
                sha256: p.file.sha256.hex(),
                content_type: p.content_type.clone(),
            })
            .collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        let manifest = Manifest {
            format: manifest::FORMAT,
            version: version.to_string(),
            published_at: manifest::rfc3339(now),
            git_commit: git_commit.map(|g| g.to_string()),
            files: entries,
        };
        let replaced = state == ReleaseState::Replaced;
        (
            deletes,
            Some(SmallObject {
                key: manifest_key.clone(),
                body: manifest.to_bytes(),
                content_type: "application/json",
                cache_control: RELEASE_CACHE_CONTROL,
            }),
            replaced && remote.objects.contains_key(&manifest_key),
            replaced.then(|| url_path(&format!("{release_prefix}*"))),
        )
    };
    if invalidate_release.is_some() && target.distribution_id.is_none() {
        warnings.push(
            "no distribution id (--distribution-id or publish.distribution_id): CloudFront may serve the replaced files until they expire".into(),
        );
    }
    let channel = channel.map(|c| {
        channel_write(
            &prefix,
            &c,
            &version,
            planned.iter().map(|p| p.file.path.as_str()),
            now,
        )
    });
    if channel.is_some() && target.distribution_id.is_none() {
        warnings.push(format!(
            "no distribution id (--distribution-id or publish.distribution_id): the channel pointer is not invalidated, CloudFront may serve the old one until it expires ({CHANNEL_CACHE_CONTROL})"
        ));
    }
    let existing_signature = remote.objects.contains_key(&signature_key);
    Ok(Plan {
        target,
        version,
        release_prefix,
        signature_key,
        existing_signature,
        state,
        files: planned,
        delete_manifest_first,
        deletes,
        manifest,
        invalidate_release,
        channel,
        warnings,
    })
}

#[cfg(test)]
mod tests;
