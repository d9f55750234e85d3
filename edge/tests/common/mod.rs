//! Shared fixtures for the edge integration tests (`decide.rs`, `corpus.rs`) and the corpus
//! generator (`examples/gen_corpus.rs`, which includes this file by path).
//!
//! One test deployment: site `downloads.example.com`, a Cognito pool whose JWKS holds the
//! throwaway key `cognito-test-*.pem` of the test kit (`tests/kit/keys/`), two trusted CloudFront keys (RSA-2048
//! `KTESTRSA000001`, ECDSA P-256 `KTESTEC0000001`), and the routes
//!
//! | prefix | access |
//! |---|---|
//! | `/releases` | groups `downloaders` |
//! | `/releases/internal` | groups `staff` |
//! | `/shared` | signed |
//! | `/public` | public |
//! | `/members` | authenticated |
//! | `/artifacts` | scopes `artifacts/read` |
//! | `/builds` | groups `downloaders` or scopes `builds/read` |
//! | `/lab` | groups `downloaders`, from `192.0.2.0/24` or `2001:db8::/32` only |
//! | `/mirror` | network `198.51.100.0/24` or `2001:db8:100::/48`, no credential |
//!
//! Nothing covers `/`, so every other path is `no_route`. The clock is fixed at [`NOW`].
#![allow(dead_code)] // reason: each test crate and the generator use a different subset.

use edgegate_edge::config::{
    AccessKind, ClaimRulesDoc, ClaimValues, CloudFrontDoc, CognitoDoc, IssuerDoc, IssuerKind,
    RouteDoc, SiteDoc, TrustedKeyDoc,
};
use edgegate_edge::event::{CfConfig, HeaderEntry, ViewerRequest, ViewerRequestEvent};
use edgegate_edge::{decide, ConfigDocument, Decision, GateConfig};
use edgegate_keys::jwt::{cognito_issuer, IssuerFormat, TokenUse};
use edgegate_keys::sign::{self, SigningKey, SigningPolicy};
use edgegate_keys::{
    CustomPolicy, HashAlgorithm, Ipv4Cidr, Jwks, KeyPairId, PublicKey, RingVerifier, UnixTime,
};
use serde_json::{json, Map, Value};

/// The fixed "now" of every fixture: 2026-01-01T00:00:00Z.
pub(crate) const NOW: u64 = 1_767_225_600;
/// The site host.
pub(crate) const SITE: &str = "downloads.example.com";
/// The Cognito pool.
pub(crate) const REGION: &str = "eu-west-1";
/// The Cognito pool id.
pub(crate) const USER_POOL_ID: &str = "eu-west-1_EdgeTest1";
/// The accepted app client.
pub(crate) const CLIENT_ID: &str = "edgetestclient1";
/// Another app client of the same pool (not accepted).
pub(crate) const OTHER_CLIENT_ID: &str = "otherclient999";
/// The JWKS `kid` of the test pool key.
pub(crate) const KID: &str = "edgegate-test-1";
/// The trusted RSA CloudFront key.
pub(crate) const KP_RSA: &str = "KTESTRSA000001";
/// The trusted ECDSA CloudFront key.
pub(crate) const KP_EC: &str = "KTESTEC0000001";
/// A key pair id nobody trusts.
pub(crate) const KP_UNKNOWN: &str = "KUNKNOWN000001";
/// The default viewer address (TEST-NET-1).
pub(crate) const CLIENT_IP: &str = "192.0.2.10";

const COGNITO_PRIVATE_PEM: &str = edgegate_test_kit::keys::COGNITO_TEST_PRIVATE;
const COGNITO_PUBLIC_PEM: &str = edgegate_test_kit::keys::COGNITO_TEST_PUBLIC;
const CF_RSA_PRIVATE_PEM: &str = edgegate_test_kit::keys::CLOUDFRONT_RSA_TEST_PRIVATE;
const CF_RSA_PUBLIC_PEM: &str = edgegate_test_kit::keys::CLOUDFRONT_RSA_TEST_PUBLIC;
const CF_EC_PRIVATE_PEM: &str = edgegate_test_kit::keys::CLOUDFRONT_EC_TEST_PRIVATE;
const CF_EC_PUBLIC_PEM: &str = edgegate_test_kit::keys::CLOUDFRONT_EC_TEST_PUBLIC;

