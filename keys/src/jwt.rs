//! JWT verification (RS256 only): Cognito user pool tokens ([`verify`]) and the tokens of a
//! generic OpenID Connect issuer ([`verify_oidc`]).
//!
//! Follows the Cognito Developer Guide, "Verifying a JSON Web Token", hardened per RFC 8725:
//!
//! 1. size cap ([`crate::limits::MAX_TOKEN_BYTES`]) before any decoding;
//! 2. exactly three non-empty segments of strict base64url (RFC 7515 §2, no padding);
//! 3. header: a JSON object whose members are only `alg`, `kid` and `typ`; `alg` is exactly
//!    `RS256`, checked before any crypto (RFC 8725 §3.1); `crit`, `jku`, `x5u`, `jwk`, `x5c`,
//!    `cty`, `b64`, `enc`, `zip` or any other member refuses the token (RFC 7515 §4.1.11);
//! 4. `kid` found by exact match in the baked JWKS, else [`VerifyError::UnknownKid`];
//! 5. RSASSA-PKCS1-v1_5 SHA-256 signature over `header.payload` through [`SignatureVerifier`];
//! 6. claims, with strict JSON types (a string `exp` is refused, not ignored) and duplicate
//!    member names refused (RFC 7519 §4): `iss` equal to the configured issuer byte for byte;
//!    `token_use` in the accepted set; `aud` (ID token) or `client_id` (access token) an
//!    accepted app client id; `exp` required, `nbf` and `iat` checked when present, all with the
//!    configured leeway.
//!
//! Boundaries (pinned by tests): the token is expired when `exp + leeway <= now`; not yet valid
//! when `nbf > now + leeway`; issued in the future when `iat > now + leeway`.

use crate::cf_base64::decode_b64url;
use crate::jwks::{Jwks, MAX_KID_BYTES};
use crate::key::{SignatureAlgorithm, SignatureVerifier};
use crate::limits::MAX_TOKEN_BYTES;
use crate::{json, UnixTime, Verified, VerifyError};
use serde_json::{Map, Value};

/// Which kind of Cognito token (`token_use` claim).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenUse {
    /// An ID token (`token_use: "id"`): the audience is in `aud`.
    Id,
    /// An access token (`token_use: "access"`): the audience is in `client_id`.
    Access,
}

impl TokenUse {
    /// `"id"` or `"access"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenUse::Id => "id",
            TokenUse::Access => "access",
        }
    }
}

/// Cognito issuer URL formats (user pool `IssuerConfiguration`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssuerFormat {
    /// `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`.
    Original,
    /// `https://issuer-cognito-idp.<region>.amazonaws.com/<userPoolId>` (recommended by AWS;
    /// required for multi-Region replication; region = the pool's primary region).
    Updated,
}

/// The issuer string a pool's tokens carry in `iss`.
pub fn cognito_issuer(format: IssuerFormat, region: &str, user_pool_id: &str) -> String {
    match format {
        IssuerFormat::Original => {
            format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}")
        }
        IssuerFormat::Updated => {
            format!("https://issuer-cognito-idp.{region}.amazonaws.com/{user_pool_id}")
        }
    }
}

/// What a token must satisfy. Deliberately has no `Default`: the caller picks every field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtValidation {
    /// The exact `iss` value (see [`cognito_issuer`]). Compared byte for byte: no trailing-slash
    /// or case folding.
    pub issuer: String,
    /// Accepted app client ids: an ID token's `aud` or an access token's `client_id` must be one.
    pub client_ids: Vec<String>,
    /// Accepted `token_use` values.
    pub token_uses: Vec<TokenUse>,
    /// Clock-skew allowance in seconds for `exp`, `nbf` and `iat` (RFC 7519 §4.1.4 "small
    /// leeway"). 0 is the strictest; configs cap it at 300.
    pub leeway_secs: u64,
    /// Names of claims to keep in [`CognitoIdentity::claims`] when their value is a JSON
    /// string (the claim names a route's `claims` rule compares; empty: none kept).
    pub claims: Vec<String>,
}

