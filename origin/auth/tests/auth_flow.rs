//! The origin auth function's core ([`edgegate_auth::Auth`]) driven end to end, with no
//! network: a fake Cognito token endpoint written here ([`FakeIdp`]: single-use codes, PKCE S256
//! checked, ID tokens minted with the throwaway test pool key and the `nonce` from the
//! authorize URL, refresh tokens, revocation), a small browser cookie store ([`Browser`]:
//! RFC 6265 path matching, `Max-Age=0` deletion) and the real gate ([`edgegate_edge::decide`])
//! checking the cookies the flow sets.
//!
//! Each test names the field report (shared/field-reports.md, `B..`) or security catalogue entry
//! (shared/security-catalog.md, `CB-..`, `CK-..`) it pins down.
//!
//! The test deployment: site `https://downloads.example.com`, Hosted UI
//! `https://auth.example.com`, the test pool and CloudFront keys of the test kit (`tests/kit/keys`), and the
//! routes
//!
//! | prefix | access |
//! |---|---|
//! | `/releases` | groups `downloaders` |
//! | `/releases/beta` | groups `downloaders`, `testers` |
//! | `/internal` | groups `staff` |
//! | `/shared` | signed |
//! | `/public` | public |

use edgegate_auth::state::{self, FlowState};
use edgegate_auth::{
    parse_query, Auth, AuthRequest, AuthSettings, Response, Secrets, Step, TokenCall, TokenOutcome,
};
use edgegate_edge::config::{
    AccessKind, AuthDoc, AuthSecretsDoc, CloudFrontDoc, CognitoDoc, RouteDoc, SiteDoc,
    TrustedKeyDoc,
};
use edgegate_edge::event::{HeaderEntry, ViewerRequest};
use edgegate_edge::{decide, ConfigDocument, Decision, GateConfig};
use edgegate_keys::jwt::{cognito_issuer, IssuerFormat, TokenUse};
use edgegate_keys::sign::{self, SigningKey, SystemRandom};
use edgegate_keys::{Jwks, PublicKey, RingVerifier, UnixTime};
use serde_json::json;
use std::collections::HashMap;

// --- fixtures ---------------------------------------------------------------------------------

const NOW: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const SITE: &str = "downloads.example.com";
const ORIGIN: &str = "https://downloads.example.com";
const HOSTED_UI: &str = "https://auth.example.com";
const REGION: &str = "eu-west-1";
const USER_POOL_ID: &str = "eu-west-1_EdgeTest1";
const CLIENT_ID: &str = "edgetestclient1";
const OTHER_CLIENT_ID: &str = "otherclient999";
const KID: &str = "edgegate-test-1";
const KP_RSA: &str = "KTESTRSA000001";
const KP_EC: &str = "KTESTEC0000001";
const STATE_KEY: &str = "test-state-key-0123456789abcdef-0123456789";
const CLIENT_SECRET: &str = "test-client-secret-s3cr3t-value";

const COGNITO_PRIVATE_PEM: &str = edgegate_test_kit::keys::COGNITO_TEST_PRIVATE;
const COGNITO_PUBLIC_PEM: &str = edgegate_test_kit::keys::COGNITO_TEST_PUBLIC;
const CF_RSA_PRIVATE_PEM: &str = edgegate_test_kit::keys::CLOUDFRONT_RSA_TEST_PRIVATE;
const CF_RSA_PUBLIC_PEM: &str = edgegate_test_kit::keys::CLOUDFRONT_RSA_TEST_PUBLIC;
const CF_EC_PRIVATE_PEM: &str = edgegate_test_kit::keys::CLOUDFRONT_EC_TEST_PRIVATE;
const CF_EC_PUBLIC_PEM: &str = edgegate_test_kit::keys::CLOUDFRONT_EC_TEST_PUBLIC;

/// Every CloudFront cookie name edgegate sets or expires.
const CF_NAMES: [&str; 5] = [
    "CloudFront-Policy",
    "CloudFront-Signature",
    "CloudFront-Key-Pair-Id",
    "CloudFront-Hash-Algorithm",
    "CloudFront-Expires",
];
const REFRESH: &str = "__Secure-edgegate-refresh";
const LOOP: &str = "__Secure-edgegate-loop";
const FLOW_PREFIX: &str = "__Secure-edgegate-flow-";

fn route(prefix: &str, access: AccessKind, groups: Option<&[&str]>) -> RouteDoc {
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

fn default_routes() -> Vec<RouteDoc> {
    vec![
        route("/releases", AccessKind::Groups, Some(&["downloaders"])),
        route(
            "/releases/beta",
            AccessKind::Groups,
            Some(&["downloaders", "testers"]),
        ),
        route("/internal", AccessKind::Groups, Some(&["staff"])),
        route("/shared", AccessKind::Signed, None),
        route("/public", AccessKind::Public, None),
    ]
}

fn auth_doc(key_pair_id: &str) -> AuthDoc {
    AuthDoc {
        hosted_ui: HOSTED_UI.to_string(),
        client_id: CLIENT_ID.to_string(),
        key_pair_id: key_pair_id.to_string(),
        scopes: Some(vec!["openid".to_string(), "email".to_string()]),
        identity_provider: None,
        logout_return: Some("/goodbye".to_string()),
        amplify_cookies: None,
        state_max_age_seconds: None,
        secrets: AuthSecretsDoc {
            cloudfront_private_key: "arn:aws:secretsmanager:us-east-1:111122223333:secret:cf"
                .to_string(),
            state_key: "arn:aws:secretsmanager:us-east-1:111122223333:secret:state".to_string(),
            client_secret: None,
        },
    }
}

fn document(routes: Vec<RouteDoc>, auth: AuthDoc) -> ConfigDocument {
    let trusted = |id: &str, pem: &str| TrustedKeyDoc {
        key_pair_id: id.to_string(),
        public_key: Some(pem.to_string()),
        public_key_file: None,
    };
    ConfigDocument {
        version: 1,
        issuers: None,
        site: SiteDoc {
            domain: SITE.to_string(),
            scheme: None,
        },
        cognito: Some(CognitoDoc {
            region: REGION.to_string(),
            user_pool_id: USER_POOL_ID.to_string(),
            issuer_format: IssuerFormat::Original,
            app_client_ids: vec![CLIENT_ID.to_string(), OTHER_CLIENT_ID.to_string()],
            token_use: vec![TokenUse::Id, TokenUse::Access],
            leeway_seconds: None,
            jwks_url: None,
            jwks_file: Some("jwks.json".to_string()),
        }),
        cloudfront: Some(CloudFrontDoc {
            trusted_keys: vec![
                trusted(KP_RSA, CF_RSA_PUBLIC_PEM),
                trusted(KP_EC, CF_EC_PUBLIC_PEM),
            ],
        }),
        routes,
        auth: Some(auth),
        pages: None,
        publish: None,
        stack: None,
    }
}

fn jwks() -> Jwks {
    Jwks::single(
        KID,
        PublicKey::from_spki_pem(COGNITO_PUBLIC_PEM).expect("test pool key"),
    )
    .expect("JWKS")
}

/// One deployment: the validated gate config, the auth settings and the secrets.
struct World {
    gate: GateConfig,
    settings: AuthSettings,
    secrets: Secrets,
}

impl World {
    /// The default deployment, cookies signed with the ECDSA key (fast in debug builds).
    fn new() -> Self {
        Self::build(default_routes(), auth_doc(KP_EC), CF_EC_PRIVATE_PEM, None)
    }

    fn build(
        routes: Vec<RouteDoc>,
        auth: AuthDoc,
        private_pem: &str,
        client_secret: Option<&str>,
    ) -> Self {
        let doc = document(routes, auth);
        let gate = GateConfig::from_document(&doc, Some(jwks())).expect("test config validates");
        let settings = AuthSettings::new(&doc, &gate).expect("auth settings");
        let secrets = Secrets::from_values(
            private_pem,
            STATE_KEY,
            client_secret.map(str::to_string),
            &settings,
        )
        .expect("secrets");
        World {
            gate,
            settings,
            secrets,
        }
    }

    fn auth(&self) -> Auth<'_> {
        Auth {
            settings: &self.settings,
            secrets: &self.secrets,
            verifier: &RingVerifier,
        }
    }

    /// Runs one GET of `path_and_query` (under `/auth/`) as `browser` would send it, through
    /// `handle`, the fake token endpoint and `finish`; applies the `Set-Cookie`s to `browser`.
    fn get(&self, browser: &mut Browser, idp: &mut FakeIdp, path_and_query: &str, now: u64) -> Hop {
        let (path, query) = split_pq(path_and_query);
        let cookie = browser.cookie_header(path, now);
        let cookie_headers: Vec<&str> = if cookie.is_empty() {
            Vec::new()
        } else {
            vec![cookie.as_str()]
        };
        let req = AuthRequest {
            method: "GET",
            path,
            query,
            cookie_headers: cookie_headers.clone(),
        };
        let rng = SystemRandom::new();
        let auth = self.auth();
        let (response, call) = match auth.handle(&req, now, &rng) {
            Step::Done(r) => (r, None),
            Step::Revoke { call, then } => {
                idp.revoke(&call);
                (then, Some(call))
            }
            Step::Exchange { call, pending } => {
                let outcome = idp.token(&call, now);
                (
                    auth.finish(pending, outcome, &cookie_headers, now, &rng),
                    Some(call),
                )
            }
        };
        check_response(&response);
        browser.apply(&response.set_cookies, now);
        Hop { response, call }
    }
}

/// One request to the auth function: its response and the token/revoke call made, if any.
struct Hop {
    response: Response,
    call: Option<TokenCall>,
}

impl Hop {
    fn location(&self) -> &str {
        self.response.header("Location").expect("a Location")
    }
}

fn split_pq(path_and_query: &str) -> (&str, &str) {
    path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""))
}

/// The invariants every auth-function response keeps (CK-01, CK-06, CB-11, I-3).
#[track_caller]
fn check_response(r: &Response) {
    // Every response that sets or clears cookies is not cacheable (issue 4); in fact all are.
    assert_eq!(r.header("Cache-Control"), Some("no-store"), "{r:?}");
    for (n, v) in &r.headers {
        assert!(
            !n.contains(['\r', '\n']) && !v.contains(['\r', '\n']) && !v.bytes().any(|b| b < 0x20),
            "control character in header {n}: {v:?}"
        );
    }
    for c in &r.set_cookies {
        assert!(
            !c.bytes().any(|b| b < 0x20 || b == 0x7f),
            "control character in Set-Cookie {c:?}"
        );
        let attrs: Vec<&str> = c.split("; ").skip(1).collect();
        assert!(attrs.contains(&"Secure"), "{c}");
        assert!(attrs.contains(&"HttpOnly"), "{c}");
        assert!(attrs.contains(&"SameSite=Lax"), "{c}");
        assert!(
            !attrs
                .iter()
                .any(|a| a.to_ascii_lowercase().starts_with("domain")),
            "host-only: {c}"
        );
        assert_eq!(
            attrs.iter().filter(|a| a.starts_with("Path=")).count(),
            1,
            "{c}"
        );
    }
    if r.status == 302 {
        let loc = r.header("Location").expect("302 has a Location");
        assert!(
            loc.starts_with(&format!("{ORIGIN}/")) || loc.starts_with(&format!("{HOSTED_UI}/")),
            "Location off-site: {loc}"
        );
        assert!(r.body.is_empty());
    } else {
        assert_eq!(
            r.header("Content-Type"),
            Some("text/html; charset=utf-8"),
            "{r:?}"
        );
        assert!(r.header("Content-Security-Policy").is_some());
    }
}

