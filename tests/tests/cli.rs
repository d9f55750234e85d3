//! The `edgegate` binary as an operator uses it: `explain`, `token`, `sign-url`,
//! `sign-cookies`, `keys new`, error reporting, and `edgegate dev` on a real socket.

use edgegate_cli::load::{self, Source};
use edgegate_e2e::{edgegate, jwt_part, now, query_params, repo_root, test_key, Standins, TempDir};
use edgegate_edge::{decide, ViewerRequestEvent};
use edgegate_keys::jwt::{self, cognito_issuer, IssuerFormat, JwtValidation};
use edgegate_keys::sign::SigningKey;
use edgegate_keys::{Jwks, KeyType, PublicKey, RingVerifier, TokenUse, UnixTime};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The dev config's host (the embedded default `edgegate explain` uses without `--config`).
const DEV_BASE: &str = "http://127.0.0.1:8787";
const DEV_KID: &str = "edgegate-dev-1";
const DEV_POOL: &str = "us-east-1_edgegateDEV";
const DEV_CLIENT: &str = "edgegatedevclient";
/// Far enough ahead for any real clock running these tests (2030-03-17), below 2038.
const EXP: u64 = 1_900_000_000;
const KRSA: &str = "KRSAE2ETEST01";

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run edgegate")
}

fn ok_stdout(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Asserts a failure reported the edgegate way: non-zero exit, exactly one stderr line,
/// starting `edgegate: `, containing each of `needles`. Returns the line.
fn one_line_failure(cmd: &mut Command, needles: &[&str]) -> String {
    let out = run(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{cmd:?} succeeded: {stderr}");
    assert_eq!(out.status.code(), Some(1), "{cmd:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{cmd:?}: stderr {stderr:?}");
    assert!(stderr.ends_with('\n'), "{stderr:?}");
    assert!(
        stderr.starts_with("edgegate: "),
        "{cmd:?}: stderr {stderr:?}"
    );
    for n in needles {
        assert!(stderr.contains(n), "{cmd:?}: {stderr:?} lacks {n:?}");
    }
    assert!(out.stdout.is_empty(), "{cmd:?}: stdout {:?}", out.stdout);
    stderr
}

fn mint(args: &[&str]) -> String {
    ok_stdout(edgegate().arg("token").args(args))
        .trim()
        .to_string()
}

fn dev_gate() -> edgegate_edge::GateConfig {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(load::load(&Source::Dev, None))
        .unwrap_or_else(|e| panic!("dev config: {e}"))
        .gate
}

fn dev_jwks() -> Jwks {
    // Built from the committed public key, not from edgegate-cli's code.
    let pem = std::fs::read_to_string(repo_root().join("infra/cli/dev/jwt-dev-public.pem"))
        .expect("dev JWT public key");
    Jwks::single(DEV_KID, PublicKey::from_spki_pem(&pem).expect("PEM")).expect("jwks")
}

// ---------------------------------------------------------------------------------------------
// explain

/// `(decision, status, reason, detail)`.
type Verdict<'a> = (&'a str, u64, &'a str, &'a str);

fn explain(args: &[&str]) -> String {
    ok_stdout(edgegate().arg("explain").args(args))
}

#[test]
fn explain_is_deterministic_with_now() {
    let token = mint(&[]);
    let auth = format!("Authorization: Bearer {token}");
    let at = (now().0 + 60).to_string();
    let exp = jwt_part(&token, 1)["exp"].as_u64().expect("exp");
    let after_exp = (exp + 1000).to_string();
    let url = format!("{DEV_BASE}/releases/1.0.0/hello.txt");
    let public = format!("{DEV_BASE}/public/README.txt");
    let cases: [(Vec<&str>, Verdict<'_>); 4] = [
        (
            vec!["--url", &url, "--header", &auth, "--now", &at],
            ("allow", 200, "ok", "valid_token"),
        ),
        (
            vec!["--url", &url, "--header", &auth, "--now", &after_exp],
            ("deny", 401, "invalid_credential", "expired"),
        ),
        (
            vec!["--url", &url, "--now", &at],
            ("deny", 401, "missing_credential", "no_credential"),
        ),
        (
            vec!["--url", &public, "--now", &at],
            ("allow", 200, "public", "public_route"),
        ),
    ];
    for (args, (decision, status, reason, detail)) in cases {
        let first = explain(&args);
        let second = explain(&args);
        assert_eq!(first, second, "two runs of explain {args:?} differ");
        assert_eq!(first.lines().count(), 1, "one JSON line: {first:?}");
        let v: Value = serde_json::from_str(&first).expect("JSON");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["decision", "detail", "identity", "reason", "route", "rule", "status"],
            "{first}"
        );
        assert_eq!(
            (
                v["decision"].as_str().expect("decision"),
                v["status"].as_u64().expect("status"),
                v["reason"].as_str().expect("reason"),
                v["detail"].as_str().expect("detail"),
            ),
            (decision, status, reason, detail),
            "{args:?}"
        );
    }
    // The identity of the allowed token.
    let v: Value =
        serde_json::from_str(&explain(&["--url", &url, "--header", &auth, "--now", &at]))
            .expect("JSON");
    assert_eq!(v["identity"]["kind"], "cognito");
    assert_eq!(v["identity"]["username"], "alice");
    assert_eq!(v["identity"]["groups"], json!(["downloaders"]));
    assert_eq!(v["identity"]["expires_at"], json!(exp));
    assert_eq!(v["route"], "/releases");
    // Which part of the route's rule admitted it.
    assert_eq!(
        v["rule"],
        json!({"access": "groups", "matched": "downloaders", "by": "group"})
    );
}

/// `explain` shows a route's network rule: the network holding `--client-ip`, or `null`
/// (the corpus config: `/mirror` is `access = "network"`, `/lab` groups from listed networks).
#[test]
fn explain_shows_the_network_rule() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/config.json");
    let at = "1767225600";
    let line = |url: &str, ip: &str| -> Value {
        let out = explain(&[
            "--config",
            config,
            "--url",
            url,
            "--client-ip",
            ip,
            "--now",
            at,
        ]);
        serde_json::from_str(&out).expect("JSON")
    };
    let mirror = "https://downloads.example.com/mirror/iso/disk.img";
    let v = line(mirror, "198.51.100.7");
    assert_eq!(
        (&v["decision"], &v["detail"]),
        (&json!("allow"), &json!("network"))
    );
    assert_eq!(
        v["rule"],
        json!({"access": "network", "matched": null, "by": "network", "network": "198.51.100.0/24"})
    );
    let v = line(mirror, "192.0.2.10");
    assert_eq!(
        (v["status"].as_u64(), &v["detail"]),
        (Some(403), &json!("network_not_allowed"))
    );
    assert_eq!(
        v["rule"],
        json!({"access": "network", "matched": null, "by": null, "network": null})
    );
    let v = line(
        "https://downloads.example.com/lab/tool.zip",
        "::ffff:192.0.2.10",
    );
    assert_eq!(
        (v["status"].as_u64(), &v["detail"]),
        (Some(401), &json!("no_credential"))
    );
    assert_eq!(v["rule"]["network"], "192.0.2.0/24");
}

