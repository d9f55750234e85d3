//! Generated responses: the deny response ([`Denial::to_response`]), the sign-in redirect
//! ([`Redirect::to_response`]) and the sign-in loop page, and the per-request context that
//! builds them ([`Ctx`]: 401 `WWW-Authenticate` values, navigation detection, the
//! `/auth/login?return_to=` location, the loop marker).

use super::decision::{Decision, Denial, Page, Reason, Redirect, RedirectTo};
use super::detail::Detail;
use crate::config::{sign_in_cookie_rule, Route};
use crate::event::{CfResponse, Headers};
use crate::pages::{self, header};
use edgegate_keys::VerifyError;

const SIGN_IN_LOOP_PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign-in did not complete</title></head><body><h1>Sign-in did not complete</h1><p>You signed in, but this browser did not keep the session, or your account has no access here.</p><p><a href=\"/auth/logout\">Sign out</a> and sign in again, or contact your administrator.</p></body></html>\n";

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

impl Denial {
    /// The response CloudFront returns to the viewer: status, `Cache-Control: no-store`,
    /// `Content-Type: text/plain`, the reason code as body, and `WWW-Authenticate` / `Allow`
    /// where they apply. Contains no request data.
    pub fn to_response(&self) -> CfResponse {
        let mut headers = pages::generated_headers();
        if let Some(v) = self.www_authenticate {
            header(&mut headers, "www-authenticate", "WWW-Authenticate", v);
        }
        if self.status == 405 {
            header(&mut headers, "allow", "Allow", "GET, HEAD");
        }
        if self.status == 503 {
            header(&mut headers, "retry-after", "Retry-After", "5");
        }
        let body = match &self.page {
            Some(Page::SignInLoop) => {
                pages::html_headers(&mut headers);
                SIGN_IN_LOOP_PAGE.to_string()
            }
            Some(Page::Status(template)) => {
                pages::html_headers(&mut headers);
                pages::render(template, self.status, self.reason.as_str())
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

const BEARER_MISSING: &str = "Bearer realm=\"edgegate\"";
const BEARER_INVALID: &str = "Bearer realm=\"edgegate\", error=\"invalid_token\"";

/// What the gate knows of the request so far, for building its deny and sign-in responses.
pub(super) struct Ctx<'a> {
    /// The matched route, once step 3 found one.
    pub(super) route: Option<&'a Route>,
    /// Sign-in is configured and this is a browser navigation (GET/HEAD with
    /// `Sec-Fetch-Mode: navigate` or an `Accept` naming `text/html`; [`is_navigation`]).
    pub(super) navigation: bool,
    /// The loop marker cookie is present (a sign-in just failed).
    pub(super) loop_marker: bool,
    /// `/auth/login?return_to=...` for this request.
    pub(super) login: String,
}

impl Ctx<'_> {
    /// A navigation on a route sign-in can give cookies for (`groups`, `authenticated`; see
    /// [`sign_in_cookie_rule`]) is sent to sign in (or shown the loop page); anything else,
    /// `scopes` routes included (no browser sign-in satisfies them), gets `otherwise`.
    pub(super) fn sign_in_or(&self, detail: Detail, otherwise: Decision) -> Decision {
        let sign_in_route = self.route.is_some_and(|r| sign_in_cookie_rule(r).is_some());
        if !(self.navigation && sign_in_route) {
            return otherwise;
        }
        if self.loop_marker {
            return Decision::Deny(Denial {
                status: 403,
                reason: Reason::Forbidden,
                detail: Detail::SignInLoop,
                route: self.route.map(|r| r.prefix.clone()),
                identity: None,
                rule: None,
                www_authenticate: None,
                page: Some(Page::SignInLoop),
            });
        }
        Decision::Redirect(Redirect {
            location: self.login.clone(),
            route: self.route.map(|r| r.prefix.clone()).unwrap_or_default(),
            detail,
            rule: None,
            to: RedirectTo::SignIn,
        })
    }

    /// A generated response with this status, reason and detail; a 401 carries
    /// `WWW-Authenticate: Bearer` (with `error="invalid_token"` unless the credential was
    /// missing, RFC 6750 §3).
    pub(super) fn deny(&self, status: u16, reason: Reason, detail: Detail) -> Decision {
        Decision::Deny(Denial {
            status,
            reason,
            detail,
            route: self.route.map(|r| r.prefix.clone()),
            identity: None,
            rule: None,
            page: None,
            www_authenticate: match (status, reason) {
                (401, Reason::MissingCredential) => Some(BEARER_MISSING),
                (401, _) => Some(BEARER_INVALID),
                _ => None,
            },
        })
    }
}

/// The loop-breaker cookie the auth function sets after a sign-in (`Path=/`, short-lived).
pub const LOOP_MARKER_COOKIE: &str = "__Secure-edgegate-loop";
/// The loop marker's name on a plain-http site (`site.scheme = "http"`).
pub const DEV_LOOP_MARKER_COOKIE: &str = "edgegate-dev-loop";

pub(super) use crate::pages::is_navigation;

/// The longest `return_to` (path and query, before encoding) the auth function keeps; the
/// encoded Location (at most 3 bytes per byte) then stays within CloudFront's 8,192-byte URL
/// limit (security catalogue CB-14).
pub const MAX_RETURN_TO_BYTES: usize = 2048;

/// `/auth/login?return_to=<path?query, percent-encoded>`; over [`MAX_RETURN_TO_BYTES`] the
/// query is dropped, and then the path (`/`).
pub(super) fn login_location(uri: &str, query: &str) -> String {
    let mut target = uri.to_string();
    if !query.is_empty() && uri.len() + 1 + query.len() <= MAX_RETURN_TO_BYTES {
        target.push('?');
        target.push_str(query);
    }
    if target.len() > MAX_RETURN_TO_BYTES {
        target = "/".to_string();
    }
    let mut out = String::from("/auth/login?return_to=");
    crate::path::push_percent_encoded(&mut out, &target, |b| {
        b.is_ascii_alphanumeric() || b"-._~/".contains(&b)
    });
    out
}

/// A signed URL or cookies that failed: 400 `too_large` (`signed_too_large`) over the cap,
/// else 403 `invalid_credential` with the verification detail (CloudFront's behaviour).
pub(super) fn invalid_signed(ctx: &Ctx<'_>, e: VerifyError) -> Decision {
    match e {
        VerifyError::TooLarge => ctx.deny(400, Reason::TooLarge, Detail::SignedTooLarge),
        other => ctx.deny(403, Reason::InvalidCredential, Detail::Credential(other)),
    }
}
