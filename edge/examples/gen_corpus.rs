//! Writes the shared decision corpus: `tests/corpus/` at the workspace root.
//!
//! ```text
//! cargo run -p edgegate-edge --example gen_corpus              # every case file rewritten
//! cargo run -p edgegate-edge --example gen_corpus -- --from 165 # only cases 165 and up
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
    /// The path the origin is asked for, when it is not the viewer's (a directory index).
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
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
    /// A redirect's `Location`.
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
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
            uri: None,
            querystring: querystring.to_string(),
            cookie: cookie.map(str::to_string),
        }),
        location: None,
    }
}

/// Allowed and served `uri` instead of the viewer's path (a directory index).
fn served(detail: &'static str, uri: &str, querystring: &str, cookie: Option<&str>) -> Expect {
    let mut expect = allow(detail, querystring, cookie);
    if let Some(f) = expect.forward.as_mut() {
        f.uri = Some(uri.to_string());
    }
    expect
}

/// Allowed, and sent to its trailing slash: a 302 to `location` (reason `public` or `ok`).
fn redirected(reason: &'static str, location: &str) -> Expect {
    Expect {
        decision: "redirect",
        status: 302,
        reason,
        detail: "trailing_slash",
        forward: None,
        location: Some(location.to_string()),
    }
}

fn deny(status: u16, reason: &'static str, detail: &'static str) -> Expect {
    Expect {
        decision: "deny",
        status,
        reason,
        detail,
        forward: None,
        location: None,
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

/// Every case, in file-number order: the base cases, the security catalogue's, then the
/// access kinds of issue 12 (165 on), then its network conditions (182 on), then the
/// directory index of issue 13 (197 on), then several issuers of issue 12 (205 on).
fn all_cases() -> Vec<Case> {
    let mut cases = cases();
    cases.extend(catalogue_cases());
    cases.extend(access_cases());
    cases.extend(network_cases());
    cases.extend(directory_cases());
    cases.extend(issuer_cases());
    cases
}

/// `--from N`: (re)write only the cases numbered N and up, leaving the earlier files as they
/// are (their ECDSA signatures are randomised, so rewriting them would change committed bytes
/// for nothing). Without it every case file is deleted and rewritten.
fn first_to_write() -> usize {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => 1,
        [flag, n] if flag == "--from" => n.parse().expect("--from takes a case number"),
        _ => panic!("usage: gen_corpus [--from N]"),
    }
}

/// The case number of a `NNN-<name>.json` file.
fn file_number(path: &Path) -> Option<usize> {
    let name = path.file_name()?.to_str()?;
    name.get(..3)?.parse().ok()
}

fn main() {
    let from = first_to_write();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("edge/ sits in the workspace");
    let dir = workspace.join("tests").join("corpus");
    let cases_dir = dir.join("cases");
    std::fs::create_dir_all(&cases_dir).expect("create tests/corpus/cases");
    for entry in std::fs::read_dir(&cases_dir).expect("read cases dir") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "json")
            && file_number(&path).is_none_or(|n| n >= from)
        {
            std::fs::remove_file(&path).expect("remove old case");
        }
    }
    write(&dir.join("config.json"), &pretty(&document()));
    let jwks: serde_json::Value = serde_json::from_str(&jwks().to_json()).expect("JWKS JSON");
    write(&dir.join("jwks.json"), &pretty(&jwks));
    for (i, c) in all_cases().into_iter().enumerate() {
        let number = i + 1;
        let path = cases_dir.join(format!("{number:03}-{}.json", c.name));
        if number < from {
            assert!(
                path.exists(),
                "{}: missing (regenerate without --from)",
                path.display()
            );
            continue;
        }
        let file = CaseFile {
            name: c.name,
            now: c.now,
            event: event(c.request.build(), &format!("corpus-{number:03}")),
            expect: c.expect,
        };
        write(&path, &pretty(&file));
    }
    println!(
        "wrote {} ({} cases)",
        dir.display(),
        std::fs::read_dir(&cases_dir).map_or(0, |d| d.count())
    );
}

// --- access kinds (issue 12): authenticated, scopes, groups with scopes ------------------------
//
// Routes of the test deployment: /members (authenticated), /artifacts (scopes artifacts/read),
// /builds (groups downloaders or scopes builds/read). The M2M token has exactly the claims of a
// Cognito client-credentials access token (common::m2m_claims).

