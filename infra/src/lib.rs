//! # edgegate-infra: the `edgegate` command
//!
//! Builds, runs and operates edgegate: `dev` (the whole system on one machine), `token` (dev
//! tokens), `sign-url`, `sign-cookies`, `explain` (why was this request denied?) and
//! `keys new`, `bundle` (the Lambda@Edge viewer-request zip). This crate is the shell around the pure `keys` and `edge` crates: it reads files,
//! the clock and the network, and prints. Errors print one line, `edgegate: <cause>`, and exit
//! non-zero; nothing secret is ever printed in an error.

pub mod bundle;
pub mod cli;
pub mod cli_sign;
pub mod dev;
pub mod dev_idp;
pub mod dev_keys;
pub mod explain;
pub mod load;
pub mod origin_fs;
pub mod publish_cmd;
pub mod stack;

/// A CLI failure with a one-line cause.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad configuration (names the field).
    #[error("config: {0}")]
    Config(String),
    /// Bad command-line input.
    #[error("{0}")]
    Usage(String),
    /// A key could not be loaded or used.
    #[error("key: {0}")]
    Key(String),
    /// An I/O failure.
    #[error("{0}")]
    Io(String),
}