#[test]
fn explain_print_event_round_trips_through_decide() {
    let token = mint(&["--user", "bob", "--no-groups"]);
    let alice = mint(&[]);
    let signed = ok_stdout(edgegate().args([
        "sign-url",
        &format!("{DEV_BASE}/shared/notes.txt"),
        "--expires-in",
        "600",
    ]))
    .trim()
    .to_string();
    let at = now().0 + 30;
    let gate = dev_gate();
    let cases: Vec<Vec<String>> = vec![
        vec![
            "--url".into(),
            format!("{DEV_BASE}/releases/1.0.0/hello.txt?x=1"),
            "--header".into(),
            format!("Authorization: Bearer {alice}"),
        ],
        vec![
            "--url".into(),
            format!("{DEV_BASE}/releases/1.0.0/hello.txt"),
            "--header".into(),
            format!("Authorization: Bearer {token}"),
            "--header".into(),
            "Cookie: a=1; b=2".into(),
        ],
        vec!["--url".into(), signed.clone()],
        vec![
            "--url".into(),
            signed.clone(),
            "--client-ip".into(),
            "198.51.100.9".into(),
        ],
        vec!["--url".into(), format!("{DEV_BASE}/shared/notes.txt")],
        vec![
            "--url".into(),
            format!("{DEV_BASE}/releases/../shared/notes.txt"),
        ],
        vec![
            "--url".into(),
            format!("{DEV_BASE}/releases/1.0.0/hello.txt"),
            "--method".into(),
            "POST".into(),
        ],
    ];
    let mut statuses = Vec::new();
    for args in &cases {
        let event_json = ok_stdout(edgegate().arg("explain").args(args).arg("--print-event"));
        let event: ViewerRequestEvent =
            serde_json::from_str(&event_json).unwrap_or_else(|e| panic!("{e}: {event_json}"));
        let record = &event.records[0].cf;
        assert_eq!(record.config.event_type, "viewer-request");
        let request = event.request().expect("one request");
        assert_eq!(request.header("host"), Some("127.0.0.1:8787"));
        let ours = decide(request, &gate, &RingVerifier, UnixTime(at)).explain();
        let theirs: Value = serde_json::from_str(&ok_stdout(
            edgegate()
                .arg("explain")
                .args(args)
                .args(["--now", &at.to_string()]),
        ))
        .expect("JSON");
        assert_eq!(ours, theirs, "{args:?}");
        statuses.push(ours["status"].as_u64().expect("status"));
    }
    assert_eq!(statuses, [200, 403, 200, 200, 403, 400, 405]);
    // The event carries the request as given: raw path and query, headers by lowercase name.
    let event: Value = serde_json::from_str(&ok_stdout(
        edgegate()
            .arg("explain")
            .args(&cases[0])
            .arg("--print-event"),
    ))
    .expect("JSON");
    let request = &event["Records"][0]["cf"]["request"];
    assert_eq!(request["uri"], "/releases/1.0.0/hello.txt");
    assert_eq!(request["querystring"], "x=1");
    assert_eq!(request["method"], "GET");
    assert_eq!(request["clientIp"], "203.0.113.10");
    assert_eq!(
        request["headers"]["authorization"][0]["value"],
        format!("Bearer {alice}")
    );
}