// --- a browser's cookie store (RFC 6265 §5.3, §5.4) ---------------------------------------------

#[derive(Clone, Debug)]
struct Stored {
    name: String,
    value: String,
    path: String,
    expires_at: u64,
    created: usize,
}

#[derive(Clone, Debug, Default)]
struct Browser {
    cookies: Vec<Stored>,
    counter: usize,
}

/// A parsed `Set-Cookie`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SetCookie {
    name: String,
    value: String,
    path: String,
    max_age: u64,
}

fn parse_set_cookie(line: &str) -> SetCookie {
    let mut parts = line.split("; ");
    let (name, value) = parts
        .next()
        .and_then(|nv| nv.split_once('='))
        .expect("name=value");
    let mut path = None;
    let mut max_age = None;
    for a in parts {
        if let Some(p) = a.strip_prefix("Path=") {
            path = Some(p.to_string());
        }
        if let Some(m) = a.strip_prefix("Max-Age=") {
            max_age = Some(m.parse().expect("Max-Age is a number"));
        }
    }
    SetCookie {
        name: name.to_string(),
        value: value.to_string(),
        path: path.expect("every cookie has an explicit Path"),
        max_age: max_age.expect("every cookie has Max-Age"),
    }
}

/// RFC 6265 §5.1.4 path-match.
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

impl Browser {
    fn apply(&mut self, set_cookies: &[String], now: u64) {
        for line in set_cookies {
            let c = parse_set_cookie(line);
            let old = self
                .cookies
                .iter()
                .position(|s| s.name == c.name && s.path == c.path);
            let created = match old {
                Some(i) => self.cookies.remove(i).created,
                None => {
                    self.counter += 1;
                    self.counter
                }
            };
            if c.max_age > 0 {
                self.cookies.push(Stored {
                    name: c.name,
                    value: c.value,
                    path: c.path,
                    expires_at: now + c.max_age,
                    created,
                });
            }
        }
    }

    /// The cookies sent to `path` at `now`: longer paths first, then older first (§5.4).
    fn sent(&self, path: &str, now: u64) -> Vec<&Stored> {
        let mut out: Vec<&Stored> = self
            .cookies
            .iter()
            .filter(|c| c.expires_at > now && path_matches(&c.path, path))
            .collect();
        out.sort_by(|a, b| {
            b.path
                .len()
                .cmp(&a.path.len())
                .then(a.created.cmp(&b.created))
        });
        out
    }

    fn cookie_header(&self, path: &str, now: u64) -> String {
        self.sent(path, now)
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn has(&self, name: &str) -> bool {
        self.cookies.iter().any(|c| c.name == name)
    }

    fn names(&self) -> Vec<String> {
        self.cookies.iter().map(|c| c.name.clone()).collect()
    }
}

// --- a fake Cognito token endpoint --------------------------------------------------------------

#[derive(Clone, Debug)]
struct User {
    name: &'static str,
    groups: Vec<String>,
}

fn user(name: &'static str, groups: &[&str]) -> User {
    User {
        name,
        groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

#[derive(Clone, Debug)]
struct Grant {
    user: User,
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
}

/// What the fake token endpoint mints (tests override pieces to forge bad tokens).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mint {
    Good,
    OtherClient,
    Expired,
    BadSignature,
    WrongNonce,
    AccessToken,
}

/// Cognito's `/oauth2/authorize`, `/oauth2/token` and `/oauth2/revoke`, in memory.
struct FakeIdp {
    codes: HashMap<String, Grant>,
    refresh_tokens: HashMap<String, User>,
    revoked: Vec<String>,
    counter: u32,
    mint: Mint,
    lifetime: u64,
    /// Length of the refresh tokens handed out (Cognito's are ~1.8 KB encrypted JWTs).
    refresh_len: usize,
    client_secret: Option<&'static str>,
}

impl FakeIdp {
    fn new() -> Self {
        FakeIdp {
            codes: HashMap::new(),
            refresh_tokens: HashMap::new(),
            revoked: Vec::new(),
            counter: 0,
            mint: Mint::Good,
            lifetime: 3600,
            refresh_len: 64,
            client_secret: None,
        }
    }

    /// The user signs in at the authorize URL: the callback path and query Cognito redirects to.
    fn authorize(&mut self, location: &str, user: &User) -> String {
        let query = location
            .strip_prefix(&format!("{HOSTED_UI}/oauth2/authorize?"))
            .unwrap_or_else(|| panic!("not an authorize URL: {location}"));
        let q = parse_query(query);
        let get = |n: &str| q.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        assert_eq!(get("response_type").as_deref(), Some("code"));
        assert_eq!(get("code_challenge_method").as_deref(), Some("S256"));
        let redirect_uri = get("redirect_uri").expect("redirect_uri");
        let path = redirect_uri
            .strip_prefix(ORIGIN)
            .expect("redirect_uri on the site");
        self.counter += 1;
        let code = format!("code-{}-{}", self.counter, user.name);
        self.codes.insert(
            code.clone(),
            Grant {
                user: user.clone(),
                client_id: get("client_id").expect("client_id"),
                redirect_uri: redirect_uri.clone(),
                challenge: get("code_challenge").expect("code_challenge"),
                nonce: get("nonce"),
            },
        );
        let state = get("state").expect("state");
        format!(
            "{path}?code={code}&state={}",
            edgegate_auth::form_encode(&state)
        )
    }

    fn id_token(&self, user: &User, nonce: Option<&str>, now: u64) -> String {
        let mut claims = json!({
            "sub": format!("sub-{}", user.name),
            "cognito:groups": user.groups,
            "iss": cognito_issuer(IssuerFormat::Original, REGION, USER_POOL_ID),
            "cognito:username": user.name,
            "aud": CLIENT_ID,
            "token_use": "id",
            "auth_time": now,
            "iat": now,
            "exp": now + self.lifetime,
        });
        if let Some(n) = nonce {
            claims["nonce"] = json!(n);
        }
        let mut key = COGNITO_PRIVATE_PEM;
        match self.mint {
            Mint::Good => {}
            Mint::OtherClient => claims["aud"] = json!(OTHER_CLIENT_ID),
            Mint::Expired => {
                claims["iat"] = json!(now - 7200);
                claims["auth_time"] = json!(now - 7200);
                claims["exp"] = json!(now - 3600);
            }
            Mint::BadSignature => key = CF_RSA_PRIVATE_PEM,
            Mint::WrongNonce => claims["nonce"] = json!("not-the-flow-nonce"),
            Mint::AccessToken => {
                let obj = claims.as_object_mut().expect("object");
                obj.remove("aud");
                obj.insert("client_id".into(), json!(CLIENT_ID));
                obj.insert("token_use".into(), json!("access"));
            }
        }
        let key = SigningKey::from_pem(key).expect("test key");
        sign::sign_jwt_rs256(KID, &claims, &key).expect("sign ID token")
    }

    fn new_refresh_token(&mut self, user: &User) -> String {
        self.counter += 1;
        let mut token = format!("rt-{}-{}-", self.counter, user.name);
        while token.len() < self.refresh_len {
            token.push('x');
        }
        self.refresh_tokens.insert(token.clone(), user.clone());
        token
    }

    fn check_client(&self, call: &TokenCall) {
        let client_id = field(call, "client_id");
        assert_eq!(client_id, Some(CLIENT_ID));
        match self.client_secret {
            Some(secret) => assert_eq!(
                call.basic_auth,
                Some((CLIENT_ID.to_string(), secret.to_string()))
            ),
            None => assert_eq!(call.basic_auth, None),
        }
    }

    /// `POST /oauth2/token`.
    fn token(&mut self, call: &TokenCall, now: u64) -> TokenOutcome {
        assert_eq!(call.url, format!("{HOSTED_UI}/oauth2/token"));
        self.check_client(call);
        match field(call, "grant_type") {
            Some("authorization_code") => {
                let code = field(call, "code").expect("code");
                // single use (RFC 6749 §4.1.2)
                let Some(grant) = self.codes.remove(code) else {
                    return TokenOutcome::InvalidGrant;
                };
                if Some(grant.client_id.as_str()) != field(call, "client_id")
                    || Some(grant.redirect_uri.as_str()) != field(call, "redirect_uri")
                {
                    return TokenOutcome::InvalidGrant;
                }
                let verifier = field(call, "code_verifier").expect("code_verifier sent (B23)");
                if state::pkce_challenge(verifier) != grant.challenge {
                    return TokenOutcome::InvalidGrant;
                }
                let id_token = self.id_token(&grant.user, grant.nonce.as_deref(), now);
                let refresh_token = self.new_refresh_token(&grant.user);
                TokenOutcome::Tokens {
                    id_token,
                    refresh_token: Some(refresh_token),
                }
            }
            Some("refresh_token") => {
                let token = field(call, "refresh_token").expect("refresh_token");
                match self.refresh_tokens.get(token) {
                    // Cognito's refresh grant returns new ID/access tokens, not a refresh token,
                    // and no nonce.
                    Some(user) => TokenOutcome::Tokens {
                        id_token: self.id_token(&user.clone(), None, now),
                        refresh_token: None,
                    },
                    None => TokenOutcome::InvalidGrant,
                }
            }
            other => panic!("unexpected grant_type {other:?}"),
        }
    }

    /// `POST /oauth2/revoke`.
    fn revoke(&mut self, call: &TokenCall) {
        assert_eq!(call.url, format!("{HOSTED_UI}/oauth2/revoke"));
        self.check_client(call);
        let token = field(call, "token").expect("token").to_string();
        self.refresh_tokens.remove(&token);
        self.revoked.push(token);
    }
}

fn field<'c>(call: &'c TokenCall, name: &str) -> Option<&'c str> {
    let mut it = call.form.iter().filter(|(n, _)| n == name);
    match (it.next(), it.next()) {
        (Some((_, v)), None) => Some(v.as_str()),
        (None, _) => None,
        _ => panic!("{name} sent twice"),
    }
}

fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let q = parse_query(query);
    let mut it = q.into_iter().filter(|(n, _)| n == name);
    match (it.next(), it.next()) {
        (Some((_, v)), None) => Some(v),
        (None, _) => None,
        _ => panic!("{name} twice in {url}"),
    }
}

fn set_cookies_named(r: &Response, name: &str) -> Vec<SetCookie> {
    r.set_cookies
        .iter()
        .map(|c| parse_set_cookie(c))
        .filter(|c| c.name == name)
        .collect()
}

/// Session cookies (a CloudFront cookie or the refresh cookie) given a value.
fn sets_session_cookie(r: &Response) -> bool {
    r.set_cookies.iter().map(|c| parse_set_cookie(c)).any(|c| {
        c.max_age > 0 && (c.name.starts_with("CloudFront-") || c.name == REFRESH || c.name == LOOP)
    })
}

fn viewer_request(path: &str, query: &str, cookie: &str, navigation: bool) -> ViewerRequest {
    let mut headers = std::collections::BTreeMap::new();
    let mut h = |name: &str, key: &str, value: &str| {
        headers.insert(
            name.to_string(),
            vec![HeaderEntry {
                key: Some(key.to_string()),
                value: value.to_string(),
            }],
        );
    };
    h("host", "Host", SITE);
    if navigation {
        h(
            "accept",
            "Accept",
            "text/html,application/xhtml+xml,*/*;q=0.8",
        );
        h("sec-fetch-mode", "Sec-Fetch-Mode", "navigate");
    } else {
        h("accept", "Accept", "*/*");
    }
    if !cookie.is_empty() {
        h("cookie", "Cookie", cookie);
    }
    ViewerRequest {
        client_ip: "192.0.2.10".to_string(),
        method: "GET".to_string(),
        uri: path.to_string(),
        querystring: query.to_string(),
        headers,
        other: Default::default(),
    }
}