fn access_cases() -> Vec<Case> {
    let get = Req::get;
    let m2m_artifacts = m2m_token("artifacts/read artifacts/list");
    let m2m_list = m2m_token("artifacts/list");
    let m2m_builds = m2m_token("builds/read");
    let id_with_scope = jwt(&with_claim(
        id_claims(&["downloaders"]),
        "scope",
        json!("artifacts/read builds/read"),
    ));
    let expired = jwt(&with_claim(id_claims(&[]), "exp", json!(NOW - 1)));
    vec![
        case(
            "authenticated-id-token-without-groups-allow",
            get("/members/handbook.pdf").bearer(&token(&[])),
            allow("valid_token", "", None),
        ),
        case(
            "authenticated-m2m-access-token-allow",
            get("/members/handbook.pdf").bearer(&m2m_list),
            allow("valid_token", "", None),
        ),
        case(
            "authenticated-expired-token-invalid",
            get("/members/handbook.pdf").bearer(&expired),
            deny(401, "invalid_credential", "expired"),
        ),
        case(
            "authenticated-no-credential-401",
            get("/members/handbook.pdf"),
            deny(401, "missing_credential", "no_credential"),
        ),
        case(
            "authenticated-signed-url-allow",
            Req::for_url(&url(
                "/members/handbook.pdf?v=2",
                &canned(NOW + 600),
                Key::CfRsa,
            )),
            allow("valid_signed_url", "v=2", None),
        ),
        case(
            "scopes-m2m-token-with-scope-allow",
            get("/artifacts/app-1.0.zip")
                .bearer(&m2m_artifacts)
                .cookie("theme=dark"),
            allow("valid_token", "", Some("theme=dark")),
        ),
        case(
            "scopes-m2m-token-without-scope-forbidden",
            get("/artifacts/app-1.0.zip").bearer(&m2m_list),
            deny(403, "forbidden", "missing_scope"),
        ),
        case(
            "scopes-id-token-with-scope-claim-forbidden",
            get("/artifacts/app-1.0.zip").bearer(&id_with_scope),
            deny(403, "forbidden", "missing_scope"),
        ),
        case(
            "scopes-user-in-group-without-scope-forbidden",
            get("/artifacts/app-1.0.zip").bearer(&token(&["downloaders"])),
            deny(403, "forbidden", "missing_scope"),
        ),
        case(
            "scopes-no-credential-401",
            get("/artifacts/app-1.0.zip"),
            deny(401, "missing_credential", "no_credential"),
        ),
        case(
            "scopes-signed-cookies-allow",
            get("/artifacts/app-1.0.zip").cookies(&prefix_cookies("/artifacts")),
            allow("valid_signed_cookies", "", None),
        ),
        case(
            "scopes-post-405",
            get("/artifacts/app-1.0.zip")
                .method("POST")
                .bearer(&m2m_artifacts),
            deny(405, "bad_request", "method_not_allowed"),
        ),
        case(
            "groups-scopes-user-in-group-allow",
            get("/builds/nightly.zip").bearer(&token(&["downloaders"])),
            allow("valid_token", "", None),
        ),
        case(
            "groups-scopes-m2m-token-with-scope-allow",
            get("/builds/nightly.zip").bearer(&m2m_builds),
            allow("valid_token", "", None),
        ),
        case(
            "groups-scopes-neither-forbidden",
            get("/builds/nightly.zip").bearer(&m2m_artifacts),
            deny(403, "forbidden", "not_in_group_or_scope"),
        ),
        case(
            "groups-scopes-id-token-scope-claim-forbidden",
            get("/builds/nightly.zip").bearer(&jwt(&with_claim(
                id_claims(&["staff"]),
                "scope",
                json!("builds/read"),
            ))),
            deny(403, "forbidden", "not_in_group_or_scope"),
        ),
        case(
            "groups-only-route-m2m-token-not-in-group",
            get("/releases/1.0.0/app.zip").bearer(&m2m_builds),
            deny(403, "forbidden", "not_in_group"),
        ),
    ]
}

// --- network conditions (issue 12): /lab is groups downloaders from 192.0.2.0/24 or
// 2001:db8::/32 only (the default viewer 192.0.2.10 is inside); /mirror is access = "network"
// for 198.51.100.0/24 or 2001:db8:100::/48, no credential. Outside is 403 network_not_allowed,
// decided after the method and before any credential.

fn network_cases() -> Vec<Case> {
    let get = Req::get;
    let downloader = token(&["downloaders"]);
    vec![
        case(
            "network-gated-inside-ipv4-allow",
            get("/lab/tool.zip").bearer(&downloader),
            allow("valid_token", "", None),
        ),
        case(
            "network-gated-outside-ipv4-forbidden",
            get("/lab/tool.zip")
                .client_ip("198.51.100.7")
                .bearer(&downloader),
            deny(403, "forbidden", "network_not_allowed"),
        ),
        case(
            "network-gated-inside-ipv6-allow",
            get("/lab/tool.zip")
                .client_ip("2001:db8:1::5")
                .bearer(&downloader),
            allow("valid_token", "", None),
        ),
        case(
            "network-gated-outside-ipv6-forbidden",
            get("/lab/tool.zip")
                .client_ip("2001:db9::5")
                .bearer(&downloader),
            deny(403, "forbidden", "network_not_allowed"),
        ),
        case(
            "network-gated-ipv4-mapped-inside-allow",
            get("/lab/tool.zip")
                .client_ip("::ffff:192.0.2.10")
                .bearer(&downloader),
            allow("valid_token", "", None),
        ),
        case(
            "network-gated-unparseable-client-ip-forbidden",
            get("/lab/tool.zip")
                .client_ip("192.0.2.10.1")
                .bearer(&downloader),
            deny(403, "forbidden", "network_not_allowed"),
        ),
        case(
            "network-gated-outside-before-credential-forbidden",
            get("/lab/tool.zip")
                .client_ip("198.51.100.7")
                .bearer("not-a-token"),
            deny(403, "forbidden", "network_not_allowed"),
        ),
        case(
            "network-gated-inside-no-credential-401",
            get("/lab/tool.zip"),
            deny(401, "missing_credential", "no_credential"),
        ),
        case(
            "network-gated-post-405",
            get("/lab/tool.zip").method("POST").bearer(&downloader),
            deny(405, "bad_request", "method_not_allowed"),
        ),
        case(
            "network-route-inside-no-credential-allow",
            get("/mirror/iso/disk.img").client_ip("198.51.100.7"),
            allow("network", "", None),
        ),
        case(
            "network-route-inside-credential-stripped-allow",
            get("/mirror/iso/disk.img")
                .client_ip("198.51.100.7")
                .query("v=1")
                .bearer(&downloader)
                .cookie("CloudFront-Key-Pair-Id=KTESTRSA000001; theme=dark"),
            allow("network", "v=1", Some("theme=dark")),
        ),
        case(
            "network-route-inside-ipv6-allow",
            get("/mirror/iso/disk.img").client_ip("2001:db8:100::1"),
            allow("network", "", None),
        ),
        case(
            "network-route-outside-forbidden",
            get("/mirror/iso/disk.img"),
            deny(403, "forbidden", "network_not_allowed"),
        ),
        case(
            "network-route-outside-with-credential-forbidden",
            get("/mirror/iso/disk.img").bearer(&downloader),
            deny(403, "forbidden", "network_not_allowed"),
        ),
        case(
            "network-route-post-405",
            get("/mirror/iso/disk.img")
                .method("POST")
                .client_ip("198.51.100.7"),
            deny(405, "bad_request", "method_not_allowed"),
        ),
    ]
}

