//! # edgegate-auth: the origin auth function at `/auth/*`
//!
//! Cognito Hosted UI sign-in turned into CloudFront signed cookies (design.md, "Browser session
//! lifecycle"; issue "Browser sign-in"). One deployable: the `edgegate-auth` binary
//! (`bootstrap` on `provided.al2023`, feature `lambda`); `edgegate dev` mounts the same core
//! and [`shell`] natively, without the Lambda runtime.
//!
//! Pure core: [`Auth::handle`] turns one `/auth/*` request into a [`Step`] — a response, or an
//! HTTP call to Cognito's token/revoke endpoint described as a value ([`TokenCall`]) that the
//! shell ([`crate::lambda`], `edgegate dev`) sends, feeding the outcome back to
//! [`Auth::finish`]. No I/O, no clock (`now` is an argument), randomness passed in.
//!
//! Endpoints (all GET; HEAD is treated alike; anything else is 405):
//!
//! - `/auth/login?return_to=`: with a refresh cookie, the refresh grant first; otherwise a new
//!   flow: per-flow cookie with the PKCE verifier, signed time-limited `state`, OIDC `nonce`,
//!   302 to `/oauth2/authorize` (code flow, PKCE S256, configured scopes, optional
//!   `identity_provider`).
//! - `/auth/callback?code&state`: Cognito `error=` shown escaped with a retry link; a missing,
//!   stale, forged or foreign state (or a missing flow cookie) restarts sign-in once, then shows
//!   a page (never a loop); the code is exchanged with the flow's `code_verifier`; the ID token is
//!   verified with `keys` (issuer, app client, `token_use: id`, expiry, `nonce` when present);
//!   CloudFront signed cookies are set for every allowed route prefix, stale sets expired at
//!   every other prefix, the refresh cookie and the loop marker set; 302 to `return_to`.
//! - `/auth/refresh?return_to=`: the refresh grant; on `invalid_grant` the refresh cookie is
//!   expired and a new Hosted UI flow starts.
//! - `/auth/logout`: every cookie edgegate sets is expired (same `Path`, no `Domain`), the refresh
//!   token revoked, then Cognito's `/logout?client_id&logout_uri`.
//!
//! Every response is `Cache-Control: no-store`. Locations are built from the configured site
//! origin, never from `Host`. No token, code, verifier or state is ever logged or reflected.

pub mod cookies;
#[cfg(feature = "lambda")]
pub mod lambda;
mod pages;
pub mod return_to;
pub mod shell;
pub mod state;

use cookies::{collapse, CookieStyle, CLOUDFRONT_COOKIES};
use edgegate_edge::config::{Access, AuthSecretsDoc, ConfigDocument, GateConfig};
use edgegate_edge::cookies::CookieJar;
use edgegate_keys::cf_base64::encode_b64url;
use edgegate_keys::jwt::{self, CognitoIdentity, JwtValidation, TokenUse};
use edgegate_keys::policy::CustomPolicy;
use edgegate_keys::sign::{self, SecureRandom, SigningKey, SigningPolicy};
use edgegate_keys::{HashAlgorithm, Jwks, KeyPairId, KeyType, SignatureVerifier, UnixTime};
use state::FlowState;

/// Lifetime given to the refresh-token cookie, seconds (Cognito's default refresh token
/// lifetime: 30 days; a longer-lived token simply needs a new sign-in after this).
pub const REFRESH_COOKIE_MAX_AGE: u64 = 30 * 24 * 3600;
/// Lifetime of the loop marker, seconds: long enough to catch the bounce right after a
/// callback or refresh, short enough not to block the next legitimate refresh.
pub const LOOP_MARKER_MAX_AGE: u64 = 10;
/// Most sign-in flows kept at once (parallel tabs); older flow cookies are expired.
pub const MAX_FLOWS: usize = 3;
/// Longest accepted authorization code, in bytes.
pub const MAX_CODE_BYTES: usize = 2048;

/// Why the auth function cannot start (configuration or secrets). Names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct AuthError {
    /// The field at fault.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

