//! The validated sign-in settings and the secrets: what the auth function is built from, once
//! per container (cold start) or once per `edgegate dev` run.
//!
//! Owns [`AuthSettings`] (derived from the `[auth]` and `[cognito]` sections of a validated
//! [`GateConfig`]: site origin, Hosted UI, app client, the groups routes and gated prefixes,
//! cookie style), [`Secrets`] (the CloudFront signing key, the `state` HMAC key, the app client
//! secret) and [`AuthError`], which names the offending field and never a secret value.

use crate::cookies::CookieStyle;
use edgegate_edge::config::{
    sign_in_cookie_rule, Access, AuthSecretsDoc, ConfigDocument, GateConfig, Scheme, SignInCookies,
};
use edgegate_keys::jwt::{JwtValidation, TokenUse};
use edgegate_keys::sign::SigningKey;
use edgegate_keys::{Jwks, KeyPairId};

/// Why the auth function cannot start (configuration or secrets), from [`AuthSettings::new`]
/// and [`Secrets::from_values`]. Displays as `<field>: <reason>`; names the field, never a
/// secret value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct AuthError {
    /// The field at fault, as a dotted config path (`auth.key_pair_id`,
    /// `auth.secrets.state_key`) or a section name (`auth`, `cognito`).
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

/// The validated sign-in settings (from `edgegate.toml`, through a validated [`GateConfig`]).
/// Built once; every URL the core emits starts from [`AuthSettings::site_origin`] or
/// [`AuthSettings::hosted_ui`].
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// `<scheme>://<site domain>`, e.g. `https://downloads.example.com`, no trailing `/` (from
    /// the config, never from `Host`).
    pub site_origin: String,
    /// Hosted UI base URL (`https://<domain>`, the user pool domain); the endpoints are
    /// `<hosted_ui>/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke` and `/logout`
    /// (Amazon Cognito Developer Guide, the user pool OAuth 2.0 endpoints).
    pub hosted_ui: String,
    /// The sign-in app client id (`client_id` in every Cognito call, `aud` of its ID tokens).
    pub client_id: String,
    /// OAuth scopes, sent space-separated as `scope` (RFC 6749 §3.3); default `["openid"]`.
    pub scopes: Vec<String>,
    /// Cognito's `identity_provider` authorize parameter (skips the Hosted UI's provider
    /// choice), when configured.
    pub identity_provider: Option<String>,
    /// Same-site path the browser lands on after sign-out; default `/`.
    pub logout_return: String,
    /// The CloudFront public key ID cookies are signed for (`CloudFront-Key-Pair-Id`); one of
    /// `cloudfront.trusted_keys`.
    pub key_pair_id: KeyPairId,
    /// The trusted public key of `key_pair_id` (the private key secret must match it).
    pub signing_public_key: edgegate_keys::PublicKey,
    /// `state` lifetime and the per-flow cookie's `Max-Age`, seconds; default 600.
    pub state_max_age: u64,
    /// ID token rules (issuer, this app client, `token_use: id`, leeway in seconds), the checks
    /// of OpenID Connect Core 1.0 §3.1.3.7.
    pub validation: JwtValidation,
    /// The user pool's signing keys (its JWKS, loaded at start; never fetched per request).
    pub jwks: Jwks,
    /// Groups routes in config order: (route prefix, Cognito groups of which any one grants
    /// it). Signed, public, authenticated and scopes routes are not listed (a groups route's
    /// `scopes` play no part: sign-in verifies ID tokens, which carry none).
    pub group_routes: Vec<(String, Vec<String>)>,
    /// `access = "authenticated"` route prefixes in config order: every signed-in user gets
    /// cookies for them. Scopes-only routes are in neither list (only machine access tokens
    /// satisfy them, never a browser sign-in).
    pub authenticated_routes: Vec<String>,
    /// Every gated prefix (groups and signed routes) plus `/`, sorted and deduplicated: where
    /// stale cookie sets are expired.
    pub gated_prefixes: Vec<String>,
    /// Cookie naming and flags (`secure` when the site scheme is `https`).
    pub style: CookieStyle,
    /// Where the secrets live (references, not values; resolved by the shell at start).
    pub secret_refs: AuthSecretsDoc,
}

