//! The origin auth function's token endpoint call under faults (catalogue CB-16, issue 10
//! "token endpoint slow/erroring"): `edgegate_auth::shell::send` against a local TCP server
//! that misbehaves in one way per case. Every fault must classify as `Failed` (the pure core
//! then answers a page without session cookies, pinned in origin/auth/tests/auth_flow.rs
//! `token_endpoint_failure_gives_a_page_without_cookies`), never hang past the call's timeout,
//! and `invalid_grant` must stay recognisable (it expires the refresh cookie instead).
//!
//! Times are printed (`--nocapture`) and only bounded generously (three times the timeout), so
//! a noisy machine cannot fail the test.

use edgegate_auth::shell::{client, send, MAX_TOKEN_RESPONSE_BYTES, TOKEN_CALL_TIMEOUT};
use edgegate_auth::{TokenCall, TokenOutcome};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// How the stand-in token endpoint answers.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Accepts, reads the request, never answers.
    Silent,
    /// Sends the status line and headers, then stalls before the body.
    StallAfterHeaders,
    /// Closes the connection right after reading the request.
    Reset,
    /// `500` with a JSON error body.
    ServerError,
    /// `503` with an HTML body.
    Unavailable,
    /// `200` whose body is not JSON.
    NotJson,
    /// `200` JSON without `id_token`.
    NoIdToken,
    /// `200` with a body larger than the read limit.
    Oversized,
    /// `302` to elsewhere (redirects are not followed).
    Redirect,
    /// `400 {"error":"invalid_grant"}`.
    InvalidGrant,
}

fn response(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Starts a one-fault token endpoint; returns its URL.
async fn endpoint(fault: Fault) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let _ = socket.read(&mut buf).await;
                let answer = match fault {
                    Fault::Silent => {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        return;
                    }
                    Fault::StallAfterHeaders => {
                        let _ = socket
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
                            .await;
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        return;
                    }
                    Fault::Reset => return,
                    Fault::ServerError => response(
                        "500 Internal Server Error",
                        "application/json",
                        r#"{"error":"internal"}"#,
                    ),
                    Fault::Unavailable => response(
                        "503 Service Unavailable",
                        "text/html",
                        "<html>busy</html>",
                    ),
                    Fault::NotJson => response("200 OK", "application/json", "id_token=abc"),
                    Fault::NoIdToken => response(
                        "200 OK",
                        "application/json",
                        r#"{"access_token":"a","token_type":"Bearer"}"#,
                    ),
                    Fault::Oversized => {
                        let pad = "x".repeat(MAX_TOKEN_RESPONSE_BYTES + 1);
                        let body = format!(r#"{{"id_token":"a.b.c","pad":"{pad}"}}"#);
                        response("200 OK", "application/json", &body)
                    }
                    Fault::Redirect => format!(
                        "HTTP/1.1 302 Found\r\nLocation: http://{addr}/elsewhere\r\nContent-Length: 0\r\n\r\n"
                    )
                    .into_bytes(),
                    Fault::InvalidGrant => response(
                        "400 Bad Request",
                        "application/json",
                        r#"{"error":"invalid_grant"}"#,
                    ),
                };
                let _ = socket.write_all(&answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}/oauth2/token")
}

fn call(url: String) -> TokenCall {
    TokenCall {
        url,
        form: vec![
            ("grant_type".into(), "authorization_code".into()),
            ("code".into(), "secret-code-value".into()),
        ],
        basic_auth: None,
    }
}

#[tokio::test]
async fn every_token_endpoint_fault_is_a_bounded_failure() {
    let http = client().expect("client");
    let bound = TOKEN_CALL_TIMEOUT * 3;
    let cases = [
        (Fault::Silent, "failed"),
        (Fault::StallAfterHeaders, "failed"),
        (Fault::Reset, "failed"),
        (Fault::ServerError, "failed"),
        (Fault::Unavailable, "failed"),
        (Fault::NotJson, "failed"),
        (Fault::NoIdToken, "failed"),
        (Fault::Oversized, "failed"),
        (Fault::Redirect, "failed"),
        (Fault::InvalidGrant, "invalid_grant"),
    ];
    for (fault, want) in cases {
        let url = endpoint(fault).await;
        let started = Instant::now();
        let outcome = tokio::time::timeout(bound, send(&http, &call(url)))
            .await
            .unwrap_or_else(|_| panic!("{fault:?}: no answer within {bound:?}"));
        let took = started.elapsed();
        let got = match outcome {
            TokenOutcome::Failed => "failed",
            TokenOutcome::InvalidGrant => "invalid_grant",
            TokenOutcome::Tokens { .. } => "tokens",
        };
        eprintln!(
            "token endpoint {fault:?}: {got} after {} ms",
            took.as_millis()
        );
        assert_eq!(got, want, "{fault:?}");
    }
}

#[tokio::test]
async fn an_unreachable_token_endpoint_fails_fast() {
    // A port nothing listens on: connection refused.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let http = client().expect("client");
    let started = Instant::now();
    let outcome = send(&http, &call(format!("http://{addr}/oauth2/token"))).await;
    eprintln!(
        "token endpoint refused: {:?} after {} ms",
        matches!(outcome, TokenOutcome::Failed),
        started.elapsed().as_millis()
    );
    assert!(matches!(outcome, TokenOutcome::Failed));
    assert!(started.elapsed() < TOKEN_CALL_TIMEOUT * 3);
}