fn err(field: &str, reason: impl Into<String>) -> AuthError {
    AuthError {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// The validated sign-in settings (from `edgegate.toml`).
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// `https://<site domain>` (from the config, never from `Host`).
    pub site_origin: String,
    /// Hosted UI base URL.
    pub hosted_ui: String,
    /// The sign-in app client id.
    pub client_id: String,
    /// OAuth scopes.
    pub scopes: Vec<String>,
    /// Optional identity provider.
    pub identity_provider: Option<String>,
    /// Path after sign-out.
    pub logout_return: String,
    /// The key pair id cookies are signed for.
    pub key_pair_id: KeyPairId,
    /// The trusted public key of `key_pair_id` (the private key secret must match it).
    pub signing_public_key: edgegate_keys::PublicKey,
    /// `state` lifetime, seconds.
    pub state_max_age: u64,
    /// ID token rules (issuer, this app client, `token_use: id`, leeway).
    pub validation: JwtValidation,
    /// The user pool's keys.
    pub jwks: Jwks,
    /// Groups routes: (prefix, groups).
    pub group_routes: Vec<(String, Vec<String>)>,
    /// Every gated prefix (groups and signed routes) plus `/`: where stale cookie sets are expired.
    pub gated_prefixes: Vec<String>,
    /// Cookie naming and flags.
    pub style: CookieStyle,
    /// Where the secrets live.
    pub secret_refs: AuthSecretsDoc,
}

impl AuthSettings {
    /// Builds the settings from a validated configuration.
    ///
    /// # Errors
    /// [`AuthError`] when `[auth]` or `[cognito]` is missing.
    pub fn new(doc: &ConfigDocument, gate: &GateConfig) -> Result<Self, AuthError> {
        let auth = doc
            .auth
            .as_ref()
            .ok_or_else(|| err("auth", "missing [auth] section"))?;
        let cognito = gate
            .cognito
            .as_ref()
            .ok_or_else(|| err("cognito", "missing [cognito] section"))?;
        let key_pair_id: KeyPairId = auth
            .key_pair_id
            .parse()
            .map_err(|e: edgegate_keys::KeyError| err("auth.key_pair_id", e.reason))?;
        let signing_public_key = gate
            .trusted_keys
            .get(key_pair_id.as_str())
            .map(|k| k.public_key.clone())
            .ok_or_else(|| err("auth.key_pair_id", "must be one of cloudfront.trusted_keys"))?;
        let mut group_routes = Vec::new();
        let mut gated_prefixes = vec!["/".to_string()];
        for r in &gate.routes {
            match &r.access {
                Access::Groups(g) => {
                    group_routes.push((r.prefix.clone(), g.clone()));
                    gated_prefixes.push(r.prefix.clone());
                }
                Access::Signed => gated_prefixes.push(r.prefix.clone()),
                Access::Public => {}
            }
        }
        gated_prefixes.sort();
        gated_prefixes.dedup();
        Ok(AuthSettings {
            site_origin: format!("{}://{}", gate.scheme, gate.site_domain),
            hosted_ui: auth.hosted_ui.clone(),
            client_id: auth.client_id.clone(),
            scopes: auth
                .scopes
                .clone()
                .unwrap_or_else(|| vec!["openid".to_string()]),
            identity_provider: auth.identity_provider.clone(),
            logout_return: auth
                .logout_return
                .clone()
                .unwrap_or_else(|| "/".to_string()),
            key_pair_id,
            signing_public_key,
            state_max_age: auth.state_max_age_seconds.unwrap_or(600),
            validation: JwtValidation {
                issuer: cognito.validation.issuer.clone(),
                client_ids: vec![auth.client_id.clone()],
                token_uses: vec![TokenUse::Id],
                leeway_secs: cognito.validation.leeway_secs,
            },
            jwks: cognito.jwks.clone(),
            group_routes,
            gated_prefixes,
            style: CookieStyle {
                secure: gate.scheme == "https",
            },
            secret_refs: auth.secrets.clone(),
        })
    }

    /// The `redirect_uri` registered with the app client: `<site origin>/auth/callback`.
    pub fn callback_url(&self) -> String {
        format!("{}/auth/callback", self.site_origin)
    }

    /// The `logout_uri`: `<site origin><logout_return>`.
    pub fn logout_url(&self) -> String {
        format!("{}{}", self.site_origin, self.logout_return)
    }
}

/// The secrets, read once at cold start.
pub struct Secrets {
    /// Signs the CloudFront cookies.
    pub cloudfront_key: SigningKey,
    /// HMAC key for `state` and `nonce` (at least 32 bytes).
    pub state_key: Vec<u8>,
    /// The app client secret, when the client has one.
    pub client_secret: Option<String>,
}

impl core::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secrets(..)")
    }
}

