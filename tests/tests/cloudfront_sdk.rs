//! CloudFront signed URLs and cookies made by independent signers — `@aws-sdk/cloudfront-signer`
//! (`sdk_sign.mjs`) and botocore's `CloudFrontSigner` (`botocore_sign.py`) — through `decide`,
//! against edgegate's own signer, and edgegate's ECDSA output against Node's `crypto.verify`.
//!
//! Keys: the throwaway PEMs in `tests/kit/keys/` (see its README). The gate trusts the RSA key as
//! `KRSA`, the EC key as `KEC` and a second RSA key as `KRSA_OTHER`; the second EC key is
//! trusted nowhere. One route, `/`, is signed-only, so every path is gated and a wrong path is
//! a credential failure, never "no route".
//!
//! Times are fixed (`NOW`, `EXP`) and passed to `decide` explicitly.

use edgegate_e2e::{
    flip_char, param, query_params, replace_param, test_key, viewer_request, Standins,
};
use edgegate_edge::{decide, ConfigDocument, Decision, GateConfig, Identity};
use edgegate_keys::sign::{sign_cookies, sign_url, SigningKey, SigningPolicy};
use edgegate_keys::signed::CredentialSource;
use edgegate_keys::{
    cf_base64, CustomPolicy, HashAlgorithm, Ipv4Cidr, KeyPairId, RingVerifier, UnixTime,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const NOW: u64 = 1_800_000_000;
const EXP: u64 = NOW + 3600;
const PLAIN: &str = "https://d.example.com/releases/1.0/app.zip";
const WITH_QUERY: &str = "https://d.example.com/releases/1.0/app.zip?v=2&lang=en";
const WILDCARD: &str = "https://d.example.com/releases/1.0/*";
const CIDR: &str = "192.0.2.0/24";
const INSIDE_IP: &str = "192.0.2.10";
const OUTSIDE_IP: &str = "198.51.100.7";
const KRSA: &str = "KRSAE2ETEST01";
const KEC: &str = "KECE2ETEST01";
const KRSA_OTHER: &str = "KRSAE2EOTHER01";
const APP_COOKIE: &str = "session=abc";

fn gate() -> GateConfig {
    let key = |id: &str, file: &str| json!({"key_pair_id": id, "public_key": test_key(file)});
    let doc: ConfigDocument = serde_json::from_value(json!({
        "version": 1,
        "site": {"domain": "d.example.com"},
        "cloudfront": {"trusted_keys": [
            key(KRSA, "rsa-2048-public.pem"),
            key(KEC, "ec-p256-public.pem"),
            key(KRSA_OTHER, "rsa-2048-other-public.pem"),
        ]},
        "routes": [{"prefix": "/", "access": "signed"}],
    }))
    .expect("a valid configuration document");
    GateConfig::from_document(&doc, None).expect("valid config")
}

// ---------------------------------------------------------------------------------------------
// The matrix.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Alg {
    RsaSha1,
    RsaSha256,
    EcSha256,
}

