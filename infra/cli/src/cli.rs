//! The command-line interface (clap) and its dispatch.

use crate::local::server as dev;
use crate::{cli_sign, explain, publish_cmd};
use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "edgegate",
    version,
    about = "Gate static artifacts at the edge: Cognito JWTs and CloudFront signed URLs/cookies."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum TokenUseArg {
    Id,
    Access,
}

/// `--hash`.
#[derive(Clone, Copy, ValueEnum)]
pub enum HashArg {
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum KeyTypeArg {
    Ecdsa,
    Rsa,
}

/// Options shared by `sign-url` and `sign-cookies`.
#[derive(clap::Args)]
pub struct SignArgs {
    /// Absolute URL (sign-url) or the resource URL (sign-cookies), e.g. https://downloads.example.com/releases/1.0.0/app.zip
    pub url: String,
    /// Expiry as seconds since the epoch.
    #[arg(long, conflicts_with = "expires_in")]
    pub expires_at: Option<u64>,
    /// Expiry as seconds from now.
    #[arg(long)]
    pub expires_in: Option<u64>,
    /// A custom policy JSON file, signed verbatim (then no --expires-*, --resource or --ip).
    #[arg(long, conflicts_with_all = ["expires_at", "expires_in", "resource", "ip"])]
    pub policy: Option<PathBuf>,
    /// Build a custom policy for this Resource pattern (`*` and `?` wildcards), e.g. https://d.example.com/releases/1.0.0/*
    #[arg(long)]
    pub resource: Option<String>,
    /// Restrict a custom policy to this IPv4 CIDR.
    #[arg(long)]
    pub ip: Option<String>,
    /// Signature hash: sha1 (CloudFront's default, RSA only) or sha256. Default: sha256 for ECDSA keys, sha1 for RSA.
    #[arg(long, value_enum)]
    pub hash: Option<HashArg>,
    /// The CloudFront key pair id (public key id). Default: the dev key pair.
    #[arg(long, requires = "key_source")]
    pub key_pair_id: Option<String>,
    /// PEM private key file. Default: the dev key pair (dev only).
    #[arg(long, requires = "key_pair_id", group = "key_source")]
    pub private_key: Option<PathBuf>,
    /// Read the PEM private key from AWS Secrets Manager instead (secret ARN or name; credentials and region from the AWS chain).
    #[arg(long, requires = "key_pair_id", group = "key_source")]
    pub private_key_secret: Option<String>,
    /// Also append the audit line (key pair id, resource, expiry, who; never the signature) to this file.
    #[arg(long, env = "EDGEGATE_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a folder through the gate on this machine (the embedded default needs no flags).
    Dev {
        /// The folder standing in for the private S3 origin.
        #[arg(long, default_value = "examples/artifacts")]
        root: PathBuf,
        /// edgegate.toml (default: the embedded dev config with the dev issuer and key pair).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:8787")]
        addr: SocketAddr,
        /// JWKS file or URL, overriding the config's.
        #[arg(long)]
        jwks: Option<String>,
        /// Lifetime of the tokens the dev Hosted UI stand-in issues, seconds.
        #[arg(long, default_value_t = 3600)]
        token_lifetime: u64,
    },
    /// Mint a Cognito-shaped token from the dev issuer (dev only).
    Token {
        /// cognito:username.
        #[arg(long, default_value = "alice")]
        user: String,
        /// cognito:groups entry (repeatable). Default: downloaders.
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Mint a token with no groups at all.
        #[arg(long, conflicts_with = "groups")]
        no_groups: bool,
        /// Mint a client-credentials (machine-to-machine) access token instead: no user, no
        /// groups, `sub` = `client_id` = the dev app client, the `--scope`s in `scope`.
        #[arg(long, conflicts_with_all = ["user", "groups", "no_groups", "token_use"], requires = "scopes")]
        client_credentials: bool,
        /// A scope of the client-credentials token (repeatable), e.g. artifacts/read.
        #[arg(long = "scope", requires = "client_credentials", value_parser = parse_scope)]
        scopes: Vec<String>,
        /// Mint a dev OIDC token instead: a CI job's workload identity with GitHub Actions'
        /// claims (repository example-org/app, ref refs/heads/main), for the embedded dev
        /// config's `dev-ci` issuer and its /ci route (repository_owner = "example-org").
        #[arg(long, conflicts_with_all = ["user", "groups", "no_groups", "token_use", "client_credentials"])]
        oidc: bool,
        /// A claim of the OIDC token, NAME=VALUE (repeatable; a string value replaces or adds
        /// the member; `repository` also sets `repository_owner` and `sub`).
        #[arg(long = "claim", requires = "oidc", value_parser = parse_claim)]
        claims: Vec<(String, String)>,
        /// id or access.
        #[arg(long, value_enum, default_value = "access")]
        token_use: TokenUseArg,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        expires_in: u64,
    },
    /// Print a CloudFront signed URL.
    SignUrl(SignArgs),
    /// Print CloudFront signed cookies as a Cookie header.
    SignCookies(SignArgs),
    /// Decide one request offline and print why, as JSON.
    Explain {
        /// edgegate.toml (default: the embedded dev config).
        #[arg(long)]
        config: Option<PathBuf>,
        /// The absolute URL as the viewer requested it (raw path and query are kept as given).
        #[arg(long)]
        url: String,
        /// HTTP method.
        #[arg(long, default_value = "GET")]
        method: String,
        /// A request header, 'Name: value' (repeatable).
        #[arg(long = "header")]
        headers: Vec<String>,
        /// The viewer IP address.
        #[arg(long, default_value = "203.0.113.10")]
        client_ip: String,
        /// The time to decide at, seconds since the epoch (default: now).
        #[arg(long)]
        now: Option<u64>,
        /// JWKS file or URL, overriding the config's.
        #[arg(long)]
        jwks: Option<String>,
        /// Print the viewer-request event JSON instead of deciding.
        #[arg(long)]
        print_event: bool,
    },
    /// Build the Lambda@Edge viewer-request zip (wasm gate + Node.js handler + baked config and JWKS).
    Bundle {
        /// edgegate.toml.
        #[arg(long)]
        config: PathBuf,
        /// JWKS file or URL, overriding the config's source (fetched now and baked in).
        #[arg(long)]
        jwks: Option<String>,
        /// Output folder (gets viewer-request.zip and the unpacked viewer-request/).
        #[arg(long)]
        out: PathBuf,
        /// Use this prebuilt edgegate_edge.wasm instead of building it.
        #[arg(long)]
        wasm: Option<PathBuf>,
        /// Use this prebuilt edgegate-auth binary (for provided.al2023) instead of building it.
        #[arg(long)]
        auth_binary: Option<PathBuf>,
    },
    /// Key management.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// CloudFormation stacks: parameter files derived from edgegate.toml.
    Stack {
        #[command(subcommand)]
        command: crate::stack::StackCommand,
    },
    /// Publish a folder as an immutable release into the private S3 origin.
    Publish(publish_cmd::PublishArgs),
    /// Release channels (pointers to complete releases).
    Channel {
        #[command(subcommand)]
        command: publish_cmd::ChannelCommand,
    },
    /// Check a release (a folder or its URL) against its signed manifest.
    Verify(crate::verify_cmd::VerifyArgs),
    /// Published releases.
    Releases {
        #[command(subcommand)]
        command: publish_cmd::ReleasesCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Generate a CloudFront key pair (ECDSA P-256 by default) as PEM files.
    New {
        /// ecdsa (P-256, default) or rsa (2048 bits).
        #[arg(long = "type", value_enum, default_value = "ecdsa")]
        key_type: KeyTypeArg,
        /// Folder to write private-key.pem and public-key.pem into.
        #[arg(long)]
        out: PathBuf,
    },
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Parses the command line, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("edgegate: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Dev {
            root,
            config,
            addr,
            jwks,
            token_lifetime,
        } => dev::run(root, config, addr, jwks, token_lifetime).await,
        Command::Token {
            oidc: true,
            claims,
            expires_in,
            ..
        } => dev::mint_oidc_token(&claims, now_secs(), expires_in).map(|t| println!("{t}")),
        Command::Token {
            client_credentials: true,
            scopes,
            expires_in,
            ..
        } => dev::mint_client_token(&scopes, now_secs(), expires_in).map(|t| println!("{t}")),
        Command::Token {
            user,
            groups,
            no_groups,
            token_use,
            expires_in,
            ..
        } => {
            let groups = if no_groups {
                Vec::new()
            } else if groups.is_empty() {
                vec!["downloaders".to_string()]
            } else {
                groups
            };
            let token_use = match token_use {
                TokenUseArg::Id => edgegate_keys::TokenUse::Id,
                TokenUseArg::Access => edgegate_keys::TokenUse::Access,
            };
            dev::mint_token(&user, &groups, token_use, now_secs(), expires_in)
                .map(|t| println!("{t}"))
        }
        Command::SignUrl(args) => cli_sign::run(&args, false, now_secs())
            .await
            .map(|s| println!("{s}")),
        Command::SignCookies(args) => cli_sign::run(&args, true, now_secs())
            .await
            .map(|s| println!("{s}")),
        Command::Explain {
            config,
            url,
            method,
            headers,
            client_ip,
            now,
            jwks,
            print_event,
        } => explain::run(explain::Args {
            config,
            url,
            method,
            headers,
            client_ip,
            now: now.unwrap_or_else(now_secs),
            jwks,
            print_event,
        })
        .await
        .map(|s| println!("{s}")),
        Command::Bundle {
            config,
            jwks,
            out,
            wasm,
            auth_binary,
        } => crate::bundle::run(crate::bundle::Args {
            config,
            jwks,
            out,
            wasm,
            auth_binary,
        })
        .await
        .map(|s| println!("{s}")),
        Command::Keys {
            command: KeysCommand::New { key_type, out },
        } => cli_sign::keys_new(matches!(key_type, KeyTypeArg::Rsa), &out).map(|s| print!("{s}")),
        Command::Stack { command } => crate::stack::run(command).await.map(|s| print!("{s}")),
        Command::Publish(args) => publish_cmd::publish(args, now_secs()).await,
        Command::Channel { command } => publish_cmd::channel(command, now_secs()).await,
        Command::Releases { command } => publish_cmd::releases(command).await,
        Command::Verify(args) => crate::verify_cmd::run(args).await.map(|s| println!("{s}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edgegate: {}", e.one_line());
            ExitCode::FAILURE
        }
    }
}

/// `--scope`: an RFC 6749 §3.3 scope-token, as `routes[N].scopes` takes it.
fn parse_claim(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value))
            if !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_:.-".contains(&b)) =>
        {
            Ok((name.to_string(), value.to_string()))
        }
        _ => Err("NAME=VALUE, NAME of A-Z a-z 0-9 _ : . -".to_string()),
    }
}

fn parse_scope(s: &str) -> Result<String, String> {
    if edgegate_edge::config::is_scope_token(s) {
        Ok(s.to_string())
    } else {
        Err("a scope is 1 to 128 bytes of printable ASCII except space, \" and \\".to_string())
    }
}
