//! Forwarding: what the origin receives once a request is allowed, with `Authorization`,
//! the credential cookies and the signing query parameters stripped.

use super::decision::{Decision, Denial, ForwardRequest, Identity, Reason, RuleMatch};
use super::detail::Detail;
use crate::cache::TokenIdentity;
use crate::config::{Access, Issuer, IssuerIndex, Route, AUTH_PREFIX};
use crate::cookies::CookieJar;
use crate::event::ViewerRequest;
use edgegate_keys::jwt::{CognitoIdentity, TokenUse};
use edgegate_keys::signed::{self, CredentialSource};

/// The prefix of edgegate's own cookie names (nonce, refresh, loop marker).
pub const EDGEGATE_COOKIE_PREFIX: &str = "__Secure-edgegate-";
/// The prefix of the cookies Amplify writes for single-page apps.
pub const AMPLIFY_COOKIE_PREFIX: &str = "CognitoIdentityServiceProvider.";
/// The prefix of edgegate's own cookie names on a plain-http site (`edgegate dev`), where a
/// browser refuses `__Secure-` names.
pub const DEV_COOKIE_PREFIX: &str = "edgegate-dev-";

/// A credential or sign-in cookie the origin never sees: `CloudFront-*`, edgegate's own
/// (`__Secure-edgegate-*`, `__Host-edgegate-*`, `edgegate-dev-*`) and Amplify's.
fn is_auth_cookie(name: &str) -> bool {
    name.starts_with("CloudFront-")
        || name.starts_with(EDGEGATE_COOKIE_PREFIX)
        || name.starts_with("__Host-edgegate-")
        || name.starts_with(DEV_COOKIE_PREFIX)
        || name.starts_with(AMPLIFY_COOKIE_PREFIX)
}

/// `/auth/*`: forwarded to the auth function with `Authorization`, the `CloudFront-*` and the
/// Amplify cookies removed, but edgegate's own cookies kept (they are its state).
pub(super) fn allow_auth(
    req: &ViewerRequest,
    split: &signed::SplitQuery<'_>,
    jar: &CookieJar,
) -> Decision {
    Decision::Allow(ForwardRequest {
        request: forward(req, split, jar, |n| {
            n.starts_with("CloudFront-") || n.starts_with(AMPLIFY_COOKIE_PREFIX)
        }),
        identity: Identity::Anonymous,
        route: AUTH_PREFIX.to_string(),
        rule: None,
    })
}

/// Whether `route`'s rule admits a verified Cognito token, and by what: the first of the
/// route's groups the token's `cognito:groups` holds, else (access tokens only) the first of
/// the route's scopes its `scope` claim holds, exact string matches. An ID token's `scope`
/// claim, if a pool ever put one there, is never read: Cognito ID tokens carry no scopes
/// (Amazon Cognito Developer Guide, "Understanding the identity (ID) token"), and scopes are
/// an OAuth access-token grant (RFC 6749 §3.3).
///
/// # Errors
/// The refusal's detail (`not_in_group`, `missing_scope`, `not_in_group_or_scope`) with the
/// rule, `matched: None`.
fn token_rule(
    access: &Access,
    identity: &CognitoIdentity,
) -> Result<RuleMatch, (Detail, RuleMatch)> {
    let kind = access.kind();
    let admitted = |by: &'static str, matched: Option<&String>| RuleMatch {
        access: kind,
        matched: matched.cloned(),
        by: Some(by),
        network: None,
    };
    let refused = |detail: Detail| {
        Err((
            detail,
            RuleMatch {
                access: kind,
                matched: None,
                by: None,
                network: None,
            },
        ))
    };
    let token_scopes: &[String] = match identity.token_use {
        TokenUse::Access => &identity.scopes,
        TokenUse::Id => &[],
    };
    match access {
        Access::Groups { groups, scopes } => {
            if let Some(g) = groups.iter().find(|g| identity.groups.contains(g)) {
                return Ok(admitted("group", Some(g)));
            }
            if let Some(s) = scopes.iter().find(|s| token_scopes.contains(s)) {
                return Ok(admitted("scope", Some(s)));
            }
            refused(if scopes.is_empty() {
                Detail::NotInGroup
            } else {
                Detail::NotInGroupOrScope
            })
        }
        Access::Authenticated => Ok(admitted("token", None)),
        Access::Scopes(scopes) => match scopes.iter().find(|s| token_scopes.contains(s)) {
            Some(s) => Ok(admitted("scope", Some(s))),
            None => refused(Detail::MissingScope),
        },
        // Not reached (the caller refuses tokens on these first); fail closed all the same.
        Access::Public | Access::Signed | Access::Network => {
            refused(Detail::BearerNotAcceptedOnSignedRoute)
        }
    }
}

