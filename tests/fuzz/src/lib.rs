//! Fuzz target bodies: one function per parser that sees attacker bytes, each checking its
//! properties with `assert!` (a failed property is a crash to the fuzzer and a failed test to
//! `cargo test`).
//!
//! Every body holds for any input:
//!
//! - it never panics (no index, unwrap or overflow reachable from the bytes);
//! - the gate never allows a request on a non-public route unless a signature verified under a
//!   key it trusts ([`gate_frame`], [`gate_event`]);
//! - a verifier never returns a verified value without a successful signature check under a
//!   trusted key ([`jwt`]);
//! - re-encoding what a parser accepted gives back the same value (base64, policy, JWKS, DER);
//! - a sanitised `return_to` always lands on the site itself when a browser resolves it
//!   ([`return_to`], checked with the WHATWG URL parser of the `url` crate, not our code).
//!
//! The same bodies run three ways: `cargo test -p edgegate-fuzz` replays the committed seed
//! corpus (`tests/fuzz/corpus/<target>/`), `cargo fuzz run --fuzz-dir tests/fuzz/libfuzzer
//! <target>` searches for new inputs with libFuzzer, and CI runs a short smoke of the latter.
//!
//! The gate targets decide against the shared decision corpus's configuration
//! (`tests/corpus/config.json`, `jwks.json`) at the corpus's fixed time, so seed events carrying
//! valid credentials reach the allow paths.
// Fuzz bodies report a broken property by panicking: that is their whole interface.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use edgegate_edge::boundary::{self, READ_HEADERS};
use edgegate_edge::cookies::CookieJar;
use edgegate_edge::gate::Stability;
use edgegate_edge::{decide, ConfigDocument, Decision, GateConfig, ViewerRequest};
use edgegate_keys::cidr::{self as networks, CidrError};
use edgegate_keys::key::{BadSignature, PublicKey, SignatureAlgorithm, SignatureVerifier};
use edgegate_keys::{cf_base64, jwt, CustomPolicy, IpCidr, Jwks, RingVerifier, UnixTime};
use std::cell::RefCell;
use std::sync::OnceLock;

/// The corpus's `now` (seconds since the epoch): every corpus case is decided at this time.
pub const CORPUS_NOW: u64 = 1_767_225_600;

/// A fuzz target body: any bytes in, a panic out when a property breaks.
pub type Body = fn(&[u8]);

/// Every target: its name (the libFuzzer binary and the corpus folder) and its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("gate_frame", gate_frame),
    ("gate_event", gate_event),
    ("cookie_header", cookie_header),
    ("cf_base64", cf_base64_target),
    ("policy_json", policy_json),
    ("jwt", jwt),
    ("jwks", jwks),
    ("der_key", der_key),
    ("return_to", return_to),
    ("config", config),
    ("cidr", cidr),
    ("page_template", page_template),
];

const CONFIG_JSON: &str = include_str!("../../corpus/config.json");
const JWKS_JSON: &str = include_str!("../../corpus/jwks.json");

fn corpus_document() -> &'static ConfigDocument {
    static DOC: OnceLock<ConfigDocument> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(CONFIG_JSON).expect("tests/corpus/config.json"))
}

fn corpus_jwks() -> &'static Jwks {
    static JWKS: OnceLock<Jwks> = OnceLock::new();
    JWKS.get_or_init(|| Jwks::parse(JWKS_JSON.as_bytes()).expect("tests/corpus/jwks.json"))
}

/// The gate configuration every gate target decides against.
pub fn corpus_gate() -> &'static GateConfig {
    static GATE: OnceLock<GateConfig> = OnceLock::new();
    GATE.get_or_init(|| {
        GateConfig::from_document(corpus_document(), Some(corpus_jwks().clone()))
            .expect("corpus config")
    })
}

