//! The access kinds beyond `groups` (issue 12): `access = "authenticated"`, `access = "scopes"`
//! and `routes[N].scopes` on a `groups` route, through `decide` and config validation.
//!
//! Rules pinned here (README, "Configuration reference"; `edgegate_edge::config::Access`):
//!
//! - `authenticated` admits any Cognito token that verifies under the pool's rules, no group
//!   needed;
//! - `scopes` admits an access token (`token_use = "access"`) whose space-separated `scope`
//!   claim holds one of the route's scopes, exact match; an ID token never qualifies, even one
//!   carrying a `scope` claim;
//! - `groups` with `scopes` admits a token in one of the groups or an access token with one of
//!   the scopes;
//! - all three admit signed URLs and cookies as a `groups` route does, answer 401
//!   `missing_credential` without a credential and 405 to other methods than GET/HEAD;
//! - a valid token the rule refuses is 403 `forbidden` with `not_in_group`, `missing_scope` or
//!   `not_in_group_or_scope`, a stable verdict until the token expires.
//!
//! The M2M token is exactly what a Cognito client-credentials grant issues (`sub` = the app
//! client id, no `username`, `cognito:groups` or `aud`; [`common::m2m_claims`]).

mod common;

use common::*;
use edgegate_edge::config::{AccessKind, ConfigError, RouteDoc};
use edgegate_edge::gate::{Denial, ForwardRequest, Stability};
use edgegate_edge::{
    decide, decide_cached, ConfigDocument, Decision, GateConfig, Identity, VerifiedCache,
};
use edgegate_keys::jwt::TokenUse;
use edgegate_keys::{RingVerifier, UnixTime};
use serde_json::{json, Value};
use std::sync::OnceLock;

#[track_caller]
fn allowed(d: &Decision, detail: &str) -> ForwardRequest {
    let Decision::Allow(f) = d else {
        panic!("expected allow ({detail}), got {}", d.explain());
    };
    assert_eq!(
        (d.status(), d.reason().as_str(), d.detail()),
        (200, "ok", detail)
    );
    assert!(!f.request.headers.contains_key("authorization"));
    assert!(f
        .request
        .header_values("cookie")
        .all(|c| !c.contains("CloudFront-")));
    f.clone()
}

#[track_caller]
fn denied(d: &Decision, status: u16, reason: &str, detail: &str) -> Denial {
    let Decision::Deny(denial) = d else {
        panic!("expected {status} {reason} {detail}, got {}", d.explain());
    };
    assert_eq!(
        (
            denial.status,
            denial.reason.as_str(),
            denial.detail.as_str()
        ),
        (status, reason, detail)
    );
    let r = denial.to_response();
    assert_eq!(r.headers["cache-control"][0].value, "no-store");
    if denial.page.is_some() {
        // a browser navigation: the status page, with the code and its CSP
        let body = r.body.clone().unwrap_or_default();
        assert!(
            body.starts_with("<!doctype html>") && body.contains(&format!("{status} {reason}"))
        );
        assert!(r.headers["content-security-policy"][0]
            .value
            .contains("default-src 'none'"));
    } else {
        assert_eq!(r.body, Some(format!("{reason}\n")));
    }
    denial.clone()
}

/// The `rule` member of `explain`.
fn rule(d: &Decision) -> Value {
    d.explain()["rule"].clone()
}

/// Asserts no 8-byte piece of `secret` is in the explain JSON or the response / forwarded
/// request.
#[track_caller]
fn assert_no_leak(d: &Decision, secret: &str) {
    let outputs = [
        d.explain().to_string(),
        match d {
            Decision::Deny(denial) => serde_json::to_string(&denial.to_response()),
            Decision::Allow(forward) => serde_json::to_string(&forward.request),
            Decision::Redirect(r) => serde_json::to_string(&r.to_response()),
        }
        .unwrap(),
    ];
    for window in secret.as_bytes().windows(8) {
        let piece = std::str::from_utf8(window).unwrap();
        for out in &outputs {
            assert!(!out.contains(piece), "{piece:?} leaked into {out}");
        }
    }
}