/// The three throwaway key pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    /// RSA-2048: the Cognito pool key (`kid` [`KID`]).
    Cognito,
    /// RSA-2048: the CloudFront key [`KP_RSA`].
    CfRsa,
    /// ECDSA P-256: the CloudFront key [`KP_EC`].
    CfEc,
}

impl Key {
    pub(crate) fn signing(self) -> SigningKey {
        let pem = match self {
            Key::Cognito => COGNITO_PRIVATE_PEM,
            Key::CfRsa => CF_RSA_PRIVATE_PEM,
            Key::CfEc => CF_EC_PRIVATE_PEM,
        };
        SigningKey::from_pem(pem).expect("committed test private key loads")
    }

    pub(crate) fn public_pem(self) -> &'static str {
        match self {
            Key::Cognito => COGNITO_PUBLIC_PEM,
            Key::CfRsa => CF_RSA_PUBLIC_PEM,
            Key::CfEc => CF_EC_PUBLIC_PEM,
        }
    }

    pub(crate) fn public(self) -> PublicKey {
        PublicKey::from_spki_pem(self.public_pem()).expect("committed test public key loads")
    }
}

// --- configuration ----------------------------------------------------------------------------

pub(crate) fn route(prefix: &str, access: AccessKind, groups: Option<&[&str]>) -> RouteDoc {
    RouteDoc {
        prefix: prefix.to_string(),
        access,
        groups: groups.map(|g| g.iter().map(|s| s.to_string()).collect()),
        scopes: None,
        networks: None,
        index: None,
        spa: None,
        issuers: None,
        claims: None,
    }
}

/// A route listing `scopes` (and maybe `groups`).
pub(crate) fn scoped_route(
    prefix: &str,
    access: AccessKind,
    groups: Option<&[&str]>,
    scopes: &[&str],
) -> RouteDoc {
    RouteDoc {
        scopes: Some(scopes.iter().map(|s| s.to_string()).collect()),
        ..route(prefix, access, groups)
    }
}

/// `route` with `networks`.
pub(crate) fn with_networks(route: RouteDoc, networks: &[&str]) -> RouteDoc {
    RouteDoc {
        networks: Some(networks.iter().map(|s| s.to_string()).collect()),
        ..route
    }
}

/// The networks of `/lab` (the default [`CLIENT_IP`] is inside the first).
pub(crate) const LAB_NETWORKS: [&str; 2] = ["192.0.2.0/24", "2001:db8::/32"];
/// The networks of `/mirror`.
pub(crate) const MIRROR_NETWORKS: [&str; 2] = ["198.51.100.0/24", "2001:db8:100::/48"];

fn trusted(key_pair_id: &str, key: Key) -> TrustedKeyDoc {
    TrustedKeyDoc {
        key_pair_id: key_pair_id.to_string(),
        public_key: Some(key.public_pem().to_string()),
        public_key_file: None,
    }
}

