//! `edgegate verify`: a downloaded (or served) release checked against its signed manifest.
//! The manifest's minisign signature ([`crate::minisign`]) is checked first, then every file the
//! manifest lists: present, of its size, of its SHA-256. [`signed_manifest`] and [`judge`] are
//! pure; [`verify_dir`] is the shell for a folder (the CLI has the one for a URL).

use crate::manifest::{Manifest, ManifestFile};
use crate::minisign::{MinisignError, PublicKey, Verified};
use crate::plan::{MANIFEST_NAME, SIGNATURE_NAME};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a release does not verify. Names the file; never prints key material.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// `manifest.json` or `manifest.json.minisig` cannot be read.
    #[error("cannot read {what}: {reason}")]
    Read {
        /// The file or URL.
        what: String,
        /// The cause, in a few words.
        reason: String,
    },
    /// The signature does not verify with the given key.
    #[error("{MANIFEST_NAME}: signature")]
    Signature(#[source] MinisignError),
    /// The signed manifest is not a manifest (signed, so written by a holder of the key).
    #[error("{MANIFEST_NAME}: {0}")]
    Manifest(String),
    /// A path in the manifest that could step outside the release (`..`, absolute, `\`).
    #[error("{MANIFEST_NAME}: unsafe path {0:?}")]
    UnsafePath(String),
    /// The signed manifest is another release than the one asked for (`--release`, or the
    /// version a release URL names): an older signed release served in a newer one's place.
    #[error("the signed manifest is release {found}, not {expected}")]
    OtherRelease {
        /// The version asked for.
        expected: String,
        /// The version the signed manifest names.
        found: String,
    },
    /// No `manifest.json.minisig` beside the manifest.
    #[error("{0}: the release is not signed (no {SIGNATURE_NAME} beside its manifest)")]
    Unsigned(String),
    /// Files that are missing or differ from the manifest (each with what is wrong).
    #[error("{} of {total} files do not match the signed manifest: {}", problems.len(), summary(problems))]
    Files {
        /// `path: problem`, in manifest order.
        problems: Vec<String>,
        /// How many files the manifest lists.
        total: usize,
    },
}

fn summary(problems: &[String]) -> String {
    let shown: Vec<&str> = problems.iter().take(5).map(String::as_str).collect();
    let more = problems.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{}; and {more} more", shown.join("; "))
    } else {
        shown.join("; ")
    }
}

/// A release that verified: who signed what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRelease {
    /// The manifest's version.
    pub version: String,
    /// Files checked.
    pub files: usize,
    /// Their bytes together.
    pub bytes: u64,
    /// The signing key's id and the trusted comment.
    pub signature: Verified,
}

impl VerifiedRelease {
    /// One line for people.
    pub fn to_text(&self) -> String {
        format!(
            "verified release {}: {} file(s), {} bytes, each of its SHA-256; manifest signed by minisign key {} (trusted comment: {})",
            self.version, self.files, self.bytes, self.signature.key_id, self.signature.trusted_comment
        )
    }
}

/// The manifest, once its signature verifies under `key`, it names `release` (when given), and
/// every path in it is safe to join to a folder or a URL (relative, `/`-separated, no empty,
/// `.` or `..` segment, no `\`).
///
/// # Errors
/// [`VerifyError::Signature`], [`VerifyError::Manifest`], [`VerifyError::OtherRelease`] or
/// [`VerifyError::UnsafePath`].
pub fn signed_manifest(
    manifest: &[u8],
    signature: &str,
    key: &PublicKey,
    release: Option<&str>,
) -> Result<(Manifest, Verified), VerifyError> {
    let verified = key
        .verify(manifest, signature)
        .map_err(VerifyError::Signature)?;
    let m = Manifest::parse(manifest).map_err(VerifyError::Manifest)?;
    if let Some(expected) = release {
        if m.version != expected {
            return Err(VerifyError::OtherRelease {
                expected: expected.to_string(),
                found: m.version,
            });
        }
    }
    if let Some(bad) = m.files.iter().find(|f| !safe_path(&f.path)) {
        return Err(VerifyError::UnsafePath(bad.path.clone()));
    }
    Ok((m, verified))
}

/// A release-relative path that cannot leave the release when joined to a folder or URL.
pub fn safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains(['\\', '\0', '?', '#'])
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// What was found for one manifest entry: its size and SHA-256, or why it could not be read.
pub type Found = Result<(u64, [u8; 32]), String>;

