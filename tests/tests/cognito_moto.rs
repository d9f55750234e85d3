//! Real-shaped Cognito tokens from moto (`cognito_tokens.py`) through `decide` and through the
//! `edgegate explain` binary.
//!
//! moto signs with its own RS256 key and serves it as the pool's JWKS; the tokens carry the
//! claims real Cognito puts in ID and access tokens (`aud` vs `client_id`, `token_use`,
//! `cognito:groups`, `cognito:username` vs `username`). Verification uses the real clock.

use edgegate_e2e::{
    edgegate, flip_char, jwt_part, now, viewer_request, Standins, TempDir, START_HINT,
};
use edgegate_edge::{decide, ConfigDocument, Decision, GateConfig, Identity};
use edgegate_keys::jwt::IssuerFormat;
use edgegate_keys::{Jwks, RingVerifier, TokenUse};
use serde_json::{json, Value};
use std::sync::OnceLock;

const URL: &str = "https://d.example.com/releases/x";

/// One pool per test binary: `cognito_tokens.py` makes a fresh pool on every call.
fn pool() -> &'static Value {
    static POOL: OnceLock<Value> = OnceLock::new();
    POOL.get_or_init(|| Standins::require().cognito_tokens())
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn token(who: &str, token_use: &str) -> &'static str {
    s(&pool()["tokens"][who][token_use])
}

/// The configuration document, written the way an operator writes it (through serde, so new
/// optional members of the document need no change here).
fn document(issuer_format: IssuerFormat, token_use: Vec<TokenUse>) -> ConfigDocument {
    let p = pool();
    serde_json::from_value(json!({
        "version": 1,
        "site": {"domain": "d.example.com"},
        "cognito": {
            "region": "us-east-1",
            "user_pool_id": p["user_pool_id"],
            "issuer_format": issuer_format,
            "app_client_ids": [p["client_id"]],
            "token_use": token_use,
        },
        "routes": [{"prefix": "/releases", "access": "groups", "groups": ["downloaders"]}],
    }))
    .expect("a valid configuration document")
}

fn moto_jwks() -> Jwks {
    let doc = serde_json::to_vec(&pool()["jwks"]).expect("serialise the JWKS");
    Jwks::parse(&doc).expect("moto's JWKS parses")
}

fn gate(issuer_format: IssuerFormat, token_use: Vec<TokenUse>) -> GateConfig {
    GateConfig::from_document(&document(issuer_format, token_use), Some(moto_jwks()))
        .expect("valid config")
}

fn both() -> Vec<TokenUse> {
    vec![TokenUse::Id, TokenUse::Access]
}

fn bearer(cfg: &GateConfig, token: &str) -> Decision {
    let auth = format!("Bearer {token}");
    let req = viewer_request(URL, "203.0.113.10", &[("Authorization", &auth)]);
    decide(&req, cfg, &RingVerifier, now())
}

/// `(status, reason, detail)`.
fn verdict(d: &Decision) -> (u16, &'static str, &'static str) {
    (d.status(), d.reason().as_str(), d.detail())
}

#[test]
fn moto_tokens_carry_the_configured_issuer_and_a_jwks_kid() {
    let p = pool();
    let configured = document(IssuerFormat::Original, both())
        .cognito
        .expect("cognito")
        .issuer();
    assert_eq!(
        configured,
        format!(
            "https://cognito-idp.us-east-1.amazonaws.com/{}",
            s(&p["user_pool_id"])
        )
    );
    assert_eq!(s(&p["issuer"]), configured);
    let jwks = moto_jwks();
    for who in ["alice", "bob", "alice_foreign"] {
        for use_ in ["id", "access"] {
            let t = token(who, use_);
            assert_eq!(jwt_part(t, 1)["iss"], configured.as_str(), "{who} {use_}");
            assert_eq!(jwt_part(t, 1)["token_use"], use_, "{who} {use_}");
            let header = jwt_part(t, 0);
            assert_eq!(header["alg"], "RS256");
            assert!(
                jwks.get(s(&header["kid"])).is_some(),
                "{who} {use_}: kid {} not in moto's JWKS",
                header["kid"]
            );
        }
    }
}

