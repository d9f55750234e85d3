//! The thin shell around [`crate`]: sends the [`TokenCall`]s to Cognito with reqwest
//! (bounded time), and runs one request through `handle` → token call → `finish`. Shared by
//! the Lambda function ([`crate::lambda`]) and `edgegate dev`.

use crate::log::TokenCallResult;
use crate::{Auth, AuthRequest, Response, Step, TokenCall, TokenOutcome};
use edgegate_keys::sign::SecureRandom;
use std::time::Duration;

/// Time allowed for one call to Cognito (well inside the origin function's timeout; CloudFront
/// waits up to 30 s for an origin by default).
pub const TOKEN_CALL_TIMEOUT: Duration = Duration::from_secs(4);

/// Longest token endpoint response read, in bytes.
pub const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;

/// An HTTP client for Cognito's endpoints (4 s timeout, no redirects followed).
///
/// # Errors
/// reqwest's builder error (TLS backend initialisation).
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(TOKEN_CALL_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Sends a token-endpoint call and classifies the answer.
pub async fn send(client: &reqwest::Client, call: &TokenCall) -> TokenOutcome {
    let mut request = client
        .post(&call.url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(call.body());
    if let Some((id, secret)) = &call.basic_auth {
        request = request.basic_auth(id, Some(secret));
    }
    let Ok(response) = request.send().await else {
        return TokenOutcome::Failed;
    };
    let status = response.status();
    let Ok(bytes) = response.bytes().await else {
        return TokenOutcome::Failed;
    };
    if bytes.len() > MAX_TOKEN_RESPONSE_BYTES {
        return TokenOutcome::Failed;
    }
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    if status.is_success() {
        match body.get("id_token").and_then(|v| v.as_str()) {
            Some(id_token) => TokenOutcome::Tokens {
                id_token: id_token.to_string(),
                refresh_token: body
                    .get("refresh_token")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
            },
            None => TokenOutcome::Failed,
        }
    } else if status.as_u16() == 400
        && body.get("error").and_then(|v| v.as_str()) == Some("invalid_grant")
    {
        TokenOutcome::InvalidGrant
    } else {
        TokenOutcome::Failed
    }
}

/// Sends a revoke call; the outcome is ignored (sign-out completes either way).
pub async fn revoke(client: &reqwest::Client, call: &TokenCall) {
    let mut request = client
        .post(&call.url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(call.body());
    if let Some((id, secret)) = &call.basic_auth {
        request = request.basic_auth(id, Some(secret));
    }
    let _ = request.send().await;
}

/// Runs one `/auth/*` request to its response.
pub async fn run(
    auth: &Auth<'_>,
    client: &reqwest::Client,
    req: &AuthRequest<'_>,
    now: u64,
    rng: &(dyn SecureRandom + Sync),
) -> Response {
    run_observed(auth, client, req, now, rng).await.0
}

/// [`run`], also returning how the token endpoint call ended (`None`: no token call was
/// made), for the log line ([`crate::log::request_line`]).
pub async fn run_observed(
    auth: &Auth<'_>,
    client: &reqwest::Client,
    req: &AuthRequest<'_>,
    now: u64,
    rng: &(dyn SecureRandom + Sync),
) -> (Response, Option<TokenCallResult>) {
    match auth.handle(req, now, rng) {
        Step::Done(response) => (response, None),
        Step::Revoke { call, then } => {
            revoke(client, &call).await;
            (then, None)
        }
        Step::Exchange { call, pending } => {
            let outcome = send(client, &call).await;
            let result = TokenCallResult::of(&outcome);
            let later = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(now)
                .max(now);
            let response = auth.finish(pending, outcome, &req.cookie_headers, later, rng);
            (response, Some(result))
        }
    }
}
