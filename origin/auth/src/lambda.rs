//! The origin auth function on AWS Lambda (`provided.al2023`, behind a Lambda function URL with
//! CloudFront Origin Access Control): cold start reads `config.json` and `jwks.json` from the
//! package and the secrets from AWS Secrets Manager, once; each invocation turns the function
//! URL event into an [`AuthRequest`], runs [`crate::shell::run_observed`], prints its log lines
//! ([`crate::log`]: the request line with its EMF metrics, the audit line of a cookie
//! issuance) on stdout, and returns the response with every `Set-Cookie` as its own `cookies`
//! entry.

use crate::{Auth, AuthRequest, AuthSettings, Secrets};
use aws_lambda_events::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use edgegate_edge::config::SecretRef;
use edgegate_edge::{ConfigDocument, GateConfig};
use edgegate_keys::sign::SystemRandom;
use edgegate_keys::{Jwks, RingVerifier};
use std::path::{Path, PathBuf};

/// Everything built once per container.
pub struct ColdStart {
    /// Settings.
    pub settings: AuthSettings,
    /// Secrets.
    pub secrets: Secrets,
    /// Cognito HTTP client.
    pub client: reqwest::Client,
    /// Randomness.
    pub rng: SystemRandom,
    /// The function's name (`AWS_LAMBDA_FUNCTION_NAME`, `edgegate-auth` when unset): the
    /// `function` dimension of the metrics.
    pub function_name: String,
}

/// Why the function cannot start (one line, no secret values).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// The folder holding `config.json` and `jwks.json`: `$LAMBDA_TASK_ROOT`, else the binary's folder.
pub fn package_dir() -> PathBuf {
    std::env::var_os("LAMBDA_TASK_ROOT")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
        })
        .unwrap_or_default()
}

/// Loads the baked configuration and JWKS from `dir`.
///
/// # Errors
/// [`StartError`] naming the file or field.
pub fn load_config(dir: &Path) -> Result<(ConfigDocument, GateConfig, AuthSettings), StartError> {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).map_err(|e| StartError(format!("{name}: {e}")))
    };
    let doc: ConfigDocument = serde_json::from_str(&read("config.json")?)
        .map_err(|e| StartError(format!("config.json: {e}")))?;
    let jwks = Jwks::parse(read("jwks.json")?.as_bytes())
        .map_err(|e| StartError(format!("jwks.json: {e}")))?;
    let gate = GateConfig::from_document(&doc, Some(jwks))
        .map_err(|e| StartError(format!("config.json: {e}")))?;
    let settings =
        AuthSettings::new(&doc, &gate).map_err(|e| StartError(format!("config.json: {e}")))?;
    Ok((doc, gate, settings))
}

/// Reads one secret from Secrets Manager (`arn:` references only: `file:` and `dev:` are for
/// local runs and refused here).
async fn secret(
    aws: &edgegate_aws::Aws,
    reference: &str,
    field: &str,
) -> Result<String, StartError> {
    if !matches!(
        SecretRef::parse(reference),
        Ok(SecretRef::SecretsManager(_))
    ) {
        return Err(StartError(format!(
            "{field}: only Secrets Manager ARNs are allowed in the deployed function"
        )));
    }
    edgegate_aws::secret_string(aws, reference)
        .await
        .map_err(|e| StartError(format!("{field}: {e}")))
}

/// The cold start: configuration from `dir`, secrets from Secrets Manager (endpoint override
/// `endpoint_url`, for tests against a stand-in).
///
/// # Errors
/// [`StartError`].
pub async fn cold_start(dir: &Path, endpoint_url: Option<String>) -> Result<ColdStart, StartError> {
    let (doc, gate, settings) = load_config(dir)?;
    // The committed dev material and local-only settings must never run deployed.
    edgegate_edge::config::deployable(&doc, &gate).map_err(|e| StartError(e.to_string()))?;
    let options = edgegate_aws::AwsOptions {
        endpoint_url,
        ..Default::default()
    };
    let aws = edgegate_aws::Aws::load(&options)
        .await
        .map_err(|e| StartError(format!("aws: {e}")))?;
    let refs = settings.secret_refs.clone();
    let key = secret(
        &aws,
        &refs.cloudfront_private_key,
        "auth.secrets.cloudfront_private_key",
    )
    .await?;
    let state_key = secret(&aws, &refs.state_key, "auth.secrets.state_key").await?;
    let client_secret = match &refs.client_secret {
        Some(r) => Some(secret(&aws, r, "auth.secrets.client_secret").await?),
        None => None,
    };
    let secrets = Secrets::from_values(&key, &state_key, client_secret, &settings)
        .map_err(|e| StartError(e.to_string()))?;
    let client = crate::shell::client().map_err(|e| StartError(format!("http client: {e}")))?;
    Ok(ColdStart {
        settings,
        secrets,
        client,
        rng: SystemRandom::new(),
        function_name: std::env::var("AWS_LAMBDA_FUNCTION_NAME")
            .ok()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "edgegate-auth".to_string()),
    })
}

/// Handles one function URL event and prints its log lines on stdout (see [`handle_logged`]).
pub async fn handle(
    cold: &ColdStart,
    event: LambdaFunctionUrlRequest,
    now: u64,
) -> LambdaFunctionUrlResponse {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(now.saturating_mul(1000));
    let (response, lines) = handle_logged(cold, event, now, now_ms).await;
    for line in lines {
        println!("{line}");
    }
    response
}

/// Handles one function URL event at `now` (seconds since the epoch; `now_ms`, milliseconds,
/// stamps the metrics), returning the response and its log lines ([`crate::log`]): the
/// request line (endpoint, status, token call, EMF metrics), then the audit line when the
/// response issues signed cookies. No line holds a cookie, code or token.
pub async fn handle_logged(
    cold: &ColdStart,
    event: LambdaFunctionUrlRequest,
    now: u64,
    now_ms: u64,
) -> (LambdaFunctionUrlResponse, Vec<String>) {
    let method = event
        .request_context
        .http
        .method
        .clone()
        .unwrap_or_default();
    let path = event.raw_path.clone().unwrap_or_default();
    let query = event.raw_query_string.clone().unwrap_or_default();
    let mut cookie_headers: Vec<String> = event.cookies.clone().unwrap_or_default();
    for v in event.headers.get_all("cookie") {
        if let Ok(v) = v.to_str() {
            cookie_headers.push(v.to_string());
        }
    }
    let request = AuthRequest {
        method: &method,
        path: &path,
        query: &query,
        cookie_headers: cookie_headers.iter().map(String::as_str).collect(),
    };
    let auth = Auth {
        settings: &cold.settings,
        secrets: &cold.secrets,
        verifier: &RingVerifier,
    };
    let (response, token_call) =
        crate::shell::run_observed(&auth, &cold.client, &request, now, &cold.rng).await;
    let mut lines = vec![crate::log::request_line(
        &cold.function_name,
        &path,
        response.status,
        token_call,
        now_ms,
    )];
    if let Some(issued) = &response.issued {
        lines.push(crate::log::issued_line(issued, now));
    }
    let mut headers = http::HeaderMap::new();
    for (n, v) in &response.headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::try_from(n.as_str()),
            http::HeaderValue::try_from(v.as_str()),
        ) {
            headers.insert(n, v);
        }
    }
    let mut out = LambdaFunctionUrlResponse::default();
    out.status_code = i64::from(response.status);
    out.headers = headers;
    out.cookies = response.set_cookies;
    out.body = if response.body.is_empty() {
        None
    } else {
        Some(response.body)
    };
    out.is_base64_encoded = false;
    (out, lines)
}