impl Alg {
    fn hash(self) -> &'static str {
        match self {
            Alg::RsaSha1 => "sha1",
            Alg::RsaSha256 | Alg::EcSha256 => "sha256",
        }
    }
    fn hash_algorithm(self) -> HashAlgorithm {
        match self {
            Alg::RsaSha1 => HashAlgorithm::Sha1,
            Alg::RsaSha256 | Alg::EcSha256 => HashAlgorithm::Sha256,
        }
    }
    fn key_pair_id(self) -> &'static str {
        match self {
            Alg::RsaSha1 | Alg::RsaSha256 => KRSA,
            Alg::EcSha256 => KEC,
        }
    }
    fn private_pem(self) -> String {
        test_key(match self {
            Alg::RsaSha1 | Alg::RsaSha256 => "rsa-2048-private.pem",
            Alg::EcSha256 => "ec-p256-private.pem",
        })
    }
    fn public_pem(self) -> String {
        test_key(match self {
            Alg::RsaSha1 | Alg::RsaSha256 => "rsa-2048-public.pem",
            Alg::EcSha256 => "ec-p256-public.pem",
        })
    }
    /// A key of the same type that is not the one `key_pair_id` names.
    fn other_private_pem(self) -> String {
        test_key(match self {
            Alg::RsaSha1 | Alg::RsaSha256 => "rsa-2048-other-private.pem",
            Alg::EcSha256 => "ec-p256-other-private.pem",
        })
    }
    fn signing_key(self) -> SigningKey {
        SigningKey::from_pem(&self.private_pem()).expect("test key loads")
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Pol {
    /// `Expires`: the policy is rebuilt from the request.
    Canned,
    /// A custom policy (JSON given verbatim to the signer) for exactly the URL.
    Exact,
    /// A custom policy for `WILDCARD`.
    Wildcard,
    /// `dateLessThan` + `ipAddress`: the signer library builds the custom policy itself.
    Ip,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Url,
    Cookies,
}

#[derive(Clone, Debug)]
struct Case {
    alg: Alg,
    pol: Pol,
    /// The URL signed (and, for cookies, requested).
    url: &'static str,
    kind: Kind,
}

fn custom_json(resource: &str, expires: u64) -> String {
    format!(
        r#"{{"Statement":[{{"Resource":"{resource}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{expires}}}}}}}]}}"#
    )
}

impl Case {
    fn name(&self) -> String {
        format!("{:?}/{:?}/{:?}/{}", self.alg, self.pol, self.kind, self.url)
    }

    fn custom_json(&self) -> Option<String> {
        match self.pol {
            Pol::Exact => Some(custom_json(self.url, EXP)),
            Pol::Wildcard => Some(custom_json(WILDCARD, EXP)),
            Pol::Canned | Pol::Ip => None,
        }
    }

    /// The request for `sdk_sign.mjs` / `botocore_sign.py`, signed with `pem` under the
    /// case's key pair id.
    fn signer_request(&self, pem: &str) -> Value {
        let mut r = json!({
            "kind": match self.kind { Kind::Url => "url", Kind::Cookies => "cookies" },
            "url": self.url,
            "keyPairId": self.alg.key_pair_id(),
            "privateKeyPem": pem,
            "hash": self.alg.hash(),
        });
        match self.pol {
            Pol::Canned => r["dateLessThan"] = json!(EXP),
            Pol::Exact | Pol::Wildcard => r["policy"] = json!(self.custom_json()),
            Pol::Ip => {
                r["dateLessThan"] = json!(EXP);
                r["ipAddress"] = json!(CIDR);
            }
        }
        r
    }

    /// edgegate's equivalent of the same inputs.
    fn signing_policy(&self) -> SigningPolicy {
        match self.pol {
            Pol::Canned => SigningPolicy::Canned { expires: EXP },
            Pol::Exact | Pol::Wildcard => {
                SigningPolicy::Custom(self.custom_json().expect("custom"))
            }
            Pol::Ip => SigningPolicy::custom(&CustomPolicy {
                resource: self.url.to_string(),
                date_less_than: EXP,
                date_greater_than: None,
                source_ip: Some(Ipv4Cidr::parse(CIDR).expect("cidr")),
            }),
        }
    }

    fn edgegate_sign(&self) -> Signed {
        let kpid: KeyPairId = self.alg.key_pair_id().parse().expect("key pair id");
        let key = self.alg.signing_key();
        let rng = ring::rand::SystemRandom::new();
        let policy = self.signing_policy();
        let hash = self.alg.hash_algorithm();
        match self.kind {
            Kind::Url => Signed::Url(
                sign_url(self.url, &policy, &kpid, &key, hash, &rng).expect("edgegate signs"),
            ),
            Kind::Cookies => Signed::Cookies(
                sign_cookies(self.url, &policy, &kpid, &key, hash, &rng).expect("edgegate signs"),
            ),
        }
    }

    /// The application query string that must reach the origin.
    fn app_query(&self) -> &'static str {
        self.url.split_once('?').map_or("", |(_, q)| q)
    }
}

fn matrix(algs: &[Alg]) -> Vec<Case> {
    let mut out = Vec::new();
    for &alg in algs {
        for pol in [Pol::Canned, Pol::Exact, Pol::Wildcard, Pol::Ip] {
            for url in [PLAIN, WITH_QUERY] {
                for kind in [Kind::Url, Kind::Cookies] {
                    out.push(Case {
                        alg,
                        pol,
                        url,
                        kind,
                    });
                }
            }
        }
    }
    out
}

/// A signer's output.
#[derive(Clone, Debug, PartialEq)]
enum Signed {
    Url(String),
    /// `(cookie name, value)`.
    Cookies(Vec<(String, String)>),
}

impl Signed {
    fn from_result(v: &Value, what: &str) -> Signed {
        if let Some(u) = v.get("url").and_then(Value::as_str) {
            Signed::Url(u.to_string())
        } else if let Some(obj) = v.get("cookies").and_then(Value::as_object) {
            Signed::Cookies(
                obj.iter()
                    .map(|(n, v)| (n.clone(), v.as_str().expect("cookie value").to_string()))
                    .collect(),
            )
        } else {
            panic!("{what}: signer answered {v}")
        }
    }

    /// A signing parameter by its bare name (`Signature`, `Policy`, ...).
    fn get(&self, bare: &str) -> Option<String> {
        match self {
            Signed::Url(u) => query_params(u)
                .into_iter()
                .find(|(n, _)| n == bare)
                .map(|(_, v)| v),
            Signed::Cookies(c) => c
                .iter()
                .find(|(n, _)| n.strip_prefix("CloudFront-") == Some(bare))
                .map(|(_, v)| v.clone()),
        }
    }

    fn cookie_map(&self) -> BTreeMap<String, String> {
        match self {
            Signed::Cookies(c) => c.iter().cloned().collect(),
            Signed::Url(u) => panic!("expected cookies, got URL {u}"),
        }
    }