/// A verified token of the issuer at `index`: refused 403 `forbidden` when the route does not
/// trust that issuer (`issuer_not_trusted`), then when a `routes[N].claims` rule is unmet
/// (`claim_mismatch`), then admitted when the route's rule admits it ([`token_rule`]; an OIDC
/// token only by `authenticated`). A refusal keeps the identity and the refusing rule for
/// logs and `explain`.
pub(super) fn admit_token(
    req: &ViewerRequest,
    split: &signed::SplitQuery<'_>,
    jar: &CookieJar,
    token: &TokenIdentity,
    source: &'static str,
    route: &Route,
    (index, issuer): (IssuerIndex, &Issuer),
) -> Decision {
    let refused_rule = || RuleMatch {
        access: route.access.kind(),
        matched: None,
        by: None,
        network: None,
    };
    let verdict = if !route.trusts(index) {
        Err((Detail::IssuerNotTrusted, refused_rule()))
    } else if route.unmet_claim(token.claims()).is_some() {
        Err((Detail::ClaimMismatch, refused_rule()))
    } else {
        match token {
            TokenIdentity::Cognito(identity) => token_rule(&route.access, identity),
            TokenIdentity::Oidc(_) if route.access == Access::Authenticated => Ok(RuleMatch {
                access: route.access.kind(),
                matched: None,
                by: Some("token"),
                network: None,
            }),
            // Configs allow OIDC issuers on `authenticated` routes only; fail closed anyway.
            TokenIdentity::Oidc(_) => Err((Detail::IssuerNotTrusted, refused_rule())),
        }
    };
    let identity = Identity::token(token, source, issuer);
    match verdict {
        Ok(rule) => allow(req, split, jar, identity, route, rule),
        Err((detail, rule)) => Decision::Deny(Denial {
            status: 403,
            reason: Reason::Forbidden,
            detail,
            route: Some(route.prefix.clone()),
            identity: Some(identity),
            rule: Some(rule),
            www_authenticate: None,
            page: None,
        }),
    }
}

/// The rule that admitted a verified signed URL or cookie set on `route` (any non-public
/// route admits one that covers the request).
pub(super) fn signed_rule(route: &Route, source: CredentialSource) -> RuleMatch {
    RuleMatch {
        access: route.access.kind(),
        matched: None,
        by: Some(match source {
            CredentialSource::Url => "signed_url",
            CredentialSource::Cookie => "signed_cookies",
        }),
        network: None,
    }
}

/// The rule of a public route.
pub(super) fn public_rule() -> RuleMatch {
    RuleMatch {
        access: "public",
        matched: None,
        by: Some("public"),
        network: None,
    }
}

/// The rule of an `access = "network"` route that admitted (its network is set by
/// [`bind_network`]).
pub(super) fn network_rule() -> RuleMatch {
    RuleMatch {
        access: "network",
        matched: None,
        by: Some("network"),
        network: None,
    }
}

/// Marks a decision on a route that reads the viewer address (`networks`, or
/// `access = "network"`) with the network holding it (`None`: outside every one): the rule's
/// [`RuleMatch::network`], which `explain` shows and which keeps the decision from ever being
/// [`super::Stability::Always`]. Every decision on such a route passes through here.
pub(super) fn bind_network(decision: Decision, route: &Route, network: Option<String>) -> Decision {
    let bound = |rule: Option<RuleMatch>| {
        let mut rule = rule.unwrap_or(RuleMatch {
            access: route.access.kind(),
            matched: None,
            by: None,
            network: None,
        });
        rule.network = Some(network.clone());
        Some(rule)
    };
    match decision {
        Decision::Allow(mut f) => {
            f.rule = bound(f.rule.take());
            Decision::Allow(f)
        }
        Decision::Deny(mut d) => {
            d.rule = bound(d.rule.take());
            Decision::Deny(d)
        }
        Decision::Redirect(mut r) => {
            r.rule = bound(r.rule.take());
            Decision::Redirect(r)
        }
    }
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

/// Admits `identity` on `route` by `rule`: the request goes on with every credential
/// stripped.
pub(super) fn allow(
    req: &ViewerRequest,
    split: &signed::SplitQuery<'_>,
    jar: &CookieJar,
    identity: Identity,
    route: &Route,
    rule: RuleMatch,
) -> Decision {
    Decision::Allow(ForwardRequest {
        request: forward(req, split, jar, is_auth_cookie),
        identity,
        route: route.prefix.clone(),
        rule: Some(rule),
    })
}
