//! The gate: [`decide`] turns one viewer request into a [`Decision`].
//!
//! Order of checks (design.md, "Decisions" and "Routes and credentials"):
//!
//! 1. size caps before any decoding: URI + query 8 KiB, `Cookie` 16 KiB, `Authorization`
//!    `Bearer ` + 16 KiB (the token cap, whatever the route) → 400 `too_large`;
//! 2. a canonical raw path ([`crate::path`]) and a `Host` header → else 400 `bad_request`;
//! 3. the route: longest whole-segment prefix → none: 403 `no_route`;
//! 4. `public` routes: allow, with every credential stripped;
//! 5. gated routes accept only GET and HEAD → 405;
//! 6. exactly one credential decides, with no fallback past a present-but-invalid one: any
//!    reserved CloudFront query parameter → the signed URL alone decides (as CloudFront does);
//!    else an `Authorization` header; else the `CloudFront-*` cookies; else no credential.
//!    - signed URL / cookies invalid → 403 `invalid_credential` (CloudFront's behaviour);
//!    - bearer token invalid → 401 `invalid_credential` with `WWW-Authenticate: Bearer
//!      error="invalid_token"` (RFC 6750 §3);
//!    - valid token outside the route's groups, or a token on a signed-only route → 403
//!      `forbidden`;
//!    - none on a groups route → 401 `missing_credential` (`WWW-Authenticate: Bearer`); none on a
//!      signed-only route → 403 `missing_credential` (CloudFront answers 403 there).
//!
//! Every generated response is `Cache-Control: no-store` with a one-word reason code; the
//! detail (`expired`, `bad_signature`, `unknown_kid`, ...) is only in the [`Decision`] for logs
//! and `edgegate explain`. An allowed request goes on with `Authorization`, the `CloudFront-*`
//! cookies, edgegate's and Amplify's cookies and the signing query parameters removed.

use crate::cache::{signed_key, VerifiedCache};
use crate::config::{Access, CognitoConfig, GateConfig, Route, Scheme, AUTH_PREFIX};
use crate::cookies::CookieJar;
use crate::event::{CfResponse, HeaderEntry, Headers, ViewerRequest};
use crate::path;
use edgegate_keys::jwt::{self, CognitoIdentity};
use edgegate_keys::limits::{MAX_TOKEN_BYTES, MAX_URL_BYTES};
use edgegate_keys::signed::{self, CredentialSource, SignedCredential, SignedGrant};
use edgegate_keys::{SignatureVerifier, UnixTime, Verified, VerifyError};
use serde::Serialize;

/// Largest accepted `Cookie` header content (all entries together), in bytes.
pub const MAX_COOKIE_BYTES: usize = 16 * 1024;
/// The prefix of edgegate's own cookie names (nonce, refresh, loop marker).
pub const EDGEGATE_COOKIE_PREFIX: &str = "__Secure-edgegate-";
/// The prefix of the cookies Amplify writes for single-page apps.
pub const AMPLIFY_COOKIE_PREFIX: &str = "CognitoIdentityServiceProvider.";

/// The coarse reason code a response carries (and the only one it carries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Allowed.
    Ok,
    /// Allowed on a public route.
    Public,
    /// No credential where one is needed.
    MissingCredential,
    /// A credential was present and failed verification.
    InvalidCredential,
    /// A valid identity that is not allowed here.
    Forbidden,
    /// No route covers the path.
    NoRoute,
    /// Malformed, non-canonical or ambiguous input, or a method not allowed.
    BadRequest,
    /// Input over a size cap.
    TooLarge,
    /// The gate cannot decide (fail closed).
    Unavailable,
}

impl Reason {
    /// The snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Ok => "ok",
            Reason::Public => "public",
            Reason::MissingCredential => "missing_credential",
            Reason::InvalidCredential => "invalid_credential",
            Reason::Forbidden => "forbidden",
            Reason::NoRoute => "no_route",
            Reason::BadRequest => "bad_request",
            Reason::TooLarge => "too_large",
            Reason::Unavailable => "unavailable",
        }
    }
}