/// What a verified Cognito token says about its holder.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CognitoIdentity {
    /// `sub`: the user's stable id.
    pub sub: String,
    /// `cognito:username` (ID token) or `username` (access token), when present.
    pub username: Option<String>,
    /// `token_use`.
    pub token_use: TokenUse,
    /// The app client id (`aud` of an ID token, `client_id` of an access token).
    pub client_id: String,
    /// `cognito:groups` (a lone string counts as one group).
    pub groups: Vec<String>,
    /// `scope` split on spaces (access tokens).
    pub scopes: Vec<String>,
    /// `exp`, seconds since the epoch.
    pub expires_at: u64,
    /// The `kid` that signed it.
    pub kid: String,
    /// The OIDC `nonce` claim of an ID token, when present (OIDC Core §3.1.3.7 step 11).
    pub nonce: Option<String>,
    /// The string-valued claims named in [`JwtValidation::claims`], in that order, as
    /// `(name, value)`; a claim that is absent or not a JSON string is left out.
    pub claims: Vec<(String, String)>,
}

/// What a token of a generic OpenID Connect issuer must satisfy (a CI system's workload
/// identity token, for example). Deliberately has no `Default`: the caller picks every field.
///
/// Rules (RFC 7519 §4.1, RFC 8725 §3.8–3.10, OpenID Connect Core 1.0 §2): `iss` equal to
/// [`OidcValidation::issuer`] byte for byte; `aud` a string or an array of strings holding at
/// least one of `audiences`; `sub`, `exp` and `iat` required; `nbf` checked when present; all
/// times with the leeway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcValidation {
    /// The exact `iss` value, an `https://` URL (e.g. `https://token.actions.githubusercontent.com`).
    pub issuer: String,
    /// Accepted audiences (non-empty).
    pub audiences: Vec<String>,
    /// Clock-skew allowance in seconds for `exp`, `nbf` and `iat`; configs cap it at 300.
    pub leeway_secs: u64,
    /// Names of claims to keep in [`OidcIdentity::claims`] (as [`JwtValidation::claims`]).
    pub claims: Vec<String>,
}

/// What a verified OIDC token says about its holder.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OidcIdentity {
    /// `sub` (for a GitHub Actions token, `repo:<owner>/<repo>:ref:<ref>` and similar).
    pub sub: String,
    /// The accepted audience the token named.
    pub audience: String,
    /// `exp`, seconds since the epoch.
    pub expires_at: u64,
    /// The `kid` that signed it.
    pub kid: String,
    /// The string-valued claims named in [`OidcValidation::claims`] (see
    /// [`CognitoIdentity::claims`]).
    pub claims: Vec<(String, String)>,
}

/// The `iss` claim of a compact JWS, read **without verifying anything**: only to choose
/// which configured issuer's keys and rules verify the token (the chosen issuer then
/// compares `iss` again, byte for byte, after the signature). `None` for anything that is
/// not three base64url segments with a JSON object payload holding a string `iss`.
pub fn unverified_issuer(token: &str) -> Option<String> {
    if token.len() > MAX_TOKEN_BYTES {
        return None;
    }
    let mut parts = token.split('.').skip(1);
    let p64 = parts.next()?;
    let payload = decode_b64url(p64).ok()?;
    match json::parse_object(&payload).ok()?.get("iss") {
        Some(Value::String(iss)) => Some(iss.clone()),
        _ => None,
    }
}

/// Verifies a Cognito JWT.
///
/// `token` is the compact JWS (e.g. after `Bearer `). `now` is the current time.
///
/// # Errors
/// A [`VerifyError`]: `TooLarge`, `Malformed`, `UnsupportedAlgorithm`, `UnknownKid`,
/// `BadSignature`, `Expired`, `NotYetValid`, `IssuedInFuture`, `WrongIssuer`, `WrongAudience`,
/// `WrongTokenUse` or `WrongClaimType`.
pub fn verify(
    token: &str,
    jwks: &Jwks,
    validation: &JwtValidation,
    verifier: &dyn SignatureVerifier,
    now: UnixTime,
) -> Result<Verified<CognitoIdentity>, VerifyError> {
    let (claims, kid) = signed_claims(token, jwks, verifier, HeaderRule::Cognito)?;
    let identity = check_claims(&claims, validation, now, &kid)?;
    Ok(Verified::new(identity))
}

