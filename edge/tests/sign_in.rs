//! The gate's browser behaviour with `[auth]` configured (design.md "Decisions", "Browser
//! session lifecycle"; issue 4, scope 1): which requests are browser navigations, the 302 to
//! `/auth/login?return_to=`, the loop-marker page, `/auth/*` passthrough, Amplify token cookies,
//! and the `[auth]` configuration errors.
//!
//! The deployment is the shared test fixture (`common`) with routes that may nest under
//! `[auth]` and an `[auth]` section:
//!
//! | prefix | access |
//! |---|---|
//! | `/releases` | groups `downloaders` |
//! | `/releases/beta` | groups `downloaders`, `testers` |
//! | `/internal` | groups `staff` |
//! | `/shared` | signed |
//! | `/public` | public |
//!
//! Each test names the field report (shared/field-reports.md) or catalogue entry it pins.

mod common;

use common::*;
use edgegate_edge::boundary::encode_verdict;
use edgegate_edge::config::{AccessKind, AuthDoc, AuthSecretsDoc, RouteDoc};
use edgegate_edge::cookies::CookieJar;
use edgegate_edge::event::CfResponse;
use edgegate_edge::event::ViewerRequest;
use edgegate_edge::gate::{Denial, Page, Redirect, Stability, LOOP_MARKER_COOKIE};
use edgegate_edge::{decide, decide_cached, ConfigDocument, Decision, GateConfig, Identity};
use edgegate_edge::{ConfigError, VerifiedCache};
use edgegate_keys::{HashAlgorithm, RingVerifier, UnixTime};
use serde_json::json;
use std::sync::OnceLock;

const LOOP: &str = LOOP_MARKER_COOKIE;
const AMPLIFY: &str = "CognitoIdentityServiceProvider";

fn routes() -> Vec<RouteDoc> {
    let r = |prefix: &str, access, groups: Option<&[&str]>| RouteDoc {
        prefix: prefix.to_string(),
        access,
        groups: groups.map(|g| g.iter().map(|s| s.to_string()).collect()),
        scopes: None,
        networks: None,
        index: None,
        spa: None,
        issuers: None,
        claims: None,
    };
    vec![
        r("/releases", AccessKind::Groups, Some(&["downloaders"])),
        r(
            "/releases/beta",
            AccessKind::Groups,
            Some(&["downloaders", "testers"]),
        ),
        r("/internal", AccessKind::Groups, Some(&["staff"])),
        r("/shared", AccessKind::Signed, None),
        r("/public", AccessKind::Public, None),
    ]
}

fn auth_doc() -> AuthDoc {
    AuthDoc {
        hosted_ui: "https://auth.example.com".to_string(),
        client_id: CLIENT_ID.to_string(),
        key_pair_id: KP_RSA.to_string(),
        scopes: None,
        identity_provider: None,
        logout_return: None,
        amplify_cookies: None,
        state_max_age_seconds: None,
        secrets: AuthSecretsDoc {
            cloudfront_private_key: "arn:aws:secretsmanager:us-east-1:111122223333:secret:x"
                .to_string(),
            state_key: "arn:aws:secretsmanager:us-east-1:111122223333:secret:y".to_string(),
            client_secret: None,
        },
    }
}

/// The test document with the nesting-friendly routes and `[auth]`.
fn auth_document() -> ConfigDocument {
    let mut doc = document();
    doc.routes = routes();
    doc.auth = Some(auth_doc());
    doc
}

fn validate(doc: &ConfigDocument) -> Result<GateConfig, ConfigError> {
    GateConfig::from_document(doc, Some(jwks()))
}

fn cfg() -> &'static GateConfig {
    static CFG: OnceLock<GateConfig> = OnceLock::new();
    CFG.get_or_init(|| validate(&auth_document()).expect("[auth] test config validates"))
}

/// `[auth]` with `amplify_cookies = true`; the pool accepts two app clients.
fn amplify_cfg() -> &'static GateConfig {
    static CFG: OnceLock<GateConfig> = OnceLock::new();
    CFG.get_or_init(|| {
        let mut doc = auth_document();
        if let Some(c) = doc.cognito.as_mut() {
            c.app_client_ids.push(OTHER_CLIENT_ID.to_string());
        }
        if let Some(a) = doc.auth.as_mut() {
            a.amplify_cookies = Some(true);
        }
        validate(&doc).expect("amplify config validates")
    })
}

/// The same routes without `[auth]` (the pre-sign-in behaviour).
fn no_auth_cfg() -> &'static GateConfig {
    static CFG: OnceLock<GateConfig> = OnceLock::new();
    CFG.get_or_init(|| {
        let mut doc = auth_document();
        doc.auth = None;
        validate(&doc).expect("config validates")
    })
}

fn run_with(cfg: &GateConfig, req: Req) -> Decision {
    let req = req.build();
    let d = decide(&req, cfg, &RingVerifier, UnixTime(NOW));
    // The cache never changes a decision (it is what the wasm gate runs).
    let mut cache = VerifiedCache::new();
    for _ in 0..2 {
        let cached = decide_cached(&req, cfg, &RingVerifier, UnixTime(NOW), Some(&mut cache));
        assert_eq!(cached, d);
    }
    // What the handler may replay from its memo is what the gate decides throughout the window
    // (for `Always`: at any time, from any viewer address).
    match d.stability(NOW) {
        Stability::Always => {
            let mut elsewhere = req.clone();
            elsewhere.client_ip = "2001:db8::5".into();
            let verdict = |r: &ViewerRequest, t: u64| {
                let again = decide(r, cfg, &RingVerifier, UnixTime(t));
                encode_verdict(&again, r, Stability::Never)
            };
            let made = verdict(&req, NOW);
            for (r, t) in [
                (&req, 0),
                (&req, NOW + 10 * 365 * 86_400),
                (&elsewhere, NOW),
            ] {
                assert_eq!(
                    verdict(r, t),
                    made,
                    "an always-stable decision changed at {t} / {}",
                    r.client_ip
                );
            }
        }
        Stability::Between { until, .. } => {
            assert_eq!(decide(&req, cfg, &RingVerifier, UnixTime(until - 1)), d);
        }
        Stability::Never => {}
    }
    d
}