/// Who or what was admitted (never a credential).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Identity {
    /// A public route: nobody in particular.
    Anonymous,
    /// A verified Cognito token.
    Cognito {
        /// Where it came from (`bearer`).
        source: &'static str,
        /// `sub`.
        sub: String,
        /// `cognito:username` / `username`.
        #[serde(skip_serializing_if = "Option::is_none")]
        username: Option<String>,
        /// `id` or `access`.
        token_use: &'static str,
        /// The app client id.
        client_id: String,
        /// `cognito:groups`.
        groups: Vec<String>,
        /// `exp`, seconds since the epoch.
        expires_at: u64,
    },
    /// A verified signed URL or signed cookies.
    Signed {
        /// `url` or `cookie`.
        source: CredentialSource,
        /// The key pair id.
        key_pair_id: String,
        /// `canned` or `custom`.
        policy: &'static str,
        /// When access ends, seconds since the epoch.
        expires_at: u64,
    },
}

impl Identity {
    fn cognito(id: &CognitoIdentity, source: &'static str) -> Self {
        Identity::Cognito {
            source,
            sub: id.sub.clone(),
            username: id.username.clone(),
            token_use: id.token_use.as_str(),
            client_id: id.client_id.clone(),
            groups: id.groups.clone(),
            expires_at: id.expires_at,
        }
    }

    fn signed(grant: &SignedGrant) -> Self {
        Identity::Signed {
            source: grant.source,
            key_pair_id: grant.key_pair_id.to_string(),
            policy: grant.policy_kind(),
            expires_at: grant.expires_at(),
        }
    }
}

/// The request goes on to the origin.
#[derive(Clone, Debug, PartialEq)]
pub struct ForwardRequest {
    /// The request with every credential removed.
    pub request: ViewerRequest,
    /// Who was admitted.
    pub identity: Identity,
    /// The route prefix that matched.
    pub route: String,
}

/// The request is answered by the gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// HTTP status (400, 401, 403, 405, 503).
    pub status: u16,
    /// The coarse reason sent to the viewer.
    pub reason: Reason,
    /// The detail for logs and `explain` only.
    pub detail: &'static str,
    /// The route prefix, if one matched.
    pub route: Option<String>,
    /// A verified identity that was nevertheless refused (403 `forbidden`).
    pub identity: Option<Identity>,
    /// `WWW-Authenticate` value for 401s.
    pub www_authenticate: Option<&'static str>,
    /// A small HTML page instead of the plain reason (the sign-in loop breaker).
    pub page: Option<Page>,
}

/// Generated HTML pages (static text: nothing from the request is reflected).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// "Sign-in did not complete" with a sign-out link, shown instead of a redirect when the
    /// loop marker says a sign-in just failed.
    SignInLoop,
}

const SIGN_IN_LOOP_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign-in did not complete</title></head><body><h1>Sign-in did not complete</h1><p>You signed in, but this browser did not keep the session, or your account has no access here.</p><p><a href=\"/auth/logout\">Sign out</a> and sign in again, or contact your administrator.</p></body></html>\n";

/// A browser navigation is sent to sign in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The `Location`: `/auth/login?return_to=<percent-encoded path and query>`.
    pub location: String,
    /// The route prefix that matched.
    pub route: String,
    /// Why (`no_credential`, `expired`, ...), for logs and `explain`.
    pub detail: &'static str,
}

impl Redirect {
    /// The 302 response: `Location`, `Cache-Control: no-store`, no body.
    pub fn to_response(&self) -> CfResponse {
        let mut headers = Headers::new();
        header(&mut headers, "location", "Location", &self.location);
        header(&mut headers, "cache-control", "Cache-Control", "no-store");
        CfResponse {
            status: "302".to_string(),
            status_description: "Found".to_string(),
            headers,
            body: None,
        }
    }
}

/// What the gate decided.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Forward to the origin.
    Allow(ForwardRequest),
    /// Answer with a generated response.
    Deny(Denial),
    /// Send a browser navigation to sign in (302 to `/auth/login`).
    Redirect(Redirect),
}