/// Verifies the token of a generic OIDC issuer (see [`OidcValidation`] for the claim rules).
///
/// Steps 1–5 are those of [`verify`], except that the header may also carry `x5t` (RFC 7515
/// §4.1.7, as GitHub Actions tokens do): exactly a base64url SHA-1 thumbprint of 20 bytes,
/// otherwise ignored (the key is still chosen by `kid` alone).
///
/// # Errors
/// A [`VerifyError`]: `TooLarge`, `Malformed`, `UnsupportedAlgorithm`, `UnknownKid`,
/// `BadSignature`, `Expired`, `NotYetValid`, `IssuedInFuture`, `WrongIssuer`, `WrongAudience`
/// or `WrongClaimType`.
pub fn verify_oidc(
    token: &str,
    jwks: &Jwks,
    validation: &OidcValidation,
    verifier: &dyn SignatureVerifier,
    now: UnixTime,
) -> Result<Verified<OidcIdentity>, VerifyError> {
    let (claims, kid) = signed_claims(token, jwks, verifier, HeaderRule::Oidc)?;
    let exp = opt_time(&claims, "exp")?.ok_or(VerifyError::WrongClaimType("exp"))?;
    let iat = opt_time(&claims, "iat")?.ok_or(VerifyError::WrongClaimType("iat"))?;
    let nbf = opt_time(&claims, "nbf")?;
    let iss = opt_string(&claims, "iss")?;
    let sub = opt_string(&claims, "sub")?
        .filter(|s| !s.is_empty())
        .ok_or(VerifyError::WrongClaimType("sub"))?;
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(list)) => list
            .iter()
            .map(Value::as_str)
            .collect::<Option<Vec<_>>>()
            .ok_or(VerifyError::WrongClaimType("aud"))?,
        _ => return Err(VerifyError::WrongClaimType("aud")),
    };
    check_times(exp, nbf, Some(iat), validation.leeway_secs, now)?;
    if iss != Some(validation.issuer.as_str()) {
        return Err(VerifyError::WrongIssuer);
    }
    let audience = audiences
        .into_iter()
        .find(|a| validation.audiences.iter().any(|want| want == a))
        .ok_or(VerifyError::WrongAudience)?;
    Ok(Verified::new(OidcIdentity {
        sub: sub.to_string(),
        audience: audience.to_string(),
        expires_at: exp,
        kid,
        claims: kept_claims(&claims, &validation.claims),
    }))
}

/// Which header members a token may carry besides `alg`, `kid` and `typ`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HeaderRule {
    /// Cognito: none.
    Cognito,
    /// A generic OIDC issuer: also `x5t`.
    Oidc,
}

/// Steps 1–5: shape, header, key, signature; then the payload as a strict JSON object.
/// Returns the claims and the `kid`.
fn signed_claims(
    token: &str,
    jwks: &Jwks,
    verifier: &dyn SignatureVerifier,
    rule: HeaderRule,
) -> Result<(Map<String, Value>, String), VerifyError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(VerifyError::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed("token must have three segments"));
    };
    if h64.is_empty() || p64.is_empty() || s64.is_empty() {
        return Err(VerifyError::Malformed("empty segment"));
    }
    let header = decode_b64url(h64).map_err(|_| VerifyError::Malformed("header encoding"))?;
    let header = json::parse_object(&header).map_err(|_| VerifyError::Malformed("header json"))?;
    let kid = check_header(&header, rule)?;
    let key = jwks.get(kid).ok_or(VerifyError::UnknownKid)?;
    let signature = decode_b64url(s64).map_err(|_| VerifyError::Malformed("signature encoding"))?;
    let signing_input_len = h64.len() + 1 + p64.len();
    let signing_input = token
        .as_bytes()
        .get(..signing_input_len)
        .ok_or(VerifyError::Malformed("token"))?;
    verifier
        .verify(
            SignatureAlgorithm::RsaPkcs1Sha256,
            key,
            signing_input,
            &signature,
        )
        .map_err(|_| VerifyError::BadSignature)?;
    let payload = decode_b64url(p64).map_err(|_| VerifyError::Malformed("payload encoding"))?;
    let claims =
        json::parse_object(&payload).map_err(|_| VerifyError::Malformed("payload json"))?;
    Ok((claims, kid.to_string()))
}

/// The claims of `names` whose value is a JSON string, in the order of `names`.
fn kept_claims(claims: &Map<String, Value>, names: &[String]) -> Vec<(String, String)> {
    names
        .iter()
        .filter_map(|name| match claims.get(name) {
            Some(Value::String(v)) => Some((name.clone(), v.clone())),
            _ => None,
        })
        .collect()
}

