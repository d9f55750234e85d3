//! # edgegate-aws: the AWS SDK shell the deployables share
//!
//! One SDK configuration from the standard chain (AWS_PROFILE, environment, SSO,
//! credential_process; region from the chain or `publish.region`), the mapping of SDK failures
//! to one-line [`AwsError`] messages, and Secrets Manager reads ([`secret_string`]). The
//! publisher builds its S3 and CloudFront clients from [`Aws::config`]; the origin auth
//! function and `edgegate sign-url --private-key-secret` read secrets. Nothing here decides
//! anything: it is I/O only.
//!
//! HTTP: one client, aws-smithy-http-client on rustls with ring (no aws-lc, no second TLS
//! stack); it speaks `https://` to AWS and plain `http://` to the local stand-ins.
//! Retries: the SDK's standard mode (exponential backoff with jitter on throttling, 5xx and
//! connection errors), 5 attempts unless `AWS_MAX_ATTEMPTS` / `AWS_RETRY_MODE` or the profile
//! say otherwise.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// An AWS failure as one line: what was attempted, the service's error code and message (or
/// the cause chain), and a hint where one helps. Never a secret value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AwsError(pub String);

/// Attempts per request (first try included) unless the environment or profile set one.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// Overrides of the standard chain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AwsOptions {
    /// The region (`publish.region`); default: the chain's.
    pub region: Option<String>,
    /// A custom endpoint for every service (`--endpoint-url`, e.g. a local stand-in); S3 then
    /// uses path-style addressing.
    pub endpoint_url: Option<String>,
}

/// The loaded SDK configuration.
#[derive(Clone, Debug)]
pub struct Aws {
    config: SdkConfig,
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

impl Aws {
    /// Loads the configuration (no network access yet: credentials are resolved on first use).
    ///
    /// # Errors
    /// No region anywhere.
    pub async fn load(options: &AwsOptions) -> Result<Aws, AwsError> {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url.clone());
        }
        if !env_set("AWS_MAX_ATTEMPTS") && !env_set("AWS_RETRY_MODE") {
            loader = loader
                .retry_config(RetryConfig::standard().with_max_attempts(DEFAULT_MAX_ATTEMPTS));
        }
        let config = loader.load().await;
        if config.region().is_none() {
            return Err(AwsError(
                "no AWS region: set AWS_REGION (or AWS_PROFILE with a region), or region in the [publish] section of edgegate.toml".into(),
            ));
        }
        Ok(Aws { config })
    }

    /// The loaded SDK configuration (clients are built from it).
    pub fn config(&self) -> &SdkConfig {
        &self.config
    }

    /// The Secrets Manager client.
    pub fn secrets(&self) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&self.config)
    }

    /// The endpoint override, if any (for messages).
    pub fn endpoint(&self) -> Option<&str> {
        self.config.endpoint_url()
    }
}

/// Maps an SDK failure of `what` (`S3 PutObject s3://bucket/key`) to one line: the service's
/// error code and message when the service answered, else the cause chain (connection refused,
/// no credentials, timeout).
pub fn sdk_error<E>(what: &str, err: &SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let e = service.err();
            let code = e.code().unwrap_or("error");
            let detail = match (e.code(), e.message()) {
                (Some(_), Some(m)) if !m.is_empty() => format!("{code}: {m}"),
                (Some(_), _) => code.to_string(),
                (None, _) => format!("HTTP {status}"),
            };
            let hint = match e.code() {
                Some("NoSuchBucket") => " (the bucket does not exist: check --bucket / publish.bucket and the region)",
                Some("SignatureDoesNotMatch" | "InvalidAccessKeyId" | "AccessDenied" | "InvalidClientTokenId" | "ExpiredToken") => {
                    " (check the AWS credentials: AWS_PROFILE, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, SSO login)"
                }
                _ => "",
            };
            AwsError(format!("{what}: {detail} (HTTP {status}){hint}"))
        }
        SdkError::TimeoutError(_) => AwsError(format!("{what}: timed out")),
        other => AwsError(format!("{what}: {}", DisplayErrorContext(other))),
    }
}

/// Reads a secret's value (`SecretString`, or `SecretBinary` as UTF-8) from Secrets Manager.
///
/// # Errors
/// The secret cannot be read, or is binary and not UTF-8.
pub async fn secret_string(aws: &Aws, secret_id: &str) -> Result<String, AwsError> {
    let what = format!("Secrets Manager GetSecretValue {secret_id}");
    let out = aws
        .secrets()
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| sdk_error(&what, &e))?;
    if let Some(s) = out.secret_string() {
        return Ok(s.to_string());
    }
    if let Some(b) = out.secret_binary() {
        return String::from_utf8(b.as_ref().to_vec())
            .map_err(|_| AwsError(format!("{what}: SecretBinary is not UTF-8 text")));
    }
    Err(AwsError(format!("{what}: the secret has no value")))
}