// ---------------------------------------------------------------------------------------------
// token

#[test]
fn token_output_verifies_with_the_dev_jwks() {
    let jwks = dev_jwks();
    let validation = JwtValidation {
        issuer: cognito_issuer(IssuerFormat::Original, "us-east-1", DEV_POOL),
        client_ids: vec![DEV_CLIENT.into()],
        token_uses: vec![TokenUse::Id, TokenUse::Access],
        leeway_secs: 0,
        claims: Vec::new(),
    };
    let before = now().0;
    let id = mint(&[
        "--user",
        "carol",
        "--group",
        "a",
        "--group",
        "b",
        "--token-use",
        "id",
        "--expires-in",
        "600",
    ]);
    let access = mint(&[]);
    let none = mint(&["--user", "dave", "--no-groups"]);

    let v = jwt::verify(&id, &jwks, &validation, &RingVerifier, now()).expect("id token verifies");
    assert_eq!(v.username.as_deref(), Some("carol"));
    assert_eq!(v.token_use, TokenUse::Id);
    assert_eq!(v.client_id, DEV_CLIENT);
    assert_eq!(v.groups, ["a", "b"]);
    assert_eq!(v.kid, DEV_KID);
    let claims = jwt_part(&id, 1);
    assert_eq!(claims["aud"], DEV_CLIENT);
    let iat = claims["iat"].as_u64().expect("iat");
    assert!(iat >= before && iat <= now().0, "iat {iat}");
    assert_eq!(claims["exp"].as_u64(), Some(iat + 600));
    assert_eq!(jwt_part(&id, 0), json!({"kid": DEV_KID, "alg": "RS256"}));

    let v = jwt::verify(&access, &jwks, &validation, &RingVerifier, now())
        .expect("access token verifies");
    assert_eq!(v.username.as_deref(), Some("alice"));
    assert_eq!(v.token_use, TokenUse::Access);
    assert_eq!(v.groups, ["downloaders"]);
    assert_eq!(jwt_part(&access, 1)["client_id"], DEV_CLIENT);
    assert_eq!(
        jwt_part(&access, 1)["exp"].as_u64(),
        Some(jwt_part(&access, 1)["iat"].as_u64().expect("iat") + 3600)
    );

    let v = jwt::verify(&none, &jwks, &validation, &RingVerifier, now()).expect("verifies");
    assert!(v.groups.is_empty());
    assert!(jwt_part(&none, 1).get("cognito:groups").is_none());

    // Independently: Node's crypto.verify (OpenSSL) accepts the RS256 signatures too.
    let st = Standins::require();
    let pem =
        std::fs::read_to_string(repo_root().join("infra/cli/dev/jwt-dev-public.pem")).expect("PEM");
    let checks: Vec<Value> = [&id, &access, &none]
        .iter()
        .map(|t| {
            let (signing_input, sig) = t.rsplit_once('.').expect("JWT");
            json!({
                "publicKeyPem": pem,
                "hash": "sha256",
                "message": signing_input,
                "signature": sig,
                "signatureEncoding": "base64url",
            })
        })
        .collect();
    assert_eq!(st.node_verify(&checks), [true, true, true]);
}

// ---------------------------------------------------------------------------------------------
// sign-url / sign-cookies against the JS SDK

