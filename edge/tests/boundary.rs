//! The narrow boundary (`edgegate_edge::boundary`): what the wasm gate decides from a frame,
//! applied to the original request as the Node.js handler applies it, equals what the native
//! gate decides on the whole request: same log fields, same response, and the same forwarded
//! request member for member (headers the gate never reads included).

mod common;

use common::{Req, NOW};
use edgegate_edge::boundary::{
    apply_verdict, encode_verdict, frame_of, request_from_frame, unavailable, utf16_len, BadFrame,
    READ_HEADERS,
};
use edgegate_edge::event::{HeaderEntry, ViewerRequest};
use edgegate_edge::gate::{Detail, ForwardRequest, Identity, Stability};
use edgegate_edge::ViewerRequestEvent;
use edgegate_edge::{decide_cached, ConfigDocument, Decision, GateConfig, VerifiedCache};
use edgegate_keys::{Jwks, RingVerifier, UnixTime};
use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus")
}

fn corpus_config() -> GateConfig {
    let dir = corpus_dir();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap();
    let doc: ConfigDocument = serde_json::from_str(&read(&dir.join("config.json"))).unwrap();
    let jwks_file = doc.cognito.as_ref().unwrap().jwks_file.clone().unwrap();
    let jwks = Jwks::parse(read(&dir.join(jwks_file)).as_bytes()).unwrap();
    GateConfig::from_document(&doc, Some(jwks)).unwrap()
}

fn corpus_requests() -> Vec<(String, u64, ViewerRequest)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let case: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let event: ViewerRequestEvent = serde_json::from_value(case["event"].clone()).unwrap();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (
                name,
                case["now"].as_u64().unwrap(),
                event.request().unwrap().clone(),
            )
        })
        .collect()
}

/// The request as the handler leaves it (or the response it answers with), through the frame.
fn through_boundary(
    original: &ViewerRequest,
    cfg: &GateConfig,
    now: u64,
    cache: &mut VerifiedCache,
) -> (edgegate_edge::boundary::Applied, ViewerRequest) {
    let (text, lens) = frame_of(original);
    let sent = request_from_frame(&text, &lens).expect("a frame of a request decodes");
    let decision = decide_cached(&sent, cfg, &RingVerifier, UnixTime(now), Some(cache));
    let verdict = encode_verdict(&decision, &sent, decision.stability(now));
    let mut edited = original.clone();
    let applied = apply_verdict(&verdict, &mut edited).expect("a verdict applies");
    (applied, edited)
}

/// Compares the boundary's outcome with the native decision on the whole request.
fn assert_same(
    label: &str,
    original: &ViewerRequest,
    native: &Decision,
    applied: &edgegate_edge::boundary::Applied,
    edited: &ViewerRequest,
) {
    assert_eq!(applied.decision, native.kind(), "{label}");
    assert_eq!(applied.status, native.status(), "{label}");
    assert_eq!(applied.reason, native.reason().as_str(), "{label}");
    assert_eq!(applied.detail, native.detail(), "{label}");
    assert_eq!(applied.route.as_deref(), native.route(), "{label}");
    match native {
        Decision::Allow(forward) => {
            assert_eq!(applied.response, None, "{label}");
            assert_eq!(edited, &forward.request, "{label}: forwarded request");
        }
        Decision::Deny(denial) => {
            assert_eq!(
                applied.response.as_ref(),
                Some(&denial.to_response()),
                "{label}"
            );
            assert_eq!(
                edited, original,
                "{label}: a denial leaves the request alone"
            );
        }
        Decision::Redirect(redirect) => {
            assert_eq!(
                applied.response.as_ref(),
                Some(&redirect.to_response()),
                "{label}"
            );
        }
    }
}

/// The verdict proper (no `s` op) of `req` decided at `now` by a gate with no cache.
fn verdict_at(req: &ViewerRequest, cfg: &GateConfig, now: u64) -> String {
    let decision = decide_cached(req, cfg, &RingVerifier, UnixTime(now), None);
    encode_verdict(&decision, req, Stability::Never)
}