fn run(req: Req) -> Decision {
    run_with(cfg(), req)
}

/// A browser navigation ([`Req::navigate`]).
fn nav(uri: &str) -> Req {
    Req::navigate(uri)
}

/// A `fetch()` from a page: `Sec-Fetch-Mode: cors`, JSON `Accept`.
fn xhr(uri: &str) -> Req {
    Req::get(uri)
        .without_header("accept")
        .header("accept", "application/json")
        .header("sec-fetch-mode", "cors")
}

fn values<'a>(response: &'a CfResponse, name: &str) -> Vec<&'a str> {
    response
        .headers
        .get(name)
        .into_iter()
        .flatten()
        .map(|h| h.value.as_str())
        .collect()
}

/// The 302 to sign in: exact `Location`, `no-store`, no body, nothing else set.
#[track_caller]
fn expect_redirect(d: &Decision, location: &str) -> Redirect {
    let Decision::Redirect(r) = d else {
        panic!("expected a redirect to sign in, got {}", d.explain())
    };
    assert_eq!(r.location, location);
    assert_eq!(d.status(), 302);
    let resp = r.to_response();
    assert_eq!(resp.status, "302");
    assert_eq!(values(&resp, "location"), [location]);
    assert_eq!(values(&resp, "cache-control"), ["no-store"]);
    assert!(resp.body.is_none());
    assert!(values(&resp, "set-cookie").is_empty());
    r.clone()
}

#[track_caller]
fn expect_redirected(d: &Decision) {
    assert!(
        matches!(d, Decision::Redirect(_)),
        "expected a redirect, got {}",
        d.explain()
    );
    assert!(d.route().is_some());
}

#[track_caller]
fn expect_deny(d: &Decision, status: u16, reason: &str) -> Denial {
    let Decision::Deny(denial) = d else {
        panic!("expected {status} {reason}, got {}", d.explain())
    };
    assert_eq!(
        (denial.status, denial.reason.as_str()),
        (status, reason),
        "{}",
        d.explain()
    );
    let r = denial.to_response();
    assert_eq!(values(&r, "cache-control"), ["no-store"]);
    assert!(values(&r, "location").is_empty());
    denial.clone()
}

#[track_caller]
fn expect_allow(d: &Decision) -> edgegate_edge::gate::ForwardRequest {
    let Decision::Allow(f) = d else {
        panic!("expected allow, got {}", d.explain())
    };
    f.clone()
}

fn login(return_to_encoded: &str) -> String {
    format!("/auth/login?return_to={return_to_encoded}")
}

// --- navigation detection -----------------------------------------------------------------------

#[test]
fn navigations_without_credential_are_redirected() {
    // design.md "Decisions": GET or HEAD with Sec-Fetch-Mode: navigate, or an Accept naming
    // text/html.
    let loc = login("/releases/app.zip");
    expect_redirect(&run(nav("/releases/app.zip")), &loc);
    // Sec-Fetch-Mode alone (Accept */*)
    expect_redirect(
        &run(Req::get("/releases/app.zip").header("sec-fetch-mode", "navigate")),
        &loc,
    );
    // Sec-Fetch-Mode compared case-insensitively
    expect_redirect(
        &run(Req::get("/releases/app.zip").header("sec-fetch-mode", "Navigate")),
        &loc,
    );
    // Accept alone (older browsers, no fetch metadata), case-insensitive, in a later entry
    for accept in [
        "text/html",
        "TEXT/HTML;q=0.9",
        "application/xhtml+xml, text/html",
    ] {
        expect_redirect(
            &run(Req::get("/releases/app.zip")
                .without_header("accept")
                .header("accept", accept)),
            &loc,
        );
    }
    expect_redirect(
        &run(Req::get("/releases/app.zip").header("accept", "text/html")),
        &loc,
    );
    // HEAD navigations too
    expect_redirect(&run(nav("/releases/app.zip").method("HEAD")), &loc);
    // nested route
    expect_redirect(&run(nav("/releases/beta/x")), &login("/releases/beta/x"));
    let d = run(nav("/internal/x"));
    expect_redirect(&d, &login("/internal/x"));
    assert_eq!(d.route(), Some("/internal"));
    assert_eq!(d.reason().as_str(), "missing_credential");
    assert_eq!(d.detail(), "no_credential");
    assert_eq!(d.explain()["decision"], "redirect");
}

#[test]
fn non_navigations_get_401_never_a_redirect() {
    // B40: fetch()/XHR, curl and anything without navigation metadata get 401.
    for req in [
        Req::get("/releases/app.zip"),
        xhr("/releases/app.zip"),
        Req::get("/releases/app.zip").header("sec-fetch-mode", "cors"),
        Req::get("/releases/app.zip").header("sec-fetch-mode", "no-cors"),
        Req::get("/releases/app.zip")
            .without_header("accept")
            .header("accept", "application/octet-stream"),
        Req::get("/releases/app.zip").without_header("accept"),
        Req::get("/releases/app.zip").method("HEAD"),
    ] {
        let d = run(req);
        let denial = expect_deny(&d, 401, "missing_credential");
        let r = denial.to_response();
        assert_eq!(
            values(&r, "www-authenticate"),
            [r#"Bearer realm="edgegate""#]
        );
    }
}

#[test]
fn post_is_never_a_navigation() {
    // Only GET/HEAD navigations are redirected; other methods on gated routes are 405.
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let d = run(nav("/releases/app.zip").method(method));
        expect_deny(&d, 405, "bad_request");
    }
}

