//! The upload ledger on disk: one JSON Lines file per object key with a multipart upload in
//! progress, under the state folder (`edgegate publish --state-dir`, default
//! `$XDG_STATE_HOME/edgegate/uploads` or `~/.local/state/edgegate/uploads`). The format and
//! what it is for are in [`crate::resume`].
//!
//! The first line ([`LedgerHeader`]) is written when CreateMultipartUpload succeeded, one line
//! ([`RecordedPart`]) is appended when S3 accepted a part, and the file is removed once the
//! upload is completed or aborted. Files are created `0600` in a `0700` folder (they hold
//! upload ids, which are not credentials but are nobody else's business). A ledger that
//! cannot be written only costs the resume: the publish itself goes on.

use crate::resume::{Ledger, LedgerHeader, RecordedPart};
use sha2::Digest as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The state folder of one endpoint's ledgers.
#[derive(Clone, Debug)]
pub struct LedgerDir {
    dir: PathBuf,
    endpoint: String,
}

/// An open ledger file, appended to as parts are accepted (shared by a file's part tasks).
#[derive(Debug)]
pub struct LedgerWriter {
    file: Mutex<std::fs::File>,
}

impl LedgerDir {
    /// Ledgers under `dir` for uploads to `endpoint` (`--endpoint-url`, `None` for AWS).
    pub fn new(dir: &Path, endpoint: Option<&str>) -> LedgerDir {
        LedgerDir {
            dir: dir.to_path_buf(),
            endpoint: endpoint.unwrap_or("aws").to_string(),
        }
    }

    /// The endpoint recorded in the headers.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The ledger file of `key` in `bucket`: `<dir>/<SHA-256 of endpoint, bucket and key>.jsonl`
    /// (a fixed-length name whatever the key holds).
    pub fn path(&self, bucket: &str, key: &str) -> PathBuf {
        let mut h = sha2::Sha256::new();
        for part in [self.endpoint.as_str(), bucket, key] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        let name = crate::plan::Sha256(h.finalize().into()).hex();
        self.dir.join(format!("{name}.jsonl"))
    }

    /// The ledger of `key`, if there is a readable one for this endpoint, bucket and key.
    pub fn read(&self, bucket: &str, key: &str) -> Option<Ledger> {
        let text = std::fs::read_to_string(self.path(bucket, key)).ok()?;
        Ledger::parse(&text).filter(|l| {
            l.header.endpoint == self.endpoint && l.header.bucket == bucket && l.header.key == key
        })
    }

    /// Starts the ledger of a new upload (replacing any earlier one of the key).
    ///
    /// # Errors
    /// The folder or file cannot be created or written.
    pub fn create(&self, header: &LedgerHeader) -> std::io::Result<LedgerWriter> {
        create_private_dir(&self.dir)?;
        let path = self.path(&header.bucket, &header.key);
        let mut line = serde_json::to_string(header).map_err(std::io::Error::other)?;
        line.push('\n');
        // Written whole to a temporary name, then renamed: a reader sees no header or all of it.
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut file = open_private(&tmp, true)?;
        file.write_all(line.as_bytes())?;
        file.sync_data()?;
        drop(file);
        std::fs::rename(&tmp, &path)?;
        self.append_to(&header.bucket, &header.key)
    }

    /// Opens the ledger of a resumed upload for appending.
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn append_to(&self, bucket: &str, key: &str) -> std::io::Result<LedgerWriter> {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(self.path(bucket, key))?;
        Ok(LedgerWriter {
            file: Mutex::new(file),
        })
    }

    /// Removes the ledger of `key` (its upload was completed or aborted); a missing file is fine.
    pub fn remove(&self, bucket: &str, key: &str) {
        let _ = std::fs::remove_file(self.path(bucket, key)); // reason: best effort, see above
    }
}

impl LedgerWriter {
    /// Records a part S3 accepted: one line, written with one `write` call in append mode, so a
    /// crash leaves at most a torn last line (which [`Ledger::parse`] ignores).
    ///
    /// # Errors
    /// The line cannot be written.
    pub fn record(&self, part: &RecordedPart) -> std::io::Result<()> {
        let mut line = serde_json::to_string(part).map_err(std::io::Error::other)?;
        line.push('\n');
        let mut file = self
            .file
            .lock()
            .map_err(|_| std::io::Error::other("ledger lock poisoned"))?;
        file.write_all(line.as_bytes())
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn open_private(path: &Path, truncate: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(truncate);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

/// The default state folder: `$XDG_STATE_HOME/edgegate/uploads`, else
/// `$HOME/.local/state/edgegate/uploads`; `None` when neither variable is set (absolute).
pub fn default_dir() -> Option<PathBuf> {
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    std::env::var_os("XDG_STATE_HOME")
        .and_then(absolute)
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(absolute)
                .map(|h| h.join(".local/state"))
        })
        .map(|base| base.join("edgegate/uploads"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resume::{UploadIdentity, LEDGER_FORMAT};

    fn header(key: &str) -> LedgerHeader {
        LedgerHeader {
            format: LEDGER_FORMAT,
            endpoint: "http://127.0.0.1:1".into(),
            bucket: "b".into(),
            key: key.into(),
            upload_id: "u".into(),
            created_at: 1,
            identity: UploadIdentity {
                size: 10,
                sha256: "00".repeat(32),
                part_size: 5,
                parts: 2,
                content_type: "text/plain".into(),
                cache_control: "no-cache".into(),
            },
        }
    }

    #[test]
    fn create_record_read_remove_ok() {
        let dir = std::env::temp_dir().join(format!("edgegate-ledger-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let l = LedgerDir::new(&dir, Some("http://127.0.0.1:1"));
        let key = "releases/1.0.0/a b/\u{fc}.bin";
        assert!(l.read("b", key).is_none());
        let w = l.create(&header(key)).unwrap();
        let part = RecordedPart {
            part: 1,
            size: 5,
            sha256: "x".into(),
            e_tag: "\"e\"".into(),
        };
        w.record(&part).unwrap();
        let read = l.read("b", key).unwrap();
        assert_eq!(read.header, header(key));
        assert_eq!(read.parts, std::slice::from_ref(&part));
        // Another endpoint or bucket does not see it.
        assert!(LedgerDir::new(&dir, None).read("b", key).is_none());
        assert!(l.read("other", key).is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(l.path("b", key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A new upload of the key starts a new ledger.
        let _ = l.create(&header(key)).unwrap();
        assert!(l.read("b", key).unwrap().parts.is_empty());
        l.remove("b", key);
        assert!(l.read("b", key).is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