/// The test configuration document, public keys inlined; the JWKS is `jwks.json` beside it.
pub(crate) fn document() -> ConfigDocument {
    ConfigDocument {
        version: 1,
        issuers: Some(vec![
            IssuerDoc {
                id: "ci".to_string(),
                kind: IssuerKind::Oidc,
                issuer: CI_ISS.to_string(),
                audiences: vec![CI_AUD.to_string()],
                token_use: None,
                leeway_seconds: Some(CI_LEEWAY),
                jwks_url: Some(format!("{CI_ISS}/.well-known/jwks")),
                jwks_file: None,
                jwks: Some(ci_jwks()),
            },
            IssuerDoc {
                id: "partners".to_string(),
                kind: IssuerKind::Cognito,
                issuer: partner_iss(),
                audiences: vec![PARTNER_CLIENT.to_string()],
                token_use: Some(vec![TokenUse::Access]),
                leeway_seconds: None,
                jwks_url: None,
                jwks_file: None,
                jwks: Some(jwks().to_json()),
            },
        ]),
        site: SiteDoc {
            domain: SITE.to_string(),
            scheme: None,
        },
        cognito: Some(CognitoDoc {
            region: REGION.to_string(),
            user_pool_id: USER_POOL_ID.to_string(),
            issuer_format: IssuerFormat::Original,
            app_client_ids: vec![CLIENT_ID.to_string()],
            token_use: vec![TokenUse::Id, TokenUse::Access],
            leeway_seconds: None,
            jwks_url: None,
            jwks_file: Some("jwks.json".to_string()),
        }),
        cloudfront: Some(CloudFrontDoc {
            trusted_keys: vec![trusted(KP_RSA, Key::CfRsa), trusted(KP_EC, Key::CfEc)],
        }),
        routes: vec![
            route("/releases", AccessKind::Groups, Some(&["downloaders"])),
            route("/releases/internal", AccessKind::Groups, Some(&["staff"])),
            route("/shared", AccessKind::Signed, None),
            route("/public", AccessKind::Public, None),
            route("/members", AccessKind::Authenticated, None),
            scoped_route("/artifacts", AccessKind::Scopes, None, &["artifacts/read"]),
            scoped_route(
                "/builds",
                AccessKind::Groups,
                Some(&["downloaders"]),
                &["builds/read"],
            ),
            with_networks(
                route("/lab", AccessKind::Groups, Some(&["downloaders"])),
                &LAB_NETWORKS,
            ),
            with_networks(
                route("/mirror", AccessKind::Network, None),
                &MIRROR_NETWORKS,
            ),
            RouteDoc {
                index: Some("index.html".to_string()),
                ..route("/docs", AccessKind::Public, None)
            },
            RouteDoc {
                index: Some("index.html".to_string()),
                spa: Some(true),
                issuers: None,
                claims: None,
                ..route("/portal", AccessKind::Groups, Some(&["downloaders"]))
            },
            // Several issuers (issue 12): the CI issuer with claim rules, the partner pool,
            // a route trusting all three, and a [cognito] route with a claim rule.
            RouteDoc {
                issuers: Some(vec!["ci".to_string()]),
                claims: Some(ClaimRulesDoc(vec![
                    (
                        "repository_owner".to_string(),
                        ClaimValues(vec!["example-org".to_string()]),
                    ),
                    (
                        "environment".to_string(),
                        ClaimValues(vec!["prod".to_string(), "staging".to_string()]),
                    ),
                ])),
                ..route("/ci", AccessKind::Authenticated, None)
            },
            RouteDoc {
                issuers: Some(vec!["partners".to_string()]),
                ..route("/partners", AccessKind::Groups, Some(&["resellers"]))
            },
            RouteDoc {
                issuers: Some(vec![
                    "cognito".to_string(),
                    "ci".to_string(),
                    "partners".to_string(),
                ]),
                ..route("/anyone", AccessKind::Authenticated, None)
            },
            RouteDoc {
                claims: Some(ClaimRulesDoc(vec![(
                    "custom:tenant".to_string(),
                    ClaimValues(vec!["acme".to_string()]),
                )])),
                ..route("/tenants", AccessKind::Authenticated, None)
            },
        ],
        auth: None,
        pages: None,
        publish: None,
        stack: None,
    }
}

/// The test pool's JWKS: the one Cognito test key under [`KID`].
/// The CI issuer (a generic OIDC issuer, GitHub Actions' `iss`).
pub(crate) const CI_ISS: &str = "https://token.actions.githubusercontent.com";
/// The audience CI jobs request.
pub(crate) const CI_AUD: &str = "https://github.com/example-org";
/// The CI issuer's key id; it signs with the CloudFront RSA test key, a key of its own.
pub(crate) const CI_KID: &str = "ci-key-1";
/// The CI issuer's leeway (the pool's is 0).
pub(crate) const CI_LEEWAY: u64 = 45;
/// The second user pool.
pub(crate) const PARTNER_POOL: &str = "eu-west-1_Partners1";
/// The second pool's app client.
pub(crate) const PARTNER_CLIENT: &str = "partnerclient1";

/// The second pool's issuer.
pub(crate) fn partner_iss() -> String {
    format!("https://cognito-idp.{REGION}.amazonaws.com/{PARTNER_POOL}")
}

/// The CI issuer's JWKS: the CloudFront RSA test key under [`CI_KID`].
pub(crate) fn ci_jwks() -> String {
    Jwks::single(CI_KID, Key::CfRsa.public())
        .expect("CI JWKS")
        .to_json()
}

