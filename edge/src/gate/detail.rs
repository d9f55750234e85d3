//! The gate's detail vocabulary: why a request was refused (or redirected to sign-in), as one
//! enum. The detail goes to the log line and `edgegate explain` only, never to a viewer (the
//! response carries the coarse [`super::Reason`]); its strings are a stable interface, pinned
//! by the decision corpus (tests/corpus) and a test below.

use crate::path::PathError;
use edgegate_keys::VerifyError;

/// Why the gate refused a request or sent it to sign-in. [`Detail::as_str`] gives the snake_case
/// code of the log line and `explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// `Host` missing, repeated or not a host name (400).
    Host,
    /// The path is not canonical (400; design.md, "Canonical paths").
    Path(PathError),
    /// The query string has a character CloudFront would not pass unencoded (400).
    QueryBadCharacter,
    /// URI plus query over 8 KiB (400 `too_large`).
    UrlTooLarge,
    /// The `Cookie` headers together over 16 KiB (400 `too_large`).
    CookieTooLarge,
    /// A token over 16 KiB (400 `too_large`).
    TokenTooLarge,
    /// A signed URL's or cookie set's policy over 8 KiB (400 `too_large`).
    SignedTooLarge,
    /// More than one `Authorization` header entry (400).
    MultipleAuthorizationHeaders,
    /// A method other than GET or HEAD on a gated route (405).
    MethodNotAllowed,
    /// No route covers the path (403 `no_route`).
    NoRoute,
    /// No credential at all on a groups route (401, or a sign-in redirect).
    NoCredential,
    /// No signed URL or signed cookies on a signed-only route (403, as CloudFront).
    NoSignature,
    /// `Authorization` present but not `Bearer <token>` (RFC 6750 §2.1) (401).
    AuthorizationNotBearer,
    /// A bearer token on a route that admits only signed URLs or cookies (403).
    BearerNotAcceptedOnSignedRoute,
    /// A token, but no `[cognito]` section to verify it against (401).
    CognitoNotConfigured,
    /// A valid token whose `cognito:groups` has none of the route's groups (403; the route
    /// lists groups only).
    NotInGroup,
    /// A valid token that is not an access token with one of the route's scopes (403;
    /// `access = "scopes"`). An ID token always gets this: it carries no scopes.
    MissingScope,
    /// A valid token in none of the route's groups and not an access token with one of its
    /// scopes (403; `access = "groups"` listing both `groups` and `scopes`).
    NotInGroupOrScope,
    /// A valid token of an issuer the route does not list in `routes[N].issuers` (403).
    IssuerNotTrusted,
    /// A valid token of a trusted issuer without a claim value the route's
    /// `routes[N].claims` requires (403).
    ClaimMismatch,
    /// The viewer address (`clientIp`) is inside none of the route's `networks`, or is no
    /// address (403 `forbidden`; decided before any credential is examined).
    NetworkNotAllowed,
    /// Two `CloudFront-*` cookies of one name (403 `invalid_credential`).
    DuplicateCookies,
    /// The Amplify `LastAuthUser` cookie names no user with a token cookie.
    AmplifyNoUser,
    /// The Amplify user's ID token cookie is missing.
    AmplifyTokenMissing,
    /// An Amplify cookie name or value that does not percent-decode.
    AmplifyMalformed,
    /// Two Amplify cookies of one name.
    AmplifyDuplicateCookies,
    /// Amplify cookies for more than one user, none chosen by `LastAuthUser`.
    AmplifyAmbiguous,
    /// The Amplify token was issued to another app client than its cookie names.
    AmplifyClientMismatch,
    /// A sign-in just completed (loop marker cookie) and still no credential: a 403 page
    /// instead of another redirect.
    SignInLoop,
    /// An allowed request for a directory without its trailing slash, on a route with an
    /// index: a 302 to `<path>/` (reason `ok` or `public`).
    TrailingSlash,
    /// The verdict could not be encoded for the handler (503 `unavailable`, fail closed).
    Boundary,
    /// The viewer-request event did not have the shape CloudFront sends (503 `unavailable`).
    EventShape,
    /// The credential failed verification: the keys crate's code (`expired`,
    /// `bad_signature`, `unknown_kid`, ...; [`VerifyError::detail`]).
    Credential(VerifyError),
}