fn sdk_request(kind: &str, url: &str, hash: &str, extra: Value) -> Value {
    let mut r = json!({
        "kind": kind,
        "url": url,
        "keyPairId": KRSA,
        "privateKeyPem": test_key("rsa-2048-private.pem"),
        "hash": hash,
    });
    for (k, v) in extra.as_object().expect("object") {
        r[k] = v.clone();
    }
    r
}

#[test]
fn sign_url_and_sign_cookies_equal_the_sdk() {
    let st = Standins::require();
    let key = edgegate_test_kit::keys::path("rsa-2048-private.pem");
    let key = key.to_str().expect("utf-8 path");
    let plain = "https://d.example.com/releases/1.0/app.zip";
    let with_query = "https://d.example.com/releases/1.0/app.zip?v=2&lang=en";
    let wildcard = "https://d.example.com/releases/1.0/*";
    let exp = EXP.to_string();
    let wildcard_policy = format!(
        r#"{{"Statement":[{{"Resource":"{wildcard}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{EXP}}}}}}}]}}"#
    );
    let dir = TempDir::new("policy");
    let policy_file = dir.path().join("policy.json");
    std::fs::write(&policy_file, &wildcard_policy).expect("write policy");
    let policy_file = policy_file.to_str().expect("utf-8 path").to_string();

    // (edgegate arguments after the URL, the SDK request)
    let cases: Vec<(&str, Vec<&str>, Value)> = vec![
        (
            plain,
            vec!["--expires-at", &exp],
            sdk_request("url", plain, "sha1", json!({"dateLessThan": EXP})),
        ),
        (
            with_query,
            vec!["--expires-at", &exp],
            sdk_request("url", with_query, "sha1", json!({"dateLessThan": EXP})),
        ),
        (
            plain,
            vec!["--expires-at", &exp, "--hash", "sha256"],
            sdk_request("url", plain, "sha256", json!({"dateLessThan": EXP})),
        ),
        (
            plain,
            vec!["--expires-at", &exp, "--resource", wildcard],
            sdk_request("url", plain, "sha1", json!({"policy": wildcard_policy})),
        ),
        (
            plain,
            vec!["--policy", &policy_file],
            sdk_request("url", plain, "sha1", json!({"policy": wildcard_policy})),
        ),
        (
            with_query,
            vec![
                "--expires-at",
                &exp,
                "--ip",
                "192.0.2.0/24",
                "--hash",
                "sha256",
            ],
            sdk_request(
                "url",
                with_query,
                "sha256",
                json!({"dateLessThan": EXP, "ipAddress": "192.0.2.0/24"}),
            ),
        ),
    ];
    let requests: Vec<Value> = cases.iter().map(|(_, _, r)| r.clone()).collect();
    let sdk = st.sdk_sign(&requests);
    for ((url, args, _), r) in cases.iter().zip(&sdk) {
        let ours = ok_stdout(
            edgegate()
                .args(["sign-url", url, "--key-pair-id", KRSA, "--private-key", key])
                .args(args),
        );
        let theirs = r["url"].as_str().unwrap_or_else(|| panic!("sdk: {r}"));
        assert_eq!(ours, format!("{theirs}\n"), "sign-url {url} {args:?}");
    }

    // sign-cookies prints one `Cookie:` header; compare name -> value with the SDK's object.
    let cookie_cases: Vec<(&str, Vec<&str>, Value)> = vec![
        (
            plain,
            vec!["--expires-at", &exp],
            sdk_request("cookies", plain, "sha1", json!({"dateLessThan": EXP})),
        ),
        (
            plain,
            vec![
                "--expires-at",
                &exp,
                "--resource",
                wildcard,
                "--hash",
                "sha256",
            ],
            sdk_request(
                "cookies",
                plain,
                "sha256",
                json!({"policy": wildcard_policy}),
            ),
        ),
    ];
    let requests: Vec<Value> = cookie_cases.iter().map(|(_, _, r)| r.clone()).collect();
    let sdk = st.sdk_sign(&requests);
    for ((url, args, _), r) in cookie_cases.iter().zip(&sdk) {
        let ours = ok_stdout(
            edgegate()
                .args([
                    "sign-cookies",
                    url,
                    "--key-pair-id",
                    KRSA,
                    "--private-key",
                    key,
                ])
                .args(args),
        );
        let header = ours
            .trim_end()
            .strip_prefix("Cookie: ")
            .unwrap_or_else(|| panic!("not a Cookie header: {ours:?}"));
        let ours: BTreeMap<String, String> = header
            .split("; ")
            .map(|p| {
                let (n, v) = p.split_once('=').expect("name=value");
                (n.to_string(), v.to_string())
            })
            .collect();
        let theirs: BTreeMap<String, String> = r["cookies"]
            .as_object()
            .unwrap_or_else(|| panic!("sdk: {r}"))
            .iter()
            .map(|(n, v)| (n.clone(), v.as_str().expect("value").to_string()))
            .collect();
        assert_eq!(ours, theirs, "sign-cookies {url} {args:?}");
    }

    // An ECDSA key defaults to SHA-256 and its URL carries Hash-Algorithm=SHA256.
    let ec_key = edgegate_test_kit::keys::path("ec-p256-private.pem");
    let ec_url = ok_stdout(edgegate().args([
        "sign-url",
        plain,
        "--expires-at",
        &exp,
        "--key-pair-id",
        "KECE2ETEST01",
        "--private-key",
        ec_key.to_str().expect("utf-8"),
    ]));
    let params: BTreeMap<String, String> = query_params(ec_url.trim()).into_iter().collect();
    assert_eq!(
        params.get("Hash-Algorithm").map(String::as_str),
        Some("SHA256")
    );
    assert_eq!(params.get("Expires"), Some(&exp));
}

