//! `edgegate dev`: the whole system on one machine. Each HTTP request becomes the
//! viewer-request event, runs through the same `decide` the edge runs, and on Allow is served
//! from a folder standing in for the private S3 origin.

use crate::load::{self, Source};
use crate::local::dev_keys;
use crate::local::origin_fs::{self, full, Body};
use crate::{CliError, UsageError};
use edgegate_edge::config::SecretRef;
use edgegate_edge::event::{HeaderEntry, Headers, ViewerRequest};
use edgegate_edge::Decision;
use edgegate_keys::sign::{self, SigningPolicy};
use edgegate_keys::{HashAlgorithm, KeyPairId, RingVerifier, TokenUse, UnixTime};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sha2_free::hex_sha256;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

mod sha2_free {
    /// Hex SHA-256 of bytes, through keys' fingerprint helper (keys owns the hashing).
    pub(super) fn hex_sha256(data: &[u8]) -> String {
        edgegate_keys::key::hex(&edgegate_keys::key::sha256(data))
    }
}

/// Mints a dev token (Cognito-shaped RS256, signed by the dev issuer).
pub fn mint_token(
    user: &str,
    groups: &[String],
    token_use: TokenUse,
    now: u64,
    expires_in: u64,
) -> Result<String, CliError> {
    let issuer = edgegate_keys::jwt::cognito_issuer(
        edgegate_keys::jwt::IssuerFormat::Original,
        dev_keys::DEV_REGION,
        dev_keys::DEV_USER_POOL_ID,
    );
    let sub_hex = hex_sha256(user.as_bytes());
    let sub = format!(
        "{}-{}-{}-{}-{}",
        &sub_hex[0..8],
        &sub_hex[8..12],
        &sub_hex[12..16],
        &sub_hex[16..20],
        &sub_hex[20..32]
    );
    let jti = &hex_sha256(format!("{user}:{now}:{}", token_use.as_str()).as_bytes())[..32];
    let mut obj = serde_json::Map::new();
    obj.insert("sub".into(), sub.into());
    obj.insert("iss".into(), issuer.into());
    obj.insert("token_use".into(), token_use.as_str().into());
    obj.insert("auth_time".into(), now.into());
    obj.insert("iat".into(), now.into());
    obj.insert("exp".into(), now.saturating_add(expires_in).into());
    obj.insert("jti".into(), jti.into());
    if !groups.is_empty() {
        obj.insert("cognito:groups".into(), serde_json::json!(groups));
    }
    match token_use {
        TokenUse::Id => {
            obj.insert("aud".into(), dev_keys::DEV_CLIENT_ID.into());
            obj.insert("cognito:username".into(), user.into());
        }
        TokenUse::Access => {
            obj.insert("client_id".into(), dev_keys::DEV_CLIENT_ID.into());
            obj.insert("username".into(), user.into());
            obj.insert("scope".into(), "openid".into());
        }
    }
    let claims = serde_json::Value::Object(obj);
    let key = dev_keys::jwt_signing_key()?;
    Ok(sign::sign_jwt_rs256(dev_keys::DEV_KID, &claims, &key)?)
}

/// The claims of a dev client-credentials (machine-to-machine) access token with `scopes`:
/// exactly the members Cognito issues for that grant, `sub` = `client_id` = the dev app
/// client, `token_use: "access"`, `scope` space-separated, `auth_time`, `iat`, `exp`, `iss`,
/// `jti`, `version: 2`; no `username`, `cognito:groups` or `aud` (Amazon Cognito Developer
/// Guide, "Understanding the access token").
pub fn client_credentials_claims(
    scopes: &[String],
    now: u64,
    expires_in: u64,
) -> serde_json::Value {
    let issuer = edgegate_keys::jwt::cognito_issuer(
        edgegate_keys::jwt::IssuerFormat::Original,
        dev_keys::DEV_REGION,
        dev_keys::DEV_USER_POOL_ID,
    );
    let jti = &hex_sha256(format!("client:{now}:{}", scopes.join(" ")).as_bytes())[..32];
    serde_json::json!({
        "sub": dev_keys::DEV_CLIENT_ID,
        "token_use": "access",
        "scope": scopes.join(" "),
        "auth_time": now,
        "iss": issuer,
        "exp": now.saturating_add(expires_in),
        "iat": now,
        "version": 2,
        "jti": jti,
        "client_id": dev_keys::DEV_CLIENT_ID,
    })
}

