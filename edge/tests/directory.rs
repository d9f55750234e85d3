//! Directory index, trailing slash and single-page-app fallback (issue 13, "Directory index
//! and trailing slash"): `routes[N].index` and `routes[N].spa`, applied after the gate's
//! decision on the canonical path, never widening what it admitted; through `decide`,
//! `Decision::stability`, `explain`, the generated 302 and config validation.
//!
//! Test routes: `common`'s `/docs` (public, `index = "index.html"`) and `/portal` (groups
//! `downloaders`, an SPA fallback); here also `/docs/staff` groups `staff` (no index); `/site` public with an index whose `index.html` is a nested `staff` route;
//! `/app` public SPA whose index is a nested `staff` route; `/labdocs` groups `downloaders`
//! from the lab networks with an index.

mod common;

use common::*;
use edgegate_edge::config::{AccessKind, RouteDoc};
use edgegate_edge::gate::{Redirect, RedirectTo, Stability};
use edgegate_edge::{decide, ConfigDocument, Decision, GateConfig, Identity, ViewerRequest};
use edgegate_keys::{RingVerifier, UnixTime};

fn with_index(route: RouteDoc, index: &str, spa: Option<bool>) -> RouteDoc {
    RouteDoc {
        index: Some(index.to_string()),
        spa,
        ..route
    }
}

fn document_with_directories() -> ConfigDocument {
    let mut doc = document();
    doc.routes.extend([
        route("/docs/staff", AccessKind::Groups, Some(&["staff"])),
        with_index(route("/site", AccessKind::Public, None), "index.html", None),
        route("/site/index.html", AccessKind::Groups, Some(&["staff"])),
        with_index(
            route("/app", AccessKind::Public, None),
            "index.html",
            Some(true),
        ),
        route("/app/index.html", AccessKind::Groups, Some(&["staff"])),
        with_index(
            with_networks(
                route("/labdocs", AccessKind::Groups, Some(&["downloaders"])),
                &LAB_NETWORKS,
            ),
            "index.html",
            Some(false),
        ),
    ]);
    doc
}

fn dir_cfg() -> &'static GateConfig {
    static CFG: std::sync::OnceLock<GateConfig> = std::sync::OnceLock::new();
    CFG.get_or_init(|| {
        GateConfig::from_document(&document_with_directories(), Some(jwks()))
            .expect("directory config validates")
    })
}

fn decide_dir(req: Req) -> Decision {
    decide(&req.build(), dir_cfg(), &RingVerifier, UnixTime(NOW))
}

#[track_caller]
fn forwarded(d: &Decision) -> &ViewerRequest {
    match d {
        Decision::Allow(f) => &f.request,
        other => panic!("expected an allow, got {}", other.explain()),
    }
}

#[track_caller]
fn redirect(d: &Decision) -> &Redirect {
    match d {
        Decision::Redirect(r) => r,
        other => panic!("expected a redirect, got {}", other.explain()),
    }
}

#[test]
fn directory_paths_are_served_their_index_ok() {
    for (path, served) in [
        ("/docs/", "/docs/index.html"),
        ("/docs/guide/", "/docs/guide/index.html"),
        ("/docs/a/b/c/", "/docs/a/b/c/index.html"),
    ] {
        for method in ["GET", "HEAD"] {
            let d = decide_dir(Req::get(path).method(method));
            assert_eq!(forwarded(&d).uri, served, "{method} {path}");
            assert_eq!(d.detail(), "public_route");
            assert_eq!(d.stability(NOW), Stability::Always, "{path}");
        }
    }
    // Names with an extension are served as they are.
    for path in ["/docs/style.css", "/docs/guide/v1.2", "/docs/.well-known"] {
        assert_eq!(forwarded(&decide_dir(Req::get(path))).uri, path);
    }
}

#[test]
fn directory_without_trailing_slash_redirects_to_it_ok() {
    for (path, query, location) in [
        ("/docs", "", "/docs/"),
        ("/docs/guide", "", "/docs/guide/"),
        ("/docs/guide", "lang=en&x=1", "/docs/guide/?lang=en&x=1"),
        // Query bytes a header must not carry raw are percent-encoded.
        ("/docs/guide", "q=\u{e9}\"<", "/docs/guide/?q=%C3%A9%22%3C"),
    ] {
        let d = decide_dir(Req::get(path).query(query));
        let r = redirect(&d);
        assert_eq!(r.location, location, "{path}?{query}");
        assert_eq!(r.to, RedirectTo::Directory(Identity::Anonymous));
        assert_eq!(
            (d.status(), d.reason().as_str(), d.detail()),
            (302, "public", "trailing_slash")
        );
        assert_eq!(d.stability(NOW), Stability::Always);
        let response = r.to_response();
        assert_eq!(response.status, "302");
        assert_eq!(response.headers["location"][0].value, location);
        assert_eq!(response.headers["cache-control"][0].value, "no-store");
        assert!(response.body.is_none());
        let explain = d.explain();
        assert_eq!(explain["decision"], "redirect");
        assert_eq!(explain["identity"]["kind"], "anonymous");
        assert_eq!(explain["rule"]["by"], "public");
    }
}