/// A CI job's token with GitHub's claim names for `owner`, environment `prod`, 5 minutes.
pub(crate) fn ci_claims(owner: &str) -> Value {
    json!({
        "jti": "example-id", "sub": format!("repo:{owner}/app:environment:prod"),
        "environment": "prod", "aud": CI_AUD, "ref": "refs/heads/main",
        "repository": format!("{owner}/app"), "repository_owner": owner,
        "run_id": "42", "iss": CI_ISS, "nbf": NOW - 5, "iat": NOW - 5, "exp": NOW + 300
    })
}

/// [`ci_claims`] signed by the CI issuer.
pub(crate) fn ci_token(owner: &str) -> String {
    jwt_signed_by(Key::CfRsa, CI_KID, &ci_claims(owner))
}

/// A client-credentials style access token of the partner pool with `groups`.
pub(crate) fn partner_token(groups: &[&str]) -> String {
    let mut c = access_claims(groups);
    c["iss"] = json!(partner_iss());
    c["client_id"] = json!(PARTNER_CLIENT);
    jwt(&c)
}

pub(crate) fn jwks() -> Jwks {
    Jwks::single(KID, Key::Cognito.public()).expect("test JWKS")
}

/// The validated test configuration.
pub(crate) fn gate_config() -> GateConfig {
    GateConfig::from_document(&document(), Some(jwks())).expect("test config validates")
}

/// [`gate_config`], built once per test binary.
pub(crate) fn cfg() -> &'static GateConfig {
    static CFG: std::sync::OnceLock<GateConfig> = std::sync::OnceLock::new();
    CFG.get_or_init(gate_config)
}

/// `req` decided by the test deployment's gate at `now` (seconds since the epoch), uncached.
pub(crate) fn run_at(req: Req, now: u64) -> Decision {
    decide(&req.build(), cfg(), &RingVerifier, UnixTime(now))
}

/// `req` decided at [`NOW`].
pub(crate) fn run(req: Req) -> Decision {
    run_at(req, NOW)
}

/// The `WWW-Authenticate` of a 401 without a credential (RFC 6750 §3).
pub(crate) const WWW_MISSING: &str = r#"Bearer realm="edgegate""#;
/// The `WWW-Authenticate` of a 401 for an invalid token (RFC 6750 §3.1).
pub(crate) const WWW_INVALID: &str = r#"Bearer realm="edgegate", error="invalid_token""#;

// --- Cognito tokens ---------------------------------------------------------------------------

pub(crate) fn issuer() -> String {
    cognito_issuer(IssuerFormat::Original, REGION, USER_POOL_ID)
}

/// Claims of a valid ID token (issued a minute before [`NOW`], valid for an hour).
pub(crate) fn id_claims(groups: &[&str]) -> Value {
    json!({
        "sub": "6f1d2c3b-0000-4000-8000-000000000001",
        "cognito:groups": groups,
        "iss": issuer(),
        "cognito:username": "alice",
        "aud": CLIENT_ID,
        "token_use": "id",
        "auth_time": NOW - 60,
        "iat": NOW - 60,
        "exp": NOW + 3600,
    })
}

/// Claims of a valid access token.
pub(crate) fn access_claims(groups: &[&str]) -> Value {
    json!({
        "sub": "6f1d2c3b-0000-4000-8000-000000000001",
        "cognito:groups": groups,
        "iss": issuer(),
        "client_id": CLIENT_ID,
        "token_use": "access",
        "scope": "openid email",
        "auth_time": NOW - 60,
        "iat": NOW - 60,
        "exp": NOW + 3600,
        "username": "alice",
    })
}

/// Claims of a valid Cognito client-credentials (M2M) access token with `scope`: exactly the
/// members Cognito issues (`sub` = the app client id; no `username`, `cognito:groups` or
/// `aud`; Amazon Cognito Developer Guide, "Understanding the access token").
pub(crate) fn m2m_claims(scope: &str) -> Value {
    json!({
        "sub": CLIENT_ID,
        "token_use": "access",
        "scope": scope,
        "auth_time": NOW - 60,
        "iss": issuer(),
        "exp": NOW + 3600,
        "iat": NOW - 60,
        "version": 2,
        "jti": "0b7c6d5e-4f3a-4b2c-9d1e-0f9e8d7c6b5a",
        "client_id": CLIENT_ID,
    })
}

