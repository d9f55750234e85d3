//! `edgegate publish`, `edgegate channel set` and `edgegate releases list`: the command-line
//! side of the publisher in `edgegate_publish`. Reads `[publish]` from `edgegate.toml` (flags
//! win), builds the options, prints the summary (text or `--output json`) on stdout; progress,
//! warnings and the audit lines ([`crate::audit`]) go to stderr.

use crate::audit::{self, AuditSink};
use crate::{CliError, UsageError};
use clap::{Subcommand, ValueEnum};
use edgegate_aws::AwsOptions;
use edgegate_publish::progress::Progress;
use edgegate_publish::publisher::{self, PublishOptions};
use edgegate_publish::settings::{ChannelName, GitCommit, PublishConfig, Target, Version};
use std::path::{Path, PathBuf};

/// `--output`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    /// A human summary.
    #[default]
    Text,
    /// One JSON document (for CI systems).
    Json,
}

/// Where releases live (flags over `[publish]` in edgegate.toml).
#[derive(clap::Args, Clone, Debug)]
pub struct TargetArgs {
    /// S3 bucket (default: publish.bucket in edgegate.toml).
    #[arg(long)]
    pub bucket: Option<String>,
    /// Key prefix of releases (default: publish.prefix, else releases/).
    #[arg(long)]
    pub prefix: Option<String>,
    /// CloudFront distribution to invalidate (default: publish.distribution_id; none: no invalidation).
    #[arg(long)]
    pub distribution_id: Option<String>,
    /// Endpoint for S3 and CloudFront instead of AWS's (e.g. a local stand-in); S3 uses path-style addressing.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// edgegate.toml to read [publish] from (default: ./edgegate.toml when it exists).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `edgegate publish`.
#[derive(clap::Args, Clone, Debug)]
pub struct PublishArgs {
    /// The folder whose files become the release.
    pub dir: PathBuf,
    /// The release version (the folder under the prefix), e.g. 1.4.0.
    #[arg(long)]
    pub release: String,
    /// Point this channel (e.g. stable) at the release once it is complete.
    #[arg(long)]
    pub channel: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Requests in flight (1-64).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Git commit recorded in the manifest.
    #[arg(long)]
    pub git_commit: Option<String>,
    /// Wait until CloudFront reports the invalidations complete.
    #[arg(long)]
    pub wait: bool,
    /// Print the plan (hashes, actions, parts) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace a complete release whose content differs (invalidates <prefix><VERSION>/*).
    #[arg(long)]
    pub force: bool,
    /// Sign the manifest with this minisign secret key (unencrypted: `minisign -G -W`); the
    /// signature goes beside it as manifest.json.minisig (`minisign -V` verifies it).
    #[arg(long)]
    pub sign_key: Option<PathBuf>,
    /// text or json.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputArg,
    /// Also append the audit lines (publish, force_replace, channel_move) to this file.
    #[arg(long, env = "EDGEGATE_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,
    /// Where multipart uploads in progress are recorded, so that a rerun after an interruption
    /// resumes them (default: $XDG_STATE_HOME/edgegate/uploads, else ~/.local/state/edgegate/uploads).
    #[arg(long, env = "EDGEGATE_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
}

/// `edgegate channel ...`.
#[derive(Subcommand, Clone, Debug)]
pub enum ChannelCommand {
    /// Point a channel at a complete release (rollback: point it at an older one).
    Set {
        /// The channel, e.g. stable.
        name: String,
        /// The release version; it must have its manifest.
        version: String,
        #[command(flatten)]
        target: TargetArgs,
        /// Wait until CloudFront reports the invalidation complete.
        #[arg(long)]
        wait: bool,
        /// text or json.
        #[arg(long, value_enum, default_value = "text")]
        output: OutputArg,
        /// Also append the audit line (channel_move) to this file.
        #[arg(long, env = "EDGEGATE_AUDIT_LOG")]
        audit_log: Option<PathBuf>,
    },
}

/// `edgegate releases ...`.
#[derive(Subcommand, Clone, Debug)]
pub enum ReleasesCommand {
    /// List releases (complete or not) and channels.
    List {
        #[command(flatten)]
        target: TargetArgs,
        /// text or json.
        #[arg(long, value_enum, default_value = "text")]
        output: OutputArg,
    },
}

/// Reads `[publish]` from `path`, or from `./edgegate.toml` when it exists.
///
/// # Errors
/// The file cannot be read or parsed, or `[publish]` is invalid (the error names the field).
pub fn publish_config(path: Option<&Path>) -> Result<PublishConfig, CliError> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let default = PathBuf::from("edgegate.toml");
            if !default.is_file() {
                return Ok(PublishConfig::default());
            }
            default
        }
    };
    let doc = crate::load::read_document(&path)?;
    Ok(PublishConfig::from_doc(doc.publish.as_ref())?)
}

