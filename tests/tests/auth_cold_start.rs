//! The origin auth function's cold start with its secrets in moto's Secrets Manager
//! (`EDGEGATE_MOTO_URL`): `auth_lambda::cold_start` reads `config.json` + `jwks.json` from a
//! folder and the three `[auth.secrets]` ARNs from Secrets Manager once; then a Lambda function
//! URL event for `/auth/login` goes through `auth_lambda::handle`. Refused cold starts (a missing
//! secret, a `file:` reference, a short state key, a malformed key) give one line naming the
//! field, never a secret value.
//!
//! Needs the stand-ins (`tests/standins/standins.sh start`, `source target/standins/env`); a
//! missing `EDGEGATE_MOTO_URL` fails the tests.

use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequest;
use edgegate_auth::lambda::{self as auth_lambda, ColdStart};
use edgegate_aws::{Aws, AwsOptions};
use edgegate_e2e::{repo_root, test_key, TempDir, START_HINT};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

const REGION: &str = "us-east-1";
const SITE: &str = "downloads.example.com";
const HOSTED_UI: &str = "https://auth.example.com";
const CLIENT_ID: &str = "coldstartclient1";
const KEY_PAIR_ID: &str = "KCOLDSTART0001";
/// A test-only state key (48 bytes) and client secret: stored in moto, looked for in errors.
const STATE_KEY: &str = "cold-start-state-key-0123456789-abcdefghijklmnop";
const CLIENT_SECRET: &str = "cold-start-client-secret-not-a-real-one-4711";

/// moto's endpoint; fails (not skips) without the stand-ins.
fn moto_url() -> String {
    let url = match std::env::var("EDGEGATE_MOTO_URL") {
        Ok(v) if !v.trim().is_empty() => v.trim_end_matches('/').to_string(),
        _ => panic!("EDGEGATE_MOTO_URL is not set: {START_HINT}"),
    };
    let authority = url.split_once("://").map_or(url.as_str(), |(_, a)| a);
    if let Err(e) = std::net::TcpStream::connect(authority) {
        panic!("moto is not answering at EDGEGATE_MOTO_URL={url} ({e}): {START_HINT}");
    }
    url
}

/// Dummy credentials and the region for the SDK's standard chain (moto accepts anything).
fn aws_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_REGION", REGION);
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::remove_var("AWS_PROFILE");
        std::env::remove_var("AWS_SESSION_TOKEN");
    });
}

fn unique(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "edgegate/cold-start/{tag}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        edgegate_e2e::now().0
    )
}

/// Stores `value` in moto's Secrets Manager and returns its ARN.
async fn create_secret(moto: &str, tag: &str, value: &str) -> String {
    let aws = Aws::load(&AwsOptions {
        region: Some(REGION.to_string()),
        endpoint_url: Some(moto.to_string()),
    })
    .await
    .expect("SDK config for moto");
    let out = aws
        .secrets()
        .create_secret()
        .name(unique(tag))
        .secret_string(value)
        .send()
        .await
        .unwrap_or_else(|e| panic!("moto CreateSecret: {e:?} ({START_HINT})"));
    let arn = out.arn().expect("CreateSecret returns an ARN").to_string();
    assert!(arn.starts_with("arn:aws:secretsmanager:"), "{arn}");
    arn
}

/// The three secrets, stored: (cloudfront private key ARN, state key ARN, client secret ARN).
async fn good_secrets(moto: &str) -> (String, String, String) {
    (
        create_secret(moto, "cf-key", &test_key("ec-p256-private.pem")).await,
        create_secret(moto, "state-key", STATE_KEY).await,
        create_secret(moto, "client-secret", CLIENT_SECRET).await,
    )
}

/// Writes `config.json` (JSON form of edgegate.toml, as `edgegate bundle` bakes it) and
/// `jwks.json` into a fresh folder.
fn package(secrets: Value) -> TempDir {
    let dir = TempDir::new("auth-cold-start");
    let config = json!({
        "version": 1,
        "site": { "domain": SITE },
        "cognito": {
            "region": REGION,
            "user_pool_id": "us-east-1_ColdStart1",
            "issuer_format": "original",
            "app_client_ids": [CLIENT_ID],
            "token_use": ["id", "access"],
            "jwks_file": "jwks.json"
        },
        "cloudfront": { "trusted_keys": [
            { "key_pair_id": KEY_PAIR_ID, "public_key": test_key("ec-p256-public.pem") }
        ]},
        "routes": [
            { "prefix": "/releases", "access": "groups", "groups": ["downloaders"] },
            { "prefix": "/shared", "access": "signed" },
            { "prefix": "/public", "access": "public" }
        ],
        "auth": {
            "hosted_ui": HOSTED_UI,
            "client_id": CLIENT_ID,
            "key_pair_id": KEY_PAIR_ID,
            "scopes": ["openid", "email"],
            "secrets": secrets
        }
    });
    write(
        dir.path(),
        "config.json",
        &serde_json::to_string_pretty(&config).expect("json"),
    );
    let jwks = std::fs::read_to_string(repo_root().join("tests/corpus/jwks.json"))
        .expect("tests/corpus/jwks.json");
    write(dir.path(), "jwks.json", &jwks);
    dir
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
}

