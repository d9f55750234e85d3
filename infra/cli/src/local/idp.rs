//! The development stand-in for the Cognito Hosted UI, served by `edgegate dev` at `/_dev/idp`
//! (DEV-ONLY): `/oauth2/authorize` (a user picker instead of a password form), `/oauth2/token`
//! (`authorization_code` with PKCE S256 checked, single-use codes; `refresh_token`),
//! `/oauth2/revoke`, `/logout` and `/.well-known/jwks.json`. Tokens are signed by the dev issuer
//! key, so the same gate and auth function accept them as they would Cognito's.

use crate::local::dev_keys;
use edgegate_auth::{form_encode, parse_query};
use edgegate_edge::text::html_escape as escape;
use edgegate_keys::cf_base64::encode_b64url;
use edgegate_keys::sign::{self, SecureRandom, SystemRandom};
use std::collections::HashMap;
use std::sync::Mutex;

/// The dev users and their groups.
pub const USERS: [(&str, &[&str]); 3] = [
    ("alice", &["downloaders"]),
    ("bob", &[]),
    ("carol", &["downloaders", "staff"]),
];

/// Where the stand-in is mounted.
pub const MOUNT: &str = "/_dev/idp";

struct CodeGrant {
    user: String,
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    expires: u64,
}

/// A response of the stand-in.
pub struct IdpResponse {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
}

fn json(status: u16, body: serde_json::Value) -> IdpResponse {
    IdpResponse {
        status,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Cache-Control".into(), "no-store".into()),
        ],
        body: body.to_string(),
    }
}

fn html(body: String) -> IdpResponse {
    IdpResponse {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "text/html; charset=utf-8".into()),
            ("Cache-Control".into(), "no-store".into()),
        ],
        body,
    }
}

fn redirect(location: String) -> IdpResponse {
    IdpResponse {
        status: 302,
        headers: vec![
            ("Location".into(), location),
            ("Cache-Control".into(), "no-store".into()),
        ],
        body: String::new(),
    }
}

fn bad(msg: &str) -> IdpResponse {
    json(
        400,
        serde_json::json!({"error": "invalid_request", "error_description": msg}),
    )
}

/// The stand-in's state (codes and refresh tokens, in memory).
pub struct DevIdp {
    site_origin: String,
    token_lifetime: u64,
    codes: Mutex<HashMap<String, CodeGrant>>,
    refresh_tokens: Mutex<HashMap<String, String>>,
    rng: SystemRandom,
}

impl DevIdp {
    /// A stand-in for a site at `site_origin` issuing tokens valid `token_lifetime` seconds.
    pub fn new(site_origin: String, token_lifetime: u64) -> Self {
        DevIdp {
            site_origin,
            token_lifetime,
            codes: Mutex::new(HashMap::new()),
            refresh_tokens: Mutex::new(HashMap::new()),
            rng: SystemRandom::new(),
        }
    }

    fn random(&self) -> Option<String> {
        let mut b = [0u8; 24];
        self.rng.fill(&mut b).ok()?;
        Some(encode_b64url(&b))
    }

    fn tokens(&self, user: &str, nonce: Option<&str>, now: u64) -> Option<(String, String)> {
        let groups: Vec<&str> = USERS
            .iter()
            .find(|(u, _)| *u == user)
            .map(|(_, g)| g.to_vec())?;
        let issuer = edgegate_keys::jwt::cognito_issuer(
            edgegate_keys::jwt::IssuerFormat::Original,
            dev_keys::DEV_REGION,
            dev_keys::DEV_USER_POOL_ID,
        );
        let sub = format!("dev-{user}");
        let mut id = serde_json::json!({
            "sub": sub, "iss": issuer, "aud": dev_keys::DEV_CLIENT_ID, "token_use": "id",
            "cognito:username": user, "email": format!("{user}@example.com"),
            "auth_time": now, "iat": now, "exp": now + self.token_lifetime,
        });
        let mut access = serde_json::json!({
            "sub": sub, "iss": issuer, "client_id": dev_keys::DEV_CLIENT_ID, "token_use": "access",
            "username": user, "scope": "openid email", "auth_time": now, "iat": now, "exp": now + self.token_lifetime,
        });
        if !groups.is_empty() {
            id["cognito:groups"] = serde_json::json!(groups);
            access["cognito:groups"] = serde_json::json!(groups);
        }
        if let Some(n) = nonce {
            id["nonce"] = serde_json::json!(n);
        }
        let key = dev_keys::jwt_signing_key().ok()?;
        Some((
            sign::sign_jwt_rs256(dev_keys::DEV_KID, &id, &key).ok()?,
            sign::sign_jwt_rs256(dev_keys::DEV_KID, &access, &key).ok()?,
        ))
    }