/// What the gate decides for `browser` navigating to `path_and_query` at `now`.
fn gate(world: &World, browser: &Browser, path_and_query: &str, now: u64) -> Decision {
    let (path, query) = split_pq(path_and_query);
    let req = viewer_request(path, query, &browser.cookie_header(path, now), true);
    decide(&req, &world.gate, &RingVerifier, UnixTime(now))
}

/// A whole sign-in from a navigation to `target`: gate → /auth/login → Hosted UI → callback.
/// Returns the callback's hop.
fn sign_in(
    world: &World,
    browser: &mut Browser,
    idp: &mut FakeIdp,
    who: &User,
    target: &str,
    now: u64,
) -> Hop {
    let login = match gate(world, browser, target, now) {
        Decision::Redirect(r) => r.location,
        other => panic!("expected a redirect to sign in, got {:?}", other.explain()),
    };
    let hop = world.get(browser, idp, &login, now);
    assert_eq!(hop.response.status, 302);
    let callback = idp.authorize(hop.location(), who);
    world.get(browser, idp, &callback, now)
}

fn downloader() -> User {
    user("alice", &["downloaders"])
}

// --- login --------------------------------------------------------------------------------------

#[test]
fn login_redirects_to_hosted_ui_with_pkce_state_and_nonce() {
    // B23, CB-05 (PKCE S256 sent), CB-08 (nonce sent), CB-13 (redirect_uri from config),
    // B30 / CK-01 (flow cookie attributes).
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let hop = world.get(
        &mut browser,
        &mut idp,
        "/auth/login?return_to=%2Freleases%2Fapp.zip%3Fname%3Dbob",
        NOW,
    );
    assert!(hop.call.is_none(), "no token call without a refresh cookie");
    let r = &hop.response;
    assert_eq!(r.status, 302);
    let loc = hop.location();
    assert!(
        loc.starts_with(&format!("{HOSTED_UI}/oauth2/authorize?")),
        "{loc}"
    );
    assert_eq!(query_value(loc, "response_type").as_deref(), Some("code"));
    assert_eq!(query_value(loc, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        query_value(loc, "redirect_uri").as_deref(),
        Some("https://downloads.example.com/auth/callback")
    );
    assert_eq!(query_value(loc, "scope").as_deref(), Some("openid email"));
    assert_eq!(
        query_value(loc, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(query_value(loc, "identity_provider"), None);

    // One flow cookie: Path=/auth/; Secure; HttpOnly; SameSite=Lax; lifetime = state max age.
    assert_eq!(r.set_cookies.len(), 1, "{:?}", r.set_cookies);
    let line = &r.set_cookies[0];
    let c = parse_set_cookie(line);
    assert!(c.name.starts_with(FLOW_PREFIX), "{line}");
    assert_eq!(c.path, "/auth/");
    assert_eq!(c.max_age, 600);
    assert!(line.ends_with("; Secure; HttpOnly; SameSite=Lax"), "{line}");

    // The state is signed, names the flow and carries the return path with its query.
    let st = query_value(loc, "state").expect("state");
    let flow = state::decode(&st, STATE_KEY.as_bytes(), NOW, 600).expect("state verifies");
    assert_eq!(flow.return_to, "/releases/app.zip?name=bob");
    assert_eq!(flow.restarts, 0);
    assert_eq!(c.name, format!("{FLOW_PREFIX}{}", flow.flow_id));
    // The code challenge is the S256 of the verifier kept in the flow cookie.
    let (_, verifier) = c.value.split_once('.').expect("<issued>.<verifier>");
    assert!(
        (43..=128).contains(&verifier.len()),
        "RFC 7636 verifier length"
    );
    assert_eq!(
        query_value(loc, "code_challenge"),
        Some(state::pkce_challenge(verifier))
    );
    assert_ne!(
        query_value(loc, "code_challenge").as_deref(),
        Some(verifier)
    );
    // The nonce is bound to the flow.
    assert_eq!(
        query_value(loc, "nonce"),
        Some(state::nonce(&flow.flow_id, STATE_KEY.as_bytes()))
    );
    // Nothing of the verifier leaks into the Location.
    assert!(!loc.contains(verifier));
}

#[test]
fn login_sends_identity_provider_when_configured() {
    let mut auth = auth_doc(KP_EC);
    auth.identity_provider = Some("Google".to_string());
    let world = World::build(default_routes(), auth, CF_EC_PRIVATE_PEM, None);
    let hop = world.get(
        &mut Browser::default(),
        &mut FakeIdp::new(),
        "/auth/login",
        NOW,
    );
    assert_eq!(
        query_value(hop.location(), "identity_provider").as_deref(),
        Some("Google")
    );
}

#[test]
fn gate_redirect_feeds_login_with_the_query_intact() {
    // B10: the gate's 302 carries path and query; the auth function decodes them into state.
    let world = World::new();
    let browser = Browser::default();
    let target = "/releases/1.0/My%20App.dmg?name=bob&lang=en%2Dgb";
    let Decision::Redirect(r) = gate(&world, &browser, target, NOW) else {
        panic!("expected a redirect")
    };
    let hop = world.get(
        &mut Browser::default(),
        &mut FakeIdp::new(),
        &r.location,
        NOW,
    );
    let st = query_value(hop.location(), "state").expect("state");
    let flow = state::decode(&st, STATE_KEY.as_bytes(), NOW, 600).expect("state");
    assert_eq!(flow.return_to, target);
}

// --- callback -----------------------------------------------------------------------------------

#[test]
fn callback_exchanges_code_with_verifier_and_sets_cookies() {
    // B23 (code_verifier at the token endpoint), B10 (query intact), B05 (stale sets expired),
    // CK-01, CK-07 (Max-Age = exp - now), CK-08 (flow cookie cleared), B30 (SameSite=Lax).
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let target = "/releases/1.0/app.zip?name=bob&x=%2F";
    let login = world.get(
        &mut browser,
        &mut idp,
        &format!(
            "/auth/login?return_to={}",
            edgegate_auth::form_encode(target)
        ),
        NOW,
    );
    let flow_cookie = parse_set_cookie(&login.response.set_cookies[0]);
    let verifier = flow_cookie
        .value
        .split_once('.')
        .expect("verifier")
        .1
        .to_string();
    let callback = idp.authorize(login.location(), &downloader());
    let hop = world.get(&mut browser, &mut idp, &callback, NOW);

    let call = hop.call.as_ref().expect("a token call");
    assert_eq!(call.url, format!("{HOSTED_UI}/oauth2/token"));
    assert_eq!(field(call, "grant_type"), Some("authorization_code"));
    assert!(field(call, "code").is_some_and(|c| c.starts_with("code-")));
    assert_eq!(
        field(call, "redirect_uri"),
        Some("https://downloads.example.com/auth/callback")
    );
    assert_eq!(field(call, "code_verifier"), Some(verifier.as_str()));
    assert_eq!(field(call, "client_id"), Some(CLIENT_ID));
    assert_eq!(call.basic_auth, None);
    let body = call.body();
    assert!(body.contains("grant_type=authorization_code"));
    assert!(body.contains(&format!("code_verifier={verifier}")));

    let r = &hop.response;
    assert_eq!(r.status, 302);
    assert_eq!(hop.location(), format!("{ORIGIN}{target}"));

    // One CloudFront set at /releases (which covers /releases/beta), Max-Age = exp - now.
    for name in [
        "CloudFront-Policy",
        "CloudFront-Signature",
        "CloudFront-Key-Pair-Id",
    ] {
        let live: Vec<SetCookie> = set_cookies_named(r, name)
            .into_iter()
            .filter(|c| c.max_age > 0)
            .collect();
        assert_eq!(live.len(), 1, "{name}: {live:?}");
        assert_eq!(live[0].path, "/releases");
        assert_eq!(live[0].max_age, 3600);
    }
    assert_eq!(
        set_cookies_named(r, "CloudFront-Key-Pair-Id")
            .into_iter()
            .find(|c| c.max_age > 0)
            .map(|c| c.value),
        Some(KP_EC.to_string())
    );
    // ECDSA keys are used with SHA-256 only.
    assert!(set_cookies_named(r, "CloudFront-Hash-Algorithm")
        .iter()
        .any(|c| c.max_age > 0 && c.value == "SHA256" && c.path == "/releases"));
    // Stale sets are expired at every other gated prefix and at `/` (B05).
    for prefix in ["/", "/releases/beta", "/internal", "/shared"] {
        for name in CF_NAMES {
            assert!(
                set_cookies_named(r, name)
                    .iter()
                    .any(|c| c.path == prefix && c.max_age == 0 && c.value.is_empty()),
                "{name} not expired at {prefix}"
            );
        }
    }
    // Nothing at the public route.
    assert!(!r.set_cookies.iter().any(|c| c.contains("Path=/public")));
    // The refresh cookie at /auth/, the loop marker at /.
    let refresh = set_cookies_named(r, REFRESH);
    assert_eq!(refresh.len(), 1);
    assert_eq!(refresh[0].path, "/auth/");
    assert!(refresh[0].value.starts_with("rt-"));
    let marker = set_cookies_named(r, LOOP);
    assert_eq!(marker.len(), 1);
    assert_eq!(marker[0].path, "/");
    assert!(marker[0].max_age > 0 && marker[0].max_age <= 300);
    // The flow cookie is cleared with the Path it was set with (CK-08).
    let cleared = set_cookies_named(r, &flow_cookie.name);
    assert_eq!(cleared.len(), 1);
    assert_eq!(
        (cleared[0].path.as_str(), cleared[0].max_age),
        ("/auth/", 0)
    );
    assert!(!browser.has(&flow_cookie.name));

    // The browser now sends the cookies on a top-level GET (SameSite=Lax, B30), and the gate
    // allows paths under the prefix, including the nested route.
    // (The bare prefix `/releases` is not covered: the policy Resource is `<origin>/releases/*`
    // so that it can never cover `/releases-old`.)
    for path in [
        "/releases/1.0/app.zip",
        "/releases/beta/2.0/app.zip",
        "/releases/",
    ] {
        let d = gate(&world, &browser, &format!("{path}?name=bob"), NOW + 60);
        assert!(matches!(d, Decision::Allow(_)), "{path}: {}", d.explain());
        // nothing of edgegate's cookies reaches the origin
        if let Decision::Allow(f) = &d {
            assert_eq!(f.request.header("cookie"), None);
        }
    }
    // A route the user lacks: the browser sends nothing there (Path), so a navigation is
    // sent to sign in (and the loop marker turns that into a page, never a loop)...
    let d = gate(&world, &browser, "/internal/report.pdf", NOW + 5);
    assert_eq!(d.status(), 403, "{}", d.explain());
    assert_eq!(d.detail(), "sign_in_loop");
    // Once the short-lived marker is gone (LOOP_MARKER_MAX_AGE), a navigation goes to sign in.
    let d = gate(&world, &browser, "/internal/report.pdf", NOW + 60);
    assert_eq!(d.status(), 302, "{}", d.explain());
    // ...and the /releases cookies, sent there by hand, are refused.
    let header = browser.cookie_header("/releases/x", NOW);
    let req = viewer_request("/internal/report.pdf", "", &header, false);
    let d = decide(&req, &world.gate, &RingVerifier, UnixTime(NOW + 60));
    assert!(!matches!(d, Decision::Allow(_)), "{}", d.explain());
    assert_eq!(d.status(), 403);
    // After the ID token's exp the cookies are gone (Max-Age) and the gate redirects again.
    let d = gate(&world, &browser, "/releases/1.0/app.zip", NOW + 3600 + 200);
    assert!(matches!(d, Decision::Redirect(_)), "{}", d.explain());
}

#[test]
fn cookie_names_and_limits_agree_with_the_gate() {
    // The gate recognises the loop marker and strips edgegate's cookies by name; the auth
    // function must name them the same way (https and plain-http dev sites), and both ends cap
    // return_to alike.
    use edgegate_auth::cookies::CookieStyle;
    use edgegate_edge::gate::{
        DEV_COOKIE_PREFIX, DEV_LOOP_MARKER_COOKIE, EDGEGATE_COOKIE_PREFIX, LOOP_MARKER_COOKIE,
        MAX_RETURN_TO_BYTES,
    };
    let https = CookieStyle { secure: true };
    let http = CookieStyle { secure: false };
    assert_eq!(https.loop_marker(), LOOP_MARKER_COOKIE);
    assert_eq!(http.loop_marker(), DEV_LOOP_MARKER_COOKIE);
    for name in [https.refresh(), https.flow_prefix(), https.loop_marker()] {
        assert!(name.starts_with(EDGEGATE_COOKIE_PREFIX), "{name}");
    }
    for name in [http.refresh(), http.flow_prefix(), http.loop_marker()] {
        assert!(name.starts_with(DEV_COOKIE_PREFIX), "{name}");
    }
    assert_eq!(edgegate_auth::return_to::MAX_RETURN_TO, MAX_RETURN_TO_BYTES);
}

#[test]
fn a_sign_in_that_does_not_stick_ends_on_a_page_not_a_loop() {
    // B25: the browser does not keep the CloudFront cookies (say, a cookie limit or an
    // extension). The gate sees the loop marker and shows its 403 page instead of redirecting;
    // once the marker has expired, one more refresh cycle, then the page again.
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let hop = sign_in(
        &world,
        &mut browser,
        &mut idp,
        &downloader(),
        "/releases/x",
        NOW,
    );
    assert_eq!(hop.location(), format!("{ORIGIN}/releases/x"));
    browser
        .cookies
        .retain(|c| !c.name.starts_with("CloudFront-"));
    let d = gate(&world, &browser, "/releases/x", NOW + 1);
    assert_eq!(d.status(), 403);
    assert_eq!(d.detail(), "sign_in_loop");
    let later = NOW + 200; // the marker (120 s) has expired
    let Decision::Redirect(r) = gate(&world, &browser, "/releases/x", later) else {
        panic!("expected one more sign-in cycle")
    };
    let hop = world.get(&mut browser, &mut idp, &r.location, later);
    assert_eq!(hop.location(), format!("{ORIGIN}/releases/x"));
    browser
        .cookies
        .retain(|c| !c.name.starts_with("CloudFront-"));
    assert_eq!(
        gate(&world, &browser, "/releases/x", later + 1).detail(),
        "sign_in_loop"
    );
}

#[test]
fn callback_rsa_key_cookies_are_allowed_by_the_gate() {
    // The default CloudFront key type (RSA, SHA-1: no Hash-Algorithm cookie); user in two
    // routes gets two sets.
    let world = World::build(default_routes(), auth_doc(KP_RSA), CF_RSA_PRIVATE_PEM, None);
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let hop = sign_in(
        &world,
        &mut browser,
        &mut idp,
        &user("bob", &["testers", "staff"]),
        "/internal/x.pdf",
        NOW,
    );
    let r = &hop.response;
    assert_eq!(hop.location(), format!("{ORIGIN}/internal/x.pdf"));
    let mut paths: Vec<String> = set_cookies_named(r, "CloudFront-Signature")
        .into_iter()
        .filter(|c| c.max_age > 0)
        .map(|c| c.path)
        .collect();
    paths.sort();
    assert_eq!(paths, vec!["/internal", "/releases/beta"]);
    assert!(!set_cookies_named(r, "CloudFront-Hash-Algorithm")
        .iter()
        .any(|c| c.max_age > 0));
    // /releases is not allowed for a tester: its stale sets are expired.
    assert!(set_cookies_named(r, "CloudFront-Policy")
        .iter()
        .any(|c| c.path == "/releases" && c.max_age == 0));
    for ok in ["/internal/x.pdf", "/releases/beta/y.zip"] {
        let d = gate(&world, &browser, ok, NOW + 1);
        assert!(matches!(d, Decision::Allow(_)), "{ok}: {}", d.explain());
    }
    let d = gate(&world, &browser, "/releases/1.0/z.zip", NOW + 1);
    assert!(!matches!(d, Decision::Allow(_)), "{}", d.explain());
}

#[test]
fn parallel_tabs_each_complete_in_any_order() {
    // Design: flow cookies keyed by the flow id inside state; at most MAX_FLOWS (3) kept.
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let alice = downloader();
    let mut callbacks = Vec::new();
    for (i, t) in ["/releases/a", "/releases/b?x=1", "/releases/c"]
        .iter()
        .enumerate()
    {
        let hop = world.get(
            &mut browser,
            &mut idp,
            &format!("/auth/login?return_to={}", edgegate_auth::form_encode(t)),
            NOW + i as u64,
        );
        // no earlier flow is expired while at most three exist
        assert!(
            hop.response
                .set_cookies
                .iter()
                .all(|c| parse_set_cookie(c).max_age > 0),
            "{:?}",
            hop.response.set_cookies
        );
        callbacks.push((t.to_string(), idp.authorize(hop.location(), &alice)));
    }
    let flows = browser
        .names()
        .into_iter()
        .filter(|n| n.starts_with(FLOW_PREFIX))
        .count();
    assert_eq!(flows, 3);
    for i in [1usize, 2, 0] {
        let (target, callback) = &callbacks[i];
        let hop = world.get(&mut browser, &mut idp, callback, NOW + 10);
        assert_eq!(hop.response.status, 302, "tab {i}: {}", hop.response.body);
        assert_eq!(hop.location(), format!("{ORIGIN}{target}"));
    }
    assert!(!browser.names().iter().any(|n| n.starts_with(FLOW_PREFIX)));
}

#[test]
fn a_fourth_parallel_flow_expires_the_oldest() {
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let mut names = Vec::new();
    for i in 0..4u64 {
        let hop = world.get(&mut browser, &mut idp, "/auth/login", NOW + i);
        let new: Vec<SetCookie> = hop
            .response
            .set_cookies
            .iter()
            .map(|c| parse_set_cookie(c))
            .collect();
        names.push(
            new.iter()
                .find(|c| c.max_age > 0)
                .expect("new flow")
                .name
                .clone(),
        );
        if i == 3 {
            let expired: Vec<&SetCookie> = new.iter().filter(|c| c.max_age == 0).collect();
            assert_eq!(expired.len(), 1, "{new:?}");
            assert_eq!(expired[0].name, names[0]);
            assert_eq!(expired[0].path, "/auth/");
        }
    }
    let live: Vec<String> = browser
        .names()
        .into_iter()
        .filter(|n| n.starts_with(FLOW_PREFIX))
        .collect();
    assert_eq!(live.len(), 3);
    assert!(!live.contains(&names[0]));
}

// --- restart instead of failing, but never loop --------------------------------------------------

/// Runs `/auth/login?return_to=<target>` and returns the callback URL Cognito would send.
fn begin(
    world: &World,
    browser: &mut Browser,
    idp: &mut FakeIdp,
    target: &str,
    now: u64,
) -> String {
    let hop = world.get(
        browser,
        idp,
        &format!(
            "/auth/login?return_to={}",
            edgegate_auth::form_encode(target)
        ),
        now,
    );
    idp.authorize(hop.location(), &downloader())
}

#[track_caller]
fn assert_restart(hop: &Hop, return_to: &str) {
    assert!(
        hop.call.is_none(),
        "no token call on a restart (CB-01, CB-02)"
    );
    assert_eq!(hop.response.status, 302);
    assert_eq!(
        hop.location(),
        format!(
            "{ORIGIN}/auth/login?return_to={}&retry=1",
            edgegate_auth::form_encode(return_to)
        )
    );
    assert!(!sets_session_cookie(&hop.response));
}

#[track_caller]
fn assert_failure_page(hop: &Hop) {
    assert!(hop.call.is_none());
    let r = &hop.response;
    assert!(r.status >= 400, "{r:?}");
    assert_eq!(r.header("Location"), None, "a page, not a redirect");
    assert!(
        r.body.contains("<a href=\"/auth/login?return_to="),
        "{}",
        r.body
    );
    assert!(!sets_session_cookie(r));
}

#[test]
fn callback_without_state_restarts_once_then_shows_a_page() {
    // B16 (code without state: never exchanged), B18 (no trap at the callback), CB-01.
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    for query in [
        "code=abc",
        "",
        "code=abc&state=",
        "code=abc&state=a&state=b",
    ] {
        // Each untrusted callback in a fresh browser restarts sign-in once...
        let mut fresh = Browser::default();
        let hop = world.get(
            &mut fresh,
            &mut idp,
            &format!("/auth/callback?{query}"),
            NOW,
        );
        assert_restart(&hop, "/");
        // ...and a second one in the same browser (the restart cookie is set) shows a page:
        // an untrusted state carries no trustworthy restart count, so a loop must not be
        // possible even when states keep failing to verify (B18).
        let again = world.get(
            &mut fresh,
            &mut idp,
            &format!("/auth/callback?{query}"),
            NOW,
        );
        assert_eq!(again.response.status, 400);
        assert!(again.call.is_none());
    }
    // The restart goes through login with retry=1; if the browser then again comes back
    // without its flow cookie (cookies blocked), a page is shown instead of another restart.
    let hop = world.get(
        &mut browser,
        &mut idp,
        "/auth/login?return_to=%2F&retry=1",
        NOW,
    );
    let st = query_value(hop.location(), "state").expect("state");
    assert_eq!(
        state::decode(&st, STATE_KEY.as_bytes(), NOW, 600).map(|f| f.restarts),
        Ok(1)
    );
    let callback = idp.authorize(hop.location(), &downloader());
    let mut cookieless = Browser::default();
    let hop = world.get(&mut cookieless, &mut idp, &callback, NOW + 5);
    assert_failure_page(&hop);
    assert_eq!(hop.response.status, 400);
    assert!(hop.response.body.contains("flow_cookie_missing"));
}

#[test]
fn callback_without_code_restarts_without_an_exchange() {
    // CB-01: `/callback?state=y` — no token call.
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let callback = begin(&world, &mut browser, &mut idp, "/releases/x?y=1", NOW);
    let state_only: String = callback
        .split_once('?')
        .map(|(p, q)| {
            let kept: Vec<&str> = q.split('&').filter(|kv| !kv.starts_with("code=")).collect();
            format!("{p}?{}", kept.join("&"))
        })
        .expect("query");
    let hop = world.get(&mut browser, &mut idp, &state_only, NOW + 1);
    assert_restart(&hop, "/releases/x?y=1");
}

#[test]
fn forged_or_foreign_state_restarts_sign_in() {
    // B21, B22, CB-02, CB-03: a state whose return_to was changed, or signed with another key,
    // is never exchanged.
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let callback = begin(&world, &mut browser, &mut idp, "/releases/x", NOW);
    let st = query_value(&callback, "state").expect("state");
    let code = query_value(&callback, "code").expect("code");
    let flow = state::decode(&st, STATE_KEY.as_bytes(), NOW, 600).expect("state");

    // Changed return_to, original tag.
    let (_, tag) = st.split_once('.').expect("payload.tag");
    let mut changed = flow.clone();
    changed.return_to = "/internal/secret".to_string();
    let payload =
        edgegate_keys::cf_base64::encode_b64url(&serde_json::to_vec(&changed).expect("json"));
    // Another deployment's key.
    let foreign = state::encode(&flow, b"another deployment's state key, 32+ bytes");
    for bad in [
        format!("{payload}.{tag}"),
        foreign,
        format!("{st}x"),
        "x.y".to_string(),
    ] {
        let mut attempt = browser.clone();
        let hop = world.get(
            &mut attempt,
            &mut idp,
            &format!(
                "/auth/callback?code={code}&state={}",
                edgegate_auth::form_encode(&bad)
            ),
            NOW + 1,
        );
        assert_restart(&hop, "/");
    }
    // The code was never redeemed: the genuine callback still works.
    let hop = world.get(&mut browser, &mut idp, &callback, NOW + 2);
    assert_eq!(hop.location(), format!("{ORIGIN}/releases/x"));
}

#[test]
fn stale_state_restarts_sign_in() {
    // CB-04: older than auth.state_max_age_seconds (600).
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let callback = begin(&world, &mut browser, &mut idp, "/releases/x", NOW);
    // The browser also dropped the flow cookie (same lifetime); send it anyway to isolate the
    // state check.
    let cookie = browser.cookie_header("/auth/callback", NOW);
    let (path, query) = split_pq(&callback);
    let req = AuthRequest {
        method: "GET",
        path,
        query,
        cookie_headers: vec![cookie.as_str()],
    };
    let step = world.auth().handle(&req, NOW + 601, &SystemRandom::new());
    let Step::Done(r) = step else {
        panic!("a stale state is never exchanged")
    };
    check_response(&r);
    assert_eq!(
        r.header("Location"),
        Some("https://downloads.example.com/auth/login?return_to=%2F&retry=1")
    );
    // A state from the future (beyond a minute of skew) is refused too.
    let future = state::encode(
        &FlowState {
            flow_id: "AAAAAAAAAAAAAAAA".into(),
            issued_at: NOW + 3600,
            return_to: "/".into(),
            restarts: 0,
        },
        STATE_KEY.as_bytes(),
    );
    let hop = world.get(
        &mut browser,
        &mut idp,
        &format!(
            "/auth/callback?code=c&state={}",
            edgegate_auth::form_encode(&future)
        ),
        NOW,
    );
    assert_restart(&hop, "/");
}

#[test]
fn missing_flow_cookie_restarts_once_then_shows_a_page() {
    // CB-02 / CB-05 (the PKCE cookie is missing: no exchange), login CSRF (an attacker's own
    // code and state delivered to the victim), B18 (no loop).
    let world = World::new();
    let mut attacker = Browser::default();
    let mut victim = Browser::default();
    let mut idp = FakeIdp::new();
    let callback = begin(&world, &mut attacker, &mut idp, "/releases/x?y=1", NOW);
    let hop = world.get(&mut victim, &mut idp, &callback, NOW + 1);
    assert_restart(&hop, "/releases/x?y=1");
    // The victim follows the restart: login with retry=1, then again no flow cookie (say the
    // browser refuses cookies): a page with a retry link, never a third hop.
    let retry = hop
        .location()
        .strip_prefix(ORIGIN)
        .expect("same-site")
        .to_string();
    let mut refusing = Browser::default();
    let hop = world.get(&mut refusing, &mut idp, &retry, NOW + 2);
    assert_eq!(hop.response.status, 302);
    let callback = idp.authorize(hop.location(), &downloader());
    let hop = world.get(&mut Browser::default(), &mut idp, &callback, NOW + 3);
    assert_failure_page(&hop);
    assert!(hop
        .response
        .body
        .contains("/auth/login?return_to=%2Freleases%2Fx%3Fy%3D1"));
    // A duplicated flow cookie is as good as none.
    let callback = begin(&world, &mut victim, &mut idp, "/releases/z", NOW + 4);
    let flow_name = victim
        .names()
        .into_iter()
        .find(|n| n.starts_with(FLOW_PREFIX))
        .expect("flow cookie");
    let value = victim
        .cookies
        .iter()
        .find(|c| c.name == flow_name)
        .map(|c| c.value.clone())
        .expect("value");
    let cookie = format!("{flow_name}={value}; {flow_name}={value}");
    let (path, query) = split_pq(&callback);
    let req = AuthRequest {
        method: "GET",
        path,
        query,
        cookie_headers: vec![cookie.as_str()],
    };
    let Step::Done(r) = world.auth().handle(&req, NOW + 5, &SystemRandom::new()) else {
        panic!("duplicated flow cookie must not be exchanged")
    };
    assert_eq!(r.status, 302);
    assert!(r
        .header("Location")
        .is_some_and(|l| l.ends_with("&retry=1")));
}

#[test]
fn cognito_error_is_shown_escaped_with_a_retry_link() {
    // B15, CB-12 (reflected XSS), CB-11 (CRLF in error_description).
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let callback = begin(&world, &mut browser, &mut idp, "/releases/x?y=1", NOW);
    let st = query_value(&callback, "state").expect("state");
    let query = format!(
        "error=invalid_request&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E%0D%0ASet-Cookie%3A+x%3Dy+Read+timed+out&state={}",
        edgegate_auth::form_encode(&st)
    );
    let hop = world.get(
        &mut browser,
        &mut idp,
        &format!("/auth/callback?{query}"),
        NOW + 1,
    );
    assert!(hop.call.is_none());
    let r = &hop.response;
    assert_eq!(r.status, 400);
    assert!(!r.body.contains("<script"), "{}", r.body);
    assert!(
        r.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        r.body
    );
    assert!(r.body.contains("invalid_request"));
    assert!(r.body.contains("Read timed out"));
    assert!(!r.body.contains('\r'));
    assert!(r
        .body
        .contains("<a href=\"/auth/login?return_to=%2Freleases%2Fx%3Fy%3D1\">"));
    assert!(!sets_session_cookie(r));
    // Without a state (or with a forged one) the error is still shown, retry to `/`.
    let hop = world.get(
        &mut browser,
        &mut idp,
        "/auth/callback?error=access_denied&error_description=%22%3E%3Csvg+onload%3Dalert(1)%3E",
        NOW + 1,
    );
    assert_eq!(hop.response.status, 400);
    assert!(!hop.response.body.contains("<svg"));
    assert!(hop
        .response
        .body
        .contains("&quot;&gt;&lt;svg onload=alert(1)&gt;"));
    assert!(hop.response.body.contains("/auth/login?return_to=%2F"));
}

// --- token endpoint outcomes --------------------------------------------------------------------

#[test]
fn replayed_code_gives_a_page_and_only_clears_the_flow_cookie() {
    // CB-06 (the second redemption fails with invalid_grant), B18.
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let callback = begin(&world, &mut browser, &mut idp, "/releases/x", NOW);
    let flow_name = browser
        .names()
        .into_iter()
        .find(|n| n.starts_with(FLOW_PREFIX))
        .expect("flow");
    // Another tab redeemed the code first (Cognito's code is single use).
    let code = query_value(&callback, "code").expect("code");
    idp.codes.remove(&code);
    let hop = world.get(&mut browser, &mut idp, &callback, NOW + 1);
    assert!(hop.call.is_some());
    let r = &hop.response;
    assert_eq!(r.status, 400);
    assert!(r
        .body
        .contains("<a href=\"/auth/login?return_to=%2Freleases%2Fx\">"));
    assert_eq!(r.set_cookies.len(), 1, "{:?}", r.set_cookies);
    let c = parse_set_cookie(&r.set_cookies[0]);
    assert_eq!(
        (c.name.as_str(), c.path.as_str(), c.max_age),
        (flow_name.as_str(), "/auth/", 0)
    );
    // Reloading the callback (B18) no longer finds the flow: a restart, not a trap.
    let hop = world.get(&mut browser, &mut idp, &callback, NOW + 2);
    assert_restart(&hop, "/releases/x");
}

#[test]
fn code_with_a_wrong_verifier_never_yields_cookies() {
    // CB-05 / CB-06 (code injection: the verifier is bound to the browser's flow cookie).
    let world = World::new();
    let mut victim = Browser::default();
    let mut attacker = Browser::default();
    let mut idp = FakeIdp::new();
    let victim_callback = begin(&world, &mut victim, &mut idp, "/releases/v", NOW);
    let attacker_callback = begin(&world, &mut attacker, &mut idp, "/releases/a", NOW);
    // The attacker's code injected into the victim's callback (victim's own state).
    let injected = format!(
        "/auth/callback?code={}&state={}",
        query_value(&attacker_callback, "code").expect("code"),
        edgegate_auth::form_encode(&query_value(&victim_callback, "state").expect("state"))
    );
    let hop = world.get(&mut victim, &mut idp, &injected, NOW + 1);
    assert!(hop.call.is_some());
    assert_eq!(hop.response.status, 400);
    assert!(!sets_session_cookie(&hop.response));
}

#[test]
fn unacceptable_id_tokens_give_a_page_and_no_session_cookies() {
    // CB-07 (another client's token, an access token), CB-08 (wrong nonce), CB-16 (expired,
    // bad signature).
    for mint in [
        Mint::OtherClient,
        Mint::Expired,
        Mint::BadSignature,
        Mint::WrongNonce,
        Mint::AccessToken,
    ] {
        let world = World::new();
        let mut browser = Browser::default();
        let mut idp = FakeIdp::new();
        idp.mint = mint;
        let hop = sign_in(
            &world,
            &mut browser,
            &mut idp,
            &downloader(),
            "/releases/x",
            NOW,
        );
        let r = &hop.response;
        assert!(hop.call.is_some(), "{mint:?}");
        assert!(r.status == 400 || r.status == 502, "{mint:?}: {}", r.status);
        assert_eq!(r.header("Location"), None, "{mint:?}");
        assert!(!sets_session_cookie(r), "{mint:?}: {:?}", r.set_cookies);
        assert!(r
            .set_cookies
            .iter()
            .all(|c| parse_set_cookie(c).max_age == 0));
        assert!(
            r.body.contains("/auth/login?return_to=%2Freleases%2Fx"),
            "{mint:?}"
        );
        assert!(!browser.names().iter().any(|n| n.starts_with("CloudFront-")));
    }
}

#[test]
fn token_endpoint_failure_gives_a_page_without_cookies() {
    // CB-16: 5xx / timeout / no id_token (the shell maps them to Failed).
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let callback = begin(&world, &mut browser, &mut idp, "/releases/x", NOW);
    let (path, query) = split_pq(&callback);
    let cookie = browser.cookie_header(path, NOW);
    let req = AuthRequest {
        method: "GET",
        path,
        query,
        cookie_headers: vec![cookie.as_str()],
    };
    let rng = SystemRandom::new();
    let auth = world.auth();
    let Step::Exchange { pending, .. } = auth.handle(&req, NOW, &rng) else {
        panic!("exchange expected")
    };
    let r = auth.finish(pending, TokenOutcome::Failed, &[cookie.as_str()], NOW, &rng);
    check_response(&r);
    assert_eq!(r.status, 502);
    assert!(!sets_session_cookie(&r));
}

// --- open redirects -----------------------------------------------------------------------------

/// Security catalogue CB-09, plus field reports B12 (`@evil.com`, `.evil.com`) and CB-11: the
/// shared list `tests/kit/data/attacks/open_redirect.txt`, and a return_to of 8 KiB.
fn open_redirect_payloads() -> Vec<String> {
    let mut p = edgegate_test_kit::attacks::open_redirects();
    p.push(format!("/{}", "a".repeat(8192)));
    p
}

#[test]
fn open_redirect_payloads_land_on_the_site_root() {
    // CB-09, B12, B13, B14, CB-11: every payload as return_to ends with Location <origin>/.
    let world = World::new();
    let mut idp = FakeIdp::new();
    for payload in open_redirect_payloads() {
        let mut browser = Browser::default();
        // as the query parameter, encoded the way a browser would send it
        let hop = world.get(
            &mut browser,
            &mut idp,
            &format!(
                "/auth/login?return_to={}",
                edgegate_auth::form_encode(&payload)
            ),
            NOW,
        );
        assert_eq!(hop.response.status, 302, "{payload:?}");
        let callback = idp.authorize(hop.location(), &downloader());
        let hop = world.get(&mut browser, &mut idp, &callback, NOW);
        assert_eq!(hop.location(), format!("{ORIGIN}/"), "{payload:?}");
    }
}

#[test]
fn open_redirect_payloads_raw_in_the_query_never_escape() {
    // CB-09 / CB-11 with the payload not encoded at all (what a hand-crafted link sends).
    let world = World::new();
    let rng = SystemRandom::new();
    for payload in open_redirect_payloads() {
        let query = format!("return_to={payload}");
        let req = AuthRequest {
            method: "GET",
            path: "/auth/login",
            query: &query,
            cookie_headers: Vec::new(),
        };
        let Step::Done(r) = world.auth().handle(&req, NOW, &rng) else {
            panic!("no token call")
        };
        check_response(&r);
        let st = query_value(r.header("Location").expect("Location"), "state").expect("state");
        let flow = state::decode(&st, STATE_KEY.as_bytes(), NOW, 600).expect("state");
        assert_eq!(flow.return_to, "/", "{payload:?}");
    }
}

#[test]
fn refresh_path_also_refuses_open_redirects() {
    // B14: /auth/login?return_to=https://evil while the refresh cookie is valid.
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    sign_in(
        &world,
        &mut browser,
        &mut idp,
        &downloader(),
        "/releases/x",
        NOW,
    );
    for payload in ["https://evil.com", "//evil.com", "/\\evil.com", "@evil.com"] {
        let hop = world.get(
            &mut browser,
            &mut idp,
            &format!(
                "/auth/login?return_to={}&redirect_uri=https%3A%2F%2Fevil.com",
                edgegate_auth::form_encode(payload)
            ),
            NOW + 10,
        );
        assert_eq!(
            hop.call.as_ref().and_then(|c| field(c, "grant_type")),
            Some("refresh_token")
        );
        assert_eq!(hop.location(), format!("{ORIGIN}/"), "{payload}");
    }
}

#[test]
fn logout_ignores_redirect_uri() {
    // CB-10.
    let world = World::new();
    let hop = world.get(
        &mut Browser::default(),
        &mut FakeIdp::new(),
        "/auth/logout?redirect_uri=https%3A%2F%2Fevil.com&logout_uri=https%3A%2F%2Fevil.com",
        NOW,
    );
    assert_eq!(
        hop.location(),
        "https://auth.example.com/logout?client_id=edgetestclient1&logout_uri=https%3A%2F%2Fdownloads.example.com%2Fgoodbye"
    );
    assert!(!hop.location().contains("evil"));
}

#[test]
fn deep_links_with_encoded_characters_survive_sign_in() {
    // B10: published names with spaces or UTF-8 are requested percent-encoded; the deep link
    // (path and query) survives gate → login → callback.
    let world = World::new();
    for target in [
        "/releases/1.0/My%20App.dmg",
        "/releases/1.0/r%C3%A9sum%C3%A9.pdf?lang=fr",
        "/releases/1.0/app.zip?q=a%20b&next=%2Fx",
        "/releases/1.0/app(1).zip?name=bob",
    ] {
        let mut browser = Browser::default();
        let mut idp = FakeIdp::new();
        let hop = sign_in(&world, &mut browser, &mut idp, &downloader(), target, NOW);
        assert_eq!(hop.location(), format!("{ORIGIN}{target}"), "{target}");
        let d = gate(&world, &browser, target, NOW + 1);
        assert!(matches!(d, Decision::Allow(_)), "{target}: {}", d.explain());
    }
}

// --- refresh ------------------------------------------------------------------------------------

#[test]
fn login_with_a_refresh_cookie_uses_the_refresh_grant_first() {
    // B10 (refresh path keeps the query), issue 4 ("tries the refresh token first").
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    sign_in(
        &world,
        &mut browser,
        &mut idp,
        &downloader(),
        "/releases/a",
        NOW,
    );
    let refresh_value = browser
        .cookies
        .iter()
        .find(|c| c.name == REFRESH)
        .map(|c| c.value.clone())
        .expect("refresh cookie");
    // An hour later the CloudFront cookies are gone; the gate sends the browser to login.
    let later = NOW + 3700;
    let target = "/releases/mypage.html?name=bob";
    let Decision::Redirect(r) = gate(&world, &browser, target, later) else {
        panic!("expected a redirect")
    };
    let hop = world.get(&mut browser, &mut idp, &r.location, later);
    let call = hop.call.as_ref().expect("token call");
    assert_eq!(call.url, format!("{HOSTED_UI}/oauth2/token"));
    assert_eq!(field(call, "grant_type"), Some("refresh_token"));
    assert_eq!(field(call, "refresh_token"), Some(refresh_value.as_str()));
    assert_eq!(field(call, "client_id"), Some(CLIENT_ID));
    assert_eq!(hop.location(), format!("{ORIGIN}{target}"));
    // New CloudFront cookies, valid until the new token's exp; the refresh cookie is kept.
    let live: Vec<SetCookie> = set_cookies_named(&hop.response, "CloudFront-Policy")
        .into_iter()
        .filter(|c| c.max_age > 0)
        .collect();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].max_age, 3600);
    assert!(set_cookies_named(&hop.response, REFRESH).is_empty());
    assert!(browser.has(REFRESH));
    let d = gate(&world, &browser, target, later + 1);
    assert!(matches!(d, Decision::Allow(_)), "{}", d.explain());
    // /auth/refresh behaves alike.
    let hop = world.get(
        &mut browser,
        &mut idp,
        "/auth/refresh?return_to=%2Freleases%2Fb%3Fc%3Dd",
        later + 2,
    );
    assert_eq!(
        hop.call.as_ref().and_then(|c| field(c, "grant_type")),
        Some("refresh_token")
    );
    assert_eq!(hop.location(), format!("{ORIGIN}/releases/b?c=d"));
}

#[test]
fn refresh_invalid_grant_expires_the_refresh_cookie_and_goes_to_the_hosted_ui() {
    // B26: the refresh token expired or was revoked.
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    sign_in(
        &world,
        &mut browser,
        &mut idp,
        &downloader(),
        "/releases/a",
        NOW,
    );
    idp.refresh_tokens.clear();
    let hop = world.get(
        &mut browser,
        &mut idp,
        "/auth/login?return_to=%2Freleases%2Fb%3Fq%3D1",
        NOW + 4000,
    );
    assert!(hop.call.is_some());
    let r = &hop.response;
    assert_eq!(r.status, 302);
    assert!(hop
        .location()
        .starts_with(&format!("{HOSTED_UI}/oauth2/authorize?")));
    let st = query_value(hop.location(), "state").expect("state");
    assert_eq!(
        state::decode(&st, STATE_KEY.as_bytes(), NOW + 4000, 600).map(|f| f.return_to),
        Ok("/releases/b?q=1".to_string())
    );
    let refresh = set_cookies_named(r, REFRESH);
    assert_eq!(refresh.len(), 1);
    assert_eq!(
        (refresh[0].path.as_str(), refresh[0].max_age),
        ("/auth/", 0)
    );
    assert!(!browser.has(REFRESH));
    assert!(r
        .set_cookies
        .iter()
        .any(|c| c.starts_with(FLOW_PREFIX) && parse_set_cookie(c).max_age > 0));
    // And the new flow completes.
    let callback = idp.authorize(hop.location(), &downloader());
    let hop = world.get(&mut browser, &mut idp, &callback, NOW + 4001);
    assert_eq!(hop.location(), format!("{ORIGIN}/releases/b?q=1"));
}

#[test]
fn refresh_failure_is_a_new_sign_in_not_a_loop() {
    // B25/B26: the token endpoint failing on refresh falls through to the Hosted UI once.
    let world = World::new();
    let mut browser = Browser::default();
    browser.apply(
        &[format!(
            "{REFRESH}=garbage; Path=/auth/; Max-Age=100; Secure; HttpOnly; SameSite=Lax"
        )],
        NOW,
    );
    let mut idp = FakeIdp::new();
    let hop = world.get(
        &mut browser,
        &mut idp,
        "/auth/login?return_to=%2Freleases%2Fa",
        NOW,
    );
    assert!(hop
        .location()
        .starts_with(&format!("{HOSTED_UI}/oauth2/authorize?")));
    assert!(!browser.has(REFRESH));
    // The next login does not retry the refresh grant.
    let hop = world.get(
        &mut browser,
        &mut idp,
        "/auth/login?return_to=%2Freleases%2Fa",
        NOW + 1,
    );
    assert!(hop.call.is_none());
}

// --- authenticated but not allowed --------------------------------------------------------------

#[test]
fn user_without_any_allowed_route_gets_a_403_page() {
    // B27: never a redirect, no CloudFront cookies, a sign-out link.
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let hop = sign_in(
        &world,
        &mut browser,
        &mut idp,
        &user("mallory", &["nobody", "<b>x</b>"]),
        "/releases/x",
        NOW,
    );
    let r = &hop.response;
    assert_eq!(r.status, 403);
    assert_eq!(r.header("Location"), None);
    assert!(r.body.contains("<a href=\"/auth/logout\">"), "{}", r.body);
    assert!(r.body.contains("mallory"));
    assert!(!sets_session_cookie(r), "{:?}", r.set_cookies);
    assert!(!browser.names().iter().any(|n| n.starts_with("CloudFront-")));
    assert!(!browser.has(REFRESH));
    // A user with no groups at all likewise.
    let mut browser = Browser::default();
    let hop = sign_in(
        &world,
        &mut browser,
        &mut idp,
        &user("eve", &[]),
        "/releases/x",
        NOW,
    );
    assert_eq!(hop.response.status, 403);
    assert!(!sets_session_cookie(&hop.response));
}

// --- access = "authenticated" and "scopes" routes -----------------------------------------------

fn scoped(prefix: &str, access: AccessKind, groups: Option<&[&str]>, scopes: &[&str]) -> RouteDoc {
    RouteDoc {
        scopes: Some(scopes.iter().map(|s| s.to_string()).collect()),
        ..route(prefix, access, groups)
    }
}

/// The default routes plus `/members` (authenticated), `/machine` (scopes) and `/builds`
/// (groups `staff` or scope `builds/read`).
fn access_kind_world() -> World {
    let mut routes = default_routes();
    routes.push(route("/members", AccessKind::Authenticated, None));
    routes.push(scoped(
        "/machine",
        AccessKind::Scopes,
        None,
        &["artifacts/read"],
    ));
    routes.push(scoped(
        "/builds",
        AccessKind::Groups,
        Some(&["staff"]),
        &["builds/read"],
    ));
    World::build(routes, auth_doc(KP_EC), CF_EC_PRIVATE_PEM, None)
}

/// The prefixes `r` sets a CloudFront-Policy cookie for (Max-Age > 0), sorted.
fn cookie_prefixes(r: &Response) -> Vec<String> {
    let mut out: Vec<String> = set_cookies_named(r, "CloudFront-Policy")
        .into_iter()
        .filter(|c| c.max_age > 0)
        .map(|c| c.path)
        .collect();
    out.sort();
    out
}

#[test]
fn authenticated_routes_are_covered_for_every_signed_in_user_scopes_routes_for_none() {
    let world = access_kind_world();
    assert_eq!(world.settings.authenticated_routes, ["/members"]);
    assert!(world
        .settings
        .group_routes
        .iter()
        .all(|(p, _)| p != "/machine" && p != "/members"));
    // A user in no group: cookies for /members only (no 403 page any more: there is a route
    // every signed-in user may use), and the gate admits them there.
    let mut idp = FakeIdp::new();
    let mut browser = Browser::default();
    let hop = sign_in(
        &world,
        &mut browser,
        &mut idp,
        &user("eve", &[]),
        "/members/a",
        NOW,
    );
    assert_eq!(hop.response.status, 302, "{:?}", hop.response.body);
    assert_eq!(cookie_prefixes(&hop.response), ["/members"]);
    let d = gate(&world, &browser, "/members/handbook.pdf", NOW + 60);
    assert!(matches!(d, Decision::Allow(_)), "{}", d.explain());
    // Never for the scopes route, and not for the groups-or-scopes route without its group.
    for path in ["/machine/x", "/builds/x", "/releases/x"] {
        let d = gate(&world, &browser, path, NOW + 60);
        assert!(!matches!(d, Decision::Allow(_)), "{path}: {}", d.explain());
    }
    // A downloader: /releases and /members; staff: /builds, /internal and /members.
    let mut browser = Browser::default();
    let hop = sign_in(
        &world,
        &mut browser,
        &mut idp,
        &downloader(),
        "/members/a",
        NOW,
    );
    assert_eq!(cookie_prefixes(&hop.response), ["/members", "/releases"]);
    let mut browser = Browser::default();
    let hop = sign_in(
        &world,
        &mut browser,
        &mut idp,
        &user("carol", &["staff"]),
        "/builds/x",
        NOW,
    );
    assert_eq!(
        cookie_prefixes(&hop.response),
        ["/builds", "/internal", "/members"]
    );
    // Sign-out and stale-set sweeps reach every gated prefix, the new kinds included.
    for p in ["/members", "/machine", "/builds"] {
        assert!(world.settings.gated_prefixes.iter().any(|g| g == p), "{p}");
    }
}

#[test]
fn scopes_route_navigation_is_never_sent_to_sign_in() {
    // No browser sign-in can satisfy a scopes-only route: a navigation there gets the 401,
    // not a redirect into a sign-in that would end on the loop page.
    let world = access_kind_world();
    let browser = Browser::default();
    let d = gate(&world, &browser, "/machine/x", NOW);
    assert_eq!(
        (d.status(), d.detail()),
        (401, "no_credential"),
        "{}",
        d.explain()
    );
    let d = gate(&world, &browser, "/members/x", NOW);
    assert!(matches!(d, Decision::Redirect(_)), "{}", d.explain());
    let d = gate(&world, &browser, "/builds/x", NOW);
    assert!(matches!(d, Decision::Redirect(_)), "{}", d.explain());
}

// --- logout -------------------------------------------------------------------------------------

#[test]
fn logout_revokes_expires_everything_and_signs_out_of_cognito() {
    // B28 (Cognito /logout), B29 + B20 (every cookie expired with the Path it was set with),
    // CB-10, B26 (works with any token state).
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    sign_in(
        &world,
        &mut browser,
        &mut idp,
        &user("carol", &["downloaders", "staff"]),
        "/releases/x",
        NOW,
    );
    // two unfinished flows in other tabs
    world.get(
        &mut browser,
        &mut idp,
        "/auth/login?return_to=%2Fa",
        NOW + 1,
    );
    world.get(
        &mut browser,
        &mut idp,
        "/auth/login?return_to=%2Fb",
        NOW + 2,
    );
    let refresh_value = browser
        .cookies
        .iter()
        .find(|c| c.name == REFRESH)
        .map(|c| c.value.clone())
        .expect("refresh cookie");
    let before: Vec<(String, String)> = browser
        .cookies
        .iter()
        .map(|c| (c.name.clone(), c.path.clone()))
        .collect();
    assert!(before.len() >= 8, "{before:?}");
    // /auth/logout is requested at /auth/logout: the browser sends the /auth/ and / cookies.
    let hop = world.get(&mut browser, &mut idp, "/auth/logout", NOW + 3);
    let call = hop.call.as_ref().expect("revoke call");
    assert_eq!(call.url, format!("{HOSTED_UI}/oauth2/revoke"));
    assert_eq!(field(call, "token"), Some(refresh_value.as_str()));
    assert_eq!(idp.revoked, vec![refresh_value.clone()]);
    let r = &hop.response;
    assert_eq!(r.status, 302);
    assert_eq!(
        hop.location(),
        "https://auth.example.com/logout?client_id=edgetestclient1&logout_uri=https%3A%2F%2Fdownloads.example.com%2Fgoodbye"
    );
    // Every cookie the browser held is gone: same name and Path.
    assert!(browser.cookies.is_empty(), "left: {:?}", browser.names());
    for (name, path) in &before {
        assert!(
            set_cookies_named(r, name)
                .iter()
                .any(|c| &c.path == path && c.max_age == 0),
            "{name} at {path} not expired"
        );
    }
    // And every CloudFront-* name at every gated prefix and `/`.
    for prefix in ["/", "/releases", "/releases/beta", "/internal", "/shared"] {
        for name in CF_NAMES {
            assert!(
                set_cookies_named(r, name)
                    .iter()
                    .any(|c| c.path == prefix && c.max_age == 0),
                "{name} at {prefix}"
            );
        }
    }
    assert!(!sets_session_cookie(r));
    // The revoked refresh token can no longer be used.
    assert!(!idp.refresh_tokens.contains_key(&refresh_value));
    // After sign-out, the gate redirects again (no loop marker left), and a fresh login writes
    // a fresh flow cookie (B20).
    let Decision::Redirect(login) = gate(&world, &browser, "/releases/x", NOW + 4) else {
        panic!("signed out: expected a redirect")
    };
    let hop = world.get(&mut browser, &mut idp, &login.location, NOW + 4);
    assert!(hop.call.is_none(), "no refresh cookie left");
    let fresh: Vec<SetCookie> = hop
        .response
        .set_cookies
        .iter()
        .map(|c| parse_set_cookie(c))
        .filter(|c| c.name.starts_with(FLOW_PREFIX) && c.max_age > 0)
        .collect();
    assert_eq!(fresh.len(), 1);
    assert!(!before.iter().any(|(n, _)| n == &fresh[0].name));
    let callback = idp.authorize(hop.location(), &downloader());
    let hop = world.get(&mut browser, &mut idp, &callback, NOW + 5);
    assert_eq!(hop.location(), format!("{ORIGIN}/releases/x"));
}

#[test]
fn logout_without_any_cookie_still_signs_out() {
    // B26: sign-out works with any token state (here: none, so nothing to revoke).
    let world = World::new();
    let hop = world.get(
        &mut Browser::default(),
        &mut FakeIdp::new(),
        "/auth/logout",
        NOW,
    );
    assert!(hop.call.is_none());
    assert_eq!(hop.response.status, 302);
    assert!(hop
        .location()
        .starts_with("https://auth.example.com/logout?"));
    assert!(set_cookies_named(&hop.response, REFRESH)
        .iter()
        .all(|c| c.max_age == 0 && c.path == "/auth/"));
    assert!(set_cookies_named(&hop.response, LOOP)
        .iter()
        .all(|c| c.max_age == 0 && c.path == "/"));
}

// --- methods, unknown paths, headers ------------------------------------------------------------

#[test]
fn only_get_and_head_and_known_paths() {
    // CB-15.
    let world = World::new();
    let rng = SystemRandom::new();
    for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
        let req = AuthRequest {
            method,
            path: "/auth/callback",
            query: "code=x&state=y",
            cookie_headers: Vec::new(),
        };
        let Step::Done(r) = world.auth().handle(&req, NOW, &rng) else {
            panic!("no call for {method}")
        };
        check_response(&r);
        assert_eq!(r.status, 405);
        assert_eq!(r.header("Allow"), Some("GET, HEAD"));
    }
    let req = AuthRequest {
        method: "HEAD",
        path: "/auth/login",
        query: "",
        cookie_headers: Vec::new(),
    };
    let Step::Done(r) = world.auth().handle(&req, NOW, &rng) else {
        panic!("login")
    };
    assert_eq!(r.status, 302);
    let req = AuthRequest {
        method: "GET",
        path: "/auth/nope",
        query: "",
        cookie_headers: Vec::new(),
    };
    let Step::Done(r) = world.auth().handle(&req, NOW, &rng) else {
        panic!("404")
    };
    check_response(&r);
    assert_eq!(r.status, 404);
}