impl Decision {
    /// `allow` or `deny`.
    pub fn kind(&self) -> &'static str {
        match self {
            Decision::Allow(_) => "allow",
            Decision::Deny(_) => "deny",
            Decision::Redirect(_) => "redirect",
        }
    }

    /// The HTTP status the viewer will see from the gate (200 for allow: the origin decides).
    pub fn status(&self) -> u16 {
        match self {
            Decision::Allow(_) => 200,
            Decision::Deny(d) => d.status,
            Decision::Redirect(_) => 302,
        }
    }

    /// The coarse reason code.
    pub fn reason(&self) -> Reason {
        match self {
            Decision::Allow(f) if f.identity == Identity::Anonymous => Reason::Public,
            Decision::Allow(_) => Reason::Ok,
            Decision::Deny(d) => d.reason,
            Decision::Redirect(r) if r.detail == "no_credential" => Reason::MissingCredential,
            Decision::Redirect(_) => Reason::InvalidCredential,
        }
    }

    /// The detail code (logs and `explain` only).
    pub fn detail(&self) -> &'static str {
        match self {
            Decision::Allow(f) => match f.identity {
                Identity::Anonymous => "public_route",
                Identity::Cognito { .. } => "valid_token",
                Identity::Signed {
                    source: CredentialSource::Url,
                    ..
                } => "valid_signed_url",
                Identity::Signed {
                    source: CredentialSource::Cookie,
                    ..
                } => "valid_signed_cookies",
            },
            Decision::Deny(d) => d.detail,
            Decision::Redirect(r) => r.detail,
        }
    }

    /// The identity, if one was verified.
    pub fn identity(&self) -> Option<&Identity> {
        match self {
            Decision::Allow(f) => Some(&f.identity),
            Decision::Deny(d) => d.identity.as_ref(),
            Decision::Redirect(_) => None,
        }
    }

    /// The matched route prefix.
    pub fn route(&self) -> Option<&str> {
        match self {
            Decision::Allow(f) => Some(&f.route),
            Decision::Deny(d) => d.route.as_deref(),
            Decision::Redirect(r) => Some(&r.route),
        }
    }

    /// The `edgegate explain` JSON:
    /// `{"decision","status","reason","detail","route","identity"}`.
    pub fn explain(&self) -> serde_json::Value {
        serde_json::json!({
            "decision": self.kind(),
            "status": self.status(),
            "reason": self.reason().as_str(),
            "detail": self.detail(),
            "route": self.route(),
            "identity": self.identity(),
        })
    }
}

fn status_text(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        405 => "Method Not Allowed",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

fn header(headers: &mut Headers, name: &str, key: &str, value: &str) {
    headers
        .entry(name.to_string())
        .or_default()
        .push(HeaderEntry {
            key: Some(key.to_string()),
            value: value.to_string(),
        });
}

impl Denial {
    /// The response CloudFront returns to the viewer: status, `Cache-Control: no-store`,
    /// `Content-Type: text/plain`, the reason code as body, and `WWW-Authenticate` / `Allow`
    /// where they apply. Contains no request data.
    pub fn to_response(&self) -> CfResponse {
        let mut headers = Headers::new();
        header(&mut headers, "cache-control", "Cache-Control", "no-store");
        header(
            &mut headers,
            "content-type",
            "Content-Type",
            "text/plain; charset=utf-8",
        );
        header(
            &mut headers,
            "x-content-type-options",
            "X-Content-Type-Options",
            "nosniff",
        );
        if let Some(v) = self.www_authenticate {
            header(&mut headers, "www-authenticate", "WWW-Authenticate", v);
        }
        if self.status == 405 {
            header(&mut headers, "allow", "Allow", "GET, HEAD");
        }
        if self.status == 503 {
            header(&mut headers, "retry-after", "Retry-After", "5");
        }
        let body = match self.page {
            Some(Page::SignInLoop) => {
                if let Some(ct) = headers.get_mut("content-type") {
                    *ct = vec![HeaderEntry {
                        key: Some("Content-Type".to_string()),
                        value: "text/html; charset=utf-8".to_string(),
                    }];
                }
                SIGN_IN_LOOP_PAGE.to_string()
            }
            None => format!("{}\n", self.reason.as_str()),
        };
        CfResponse {
            status: self.status.to_string(),
            status_description: status_text(self.status).to_string(),
            headers,
            body: Some(body),
        }
    }
}

/// `Bearer ` (scheme and its one space): the `Authorization` cap is this plus the token cap.
const BEARER_PREFIX: &str = "Bearer ";
const BEARER_MISSING: &str = "Bearer realm=\"edgegate\"";
const BEARER_INVALID: &str = "Bearer realm=\"edgegate\", error=\"invalid_token\"";

struct Ctx<'a> {
    route: Option<&'a Route>,
    /// Sign-in is configured and this is a browser navigation (GET/HEAD with
    /// `Sec-Fetch-Mode: navigate` or an `Accept` naming `text/html`).
    navigation: bool,
    /// The loop marker cookie is present (a sign-in just failed).
    loop_marker: bool,
    /// `/auth/login?return_to=...` for this request.
    login: String,
}

