//! Credential verification: the bearer token's shape, the Amplify token cookie, and JWT and
//! CloudFront signed URL / cookie verification through the optional [`VerifiedCache`].

use super::detail::Detail;
use super::forward::AMPLIFY_COOKIE_PREFIX;
use crate::cache::{signed_key, TokenIdentity, VerifiedCache, VerifiedToken};
use crate::config::{CognitoConfig, GateConfig, Issuer, IssuerIndex, IssuerRules};
use crate::cookies::CookieJar;
use crate::event::ViewerRequest;
use crate::path;
use edgegate_keys::jwt;
use edgegate_keys::signed::{self, SignedCredential, SignedGrant};
use edgegate_keys::{SignatureVerifier, UnixTime, Verified, VerifyError};

/// The Amplify token cookie [`amplify_token`] found.
pub(super) struct AmplifyToken<'a> {
    /// The token cookie's value.
    pub(super) token: &'a str,
    /// The app client id the cookie names.
    pub(super) client_id: &'a str,
}

/// Finds the Amplify token cookie: `CognitoIdentityServiceProvider.<clientId>.LastAuthUser`
/// names the user, then `...<clientId>.<user>.idToken` (or `.accessToken` when ID tokens are
/// not accepted). Names are compared after percent-decoding; exactly one match, else invalid.
pub(super) fn amplify_token<'a>(
    jar: &'a CookieJar,
    client_ids: &'a [String],
    cognito: &CognitoConfig,
) -> Result<AmplifyToken<'a>, Detail> {
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
        let users = values_named(jar, &last_name);
        let user = match users.as_slice() {
            [] => continue,
            [one] => path::percent_decode_utf8(one).ok_or(Detail::AmplifyMalformed)?,
            _ => return Err(Detail::AmplifyDuplicateCookies),
        };
        let token_name = format!("{AMPLIFY_COOKIE_PREFIX}{client_id}.{user}.{kind}");
        let tokens = values_named(jar, &token_name);
        let token = match tokens.as_slice() {
            [one] => *one,
            [] => return Err(Detail::AmplifyTokenMissing),
            _ => return Err(Detail::AmplifyDuplicateCookies),
        };
        if found.is_some() {
            return Err(Detail::AmplifyAmbiguous);
        }
        found = Some(AmplifyToken { token, client_id });
    }
    found.ok_or(Detail::AmplifyNoUser)
}

/// The values of every cookie whose percent-decoded name is `name` (Amplify percent-encodes
/// the user name inside cookie names), in header order.
fn values_named<'a>(jar: &'a CookieJar, name: &str) -> Vec<&'a str> {
    jar.pairs()
        .iter()
        .filter(|(n, _)| path::percent_decode_utf8(n).as_deref() == Some(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Verifies a JWT: with the issuer at `only` when given (the Amplify cookie: `[cognito]`),
/// else with the issuer [`token_issuer`] chooses. A cached token (same bytes, verified by an
/// allowed issuer) only has its expiry re-checked (that issuer's leeway allowed), before any
/// issuer is chosen.
///
/// # Errors
/// The [`VerifyError`] of the chosen issuer's checks (`Expired` for a cached token past its
/// window); `Malformed` when `cfg` has no such issuer (callers check first).
pub(super) fn verify_token<'a>(
    token: &str,
    cfg: &'a GateConfig,
    only: Option<IssuerIndex>,
    verifier: &dyn SignatureVerifier,
    now: UnixTime,
    mut cache: Option<&mut VerifiedCache>,
) -> Result<(IssuerIndex, &'a Issuer, TokenIdentity), VerifyError> {
    let no_issuer = VerifyError::Malformed("no issuer");
    if let Some(hit) = cache.as_mut().and_then(|c| c.token(token)) {
        if only.is_none_or(|o| o == hit.issuer) {
            let issuer = cfg.issuer(hit.issuer).ok_or(no_issuer)?;
            // Same bytes, already verified by this issuer: only the expiry can have changed.
            if hit
                .identity
                .expires_at()
                .saturating_add(issuer.leeway_secs())
                > now.as_secs()
            {
                return Ok((hit.issuer, issuer, hit.identity));
            }
            return Err(VerifyError::Expired);
        }
    }
    let (index, issuer) = match only {
        Some(index) => (index, cfg.issuer(index).ok_or(no_issuer)?),
        None => token_issuer(token, cfg).ok_or(no_issuer)?,
    };
    let identity = match &issuer.rules {
        IssuerRules::Cognito(c) => {
            TokenIdentity::Cognito(jwt::verify(token, &c.jwks, &c.validation, verifier, now)?)
        }
        IssuerRules::Oidc(o) => TokenIdentity::Oidc(jwt::verify_oidc(
            token,
            &o.jwks,
            &o.validation,
            verifier,
            now,
        )?),
    };
    if let Some(cache) = cache {
        cache.insert_token(
            token,
            VerifiedToken {
                issuer: index,
                identity: identity.clone(),
            },
            now.as_secs(),
        );
    }
    Ok((index, issuer, identity))
}

/// The issuer whose keys a refetch on `unknown_kid` should renew for `req`: the bearer
/// token's issuer ([`token_issuer`]), else the first (`[cognito]`, whose tokens also come in
/// Amplify cookies). `None` without any issuer.
pub fn refetch_issuer(req: &ViewerRequest, cfg: &GateConfig) -> Option<IssuerIndex> {
    let bearer = req.header_values("authorization").find_map(bearer_token);
    match bearer {
        Some(token) => token_issuer(token, cfg).map(|(index, _)| index),
        None => (!cfg.issuers().is_empty()).then_some(IssuerIndex(0)),
    }
}

/// The issuer that verifies a bearer token: with one issuer, that one; with several, the one
/// whose `iss` is exactly the token's (read unverified, only to choose: the issuer compares
/// `iss` again after the signature), else the first (`[cognito]` when present), which
/// refuses it `wrong_issuer` or sooner. `None` without any issuer.
pub(crate) fn token_issuer<'a>(
    token: &str,
    cfg: &'a GateConfig,
) -> Option<(IssuerIndex, &'a Issuer)> {
    let index = match cfg.issuers() {
        [] => return None,
        [_] => IssuerIndex(0),
        _ => jwt::unverified_issuer(token)
            .and_then(|iss| cfg.issuer_for(&iss))
            .unwrap_or(IssuerIndex(0)),
    };
    Some((index, cfg.issuer(index)?))
}

/// Verifies a signed URL or signed cookies against `url`, the viewer address and the trusted
/// keys; a cached credential has its policy's `Resource`, `IpAddress` and dates re-checked.
pub(super) fn verify_signed(
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

/// `Bearer <token>`: scheme case-insensitive (RFC 6750 §2.1 / RFC 9110 §11.1), one space,
/// a token of base64url and `.` characters only. Anything else (two spaces, trailing space,
/// comma lists, other schemes) is refused.
pub(super) fn bearer_token(value: &str) -> Option<&str> {
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