// --- security catalogue and field reports (tests/catalogue.md maps ids to these cases) -------
//
// Each case below is one input of /work/shared/security-catalog.md or field-reports.md that
// reaches the gate, with the safe answer written by hand. They run natively and through the
// built bundle like every other case.

fn b64url(bytes: &[u8]) -> String {
    edgegate_keys::cf_base64::encode_b64url(bytes)
}

/// A compact JWS over arbitrary header and payload bytes, RS256 with `key`.
fn raw_jwt_bytes(key: Key, header: &[u8], payload: &[u8]) -> String {
    let input = format!("{}.{}", b64url(header), b64url(payload));
    let rng = ring::rand::SystemRandom::new();
    let sig = key
        .signing()
        .sign(HashAlgorithm::Sha256, input.as_bytes(), &rng)
        .expect("RS256 signs");
    format!("{input}.{}", b64url(&sig))
}

/// RS256 by the pool key over arbitrary header and payload text.
fn raw_jwt(header: &str, payload: &str) -> String {
    raw_jwt_bytes(Key::Cognito, header.as_bytes(), payload.as_bytes())
}

/// The pool key's usual header with one more member (`extra` is `"name":value`).
fn header_with(extra: &str) -> String {
    format!(r#"{{"kid":"{KID}","alg":"RS256",{extra}}}"#)
}

fn downloader_claims() -> String {
    id_claims(&["downloaders"]).to_string()
}

/// An ID token in `downloaders` with one claim replaced (`Value::Null`: removed).
fn id_with(name: &str, value: serde_json::Value) -> String {
    jwt(&with_claim(id_claims(&["downloaders"]), name, value))
}

/// `token` with its signature segment replaced by `signature` (base64url text).
fn with_signature(token: &str, signature: &str) -> String {
    let (input, _) = token.rsplit_once('.').expect("three segments");
    format!("{input}.{signature}")
}

/// A custom policy signed as given (exact bytes), as a signed URL for `path`.
fn raw_policy_url(path: &str, policy: &str) -> String {
    signed_url(
        &site_url(path),
        &edgegate_keys::sign::SigningPolicy::Custom(policy.to_string()),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    )
}

/// CloudFront base64 back to the standard alphabet (`-`→`+`, `_`→`=`, `~`→`/`).
fn standard_base64(cf: &str) -> String {
    cf.replace('-', "+").replace('_', "=").replace('~', "/")
}

fn catalogue_cases() -> Vec<Case> {
    let get = Req::get;
    let app = "/releases/1.0.0/app.zip";
    let downloader = token(&["downloaders"]);
    let claims = downloader_claims();
    let bad = |detail| deny(401, "invalid_credential", detail);
    let sig_bad = |detail| deny(403, "invalid_credential", detail);
    let none_header = format!(r#"{{"kid":"{KID}","alg":"none"}}"#);
    let none_input = format!(
        "{}.{}",
        b64url(none_header.as_bytes()),
        b64url(claims.as_bytes())
    );
    let signature = downloader.rsplit_once('.').expect("JWS").1.to_string();
    let canned_shared = url("/shared/notes.txt", &canned(NOW + 600), Key::CfRsa);
    let custom_shared = url("/shared/notes.txt", &shared_custom("/shared/*"), Key::CfRsa);
    let dlt = format!(r#""DateLessThan":{{"AWS:EpochTime":{}}}"#, NOW + 600);
    let resource = site_url("/shared/*");
    let shared_cookies = prefix_cookies("/shared");

    vec![
        // --- JWT-S: structure and encoding ---
        case(
            "jwt-alg-none-empty-signature-invalid",
            get(app).bearer(&format!("{none_input}.")),
            bad("malformed"),
        ),
        case(
            "jwt-alg-none-two-segments-invalid",
            get(app).bearer(&none_input),
            bad("malformed"),
        ),
        case(
            "jwt-alg-none-capitalised-invalid",
            get(app).bearer(&raw_jwt(
                &format!(r#"{{"kid":"{KID}","alg":"None"}}"#),
                &claims,
            )),
            bad("unsupported_algorithm"),
        ),
        case(
            "jwt-four-segments-invalid",
            get(app).bearer(&format!("{downloader}.e30")),
            bad("malformed"),
        ),
        case(
            "jwt-five-segments-jwe-invalid",
            get(app).bearer("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d"),
            bad("malformed"),
        ),
        case(
            "jwt-header-json-array-invalid",
            get(app).bearer(&raw_jwt("[]", &claims)),
            bad("malformed"),
        ),
        case(
            "jwt-payload-json-string-invalid",
            get(app).bearer(&raw_jwt(&header_with(r#""typ":"JWT""#), r#""claims""#)),
            bad("malformed"),
        ),
        case(
            "jwt-padded-segment-invalid",
            get(app).bearer(&format!("{downloader}==")),
            bad("authorization_not_bearer"),
        ),
        case(
            "jwt-standard-alphabet-invalid",
            get(app).bearer(&{
                let swapped = downloader.replacen('-', "+", 1).replacen('_', "/", 1);
                assert_ne!(swapped, downloader, "the token has a - or _ to swap");
                swapped
            }),
            bad("authorization_not_bearer"),
        ),
        case(
            "jwt-signature-non-canonical-trailing-bits-invalid",
            // 256 bytes are 342 characters: the last carries 2 bits and 4 discarded ones.
            get(app).bearer(&{
                const ALPHABET: &[u8] =
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
                let last = *downloader.as_bytes().last().expect("non-empty");
                let index = ALPHABET.iter().position(|&c| c == last).expect("base64url");
                let mut text = downloader.clone();
                text.pop();
                text.push(ALPHABET[index ^ 1] as char);
                text
            }),
            bad("malformed"),
        ),
        case(
            "jwt-whitespace-in-segment-invalid",
            get(app).bearer(&format!("{} {}", &downloader[..20], &downloader[20..])),
            bad("authorization_not_bearer"),
        ),
        case(
            "jwt-duplicate-exp-claim-invalid",
            get(app).bearer(&raw_jwt(
                &header_with(r#""typ":"JWT""#),
                &claims.replacen('{', r#"{"exp":1,"#, 1),
            )),
            bad("malformed"),
        ),
        case(
            "jwt-duplicate-alg-header-invalid",
            get(app).bearer(&raw_jwt(
                &format!(r#"{{"alg":"HS256","kid":"{KID}","alg":"RS256"}}"#),
                &claims,
            )),
            bad("malformed"),
        ),
        case(
            "jwt-invalid-utf8-payload-invalid",
            get(app).bearer(&{
                let mut payload = claims.clone().into_bytes();
                let at = claims.find("alice").expect("username in the claims");
                payload[at] = 0xff;
                raw_jwt_bytes(
                    Key::Cognito,
                    format!(r#"{{"kid":"{KID}","alg":"RS256"}}"#).as_bytes(),
                    &payload,
                )
            }),
            bad("malformed"),
        ),
        case(
            "jwt-issuer-json-escaped-allow",
            get(app).bearer(&raw_jwt(
                &format!(r#"{{"kid":"{KID}","alg":"RS256"}}"#),
                &claims.replacen(r#""https://"#, r#""\u0068ttps:\/\/"#, 1),
            )),
            allow("valid_token", "", None),
        ),
        case(
            "jwt-payload-nested-5000-levels-invalid",
            get(app).bearer(&raw_jwt(
                &format!(r#"{{"kid":"{KID}","alg":"RS256"}}"#),
                &claims.replacen(
                    '{',
                    &format!(r#"{{"x":{}0{},"#, "[".repeat(5000), "]".repeat(5000)),
                    1,
                ),
            )),
            bad("malformed"),
        ),
        case(
            "jwt-header-cty-nested-jwt-invalid",
            get(app).bearer(&raw_jwt(
                &header_with(r#""cty":"JWT""#),
                &serde_json::Value::String(downloader.clone()).to_string(),
            )),
            bad("malformed"),
        ),
        case(
            "jwt-proto-and-constructor-claims-allow",
            get(app).bearer(&raw_jwt(
                &format!(r#"{{"kid":"{KID}","alg":"RS256"}}"#),
                &claims.replacen(
                    '{',
                    r#"{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}},"#,
                    1,
                ),
            )),
            allow("valid_token", "", None),
        ),
        // --- JWT-K: algorithms and keys ---
        case(
            "jwt-hs256-public-key-as-secret-invalid",
            get(app).bearer(&{
                let header = format!(r#"{{"kid":"{KID}","alg":"HS256"}}"#);
                let input = format!(
                    "{}.{}",
                    b64url(header.as_bytes()),
                    b64url(claims.as_bytes())
                );
                let mac = edgegate_keys::sign::hmac_sha256(
                    Key::Cognito.public_pem().as_bytes(),
                    input.as_bytes(),
                );
                format!("{input}.{}", b64url(&mac))
            }),
            bad("unsupported_algorithm"),
        ),
        case(
            "jwt-alg-rs512-invalid",
            get(app).bearer(&raw_jwt(
                &format!(r#"{{"kid":"{KID}","alg":"RS512"}}"#),
                &claims,
            )),
            bad("unsupported_algorithm"),
        ),
        case(
            "jwt-alg-ps256-invalid",
            get(app).bearer(&raw_jwt(
                &format!(r#"{{"kid":"{KID}","alg":"PS256"}}"#),
                &claims,
            )),
            bad("unsupported_algorithm"),
        ),
        case(
            "jwt-alg-es256-with-rsa-kid-invalid",
            get(app).bearer(&raw_jwt(
                &format!(r#"{{"kid":"{KID}","alg":"ES256"}}"#),
                &claims,
            )),
            bad("unsupported_algorithm"),
        ),
        case(
            "jwt-alg-missing-invalid",
            get(app).bearer(&raw_jwt(&format!(r#"{{"kid":"{KID}"}}"#), &claims)),
            bad("unsupported_algorithm"),
        ),
        case(
            "jwt-alg-not-a-string-invalid",
            get(app).bearer(&raw_jwt(
                &format!(r#"{{"kid":"{KID}","alg":["RS256"]}}"#),
                &claims,
            )),
            bad("unsupported_algorithm"),
        ),
        case(
            "jwt-kid-path-traversal-invalid",
            get(app).bearer(&jwt_signed_by(
                Key::Cognito,
                "../../../../dev/null",
                &id_claims(&["downloaders"]),
            )),
            bad("unknown_kid"),
        ),
        case(
            "jwt-kid-not-a-string-invalid",
            get(app).bearer(&raw_jwt(r#"{"kid":123,"alg":"RS256"}"#, &claims)),
            bad("malformed"),
        ),
        case(
            "jwt-kid-missing-invalid",
            get(app).bearer(&raw_jwt(r#"{"alg":"RS256"}"#, &claims)),
            bad("malformed"),
        ),
        case(
            "jwt-embedded-jwk-header-invalid",
            get(app).bearer(&raw_jwt_bytes(
                Key::CfRsa,
                format!(
                    r#"{{"kid":"attacker","alg":"RS256","jwk":{{"kty":"RSA","e":"AQAB","n":"{}"}}}}"#,
                    b64url(&[0xc5; 256])
                )
                .as_bytes(),
                claims.as_bytes(),
            )),
            bad("malformed"),
        ),
        case(
            "jwt-jku-header-invalid",
            get(app).bearer(&raw_jwt(
                &header_with(r#""jku":"https://attacker.example/jwks.json""#),
                &claims,
            )),
            bad("malformed"),
        ),
        case(
            "jwt-x5u-header-invalid",
            get(app).bearer(&raw_jwt(
                &header_with(r#""x5u":"http://169.254.169.254/latest/meta-data/""#),
                &claims,
            )),
            bad("malformed"),
        ),
        case(
            "jwt-crit-header-invalid",
            get(app).bearer(&raw_jwt(&header_with(r#""crit":["exp"],"exp":1"#), &claims)),
            bad("malformed"),
        ),
        case(
            "jwt-empty-signature-invalid",
            get(app).bearer(&with_signature(&downloader, "")),
            bad("malformed"),
        ),
        case(
            "jwt-signature-257-bytes-invalid",
            get(app).bearer(&with_signature(&downloader, &format!("{signature}AA"))),
            bad("bad_signature"),
        ),
        case(
            "jwt-signature-all-zero-invalid",
            get(app).bearer(&with_signature(&downloader, &b64url(&[0; 256]))),
            bad("bad_signature"),
        ),
        case(
            "jwt-claims-swapped-under-kept-signature-invalid",
            get(app).bearer(&{
                let staff = token(&["downloaders", "staff"]);
                let (input, _) = staff.rsplit_once('.').expect("JWS");
                format!("{input}.{signature}")
            }),
            bad("bad_signature"),
        ),
        // --- JWT-C: claims (leeway 0: expired iff exp <= now) ---
        case(
            "jwt-exp-equal-to-now-invalid",
            get(app).bearer(&id_with("exp", json!(NOW))),
            bad("expired"),
        ),
        case(
            "jwt-exp-one-second-ahead-allow",
            get(app).bearer(&id_with("exp", json!(NOW + 1))),
            allow("valid_token", "", None),
        ),
        case(
            "jwt-exp-missing-invalid",
            get(app).bearer(&id_with("exp", serde_json::Value::Null)),
            bad("wrong_claim_type"),
        ),
        case(
            "jwt-exp-string-invalid",
            get(app).bearer(&id_with("exp", json!((NOW + 3600).to_string()))),
            bad("wrong_claim_type"),
        ),
        case(
            "jwt-exp-beyond-u64-invalid",
            get(app).bearer(&raw_jwt(
                &format!(r#"{{"kid":"{KID}","alg":"RS256"}}"#),
                &claims.replacen(
                    &format!(r#""exp":{}"#, NOW + 3600),
                    r#""exp":18446744073709551616"#,
                    1,
                ),
            )),
            bad("wrong_claim_type"),
        ),
        case(
            "jwt-aud-array-with-number-invalid",
            get(app).bearer(&id_with("aud", json!([CLIENT_ID, 1]))),
            bad("wrong_claim_type"),
        ),
        case(
            "jwt-iss-array-invalid",
            get(app).bearer(&id_with("iss", json!([issuer()]))),
            bad("wrong_claim_type"),
        ),
        case(
            "jwt-token-use-array-invalid",
            get(app).bearer(&id_with("token_use", json!(["id"]))),
            bad("wrong_claim_type"),
        ),
        case(
            "jwt-nbf-in-future-invalid",
            get(app).bearer(&id_with("nbf", json!(NOW + 60))),
            bad("not_yet_valid"),
        ),
        case(
            "jwt-iat-in-future-invalid",
            get(app).bearer(&id_with("iat", json!(NOW + 3600))),
            bad("issued_in_future"),
        ),
        case(
            "jwt-issuer-trailing-slash-invalid",
            get(app).bearer(&id_with("iss", json!(format!("{}/", issuer())))),
            bad("wrong_issuer"),
        ),
        case(
            "jwt-issuer-upper-case-host-invalid",
            get(app).bearer(&id_with(
                "iss",
                json!(issuer().replacen("cognito-idp", "COGNITO-IDP", 1)),
            )),
            bad("wrong_issuer"),
        ),
        case(
            "jwt-issuer-plain-http-invalid",
            get(app).bearer(&id_with(
                "iss",
                json!(issuer().replacen("https://", "http://", 1)),
            )),
            bad("wrong_issuer"),
        ),
        case(
            "jwt-issuer-missing-invalid",
            get(app).bearer(&id_with("iss", serde_json::Value::Null)),
            bad("wrong_issuer"),
        ),
        case(
            "jwt-attacker-pool-own-key-invalid",
            get(app).bearer(&jwt_signed_by(
                Key::CfRsa,
                "attacker-pool-key",
                &with_claim(
                    id_claims(&["downloaders"]),
                    "iss",
                    json!("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Attacker1"),
                ),
            )),
            bad("unknown_kid"),
        ),
        case(
            "jwt-id-token-aud-missing-invalid",
            get(app).bearer(&id_with("aud", serde_json::Value::Null)),
            bad("wrong_audience"),
        ),
        case(
            "jwt-id-token-aud-empty-invalid",
            get(app).bearer(&id_with("aud", json!(""))),
            bad("wrong_audience"),
        ),
        case(
            "jwt-access-token-foreign-client-id-invalid",
            get(app).bearer(&jwt(&with_claim(
                access_claims(&["downloaders"]),
                "client_id",
                json!(OTHER_CLIENT_ID),
            ))),
            bad("wrong_audience"),
        ),
        case(
            "jwt-access-token-aud-instead-of-client-id-invalid",
            get(app).bearer(&jwt(&with_claim(
                with_claim(
                    access_claims(&["downloaders"]),
                    "client_id",
                    serde_json::Value::Null,
                ),
                "aud",
                json!(CLIENT_ID),
            ))),
            bad("wrong_audience"),
        ),
        case(
            "jwt-token-use-refresh-invalid",
            get(app).bearer(&id_with("token_use", json!("refresh"))),
            bad("wrong_token_use"),
        ),
        case(
            "jwt-token-use-upper-case-invalid",
            get(app).bearer(&id_with("token_use", json!("ID"))),
            bad("wrong_token_use"),
        ),
        case(
            "jwt-token-use-missing-invalid",
            get(app).bearer(&id_with("token_use", serde_json::Value::Null)),
            bad("wrong_token_use"),
        ),
        case(
            "jwt-group-differs-in-case-forbidden",
            get(app).bearer(&token(&["Downloaders"])),
            deny(403, "forbidden", "not_in_group"),
        ),
        case(
            "jwt-groups-as-one-string-allow",
            get(app).bearer(&id_with("cognito:groups", json!("downloaders"))),
            allow("valid_token", "", None),
        ),
        case(
            "jwt-groups-number-invalid",
            get(app).bearer(&id_with("cognito:groups", json!(5))),
            bad("wrong_claim_type"),
        ),
        // --- TX: Authorization grammar ---
        case(
            "bearer-scheme-without-token-invalid",
            get(app).header("authorization", "Bearer"),
            bad("authorization_not_bearer"),
        ),
        case(
            "bearer-trailing-space-invalid",
            get(app).header("authorization", &format!("Bearer {downloader} ")),
            bad("authorization_not_bearer"),
        ),
        // --- SIG: signed URLs and cookies ---
        case(
            "signed-url-expires-changed-invalid",
            Req::for_url(&with_param(
                &canned_shared,
                "Expires",
                Some(&(NOW + 601).to_string()),
            )),
            sig_bad("bad_signature"),
        ),
        case(
            "signed-url-signature-of-other-resource-invalid",
            Req::for_url(&with_param(
                &canned_shared,
                "Signature",
                Some(param(
                    &query_pairs(&url("/shared/other.txt", &canned(NOW + 600), Key::CfRsa)),
                    "Signature",
                )),
            )),
            sig_bad("bad_signature"),
        ),
        case(
            "signed-url-trusted-id-other-keys-signature-invalid",
            Req::for_url(&url("/shared/notes.txt", &canned(NOW + 600), Key::Cognito)),
            sig_bad("bad_signature"),
        ),
        case(
            "signed-url-ecdsa-id-with-rsa-signature-invalid",
            Req::for_url(&with_param(
                &signed_url(
                    &site_url("/shared/notes.txt"),
                    &canned(NOW + 600),
                    Key::CfRsa,
                    HashAlgorithm::Sha256,
                ),
                "Key-Pair-Id",
                Some(KP_EC),
            )),
            sig_bad("bad_signature"),
        ),
        case(
            "signed-url-ecdsa-zero-signature-invalid",
            Req::for_url(&with_param(
                &url("/shared/notes.txt", &canned(NOW + 600), Key::CfEc),
                "Signature",
                Some(&edgegate_keys::cf_base64::encode(&[
                    0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
                ])),
            )),
            sig_bad("bad_signature"),
        ),
        at(
            NOW + 3600,
            case(
                "signed-cookies-custom-date-less-than-passed-invalid",
                get("/shared/notes.txt").cookies(&shared_cookies),
                sig_bad("expired"),
            ),
        ),
        case(
            "signed-url-policy-without-date-less-than-invalid",
            Req::for_url(&raw_policy_url(
                "/shared/notes.txt",
                &format!(r#"{{"Statement":[{{"Resource":"{resource}","Condition":{{}}}}]}}"#),
            )),
            sig_bad("malformed"),
        ),
        case(
            "signed-url-policy-two-statements-invalid",
            Req::for_url(&raw_policy_url(
                "/shared/notes.txt",
                &format!(
                    r#"{{"Statement":[{{"Resource":"{resource}","Condition":{{{dlt}}}}},{{"Resource":"{resource}","Condition":{{{dlt}}}}}]}}"#
                ),
            )),
            sig_bad("malformed"),
        ),
        case(
            "signed-url-policy-epoch-as-string-invalid",
            Req::for_url(&raw_policy_url(
                "/shared/notes.txt",
                &format!(
                    r#"{{"Statement":[{{"Resource":"{resource}","Condition":{{"DateLessThan":{{"AWS:EpochTime":"{}"}}}}}}]}}"#,
                    NOW + 600
                ),
            )),
            sig_bad("malformed"),
        ),
        case(
            "signed-url-policy-without-resource-invalid",
            Req::for_url(&raw_policy_url(
                "/shared/notes.txt",
                &format!(r#"{{"Statement":[{{"Condition":{{{dlt}}}}}]}}"#),
            )),
            sig_bad("malformed"),
        ),
        case(
            "signed-url-policy-resource-star-invalid",
            Req::for_url(&raw_policy_url(
                "/shared/notes.txt",
                &format!(r#"{{"Statement":[{{"Resource":"*","Condition":{{{dlt}}}}}]}}"#),
            )),
            sig_bad("malformed"),
        ),
        case(
            "signed-url-policy-duplicate-date-less-than-invalid",
            Req::for_url(&raw_policy_url(
                "/shared/notes.txt",
                &format!(
                    r#"{{"Statement":[{{"Resource":"{resource}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{}}},{dlt}}}}}]}}"#,
                    NOW - 600
                ),
            )),
            sig_bad("malformed"),
        ),
        case(
            "signed-url-policy-character-changed-invalid",
            Req::for_url(&{
                let policy = param(&query_pairs(&custom_shared), "Policy").to_string();
                with_param(&custom_shared, "Policy", Some(&flip_char(&policy, 30)))
            }),
            sig_bad("bad_signature"),
        ),
        case(
            "signed-url-date-greater-than-in-future-invalid",
            Req::for_url(&url(
                "/shared/notes.txt",
                &custom(&site_url("/shared/*"), NOW + 3600, Some(NOW + 600), None),
                Key::CfRsa,
            )),
            sig_bad("not_yet_valid"),
        ),
        case(
            "signed-url-ip-outside-cidr-invalid",
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
            .client_ip("198.51.100.1"),
            sig_bad("ip_mismatch"),
        ),
        case(
            "signed-url-query-inserted-before-signing-params-invalid",
            Req::for_url(&canned_shared.replacen('?', "?debug=1&", 1)),
            sig_bad("bad_signature"),
        ),
        case(
            "signed-url-standard-base64-signature-invalid",
            Req::for_url(&{
                let sig = param(&query_pairs(&canned_shared), "Signature").to_string();
                let standard = standard_base64(&sig);
                assert_ne!(standard, sig, "the signature has a substituted character");
                with_param(&canned_shared, "Signature", Some(&standard))
            }),
            sig_bad("malformed"),
        ),
        case(
            "signed-url-hash-algorithm-md5-invalid",
            Req::for_url(&format!("{canned_shared}&Hash-Algorithm=MD5")),
            sig_bad("malformed"),
        ),
        case(
            "signed-url-hash-algorithm-lower-case-invalid",
            Req::for_url(&with_param(
                &signed_url(
                    &site_url("/shared/notes.txt"),
                    &canned(NOW + 600),
                    Key::CfRsa,
                    HashAlgorithm::Sha256,
                ),
                "Hash-Algorithm",
                Some("sha256"),
            )),
            sig_bad("malformed"),
        ),
        case(
            "signed-url-signature-twice-invalid",
            Req::for_url(&format!(
                "{canned_shared}&Signature={}",
                param(&query_pairs(&canned_shared), "Signature")
            )),
            sig_bad("malformed"),
        ),
        case(
            "signed-url-key-pair-id-in-query-rest-in-cookies-invalid",
            get("/shared/notes.txt")
                .query(&format!("Key-Pair-Id={KP_RSA}"))
                .cookie(&format!(
                    "CloudFront-Policy={}; CloudFront-Signature={}",
                    param(&shared_cookies, "CloudFront-Policy"),
                    param(&shared_cookies, "CloudFront-Signature")
                )),
            sig_bad("malformed"),
        ),
        case(
            "signed-cookies-policy-and-expires-both-invalid",
            get("/shared/notes.txt")
                .cookies(&shared_cookies)
                .cookie(&format!("CloudFront-Expires={}", NOW + 600)),
            sig_bad("malformed"),
        ),
        case(
            "signed-url-canned-path-case-changed-invalid",
            Req::for_url(&canned_shared.replacen("/notes.txt", "/Notes.txt", 1)),
            sig_bad("bad_signature"),
        ),
        case(
            "signed-cookies-quoted-value-invalid",
            get("/shared/notes.txt").cookie(&format!(
                "CloudFront-Policy=\"{}\"; CloudFront-Signature={}; CloudFront-Key-Pair-Id={KP_RSA}",
                param(&shared_cookies, "CloudFront-Policy"),
                param(&shared_cookies, "CloudFront-Signature")
            )),
            sig_bad("malformed"),
        ),
        // --- PATH: canonical form, routing, methods ---
        case(
            "path-single-dot-segment-bad-request",
            get("/releases/./1.0.0/app.zip").bearer(&downloader),
            deny(400, "bad_request", "path_dot_segment"),
        ),
        case(
            "path-encoded-slash-after-dots-bad-request",
            get("/public/..%2Freleases/1.0.0/app.zip").bearer(&downloader),
            deny(400, "bad_request", "path_encoded_reserved"),
        ),
        case(
            "path-encoded-backslash-bad-request",
            get("/releases%5Cinternal/build.zip").bearer(&downloader),
            deny(400, "bad_request", "path_encoded_reserved"),
        ),
        case(
            "path-double-encoded-slash-bad-request",
            get("/releases%252Finternal/build.zip").bearer(&downloader),
            deny(400, "bad_request", "path_double_encoded"),
        ),
        case(
            "path-inner-double-slash-bad-request",
            get("/releases//1.0.0/app.zip").bearer(&downloader),
            deny(400, "bad_request", "path_empty_segment"),
        ),
        case(
            "path-encoded-crlf-bad-request",
            get("/releases/a%0d%0aSet-Cookie:x=y.zip").bearer(&downloader),
            deny(400, "bad_request", "path_encoded_reserved"),
        ),
        case(
            "path-encoded-del-bad-request",
            get("/releases/a%7f.zip").bearer(&downloader),
            deny(400, "bad_request", "path_encoded_reserved"),
        ),
        case(
            "path-encoded-lone-surrogate-bad-request",
            get("/releases/%ed%a0%80.zip").bearer(&downloader),
            deny(400, "bad_request", "path_invalid_utf8"),
        ),
        case(
            "route-query-naming-public-prefix-grants-nothing",
            get(app).query("x=/public/&path=/public/readme.txt"),
            deny(401, "missing_credential", "no_credential"),
        ),
        case(
            "route-encoded-hash-is-part-of-the-path",
            get("/releases/app.zip%23/public/readme.txt"),
            deny(401, "missing_credential", "no_credential"),
        ),
        case(
            "route-forwarding-headers-grant-nothing",
            get(app)
                .header("x-forwarded-uri", "/public/readme.txt")
                .header("x-original-url", "/public/readme.txt")
                .header("x-rewrite-url", "/public/readme.txt")
                .header("x-forwarded-host", "public.example.com")
                .header("x-forwarded-for", "10.0.0.1"),
            deny(401, "missing_credential", "no_credential"),
        ),
        case(
            "route-health-check-user-agent-grants-nothing",
            get(app)
                .without_header("user-agent")
                .header("user-agent", "ELB-HealthChecker/2.0"),
            deny(401, "missing_credential", "no_credential"),
        ),
        case(
            "route-prefix-with-trailing-slash-needs-credential",
            get("/releases/"),
            deny(401, "missing_credential", "no_credential"),
        ),
        case(
            "method-options-on-gated-route-405",
            get(app).method("OPTIONS"),
            deny(405, "bad_request", "method_not_allowed"),
        ),
        case(
            "method-delete-on-gated-route-405",
            get(app).method("DELETE").bearer(&downloader),
            deny(405, "bad_request", "method_not_allowed"),
        ),
        case(
            "method-put-on-signed-route-405",
            Req::for_url(&canned_shared).method("PUT"),
            deny(405, "bad_request", "method_not_allowed"),
        ),
    ]
}

// --- directory index (issue 13): index, trailing slash, single-page-app fallback -------------
//
// Routes of the test deployment: /docs (public, index "index.html") and /portal (groups
// downloaders, index "index.html" with the SPA fallback).

fn directory_cases() -> Vec<Case> {
    let get = Req::get;
    let downloader = token(&["downloaders"]);
    vec![
        case(
            "directory-index-served",
            get("/docs/guide/"),
            served("public_route", "/docs/guide/index.html", "", None),
        ),
        case(
            "directory-route-root-index-served",
            get("/docs/"),
            served("public_route", "/docs/index.html", "", None),
        ),
        case(
            "directory-without-slash-redirect",
            get("/docs/guide").query("lang=en"),
            redirected("public", "/docs/guide/?lang=en"),
        ),
        case(
            "directory-file-with-extension-served-as-is",
            get("/docs/guide/intro.html"),
            allow("public_route", "", None),
        ),
        case(
            "spa-deep-link-served-route-index",
            get("/portal/settings/profile").bearer(&downloader),
            served("valid_token", "/portal/index.html", "", None),
        ),
        case(
            "spa-asset-served-as-is",
            get("/portal/assets/app.js").bearer(&downloader),
            allow("valid_token", "", None),
        ),
        case(
            "spa-no-credential-401-before-any-index",
            get("/portal/settings"),
            deny(401, "missing_credential", "no_credential"),
        ),
        case(
            "spa-not-in-group-403-before-any-index",
            get("/portal/settings").bearer(&token(&["staff"])),
            deny(403, "forbidden", "not_in_group"),
        ),
    ]
}

// --- several issuers (issue 12): a CI OIDC issuer with claim rules, a second user pool ----------
//
// Routes of the test deployment: /ci (authenticated, issuers ["ci"], repository_owner
// example-org, environment prod or staging), /partners (groups resellers, issuers
// ["partners"]), /anyone (authenticated, all three issuers), /tenants (authenticated,
// [cognito], custom:tenant acme). The CI token has GitHub's claim names (common::ci_claims).

fn issuer_cases() -> Vec<Case> {
    let get = Req::get;
    let tenant = |value: Option<&str>| {
        let mut c = id_claims(&[]);
        if let Some(v) = value {
            c["custom:tenant"] = json!(v);
        }
        jwt(&c)
    };
    let mut staging = ci_claims("example-org");
    staging["environment"] = json!("staging");
    vec![
        case(
            "oidc-ci-token-with-claims-allow",
            get("/ci/app/1.0.0/app.tar.gz").bearer(&ci_token("example-org")),
            allow("valid_token", "", None),
        ),
        case(
            "oidc-ci-token-claim-one-of-list-allow",
            get("/ci/app/1.0.0/app.tar.gz").bearer(&jwt_signed_by(Key::CfRsa, CI_KID, &staging)),
            allow("valid_token", "", None),
        ),
        case(
            "oidc-ci-token-other-owner-claim-mismatch",
            get("/ci/app/1.0.0/app.tar.gz").bearer(&ci_token("evil-org")),
            deny(403, "forbidden", "claim_mismatch"),
        ),
        case(
            "oidc-token-on-cognito-route-issuer-not-trusted",
            get("/members/welcome.html").bearer(&ci_token("example-org")),
            deny(403, "forbidden", "issuer_not_trusted"),
        ),
        case(
            "cognito-token-on-oidc-route-issuer-not-trusted",
            get("/ci/app/1.0.0/app.tar.gz").bearer(&token(&["downloaders"])),
            deny(403, "forbidden", "issuer_not_trusted"),
        ),
        case(
            "oidc-token-under-the-pool-key-unknown-kid",
            get("/ci/app/1.0.0/app.tar.gz").bearer(&jwt_signed_by(
                Key::Cognito,
                KID,
                &ci_claims("example-org"),
            )),
            deny(401, "invalid_credential", "unknown_kid"),
        ),
        case(
            "second-pool-token-in-group-allow",
            get("/partners/price-list.pdf").bearer(&partner_token(&["resellers"])),
            allow("valid_token", "", None),
        ),
        case(
            "second-pool-token-not-in-group-forbidden",
            get("/partners/price-list.pdf").bearer(&partner_token(&["staff"])),
            deny(403, "forbidden", "not_in_group"),
        ),
        case(
            "second-pool-token-on-default-route-issuer-not-trusted",
            get("/releases/1.0.0/app.zip").bearer(&partner_token(&["downloaders"])),
            deny(403, "forbidden", "issuer_not_trusted"),
        ),
        case(
            "all-issuers-route-ci-token-allow",
            get("/anyone/notes.txt").bearer(&ci_token("someone-else")),
            allow("valid_token", "", None),
        ),
        case(
            "cognito-claim-rule-allow",
            get("/tenants/report.pdf").bearer(&tenant(Some("acme"))),
            allow("valid_token", "", None),
        ),
        case(
            "cognito-claim-rule-missing-claim-mismatch",
            get("/tenants/report.pdf").bearer(&tenant(None)),
            deny(403, "forbidden", "claim_mismatch"),
        ),
        at(
            NOW + 300 + CI_LEEWAY,
            case(
                "oidc-ci-token-past-its-issuer-leeway-expired",
                get("/ci/app/1.0.0/app.tar.gz").bearer(&ci_token("example-org")),
                deny(401, "invalid_credential", "expired"),
            ),
        ),
    ]
}
