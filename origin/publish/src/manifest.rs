//! The two small JSON documents the publisher writes: a release's `manifest.json` (written last:
//! its presence is what makes a release complete) and a channel pointer
//! (`<prefix>channels/<name>.json`). Pure: no I/O.
//!
//! ```json
//! {"format":1,"version":"1.4.0","published_at":"2026-05-01T12:00:00Z","git_commit":"3f2a9c1",
//!  "files":[{"path":"app.zip","size":1048576,"sha256":"9f86d0...","content_type":"application/zip"}]}
//!
//! {"format":1,"channel":"stable","version":"1.4.0","release":"/releases/1.4.0/",
//!  "manifest":"/releases/1.4.0/manifest.json","updated_at":"2026-05-01T12:00:00Z"}
//! ```
//!
//! Paths in a pointer are URL paths as a viewer requests them through CloudFront.

use serde::{Deserialize, Serialize};

/// The document format version both documents carry.
pub const FORMAT: u32 = 1;

/// Largest manifest the publisher reads back (a manifest of 100,000 files is ~20 MB).
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024 * 1024;

/// A release's manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// The release version.
    pub version: String,
    /// When the release was completed (RFC 3339, UTC).
    pub published_at: String,
    /// `--git-commit`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    /// Every file of the release, sorted by path.
    pub files: Vec<ManifestFile>,
}

/// One file of a release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// The path inside the release (`/`-separated, no leading `/`).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Whole-file SHA-256, lower-case hex.
    pub sha256: String,
    /// The object's Content-Type.
    pub content_type: String,
}

impl Manifest {
    /// Parses and checks a manifest read back from the bucket.
    ///
    /// # Errors
    /// Malformed JSON, an unknown format, a bad SHA-256 or duplicate paths.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if m.format != FORMAT {
            return Err(format!("unknown manifest format {}", m.format));
        }
        let mut seen = std::collections::BTreeSet::new();
        for f in &m.files {
            if !is_sha256_hex(&f.sha256) {
                return Err(format!("file {}: sha256 is not 64 hex digits", f.path));
            }
            if !seen.insert(f.path.as_str()) {
                return Err(format!("file {} listed twice", f.path));
            }
        }
        Ok(m)
    }

    /// The manifest as written: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// Total size of the release's files.
    pub fn total_bytes(&self) -> u64 {
        self.files
            .iter()
            .map(|f| f.size)
            .fold(0, u64::saturating_add)
    }
}

/// A channel pointer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelPointer {
    /// [`FORMAT`].
    pub format: u32,
    /// The channel name.
    pub channel: String,
    /// The release it points to.
    pub version: String,
    /// The release's URL path prefix (`/releases/1.4.0/`).
    pub release: String,
    /// The release manifest's URL path.
    pub manifest: String,
    /// When the pointer was written (RFC 3339, UTC).
    pub updated_at: String,
}

impl ChannelPointer {
    /// Parses a pointer read back from the bucket.
    ///
    /// # Errors
    /// Malformed JSON or an unknown format.
    pub fn parse(bytes: &[u8]) -> Result<ChannelPointer, String> {
        let p: ChannelPointer = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if p.format != FORMAT {
            return Err(format!("unknown channel pointer format {}", p.format));
        }
        Ok(p)
    }

    /// The pointer as written: compact JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}

/// Whether `s` is 64 lower-case hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Seconds since the epoch as RFC 3339 UTC (`2026-05-01T12:00:00Z`).
pub fn rfc3339(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days, on unsigned values (the epoch is after year 0).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_dates_ok() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn manifest_round_trip_ok() {
        let m = Manifest {
            format: FORMAT,
            version: "1.0.0".into(),
            published_at: rfc3339(1_700_000_000),
            git_commit: Some("abc123".into()),
            files: vec![ManifestFile {
                path: "a.txt".into(),
                size: 3,
                sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
                content_type: "text/plain".into(),
            }],
        };
        assert_eq!(Manifest::parse(&m.to_bytes()).unwrap(), m);
        assert_eq!(m.total_bytes(), 3);
    }

    #[test]
    fn manifest_bad_input_fails() {
        assert!(Manifest::parse(b"{").is_err());
        assert!(
            Manifest::parse(br#"{"format":2,"version":"1","published_at":"x","files":[]}"#)
                .is_err()
        );
        assert!(Manifest::parse(
            br#"{"format":1,"version":"1","published_at":"x","files":[{"path":"a","size":1,"sha256":"XYZ","content_type":"t"}]}"#
        )
        .is_err());
        assert!(Manifest::parse(
            br#"{"format":1,"version":"1","published_at":"x","files":[],"extra":1}"#
        )
        .is_err());
    }
}
