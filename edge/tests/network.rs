//! Network conditions (issue 12, "Network conditions"): `routes[N].networks` on a gated route
//! (the viewer address must be inside one of them in addition to the credential rule) and
//! `access = "network"` (a network admitted without a credential, explicitly), through
//! `decide`, `Decision::stability`, `explain` and config validation.
//!
//! Test routes (`common`): `/lab` groups `downloaders` from `192.0.2.0/24` or `2001:db8::/32`
//! (the default viewer `192.0.2.10` is inside); `/mirror` network `198.51.100.0/24` or
//! `2001:db8:100::/48`.

mod common;

use common::*;
use edgegate_edge::config::{AccessKind, RouteDoc};
use edgegate_edge::gate::Stability;
use edgegate_edge::{ConfigDocument, Decision, GateConfig, Identity};
use serde_json::json;

#[track_caller]
fn outcome(d: &Decision) -> (u16, &'static str, &'static str) {
    (d.status(), d.reason().as_str(), d.detail())
}

const ANYWHERE: Stability = Stability::Between {
    from: 0,
    until: u64::MAX,
};

#[test]
fn network_gated_route_needs_address_and_credential_ok() {
    let downloader = token(&["downloaders"]);
    for ip in ["192.0.2.10", "::ffff:192.0.2.10", "2001:db8:ffff::1"] {
        let d = run(Req::get("/lab/tool.zip").client_ip(ip).bearer(&downloader));
        assert_eq!(outcome(&d), (200, "ok", "valid_token"), "{ip}");
        let rule = &d.explain()["rule"];
        assert_eq!(rule["by"], "group", "{ip}");
        let expect = if ip.contains("2001") {
            "2001:db8::/32"
        } else {
            "192.0.2.0/24"
        };
        assert_eq!(rule["network"], expect, "{ip}");
        // A verified credential's window, as on any route (bound to the address anyway).
        assert!(
            matches!(d.stability(NOW), Stability::Between { from: NOW, .. }),
            "{ip}"
        );
    }
    let d = run(Req::get("/lab/tool.zip"));
    assert_eq!(outcome(&d), (401, "missing_credential", "no_credential"));
    assert_eq!(
        d.stability(NOW),
        ANYWHERE,
        "no credential: bound to the address"
    );
    assert_eq!(d.explain()["rule"]["network"], "192.0.2.0/24");
    let d = run(Req::get("/lab/tool.zip").bearer(&token(&["staff"])));
    assert_eq!(outcome(&d), (403, "forbidden", "not_in_group"));
}

#[test]
fn network_gated_route_outside_is_refused_before_any_credential_fails() {
    let downloader = token(&["downloaders"]);
    for ip in [
        "198.51.100.7",
        "192.0.3.1",
        "::ffff:198.51.100.7",
        "2001:db9::1",
        "::192.0.2.10",
        "",
        "not an address",
        "192.0.2.10 ",
        "fe80::1%eth0",
    ] {
        for req in [
            Req::get("/lab/tool.zip").client_ip(ip).bearer(&downloader),
            Req::get("/lab/tool.zip").client_ip(ip).bearer("garbage"),
            Req::get("/lab/tool.zip").client_ip(ip),
        ] {
            let d = run(req);
            assert_eq!(
                outcome(&d),
                (403, "forbidden", "network_not_allowed"),
                "{ip:?}"
            );
            assert_eq!(d.stability(NOW), ANYWHERE, "{ip:?}");
            let explain = d.explain();
            assert_eq!(explain["identity"], json!(null), "{ip:?}");
            assert_eq!(
                explain["rule"],
                json!({"access": "groups", "matched": null, "by": null, "network": null})
            );
        }
    }
    // The method check comes first.
    let d = run(Req::get("/lab/tool.zip")
        .method("POST")
        .client_ip("198.51.100.7"));
    assert_eq!(outcome(&d), (405, "bad_request", "method_not_allowed"));
    assert_eq!(d.stability(NOW), ANYWHERE);
}

#[test]
fn network_route_admits_inside_without_credential_and_strips_any_ok() {
    for ip in ["198.51.100.7", "::ffff:198.51.100.200", "2001:db8:100:1::9"] {
        let d = run(Req::get("/mirror/iso/disk.img")
            .client_ip(ip)
            .query("v=1&Signature=abc")
            .bearer(&token(&["downloaders"]))
            .cookie("CloudFront-Policy=x; keep=1"));
        assert_eq!(outcome(&d), (200, "ok", "network"), "{ip}");
        let Decision::Allow(f) = &d else {
            unreachable!()
        };
        assert_eq!(f.identity, Identity::Network);
        assert!(!f.request.headers.contains_key("authorization"));
        assert_eq!(f.request.header("cookie"), Some("keep=1"));
        assert_eq!(f.request.querystring, "v=1");
        assert_eq!(d.stability(NOW), ANYWHERE);
        let rule = &d.explain()["rule"];
        assert_eq!(
            (&rule["access"], &rule["by"]),
            (&json!("network"), &json!("network"))
        );
        assert!(rule["network"].is_string(), "{ip}: {rule}");
    }
    for ip in ["192.0.2.10", "2001:db8::1", "", "x"] {
        let d = run(Req::get("/mirror/iso/disk.img")
            .client_ip(ip)
            .bearer(&token(&["downloaders"])));
        assert_eq!(
            outcome(&d),
            (403, "forbidden", "network_not_allowed"),
            "{ip:?}"
        );
        assert_eq!(d.stability(NOW), ANYWHERE);
    }
    let d = run(Req::get("/mirror/iso/disk.img")
        .method("POST")
        .client_ip("198.51.100.7"));
    assert_eq!(outcome(&d), (405, "bad_request", "method_not_allowed"));
}