/// The time rules shared by both token kinds (see the module docs for the boundaries).
fn check_times(
    exp: u64,
    nbf: Option<u64>,
    iat: Option<u64>,
    leeway: u64,
    now: UnixTime,
) -> Result<(), VerifyError> {
    let now = now.as_secs();
    if exp.saturating_add(leeway) <= now {
        return Err(VerifyError::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
        return Err(VerifyError::NotYetValid);
    }
    if iat.is_some_and(|iat| iat > now.saturating_add(leeway)) {
        return Err(VerifyError::IssuedInFuture);
    }
    Ok(())
}

fn check_header(header: &Map<String, Value>, rule: HeaderRule) -> Result<&str, VerifyError> {
    // The allow-list comes first, before anything else is trusted.
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "RS256" => {}
        _ => return Err(VerifyError::UnsupportedAlgorithm),
    }
    for name in header.keys() {
        if name == "x5t" && rule == HeaderRule::Oidc {
            // RFC 7515 §4.1.7: base64url of a SHA-1 digest (20 bytes), nothing else.
            match header.get("x5t") {
                Some(Value::String(t)) if decode_b64url(t).is_ok_and(|d| d.len() == 20) => {}
                _ => return Err(VerifyError::Malformed("x5t")),
            }
            continue;
        }
        if !matches!(name.as_str(), "alg" | "kid" | "typ") {
            // crit, jku, x5u, jwk, x5c, cty, b64, enc, zip, ...
            return Err(VerifyError::Malformed("unexpected header member"));
        }
    }
    if let Some(typ) = header.get("typ") {
        if typ.as_str() != Some("JWT") {
            return Err(VerifyError::Malformed("typ"));
        }
    }
    match header.get("kid") {
        Some(Value::String(kid)) if !kid.is_empty() && kid.len() <= MAX_KID_BYTES => Ok(kid),
        _ => Err(VerifyError::Malformed("kid")),
    }
}

fn opt_string<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, VerifyError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(VerifyError::WrongClaimType(name)),
    }
}

fn opt_time(claims: &Map<String, Value>, name: &'static str) -> Result<Option<u64>, VerifyError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => json::as_epoch_seconds(v)
            .map(Some)
            .ok_or(VerifyError::WrongClaimType(name)),
    }
}

fn check_claims(
    claims: &Map<String, Value>,
    v: &JwtValidation,
    now: UnixTime,
    kid: &str,
) -> Result<CognitoIdentity, VerifyError> {
    // Types first, so a wrongly typed claim can never pass as "absent".
    let exp = opt_time(claims, "exp")?.ok_or(VerifyError::WrongClaimType("exp"))?;
    let nbf = opt_time(claims, "nbf")?;
    let iat = opt_time(claims, "iat")?;
    let iss = opt_string(claims, "iss")?;
    let token_use = opt_string(claims, "token_use")?;
    let aud = opt_string(claims, "aud")?;
    let client_id = opt_string(claims, "client_id")?;
    let sub = opt_string(claims, "sub")?.ok_or(VerifyError::WrongClaimType("sub"))?;
    let groups = match claims.get("cognito:groups") {
        None => Vec::new(),
        Some(Value::String(g)) => vec![g.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .map(|g| g.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or(VerifyError::WrongClaimType("cognito:groups"))?,
        Some(_) => return Err(VerifyError::WrongClaimType("cognito:groups")),
    };
    let scopes = opt_string(claims, "scope")?
        .map(|s| {
            s.split(' ')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();

    check_times(exp, nbf, iat, v.leeway_secs, now)?;
    if iss != Some(v.issuer.as_str()) {
        return Err(VerifyError::WrongIssuer);
    }
    let token_use = match token_use {
        Some("id") => TokenUse::Id,
        Some("access") => TokenUse::Access,
        _ => return Err(VerifyError::WrongTokenUse),
    };
    if !v.token_uses.contains(&token_use) {
        return Err(VerifyError::WrongTokenUse);
    }
    // RFC 8725 §3.12: the two token kinds carry their audience in different claims.
    let audience = match token_use {
        TokenUse::Id => aud,
        TokenUse::Access => client_id,
    };
    let audience = match audience {
        Some(a) if v.client_ids.iter().any(|c| c == a) => a,
        _ => return Err(VerifyError::WrongAudience),
    };
    let username = match token_use {
        TokenUse::Id => opt_string(claims, "cognito:username")?,
        TokenUse::Access => opt_string(claims, "username")?,
    };
    Ok(CognitoIdentity {
        sub: sub.to_string(),
        username: username.map(str::to_string),
        token_use,
        client_id: audience.to_string(),
        groups,
        scopes,
        expires_at: exp,
        kid: kid.to_string(),
        nonce: opt_string(claims, "nonce")?.map(str::to_string),
        claims: kept_claims(claims, &v.claims),
    })
}