#[test]
fn alice_id_and_access_tokens_are_allowed() {
    let cfg = gate(IssuerFormat::Original, both());
    for (use_, want) in [("id", "id"), ("access", "access")] {
        let d = bearer(&cfg, token("alice", use_));
        assert_eq!(verdict(&d), (200, "ok", "valid_token"), "alice {use_}");
        let Decision::Allow(f) = &d else {
            panic!("not allowed: {d:?}")
        };
        match &f.identity {
            Identity::Cognito {
                username,
                token_use,
                client_id,
                groups,
                sub,
                ..
            } => {
                assert_eq!(username.as_deref(), Some("alice"));
                assert_eq!(*token_use, want);
                assert_eq!(client_id, s(&pool()["client_id"]));
                assert_eq!(groups, &vec!["downloaders".to_string()]);
                assert_eq!(sub, s(&jwt_part(token("alice", use_), 1)["sub"]));
            }
            other => panic!("unexpected identity {other:?}"),
        }
        assert_eq!(f.route, "/releases");
        assert!(
            !f.request.headers.contains_key("authorization"),
            "the token must not reach the origin"
        );
    }
}

#[test]
fn bob_is_forbidden() {
    let cfg = gate(IssuerFormat::Original, both());
    for use_ in ["id", "access"] {
        let d = bearer(&cfg, token("bob", use_));
        assert_eq!(
            verdict(&d),
            (403, "forbidden", "not_in_group"),
            "bob {use_}"
        );
        match d.identity() {
            Some(Identity::Cognito {
                username, groups, ..
            }) => {
                assert_eq!(username.as_deref(), Some("bob"));
                assert!(groups.is_empty());
            }
            other => panic!("bob {use_}: identity {other:?}"),
        }
    }
}

#[test]
fn alice_through_the_foreign_client_is_the_wrong_audience() {
    let cfg = gate(IssuerFormat::Original, both());
    for use_ in ["id", "access"] {
        let d = bearer(&cfg, token("alice_foreign", use_));
        assert_eq!(
            verdict(&d),
            (401, "invalid_credential", "wrong_audience"),
            "alice_foreign {use_}"
        );
        let Decision::Deny(denial) = &d else {
            panic!("allowed")
        };
        let response = denial.to_response();
        assert_eq!(response.status, "401");
        let www = &response.headers["www-authenticate"][0].value;
        assert!(www.contains("error=\"invalid_token\""), "{www}");
    }
}

#[test]
fn tampered_tokens_are_refused() {
    let cfg = gate(IssuerFormat::Original, both());
    for use_ in ["id", "access"] {
        let t = token("alice", use_);
        let parts: Vec<&str> = t.split('.').collect();
        let (h, p, sig) = (parts[0], parts[1], parts[2]);
        // One character in the middle of the signature: still valid base64url, other bits.
        let bad_sig = format!("{h}.{p}.{}", flip_char(sig, sig.len() / 2));
        // One character in the middle of the payload.
        let bad_payload = format!("{h}.{}.{sig}", flip_char(p, p.len() / 2));
        for (what, tampered) in [("signature", bad_sig), ("payload", bad_payload)] {
            assert_ne!(tampered, t);
            let d = bearer(&cfg, &tampered);
            assert_eq!(
                verdict(&d),
                (401, "invalid_credential", "bad_signature"),
                "alice {use_} with a flipped {what} character"
            );
        }
    }
}

#[test]
fn id_token_is_refused_where_only_access_tokens_are_accepted() {
    let cfg = gate(IssuerFormat::Original, vec![TokenUse::Access]);
    let d = bearer(&cfg, token("alice", "id"));
    assert_eq!(verdict(&d), (401, "invalid_credential", "wrong_token_use"));
    let d = bearer(&cfg, token("alice", "access"));
    assert_eq!(verdict(&d), (200, "ok", "valid_token"));
}