/// Every public key the corpus configuration trusts (CloudFront key groups and the JWKS), as
/// SubjectPublicKeyInfo DER.
fn trusted_spkis() -> &'static Vec<Vec<u8>> {
    static KEYS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let doc: serde_json::Value = serde_json::from_str(CONFIG_JSON).expect("config json");
        let mut keys: Vec<Vec<u8>> = doc["cloudfront"]["trusted_keys"]
            .as_array()
            .expect("trusted_keys")
            .iter()
            .map(|k| {
                let pem = k["public_key"].as_str().expect("public_key");
                PublicKey::from_spki_pem(pem)
                    .expect("pem")
                    .spki_der()
                    .to_vec()
            })
            .collect();
        let jwks = corpus_jwks();
        keys.extend(
            jwks.kids()
                .filter_map(|kid| jwks.get(kid))
                .map(|k| k.spki_der().to_vec()),
        );
        keys
    })
}

/// A [`SignatureVerifier`] that records the keys of the signatures that verified.
#[derive(Default)]
struct Recording {
    verified_under: RefCell<Vec<Vec<u8>>>,
}

impl SignatureVerifier for Recording {
    fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        key: &PublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature> {
        RingVerifier.verify(algorithm, key, message, signature)?;
        self.verified_under
            .borrow_mut()
            .push(key.spki_der().to_vec());
        Ok(())
    }
}

impl Recording {
    /// Whether some signature verified under a key the corpus configuration trusts.
    fn saw_trusted(&self) -> bool {
        let trusted = trusted_spkis();
        self.verified_under
            .borrow()
            .iter()
            .any(|k| trusted.contains(k))
    }
}

/// The corpus configuration's route (JSON) for `uri` (longest whole-segment prefix).
fn corpus_route(uri: &str) -> Option<&'static serde_json::Value> {
    let doc: &serde_json::Value = {
        static DOC: OnceLock<serde_json::Value> = OnceLock::new();
        DOC.get_or_init(|| serde_json::from_str(CONFIG_JSON).expect("config json"))
    };
    let path = uri.split('?').next().unwrap_or_default();
    doc["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .filter(|r| edgegate_edge::path::covers(r["prefix"].as_str().unwrap_or("\u{0}"), path))
        .max_by_key(|r| r["prefix"].as_str().map_or(0, str::len))
}

/// Whether the corpus configuration's route for `uri` is public.
fn route_is_public(uri: &str) -> bool {
    corpus_route(uri).is_some_and(|r| r["access"] == "public")
}

/// Whether the corpus route for `uri` reads the viewer address (lists networks).
fn route_reads_address(uri: &str) -> bool {
    corpus_route(uri).is_some_and(|r| r.get("networks").is_some())
}

/// Whether `ip` is inside `network` (`addr/len` as the corpus config writes it), computed here
/// with std only, apart from `edgegate_keys::cidr`.
fn inside(network: &str, ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    let (addr, len) = network.split_once('/').unwrap_or((network, ""));
    let net: IpAddr = addr.parse().expect("corpus network");
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let len: u32 = len.parse().unwrap_or(32);
            let shift = 32 - len;
            u64::from(u32::from(n)) >> shift == u64::from(u32::from(a)) >> shift
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let len: u32 = len.parse().unwrap_or(128);
            u128::from(n).checked_shr(128 - len).unwrap_or(0)
                == u128::from(a).checked_shr(128 - len).unwrap_or(0)
        }
        _ => false,
    }
}

/// Whether the corpus route for `uri` is `access = "network"` and `client_ip` is inside one
/// of its networks.
fn network_admits(uri: &str, client_ip: &str) -> bool {
    let Some(route) = corpus_route(uri).filter(|r| r["access"] == "network") else {
        return false;
    };
    let Ok(ip) = client_ip.parse::<std::net::IpAddr>() else {
        return false;
    };
    route["networks"]
        .as_array()
        .expect("networks")
        .iter()
        .any(|n| inside(n.as_str().expect("network"), ip))
}