/// Mints a dev client-credentials access token ([`client_credentials_claims`]), signed by the
/// dev issuer, for `access = "scopes"` routes.
pub fn mint_client_token(scopes: &[String], now: u64, expires_in: u64) -> Result<String, CliError> {
    let claims = client_credentials_claims(scopes, now, expires_in);
    let key = dev_keys::jwt_signing_key()?;
    Ok(sign::sign_jwt_rs256(dev_keys::DEV_KID, &claims, &key)?)
}

/// The claims of a dev OIDC token in the shape GitHub Actions documents for its workload
/// identity tokens ("About security hardening with OpenID Connect", the example token):
/// `jti`, `sub` (`repo:<repository>:ref:<ref>`), `aud`, `ref`, `sha`, `repository`,
/// `repository_owner`, `repository_visibility`, `run_id`, `run_number`, `run_attempt`,
/// `actor`, `workflow`, `event_name`, `ref_type`, `job_workflow_ref`, `iss`, `nbf`, `exp`,
/// `iat`. `claims` (`name=value`, string values) replace or add members last; `sub` is
/// derived from the final `repository` and `ref` unless given. Times are seconds since the
/// epoch.
pub fn oidc_claims(claims: &[(String, String)], now: u64, expires_in: u64) -> serde_json::Value {
    let given = |name: &str| {
        claims
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let repository = given("repository").unwrap_or_else(|| "example-org/app".to_string());
    let owner = given("repository_owner")
        .unwrap_or_else(|| repository.split('/').next().unwrap_or_default().to_string());
    let git_ref = given("ref").unwrap_or_else(|| "refs/heads/main".to_string());
    let jti = &hex_sha256(format!("oidc:{now}:{repository}:{git_ref}").as_bytes())[..32];
    let mut obj = serde_json::json!({
        "jti": format!("{}-{}-{}-{}-{}", &jti[0..8], &jti[8..12], &jti[12..16], &jti[16..20], &jti[20..32]),
        "sub": format!("repo:{repository}:ref:{git_ref}"),
        "aud": dev_keys::DEV_OIDC_AUDIENCE,
        "ref": git_ref,
        "sha": &hex_sha256(format!("commit:{now}").as_bytes())[..40],
        "repository": repository,
        "repository_owner": owner,
        "repository_visibility": "private",
        "run_id": "1",
        "run_number": "1",
        "run_attempt": "1",
        "actor": "octocat",
        "workflow": "build",
        "event_name": "push",
        "ref_type": "branch",
        "job_workflow_ref": format!("{repository}/.github/workflows/build.yml@{git_ref}"),
        "iss": dev_keys::DEV_OIDC_ISSUER,
        "nbf": now,
        "exp": now.saturating_add(expires_in),
        "iat": now,
    });
    if let Some(map) = obj.as_object_mut() {
        for (name, value) in claims {
            if !["repository", "repository_owner", "ref"].contains(&name.as_str()) {
                map.insert(name.clone(), value.clone().into());
            }
        }
    }
    obj
}

/// Mints a dev OIDC token ([`oidc_claims`]) signed by the dev key, for the dev config's
/// `dev-ci` issuer (route `/ci`).
pub fn mint_oidc_token(
    claims: &[(String, String)],
    now: u64,
    expires_in: u64,
) -> Result<String, CliError> {
    let claims = oidc_claims(claims, now, expires_in);
    let key = dev_keys::jwt_signing_key()?;
    Ok(sign::sign_jwt_rs256(dev_keys::DEV_KID, &claims, &key)?)
}

struct State {
    root: PathBuf,
    gate: edgegate_edge::GateConfig,
    auth: Option<AuthRuntime>,
    idp: Option<crate::local::idp::DevIdp>,
}

fn now() -> UnixTime {
    UnixTime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
}

/// Turns an HTTP request into the viewer-request the edge would see.
fn viewer_request(
    req: &Request<Incoming>,
    peer: SocketAddr,
) -> Result<ViewerRequest, &'static str> {
    let mut headers = Headers::new();
    for (name, value) in req.headers() {
        let value = value.to_str().map_err(|_| "header_not_ascii")?;
        headers
            .entry(name.as_str().to_string())
            .or_default()
            .push(HeaderEntry {
                key: Some(name.as_str().to_string()),
                value: value.to_string(),
            });
    }
    if !headers.contains_key("host") {
        if let Some(authority) = req.uri().authority() {
            headers.entry("host".into()).or_default().push(HeaderEntry {
                key: Some("Host".into()),
                value: authority.as_str().to_string(),
            });
        }
    }
    Ok(ViewerRequest {
        client_ip: peer.ip().to_string(),
        method: req.method().as_str().to_string(),
        uri: req.uri().path().to_string(),
        querystring: req.uri().query().unwrap_or_default().to_string(),
        headers,
        other: Default::default(),
    })
}