impl AuthSettings {
    /// Builds the settings from a validated configuration: `doc` for the `[auth]` section,
    /// `gate` (built from the same document) for the site, routes, trusted keys and Cognito.
    ///
    /// # Errors
    /// [`AuthError`] with field `auth` or `cognito` when that section is missing, or
    /// `auth.key_pair_id` when it does not parse as a CloudFront key ID or is not one of
    /// `cloudfront.trusted_keys`.
    pub fn new(doc: &ConfigDocument, gate: &GateConfig) -> Result<Self, AuthError> {
        let auth = doc
            .auth
            .as_ref()
            .ok_or_else(|| err("auth", "missing [auth] section"))?;
        let cognito = gate
            .cognito()
            .ok_or_else(|| err("cognito", "missing [cognito] section"))?;
        let key_pair_id: KeyPairId = auth
            .key_pair_id
            .parse()
            .map_err(|e: edgegate_keys::KeyError| err("auth.key_pair_id", e.reason))?;
        let signing_public_key = gate
            .trusted_keys()
            .get(key_pair_id.as_str())
            .map(|k| k.public_key.clone())
            .ok_or_else(|| err("auth.key_pair_id", "must be one of cloudfront.trusted_keys"))?;
        let mut group_routes = Vec::new();
        let mut authenticated_routes = Vec::new();
        let mut gated_prefixes = vec!["/".to_string()];
        for r in gate.routes() {
            if r.access == Access::Public {
                continue;
            }
            gated_prefixes.push(r.prefix.clone());
            match sign_in_cookie_rule(r) {
                Some(SignInCookies::Groups(groups)) => {
                    group_routes.push((r.prefix.clone(), groups.to_vec()))
                }
                Some(SignInCookies::Everyone) => authenticated_routes.push(r.prefix.clone()),
                None => {}
            }
        }
        gated_prefixes.sort();
        gated_prefixes.dedup();
        Ok(AuthSettings {
            site_origin: format!("{}://{}", gate.scheme().as_str(), gate.site_domain()),
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
                claims: Vec::new(),
            },
            jwks: cognito.jwks.clone(),
            group_routes,
            authenticated_routes,
            gated_prefixes,
            style: CookieStyle {
                secure: gate.scheme() == Scheme::Https,
            },
            secret_refs: auth.secrets.clone(),
        })
    }

    /// The `redirect_uri` registered with the app client: `<site origin>/auth/callback`. Sent
    /// identically in the authorize request and the code exchange (RFC 6749 §4.1.3).
    pub fn callback_url(&self) -> String {
        format!("{}/auth/callback", self.site_origin)
    }

    /// The `logout_uri`: `<site origin><logout_return>`; it must be one of the app client's
    /// sign-out URLs (Amazon Cognito Developer Guide, "Logout endpoint").
    pub fn logout_url(&self) -> String {
        format!("{}{}", self.site_origin, self.logout_return)
    }
}

/// The secrets, read once at cold start. `Debug` prints no value.
pub struct Secrets {
    /// Signs the CloudFront cookies; its public key is the one trusted for
    /// [`AuthSettings::key_pair_id`].
    pub cloudfront_key: SigningKey,
    /// HMAC-SHA256 key for `state` and `nonce`, at least 32 bytes.
    pub state_key: Vec<u8>,
    /// The app client secret, when the client has one (sent as HTTP Basic, RFC 6749 §2.3.1).
    pub client_secret: Option<String>,
}

impl core::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secrets(..)")
    }
}

impl Secrets {
    /// Builds the secrets from their stored values: the CloudFront private key in PEM, the state
    /// key (its bytes used as given, not decoded, once surrounding whitespace is trimmed; at
    /// least 32 bytes), and the app client secret when the client has one (trimmed).
    ///
    /// # Errors
    /// [`AuthError`] naming the secret (never its value): `auth.secrets.cloudfront_private_key`
    /// when the PEM does not load or its public key is not that of `settings.key_pair_id`;
    /// `auth.secrets.state_key` when shorter than 32 bytes; `auth.secrets.client_secret` when
    /// given but blank.
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