/// The gate's safety property for one decided request.
fn check_decision(req: &ViewerRequest, decision: &Decision, verifier: &Recording) {
    let explain = decision.explain();
    match decision {
        Decision::Allow(_) => {
            let public = explain["detail"] == "public_route";
            if public {
                assert!(
                    route_is_public(&req.uri),
                    "allowed as public on a gated route: {}",
                    req.uri
                );
            } else if explain["detail"] == "network" {
                assert!(
                    network_admits(&req.uri, &req.client_ip),
                    "allowed by network outside a network route's networks: {explain}"
                );
            } else {
                assert!(
                    verifier.saw_trusted(),
                    "allowed without a signature verified under a trusted key: {explain}"
                );
            }
            // What goes on to the origin carries no credential (design.md, "Decisions").
            if let Decision::Allow(forward) = decision {
                let sent = &forward.request;
                assert_eq!(sent.header_values("authorization").count(), 0);
                let jar = CookieJar::parse(sent.header_values("cookie"));
                assert!(
                    !jar.pairs()
                        .iter()
                        .any(|(n, _)| n.starts_with("CloudFront-")),
                    "a CloudFront-* cookie reached the origin"
                );
                assert!(
                    !sent.querystring.split('&').any(|p| {
                        let name = p.split('=').next().unwrap_or_default();
                        matches!(
                            name,
                            "Signature" | "Policy" | "Key-Pair-Id" | "Expires" | "Hash-Algorithm"
                        )
                    }),
                    "a signing parameter reached the origin"
                );
            }
        }
        Decision::Deny(_) | Decision::Redirect(_) => {
            let status = decision.status();
            assert!(
                (300..500).contains(&status) || status == 503,
                "status {status}"
            );
            // The response is what CloudFront would send: it must serialise.
            let response = match decision {
                Decision::Deny(d) => d.to_response(),
                Decision::Redirect(r) => r.to_response(),
                Decision::Allow(_) => unreachable!(),
            };
            serde_json::to_string(&response).expect("response json");
        }
    }
}

/// Builds a frame from bytes: the first byte is the number of length entries (up to 64), then
/// that many little-endian `u16` lengths, then the text (lossy UTF-8).
fn frame_from_bytes(data: &[u8]) -> (String, Vec<u32>) {
    let (&count, rest) = data.split_first().unwrap_or((&0, &[]));
    let count = usize::from(count % 65);
    let table_len = (count * 2).min(rest.len());
    let (table, text) = rest.split_at(table_len);
    let lens = table
        .chunks_exact(2)
        .map(|pair| u32::from(u16::from_le_bytes([pair[0], pair[1]])))
        .collect();
    (String::from_utf8_lossy(text).into_owned(), lens)
}

/// The frame the Node.js handler sends, in [`frame_from_bytes`]'s encoding (for seeds).
pub fn frame_to_bytes(text: &str, lens: &[u32]) -> Vec<u8> {
    let mut out = vec![u8::try_from(lens.len().min(64)).unwrap_or(64)];
    for len in lens.iter().take(64) {
        out.extend_from_slice(&u16::try_from(*len).unwrap_or(u16::MAX).to_le_bytes());
    }
    out.extend_from_slice(text.as_bytes());
    out
}

