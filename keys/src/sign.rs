//! Signing (feature `sign`, native only): CloudFront signed URLs and cookies byte-compatible
//! with the AWS SDK signers, RS256 JWTs for the development issuer, and key generation.
//!
//! The viewer-request gate never links this module (the edge bundle is verify-only).
//! Randomness is an argument: ECDSA signing and key generation take the caller's RNG.
//!
//! RSA signing uses the RustCrypto `rsa` crate (`ring` cannot sign PKCS#1 v1.5 with SHA-1,
//! CloudFront's default). That crate carries RUSTSEC-2023-0071 (Marvin timing side channel on
//! private-key operations); it is used only where the operator signs with their own key
//! (CLI, origin function), never on a path a remote party can time at will without
//! authentication. ECDSA signing and key generation use `ring`.

use crate::cf_base64;
use crate::der;
use crate::key::{pem_decode, pem_encode, PublicKey};
use crate::policy::{canned_policy, CustomPolicy};
use crate::signed::{HashAlgorithm, KeyPairId};
use crate::KeyError;
pub use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::Digest;

/// A private key for signing: RSA (2048–4096 bits) or ECDSA P-256.
pub enum SigningKey {
    /// RSA.
    Rsa(Box<RsaPrivateKey>),
    /// ECDSA P-256 (ring key pair).
    EcP256(Box<EcdsaKeyPair>),
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print key material.
        match self {
            SigningKey::Rsa(_) => f.write_str("SigningKey::Rsa(..)"),
            SigningKey::EcP256(_) => f.write_str("SigningKey::EcP256(..)"),
        }
    }
}

impl SigningKey {
    /// Loads a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, RSA or EC P-256), PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`, with its public key).
    ///
    /// # Errors
    /// [`KeyError`] with field `private_key` when no supported key is found. The message never
    /// contains key bytes.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let bad = |reason| KeyError::new("private_key", reason);
        if pem.contains("-----BEGIN RSA PRIVATE KEY-----") {
            let key = RsaPrivateKey::from_pkcs1_pem(pem)
                .map_err(|_| bad("not a valid PKCS#1 RSA private key"))?;
            return Self::rsa(key);
        }
        if pem.contains("-----BEGIN EC PRIVATE KEY-----") {
            let sec1 = pem_decode(pem, "EC PRIVATE KEY")
                .map_err(|_| bad("not a valid SEC1 EC private key"))?;
            return Self::ec_from_pkcs8(&sec1_to_pkcs8(&sec1));
        }
        if pem.contains("-----BEGIN PRIVATE KEY-----") {
            if let Ok(key) = RsaPrivateKey::from_pkcs8_pem(pem) {
                return Self::rsa(key);
            }
            let der_bytes = pem_decode(pem, "PRIVATE KEY")
                .map_err(|_| bad("not a valid PKCS#8 private key"))?;
            return Self::ec_from_pkcs8(&der_bytes);
        }
        Err(bad(
            "expected a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)",
        ))
    }

    fn rsa(key: RsaPrivateKey) -> Result<Self, KeyError> {
        let bits = key.n().bits();
        if !(2048..=4096).contains(&bits) || key.e() != &rsa::BigUint::from(65537u32) {
            return Err(KeyError::new(
                "private_key",
                "RSA key must be 2048-4096 bits with e = 65537",
            ));
        }
        Ok(SigningKey::Rsa(Box::new(key)))
    }

    fn ec_from_pkcs8(der_bytes: &[u8]) -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der_bytes, &rng)
            .map(|k| SigningKey::EcP256(Box::new(k)))
            .map_err(|_| KeyError::new("private_key", "not a valid RSA or ECDSA P-256 private key"))
    }

    /// The matching public key.
    ///
    /// # Errors
    /// [`KeyError`] if the public half fails [`PublicKey`]'s rules.
    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        match self {
            SigningKey::Rsa(k) => {
                PublicKey::from_rsa_components(&k.n().to_bytes_be(), &k.e().to_bytes_be())
            }
            SigningKey::EcP256(k) => PublicKey::from_p256_point(k.public_key().as_ref()),
        }
    }

    /// Signs `message`: RSASSA-PKCS1-v1_5 with the given hash for RSA keys, ECDSA P-256 SHA-256
    /// (DER) for EC keys.
    ///
    /// # Errors
    /// [`KeyError`] for ECDSA with SHA-1 (refused, as the verifier refuses it) or a failure of
    /// the primitive.
    pub fn sign(
        &self,
        hash: HashAlgorithm,
        message: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, KeyError> {
        let failed = |reason| KeyError::new("private_key", reason);
        match (self, hash) {
            (SigningKey::Rsa(k), HashAlgorithm::Sha1) => {
                let digest = sha1::Sha1::digest(message);
                k.sign(Pkcs1v15Sign::new::<sha1::Sha1>(), &digest)
                    .map_err(|_| failed("RSA signing failed"))
            }
            (SigningKey::Rsa(k), HashAlgorithm::Sha256) => {
                let digest = sha2::Sha256::digest(message);
                k.sign(Pkcs1v15Sign::new::<sha2::Sha256>(), &digest)
                    .map_err(|_| failed("RSA signing failed"))
            }
            (SigningKey::EcP256(k), HashAlgorithm::Sha256) => k
                .sign(rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| failed("ECDSA signing failed")),
            (SigningKey::EcP256(_), HashAlgorithm::Sha1) => {
                Err(failed("ECDSA keys sign with SHA-256 only"))
            }
        }
    }
}