#[test]
fn redirect_location_carries_path_and_query_percent_encoded() {
    // B10: the query string survives; design.md: `/auth/login?return_to=<path?query>`.
    expect_redirect(
        &run(nav("/releases/mypage.html").query("name=bob")),
        "/auth/login?return_to=/releases/mypage.html%3Fname%3Dbob",
    );
    expect_redirect(
        &run(nav("/releases/1.0/My%20App.dmg").query("a=1&b=x%2Fy&c=%E2%82%AC&d")),
        "/auth/login?return_to=/releases/1.0/My%2520App.dmg%3Fa%3D1%26b%3Dx%252Fy%26c%3D%25E2%2582%25AC%26d",
    );
    expect_redirect(
        &run(nav("/releases/a(1)+b~c_d.e-f").query("q=a+b")),
        "/auth/login?return_to=/releases/a%281%29%2Bb~c_d.e-f%3Fq%3Da%2Bb",
    );
    // an empty query adds nothing
    expect_redirect(
        &run(nav("/releases/x/")),
        "/auth/login?return_to=/releases/x/",
    );
    // The Location is relative to the site the browser is on (never built from Host).
    let d = run(nav("/releases/x")
        .without_header("host")
        .header("host", "evil.example"));
    expect_redirect(&d, "/auth/login?return_to=/releases/x");
}

#[test]
fn redirect_location_decodes_back_to_the_request() {
    // B10: percent-decoding the return_to value once gives back path?query exactly.
    for (path, query) in [
        ("/releases/mypage.html", "name=bob"),
        ("/releases/My%20App.dmg", "x=%26&y=%3D&z=+"),
        ("/releases/%C3%A9t%C3%A9.pdf", ""),
    ] {
        let d = run(nav(path).query(query));
        let Decision::Redirect(r) = &d else {
            panic!("{}", d.explain())
        };
        let value = r
            .location
            .strip_prefix("/auth/login?return_to=")
            .expect("login location");
        assert!(!value.contains(['?', '&', '#', '=', '+', ' ']), "{value}");
        let decoded = percent_decode(value);
        let expected = if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        };
        assert_eq!(decoded, expected);
    }
}

