//! The pages people see (issue 13, "Pages people see"): a browser navigation refused with a
//! 401 or 403 is shown an HTML page (built-in or the operator's `[pages]`) with a CSP that
//! allows no script; curl and `fetch()` get the reason code as plain text; a missing object
//! is a 404 page or `not_found`; nothing from the request is reflected; `[pages]` errors name
//! the field.

mod common;

use common::*;
use edgegate_edge::config::PagesDoc;
use edgegate_edge::gate::Page;
use edgegate_edge::pages::{not_found, Pages, MAX_PAGE_BYTES, PAGE_CSP};
use edgegate_edge::{decide, CfResponse, ConfigDocument, Decision, GateConfig};
use edgegate_keys::{RingVerifier, UnixTime};

/// A top-level navigation as Chromium sends it ([`Req::navigate`]).
fn browser(uri: &str) -> Req {
    Req::navigate(uri)
}

fn response(d: &Decision) -> CfResponse {
    match d {
        Decision::Deny(denial) => denial.to_response(),
        other => panic!("expected a denial, got {}", other.explain()),
    }
}

fn header<'a>(r: &'a CfResponse, name: &str) -> Option<&'a str> {
    r.headers
        .get(name)
        .and_then(|v| v.first())
        .map(|e| e.value.as_str())
}