// ---------------------------------------------------------------------------------------------
// keys new

fn check_new_key_pair(dir: &Path, key_type: KeyType, stdout: &str) {
    let public_pem = std::fs::read_to_string(dir.join("public-key.pem")).expect("public-key.pem");
    let private_pem =
        std::fs::read_to_string(dir.join("private-key.pem")).expect("private-key.pem");
    let public = PublicKey::from_spki_pem(&public_pem).expect("public key loads");
    assert_eq!(public.key_type(), key_type);
    if key_type == KeyType::Rsa {
        assert_eq!(public.rsa_bits(), Some(2048));
    }
    let private = SigningKey::from_pem(&private_pem).expect("private key loads");
    assert_eq!(private.public_key().expect("public half"), public);
    assert!(private_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(stdout.contains(&public.fingerprint_hex()), "{stdout}");
    assert!(
        !stdout.contains("PRIVATE KEY"),
        "the secret must not be printed"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("private-key.pem"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "private key mode {mode:o}");
    }
}

#[test]
fn keys_new_writes_a_loadable_pair_and_refuses_to_overwrite() {
    let tmp = TempDir::new("keys");
    for (sub, args, key_type) in [
        ("ec", vec![], KeyType::EcP256),
        ("rsa", vec!["--type", "rsa"], KeyType::Rsa),
    ] {
        let dir = tmp.path().join(sub);
        let out = dir.to_str().expect("utf-8").to_string();
        let stdout = ok_stdout(edgegate().args(["keys", "new", "--out", &out]).args(&args));
        check_new_key_pair(&dir, key_type, &stdout);

        let before = (
            std::fs::read(dir.join("private-key.pem")).expect("read"),
            std::fs::read(dir.join("public-key.pem")).expect("read"),
        );
        one_line_failure(
            edgegate().args(["keys", "new", "--out", &out]).args(&args),
            &["refusing to overwrite"],
        );
        let after = (
            std::fs::read(dir.join("private-key.pem")).expect("read"),
            std::fs::read(dir.join("public-key.pem")).expect("read"),
        );
        assert_eq!(before, after, "{sub}: files changed by a refused run");
    }
    // Only the public half present is refused too (nothing half-written).
    let dir = tmp.path().join("half");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("public-key.pem"), "keep me").expect("write");
    one_line_failure(
        edgegate().args(["keys", "new", "--out", dir.to_str().expect("utf-8")]),
        &["public-key.pem", "refusing to overwrite"],
    );
    assert!(!dir.join("private-key.pem").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("public-key.pem")).expect("read"),
        "keep me"
    );
}

// ---------------------------------------------------------------------------------------------
// bad inputs

