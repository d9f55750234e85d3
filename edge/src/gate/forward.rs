//! Forwarding: what the origin receives once a request is allowed, with `Authorization`,
//! the credential cookies and the signing query parameters stripped.

use super::decision::{Decision, Denial, ForwardRequest, Identity, Reason};
use super::detail::Detail;
use crate::config::{Route, AUTH_PREFIX};
use crate::cookies::CookieJar;
use crate::event::ViewerRequest;
use edgegate_keys::jwt::CognitoIdentity;
use edgegate_keys::signed;
use edgegate_keys::Verified;

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
    })
}

/// A verified token: admitted when it is in one of the route's groups, else 403 `forbidden`
/// with the identity kept for logs and `explain`.
pub(super) fn admit_token(
    req: &ViewerRequest,
    split: &signed::SplitQuery<'_>,
    jar: &CookieJar,
    identity: &Verified<CognitoIdentity>,
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
        detail: Detail::NotInGroup,
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

/// Admits `identity` on `route`: the request goes on with every credential stripped.
pub(super) fn allow(
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