impl Secrets {
    /// Builds the secrets from their stored values: a PEM private key, a state key of at least
    /// 32 bytes (used as given), an optional client secret.
    ///
    /// # Errors
    /// [`AuthError`] naming the secret (never its value).
    pub fn from_values(
        private_key_pem: &str,
        state_key: &str,
        client_secret: Option<String>,
        settings: &AuthSettings,
    ) -> Result<Self, AuthError> {
        let cloudfront_key = SigningKey::from_pem(private_key_pem)
            .map_err(|e| err("auth.secrets.cloudfront_private_key", e.reason))?;
        let public = cloudfront_key
            .public_key()
            .map_err(|e| err("auth.secrets.cloudfront_private_key", e.reason))?;
        if public != settings.signing_public_key {
            return Err(err(
                "auth.secrets.cloudfront_private_key",
                "does not match the public key of auth.key_pair_id",
            ));
        }
        let state_key = state_key.trim().as_bytes().to_vec();
        if state_key.len() < 32 {
            return Err(err("auth.secrets.state_key", "must be at least 32 bytes"));
        }
        if client_secret
            .as_deref()
            .is_some_and(|s| s.trim().is_empty())
        {
            return Err(err("auth.secrets.client_secret", "empty"));
        }
        Ok(Secrets {
            cloudfront_key,
            state_key,
            client_secret: client_secret.map(|s| s.trim().to_string()),
        })
    }
}

/// One `/auth/*` request.
#[derive(Clone, Debug)]
pub struct AuthRequest<'a> {
    /// `GET` or `HEAD` (others are refused).
    pub method: &'a str,
    /// The raw path, e.g. `/auth/login`.
    pub path: &'a str,
    /// The raw query string without `?`.
    pub query: &'a str,
    /// Every `Cookie` header value.
    pub cookie_headers: Vec<&'a str>,
}

/// A response of the auth function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers other than `Set-Cookie`.
    pub headers: Vec<(String, String)>,
    /// One entry per `Set-Cookie`.
    pub set_cookies: Vec<String>,
    /// Body (HTML or empty).
    pub body: String,
}

impl Response {
    fn redirect(location: String, set_cookies: Vec<String>) -> Self {
        Response {
            status: 302,
            headers: vec![
                ("Location".to_string(), location),
                ("Cache-Control".to_string(), "no-store".to_string()),
            ],
            set_cookies,
            body: String::new(),
        }
    }

    fn html(status: u16, body: String, set_cookies: Vec<String>) -> Self {
        Response {
            status,
            headers: vec![
                (
                    "Content-Type".to_string(),
                    "text/html; charset=utf-8".to_string(),
                ),
                ("Cache-Control".to_string(), "no-store".to_string()),
                (
                    "Content-Security-Policy".to_string(),
                    "default-src 'none'; frame-ancestors 'none'".to_string(),
                ),
                ("X-Content-Type-Options".to_string(), "nosniff".to_string()),
            ],
            set_cookies,
            body,
        }
    }

    /// The value of a header, if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A call to Cognito's token or revoke endpoint, as a value (the shell sends it:
/// `POST url`, `Content-Type: application/x-www-form-urlencoded`, HTTP Basic auth when set).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenCall {
    /// `<hosted ui>/oauth2/token` or `/oauth2/revoke`.
    pub url: String,
    /// Form fields.
    pub form: Vec<(String, String)>,
    /// `(client id, client secret)` for HTTP Basic, when the client has a secret.
    pub basic_auth: Option<(String, String)>,
}

impl core::fmt::Debug for TokenCall {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Form values are secrets (code, verifier, refresh token): names only.
        let names: Vec<&str> = self.form.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("TokenCall")
            .field("url", &self.url)
            .field("form", &names)
            .finish()
    }
}

