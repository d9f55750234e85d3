//! What the gate decided: [`Decision`] (allow, deny, redirect) and the types it carries
//! ([`Reason`], [`Identity`], [`ForwardRequest`], [`Denial`], [`Redirect`], [`Page`]), with
//! the log and `edgegate explain` view of a decision.

use super::detail::Detail;
use crate::cache::TokenIdentity;
use crate::config::Issuer;
use crate::event::ViewerRequest;
use edgegate_keys::signed::{CredentialSource, SignedGrant};
use edgegate_keys::Verified;
use serde::Serialize;
use std::sync::Arc;

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

/// Proof that an [`Identity`] was built from a verified credential: its only constructor is
/// private to the gate, and it is built only from a [`Verified`] value (which only the keys
/// crate makes, after the signature and claims checked out). Carries nothing; not serialized.
///
/// Outside the gate it cannot be made, so neither can a `Cognito` or `Signed` identity:
///
/// ```compile_fail
/// let forged = edgegate_edge::gate::FromVerified(());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FromVerified(());

/// Who or what was admitted (never a credential).
///
/// `Cognito` and `Signed` carry a [`FromVerified`] field, so code outside the gate can read and
/// match them (`Identity::Cognito { sub, .. }`) but never build one: an identity exists only
/// because a signature verified under a trusted key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Identity {
    /// A public route: nobody in particular.
    Anonymous,
    /// An `access = "network"` route: a viewer address inside its networks, no credential
    /// (which network: the decision's [`RuleMatch::network`]).
    Network,
    /// A verified Cognito token.
    Cognito {
        /// Where it came from (`bearer`).
        source: &'static str,
        /// The id of the issuer that verified it (`cognito` for `[cognito]`).
        issuer: String,
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
        /// `exp` plus the issuer's leeway: the first second the token is refused.
        #[serde(skip)]
        valid_until: u64,
        /// Built from a verified token only.
        #[serde(skip)]
        verified: FromVerified,
    },
    /// A verified token of a generic OIDC issuer (`[[issuers]]` with `kind = "oidc"`).
    Oidc {
        /// Where it came from (`bearer`).
        source: &'static str,
        /// The id of the issuer that verified it.
        issuer: String,
        /// `sub`.
        sub: String,
        /// The accepted audience it named.
        audience: String,
        /// `exp`, seconds since the epoch.
        expires_at: u64,
        /// `exp` plus the issuer's leeway.
        #[serde(skip)]
        valid_until: u64,
        /// Built from a verified token only.
        #[serde(skip)]
        verified: FromVerified,
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
        /// Built from a verified signed URL or cookie set only.
        #[serde(skip)]
        verified: FromVerified,
    },
}

impl Identity {
    /// The identity of a verified token; `source` is where it came from, `issuer` the issuer
    /// that verified it.
    pub(super) fn token(token: &TokenIdentity, source: &'static str, issuer: &Issuer) -> Self {
        let valid_until = token.expires_at().saturating_add(issuer.leeway_secs());
        match token {
            TokenIdentity::Cognito(id) => Identity::Cognito {
                source,
                issuer: issuer.id.clone(),
                sub: id.sub.clone(),
                username: id.username.clone(),
                token_use: id.token_use.as_str(),
                client_id: id.client_id.clone(),
                groups: id.groups.clone(),
                expires_at: id.expires_at,
                valid_until,
                verified: FromVerified(()),
            },
            TokenIdentity::Oidc(id) => Identity::Oidc {
                source,
                issuer: issuer.id.clone(),
                sub: id.sub.clone(),
                audience: id.audience.clone(),
                expires_at: id.expires_at,
                valid_until,
                verified: FromVerified(()),
            },
        }
    }

    /// The identity of a verified signed URL or signed cookie set.
    pub(super) fn signed(grant: &Verified<SignedGrant>) -> Self {
        Identity::Signed {
            source: grant.source,
            key_pair_id: grant.key_pair_id.to_string(),
            policy: grant.policy_kind(),
            expires_at: grant.expires_at(),
            verified: FromVerified(()),
        }
    }
}

/// Which part of a route's access rule admitted or refused a verified credential: the
/// `rule` member of `edgegate explain` (never in the log line). Names only configuration
/// values (the route's kind, a group or scope it lists), never a token or signature.
///
/// `{"access": "scopes", "matched": "artifacts/read", "by": "scope"}` (admitted),
/// `{"access": "groups", "matched": null, "by": null}` (refused: 403 `forbidden`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleMatch {
    /// The route's access kind ([`crate::config::Access::kind`]).
    pub access: &'static str,
    /// The group or scope of the route that the token holds; `None` when admitted without one
    /// (`authenticated`, public, signed credentials) or refused.
    pub matched: Option<String>,
    /// What admitted: `group`, `scope`, `token` (`authenticated`: any verified token),
    /// `signed_url`, `signed_cookies`, `public` or `network` (`access = "network"`); `None`
    /// when refused.
    pub by: Option<&'static str>,
    /// Only on a route with `networks`: the network holding the viewer address (canonical
    /// text, `"192.0.2.0/24"`), `Some(None)` (JSON `null`) when none does. Omitted (`None`) on
    /// routes without networks. A decision carrying it read the address, so it is never
    /// [`Stability::Always`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<Option<String>>,
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
    /// The part of the route's rule that admitted (`None`: `/auth/*`, admitted before any
    /// route).
    pub rule: Option<RuleMatch>,
}

