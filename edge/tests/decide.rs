//! `decide` against design.md "Decisions" and "Routes and credentials", the security
//! catalogue (TX, SIG, PATH) and the field reports.
//!
//! Every credential is minted here with the throwaway keys in `tests/kit/keys` and verified with
//! `ring` at a fixed clock. Expected verdicts come from the rules, not from the code: each test
//! names the rule it pins. Requests are non-navigation requests (`Accept: */*`, no
//! `Sec-Fetch-Mode`), so the 401s here stay 401 once browser navigations are redirected to
//! sign-in.

mod common;

use common::*;
use edgegate_edge::cookies::CookieJar;
use edgegate_edge::event::CfResponse;
use edgegate_edge::gate::{Denial, ForwardRequest};
use edgegate_edge::{Decision, Identity, ViewerRequest};
use edgegate_keys::cf_base64::encode_b64url;
use edgegate_keys::signed::{CredentialSource, RESERVED_QUERY_PARAMS};
use edgegate_keys::HashAlgorithm;
use serde_json::json;

fn values<'a>(response: &'a CfResponse, name: &str) -> Vec<&'a str> {
    response
        .headers
        .get(name)
        .into_iter()
        .flatten()
        .map(|h| h.value.as_str())
        .collect()
}

/// The rules every generated response follows (design.md "Decisions"): `no-store`, the reason
/// code as the whole body, `WWW-Authenticate` exactly on 401s, `Allow` exactly on 405s, no CR/LF
/// in a header value, far below the 40 KB viewer-response limit.
#[track_caller]
fn check_response(denial: &Denial) {
    let r = denial.to_response();
    assert_eq!(r.status, denial.status.to_string());
    assert_eq!(values(&r, "cache-control"), ["no-store"]);
    let body = format!("{}\n", denial.reason.as_str());
    assert_eq!(r.body.as_deref(), Some(body.as_str()));
    let www = values(&r, "www-authenticate");
    match (denial.status, denial.reason.as_str()) {
        (401, "missing_credential") => assert_eq!(www, [WWW_MISSING]),
        (401, _) => assert_eq!(www, [WWW_INVALID]),
        _ => assert!(www.is_empty(), "WWW-Authenticate only on 401: {www:?}"),
    }
    let allow = values(&r, "allow");
    if denial.status == 405 {
        assert_eq!(allow, ["GET, HEAD"]);
    } else {
        assert!(allow.is_empty());
    }
    for entries in r.headers.values() {
        for h in entries {
            assert!(!h.value.contains(['\r', '\n']), "{h:?}");
        }
    }
    let size = serde_json::to_string(&r)
        .expect("response serialises")
        .len();
    assert!(size < 1024, "generated response is {size} bytes");
}

/// Asserts a denial with this status and coarse reason, and the response rules.
#[track_caller]
fn denied(d: &Decision, status: u16, reason: &str) -> Denial {
    let Decision::Deny(denial) = d else {
        panic!("expected {status} {reason}, got {d:?}");
    };
    assert_eq!(
        (denial.status, denial.reason.as_str()),
        (status, reason),
        "detail: {}",
        denial.detail
    );
    check_response(denial);
    denial.clone()
}

/// As [`denied`], and the detail code (logs and `explain` only).
#[track_caller]
fn denied_with(d: &Decision, status: u16, reason: &str, detail: &str) -> Denial {
    let denial = denied(d, status, reason);
    assert_eq!(denial.detail, detail);
    denial
}

/// The forwarded request carries no credential: no `Authorization`, no `CloudFront-*`,
/// `__Secure-edgegate-*` or `CognitoIdentityServiceProvider.*` cookie, no reserved query
/// parameter (design.md "Decisions", `Allow`).
#[track_caller]
fn check_forward(req: &ViewerRequest) {
    assert!(!req.headers.contains_key("authorization"));
    let jar = CookieJar::parse(req.header_values("cookie"));
    for (name, _) in jar.pairs() {
        assert!(
            !name.starts_with("CloudFront-")
                && !name.starts_with("__Secure-edgegate-")
                && !name.starts_with("CognitoIdentityServiceProvider."),
            "cookie {name} forwarded"
        );
    }
    for pair in req.querystring.split('&') {
        let name = pair.split_once('=').map_or(pair, |(n, _)| n);
        assert!(!RESERVED_QUERY_PARAMS.contains(&name), "{name} forwarded");
    }
}

/// Asserts an allow with this reason and detail, and a clean forwarded request.
#[track_caller]
fn allowed(d: &Decision, reason: &str, detail: &str) -> ForwardRequest {
    let Decision::Allow(forward) = d else {
        panic!("expected allow ({detail}), got {d:?}");
    };
    assert_eq!(d.status(), 200);
    assert_eq!((d.reason().as_str(), d.detail()), (reason, detail));
    check_forward(&forward.request);
    forward.clone()
}

/// No 8-byte piece of `secret` appears in what leaves the gate: the generated response or
/// forwarded request, and the `explain`/log JSON (design.md: never a token, signature or
/// policy in a response; catalogue I-3).
#[track_caller]
fn assert_no_leak(d: &Decision, secret: &str) {
    assert!(secret.len() >= 8);
    let outputs = [
        d.explain().to_string(),
        match d {
            Decision::Deny(denial) => serde_json::to_string(&denial.to_response()),
            Decision::Allow(forward) => serde_json::to_string(&forward.request),
            Decision::Redirect(r) => serde_json::to_string(&r.to_response()),
        }
        .expect("serialises"),
    ];
    for window in secret.as_bytes().windows(8) {
        let piece = std::str::from_utf8(window).expect("ASCII credential");
        for out in &outputs {
            assert!(!out.contains(piece), "{piece:?} leaked into {out}");
        }
    }
}

fn downloader() -> String {
    token(&["downloaders"])
}

// --- routes -----------------------------------------------------------------------------------

#[test]
fn route_matches_whole_segments_only_no_route() {
    let t = downloader();
    for path in [
        "/releases-old/app.zip",
        "/releasesX",
        "/shared-files/x",
        "/publicity",
    ] {
        let d = run(Req::get(path).bearer(&t));
        denied_with(&d, 403, "no_route", "no_route");
        assert_eq!(d.route(), None, "{path}");
    }
}

#[test]
fn route_uncovered_paths_no_route() {
    for path in ["/", "/index.html", "/other/x", "/sharedfiles"] {
        denied_with(&run(Req::get(path)), 403, "no_route", "no_route");
        denied(&run(Req::get(path).bearer(&downloader())), 403, "no_route");
        let cookies = prefix_cookies("/shared");
        denied(&run(Req::get(path).cookies(&cookies)), 403, "no_route");
    }
}

#[test]
fn route_prefix_is_case_sensitive_no_route() {
    let t = downloader();
    for path in [
        "/Releases/app.zip",
        "/RELEASES",
        "/PUBLIC/readme.txt",
        "/Shared/x",
    ] {
        denied(&run(Req::get(path).bearer(&t)), 403, "no_route");
    }
}

#[test]
fn route_prefix_itself_and_trailing_slash_are_covered() {
    for path in ["/releases", "/releases/"] {
        let d = run(Req::get(path));
        denied_with(&d, 401, "missing_credential", "no_credential");
        assert_eq!(d.route(), Some("/releases"));
    }
    for path in ["/public", "/public/"] {
        allowed(&run(Req::get(path)), "public", "public_route");
    }
}