#[test]
fn bad_inputs_fail_with_one_edgegate_line() {
    let tmp = TempDir::new("bad");
    let write = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).expect("write");
        p.to_str().expect("utf-8").to_string()
    };
    let url = "https://d.example.com/releases/x";
    let missing = tmp.path().join("missing.toml");
    let missing = missing.to_str().expect("utf-8");
    one_line_failure(
        edgegate().args(["explain", "--config", missing, "--url", url]),
        &["config", "missing.toml"],
    );
    let malformed = write(
        "malformed.toml",
        "version = 1\n[site\ndomain = \"d.example.com\"\n",
    );
    one_line_failure(
        edgegate().args(["explain", "--config", &malformed, "--url", url]),
        &["config", "malformed.toml"],
    );
    let good_site = "version = 1\n[site]\ndomain = \"d.example.com\"\n";
    let bad_prefix = write(
        "bad-prefix.toml",
        &format!("{good_site}[[routes]]\nprefix = \"releases\"\naccess = \"public\"\n"),
    );
    one_line_failure(
        edgegate().args(["explain", "--config", &bad_prefix, "--url", url]),
        &["routes[0].prefix"],
    );
    let bad_groups = write(
        "bad-groups.toml",
        &format!(
            "{good_site}[[routes]]\nprefix = \"/public\"\naccess = \"public\"\n[[routes]]\nprefix = \"/releases\"\naccess = \"groups\"\n"
        ),
    );
    one_line_failure(
        edgegate().args(["explain", "--config", &bad_groups, "--url", url]),
        &["routes[1].groups"],
    );
    let unknown_field = write(
        "unknown.toml",
        "version = 1\n[site]\ndomian = \"d.example.com\"\n[[routes]]\nprefix = \"/\"\naccess = \"public\"\n",
    );
    one_line_failure(
        edgegate().args(["explain", "--config", &unknown_field, "--url", url]),
        &["domian"],
    );
    let bad_key = write(
        "bad-key.toml",
        &format!(
            "{good_site}[[cloudfront.trusted_keys]]\nkey_pair_id = \"K1\"\npublic_key = \"not a pem\"\n[[routes]]\nprefix = \"/\"\naccess = \"signed\"\n"
        ),
    );
    one_line_failure(
        edgegate().args(["explain", "--config", &bad_key, "--url", url]),
        &["cloudfront.trusted_keys[0].public_key"],
    );
    for bad_url in [
        "ftp://d.example.com/x",
        "releases/x",
        "d.example.com/releases/x",
    ] {
        one_line_failure(edgegate().args(["explain", "--url", bad_url]), &["--url"]);
    }
    one_line_failure(
        edgegate().args(["explain", "--url", "https://"]),
        &["--url", "host"],
    );
    one_line_failure(
        edgegate().args(["explain", "--url", url, "--header", "no colon here"]),
        &["--header"],
    );
    // sign-url: a relative URL, an expiry in the past, SHA-1 with an ECDSA key, a bad key id.
    let rsa = edgegate_test_kit::keys::path("rsa-2048-private.pem");
    let ec = edgegate_test_kit::keys::path("ec-p256-private.pem");
    let (rsa, ec) = (rsa.to_str().expect("utf-8"), ec.to_str().expect("utf-8"));
    one_line_failure(
        edgegate().args([
            "sign-url",
            "/releases/x",
            "--expires-in",
            "60",
            "--key-pair-id",
            KRSA,
            "--private-key",
            rsa,
        ]),
        &["URL"],
    );
    one_line_failure(
        edgegate().args([
            "sign-url",
            url,
            "--expires-at",
            "1000",
            "--key-pair-id",
            KRSA,
            "--private-key",
            rsa,
        ]),
        &["past"],
    );
    one_line_failure(
        edgegate().args([
            "sign-url",
            url,
            "--expires-in",
            "60",
            "--hash",
            "sha1",
            "--key-pair-id",
            "KEC",
            "--private-key",
            ec,
        ]),
        &["--hash"],
    );
    one_line_failure(
        edgegate().args([
            "sign-url",
            url,
            "--expires-in",
            "60",
            "--key-pair-id",
            "lower",
            "--private-key",
            rsa,
        ]),
        &["--key-pair-id"],
    );
    let not_a_key = write("not-a-key.pem", "hello\n");
    let stderr = one_line_failure(
        edgegate().args([
            "sign-url",
            url,
            "--expires-in",
            "60",
            "--key-pair-id",
            KRSA,
            "--private-key",
            &not_a_key,
        ]),
        &["not-a-key.pem"],
    );
    assert!(
        !stderr.contains("hello"),
        "key file content echoed: {stderr}"
    );
    // dev: a root that is not a folder.
    one_line_failure(
        edgegate().args(["dev", "--root", missing, "--addr", "127.0.0.1:0"]),
        &["--root"],
    );
}

// ---------------------------------------------------------------------------------------------
// dev

/// Kills the child on drop, so a failing assertion never leaks a server.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind :0");
    l.local_addr().expect("addr").port()
}

/// One walkthrough line: `curl -i [-H "Name: value"] URL|'URL'   -> NNN`.
#[derive(Debug)]
struct CurlLine {
    header: Option<String>,
    url: String,
    expect: u16,
}