// --- cookie byte budget -------------------------------------------------------------------------

#[test]
fn cookies_for_a_user_in_every_group_stay_within_browser_and_header_limits() {
    // B04, CK-03 (name+value < 4,096 per cookie), CK-04 (the Cookie header the browser sends to
    // any one path stays well under S3's 8 KiB header section).
    let long = |s: &str| format!("{s}-{}", "g".repeat(48));
    let groups: Vec<String> = (0..40).map(|i| long(&format!("group{i:02}"))).collect();
    let g = |i: usize| groups[i].as_str();
    let routes = vec![
        route("/releases", AccessKind::Groups, Some(&[g(0), g(1)])),
        route(
            "/releases/beta",
            AccessKind::Groups,
            Some(&[g(0), g(1), g(2)]),
        ),
        route(
            "/downloads/enterprise-customers/installers",
            AccessKind::Groups,
            Some(&[g(3)]),
        ),
        route(
            "/docs/internal-handbook",
            AccessKind::Groups,
            Some(&[g(4), g(5)]),
        ),
        route(
            "/partners/a-very-long-partner-name",
            AccessKind::Groups,
            Some(&[g(6)]),
        ),
        route(
            "/partners/another-partner",
            AccessKind::Groups,
            Some(&[g(7)]),
        ),
        route("/nightly", AccessKind::Groups, Some(&[g(8)])),
        route("/symbols", AccessKind::Groups, Some(&[g(9)])),
        route("/shared", AccessKind::Signed, None),
        route("/public", AccessKind::Public, None),
    ];
    let mut largest_cookie = (String::new(), 0usize);
    let mut report = Vec::new();
    // The RSA key gives the longest signatures (344 characters vs ~96 for P-256).
    for (label, kp, pem) in [
        ("rsa", KP_RSA, CF_RSA_PRIVATE_PEM),
        ("ec", KP_EC, CF_EC_PRIVATE_PEM),
    ] {
        let world = World::build(routes.clone(), auth_doc(kp), pem, None);
        let mut browser = Browser::default();
        let mut idp = FakeIdp::new();
        idp.refresh_len = 2048; // Cognito refresh tokens are encrypted JWTs of ~1.8 KB
                                // Three unfinished flows in other tabs, then a completed sign-in.
        for i in 0..3 {
            world.get(
                &mut browser,
                &mut idp,
                "/auth/login?return_to=%2Fnightly%2Fx",
                NOW + i,
            );
        }
        let who = User {
            name: "everyone",
            groups: groups.clone(),
        };
        let hop = sign_in(&world, &mut browser, &mut idp, &who, "/releases/x", NOW + 3);
        assert_eq!(hop.response.status, 302, "{}", hop.response.body);
        for line in &hop.response.set_cookies {
            let c = parse_set_cookie(line);
            let size = c.name.len() + 1 + c.value.len();
            assert!(size < 4096, "{} is {size} bytes", c.name);
            if size > largest_cookie.1 {
                largest_cookie = (format!("{label}:{}", c.name), size);
            }
            assert!(line.len() < 4096 + 200, "{line}");
        }
        let mut largest_header = (String::new(), 0usize);
        let mut largest_content = (String::new(), 0usize);
        let set_cookie_bytes: usize = hop.response.set_cookies.iter().map(String::len).sum();
        for path in [
            "/",
            "/releases/1.0/app.zip",
            "/releases/beta/app.zip",
            "/downloads/enterprise-customers/installers/setup.exe",
            "/docs/internal-handbook/index.html",
            "/partners/a-very-long-partner-name/x",
            "/nightly/x",
            "/symbols/x",
            "/auth/login",
            "/auth/callback",
            "/auth/logout",
        ] {
            let header = browser.cookie_header(path, NOW + 4);
            if header.len() > largest_header.1 {
                largest_header = (path.to_string(), header.len());
            }
            if !path.starts_with("/auth/") && header.len() > largest_content.1 {
                largest_content = (path.to_string(), header.len());
            }
            // The whole request header section S3 would see is smaller still: the gate strips
            // these cookies before the origin. The budget here is the viewer's own request.
            assert!(
                header.len() < 4096,
                "{label} {path}: {} bytes",
                header.len()
            );
            if !path.starts_with("/auth/") {
                assert!(
                    header.len() < 1536,
                    "{label} {path}: {} bytes",
                    header.len()
                );
            }
            let d = gate(&world, &browser, path, NOW + 4);
            if path.starts_with("/auth/") || path == "/" {
                continue;
            }
            assert!(
                matches!(d, Decision::Allow(_)),
                "{label} {path}: {}",
                d.explain()
            );
        }
        // The callback's Set-Cookie lines together: mostly the expiries of stale sets at the
        // other prefixes (B05). CloudFront's limit on origin response headers is not verified
        // here; keep them well inside 16 KiB for this many routes.
        assert!(
            set_cookie_bytes < 16 * 1024,
            "{label}: {set_cookie_bytes} bytes of Set-Cookie"
        );
        report.push(format!(
            "{label}: {} Set-Cookie lines ({set_cookie_bytes} bytes) on the callback; largest Cookie header {} bytes at {}, largest on a content path {} bytes at {}",
            hop.response.set_cookies.len(),
            largest_header.1,
            largest_header.0,
            largest_content.1,
            largest_content.0,
        ));
    }
    report.push(format!(
        "largest single cookie (name=value): {} bytes ({})",
        largest_cookie.1, largest_cookie.0
    ));
    // Shown with `cargo test -- --nocapture`.
    for line in &report {
        println!("cookie budget: {line}");
    }
}