/// An access token of alice (groups `downloaders`) with `scope`.
fn user_access_token(scope: &str) -> String {
    jwt(&with_claim(
        access_claims(&["downloaders"]),
        "scope",
        json!(scope),
    ))
}

// --- access = "scopes" -------------------------------------------------------------------------

#[test]
fn scopes_route_m2m_token_with_the_scope_ok() {
    for scope in [
        "artifacts/read",
        "artifacts/list artifacts/read",
        "artifacts/read artifacts/list",
    ] {
        let t = m2m_token(scope);
        let d = run(Req::get("/artifacts/app-1.0.zip").bearer(&t));
        let f = allowed(&d, "valid_token");
        assert_eq!(f.route, "/artifacts");
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
                assert_eq!(
                    (*source, sub.as_str(), *token_use, client_id.as_str()),
                    ("bearer", CLIENT_ID, "access", CLIENT_ID)
                );
                assert_eq!(*username, None);
                assert!(groups.is_empty());
                assert_eq!(*expires_at, NOW + 3600);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            rule(&d),
            json!({"access": "scopes", "matched": "artifacts/read", "by": "scope"})
        );
        assert_no_leak(&d, &t);
    }
}

#[test]
fn scopes_route_user_access_token_with_the_scope_ok() {
    // A user's access token with a custom scope (authorization code grant) qualifies too.
    let d = run(Req::get("/artifacts/x").bearer(&user_access_token("openid artifacts/read")));
    allowed(&d, "valid_token");
}

#[test]
fn scopes_route_token_without_the_scope_403_missing_scope() {
    // Exact string match only: no prefix, case folding, or piece of a scope.
    for scope in [
        "artifacts/list",
        "artifacts",
        "artifacts/read2",
        "Artifacts/read",
        "artifacts/read/extra",
        "artifacts/readartifacts/list",
        "",
    ] {
        let t = m2m_token(scope);
        let d = run(Req::get("/artifacts/app.zip").bearer(&t));
        let denial = denied(&d, 403, "forbidden", "missing_scope");
        assert!(denial.www_authenticate.is_none(), "{scope}");
        assert!(matches!(denial.identity, Some(Identity::Cognito { .. })));
        assert_eq!(
            rule(&d),
            json!({"access": "scopes", "matched": null, "by": null}),
            "{scope}"
        );
        assert_no_leak(&d, &t);
    }
    // No scope claim at all.
    let t = jwt(&with_claim(m2m_claims("x"), "scope", Value::Null));
    denied(
        &run(Req::get("/artifacts/app.zip").bearer(&t)),
        403,
        "forbidden",
        "missing_scope",
    );
    // Groups do not count on a scopes route.
    let t = jwt(&with_claim(
        access_claims(&["downloaders", "artifacts/read"]),
        "scope",
        json!("openid"),
    ));
    denied(
        &run(Req::get("/artifacts/app.zip").bearer(&t)),
        403,
        "forbidden",
        "missing_scope",
    );
}

