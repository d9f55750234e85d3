//! The CLI's error types: [`CliError`] (every command's failure) and [`UsageError`] (bad
//! command-line input).
//!
//! Each variant's own message says what failed (naming the setting, option, path or action);
//! the underlying error, when there is one, is its [`std::error::Error::source`], not part of
//! that message. [`CliError::one_line`] joins the two into the single line `edgegate` prints
//! after `edgegate: `. No variant ever carries key bytes or secret values: key errors name
//! fields, AWS errors name operations and error codes, and TOML errors keep only the position
//! and the parser's message (never the quoted line).

use crate::bundle::BundleError;
use crate::load::{DocumentError, JwksError};
use crate::stack::StackError;
use edgegate_edge::config::ConfigError;
use edgegate_keys::KeyError;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A CLI failure. Printed by [`CliError::one_line`] as one line: `config: ...` for bad
/// configuration, `key: ...` for unusable key material, the option's name for bad input.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad command-line input: an option's value, a missing or contradictory option, a
    /// `--stack-outputs` file that is not `describe-stacks` output.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// A configuration setting is invalid (the source names the field): validation of
    /// edgegate.toml, `[stack]`, `[auth]` or `[publish]`, or a value that must not be deployed.
    #[error("config")]
    Config(#[from] ConfigError),
    /// The configuration document cannot be read, or is not TOML (JSON) of its shape.
    #[error("config")]
    Document(#[from] DocumentError),
    /// A file a setting names (`public_key_file`, `jwks_file`, a `[stack.cloudfront_keys]` slot,
    /// a `file:` secret) cannot be read.
    #[error("config: {field}: cannot read {}", path.display())]
    SettingFile {
        /// The setting, e.g. `cloudfront.trusted_keys[0].public_key_file`.
        field: String,
        /// The file, as resolved.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Key material a setting gives (a key slot's PEM, the JWKS) is not usable.
    #[error("config: {field}")]
    SettingKey {
        /// The setting, e.g. `stack.cloudfront_keys.a` or `cognito JWKS`.
        field: String,
        /// What is wrong with the key (names the element, never its bytes).
        #[source]
        source: KeyError,
    },
    /// The JWKS cannot be fetched or read.
    #[error("config")]
    Jwks(#[from] JwksError),
    /// `edgegate stack params`: the stacks' outputs and edgegate.toml disagree, or a stack's
    /// outputs are missing or stale.
    #[error(transparent)]
    Stack(#[from] StackError),
    /// A secret in AWS Secrets Manager cannot be read (`--private-key-secret`, an `arn:`
    /// secret of `edgegate dev`).
    #[error("{setting}")]
    Secret {
        /// The option or setting naming the secret.
        setting: String,
        /// The AWS failure (operation and error code, never the secret's value).
        #[source]
        source: edgegate_aws::AwsError,
    },
    /// Key material could not be generated, loaded or used (the dev keys, a signature).
    #[error("key")]
    Key(#[from] KeyError),
    /// A private key file or secret holds no usable PEM private key.
    #[error("key: {from}: not a usable PEM private key")]
    UnusableKey {
        /// Where the PEM came from.
        from: KeySource,
        /// What is wrong with it (never its bytes).
        #[source]
        source: KeyError,
    },
    /// `keys new` found a key file already in place and wrote nothing.
    #[error("{} exists; refusing to overwrite a key", path.display())]
    KeyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// The publisher failed (`publish`, `channel set`, `releases list`): AWS, the plan, the
    /// published folder.
    #[error(transparent)]
    Publish(edgegate_publish::Error),
    /// A file or folder could not be read, written, created or removed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done.
        action: IoAction,
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A value could not be serialized as JSON (for printing or baking into a bundle).
    #[error("cannot write {what} as JSON")]
    Json {
        /// What was being serialized, e.g. `the decision`.
        what: &'static str,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// `edgegate bundle`: a build or packaging step failed or a zip is too large.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// `edgegate dev` cannot listen on its address.
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A minisign key (`publish --sign-key`, `verify --public-key`) cannot be used.
    #[error("{what}")]
    Minisign {
        /// The option and file.
        what: String,
        /// What is wrong (never key material).
        #[source]
        source: edgegate_publish::minisign::MinisignError,
    },
    /// `edgegate verify`: the release does not match its signed manifest, or cannot be read.
    #[error("verify")]
    Verify(#[from] edgegate_publish::verify::VerifyError),
    /// The HTTP client (for the token endpoint of `edgegate dev`) cannot be built.
    #[error("http client")]
    HttpClient(#[source] reqwest::Error),
}

impl CliError {
    /// The line `edgegate` prints after `edgegate: `: this error's message and those of its
    /// sources, joined with `": "`, with line breaks turned into spaces. A source whose message
    /// the line already ends with is skipped (some errors print their source themselves, e.g.
    /// the publisher's `"{path}: {source}"`).
    pub fn one_line(&self) -> String {
        let mut line = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(source) = next {
            let text = source.to_string();
            if !text.is_empty() && !line.ends_with(&text) {
                if !line.is_empty() {
                    line.push_str(": ");
                }
                line.push_str(&text);
            }
            next = source.source();
        }
        line.replace(['\n', '\r'], " ")
    }

    /// An I/O failure on `path`.
    pub fn io(action: IoAction, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CliError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// An invalid setting: `field` and what is wrong with it.
    pub fn config(field: impl Into<String>, reason: impl Into<String>) -> Self {
        CliError::Config(ConfigError::new(field, reason))
    }
}

/// A publisher setting error is bad input when it names an option (`--release`), bad
/// configuration when it names a field (`publish.bucket`).
impl From<edgegate_publish::settings::SettingError> for CliError {
    fn from(e: edgegate_publish::settings::SettingError) -> Self {
        if e.field.starts_with("--") {
            CliError::Usage(UsageError::Setting(e))
        } else {
            CliError::config(e.field, e.reason)
        }
    }
}

/// A publisher failure; its setting errors become usage or configuration errors as a bare
/// setting error does.
impl From<edgegate_publish::Error> for CliError {
    fn from(e: edgegate_publish::Error) -> Self {
        match e {
            edgegate_publish::Error::Setting(s) => s.into(),
            other => CliError::Publish(other),
        }
    }
}

/// The origin auth function's settings errors name a config field, as [`ConfigError`] does.
impl From<edgegate_auth::AuthError> for CliError {
    fn from(e: edgegate_auth::AuthError) -> Self {
        CliError::config(e.field, e.reason)
    }
}

/// What an I/O operation was doing, for [`CliError::Io`]'s message (`cannot read <path>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoAction {
    /// Reading a file or listing a folder.
    Read,
    /// Writing a file.
    Write,
    /// Creating a file or folder.
    Create,
    /// Removing a folder.
    Remove,
    /// Copying a file (the path is the source).
    Copy,
}

impl fmt::Display for IoAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IoAction::Read => "read",
            IoAction::Write => "write",
            IoAction::Create => "create",
            IoAction::Remove => "remove",
            IoAction::Copy => "copy",
        })
    }
}

/// Where a private key's PEM came from, for [`CliError::UnusableKey`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `--private-key FILE`.
    File(PathBuf),
    /// `--private-key-secret ID`.
    Secret(String),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::File(path) => write!(f, "{}", path.display()),
            KeySource::Secret(id) => write!(f, "--private-key-secret {id}"),
        }
    }
}

/// Bad command-line input. Each message names the option (or the argument) at fault.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// `explain --url` is not `http(s)://...`.
    #[error("--url must start with https:// or http://")]
    UrlScheme,
    /// `explain --url` has an empty host.
    #[error("--url has no host")]
    UrlNoHost,
    /// `verify --header` with a folder (headers are for downloads).
    #[error("--header is only for a release URL")]
    HeaderWithoutUrl,
    /// `explain --header` has no `:`.
    #[error("--header must be 'Name: value'")]
    HeaderFormat,
    /// `explain --header` has an empty name or one with characters outside a token.
    #[error("--header name must be a token")]
    HeaderName,
    /// `sign-url` / `sign-cookies`: the URL is not absolute.
    #[error("URL must be absolute (https://host/path)")]
    UrlNotAbsolute,
    /// `sign-url` / `sign-cookies`: the URL's path is one the gate refuses to serve.
    #[error("the URL path is not one the gate serves ({}): percent-encode spaces and special characters (e.g. %20), no dot segments or //", .0.detail())]
    PathNotServed(edgegate_edge::path::PathError),
    /// `--key-pair-id` is not a CloudFront key pair id.
    #[error("--key-pair-id: {}", .0.reason)]
    KeyPairId(KeyError),
    /// `--hash sha1` with an ECDSA key.
    #[error("--hash sha1 is refused for ECDSA keys (CloudFront ECDSA uses SHA-256)")]
    Sha1WithEcdsa,
    /// `--policy FILE` is not a custom policy CloudFront accepts.
    #[error("--policy {}", path.display())]
    Policy {
        /// The policy file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: edgegate_keys::VerifyError,
    },
    /// Neither `--expires-at` nor `--expires-in` (nor `--policy`).
    #[error("give --expires-at EPOCH or --expires-in SECS (or --policy FILE)")]
    NoExpiry,
    /// The expiry is not after now.
    #[error("the expiry is in the past")]
    ExpiryInPast,
    /// `--ip` is not an IPv4 CIDR.
    #[error("--ip must be an IPv4 CIDR like 192.0.2.0/24")]
    IpCidr,
    /// The custom policy built from `--resource` (and `--ip`) is not one CloudFront accepts.
    #[error("--resource")]
    Resource(#[source] edgegate_keys::VerifyError),
    /// A canned policy's expiry is past CloudFront's 32-bit limit.
    #[error("a canned policy cannot expire after 2038-01-19 (use --resource for a custom policy)")]
    CannedAfter2038,
    /// A publisher option is refused (the error names the option, e.g. `--prefix`).
    #[error(transparent)]
    Setting(edgegate_publish::settings::SettingError),
    /// An argument's value does not parse (`--release`, `--channel`, `NAME`, ...).
    #[error("{option}: {reason}")]
    Value {
        /// The option or argument.
        option: &'static str,
        /// Why the value is refused.
        reason: String,
    },
    /// `--concurrency` is out of range.
    #[error("--concurrency must be 1-{max}")]
    Concurrency {
        /// The largest accepted value.
        max: usize,
    },
    /// `--endpoint-url` is not an `http(s)` URL.
    #[error("--endpoint-url: `{0}` is not an http(s) URL")]
    EndpointUrl(String),
    /// `--bundle-sha256` is not 64 lowercase hex digits.
    #[error("--bundle-sha256: 64 lowercase hex digits (edgegate bundle prints it)")]
    BundleSha256,
    /// `--origin-bundle-sha256` is not 64 lowercase hex digits.
    #[error("--origin-bundle-sha256: 64 lowercase hex digits")]
    OriginBundleSha256,
    /// A `--stack-outputs` file is not JSON.
    #[error("{origin}: not describe-stacks JSON")]
    OutputsJson {
        /// The file.
        origin: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A `--stack-outputs` file has no `Stacks` array.
    #[error("{origin}: no \"Stacks\" array (describe-stacks output)")]
    OutputsNoStacks {
        /// The file.
        origin: String,
    },
    /// A stack in a `--stack-outputs` file has no `StackName`.
    #[error("{origin}: a stack without StackName")]
    OutputsNoStackName {
        /// The file.
        origin: String,
    },
    /// `dev --root` is not a folder.
    #[error("--root {}: not a folder", .0.display())]
    RootNotAFolder(PathBuf),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_sources_and_skips_repeated_ones_ok() {
        let e = CliError::io(
            IoAction::Read,
            "/x/missing.toml",
            std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        );
        assert_eq!(e.one_line(), "cannot read /x/missing.toml: gone");
        let e = CliError::config("routes[0].prefix", "must start with /\nreally");
        assert_eq!(
            e.one_line(),
            "config: routes[0].prefix: must start with / really"
        );
        // The publisher prints its own source: not repeated.
        let e: CliError = edgegate_publish::Error::Io {
            path: "dir/a.txt".into(),
            source: std::io::Error::other("denied"),
        }
        .into();
        assert_eq!(e.one_line(), "dir/a.txt: denied");
    }

    #[test]
    fn setting_errors_are_usage_for_options_and_config_for_fields_ok() {
        use edgegate_publish::settings::SettingError;
        let usage: CliError = SettingError::new("--prefix", "must end with /").into();
        assert!(matches!(usage, CliError::Usage(UsageError::Setting(_))));
        assert_eq!(usage.one_line(), "--prefix: must end with /");
        let config: CliError = SettingError::new("publish.bucket", "empty").into();
        assert_eq!(config.one_line(), "config: publish.bucket: empty");
    }
}
