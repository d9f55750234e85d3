//! Credential verification: the bearer token's shape, the Amplify token cookie, and JWT and
//! CloudFront signed URL / cookie verification through the optional [`VerifiedCache`].

use super::detail::Detail;
use super::forward::AMPLIFY_COOKIE_PREFIX;
use crate::cache::{signed_key, VerifiedCache};
use crate::config::{CognitoConfig, GateConfig};
use crate::cookies::CookieJar;
use crate::event::ViewerRequest;
use crate::path;
use edgegate_keys::jwt::{self, CognitoIdentity};
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

/// Verifies a Cognito JWT against the user pool's JWKS and validation rules; a cached
/// token (same bytes) only has its expiry re-checked (`leeway_secs` allowed).
pub(super) fn verify_token(
    token: &str,
    cognito: &CognitoConfig,
    verifier: &dyn SignatureVerifier,
    now: UnixTime,
    cache: Option<&mut VerifiedCache>,
) -> Result<Verified<CognitoIdentity>, VerifyError> {
    let Some(cache) = cache else {
        return jwt::verify(token, &cognito.jwks, &cognito.validation, verifier, now);
    };
    if let Some(hit) = cache.token(token) {
        // Same bytes, already verified: only the expiry can have changed.
        if hit
            .expires_at
            .saturating_add(cognito.validation.leeway_secs)
            > now.as_secs()
        {
            return Ok(hit);
        }
        return Err(VerifyError::Expired);
    }
    let verified = jwt::verify(token, &cognito.jwks, &cognito.validation, verifier, now)?;
    cache.insert_token(token, verified.clone(), now.as_secs());
    Ok(verified)
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