#[test]
fn route_longest_prefix_releases_internal_needs_staff() {
    let downloader = downloader();
    for path in [
        "/releases/internal",
        "/releases/internal/",
        "/releases/internal/x.zip",
    ] {
        let d = run(Req::get(path).bearer(&downloader));
        denied_with(&d, 403, "forbidden", "not_in_group");
        assert_eq!(d.route(), Some("/releases/internal"));
    }
    let staff = token(&["staff"]);
    let f = allowed(
        &run(Req::get("/releases/internal/x.zip").bearer(&staff)),
        "ok",
        "valid_token",
    );
    assert_eq!(f.route, "/releases/internal");
    // Not a prefix of /releases/internal on whole segments: /releases applies.
    let d = run(Req::get("/releases/internals/x.zip").bearer(&downloader));
    assert_eq!(allowed(&d, "ok", "valid_token").route, "/releases");
}

#[test]
fn route_groups_do_not_inherit_from_longer_prefix() {
    // A staff-only token is not a downloader: /releases needs "downloaders".
    let d = run(Req::get("/releases/1.0.0/app.zip").bearer(&token(&["staff"])));
    denied_with(&d, 403, "forbidden", "not_in_group");
}

#[test]
fn route_is_chosen_by_path_not_query() {
    // Catalogue PATH-07: the query never picks the route.
    let d = run(Req::get("/releases/app.zip").query("next=/public/readme.txt"));
    denied(&d, 401, "missing_credential");
    denied(
        &run(Req::get("/other").query("x=/public/")),
        403,
        "no_route",
    );
}

#[test]
fn route_encoded_hash_is_literal_path() {
    // `%23` in a path is a literal `#`, not a fragment (PATH-07).
    denied(
        &run(Req::get("/releases/app.zip%23/public")),
        401,
        "missing_credential",
    );
    denied(&run(Req::get("/public%23x")), 403, "no_route");
}

#[test]
fn route_forwarding_headers_and_health_check_agents_grant_nothing() {
    // Catalogue PATH-10 and PATH-12: only `uri` and `clientIp` count.
    let req = Req::get("/releases/app.zip")
        .header("x-original-url", "/public/readme.txt")
        .header("x-forwarded-uri", "/public/readme.txt")
        .header("x-rewrite-url", "/public/readme.txt")
        .header("x-forwarded-host", "other.example.com")
        .header("x-forwarded-for", "127.0.0.1")
        .without_header("user-agent")
        .header("user-agent", "ELB-HealthChecker/2.0");
    denied_with(&run(req), 401, "missing_credential", "no_credential");
}

// --- public routes ----------------------------------------------------------------------------

#[test]
fn public_route_without_credential_ok() {
    let d = run(Req::get("/public/readme.txt"));
    let f = allowed(&d, "public", "public_route");
    assert_eq!(f.identity, Identity::Anonymous);
    assert_eq!(f.route, "/public");
    assert_eq!(f.request, Req::get("/public/readme.txt").build());
}

#[test]
fn public_route_ignores_and_strips_every_credential() {
    let cookies = prefix_cookies("/public");
    let req = Req::get("/public/readme.txt")
        .bearer("not-a-valid-token")
        .cookie(&format!("theme=dark; {}", cookie_header(&cookies)))
        .cookie("__Secure-edgegate-refresh=r1; CognitoIdentityServiceProvider.c.alice.idToken=t")
        .cookie("lang=en")
        .query("a=1&Expires=1&b=2&Signature=x&Key-Pair-Id=K&Policy=p&Hash-Algorithm=SHA256&c=3");
    let f = allowed(&run(req), "public", "public_route");
    assert_eq!(f.request.querystring, "a=1&b=2&c=3");
    assert_eq!(f.request.header("cookie"), Some("theme=dark; lang=en"));
}

#[test]
fn public_route_credentials_only_leaves_no_cookie_header_and_empty_query() {
    let req = Req::get("/public/readme.txt")
        .cookie("CloudFront-Policy=p; CloudFront-Signature=s; CloudFront-Key-Pair-Id=K")
        .query("Expires=1&Signature=x&Key-Pair-Id=K");
    let f = allowed(&run(req), "public", "public_route");
    assert!(!f.request.headers.contains_key("cookie"));
    assert_eq!(f.request.querystring, "");
}

#[test]
fn public_route_any_method_ok() {
    // 405 is for gated routes only (design.md "Decisions").
    for method in ["POST", "PUT", "OPTIONS"] {
        allowed(
            &run(Req::get("/public/readme.txt").method(method)),
            "public",
            "public_route",
        );
    }
}

// --- methods ----------------------------------------------------------------------------------

#[test]
fn gated_route_methods_other_than_get_head_405_with_allow() {
    let t = downloader();
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get"] {
        let d = run(Req::get("/releases/app.zip").method(method).bearer(&t));
        denied_with(&d, 405, "bad_request", "method_not_allowed");
        let d = run(Req::for_url(&url).method(method));
        denied_with(&d, 405, "bad_request", "method_not_allowed");
    }
}

#[test]
fn gated_route_head_with_valid_token_ok() {
    let d = run(Req::get("/releases/app.zip")
        .method("HEAD")
        .bearer(&downloader()));
    assert_eq!(allowed(&d, "ok", "valid_token").request.method, "HEAD");
}

// --- bearer tokens ----------------------------------------------------------------------------

#[test]
fn bearer_valid_token_in_group_ok() {
    let t = downloader();
    let d = run(Req::get("/releases/1.0.0/app.zip").bearer(&t));
    let f = allowed(&d, "ok", "valid_token");
    assert_eq!(f.route, "/releases");
    match &f.identity {
        Identity::Cognito {
            source,
            sub,
            username,
            token_use,
            client_id,
            groups,
            expires_at,
            ..
        } => {
            assert_eq!(*source, "bearer");
            assert_eq!(sub, "6f1d2c3b-0000-4000-8000-000000000001");
            assert_eq!(username.as_deref(), Some("alice"));
            assert_eq!(*token_use, "id");
            assert_eq!(client_id, CLIENT_ID);
            assert_eq!(groups, &["downloaders"]);
            assert_eq!(*expires_at, NOW + 3600);
        }
        other => panic!("{other:?}"),
    }
    assert_no_leak(&d, &t);
}

#[test]
fn bearer_valid_access_token_in_group_ok() {
    let t = jwt(&access_claims(&["downloaders"]));
    let d = run(Req::get("/releases/app.zip").bearer(&t));
    let f = allowed(&d, "ok", "valid_token");
    assert!(matches!(
        f.identity,
        Identity::Cognito {
            token_use: "access",
            ..
        }
    ));
}

#[test]
fn bearer_token_in_any_of_several_groups_ok() {
    let t = token(&["auditors", "downloaders"]);
    allowed(
        &run(Req::get("/releases/app.zip").bearer(&t)),
        "ok",
        "valid_token",
    );
    let both = token(&["staff", "downloaders"]);
    allowed(
        &run(Req::get("/releases/internal/x").bearer(&both)),
        "ok",
        "valid_token",
    );
}