/// The viewer-request frame (handler → gate), decided, and the verdict applied back to the
/// request. Properties: no panic; the safety property of [`check_decision`]; a verdict the gate
/// encodes is one the boundary accepts.
pub fn gate_frame(data: &[u8]) {
    let (text, lens) = frame_from_bytes(data);
    let Ok(req) = boundary::request_from_frame(&text, &lens) else {
        return;
    };
    let verifier = Recording::default();
    let decision = decide(&req, corpus_gate(), &verifier, UnixTime(CORPUS_NOW));
    check_decision(&req, &decision, &verifier);
    let stable = decision.stability(CORPUS_NOW);
    let verdict = boundary::encode_verdict(&decision, &req, stable);
    let mut forwarded = req.clone();
    let applied =
        boundary::apply_verdict(&verdict, &mut forwarded).expect("the gate's own verdict applies");
    assert_eq!(applied.stable, stable);
    // A verdict the handler may memoise is the gate's verdict at other times of its window.
    let proper = |d: &Decision| boundary::encode_verdict(d, &req, Stability::Never);
    let later = match stable {
        Stability::Always => Some(CORPUS_NOW.saturating_add(10 * 365 * 86_400)),
        Stability::Between { until, .. } => until.checked_sub(1),
        Stability::Never => None,
    };
    if let Some(t) = later {
        let again = decide(&req, corpus_gate(), &Recording::default(), UnixTime(t));
        assert_eq!(
            proper(&again),
            proper(&decision),
            "stable verdict changed at {t}"
        );
    }
    if route_reads_address(&req.uri) && decision.route().is_some() {
        // The handler replays `s*` for any address: a route with networks never gets one.
        assert_ne!(
            stable,
            Stability::Always,
            "an address-bound route's verdict is `s*`"
        );
    }
    if stable == Stability::Always {
        // ... and from any viewer address, inside and outside the corpus routes' networks.
        for ip in [
            "2001:db8::7",
            "2001:db8:100::7",
            "192.0.2.10",
            "198.51.100.7",
            "::ffff:198.51.100.7",
            "203.0.113.1",
            "not an address",
        ] {
            let mut elsewhere = req.clone();
            elsewhere.client_ip = ip.to_string();
            let again = decide(
                &elsewhere,
                corpus_gate(),
                &Recording::default(),
                UnixTime(CORPUS_NOW),
            );
            assert_eq!(
                boundary::encode_verdict(&again, &elsewhere, Stability::Never),
                proper(&decision),
                "an always-stable verdict read the address ({ip})"
            );
        }
    }
    // A round trip through the frame gives the same request fields the gate reads.
    let (text2, lens2) = boundary::frame_of(&req);
    let again = boundary::request_from_frame(&text2, &lens2).expect("frame_of round trip");
    assert_eq!(again.uri, req.uri);
    assert_eq!(again.querystring, req.querystring);
    for name in READ_HEADERS {
        assert!(again.header_values(name).eq(req.header_values(name)));
    }
}

/// A whole viewer-request event as JSON (the native path: `edgegate dev`, `explain`).
pub fn gate_event(data: &[u8]) {
    let Ok(event) = serde_json::from_slice::<edgegate_edge::ViewerRequestEvent>(data) else {
        return;
    };
    let Some(req) = event.request() else {
        return;
    };
    let verifier = Recording::default();
    let decision = decide(req, corpus_gate(), &verifier, UnixTime(CORPUS_NOW));
    check_decision(req, &decision, &verifier);
}

/// The `Cookie` header jar. Properties: no panic; every pair it yields came from the input;
/// removing every cookie leaves no header.
pub fn cookie_header(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    // Several `cookie` entries: split on a byte CloudFront never puts inside one value.
    let entries: Vec<&str> = text.split('\n').collect();
    let jar = CookieJar::parse(entries.iter().copied());
    for (name, value) in jar.pairs() {
        assert!(text.contains(name.as_str()) && text.contains(value.as_str()));
        assert!(jar.contains(name));
        assert!(jar.all(name).contains(&value.as_str()));
    }
    assert_eq!(jar.without(|_| true), None);
}

/// CloudFront's URL-safe base64 variant and base64url. Properties: decoding what we encode
/// gives the bytes back; what decodes re-encodes to a string that decodes to the same bytes.
pub fn cf_base64_target(data: &[u8]) {
    assert_eq!(
        cf_base64::decode(&cf_base64::encode(data)).as_deref(),
        Ok(data)
    );
    assert_eq!(
        cf_base64::decode_b64url(&cf_base64::encode_b64url(data)).as_deref(),
        Ok(data)
    );
    let text = String::from_utf8_lossy(data);
    if let Ok(bytes) = cf_base64::decode(&text) {
        assert_eq!(
            cf_base64::decode(&cf_base64::encode(&bytes)).as_deref(),
            Ok(&bytes[..])
        );
    }
    if let Ok(bytes) = cf_base64::decode_b64url(&text) {
        assert_eq!(
            cf_base64::encode_b64url(&bytes),
            text,
            "base64url is canonical"
        );
    }
}