// --- secrets never in Debug output --------------------------------------------------------------

#[test]
fn debug_output_carries_no_secrets() {
    // I-3: TokenCall, Secrets, TokenOutcome, Step and Pending print no code, verifier, token,
    // client secret, state key or private key.
    let world = World::build(
        default_routes(),
        {
            let mut a = auth_doc(KP_EC);
            a.secrets.client_secret =
                Some("arn:aws:secretsmanager:us-east-1:111122223333:secret:cs".to_string());
            a
        },
        CF_EC_PRIVATE_PEM,
        Some(CLIENT_SECRET),
    );
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    idp.client_secret = Some(CLIENT_SECRET);
    let callback = begin(&world, &mut browser, &mut idp, "/releases/x", NOW);
    let code = query_value(&callback, "code").expect("code");
    let (path, query) = split_pq(&callback);
    let cookie = browser.cookie_header(path, NOW);
    let verifier = cookie
        .split("; ")
        .find_map(|kv| {
            kv.split_once('=')
                .filter(|(n, _)| n.starts_with(FLOW_PREFIX))
        })
        .and_then(|(_, v)| v.split_once('.'))
        .map(|(_, v)| v.to_string())
        .expect("verifier");
    let req = AuthRequest {
        method: "GET",
        path,
        query,
        cookie_headers: vec![cookie.as_str()],
    };
    let step = world.auth().handle(&req, NOW, &SystemRandom::new());
    let step_debug = format!("{step:?}");
    let Step::Exchange { call, pending } = step else {
        panic!("exchange")
    };
    assert_eq!(
        call.basic_auth,
        Some((CLIENT_ID.to_string(), CLIENT_SECRET.to_string()))
    );
    let outcome = idp.token(&call, NOW);
    let TokenOutcome::Tokens {
        id_token,
        refresh_token,
    } = &outcome
    else {
        panic!("tokens")
    };
    let refresh = refresh_token.clone().expect("refresh token");
    let outputs = [
        step_debug,
        format!("{call:?}"),
        format!("{call:#?}"),
        format!("{pending:?}"),
        format!("{outcome:?}"),
        format!("{:?}", world.secrets),
        format!("{:#?}", world.secrets),
        format!("{:?}", world.settings),
    ];
    let secrets = [
        code.as_str(),
        verifier.as_str(),
        CLIENT_SECRET,
        STATE_KEY,
        id_token.as_str(),
        refresh.as_str(),
        "BEGIN",
        "PRIVATE",
    ];
    for out in &outputs {
        for s in secrets {
            assert!(!out.contains(s), "{s:?} in {out}");
        }
    }
    // The revoke call likewise.
    let mut signed_in = Browser::default();
    sign_in(
        &world,
        &mut signed_in,
        &mut idp,
        &downloader(),
        "/releases/x",
        NOW,
    );
    let cookie = signed_in.cookie_header("/auth/logout", NOW);
    let refresh = signed_in
        .cookies
        .iter()
        .find(|c| c.name == REFRESH)
        .map(|c| c.value.clone())
        .expect("refresh");
    let req = AuthRequest {
        method: "GET",
        path: "/auth/logout",
        query: "",
        cookie_headers: vec![cookie.as_str()],
    };
    let step = world.auth().handle(&req, NOW, &SystemRandom::new());
    let out = format!("{step:?}");
    assert!(matches!(step, Step::Revoke { .. }));
    for s in [refresh.as_str(), CLIENT_SECRET] {
        assert!(!out.contains(s), "{s:?} in {out}");
    }
    // Secret errors name the secret, never its value.
    let e = Secrets::from_values("not a pem", "short", None, &world.settings).expect_err("bad");
    assert!(!e.to_string().contains("not a pem"));
    let e = Secrets::from_values(CF_EC_PRIVATE_PEM, "short-state-key", None, &world.settings)
        .expect_err("short key");
    assert_eq!(e.field, "auth.secrets.state_key");
    assert!(!e.to_string().contains("short-state-key"));
}