/// The handler answers a repeated frame from its memo for as long as the verdict's `s` op says:
/// on every corpus case, the gate gives that same verdict at every time of the window, and the
/// window of a verified credential ends exactly when the credential expires.
#[test]
fn a_stable_verdict_is_the_gates_verdict_throughout_its_window_and_not_after() {
    let cfg = corpus_config();
    let (mut always, mut between, mut never, mut bound) = (0, 0, 0, 0);
    for (name, now, original) in corpus_requests() {
        let (text, lens) = frame_of(&original);
        let sent = request_from_frame(&text, &lens).unwrap();
        let decision = decide_cached(&sent, &cfg, &RingVerifier, UnixTime(now), None);
        let stable = decision.stability(now);
        let mut edited = sent.clone();
        let applied =
            apply_verdict(&encode_verdict(&decision, &sent, stable), &mut edited).unwrap();
        assert_eq!(applied.stable, stable, "{name}: the s op round-trips");
        let verdict = verdict_at(&sent, &cfg, now);
        match stable {
            Stability::Always => {
                always += 1;
                for t in [
                    0,
                    1,
                    now - 86_400,
                    now + 1,
                    now + 10 * 365 * 86_400,
                    u64::MAX,
                ] {
                    assert_eq!(verdict_at(&sent, &cfg, t), verdict, "{name} at {t}");
                }
                // Addresses inside and outside every network of the corpus routes: an
                // `Always` verdict read none of them.
                for ip in [
                    "198.51.100.7",
                    "2001:db8::1",
                    "2001:db8:100::1",
                    "::ffff:198.51.100.7",
                    "192.0.2.10",
                    "203.0.113.1",
                    "",
                    "not an address",
                ] {
                    let mut elsewhere = sent.clone();
                    elsewhere.client_ip = ip.to_string();
                    assert_eq!(
                        verdict_at(&elsewhere, &cfg, now),
                        verdict,
                        "{name} from {ip:?}"
                    );
                }
            }
            Stability::Between {
                from: 0,
                until: u64::MAX,
            } => {
                // Decided on the viewer address, no credential window: the same from this
                // address at any time, and some address gets another verdict.
                bound += 1;
                assert!(
                    cfg.route_for(&sent.uri).is_some_and(|r| r.reads_address()),
                    "{name}: only a route with networks binds a verdict to the address alone"
                );
                for t in [0, 1, now + 1, now + 10 * 365 * 86_400, u64::MAX - 1] {
                    assert_eq!(verdict_at(&sent, &cfg, t), verdict, "{name} at {t}");
                }
                let differs = ["198.51.100.7", "192.0.2.10", "2001:db8:100::1", "x"]
                    .iter()
                    .any(|ip| {
                        let mut elsewhere = sent.clone();
                        elsewhere.client_ip = ip.to_string();
                        verdict_at(&elsewhere, &cfg, now) != verdict
                    });
                let method_first = decision.detail() == "method_not_allowed";
                assert!(
                    differs || method_first,
                    "{name}: an address-bound verdict that no address changes"
                );
            }
            Stability::Between { from, until } => {
                between += 1;
                assert_eq!(from, now, "{name}");
                assert!(
                    until > now,
                    "{name}: an admitted credential is not yet expired"
                );
                for t in [now, now + (until - now) / 2, until - 1] {
                    assert_eq!(verdict_at(&sent, &cfg, t), verdict, "{name} at {t}");
                }
                let after = decide_cached(&sent, &cfg, &RingVerifier, UnixTime(until), None);
                assert_ne!(
                    encode_verdict(&after, &sent, Stability::Never),
                    verdict,
                    "{name}: the window ends when the credential expires"
                );
                assert_eq!(after.detail(), "expired", "{name}");
            }
            Stability::Never => {
                never += 1;
                assert!(
                    !matches!(decision, Decision::Allow(_)),
                    "{name}: every allow is memoisable"
                );
            }
        }
    }
    assert!(
        always >= 20 && between >= 10 && never >= 20 && bound >= 8,
        "{always} {between} {never} {bound}"
    );
}