/// A decoded custom policy. Properties: no panic; an accepted policy re-serialises to JSON that
/// parses to the same policy.
pub fn policy_json(data: &[u8]) {
    if let Ok(policy) = CustomPolicy::parse(data) {
        let again = CustomPolicy::parse(policy.to_json().as_bytes()).expect("to_json parses");
        assert_eq!(again, policy);
    }
}

/// A compact JWS against the corpus pool and the corpus's OIDC issuer. Properties: no panic;
/// `Ok` only when the signature verified under a key of the baked JWKS.
pub fn jwt(data: &[u8]) {
    let token = String::from_utf8_lossy(data);
    let doc = corpus_document();
    let Some(cognito) = doc.cognito.as_ref() else {
        return;
    };
    let validation = jwt::JwtValidation {
        issuer: cognito.issuer(),
        client_ids: cognito.app_client_ids.clone(),
        token_uses: vec![jwt::TokenUse::Id, jwt::TokenUse::Access],
        leeway_secs: 60,
        claims: Vec::new(),
    };
    let verifier = Recording::default();
    if jwt::verify(
        &token,
        corpus_jwks(),
        &validation,
        &verifier,
        UnixTime(CORPUS_NOW),
    )
    .is_ok()
    {
        assert!(
            verifier.saw_trusted(),
            "a token verified without a trusted key"
        );
    }
    // The same bytes as a token of the corpus's OIDC issuer (GitHub Actions' shape), whose
    // key set holds a trusted key of its own; and the unverified `iss` read that chooses it.
    let _ = jwt::unverified_issuer(&token);
    for issuer in corpus_gate().issuers() {
        let edgegate_edge::config::IssuerRules::Oidc(oidc) = &issuer.rules else {
            continue;
        };
        let verifier = Recording::default();
        if jwt::verify_oidc(
            &token,
            &oidc.jwks,
            &oidc.validation,
            &verifier,
            UnixTime(CORPUS_NOW),
        )
        .is_ok()
        {
            assert!(
                verifier.saw_trusted(),
                "an OIDC token verified without a trusted key"
            );
        }
    }
}

/// A JWKS document. Properties: no panic; an accepted set re-serialises to one with the same
/// kids and keys.
pub fn jwks(data: &[u8]) {
    if let Ok(set) = Jwks::parse(data) {
        let again = Jwks::parse(set.to_json().as_bytes()).expect("to_json parses");
        assert_eq!(again.len(), set.len());
        for kid in set.kids() {
            let (a, b) = (set.get(kid), again.get(kid));
            assert_eq!(a.map(PublicKey::spki_der), b.map(PublicKey::spki_der));
        }
    }
}

/// A SubjectPublicKeyInfo key, DER and PEM. Properties: no panic; an accepted key keeps its
/// exact DER and survives PEM.
pub fn der_key(data: &[u8]) {
    if let Ok(key) = PublicKey::from_spki_der(data) {
        assert_eq!(key.spki_der(), data);
        let again = PublicKey::from_spki_pem(&key.to_spki_pem()).expect("pem round trip");
        assert_eq!(again.spki_der(), data);
    }
    let _ = PublicKey::from_spki_pem(&String::from_utf8_lossy(data));
}

/// The sign-in `return_to` target. Properties: what `sanitize` returns, resolved by a WHATWG
/// URL parser against the site (as a browser resolves `Location`), stays on the site's origin;
/// a target `is_safe` accepts is returned unchanged (fragment removed).
pub fn return_to(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let site = url::Url::parse("https://downloads.example.com/").expect("site url");
    let out = edgegate_auth::return_to::sanitize(Some(&text));
    assert!(out.starts_with('/'), "not a path");
    let landed = site.join(&out).expect("a sanitised target resolves");
    assert_eq!(landed.origin(), site.origin(), "left the site");
    if edgegate_auth::return_to::is_safe(&text) && !text.contains('#') {
        assert_eq!(out, text);
    }
}

