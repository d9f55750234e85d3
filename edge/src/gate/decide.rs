//! The check order: [`decide`] / [`decide_cached`] run the size caps, canonical path and
//! host, the route, the method, and then let exactly one credential decide (see the
//! [module header](super)).

use super::credential::{amplify_token, bearer_token, verify_signed, verify_token};
use super::decision::{Decision, Identity, Page, Reason};
use super::detail::Detail;
use super::directory::serve_index;
use super::forward::{
    admit_token, allow, allow_auth, bind_network, network_rule, public_rule, signed_rule,
    AMPLIFY_COOKIE_PREFIX,
};
use super::response::{
    invalid_signed, is_navigation, login_location, Ctx, DEV_LOOP_MARKER_COOKIE, LOOP_MARKER_COOKIE,
};
use crate::cache::{TokenIdentity, VerifiedCache};
use crate::config::{Access, GateConfig, IssuerIndex, Scheme, AUTH_PREFIX};
use crate::cookies::CookieJar;
use crate::event::ViewerRequest;
use crate::path;
use edgegate_keys::limits::{MAX_TOKEN_BYTES, MAX_URL_BYTES};
use edgegate_keys::signed::{self, CredentialSource, SignedCredential};
use edgegate_keys::{SignatureVerifier, UnixTime, VerifyError};

/// Largest accepted `Cookie` header content (all entries together), in bytes.
pub const MAX_COOKIE_BYTES: usize = 16 * 1024;
/// `Bearer ` (scheme and its one space): the `Authorization` cap is this plus the token cap.
const BEARER_PREFIX: &str = "Bearer ";

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
///
/// A 401 or 403 for a browser navigation ([`is_navigation`]) carries the status page
/// ([`Page::Status`], from [`GateConfig::pages`]); other clients get the reason as plain text.
pub fn decide_cached(
    req: &ViewerRequest,
    cfg: &GateConfig,
    verifier: &dyn SignatureVerifier,
    now: UnixTime,
    cache: Option<&mut VerifiedCache>,
) -> Decision {
    let mut decision = decide_inner(req, cfg, verifier, now, cache);
    if let Decision::Deny(denial) = &mut decision {
        if denial.page.is_none() && is_navigation(req) {
            if let Some(template) = cfg.pages().template(denial.status) {
                denial.page = Some(Page::Status(template.clone()));
            }
        }
    }
    decision
}

