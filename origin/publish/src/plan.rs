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

use crate::manifest::{self, ChannelPointer, Manifest, ManifestFile};
use crate::names::url_path;
use crate::settings::{ChannelName, GitCommit, Prefix, Target, Version};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;
/// Files larger than this are uploaded in parts.
pub const MULTIPART_THRESHOLD: u64 = 16 * MIB;
/// The smallest part size used.
pub const MIN_PART_SIZE: u64 = 8 * MIB;
/// S3's limit on the number of parts.
pub const MAX_PARTS: u64 = 10_000;
/// S3's limit on an object's size (5 TiB).
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * MIB;
/// `Cache-Control` of release objects and manifests: a release never changes (`--force`
/// invalidates). Viewer-facing `private` comes from the distribution's response headers policy.
pub const RELEASE_CACHE_CONTROL: &str = "max-age=31536000, immutable";
/// `Cache-Control` of channel pointers: they move.
pub const CHANNEL_CACHE_CONTROL: &str = "max-age=60";
/// The manifest's name inside a release.
pub const MANIFEST_NAME: &str = "manifest.json";
/// The folder (under the prefix) that holds channel pointers.
pub const CHANNELS_DIR: &str = "channels";
/// The user metadata key carrying the whole-file SHA-256 (`x-amz-meta-sha256`).
pub const SHA256_METADATA: &str = "sha256";

/// A SHA-256 digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// Lower-case hex (`x-amz-meta-sha256`, the manifest).
    pub fn hex(&self) -> String {
        use core::fmt::Write;
        let mut s = String::with_capacity(64);
        for b in self.0 {
            let _ = write!(s, "{b:02x}"); // reason: writing to a String cannot fail
        }
        s
    }

    /// Standard base64 (`x-amz-checksum-sha256`).
    pub fn base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }
}

/// How one file is transferred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transfer {
    /// One PutObject with `x-amz-checksum-sha256`.
    Single,
    /// A multipart upload with a SHA-256 per part.
    Multipart {
        /// Bytes per part (the last part may be smaller).
        part_size: u64,
        /// Number of parts.
        parts: u32,
    },
}

/// The transfer for a file of `size` bytes: multipart above [`MULTIPART_THRESHOLD`], with parts
/// of max(8 MiB, ceil(size / 10,000)).
pub fn transfer_for(size: u64) -> Transfer {
    if size <= MULTIPART_THRESHOLD {
        return Transfer::Single;
    }
    let part_size = MIN_PART_SIZE.max(size.div_ceil(MAX_PARTS));
    let parts = u32::try_from(size.div_ceil(part_size)).unwrap_or(u32::MAX);
    Transfer::Multipart { part_size, parts }
}

/// The `(offset, length)` of each part of a `size`-byte file cut into `part_size` parts.
pub fn part_ranges(size: u64, part_size: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    if part_size == 0 {
        return out;
    }
    let mut offset = 0;
    while offset < size {
        let len = part_size.min(size - offset);
        out.push((offset, len));
        offset += len;
    }
    out
}

/// The Content-Type for a file name (by extension; `application/octet-stream` otherwise).
pub fn content_type(path: &str) -> String {
    mime_guess::from_path(path)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_string()
}

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

/// A channel pointer write and the one path to invalidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelWrite {
    /// The channel.
    pub channel: ChannelName,
    /// The version it will point to.
    pub version: Version,
    /// The pointer object.
    pub object: SmallObject,
    /// Its URL path, the only path invalidated (`/releases/channels/stable.json`).
    pub invalidation_path: String,
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

/// `<prefix>channels/<name>.json`.
pub fn channel_key(prefix: &Prefix, channel: &ChannelName) -> String {
    format!("{prefix}{CHANNELS_DIR}/{channel}.json")
}