fn secrets_doc(cf_key: &str, state_key: &str, client_secret: &str) -> Value {
    json!({ "cloudfront_private_key": cf_key, "state_key": state_key, "client_secret": client_secret })
}

async fn start(dir: &TempDir, moto: &str) -> Result<ColdStart, String> {
    auth_lambda::cold_start(dir.path(), Some(moto.to_string()))
        .await
        .map_err(|e| e.to_string())
}

/// The cold start fails with one line that names `field` and holds none of `secret_values`.
async fn refused(dir: &TempDir, moto: &str, field: &str, secret_values: &[&str]) -> String {
    let message = match start(dir, moto).await {
        Ok(_) => panic!("the cold start succeeded; expected a failure naming {field}"),
        Err(m) => m,
    };
    assert!(!message.contains('\n'), "one line: {message:?}");
    assert!(message.contains(field), "names {field}: {message}");
    for s in secret_values {
        assert!(!s.is_empty());
        assert!(
            !message.contains(s),
            "the message holds a secret value: {message}"
        );
    }
    assert!(
        !message.contains("PRIVATE KEY"),
        "the message holds key material: {message}"
    );
    eprintln!("refused as expected: {message}");
    message
}

/// A Lambda function URL event (payload 2.0) as the function receives it behind CloudFront
/// (Host is the function URL's own domain, never the site's).
fn function_url_event(path: &str, query: &str, cookies: &[&str]) -> LambdaFunctionUrlRequest {
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "host": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
            "accept": "text/html",
            "user-agent": "Amazon CloudFront",
            "x-forwarded-proto": "https",
            "x-amz-cf-id": "cold-start-test"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdefghijklmnopqrstuvwxyz012345",
            "domainName": "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abcdefghijklmnopqrstuvwxyz012345",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "Amazon CloudFront"
            },
            "requestId": "4f3c0ffe-0000-4000-8000-000000000001",
            "routeKey": "$default",
            "stage": "$default",
            "time": "29/Nov/2026:11:00:00 +0000",
            "timeEpoch": 1_795_950_000_000_u64
        },
        "isBase64Encoded": false
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    serde_json::from_value(event).expect("a function URL event")
}

fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    edgegate_auth::parse_query(query)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