    fn url(&self) -> &str {
        match self {
            Signed::Url(u) => u,
            Signed::Cookies(c) => panic!("expected a URL, got cookies {c:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests and tampering.

/// One request to decide: the URL the viewer asks for (the signed URL itself, or the plain URL
/// with signed cookies), the viewer address and the time.
#[derive(Clone, Debug)]
struct Probe {
    url: String,
    cookies: Option<Vec<(String, String)>>,
    ip: &'static str,
    now: u64,
}

impl Probe {
    fn new(case: &Case, signed: &Signed) -> Probe {
        match signed {
            Signed::Url(u) => Probe {
                url: u.clone(),
                cookies: None,
                ip: INSIDE_IP,
                now: NOW,
            },
            Signed::Cookies(c) => Probe {
                url: case.url.to_string(),
                cookies: Some(c.clone()),
                ip: INSIDE_IP,
                now: NOW,
            },
        }
    }

    fn decide(&self, cfg: &GateConfig) -> Decision {
        let req = match &self.cookies {
            None => viewer_request(&self.url, self.ip, &[]),
            Some(c) => {
                let mut header = APP_COOKIE.to_string();
                for (n, v) in c {
                    header.push_str(&format!("; {n}={v}"));
                }
                viewer_request(&self.url, self.ip, &[("Cookie", &header)])
            }
        };
        decide(&req, cfg, &RingVerifier, UnixTime(self.now))
    }

    /// Rewrites one signing parameter (query parameter or `CloudFront-` cookie).
    fn set_param(&mut self, bare: &str, f: impl FnOnce(&str) -> String) {
        match &mut self.cookies {
            Some(c) => {
                let entry = c
                    .iter_mut()
                    .find(|(n, _)| n.strip_prefix("CloudFront-") == Some(bare))
                    .unwrap_or_else(|| panic!("no CloudFront-{bare} cookie"));
                entry.1 = f(&entry.1);
            }
            None => {
                let old = param(&self.url, bare);
                self.url = replace_param(&self.url, bare, &f(&old));
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tamper {
    SignatureFlipped,
    ExpiresPlusOne,
    PolicyByteChanged,
    OtherPath,
    OtherHost,
    OtherKeyPairId,
    UnknownKeyPairId,
    OtherKeysSignatureSameId,
    ParamAppended,
    IpOutside,
    Expired,
}

const TAMPERS: [Tamper; 11] = [
    Tamper::SignatureFlipped,
    Tamper::ExpiresPlusOne,
    Tamper::PolicyByteChanged,
    Tamper::OtherPath,
    Tamper::OtherHost,
    Tamper::OtherKeyPairId,
    Tamper::UnknownKeyPairId,
    Tamper::OtherKeysSignatureSameId,
    Tamper::ParamAppended,
    Tamper::IpOutside,
    Tamper::Expired,
];

/// The tampered twin, or `None` when the tamper does not apply to this case.
fn tamper(case: &Case, signed: &Signed, other_key: &Signed, t: Tamper) -> Option<Probe> {
    let mut p = Probe::new(case, signed);
    let canned = case.pol == Pol::Canned;
    match t {
        Tamper::SignatureFlipped => p.set_param("Signature", |s| flip_char(s, s.len() / 2)),
        Tamper::ExpiresPlusOne if canned => p.set_param("Expires", |e| {
            (e.parse::<u64>().expect("Expires") + 1).to_string()
        }),
        Tamper::PolicyByteChanged if !canned => p.set_param("Policy", |enc| {
            let json = String::from_utf8(cf_base64::decode(enc).expect("Policy decodes"))
                .expect("utf-8 policy");
            let changed = json.replacen(&EXP.to_string(), &(EXP + 1).to_string(), 1);
            assert_ne!(changed, json);
            cf_base64::encode(changed.as_bytes())
        }),
        Tamper::OtherPath => p.url = p.url.replacen("/releases/1.0/", "/releases/2.0/", 1),
        Tamper::OtherHost => {
            p.url = p
                .url
                .replacen("https://d.example.com/", "https://e.example.com/", 1)
        }
        Tamper::OtherKeyPairId => p.set_param("Key-Pair-Id", |_| KRSA_OTHER.to_string()),
        Tamper::UnknownKeyPairId => p.set_param("Key-Pair-Id", |_| "KUNKNOWN0001".to_string()),
        Tamper::OtherKeysSignatureSameId => p = Probe::new(case, other_key),
        Tamper::ParamAppended => {
            let sep = if p.url.contains('?') { '&' } else { '?' };
            p.url = format!("{}{sep}x=1", p.url);
        }
        Tamper::IpOutside if case.pol == Pol::Ip => p.ip = OUTSIDE_IP,
        Tamper::Expired => p.now = EXP,
        Tamper::ExpiresPlusOne | Tamper::PolicyByteChanged | Tamper::IpOutside => return None,
    }
    Some(p)
}

/// The expected detail of a tampered twin (`None`: still allowed).
fn expected(case: &Case, t: Tamper) -> Option<&'static str> {
    let canned = case.pol == Pol::Canned;
    Some(match t {
        Tamper::SignatureFlipped
        | Tamper::ExpiresPlusOne
        | Tamper::PolicyByteChanged
        | Tamper::OtherKeyPairId
        | Tamper::OtherKeysSignatureSameId => "bad_signature",
        Tamper::UnknownKeyPairId => "unknown_key_pair_id",
        // A canned policy is rebuilt from the request, so another URL is another message: the
        // signature fails. A custom policy's signature still holds; its Resource does not match.
        Tamper::OtherPath | Tamper::OtherHost if canned => "bad_signature",
        Tamper::OtherPath | Tamper::OtherHost => "resource_mismatch",
        Tamper::ParamAppended if canned => "bad_signature",
        // `*` matches any run of characters, the query included (CloudFront Developer Guide,
        // custom policy "Resource" wildcards): appending a parameter stays inside the grant.
        Tamper::ParamAppended if case.pol == Pol::Wildcard => return None,
        Tamper::ParamAppended => "resource_mismatch",
        Tamper::IpOutside => "ip_mismatch",
        Tamper::Expired => "expired",
    })
}

/// Checks an allow: identity, and that nothing of the credential reaches the origin (the
/// forwarded query is the application's, the forwarded cookies the application's).
fn check_allowed(case: &Case, d: &Decision) -> Result<(), String> {
    check_allowed_with_query(case, d, case.app_query())
}

fn check_allowed_with_query(case: &Case, d: &Decision, want_query: &str) -> Result<(), String> {
    let Decision::Allow(f) = d else {
        return Err(format!(
            "denied {} {} {}",
            d.status(),
            d.reason().as_str(),
            d.detail()
        ));
    };
    let want_source = match case.kind {
        Kind::Url => CredentialSource::Url,
        Kind::Cookies => CredentialSource::Cookie,
    };
    let want_policy = if case.pol == Pol::Canned {
        "canned"
    } else {
        "custom"
    };
    match &f.identity {
        Identity::Signed {
            source,
            key_pair_id,
            policy,
            expires_at,
            ..
        } if *source == want_source
            && key_pair_id == case.alg.key_pair_id()
            && *policy == want_policy
            && *expires_at == EXP => {}
        other => return Err(format!("identity {other:?}")),
    }
    if f.request.querystring != want_query {
        return Err(format!("forwarded query {:?}", f.request.querystring));
    }
    let cookie = f.request.header("cookie");
    if case.kind == Kind::Cookies && cookie != Some(APP_COOKIE) {
        return Err(format!("forwarded cookie {cookie:?}"));
    }
    Ok(())
}

/// (a) and (b) for one signer's outputs: every credential is admitted (also one second before
/// it expires), every tampered twin refused with 403 and the expected detail.
fn admit_and_refuse_twins(cases: &[Case], signed: &[Signed], other_key: &[Signed]) {
    let cfg = gate();
    let mut failures = Vec::new();
    let mut checked = 0;
    for ((case, s), o) in cases.iter().zip(signed).zip(other_key) {
        let mut p = Probe::new(case, s);
        if let Err(e) = check_allowed(case, &p.decide(&cfg)) {
            failures.push(format!("{}: {e}", case.name()));
        }
        p.now = EXP - 1;
        if let Err(e) = check_allowed(case, &p.decide(&cfg)) {
            failures.push(format!("{} one second before expiry: {e}", case.name()));
        }
        for t in TAMPERS {
            let Some(twin) = tamper(case, s, o, t) else {
                continue;
            };
            checked += 1;
            let d = twin.decide(&cfg);
            let got = (d.status(), d.reason().as_str(), d.detail());
            match expected(case, t) {
                None => {
                    // Still allowed; the appended parameter goes on to the origin.
                    let query = match case.app_query() {
                        "" => "x=1".to_string(),
                        q => format!("{q}&x=1"),
                    };
                    if let Err(e) = check_allowed_with_query(case, &d, &query) {
                        failures.push(format!("{} {t:?}: want allow, {e}", case.name()));
                    }
                }
                Some(detail) => {
                    if got != (403, "invalid_credential", detail) {
                        failures.push(format!(
                            "{} {t:?}: want 403 invalid_credential {detail}, got {got:?}",
                            case.name()
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > cases.len() * 8, "only {checked} twins checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn sign_all(
    signer: impl Fn(&[Value]) -> Vec<Value>,
    cases: &[Case],
    what: &str,
) -> (Vec<Signed>, Vec<Signed>) {
    let mut requests: Vec<Value> = cases
        .iter()
        .map(|c| c.signer_request(&c.alg.private_pem()))
        .collect();
    requests.extend(
        cases
            .iter()
            .map(|c| c.signer_request(&c.alg.other_private_pem())),
    );
    let results = signer(&requests);
    let signed: Vec<Signed> = results
        .iter()
        .zip(cases.iter().chain(cases))
        .map(|(r, c)| Signed::from_result(r, &format!("{what} {}", c.name())))
        .collect();
    let (mine, other) = signed.split_at(cases.len());
    (mine.to_vec(), other.to_vec())
}

// ---------------------------------------------------------------------------------------------
// (a) + (b)

#[test]
fn sdk_credentials_are_admitted_and_their_tampered_twins_refused() {
    let st = Standins::require();
    let cases = matrix(&[Alg::RsaSha1, Alg::RsaSha256, Alg::EcSha256]);
    assert_eq!(cases.len(), 48);
    let (signed, other) = sign_all(|r| st.sdk_sign(r), &cases, "sdk");
    // The SDK marks SHA-256 (RSA or ECDSA) with Hash-Algorithm=SHA256 and nothing for SHA-1.
    for (c, s) in cases.iter().zip(&signed) {
        let want = (c.alg != Alg::RsaSha1).then(|| "SHA256".to_string());
        assert_eq!(s.get("Hash-Algorithm"), want, "{}", c.name());
    }
    admit_and_refuse_twins(&cases, &signed, &other);
}

#[test]
fn botocore_credentials_are_admitted_and_their_tampered_twins_refused() {
    let st = Standins::require();
    // botocore signs RSA with SHA-1 only (no Hash-Algorithm support at all).
    let refused = st.botocore_sign(&[
        matrix(&[Alg::RsaSha256])[0].signer_request(&Alg::RsaSha256.private_pem())
    ]);
    assert!(
        refused[0]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("unsupported")),
        "{refused:?}"
    );
    let cases = matrix(&[Alg::RsaSha1]);
    let (signed, other) = sign_all(|r| st.botocore_sign(r), &cases, "botocore");
    admit_and_refuse_twins(&cases, &signed, &other);
}

// ---------------------------------------------------------------------------------------------
// (c) edgegate's signer against the others.

#[test]
fn edgegate_rsa_output_is_byte_identical_to_the_sdk() {
    let st = Standins::require();
    let cases = matrix(&[Alg::RsaSha1, Alg::RsaSha256]);
    let requests: Vec<Value> = cases
        .iter()
        .map(|c| c.signer_request(&c.alg.private_pem()))
        .collect();
    let sdk = st.sdk_sign(&requests);
    let mut failures = Vec::new();
    for (case, r) in cases.iter().zip(&sdk) {
        let theirs = Signed::from_result(r, &case.name());
        let ours = case.edgegate_sign();
        let same = match (&ours, &theirs) {
            // URLs: the same string, parameter order included.
            (Signed::Url(a), Signed::Url(b)) => a == b,
            // Cookies: the SDK returns an object, so name -> value.
            (Signed::Cookies(_), Signed::Cookies(_)) => ours.cookie_map() == theirs.cookie_map(),
            _ => false,
        };
        if !same {
            failures.push(format!(
                "{}:\n  edgegate {ours:?}\n  sdk      {theirs:?}",
                case.name()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn edgegate_rsa_sha1_output_matches_botocore_parameter_for_parameter() {
    let st = Standins::require();
    let cases = matrix(&[Alg::RsaSha1]);
    let requests: Vec<Value> = cases
        .iter()
        .map(|c| c.signer_request(&c.alg.private_pem()))
        .collect();
    let boto = st.botocore_sign(&requests);
    let mut failures = Vec::new();
    for (case, r) in cases.iter().zip(&boto) {
        let theirs = Signed::from_result(r, &case.name());
        let ours = case.edgegate_sign();
        match (&ours, &theirs) {
            (Signed::Url(a), Signed::Url(b)) => {
                // Same base URL and the same (name, value) set; only the order differs:
                // botocore appends Expires|Policy, Signature, Key-Pair-Id; edgegate follows the
                // JS SDK: Expires|Policy, Key-Pair-Id, Signature.
                let base = |u: &str| u.split_once('?').map(|(b, _)| b.to_string());
                let params = |u: &str| query_params(u).into_iter().collect::<BTreeMap<_, _>>();
                if base(a) != base(b) || params(a) != params(b) {
                    failures.push(format!("{}:\n  edgegate {a}\n  botocore {b}", case.name()));
                }
                let signing_order = |u: &str| {
                    query_params(u)
                        .into_iter()
                        .map(|(n, _)| n)
                        .filter(|n| {
                            ["Expires", "Policy", "Signature", "Key-Pair-Id"].contains(&n.as_str())
                        })
                        .collect::<Vec<_>>()
                };
                let first = if case.pol == Pol::Canned {
                    "Expires"
                } else {
                    "Policy"
                };
                assert_eq!(signing_order(a), [first, "Key-Pair-Id", "Signature"]);
                assert_eq!(signing_order(b), [first, "Signature", "Key-Pair-Id"]);
            }
            (Signed::Cookies(_), Signed::Cookies(_)) => {
                if ours.cookie_map() != theirs.cookie_map() {
                    failures.push(format!(
                        "{}:\n  edgegate {ours:?}\n  botocore {theirs:?}",
                        case.name()
                    ));
                }
            }
            _ => failures.push(format!("{}: kinds differ", case.name())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The `node_verify.mjs` check for a credential's signature. The canned policy is rebuilt on
/// the Node side (as the SDK builds it), a custom policy is decoded there from `Policy`.
fn node_check(case: &Case, s: &Signed, public_pem: &str) -> Value {
    let mut c = json!({
        "publicKeyPem": public_pem,
        "hash": case.alg.hash(),
        "signature": s.get("Signature").expect("Signature"),
        "signatureEncoding": "cloudfront",
    });
    match s.get("Policy") {
        Some(p) => c["policyBase64"] = json!(p),
        None => {
            assert_eq!(s.get("Expires"), Some(EXP.to_string()));
            c["cannedUrl"] = json!(case.url);
            c["expires"] = json!(EXP);
        }
    }
    c
}

#[test]
fn ecdsa_cross_verification_edgegate_and_sdk() {
    // ECDSA signatures are randomised, so no byte comparison: each side's output must verify
    // with the other side's verifier.
    let st = Standins::require();
    let cfg = gate();
    let cases = matrix(&[Alg::EcSha256]);
    let public_pem = Alg::EcSha256.public_pem();

    // SDK ECDSA output -> edgegate's decide.
    let requests: Vec<Value> = cases
        .iter()
        .map(|c| c.signer_request(&c.alg.private_pem()))
        .collect();
    let sdk: Vec<Signed> = st
        .sdk_sign(&requests)
        .iter()
        .zip(&cases)
        .map(|(r, c)| Signed::from_result(r, &c.name()))
        .collect();
    for (case, s) in cases.iter().zip(&sdk) {
        let d = Probe::new(case, s).decide(&cfg);
        check_allowed(case, &d).unwrap_or_else(|e| panic!("sdk {}: {e}", case.name()));
    }

    // edgegate ECDSA output -> Node's crypto.verify (and, as a control, a flipped signature
    // must fail there; the SDK's own output must pass there).
    let ours: Vec<Signed> = cases.iter().map(Case::edgegate_sign).collect();
    let mut checks = Vec::new();
    for (case, s) in cases.iter().zip(&ours) {
        assert_eq!(s.get("Hash-Algorithm").as_deref(), Some("SHA256"));
        checks.push(node_check(case, s, &public_pem));
        let mut flipped = node_check(case, s, &public_pem);
        let sig = flipped["signature"].as_str().expect("sig").to_string();
        flipped["signature"] = json!(flip_char(&sig, sig.len() / 2));
        checks.push(flipped);
    }
    for (case, s) in cases.iter().zip(&sdk) {
        checks.push(node_check(case, s, &public_pem));
    }
    let results = st.node_verify(&checks);
    let n = cases.len();
    for (i, case) in cases.iter().enumerate() {
        assert!(
            results[2 * i],
            "node rejects edgegate's ECDSA {}",
            case.name()
        );
        assert!(
            !results[2 * i + 1],
            "node accepts a flipped signature {}",
            case.name()
        );
        assert!(
            results[2 * n + i],
            "node rejects the SDK's ECDSA {}",
            case.name()
        );
    }

    // And edgegate's own output through decide, with the same tampered twins as above.
    admit_and_refuse_twins(
        &cases,
        &ours,
        &cases
            .iter()
            .zip(&sdk)
            .map(|(c, _)| {
                // Another EC key's signature under KEC.
                let other = SigningKey::from_pem(&c.alg.other_private_pem()).expect("key");
                let kpid: KeyPairId = KEC.parse().expect("id");
                let rng = ring::rand::SystemRandom::new();
                match c.kind {
                    Kind::Url => Signed::Url(
                        sign_url(
                            c.url,
                            &c.signing_policy(),
                            &kpid,
                            &other,
                            HashAlgorithm::Sha256,
                            &rng,
                        )
                        .expect("sign"),
                    ),
                    Kind::Cookies => Signed::Cookies(
                        sign_cookies(
                            c.url,
                            &c.signing_policy(),
                            &kpid,
                            &other,
                            HashAlgorithm::Sha256,
                            &rng,
                        )
                        .expect("sign"),
                    ),
                }
            })
            .collect::<Vec<_>>(),
    );
}

// ---------------------------------------------------------------------------------------------
// Where the signers differ.

fn canned_rsa(url: &str) -> Value {
    json!({
        "kind": "url",
        "url": url,
        "keyPairId": KRSA,
        "privateKeyPem": Alg::RsaSha1.private_pem(),
        "dateLessThan": EXP,
    })
}

fn edgegate_canned_rsa(url: &str) -> String {
    sign_url(
        url,
        &SigningPolicy::Canned { expires: EXP },
        &KRSA.parse().expect("id"),
        &Alg::RsaSha1.signing_key(),
        HashAlgorithm::Sha1,
        &ring::rand::SystemRandom::new(),
    )
    .expect("sign")
}

fn verdict_of(url: &str) -> (u16, &'static str, &'static str) {
    let d = decide(
        &viewer_request(url, INSIDE_IP, &[]),
        &gate(),
        &RingVerifier,
        UnixTime(NOW),
    );
    (d.status(), d.reason().as_str(), d.detail())
}

#[test]
fn sdk_percent_encodes_the_path_botocore_signs_it_raw() {
    // The JS SDK runs each path segment through encodeURIComponent(decodeURIComponent(..))
    // before signing, so "my file.zip" is signed (and emitted) as "my%20file.zip", which is what
    // a viewer actually sends. botocore signs and emits the URL exactly as given.
    let st = Standins::require();
    let raw = "https://d.example.com/releases/1.0/my file.zip";
    let encoded = "https://d.example.com/releases/1.0/my%20file.zip";
    let sdk = st.sdk_sign(&[canned_rsa(raw), canned_rsa(encoded)]);
    let sdk_raw = Signed::from_result(&sdk[0], "sdk raw").url().to_string();
    let sdk_encoded = Signed::from_result(&sdk[1], "sdk encoded")
        .url()
        .to_string();
    assert!(
        sdk_raw.starts_with(&format!("{encoded}?Expires={EXP}&")),
        "{sdk_raw}"
    );
    // Encoding is idempotent: an already-encoded URL gives the same signed URL.
    assert_eq!(sdk_raw, sdk_encoded);
    assert_eq!(verdict_of(&sdk_raw), (200, "ok", "valid_signed_url"));

    // edgegate signs what it is given: raw in, raw out (not the SDK's bytes); given the encoded
    // URL it is byte-identical to the SDK.
    assert_ne!(edgegate_canned_rsa(raw), sdk_raw);
    assert_eq!(edgegate_canned_rsa(encoded), sdk_raw);

    let boto = st.botocore_sign(&[canned_rsa(raw)]);
    let boto_raw = Signed::from_result(&boto[0], "botocore raw")
        .url()
        .to_string();
    assert!(
        boto_raw.starts_with(&format!("{raw}?Expires={EXP}&")),
        "{boto_raw}"
    );
    // The same parameters edgegate produces for the raw URL (both sign the raw bytes).
    let params = |u: &str| query_params(u).into_iter().collect::<BTreeMap<_, _>>();
    assert_eq!(params(&boto_raw), params(&edgegate_canned_rsa(raw)));
    // A raw space cannot be sent: the gate refuses the path (400). Sent percent-encoded, as a
    // client must, it is another resource than the one botocore signed: 403.
    assert_eq!(
        verdict_of(&boto_raw),
        (400, "bad_request", "path_bad_character")
    );
    assert_eq!(
        verdict_of(&boto_raw.replacen(' ', "%20", 1)),
        (403, "invalid_credential", "bad_signature")
    );
}

#[test]
fn url_ending_in_question_mark_sdk_drops_it_botocore_keeps_it() {
    // The facts file claimed the SDK turns ".../app.zip?" into ".../app.zip?&Expires=". It does
    // not (SDK 3.1166.0): encodeUrlPath drops the empty query, so it signs ".../app.zip" and
    // appends "?Expires=". botocore keeps the "?" in the signed resource and appends "&":
    // ".../app.zip?&Expires=". edgegate's signer behaves like botocore here; edgegate's
    // verifier keeps an empty remaining query as "?" in the resource, so both verify. (What
    // CloudFront itself does with "?&" is not documented.)
    let st = Standins::require();
    let q = "https://d.example.com/releases/1.0/app.zip?";
    let sdk = st.sdk_sign(&[canned_rsa(q), canned_rsa(PLAIN)]);
    let sdk_q = Signed::from_result(&sdk[0], "sdk ?").url().to_string();
    let sdk_plain = Signed::from_result(&sdk[1], "sdk plain").url().to_string();
    assert!(
        sdk_q.starts_with(&format!("{PLAIN}?Expires={EXP}&")),
        "{sdk_q}"
    );
    assert_eq!(sdk_q, sdk_plain, "the SDK signs the URL without its '?'");
    assert_eq!(verdict_of(&sdk_q), (200, "ok", "valid_signed_url"));

    let boto = st.botocore_sign(&[canned_rsa(q)]);
    let boto_q = Signed::from_result(&boto[0], "botocore ?")
        .url()
        .to_string();
    assert!(
        boto_q.starts_with(&format!("{q}&Expires={EXP}&")),
        "{boto_q}"
    );
    assert_ne!(param(&boto_q, "Signature"), param(&sdk_q, "Signature"));
    assert_eq!(verdict_of(&boto_q), (200, "ok", "valid_signed_url"));

    let ours = edgegate_canned_rsa(q);
    assert!(ours.starts_with(&format!("{q}&Expires={EXP}&")), "{ours}");
    let params = |u: &str| query_params(u).into_iter().collect::<BTreeMap<_, _>>();
    assert_eq!(params(&ours), params(&boto_q));
    assert_eq!(verdict_of(&ours), (200, "ok", "valid_signed_url"));
    // Dropping the "?&" of botocore's URL changes the resource: refused.
    assert_eq!(
        verdict_of(&boto_q.replacen("?&", "?", 1)),
        (403, "invalid_credential", "bad_signature")
    );
}

#[test]
fn library_built_policies_order_condition_members_differently() {
    // With DateGreaterThan and IpAddress both set, the SDK builds DateLessThan, DateGreaterThan,
    // IpAddress; botocore builds DateLessThan, IpAddress, DateGreaterThan, as does edgegate's
    // CustomPolicy::to_json. The policy is sent and signed verbatim, so every order verifies;
    // only edgegate-vs-SDK byte identity is lost for this input.
    let st = Standins::require();
    let start = NOW - 60;
    let request = json!({
        "kind": "url",
        "url": PLAIN,
        "keyPairId": KRSA,
        "privateKeyPem": Alg::RsaSha1.private_pem(),
        "dateLessThan": EXP,
        "dateGreaterThan": start,
        "ipAddress": CIDR,
    });
    let sdk = Signed::from_result(&st.sdk_sign(std::slice::from_ref(&request))[0], "sdk");
    let boto = Signed::from_result(&st.botocore_sign(&[request])[0], "botocore");
    let policy_of = |s: &Signed| {
        String::from_utf8(cf_base64::decode(&s.get("Policy").expect("Policy")).expect("b64"))
            .expect("utf-8")
    };
    let head = format!(
        r#"{{"Statement":[{{"Resource":"{PLAIN}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{EXP}}},"#
    );
    let dgt = format!(r#""DateGreaterThan":{{"AWS:EpochTime":{start}}}"#);
    let ip = format!(r#""IpAddress":{{"AWS:SourceIp":"{CIDR}"}}"#);
    assert_eq!(policy_of(&sdk), format!("{head}{dgt},{ip}}}}}]}}"));
    assert_eq!(policy_of(&boto), format!("{head}{ip},{dgt}}}}}]}}"));
    let ours = CustomPolicy {
        resource: PLAIN.into(),
        date_less_than: EXP,
        date_greater_than: Some(start),
        source_ip: Some(Ipv4Cidr::parse(CIDR).expect("cidr")),
    }
    .to_json();
    assert_eq!(ours, policy_of(&boto));
    for (who, s) in [("sdk", &sdk), ("botocore", &boto)] {
        assert_eq!(
            verdict_of(s.url()),
            (200, "ok", "valid_signed_url"),
            "{who}"
        );
        // Before DateGreaterThan: not yet valid.
        let d = decide(
            &viewer_request(s.url(), INSIDE_IP, &[]),
            &gate(),
            &RingVerifier,
            UnixTime(start - 1),
        );
        assert_eq!((d.status(), d.detail()), (403, "not_yet_valid"), "{who}");
    }
}

#[test]
fn sdk_normalised_urls_are_admitted_and_match_edgegate_given_the_normalised_url() {
    // The SDK rewrites the URL before signing (encodeURIComponent per path segment; query pairs
    // re-encoded, empty pairs dropped, a bare name given "="). Whatever it emits is what a
    // viewer sends, so the gate must admit it; edgegate, handed the SDK's normalised URL, signs
    // the same bytes.
    let st = Standins::require();
    let cases = [
        (
            "https://d.example.com/releases/1.0/v1+build \u{e9}:x.zip",
            "https://d.example.com/releases/1.0/v1%2Bbuild%20%C3%A9%3Ax.zip",
        ),
        (
            "https://d.example.com/releases/1.0/app.zip?download",
            "https://d.example.com/releases/1.0/app.zip?download=",
        ),
        (
            "https://d.example.com/releases/1.0/app.zip?a=1&&b=2",
            "https://d.example.com/releases/1.0/app.zip?a=1&b=2",
        ),
        (
            "https://d.example.com/releases/1.0/app.zip?name=my file&k=%2f",
            "https://d.example.com/releases/1.0/app.zip?name=my%20file&k=%2F",
        ),
    ];
    let requests: Vec<Value> = cases.iter().map(|(raw, _)| canned_rsa(raw)).collect();
    let sdk = st.sdk_sign(&requests);
    for ((raw, normalised), r) in cases.iter().zip(&sdk) {
        let url = Signed::from_result(r, raw).url().to_string();
        let sep = if normalised.contains('?') { '&' } else { '?' };
        assert!(
            url.starts_with(&format!("{normalised}{sep}Expires={EXP}&")),
            "{raw}: {url}"
        );
        assert_eq!(verdict_of(&url), (200, "ok", "valid_signed_url"), "{raw}");
        assert_eq!(edgegate_canned_rsa(normalised), url, "{raw}");
    }
}