impl Ctx<'_> {
    /// A navigation on a groups route is sent to sign in (or shown the loop page); anything
    /// else gets `otherwise`.
    fn sign_in_or(&self, detail: &'static str, otherwise: Decision) -> Decision {
        let groups_route = self
            .route
            .is_some_and(|r| matches!(r.access, Access::Groups(_)));
        if !(self.navigation && groups_route) {
            return otherwise;
        }
        if self.loop_marker {
            return Decision::Deny(Denial {
                status: 403,
                reason: Reason::Forbidden,
                detail: "sign_in_loop",
                route: self.route.map(|r| r.prefix.clone()),
                identity: None,
                www_authenticate: None,
                page: Some(Page::SignInLoop),
            });
        }
        Decision::Redirect(Redirect {
            location: self.login.clone(),
            route: self.route.map(|r| r.prefix.clone()).unwrap_or_default(),
            detail,
        })
    }

    fn deny(&self, status: u16, reason: Reason, detail: &'static str) -> Decision {
        Decision::Deny(Denial {
            status,
            reason,
            detail,
            route: self.route.map(|r| r.prefix.clone()),
            identity: None,
            page: None,
            www_authenticate: match (status, reason) {
                (401, Reason::MissingCredential) => Some(BEARER_MISSING),
                (401, _) => Some(BEARER_INVALID),
                _ => None,
            },
        })
    }
}

/// Decides one viewer request.
///
/// `verifier` is the signature primitive; `now` the current time. Pure: the same inputs give
/// the same decision.
pub fn decide(
    req: &ViewerRequest,
    cfg: &GateConfig,
    verifier: &dyn SignatureVerifier,
    now: UnixTime,
) -> Decision {
    decide_cached(req, cfg, verifier, now, None)
}