/// The request is answered by the gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// HTTP status (400, 401, 403, 405, 503).
    pub status: u16,
    /// The coarse reason sent to the viewer.
    pub reason: Reason,
    /// The detail for logs and `explain` only.
    pub detail: Detail,
    /// The route prefix, if one matched.
    pub route: Option<String>,
    /// A verified identity that was nevertheless refused (403 `forbidden`).
    pub identity: Option<Identity>,
    /// The route rule that refused `identity` (`matched: None`); `None` when no rule was
    /// evaluated against a verified credential.
    pub rule: Option<RuleMatch>,
    /// `WWW-Authenticate` value for 401s.
    pub www_authenticate: Option<&'static str>,
    /// An HTML page instead of the plain reason: the sign-in loop breaker, or the status page
    /// for a browser navigation ([`crate::pages`]).
    pub page: Option<Page>,
}

/// Generated HTML pages (nothing from the request is reflected into them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    /// "Sign-in did not complete" with a sign-out link, shown instead of a redirect when the
    /// loop marker says a sign-in just failed.
    SignInLoop,
    /// The 401 or 403 page template (`[pages]` or built-in) a browser navigation is shown,
    /// rendered with the status and reason code ([`crate::pages::render`]).
    Status(Arc<str>),
}
/// A 302 the gate answers with: a browser navigation sent to sign in, or an allowed request
/// for a directory sent to its trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The `Location`: `/auth/login?return_to=<percent-encoded path and query>`, or
    /// `<path>/` with the query (signing parameters removed).
    pub location: String,
    /// The route prefix that matched.
    pub route: String,
    /// Why (`no_credential`, `expired`, ...), for logs and `explain`.
    pub detail: Detail,
    /// On a route with networks, the network rule ([`RuleMatch::network`]); for a directory
    /// redirect, the rule that admitted; else `None`.
    pub rule: Option<RuleMatch>,
    /// Why the viewer is sent there.
    pub to: RedirectTo,
}

/// What a [`Redirect`] is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedirectTo {
    /// Sign in (`/auth/login`): no credential admitted this browser navigation.
    SignIn,
    /// The directory's trailing slash (`routes[N].index`): the request was allowed, for this
    /// identity (detail `trailing_slash`).
    Directory(Identity),
}

/// How long the same request gets the same decision from the same gate (config and keys).
///
/// [`decide`](super::decide) is pure, so a decision is a function of the request, the config,
/// the keys and the clock. [`Decision::stability`] says when the clock cannot change it: the
/// Node.js handler memoises such verdicts by their exact frame (see [`crate::boundary`]) and
/// answers a repeat without calling the gate. The handler drops the memo whenever it rebuilds
/// the gate (new keys, a failure).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stability {
    /// Neither the clock nor the viewer address played a part: no credential was examined (a
    /// public route, a missing credential, a malformed request, no route) on a route without
    /// `networks`. The same request from any `clientIp` gets this verdict (only a signed URL's
    /// or cookies' `IpAddress` condition and a route's `networks` read the address; a decision
    /// on a route with networks that would be `Always` is `Between { from: 0, until: u64::MAX }`
    /// instead, which the handler binds to the address).
    Always,
    /// The same for every `now` with `from <= now < until` (seconds since the epoch):
    /// a verified credential decided, and `until` is when it expires (a token's `exp` plus the
    /// leeway, RFC 7519 §4.1.4; a signed URL's or cookies' `Expires` / `DateLessThan`).
    /// Before `from` (the clock going back) a `nbf` or `DateGreaterThan` could refuse it.
    Between {
        /// The time of the decision.
        from: u64,
        /// The first second at which the credential is expired.
        until: u64,
    },
    /// Not memoisable: a credential failed verification (a JWKS refetch could change an
    /// `unknown_kid`), or the decision is one the handler must always ask the gate for.
    Never,
}