#[test]
fn directory_redirect_is_decided_after_the_gate_401_and_403_first() {
    // The nested staff route has no index, and its own rule decides first.
    let d = decide_dir(Req::get("/docs/staff/handbook"));
    assert_eq!(
        (d.status(), d.reason().as_str()),
        (401, "missing_credential")
    );
    let d = decide_dir(Req::get("/docs/staff/handbook").bearer(&token(&["staff"])));
    assert_eq!(forwarded(&d).uri, "/docs/staff/handbook", "no index there");
    // A gated SPA route: no credential, no index and no redirect.
    let d = decide_dir(Req::get("/portal/settings"));
    assert_eq!(d.status(), 401);
    let d = decide_dir(Req::get("/portal/settings").bearer(&token(&["staff"])));
    assert_eq!((d.status(), d.detail()), (403, "not_in_group"));
}

#[test]
fn spa_fallback_serves_the_route_index_for_extensionless_paths_ok() {
    let downloader = token(&["downloaders"]);
    for path in [
        "/portal",
        "/portal/",
        "/portal/settings",
        "/portal/a/b/",
        "/portal/users/42",
    ] {
        let d = decide_dir(Req::get(path).bearer(&downloader));
        let out = forwarded(&d);
        assert_eq!(out.uri, "/portal/index.html", "{path}");
        assert!(out.header("authorization").is_none(), "credential stripped");
        assert!(matches!(
            d.stability(NOW),
            Stability::Between { from: NOW, .. }
        ));
        assert_eq!(d.explain()["rule"]["matched"], "downloaders");
    }
    for path in ["/portal/app.js", "/portal/assets/logo.svg"] {
        let d = decide_dir(Req::get(path).bearer(&downloader));
        assert_eq!(forwarded(&d).uri, path);
    }
}

#[test]
fn index_never_widens_nested_route_keeps_its_rule() {
    // `/site/index.html` is its own (staff) route: `/site/` is not rewritten into it.
    let d = decide_dir(Req::get("/site/"));
    assert_eq!(forwarded(&d).uri, "/site/");
    let d = decide_dir(Req::get("/site/index.html"));
    assert_eq!(d.status(), 401, "the nested route decides its own path");
    // Other directories of `/site` are served their index as usual.
    assert_eq!(
        forwarded(&decide_dir(Req::get("/site/news/"))).uri,
        "/site/news/index.html"
    );
    // The SPA fallback never serves a nested route's file either.
    for path in ["/app/", "/app/deep/link"] {
        assert_eq!(forwarded(&decide_dir(Req::get(path))).uri, path, "{path}");
    }
}

#[test]
fn directory_redirect_drops_signing_parameters_and_keeps_the_rest_ok() {
    // A canned signed URL of this site for `path_and_query`, valid 600 s.
    let signed = |path_and_query: &str| {
        let url = site_url(path_and_query);
        signed_url(
            &url,
            &canned(NOW + 600),
            Key::CfRsa,
            default_hash(Key::CfRsa),
        )
    };
    // An SPA route serves its index; a non-SPA route redirects: use `/labdocs`.
    let d = decide_dir(Req::for_url(&signed("/portal/dist/v2?build=7")));
    assert_eq!(forwarded(&d).uri, "/portal/index.html");
    assert_eq!(forwarded(&d).querystring, "build=7");
    let signed = signed("/labdocs/manual?build=7");
    let d = decide_dir(Req::for_url(&signed));
    let r = redirect(&d);
    assert_eq!(r.location, "/labdocs/manual/?build=7");
    assert!(!r.location.contains("Signature"), "never echoed");
    assert_eq!(d.reason().as_str(), "ok");
    assert_eq!(d.explain()["rule"]["by"], "signed_url");
    assert_eq!(d.explain()["rule"]["network"], "192.0.2.0/24");
    // Bound to the viewer address and to the credential's expiry.
    assert_eq!(
        d.stability(NOW),
        Stability::Between {
            from: NOW,
            until: NOW + 600
        }
    );
    // From outside the networks: refused before anything else.
    let d = decide_dir(Req::for_url(&signed).client_ip("203.0.113.9"));
    assert_eq!((d.status(), d.detail()), (403, "network_not_allowed"));
}

#[test]
fn routes_without_index_are_unchanged() {
    for path in ["/public/", "/public/dir"] {
        let d = run(Req::get(path));
        assert_eq!(forwarded(&d).uri, path);
    }
}

#[test]
fn index_config_errors_name_the_field() {
    let long = "a".repeat(256);
    for (index, spa, field) in [
        (Some(""), None, "index"),
        (Some("a/b.html"), None, "index"),
        (Some(".."), None, "index"),
        (Some("."), None, "index"),
        (Some("index page.html"), None, "index"),
        (Some("%69ndex.html"), None, "index"),
        (Some(long.as_str()), None, "index"),
        (None, Some(true), "spa"),
        (None, Some(false), "spa"),
    ] {
        let mut doc = document();
        doc.routes.push(RouteDoc {
            index: index.map(str::to_string),
            spa,
            ..route("/extra", AccessKind::Public, None)
        });
        let e = GateConfig::from_document(&doc, Some(jwks()))
            .expect_err(&format!("{index:?} {spa:?} must be refused"));
        let expect = format!("routes[{}].{field}", doc.routes.len() - 1);
        assert_eq!(e.field, expect, "{index:?} {spa:?}: {e}");
    }
    let mut doc = document();
    doc.routes.push(with_index(
        route("/", AccessKind::Public, None),
        "home.htm",
        Some(true),
    ));
    let cfg = GateConfig::from_document(&doc, Some(jwks())).expect("root SPA validates");
    let d = decide(
        &Req::get("/x/y").build(),
        &cfg,
        &RingVerifier,
        UnixTime(NOW),
    );
    assert_eq!(forwarded(&d).uri, "/home.htm");
}