/// [`decide`] with a [`VerifiedCache`]: a credential already verified is not verified again,
/// but its expiry, the route's groups, and a policy's `Resource`, `IpAddress` and dates are
/// re-checked on every request (see [`crate::cache`]). Gives the same decision as [`decide`].
pub fn decide_cached(
    req: &ViewerRequest,
    cfg: &GateConfig,
    verifier: &dyn SignatureVerifier,
    now: UnixTime,
    cache: Option<&mut VerifiedCache>,
) -> Decision {
    let mut ctx = Ctx {
        route: None,
        navigation: false,
        loop_marker: false,
        login: String::new(),
    };

    // 1. Size caps, before any decoding.
    if req.uri.len().saturating_add(req.querystring.len()) > MAX_URL_BYTES {
        return ctx.deny(400, Reason::TooLarge, "url_too_large");
    }
    let cookie_bytes: usize = req.header_values("cookie").map(str::len).sum();
    if cookie_bytes > MAX_COOKIE_BYTES {
        return ctx.deny(400, Reason::TooLarge, "cookie_too_large");
    }
    let auth_values: Vec<&str> = req.header_values("authorization").collect();
    if auth_values
        .iter()
        .any(|v| v.len() > BEARER_PREFIX.len() + MAX_TOKEN_BYTES)
    {
        return ctx.deny(400, Reason::TooLarge, "token_too_large");
    }

    // 2. Canonical path and a host.
    if let Err(e) = path::check_canonical(&req.uri) {
        return ctx.deny(400, Reason::BadRequest, e.detail());
    }
    let host = match req.headers.get("host").map(Vec::as_slice) {
        Some([one]) if is_host_value(&one.value) => one.value.as_str(),
        _ => return ctx.deny(400, Reason::BadRequest, "host"),
    };
    if req
        .querystring
        .bytes()
        .any(|b| b <= 0x20 || b == 0x7f || b == b'#')
    {
        return ctx.deny(400, Reason::BadRequest, "query_bad_character");
    }

    let split = signed::split_query(&req.querystring);
    let jar = CookieJar::parse(req.header_values("cookie"));

    // Sign-in endpoints are public; the auth function keeps edgegate's own cookies.
    if cfg.auth().is_some() && path::covers(AUTH_PREFIX, &req.uri) {
        return allow_auth(req, &split, &jar);
    }
    if cfg.auth().is_some() {
        ctx.navigation = is_navigation(req);
        ctx.loop_marker = jar.contains(if cfg.scheme() == Scheme::Http {
            DEV_LOOP_MARKER_COOKIE
        } else {
            LOOP_MARKER_COOKIE
        });
        ctx.login = login_location(&req.uri, &req.querystring);
    }

    // 3. Route.
    let Some(route) = cfg.route_for(&req.uri) else {
        return ctx.deny(403, Reason::NoRoute, "no_route");
    };
    ctx.route = Some(route);

    // 4. Public routes.
    if route.access == Access::Public {
        return allow(req, &split, &jar, Identity::Anonymous, route);
    }

    // 5. Methods.
    if req.method != "GET" && req.method != "HEAD" {
        return ctx.deny(405, Reason::BadRequest, "method_not_allowed");
    }

    // 6. Exactly one credential decides.
    let resource = |rest: Option<&str>| -> String {
        let mut url = format!("{}://{}{}", cfg.scheme().as_str(), host, req.uri);
        if let Some(q) = rest {
            url.push('?');
            url.push_str(q);
        }
        url
    };

    if !split.reserved.is_empty() {
        let credential = match SignedCredential::from_params(&split.reserved, CredentialSource::Url)
        {
            Ok(c) => c,
            Err(e) => return invalid_signed(&ctx, e),
        };
        let url = resource(split.rest.as_deref());
        return match verify_signed(&credential, &url, req, cfg, verifier, now, cache) {
            Ok(grant) => allow(req, &split, &jar, Identity::signed(&grant), route),
            Err(e) => invalid_signed(&ctx, e),
        };
    }

    if !auth_values.is_empty() {
        let [value] = auth_values.as_slice() else {
            return ctx.deny(400, Reason::BadRequest, "multiple_authorization_headers");
        };
        let Some(token) = bearer_token(value) else {
            return ctx.deny(401, Reason::InvalidCredential, "authorization_not_bearer");
        };
        let groups = match &route.access {
            Access::Groups(groups) => groups,
            _ => {
                return ctx.deny(
                    403,
                    Reason::Forbidden,
                    "bearer_not_accepted_on_signed_route",
                )
            }
        };
        let Some(cognito) = cfg.cognito() else {
            return ctx.deny(401, Reason::InvalidCredential, "cognito_not_configured");
        };
        return match verify_token(token, cognito, verifier, now, cache) {
            Ok(identity) => admit_token(req, &split, &jar, &identity, "bearer", groups, route),
            Err(VerifyError::TooLarge) => ctx.deny(400, Reason::TooLarge, "token_too_large"),
            Err(e) => ctx.deny(401, Reason::InvalidCredential, e.detail()),
        };
    }

    if signed::COOKIE_NAMES.iter().any(|n| jar.contains(n)) {
        let mut params: Vec<(&str, &str)> = Vec::new();
        for name in signed::COOKIE_NAMES {
            let values = jar.all(name);
            if values.len() > 1 {
                return ctx.sign_in_or(
                    "duplicate_cookies",
                    ctx.deny(403, Reason::InvalidCredential, "duplicate_cookies"),
                );
            }
            if let (Some(bare), Some(value)) = (name.strip_prefix("CloudFront-"), values.first()) {
                params.push((bare, value));
            }
        }
        let credential = match SignedCredential::from_params(&params, CredentialSource::Cookie) {
            Ok(c) => c,
            Err(e) => return ctx.sign_in_or(e.detail(), invalid_signed(&ctx, e)),
        };
        let url = resource(if req.querystring.is_empty() {
            None
        } else {
            Some(&req.querystring)
        });
        return match verify_signed(&credential, &url, req, cfg, verifier, now, cache) {
            Ok(grant) => allow(req, &split, &jar, Identity::signed(&grant), route),
            Err(e) => ctx.sign_in_or(e.detail(), invalid_signed(&ctx, e)),
        };
    }

    if let (Some(auth), Some(cognito), Access::Groups(groups)) =
        (cfg.auth(), cfg.cognito(), &route.access)
    {
        if !auth.amplify_client_ids.is_empty()
            && jar
                .pairs()
                .iter()
                .any(|(n, _)| n.starts_with(AMPLIFY_COOKIE_PREFIX))
        {
            let token = match amplify_token(&jar, &auth.amplify_client_ids, cognito) {
                Ok(t) => t,
                Err(detail) => {
                    return ctx.sign_in_or(detail, ctx.deny(401, Reason::InvalidCredential, detail))
                }
            };
            return match verify_token(token.token, cognito, verifier, now, cache) {
                Ok(identity) if identity.client_id != token.client_id => ctx.sign_in_or(
                    "amplify_client_mismatch",
                    ctx.deny(401, Reason::InvalidCredential, "amplify_client_mismatch"),
                ),
                Ok(identity) => admit_token(
                    req,
                    &split,
                    &jar,
                    &identity,
                    "amplify_cookie",
                    groups,
                    route,
                ),
                Err(VerifyError::TooLarge) => ctx.deny(400, Reason::TooLarge, "token_too_large"),
                Err(e) => ctx.sign_in_or(
                    e.detail(),
                    ctx.deny(401, Reason::InvalidCredential, e.detail()),
                ),
            };
        }
    }

    match route.access {
        Access::Signed => ctx.deny(403, Reason::MissingCredential, "no_signature"),
        _ => ctx.sign_in_or(
            "no_credential",
            ctx.deny(401, Reason::MissingCredential, "no_credential"),
        ),
    }
}