/// The pointer write for `channel` -> `version` (used by publish and `channel set`; the caller
/// has checked that the release is complete).
pub fn channel_write(
    prefix: &Prefix,
    channel: &ChannelName,
    version: &Version,
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
    ChannelWrite {
        channel: channel.clone(),
        version: version.clone(),
        invalidation_path: url_path(&key),
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
            .filter(|k| !local_keys.contains(*k) && **k != manifest_key)
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
    let channel = channel.map(|c| channel_write(&prefix, &c, &version, now));
    if channel.is_some() && target.distribution_id.is_none() {
        warnings.push(format!(
            "no distribution id (--distribution-id or publish.distribution_id): the channel pointer is not invalidated, CloudFront may serve the old one until it expires ({CHANNEL_CACHE_CONTROL})"
        ));
    }
    Ok(Plan {
        target,
        version,
        release_prefix,
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
mod tests {
    use super::*;
    use crate::settings::{Bucket, DistributionId};

    fn digest(b: u8) -> Sha256 {
        Sha256([b; 32])
    }

    fn local(path: &str, size: u64, d: u8) -> LocalFile {
        LocalFile {
            path: path.into(),
            source: PathBuf::from("/src").join(path),
            size,
            modified: None,
            sha256: digest(d),
            part_sha256: Vec::new(),
        }
    }

    fn target(dist: bool) -> Target {
        Target {
            bucket: Bucket::parse("bucket").unwrap(),
            prefix: Prefix::parse("releases/").unwrap(),
            distribution_id: dist.then(|| DistributionId::parse("EDIST1").unwrap()),
        }
    }

    fn input(files: Vec<LocalFile>, remote: RemoteState) -> PlanInput {
        PlanInput {
            target: target(true),
            version: Version::parse("1.0.0").unwrap(),
            files,
            remote,
            force: false,
            git_commit: None,
            channel: None,
            now: 1_700_000_000,
        }
    }

    fn empty_remote() -> RemoteState {
        RemoteState {
            manifest: RemoteManifest::Absent,
            objects: BTreeMap::new(),
        }
    }

    fn obj(size: u64, d: Option<u8>) -> RemoteObject {
        RemoteObject {
            size,
            sha256: d.map(|d| digest(d).hex()),
        }
    }

    fn complete_remote(files: &[LocalFile]) -> RemoteState {
        let p = plan(input(files.to_vec(), empty_remote())).unwrap();
        let manifest = Manifest::parse(&p.manifest.unwrap().body).unwrap();
        let mut objects: BTreeMap<String, RemoteObject> = files
            .iter()
            .map(|f| {
                (
                    format!("releases/1.0.0/{}", f.path),
                    RemoteObject {
                        size: f.size,
                        sha256: Some(f.sha256.hex()),
                    },
                )
            })
            .collect();
        objects.insert("releases/1.0.0/manifest.json".into(), obj(100, None));
        RemoteState {
            manifest: RemoteManifest::Present(manifest),
            objects,
        }
    }

    #[test]
    fn part_size_rule_ok() {
        assert_eq!(transfer_for(0), Transfer::Single);
        assert_eq!(transfer_for(MULTIPART_THRESHOLD), Transfer::Single);
        assert_eq!(
            transfer_for(MULTIPART_THRESHOLD + 1),
            Transfer::Multipart {
                part_size: 8 * MIB,
                parts: 3
            }
        );
        // 100 GiB: ceil(size / 10,000) > 8 MiB.
        let size = 100 * 1024 * MIB;
        let Transfer::Multipart { part_size, parts } = transfer_for(size) else {
            panic!("multipart")
        };
        assert_eq!(part_size, size.div_ceil(10_000));
        assert!(u64::from(parts) <= MAX_PARTS);
        // 5 TiB stays within 10,000 parts.
        let Transfer::Multipart { parts, .. } = transfer_for(MAX_OBJECT_SIZE) else {
            panic!("multipart")
        };
        assert!(u64::from(parts) <= MAX_PARTS);
        let ranges = part_ranges(20 * MIB, 8 * MIB);
        assert_eq!(
            ranges,
            vec![(0, 8 * MIB), (8 * MIB, 8 * MIB), (16 * MIB, 4 * MIB)]
        );
        assert!(part_ranges(0, 8 * MIB).is_empty());
    }

    #[test]
    fn new_release_uploads_everything_and_writes_manifest_ok() {
        let mut i = input(
            vec![local("a.txt", 3, 1), local("big.bin", 20 * MIB, 2)],
            empty_remote(),
        );
        i.git_commit = Some(GitCommit::parse("abc123").unwrap());
        i.channel = Some(ChannelName::parse("stable").unwrap());
        let p = plan(i).unwrap();
        assert_eq!(p.state, ReleaseState::New);
        assert_eq!(p.files[0].file.path, "big.bin", "largest first");
        assert!(matches!(p.files[0].transfer, Transfer::Multipart { .. }));
        assert_eq!(p.files[1].content_type, "text/plain");
        assert!(p.files.iter().all(|f| f.action == FileAction::Upload));
        assert!(p.deletes.is_empty() && !p.delete_manifest_first);
        assert_eq!(p.invalidate_release, None);
        let m = p.manifest.as_ref().unwrap();
        assert_eq!(m.key, "releases/1.0.0/manifest.json");
        let parsed = Manifest::parse(&m.body).unwrap();
        assert_eq!(parsed.git_commit.as_deref(), Some("abc123"));
        assert_eq!(parsed.published_at, "2023-11-14T22:13:20Z");
        assert_eq!(parsed.files[0].path, "a.txt", "sorted by path");
        let c = p.channel.unwrap();
        assert_eq!(c.object.key, "releases/channels/stable.json");
        assert_eq!(c.invalidation_path, "/releases/channels/stable.json");
        assert_eq!(c.object.cache_control, CHANNEL_CACHE_CONTROL);
        let pointer = ChannelPointer::parse(&c.object.body).unwrap();
        assert_eq!(pointer.version, "1.0.0");
        assert_eq!(pointer.manifest, "/releases/1.0.0/manifest.json");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn incomplete_release_resumes_skipping_same_sha_ok() {
        let mut remote = empty_remote();
        remote
            .objects
            .insert("releases/1.0.0/a.txt".into(), obj(3, Some(1)));
        remote
            .objects
            .insert("releases/1.0.0/b.txt".into(), obj(3, Some(9)));
        remote
            .objects
            .insert("releases/1.0.0/stale.txt".into(), obj(1, None));
        let p = plan(input(
            vec![
                local("a.txt", 3, 1),
                local("b.txt", 3, 2),
                local("c.txt", 3, 3),
            ],
            remote,
        ))
        .unwrap();
        assert_eq!(p.state, ReleaseState::Incomplete);
        let action = |path: &str| p.files.iter().find(|f| f.file.path == path).unwrap().action;
        assert_eq!(action("a.txt"), FileAction::Skip);
        assert_eq!(action("b.txt"), FileAction::Replace);
        assert_eq!(action("c.txt"), FileAction::Upload);
        assert_eq!(p.deletes, vec!["releases/1.0.0/stale.txt".to_string()]);
        assert!(p.manifest.is_some());
        assert!(p
            .warnings
            .iter()
            .any(|w| w.contains("changed locally") && w.contains("b.txt")));
        assert_eq!(p.upload_bytes(), 6);
    }

    #[test]
    fn identical_complete_release_is_noop_ok() {
        let files = vec![local("a.txt", 3, 1), local("b.txt", 4, 2)];
        let mut i = input(files.clone(), complete_remote(&files));
        i.channel = Some(ChannelName::parse("beta").unwrap());
        let p = plan(i).unwrap();
        assert_eq!(p.state, ReleaseState::Identical);
        assert_eq!(p.uploads().count(), 0);
        assert!(p.manifest.is_none() && p.deletes.is_empty());
        assert!(p.channel.is_some(), "a complete release may be pointed to");
    }

    #[test]
    fn changed_complete_release_fails_without_force() {
        let files = vec![local("a.txt", 3, 1), local("b.txt", 4, 2)];
        let remote = complete_remote(&files);
        let changed = vec![local("a.txt", 3, 7), local("c.txt", 1, 3)];
        let e = plan(input(changed, remote)).unwrap_err();
        let PlanError::Changed { differences, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(
            differences,
            &["changed: a.txt", "added: c.txt", "removed: b.txt"]
        );
        assert!(e.to_string().contains("immutable"));
    }

    #[test]
    fn changed_complete_release_with_force_replaces_ok() {
        let files = vec![local("a.txt", 3, 1), local("b.txt", 4, 2)];
        let remote = complete_remote(&files);
        let mut i = input(vec![local("a.txt", 3, 7)], remote);
        i.force = true;
        let p = plan(i).unwrap();
        assert_eq!(p.state, ReleaseState::Replaced);
        assert!(p.delete_manifest_first);
        assert_eq!(p.deletes, vec!["releases/1.0.0/b.txt".to_string()]);
        assert_eq!(p.invalidate_release.as_deref(), Some("/releases/1.0.0/*"));
        assert_eq!(p.files[0].action, FileAction::Replace);
        assert!(p.warnings.iter().any(|w| w.contains("--force")));
    }

    #[test]
    fn damaged_complete_release_fails_without_force() {
        let files = vec![local("a.txt", 3, 1)];
        let mut remote = complete_remote(&files);
        remote.objects.remove("releases/1.0.0/a.txt");
        let e = plan(input(files.clone(), remote.clone())).unwrap_err();
        assert!(matches!(e, PlanError::Damaged { .. }), "{e:?}");
        let mut i = input(files, remote);
        i.force = true;
        let p = plan(i).unwrap();
        assert_eq!(p.state, ReleaseState::Replaced);
        assert_eq!(p.files[0].action, FileAction::Upload);
    }

    #[test]
    fn unreadable_manifest_fails_without_force() {
        let mut remote = empty_remote();
        remote.manifest = RemoteManifest::Unreadable("bad json".into());
        remote
            .objects
            .insert("releases/1.0.0/manifest.json".into(), obj(3, None));
        let e = plan(input(vec![local("a", 1, 1)], remote)).unwrap_err();
        assert!(matches!(e, PlanError::UnreadableManifest { .. }));
    }

    #[test]
    fn empty_folder_fails() {
        assert!(matches!(
            plan(input(Vec::new(), empty_remote())),
            Err(PlanError::Empty(_))
        ));
    }

    #[test]
    fn no_distribution_warns_for_channel() {
        let mut i = input(vec![local("a", 1, 1)], empty_remote());
        i.target = target(false);
        i.channel = Some(ChannelName::parse("stable").unwrap());
        let p = plan(i).unwrap();
        assert!(p.warnings.iter().any(|w| w.contains("not invalidated")));
    }

    #[test]
    fn digest_encodings_ok() {
        let d = Sha256([0xab; 32]);
        assert_eq!(d.hex(), "ab".repeat(32));
        assert_eq!(d.base64().len(), 44);
    }
}
