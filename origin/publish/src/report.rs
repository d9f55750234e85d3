//! What a publish or a channel move tells the user: the [`PublishReport`] (with its
//! [`InvalidationReport`]s, [`ChannelReport`] and, for `--dry-run`, one [`PlannedFileReport`]
//! per file), serialised as is by `--output json`, and their human text. Pure: built from the
//! plan and the outcome of each step by [`crate::publisher`].

use crate::plan::{FileAction, Plan, ReleaseState, Transfer};
use crate::progress::human_bytes;
use serde::Serialize;

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
    /// The channel links written (stable URLs `<prefix>channels/<name>/<path>`).
    pub links: usize,
    /// The links removed (files the new version does not have).
    pub removed_links: usize,
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

/// A release signature written by `edgegate publish --sign-key`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SignatureReport {
    /// The signature object's key (`<release>/manifest.json.minisig`).
    pub key: String,
    /// The signing key's minisign id (hex, as `minisign` prints it).
    pub key_id: String,
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
    /// Parts of the uploaded files reused from pending multipart uploads of an interrupted
    /// earlier run (not sent again; see [`crate::resume`]).
    pub resumed_parts: u64,
    /// Their bytes (counted in `uploaded_bytes` too: they are part of the uploaded files).
    pub resumed_bytes: u64,
    /// Pending multipart uploads under the release aborted because this run could not resume
    /// them (other content, another part layout, or not recorded on this machine).
    pub aborted_uploads: u64,
    /// Objects deleted from the release prefix (not part of the release).
    pub deleted: Vec<String>,
    /// The manifest key written (`None` when the release was already complete).
    pub manifest: Option<String>,
    /// The manifest's signature written (`--sign-key`): its key and the signing key's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureReport>,
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
        if self.resumed_parts > 0 {
            out.push_str(&format!(
                "  resumed {} part(s) ({}) of interrupted multipart uploads: not sent again\n",
                self.resumed_parts,
                human_bytes(self.resumed_bytes)
            ));
        }
        if self.aborted_uploads > 0 {
            out.push_str(&format!(
                "  aborted {} stale multipart upload(s)\n",
                self.aborted_uploads
            ));
        }
        if !self.deleted.is_empty() {
            out.push_str(&format!(
                "  deleted {} stale object(s)\n",
                self.deleted.len()
            ));
        }
        if let Some(m) = &self.manifest {
            out.push_str(&format!("  manifest: s3://{}/{m}\n", self.bucket));
        }
        if let Some(sig) = &self.signature {
            out.push_str(&format!(
                "  signature: s3://{}/{} (minisign key {})\n",
                self.bucket, sig.key, sig.key_id
            ));
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
        "  channel {}: {} -> {} (s3 key {}; {} link(s), {} removed)\n",
        c.channel,
        c.previous.as_deref().unwrap_or("(none)"),
        c.version,
        c.key,
        c.links,
        c.removed_links
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

pub(crate) fn dry_run_lines(plan: &Plan) -> Vec<PlannedFileReport> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report(resumed_parts: u64, resumed_bytes: u64, aborted_uploads: u64) -> PublishReport {
        PublishReport {
            bucket: "b".into(),
            prefix: "releases/".into(),
            version: "1.0.0".into(),
            release_prefix: "releases/1.0.0/".into(),
            state: ReleaseState::Incomplete,
            dry_run: false,
            files: 2,
            bytes: 40 * 1024 * 1024 + 5,
            uploaded_files: 2,
            uploaded_bytes: 40 * 1024 * 1024 + 5,
            skipped_files: 0,
            resumed_parts,
            resumed_bytes,
            aborted_uploads,
            deleted: Vec::new(),
            manifest: Some("releases/1.0.0/manifest.json".into()),
            signature: None,
            release_invalidation: None,
            channel: None,
            warnings: Vec::new(),
            seconds: 1.0,
            plan: None,
        }
    }

    #[test]
    fn summary_says_what_was_resumed_and_aborted_ok() {
        let text = report(3, 24 * 1024 * 1024, 1).to_text();
        assert!(
            text.contains("resumed 3 part(s) (24.0 MiB) of interrupted multipart uploads"),
            "{text}"
        );
        assert!(
            text.contains("aborted 1 stale multipart upload(s)"),
            "{text}"
        );
        let json = serde_json::to_value(report(3, 24 * 1024 * 1024, 1)).unwrap();
        assert_eq!(json["resumed_parts"], 3);
        assert_eq!(json["resumed_bytes"], 24 * 1024 * 1024);
        assert_eq!(json["aborted_uploads"], 1);
        // Nothing resumed or aborted: no such lines.
        let plain = report(0, 0, 0).to_text();
        assert!(
            !plain.contains("interrupted multipart") && !plain.contains("stale multipart"),
            "{plain}"
        );
    }
}
