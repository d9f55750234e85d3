//! Cookie issuance for a verified identity, and the sign-out sweep.
//!
//! Owns which CloudFront signed-cookie sets a user gets (one per allowed route prefix, nested
//! prefixes collapsed to the outermost), which stale sets are expired beside them, the refresh
//! cookie and the loop marker; and [`Auth`]'s list of every cookie edgegate sets, expired with
//! the attributes it was set with (sign-out). Cookie names and attributes come from
//! [`crate::cookies`].

use crate::cookies::{collapse, CLOUDFRONT_COOKIES};
use crate::{pages, Auth, Issued, Response};
use edgegate_edge::cookies::CookieJar;
use edgegate_keys::jwt::CognitoIdentity;
use edgegate_keys::policy::CustomPolicy;
use edgegate_keys::sign::{self, SecureRandom, SigningPolicy};
use edgegate_keys::{HashAlgorithm, KeyType};

/// Lifetime given to the refresh-token cookie (`Path=/auth/`), seconds: 30 days, Cognito's
/// default refresh token expiration (Amazon Cognito Developer Guide, "Refresh tokens"); a
/// longer-lived token simply needs a new sign-in after this.
pub const REFRESH_COOKIE_MAX_AGE: u64 = 30 * 24 * 3600;
/// Lifetime of the loop marker (`Path=/`, read by the gate), seconds: long enough to catch the bounce right after a
/// callback or refresh, short enough not to block the next legitimate refresh.
pub const LOOP_MARKER_MAX_AGE: u64 = 10;

impl Auth<'_> {
    /// Every cookie edgegate sets, expired with the attributes it was set with (same name and
    /// `Path`, no `Domain`; RFC 6265 §3.1): the CloudFront set at every gated prefix, the
    /// refresh cookie, the loop and restart markers, and each flow cookie present in `jar`.
    pub(crate) fn expire_all(&self, jar: &CookieJar) -> Vec<String> {
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

    /// The route prefixes a user may get cookies for: those of the groups routes naming any of
    /// `groups` (the ID token's `cognito:groups`) and every `access = "authenticated"` route
    /// (any signed-in user), nested ones collapsed to the outermost, sorted. Never a
    /// scopes-only route. Empty when the user is allowed nowhere.
    pub fn allowed_prefixes(&self, groups: &[String]) -> Vec<String> {
        let allowed: Vec<String> = self
            .settings
            .group_routes
            .iter()
            .filter(|(_, route_groups)| route_groups.iter().any(|g| groups.contains(g)))
            .map(|(p, _)| p.clone())
            .chain(self.settings.authenticated_routes.iter().cloned())
            .collect();
        collapse(&allowed)
    }

    /// The signed-in response for a verified identity: one CloudFront custom-policy cookie set
    /// per allowed prefix (`Resource` `<site origin><prefix>/*`, `DateLessThan` the ID token's
    /// `exp` in seconds since the epoch, `Max-Age` the seconds left; CloudFront Developer Guide,
    /// "Set signed cookies using a custom policy"), stale sets expired elsewhere, the refresh
    /// cookie when a token came back, the loop marker, and a 302 to `return_to` on the site
    /// origin, carrying the [`Issued`] record (`via`: `callback` or `refresh`). 403 page when
    /// no route is allowed; 503 when the token has already expired or signing fails.
    #[allow(clippy::too_many_arguments)] // reason: each is one input of the sign-in; a struct would only rename them
    pub(crate) fn sign_in(
        &self,
        via: &'static str,
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
        let mut response = Response::redirect(
            format!("{}{return_to}", self.settings.site_origin),
            set_cookies,
        );
        response.issued = Some(Issued {
            subject: identity.sub.clone(),
            username: identity.username.clone(),
            prefixes: allowed,
            expires_at: exp,
            key_pair_id: self.settings.key_pair_id.to_string(),
            via,
        });
        response
    }
}
