//! Public keys and the signature-verifier seam.
//!
//! A [`PublicKey`] is an RSA key (2048–4096 bits, e = 65537) or an ECDSA P-256 key, loaded from
//! a PEM `SubjectPublicKeyInfo` (what CloudFront's `CreatePublicKey` takes, RFC 5280 §4.1.2.7)
//! or from JWK members (RFC 7518 §6.3). Loading checks the size and exponent rules of RFC 7518
//! §3.3 and the CloudFront `PublicKey` API ("RSA 2048 or ECDSA 256").
//!
//! The RSA/ECDSA primitive itself sits behind [`SignatureVerifier`], a synchronous trait with one
//! method, so the same verification code runs natively ([`RingVerifier`], `ring`) and inside the
//! Lambda@Edge wasm module (a `node:crypto` host import). Callers choose the
//! [`SignatureAlgorithm`] as a constant from their own rules; it is never read from input, and
//! the key type is checked against it before the verifier is called.

use crate::der::{self, Reader};
use crate::{cf_base64, KeyError};
use sha2::{Digest, Sha256};

/// The signature algorithms edgegate verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-1 (RFC 8017 §8.2): CloudFront's default.
    RsaPkcs1Sha1,
    /// RSASSA-PKCS1-v1_5 with SHA-256: JWT `RS256` (RFC 7518 §3.3), CloudFront `Hash-Algorithm=SHA256`.
    RsaPkcs1Sha256,
    /// ECDSA P-256 with SHA-256, DER-encoded signature (RFC 5480, X9.62): CloudFront ECDSA keys.
    EcdsaP256Sha256,
}

impl SignatureAlgorithm {
    /// The key type this algorithm needs.
    pub fn key_type(self) -> KeyType {
        match self {
            SignatureAlgorithm::RsaPkcs1Sha1 | SignatureAlgorithm::RsaPkcs1Sha256 => KeyType::Rsa,
            SignatureAlgorithm::EcdsaP256Sha256 => KeyType::EcP256,
        }
    }

    /// A stable name (`rsa-sha1`, `rsa-sha256`, `ecdsa-p256-sha256`), e.g. for a host import.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaPkcs1Sha1 => "rsa-sha1",
            SignatureAlgorithm::RsaPkcs1Sha256 => "rsa-sha256",
            SignatureAlgorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
        }
    }
}

/// The kind of a [`PublicKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// RSA, 2048–4096 bits, e = 65537.
    Rsa,
    /// ECDSA over NIST P-256.
    EcP256,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Material {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    EcP256 { point: Vec<u8> },
}

/// A trusted public key: RSA or ECDSA P-256, validated at load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    material: Material,
    spki_der: Vec<u8>,
    fingerprint: [u8; 32],
}

/// Smallest accepted RSA modulus, in bits (RFC 7518 §3.3).
pub const MIN_RSA_BITS: usize = 2048;
/// Largest accepted RSA modulus, in bits.
pub const MAX_RSA_BITS: usize = 4096;

impl PublicKey {
    /// Loads a PEM `-----BEGIN PUBLIC KEY-----` block (SubjectPublicKeyInfo).
    ///
    /// # Errors
    /// [`KeyError`] when the PEM or DER is malformed, the algorithm is neither rsaEncryption nor
    /// id-ecPublicKey on P-256, or an RSA key is outside 2048–4096 bits or has e ≠ 65537.
    pub fn from_spki_pem(pem: &str) -> Result<Self, KeyError> {
        let der = pem_decode(pem, "PUBLIC KEY")?;
        Self::from_spki_der(&der)
    }

