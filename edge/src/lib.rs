//! # edgegate-edge: the viewer-request gate
//!
//! Owns the decision CloudFront's viewer-request trigger makes for one request:
//!
//! - [`event`]: the Lambda@Edge viewer-request event and response JSON (edgegate's own types:
//!   `aws_lambda_events` has no CloudFront module);
//! - [`config`]: the version-1 configuration document and the validated [`GateConfig`];
//! - [`path`]: raw-URI canonicality (dot segments, `%2e`, `%2f`, `%5c`, `\`, `//`, controls,
//!   double encoding, invalid UTF-8);
//! - [`cookies`]: the `Cookie` header jar (all `cookie` entries joined, duplicates kept);
//! - [`gate`]: [`decide`], which turns a request into a [`Decision`];
//! - [`cache`]: the bounded verified-credential cache used by [`decide_cached`];
//! - [`text`]: small pure text helpers (HTML escaping) for the auth function's pages;
//! - [`boundary`]: the narrow frame/verdict encoding between the Node.js handler and the wasm
//!   gate (only what [`decide`] reads goes in; edits to the original request come out).
//!
//! **I/O stance:** pure. No I/O, no clock, no logging, no randomness. Time comes in as
//! [`edgegate_keys::UnixTime`] and the signature primitive as a
//! [`edgegate_keys::SignatureVerifier`], so the same code runs natively (`edgegate dev`,
//! `edgegate explain`, tests) and as WebAssembly inside the Lambda@Edge Node.js function.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![warn(missing_docs)]

pub mod boundary;
pub mod cache;
pub mod config;
pub mod cookies;
pub mod event;
pub mod gate;
pub mod pages;
pub mod path;
pub mod text;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use cache::VerifiedCache;
pub use config::{ConfigDocument, ConfigError, GateConfig};
pub use event::{CfResponse, ViewerRequest, ViewerRequestEvent};
pub use gate::{decide, decide_cached, Decision, Identity, Reason};
