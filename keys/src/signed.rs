//! CloudFront signed URLs and signed cookies: extraction of the signing parameters and
//! verification exactly as CloudFront does it with a trusted key group.
//!
//! Sources: AWS CloudFront Developer Guide, "Use signed URLs" ("CloudFront assumes that URLs
//! that contain any of those query string parameters are signed URLs"), "Create a signed URL
//! using a canned/custom policy", "Set signed cookies using a canned/custom policy", and
//! "Create signatures ... SHA-256" (`Hash-Algorithm=SHA256`).
//!
//! - Query parameters `Expires`, `Policy`, `Signature`, `Key-Pair-Id` and `Hash-Algorithm` are
//!   reserved; cookie names are the same with a `CloudFront-` prefix (case-sensitive). Order is
//!   irrelevant; a duplicate, both `Expires` and `Policy`, or a missing `Signature` or
//!   `Key-Pair-Id` is malformed. Values are used raw (no percent-decoding).
//! - The resource a signed URL is checked against is the request URL with the reserved
//!   parameters removed (the rest of the query kept in the order sent); a parameter added after
//!   signing therefore changes the resource and the verdict.
//! - RSA keys sign with SHA-1 by default, SHA-256 when `Hash-Algorithm=SHA256`. ECDSA P-256 keys
//!   are accepted only with SHA-256 (ECDSA with SHA-1 is undocumented and refused).
//! - No leeway: `Expires`/`DateLessThan` is exclusive, `DateGreaterThan` inclusive, as
//!   CloudFront checks them at request time.

use crate::cf_base64;
use crate::key::{KeyType, PublicKey, SignatureAlgorithm, SignatureVerifier};
use crate::limits::{MAX_POLICY_BYTES, MAX_SIGNATURE_BYTES};
use crate::policy::{canned_policy, resource_matches, CustomPolicy};
use crate::{KeyError, UnixTime, Verified, VerifyError};
use std::net::Ipv4Addr;

/// The reserved signed-URL query parameter names.
pub const RESERVED_QUERY_PARAMS: [&str; 5] = [
    "Expires",
    "Policy",
    "Signature",
    "Key-Pair-Id",
    "Hash-Algorithm",
];

/// The signed-cookie names.
pub const COOKIE_NAMES: [&str; 5] = [
    "CloudFront-Expires",
    "CloudFront-Policy",
    "CloudFront-Signature",
    "CloudFront-Key-Pair-Id",
    "CloudFront-Hash-Algorithm",
];

/// Largest `Expires` value CloudFront accepts (2038-01-19T03:14:07Z).
pub const MAX_EXPIRES: u64 = 2_147_483_647;

/// A CloudFront key pair id: the id of a public key in a trusted key group (`K2JCJMDEHXQW5F`)
/// or a legacy key pair (`APKA...`). 1–64 characters of `A-Z0-9`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPairId(String);

impl KeyPairId {
    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl core::str::FromStr for KeyPairId {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        if s.is_empty()
            || s.len() > 64
            || !s
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(KeyError::new(
                "key_pair_id",
                "must be 1 to 64 characters of A-Z and 0-9",
            ));
        }
        Ok(KeyPairId(s.to_string()))
    }
}

impl core::fmt::Display for KeyPairId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A public key trusted for signed URLs and cookies, with its key pair id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    /// The key pair id viewers send in `Key-Pair-Id`.
    pub key_pair_id: KeyPairId,
    /// The public key (RSA-2048 or ECDSA P-256 in practice).
    pub public_key: PublicKey,
}

/// The trusted key group: key pair ids must be unique.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedKeys {
    keys: Vec<TrustedKey>,
}

impl TrustedKeys {
    /// Builds the set.
    ///
    /// # Errors
    /// [`KeyError`] on a duplicate key pair id.
    pub fn new(keys: Vec<TrustedKey>) -> Result<Self, KeyError> {
        for (i, k) in keys.iter().enumerate() {
            if keys.iter().take(i).any(|o| o.key_pair_id == k.key_pair_id) {
                return Err(KeyError::new(
                    format!("keys[{i}].key_pair_id"),
                    "duplicate key pair id",
                ));
            }
        }
        Ok(TrustedKeys { keys })
    }

    /// The key with this id.
    pub fn get(&self, id: &str) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| k.key_pair_id.as_str() == id)
    }

    /// All keys.
    pub fn iter(&self) -> impl Iterator<Item = &TrustedKey> {
        self.keys.iter()
    }

    /// Whether there are no trusted keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The hash the signature uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlgorithm {
    /// SHA-1: CloudFront's default when `Hash-Algorithm` is absent (RSA keys only).
    Sha1,
    /// SHA-256: `Hash-Algorithm=SHA256`.
    Sha256,
}