/// Compares each file found with its manifest entry: `None` when it matches, else the problem.
pub fn judge(entry: &ManifestFile, found: &Found) -> Option<String> {
    match found {
        Err(why) => Some(format!("{}: {why}", entry.path)),
        Ok((size, _)) if *size != entry.size => Some(format!(
            "{}: {size} bytes, the manifest says {}",
            entry.path, entry.size
        )),
        Ok((_, digest)) if hex(digest) != entry.sha256 => {
            Some(format!("{}: SHA-256 differs", entry.path))
        }
        Ok(_) => None,
    }
}

fn hex(d: &[u8; 32]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The verdict over a whole release, from [`judge`] on every entry.
///
/// # Errors
/// [`VerifyError::Files`] naming every file that does not match.
pub fn conclude(
    manifest: &Manifest,
    signature: Verified,
    found: &[Found],
) -> Result<VerifiedRelease, VerifyError> {
    let problems: Vec<String> = manifest
        .files
        .iter()
        .zip(found)
        .filter_map(|(entry, f)| judge(entry, f))
        .collect();
    if !problems.is_empty() || found.len() != manifest.files.len() {
        return Err(VerifyError::Files {
            problems,
            total: manifest.files.len(),
        });
    }
    Ok(VerifiedRelease {
        version: manifest.version.clone(),
        files: manifest.files.len(),
        bytes: manifest
            .files
            .iter()
            .map(|f| f.size)
            .fold(0, u64::saturating_add),
        signature,
    })
}

fn read_small(path: &Path) -> Result<Vec<u8>, VerifyError> {
    let read = |e: std::io::Error| VerifyError::Read {
        what: path.display().to_string(),
        reason: e.kind().to_string(),
    };
    let file = std::fs::File::open(path).map_err(read)?;
    let mut out = Vec::new();
    file.take(crate::manifest::MAX_MANIFEST_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(read)?;
    if out.len() > crate::manifest::MAX_MANIFEST_BYTES {
        return Err(VerifyError::Read {
            what: path.display().to_string(),
            reason: "larger than a manifest can be".into(),
        });
    }
    Ok(out)
}

/// Size and SHA-256 of a file, read as a stream (fixed buffer).
fn digest_file(path: &Path) -> Found {
    let mut file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "missing".to_string(),
        kind => format!("cannot read ({kind})"),
    })?;
    if !file.metadata().map(|m| m.is_file()).unwrap_or(false) {
        return Err("not a regular file".into());
    }
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("cannot read ({})", e.kind()))?;
        if n == 0 {
            break;
        }
        size = size.saturating_add(n as u64);
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok((size, hasher.finalize().into()))
}

/// Verifies the release in `dir`: `dir/manifest.json`, its signature
/// `dir/manifest.json.minisig`, that it is `release` (when given), and every file it lists,
/// under `dir`.
///
/// # Errors
/// See [`VerifyError`].
pub fn verify_dir(
    dir: &Path,
    key: &PublicKey,
    release: Option<&str>,
) -> Result<VerifiedRelease, VerifyError> {
    let manifest = read_small(&dir.join(MANIFEST_NAME))?;
    let signature_path = dir.join(SIGNATURE_NAME);
    if !signature_path.exists() {
        return Err(VerifyError::Unsigned(dir.display().to_string()));
    }
    let signature = String::from_utf8(read_small(&signature_path)?).map_err(|_| {
        VerifyError::Signature(MinisignError::Format {
            what: "signature",
            reason: "not UTF-8",
        })
    })?;
    let (m, verified) = signed_manifest(&manifest, &signature, key, release)?;
    let found: Vec<Found> = m
        .files
        .iter()
        .map(|f| digest_file(&f.path.split('/').fold(PathBuf::from(dir), |p, s| p.join(s))))
        .collect();
    conclude(&m, verified, &found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minisign::SecretKey;

    #[test]
    fn only_paths_inside_the_release_are_safe() {
        for ok in ["a", "a/b.txt", ".hidden", "a..b", "ü/x"] {
            assert!(safe_path(ok), "{ok}");
        }
        for bad in [
            "", "/a", "a/", "a//b", "..", "../x", "a/../b", "./a", "a\\b", "a?b", "a#b", "a\0",
        ] {
            assert!(!safe_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_signed_manifest_with_an_escaping_path_is_refused() {
        let sk = SecretKey::from_seed(&[3u8; 32], [9; 8]).unwrap();
        let body = format!(
            "{{\"format\":1,\"version\":\"1.0.0\",\"published_at\":\"x\",\"files\":[{{\"path\":\"../etc/passwd\",\"size\":1,\"sha256\":\"{}\",\"content_type\":\"text/plain\"}}]}}",
            "0".repeat(64)
        );
        let sig = sk.sign(body.as_bytes(), "c");
        assert!(matches!(
            signed_manifest(body.as_bytes(), &sig, &sk.public_key(), None),
            Err(VerifyError::UnsafePath(p)) if p == "../etc/passwd"
        ));
    }
}