/// Wraps a SEC1 `ECPrivateKey` for P-256 in a PKCS#8 `PrivateKeyInfo` (RFC 5208, RFC 5915).
fn sec1_to_pkcs8(sec1: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    der::write(der::TAG_INTEGER, &[0], &mut body);
    let mut alg = Vec::new();
    der::write(der::TAG_OID, der::OID_EC_PUBLIC_KEY, &mut alg);
    der::write(der::TAG_OID, der::OID_P256, &mut alg);
    der::write(der::TAG_SEQUENCE, &alg, &mut body);
    der::write(0x04, sec1, &mut body);
    let mut out = Vec::new();
    der::write(der::TAG_SEQUENCE, &body, &mut out);
    out
}

/// The policy a signed URL or cookie set carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigningPolicy {
    /// Canned: the URL itself until `expires` (seconds since the epoch).
    Canned {
        /// `Expires`.
        expires: u64,
    },
    /// Custom: these exact policy bytes are signed and sent.
    Custom(String),
}

impl SigningPolicy {
    /// A custom policy built from its parts (compact JSON, AWS member order).
    pub fn custom(policy: &CustomPolicy) -> Self {
        SigningPolicy::Custom(policy.to_json())
    }
}

/// The signed parameters (bare names), in the order the AWS SDK for JavaScript v3
/// (`@aws-sdk/cloudfront-signer`) emits them: `Expires`/`Policy`, `Key-Pair-Id`, `Signature`,
/// then `Hash-Algorithm=SHA256` when SHA-256 is used.
fn signed_params(
    resource: &str,
    policy: &SigningPolicy,
    key_pair_id: &KeyPairId,
    key: &SigningKey,
    hash: HashAlgorithm,
    rng: &dyn SecureRandom,
) -> Result<Vec<(&'static str, String)>, KeyError> {
    let (first, policy_bytes) = match policy {
        SigningPolicy::Canned { expires } => (
            ("Expires", expires.to_string()),
            canned_policy(resource, *expires),
        ),
        SigningPolicy::Custom(json) => {
            (("Policy", cf_base64::encode(json.as_bytes())), json.clone())
        }
    };
    let signature = cf_base64::encode(&key.sign(hash, policy_bytes.as_bytes(), rng)?);
    let mut params = vec![
        first,
        ("Key-Pair-Id", key_pair_id.to_string()),
        ("Signature", signature),
    ];
    if hash == HashAlgorithm::Sha256 {
        params.push(("Hash-Algorithm", "SHA256".to_string()));
    }
    Ok(params)
}

/// Signs `url` (absolute, as viewers will request it) and returns the signed URL: the URL, then
/// `?` (or `&` if it already has a query), then the signing parameters.
///
/// # Errors
/// [`KeyError`] from signing.
pub fn sign_url(
    url: &str,
    policy: &SigningPolicy,
    key_pair_id: &KeyPairId,
    key: &SigningKey,
    hash: HashAlgorithm,
    rng: &dyn SecureRandom,
) -> Result<String, KeyError> {
    let params = signed_params(url, policy, key_pair_id, key, hash, rng)?;
    let mut out = url.to_string();
    out.push(if url.contains('?') { '&' } else { '?' });
    let query: Vec<String> = params.iter().map(|(n, v)| format!("{n}={v}")).collect();
    out.push_str(&query.join("&"));
    Ok(out)
}