fn parse_curl(line: &str) -> Option<CurlLine> {
    let rest = line.trim().strip_prefix("curl -i ")?;
    let (cmd, code) = rest.rsplit_once("-> ")?;
    let expect: u16 = code.trim().parse().ok()?;
    let mut cmd = cmd.trim();
    let mut header = None;
    if let Some(h) = cmd.strip_prefix("-H \"") {
        let (value, after) = h.split_once('"')?;
        header = Some(value.to_string());
        cmd = after.trim();
    }
    let url = cmd.trim_matches('\'').to_string();
    Some(CurlLine {
        header,
        url,
        expect,
    })
}

/// A hand-written HTTP/1.1 GET; returns (status, body).
fn http_get(url: &str, header: Option<&str>) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(authority).expect("connect to edgegate dev");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    // What curl sends by default (the walkthrough's codes are curl's).
    let mut req = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\nConnection: close\r\n"
    );
    if let Some(h) = header {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    let text = String::from_utf8_lossy(&response);
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    let body = match response.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => response[i + 4..].to_vec(),
        None => Vec::new(),
    };
    (status, body)
}

#[test]
fn dev_walkthrough_curl_lines_tell_the_truth() {
    let port = free_port();
    let root = repo_root().join("examples/artifacts");
    let mut child = KillOnDrop(
        edgegate()
            .args(["dev", "--addr", &format!("127.0.0.1:{port}"), "--root"])
            .arg(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start edgegate dev"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next_line = |what: &str| -> String {
        rx.recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("edgegate dev: no {what} line ({e})"))
    };

    let banner = next_line("banner");
    assert!(
        banner.starts_with("edgegate dev: serving")
            && banner.contains(&format!("http://127.0.0.1:{port}")),
        "{banner}"
    );
    // The walkthrough: curl lines, closed by "(tokens ...)"; other lines (hints) may follow
    // before the server goes quiet. Every `curl` line counts.
    let mut lines = Vec::new();
    let mut record = |line: &str| {
        if line.trim_start().starts_with("curl ") {
            lines.push(parse_curl(line).unwrap_or_else(|| panic!("unparsable curl line: {line}")));
        }
    };
    loop {
        let line = next_line("walkthrough");
        record(&line);
        if line.starts_with("(tokens") {
            break;
        }
    }
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(1500)) {
        record(&line);
    }
    assert_eq!(lines.len(), 6, "{lines:?}");
    let expected: Vec<u16> = lines.iter().map(|l| l.expect).collect();
    assert_eq!(expected, [401, 200, 403, 200, 200, 200]);

    for l in &lines {
        assert!(
            l.url.starts_with(&format!("http://127.0.0.1:{port}/")),
            "{l:?}"
        );
        let (status, body) = http_get(&l.url, l.header.as_deref());
        assert_eq!(status, l.expect, "{} {:?}", l.url, l.header);
        let path = l.url.split('?').next().expect("path");
        let path = path.split_once(&format!(":{port}/")).expect("path").1;
        if status == 200 {
            let file = std::fs::read(root.join(path)).expect("served file exists");
            assert_eq!(body, file, "{path}: body is the file");
        } else {
            let reason = String::from_utf8_lossy(&body).to_string();
            let want = if status == 401 {
                "missing_credential\n"
            } else {
                "forbidden\n"
            };
            assert_eq!(reason, want, "{path}");
        }
        // The dev server logs one line per request: method, path (never the query), status.
        let log = loop {
            let line = next_line("request log");
            if line.starts_with("GET ") {
                break line;
            }
        };
        assert!(
            log.starts_with(&format!("GET /{path} {status} ")),
            "log line {log:?} for {}",
            l.url
        );
        assert!(
            !log.contains("Signature"),
            "the query leaked into the log: {log}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The audit trail of minted credentials (issue 14)

/// The JSON lines of `stderr` (the audit lines), parsed; other lines (warnings) skipped.
fn audit_lines(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

/// The secret parts of a printed signed URL or Cookie header: the Signature and Policy values.
fn secret_parts(printed: &str) -> Vec<String> {
    printed
        .trim()
        .trim_start_matches("Cookie: ")
        .split(['?', '&', ';'])
        .map(str::trim)
        .filter_map(|p| p.split_once('='))
        .filter(|(n, _)| n.ends_with("Signature") || n.ends_with("Policy"))
        .map(|(_, v)| v.to_string())
        .collect()
}

#[test]
fn sign_commands_write_one_audit_line_without_the_signature_ok() {
    let key = edgegate_test_kit::keys::path("rsa-2048-private.pem");
    let key = key.to_str().expect("utf-8 path");
    let dir = TempDir::new("audit");
    let log = dir.path().join("audit.jsonl");
    let policy_file = dir.path().join("policy.json");
    let wildcard = "https://d.example.com/releases/1.0/*";
    std::fs::write(
        &policy_file,
        format!(
            r#"{{"Statement":[{{"Resource":"{wildcard}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{EXP}}},"DateGreaterThan":{{"AWS:EpochTime":1700000000}}}}}}]}}"#
        ),
    )
    .expect("write policy");
    let policy_file = policy_file.to_str().expect("utf-8 path");
    let url = "https://d.example.com/releases/1.0/app.zip?v=2";
    let exp = EXP.to_string();
    // (command, extra arguments, expected audit fields)
    let cases: Vec<(&str, Vec<&str>, Value)> = vec![
        (
            "sign-url",
            vec!["--expires-at", &exp],
            json!({"audit": "signed_url", "policy": "canned", "resource": url, "expires": EXP,
                   "not_before": null, "ip": null, "hash": "sha1"}),
        ),
        (
            "sign-url",
            vec![
                "--expires-at",
                &exp,
                "--resource",
                wildcard,
                "--ip",
                "192.0.2.0/24",
                "--hash",
                "sha256",
            ],
            json!({"audit": "signed_url", "policy": "custom", "resource": wildcard, "expires": EXP,
                   "ip": "192.0.2.0/24", "hash": "sha256"}),
        ),
        (
            "sign-cookies",
            vec!["--expires-at", &exp],
            json!({"audit": "signed_cookies", "policy": "canned", "resource": url, "expires": EXP}),
        ),
        (
            "sign-cookies",
            vec!["--policy", policy_file],
            json!({"audit": "signed_cookies", "policy": "custom", "resource": wildcard,
                   "expires": EXP, "not_before": 1_700_000_000u64}),
        ),
    ];
    let mut printed_secrets = Vec::new();
    for (i, (command, args, expected)) in cases.iter().enumerate() {
        let out = run(edgegate()
            .args([*command, url, "--key-pair-id", KRSA, "--private-key", key])
            .args(args)
            .arg("--audit-log")
            .arg(&log)
            .env("USER", "audit-tester")
            .env("AWS_PROFILE", "audit-profile"));
        assert!(out.status.success(), "{command} {args:?}: {out:?}");
        let stdout = String::from_utf8(out.stdout).expect("utf-8");
        let stderr = String::from_utf8(out.stderr).expect("utf-8");
        let lines = audit_lines(&stderr);
        assert_eq!(lines.len(), 1, "{command} {args:?}: {stderr}");
        let line = &lines[0];
        for (k, v) in expected.as_object().expect("object") {
            assert_eq!(&line[k], v, "{command} {args:?}: {k} in {line}");
        }
        assert_eq!(line["key_pair_id"], KRSA);
        assert_eq!(line["dev_key"], false);
        assert_eq!(line["user"], "audit-tester");
        assert_eq!(line["aws_profile"], "audit-profile");
        let at = line["at"].as_u64().expect("at");
        assert!(at.abs_diff(now().0) < 600, "{line}");
        // The file holds the same lines, appended.
        let file = std::fs::read_to_string(&log).expect("audit log");
        let file_lines: Vec<&str> = file.lines().collect();
        assert_eq!(file_lines.len(), i + 1, "{file}");
        assert_eq!(
            serde_json::from_str::<Value>(file_lines[i]).expect("JSON"),
            *line
        );
        let secrets = secret_parts(&stdout);
        assert!(!secrets.is_empty(), "{stdout}");
        printed_secrets.extend(secrets);
    }
    // Never a signature or a policy, in stderr or in the file.
    let file = std::fs::read_to_string(&log).expect("audit log");
    for s in &printed_secrets {
        assert!(!file.contains(s.as_str()), "audit log holds {s}");
    }
    for forbidden in ["Signature", "Policy", "Statement", "BEGIN", "PRIVATE"] {
        assert!(
            !file.contains(forbidden),
            "audit log holds {forbidden}: {file}"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log).expect("stat").permissions().mode();
        assert_eq!(mode & 0o077, 0, "audit log mode {mode:o}");
    }
}

#[test]
fn sign_with_an_unwritable_audit_log_prints_no_credential_fails() {
    let dir = TempDir::new("audit-fail");
    let key = edgegate_test_kit::keys::path("rsa-2048-private.pem");
    // A directory is not appendable.
    one_line_failure(
        edgegate()
            .args([
                "sign-url",
                "https://d.example.com/a.zip",
                "--expires-in",
                "600",
                "--key-pair-id",
                KRSA,
                "--private-key",
            ])
            .arg(&key)
            .arg("--audit-log")
            .arg(dir.path())
            .env_remove("EDGEGATE_AUDIT_LOG"),
        &["edgegate: "],
    );
}