impl HashAlgorithm {
    /// The signature algorithm for this hash and key type.
    ///
    /// # Errors
    /// [`VerifyError::UnsupportedAlgorithm`] for ECDSA with SHA-1.
    pub fn signature_algorithm(self, key_type: KeyType) -> Result<SignatureAlgorithm, VerifyError> {
        match (key_type, self) {
            (KeyType::Rsa, HashAlgorithm::Sha1) => Ok(SignatureAlgorithm::RsaPkcs1Sha1),
            (KeyType::Rsa, HashAlgorithm::Sha256) => Ok(SignatureAlgorithm::RsaPkcs1Sha256),
            (KeyType::EcP256, HashAlgorithm::Sha256) => Ok(SignatureAlgorithm::EcdsaP256Sha256),
            (KeyType::EcP256, HashAlgorithm::Sha1) => Err(VerifyError::UnsupportedAlgorithm),
        }
    }
}

/// The policy form a credential carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyForm {
    /// Canned: `Expires` (seconds since the epoch); the policy is rebuilt from the request.
    Canned {
        /// `Expires`.
        expires: u64,
    },
    /// Custom: the policy as sent, in CloudFront base64.
    Custom {
        /// `Policy`, still encoded.
        encoded: String,
    },
}

/// Where a signed credential came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialSource {
    /// Signed URL query parameters.
    Url,
    /// `CloudFront-*` cookies.
    Cookie,
}

/// Signing parameters extracted from a URL or cookies, not yet verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCredential {
    /// Canned or custom.
    pub policy: PolicyForm,
    /// `Signature`, CloudFront base64.
    pub signature: String,
    /// `Key-Pair-Id`, raw.
    pub key_pair_id: String,
    /// From `Hash-Algorithm` (absent: SHA-1).
    pub hash: HashAlgorithm,
    /// URL or cookie.
    pub source: CredentialSource,
}

impl SignedCredential {
    /// Builds a credential from `(name, value)` pairs whose names are the bare parameter names
    /// (`Expires`, `Policy`, `Signature`, `Key-Pair-Id`, `Hash-Algorithm`); for cookies, strip
    /// the `CloudFront-` prefix first. Other names are ignored.
    ///
    /// # Errors
    /// [`VerifyError::Malformed`] for a duplicate name, both or neither of `Expires`/`Policy`, a
    /// missing `Signature`/`Key-Pair-Id`, a bad `Expires` or `Hash-Algorithm`;
    /// [`VerifyError::TooLarge`] for an oversized `Policy` or `Signature`.
    pub fn from_params(
        params: &[(&str, &str)],
        source: CredentialSource,
    ) -> Result<Self, VerifyError> {
        let mut found: [Option<&str>; 5] = [None; 5];
        for (name, value) in params {
            if let Some(i) = RESERVED_QUERY_PARAMS.iter().position(|r| r == name) {
                let slot = found
                    .get_mut(i)
                    .ok_or(VerifyError::Malformed("parameter"))?;
                if slot.is_some() {
                    return Err(VerifyError::Malformed("duplicate signing parameter"));
                }
                *slot = Some(value);
            }
        }
        let [expires, policy, signature, key_pair_id, hash] = found;
        let policy = match (expires, policy) {
            (Some(_), Some(_)) => return Err(VerifyError::Malformed("both Expires and Policy")),
            (None, None) => return Err(VerifyError::Malformed("neither Expires nor Policy")),
            (Some(e), None) => PolicyForm::Canned {
                expires: parse_expires(e)?,
            },
            (None, Some(p)) => {
                if p.len() > MAX_POLICY_BYTES {
                    return Err(VerifyError::TooLarge);
                }
                PolicyForm::Custom {
                    encoded: p.to_string(),
                }
            }
        };
        let signature = signature.ok_or(VerifyError::Malformed("Signature missing"))?;
        if signature.len() > MAX_SIGNATURE_BYTES {
            return Err(VerifyError::TooLarge);
        }
        let key_pair_id = key_pair_id.ok_or(VerifyError::Malformed("Key-Pair-Id missing"))?;
        let hash = match hash {
            None => HashAlgorithm::Sha1,
            Some("SHA256") => HashAlgorithm::Sha256,
            Some(_) => return Err(VerifyError::Malformed("Hash-Algorithm")),
        };
        Ok(SignedCredential {
            policy,
            signature: signature.to_string(),
            key_pair_id: key_pair_id.to_string(),
            hash,
            source,
        })
    }
}

fn parse_expires(text: &str) -> Result<u64, VerifyError> {
    let canonical = !text.is_empty()
        && text.len() <= 10
        && text.bytes().all(|b| b.is_ascii_digit())
        && !(text.len() > 1 && text.starts_with('0'));
    if !canonical {
        return Err(VerifyError::Malformed("Expires"));
    }
    match text.parse::<u64>() {
        Ok(v) if v <= MAX_EXPIRES => Ok(v),
        _ => Err(VerifyError::Malformed("Expires")),
    }
}

