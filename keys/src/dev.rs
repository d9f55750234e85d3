//! The development material's fingerprints, so that anything that deploys can refuse it.
//!
//! `edgegate dev` ships a committed RS256 issuer key and a committed CloudFront ECDSA key
//! (`infra/cli/dev/`, DEV-ONLY). Their SubjectPublicKeyInfo SHA-256 fingerprints are listed here;
//! `edgegate bundle` and the origin auth function's cold start refuse any of them, and the dev
//! user pool id.

use crate::PublicKey;

/// SHA-256 fingerprints of the DER SubjectPublicKeyInfo of the dev issuer key and the dev
/// CloudFront key (`openssl pkey -pubin -in <file> -outform DER | sha256sum`).
pub const DEV_FINGERPRINTS: [&str; 2] = [
    "713803312ac2c9743e068b1842c073c6b536b66d5de503a41a3c322b71f8af18",
    "1ee25eaf6b567ce6561ae038907c9aa60a4694809f96ea2c4824b25b9273f5de",
];

/// The dev user pool id.
pub const DEV_USER_POOL_ID: &str = "us-east-1_edgegateDEV";

/// Whether `key` is one of the committed dev keys.
pub fn is_dev_key(key: &PublicKey) -> bool {
    DEV_FINGERPRINTS.contains(&key.fingerprint_hex().as_str())
}