/// Signs cookies for `resource` (the canned policy's URL, or ignored for a custom policy whose
/// `Resource` is inside it) and returns `(cookie name, value)` pairs (`CloudFront-Expires` or
/// `CloudFront-Policy`, `CloudFront-Signature`, `CloudFront-Key-Pair-Id`, and
/// `CloudFront-Hash-Algorithm` with SHA-256).
///
/// # Errors
/// [`KeyError`] from signing.
pub fn sign_cookies(
    resource: &str,
    policy: &SigningPolicy,
    key_pair_id: &KeyPairId,
    key: &SigningKey,
    hash: HashAlgorithm,
    rng: &dyn SecureRandom,
) -> Result<Vec<(String, String)>, KeyError> {
    Ok(
        signed_params(resource, policy, key_pair_id, key, hash, rng)?
            .into_iter()
            .map(|(n, v)| (format!("CloudFront-{n}"), v))
            .collect(),
    )
}

/// Signs a JWT with RS256: header `{"kid":<kid>,"alg":"RS256"}` (Cognito's member order) and
/// the given claims object, returning the compact serialisation.
///
/// # Errors
/// [`KeyError`] when the key is not RSA or signing fails.
pub fn sign_jwt_rs256(
    kid: &str,
    claims: &serde_json::Value,
    key: &SigningKey,
) -> Result<String, KeyError> {
    if !matches!(key, SigningKey::Rsa(_)) {
        return Err(KeyError::new("private_key", "RS256 needs an RSA key"));
    }
    let header = format!(
        r#"{{"kid":{},"alg":"RS256"}}"#,
        serde_json::Value::String(kid.to_string())
    );
    let mut token = cf_base64::encode_b64url(header.as_bytes());
    token.push('.');
    token.push_str(&cf_base64::encode_b64url(claims.to_string().as_bytes()));
    let rng = SystemRandom::new(); // unused for RSA
    let signature = key.sign(HashAlgorithm::Sha256, token.as_bytes(), &rng)?;
    token.push('.');
    token.push_str(&cf_base64::encode_b64url(&signature));
    Ok(token)
}

/// A generated key pair: the PKCS#8 private key PEM and its public key.
pub struct GeneratedKey {
    /// `-----BEGIN PRIVATE KEY-----` (PKCS#8). Secret.
    pub private_pem: String,
    /// The public key (use [`PublicKey::to_spki_pem`] for CloudFront's `CreatePublicKey`).
    pub public_key: PublicKey,
}

/// Generates an ECDSA P-256 key pair.
///
/// # Errors
/// [`KeyError`] if the RNG fails.
pub fn generate_ecdsa_p256(rng: &dyn SecureRandom) -> Result<GeneratedKey, KeyError> {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, rng)
        .map_err(|_| KeyError::new("", "key generation failed"))?;
    let key = SigningKey::ec_from_pkcs8(pkcs8.as_ref())?;
    Ok(GeneratedKey {
        private_pem: pem_encode("PRIVATE KEY", pkcs8.as_ref()),
        public_key: key.public_key()?,
    })
}

/// Generates an RSA-2048 key pair (e = 65537).
///
/// # Errors
/// [`KeyError`] if generation or encoding fails.
pub fn generate_rsa_2048(
    rng: &mut impl rand_core::CryptoRngCore,
) -> Result<GeneratedKey, KeyError> {
    let key =
        RsaPrivateKey::new(rng, 2048).map_err(|_| KeyError::new("", "key generation failed"))?;
    let private_pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|_| KeyError::new("", "key encoding failed"))?
        .to_string();
    let public_key = SigningKey::Rsa(Box::new(key)).public_key()?;
    Ok(GeneratedKey {
        private_pem,
        public_key,
    })
}

/// HMAC-SHA256 (RFC 2104) of `data` under `key`: 32 bytes. For edgegate's own state and nonce
/// values (the auth function), never for credentials issued by AWS.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    let tag = ring::hmac::sign(&key, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Checks an HMAC-SHA256 tag in constant time.
pub fn verify_hmac_sha256(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    ring::hmac::verify(&key, data, tag).is_ok()
}