/// A raw query string split into the reserved signing parameters and the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitQuery<'a> {
    /// The reserved `(name, value)` pairs, in order (value empty when there was no `=`).
    pub reserved: Vec<(&'a str, &'a str)>,
    /// The other parameters joined with `&` in their original order; `None` when nothing is left
    /// (the resource then has no `?`). A URL signed as `.../a?` keeps an empty `Some("")`.
    pub rest: Option<String>,
}

/// Splits a raw query string (without `?`) on `&` and separates the reserved parameters.
pub fn split_query(query: &str) -> SplitQuery<'_> {
    if query.is_empty() {
        return SplitQuery {
            reserved: Vec::new(),
            rest: None,
        };
    }
    let mut reserved = Vec::new();
    let mut rest: Vec<&str> = Vec::new();
    for segment in query.split('&') {
        let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
        if RESERVED_QUERY_PARAMS.contains(&name) {
            reserved.push((name, value));
        } else {
            rest.push(segment);
        }
    }
    let rest = if rest.is_empty() {
        None
    } else {
        Some(rest.join("&"))
    };
    SplitQuery { reserved, rest }
}

/// The terms a verified credential grants, re-checkable per request (see [`SignedGrant::recheck`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyTerms {
    /// A canned policy: exactly this resource until `expires`.
    Canned {
        /// The URL the signature covers.
        resource: String,
        /// `Expires`.
        expires: u64,
    },
    /// A custom policy.
    Custom(CustomPolicy),
}

/// What a verified signed URL or signed cookie set grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedGrant {
    /// The key pair id that signed it.
    pub key_pair_id: KeyPairId,
    /// The policy terms.
    pub terms: PolicyTerms,
    /// URL or cookie.
    pub source: CredentialSource,
    /// The hash used.
    pub hash: HashAlgorithm,
}

impl SignedGrant {
    /// When access ends (seconds since the epoch, exclusive).
    pub fn expires_at(&self) -> u64 {
        match &self.terms {
            PolicyTerms::Canned { expires, .. } => *expires,
            PolicyTerms::Custom(p) => p.date_less_than,
        }
    }

    /// `"canned"` or `"custom"`.
    pub fn policy_kind(&self) -> &'static str {
        match self.terms {
            PolicyTerms::Canned { .. } => "canned",
            PolicyTerms::Custom(_) => "custom",
        }
    }

    /// Checks the policy's conditions for one request: the dates against `now`, `Resource`
    /// against `resource_url`, `IpAddress` against `client_ip` (the viewer address from the
    /// event's `clientIp`, never a header).
    ///
    /// # Errors
    /// `Expired`, `NotYetValid`, `ResourceMismatch` or `IpMismatch`.
    pub fn recheck(
        &self,
        resource_url: &str,
        client_ip: &str,
        now: UnixTime,
    ) -> Result<(), VerifyError> {
        let now = now.as_secs();
        match &self.terms {
            PolicyTerms::Canned { resource, expires } => {
                if now >= *expires {
                    return Err(VerifyError::Expired);
                }
                if resource != resource_url {
                    return Err(VerifyError::ResourceMismatch);
                }
                Ok(())
            }
            PolicyTerms::Custom(p) => {
                if now >= p.date_less_than {
                    return Err(VerifyError::Expired);
                }
                if p.date_greater_than.is_some_and(|start| now < start) {
                    return Err(VerifyError::NotYetValid);
                }
                if !resource_matches(&p.resource, resource_url) {
                    return Err(VerifyError::ResourceMismatch);
                }
                if let Some(cidr) = p.source_ip {
                    match client_ip.parse::<Ipv4Addr>() {
                        Ok(ip) if cidr.contains(ip) => {}
                        _ => return Err(VerifyError::IpMismatch),
                    }
                }
                Ok(())
            }
        }
    }
}

