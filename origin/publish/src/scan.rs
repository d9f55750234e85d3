//! Reading the folder to publish: the file walk with its name checks (every refused name is
//! collected before anything is uploaded), and the hashing pass (whole-file SHA-256 plus one
//! SHA-256 per multipart part, in one streaming read with a fixed buffer, so memory does not
//! depend on file sizes).

use crate::error::Error;
use crate::names::{check_name, NameProblem};
use crate::plan::{part_ranges, transfer_for, LocalFile, Sha256, Transfer};
use crate::progress::Progress;
use sha2::Digest as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// Read buffer of the hashing pass.
const HASH_BUFFER: usize = 1024 * 1024;

/// A file found in the folder, not yet hashed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundFile {
    /// Path inside the folder, `/`-separated.
    pub path: String,
    /// Path on disk.
    pub source: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Modification time.
    pub modified: Option<SystemTime>,
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Walks `dir` (following symbolic links to files, refusing links to folders, skipping empty
/// folders) and checks every name against the key it would get under `release_prefix`.
///
/// # Errors
/// [`Error::RefusedNames`] listing every refused file, or an I/O error.
pub fn scan(dir: &Path, release_prefix: &str) -> Result<Vec<FoundFile>, Error> {
    let meta = std::fs::metadata(dir).map_err(|e| io_error(dir, e))?;
    if !meta.is_dir() {
        return Err(io_error(
            dir,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a folder"),
        ));
    }
    let mut found = Vec::new();
    let mut refused = Vec::new();
    // (folder on disk, its path inside `dir` with a trailing `/`, or "" at the top)
    let mut stack: Vec<(PathBuf, String)> = vec![(dir.to_path_buf(), String::new())];
    while let Some((folder, rel)) = stack.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|e| io_error(&folder, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(&folder, e))?;
            let source = entry.path();
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                refused.push((
                    format!("{rel}{}", name.to_string_lossy()),
                    NameProblem::NotUtf8,
                ));
                continue;
            };
            let path = format!("{rel}{name}");
            let file_type = entry.file_type().map_err(|e| io_error(&source, e))?;
            if file_type.is_dir() {
                stack.push((source, format!("{path}/")));
                continue;
            }
            // Follows a symbolic link.
            let meta = std::fs::metadata(&source).map_err(|e| io_error(&source, e))?;
            if !meta.is_file() {
                refused.push((path, NameProblem::NotAFile));
                continue;
            }
            let key = format!("{release_prefix}{path}");
            if let Err(problem) = check_name(&path, &key) {
                refused.push((path, problem));
                continue;
            }
            found.push(FoundFile {
                path,
                source,
                size: meta.len(),
                modified: meta.modified().ok(),
            });
        }
    }
    if !refused.is_empty() {
        refused.sort_by(|a, b| a.0.cmp(&b.0));
        return Err(Error::RefusedNames {
            dir: dir.display().to_string(),
            refused,
        });
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// Hashes one file: whole-file SHA-256 and, for a multipart transfer, each part's SHA-256, in
/// one read. `progress` gets the bytes as they are read.
///
/// # Errors
/// An I/O error, or [`Error::ChangedDuringPublish`] when the size no longer matches.
pub fn hash_file(found: &FoundFile, progress: &Progress) -> Result<LocalFile, Error> {
    let mut file = std::fs::File::open(&found.source).map_err(|e| io_error(&found.source, e))?;
    let parts = match transfer_for(found.size) {
        Transfer::Single => Vec::new(),
        Transfer::Multipart { part_size, .. } => part_ranges(found.size, part_size),
    };
    let mut whole = sha2::Sha256::new();
    let mut part_hashes = Vec::with_capacity(parts.len());
    let mut part = sha2::Sha256::new();
    let mut part_index = 0usize;
    let mut part_left = parts.first().map_or(u64::MAX, |p| p.1);
    let mut buf = vec![0u8; HASH_BUFFER];
    let mut total: u64 = 0;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(&found.source, e)),
        };
        let mut chunk = buf.get(..n).ok_or(Error::Unreachable("read past buffer"))?;
        whole.update(chunk);
        total = total.saturating_add(n as u64);
        if total > found.size {
            return Err(Error::ChangedDuringPublish {
                path: found.path.clone(),
            });
        }
        if !parts.is_empty() {
            while !chunk.is_empty() {
                let take = usize::try_from(part_left.min(chunk.len() as u64))
                    .map_err(|_| Error::Unreachable("part length"))?;
                let (head, rest) = chunk.split_at(take);
                part.update(head);
                part_left -= take as u64;
                chunk = rest;
                if part_left == 0 {
                    part_hashes.push(Sha256(part.finalize_reset().into()));
                    part_index += 1;
                    part_left = parts.get(part_index).map_or(u64::MAX, |p| p.1);
                }
            }
        }
        progress.bytes(n as u64);
    }
    if total != found.size || part_hashes.len() != parts.len() {
        return Err(Error::ChangedDuringPublish {
            path: found.path.clone(),
        });
    }
    Ok(LocalFile {
        path: found.path.clone(),
        source: found.source.clone(),
        size: found.size,
        modified: found.modified,
        sha256: Sha256(whole.finalize().into()),
        part_sha256: part_hashes,
    })
}