fn cf_to_hyper(cf: edgegate_edge::CfResponse) -> Response<Body> {
    let status = cf.status.parse::<u16>().unwrap_or(500);
    let mut builder = Response::builder().status(status);
    for entries in cf.headers.values() {
        for h in entries {
            builder = builder.header(h.key.as_deref().unwrap_or_default(), &h.value);
        }
    }
    builder
        .body(full(cf.body.unwrap_or_default()))
        .unwrap_or_else(|_| Response::new(full("error\n")))
}

fn auth_to_hyper(r: edgegate_auth::Response) -> Response<Body> {
    let mut builder = Response::builder().status(r.status);
    for (n, v) in &r.headers {
        builder = builder.header(n, v);
    }
    for c in &r.set_cookies {
        builder = builder.header("Set-Cookie", c);
    }
    builder
        .body(full(r.body))
        .unwrap_or_else(|_| Response::new(full("error\n")))
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Body>, std::convert::Infallible> {
    use http_body_util::BodyExt;
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();

    // The development Hosted UI stand-in (not behind the gate, like Cognito's own domain).
    if let (Some(idp), Some(below)) = (&state.idp, path.strip_prefix(crate::local::idp::MOUNT)) {
        let query = req.uri().query().unwrap_or_default().to_string();
        let body = match http_body_util::Limited::new(req.into_body(), 64 * 1024)
            .collect()
            .await
        {
            Ok(b) => String::from_utf8(b.to_bytes().to_vec()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        let r = idp.handle(&method, below, &query, &body, now().as_secs());
        let mut builder = Response::builder().status(r.status);
        for (n, v) in &r.headers {
            builder = builder.header(n, v);
        }
        let response = builder
            .body(full(r.body))
            .unwrap_or_else(|_| Response::new(full("error\n")));
        println!(
            "{method} {path} {} dev_idp - {:.1}ms",
            response.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        return Ok(response);
    }

    let (response, reason, detail) = match viewer_request(&req, peer) {
        Err(detail) => {
            let mut r = Response::new(full("bad_request\n"));
            *r.status_mut() = StatusCode::BAD_REQUEST;
            (r, "bad_request", detail)
        }
        Ok(viewer) => {
            let decision = edgegate_edge::decide(&viewer, &state.gate, &RingVerifier, now());
            let mut reason = decision.reason().as_str();
            let mut detail = decision.detail();
            let response = match decision {
                Decision::Allow(forward) if forward.route == edgegate_edge::config::AUTH_PREFIX => {
                    match &state.auth {
                        Some(rt) => {
                            let auth = edgegate_auth::Auth {
                                settings: &rt.settings,
                                secrets: &rt.secrets,
                                verifier: &RingVerifier,
                            };
                            let request = edgegate_auth::AuthRequest {
                                method: &forward.request.method,
                                path: &forward.request.uri,
                                query: &forward.request.querystring,
                                cookie_headers: forward.request.header_values("cookie").collect(),
                            };
                            let r = edgegate_auth::shell::run(
                                &auth,
                                &rt.client,
                                &request,
                                now().as_secs(),
                                &rt.rng,
                            )
                            .await;
                            auth_to_hyper(r)
                        }
                        None => {
                            let mut r = Response::new(full("sign-in is not configured\n"));
                            *r.status_mut() = StatusCode::NOT_FOUND;
                            r
                        }
                    }
                }
                Decision::Allow(forward) => {
                    let served = origin_fs::serve(
                        &state.root,
                        &forward.request.uri,
                        &forward.request.method,
                        req.headers(),
                    )
                    .await;
                    // What the bundle's origin-response handler does with S3's 404 (and
                    // logs: not_found origin_404).
                    if served.status() == StatusCode::NOT_FOUND {
                        (reason, detail) = ("not_found", "origin_404");
                        cf_to_hyper(edgegate_edge::pages::not_found(state.gate.pages(), &viewer))
                    } else {
                        served
                    }
                }
                Decision::Deny(denial) => cf_to_hyper(denial.to_response()),
                Decision::Redirect(redirect) => cf_to_hyper(redirect.to_response()),
            };
            (response, reason, detail)
        }
    };
    // One line per request; the path only (never the query, which may hold a signature).
    println!(
        "{method} {} {} {reason} {detail} {:.1}ms",
        path.chars().take(200).collect::<String>(),
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(response)
}

/// The dev state key (DEV-ONLY, not secret).
pub const DEV_STATE_KEY: &str = "edgegate-dev-state-key-not-a-secret-0123456789";

/// Resolves a secret reference for local runs: `dev:` (the committed dev material), `file:`
/// (relative to the config file), `arn:` (AWS Secrets Manager, standard credential chain).
pub async fn resolve_secret(
    reference: &str,
    base: Option<&std::path::Path>,
    field: &str,
) -> Result<String, CliError> {
    match SecretRef::parse(reference).map_err(|reason| CliError::config(field, reason))? {
        SecretRef::Dev(name) => match name {
            "cloudfront-private-key" => Ok(dev_keys::CLOUDFRONT_DEV_PRIVATE_PEM.to_string()),
            "state-key" => Ok(DEV_STATE_KEY.to_string()),
            _ => Err(CliError::config(
                field,
                format!("unknown dev secret {name}"),
            )),
        },
        SecretRef::File(path) => {
            let path = match base {
                Some(b) => b.join(path),
                None => PathBuf::from(path),
            };
            std::fs::read_to_string(&path).map_err(|source| CliError::SettingFile {
                field: field.to_string(),
                path,
                source,
            })
        }
        SecretRef::SecretsManager(arn) => {
            let secret = |source| CliError::Secret {
                setting: field.to_string(),
                source,
            };
            let aws = edgegate_aws::Aws::load(&Default::default())
                .await
                .map_err(secret)?;
            edgegate_aws::secret_string(&aws, arn).await.map_err(secret)
        }
    }
}

struct AuthRuntime {
    settings: edgegate_auth::AuthSettings,
    secrets: edgegate_auth::Secrets,
    client: reqwest::Client,
    rng: sign::SystemRandom,
}

async fn auth_runtime(
    loaded: &load::Loaded,
    base: Option<&std::path::Path>,
) -> Result<Option<AuthRuntime>, CliError> {
    let Some(auth) = &loaded.document.auth else {
        return Ok(None);
    };
    let settings = edgegate_auth::AuthSettings::new(&loaded.document, &loaded.gate)?;
    let key = resolve_secret(
        &auth.secrets.cloudfront_private_key,
        base,
        "auth.secrets.cloudfront_private_key",
    )
    .await?;
    let state_key = resolve_secret(&auth.secrets.state_key, base, "auth.secrets.state_key").await?;
    let client_secret = match &auth.secrets.client_secret {
        Some(r) => Some(resolve_secret(r, base, "auth.secrets.client_secret").await?),
        None => None,
    };
    let secrets = edgegate_auth::Secrets::from_values(&key, &state_key, client_secret, &settings)?;
    let client = edgegate_auth::shell::client().map_err(CliError::HttpClient)?;
    Ok(Some(AuthRuntime {
        settings,
        secrets,
        client,
        rng: sign::SystemRandom::new(),
    }))
}

/// Runs the dev server until Ctrl-C.
pub async fn run(
    root: PathBuf,
    config: Option<PathBuf>,
    addr: SocketAddr,
    jwks: Option<String>,
    token_lifetime: u64,
) -> Result<(), CliError> {
    if !root.is_dir() {
        return Err(UsageError::RootNotAFolder(root).into());
    }
    let listen = |source| CliError::Listen { addr, source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(listen)?;
    let addr = listener.local_addr().map_err(listen)?;
    let source = match &config {
        Some(p) => Source::File(p.clone()),
        None => Source::DevAt(addr.to_string()),
    };
    let loaded = load::load(&source, jwks.as_deref()).await?;
    let base_dir = config
        .as_ref()
        .and_then(|p| p.parent().map(std::path::Path::to_path_buf));
    let auth = auth_runtime(&loaded, base_dir.as_deref()).await?;
    let base = format!("{}://{}", loaded.gate.scheme().as_str(), addr);
    println!(
        "edgegate dev: serving {} on http://{addr} ({})",
        root.display(),
        if config.is_none() {
            "dev issuer, dev key pair"
        } else {
            "config file"
        }
    );
    let idp = if config.is_none() {
        print_walkthrough(&base)?;
        println!("  browser: open {base}/releases/1.0.0/hello.txt to sign in through the dev Hosted UI stand-in (users alice, bob, carol)");
        Some(crate::local::idp::DevIdp::new(base.clone(), token_lifetime))
    } else {
        None
    };
    let state = Arc::new(State {
        root,
        gate: loaded.gate,
        auth,
        idp,
    });
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), req, peer));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            _ = tokio::signal::ctrl_c() => {
                println!("edgegate dev: stopped");
                return Ok(());
            }
        }
    }
}

fn print_walkthrough(base: &str) -> Result<(), CliError> {
    let now = now().as_secs();
    let alice = mint_token(
        "alice",
        &["downloaders".to_string()],
        TokenUse::Access,
        now,
        3600,
    )?;
    let bob = mint_token("bob", &[], TokenUse::Access, now, 3600)?;
    let key = dev_keys::cloudfront_signing_key()?;
    let kpid: KeyPairId = dev_keys::DEV_KEY_PAIR_ID.parse()?;
    let rng = ring::rand::SystemRandom::new();
    let file = format!("{base}/releases/1.0.0/hello.txt");
    let signed = sign::sign_url(
        &format!("{base}/shared/notes.txt"),
        &SigningPolicy::Canned {
            expires: now + 3600,
        },
        &kpid,
        &key,
        HashAlgorithm::Sha256,
        &rng,
    )?;
    println!("  curl -i {file}                                   -> 401");
    println!("  curl -i -H \"Authorization: Bearer {alice}\" {file}   -> 200");
    println!("  curl -i -H \"Authorization: Bearer {bob}\" {file}   -> 403");
    println!("  curl -i '{signed}'   -> 200");
    println!("  curl -i {base}/public/README.txt   -> 200");
    let ci = mint_oidc_token(&[], now, 3600)?;
    println!("  curl -i -H \"Authorization: Bearer {ci}\" {base}/ci/build-42/report.txt   -> 200");
    println!("(tokens and the signed URL are valid for 1 hour; the last is a CI job's OIDC token; mint more with `edgegate token [--oidc]` and `edgegate sign-url`)");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn oidc_token_has_the_ci_shape_and_the_dev_gate_admits_it_by_owner_ok() {
        use edgegate_edge::{decide, Decision, ViewerRequest};
        let now = 1_767_225_600;
        let claims = oidc_claims(&[], now, 600);
        for name in [
            "jti",
            "sub",
            "aud",
            "repository",
            "repository_owner",
            "ref",
            "iss",
            "nbf",
            "exp",
            "iat",
            "job_workflow_ref",
        ] {
            assert!(claims.get(name).is_some(), "{name}");
        }
        assert_eq!(claims["sub"], "repo:example-org/app:ref:refs/heads/main");
        assert_eq!(claims["repository_owner"], "example-org");
        let other = oidc_claims(
            &[
                ("repository".into(), "other-org/tool".into()),
                ("environment".into(), "prod".into()),
            ],
            now,
            600,
        );
        assert_eq!(other["repository_owner"], "other-org");
        assert_eq!(other["sub"], "repo:other-org/tool:ref:refs/heads/main");
        assert_eq!(other["environment"], "prod");

        // The embedded dev config as `edgegate dev` loads it.
        let gate = load::load(&Source::Dev, None).await.unwrap().gate;
        let request = |token: &str| -> ViewerRequest {
            serde_json::from_value(serde_json::json!({
                "clientIp": "127.0.0.1", "method": "GET", "uri": "/ci/build-42/report.txt", "querystring": "",
                "headers": {
                    "host": [{"key": "Host", "value": "127.0.0.1:8787"}],
                    "authorization": [{"key": "Authorization", "value": format!("Bearer {token}")}],
                }
            }))
            .unwrap()
        };
        let ok = mint_oidc_token(&[], now, 600).unwrap();
        let d = decide(&request(&ok), &gate, &RingVerifier, UnixTime(now + 1));
        assert!(matches!(d, Decision::Allow(_)), "{}", d.explain());
        let stranger =
            mint_oidc_token(&[("repository".into(), "other-org/tool".into())], now, 600).unwrap();
        let d = decide(&request(&stranger), &gate, &RingVerifier, UnixTime(now + 1));
        assert_eq!(
            (d.status(), d.detail()),
            (403, "claim_mismatch"),
            "{}",
            d.explain()
        );
        // A Cognito token of the dev pool is not trusted on /ci.
        let alice = mint_token(
            "alice",
            &["downloaders".to_string()],
            TokenUse::Access,
            now,
            600,
        )
        .unwrap();
        let d = decide(&request(&alice), &gate, &RingVerifier, UnixTime(now + 1));
        assert_eq!(d.status(), 403, "{}", d.explain());
    }

    #[test]
    fn client_credentials_token_has_the_m2m_shape_and_verifies_ok() {
        let now = 1_767_225_600;
        let scopes = vec!["artifacts/read".to_string(), "artifacts/list".to_string()];
        let claims = client_credentials_claims(&scopes, now, 600);
        let mut names: Vec<&str> = claims
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "auth_time",
                "client_id",
                "exp",
                "iat",
                "iss",
                "jti",
                "scope",
                "sub",
                "token_use",
                "version"
            ]
        );
        let token = mint_client_token(&scopes, now, 600).unwrap();
        let jwks =
            edgegate_keys::Jwks::single(dev_keys::DEV_KID, dev_keys::jwt_public_key().unwrap())
                .unwrap();
        let validation = edgegate_keys::jwt::JwtValidation {
            issuer: claims["iss"].as_str().unwrap().to_string(),
            client_ids: vec![dev_keys::DEV_CLIENT_ID.to_string()],
            token_uses: vec![TokenUse::Access],
            leeway_secs: 0,
            claims: Vec::new(),
        };
        let id =
            edgegate_keys::jwt::verify(&token, &jwks, &validation, &RingVerifier, UnixTime(now))
                .unwrap();
        assert_eq!(id.sub, dev_keys::DEV_CLIENT_ID);
        assert_eq!(id.username, None);
        assert!(id.groups.is_empty());
        assert_eq!(id.scopes, scopes);
    }
}
