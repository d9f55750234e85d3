//! # edgegate-publish: the release publisher
//!
//! What feeds the private origin behind CloudFront: `edgegate publish`, `edgegate channel set`
//! and `edgegate releases list` (the CLI is the shell that parses their options). The AWS SDK
//! configuration comes from `edgegate-aws`; the `/auth/*` function is `edgegate-auth`.
//!
//! ## Pure core, thin shell
//!
//! - Pure (no I/O, no clock): [`names`] (file name -> key -> the URL path viewers request, and
//!   the refusal rules shared with the gate), [`settings`] (validated bucket, prefix, version,
//!   channel; the `[publish]` config section), [`manifest`] (the manifest and channel pointer
//!   documents), [`plan`] (upload / skip / replace / delete per object, single PUT or
//!   multipart and the part size, the immutability decision, the channel pointer), [`resume`]
//!   (which parts of a pending multipart upload may be reused).
//! - Shell: [`scan`] (folder walk, hashing), [`store`] (the S3 and CloudFront clients and
//!   calls), [`ledger`] (the upload ledger files),
//!   [`publisher`] (the steps, in order), [`progress`] (a bar on a terminal, lines otherwise).
//!
//! ## What a publish guarantees
//!
//! - Every refused file name is reported before anything is uploaded.
//! - Every object carries its whole-file SHA-256 as `x-amz-meta-sha256`; single PUTs send
//!   `x-amz-checksum-sha256` and multipart uploads a SHA-256 per part, which S3 verifies.
//! - `manifest.json` is written last, after every upload succeeded: a release without its
//!   manifest is incomplete, and a channel is only ever pointed at a complete release.
//! - A rerun skips objects already present with the same SHA-256, and resumes the multipart
//!   uploads an interrupted run left pending, reusing only parts proven to hold the same bytes
//!   ([`resume`]: the decision; [`ledger`]: the record of each upload on the publishing
//!   machine); every other pending upload under the release is aborted.
//! - A complete release is immutable: the same content is a no-op, other content is refused
//!   unless `--force` (which deletes the manifest first, replaces, rewrites the manifest and
//!   invalidates `<prefix><VERSION>/*`).
//! - Memory does not depend on file sizes: files are hashed and uploaded as streams with fixed
//!   buffers, at most `--concurrency` requests in flight.
//!
//! Objects are assumed to be served at `/` + their key (no CloudFront origin path); the parts
//! of an interrupted multipart upload stay pending for a rerun to resume (aborted at once when
//! no ledger could record them), and a bucket lifecycle rule (AbortIncompleteMultipartUpload,
//! 7 days in the origin stack) removes what no rerun claims.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod error;
pub mod ledger;
pub mod manifest;
pub mod minisign;
pub mod names;
pub mod plan;
pub mod progress;
pub mod publisher;
mod releases;
mod report;
pub mod resume;
pub mod scan;
pub mod settings;
pub mod store;
mod transfer;
pub mod verify;

pub use error::Error;
