//! The publisher's one error type. Every variant prints as one line that says what failed and,
//! where it helps, what to do; nothing secret is ever part of it.

use crate::names::NameProblem;
use crate::plan::PlanError;
use crate::settings::SettingError;

/// A publisher failure.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // --- input -------------------------------------------------------------------------------
    /// A bad setting (names the field or option).
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// File names the gate or S3 would not keep; nothing was uploaded.
    #[error("refusing {} file name(s) in {dir}, nothing was uploaded: {}", .refused.len(), refused_list(.refused))]
    RefusedNames {
        /// The published folder.
        dir: String,
        /// Each refused path (as found, escaped when printed) and why.
        refused: Vec<(String, NameProblem)>,
    },
    /// The plan cannot be made (immutable release, empty folder, ...).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// `channel set` to a version without a manifest.
    #[error("release {version} is not complete: s3://{bucket}/{key} does not exist (a release without its manifest is incomplete or was never published)")]
    IncompleteRelease {
        /// The version.
        version: String,
        /// The bucket.
        bucket: String,
        /// The manifest key.
        key: String,
    },
    /// A manifest read back for `channel set` is not usable.
    #[error("s3://{bucket}/{key} cannot be used: {reason}")]
    BadManifest {
        /// The bucket.
        bucket: String,
        /// The manifest key.
        key: String,
        /// Why.
        reason: String,
    },
    /// A local file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A file changed between hashing and uploading.
    #[error("{path} changed while edgegate was publishing it (no manifest was written): run the publish again")]
    ChangedDuringPublish {
        /// The path inside the published folder.
        path: String,
    },

    // --- AWS -----------------------------------------------------------------------------------
    /// An AWS call failed (after the SDK's retries); one line with the operation, the target and
    /// the service's error code.
    #[error("{0}")]
    Aws(String),
    /// An invalidation did not complete in time.
    #[error("invalidation {id} of distribution {distribution_id} is still in progress after {seconds} s")]
    InvalidationTimeout {
        /// The distribution.
        distribution_id: String,
        /// The invalidation id.
        id: String,
        /// How long we waited.
        seconds: u64,
    },

    /// Work stopped because another request failed first (never the error a run reports).
    #[error("cancelled after an earlier failure")]
    Cancelled,

    // --- impossible states ---------------------------------------------------------------------
    /// A state the code rules out (a bug if ever seen).
    #[error("internal error: {0}")]
    Unreachable(&'static str),
}

fn refused_list(refused: &[(String, NameProblem)]) -> String {
    refused
        .iter()
        .map(|(path, why)| format!("{} ({why})", escape(path)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A name as printed: quoted, with control characters and quotes escaped.
pub fn escape(name: &str) -> String {
    format!("{name:?}")
}

impl From<edgegate_aws::AwsError> for Error {
    fn from(e: edgegate_aws::AwsError) -> Error {
        Error::Aws(e.0)
    }
}