/// A valid M2M access token with `scope` (space-separated).
pub(crate) fn m2m_token(scope: &str) -> String {
    jwt(&m2m_claims(scope))
}

/// `claims` with `name` set to `value` (or removed when `value` is null).
pub(crate) fn with_claim(mut claims: Value, name: &str, value: Value) -> Value {
    let obj = claims.as_object_mut().expect("claims object");
    if value.is_null() {
        obj.remove(name);
    } else {
        obj.insert(name.to_string(), value);
    }
    claims
}

/// An RS256 token over `claims`, signed by the pool key under [`KID`].
pub(crate) fn jwt(claims: &Value) -> String {
    jwt_signed_by(Key::Cognito, KID, claims)
}

/// An RS256 token signed by `key` under `kid` (for wrong-key and unknown-kid cases).
pub(crate) fn jwt_signed_by(key: Key, kid: &str, claims: &Value) -> String {
    sign::sign_jwt_rs256(kid, claims, &key.signing()).expect("sign test JWT")
}

/// A valid ID token in `groups`.
pub(crate) fn token(groups: &[&str]) -> String {
    jwt(&id_claims(groups))
}

// --- CloudFront signed URLs and cookies -------------------------------------------------------

/// `https://downloads.example.com<path_and_query>`.
pub(crate) fn site_url(path_and_query: &str) -> String {
    format!("https://{SITE}{path_and_query}")
}

/// A canned policy ending at `expires`.
pub(crate) fn canned(expires: u64) -> SigningPolicy {
    SigningPolicy::Canned { expires }
}

/// A custom policy for `resource` until `date_less_than`, optionally from `start` and for
/// `source_ip`.
pub(crate) fn custom(
    resource: &str,
    date_less_than: u64,
    start: Option<u64>,
    source_ip: Option<&str>,
) -> SigningPolicy {
    SigningPolicy::custom(&CustomPolicy {
        resource: resource.to_string(),
        date_less_than,
        date_greater_than: start,
        source_ip: source_ip.map(|ip| Ipv4Cidr::parse(ip).expect("test CIDR")),
    })
}

fn key_pair_id(key: Key) -> KeyPairId {
    match key {
        Key::CfRsa => KP_RSA,
        Key::CfEc => KP_EC,
        Key::Cognito => KP_RSA, // the "wrong key" case: signed by the pool key, claims KP_RSA
    }
    .parse()
    .expect("key pair id")
}

/// The hash CloudFront expects for `key`: SHA-1 (the default) for RSA, SHA-256 for ECDSA.
pub(crate) fn default_hash(key: Key) -> HashAlgorithm {
    match key {
        Key::CfEc => HashAlgorithm::Sha256,
        _ => HashAlgorithm::Sha1,
    }
}

/// Signs `url` (absolute) with `key` and returns the signed URL.
pub(crate) fn signed_url(
    url: &str,
    policy: &SigningPolicy,
    key: Key,
    hash: HashAlgorithm,
) -> String {
    let rng = ring::rand::SystemRandom::new();
    sign::sign_url(url, policy, &key_pair_id(key), &key.signing(), hash, &rng)
        .expect("sign test URL")
}

/// Signed cookies (`(name, value)`) for `resource` with `key`.
pub(crate) fn signed_cookies(
    resource: &str,
    policy: &SigningPolicy,
    key: Key,
    hash: HashAlgorithm,
) -> Vec<(String, String)> {
    let rng = ring::rand::SystemRandom::new();
    sign::sign_cookies(
        resource,
        policy,
        &key_pair_id(key),
        &key.signing(),
        hash,
        &rng,
    )
    .expect("sign test cookies")
}

/// The usual browser cookie set: custom policy `https://downloads.example.com<prefix>/*`, one
/// hour, RSA SHA-1.
pub(crate) fn prefix_cookies(prefix: &str) -> Vec<(String, String)> {
    signed_cookies(
        &site_url(&format!("{prefix}/*")),
        &custom(&site_url(&format!("{prefix}/*")), NOW + 3600, None, None),
        Key::CfRsa,
        HashAlgorithm::Sha1,
    )
}