fn decide_inner(
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
        return ctx.deny(400, Reason::TooLarge, Detail::UrlTooLarge);
    }
    let cookie_bytes: usize = req.header_values("cookie").map(str::len).sum();
    if cookie_bytes > MAX_COOKIE_BYTES {
        return ctx.deny(400, Reason::TooLarge, Detail::CookieTooLarge);
    }
    let auth_values: Vec<&str> = req.header_values("authorization").collect();
    if auth_values
        .iter()
        .any(|v| v.len() > BEARER_PREFIX.len() + MAX_TOKEN_BYTES)
    {
        return ctx.deny(400, Reason::TooLarge, Detail::TokenTooLarge);
    }

    // 2. Canonical path and a host.
    if let Err(e) = path::check_canonical(&req.uri) {
        return ctx.deny(400, Reason::BadRequest, Detail::Path(e));
    }
    let host = match req.headers.get("host").map(Vec::as_slice) {
        Some([one]) if is_host_value(&one.value) => one.value.as_str(),
        _ => return ctx.deny(400, Reason::BadRequest, Detail::Host),
    };
    if req
        .querystring
        .bytes()
        .any(|b| b <= 0x20 || b == 0x7f || b == b'#')
    {
        return ctx.deny(400, Reason::BadRequest, Detail::QueryBadCharacter);
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
        return ctx.deny(403, Reason::NoRoute, Detail::NoRoute);
    };
    ctx.route = Some(route);

    // The network of the viewer address, on a route that reads it (`Some(None)`: outside).
    let network: Option<Option<String>> = route
        .reads_address()
        .then(|| route.network_of(&req.client_ip).map(ToString::to_string));

    let decision = 'decided: {
        // 4. Public routes.
        if route.access == Access::Public {
            break 'decided allow(req, &split, &jar, Identity::Anonymous, route, public_rule());
        }

        // 5. Methods.
        if req.method != "GET" && req.method != "HEAD" {
            break 'decided ctx.deny(405, Reason::BadRequest, Detail::MethodNotAllowed);
        }

        // 5b. Networks: the viewer address, before any credential is examined.
        if let Some(network) = &network {
            if network.is_none() {
                break 'decided ctx.deny(403, Reason::Forbidden, Detail::NetworkNotAllowed);
            }
            if route.access == Access::Network {
                break 'decided allow(req, &split, &jar, Identity::Network, route, network_rule());
            }
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
            let credential =
                match SignedCredential::from_params(&split.reserved, CredentialSource::Url) {
                    Ok(c) => c,
                    Err(e) => break 'decided invalid_signed(&ctx, e),
                };
            let url = resource(split.rest.as_deref());
            break 'decided match verify_signed(&credential, &url, req, cfg, verifier, now, cache) {
                Ok(grant) => allow(
                    req,
                    &split,
                    &jar,
                    Identity::signed(&grant),
                    route,
                    signed_rule(route, CredentialSource::Url),
                ),
                Err(e) => invalid_signed(&ctx, e),
            };
        }

        if !auth_values.is_empty() {
            let [value] = auth_values.as_slice() else {
                break 'decided ctx.deny(
                    400,
                    Reason::BadRequest,
                    Detail::MultipleAuthorizationHeaders,
                );
            };
            let Some(token) = bearer_token(value) else {
                break 'decided ctx.deny(
                    401,
                    Reason::InvalidCredential,
                    Detail::AuthorizationNotBearer,
                );
            };
            if !route.access.admits_tokens() {
                break 'decided ctx.deny(
                    403,
                    Reason::Forbidden,
                    Detail::BearerNotAcceptedOnSignedRoute,
                );
            }
            if cfg.issuers().is_empty() {
                break 'decided ctx.deny(
                    401,
                    Reason::InvalidCredential,
                    Detail::CognitoNotConfigured,
                );
            }
            break 'decided match verify_token(token, cfg, None, verifier, now, cache) {
                Ok((index, issuer, identity)) => admit_token(
                    req,
                    &split,
                    &jar,
                    &identity,
                    "bearer",
                    route,
                    (index, issuer),
                ),
                Err(VerifyError::TooLarge) => {
                    ctx.deny(400, Reason::TooLarge, Detail::TokenTooLarge)
                }
                Err(e) => ctx.deny(401, Reason::InvalidCredential, Detail::Credential(e)),
            };
        }

        if signed::COOKIE_NAMES.iter().any(|n| jar.contains(n)) {
            let mut params: Vec<(&str, &str)> = Vec::new();
            for name in signed::COOKIE_NAMES {
                let values = jar.all(name);
                if values.len() > 1 {
                    break 'decided ctx.sign_in_or(
                        Detail::DuplicateCookies,
                        ctx.deny(403, Reason::InvalidCredential, Detail::DuplicateCookies),
                    );
                }
                if let (Some(bare), Some(value)) =
                    (name.strip_prefix("CloudFront-"), values.first())
                {
                    params.push((bare, value));
                }
            }
            let credential = match SignedCredential::from_params(&params, CredentialSource::Cookie)
            {
                Ok(c) => c,
                Err(e) => {
                    break 'decided ctx.sign_in_or(Detail::Credential(e), invalid_signed(&ctx, e))
                }
            };
            let url = resource(if req.querystring.is_empty() {
                None
            } else {
                Some(&req.querystring)
            });
            break 'decided match verify_signed(&credential, &url, req, cfg, verifier, now, cache) {
                Ok(grant) => allow(
                    req,
                    &split,
                    &jar,
                    Identity::signed(&grant),
                    route,
                    signed_rule(route, CredentialSource::Cookie),
                ),
                Err(e) => ctx.sign_in_or(Detail::Credential(e), invalid_signed(&ctx, e)),
            };
        }

        if let (Some(auth), Some(cognito)) = (cfg.auth(), cfg.cognito()) {
            if route.access.admits_tokens()
                && !auth.amplify_client_ids.is_empty()
                && jar
                    .pairs()
                    .iter()
                    .any(|(n, _)| n.starts_with(AMPLIFY_COOKIE_PREFIX))
            {
                let token = match amplify_token(&jar, &auth.amplify_client_ids, cognito) {
                    Ok(t) => t,
                    Err(detail) => {
                        break 'decided ctx
                            .sign_in_or(detail, ctx.deny(401, Reason::InvalidCredential, detail))
                    }
                };
                let verified =
                    verify_token(token.token, cfg, Some(IssuerIndex(0)), verifier, now, cache);
                break 'decided match verified {
                    Ok((_, _, TokenIdentity::Cognito(identity)))
                        if identity.client_id != token.client_id =>
                    {
                        ctx.sign_in_or(
                            Detail::AmplifyClientMismatch,
                            ctx.deny(
                                401,
                                Reason::InvalidCredential,
                                Detail::AmplifyClientMismatch,
                            ),
                        )
                    }
                    Ok((index, issuer, identity)) => admit_token(
                        req,
                        &split,
                        &jar,
                        &identity,
                        "amplify_cookie",
                        route,
                        (index, issuer),
                    ),
                    Err(VerifyError::TooLarge) => {
                        ctx.deny(400, Reason::TooLarge, Detail::TokenTooLarge)
                    }
                    Err(e) => ctx.sign_in_or(
                        Detail::Credential(e),
                        ctx.deny(401, Reason::InvalidCredential, Detail::Credential(e)),
                    ),
                };
            }
        }

        match route.access {
            Access::Signed => ctx.deny(403, Reason::MissingCredential, Detail::NoSignature),
            _ => ctx.sign_in_or(
                Detail::NoCredential,
                ctx.deny(401, Reason::MissingCredential, Detail::NoCredential),
            ),
        }
    };
    let decision = match network {
        Some(network) => bind_network(decision, route, network),
        None => decision,
    };
    // 7. The directory index, on the path the decision was made for.
    serve_index(cfg, route, decision)
}

/// A `Host` value: 1 to 255 bytes of letters, digits, `.`, `-`, `:`, `[` and `]` (names,
/// ports and IPv6 literals; nothing that could change the resource URL's meaning).
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