    /// Loads a DER SubjectPublicKeyInfo. Errors as [`PublicKey::from_spki_pem`].
    pub fn from_spki_der(der_bytes: &[u8]) -> Result<Self, KeyError> {
        let bad = |reason| KeyError::new("", reason);
        let mut outer = Reader::new(der_bytes);
        let spki = outer
            .read(der::TAG_SEQUENCE)
            .map_err(|_| bad("not a DER SubjectPublicKeyInfo"))?;
        if !outer.is_empty() {
            return Err(bad("trailing data after SubjectPublicKeyInfo"));
        }
        let mut spki = Reader::new(spki);
        let alg = spki
            .read(der::TAG_SEQUENCE)
            .map_err(|_| bad("bad AlgorithmIdentifier"))?;
        let bits = spki
            .read(der::TAG_BIT_STRING)
            .map_err(|_| bad("bad subjectPublicKey"))?;
        if !spki.is_empty() {
            return Err(bad("trailing data in SubjectPublicKeyInfo"));
        }
        let key_bytes = match bits.split_first() {
            Some((0, rest)) => rest,
            _ => return Err(bad("bad subjectPublicKey")),
        };
        let mut alg = Reader::new(alg);
        let oid = alg
            .read(der::TAG_OID)
            .map_err(|_| bad("bad algorithm OID"))?;
        if oid == der::OID_RSA_ENCRYPTION {
            // parameters: NULL (RFC 3279 §2.3.1); tolerate absence.
            if !alg.is_empty() {
                let null = alg
                    .read(der::TAG_NULL)
                    .map_err(|_| bad("bad RSA parameters"))?;
                if !null.is_empty() || !alg.is_empty() {
                    return Err(bad("bad RSA parameters"));
                }
            }
            let mut rsa = Reader::new(key_bytes);
            let seq = rsa
                .read(der::TAG_SEQUENCE)
                .map_err(|_| bad("bad RSAPublicKey"))?;
            if !rsa.is_empty() {
                return Err(bad("bad RSAPublicKey"));
            }
            let mut seq = Reader::new(seq);
            let n = seq
                .read_unsigned_integer()
                .map_err(|_| bad("bad RSA modulus"))?;
            let e = seq
                .read_unsigned_integer()
                .map_err(|_| bad("bad RSA exponent"))?;
            if !seq.is_empty() {
                return Err(bad("bad RSAPublicKey"));
            }
            Self::from_rsa_components(n, e)
        } else if oid == der::OID_EC_PUBLIC_KEY {
            let curve = alg
                .read(der::TAG_OID)
                .map_err(|_| bad("bad EC parameters"))?;
            if curve != der::OID_P256 || !alg.is_empty() {
                return Err(bad("only the P-256 curve is supported"));
            }
            Self::from_p256_point(key_bytes)
        } else {
            Err(bad("unsupported key algorithm (RSA or ECDSA P-256 only)"))
        }
    }

