//! The crate's two error types: terse verification failures and descriptive loading failures.

use core::fmt;

/// Why a credential was refused.
///
/// Carries no attacker-controlled text: the variant is the whole story, and
/// [`VerifyError::detail`] gives the stable snake_case code used in logs and `edgegate explain`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyError {
    // --- input ---
    /// The credential is larger than its cap.
    TooLarge,
    /// The credential does not have the required shape; the string names which part.
    Malformed(&'static str),
    // --- keys and algorithms ---
    /// The algorithm is not allowed (e.g. `alg` other than RS256, ECDSA with SHA-1).
    UnsupportedAlgorithm,
    /// The JWT `kid` is not in the JWKS.
    UnknownKid,
    /// The `Key-Pair-Id` is not among the trusted CloudFront public keys.
    UnknownKeyPairId,
    /// The signature does not verify.
    BadSignature,
    // --- time ---
    /// `exp` / `DateLessThan` / `Expires` has passed.
    Expired,
    /// `nbf` / `DateGreaterThan` is in the future.
    NotYetValid,
    /// `iat` is in the future beyond the leeway.
    IssuedInFuture,
    // --- claims and policy conditions ---
    /// `iss` is not the configured issuer.
    WrongIssuer,
    /// `aud` / `client_id` is not an accepted app client id.
    WrongAudience,
    /// `token_use` is not accepted here.
    WrongTokenUse,
    /// A claim has the wrong JSON type; the string names the claim.
    WrongClaimType(&'static str),
    /// The policy `Resource` does not match the requested URL.
    ResourceMismatch,
    /// The viewer address is outside the policy's `IpAddress`.
    IpMismatch,
}

impl VerifyError {
    /// A stable snake_case code for logs and `edgegate explain` (never sent to viewers).
    pub fn detail(&self) -> &'static str {
        match self {
            VerifyError::TooLarge => "too_large",
            VerifyError::Malformed(_) => "malformed",
            VerifyError::UnsupportedAlgorithm => "unsupported_algorithm",
            VerifyError::UnknownKid => "unknown_kid",
            VerifyError::UnknownKeyPairId => "unknown_key_pair_id",
            VerifyError::BadSignature => "bad_signature",
            VerifyError::Expired => "expired",
            VerifyError::NotYetValid => "not_yet_valid",
            VerifyError::IssuedInFuture => "issued_in_future",
            VerifyError::WrongIssuer => "wrong_issuer",
            VerifyError::WrongAudience => "wrong_audience",
            VerifyError::WrongTokenUse => "wrong_token_use",
            VerifyError::WrongClaimType(_) => "wrong_claim_type",
            VerifyError::ResourceMismatch => "resource_mismatch",
            VerifyError::IpMismatch => "ip_mismatch",
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Malformed(what) => write!(f, "malformed: {what}"),
            VerifyError::WrongClaimType(what) => write!(f, "wrong_claim_type: {what}"),
            other => f.write_str(other.detail()),
        }
    }
}

impl std::error::Error for VerifyError {}

/// Why key material or a key set could not be loaded.
///
/// `field` names where the problem is (e.g. `keys[1].e`), `reason` says what is wrong. Neither
/// contains key bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyError {
    /// The field or element at fault, e.g. `keys[0].n` or `public_key`.
    pub field: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl KeyError {
    pub(crate) fn new(field: impl Into<String>, reason: &'static str) -> Self {
        KeyError {
            field: field.into(),
            reason,
        }
    }

    /// The same error, with `prefix.` put in front of the field name.
    pub fn within(self, prefix: &str) -> Self {
        let field = if self.field.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}.{}", self.field)
        };
        KeyError {
            field,
            reason: self.reason,
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(self.reason)
        } else {
            write!(f, "{}: {}", self.field, self.reason)
        }
    }
}

impl std::error::Error for KeyError {}