#[test]
fn the_boundary_gives_the_native_outcome_on_every_corpus_case() {
    let cfg = corpus_config();
    let cases = corpus_requests();
    assert!(cases.len() >= 40);
    let mut native_cache = VerifiedCache::new();
    let mut wasm_cache = VerifiedCache::new();
    for pass in ["first", "cached"] {
        for (name, now, original) in &cases {
            let native = decide_cached(
                original,
                &cfg,
                &RingVerifier,
                UnixTime(*now),
                Some(&mut native_cache),
            );
            let (applied, edited) = through_boundary(original, &cfg, *now, &mut wasm_cache);
            assert_same(
                &format!("{pass} {name}"),
                original,
                &native,
                &applied,
                &edited,
            );
        }
    }
    assert!(wasm_cache.stats().0 > 0);
}

#[test]
fn the_boundary_gives_the_native_outcome_on_multi_entry_and_odd_headers() {
    let cfg = common::gate_config();
    let token = common::token(&["downloaders"]);
    let requests = [
        // Two authorization entries: still seen as two.
        Req::get("/releases/a.zip").bearer(&token).bearer(&token),
        // Several cookie entries (HTTP/2), one with odd bytes in a value, plus the token.
        Req::get("/releases/a.zip")
            .bearer(&token)
            .cookie("a=1; b=x\ty")
            .cookie("c=é😀; d=2")
            .cookie(""),
        // Signed cookies split over entries, with other cookies kept.
        Req::get("/public/x")
            .cookie("CloudFront-Policy=x")
            .cookie("keep=1"),
        // Present but empty headers, absent host.
        Req::get("/releases/a.zip").without_header("host"),
        Req::get("/public/x").cookie("k=v").without_header("accept"),
        // Non-ASCII in the path and the query.
        Req::get("/public/é").query("q=ü&x=1"),
        Req::get("/releases/a.zip")
            .header("sec-fetch-mode", "navigate")
            .header("accept", "text/html"),
    ];
    let mut empty = Req::get("/public/y").build();
    empty.headers.insert("cookie".into(), Vec::new());
    empty.headers.insert("x-custom".into(), Vec::new());
    let mut all: Vec<ViewerRequest> = requests.into_iter().map(Req::build).collect();
    all.push(empty);
    for (i, original) in all.iter().enumerate() {
        let mut native_cache = VerifiedCache::new();
        let mut wasm_cache = VerifiedCache::new();
        for pass in 0..2 {
            let native = decide_cached(
                original,
                &cfg,
                &RingVerifier,
                UnixTime(NOW),
                Some(&mut native_cache),
            );
            let (applied, edited) = through_boundary(original, &cfg, NOW, &mut wasm_cache);
            assert_same(
                &format!("request {i} pass {pass}"),
                original,
                &native,
                &applied,
                &edited,
            );
        }
    }
}

#[test]
fn frames_carry_every_entry_of_the_read_headers_only() {
    let mut req = Req::get("/p/ä")
        .query("a=€")
        .header("authorization", "one")
        .header("authorization", "two\nlines\tand tabs")
        .header("cookie", "")
        .header("cookie", "😀=😀")
        .header("x-other", "not sent")
        .build();
    req.headers.insert("sec-fetch-mode".into(), Vec::new());
    let (text, lens) = frame_of(&req);
    let sent = request_from_frame(&text, &lens).unwrap();
    let mut expected = req.clone();
    expected
        .headers
        .retain(|name, _| READ_HEADERS.contains(&name.as_str()));
    for entries in expected.headers.values_mut() {
        for entry in entries {
            entry.key = None;
        }
    }
    assert_eq!(sent, expected);
    assert_eq!(sent.headers["authorization"].len(), 2);
    assert_eq!(sent.headers["cookie"].len(), 2);
    assert!(sent.headers["sec-fetch-mode"].is_empty());
    assert!(!sent.headers.contains_key("x-other"));
}