    /// Builds an RSA key from its big-endian modulus and exponent (e.g. JWK `n` and `e`).
    ///
    /// # Errors
    /// [`KeyError`] when the modulus is outside 2048–4096 bits or is even, or e ≠ 65537.
    pub fn from_rsa_components(n: &[u8], e: &[u8]) -> Result<Self, KeyError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_length(n);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(KeyError::new("n", "RSA modulus must be 2048 to 4096 bits"));
        }
        if n.last().is_none_or(|b| b & 1 == 0) {
            return Err(KeyError::new("n", "RSA modulus must be odd"));
        }
        if e != [0x01, 0x00, 0x01] {
            return Err(KeyError::new("e", "RSA exponent must be 65537"));
        }
        let mut rsa_key = Vec::new();
        let mut ints = Vec::new();
        der::write_unsigned_integer(n, &mut ints);
        der::write_unsigned_integer(e, &mut ints);
        der::write(der::TAG_SEQUENCE, &ints, &mut rsa_key);
        let mut alg = Vec::new();
        der::write(der::TAG_OID, der::OID_RSA_ENCRYPTION, &mut alg);
        der::write(der::TAG_NULL, &[], &mut alg);
        Ok(Self::with_spki(
            Material::Rsa {
                n: n.to_vec(),
                e: e.to_vec(),
            },
            &alg,
            &rsa_key,
        ))
    }

    /// Builds a P-256 key from its uncompressed SEC1 point (`04 || x || y`, 65 bytes).
    ///
    /// # Errors
    /// [`KeyError`] when the point is not 65 bytes starting with 0x04. (Whether the point is on
    /// the curve is checked by the primitive at verification: a bad point never verifies.)
    pub fn from_p256_point(point: &[u8]) -> Result<Self, KeyError> {
        if point.len() != 65 || point.first() != Some(&0x04) {
            return Err(KeyError::new("", "P-256 key must be an uncompressed point"));
        }
        let mut alg = Vec::new();
        der::write(der::TAG_OID, der::OID_EC_PUBLIC_KEY, &mut alg);
        der::write(der::TAG_OID, der::OID_P256, &mut alg);
        Ok(Self::with_spki(
            Material::EcP256 {
                point: point.to_vec(),
            },
            &alg,
            point,
        ))
    }

    fn with_spki(material: Material, alg_contents: &[u8], key_bytes: &[u8]) -> Self {
        let mut inner = Vec::new();
        der::write(der::TAG_SEQUENCE, alg_contents, &mut inner);
        let mut bit_string = Vec::with_capacity(key_bytes.len() + 1);
        bit_string.push(0);
        bit_string.extend_from_slice(key_bytes);
        der::write(der::TAG_BIT_STRING, &bit_string, &mut inner);
        let mut spki_der = Vec::new();
        der::write(der::TAG_SEQUENCE, &inner, &mut spki_der);
        let fingerprint = Sha256::digest(&spki_der).into();
        PublicKey {
            material,
            spki_der,
            fingerprint,
        }
    }

    /// The key type.
    pub fn key_type(&self) -> KeyType {
        match self.material {
            Material::Rsa { .. } => KeyType::Rsa,
            Material::EcP256 { .. } => KeyType::EcP256,
        }
    }

    /// RSA modulus and exponent, big-endian without leading zeros; `None` for ECDSA keys.
    pub fn rsa_components(&self) -> Option<(&[u8], &[u8])> {
        match &self.material {
            Material::Rsa { n, e } => Some((n, e)),
            Material::EcP256 { .. } => None,
        }
    }

    /// The uncompressed P-256 point (65 bytes); `None` for RSA keys.
    pub fn p256_point(&self) -> Option<&[u8]> {
        match &self.material {
            Material::EcP256 { point } => Some(point),
            Material::Rsa { .. } => None,
        }
    }

    /// The canonical DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The PEM `PUBLIC KEY` block CloudFront's `CreatePublicKey` takes (64-column lines).
    pub fn to_spki_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.spki_der)
    }

    /// SHA-256 of the canonical DER SubjectPublicKeyInfo.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// The fingerprint as lowercase hex (64 characters).
    pub fn fingerprint_hex(&self) -> String {
        hex(&self.fingerprint)
    }

    /// RSA modulus length in bits; `None` for ECDSA keys.
    pub fn rsa_bits(&self) -> Option<usize> {
        self.rsa_components().map(|(n, _)| bit_length(n))
    }
}

/// SHA-256 of bytes (for fingerprints and cache keys).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Lowercase hex of bytes (two digits per byte, no separators).
///
/// Without `core::fmt` per byte: the wasm gate runs this on every signature verification
/// (the key fingerprint it hands to the host).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            out.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.get(skip..).unwrap_or_default()
}