impl Detail {
    /// The snake_case code as it appears in the log line and `explain`.
    pub fn as_str(self) -> &'static str {
        match self {
            Detail::Host => "host",
            Detail::Path(e) => e.detail(),
            Detail::QueryBadCharacter => "query_bad_character",
            Detail::UrlTooLarge => "url_too_large",
            Detail::CookieTooLarge => "cookie_too_large",
            Detail::TokenTooLarge => "token_too_large",
            Detail::SignedTooLarge => "signed_too_large",
            Detail::MultipleAuthorizationHeaders => "multiple_authorization_headers",
            Detail::MethodNotAllowed => "method_not_allowed",
            Detail::NoRoute => "no_route",
            Detail::NoCredential => "no_credential",
            Detail::NoSignature => "no_signature",
            Detail::AuthorizationNotBearer => "authorization_not_bearer",
            Detail::BearerNotAcceptedOnSignedRoute => "bearer_not_accepted_on_signed_route",
            Detail::CognitoNotConfigured => "cognito_not_configured",
            Detail::NotInGroup => "not_in_group",
            Detail::IssuerNotTrusted => "issuer_not_trusted",
            Detail::ClaimMismatch => "claim_mismatch",
            Detail::MissingScope => "missing_scope",
            Detail::NotInGroupOrScope => "not_in_group_or_scope",
            Detail::NetworkNotAllowed => "network_not_allowed",
            Detail::DuplicateCookies => "duplicate_cookies",
            Detail::AmplifyNoUser => "amplify_no_user",
            Detail::AmplifyTokenMissing => "amplify_token_missing",
            Detail::AmplifyMalformed => "amplify_malformed",
            Detail::AmplifyDuplicateCookies => "amplify_duplicate_cookies",
            Detail::AmplifyAmbiguous => "amplify_ambiguous",
            Detail::AmplifyClientMismatch => "amplify_client_mismatch",
            Detail::SignInLoop => "sign_in_loop",
            Detail::TrailingSlash => "trailing_slash",
            Detail::Boundary => "boundary",
            Detail::EventShape => "event_shape",
            Detail::Credential(e) => e.detail(),
        }
    }
}

impl core::fmt::Display for Detail {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Detail {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Detail {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every gate-owned detail, with the code the log line and the corpus use.
    const OWN: &[(Detail, &str)] = &[
        (Detail::Host, "host"),
        (Detail::QueryBadCharacter, "query_bad_character"),
        (Detail::UrlTooLarge, "url_too_large"),
        (Detail::CookieTooLarge, "cookie_too_large"),
        (Detail::TokenTooLarge, "token_too_large"),
        (Detail::SignedTooLarge, "signed_too_large"),
        (
            Detail::MultipleAuthorizationHeaders,
            "multiple_authorization_headers",
        ),
        (Detail::MethodNotAllowed, "method_not_allowed"),
        (Detail::NoRoute, "no_route"),
        (Detail::NoCredential, "no_credential"),
        (Detail::NoSignature, "no_signature"),
        (Detail::AuthorizationNotBearer, "authorization_not_bearer"),
        (
            Detail::BearerNotAcceptedOnSignedRoute,
            "bearer_not_accepted_on_signed_route",
        ),
        (Detail::CognitoNotConfigured, "cognito_not_configured"),
        (Detail::NotInGroup, "not_in_group"),
        (Detail::IssuerNotTrusted, "issuer_not_trusted"),
        (Detail::ClaimMismatch, "claim_mismatch"),
        (Detail::MissingScope, "missing_scope"),
        (Detail::NotInGroupOrScope, "not_in_group_or_scope"),
        (Detail::NetworkNotAllowed, "network_not_allowed"),
        (Detail::DuplicateCookies, "duplicate_cookies"),
        (Detail::AmplifyNoUser, "amplify_no_user"),
        (Detail::AmplifyTokenMissing, "amplify_token_missing"),
        (Detail::AmplifyMalformed, "amplify_malformed"),
        (Detail::AmplifyDuplicateCookies, "amplify_duplicate_cookies"),
        (Detail::AmplifyAmbiguous, "amplify_ambiguous"),
        (Detail::AmplifyClientMismatch, "amplify_client_mismatch"),
        (Detail::SignInLoop, "sign_in_loop"),
        (Detail::Boundary, "boundary"),
        (Detail::EventShape, "event_shape"),
    ];

    #[test]
    fn every_detail_has_its_pinned_code_ok() {
        for (detail, code) in OWN {
            assert_eq!(detail.as_str(), *code);
            assert_eq!(detail, code);
            assert_eq!(detail.to_string(), *code);
        }
        assert_eq!(Detail::Path(PathError::DotSegment), "path_dot_segment");
        assert_eq!(Detail::Credential(VerifyError::Expired), "expired");
    }

    #[test]
    fn gate_codes_are_unique_and_distinct_from_credential_and_path_codes_ok() {
        let mut seen = std::collections::BTreeSet::new();
        for (_, code) in OWN {
            assert!(seen.insert(*code), "{code} twice");
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code}"
            );
        }
        let credential = [
            VerifyError::TooLarge,
            VerifyError::Malformed("x"),
            VerifyError::UnsupportedAlgorithm,
            VerifyError::UnknownKid,
            VerifyError::UnknownKeyPairId,
            VerifyError::BadSignature,
            VerifyError::Expired,
            VerifyError::NotYetValid,
            VerifyError::IssuedInFuture,
            VerifyError::WrongIssuer,
            VerifyError::WrongAudience,
            VerifyError::WrongTokenUse,
            VerifyError::WrongClaimType("x"),
            VerifyError::ResourceMismatch,
            VerifyError::IpMismatch,
        ];
        for e in credential {
            assert!(
                !seen.contains(e.detail()),
                "{} is also a gate code",
                e.detail()
            );
        }
    }
}