/// Verifies a signed URL or signed cookie credential for one request.
///
/// `resource_url` is the request URL as CloudFront compares it: `scheme://host` + raw URI +
/// (`?` + the query without the reserved parameters, when any remain; see [`split_query`]).
/// `client_ip` is the viewer address.
///
/// # Errors
/// `Malformed`, `TooLarge`, `UnknownKeyPairId`, `UnsupportedAlgorithm`, `BadSignature`,
/// `Expired`, `NotYetValid`, `ResourceMismatch` or `IpMismatch`.
pub fn verify(
    credential: &SignedCredential,
    resource_url: &str,
    client_ip: &str,
    trusted: &TrustedKeys,
    verifier: &dyn SignatureVerifier,
    now: UnixTime,
) -> Result<Verified<SignedGrant>, VerifyError> {
    let trusted_key = trusted
        .get(&credential.key_pair_id)
        .ok_or(VerifyError::UnknownKeyPairId)?;
    let algorithm = credential
        .hash
        .signature_algorithm(trusted_key.public_key.key_type())?;
    let signature = cf_base64::decode(&credential.signature)
        .map_err(|_| VerifyError::Malformed("Signature encoding"))?;
    let policy_bytes = match &credential.policy {
        PolicyForm::Canned { expires } => {
            if resource_url
                .bytes()
                .any(|b| b == b'"' || b == b'\\' || b < 0x20 || b == 0x7f)
            {
                return Err(VerifyError::Malformed(
                    "URL not representable in a canned policy",
                ));
            }
            canned_policy(resource_url, *expires).into_bytes()
        }
        PolicyForm::Custom { encoded } => {
            cf_base64::decode(encoded).map_err(|_| VerifyError::Malformed("Policy encoding"))?
        }
    };
    verifier
        .verify(
            algorithm,
            &trusted_key.public_key,
            &policy_bytes,
            &signature,
        )
        .map_err(|_| VerifyError::BadSignature)?;
    let terms = match &credential.policy {
        PolicyForm::Canned { expires } => PolicyTerms::Canned {
            resource: resource_url.to_string(),
            expires: *expires,
        },
        PolicyForm::Custom { .. } => PolicyTerms::Custom(CustomPolicy::parse(&policy_bytes)?),
    };
    let grant = SignedGrant {
        key_pair_id: trusted_key.key_pair_id.clone(),
        terms,
        source: credential.source,
        hash: credential.hash,
    };
    grant.recheck(resource_url, client_ip, now)?;
    Ok(Verified::new(grant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_query_plain_signed_url_ok() {
        let s = split_query("Expires=1&Signature=abc&Key-Pair-Id=K1");
        assert_eq!(s.rest, None);
        assert_eq!(s.reserved.len(), 3);
    }

    #[test]
    fn split_query_keeps_application_params_in_order() {
        let s = split_query("b=2&a=1&Expires=1&Signature=x&Key-Pair-Id=K&c=3");
        assert_eq!(s.rest.as_deref(), Some("b=2&a=1&c=3"));
    }

    #[test]
    fn split_query_url_ending_in_question_mark_keeps_empty_rest() {
        let s = split_query("&Expires=1&Signature=x&Key-Pair-Id=K");
        assert_eq!(s.rest.as_deref(), Some(""));
    }

    #[test]
    fn from_params_ambiguous_sets_fail() {
        let canned = [("Expires", "10"), ("Signature", "x"), ("Key-Pair-Id", "K")];
        assert!(SignedCredential::from_params(&canned, CredentialSource::Url).is_ok());
        let cases: &[&[(&str, &str)]] = &[
            &[
                ("Expires", "10"),
                ("Policy", "p"),
                ("Signature", "x"),
                ("Key-Pair-Id", "K"),
            ],
            &[
                ("Expires", "10"),
                ("Signature", "x"),
                ("Signature", "y"),
                ("Key-Pair-Id", "K"),
            ],
            &[("Expires", "10"), ("Key-Pair-Id", "K")],
            &[("Expires", "10"), ("Signature", "x")],
            &[("Signature", "x"), ("Key-Pair-Id", "K")],
            &[("Expires", "010"), ("Signature", "x"), ("Key-Pair-Id", "K")],
            &[("Expires", "+10"), ("Signature", "x"), ("Key-Pair-Id", "K")],
            &[
                ("Expires", "4294967296"),
                ("Signature", "x"),
                ("Key-Pair-Id", "K"),
            ],
            &[
                ("Expires", "10"),
                ("Signature", "x"),
                ("Key-Pair-Id", "K"),
                ("Hash-Algorithm", "sha256"),
            ],
            &[
                ("Expires", "10"),
                ("Signature", "x"),
                ("Key-Pair-Id", "K"),
                ("Hash-Algorithm", "MD5"),
            ],
        ];
        for c in cases {
            assert!(
                matches!(
                    SignedCredential::from_params(c, CredentialSource::Url),
                    Err(VerifyError::Malformed(_))
                ),
                "{c:?}"
            );
        }
    }

    #[test]
    fn key_pair_id_charset() {
        assert!("K2JCJMDEHXQW5F".parse::<KeyPairId>().is_ok());
        assert!("APKAEIBAERJR2EXAMPLE".parse::<KeyPairId>().is_ok());
        for bad in ["", "k2jc", "K2J CJ", "K2J\n", &"A".repeat(65)] {
            assert!(bad.parse::<KeyPairId>().is_err());
        }
    }
}
