//! Several token issuers (`[[issuers]]`, `routes[N].issuers`, `routes[N].claims`): a second
//! Cognito user pool and a generic OIDC issuer (a CI system's workload identity tokens), each
//! with its own keys, audience rules and leeway. Every test starts from the shared test
//! document (`common::document`), so the version-1 routes keep their meaning.

mod common;

use common::*;
use edgegate_edge::cache::VerifiedCache;
use edgegate_edge::config::{
    sign_in_cookie_rule, ConfigDocument, GateConfig, IssuerIndex, COGNITO_ISSUER_ID,
};
use edgegate_edge::gate::{decide_cached, Decision, Identity, Stability};
use edgegate_keys::{RingVerifier, UnixTime};
use serde_json::{json, Value};

/// The shared test document: `[cognito]`, the CI issuer and the partner pool, and the routes
/// `/ci`, `/partners`, `/anyone` and `/tenants` that use them (see `common::document`).
fn doc_json() -> Value {
    serde_json::to_value(document()).unwrap()
}

fn build(doc: &Value) -> Result<GateConfig, edgegate_edge::config::ConfigError> {
    let doc: ConfigDocument = serde_json::from_value(doc.clone()).expect("document shape");
    GateConfig::from_document(&doc, Some(jwks()))
}

fn cfg() -> &'static GateConfig {
    static CFG: std::sync::OnceLock<GateConfig> = std::sync::OnceLock::new();
    CFG.get_or_init(|| build(&doc_json()).expect("issuers config validates"))
}

fn decide_with(req: Req, cache: Option<&mut VerifiedCache>) -> Decision {
    decide_cached(&req.build(), cfg(), &RingVerifier, UnixTime(NOW), cache)
}

fn run(req: Req) -> Decision {
    decide_with(req, None)
}

fn detail(d: &Decision) -> (u16, &'static str) {
    (d.status(), d.detail())
}

#[test]
fn ci_token_is_admitted_by_its_issuer_and_claims() {
    let d = run(Req::get("/ci/app.tar.gz").bearer(&ci_token("example-org")));
    assert_eq!(detail(&d), (200, "valid_token"), "{}", d.explain());
    let explain = d.explain();
    assert_eq!(explain["identity"]["kind"], "oidc");
    assert_eq!(explain["identity"]["issuer"], "ci");
    assert_eq!(
        explain["identity"]["sub"],
        "repo:example-org/app:environment:prod"
    );
    assert_eq!(explain["identity"]["audience"], CI_AUD);
    assert_eq!(explain["rule"]["by"], "token");
    // The window ends at exp plus the CI issuer's own leeway (the pool's is 0).
    assert_eq!(
        d.stability(NOW),
        Stability::Between {
            from: NOW,
            until: NOW + 300 + CI_LEEWAY
        }
    );
    let Decision::Allow(f) = &d else { panic!() };
    assert!(
        !f.request.headers.contains_key("authorization"),
        "token stripped"
    );
}

#[test]
fn claim_rules_are_exact_and_all_must_hold() {
    let d = run(Req::get("/ci/app.tar.gz").bearer(&ci_token("evil-org")));
    assert_eq!(detail(&d), (403, "claim_mismatch"));
    assert_eq!(d.reason().as_str(), "forbidden");
    assert_eq!(d.explain()["identity"]["issuer"], "ci");
    // One of a list: staging passes, a near value does not.
    for (env, expect) in [("staging", 200), ("Prod", 403), ("prod ", 403)] {
        let mut c = ci_claims("example-org");
        c["environment"] = json!(env);
        let d = run(Req::get("/ci/app.tar.gz").bearer(&jwt_signed_by(Key::CfRsa, CI_KID, &c)));
        assert_eq!(d.status(), expect, "{env:?}");
    }
    // Missing, or not a string: refused.
    for bad in [Value::Null, json!(["example-org"]), json!(1)] {
        let mut c = ci_claims("example-org");
        if bad.is_null() {
            c.as_object_mut().unwrap().remove("repository_owner");
        } else {
            c["repository_owner"] = bad.clone();
        }
        let d = run(Req::get("/ci/app.tar.gz").bearer(&jwt_signed_by(Key::CfRsa, CI_KID, &c)));
        assert_eq!(detail(&d), (403, "claim_mismatch"), "{bad}");
    }
}

