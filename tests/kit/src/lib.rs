//! Test-only fixtures shared by the tests of every edgegate crate.
//!
//! - [`keys`]: the one committed set of throwaway PEM keys (`tests/kit/keys/`, see its README).
//! - [`attacks`]: attack payload lists kept as data files (`tests/kit/data/attacks/*.txt`), so
//!   the unit tests, the end-to-end tests and the fuzz seeds test the same payloads.
//! - [`text`]: string helpers several crates' tests had copied (base64 tampering, raw query
//!   pairs of a signed URL).
//!
//! The kit depends on nothing but std and hands out plain data (`&str`, `String`, paths): a
//! crate's `#[cfg(test)]` unit tests can use it as a dev-dependency without a second instance of
//! that crate, and the request-path crates (keys, edge) gain no dependency through it.

pub mod attacks;
pub mod keys;
pub mod text;

/// The repository (workspace) root.
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("tests/kit sits two levels below the repository root")
}