// --- audit and log lines (issue 14) -------------------------------------------------------------

/// Asserts `line` holds none of the secrets a sign-in handles: no cookie value the response
/// set (signatures, policies, the refresh token, the PKCE verifier), no `code`, no `state`, no
/// JWT, no configured secret. (The key pair id is public: the audit line names it.)
#[track_caller]
fn assert_no_secret(line: &str, hop: &Hop, extra: &[&str]) {
    for c in &hop.response.set_cookies {
        if c.starts_with("CloudFront-Key-Pair-Id=") {
            continue;
        }
        let value = c
            .split(';')
            .next()
            .and_then(|p| p.split_once('='))
            .map_or("", |(_, v)| v);
        if value.len() >= 8 {
            assert!(!line.contains(value), "{line} holds a cookie value of {c}");
        }
    }
    if let Some(call) = &hop.call {
        for (name, value) in &call.form {
            if name != "grant_type" && name != "client_id" && name != "redirect_uri" {
                assert!(!line.contains(value.as_str()), "{line} holds {name}");
            }
        }
    }
    for s in [STATE_KEY, CLIENT_SECRET, "eyJ", "Signature", "Policy"]
        .iter()
        .chain(extra)
    {
        assert!(!line.contains(s), "{line} holds {s:?}");
    }
}