#[test]
fn a_route_trusts_only_the_issuers_it_lists() {
    // The pool's token on the CI route, the CI token on a default route ([cognito] only).
    let d = run(Req::get("/ci/app.tar.gz").bearer(&token(&["downloaders"])));
    assert_eq!(detail(&d), (403, "issuer_not_trusted"));
    assert_eq!(d.explain()["identity"]["issuer"], COGNITO_ISSUER_ID);
    let d = run(Req::get("/members/x").bearer(&ci_token("example-org")));
    assert_eq!(detail(&d), (403, "issuer_not_trusted"));
    let d = run(Req::get("/releases/1.0.0/app.zip").bearer(&partner_token(&["downloaders"])));
    assert_eq!(detail(&d), (403, "issuer_not_trusted"));
    // A route listing all three admits each.
    for t in [token(&[]), ci_token("someone"), partner_token(&[])] {
        assert_eq!(run(Req::get("/anyone/x").bearer(&t)).status(), 200);
    }
}

#[test]
fn the_second_pool_applies_its_own_rules() {
    let d = run(Req::get("/partners/price-list.pdf").bearer(&partner_token(&["resellers"])));
    assert_eq!(detail(&d), (200, "valid_token"));
    assert_eq!(d.explain()["identity"]["issuer"], "partners");
    assert_eq!(d.explain()["rule"]["matched"], "resellers");
    let d = run(Req::get("/partners/price-list.pdf").bearer(&partner_token(&["staff"])));
    assert_eq!(detail(&d), (403, "not_in_group"));
    // The partner pool takes access tokens only, for its own app client only.
    let mut id = id_claims(&["resellers"]);
    id["iss"] = json!(partner_iss());
    id["aud"] = json!(PARTNER_CLIENT);
    let d = run(Req::get("/partners/price-list.pdf").bearer(&jwt(&id)));
    assert_eq!(detail(&d), (401, "wrong_token_use"));
    let mut other = access_claims(&["resellers"]);
    other["iss"] = json!(partner_iss());
    let d = run(Req::get("/partners/price-list.pdf").bearer(&jwt(&other)));
    assert_eq!(detail(&d), (401, "wrong_audience"));
}

#[test]
fn keys_and_issuers_never_cross() {
    // A token naming the CI issuer but signed with the pool's key (kid unknown to CI).
    let forged = jwt_signed_by(Key::Cognito, KID, &ci_claims("example-org"));
    assert_eq!(
        detail(&run(Req::get("/ci/a").bearer(&forged))),
        (401, "unknown_kid")
    );
    // The CI key under the CI kid, claiming the pool's issuer: the pool has no such kid.
    let mut c = id_claims(&["downloaders"]);
    c["iss"] = json!(issuer());
    let forged = jwt_signed_by(Key::CfRsa, CI_KID, &c);
    assert_eq!(
        detail(&run(Req::get("/releases/1.0.0/app.zip").bearer(&forged))),
        (401, "unknown_kid")
    );
    // An issuer nobody configured: refused by [cognito], wrong issuer.
    let mut c = ci_claims("example-org");
    c["iss"] = json!("https://token.actions.githubusercontent.com/");
    let d = run(Req::get("/ci/a").bearer(&jwt_signed_by(Key::CfRsa, CI_KID, &c)));
    assert_eq!(d.status(), 401);
}