impl TokenCall {
    /// The form body, `application/x-www-form-urlencoded`.
    pub fn body(&self) -> String {
        self.form
            .iter()
            .map(|(n, v)| format!("{}={}", form_encode(n), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// What the token endpoint answered.
#[derive(Clone, PartialEq, Eq)]
pub enum TokenOutcome {
    /// 200 with tokens.
    Tokens {
        /// `id_token`.
        id_token: String,
        /// `refresh_token`, when returned (authorization code grant; not on refresh).
        refresh_token: Option<String>,
    },
    /// 400 `invalid_grant` (a spent or expired code, a revoked or expired refresh token).
    InvalidGrant,
    /// Anything else: network error, timeout, 5xx, unexpected body.
    Failed,
}

impl core::fmt::Debug for TokenOutcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            TokenOutcome::Tokens { .. } => "Tokens(..)",
            TokenOutcome::InvalidGrant => "InvalidGrant",
            TokenOutcome::Failed => "Failed",
        })
    }
}

/// The state a token exchange resumes with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending(PendingKind);

#[derive(Clone, Debug, PartialEq, Eq)]
enum PendingKind {
    Callback { flow: FlowState },
    Refresh { return_to: String, restarts: u8 },
}

/// What to do next.
#[derive(Debug)]
pub enum Step {
    /// Answer.
    Done(Response),
    /// Send `call` to the token endpoint, then [`Auth::finish`] with `pending` and the outcome.
    Exchange {
        /// The call.
        call: TokenCall,
        /// What to resume with.
        pending: Pending,
    },
    /// Send `call` to the revoke endpoint (its outcome does not matter), then answer `then`.
    Revoke {
        /// The call.
        call: TokenCall,
        /// The response after it.
        then: Response,
    },
}

/// The auth function's core for one container.
pub struct Auth<'a> {
    /// Settings.
    pub settings: &'a AuthSettings,
    /// Secrets.
    pub secrets: &'a Secrets,
    /// The signature primitive for ID tokens.
    pub verifier: &'a (dyn SignatureVerifier + Sync),
}

/// `application/x-www-form-urlencoded` / query encoding of one value (everything but
/// unreserved characters percent-encoded).
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Parses a query string (`+` is a space, `%XX` decoded). Pairs that fail to decode are dropped.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    // `+` is a space in a query (HTML form encoding); `%2B` stays a literal `+`.
    fn decode(s: &str) -> Option<String> {
        edgegate_edge::path::percent_decode_utf8(&s.replace('+', " "))
    }
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            Some((decode(n)?, decode(v)?))
        })
        .collect()
}

/// The single value of `name`; `None` when absent or repeated.
fn single<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    let mut it = query.iter().filter(|(n, _)| n == name);
    match (it.next(), it.next()) {
        (Some((_, v)), None) => Some(v.as_str()),
        _ => None,
    }
}

fn random_b64url(rng: &dyn SecureRandom, len: usize) -> Option<String> {
    let mut buf = vec![0u8; len];
    rng.fill(&mut buf).ok()?;
    Some(encode_b64url(&buf))
}