#[test]
fn sign_in_audit_line_names_subject_prefixes_and_expiry_ok() {
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    let carol = user("carol", &["downloaders", "staff"]);
    let hop = sign_in(&world, &mut browser, &mut idp, &carol, "/releases/a", NOW);
    assert_eq!(hop.response.status, 302);
    let issued = hop.response.issued.clone().expect("an issuance record");
    assert_eq!(issued.via, "callback");
    assert_eq!(issued.prefixes, vec!["/internal", "/releases"]);
    assert_eq!(issued.username.as_deref(), Some("carol"));
    assert_eq!(issued.expires_at, NOW + 3600);
    let line = edgegate_auth::log::issued_line(&issued, NOW);
    let v: serde_json::Value = serde_json::from_str(&line).expect("one JSON object");
    assert_eq!(v["audit"], "signed_cookies_issued");
    assert_eq!(v["subject"], issued.subject.as_str());
    assert_eq!(v["prefixes"], json!(["/internal", "/releases"]));
    assert_eq!(v["expires_at"], NOW + 3600);
    assert_eq!(v["key_pair_id"], KP_EC);
    assert_eq!(v["at"], NOW);
    // Every live CloudFront-Policy cookie's Path is one of the audited prefixes.
    for c in set_cookies_named(&hop.response, "CloudFront-Policy") {
        if c.max_age > 0 {
            assert!(issued.prefixes.contains(&c.path), "{} not audited", c.path);
        }
    }
    assert_no_secret(&line, &hop, &[]);
    // The request line of the same hop holds no secret either.
    let request = edgegate_auth::log::request_line(
        "f",
        "/auth/callback",
        hop.response.status,
        Some(edgegate_auth::log::TokenCallResult::Ok),
        NOW * 1000,
    );
    assert_no_secret(&request, &hop, &[]);

    // The refresh grant issues again, audited `via: refresh`.
    let refresh_value = browser
        .cookies
        .iter()
        .find(|c| c.name == REFRESH)
        .map(|c| c.value.clone())
        .expect("refresh cookie");
    let later = NOW + 3700;
    let hop = world.get(
        &mut browser,
        &mut idp,
        "/auth/refresh?return_to=%2Freleases%2Fb",
        later,
    );
    let issued = hop.response.issued.clone().expect("an issuance record");
    assert_eq!(issued.via, "refresh");
    assert_eq!(issued.expires_at, later + 3600);
    assert_no_secret(
        &edgegate_auth::log::issued_line(&issued, later),
        &hop,
        &[refresh_value.as_str()],
    );
}

#[test]
fn responses_without_cookies_issue_no_audit_record_ok() {
    let world = World::new();
    let mut browser = Browser::default();
    let mut idp = FakeIdp::new();
    // A user allowed nowhere: a 403 page, nothing issued.
    let hop = sign_in(
        &world,
        &mut browser,
        &mut idp,
        &user("bob", &[]),
        "/releases/a",
        NOW,
    );
    assert_eq!(hop.response.status, 403);
    assert!(hop.response.issued.is_none());
    // Login and logout issue nothing.
    let hop = world.get(&mut browser, &mut idp, "/auth/login?return_to=%2F", NOW);
    assert!(hop.response.issued.is_none());
    let hop = world.get(&mut browser, &mut idp, "/auth/logout", NOW);
    assert!(hop.response.issued.is_none());
}
