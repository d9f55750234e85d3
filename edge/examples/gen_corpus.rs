//! Writes the shared decision corpus: `tests/corpus/` at the workspace root.
//!
//! ```text
//! cargo run -p edgegate-edge --example gen_corpus
//! ```
//!
//! - `config.json`: the test deployment's configuration document (public keys inlined);
//! - `jwks.json`: its Cognito JWKS;
//! - `cases/NNN-<name>.json`: `{"name", "now", "event", "expect"}`, one full viewer-request
//!   event each, with `expect = {"decision", "status", "reason", "detail"}` and, for an allow,
//!   `"forward": {"querystring", "cookie"}` (what the origin receives).
//!
//! Both the native test (`edge/tests/corpus.rs`) and the Node.js test of the built bundle read
//! these files, so the wasm gate must give the same verdicts as the native one.
//!
//! The expectations below are written by hand from design.md ("Decisions", "Routes and
//! credentials") and the security catalogue; this program never calls `decide`. Credentials
//! are signed with the throwaway keys in `tests/kit/keys` at the fixed clock `NOW`, so every
//! file is reproducible except the ECDSA signatures (randomised by the algorithm): regenerate
//! only when the cases change, and commit the result.

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use edgegate_edge::ViewerRequestEvent;
use edgegate_keys::HashAlgorithm;
use serde::Serialize;
use serde_json::json;
use std::path::Path;

#[derive(Serialize)]
struct Forward {
    querystring: String,
    cookie: Option<String>,
}

#[derive(Serialize)]
struct Expect {
    decision: &'static str,
    status: u16,
    reason: &'static str,
    detail: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    forward: Option<Forward>,
}

#[derive(Serialize)]
struct CaseFile<'a> {
    name: &'a str,
    now: u64,
    event: ViewerRequestEvent,
    expect: Expect,
}

struct Case {
    name: &'static str,
    now: u64,
    request: Req,
    expect: Expect,
}

/// Allowed: the origin gets `querystring` and `cookie` (`None`: no `Cookie` header).
fn allow(detail: &'static str, querystring: &str, cookie: Option<&str>) -> Expect {
    Expect {
        decision: "allow",
        status: 200,
        reason: if detail == "public_route" {
            "public"
        } else {
            "ok"
        },
        detail,
        forward: Some(Forward {
            querystring: querystring.to_string(),
            cookie: cookie.map(str::to_string),
        }),
    }
}

fn deny(status: u16, reason: &'static str, detail: &'static str) -> Expect {
    Expect {
        decision: "deny",
        status,
        reason,
        detail,
        forward: None,
    }
}

fn case(name: &'static str, request: Req, expect: Expect) -> Case {
    Case {
        name,
        now: NOW,
        request,
        expect,
    }
}

fn at(now: u64, mut c: Case) -> Case {
    c.now = now;
    c
}

fn url(path_and_query: &str, policy: &edgegate_keys::sign::SigningPolicy, key: Key) -> String {
    signed_url(&site_url(path_and_query), policy, key, default_hash(key))
}

fn shared_custom(resource_path: &str) -> edgegate_keys::sign::SigningPolicy {
    custom(&site_url(resource_path), NOW + 600, None, None)
}