#[test]
fn bearer_scheme_is_case_insensitive_ok() {
    // RFC 6750 §2.1 / RFC 9110 §11.1; catalogue TX-01 "bearer <t>".
    let t = downloader();
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        let req = Req::get("/releases/app.zip").header("authorization", &format!("{scheme} {t}"));
        allowed(&run(req), "ok", "valid_token");
    }
}

#[test]
fn bearer_token_outside_route_groups_forbidden() {
    // Authenticated but unauthorised is 403, never 401 or a redirect (field report B27).
    let no_groups = jwt(&with_claim(id_claims(&[]), "cognito:groups", json!(null)));
    for t in [
        token(&["staff"]),
        token(&[]),
        token(&["Downloaders"]),
        token(&["downloaders-old"]),
        no_groups,
    ] {
        let d = run(Req::get("/releases/app.zip").bearer(&t));
        let denial = denied_with(&d, 403, "forbidden", "not_in_group");
        assert!(matches!(denial.identity, Some(Identity::Cognito { .. })));
        assert_no_leak(&d, &t);
    }
}

#[test]
fn bearer_missing_on_groups_route_401_missing_credential() {
    for path in ["/releases/app.zip", "/releases/internal/x"] {
        let d = run(Req::get(path));
        denied_with(&d, 401, "missing_credential", "no_credential");
    }
    // Unrelated cookies are no credential either.
    let d = run(Req::get("/releases/app.zip").cookie("theme=dark; CloudFront-Foo=1"));
    denied_with(&d, 401, "missing_credential", "no_credential");
}

#[test]
fn bearer_invalid_tokens_401_invalid_credential() {
    let valid = id_claims(&["downloaders"]);
    let header_none = encode_b64url(br#"{"alg":"none","kid":"edgegate-test-1"}"#);
    let payload = encode_b64url(valid.to_string().as_bytes());
    let good = jwt(&valid);
    let (signing_input, signature) = good.rsplit_once('.').unwrap();
    let staff_payload = encode_b64url(id_claims(&["staff"]).to_string().as_bytes());
    let (header, _) = good.split_once('.').unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "expired",
            jwt(&with_claim(valid.clone(), "exp", json!(NOW - 1))),
            "expired",
        ),
        (
            "exp == now",
            jwt(&with_claim(valid.clone(), "exp", json!(NOW))),
            "expired",
        ),
        (
            "nbf future",
            jwt(&with_claim(valid.clone(), "nbf", json!(NOW + 60))),
            "not_yet_valid",
        ),
        (
            "iat future",
            jwt(&with_claim(valid.clone(), "iat", json!(NOW + 60))),
            "issued_in_future",
        ),
        (
            "updated issuer",
            jwt(&with_claim(
                valid.clone(),
                "iss",
                json!(format!(
                    "https://issuer-cognito-idp.{REGION}.amazonaws.com/{USER_POOL_ID}"
                )),
            )),
            "wrong_issuer",
        ),
        (
            "other client",
            jwt(&with_claim(valid.clone(), "aud", json!(OTHER_CLIENT_ID))),
            "wrong_audience",
        ),
        (
            "token_use refresh",
            jwt(&with_claim(valid.clone(), "token_use", json!("refresh"))),
            "wrong_token_use",
        ),
        (
            "wrong key",
            jwt_signed_by(Key::CfRsa, KID, &valid),
            "bad_signature",
        ),
        (
            "unknown kid",
            jwt_signed_by(Key::Cognito, "rotated-away", &valid),
            "unknown_kid",
        ),
        (
            "payload swapped",
            format!("{header}.{staff_payload}.{signature}"),
            "bad_signature",
        ),
        (
            "signature flipped",
            format!("{signing_input}.{}", flip_char(signature, 20)),
            "bad_signature",
        ),
        (
            "alg none",
            format!("{header_none}.{payload}.{signature}"),
            "unsupported_algorithm",
        ),
        (
            "alg none unsigned",
            format!("{header_none}.{payload}."),
            "malformed",
        ),
        ("two segments", format!("{header}.{payload}"), "malformed"),
        ("garbage", "not-a-token-at-all".to_string(), "malformed"),
    ];
    for (name, t, detail) in cases {
        let d = run(Req::get("/releases/app.zip").bearer(&t));
        let denial = denied(&d, 401, "invalid_credential");
        assert_eq!(denial.detail, detail, "{name}");
        assert_eq!(denial.identity, None, "{name}");
        assert_no_leak(&d, &t);
    }
}

#[test]
fn bearer_grammar_variants_401_invalid_credential() {
    // Catalogue TX-01: one strict grammar, `Bearer <token>` with exactly one space.
    let t = downloader();
    for value in [
        format!("Bearer  {t}"),
        format!("Bearer {t} "),
        format!(" Bearer {t}"),
        format!("Bearer\t{t}"),
        format!("Bearer {t},Bearer {t}"),
        format!("Bearer {t}, Bearer {t}"),
        format!("Bearer \"{t}\""),
        format!("Token {t}"),
        "Basic ZG93bmxvYWRlcjpodW50ZXIy".to_string(),
        "Bearer".to_string(),
        "Bearer ".to_string(),
        String::new(),
    ] {
        let d = run(Req::get("/releases/app.zip").header("authorization", &value));
        denied_with(&d, 401, "invalid_credential", "authorization_not_bearer");
        assert_no_leak(&d, &t);
    }
}

#[test]
fn bearer_several_authorization_entries_400_bad_request() {
    // Catalogue TX-01: two `authorization` entries are ambiguous, even when both are valid.
    let t = downloader();
    let both_valid = Req::get("/releases/app.zip").bearer(&t).bearer(&t);
    denied_with(
        &run(both_valid),
        400,
        "bad_request",
        "multiple_authorization_headers",
    );
    let one_empty = Req::get("/releases/app.zip")
        .bearer(&t)
        .header("authorization", "");
    denied_with(
        &run(one_empty),
        400,
        "bad_request",
        "multiple_authorization_headers",
    );
}

#[test]
fn bearer_valid_token_on_signed_route_forbidden() {
    // `signed`: admitted only by a signed URL or signed cookies.
    let t = token(&["downloaders", "staff"]);
    let d = run(Req::get("/shared/notes.txt").bearer(&t));
    denied_with(&d, 403, "forbidden", "bearer_not_accepted_on_signed_route");
    assert_no_leak(&d, &t);
}

#[test]
fn bearer_decides_before_cookies_on_signed_route_forbidden() {
    // Precedence: an Authorization header decides before the cookies, with no fallback.
    let req = Req::get("/shared/notes.txt")
        .bearer(&downloader())
        .cookies(&prefix_cookies("/shared"));
    denied(&run(req), 403, "forbidden");
}

#[test]
fn bearer_invalid_with_valid_cookies_401_no_fallback() {
    // Catalogue TX-03: a present but invalid credential is never skipped.
    let expired = jwt(&with_claim(
        id_claims(&["downloaders"]),
        "exp",
        json!(NOW - 10),
    ));
    let req = Req::get("/releases/app.zip")
        .bearer(&expired)
        .cookies(&prefix_cookies("/releases"));
    denied_with(&run(req), 401, "invalid_credential", "expired");
    let req = Req::get("/releases/app.zip")
        .header("authorization", "Basic ZG93bmxvYWRlcg==")
        .cookies(&prefix_cookies("/releases"));
    denied(&run(req), 401, "invalid_credential");
}