fn assert_html_page(r: &CfResponse, status: &str, code: &str) -> String {
    assert_eq!(r.status, status);
    assert_eq!(header(r, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(header(r, "content-security-policy"), Some(PAGE_CSP));
    assert_eq!(header(r, "cache-control"), Some("no-store"));
    assert_eq!(header(r, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(r, "referrer-policy"), Some("no-referrer"));
    assert_eq!(r.headers["content-type"].len(), 1, "one Content-Type");
    let body = r.body.clone().expect("a page");
    assert!(body.starts_with("<!doctype html>"), "{body}");
    assert!(
        body.contains(&format!("<code>{status} {code}</code>")),
        "{body}"
    );
    body
}

fn assert_plain(r: &CfResponse, status: &str, code: &str) {
    assert_eq!(r.status, status);
    assert_eq!(header(r, "content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(header(r, "content-security-policy"), None);
    assert_eq!(r.body.as_deref(), Some(format!("{code}\n").as_str()));
}

#[test]
fn browsers_get_the_page_and_cli_clients_the_reason_code() {
    // 401 without a credential: the page for a navigation, with its WWW-Authenticate
    let r = response(&run(browser("/releases/app.tar.gz")));
    let body = assert_html_page(&r, "401", "missing_credential");
    assert!(body.contains("<title>Sign-in required</title>"));
    assert_eq!(
        header(&r, "www-authenticate"),
        Some("Bearer realm=\"edgegate\"")
    );
    // curl (Accept: */*), a fetch() that accepts HTML (Sec-Fetch-Mode decides), a POST
    assert_plain(
        &response(&run(Req::get("/releases/app.tar.gz"))),
        "401",
        "missing_credential",
    );
    assert_plain(
        &response(&run(browser("/releases/app.tar.gz")
            .without_header("sec-fetch-mode")
            .header("sec-fetch-mode", "cors"))),
        "401",
        "missing_credential",
    );
    // an old browser without Sec-Fetch-Mode: Accept decides
    let old = Req::get("/releases/app.tar.gz")
        .without_header("accept")
        .header("accept", "text/html");
    assert_html_page(&response(&run(old)), "401", "missing_credential");

    // 403: not in the group, no route, a tampered signed URL
    let staff = token(&["staff"]);
    let r = response(&run(browser("/releases/app.tar.gz").bearer(&staff)));
    let body = assert_html_page(&r, "403", "forbidden");
    assert!(body.contains("<title>Access denied</title>"));
    assert_plain(
        &response(&run(Req::get("/releases/app.tar.gz").bearer(&staff))),
        "403",
        "forbidden",
    );
    assert_html_page(&response(&run(browser("/nowhere/x"))), "403", "no_route");
    // 400 and 405 stay plain text for everyone
    assert_plain(
        &response(&run(browser("/releases/%2e%2e/secret"))),
        "400",
        "bad_request",
    );
    let post = browser("/releases/app.tar.gz").method("POST");
    assert_plain(&response(&run(post)), "405", "bad_request");
}

#[test]
fn nothing_from_the_request_is_reflected_into_a_page() {
    let hostile = "<script>alert(1)</script>";
    let q = "x=%3Cscript%3E&y=<img/src/onerror=alert(2)>";
    for req in [
        browser("/releases/zqx-app.tar.gz").query(q),
        browser("/releases/zqx-app.tar.gz").bearer(&format!("zqx.{hostile}.x")),
        browser("/nowhere/zqx").cookie(&format!("zqx={hostile}")),
    ] {
        let d = run(req);
        let Decision::Deny(denial) = &d else {
            panic!("{}", d.explain())
        };
        assert!(matches!(denial.page, Some(Page::Status(_))));
        let body = denial.to_response().body.unwrap_or_default();
        for reflected in ["zqx", "script", "alert", "onerror", "releases", "nowhere"] {
            assert!(!body.contains(reflected), "{reflected} reflected in {body}");
        }
    }
}

fn config_with(pages: PagesDoc) -> Result<GateConfig, edgegate_edge::ConfigError> {
    let doc = ConfigDocument {
        pages: Some(pages),
        ..document()
    };
    GateConfig::from_document(&doc, Some(jwks()))
}

#[test]
fn operator_pages_replace_the_built_in_ones_rendered_escaped() {
    let cfg = config_with(PagesDoc {
        forbidden: Some("<!doctype html><p>No: {{status}} / {{reason}}</p>".into()),
        not_found: Some("<!doctype html><p>Gone {{status}}</p>".into()),
        ..PagesDoc::default()
    })
    .expect("pages validate");
    let staff = token(&["staff"]);
    let d = decide(
        &browser("/releases/app.tar.gz").bearer(&staff).build(),
        &cfg,
        &RingVerifier,
        UnixTime(NOW),
    );
    let r = response(&d);
    assert_eq!(
        r.body.as_deref(),
        Some("<!doctype html><p>No: 403 / forbidden</p>")
    );
    assert_eq!(header(&r, "content-security-policy"), Some(PAGE_CSP));
    // the 401 page was not replaced: still the built-in one
    let d = decide(
        &browser("/releases/app.tar.gz").build(),
        &cfg,
        &RingVerifier,
        UnixTime(NOW),
    );
    assert!(response(&d)
        .body
        .unwrap_or_default()
        .contains("Sign-in required"));
    // the 404 page for a navigation, plain text for curl
    let r = not_found(cfg.pages(), &browser("/releases/missing.tar.gz").build());
    assert_eq!(r.body.as_deref(), Some("<!doctype html><p>Gone 404</p>"));
    assert_eq!(header(&r, "content-security-policy"), Some(PAGE_CSP));
    assert_eq!(header(&r, "cache-control"), Some("no-store"));
}

#[test]
fn the_404_is_a_page_for_browsers_and_not_found_for_clients() {
    let pages = Pages::default();
    let r = not_found(&pages, &browser("/releases/missing.tar.gz").build());
    let body = assert_html_page(&r, "404", "not_found");
    assert!(body.contains("<title>Not found</title>") && !body.contains("missing"));
    let r = not_found(&pages, &Req::get("/releases/missing.tar.gz").build());
    assert_plain(&r, "404", "not_found");
    assert_eq!(header(&r, "cache-control"), Some("no-store"));
}

#[test]
fn pages_errors_name_the_field() {
    let cases: [(PagesDoc, &str); 6] = [
        (
            PagesDoc {
                forbidden: Some(String::new()),
                ..PagesDoc::default()
            },
            "pages.forbidden",
        ),
        (
            PagesDoc {
                unauthorized: Some("<p>{{uri}}</p>".into()),
                ..PagesDoc::default()
            },
            "pages.unauthorized",
        ),
        (
            PagesDoc {
                not_found: Some("<p>{{status</p>".into()),
                ..PagesDoc::default()
            },
            "pages.not_found",
        ),
        (
            PagesDoc {
                not_found: Some("a\0b".into()),
                ..PagesDoc::default()
            },
            "pages.not_found",
        ),
        (
            PagesDoc {
                forbidden: Some("x".repeat(MAX_PAGE_BYTES + 1)),
                ..PagesDoc::default()
            },
            "pages.forbidden",
        ),
        (
            PagesDoc {
                unauthorized_file: Some("pages/401.html".into()),
                ..PagesDoc::default()
            },
            "pages.unauthorized_file",
        ),
    ];
    for (doc, field) in cases {
        let err = config_with(doc).expect_err(field);
        assert_eq!(err.field, field, "{}", err.reason);
    }
    // the largest page allowed, of the bytes JSON escapes, keeps the whole generated response
    // under Lambda@Edge's 40 KB; placeholders that would render past the cap are refused
    let big = format!("<p>{{{{reason}}}}</p>{}", "\"".repeat(MAX_PAGE_BYTES - 40));
    let too_many = PagesDoc {
        unauthorized: Some("{{reason}}".repeat(MAX_PAGE_BYTES / 10)),
        ..PagesDoc::default()
    };
    assert_eq!(
        config_with(too_many).expect_err("renders too large").field,
        "pages.unauthorized"
    );
    let cfg = config_with(PagesDoc {
        unauthorized: Some(big),
        ..PagesDoc::default()
    })
    .expect("a page of the maximum size");
    let r = response(&decide(
        &browser("/releases/app.tar.gz").build(),
        &cfg,
        &RingVerifier,
        UnixTime(NOW),
    ));
    let json = serde_json::to_string(&r).expect("response JSON");
    assert!(json.len() < 40 * 1024, "{} bytes", json.len());
}

#[test]
fn pages_in_the_document_parse_and_unknown_members_are_refused() {
    let text = r#"{"version":1,"site":{"domain":"downloads.example.com"},
        "routes":[{"prefix":"/","access":"public"}],
        "pages":{"forbidden":"<p>{{status}}</p>"}}"#;
    let doc: ConfigDocument = serde_json::from_str(text).expect("document");
    assert_eq!(
        doc.pages.as_ref().and_then(|p| p.forbidden.as_deref()),
        Some("<p>{{status}}</p>")
    );
    let bad = text.replace("\"forbidden\"", "\"forbiden\"");
    let err = serde_json::from_str::<ConfigDocument>(&bad).expect_err("misspelt member");
    assert!(err.to_string().contains("forbiden"), "{err}");
}