fn bit_length(magnitude: &[u8]) -> usize {
    match magnitude.first() {
        None => 0,
        Some(&first) => (magnitude.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

/// Decodes the first PEM block with the given label.
pub(crate) fn pem_decode(pem: &str, label: &str) -> Result<Vec<u8>, KeyError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem
        .find(&begin)
        .ok_or_else(|| KeyError::new("", pem_label_reason(label)))?;
    let after_begin = pem.get(start + begin.len()..).unwrap_or_default();
    let stop = after_begin
        .find(&end)
        .ok_or_else(|| KeyError::new("", "PEM block has no END line"))?;
    let body: String = after_begin
        .get(..stop)
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    cf_base64::decode_standard(&body).map_err(|_| KeyError::new("", "PEM body is not base64"))
}

fn pem_label_reason(label: &str) -> &'static str {
    match label {
        "PUBLIC KEY" => "expected a PEM block '-----BEGIN PUBLIC KEY-----'",
        "PRIVATE KEY" => "expected a PEM block '-----BEGIN PRIVATE KEY-----'",
        _ => "expected a PEM block",
    }
}

/// Encodes a PEM block with 64-column lines.
pub(crate) fn pem_encode(label: &str, der_bytes: &[u8]) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(der_bytes);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(core::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The signature did not verify (no detail, by design: see ring's `error::Unspecified`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadSignature;

/// The RSA/ECDSA verification primitive.
///
/// Synchronous, stateless from the caller's view, and given the algorithm by the caller. An
/// implementation must return `Ok(())` only when `signature` is a valid signature of `message`
/// under `key` with exactly `algorithm`, and must refuse a key whose type does not match the
/// algorithm. Natively [`RingVerifier`] implements it; the Lambda@Edge wasm build implements it
/// with `node:crypto.verify` (key objects cached by [`PublicKey::fingerprint`]).
pub trait SignatureVerifier {
    /// Verifies `signature` over `message`.
    ///
    /// # Errors
    /// [`BadSignature`] for any failure, including a key/algorithm mismatch or a key the
    /// primitive rejects.
    fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        key: &PublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature>;
}

/// [`SignatureVerifier`] backed by `ring` (native builds).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy, Debug, Default)]
pub struct RingVerifier;

#[cfg(not(target_arch = "wasm32"))]
impl SignatureVerifier for RingVerifier {
    fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        key: &PublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), BadSignature> {
        use ring::signature as sig;
        match (algorithm, &key.material) {
            (SignatureAlgorithm::RsaPkcs1Sha1, Material::Rsa { n, e }) => {
                sig::RsaPublicKeyComponents { n, e }
                    .verify(
                        &sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                        message,
                        signature,
                    )
                    .map_err(|_| BadSignature)
            }
            (SignatureAlgorithm::RsaPkcs1Sha256, Material::Rsa { n, e }) => {
                sig::RsaPublicKeyComponents { n, e }
                    .verify(&sig::RSA_PKCS1_2048_8192_SHA256, message, signature)
                    .map_err(|_| BadSignature)
            }
            (SignatureAlgorithm::EcdsaP256Sha256, Material::EcP256 { point }) => {
                sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_ASN1, point)
                    .verify(message, signature)
                    .map_err(|_| BadSignature)
            }
            _ => Err(BadSignature),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lowercase_digits_per_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        let all: Vec<u8> = (0..=255).collect();
        let want: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), want);
    }

    #[test]
    fn rsa_exponent_three_fails() {
        let mut n = vec![0xffu8; 256];
        n[255] = 0xfb;
        assert_eq!(
            PublicKey::from_rsa_components(&n, &[3]).unwrap_err().field,
            "e"
        );
        assert!(PublicKey::from_rsa_components(&n, &[1, 0, 1]).is_ok());
    }

    #[test]
    fn rsa_1024_and_8192_fail() {
        let mut n = vec![0xffu8; 128];
        n[127] = 0xfb;
        assert!(PublicKey::from_rsa_components(&n, &[1, 0, 1]).is_err());
        let mut n = vec![0xffu8; 1024];
        n[1023] = 0xfb;
        assert!(PublicKey::from_rsa_components(&n, &[1, 0, 1]).is_err());
    }

    #[test]
    fn spki_round_trip_ok() {
        let mut n = vec![0xc3u8; 256];
        n[255] = 0x01;
        let key = PublicKey::from_rsa_components(&n, &[1, 0, 1]).unwrap();
        let pem = key.to_spki_pem();
        let again = PublicKey::from_spki_pem(&pem).unwrap();
        assert_eq!(key, again);
        assert_eq!(again.rsa_bits(), Some(2048));
        let mut point = vec![4u8];
        point.extend_from_slice(&[9u8; 64]);
        let ec = PublicKey::from_p256_point(&point).unwrap();
        assert_eq!(PublicKey::from_spki_der(ec.spki_der()).unwrap(), ec);
    }

    #[test]
    fn pem_wrong_label_fails() {
        assert!(PublicKey::from_spki_pem(
            "-----BEGIN RSA PUBLIC KEY-----\nAA==\n-----END RSA PUBLIC KEY-----"
        )
        .is_err());
        assert!(PublicKey::from_spki_pem("garbage").is_err());
    }
}
