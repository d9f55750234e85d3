//! # edgegate-keys: credentials and crypto
//!
//! This crate owns every byte of credential parsing and verification in edgegate:
//!
//! - [`cf_base64`]: the CloudFront base64 alphabet (`+`→`-`, `=`→`_`, `/`→`~`);
//! - [`policy`]: canned and custom CloudFront policies (parse, canonical form, `Resource`
//!   wildcard match, `IpAddress`);
//! - [`signed`]: CloudFront signed URL and signed cookie verification;
//! - [`jwks`] and [`jwt`]: Cognito user pool JWKS and RS256 JWT verification;
//! - [`key`]: public keys (PEM SPKI, JWK) and the [`SignatureVerifier`] trait, the one narrow
//!   seam for the RSA/ECDSA primitive (`ring` natively, `node:crypto` from wasm);
//! - `sign` (feature `sign`): signing of URLs, cookies and dev JWTs, and key generation.
//!
//! **I/O stance:** this crate performs no I/O, reads no clock and draws no randomness of its own.
//! Time is passed in as [`UnixTime`]; the few operations that need randomness (ECDSA signing, key
//! generation, behind `sign`) take it as an argument.
//!
//! Verification failures are deliberately terse ([`VerifyError`] carries no attacker-controlled
//! text); loading failures ([`KeyError`]) name the field that is wrong.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![warn(missing_docs)]

pub mod cf_base64;
pub mod cidr;
mod der;
pub mod dev;
mod error;
pub mod json;
pub mod jwks;
pub mod jwt;
pub mod key;
pub mod policy;
#[cfg(all(feature = "sign", not(target_arch = "wasm32")))]
pub mod sign;
pub mod signed;

pub use cidr::IpCidr;
pub use error::{KeyError, VerifyError};
pub use jwks::Jwks;
pub use jwt::{CognitoIdentity, JwtValidation, OidcIdentity, OidcValidation, TokenUse};
#[cfg(not(target_arch = "wasm32"))]
pub use key::RingVerifier;
pub use key::{BadSignature, KeyType, PublicKey, SignatureAlgorithm, SignatureVerifier};
pub use policy::{CustomPolicy, Ipv4Cidr};
pub use signed::{
    HashAlgorithm, KeyPairId, SignedCredential, SignedGrant, TrustedKey, TrustedKeys,
};

/// A point in time as whole seconds since the Unix epoch (1970-01-01T00:00:00Z, UTC).
///
/// Verification never reads the clock: the caller passes `now` in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub u64);

impl UnixTime {
    /// Seconds since the Unix epoch.
    pub fn as_secs(self) -> u64 {
        self.0
    }
}

/// Proof that a credential passed every check.
///
/// Only this crate constructs it (the constructor is private), so holding a `Verified<T>` means
/// the signature, the key, the algorithm and every claim or policy condition were checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified<T>(T);

impl<T> Verified<T> {
    pub(crate) fn new(inner: T) -> Self {
        Verified(inner)
    }

    /// The verified value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> core::ops::Deref for Verified<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Size caps applied before any decoding or crypto (design.md, "Routes and credentials").
pub mod limits {
    /// Largest accepted JWT, in bytes (16 KiB).
    pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
    /// Largest accepted CloudFront policy, in bytes of its CloudFront-base64 form (8 KiB).
    pub const MAX_POLICY_BYTES: usize = 8 * 1024;
    /// Largest accepted URL (path + query), in bytes (8 KiB).
    pub const MAX_URL_BYTES: usize = 8 * 1024;
    /// Largest accepted JWKS document, in bytes (64 KiB).
    pub const MAX_JWKS_BYTES: usize = 64 * 1024;
    /// Most keys accepted in one JWKS.
    pub const MAX_JWKS_KEYS: usize = 20;
    /// Largest accepted `Signature` value, in bytes of its encoded form.
    pub const MAX_SIGNATURE_BYTES: usize = 1024;
}