impl Auth<'_> {
    fn style(&self) -> &CookieStyle {
        &self.settings.style
    }

    fn unavailable(&self) -> Response {
        Response::html(
            503,
            pages::page(
                "Sign-in is unavailable",
                &["Please try again in a moment.".to_string()],
                &[],
            ),
            Vec::new(),
        )
    }

    /// Handles one request.
    pub fn handle(&self, req: &AuthRequest<'_>, now: u64, rng: &dyn SecureRandom) -> Step {
        if req.method != "GET" && req.method != "HEAD" {
            let mut r =
                Response::html(405, pages::page("Method not allowed", &[], &[]), Vec::new());
            r.headers
                .push(("Allow".to_string(), "GET, HEAD".to_string()));
            return Step::Done(r);
        }
        let query = parse_query(req.query);
        let jar = CookieJar::parse(req.cookie_headers.iter().copied());
        match req.path {
            "/auth/login" | "/auth/refresh" => {
                let return_to = return_to::sanitize(single(&query, "return_to"));
                let restarts = u8::from(single(&query, "retry") == Some("1"));
                match self.refresh_cookie(&jar) {
                    Some(token) => Step::Exchange {
                        call: self.refresh_call(token),
                        pending: Pending(PendingKind::Refresh {
                            return_to,
                            restarts,
                        }),
                    },
                    None => Step::Done(self.start_flow(
                        &return_to,
                        restarts,
                        &jar,
                        now,
                        rng,
                        Vec::new(),
                    )),
                }
            }
            "/auth/callback" => self.callback(&query, &jar, now, rng),
            "/auth/logout" => self.logout(&jar),
            _ => Step::Done(Response::html(
                404,
                pages::page("Not found", &[], &[]),
                Vec::new(),
            )),
        }
    }

    fn refresh_cookie<'j>(&self, jar: &'j CookieJar) -> Option<&'j str> {
        match jar.all(&self.style().refresh()).as_slice() {
            [one] if !one.is_empty() && one.len() <= 8192 => Some(one),
            _ => None,
        }
    }

    fn basic_auth(&self) -> Option<(String, String)> {
        self.secrets
            .client_secret
            .as_ref()
            .map(|s| (self.settings.client_id.clone(), s.clone()))
    }

    fn refresh_call(&self, refresh_token: &str) -> TokenCall {
        TokenCall {
            url: format!("{}/oauth2/token", self.settings.hosted_ui),
            form: vec![
                ("grant_type".into(), "refresh_token".into()),
                ("client_id".into(), self.settings.client_id.clone()),
                ("refresh_token".into(), refresh_token.to_string()),
            ],
            basic_auth: self.basic_auth(),
        }
    }

    /// Flow cookies present in the request, newest first: (name, issued at, verifier).
    fn flows<'j>(&self, jar: &'j CookieJar) -> Vec<(&'j str, u64, &'j str)> {
        let prefix = self.style().flow_prefix();
        let mut flows: Vec<(&str, u64, &str)> = jar
            .pairs()
            .iter()
            .filter(|(n, _)| n.starts_with(&prefix))
            .map(|(n, v)| {
                let (t, verifier) = v.split_once('.').unwrap_or(("0", ""));
                (n.as_str(), t.parse().unwrap_or(0), verifier)
            })
            .collect();
        flows.sort_by_key(|f| core::cmp::Reverse(f.1));
        flows
    }

    /// A new sign-in flow: flow cookie, state, 302 to the Hosted UI authorize endpoint.
    fn start_flow(
        &self,
        return_to: &str,
        restarts: u8,
        jar: &CookieJar,
        now: u64,
        rng: &dyn SecureRandom,
        mut set_cookies: Vec<String>,
    ) -> Response {
        let (Some(flow_id), Some(verifier)) = (random_b64url(rng, 12), random_b64url(rng, 32))
        else {
            return self.unavailable();
        };
        // Parallel tabs: keep the newest MAX_FLOWS - 1 flows beside the new one.
        for (name, _, _) in self.flows(jar).iter().skip(MAX_FLOWS - 1) {
            set_cookies.push(self.style().expire(name, "/auth/"));
        }
        let flow_cookie = format!("{}{flow_id}", self.style().flow_prefix());
        set_cookies.push(self.style().set(
            &flow_cookie,
            &format!("{now}.{verifier}"),
            "/auth/",
            self.settings.state_max_age,
        ));
        let state = state::encode(
            &FlowState {
                flow_id: flow_id.clone(),
                issued_at: now,
                return_to: return_to.to_string(),
                restarts,
            },
            &self.secrets.state_key,
        );
        let mut params = vec![
            ("response_type", "code".to_string()),
            ("client_id", self.settings.client_id.clone()),
            ("redirect_uri", self.settings.callback_url()),
            ("scope", self.settings.scopes.join(" ")),
            ("state", state),
            ("code_challenge", state::pkce_challenge(&verifier)),
            ("code_challenge_method", "S256".to_string()),
            ("nonce", state::nonce(&flow_id, &self.secrets.state_key)),
        ];
        if let Some(idp) = &self.settings.identity_provider {
            params.push(("identity_provider", idp.clone()));
        }
        let query: Vec<String> = params
            .iter()
            .map(|(n, v)| format!("{n}={}", form_encode(v)))
            .collect();
        let location = format!(
            "{}/oauth2/authorize?{}",
            self.settings.hosted_ui,
            query.join("&")
        );
        Response::redirect(location, set_cookies)
    }

    /// Restart sign-in once (`retry=1`), then show a page instead of looping (field report B18).
    fn restart_untrusted(&self, jar: &CookieJar, why: &str) -> Response {
        let marker = self.style().restart_marker();
        if jar.contains(&marker) {
            return self.restart("/", 1, why, vec![self.style().expire(&marker, "/auth/")]);
        }
        self.restart(
            "/",
            0,
            why,
            vec![self.style().set(&marker, "1", "/auth/", 120)],
        )
    }

    fn restart(
        &self,
        return_to: &str,
        restarts: u8,
        why: &str,
        set_cookies: Vec<String>,
    ) -> Response {
        if restarts >= 1 {
            return Response::html(
                400,
                pages::page(
                    "Sign-in did not complete",
                    &[format!(
                        "The sign-in could not be matched to this browser ({}). If your browser blocks cookies for this site, allow them and try again.",
                        pages::escape(why)
                    )],
                    &[(format!("/auth/login?return_to={}", form_encode(return_to)), "Try again")],
                ),
                set_cookies,
            );
        }
        Response::redirect(
            format!(
                "{}/auth/login?return_to={}&retry=1",
                self.settings.site_origin,
                form_encode(return_to)
            ),
            set_cookies,
        )
    }

    fn callback(
        &self,
        query: &[(String, String)],
        jar: &CookieJar,
        now: u64,
        rng: &dyn SecureRandom,
    ) -> Step {
        let _ = rng;
        let flow = single(query, "state")
            .map(|s| state::decode(s, &self.secrets.state_key, now, self.settings.state_max_age));
        if let Some(error) = single(query, "error") {
            // Cognito sent the user back with an error (field report B15): show it, escaped.
            let description = single(query, "error_description").unwrap_or("");
            let (return_to, cookies) = match &flow {
                Some(Ok(f)) => (
                    f.return_to.clone(),
                    vec![self.style().expire(
                        &format!("{}{}", self.style().flow_prefix(), f.flow_id),
                        "/auth/",
                    )],
                ),
                _ => ("/".to_string(), Vec::new()),
            };
            let body = pages::page(
                "Sign-in failed",
                &[format!(
                    "The sign-in service answered: <code>{}</code> {}",
                    pages::escape(&error.chars().take(100).collect::<String>()),
                    pages::escape(&description.chars().take(300).collect::<String>())
                )],
                &[(
                    format!("/auth/login?return_to={}", form_encode(&return_to)),
                    "Try again",
                )],
            );
            return Step::Done(Response::html(400, body, cookies));
        }
        let flow = match flow {
            Some(Ok(f)) => f,
            // A state we cannot trust carries no trustworthy restart count: a short-lived restart
            // cookie stands in for it, so a second untrusted callback shows a page (no loop).
            Some(Err(e)) => return Step::Done(self.restart_untrusted(jar, e.detail())),
            None => return Step::Done(self.restart_untrusted(jar, "state_missing")),
        };
        let flow_name = format!("{}{}", self.style().flow_prefix(), flow.flow_id);
        let expire_flow = vec![self.style().expire(&flow_name, "/auth/")];
        let verifier = match jar.all(&flow_name).as_slice() {
            [one] => one
                .split_once('.')
                .map(|(_, v)| v.to_string())
                .filter(|v| (43..=128).contains(&v.len())),
            _ => None,
        };
        let Some(verifier) = verifier else {
            return Step::Done(self.restart(
                &flow.return_to,
                flow.restarts,
                "flow_cookie_missing",
                expire_flow,
            ));
        };
        let code = match single(query, "code") {
            Some(c) if !c.is_empty() && c.len() <= MAX_CODE_BYTES => c,
            _ => {
                return Step::Done(self.restart(
                    &flow.return_to,
                    flow.restarts,
                    "code_missing",
                    expire_flow,
                ))
            }
        };
        Step::Exchange {
            call: TokenCall {
                url: format!("{}/oauth2/token", self.settings.hosted_ui),
                form: vec![
                    ("grant_type".into(), "authorization_code".into()),
                    ("client_id".into(), self.settings.client_id.clone()),
                    ("code".into(), code.to_string()),
                    ("redirect_uri".into(), self.settings.callback_url()),
                    ("code_verifier".into(), verifier),
                ],
                basic_auth: self.basic_auth(),
            },
            pending: Pending(PendingKind::Callback { flow }),
        }
    }

    /// Every cookie edgegate sets, expired with the attributes it was set with.
    fn expire_all(&self, jar: &CookieJar) -> Vec<String> {
        let mut out = Vec::new();
        for prefix in &self.settings.gated_prefixes {
            for name in CLOUDFRONT_COOKIES {
                out.push(self.style().expire(name, prefix));
            }
        }
        out.push(self.style().expire(&self.style().refresh(), "/auth/"));
        out.push(self.style().expire(&self.style().loop_marker(), "/"));
        out.push(
            self.style()
                .expire(&self.style().restart_marker(), "/auth/"),
        );
        for (name, _, _) in self.flows(jar) {
            out.push(self.style().expire(name, "/auth/"));
        }
        out
    }

    fn logout(&self, jar: &CookieJar) -> Step {
        let location = format!(
            "{}/logout?client_id={}&logout_uri={}",
            self.settings.hosted_ui,
            form_encode(&self.settings.client_id),
            form_encode(&self.settings.logout_url())
        );
        let response = Response::redirect(location, self.expire_all(jar));
        match self.refresh_cookie(jar) {
            Some(token) => Step::Revoke {
                call: TokenCall {
                    url: format!("{}/oauth2/revoke", self.settings.hosted_ui),
                    form: vec![
                        ("token".into(), token.to_string()),
                        ("client_id".into(), self.settings.client_id.clone()),
                    ],
                    basic_auth: self.basic_auth(),
                },
                then: response,
            },
            None => Step::Done(response),
        }
    }

    /// Resumes after the token endpoint answered.
    pub fn finish(
        &self,
        pending: Pending,
        outcome: TokenOutcome,
        jar_headers: &[&str],
        now: u64,
        rng: &dyn SecureRandom,
    ) -> Response {
        let jar = CookieJar::parse(jar_headers.iter().copied());
        match pending.0 {
            PendingKind::Callback { flow } => {
                let expire_flow = vec![self.style().expire(
                    &format!("{}{}", self.style().flow_prefix(), flow.flow_id),
                    "/auth/",
                )];
                let retry = (
                    format!("/auth/login?return_to={}", form_encode(&flow.return_to)),
                    "Try again",
                );
                match outcome {
                    TokenOutcome::Tokens {
                        id_token,
                        refresh_token,
                    } => {
                        let identity = match jwt::verify(&id_token, &self.settings.jwks, &self.settings.validation, self.verifier, UnixTime(now)) {
                            Ok(v) => v.into_inner(),
                            Err(e) => {
                                return Response::html(
                                    502,
                                    pages::page("Sign-in failed", &[format!("The sign-in service returned a token edgegate does not accept ({}).", e.detail())], &[retry]),
                                    expire_flow,
                                )
                            }
                        };
                        let expected_nonce = state::nonce(&flow.flow_id, &self.secrets.state_key);
                        if identity
                            .nonce
                            .as_deref()
                            .is_some_and(|n| n != expected_nonce)
                        {
                            return Response::html(
                                400,
                                pages::page("Sign-in failed", &["The sign-in response does not belong to this sign-in (nonce).".to_string()], &[retry]),
                                expire_flow,
                            );
                        }
                        self.sign_in(
                            &identity,
                            refresh_token.as_deref(),
                            &flow.return_to,
                            now,
                            rng,
                            expire_flow,
                        )
                    }
                    TokenOutcome::InvalidGrant => {
                        Response::html(
                            400,
                            pages::page(
                                "Sign-in link already used",
                                &["This sign-in response was already used or has expired."
                                    .to_string()],
                                &[retry],
                            ),
                            expire_flow,
                        )
                    }
                    TokenOutcome::Failed => Response::html(
                        502,
                        pages::page(
                            "Sign-in service unavailable",
                            &["The sign-in service did not answer. Please try again.".to_string()],
                            &[retry],
                        ),
                        expire_flow,
                    ),
                }
            }
            PendingKind::Refresh {
                return_to,
                restarts,
            } => {
                let expire_refresh = vec![self.style().expire(&self.style().refresh(), "/auth/")];
                match outcome {
                    TokenOutcome::Tokens {
                        id_token,
                        refresh_token,
                    } => {
                        match jwt::verify(
                            &id_token,
                            &self.settings.jwks,
                            &self.settings.validation,
                            self.verifier,
                            UnixTime(now),
                        ) {
                            Ok(identity) => self.sign_in(
                                &identity,
                                refresh_token.as_deref(),
                                &return_to,
                                now,
                                rng,
                                Vec::new(),
                            ),
                            Err(_) => self.start_flow(
                                &return_to,
                                restarts,
                                &jar,
                                now,
                                rng,
                                expire_refresh,
                            ),
                        }
                    }
                    // invalid_grant: the refresh token expired or was revoked (field report B26).
                    TokenOutcome::InvalidGrant | TokenOutcome::Failed => {
                        self.start_flow(&return_to, restarts, &jar, now, rng, expire_refresh)
                    }
                }
            }
        }
    }

    /// The route prefixes a user may get cookies for (outermost of nested ones).
    pub fn allowed_prefixes(&self, groups: &[String]) -> Vec<String> {
        let allowed: Vec<String> = self
            .settings
            .group_routes
            .iter()
            .filter(|(_, route_groups)| route_groups.iter().any(|g| groups.contains(g)))
            .map(|(p, _)| p.clone())
            .collect();
        collapse(&allowed)
    }

    fn sign_in(
        &self,
        identity: &CognitoIdentity,
        refresh_token: Option<&str>,
        return_to: &str,
        now: u64,
        rng: &dyn SecureRandom,
        mut set_cookies: Vec<String>,
    ) -> Response {
        let allowed = self.allowed_prefixes(&identity.groups);
        if allowed.is_empty() {
            // Authenticated but not allowed anywhere: a page, never a redirect (field report B27).
            set_cookies.push(self.style().expire(&self.style().refresh(), "/auth/"));
            let who = identity
                .username
                .clone()
                .unwrap_or_else(|| identity.sub.clone());
            return Response::html(
                403,
                pages::page(
                    "No access",
                    &[format!(
                        "You are signed in as {}, but your account has no access to this site.",
                        pages::escape(&who)
                    )],
                    &[("/auth/logout".to_string(), "Sign out")],
                ),
                set_cookies,
            );
        }
        let exp = identity.expires_at;
        if exp <= now {
            return self.unavailable();
        }
        let max_age = exp - now;
        let hash = match self
            .secrets
            .cloudfront_key
            .public_key()
            .map(|k| k.key_type())
        {
            Ok(KeyType::EcP256) => HashAlgorithm::Sha256,
            Ok(KeyType::Rsa) => HashAlgorithm::Sha1,
            Err(_) => return self.unavailable(),
        };
        for prefix in &self.settings.gated_prefixes {
            if !allowed.contains(prefix) {
                for name in CLOUDFRONT_COOKIES {
                    set_cookies.push(self.style().expire(name, prefix));
                }
            }
        }
        // Stale sets left at deeper paths by an older configuration would shadow the new ones
        // (the browser sends both): expire them at every ancestor of the landing path too.
        let landing = return_to.split(['?', '#']).next().unwrap_or("/");
        let mut ancestor = String::new();
        for segment in landing.trim_start_matches('/').split('/').take(8) {
            if segment.is_empty() {
                break;
            }
            ancestor.push('/');
            ancestor.push_str(segment);
            if ancestor != landing
                && !allowed.contains(&ancestor)
                && !self.settings.gated_prefixes.contains(&ancestor)
            {
                for name in CLOUDFRONT_COOKIES {
                    set_cookies.push(self.style().expire(name, &ancestor));
                }
            }
        }
        for prefix in &allowed {
            let resource = if prefix == "/" {
                format!("{}/*", self.settings.site_origin)
            } else {
                format!("{}{prefix}/*", self.settings.site_origin)
            };
            let policy = SigningPolicy::custom(&CustomPolicy {
                resource,
                date_less_than: exp,
                date_greater_than: None,
                source_ip: None,
            });
            let pairs = match sign::sign_cookies(
                "",
                &policy,
                &self.settings.key_pair_id,
                &self.secrets.cloudfront_key,
                hash,
                rng,
            ) {
                Ok(p) => p,
                Err(_) => return self.unavailable(),
            };
            // A stale canned set at the same path would shadow nothing but confuse: expire it.
            set_cookies.push(self.style().expire("CloudFront-Expires", prefix));
            for (name, value) in pairs {
                set_cookies.push(self.style().set(&name, &value, prefix, max_age));
            }
        }
        if let Some(token) = refresh_token {
            set_cookies.push(self.style().set(
                &self.style().refresh(),
                token,
                "/auth/",
                REFRESH_COOKIE_MAX_AGE,
            ));
        }
        set_cookies.push(self.style().set(
            &self.style().loop_marker(),
            "1",
            "/",
            LOOP_MARKER_MAX_AGE,
        ));
        Response::redirect(
            format!("{}{return_to}", self.settings.site_origin),
            set_cookies,
        )
    }
}