/// `name=value; name=value`.
pub(crate) fn cookie_header(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The value of one signing parameter in a signed URL, or of one cookie.
pub(crate) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .expect("parameter present")
}

/// The query parameters of a signed URL as `(name, value)` pairs.
pub(crate) fn query_pairs(url: &str) -> Vec<(String, String)> {
    edgegate_test_kit::text::query_pairs(url)
}

/// `url` with the query parameter `name` set to `value` (`None`: removed); order kept.
pub(crate) fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    edgegate_test_kit::text::with_param(url, name, value)
}

/// A CloudFront-base64 or base64url string with one character changed (still well-formed).
pub(crate) fn flip_char(text: &str, at: usize) -> String {
    edgegate_test_kit::text::flip_char(text, at)
}

// --- viewer requests --------------------------------------------------------------------------

/// `cookie` → `Cookie`, `x-forwarded-for` → `X-Forwarded-For`.
fn original_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A viewer request builder. Starts as a plain non-navigation `GET` from [`CLIENT_IP`] with
/// `Host: downloads.example.com`.
#[derive(Clone, Debug)]
pub(crate) struct Req(ViewerRequest);

impl Req {
    pub(crate) fn get(uri: &str) -> Self {
        let req = ViewerRequest {
            client_ip: CLIENT_IP.to_string(),
            method: "GET".to_string(),
            uri: uri.to_string(),
            querystring: String::new(),
            headers: Default::default(),
            other: Map::new(),
        };
        Req(req)
            .header("host", SITE)
            .header("user-agent", "curl/8.5.0")
            .header("accept", "*/*")
    }

    /// A top-level browser navigation as Chromium sends it: `Sec-Fetch-Mode: navigate`,
    /// `Sec-Fetch-Dest: document` and an HTML `Accept`.
    pub(crate) fn navigate(uri: &str) -> Self {
        Req::get(uri)
            .without_header("accept")
            .header(
                "accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            )
            .header("sec-fetch-mode", "navigate")
            .header("sec-fetch-dest", "document")
    }

    /// A request for a signed URL's path and query (the host must be [`SITE`]).
    pub(crate) fn for_url(url: &str) -> Self {
        let rest = url
            .strip_prefix(&format!("https://{SITE}"))
            .expect("URL on the test site");
        match rest.split_once('?') {
            Some((path, query)) => Req::get(path).query(query),
            None => Req::get(rest),
        }
    }

    pub(crate) fn method(mut self, method: &str) -> Self {
        self.0.method = method.to_string();
        self
    }

    pub(crate) fn query(mut self, query: &str) -> Self {
        self.0.querystring = query.to_string();
        self
    }

    pub(crate) fn client_ip(mut self, ip: &str) -> Self {
        self.0.client_ip = ip.to_string();
        self
    }

    /// Appends one header entry (lowercase `name`).
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.0
            .headers
            .entry(name.to_string())
            .or_default()
            .push(HeaderEntry {
                key: Some(original_case(name)),
                value: value.to_string(),
            });
        self
    }

    pub(crate) fn without_header(mut self, name: &str) -> Self {
        self.0.headers.remove(name);
        self
    }

    /// `Authorization: Bearer <token>`.
    pub(crate) fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// One `cookie` header entry.
    pub(crate) fn cookie(self, value: &str) -> Self {
        self.header("cookie", value)
    }

    /// The pairs as one `cookie` header entry.
    pub(crate) fn cookies(self, pairs: &[(String, String)]) -> Self {
        self.cookie(&cookie_header(pairs))
    }

    pub(crate) fn build(self) -> ViewerRequest {
        self.0
    }
}

/// Wraps a request in a full viewer-request event.
pub(crate) fn event(request: ViewerRequest, request_id: &str) -> ViewerRequestEvent {
    ViewerRequestEvent::new(
        CfConfig {
            distribution_domain_name: "d111111abcdef8.cloudfront.net".to_string(),
            distribution_id: "EDFDVBD6EXAMPLE".to_string(),
            event_type: "viewer-request".to_string(),
            request_id: request_id.to_string(),
        },
        request,
    )
}
