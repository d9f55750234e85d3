//! `edgegate releases list`: every release folder under the prefix (complete when its manifest
//! is readable) and every channel pointer, read from the bucket, as a [`Listing`] for
//! `--output json` and its human text; [`version_order`] sorts the releases. Read-only: lists
//! and small GETs, never a write.

use crate::error::Error;
use crate::manifest::{self, Manifest};
use crate::plan;
use crate::progress::human_bytes;
use crate::publisher::read_pointer;
use crate::settings::Target;
use crate::store::{self, S3};
use edgegate_aws::{Aws, AwsOptions};
use serde::Serialize;
use std::sync::Arc;

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

/// Orders release versions: Semantic Versioning 2.0.0 precedence (§11) where a version is one,
/// so a pre-release comes before its release (`1.9.0-rc.1` < `1.9.0` < `1.10.0`) and build
/// metadata does not count; `MAJOR` or `MAJOR.MINOR` is read as `MAJOR.MINOR.0` (`1.9` sorts
/// with `1.9.0`). Every other version (`2026_05`, `nightly-3`) comes after those, in natural
/// order (digit runs compared as numbers). Equal precedence falls back to the text, so this is
/// a total order (a strict requirement of `sort_by`).
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (semver_of(a), semver_of(b)) {
        (Some(x), Some(y)) => x.cmp_precedence(&y).then_with(|| a.cmp(b)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => natural_order(a, b),
    }
}

/// `version` as a semantic version, padding a bare `MAJOR` or `MAJOR.MINOR` with zeros.
fn semver_of(version: &str) -> Option<semver::Version> {
    if let Ok(v) = semver::Version::parse(version) {
        return Some(v);
    }
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = version.split('.').collect();
    match parts.as_slice() {
        [major] if numeric(major) => semver::Version::parse(&format!("{major}.0.0")).ok(),
        [major, minor] if numeric(major) && numeric(minor) => {
            semver::Version::parse(&format!("{major}.{minor}.0")).ok()
        }
        _ => None,
    }
}

/// Digit runs compared as numbers, everything else as text; then the text itself.
fn natural_order(a: &str, b: &str) -> std::cmp::Ordering {
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
    fn version_order_is_semver_precedence_then_natural() {
        let mut v = vec![
            "1.10.0",
            "nightly-10",
            "1.9.0",
            "1.9.0-rc.1",
            "0.1",
            "2026_05",
            "2",
            "1.9",
            "1.9.0-alpha",
            "1.9.0-rc.10",
            "1.9.0-rc.2",
            "1.9.0+build.5",
            "nightly-9",
            "1.9.0-alpha.beta",
        ];
        v.sort_by(|a, b| version_order(a, b));
        assert_eq!(
            v,
            [
                "0.1",
                "1.9.0-alpha",
                "1.9.0-alpha.beta",
                "1.9.0-rc.1",
                "1.9.0-rc.2",
                "1.9.0-rc.10",
                "1.9",
                "1.9.0",
                "1.9.0+build.5",
                "1.10.0",
                "2",
                "2026_05",
                "nightly-9",
                "nightly-10",
            ]
        );
    }

    #[test]
    fn version_order_is_a_total_order() {
        let v = [
            "1.9",
            "1.9.0",
            "1.9.0-rc.1",
            "01.9",
            "1.09.0",
            "x",
            "1.9.0+a",
            "1.9.0+b",
            "",
            "2_0",
        ];
        for a in v {
            assert_eq!(version_order(a, a), std::cmp::Ordering::Equal, "{a}");
            for b in v {
                assert_eq!(
                    version_order(a, b),
                    version_order(b, a).reverse(),
                    "{a} {b}"
                );
                for c in v {
                    if version_order(a, b).is_le() && version_order(b, c).is_le() {
                        assert!(version_order(a, c).is_le(), "{a} <= {b} <= {c}");
                    }
                }
            }
        }
    }
}