#[test]
fn frames_that_do_not_add_up_are_refused() {
    let req = Req::get("/p/é").build();
    let (text, lens) = frame_of(&req);
    assert!(request_from_frame(&text, &lens).is_ok());
    // Truncated or extended tables, text too long or too short.
    assert_eq!(
        request_from_frame(&text, &lens[..lens.len() - 1]),
        Err(BadFrame)
    );
    let mut longer = lens.clone();
    longer.push(0);
    assert_eq!(request_from_frame(&text, &longer), Err(BadFrame));
    assert_eq!(
        request_from_frame(&format!("{text}x"), &lens),
        Err(BadFrame)
    );
    assert_eq!(
        request_from_frame(&text[..text.len() - 1], &lens),
        Err(BadFrame)
    );
    // A length past the end, or ending inside a surrogate pair.
    let mut past = lens.clone();
    past[1] = 10_000;
    assert_eq!(request_from_frame(&text, &past), Err(BadFrame));
    let pair = "😀";
    assert_eq!(utf16_len(pair), 2);
    assert_eq!(
        request_from_frame(pair, &[1, 1, 0, 0, 0, 0, 0, 0, 0]),
        Err(BadFrame)
    );
    // A header count bigger than the table.
    let mut count = vec![0, 0, 0, 0];
    count.extend([u32::MAX, 0, 0, 0, 0]);
    assert_eq!(request_from_frame("", &count), Err(BadFrame));
}

#[test]
fn verdicts_carry_any_edit_of_the_forwarded_request() {
    let original = Req::get("/a")
        .query("x=1")
        .header("cookie", "a=1")
        .header("authorization", "Bearer t")
        .header("x-other", "kept")
        .build();
    let (text, lens) = frame_of(&original);
    let sent = request_from_frame(&text, &lens).unwrap();
    let mut forward = original.clone();
    forward.uri = "/b/ü".into();
    forward.querystring = String::new();
    forward.headers.remove("authorization");
    forward.headers.insert(
        "cookie".into(),
        vec![
            HeaderEntry {
                key: Some("Cookie".into()),
                value: "b=😀\t2".into(),
            },
            HeaderEntry {
                key: None,
                value: String::new(),
            },
        ],
    );
    forward.headers.insert("x-new".into(), Vec::new());
    let decision = Decision::Allow(ForwardRequest {
        request: forward.clone(),
        identity: Identity::Anonymous,
        route: "/".into(),
        rule: None,
    });
    let verdict = encode_verdict(&decision, &sent, Stability::Always);
    let mut edited = original.clone();
    let applied = apply_verdict(&verdict, &mut edited).unwrap();
    assert_eq!(edited, forward);
    assert_eq!((applied.decision.as_str(), applied.status), ("allow", 200));
    // The log fields are one line of plain identifiers.
    let meta = verdict.split('\n').next().unwrap();
    assert!(meta.starts_with("allow\t200\tpublic\t"), "{meta}");
    // A member the boundary cannot carry fails closed.
    let mut odd = forward;
    odd.other
        .insert("body".into(), serde_json::json!({"data": ""}));
    let decision = Decision::Allow(ForwardRequest {
        request: odd,
        identity: Identity::Anonymous,
        route: "/".into(),
        rule: None,
    });
    let mut edited = original.clone();
    let applied = apply_verdict(
        &encode_verdict(&decision, &sent, Stability::Always),
        &mut edited,
    )
    .unwrap();
    assert_eq!((applied.status, applied.detail.as_str()), (503, "boundary"));
    assert_eq!(edited, original);
}

#[test]
fn log_fields_that_would_break_the_meta_line_fail_closed() {
    let decision = Decision::Deny(edgegate_edge::gate::Denial {
        status: 403,
        reason: edgegate_edge::Reason::NoRoute,
        detail: Detail::NoRoute,
        route: Some("/a\tb".into()),
        identity: None,
        rule: None,
        www_authenticate: None,
        page: None,
    });
    let mut req = Req::get("/a").build();
    let applied = apply_verdict(
        &encode_verdict(&decision, &req.clone(), Stability::Always),
        &mut req,
    )
    .unwrap();
    assert_eq!((applied.status, applied.detail.as_str()), (503, "boundary"));
}

#[test]
fn the_unavailable_verdict_is_a_503_no_store_response() {
    let mut req = Req::get("/a").build();
    let applied = apply_verdict(&unavailable(Detail::EventShape), &mut req).unwrap();
    assert_eq!(applied.decision, "deny");
    assert_eq!(applied.status, 503);
    assert_eq!(applied.reason, "unavailable");
    assert_eq!(applied.detail, "event_shape");
    assert_eq!(applied.route, None);
    let response = applied.response.unwrap();
    assert_eq!(response.status, "503");
    assert_eq!(response.headers["cache-control"][0].value, "no-store");
}