fn resolve(args: &TargetArgs) -> Result<(Target, AwsOptions), CliError> {
    let config = publish_config(args.config.as_deref())?;
    let target = Target::resolve(
        &config,
        args.bucket.as_deref(),
        args.prefix.as_deref(),
        args.distribution_id.as_deref(),
    )?;
    if let Some(url) = &args.endpoint_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(UsageError::EndpointUrl(url.clone()).into());
        }
    }
    let aws = AwsOptions {
        region: config.region.clone(),
        endpoint_url: args.endpoint_url.clone(),
    };
    Ok((target, aws))
}

fn usage<T>(option: &'static str, r: Result<T, String>) -> Result<T, CliError> {
    r.map_err(|reason| UsageError::Value { option, reason }.into())
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|source| CliError::Json {
        what: "the report",
        source,
    })?;
    println!("{text}");
    Ok(())
}

/// Runs `edgegate publish`.
///
/// # Errors
/// Bad options or config, refused names, an immutable release, I/O or AWS failures.
pub async fn publish(args: PublishArgs, now: u64) -> Result<(), CliError> {
    let version = usage("--release", Version::parse(&args.release))?;
    let channel = match &args.channel {
        Some(c) => Some(usage("--channel", ChannelName::parse(c))?),
        None => None,
    };
    let git_commit = match &args.git_commit {
        Some(g) => Some(usage("--git-commit", GitCommit::parse(g))?),
        None => None,
    };
    if !(1..=publisher::MAX_CONCURRENCY).contains(&args.concurrency) {
        return Err(UsageError::Concurrency {
            max: publisher::MAX_CONCURRENCY,
        }
        .into());
    }
    let sign_key = match &args.sign_key {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
                action: crate::error::IoAction::Read,
                path: path.clone(),
                source,
            })?;
            let key = edgegate_publish::minisign::SecretKey::parse(&text).map_err(|source| {
                CliError::Minisign {
                    what: format!("--sign-key {}", path.display()),
                    source,
                }
            })?;
            Some(std::sync::Arc::new(key))
        }
        None => None,
    };
    let (target, aws) = resolve(&args.target)?;
    let audit = AuditSink::new(args.audit_log.clone());
    let options = PublishOptions {
        dir: args.dir,
        version,
        channel,
        target,
        aws,
        concurrency: args.concurrency,
        git_commit,
        wait: args.wait,
        dry_run: args.dry_run,
        force: args.force,
        sign_key,
        state_dir: args
            .state_dir
            .or_else(edgegate_publish::ledger::default_dir),
    };
    let report = publisher::publish(options, Progress::auto(), now).await?;
    match args.output {
        OutputArg::Text => println!("{}", report.to_text()),
        OutputArg::Json => print_json(&report)?,
    }
    audit.write(&audit::publish_events(&report), now)
}

/// Runs `edgegate channel ...`.
///
/// # Errors
/// Bad options, an incomplete release, AWS failures.
pub async fn channel(command: ChannelCommand, now: u64) -> Result<(), CliError> {
    match command {
        ChannelCommand::Set {
            name,
            version,
            target,
            wait,
            output,
            audit_log,
        } => {
            let channel = usage("NAME", ChannelName::parse(&name))?;
            let version = usage("VERSION", Version::parse(&version))?;
            let (target, aws) = resolve(&target)?;
            let audit = AuditSink::new(audit_log);
            let progress = Progress::auto();
            let report =
                publisher::channel_set(&target, &aws, &channel, &version, wait, &progress, now)
                    .await?;
            match output {
                OutputArg::Text => println!("{}", report.to_text()),
                OutputArg::Json => print_json(&report)?,
            }
            audit.write(
                &[audit::channel_event(target.bucket.as_str(), &report)],
                now,
            )
        }
    }
}

/// Runs `edgegate releases ...`.
///
/// # Errors
/// Bad options, AWS failures.
pub async fn releases(command: ReleasesCommand) -> Result<(), CliError> {
    match command {
        ReleasesCommand::List { target, output } => {
            let (target, aws) = resolve(&target)?;
            let listing = publisher::releases_list(&target, &aws).await?;
            match output {
                OutputArg::Text => println!("{}", listing.to_text()),
                OutputArg::Json => print_json(&listing)?,
            }
            Ok(())
        }
    }
}

/// Reads a PEM private key from Secrets Manager for `sign-url --private-key-secret`. The
/// region comes from the secret's ARN when it is one, else from the standard chain; the
/// endpoint from the chain (`AWS_ENDPOINT_URL`).
///
/// # Errors
/// The secret cannot be read.
pub async fn secret_pem(secret_id: &str) -> Result<String, CliError> {
    let secret = |source| CliError::Secret {
        setting: "--private-key-secret".into(),
        source,
    };
    // arn:aws:secretsmanager:<region>:<account>:secret:<name>
    let region = secret_id
        .strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(2))
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    let aws = edgegate_aws::Aws::load(&AwsOptions {
        region,
        endpoint_url: None,
    })
    .await
    .map_err(secret)?;
    edgegate_aws::secret_string(&aws, secret_id)
        .await
        .map_err(secret)
}