/// The loop-breaker cookie the auth function sets after a sign-in (`Path=/`, short-lived).
pub const LOOP_MARKER_COOKIE: &str = "__Secure-edgegate-loop";
/// The prefix of edgegate's own cookie names on a plain-http site (`edgegate dev`), where a
/// browser refuses `__Secure-` names.
pub const DEV_COOKIE_PREFIX: &str = "edgegate-dev-";
/// The loop marker's name on a plain-http site (`site.scheme = "http"`).
pub const DEV_LOOP_MARKER_COOKIE: &str = "edgegate-dev-loop";

/// GET or HEAD, and `Sec-Fetch-Mode: navigate` or an `Accept` header naming `text/html`.
/// When the browser sends `Sec-Fetch-Mode` it alone decides (a `fetch()` with `mode: cors`
/// that happens to accept HTML is not a navigation: field report B40); older clients without
/// it fall back to `Accept`.
fn is_navigation(req: &ViewerRequest) -> bool {
    if req.method != "GET" && req.method != "HEAD" {
        return false;
    }
    match req.header("sec-fetch-mode") {
        Some(mode) => mode.eq_ignore_ascii_case("navigate"),
        None => req
            .header_values("accept")
            .any(|a| a.to_ascii_lowercase().contains("text/html")),
    }
}

/// The longest `return_to` (path and query, before encoding) the auth function keeps; the
/// encoded Location (at most 3 bytes per byte) then stays within CloudFront's 8,192-byte URL
/// limit (security catalogue CB-14).
pub const MAX_RETURN_TO_BYTES: usize = 2048;