#[tokio::test]
async fn cold_start_reads_secrets_from_moto_and_serves_login() {
    let moto = moto_url();
    aws_env();
    let (cf, state, client) = good_secrets(&moto).await;
    let dir = package(secrets_doc(&cf, &state, &client));
    let cold = match start(&dir, &moto).await {
        Ok(c) => c,
        Err(e) => panic!("cold start failed: {e}"),
    };
    assert_eq!(cold.secrets.state_key, STATE_KEY.as_bytes());
    assert_eq!(cold.secrets.client_secret.as_deref(), Some(CLIENT_SECRET));
    let public = cold
        .secrets
        .cloudfront_key
        .public_key()
        .expect("public key");
    let trusted = edgegate_keys::PublicKey::from_spki_pem(&test_key("ec-p256-public.pem"))
        .expect("test public key");
    assert_eq!(
        public.fingerprint(),
        trusted.fingerprint(),
        "the CloudFront key from moto"
    );
    assert_eq!(cold.settings.site_origin, format!("https://{SITE}"));

    // /auth/login?return_to=<deep link with a query> -> 302 to the Hosted UI, one flow cookie.
    let event = function_url_event(
        "/auth/login",
        "return_to=%2Freleases%2F1.0.0%2Fhello.txt%3Fbuild%3D42%26x%3Da%2520b",
        &[],
    );
    let now = edgegate_e2e::now().0;
    let response = auth_lambda::handle(&cold, event, now).await;
    assert_eq!(response.status_code, 302);
    let location = response
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location header")
        .to_string();
    assert!(
        location.starts_with(&format!("{HOSTED_UI}/oauth2/authorize?")),
        "{location}"
    );
    assert_eq!(
        query_value(&location, "client_id").as_deref(),
        Some(CLIENT_ID)
    );
    assert_eq!(
        query_value(&location, "response_type").as_deref(),
        Some("code")
    );
    assert_eq!(
        query_value(&location, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        query_value(&location, "scope").as_deref(),
        Some("openid email")
    );
    // Its own URLs come from the config, never from the function URL's Host.
    assert_eq!(
        query_value(&location, "redirect_uri").as_deref(),
        Some(format!("https://{SITE}/auth/callback").as_str())
    );
    assert!(!location.contains("lambda-url"), "{location}");
    let state_param = query_value(&location, "state").expect("state");
    let flow = edgegate_auth::state::decode(&state_param, STATE_KEY.as_bytes(), now, 600)
        .expect("state signed with the state key from moto");
    assert_eq!(flow.return_to, "/releases/1.0.0/hello.txt?build=42&x=a%20b");
    assert!(!location.contains(CLIENT_SECRET) && !location.contains(STATE_KEY));

    assert_eq!(
        response.cookies.len(),
        1,
        "one cookie entry: {:?}",
        response.cookies
    );
    let cookie = &response.cookies[0];
    assert!(
        cookie.starts_with(&format!("__Secure-edgegate-flow-{}=", flow.flow_id)),
        "{cookie}"
    );
    assert!(cookie.contains("; Path=/auth/;"), "{cookie}");
    assert!(
        cookie.ends_with("; Secure; HttpOnly; SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    assert_eq!(
        response
            .headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert!(
        response.headers.get("set-cookie").is_none(),
        "cookies go in the cookies list only"
    );

    // An unknown /auth/ path: 404, no cookies.
    let response = auth_lambda::handle(&cold, function_url_event("/auth/nope", "", &[]), now).await;
    assert_eq!(response.status_code, 404);
    assert!(response.cookies.is_empty());
}

#[tokio::test]
async fn cold_start_refuses_a_missing_secret() {
    let moto = moto_url();
    aws_env();
    let (cf, _, client) = good_secrets(&moto).await;
    let missing = format!(
        "arn:aws:secretsmanager:{REGION}:123456789012:secret:{}-AbCdEf",
        unique("missing")
    );
    let dir = package(secrets_doc(&cf, &missing, &client));
    let message = refused(
        &dir,
        &moto,
        "auth.secrets.state_key",
        &[STATE_KEY, CLIENT_SECRET],
    )
    .await;
    assert!(message.contains("ResourceNotFound"), "{message}");
}

#[tokio::test]
async fn cold_start_refuses_a_file_reference() {
    let moto = moto_url();
    aws_env();
    let (_, state, client) = good_secrets(&moto).await;
    let dir = package(secrets_doc("file:cloudfront-private.pem", &state, &client));
    let pem = test_key("ec-p256-private.pem");
    write(dir.path(), "cloudfront-private.pem", &pem);
    let body = pem.lines().nth(1).expect("a PEM body line").to_string();
    let message = refused(
        &dir,
        &moto,
        "auth.secrets.cloudfront_private_key",
        &[&body, STATE_KEY, CLIENT_SECRET],
    )
    .await;
    assert!(message.contains("Secrets Manager"), "{message}");
}

#[tokio::test]
async fn cold_start_refuses_a_short_state_key() {
    let moto = moto_url();
    aws_env();
    let short = "short-state-key-31-bytes-long!!";
    assert_eq!(short.len(), 31);
    let (cf, _, client) = good_secrets(&moto).await;
    let state = create_secret(&moto, "short-state-key", &format!("  {short}\n")).await;
    let dir = package(secrets_doc(&cf, &state, &client));
    let message = refused(
        &dir,
        &moto,
        "auth.secrets.state_key",
        &[short, CLIENT_SECRET],
    )
    .await;
    assert!(message.contains("32 bytes"), "{message}");
}

#[tokio::test]
async fn cold_start_refuses_a_malformed_private_key_without_echoing_it() {
    let moto = moto_url();
    aws_env();
    let garbage = "-----BEGIN PRIVATE KEY-----\nbm90LWEta2V5LWJ1dC1hLXNlY3JldC12YWx1ZQ==\n-----END PRIVATE KEY-----\n";
    let (_, state, client) = good_secrets(&moto).await;
    let cf = create_secret(&moto, "bad-cf-key", garbage).await;
    let dir = package(secrets_doc(&cf, &state, &client));
    refused(
        &dir,
        &moto,
        "auth.secrets.cloudfront_private_key",
        &[
            "bm90LWEta2V5LWJ1dC1hLXNlY3JldC12YWx1ZQ",
            STATE_KEY,
            CLIENT_SECRET,
        ],
    )
    .await;
}