#[test]
fn redirect_location_stays_within_cloudfronts_url_limit() {
    // CB-14 / platform limit: CloudFront refuses URLs over 8,192 bytes, and the auth function
    // keeps at most 2,048 bytes of return_to. A longer target keeps its path (or becomes `/`)
    // rather than producing a Location the browser could not follow.
    let long_query = format!("x={}", "%2F".repeat(2000));
    let d = run(nav("/releases/x").query(&long_query));
    let r = expect_redirect(&d, "/auth/login?return_to=/releases/x");
    assert!(r.location.len() < 8192);
    let long_path = format!("/releases/{}", "%C3%A9".repeat(300));
    let d = run(nav(&long_path).query("a=b"));
    let Decision::Redirect(r) = &d else {
        panic!("{}", d.explain())
    };
    assert!(r.location.len() < 8192, "{} bytes", r.location.len());
    assert_eq!(
        percent_decode(
            r.location
                .strip_prefix("/auth/login?return_to=")
                .expect("login")
        ),
        format!("{long_path}?a=b")
    );
    let longer_path = format!("/releases/{}", "%C3%A9".repeat(1000));
    let d = run(nav(&longer_path));
    expect_redirect(&d, "/auth/login?return_to=/");
    // At the limit exactly, the query is kept.
    let path = "/releases/x";
    let value = "a".repeat(2048 - path.len() - 3);
    let d = run(nav(path).query(&format!("q={value}")));
    let Decision::Redirect(r) = &d else {
        panic!("{}", d.explain())
    };
    assert!(r.location.ends_with(&format!("%3Fq%3D{value}")));
    // One byte more and it is dropped.
    let d = run(nav(path).query(&format!("q={value}a")));
    expect_redirect(&d, "/auth/login?return_to=/releases/x");
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("hex"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

// --- invalid CloudFront cookie sets --------------------------------------------------------------

fn expired_cookies(prefix: &str) -> Vec<(String, String)> {
    signed_cookies(
        &site_url(&format!("{prefix}/*")),
        &custom(&site_url(&format!("{prefix}/*")), NOW - 1, None, None),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    )
}

fn bad_signature_cookies(prefix: &str) -> Vec<(String, String)> {
    let mut c = prefix_cookies(prefix);
    for (n, v) in c.iter_mut() {
        if n == "CloudFront-Signature" {
            *v = flip_char(v, 10);
        }
    }
    c
}

#[test]
fn invalid_cloudfront_cookie_sets_on_a_navigation_are_redirected() {
    // design.md: a navigation whose only credential is an expired or invalid CloudFront cookie
    // set goes to sign-in; B01/CK-05: duplicate sets (stale ones from another Path) are invalid.
    let loc = login("/releases/x.zip%3Fv%3D2");
    let mut duplicate = prefix_cookies("/releases/beta");
    duplicate.extend(prefix_cookies("/releases"));
    let mut stale_and_fresh = expired_cookies("/releases");
    stale_and_fresh.extend(prefix_cookies("/releases"));
    let mut missing_signature = prefix_cookies("/releases");
    missing_signature.retain(|(n, _)| n != "CloudFront-Signature");
    let mut unknown_key = prefix_cookies("/releases");
    for (n, v) in unknown_key.iter_mut() {
        if n == "CloudFront-Key-Pair-Id" {
            *v = KP_UNKNOWN.to_string();
        }
    }
    let cases: Vec<(&str, Vec<(String, String)>)> = vec![
        ("expired", expired_cookies("/releases")),
        ("bad signature", bad_signature_cookies("/releases")),
        ("duplicate sets", duplicate),
        ("expired + valid duplicates", stale_and_fresh),
        ("missing signature", missing_signature),
        ("unknown key pair id", unknown_key),
        ("another prefix's set", prefix_cookies("/internal")),
        ("a signed-route set", prefix_cookies("/shared")),
    ];
    for (what, cookies) in cases {
        let d = run(nav("/releases/x.zip").query("v=2").cookies(&cookies));
        let Decision::Redirect(r) = &d else {
            panic!("{what}: expected a redirect, got {}", d.explain())
        };
        assert_eq!(r.location, loc, "{what}");
        // The same request from fetch() is 403, as CloudFront answers invalid signed cookies.
        let d = run(xhr("/releases/x.zip").query("v=2").cookies(&cookies));
        expect_deny(&d, 403, "invalid_credential");
    }
    // The 400s stay 400s (size caps come first).
    let huge = format!("CloudFront-Policy={}", "A".repeat(17 * 1024));
    expect_deny(&run(nav("/releases/x").cookie(&huge)), 400, "too_large");
}

#[test]
fn valid_cookies_and_tokens_are_allowed_on_navigations() {
    // A navigation with a valid credential is simply allowed, even just after sign-in (loop
    // marker present); the marker and the CloudFront cookies never reach the origin.
    let mut cookies = prefix_cookies("/releases");
    cookies.push((LOOP.to_string(), "1".to_string()));
    cookies.push(("theme".to_string(), "dark".to_string()));
    let f = expect_allow(&run(nav("/releases/beta/x.zip")
        .query("a=1")
        .cookies(&cookies)));
    assert_eq!(f.request.header("cookie"), Some("theme=dark"));
    assert_eq!(f.request.querystring, "a=1");
    let f = expect_allow(&run(nav("/releases/x").bearer(&token(&["downloaders"]))));
    assert!(matches!(f.identity, Identity::Cognito { .. }));
    assert!(!f.request.headers.contains_key("authorization"));
}

// --- authenticated but not allowed ----------------------------------------------------------------

#[test]
fn authenticated_but_not_in_group_is_403_never_a_redirect() {
    // B27.
    let staff = token(&["staff"]);
    for (req, navigation) in [
        (nav("/releases/x").bearer(&staff), true),
        (
            nav("/releases/x")
                .bearer(&staff)
                .cookie(&format!("{LOOP}=1")),
            true,
        ),
        (xhr("/releases/x").bearer(&staff), false),
    ] {
        let d = run(req);
        let denial = expect_deny(&d, 403, "forbidden");
        assert_eq!(denial.detail, "not_in_group");
        // never the sign-in loop page: the 403 page for a navigation, plain text otherwise
        assert_eq!(
            matches!(denial.page, Some(Page::Status(_))),
            navigation,
            "{:?}",
            denial.page
        );
        assert!(d.identity().is_some());
    }
    // A token on a signed-only route: 403, not a redirect.
    let d = run(nav("/shared/x").bearer(&token(&["downloaders"])));
    expect_deny(&d, 403, "forbidden");
}

#[test]
fn invalid_bearer_token_on_a_navigation_is_still_401() {
    // An explicit Authorization header is never a browser session: 401 invalid_token, and no
    // fallback to the cookies (I-2).
    let expired = jwt(&with_claim(
        id_claims(&["downloaders"]),
        "exp",
        json!(NOW - 10),
    ));
    let other_client = jwt(&with_claim(
        id_claims(&["downloaders"]),
        "aud",
        json!(OTHER_CLIENT_ID),
    ));
    for t in [expired.as_str(), other_client.as_str(), "not-a-jwt"] {
        let d = run(nav("/releases/x")
            .bearer(t)
            .cookies(&prefix_cookies("/releases")));
        let denial = expect_deny(&d, 401, "invalid_credential");
        let r = denial.to_response();
        assert_eq!(
            values(&r, "www-authenticate"),
            [r#"Bearer realm="edgegate", error="invalid_token""#]
        );
    }
    let d = run(nav("/releases/x").header("authorization", "Basic dXNlcjpwYXNz"));
    expect_deny(&d, 401, "invalid_credential");
}

// --- loop marker ----------------------------------------------------------------------------------

#[test]
fn loop_marker_turns_the_redirect_into_a_403_page() {
    // B25: after a sign-in that did not stick, a small 403 page with a sign-out link.
    let marker = format!("{LOOP}=1");
    for req in [
        nav("/releases/zqxsecretpath.zip")
            .query("q=%3Cscript%3Ezqxmarker")
            .cookie(&marker),
        nav("/releases/zqxsecretpath.zip")
            .query("q=%3Cscript%3Ezqxmarker")
            .cookie(&marker)
            .cookies(&expired_cookies("/releases")),
        nav("/releases/zqxsecretpath.zip")
            .query("q=%3Cscript%3Ezqxmarker")
            .cookie(&format!("a=b; {marker}; zqxcookie=1")),
    ] {
        let d = run(req);
        let denial = expect_deny(&d, 403, "forbidden");
        assert_eq!(denial.detail, "sign_in_loop");
        let r = denial.to_response();
        assert_eq!(values(&r, "content-type"), ["text/html; charset=utf-8"]);
        assert_eq!(values(&r, "cache-control"), ["no-store"]);
        assert!(values(&r, "set-cookie").is_empty());
        let body = r.body.expect("a page");
        assert!(body.contains("<a href=\"/auth/logout\">"), "{body}");
        for reflected in ["zqx", "script", "releases", "downloads.example.com"] {
            assert!(!body.contains(reflected), "{reflected} reflected in {body}");
        }
        assert!(body.len() < 1024);
    }
    // Non-navigations keep their 401; signed-only routes their 403.
    expect_deny(
        &run(xhr("/releases/x").cookie(&marker)),
        401,
        "missing_credential",
    );
    let d = run(nav("/shared/x").cookie(&marker));
    let denial = expect_deny(&d, 403, "missing_credential");
    assert!(matches!(denial.page, Some(Page::Status(_))));
}

#[test]
fn loop_marker_with_another_name_or_path_cookie_is_not_the_marker() {
    // Only the exact name counts; a look-alike is just a cookie.
    for cookie in [
        "__Secure-edgegate-loopx=1",
        "__secure-edgegate-loop=1",
        "edgegate-loop=1",
    ] {
        expect_redirected(&run(nav("/releases/x").cookie(cookie)));
    }
}

#[test]
fn loop_marker_on_a_plain_http_dev_site() {
    // `edgegate dev` serves http://127.0.0.1:8787, where `__Secure-` cookies cannot be set: the
    // auth function names its cookies `edgegate-dev-*` there, and the gate must recognise the
    // dev loop marker (else the loop breaker never works in dev) and strip it.
    let mut doc = auth_document();
    doc.site.domain = "127.0.0.1:8787".to_string();
    doc.site.scheme = Some("http".to_string());
    if let Some(a) = doc.auth.as_mut() {
        a.hosted_ui = "http://127.0.0.1:8787/_dev/idp".to_string();
    }
    let dev = validate(&doc).expect("dev config");
    let d = run_with(&dev, nav("/releases/x").cookie("edgegate-dev-loop=1"));
    assert_eq!(expect_deny(&d, 403, "forbidden").detail, "sign_in_loop");
    expect_redirected(&run_with(&dev, nav("/releases/x")));
    let f = expect_allow(&run_with(
        &dev,
        nav("/releases/x")
            .bearer(&token(&["downloaders"]))
            .cookie("edgegate-dev-loop=1; edgegate-dev-refresh=rt; theme=dark"),
    ));
    assert_eq!(f.request.header("cookie"), Some("theme=dark"));
    // /auth/* keeps them: they are the auth function's state.
    let f = expect_allow(&run_with(
        &dev,
        nav("/auth/logout").cookie("edgegate-dev-loop=1; edgegate-dev-refresh=rt"),
    ));
    assert_eq!(
        f.request.header("cookie"),
        Some("edgegate-dev-loop=1; edgegate-dev-refresh=rt")
    );
}

// --- signed-only routes ---------------------------------------------------------------------------

#[test]
fn signed_only_routes_never_redirect() {
    // A signed-only route has no sign-in: the signer decided (design.md "Routes").
    for cookies in [
        Vec::new(),
        expired_cookies("/shared"),
        bad_signature_cookies("/shared"),
        prefix_cookies("/releases"),
    ] {
        let d = run(nav("/shared/x").cookies(&cookies));
        assert_eq!(d.status(), 403, "{}", d.explain());
        assert!(!matches!(d, Decision::Redirect(_)));
    }
    expect_allow(&run(nav("/shared/x").cookies(&prefix_cookies("/shared"))));
    // No route: 403 no_route, not a redirect.
    expect_deny(&run(nav("/elsewhere")), 403, "no_route");
    // Public routes need nothing, whatever the marker says.
    expect_allow(&run(nav("/public/x").cookie(&format!("{LOOP}=1"))));
}

// --- /auth/* --------------------------------------------------------------------------------------

#[test]
fn auth_endpoints_are_public_and_keep_edgegates_cookies() {
    // design.md: `/auth/` is a public route of the gate; the auth function gets edgegate's own
    // cookies (its state) but never Authorization, CloudFront-* or Amplify cookies.
    let own = [
        ("__Secure-edgegate-refresh", "rt"),
        ("__Secure-edgegate-flow-AAAAAAAAAAAAAAAA", "1.v"),
        (LOOP, "1"),
    ];
    let mut cookies: Vec<(String, String)> = own
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    cookies.push(("theme".into(), "dark".into()));
    cookies.extend(prefix_cookies("/releases"));
    cookies.push((
        format!("{AMPLIFY}.{CLIENT_ID}.LastAuthUser"),
        "alice".into(),
    ));
    cookies.push((
        format!("{AMPLIFY}.{CLIENT_ID}.alice.idToken"),
        token(&["downloaders"]),
    ));
    for (uri, query) in [
        ("/auth/login", "return_to=%2Freleases%2Fx"),
        ("/auth/callback", "code=abc&state=xyz"),
        ("/auth/logout", ""),
        ("/auth/refresh", ""),
        ("/auth", ""),
        ("/auth/", ""),
    ] {
        for req in [
            nav(uri),
            xhr(uri),
            nav(uri).method("POST"), // the auth function answers 405 itself
        ] {
            let d = run(req
                .query(query)
                .bearer(&token(&["downloaders"]))
                .cookies(&cookies));
            let f = expect_allow(&d);
            assert_eq!(f.route, "/auth");
            assert_eq!(f.identity, Identity::Anonymous);
            assert_eq!(f.request.querystring, query);
            assert!(!f.request.headers.contains_key("authorization"));
            let jar = CookieJar::parse(f.request.header_values("cookie"));
            let names: Vec<&str> = jar.pairs().iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(
                names,
                [
                    "__Secure-edgegate-refresh",
                    "__Secure-edgegate-flow-AAAAAAAAAAAAAAAA",
                    LOOP,
                    "theme"
                ],
                "{uri}"
            );
        }
    }
    // Not a prefix match on characters: /authx is not /auth.
    expect_deny(&run(nav("/authx/login")), 403, "no_route");
    // Canonical-path rules still come first.
    for bad in [
        "/auth/../releases/x",
        "/auth/%2e%2e/releases/x",
        "/auth//login",
    ] {
        expect_deny(&run(nav(bad)), 400, "bad_request");
    }
}

#[test]
fn without_auth_configured_nothing_redirects() {
    // Without [auth] the gate behaves as before sign-in existed: 401, and /auth is no route.
    let d = run_with(no_auth_cfg(), nav("/releases/x"));
    expect_deny(&d, 401, "missing_credential");
    let d = run_with(
        no_auth_cfg(),
        nav("/releases/x").cookies(&expired_cookies("/releases")),
    );
    expect_deny(&d, 403, "invalid_credential");
    let d = run_with(no_auth_cfg(), nav("/auth/login"));
    expect_deny(&d, 403, "no_route");
    // The shared fixture config (no [auth]) likewise.
    let d = run_with(&gate_config(), nav("/releases/x"));
    expect_deny(&d, 401, "missing_credential");
}

// --- Amplify cookies ------------------------------------------------------------------------------

fn amplify(
    client: &str,
    user_in_name: &str,
    last_user: &str,
    token: &str,
) -> Vec<(String, String)> {
    vec![
        (
            format!("{AMPLIFY}.{client}.LastAuthUser"),
            last_user.to_string(),
        ),
        (
            format!("{AMPLIFY}.{client}.{user_in_name}.idToken"),
            token.to_string(),
        ),
        (
            format!("{AMPLIFY}.{client}.{user_in_name}.refreshToken"),
            "opaque-refresh".to_string(),
        ),
    ]
}

fn run_amplify(req: Req) -> Decision {
    run_with(amplify_cfg(), req)
}

#[test]
fn amplify_cookies_admit_when_enabled() {
    let t = token(&["downloaders"]);
    for (name_user, last) in [
        ("alice", "alice"),
        // percent-encoded user, in the value and the name (Amplify v6 encodes both)
        ("alice%40example.com", "alice%40example.com"),
        // encoded in the value only
        ("alice@example.com", "alice%40example.com"),
        // a dotted user name (B02)
        ("alice.smith", "alice.smith"),
    ] {
        let mut cookies = amplify(CLIENT_ID, name_user, last, &t);
        cookies.push(("theme".into(), "dark".into()));
        for req in [nav("/releases/x"), xhr("/releases/x")] {
            let d = run_amplify(req.cookies(&cookies));
            let f = expect_allow(&d);
            let Identity::Cognito { source, .. } = &f.identity else {
                panic!("{}", d.explain())
            };
            assert_eq!(*source, "amplify_cookie");
            // stripped before the origin
            assert_eq!(
                f.request.header("cookie"),
                Some("theme=dark"),
                "{name_user}"
            );
        }
    }
    // a fully percent-encoded cookie name is understood too
    let cookies = vec![
        (
            format!("{AMPLIFY}.{CLIENT_ID}.LastAuthUser"),
            "bob%2Bx%40example.com".to_string(),
        ),
        (
            format!("{AMPLIFY}.{CLIENT_ID}.bob%2Bx%40example%2Ecom.idToken"),
            t.clone(),
        ),
    ];
    expect_allow(&run_amplify(xhr("/releases/x").cookies(&cookies)));
}

#[test]
fn amplify_token_of_another_client_is_refused_under_our_name() {
    // B02: never use a token whose aud is a different client, even under our client's name.
    let other = jwt(&with_claim(
        id_claims(&["downloaders"]),
        "aud",
        json!(OTHER_CLIENT_ID),
    ));
    let cookies = amplify(CLIENT_ID, "alice", "alice", &other);
    expect_redirected(&run_amplify(nav("/releases/x").cookies(&cookies)));
    let d = run_amplify(xhr("/releases/x").cookies(&cookies));
    let denial = expect_deny(&d, 401, "invalid_credential");
    assert_eq!(denial.detail, "amplify_client_mismatch");
    // A client the pool config does not accept at all.
    let stranger = jwt(&with_claim(
        id_claims(&["downloaders"]),
        "aud",
        json!("strangerclient1"),
    ));
    let cookies = amplify(CLIENT_ID, "alice", "alice", &stranger);
    expect_deny(
        &run_amplify(xhr("/releases/x").cookies(&cookies)),
        401,
        "invalid_credential",
    );
    // Our token under the other (accepted) client's name: also a mismatch.
    let ours = token(&["downloaders"]);
    let cookies = amplify(OTHER_CLIENT_ID, "alice", "alice", &ours);
    let d = run_amplify(xhr("/releases/x").cookies(&cookies));
    assert_eq!(
        expect_deny(&d, 401, "invalid_credential").detail,
        "amplify_client_mismatch"
    );
}

#[test]
fn amplify_duplicates_and_ambiguity_are_refused() {
    // B01/B02/CK-05: never pick one of several by order.
    let t = token(&["downloaders"]);
    let t2 = jwt(&with_claim(
        id_claims(&["downloaders"]),
        "sub",
        json!("someone-else"),
    ));
    let base = amplify(CLIENT_ID, "alice", "alice", &t);
    let mut dup_token = base.clone();
    dup_token.push((format!("{AMPLIFY}.{CLIENT_ID}.alice.idToken"), t2.clone()));
    let mut dup_same = base.clone();
    dup_same.push((format!("{AMPLIFY}.{CLIENT_ID}.alice.idToken"), t.clone()));
    let mut dup_encoded = amplify(CLIENT_ID, "alice%40x.com", "alice%40x.com", &t);
    dup_encoded.push((
        format!("{AMPLIFY}.{CLIENT_ID}.alice@x.com.idToken"),
        t2.clone(),
    ));
    let mut dup_user = base.clone();
    dup_user.push((
        format!("{AMPLIFY}.{CLIENT_ID}.LastAuthUser"),
        "alice".into(),
    ));
    let mut two_clients = base.clone();
    two_clients.extend(amplify(OTHER_CLIENT_ID, "alice", "alice", &t));
    let wrong_user = amplify(CLIENT_ID, "alice", "bob", &t);
    let mut access_only = vec![(
        format!("{AMPLIFY}.{CLIENT_ID}.LastAuthUser"),
        "alice".to_string(),
    )];
    access_only.push((
        format!("{AMPLIFY}.{CLIENT_ID}.alice.accessToken"),
        jwt(&access_claims(&["downloaders"])),
    ));
    for (what, cookies) in [
        ("two tokens", dup_token),
        ("the same token twice", dup_same),
        ("two spellings of one name", dup_encoded),
        ("two LastAuthUser", dup_user),
        ("two clients", two_clients),
        ("token of another user", wrong_user),
        ("access token only", access_only),
    ] {
        let d = run_amplify(xhr("/releases/x").cookies(&cookies));
        assert_eq!(d.status(), 401, "{what}: {}", d.explain());
        expect_redirected(&run_amplify(nav("/releases/x").cookies(&cookies)));
    }
}

#[test]
fn amplify_rules_for_validity_groups_and_precedence() {
    // Expired → navigation redirected; not in group → 403 (B27); CloudFront cookies decide
    // before Amplify cookies, with no fallback (design.md "Precedence").
    let expired = jwt(&with_claim(
        id_claims(&["downloaders"]),
        "exp",
        json!(NOW - 10),
    ));
    let cookies = amplify(CLIENT_ID, "alice", "alice", &expired);
    expect_redirected(&run_amplify(nav("/releases/x").cookies(&cookies)));
    expect_deny(
        &run_amplify(xhr("/releases/x").cookies(&cookies)),
        401,
        "invalid_credential",
    );

    let staff = amplify(CLIENT_ID, "alice", "alice", &token(&["staff"]));
    let d = run_amplify(nav("/releases/x").cookies(&staff));
    assert_eq!(expect_deny(&d, 403, "forbidden").detail, "not_in_group");

    let mut both = amplify(CLIENT_ID, "alice", "alice", &token(&["downloaders"]));
    both.extend(expired_cookies("/releases"));
    expect_deny(
        &run_amplify(xhr("/releases/x").cookies(&both)),
        403,
        "invalid_credential",
    );
    expect_redirected(&run_amplify(nav("/releases/x").cookies(&both)));

    // Amplify tokens never open a signed-only route.
    let ok = amplify(CLIENT_ID, "alice", "alice", &token(&["downloaders"]));
    expect_deny(
        &run_amplify(nav("/shared/x").cookies(&ok)),
        403,
        "missing_credential",
    );
}

#[test]
fn amplify_cookies_are_ignored_and_stripped_without_the_setting() {
    let ok = amplify(CLIENT_ID, "alice", "alice", &token(&["downloaders"]));
    expect_redirect(
        &run(nav("/releases/x").cookies(&ok)),
        "/auth/login?return_to=/releases/x",
    );
    expect_deny(
        &run(xhr("/releases/x").cookies(&ok)),
        401,
        "missing_credential",
    );
    let mut cookies = ok.clone();
    cookies.push(("theme".into(), "dark".into()));
    let f = expect_allow(&run(xhr("/releases/x")
        .bearer(&token(&["downloaders"]))
        .cookies(&cookies)));
    assert_eq!(f.request.header("cookie"), Some("theme=dark"));
    let f = expect_allow(&run(xhr("/public/x").cookies(&cookies)));
    assert_eq!(f.request.header("cookie"), Some("theme=dark"));
}

// --- [auth] configuration errors -------------------------------------------------------------------

#[track_caller]
fn expect_error(doc: &ConfigDocument, field: &str) -> ConfigError {
    match validate(doc) {
        Ok(_) => panic!("expected an error naming {field}"),
        Err(e) => {
            assert_eq!(e.field, field, "{e}");
            e
        }
    }
}

fn with_auth(f: impl FnOnce(&mut AuthDoc)) -> ConfigDocument {
    let mut doc = auth_document();
    f(doc.auth.as_mut().expect("auth"));
    doc
}

fn with_route(prefix: &str, access: AccessKind, groups: Option<&[&str]>) -> ConfigDocument {
    let mut doc = auth_document();
    doc.routes.push(RouteDoc {
        prefix: prefix.to_string(),
        access,
        groups: groups.map(|g| g.iter().map(|s| s.to_string()).collect()),
        scopes: None,
        networks: None,
        index: None,
        spa: None,
        issuers: None,
        claims: None,
    });
    doc
}

#[test]
fn auth_config_errors_name_the_field() {
    // [auth] without [cognito]
    let mut doc = auth_document();
    doc.cognito = None;
    assert!(GateConfig::from_document(&doc, None).is_err_and(|e| e.field == "auth"));
    // client_id not one of the app clients
    expect_error(
        &with_auth(|a| a.client_id = OTHER_CLIENT_ID.into()),
        "auth.client_id",
    );
    // key pair id not trusted
    expect_error(
        &with_auth(|a| a.key_pair_id = KP_UNKNOWN.into()),
        "auth.key_pair_id",
    );
    // sign-in verifies ID tokens
    let mut doc = auth_document();
    if let Some(c) = doc.cognito.as_mut() {
        c.token_use = vec![edgegate_keys::TokenUse::Access];
    }
    expect_error(&doc, "cognito.token_use");
    // a route covering /auth
    for prefix in ["/auth", "/auth/login", "/auth/x/y"] {
        let doc = with_route(prefix, AccessKind::Public, None);
        let e = expect_error(&doc, "routes[5].prefix");
        assert!(e.reason.contains("/auth"), "{e}");
    }
    // nested gated routes that admit fewer users than the outer groups route
    let e = expect_error(
        &with_route("/releases/internal", AccessKind::Groups, Some(&["staff"])),
        "routes",
    );
    assert!(e.reason.contains("/releases/internal"), "{e}");
    expect_error(
        &with_route(
            "/releases/beta/secret",
            AccessKind::Groups,
            Some(&["testers"]),
        ),
        "routes",
    );
    expect_error(
        &with_route("/releases/signed", AccessKind::Signed, None),
        "routes",
    );
    // the shared fixture's own nesting (/releases/internal for staff) is refused under [auth]
    let mut doc = document();
    doc.auth = Some(auth_doc());
    expect_error(&doc, "routes");
    // secret references: arn:, file: or dev: only; the value is never echoed
    for (field, doc) in [
        (
            "auth.secrets.cloudfront_private_key",
            with_auth(|a| {
                a.secrets.cloudfront_private_key = "-----BEGIN PRIVATE KEY-----zqxsecret".into()
            }),
        ),
        (
            "auth.secrets.state_key",
            with_auth(|a| a.secrets.state_key = "zqxsecret-state-key-value-0123456789".into()),
        ),
        (
            "auth.secrets.client_secret",
            with_auth(|a| a.secrets.client_secret = Some("zqxsecret".into())),
        ),
        (
            "auth.secrets.state_key",
            with_auth(|a| a.secrets.state_key = "ARN:aws:secretsmanager:x".into()),
        ),
    ] {
        let e = expect_error(&doc, field);
        assert!(!e.to_string().contains("zqx"), "{e}");
    }
    // the Hosted UI base URL
    for bad in [
        "https://auth.example.com/",
        "http://auth.example.com",
        "http://localhost.evil.com",
        "http://127.0.0.1.evil.com",
        "http://127.0.0.1@evil.com",
        "auth.example.com",
        "https://auth.example.com/?x=1",
        "https://auth.example.com#x",
        "",
    ] {
        expect_error(&with_auth(|a| a.hosted_ui = bad.into()), "auth.hosted_ui");
    }
    for good in [
        "https://auth.example.com",
        "https://edgegate.auth.eu-west-1.amazoncognito.com",
        "http://127.0.0.1:9229",
        "http://localhost:8080",
        "http://localhost",
    ] {
        validate(&with_auth(|a| a.hosted_ui = good.into()))
            .unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    // other [auth] fields
    expect_error(&with_auth(|a| a.scopes = Some(vec![])), "auth.scopes");
    expect_error(
        &with_auth(|a| a.scopes = Some(vec!["openid email".into()])),
        "auth.scopes",
    );
    expect_error(
        &with_auth(|a| a.identity_provider = Some("Goo gle".into())),
        "auth.identity_provider",
    );
    for bad in ["https://evil.com", "//evil.com", "welcome", "/a/../b"] {
        expect_error(
            &with_auth(|a| a.logout_return = Some(bad.into())),
            "auth.logout_return",
        );
    }
    for bad in [0, 59, 3601] {
        expect_error(
            &with_auth(|a| a.state_max_age_seconds = Some(bad)),
            "auth.state_max_age_seconds",
        );
    }
}

#[test]
fn auth_configs_that_are_fine() {
    // nested groups routes admitting a superset, nested public routes, a public `/`
    validate(&with_route(
        "/releases/beta/more",
        AccessKind::Groups,
        Some(&["testers", "downloaders", "staff"]),
    ))
    .expect("superset nesting");
    validate(&with_route("/releases/notes", AccessKind::Public, None)).expect("public nesting");
    validate(&with_route("/", AccessKind::Public, None)).expect("public /");
    validate(&with_route("/authors", AccessKind::Public, None)).expect("/authors is not /auth");
    validate(&with_auth(|a| {
        a.secrets.state_key = "file:secrets/state".into();
        a.secrets.client_secret = Some("dev:client-secret".into());
        a.logout_return = Some("/welcome".into());
        a.scopes = Some(vec!["openid".into(), "email".into(), "profile".into()]);
        a.identity_provider = Some("Google".into());
        a.key_pair_id = KP_EC.into();
    }))
    .expect("valid [auth]");
    // With a `/` groups route, /auth is still sign-in (the gate checks /auth first).
    let mut doc = with_route("/", AccessKind::Groups, Some(&["downloaders"]));
    doc.routes
        .retain(|r| r.prefix != "/internal" && r.prefix != "/shared");
    let cfg = validate(&doc).expect("/ groups route");
    let d = run_with(&cfg, nav("/auth/login"));
    assert_eq!(expect_allow(&d).route, "/auth");
    expect_redirect(
        &run_with(&cfg, nav("/index.html")),
        "/auth/login?return_to=/index.html",
    );
}