#[test]
fn updated_issuer_format_does_not_match_moto_tokens() {
    let cfg = gate(IssuerFormat::Updated, both());
    assert_eq!(
        cfg.cognito().expect("cognito").validation.issuer,
        format!(
            "https://issuer-cognito-idp.us-east-1.amazonaws.com/{}",
            s(&pool()["user_pool_id"])
        )
    );
    for use_ in ["id", "access"] {
        let d = bearer(&cfg, token("alice", use_));
        assert_eq!(
            verdict(&d),
            (401, "invalid_credential", "wrong_issuer"),
            "{use_}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The same through `edgegate explain`.

fn write_config(dir: &TempDir, jwks_line: &str) -> std::path::PathBuf {
    let p = pool();
    let toml = format!(
        r#"version = 1

[site]
domain = "d.example.com"

[cognito]
region = "us-east-1"
user_pool_id = "{pool}"
issuer_format = "original"
app_client_ids = ["{client}"]
token_use = ["id", "access"]
{jwks_line}

[[routes]]
prefix = "/releases"
access = "groups"
groups = ["downloaders"]
"#,
        pool = s(&p["user_pool_id"]),
        client = s(&p["client_id"]),
    );
    let path = dir.path().join("edgegate.toml");
    std::fs::write(&path, toml).expect("write edgegate.toml");
    path
}

/// Runs `edgegate explain` and returns the parsed JSON line.
fn explain(config: &std::path::Path, extra: &[&str], token: &str) -> Value {
    let out = edgegate()
        .arg("explain")
        .arg("--config")
        .arg(config)
        .args(["--url", URL])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(extra)
        .output()
        .expect("run edgegate");
    assert!(
        out.status.success(),
        "edgegate explain failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("explain prints JSON")
}

fn explain_verdict(v: &Value) -> (String, u64, String, String) {
    (
        s(&v["decision"]).to_string(),
        v["status"].as_u64().expect("status"),
        s(&v["reason"]).to_string(),
        s(&v["detail"]).to_string(),
    )
}

fn expect(
    decision: &str,
    status: u64,
    reason: &str,
    detail: &str,
) -> (String, u64, String, String) {
    (decision.into(), status, reason.into(), detail.into())
}

#[test]
fn cli_explain_with_a_jwks_file() {
    let dir = TempDir::new("cognito-file");
    std::fs::write(
        dir.path().join("jwks.json"),
        serde_json::to_vec(&pool()["jwks"]).expect("jwks"),
    )
    .expect("write jwks.json");
    let config = write_config(&dir, r#"jwks_file = "jwks.json""#);

    let alice = explain(&config, &[], token("alice", "id"));
    assert_eq!(
        explain_verdict(&alice),
        expect("allow", 200, "ok", "valid_token")
    );
    assert_eq!(alice["identity"]["kind"], "cognito");
    assert_eq!(alice["identity"]["username"], "alice");
    assert_eq!(alice["route"], "/releases");

    let alice_access = explain(&config, &[], token("alice", "access"));
    assert_eq!(
        explain_verdict(&alice_access),
        expect("allow", 200, "ok", "valid_token")
    );
    assert_eq!(alice_access["identity"]["token_use"], "access");

    let bob = explain(&config, &[], token("bob", "access"));
    assert_eq!(
        explain_verdict(&bob),
        expect("deny", 403, "forbidden", "not_in_group")
    );
    assert_eq!(bob["identity"]["username"], "bob");

    let foreign = explain(&config, &[], token("alice_foreign", "id"));
    assert_eq!(
        explain_verdict(&foreign),
        expect("deny", 401, "invalid_credential", "wrong_audience")
    );
    assert_eq!(foreign["identity"], Value::Null);

    let t = token("alice", "access");
    let tampered = flip_char(t, t.len() - 20);
    let bad = explain(&config, &[], &tampered);
    assert_eq!(
        explain_verdict(&bad),
        expect("deny", 401, "invalid_credential", "bad_signature")
    );
}

#[test]
fn cli_explain_fetches_the_jwks_from_moto() {
    let p = pool();
    let jwks_url = s(&p["jwks_url"]);
    assert!(
        jwks_url.starts_with("http://127.0.0.1:"),
        "moto's JWKS URL {jwks_url} (is EDGEGATE_MOTO_URL local? {START_HINT})"
    );

    // `jwks_url` in the config: the loader fetches it over HTTP.
    let dir = TempDir::new("cognito-url");
    let config = write_config(&dir, &format!(r#"jwks_url = "{jwks_url}""#));
    let alice = explain(&config, &[], token("alice", "access"));
    assert_eq!(
        explain_verdict(&alice),
        expect("allow", 200, "ok", "valid_token")
    );
    let bob = explain(&config, &[], token("bob", "id"));
    assert_eq!(
        explain_verdict(&bob),
        expect("deny", 403, "forbidden", "not_in_group")
    );

    // `--jwks URL` overrides a config that names no JWKS source at all (whose default,
    // <issuer>/.well-known/jwks.json, would be real AWS).
    let dir2 = TempDir::new("cognito-override");
    let config2 = write_config(&dir2, "");
    let alice = explain(&config2, &["--jwks", jwks_url], token("alice", "id"));
    assert_eq!(
        explain_verdict(&alice),
        expect("allow", 200, "ok", "valid_token")
    );

    // A JWKS URL nobody answers: one `edgegate: ` line naming the fetch, non-zero exit.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let dir3 = TempDir::new("cognito-dead");
    let config3 = write_config(
        &dir3,
        &format!(r#"jwks_url = "http://127.0.0.1:{closed}/jwks.json""#),
    );
    let out = edgegate()
        .arg("explain")
        .arg("--config")
        .arg(&config3)
        .args(["--url", URL])
        .output()
        .expect("run edgegate");
    assert!(!out.status.success(), "a dead JWKS URL must fail the load");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(
        stderr.starts_with("edgegate: ") && stderr.contains("JWKS fetch"),
        "{stderr:?}"
    );
}
