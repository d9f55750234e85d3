//! # edgegate-cli: the `edgegate` command
//!
//! Builds, runs and operates edgegate: `dev` (the whole system on one machine, [`local`]),
//! `token` (dev tokens), `sign-url`, `sign-cookies`, `explain` (why was this request denied?),
//! `keys new`, `bundle` (the Lambda@Edge viewer-request zip and the origin auth function zip),
//! `stack params` (CloudFormation parameter files), and `publish` / `channel set` /
//! `releases list` (through `edgegate-publish`). This crate is the shell around the pure
//! `keys`, `edge` and `edgegate-auth` cores: it reads files, the clock and the network, and
//! prints. The CloudFormation templates and guard rules it renders parameters for live beside
//! it in `infra/cloudformation` and `infra/guard`. Errors print one line, `edgegate: <cause>`, and exit
//! non-zero; nothing secret is ever printed in an error.

pub mod audit;
pub mod bundle;
pub mod cli;
pub mod cli_sign;
pub mod error;
pub mod explain;
pub mod load;
pub mod local;
pub mod publish_cmd;
pub mod stack;
pub mod verify_cmd;

pub use error::{CliError, IoAction, KeySource, UsageError};