/// Hashes every file, `concurrency` at a time on blocking threads.
///
/// # Errors
/// The first failure.
pub async fn hash_files(
    files: Vec<FoundFile>,
    concurrency: usize,
    progress: Arc<Progress>,
) -> Result<Vec<LocalFile>, Error> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, found) in files.into_iter().enumerate() {
        let semaphore = Arc::clone(&semaphore);
        let progress = Arc::clone(&progress);
        tasks.spawn(async move {
            let _permit = semaphore
                .acquire_owned()
                .await
                .map_err(|_| Error::Unreachable("semaphore closed"))?;
            let hashed = tokio::task::spawn_blocking(move || hash_file(&found, &progress))
                .await
                .map_err(|_| Error::Unreachable("hashing task panicked"))??;
            Ok::<_, Error>((index, hashed))
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (index, hashed) = joined.map_err(|_| Error::Unreachable("hashing task failed"))??;
        out.push((index, hashed));
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, f)| f).collect())
}

/// Whether the file still has the size and modification time it had when hashed.
pub fn unchanged(file: &LocalFile) -> bool {
    match std::fs::metadata(&file.source) {
        Ok(m) => m.len() == file.size && m.modified().ok() == file.modified,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::MIB;

    struct Dir(PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    fn temp(tag: &str) -> Dir {
        let p =
            std::env::temp_dir().join(format!("edgegate-origin-scan-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }

    #[test]
    fn scan_lists_nested_files_sorted_ok() {
        let d = temp("ok");
        std::fs::create_dir_all(d.0.join("sub/deeper")).unwrap();
        std::fs::create_dir_all(d.0.join("empty")).unwrap();
        std::fs::write(d.0.join("b.txt"), "b").unwrap();
        std::fs::write(d.0.join("sub/deeper/a b.txt"), "ab").unwrap();
        let files = scan(&d.0, "releases/1/").unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["b.txt", "sub/deeper/a b.txt"]);
        assert_eq!(files[1].size, 2);
    }

    #[test]
    fn scan_names_every_refused_file() {
        let d = temp("refused");
        std::fs::write(d.0.join("ok.txt"), "x").unwrap();
        std::fs::write(d.0.join("a+b.txt"), "x").unwrap();
        std::fs::write(d.0.join("ctl\u{1}.txt"), "x").unwrap();
        std::fs::write(d.0.join("manifest.json"), "x").unwrap();
        let Err(Error::RefusedNames { refused, .. }) = scan(&d.0, "r/1/") else {
            panic!("refused")
        };
        let names: Vec<&str> = refused.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names, ["a+b.txt", "ctl\u{1}.txt", "manifest.json"]);
        let e = scan(&d.0, "r/1/").unwrap_err().to_string();
        assert!(e.contains("\"ctl\\u{1}.txt\""), "{e}");
    }

    #[test]
    fn hash_file_parts_match_whole_ok() {
        let d = temp("hash");
        let size = 17 * MIB + 5;
        let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        std::fs::write(d.0.join("big"), &data).unwrap();
        let found = scan(&d.0, "r/1/").unwrap().remove(0);
        let hashed = hash_file(&found, &Progress::quiet()).unwrap();
        assert_eq!(
            hashed.sha256.0,
            <[u8; 32]>::from(sha2::Sha256::digest(&data))
        );
        assert_eq!(hashed.part_sha256.len(), 3);
        let want: Vec<[u8; 32]> = data
            .chunks(8 * MIB as usize)
            .map(|c| sha2::Sha256::digest(c).into())
            .collect();
        let got: Vec<[u8; 32]> = hashed.part_sha256.iter().map(|h| h.0).collect();
        assert_eq!(got, want);
        assert!(unchanged(&hashed));
    }
}