#[test]
fn bearer_valid_with_invalid_cookies_ok_and_strips_them() {
    let req = Req::get("/releases/app.zip")
        .bearer(&downloader())
        .cookie("CloudFront-Policy=bad; CloudFront-Signature=bad; CloudFront-Policy=dup; a=1");
    let f = allowed(&run(req), "ok", "valid_token");
    assert_eq!(f.request.header("cookie"), Some("a=1"));
}

#[test]
fn bearer_token_over_16k_400_too_large_on_every_route() {
    // Size caps before any decoding: token 16 KiB; larger is 400 too_large.
    let big = "a".repeat(16 * 1024 + 1);
    let odd = format!("{}!", "a".repeat(16 * 1024));
    for path in [
        "/releases/app.zip",
        "/releases/internal/x",
        "/shared/notes.txt",
    ] {
        for t in [&big, &odd] {
            let d = run(Req::get(path).bearer(t));
            denied_with(&d, 400, "too_large", "token_too_large");
        }
    }
}

#[test]
fn bearer_token_of_exactly_16k_is_not_too_large() {
    let at_cap = "a".repeat(16 * 1024);
    let d = run(Req::get("/releases/app.zip").bearer(&at_cap));
    denied_with(&d, 401, "invalid_credential", "malformed");
}

// --- signed URLs ------------------------------------------------------------------------------

#[test]
fn signed_url_canned_rsa_sha1_ok() {
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let d = run(Req::for_url(&url));
    let f = allowed(&d, "ok", "valid_signed_url");
    assert_eq!(f.route, "/shared");
    assert_eq!(f.request.querystring, "");
    match &f.identity {
        Identity::Signed {
            source,
            key_pair_id,
            policy,
            expires_at,
            ..
        } => {
            assert_eq!(*source, CredentialSource::Url);
            assert_eq!(key_pair_id, KP_RSA);
            assert_eq!(*policy, "canned");
            assert_eq!(*expires_at, NOW + 600);
        }
        other => panic!("{other:?}"),
    }
    assert_no_leak(&d, param(&query_pairs(&url), "Signature"));
}

#[test]
fn signed_url_canned_rsa_sha256_ok() {
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha256,
    );
    allowed(&run(Req::for_url(&url)), "ok", "valid_signed_url");
}

#[test]
fn signed_url_custom_ecdsa_wildcard_ok() {
    let resource = site_url("/shared/*");
    let url = signed_url(
        &site_url("/shared/a/b.txt"),
        &custom(&resource, NOW + 600, None, None),
        Key::CfEc,
        HashAlgorithm::Sha256,
    );
    let d = run(Req::for_url(&url));
    let f = allowed(&d, "ok", "valid_signed_url");
    assert!(matches!(
        f.identity,
        Identity::Signed { policy: "custom", ref key_pair_id, .. } if key_pair_id == KP_EC
    ));
    let pairs = query_pairs(&url);
    assert_no_leak(&d, param(&pairs, "Signature"));
    assert_no_leak(&d, param(&pairs, "Policy"));
}