#[test]
fn routes_without_networks_keep_their_stability_and_explain_ok() {
    let d = run(Req::get("/releases/a.zip"));
    assert_eq!(d.stability(NOW), Stability::Always);
    assert!(d.explain()["rule"].is_null());
    let d = run(Req::get("/releases/a.zip").bearer(&token(&["downloaders"])));
    assert!(d.explain()["rule"].get("network").is_none());
    let d = run(Req::get("/public/a.txt").client_ip("198.51.100.7"));
    assert_eq!(d.stability(NOW), Stability::Always);
}

// --- configuration ----------------------------------------------------------------------------

fn with_extra(access: AccessKind, networks: Option<Vec<String>>) -> ConfigDocument {
    let mut doc = document();
    doc.routes.push(RouteDoc {
        prefix: "/extra".to_string(),
        access,
        groups: (access == AccessKind::Groups).then(|| vec!["downloaders".to_string()]),
        scopes: (access == AccessKind::Scopes).then(|| vec!["artifacts/read".to_string()]),
        networks,
        index: None,
        spa: None,
        issuers: None,
        claims: None,
    });
    doc
}

fn list(items: &[&str]) -> Option<Vec<String>> {
    Some(items.iter().map(|s| s.to_string()).collect())
}

#[test]
fn networks_config_errors_name_the_field() {
    let field = format!("routes[{}].networks", document().routes.len());
    let field = field.as_str();
    for (access, networks, says) in [
        (
            AccessKind::Public,
            list(&["192.0.2.0/24"]),
            "access = \"network\"",
        ),
        (AccessKind::Network, None, "required"),
        (AccessKind::Network, list(&[]), "at least one"),
        (AccessKind::Groups, list(&[]), "at least one"),
        (AccessKind::Signed, list(&["192.0.2.1/24"]), "host bits"),
        (AccessKind::Authenticated, list(&["fe80::1%eth0"]), "zone"),
        (AccessKind::Scopes, list(&[" 192.0.2.0/24"]), "whitespace"),
        (AccessKind::Network, list(&["192.0.2.0/33"]), "prefix"),
        (AccessKind::Network, list(&["::ffff:192.0.2.0/120"]), "IPv4"),
        (AccessKind::Network, list(&["example.com"]), "network 0"),
        (
            AccessKind::Network,
            list(&["192.0.2.0/24", "198.51.100.7", "198.51.100.7/32"]),
            "network 2 (\"198.51.100.7/32\") is listed twice",
        ),
    ] {
        let e = GateConfig::from_document(&with_extra(access, networks.clone()), Some(jwks()))
            .unwrap_err();
        assert_eq!(e.field, field, "{access:?} {networks:?}: {e}");
        assert!(e.reason.contains(says), "{access:?} {networks:?}: {e}");
    }
    let many: Vec<String> = (0..65).map(|i| format!("10.0.{i}.0/24")).collect();
    let e = GateConfig::from_document(
        &with_extra(AccessKind::Network, Some(many.clone())),
        Some(jwks()),
    )
    .unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.reason.as_str()),
        (field, "at most 64 networks")
    );
    GateConfig::from_document(
        &with_extra(AccessKind::Network, Some(many[..64].to_vec())),
        Some(jwks()),
    )
    .unwrap();
    // groups / scopes on a network route are refused as on other kinds.
    let mut doc = with_extra(AccessKind::Network, list(&["192.0.2.0/24"]));
    if let Some(r) = doc.routes.last_mut() {
        r.groups = Some(vec!["downloaders".to_string()]);
    }
    let e = GateConfig::from_document(&doc, Some(jwks())).unwrap_err();
    assert_eq!(
        e.field,
        format!("routes[{}].groups", document().routes.len())
    );
}

#[test]
fn networks_in_the_document_parse_and_misspellings_fail() {
    let r: RouteDoc = serde_json::from_value(json!({
        "prefix": "/m", "access": "network", "networks": ["198.51.100.0/24", "2001:db8::/32"]
    }))
    .unwrap();
    assert_eq!(
        (r.access, r.networks),
        (
            AccessKind::Network,
            list(&["198.51.100.0/24", "2001:db8::/32"])
        )
    );
    assert!(
        serde_json::from_value::<RouteDoc>(json!({"prefix": "/m", "access": "Network"})).is_err()
    );
    assert!(serde_json::from_value::<RouteDoc>(
        json!({"prefix": "/m", "access": "network", "network": ["192.0.2.0/24"]})
    )
    .is_err());
}
