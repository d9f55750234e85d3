//! The local run (`edgegate dev`): the whole system on one machine, DEV-ONLY.
//!
//! - [`server`]: the HTTP server that turns each request into the viewer-request event, runs the
//!   same `decide` the edge runs, mounts the origin auth function at `/auth/*`, and serves
//!   allowed requests from a folder;
//! - [`origin_fs`]: that folder as the stand-in for the private S3 origin;
//! - [`idp`]: the stand-in for the Cognito Hosted UI at `/_dev/idp` (embedded default only);
//! - [`dev_keys`]: the committed development issuer and CloudFront key pair (`infra/cli/dev/`),
//!   which everything that deploys refuses by fingerprint.

pub mod dev_keys;
pub mod idp;
pub mod origin_fs;
pub mod server;