    /// Handles `method` on `path` (below the mount point), with the raw query and form body.
    pub fn handle(
        &self,
        method: &str,
        path: &str,
        query: &str,
        form: &str,
        now: u64,
    ) -> IdpResponse {
        let q = parse_query(query);
        let get = |list: &[(String, String)], name: &str| {
            list.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
        };
        match (method, path) {
            ("GET", "/oauth2/authorize") => {
                if get(&q, "response_type").as_deref() != Some("code")
                    || get(&q, "client_id").as_deref() != Some(dev_keys::DEV_CLIENT_ID)
                    || get(&q, "code_challenge_method").as_deref() != Some("S256")
                    || get(&q, "code_challenge").is_none()
                    || !get(&q, "redirect_uri").is_some_and(|r| r.starts_with(&self.site_origin))
                {
                    return bad("authorize needs response_type=code, the dev client id, PKCE S256 and a redirect_uri on this site");
                }
                let mut page = String::from("<!doctype html><html><head><meta charset=\"utf-8\"><title>edgegate dev sign-in</title></head><body><h1>edgegate dev sign-in (DEV-ONLY)</h1><p>Pick a user:</p><ul>");
                for (user, groups) in USERS {
                    page.push_str(&format!(
                        "<li><a id=\"user-{user}\" href=\"{MOUNT}/oauth2/approve?user={user}&amp;{}\">{user}</a> (groups: {})</li>",
                        escape(query),
                        escape(&groups.join(", "))
                    ));
                }
                page.push_str("</ul></body></html>\n");
                html(page)
            }
            ("GET", "/oauth2/approve") => {
                let (Some(user), Some(redirect_uri), Some(challenge), Some(client_id)) = (
                    get(&q, "user"),
                    get(&q, "redirect_uri"),
                    get(&q, "code_challenge"),
                    get(&q, "client_id"),
                ) else {
                    return bad("approve: missing parameters");
                };
                if !USERS.iter().any(|(u, _)| *u == user)
                    || !redirect_uri.starts_with(&self.site_origin)
                {
                    return bad("approve: unknown user or foreign redirect_uri");
                }
                let Some(code) = self.random() else {
                    return bad("no randomness");
                };
                if let Ok(mut codes) = self.codes.lock() {
                    codes.insert(
                        code.clone(),
                        CodeGrant {
                            user,
                            client_id,
                            redirect_uri: redirect_uri.clone(),
                            challenge,
                            nonce: get(&q, "nonce"),
                            expires: now + 300,
                        },
                    );
                }
                let mut location = format!("{redirect_uri}?code={code}");
                if let Some(state) = get(&q, "state") {
                    location.push_str(&format!("&state={}", form_encode(&state)));
                }
                redirect(location)
            }
            ("POST", "/oauth2/token") => {
                let f = parse_query(form);
                match get(&f, "grant_type").as_deref() {
                    Some("authorization_code") => {
                        let grant =
                            get(&f, "code").and_then(|c| self.codes.lock().ok()?.remove(&c));
                        let Some(grant) = grant else {
                            return json(400, serde_json::json!({"error": "invalid_grant"}));
                        };
                        let verifier = get(&f, "code_verifier").unwrap_or_default();
                        let challenge =
                            encode_b64url(&edgegate_keys::key::sha256(verifier.as_bytes()));
                        if grant.expires <= now
                            || challenge != grant.challenge
                            || get(&f, "redirect_uri").as_deref()
                                != Some(grant.redirect_uri.as_str())
                            || get(&f, "client_id").as_deref() != Some(grant.client_id.as_str())
                        {
                            return json(400, serde_json::json!({"error": "invalid_grant"}));
                        }
                        let (Some((id_token, access_token)), Some(refresh)) = (
                            self.tokens(&grant.user, grant.nonce.as_deref(), now),
                            self.random(),
                        ) else {
                            return json(500, serde_json::json!({"error": "server_error"}));
                        };
                        if let Ok(mut r) = self.refresh_tokens.lock() {
                            r.insert(refresh.clone(), grant.user.clone());
                        }
                        json(
                            200,
                            serde_json::json!({
                                "id_token": id_token, "access_token": access_token, "refresh_token": refresh,
                                "token_type": "Bearer", "expires_in": self.token_lifetime,
                            }),
                        )
                    }
                    Some("refresh_token") => {
                        let user = get(&f, "refresh_token")
                            .and_then(|t| self.refresh_tokens.lock().ok()?.get(&t).cloned());
                        let Some(user) = user else {
                            return json(400, serde_json::json!({"error": "invalid_grant"}));
                        };
                        match self.tokens(&user, None, now) {
                            Some((id_token, access_token)) => json(
                                200,
                                serde_json::json!({
                                    "id_token": id_token, "access_token": access_token,
                                    "token_type": "Bearer", "expires_in": self.token_lifetime,
                                }),
                            ),
                            None => json(500, serde_json::json!({"error": "server_error"})),
                        }
                    }
                    _ => json(400, serde_json::json!({"error": "unsupported_grant_type"})),
                }
            }
            ("POST", "/oauth2/revoke") => {
                let f = parse_query(form);
                if let (Some(t), Ok(mut r)) = (get(&f, "token"), self.refresh_tokens.lock()) {
                    r.remove(&t);
                }
                json(200, serde_json::json!({}))
            }
            ("GET", "/logout") => match get(&q, "logout_uri") {
                Some(uri) if uri.starts_with(&self.site_origin) => redirect(uri),
                _ => bad("logout_uri must be on this site"),
            },
            ("GET", "/.well-known/jwks.json") => match dev_keys::jwks() {
                Ok(j) => IdpResponse {
                    status: 200,
                    headers: vec![("Content-Type".into(), "application/json".into())],
                    body: j.to_json(),
                },
                Err(_) => json(500, serde_json::json!({"error": "server_error"})),
            },
            _ => json(404, serde_json::json!({"error": "not_found"})),
        }
    }

    /// How many refresh tokens are live (tests: revocation).
    pub fn live_refresh_tokens(&self) -> usize {
        self.refresh_tokens.lock().map(|r| r.len()).unwrap_or(0)
    }
}