#[test]
fn signed_url_on_groups_route_ok_without_groups() {
    // The signer already decided: groups don't apply to signed credentials.
    let url = signed_url(
        &site_url("/releases/internal/build.zip"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let f = allowed(&run(Req::for_url(&url)), "ok", "valid_signed_url");
    assert_eq!(f.route, "/releases/internal");
}

#[test]
fn signed_url_keeps_application_params_in_order() {
    let url = signed_url(
        &site_url("/shared/notes.txt?b=2&a=1"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let f = allowed(&run(Req::for_url(&url)), "ok", "valid_signed_url");
    assert_eq!(f.request.querystring, "b=2&a=1");
    // The signing parameters may come in any order, interleaved with the others.
    let pairs = query_pairs(&url);
    let query = format!(
        "Signature={}&b=2&Key-Pair-Id={}&a=1&Expires={}",
        param(&pairs, "Signature"),
        param(&pairs, "Key-Pair-Id"),
        param(&pairs, "Expires"),
    );
    let f = allowed(
        &run(Req::get("/shared/notes.txt").query(&query)),
        "ok",
        "valid_signed_url",
    );
    assert_eq!(f.request.querystring, "b=2&a=1");
}

#[test]
fn signed_url_query_param_added_after_signing_forbidden() {
    // Catalogue SIG-08: "If you add a query string to a signed URL after signing it, the URL
    // returns an HTTP 403."
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let appended = format!("{url}&x=1");
    denied_with(
        &run(Req::for_url(&appended)),
        403,
        "invalid_credential",
        "bad_signature",
    );
    let prepended = url.replacen('?', "?debug=1&", 1);
    denied_with(
        &run(Req::for_url(&prepended)),
        403,
        "invalid_credential",
        "bad_signature",
    );
    // Reordering application parameters changes the resource too.
    let url = signed_url(
        &site_url("/shared/notes.txt?a=1&b=2"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let swapped = url.replacen("a=1&b=2", "b=2&a=1", 1);
    denied(&run(Req::for_url(&swapped)), 403, "invalid_credential");
}

#[test]
fn signed_url_custom_policy_ending_in_star_allows_added_param_ok() {
    // A Resource ending in `*` matches any query (platform-facts: "unless the Resource ends in *").
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &custom(&site_url("/shared/notes.txt*"), NOW + 600, None, None),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let f = allowed(
        &run(Req::for_url(&format!("{url}&v=2"))),
        "ok",
        "valid_signed_url",
    );
    assert_eq!(f.request.querystring, "v=2");
}

#[test]
fn signed_url_for_another_path_forbidden() {
    let canned_url = signed_url(
        &site_url("/shared/a.txt"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let moved = canned_url.replacen("/shared/a.txt", "/shared/b.txt", 1);
    denied_with(
        &run(Req::for_url(&moved)),
        403,
        "invalid_credential",
        "bad_signature",
    );
    let custom_url = signed_url(
        &site_url("/shared/a/x.txt"),
        &custom(&site_url("/shared/a/*"), NOW + 600, None, None),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let moved = custom_url.replacen("/shared/a/x.txt", "/shared/b/x.txt", 1);
    denied_with(
        &run(Req::for_url(&moved)),
        403,
        "invalid_credential",
        "resource_mismatch",
    );
    // Case matters (catalogue SIG-13).
    let upper = custom_url.replacen("/shared/a/x.txt", "/shared/A/x.txt", 1);
    denied(&run(Req::for_url(&upper)), 403, "invalid_credential");
}

#[test]
fn signed_url_for_another_host_forbidden() {
    // The resource is rebuilt with the host as requested (catalogue SIG-13).
    let for_cloudfront_domain = signed_url(
        "https://d111111abcdef8.cloudfront.net/shared/notes.txt",
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let query = for_cloudfront_domain.split_once('?').unwrap().1;
    let d = run(Req::get("/shared/notes.txt").query(query));
    denied_with(&d, 403, "invalid_credential", "bad_signature");
    let other_host = signed_url(
        "https://other.example.com/shared/notes.txt",
        &custom("https://other.example.com/shared/*", NOW + 600, None, None),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let query = other_host.split_once('?').unwrap().1;
    let d = run(Req::get("/shared/notes.txt").query(query));
    denied_with(&d, 403, "invalid_credential", "resource_mismatch");
    // Signed for http:// while the site is https.
    let http = signed_url(
        &format!("http://{SITE}/shared/notes.txt"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let query = http.split_once('?').unwrap().1;
    denied(
        &run(Req::get("/shared/notes.txt").query(query)),
        403,
        "invalid_credential",
    );
    // The right URL requested through another Host header.
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let req = Req::for_url(&url)
        .without_header("host")
        .header("host", "d111111abcdef8.cloudfront.net");
    denied(&run(req), 403, "invalid_credential");
}

#[test]
fn signed_url_expiry_is_exclusive_and_checked_at_request_time() {
    let sign = |expires| {
        signed_url(
            &site_url("/shared/notes.txt"),
            &canned(expires),
            Key::CfRsa,
            HashAlgorithm::Sha1,
        )
    };
    denied_with(
        &run(Req::for_url(&sign(NOW - 1))),
        403,
        "invalid_credential",
        "expired",
    );
    denied_with(
        &run(Req::for_url(&sign(NOW))),
        403,
        "invalid_credential",
        "expired",
    );
    allowed(&run(Req::for_url(&sign(NOW + 1))), "ok", "valid_signed_url");
    // The same URL, later.
    let url = sign(NOW + 600);
    denied_with(
        &run_at(Req::for_url(&url), NOW + 600),
        403,
        "invalid_credential",
        "expired",
    );
}

#[test]
fn signed_url_custom_date_greater_than_is_inclusive() {
    let sign = |start| {
        signed_url(
            &site_url("/shared/notes.txt"),
            &custom(&site_url("/shared/*"), NOW + 600, Some(start), None),
            Key::CfRsa,
            HashAlgorithm::Sha1,
        )
    };
    denied_with(
        &run(Req::for_url(&sign(NOW + 1))),
        403,
        "invalid_credential",
        "not_yet_valid",
    );
    allowed(&run(Req::for_url(&sign(NOW))), "ok", "valid_signed_url");
}

#[test]
fn signed_url_ip_restricted_policy_ipv6_client_forbidden() {
    // Catalogue SIG-07: IpAddress is IPv4 only; an IPv6 viewer never matches.
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &custom(
            &site_url("/shared/*"),
            NOW + 600,
            None,
            Some("192.0.2.0/24"),
        ),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    allowed(&run(Req::for_url(&url)), "ok", "valid_signed_url");
    for ip in ["2001:db8::1", "::ffff:192.0.2.10", "198.51.100.7"] {
        let d = run(Req::for_url(&url).client_ip(ip));
        denied_with(&d, 403, "invalid_credential", "ip_mismatch");
    }
}

#[test]
fn signed_url_ip_restriction_uses_client_ip_not_forwarded_for() {
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &custom(
            &site_url("/shared/*"),
            NOW + 600,
            None,
            Some("192.0.2.0/24"),
        ),
        Key::CfEc,
        HashAlgorithm::Sha256,
    );
    let req = Req::for_url(&url)
        .client_ip("198.51.100.7")
        .header("x-forwarded-for", "192.0.2.10")
        .header("x-real-ip", "192.0.2.10");
    denied_with(&run(req), 403, "invalid_credential", "ip_mismatch");
}

#[test]
fn signed_url_unknown_key_pair_id_forbidden() {
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let other = with_param(&url, "Key-Pair-Id", Some(KP_UNKNOWN));
    denied_with(
        &run(Req::for_url(&other)),
        403,
        "invalid_credential",
        "unknown_key_pair_id",
    );
}

#[test]
fn signed_url_signed_by_untrusted_key_forbidden() {
    // The pool key signs, claiming the trusted RSA key's id.
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &canned(NOW + 600),
        Key::Cognito,
        HashAlgorithm::Sha1,
    );
    assert_eq!(param(&query_pairs(&url), "Key-Pair-Id"), KP_RSA);
    denied_with(
        &run(Req::for_url(&url)),
        403,
        "invalid_credential",
        "bad_signature",
    );
    // The ECDSA key's id with an RSA signature.
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha256,
    );
    let swapped = with_param(&url, "Key-Pair-Id", Some(KP_EC));
    denied_with(
        &run(Req::for_url(&swapped)),
        403,
        "invalid_credential",
        "bad_signature",
    );
}

#[test]
fn signed_url_ecdsa_without_sha256_forbidden() {
    // design.md: ECDSA keys are accepted only with Hash-Algorithm=SHA256.
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &canned(NOW + 600),
        Key::CfEc,
        HashAlgorithm::Sha256,
    );
    allowed(&run(Req::for_url(&url)), "ok", "valid_signed_url");
    let sha1 = with_param(&url, "Hash-Algorithm", None);
    denied_with(
        &run(Req::for_url(&sha1)),
        403,
        "invalid_credential",
        "unsupported_algorithm",
    );
}

#[test]
fn signed_url_hash_algorithm_mismatch_forbidden() {
    // Catalogue SIG-10: an RSA-SHA1 signature claiming SHA256, and lowercase `sha256`.
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let claims_sha256 = format!("{url}&Hash-Algorithm=SHA256");
    denied_with(
        &run(Req::for_url(&claims_sha256)),
        403,
        "invalid_credential",
        "bad_signature",
    );
    for bad in ["sha256", "MD5", "SHA1"] {
        let d = run(Req::for_url(&format!("{url}&Hash-Algorithm={bad}")));
        denied_with(&d, 403, "invalid_credential", "malformed");
    }
}

#[test]
fn signed_url_tampered_parameters_forbidden() {
    // Catalogue SIG-03.
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let later = with_param(&url, "Expires", Some(&(NOW + 6000).to_string()));
    denied_with(
        &run(Req::for_url(&later)),
        403,
        "invalid_credential",
        "bad_signature",
    );
    let pairs = query_pairs(&url);
    let flipped = with_param(
        &url,
        "Signature",
        Some(&flip_char(param(&pairs, "Signature"), 40)),
    );
    denied_with(
        &run(Req::for_url(&flipped)),
        403,
        "invalid_credential",
        "bad_signature",
    );
    let custom_url = signed_url(
        &site_url("/shared/notes.txt"),
        &custom(&site_url("/shared/notes.txt"), NOW + 600, None, None),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let pairs = query_pairs(&custom_url);
    let policy = flip_char(param(&pairs, "Policy"), 30);
    let tampered = with_param(&custom_url, "Policy", Some(&policy));
    denied(&run(Req::for_url(&tampered)), 403, "invalid_credential");
}

#[test]
fn signed_url_ambiguous_parameter_sets_forbidden() {
    // Catalogue SIG-11: never "the first valid one".
    let canned_url = signed_url(
        &site_url("/shared/notes.txt"),
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let custom_url = signed_url(
        &site_url("/shared/notes.txt"),
        &custom(&site_url("/shared/*"), NOW + 600, None, None),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let sig = param(&query_pairs(&canned_url), "Signature").to_string();
    for url in [
        format!("{custom_url}&Expires={}", NOW + 600),
        format!("{canned_url}&Signature={sig}"),
        format!("{canned_url}&Key-Pair-Id={KP_RSA}"),
        with_param(&canned_url, "Signature", None),
        with_param(&canned_url, "Key-Pair-Id", None),
        with_param(&canned_url, "Expires", Some("0600")),
    ] {
        denied_with(
            &run(Req::for_url(&url)),
            403,
            "invalid_credential",
            "malformed",
        );
    }
}

#[test]
fn signed_url_reserved_param_alone_decides() {
    // Any reserved parameter makes the request a signed URL, which alone decides (as
    // CloudFront does): a valid bearer token or valid cookies beside it are not looked at.
    let t = downloader();
    for query in [
        "Expires=1",
        "Signature=abc",
        "Key-Pair-Id=KTESTRSA000001",
        "Policy",
        "a=1&Hash-Algorithm=SHA256",
    ] {
        let d = run(Req::get("/releases/app.zip").query(query).bearer(&t));
        denied_with(&d, 403, "invalid_credential", "malformed");
        let d = run(Req::get("/releases/app.zip")
            .query(query)
            .cookies(&prefix_cookies("/releases")));
        denied_with(&d, 403, "invalid_credential", "malformed");
        denied(
            &run(Req::get("/shared/notes.txt").query(query)),
            403,
            "invalid_credential",
        );
    }
}

#[test]
fn signed_url_invalid_with_valid_cookies_forbidden() {
    // Catalogue SIG-12 / TX-03: no fallback from a failed signed URL to the cookies.
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &canned(NOW - 1),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let req = Req::for_url(&url).cookies(&prefix_cookies("/shared"));
    denied_with(&run(req), 403, "invalid_credential", "expired");
}

#[test]
fn signed_url_key_pair_id_in_query_with_rest_in_cookies_forbidden() {
    // Catalogue SIG-11: parameters are never combined across the URL and the cookies.
    let cookies = prefix_cookies("/shared");
    let rest: Vec<(String, String)> = cookies
        .iter()
        .filter(|(n, _)| n != "CloudFront-Key-Pair-Id")
        .cloned()
        .collect();
    let req = Req::get("/shared/notes.txt")
        .query(&format!("Key-Pair-Id={KP_RSA}"))
        .cookies(&rest);
    denied_with(&run(req), 403, "invalid_credential", "malformed");
}

#[test]
fn signed_url_reserved_names_are_case_sensitive() {
    // `expires`, `signature` are ordinary parameters: no signed URL here.
    let d = run(Req::get("/shared/notes.txt").query("expires=1&signature=x&key-pair-id=K"));
    denied_with(&d, 403, "missing_credential", "no_signature");
    let d = run(Req::get("/releases/app.zip")
        .query("expires=1")
        .bearer(&downloader()));
    assert_eq!(
        allowed(&d, "ok", "valid_token").request.querystring,
        "expires=1"
    );
}

// --- signed cookies ---------------------------------------------------------------------------

#[test]
fn signed_cookies_custom_policy_ok() {
    let cookies = prefix_cookies("/shared");
    let d = run(Req::get("/shared/notes.txt").cookies(&cookies));
    let f = allowed(&d, "ok", "valid_signed_cookies");
    assert!(matches!(
        f.identity,
        Identity::Signed { source: CredentialSource::Cookie, policy: "custom", expires_at, .. }
            if expires_at == NOW + 3600
    ));
    assert!(!f.request.headers.contains_key("cookie"));
    assert_no_leak(&d, param(&cookies, "CloudFront-Policy"));
    assert_no_leak(&d, param(&cookies, "CloudFront-Signature"));
}

#[test]
fn signed_cookies_ecdsa_sha256_ok() {
    let cookies = signed_cookies(
        "",
        &custom(&site_url("/shared/*"), NOW + 3600, None, None),
        Key::CfEc,
        HashAlgorithm::Sha256,
    );
    allowed(
        &run(Req::get("/shared/notes.txt").cookies(&cookies)),
        "ok",
        "valid_signed_cookies",
    );
}

#[test]
fn signed_cookies_canned_policy_covers_exactly_one_url() {
    let resource = site_url("/shared/notes.txt");
    let cookies = signed_cookies(
        &resource,
        &canned(NOW + 600),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    allowed(
        &run(Req::get("/shared/notes.txt").cookies(&cookies)),
        "ok",
        "valid_signed_cookies",
    );
    let d = run(Req::get("/shared/notes.txt").query("v=2").cookies(&cookies));
    denied_with(&d, 403, "invalid_credential", "bad_signature");
    let d = run(Req::get("/shared/other.txt").cookies(&cookies));
    denied_with(&d, 403, "invalid_credential", "bad_signature");
}

#[test]
fn signed_cookies_wildcard_covers_query_ok() {
    let d = run(Req::get("/shared/notes.txt")
        .query("v=2&w=3")
        .cookies(&prefix_cookies("/shared")));
    let f = allowed(&d, "ok", "valid_signed_cookies");
    assert_eq!(f.request.querystring, "v=2&w=3");
}

#[test]
fn signed_cookies_one_header_entry_per_cookie_ok() {
    // HTTP/2 sends one `cookie` entry per cookie (catalogue TX-02).
    let mut req = Req::get("/shared/notes.txt");
    for (name, value) in prefix_cookies("/shared") {
        req = req.cookie(&format!("{name}={value}"));
    }
    allowed(&run(req), "ok", "valid_signed_cookies");
}

#[test]
fn signed_cookies_split_across_entries_ok() {
    let c = prefix_cookies("/shared");
    let req = Req::get("/shared/notes.txt")
        .cookie(&format!(
            "theme=dark; CloudFront-Policy={}",
            param(&c, "CloudFront-Policy")
        ))
        .cookie(&format!(
            "CloudFront-Signature={}; CloudFront-Key-Pair-Id={}; lang=en",
            param(&c, "CloudFront-Signature"),
            param(&c, "CloudFront-Key-Pair-Id")
        ));
    let f = allowed(&run(req), "ok", "valid_signed_cookies");
    assert_eq!(f.request.header("cookie"), Some("theme=dark; lang=en"));
    assert_eq!(f.request.header_values("cookie").count(), 1);
}

#[test]
fn signed_cookies_cover_groups_route_without_groups_ok() {
    let d = run(Req::get("/releases/internal/build.zip").cookies(&prefix_cookies("/releases")));
    assert_eq!(
        allowed(&d, "ok", "valid_signed_cookies").route,
        "/releases/internal"
    );
}

#[test]
fn signed_cookies_duplicate_names_forbidden() {
    // design.md: duplicate CloudFront-* cookie names are an invalid cookie credential, even
    // when every copy would verify (field reports B01, B05; catalogue CK-05).
    let shared = prefix_cookies("/shared");
    let stale = prefix_cookies("/releases");
    let cases = [
        Req::get("/shared/notes.txt").cookie(&format!(
            "{}; {}",
            cookie_header(&shared),
            cookie_header(&shared)
        )),
        Req::get("/shared/notes.txt")
            .cookies(&shared)
            .cookies(&shared),
        Req::get("/shared/notes.txt")
            .cookies(&shared)
            .cookies(&stale),
        Req::get("/shared/notes.txt")
            .cookies(&shared)
            .cookie(&format!("CloudFront-Key-Pair-Id={KP_RSA}")),
    ];
    for req in cases {
        let d = run(req);
        denied_with(&d, 403, "invalid_credential", "duplicate_cookies");
        assert_no_leak(&d, param(&shared, "CloudFront-Signature"));
    }
}

#[test]
fn signed_cookies_policy_and_expires_both_forbidden() {
    let mut cookies = prefix_cookies("/shared");
    cookies.push(("CloudFront-Expires".to_string(), (NOW + 600).to_string()));
    let d = run(Req::get("/shared/notes.txt").cookies(&cookies));
    denied_with(&d, 403, "invalid_credential", "malformed");
}

#[test]
fn signed_cookies_invalid_forbidden() {
    let expired = signed_cookies(
        "",
        &custom(&site_url("/shared/*"), NOW, None, None),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let d = run(Req::get("/shared/notes.txt").cookies(&expired));
    denied_with(&d, 403, "invalid_credential", "expired");

    let mut flipped = prefix_cookies("/shared");
    flipped[2].1 = flip_char(&flipped[2].1, 40);
    assert_eq!(flipped[2].0, "CloudFront-Signature");
    let d = run(Req::get("/shared/notes.txt").cookies(&flipped));
    denied_with(&d, 403, "invalid_credential", "bad_signature");

    let d = run(Req::get("/releases/app.zip").cookies(&prefix_cookies("/shared")));
    denied_with(&d, 403, "invalid_credential", "resource_mismatch");

    let quoted: Vec<(String, String)> = prefix_cookies("/shared")
        .into_iter()
        .map(|(n, v)| {
            if n == "CloudFront-Signature" {
                (n, format!("\"{v}\""))
            } else {
                (n, v)
            }
        })
        .collect();
    let d = run(Req::get("/shared/notes.txt").cookies(&quoted));
    denied_with(&d, 403, "invalid_credential", "malformed");
}

#[test]
fn signed_cookies_missing_on_signed_route_403_missing_credential() {
    // CloudFront answers 403 on a signed-only behavior; no Bearer challenge there.
    for req in [
        Req::get("/shared/notes.txt"),
        Req::get("/shared/notes.txt").cookie("theme=dark; CloudFront-Other=1"),
        // Names are case-sensitive.
        Req::get("/shared/notes.txt")
            .cookie(&cookie_header(&prefix_cookies("/shared")).to_lowercase()),
    ] {
        denied_with(&run(req), 403, "missing_credential", "no_signature");
    }
}

#[test]
fn signed_cookie_policy_over_8k_400_too_large() {
    let big = format!(
        "CloudFront-Policy={}; CloudFront-Signature=abc; CloudFront-Key-Pair-Id={KP_RSA}",
        "A".repeat(8 * 1024 + 1)
    );
    let d = run(Req::get("/shared/notes.txt").cookie(&big));
    denied(&d, 400, "too_large");
}

// --- stripping on allow -----------------------------------------------------------------------

#[test]
fn allow_strips_credentials_and_keeps_other_cookies_and_params_in_order() {
    let req = Req::get("/releases/app.zip")
        .bearer(&downloader())
        .header("x-custom", "kept")
        .cookie("theme=dark; CloudFront-Policy=x; __Secure-edgegate-refresh=r; b=2")
        .cookie("CognitoIdentityServiceProvider.abc.alice.idToken=t; CloudFront-Foo=y")
        .cookie("__Secure-edgegate-nonce-1=n; a=1; __Secure-other=keep")
        .query("z=1&y=2&x");
    let original = req.clone().build();
    let f = allowed(&run(req), "ok", "valid_token");
    assert_eq!(
        f.request.header("cookie"),
        Some("theme=dark; b=2; a=1; __Secure-other=keep")
    );
    assert_eq!(f.request.querystring, "z=1&y=2&x");
    // Nothing else changes, and no header is added (catalogue PATH-16).
    let mut expected = original;
    expected.headers.remove("authorization");
    expected.headers.remove("cookie");
    let mut got = f.request.clone();
    got.headers.remove("cookie");
    assert_eq!(got, expected);
}

#[test]
fn allow_signed_url_strips_reserved_params_and_cookies() {
    let url = signed_url(
        &site_url("/shared/notes.txt?lang=en"),
        &canned(NOW + 600),
        Key::CfEc,
        HashAlgorithm::Sha256,
    );
    let req = Req::for_url(&url).cookie("CloudFront-Policy=stale; lang=en");
    let f = allowed(&run(req), "ok", "valid_signed_url");
    assert_eq!(f.request.querystring, "lang=en");
    assert_eq!(f.request.header("cookie"), Some("lang=en"));
}

// --- canonical paths --------------------------------------------------------------------------

/// Every non-canonical input of the catalogue's PATH section (PATH-01..06), plus encoded
/// unreserved characters and malformed escapes.
const NON_CANONICAL: &[(&str, &str)] = &[
    // PATH-01 dot segments
    ("/public/../releases/app.zip", "path_dot_segment"),
    ("/releases/./app.zip", "path_dot_segment"),
    ("/releases/..", "path_dot_segment"),
    ("/public/..%2Freleases/app.zip", "path_encoded_reserved"),
    ("/%2e%2e/releases", "path_encoded_reserved"),
    ("/public/%2E%2E/releases", "path_encoded_reserved"),
    ("/public/.%2e/releases", "path_encoded_reserved"),
    // PATH-02 encoded slash, backslash
    ("/releases%2Finternal%2Fapp.zip", "path_encoded_reserved"),
    ("/releases%2finternal", "path_encoded_reserved"),
    ("/releases\\internal", "path_bad_character"),
    ("/releases%5Cinternal", "path_encoded_reserved"),
    ("/releases%5cinternal", "path_encoded_reserved"),
    // PATH-03 double encoding
    ("/%252e%252e/releases", "path_double_encoded"),
    ("/releases/%252F", "path_double_encoded"),
    ("/releases/%252e%252e/internal", "path_double_encoded"),
    // PATH-04 repeated slashes
    ("//releases/app.zip", "path_empty_segment"),
    ("/releases//app.zip", "path_empty_segment"),
    // PATH-06 control and invalid bytes
    ("/releases/%00", "path_encoded_reserved"),
    ("/releases/app.zip%00.txt", "path_encoded_reserved"),
    ("/releases/%0d%0a", "path_encoded_reserved"),
    ("/releases/%7f", "path_encoded_reserved"),
    ("/releases/%c0%ae%c0%ae/", "path_invalid_utf8"),
    ("/releases/%ed%a0%80", "path_invalid_utf8"),
    ("/releases/%ff.zip", "path_invalid_utf8"),
    ("/releases/a\u{0}b", "path_bad_character"),
    ("/releases/a\tb", "path_bad_character"),
    ("/releases/a\r\nb", "path_bad_character"),
    ("/releases/a\u{7f}b", "path_bad_character"),
    ("/releases/caf\u{e9}.zip", "path_bad_character"),
    // encoded unreserved characters: a second spelling of the same key
    ("/%72eleases/app.zip", "path_encoded_reserved"),
    ("/releases/%61pp.zip", "path_encoded_reserved"),
    ("/releases%2Dold/app.zip", "path_encoded_reserved"),
    ("/%70ublic/readme.txt", "path_encoded_reserved"),
    ("/public/readme%2Etxt", "path_encoded_reserved"),
    // other malformed input
    ("releases/app.zip", "path_not_absolute"),
    ("", "path_not_absolute"),
    ("/releases/a%zz", "path_bad_escape"),
    ("/releases/a%2", "path_bad_escape"),
    ("/releases/a b", "path_bad_character"),
    ("/releases/a#b", "path_bad_character"),
    ("/releases/a?b", "path_bad_character"),
];

#[test]
fn path_non_canonical_400_before_any_credential_check() {
    let t = downloader();
    let releases_cookies = prefix_cookies("/releases");
    for (path, detail) in NON_CANONICAL {
        for req in [
            Req::get(path),
            Req::get(path).bearer(&t),
            Req::get(path).cookies(&releases_cookies),
            Req::get(path).bearer(&t).bearer(&t),
        ] {
            let d = run(req);
            let denial = denied(&d, 400, "bad_request");
            assert_eq!(denial.detail, *detail, "{path:?}");
            assert_eq!(denial.route, None, "{path:?}");
            assert_no_leak(&d, &t);
        }
    }
}

#[test]
fn path_non_canonical_with_valid_signed_url_for_it_400() {
    // Even a signature over the very same raw URL does not make a non-canonical path acceptable.
    for path in [
        "/shared/../shared/notes.txt",
        "/shared/%2e%2e/x",
        "/shared//notes.txt",
    ] {
        let url = signed_url(
            &site_url(path),
            &canned(NOW + 600),
            Key::CfRsa,
            HashAlgorithm::Sha1,
        );
        denied(&run(Req::for_url(&url)), 400, "bad_request");
    }
}

#[test]
fn path_other_percent_escapes_ok_and_forwarded_unchanged() {
    let t = downloader();
    for path in [
        "/releases/a%20b.zip",
        "/releases/%C3%BC.zip",
        "/releases/100%25.zip",
        "/releases/a%2520b.zip",
        "/releases/a%23b",
        "/releases/v1.0.0/app..zip",
    ] {
        let f = allowed(&run(Req::get(path).bearer(&t)), "ok", "valid_token");
        assert_eq!(f.request.uri, *path);
    }
}

// --- Host ---------------------------------------------------------------------------------------

#[test]
fn host_missing_or_duplicate_400_bad_request() {
    let t = downloader();
    let missing = Req::get("/releases/app.zip")
        .without_header("host")
        .bearer(&t);
    denied_with(&run(missing), 400, "bad_request", "host");
    let twice = Req::get("/releases/app.zip")
        .header("host", SITE)
        .bearer(&t);
    denied_with(&run(twice), 400, "bad_request", "host");
    let public = Req::get("/public/readme.txt").header("host", "evil.example");
    denied_with(&run(public), 400, "bad_request", "host");
    for bad in [
        "",
        "downloads.example.com/x",
        "a b",
        "downloads.example.com\r\nx: y",
    ] {
        let req = Req::get("/releases/app.zip")
            .without_header("host")
            .header("host", bad);
        denied_with(&run(req.bearer(&t)), 400, "bad_request", "host");
    }
}

// --- size caps ----------------------------------------------------------------------------------

#[test]
fn url_over_8k_400_too_large() {
    // URL 8 KiB: URI + query of 8,192 bytes passes the cap, 8,193 does not.
    let path = |len: usize| format!("/releases/{}", "a".repeat(len - "/releases/".len()));
    denied(&run(Req::get(&path(8192))), 401, "missing_credential");
    denied_with(
        &run(Req::get(&path(8193))),
        400,
        "too_large",
        "url_too_large",
    );
    let query = "q=".to_string() + &"b".repeat(8192 - 2 - "/releases/app.zip".len());
    denied(
        &run(Req::get("/releases/app.zip").query(&query)),
        401,
        "missing_credential",
    );
    let over = format!("{query}c");
    let d = run(Req::get("/releases/app.zip")
        .query(&over)
        .bearer(&downloader()));
    denied_with(&d, 400, "too_large", "url_too_large");
    let public_over = "q".repeat(8193 - "/public/x".len());
    denied(
        &run(Req::get("/public/x").query(&public_over)),
        400,
        "too_large",
    );
}

#[test]
fn cookie_over_16k_400_too_large() {
    // Cookie header 16 KiB, all entries together.
    let cookie = |len: usize| format!("a={}", "x".repeat(len - 2));
    let d = run(Req::get("/releases/app.zip").cookie(&cookie(16 * 1024)));
    denied(&d, 401, "missing_credential");
    let d = run(Req::get("/releases/app.zip").cookie(&cookie(16 * 1024 + 1)));
    denied_with(&d, 400, "too_large", "cookie_too_large");
    let split = Req::get("/releases/app.zip")
        .cookie(&cookie(8 * 1024 + 1))
        .cookie(&cookie(8 * 1024))
        .bearer(&downloader());
    denied_with(&run(split), 400, "too_large", "cookie_too_large");
    let public = Req::get("/public/readme.txt").cookie(&cookie(16 * 1024 + 1));
    denied(&run(public), 400, "too_large");
}

// --- responses ----------------------------------------------------------------------------------

#[test]
fn deny_response_carries_only_the_reason_code() {
    // The detail (expired vs bad signature vs unknown kid) never reaches the viewer, nor does
    // any request data.
    let expired = jwt(&with_claim(
        id_claims(&["downloaders"]),
        "exp",
        json!(NOW - 1),
    ));
    let d = run(Req::get("/releases/secret-build.zip").bearer(&expired));
    let denial = denied_with(&d, 401, "invalid_credential", "expired");
    let response = serde_json::to_string(&denial.to_response()).unwrap();
    for absent in [
        "expired",
        "secret-build",
        "/releases",
        "alice",
        "downloaders",
        SITE,
    ] {
        assert!(!response.contains(absent), "{absent} in {response}");
    }
    let r = denial.to_response();
    assert_eq!(r.status_description, "Unauthorized");
    assert_eq!(r.body.as_deref(), Some("invalid_credential\n"));
}

#[test]
fn deny_response_never_contains_signed_credentials() {
    let url = signed_url(
        &site_url("/shared/notes.txt"),
        &custom(&site_url("/shared/*"), NOW - 1, None, None),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    );
    let pairs = query_pairs(&url);
    let d = run(Req::for_url(&url));
    denied(&d, 403, "invalid_credential");
    assert_no_leak(&d, param(&pairs, "Policy"));
    assert_no_leak(&d, param(&pairs, "Signature"));
    let d = run(Req::for_url(&url).method("POST"));
    denied(&d, 405, "bad_request");
    assert_no_leak(&d, param(&pairs, "Signature"));
}

#[test]
fn deny_www_authenticate_is_exact() {
    let r = match run(Req::get("/releases/app.zip")) {
        Decision::Deny(d) => d.to_response(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        values(&r, "www-authenticate"),
        [r#"Bearer realm="edgegate""#]
    );
    let r = match run(Req::get("/releases/app.zip").bearer("x.y.z")) {
        Decision::Deny(d) => d.to_response(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        values(&r, "www-authenticate"),
        [r#"Bearer realm="edgegate", error="invalid_token""#]
    );
    assert_eq!(
        r.headers["www-authenticate"][0].key.as_deref(),
        Some("WWW-Authenticate")
    );
}

#[test]
fn test_keys_public_halves_match_private_keys() {
    for key in [Key::Cognito, Key::CfRsa, Key::CfEc] {
        let (derived, committed) = (key.signing().public_key().unwrap(), key.public());
        assert_eq!(
            derived.rsa_components(),
            committed.rsa_components(),
            "{key:?}"
        );
        assert_eq!(derived.p256_point(), committed.p256_point(), "{key:?}");
    }
}