#[test]
fn the_cache_gives_the_same_decisions_and_keeps_the_issuer() {
    let mut cache = VerifiedCache::new();
    let reqs = [
        ("/ci/a", ci_token("example-org")),
        ("/ci/a", ci_token("evil-org")),
        ("/members/a", ci_token("example-org")),
        ("/anyone/a", ci_token("example-org")),
        ("/partners/a", partner_token(&["resellers"])),
        ("/ci/a", partner_token(&["resellers"])),
        ("/tenants/a", token(&[])),
    ];
    for round in 0..3 {
        for (path, t) in &reqs {
            let fresh = run(Req::get(path).bearer(t));
            let cached = decide_with(Req::get(path).bearer(t), Some(&mut cache));
            assert_eq!(fresh, cached, "round {round} {path}");
        }
    }
    let (hits, _) = cache.stats();
    assert!(hits > 0, "the second rounds were answered from the cache");
    // Past the CI issuer's window, a cached token is expired like a fresh one.
    let t = ci_token("example-org");
    let mut at = |now| {
        decide_cached(
            &Req::get("/ci/a").bearer(&t).build(),
            cfg(),
            &RingVerifier,
            UnixTime(now),
            Some(&mut cache),
        )
    };
    assert_eq!(at(NOW + 300 + CI_LEEWAY - 1).status(), 200);
    assert_eq!(detail(&at(NOW + 300 + CI_LEEWAY)), (401, "expired"));
}

#[test]
fn cognito_claims_rules_and_sign_in_cookies() {
    let tenant = |v: Option<&str>| {
        let mut c = id_claims(&[]);
        if let Some(v) = v {
            c["custom:tenant"] = json!(v);
        }
        run(Req::get("/tenants/report.pdf").bearer(&jwt(&c)))
    };
    assert_eq!(tenant(Some("acme")).status(), 200);
    assert_eq!(detail(&tenant(Some("other"))), (403, "claim_mismatch"));
    assert_eq!(detail(&tenant(None)), (403, "claim_mismatch"));
    // Sign-in cookies carry no claims and come from [cognito] only.
    for prefix in ["/ci", "/partners", "/tenants"] {
        let route = cfg().routes().iter().find(|r| r.prefix == prefix).unwrap();
        assert_eq!(sign_in_cookie_rule(route), None, "{prefix}");
    }
    let members = cfg()
        .routes()
        .iter()
        .find(|r| r.prefix == "/members")
        .unwrap();
    assert!(sign_in_cookie_rule(members).is_some());
    assert!(members.trusts(IssuerIndex(0)));
}

#[test]
fn oidc_identity_is_never_a_cognito_identity() {
    let d = run(Req::get("/anyone/x").bearer(&ci_token("example-org")));
    assert!(matches!(d.identity(), Some(Identity::Oidc { issuer, .. }) if issuer == "ci"));
}