/// `/auth/login?return_to=<path?query, percent-encoded>`; over [`MAX_RETURN_TO_BYTES`] the
/// query is dropped, and then the path (`/`).
fn login_location(uri: &str, query: &str) -> String {
    let mut target = uri.to_string();
    if !query.is_empty() && uri.len() + 1 + query.len() <= MAX_RETURN_TO_BYTES {
        target.push('?');
        target.push_str(query);
    }
    if target.len() > MAX_RETURN_TO_BYTES {
        target = "/".to_string();
    }
    let mut out = String::from("/auth/login?return_to=");
    for b in target.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct AmplifyToken<'a> {
    token: &'a str,
    client_id: &'a str,
}

/// Finds the Amplify token cookie: `CognitoIdentityServiceProvider.<clientId>.LastAuthUser`
/// names the user, then `...<clientId>.<user>.idToken` (or `.accessToken` when ID tokens are
/// not accepted). Names are compared after percent-decoding; exactly one match, else invalid.
fn amplify_token<'a>(
    jar: &'a CookieJar,
    client_ids: &'a [String],
    cognito: &CognitoConfig,
) -> Result<AmplifyToken<'a>, &'static str> {
    let mut found: Option<AmplifyToken<'a>> = None;
    let kind = if cognito
        .validation
        .token_uses
        .contains(&edgegate_keys::TokenUse::Id)
    {
        "idToken"
    } else {
        "accessToken"
    };
    for client_id in client_ids {
        let last_name = format!("{AMPLIFY_COOKIE_PREFIX}{client_id}.LastAuthUser");
        let users: Vec<&str> = jar
            .pairs()
            .iter()
            .filter(|(n, _)| path::percent_decode_utf8(n).as_deref() == Some(last_name.as_str()))
            .map(|(_, v)| v.as_str())
            .collect();
        let user = match users.as_slice() {
            [] => continue,
            [one] => path::percent_decode_utf8(one).ok_or("amplify_malformed")?,
            _ => return Err("amplify_duplicate_cookies"),
        };
        let token_name = format!("{AMPLIFY_COOKIE_PREFIX}{client_id}.{user}.{kind}");
        let tokens: Vec<&str> = jar
            .pairs()
            .iter()
            .filter(|(n, _)| path::percent_decode_utf8(n).as_deref() == Some(token_name.as_str()))
            .map(|(_, v)| v.as_str())
            .collect();
        let token = match tokens.as_slice() {
            [one] => *one,
            [] => return Err("amplify_token_missing"),
            _ => return Err("amplify_duplicate_cookies"),
        };
        if found.is_some() {
            return Err("amplify_ambiguous");
        }
        found = Some(AmplifyToken { token, client_id });
    }
    found.ok_or("amplify_no_user")
}

fn verify_token(
    token: &str,
    cognito: &CognitoConfig,
    verifier: &dyn SignatureVerifier,
    now: UnixTime,
    cache: Option<&mut VerifiedCache>,
) -> Result<Verified<CognitoIdentity>, VerifyError> {
    let Some(cache) = cache else {
        return jwt::verify(token, &cognito.jwks, &cognito.validation, verifier, now);
    };
    if let Some(hit) = cache.token(token) {
        // Same bytes, already verified: only the expiry can have changed.
        if hit
            .expires_at
            .saturating_add(cognito.validation.leeway_secs)
            > now.as_secs()
        {
            return Ok(hit);
        }
        return Err(VerifyError::Expired);
    }
    let verified = jwt::verify(token, &cognito.jwks, &cognito.validation, verifier, now)?;
    cache.insert_token(token, verified.clone(), now.as_secs());
    Ok(verified)
}

fn verify_signed(
    credential: &SignedCredential,
    url: &str,
    req: &ViewerRequest,
    cfg: &GateConfig,
    verifier: &dyn SignatureVerifier,
    now: UnixTime,
    cache: Option<&mut VerifiedCache>,
) -> Result<Verified<SignedGrant>, VerifyError> {
    let Some(cache) = cache else {
        return signed::verify(
            credential,
            url,
            &req.client_ip,
            cfg.trusted_keys(),
            verifier,
            now,
        );
    };
    let key = signed_key(credential, url);
    if let Some(hit) = cache.signed(&key) {
        hit.recheck(url, &req.client_ip, now)?;
        return Ok(hit);
    }
    let verified = signed::verify(
        credential,
        url,
        &req.client_ip,
        cfg.trusted_keys(),
        verifier,
        now,
    )?;
    cache.insert_signed(key, verified.clone(), now.as_secs());
    Ok(verified)
}

