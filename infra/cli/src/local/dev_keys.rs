//! The development issuer and CloudFront key pair (DEV-ONLY, committed under `infra/dev/`).
//!
//! `edgegate dev`, `edgegate token` and `edgegate sign-url` share these keys so that separate
//! processes agree. Anything that deploys refuses them: [`is_dev_key`] checks a public key's
//! fingerprint, [`DEV_USER_POOL_ID`] names the dev pool.

use edgegate_keys::sign::SigningKey;
use edgegate_keys::{Jwks, KeyError, PublicKey};

/// The dev configuration document.
pub const DEV_CONFIG: &str = include_str!("../../dev/edgegate.dev.toml");
/// The dev issuer's RSA private key.
pub const JWT_DEV_PRIVATE_PEM: &str = include_str!("../../dev/jwt-dev-private.pem");
/// The dev issuer's RSA public key.
pub const JWT_DEV_PUBLIC_PEM: &str = include_str!("../../dev/jwt-dev-public.pem");
/// The dev CloudFront ECDSA P-256 private key.
pub const CLOUDFRONT_DEV_PRIVATE_PEM: &str = include_str!("../../dev/cloudfront-dev-private.pem");
/// The dev CloudFront public key.
pub const CLOUDFRONT_DEV_PUBLIC_PEM: &str = include_str!("../../dev/cloudfront-dev-public.pem");
/// The dev issuer's `kid`.
pub const DEV_KID: &str = "edgegate-dev-1";
/// The dev key pair id.
pub const DEV_KEY_PAIR_ID: &str = "KEDGEGATEDEV01";
/// The dev user pool id.
pub const DEV_USER_POOL_ID: &str = edgegate_keys::dev::DEV_USER_POOL_ID;
/// The dev region.
pub const DEV_REGION: &str = "us-east-1";
/// The dev app client id.
pub const DEV_CLIENT_ID: &str = "edgegatedevclient";
/// The development OIDC issuer of the dev config (`[[issuers]]` id `dev-ci`). DEV-ONLY.
pub const DEV_OIDC_ISSUER: &str = "https://token.actions.dev.edgegate.invalid";
/// The audience the dev OIDC issuer's tokens carry.
pub const DEV_OIDC_AUDIENCE: &str = "edgegate-dev";
/// Name of the dev JWKS as referenced by the dev config.
pub const DEV_JWKS_FILE: &str = "jwt-dev.jwks.json";

pub use edgegate_keys::dev::DEV_FINGERPRINTS;

/// The dev issuer's public key.
pub fn jwt_public_key() -> Result<PublicKey, KeyError> {
    PublicKey::from_spki_pem(JWT_DEV_PUBLIC_PEM)
}

/// The dev CloudFront public key.
pub fn cloudfront_public_key() -> Result<PublicKey, KeyError> {
    PublicKey::from_spki_pem(CLOUDFRONT_DEV_PUBLIC_PEM)
}

/// The dev JWKS document.
pub fn jwks() -> Result<Jwks, KeyError> {
    Jwks::single(DEV_KID, jwt_public_key()?)
}

/// The dev issuer's signing key.
pub fn jwt_signing_key() -> Result<SigningKey, KeyError> {
    SigningKey::from_pem(JWT_DEV_PRIVATE_PEM)
}

/// The dev CloudFront signing key.
pub fn cloudfront_signing_key() -> Result<SigningKey, KeyError> {
    SigningKey::from_pem(CLOUDFRONT_DEV_PRIVATE_PEM)
}

/// Whether `key` is one of the committed dev keys.
pub fn is_dev_key(key: &PublicKey) -> bool {
    edgegate_keys::dev::is_dev_key(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_fingerprints_match_committed_keys() {
        let jwt = jwt_public_key().unwrap();
        let cf = cloudfront_public_key().unwrap();
        assert_eq!(
            [jwt.fingerprint_hex(), cf.fingerprint_hex()],
            DEV_FINGERPRINTS.map(str::to_string)
        );
        assert!(is_dev_key(&jwt) && is_dev_key(&cf));
    }

    #[test]
    fn dev_private_keys_match_public_keys() {
        assert_eq!(
            jwt_signing_key().unwrap().public_key().unwrap(),
            jwt_public_key().unwrap()
        );
        assert_eq!(
            cloudfront_signing_key().unwrap().public_key().unwrap(),
            cloudfront_public_key().unwrap()
        );
    }
}
