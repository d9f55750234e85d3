//! The shared decision corpus (`tests/corpus/` at the workspace root, written by
//! `cargo run -p edgegate-edge --example gen_corpus`) through the native gate.
//!
//! The configuration is rebuilt from `config.json` + `jwks.json` exactly as a consumer of the
//! corpus would (the Node.js test of the wasm bundle reads the same files), each case's event
//! goes through `decide` with `ring` at the case's `now`, and the verdict must equal the
//! hand-written `expect`.

mod common;

use edgegate_edge::cookies::CookieJar;
use edgegate_edge::{
    decide, decide_cached, ConfigDocument, Decision, GateConfig, VerifiedCache, ViewerRequest,
    ViewerRequestEvent,
};
use edgegate_keys::{Jwks, RingVerifier, UnixTime};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Forward {
    #[serde(default)]
    uri: Option<String>,
    querystring: String,
    cookie: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Expect {
    decision: String,
    status: u16,
    reason: String,
    detail: String,
    #[serde(default)]
    forward: Option<Forward>,
    #[serde(default)]
    location: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    now: u64,
    event: serde_json::Value,
    expect: Expect,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(file stem, case)` for every `cases/*.json`, in file name order.
fn cases() -> Vec<(String, Case)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir().join("cases"))
        .expect("tests/corpus/cases")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            let case: Case =
                serde_json::from_str(&read(&p)).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (stem, case)
        })
        .collect()
}

fn corpus_config() -> GateConfig {
    let dir = corpus_dir();
    let doc: ConfigDocument = serde_json::from_str(&read(&dir.join("config.json"))).unwrap();
    let jwks_file = doc
        .cognito
        .as_ref()
        .and_then(|c| c.jwks_file.clone())
        .unwrap();
    let jwks = Jwks::parse(read(&dir.join(jwks_file)).as_bytes()).unwrap();
    GateConfig::from_document(&doc, Some(jwks)).unwrap()
}

/// What the corpus says about one decision on `request`, in the corpus's own terms.
fn observed(request: &ViewerRequest, decision: &Decision) -> Expect {
    Expect {
        decision: decision.kind().to_string(),
        status: decision.status(),
        reason: decision.reason().as_str().to_string(),
        detail: decision.detail().to_string(),
        forward: match decision {
            Decision::Allow(f) => Some(Forward {
                uri: (f.request.uri != request.uri).then(|| f.request.uri.clone()),
                querystring: f.request.querystring.clone(),
                cookie: f.request.header("cookie").map(str::to_string),
            }),
            Decision::Deny(_) | Decision::Redirect(_) => None,
        },
        location: match decision {
            Decision::Redirect(r) => Some(r.location.clone()),
            Decision::Allow(_) | Decision::Deny(_) => None,
        },
    }
}

#[test]
fn corpus_cases_give_the_expected_decisions() {
    let cfg = corpus_config();
    let cases = cases();
    assert!(cases.len() >= 40, "only {} corpus cases", cases.len());
    let mut failures = Vec::new();
    for (stem, case) in &cases {
        let event: ViewerRequestEvent =
            serde_json::from_value(case.event.clone()).unwrap_or_else(|e| panic!("{stem}: {e}"));
        let request = event
            .request()
            .unwrap_or_else(|| panic!("{stem}: one record"));
        let decision = decide(request, &cfg, &RingVerifier, UnixTime(case.now));
        let got = observed(request, &decision);
        if got != case.expect {
            failures.push(format!(
                "{stem}:\n  expected {:?}\n  got      {got:?}",
                case.expect
            ));
            continue;
        }
        match &decision {
            Decision::Allow(f) => {
                assert!(!f.request.headers.contains_key("authorization"), "{stem}");
                let jar = CookieJar::parse(f.request.header_values("cookie"));
                assert!(
                    jar.pairs()
                        .iter()
                        .all(|(n, _)| !n.starts_with("CloudFront-")),
                    "{stem}"
                );
            }
            Decision::Deny(d) => {
                let r = d.to_response();
                assert_eq!(r.status, d.status.to_string(), "{stem}");
                assert_eq!(r.headers["cache-control"][0].value, "no-store", "{stem}");
                assert_eq!(r.body, Some(format!("{}\n", case.expect.reason)), "{stem}");
            }
            Decision::Redirect(r) => {
                let r = r.to_response();
                assert_eq!(r.headers["cache-control"][0].value, "no-store", "{stem}");
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_cases_give_the_same_decisions_through_one_cache() {
    // The wasm gate keeps one verified-credential cache per container: run the whole corpus
    // twice through one cache (the second pass hits), as the bundle's Node test does.
    let cfg = corpus_config();
    let cases = cases();
    let mut cache = VerifiedCache::new();
    for pass in 1..=2 {
        for (stem, case) in &cases {
            let event: ViewerRequestEvent = serde_json::from_value(case.event.clone()).unwrap();
            let request = event.request().unwrap();
            let decision = decide_cached(
                request,
                &cfg,
                &RingVerifier,
                UnixTime(case.now),
                Some(&mut cache),
            );
            assert_eq!(
                observed(request, &decision),
                case.expect,
                "pass {pass}: {stem}"
            );
        }
    }
    assert!(cache.stats().0 > 0, "the second pass hit the cache");
}

#[test]
fn corpus_case_names_match_numbered_file_names() {
    let cases = cases();
    for (i, (stem, case)) in cases.iter().enumerate() {
        assert_eq!(*stem, format!("{:03}-{}", i + 1, case.name));
        assert!(
            case.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{stem}"
        );
        assert!(
            ["allow", "deny", "redirect"].contains(&case.expect.decision.as_str()),
            "{stem}"
        );
        assert_eq!(
            case.expect.location.is_some(),
            case.expect.decision == "redirect",
            "{stem}: location is given exactly for redirects"
        );
        assert_eq!(
            case.expect.forward.is_some(),
            case.expect.decision == "allow",
            "{stem}: forward is given exactly for allows"
        );
    }
}

#[test]
fn corpus_events_round_trip_through_serde() {
    for (stem, case) in cases() {
        let parsed: ViewerRequestEvent = serde_json::from_value(case.event.clone()).unwrap();
        let text = serde_json::to_string(&parsed).unwrap();
        let reparsed: ViewerRequestEvent = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, reparsed, "{stem}");
        // Nothing in the file is lost or added by the typed form.
        assert_eq!(
            serde_json::to_value(&reparsed).unwrap(),
            case.event,
            "{stem}"
        );
    }
}

#[test]
fn corpus_config_is_the_test_deployment() {
    // The committed config and JWKS are the ones the generator derives from the test keys.
    let dir = corpus_dir();
    let doc: ConfigDocument = serde_json::from_str(&read(&dir.join("config.json"))).unwrap();
    assert_eq!(doc, common::document());
    let jwks = Jwks::parse(read(&dir.join("jwks.json")).as_bytes()).unwrap();
    assert_eq!(jwks, common::jwks());
    assert_eq!(corpus_config(), common::gate_config());
}