fn cases() -> Vec<Case> {
    let downloader = token(&["downloaders"]);
    let staff = token(&["staff"]);
    let shared_cookies = prefix_cookies("/shared");
    let releases_cookies = prefix_cookies("/releases");
    let ec_cookies = signed_cookies(
        "",
        &custom(&site_url("/shared/*"), NOW + 3600, None, None),
        Key::CfEc,
        HashAlgorithm::Sha256,
    );
    let canned_shared = url("/shared/notes.txt", &canned(NOW + 600), Key::CfRsa);
    let get = Req::get;

    vec![
        // --- bearer tokens ---
        case(
            "bearer-id-token-in-group-allow",
            get("/releases/1.0.0/app.zip").bearer(&downloader),
            allow("valid_token", "", None),
        ),
        case(
            "bearer-access-token-in-group-allow",
            get("/releases/1.0.0/app.zip").bearer(&jwt(&access_claims(&["downloaders"]))),
            allow("valid_token", "", None),
        ),
        case(
            "bearer-lowercase-scheme-allow",
            get("/releases/1.0.0/app.zip").header("authorization", &format!("bearer {downloader}")),
            allow("valid_token", "", None),
        ),
        case(
            "bearer-head-allow",
            get("/releases/1.0.0/app.zip")
                .method("HEAD")
                .bearer(&downloader),
            allow("valid_token", "", None),
        ),
        case(
            "bearer-not-in-group-forbidden",
            get("/releases/1.0.0/app.zip").bearer(&staff),
            deny(403, "forbidden", "not_in_group"),
        ),
        case(
            "bearer-releases-internal-needs-staff-forbidden",
            get("/releases/internal/build.zip").bearer(&downloader),
            deny(403, "forbidden", "not_in_group"),
        ),
        case(
            "bearer-staff-releases-internal-allow",
            get("/releases/internal/build.zip").bearer(&staff),
            allow("valid_token", "", None),
        ),
        at(
            NOW + 3600,
            case(
                "bearer-expired-invalid",
                get("/releases/1.0.0/app.zip").bearer(&downloader),
                deny(401, "invalid_credential", "expired"),
            ),
        ),
        case(
            "bearer-wrong-key-invalid",
            get("/releases/1.0.0/app.zip").bearer(&jwt_signed_by(
                Key::CfRsa,
                KID,
                &id_claims(&["downloaders"]),
            )),
            deny(401, "invalid_credential", "bad_signature"),
        ),
        case(
            "bearer-unknown-kid-invalid",
            get("/releases/1.0.0/app.zip").bearer(&jwt_signed_by(
                Key::Cognito,
                "rotated-away",
                &id_claims(&["downloaders"]),
            )),
            deny(401, "invalid_credential", "unknown_kid"),
        ),
        case(
            "bearer-other-app-client-invalid",
            get("/releases/1.0.0/app.zip").bearer(&jwt(&with_claim(
                id_claims(&["downloaders"]),
                "aud",
                json!(OTHER_CLIENT_ID),
            ))),
            deny(401, "invalid_credential", "wrong_audience"),
        ),
        case(
            "bearer-two-spaces-invalid",
            get("/releases/1.0.0/app.zip")
                .header("authorization", &format!("Bearer  {downloader}")),
            deny(401, "invalid_credential", "authorization_not_bearer"),
        ),
        case(
            "bearer-basic-scheme-invalid",
            get("/releases/1.0.0/app.zip")
                .header("authorization", "Basic ZG93bmxvYWRlcjpodW50ZXIy"),
            deny(401, "invalid_credential", "authorization_not_bearer"),
        ),
        case(
            "bearer-comma-list-invalid",
            get("/releases/1.0.0/app.zip").header(
                "authorization",
                &format!("Bearer {downloader},Bearer {staff}"),
            ),
            deny(401, "invalid_credential", "authorization_not_bearer"),
        ),
        case(
            "authorization-twice-bad-request",
            get("/releases/1.0.0/app.zip")
                .bearer(&downloader)
                .bearer(&downloader),
            deny(400, "bad_request", "multiple_authorization_headers"),
        ),
        case(
            "bearer-on-signed-route-forbidden",
            get("/shared/notes.txt").bearer(&downloader),
            deny(403, "forbidden", "bearer_not_accepted_on_signed_route"),
        ),
        case(
            "missing-credential-groups-route",
            get("/releases/1.0.0/app.zip").cookie("theme=dark"),
            deny(401, "missing_credential", "no_credential"),
        ),
        case(
            "missing-credential-signed-route",
            get("/shared/notes.txt"),
            deny(403, "missing_credential", "no_signature"),
        ),
        // --- routes ---
        case(
            "no-route-uncovered-path",
            get("/index.html").bearer(&downloader),
            deny(403, "no_route", "no_route"),
        ),
        case(
            "no-route-partial-segment",
            get("/releases-old/app.zip").bearer(&downloader),
            deny(403, "no_route", "no_route"),
        ),
        case(
            "no-route-case-sensitive",
            get("/Releases/1.0.0/app.zip").bearer(&downloader),
            deny(403, "no_route", "no_route"),
        ),
        case(
            "public-route-strips-credentials-allow",
            get("/public/readme.txt")
                .bearer("not-a-valid-token")
                .cookie("theme=dark; CloudFront-Policy=p; __Secure-edgegate-refresh=r")
                .cookie("CognitoIdentityServiceProvider.c.alice.idToken=t; lang=en")
                .query("a=1&Expires=1&Signature=x&Key-Pair-Id=K&b=2"),
            allow("public_route", "a=1&b=2", Some("theme=dark; lang=en")),
        ),
        case(
            "method-post-on-gated-route-405",
            get("/releases/1.0.0/app.zip")
                .method("POST")
                .bearer(&downloader),
            deny(405, "bad_request", "method_not_allowed"),
        ),
        // --- signed URLs ---
        case(
            "signed-url-canned-rsa-sha1-allow",
            Req::for_url(&canned_shared),
            allow("valid_signed_url", "", None),
        ),
        case(
            "signed-url-canned-rsa-sha256-allow",
            Req::for_url(&signed_url(
                &site_url("/shared/notes.txt"),
                &canned(NOW + 600),
                Key::CfRsa,
                HashAlgorithm::Sha256,
            )),
            allow("valid_signed_url", "", None),
        ),
        case(
            "signed-url-custom-ecdsa-wildcard-allow",
            Req::for_url(&url(
                "/shared/a/b.txt",
                &shared_custom("/shared/*"),
                Key::CfEc,
            )),
            allow("valid_signed_url", "", None),
        ),
        case(
            "signed-url-keeps-app-params-in-order-allow",
            Req::for_url(&url(
                "/shared/notes.txt?b=2&a=1",
                &canned(NOW + 600),
                Key::CfRsa,
            ))
            .cookie("CloudFront-Policy=stale; lang=en"),
            allow("valid_signed_url", "b=2&a=1", Some("lang=en")),
        ),
        case(
            "signed-url-on-groups-route-allow",
            Req::for_url(&url(
                "/releases/internal/build.zip",
                &canned(NOW + 600),
                Key::CfRsa,
            )),
            allow("valid_signed_url", "", None),
        ),
        case(
            "signed-url-param-added-after-signing-invalid",
            Req::for_url(&format!("{canned_shared}&x=1")),
            deny(403, "invalid_credential", "bad_signature"),
        ),
        case(
            "signed-url-other-path-invalid",
            Req::for_url(
                &url("/shared/a/x.txt", &shared_custom("/shared/a/*"), Key::CfRsa).replacen(
                    "/shared/a/x.txt",
                    "/shared/b/x.txt",
                    1,
                ),
            ),
            deny(403, "invalid_credential", "resource_mismatch"),
        ),
        case(
            "signed-url-other-host-invalid",
            get("/shared/notes.txt").query(
                signed_url(
                    "https://d111111abcdef8.cloudfront.net/shared/notes.txt",
                    &canned(NOW + 600),
                    Key::CfRsa,
                    HashAlgorithm::Sha1,
                )
                .split_once('?')
                .map(|(_, q)| q)
                .unwrap_or_default(),
            ),
            deny(403, "invalid_credential", "bad_signature"),
        ),
        at(
            NOW + 600,
            case(
                "signed-url-expired-invalid",
                Req::for_url(&canned_shared),
                deny(403, "invalid_credential", "expired"),
            ),
        ),
        case(
            "signed-url-ip-restricted-ipv6-client-invalid",
            Req::for_url(&url(
                "/shared/notes.txt",
                &custom(
                    &site_url("/shared/*"),
                    NOW + 600,
                    None,
                    Some("192.0.2.0/24"),
                ),
                Key::CfRsa,
            ))
            .client_ip("2001:db8::1"),
            deny(403, "invalid_credential", "ip_mismatch"),
        ),
        case(
            "signed-url-ip-restricted-spoofed-forwarded-for-invalid",
            Req::for_url(&url(
                "/shared/notes.txt",
                &custom(
                    &site_url("/shared/*"),
                    NOW + 600,
                    None,
                    Some("192.0.2.0/24"),
                ),
                Key::CfRsa,
            ))
            .client_ip("198.51.100.7")
            .header("x-forwarded-for", "192.0.2.10"),
            deny(403, "invalid_credential", "ip_mismatch"),
        ),
        case(
            "signed-url-ecdsa-sha1-invalid",
            Req::for_url(&with_param(
                &url("/shared/notes.txt", &canned(NOW + 600), Key::CfEc),
                "Hash-Algorithm",
                None,
            )),
            deny(403, "invalid_credential", "unsupported_algorithm"),
        ),
        case(
            "signed-url-unknown-key-pair-id-invalid",
            Req::for_url(&with_param(&canned_shared, "Key-Pair-Id", Some(KP_UNKNOWN))),
            deny(403, "invalid_credential", "unknown_key_pair_id"),
        ),
        case(
            "signed-url-both-expires-and-policy-invalid",
            Req::for_url(&format!(
                "{}&Expires={}",
                url("/shared/notes.txt", &shared_custom("/shared/*"), Key::CfRsa),
                NOW + 600
            )),
            deny(403, "invalid_credential", "malformed"),
        ),
        case(
            "reserved-param-alone-with-valid-bearer-invalid",
            get("/releases/1.0.0/app.zip")
                .query("Expires=1")
                .bearer(&downloader),
            deny(403, "invalid_credential", "malformed"),
        ),
        case(
            "invalid-signed-url-with-valid-cookies-invalid",
            Req::for_url(&url("/shared/notes.txt", &canned(NOW - 1), Key::CfRsa))
                .cookies(&shared_cookies),
            deny(403, "invalid_credential", "expired"),
        ),
        case(
            "invalid-bearer-with-valid-cookies-invalid",
            get("/releases/1.0.0/app.zip")
                .bearer(&jwt(&with_claim(
                    id_claims(&["downloaders"]),
                    "exp",
                    json!(NOW - 10),
                )))
                .cookies(&releases_cookies),
            deny(401, "invalid_credential", "expired"),
        ),
        // --- signed cookies ---
        case(
            "signed-cookies-custom-rsa-allow",
            get("/shared/notes.txt").cookies(&shared_cookies),
            allow("valid_signed_cookies", "", None),
        ),
        {
            let mut req = get("/shared/notes.txt").cookie("theme=dark");
            for (name, value) in &ec_cookies {
                req = req.cookie(&format!("{name}={value}"));
            }
            case(
                "signed-cookies-ecdsa-one-entry-per-cookie-allow",
                req,
                allow("valid_signed_cookies", "", Some("theme=dark")),
            )
        },
        case(
            "signed-cookies-split-across-entries-allow",
            get("/shared/notes.txt")
                .query("v=2")
                .cookie(&format!(
                    "theme=dark; CloudFront-Policy={}",
                    param(&shared_cookies, "CloudFront-Policy")
                ))
                .cookie(&format!(
                    "CloudFront-Signature={}; CloudFront-Key-Pair-Id={KP_RSA}; lang=en",
                    param(&shared_cookies, "CloudFront-Signature")
                )),
            allow("valid_signed_cookies", "v=2", Some("theme=dark; lang=en")),
        ),
        case(
            "signed-cookies-on-groups-route-allow",
            get("/releases/internal/build.zip").cookies(&releases_cookies),
            allow("valid_signed_cookies", "", None),
        ),
        case(
            "signed-cookies-duplicate-names-invalid",
            get("/shared/notes.txt")
                .cookies(&shared_cookies)
                .cookies(&releases_cookies),
            deny(403, "invalid_credential", "duplicate_cookies"),
        ),
        case(
            "signed-cookies-bad-signature-invalid",
            get("/shared/notes.txt").cookie(&format!(
                "CloudFront-Policy={}; CloudFront-Key-Pair-Id={KP_RSA}; CloudFront-Signature={}",
                param(&shared_cookies, "CloudFront-Policy"),
                flip_char(param(&shared_cookies, "CloudFront-Signature"), 40)
            )),
            deny(403, "invalid_credential", "bad_signature"),
        ),
        case(
            "signed-cookies-other-prefix-invalid",
            get("/releases/1.0.0/app.zip").cookies(&shared_cookies),
            deny(403, "invalid_credential", "resource_mismatch"),
        ),
        // --- canonical paths: 400 before any credential check ---
        case(
            "path-dot-segment-bad-request",
            get("/public/../releases/1.0.0/app.zip").bearer(&downloader),
            deny(400, "bad_request", "path_dot_segment"),
        ),
        case(
            "path-encoded-dot-dot-bad-request",
            get("/public/%2e%2e/releases/1.0.0/app.zip").bearer(&downloader),
            deny(400, "bad_request", "path_encoded_reserved"),
        ),
        case(
            "path-encoded-slash-bad-request",
            get("/releases%2Finternal%2Fbuild.zip").bearer(&staff),
            deny(400, "bad_request", "path_encoded_reserved"),
        ),
        case(
            "path-backslash-bad-request",
            get("/releases\\internal\\build.zip").bearer(&staff),
            deny(400, "bad_request", "path_bad_character"),
        ),
        case(
            "path-double-slash-bad-request",
            get("//releases/1.0.0/app.zip").bearer(&downloader),
            deny(400, "bad_request", "path_empty_segment"),
        ),
        case(
            "path-double-encoded-bad-request",
            get("/public/%252e%252e/releases/1.0.0/app.zip").bearer(&downloader),
            deny(400, "bad_request", "path_double_encoded"),
        ),
        case(
            "path-overlong-utf8-bad-request",
            get("/releases/%c0%ae%c0%ae/app.zip").bearer(&downloader),
            deny(400, "bad_request", "path_invalid_utf8"),
        ),
        case(
            "path-encoded-unreserved-bad-request",
            get("/%72eleases/1.0.0/app.zip").bearer(&downloader),
            deny(400, "bad_request", "path_encoded_reserved"),
        ),
        case(
            "path-encoded-nul-bad-request",
            get("/releases/app.zip%00.txt").cookies(&releases_cookies),
            deny(400, "bad_request", "path_encoded_reserved"),
        ),
        case(
            "path-raw-control-character-bad-request",
            get("/releases/a\u{1}b.zip").bearer(&downloader),
            deny(400, "bad_request", "path_bad_character"),
        ),
        // --- host and size caps ---
        case(
            "host-missing-bad-request",
            get("/releases/1.0.0/app.zip")
                .without_header("host")
                .bearer(&downloader),
            deny(400, "bad_request", "host"),
        ),
        case(
            "host-duplicate-bad-request",
            get("/releases/1.0.0/app.zip")
                .header("host", SITE)
                .bearer(&downloader),
            deny(400, "bad_request", "host"),
        ),
        case(
            "url-over-8k-too-large",
            get(&format!(
                "/releases/{}",
                "a".repeat(8193 - "/releases/".len())
            )),
            deny(400, "too_large", "url_too_large"),
        ),
        case(
            "cookie-over-16k-too-large",
            get("/releases/1.0.0/app.zip").cookie(&format!("a={}", "x".repeat(16 * 1024 - 1))),
            deny(400, "too_large", "cookie_too_large"),
        ),
        case(
            "token-over-16k-too-large",
            get("/shared/notes.txt").bearer(&"a".repeat(16 * 1024 + 1)),
            deny(400, "too_large", "token_too_large"),
        ),
    ]
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn pretty(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).expect("serialises") + "\n"
}

fn main() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("edge/ sits in the workspace");
    let dir = workspace.join("tests").join("corpus");
    let cases_dir = dir.join("cases");
    std::fs::create_dir_all(&cases_dir).expect("create tests/corpus/cases");
    for entry in std::fs::read_dir(&cases_dir).expect("read cases dir") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::remove_file(&path).expect("remove old case");
        }
    }
    write(&dir.join("config.json"), &pretty(&document()));
    let jwks: serde_json::Value = serde_json::from_str(&jwks().to_json()).expect("JWKS JSON");
    write(&dir.join("jwks.json"), &pretty(&jwks));
    let cases = cases();
    for (i, c) in cases.into_iter().enumerate() {
        let file = CaseFile {
            name: c.name,
            now: c.now,
            event: event(c.request.build(), &format!("corpus-{:03}", i + 1)),
            expect: c.expect,
        };
        let path = cases_dir.join(format!("{:03}-{}.json", i + 1, c.name));
        write(&path, &pretty(&file));
    }
    println!(
        "wrote {} ({} cases)",
        dir.display(),
        std::fs::read_dir(&cases_dir).map_or(0, |d| d.count())
    );
}
