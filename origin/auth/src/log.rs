//! The auth function's log lines, built as values (pure: the shell passes the clock and prints).
//!
//! - [`request_line`]: one per request, `{"path", "status", "endpoint", "http", "token_call",
//!   "function", "auth_requests", "token_endpoint_failures", "_aws"}`. `path` is the raw path
//!   cut to 64 characters (never the query); `endpoint` is one of [`ENDPOINTS`] (anything else
//!   is `other`), `http` the status as a string, `token_call` `ok`, `invalid_grant`, `failed` or
//!   `null` (no token endpoint call). `_aws` makes it a CloudWatch Embedded Metric Format
//!   document (Amazon CloudWatch User Guide, "Specification: Embedded metric format"): in
//!   namespace [`NAMESPACE`], `auth_requests` (Count, always 1) by `function`, `endpoint` and
//!   `http`, and `token_endpoint_failures` (Count, 1 when the token endpoint did not answer
//!   usably, else 0) by `function` alone, which the token-endpoint alarm watches. Every
//!   dimension value comes from a fixed set or the function's own name, so the number of
//!   metrics is bounded (each distinct combination is one custom metric).
//! - [`issued_line`]: one audit line per sign-in that issued CloudFront signed cookies,
//!   `{"audit": "signed_cookies_issued", "subject", "username", "prefixes", "expires_at",
//!   "key_pair_id", "via", "at"}`. Never a cookie value, signature, policy, code or token.

use crate::{Issued, TokenOutcome};
use serde_json::json;

/// The CloudWatch namespace of every edgegate metric (the gate's and this function's).
pub const NAMESPACE: &str = "edgegate";

/// The endpoints named in the `endpoint` dimension; any other path is `other`.
pub const ENDPOINTS: [&str; 4] = ["login", "refresh", "callback", "logout"];

/// How a token endpoint call ended, as the log line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenCallResult {
    /// Tokens came back (`ok`; they are verified afterwards).
    Ok,
    /// `invalid_grant`: a used code or an expired or revoked refresh token (the client's
    /// problem, not the endpoint's).
    InvalidGrant,
    /// No usable answer: a network error, a timeout, a 5xx, a malformed body (`failed`).
    Failed,
}

impl TokenCallResult {
    /// The result of `outcome`.
    pub fn of(outcome: &TokenOutcome) -> Self {
        match outcome {
            TokenOutcome::Tokens { .. } => TokenCallResult::Ok,
            TokenOutcome::InvalidGrant => TokenCallResult::InvalidGrant,
            TokenOutcome::Failed => TokenCallResult::Failed,
        }
    }

    /// `ok`, `invalid_grant` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenCallResult::Ok => "ok",
            TokenCallResult::InvalidGrant => "invalid_grant",
            TokenCallResult::Failed => "failed",
        }
    }
}

/// The `endpoint` dimension of a raw path: `login` for `/auth/login`, ..., `other` for
/// anything that is not exactly one of [`ENDPOINTS`] under `/auth/`.
pub fn endpoint(path: &str) -> &'static str {
    path.strip_prefix("/auth/")
        .and_then(|rest| ENDPOINTS.iter().find(|e| **e == rest))
        .copied()
        .unwrap_or("other")
}

/// The request line (see the module docs). `function` is the Lambda function's name
/// (`AWS_LAMBDA_FUNCTION_NAME`), `now_ms` milliseconds since the epoch (EMF `Timestamp`).
pub fn request_line(
    function: &str,
    path: &str,
    status: u16,
    token_call: Option<TokenCallResult>,
    now_ms: u64,
) -> String {
    json!({
        "path": path.chars().take(64).collect::<String>(),
        "status": status,
        "endpoint": endpoint(path),
        "http": status.to_string(),
        "token_call": token_call.map(TokenCallResult::as_str),
        "function": function,
        "auth_requests": 1,
        "token_endpoint_failures": u8::from(token_call == Some(TokenCallResult::Failed)),
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [["function", "endpoint", "http"]],
                    "Metrics": [{"Name": "auth_requests", "Unit": "Count"}],
                },
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [["function"]],
                    "Metrics": [{"Name": "token_endpoint_failures", "Unit": "Count"}],
                },
            ],
        },
    })
    .to_string()
}

/// The audit line of a sign-in that issued cookies, at `now` (seconds since the epoch).
pub fn issued_line(issued: &Issued, now: u64) -> String {
    json!({
        "audit": "signed_cookies_issued",
        "subject": issued.subject,
        "username": issued.username,
        "prefixes": issued.prefixes,
        "expires_at": issued.expires_at,
        "key_pair_id": issued.key_pair_id,
        "via": issued.via,
        "at": now,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_known_paths_ok() {
        assert_eq!(endpoint("/auth/callback"), "callback");
        assert_eq!(endpoint("/auth/logout"), "logout");
        assert_eq!(endpoint("/auth/callback/x"), "other");
        assert_eq!(endpoint("/auth/"), "other");
        assert_eq!(endpoint("/login"), "other");
    }

    #[test]
    fn request_line_failed_call_counts_one_failure_ok() {
        let v: serde_json::Value = serde_json::from_str(&request_line(
            "f",
            "/auth/callback",
            502,
            Some(TokenCallResult::Failed),
            1_700_000_000_123,
        ))
        .unwrap();
        assert_eq!(v["token_endpoint_failures"], 1);
        assert_eq!(v["http"], "502");
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_123u64);
    }
}
