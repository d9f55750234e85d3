//! `edgegate stack params`: the CloudFormation parameter files of the four stacks in
//! `infra/cloudformation/`, derived from `edgegate.toml`, so that nothing is typed by hand at
//! deploy time.
//!
//! One file per stack, in the format `aws cloudformation deploy --parameter-overrides
//! file://<file>` accepts (AWS CLI v2): a JSON array of `{"ParameterKey", "ParameterValue"}`
//! objects and nothing else (the same format `create-stack --parameters file://` reads).
//!
//! | file | template | region | needs |
//! |---|---|---|---|
//! | `artifacts.json` | `artifacts.yaml` | us-east-1, and the home region | `[stack]` |
//! | `identity.json` | `identity.yaml` | home region | `[site]`, `[stack]`, the routes' groups, the key slots |
//! | `edge.json` | `edge.yaml` | us-east-1 | a complete config (validated as `edgegate bundle` does), `--bundle-sha256` |
//! | `origin.json` | `origin.yaml` | home region | a complete config with `[auth]`, `--origin-bundle-sha256`, the edge stack's outputs |
//!
//! The deploy-order cycle (user pool -> bundle with its JWKS -> edge function -> distribution ->
//! app client callback URLs) is broken by deriving the callback and logout URLs from
//! `[site].domain`, which is known before anything exists, instead of from the distribution.
//! What AWS assigns (pool and client ids, public key ids, secret ARNs, the edge version ARN)
//! flows back through `aws cloudformation describe-stacks` output files given with
//! `--stack-outputs`: the edge stack's outputs fill `origin.json`, and the identity stack's are
//! checked against edgegate.toml, naming each setting to change.
//!
//! ```toml
//! [stack]
//! name = "downloads"                     # stack names <name>-artifacts, -identity, -edge, -origin
//! region = "eu-west-1"                   # home region (identity + origin); = [cognito].region
//! hosted_ui_domain_prefix = "downloads-example"   # https://<prefix>.auth.<region>.amazoncognito.com
//! certificate_arn = "arn:aws:acm:us-east-1:..."   # optional: existing certificate; else the edge stack makes one
//! hosted_zone_id = "Z0123456789ABCDEFGHIJ"        # optional: Route 53 zone (DNS validation, alias records)
//! price_class = "PriceClass_100"         # optional
//! log_retention_days = 30                # optional, function log groups
//! access_log_retention_days = 90         # optional, CloudFront and S3 access logs
//! client_secret = true                   # optional, confidential app client (default true)
//! mfa = "optional"                       # optional: "off" | "optional" | "on" (TOTP)
//! id_token_validity_minutes = 60         # optional, 5..=1440: signed cookies expire with the ID token
//! refresh_token_validity_days = 30       # optional, 1..=3650
//! alarm_topic_arn = "arn:aws:sns:eu-west-1:111122223333:ops"        # optional: origin stack alarms
//! edge_alarm_topic_arn = "arn:aws:sns:us-east-1:111122223333:ops"   # optional: distribution alarms
//! existing_trail_name = "org-trail"      # optional: log S3 data events in this trail
//! additional_metrics = false             # optional: CloudFront's billed extra metrics + a 503 alarm
//!
//! [stack.cloudfront_keys]                # the two trusted-key slots (PEM files, relative to this file)
//! a = "keys/cloudfront-2025.pem"
//! # b = "keys/cloudfront-2026.pem"       # the next key, during a rotation
//! ```
//!
//! The parts: `settings.rs` validates `[stack]`, `outputs.rs` reads the deployed stacks'
//! outputs and checks edgegate.toml against them, `render.rs` makes the parameter files, and
//! `command.rs` is the command's file handling (reading the config, slots and outputs, writing
//! the files).

mod command;
mod outputs;
mod render;
mod settings;
#[cfg(test)]
mod tests;

pub use command::{run, ParamsArgs, StackCommand};
pub use outputs::StackOutputs;
pub use render::{deploy_commands, render, Inputs, ParamFile, Rendered, StackKind};
pub use settings::SlotKey;

/// The region of every Lambda@Edge function and of CloudFront's certificates.
pub const EDGE_REGION: &str = "us-east-1";

/// Why `edgegate stack params` refuses to render edge.json or origin.json from the deployed
/// stacks' outputs.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// edgegate.toml disagrees with the identity stack's outputs (each fix names a setting and
    /// its value).
    #[error("config: edgegate.toml does not match the outputs of stack {stack}: set {}", .fixes.join("; "))]
    Mismatch {
        /// The identity stack.
        stack: String,
        /// The settings to change, e.g. `cognito.user_pool_id = "..."`.
        fixes: Vec<String>,
    },
    /// edge.json or origin.json was asked for from a document that was not fully validated.
    #[error("config: edge.json and origin.json need the complete configuration (as for edgegate bundle)")]
    Incomplete,
    /// The edge stack's outputs lack one that origin.json needs.
    #[error("--stack-outputs: stack {stack} has no output {key}")]
    MissingOutput {
        /// The edge stack.
        stack: String,
        /// The output key.
        key: &'static str,
    },
    /// The edge stack runs another bundle than `--bundle-sha256`.
    #[error("stack {stack} runs bundle {running}, not {wanted}: deploy the edge stack with edge.json first")]
    OtherBundle {
        /// The edge stack.
        stack: String,
        /// The SHA-256 the stack reports.
        running: String,
        /// `--bundle-sha256`.
        wanted: String,
    },
}