/// The configuration document (TOML and JSON) through validation. Property: no panic; a
/// document that validates gives a gate that decides a plain request without panicking.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let doc: Option<ConfigDocument> = toml::from_str(&text)
        .ok()
        .or_else(|| serde_json::from_slice(data).ok());
    let Some(doc) = doc else { return };
    if let Ok(gate) = GateConfig::from_document(&doc, Some(corpus_jwks().clone())) {
        let event = serde_json::json!({
            "clientIp": "203.0.113.10", "method": "GET", "uri": "/releases/app.zip",
            "querystring": "", "headers": {"host": [{"key": "Host", "value": "downloads.example.com"}]}
        });
        let req: ViewerRequest = serde_json::from_value(event).expect("request");
        let _ = decide(&req, &gate, &RingVerifier, UnixTime(CORPUS_NOW));
    }
}

/// A route network (`routes[N].networks`) and a viewer address (`clientIp`). Properties: no
/// panic; an accepted network's canonical text parses back to it and prints the same; a bare
/// address is its /32 or /128; a network holds its own first address; an address is inside its
/// own /32 or /128 and every network of it [`IpCidr::containing`] gives; the same for 16 raw
/// bytes as an IPv6 address (IPv4-mapped ones as IPv4).
pub fn cidr(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(c) = IpCidr::parse(&text) {
        let canonical = c.to_string();
        assert_eq!(IpCidr::parse(&canonical), Ok(c), "{canonical}");
        assert_eq!(
            IpCidr::parse(&canonical).map(|c| c.to_string()),
            Ok(canonical.clone())
        );
        assert!(c.contains(c.network()), "{canonical}");
        if !text.contains('/') {
            assert_eq!(c, IpCidr::host(c.network()));
        }
    }
    let mut addresses: Vec<std::net::IpAddr> =
        networks::viewer_address(&text).into_iter().collect();
    if let Some(raw) = data.get(..16) {
        let mut octets = [0u8; 16];
        octets.copy_from_slice(raw);
        addresses.push(std::net::IpAddr::from(octets));
    }
    if let Some(raw) = data.get(..4) {
        addresses.push(std::net::IpAddr::from([raw[0], raw[1], raw[2], raw[3]]));
    }
    for ip in addresses {
        let host = IpCidr::host(ip);
        assert!(host.contains(ip), "{ip} not in {host}");
        assert_eq!(IpCidr::parse(&host.to_string()), Ok(host), "{host}");
        for p in 0..=128u8 {
            let Some(n) = IpCidr::containing(ip, p) else {
                assert!(p > 32 && host.prefix_len() == 32, "{ip}/{p}");
                continue;
            };
            assert!(n.contains(ip), "{ip} not in {n}");
            match IpCidr::parse(&n.to_string()) {
                Ok(back) => assert_eq!(back, n),
                // A short IPv6 prefix over the mapped range is written as the IPv6 block.
                Err(e) => panic!("{n}: {e:?}"),
            }
        }
    }
    let _: Option<CidrError> = IpCidr::parse(&text).err();
}

/// An operator's page template (`[pages]`). Properties: no panic; an accepted template renders
/// to itself with every `{{status}}` and `{{reason}}` replaced by the escaped values (checked
/// against a plain replacement), and a reason full of markup never appears unescaped; a
/// template the config refuses is refused naming its field.
pub fn page_template(data: &[u8]) {
    use edgegate_edge::config::PagesDoc;
    use edgegate_edge::pages::{render, Pages};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let doc = PagesDoc {
        forbidden: Some(text.to_string()),
        ..PagesDoc::default()
    };
    match Pages::from_doc(Some(&doc)) {
        Ok(pages) => {
            let template = pages.template(403).expect("a 403 template");
            assert_eq!(&**template, text);
            let hostile = "<script>\"'&";
            let out = render(template, 403, hostile);
            let expected = text
                .replace("{{status}}", "403")
                .replace("{{reason}}", "&lt;script&gt;&quot;&#39;&amp;");
            assert_eq!(out, expected);
            if text.contains("{{reason}}") && !text.contains("<script>") {
                assert!(!out.contains("<script>"), "{out}");
            }
        }
        Err(e) => assert_eq!(e.field, "pages.forbidden"),
    }
}