fn invalid_signed(ctx: &Ctx<'_>, e: VerifyError) -> Decision {
    match e {
        VerifyError::TooLarge => ctx.deny(400, Reason::TooLarge, "signed_too_large"),
        other => ctx.deny(403, Reason::InvalidCredential, other.detail()),
    }
}

/// `Bearer <token>`: scheme case-insensitive (RFC 6750 §2.1 / RFC 9110 §11.1), one space,
/// a token of base64url and `.` characters only. Anything else (two spaces, trailing space,
/// comma lists, other schemes) is refused.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return None;
    }
    if !token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return None;
    }
    Some(token)
}

fn is_host_value(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 255
        && v.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || b == b'.'
                || b == b'-'
                || b == b':'
                || b == b'['
                || b == b']'
        })
}

fn is_auth_cookie(name: &str) -> bool {
    name.starts_with("CloudFront-")
        || name.starts_with(EDGEGATE_COOKIE_PREFIX)
        || name.starts_with("__Host-edgegate-")
        || name.starts_with(DEV_COOKIE_PREFIX)
        || name.starts_with(AMPLIFY_COOKIE_PREFIX)
}

/// `/auth/*`: forwarded to the auth function with `Authorization`, the `CloudFront-*` and the
/// Amplify cookies removed, but edgegate's own cookies kept (they are its state).
fn allow_auth(req: &ViewerRequest, split: &signed::SplitQuery<'_>, jar: &CookieJar) -> Decision {
    Decision::Allow(ForwardRequest {
        request: forward(req, split, jar, |n| {
            n.starts_with("CloudFront-") || n.starts_with(AMPLIFY_COOKIE_PREFIX)
        }),
        identity: Identity::Anonymous,
        route: AUTH_PREFIX.to_string(),
    })
}

/// A verified token: admitted when it is in one of the route's groups, else 403 `forbidden`
/// with the identity kept for logs and `explain`.
fn admit_token(
    req: &ViewerRequest,
    split: &signed::SplitQuery<'_>,
    jar: &CookieJar,
    identity: &CognitoIdentity,
    source: &'static str,
    groups: &[String],
    route: &Route,
) -> Decision {
    if identity.groups.iter().any(|g| groups.contains(g)) {
        return allow(req, split, jar, Identity::cognito(identity, source), route);
    }
    Decision::Deny(Denial {
        status: 403,
        reason: Reason::Forbidden,
        detail: "not_in_group",
        route: Some(route.prefix.clone()),
        identity: Some(Identity::cognito(identity, source)),
        www_authenticate: None,
        page: None,
    })
}

/// The request as the origin gets it: `Authorization` removed, the cookies `strip` names
/// removed (the header dropped when none is left), the signing query parameters removed.
fn forward(
    req: &ViewerRequest,
    split: &signed::SplitQuery<'_>,
    jar: &CookieJar,
    strip: impl Fn(&str) -> bool,
) -> ViewerRequest {
    let mut forward = req.clone();
    forward.headers.remove("authorization");
    match jar.without(strip) {
        Some(cookies) => forward.set_header("cookie", "Cookie", cookies),
        None => {
            forward.headers.remove("cookie");
        }
    }
    if !split.reserved.is_empty() {
        forward.querystring = split.rest.clone().unwrap_or_default();
    }
    forward
}

fn allow(
    req: &ViewerRequest,
    split: &signed::SplitQuery<'_>,
    jar: &CookieJar,
    identity: Identity,
    route: &Route,
) -> Decision {
    Decision::Allow(ForwardRequest {
        request: forward(req, split, jar, is_auth_cookie),
        identity,
        route: route.prefix.clone(),
    })
}