/// What the gate decided.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Forward to the origin.
    Allow(ForwardRequest),
    /// Answer with a generated response.
    Deny(Denial),
    /// Answer with a 302: a browser navigation sent to sign in (`/auth/login`), or an allowed
    /// directory request sent to its trailing slash.
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
            Decision::Allow(ForwardRequest {
                identity: Identity::Anonymous,
                ..
            }) => Reason::Public,
            Decision::Allow(_) => Reason::Ok,
            Decision::Deny(d) => d.reason,
            Decision::Redirect(Redirect {
                to: RedirectTo::Directory(Identity::Anonymous),
                ..
            }) => Reason::Public,
            Decision::Redirect(Redirect {
                to: RedirectTo::Directory(_),
                ..
            }) => Reason::Ok,
            Decision::Redirect(r) if r.detail == Detail::NoCredential => Reason::MissingCredential,
            Decision::Redirect(_) => Reason::InvalidCredential,
        }
    }

    /// The detail code (logs and `explain` only).
    pub fn detail(&self) -> &'static str {
        match self {
            Decision::Allow(f) => match f.identity {
                Identity::Anonymous => "public_route",
                Identity::Network => "network",
                Identity::Cognito { .. } | Identity::Oidc { .. } => "valid_token",
                Identity::Signed {
                    source: CredentialSource::Url,
                    ..
                } => "valid_signed_url",
                Identity::Signed {
                    source: CredentialSource::Cookie,
                    ..
                } => "valid_signed_cookies",
            },
            Decision::Deny(d) => d.detail.as_str(),
            Decision::Redirect(r) => r.detail.as_str(),
        }
    }

    /// The identity, if one was verified.
    pub fn identity(&self) -> Option<&Identity> {
        match self {
            Decision::Allow(f) => Some(&f.identity),
            Decision::Deny(d) => d.identity.as_ref(),
            Decision::Redirect(r) => match &r.to {
                RedirectTo::Directory(identity) => Some(identity),
                RedirectTo::SignIn => None,
            },
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

    /// When the same request gets this same decision again (see [`Stability`]); `now` is the
    /// time it was made (a token's window ends at its `exp` plus its issuer's leeway).
    pub fn stability(&self, now: u64) -> Stability {
        let of_identity = |identity: &Identity| match identity {
            Identity::Anonymous => Stability::Always,
            // Bound to the address (the handler keys non-`s*` entries by it), at any time.
            Identity::Network => Stability::Between {
                from: 0,
                until: u64::MAX,
            },
            Identity::Cognito { valid_until, .. } | Identity::Oidc { valid_until, .. } => {
                Stability::Between {
                    from: now,
                    until: *valid_until,
                }
            }
            Identity::Signed { expires_at, .. } => Stability::Between {
                from: now,
                until: *expires_at,
            },
        };
        let of_detail = |detail: Detail| match detail {
            // Decided before or without any credential being verified.
            Detail::Host
            | Detail::Path(_)
            | Detail::QueryBadCharacter
            | Detail::UrlTooLarge
            | Detail::CookieTooLarge
            | Detail::MultipleAuthorizationHeaders
            | Detail::MethodNotAllowed
            | Detail::NoRoute
            | Detail::NoCredential
            | Detail::NoSignature
            | Detail::AuthorizationNotBearer
            | Detail::BearerNotAcceptedOnSignedRoute
            // Bound to the address below (the decision carries its network rule).
            | Detail::NetworkNotAllowed => Stability::Always,
            // The loop page replaces whatever refused the navigation, a failed credential
            // included (an expired or address-bound cookie set, a token from a skewed clock).
            Detail::SignInLoop => Stability::Never,
            _ => Stability::Never,
        };
        let stability = match self {
            Decision::Allow(forward) => of_identity(&forward.identity),
            Decision::Deny(denial) => match &denial.identity {
                Some(identity)
                    if matches!(
                        denial.detail,
                        Detail::NotInGroup
                            | Detail::MissingScope
                            | Detail::NotInGroupOrScope
                            | Detail::IssuerNotTrusted
                            | Detail::ClaimMismatch
                    ) =>
                {
                    of_identity(identity)
                }
                Some(_) => Stability::Never,
                None => of_detail(denial.detail),
            },
            Decision::Redirect(redirect) => match &redirect.to {
                RedirectTo::Directory(identity) => of_identity(identity),
                RedirectTo::SignIn => of_detail(redirect.detail),
            },
        };
        // A route with networks decided on the viewer address: the same verdict holds for
        // the same address only, never for every `clientIp`.
        match stability {
            Stability::Always if self.reads_address() => Stability::Between {
                from: 0,
                until: u64::MAX,
            },
            other => other,
        }
    }

    /// Whether the viewer address played a part (the route lists networks or is
    /// `access = "network"`: see [`RuleMatch::network`]).
    pub fn reads_address(&self) -> bool {
        matches!(
            self,
            Decision::Allow(ForwardRequest {
                identity: Identity::Network,
                ..
            })
        ) || self.rule().is_some_and(|r| r.network.is_some())
    }

    /// The part of the route's access rule that admitted or refused a verified credential
    /// (see [`RuleMatch`]); `None` when no rule was evaluated against one.
    pub fn rule(&self) -> Option<&RuleMatch> {
        match self {
            Decision::Allow(f) => f.rule.as_ref(),
            Decision::Deny(d) => d.rule.as_ref(),
            Decision::Redirect(r) => r.rule.as_ref(),
        }
    }

    /// The `edgegate explain` JSON:
    /// `{"decision","status","reason","detail","route","identity","rule"}` (`rule`: a
    /// [`RuleMatch`] or `null`).
    pub fn explain(&self) -> serde_json::Value {
        serde_json::json!({
            "decision": self.kind(),
            "status": self.status(),
            "reason": self.reason().as_str(),
            "detail": self.detail(),
            "route": self.route(),
            "identity": self.identity(),
            "rule": self.rule(),
        })
    }
}