#[test]
fn scopes_route_id_token_with_a_scope_claim_403_missing_scope() {
    // Cognito ID tokens carry no scope; one that has the claim is still not an access token.
    let t = jwt(&with_claim(
        id_claims(&["downloaders"]),
        "scope",
        json!("artifacts/read"),
    ));
    let d = run(Req::get("/artifacts/app.zip").bearer(&t));
    denied(&d, 403, "forbidden", "missing_scope");
    match d.identity() {
        Some(Identity::Cognito { token_use, .. }) => assert_eq!(*token_use, "id"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn scopes_route_refusal_is_stable_until_the_token_expires() {
    // The window ends at `exp` plus the issuer's leeway (0 in this config).
    let d = run(Req::get("/artifacts/app.zip").bearer(&m2m_token("other/scope")));
    assert_eq!(
        d.stability(NOW),
        Stability::Between {
            from: NOW,
            until: NOW + 3600
        }
    );
    let d = run(Req::get("/artifacts/app.zip").bearer(&m2m_token("artifacts/read")));
    assert_eq!(
        d.stability(NOW),
        Stability::Between {
            from: NOW,
            until: NOW + 3600
        }
    );
}

// --- access = "groups" with scopes -------------------------------------------------------------

#[test]
fn groups_and_scopes_route_user_in_group_ok() {
    for t in [
        token(&["downloaders"]),
        jwt(&access_claims(&["downloaders"])),
    ] {
        let d = run(Req::get("/builds/nightly.zip").bearer(&t));
        allowed(&d, "valid_token");
        assert_eq!(
            rule(&d),
            json!({"access": "groups", "matched": "downloaders", "by": "group"})
        );
    }
}

#[test]
fn groups_and_scopes_route_m2m_token_with_the_scope_ok() {
    let d = run(Req::get("/builds/nightly.zip").bearer(&m2m_token("builds/read")));
    allowed(&d, "valid_token");
    assert_eq!(
        rule(&d),
        json!({"access": "groups", "matched": "builds/read", "by": "scope"})
    );
    // A user access token with the scope but in no group.
    let t = jwt(&with_claim(
        access_claims(&[]),
        "scope",
        json!("openid builds/read"),
    ));
    allowed(&run(Req::get("/builds/x").bearer(&t)), "valid_token");
}

#[test]
fn groups_and_scopes_route_neither_403_not_in_group_or_scope() {
    let id_with_scope = jwt(&with_claim(
        id_claims(&["staff"]),
        "scope",
        json!("builds/read"),
    ));
    let staff_access = jwt(&with_claim(
        access_claims(&["staff"]),
        "scope",
        json!("openid"),
    ));
    for t in [
        m2m_token("artifacts/read"),
        token(&["staff"]),
        token(&[]),
        id_with_scope,
        staff_access,
    ] {
        let d = run(Req::get("/builds/nightly.zip").bearer(&t));
        denied(&d, 403, "forbidden", "not_in_group_or_scope");
        assert_eq!(
            rule(&d),
            json!({"access": "groups", "matched": null, "by": null})
        );
        assert!(matches!(
            d.stability(NOW),
            Stability::Between { from: NOW, .. }
        ));
    }
}

#[test]
fn groups_only_route_is_unchanged_scopes_grant_nothing_there() {
    // /releases lists groups only: an access token's scopes play no part, the detail stays
    // not_in_group.
    for scope in ["downloaders", "builds/read", "artifacts/read"] {
        let d = run(Req::get("/releases/app.zip").bearer(&m2m_token(scope)));
        denied(&d, 403, "forbidden", "not_in_group");
        assert_eq!(
            rule(&d),
            json!({"access": "groups", "matched": null, "by": null})
        );
    }
    let d = run(Req::get("/releases/app.zip").bearer(&token(&["downloaders"])));
    assert_eq!(
        rule(&d),
        json!({"access": "groups", "matched": "downloaders", "by": "group"})
    );
}

// --- access = "authenticated" ------------------------------------------------------------------

#[test]
fn authenticated_route_any_valid_token_ok() {
    for t in [
        token(&[]),
        token(&["staff"]),
        jwt(&access_claims(&[])),
        m2m_token("artifacts/read"),
        jwt(&with_claim(id_claims(&[]), "cognito:username", Value::Null)),
    ] {
        let d = run(Req::get("/members/handbook.pdf").bearer(&t));
        let f = allowed(&d, "valid_token");
        assert_eq!(f.route, "/members");
        assert_eq!(
            rule(&d),
            json!({"access": "authenticated", "matched": null, "by": "token"})
        );
        assert_no_leak(&d, &t);
    }
}

#[test]
fn authenticated_route_invalid_tokens_401() {
    let expired = jwt(&with_claim(id_claims(&[]), "exp", json!(NOW)));
    let d = run(Req::get("/members/x").bearer(&expired));
    let denial = denied(&d, 401, "invalid_credential", "expired");
    assert_eq!(denial.www_authenticate, Some(WWW_INVALID));
    assert_eq!(rule(&d), Value::Null);
    assert_eq!(d.stability(NOW), Stability::Never);
    for (claims, detail) in [
        (
            with_claim(id_claims(&[]), "aud", json!(OTHER_CLIENT_ID)),
            "wrong_audience",
        ),
        (
            with_claim(m2m_claims("a"), "client_id", json!(OTHER_CLIENT_ID)),
            "wrong_audience",
        ),
        (
            with_claim(id_claims(&[]), "iss", json!("https://example.com")),
            "wrong_issuer",
        ),
        (
            with_claim(m2m_claims("a"), "token_use", json!("refresh")),
            "wrong_token_use",
        ),
        (
            with_claim(m2m_claims("a"), "iat", json!(NOW + 600)),
            "issued_in_future",
        ),
    ] {
        let d = run(Req::get("/members/x").bearer(&jwt(&claims)));
        denied(&d, 401, "invalid_credential", detail);
    }
    let forged = jwt_signed_by(Key::CfRsa, KID, &id_claims(&[]));
    denied(
        &run(Req::get("/members/x").bearer(&forged)),
        401,
        "invalid_credential",
        "bad_signature",
    );
}

#[test]
fn authenticated_route_respects_the_pools_accepted_token_use() {
    // A pool accepting ID tokens only: an M2M access token fails verification on an
    // authenticated route (no looser rule than the pool's).
    let mut doc = document();
    if let Some(c) = doc.cognito.as_mut() {
        c.token_use = vec![TokenUse::Id];
    }
    doc.routes.retain(|r| r.scopes.is_none());
    let cfg = GateConfig::from_document(&doc, Some(jwks())).unwrap();
    let d = decide(
        &Req::get("/members/x")
            .bearer(&m2m_token("artifacts/read"))
            .build(),
        &cfg,
        &RingVerifier,
        UnixTime(NOW),
    );
    denied(&d, 401, "invalid_credential", "wrong_token_use");
}

// --- what the new kinds share with groups routes ------------------------------------------------

#[test]
fn new_kinds_without_credential_401_missing_credential() {
    for path in ["/members/x", "/artifacts/x", "/builds/x", "/members"] {
        let d = run(Req::get(path));
        let denial = denied(&d, 401, "missing_credential", "no_credential");
        assert_eq!(denial.www_authenticate, Some(WWW_MISSING), "{path}");
        assert_eq!(d.stability(NOW), Stability::Always);
        assert_eq!(rule(&d), Value::Null);
    }
}

#[test]
fn new_kinds_admit_signed_urls_and_cookies() {
    for (prefix, access) in [
        ("/members", "authenticated"),
        ("/artifacts", "scopes"),
        ("/builds", "groups"),
    ] {
        let path = format!("{prefix}/app.zip");
        let url = signed_url(
            &site_url(&path),
            &canned(NOW + 600),
            Key::CfRsa,
            default_hash(Key::CfRsa),
        );
        let d = run(Req::for_url(&url));
        let f = allowed(&d, "valid_signed_url");
        assert_eq!(f.request.querystring, "");
        assert_eq!(
            rule(&d),
            json!({"access": access, "matched": null, "by": "signed_url"})
        );
        let cookies = prefix_cookies(prefix);
        let d = run(Req::get(&path).cookies(&cookies));
        allowed(&d, "valid_signed_cookies");
        assert_eq!(
            rule(&d),
            json!({"access": access, "matched": null, "by": "signed_cookies"})
        );
        // A signed URL for another path is refused as on any route (403, CloudFront's answer).
        let other = signed_url(
            &site_url("/shared/app.zip"),
            &canned(NOW + 600),
            Key::CfRsa,
            default_hash(Key::CfRsa),
        );
        let query = other.split_once('?').map(|(_, q)| q).unwrap();
        denied(
            &run(Req::get(&path).query(query)),
            403,
            "invalid_credential",
            "bad_signature",
        );
    }
}

#[test]
fn new_kinds_other_methods_405() {
    for path in ["/members/x", "/artifacts/x", "/builds/x"] {
        for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
            let d = run(Req::get(path)
                .method(method)
                .bearer(&m2m_token("artifacts/read builds/read")));
            let denial = denied(&d, 405, "bad_request", "method_not_allowed");
            assert_eq!(denial.to_response().headers["allow"][0].value, "GET, HEAD");
        }
        let head = run(Req::get(path)
            .method("HEAD")
            .bearer(&m2m_token("artifacts/read builds/read")));
        allowed(&head, "valid_token");
    }
}

#[test]
fn public_and_signed_routes_show_their_rule_and_refuse_tokens_as_before() {
    let d = run(Req::get("/public/readme.txt").bearer(&m2m_token("artifacts/read")));
    assert_eq!(d.detail(), "public_route");
    assert_eq!(
        rule(&d),
        json!({"access": "public", "matched": null, "by": "public"})
    );
    let d = run(Req::get("/shared/x").bearer(&m2m_token("artifacts/read")));
    denied(&d, 403, "forbidden", "bearer_not_accepted_on_signed_route");
    assert_eq!(rule(&d), Value::Null);
}

#[test]
fn explain_keeps_its_fields_and_adds_rule() {
    let d = run(Req::get("/artifacts/x").bearer(&m2m_token("artifacts/read")));
    let v = d.explain();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "decision", "status", "reason", "detail", "route", "identity", "rule",
    ];
    want.sort_unstable();
    let mut got = keys.clone();
    got.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(v["identity"]["kind"], "cognito");
    assert!(v["identity"].get("username").is_none());
}

#[test]
fn cached_decisions_recheck_the_rule_per_route() {
    // One verified token, one cache: each route's rule is applied on every request.
    let t = m2m_token("artifacts/read");
    let mut cache = VerifiedCache::new();
    for _ in 0..2 {
        for (path, want) in [
            ("/artifacts/x", "valid_token"),
            ("/builds/x", "not_in_group_or_scope"),
            ("/releases/x", "not_in_group"),
            ("/members/x", "valid_token"),
        ] {
            let req = Req::get(path).bearer(&t).build();
            let cached = decide_cached(&req, cfg(), &RingVerifier, UnixTime(NOW), Some(&mut cache));
            assert_eq!(cached.detail(), want, "{path}");
            assert_eq!(cached, decide(&req, cfg(), &RingVerifier, UnixTime(NOW)));
        }
    }
    assert!(cache.stats().0 > 0);
}

// --- configuration ----------------------------------------------------------------------------

fn with_route(route: RouteDoc) -> ConfigDocument {
    let mut doc = document();
    doc.routes.push(route);
    doc
}

fn doc_route(
    access: AccessKind,
    groups: Option<&[&str]>,
    scopes: Option<&[&str]>,
) -> ConfigDocument {
    with_route(RouteDoc {
        prefix: "/extra".to_string(),
        access,
        groups: groups.map(|g| g.iter().map(|s| s.to_string()).collect()),
        scopes: scopes.map(|g| g.iter().map(|s| s.to_string()).collect()),
        networks: None,
        index: None,
        spa: None,
        issuers: None,
        claims: None,
    })
}

#[track_caller]
fn config_error(doc: &ConfigDocument, field: &str) -> ConfigError {
    match GateConfig::from_document(doc, Some(jwks())) {
        Ok(_) => panic!("{field}: accepted"),
        Err(e) => {
            assert_eq!(e.field, field, "{e}");
            e
        }
    }
}

/// The index `with_route` appends at.
fn extra() -> String {
    format!("routes[{}]", document().routes.len())
}

#[test]
fn config_new_kinds_validate_ok() {
    let cfg = gate_config();
    let kinds: Vec<(&str, &str)> = cfg
        .routes()
        .iter()
        .map(|r| (r.prefix.as_str(), r.access.kind()))
        .collect();
    for want in [
        ("/members", "authenticated"),
        ("/artifacts", "scopes"),
        ("/builds", "groups"),
    ] {
        assert!(kinds.contains(&want), "{want:?} in {kinds:?}");
    }
    // Scope-token edges: 128 bytes, 32 scopes, every allowed byte class.
    let long = "a".repeat(128);
    let many: Vec<String> = (0..32).map(|i| format!("s{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    for scopes in [
        vec![long.as_str()],
        many,
        vec!["!#[]^~", "https://api.example.com/read", "a:b"],
    ] {
        GateConfig::from_document(
            &doc_route(AccessKind::Scopes, None, Some(&scopes)),
            Some(jwks()),
        )
        .unwrap_or_else(|e| panic!("{scopes:?}: {e}"));
    }
}

#[test]
fn config_groups_or_scopes_on_the_wrong_kind_fail() {
    let r = extra();
    let e = config_error(
        &doc_route(AccessKind::Authenticated, Some(&["downloaders"]), None),
        &format!("{r}.groups"),
    );
    assert_eq!(
        e.to_string(),
        format!("{r}.groups: only allowed with access = \"groups\"")
    );
    config_error(
        &doc_route(AccessKind::Scopes, Some(&["downloaders"]), Some(&["a"])),
        &format!("{r}.groups"),
    );
    for kind in [
        AccessKind::Authenticated,
        AccessKind::Public,
        AccessKind::Signed,
    ] {
        let e = config_error(&doc_route(kind, None, Some(&["a"])), &format!("{r}.scopes"));
        assert!(e.reason.contains("only allowed"), "{e}");
    }
    // groups stays required for groups, scopes or not
    config_error(
        &doc_route(AccessKind::Groups, None, Some(&["a"])),
        &format!("{r}.groups"),
    );
}

#[test]
fn config_scopes_list_rules_fail() {
    let r = extra();
    let field = format!("{r}.scopes");
    // required and non-empty for access = "scopes"
    let e = config_error(&doc_route(AccessKind::Scopes, None, None), &field);
    assert!(e.reason.contains("required"), "{e}");
    config_error(&doc_route(AccessKind::Scopes, None, Some(&[])), &field);
    // given on a groups route: non-empty too
    config_error(
        &doc_route(AccessKind::Groups, Some(&["downloaders"]), Some(&[])),
        &field,
    );
    // RFC 6749 §3.3 scope-tokens, at most 128 bytes
    let long = "a".repeat(129);
    for bad in [
        "",
        "a b",
        "a\"b",
        "a\\b",
        "tab\there",
        "nl\n",
        "del\u{7f}",
        "é",
        long.as_str(),
    ] {
        for kind in [AccessKind::Scopes, AccessKind::Groups] {
            let groups = (kind == AccessKind::Groups).then_some(&["downloaders"][..]);
            let e = config_error(&doc_route(kind, groups, Some(&["ok", bad])), &field);
            assert!(e.reason.contains("scope 1"), "{bad:?}: {e}");
        }
    }
    // at most 32
    let many: Vec<String> = (0..33).map(|i| format!("s{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    config_error(&doc_route(AccessKind::Scopes, None, Some(&many)), &field);
    // no duplicates
    config_error(
        &doc_route(AccessKind::Scopes, None, Some(&["a", "a"])),
        &field,
    );
}

#[test]
fn config_new_kinds_need_cognito_and_access_tokens() {
    // without [cognito]: groups still works with signed credentials, the token kinds do not
    let mut doc = doc_route(AccessKind::Authenticated, None, None);
    doc.routes
        .retain(|r| r.prefix == "/extra" || r.access == AccessKind::Signed);
    doc.cognito = None;
    config_error(&doc, "routes[1].access");
    let mut doc = doc_route(AccessKind::Scopes, None, Some(&["a"]));
    doc.routes
        .retain(|r| r.prefix == "/extra" || r.access == AccessKind::Signed);
    doc.cognito = None;
    config_error(&doc, "routes[1].access");
    let mut doc = doc_route(AccessKind::Groups, Some(&["g"]), Some(&["a"]));
    doc.routes
        .retain(|r| r.prefix == "/extra" || r.access == AccessKind::Signed);
    doc.cognito = None;
    config_error(&doc, "routes[1].scopes");
    // a pool that accepts ID tokens only can never satisfy a scope
    for (kind, groups) in [
        (AccessKind::Scopes, None),
        (AccessKind::Groups, Some(&["g"][..])),
    ] {
        let mut doc = doc_route(kind, groups, Some(&["a"]));
        doc.routes
            .retain(|r| r.prefix == "/extra" || r.scopes.is_none());
        if let Some(c) = doc.cognito.as_mut() {
            c.token_use = vec![TokenUse::Id];
        }
        let n = doc.routes.len() - 1;
        let e = config_error(&doc, &format!("routes[{n}].scopes"));
        assert!(e.reason.contains("access"), "{e}");
    }
}

#[test]
fn config_document_refuses_unknown_kinds_and_members() {
    let base = serde_json::to_value(document()).unwrap();
    for bad in [
        json!({"prefix": "/x", "access": "Authenticated"}),
        json!({"prefix": "/x", "access": "scope", "scopes": ["a"]}),
        json!({"prefix": "/x", "access": "scopes", "scope": ["a"]}),
        json!({"prefix": "/x", "access": "scopes", "scopes": "a"}),
    ] {
        let mut v = base.clone();
        v["routes"].as_array_mut().unwrap().push(bad.clone());
        assert!(
            serde_json::from_value::<ConfigDocument>(v).is_err(),
            "{bad} parsed"
        );
    }
    // The JSON form of a scopes route parses and validates (the TOML form: infra/cli load.rs).
    let mut v = base.clone();
    v["routes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"prefix": "/x", "access": "scopes", "scopes": ["artifacts/read"]}));
    let doc: ConfigDocument = serde_json::from_value(v).unwrap();
    GateConfig::from_document(&doc, Some(jwks())).unwrap();
}

#[test]
fn config_with_auth_nesting_rules_for_the_new_kinds() {
    let auth = edgegate_edge::config::AuthDoc {
        hosted_ui: "https://auth.example.com".to_string(),
        client_id: CLIENT_ID.to_string(),
        key_pair_id: KP_RSA.to_string(),
        scopes: None,
        identity_provider: None,
        logout_return: None,
        amplify_cookies: None,
        state_max_age_seconds: None,
        secrets: edgegate_edge::config::AuthSecretsDoc {
            cloudfront_private_key: "arn:aws:secretsmanager:us-east-1:111122223333:secret:x"
                .to_string(),
            state_key: "arn:aws:secretsmanager:us-east-1:111122223333:secret:y".to_string(),
            client_secret: None,
        },
    };
    let r = |prefix: &str, access, groups: Option<&[&str]>, scopes: Option<&[&str]>| RouteDoc {
        prefix: prefix.to_string(),
        access,
        groups: groups.map(|g| g.iter().map(|s| s.to_string()).collect()),
        scopes: scopes.map(|g| g.iter().map(|s| s.to_string()).collect()),
        networks: None,
        index: None,
        spa: None,
        issuers: None,
        claims: None,
    };
    let check = |routes: Vec<RouteDoc>| {
        let mut doc = document();
        doc.routes = routes;
        doc.auth = Some(auth.clone());
        GateConfig::from_document(&doc, Some(jwks()))
    };
    // Sign-in cookies for a groups route cover a nested authenticated route (it admits every
    // signed-in user) but not a nested scopes route (no browser user has a scope).
    check(vec![
        r(
            "/releases",
            AccessKind::Groups,
            Some(&["downloaders"]),
            None,
        ),
        r("/releases/any", AccessKind::Authenticated, None, None),
        r("/machine", AccessKind::Scopes, None, Some(&["a"])),
        r("/machine/any", AccessKind::Authenticated, None, None),
    ])
    .unwrap();
    for inner in [
        r("/releases/m2m", AccessKind::Scopes, None, Some(&["a"])),
        r("/members/staff", AccessKind::Groups, Some(&["staff"]), None),
        r("/members/m2m", AccessKind::Scopes, None, Some(&["a"])),
        r("/members/signed", AccessKind::Signed, None, None),
    ] {
        let routes = vec![
            r(
                "/releases",
                AccessKind::Groups,
                Some(&["downloaders"]),
                None,
            ),
            r("/members", AccessKind::Authenticated, None, None),
            inner.clone(),
        ];
        let e = check(routes)
            .err()
            .unwrap_or_else(|| panic!("{} accepted", inner.prefix));
        assert_eq!(e.field, "routes", "{e}");
        assert!(e.reason.contains(&inner.prefix), "{e}");
    }
}

// --- with browser sign-in ([auth]) ------------------------------------------------------------

/// The test deployment with `[auth]` (Amplify cookies accepted), without the fixture's
/// `/releases/internal` (its nesting is refused under `[auth]`).
fn auth_cfg() -> &'static GateConfig {
    static CFG: OnceLock<GateConfig> = OnceLock::new();
    CFG.get_or_init(|| {
        let mut doc = document();
        doc.routes.retain(|r| r.prefix != "/releases/internal");
        doc.auth = Some(edgegate_edge::config::AuthDoc {
            hosted_ui: "https://auth.example.com".to_string(),
            client_id: CLIENT_ID.to_string(),
            key_pair_id: KP_RSA.to_string(),
            scopes: None,
            identity_provider: None,
            logout_return: None,
            amplify_cookies: Some(true),
            state_max_age_seconds: None,
            secrets: edgegate_edge::config::AuthSecretsDoc {
                cloudfront_private_key: "arn:aws:secretsmanager:us-east-1:111122223333:secret:x"
                    .to_string(),
                state_key: "arn:aws:secretsmanager:us-east-1:111122223333:secret:y".to_string(),
                client_secret: None,
            },
        });
        GateConfig::from_document(&doc, Some(jwks())).expect("[auth] config validates")
    })
}

/// A browser navigation ([`Req::navigate`]).
fn nav(uri: &str) -> Req {
    Req::navigate(uri)
}

fn run_auth(req: Req) -> Decision {
    decide(&req.build(), auth_cfg(), &RingVerifier, UnixTime(NOW))
}

#[test]
fn sign_in_redirects_navigations_on_authenticated_routes_never_on_scopes_routes() {
    let d = run_auth(nav("/members/handbook.pdf"));
    let Decision::Redirect(r) = &d else {
        panic!("{}", d.explain())
    };
    assert_eq!(r.location, "/auth/login?return_to=/members/handbook.pdf");
    assert_eq!(d.reason().as_str(), "missing_credential");
    // groups with scopes: a groups route, sign-in gives cookies for it (to its groups)
    assert!(matches!(run_auth(nav("/builds/x")), Decision::Redirect(_)));
    // scopes only: no browser sign-in can satisfy it
    let d = run_auth(nav("/artifacts/x"));
    let denial = denied(&d, 401, "missing_credential", "no_credential");
    assert_eq!(denial.www_authenticate, Some(WWW_MISSING));
    // the loop marker turns the authenticated route's redirect into the loop page
    let d = run_auth(nav("/members/x").cookie("__Secure-edgegate-loop=1"));
    assert_eq!(
        (d.status(), d.detail()),
        (403, "sign_in_loop"),
        "{}",
        d.explain()
    );
    // a valid token that the rule refuses is 403, never a redirect
    let d = run_auth(nav("/artifacts/x").bearer(&token(&["downloaders"])));
    denied(&d, 403, "forbidden", "missing_scope");
}

#[test]
fn amplify_token_cookies_decide_on_the_new_kinds_like_on_groups_routes() {
    let t = token(&[]);
    let amplify = format!(
        "CognitoIdentityServiceProvider.{CLIENT_ID}.LastAuthUser=alice; \
         CognitoIdentityServiceProvider.{CLIENT_ID}.alice.idToken={t}"
    );
    let d = run_auth(Req::get("/members/x").cookie(&amplify));
    let f = allowed(&d, "valid_token");
    assert!(matches!(
        f.identity,
        Identity::Cognito {
            source: "amplify_cookie",
            ..
        }
    ));
    assert_eq!(f.request.header("cookie"), None);
    // An ID token (what Amplify's cookie holds here) never satisfies a scope.
    let d = run_auth(Req::get("/artifacts/x").cookie(&amplify));
    denied(&d, 403, "forbidden", "missing_scope");
    let d = run_auth(Req::get("/builds/x").cookie(&amplify));
    denied(&d, 403, "forbidden", "not_in_group_or_scope");
    assert_no_leak(&d, &t);
}