/// Each bad config is refused with the field named.
#[test]
fn config_errors_name_the_field() {
    type Edit = fn(&mut Value);
    let cases: Vec<(&str, Edit)> = vec![
        ("issuers[0].id", |d| d["issuers"][0]["id"] = json!("CI")),
        ("issuers[1].id", |d| d["issuers"][1]["id"] = json!("ci")),
        ("issuers[0].id", |d| {
            d["issuers"][0]["id"] = json!("cognito")
        }),
        ("issuers[0].issuer", |d| {
            d["issuers"][0]["issuer"] = json!("http://ci.example")
        }),
        ("issuers[0].audiences", |d| {
            d["issuers"][0]["audiences"] = json!([])
        }),
        ("issuers[0].token_use", |d| {
            d["issuers"][0]["token_use"] = json!(["id"])
        }),
        ("issuers[0].leeway_seconds", |d| {
            d["issuers"][0]["leeway_seconds"] = json!(301)
        }),
        ("issuers[0].jwks_url", |d| {
            d["issuers"][0].as_object_mut().unwrap().remove("jwks");
        }),
        ("issuers[0].jwks", |d| {
            d["issuers"][0]["jwks"] = json!("{\"keys\":[]}")
        }),
        ("issuers[1].issuer", |d| {
            d["issuers"][1]["issuer"] = json!("https://example.com/pool")
        }),
        ("issuers[1].token_use", |d| {
            d["issuers"][1].as_object_mut().unwrap().remove("token_use");
        }),
        ("issuers[1].audiences", |d| {
            d["issuers"][1]["audiences"] = json!(["not-alnum!"])
        }),
        ("issuers[1]", |d| {
            d["issuers"][1]["issuer"] = json!(issuer())
        }),
        ("routes[11].issuers", |d| {
            d["routes"][11]["issuers"] = json!(["nobody"])
        }),
        ("routes[11].issuers", |d| {
            d["routes"][11]["issuers"] = json!(["ci", "ci"])
        }),
        ("routes[11].issuers", |d| {
            d["routes"][11]["issuers"] = json!([])
        }),
        ("routes[12].issuers", |d| {
            d["routes"][12]["issuers"] = json!(["ci"])
        }),
        ("routes[2].issuers", |d| {
            d["routes"][2]["issuers"] = json!(["cognito"])
        }),
        ("routes[11].claims.aud", |d| {
            d["routes"][11]["claims"] = json!({"aud": "x"})
        }),
        ("routes[11].claims.cognito:groups", |d| {
            d["routes"][11]["claims"] = json!({"cognito:groups": "x"})
        }),
        ("routes[11].claims.environment", |d| {
            d["routes"][11]["claims"]["environment"] = json!([])
        }),
        ("routes[11].claims.environment", |d| {
            d["routes"][11]["claims"]["environment"] = json!("")
        }),
        ("routes[2].claims", |d| {
            d["routes"][2]["claims"] = json!({"a": "b"})
        }),
        ("routes[11].claims", |d| {
            d["routes"][11]["claims"] = json!({})
        }),
    ];
    // The routes the edits index.
    let doc = doc_json();
    assert_eq!(doc["routes"][11]["prefix"], "/ci");
    assert_eq!(doc["routes"][12]["prefix"], "/partners");
    assert_eq!(doc["routes"][2]["prefix"], "/shared");
    for (field, edit) in cases {
        let mut d = doc_json();
        edit(&mut d);
        let err = build(&d).expect_err(field);
        assert_eq!(err.field, field, "{err}");
    }
    // A claim name given twice in JSON is refused by the parser, not taken last-wins.
    let text = serde_json::to_string(&doc_json()).unwrap().replacen(
        "\"repository_owner\":\"example-org\"",
        "\"repository_owner\":\"x\",\"repository_owner\":\"example-org\"",
        1,
    );
    let err = serde_json::from_str::<ConfigDocument>(&text).unwrap_err();
    assert!(err.to_string().contains("duplicate claim name"), "{err}");
    // An unknown member of an issuer is refused.
    let mut d = doc_json();
    d["issuers"][0]["region"] = json!("eu-west-1");
    assert!(serde_json::from_value::<ConfigDocument>(d).is_err());
}

#[test]
fn a_document_without_issuers_means_what_it_meant() {
    let mut doc = document();
    doc.issuers = None;
    doc.routes
        .retain(|r| r.issuers.is_none() && r.claims.is_none());
    let plain = GateConfig::from_document(&doc, Some(jwks())).unwrap();
    assert_eq!(plain.issuers().len(), 1);
    for r in plain.routes() {
        assert!(r.claims.is_empty());
        assert_eq!(
            r.issuers.is_empty(),
            !r.access.admits_tokens(),
            "{}",
            r.prefix
        );
    }
    // And it round-trips through JSON without gaining members.
    let text = serde_json::to_string(&doc).unwrap();
    assert!(
        !text.contains("issuers") && !text.contains("claims"),
        "{text}"
    );
}
