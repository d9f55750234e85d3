//! Release signatures in the minisign format: Ed25519 over the BLAKE2b-512 of the signed file
//! (minisign's default "prehashed" signature, algorithm `ED`), plus a second Ed25519 signature
//! binding a one-line trusted comment, so that `minisign -Vm manifest.json -p key.pub` verifies
//! what `edgegate publish --sign-key` wrote, and `edgegate verify` accepts what `minisign -S`
//! wrote. Pure: no I/O, no clock; the caller reads the files.
//!
//! The formats (minisign's documentation, "Signature format" and "Public key format"; all
//! binary fields base64 with padding, the key id little-endian):
//!
//! ```text
//! public key file   untrusted comment: <text>
//!                   base64("Ed" || key_id[8] || ed25519_public_key[32])
//! secret key file   untrusted comment: <text>
//!                   base64("Ed" || kdf "\0\0" || "B2" || salt[32] || opslimit[8] || memlimit[8]
//!                          || key_id[8] || ed25519_secret_key[64] || checksum[32])
//!                   (checksum = BLAKE2b-256("Ed" || key_id || secret key), or zeros as
//!                   minisign 0.11 leaves it; kdf "\0\0": the key is stored unencrypted, as
//!                   `minisign -G -W` writes it)
//! signature file    untrusted comment: <text>
//!                   base64("ED" || key_id[8] || ed25519(BLAKE2b-512(file))[64])
//!                   trusted comment: <text>
//!                   base64(ed25519(signature[64] || trusted comment bytes)[64])
//! ```
//!
//! Legacy signatures (`Ed`: Ed25519 over the file itself, `minisign -S -l`) are verified too;
//! this module only writes prehashed ones.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use blake2::digest::consts::U32;
use blake2::{Blake2b, Blake2b512, Digest};
use ring::signature::{self, Ed25519KeyPair, KeyPair as _};

/// Why a key or a signature was refused. Never carries key material.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MinisignError {
    /// Not the line structure the format has (which line, what was expected).
    #[error("not a minisign {what}: {reason}")]
    Format {
        /// `public key`, `secret key` or `signature`.
        what: &'static str,
        /// What is wrong, in a few words.
        reason: &'static str,
    },
    /// A secret key protected with a password (scrypt); only unencrypted keys are read.
    #[error("the minisign secret key is encrypted with a password; this command reads unencrypted keys only (make one with `minisign -G -W`, or remove the password with `minisign -C -W`)")]
    EncryptedSecretKey,
    /// The secret key's checksum does not match, or its public half is not the one its seed
    /// gives: a damaged or altered key file.
    #[error("the minisign secret key is damaged (its checksum or its two halves do not match)")]
    SecretKeyChecksum,
    /// The signature was made with another key (key ids differ; both in minisign's hex form).
    #[error("signed with key {signature_key}, not with key {public_key}")]
    OtherKey {
        /// The signature's key id.
        signature_key: String,
        /// The public key's id.
        public_key: String,
    },
    /// The signature does not verify over the file.
    #[error("the signature does not match the file")]
    BadSignature,
    /// The trusted comment was changed after signing (its global signature fails).
    #[error("the trusted comment does not match its signature")]
    BadTrustedComment,
}

/// An Ed25519 public key with its minisign key id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    key_id: [u8; 8],
    key: [u8; 32],
}

/// An Ed25519 secret key with its minisign key id (from an unencrypted minisign key file).
pub struct SecretKey {
    key_id: [u8; 8],
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("key_id", &key_id_hex(&self.key_id))
            .finish_non_exhaustive()
    }
}

/// A verified signature: the signing key's id and the trusted comment it binds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The key id, in minisign's hex form (as `minisign -G` prints it).
    pub key_id: String,
    /// The trusted comment (after `trusted comment: `).
    pub trusted_comment: String,
}

/// Minisign's hex form of a key id: the 8 bytes as a little-endian integer, upper-case hex
/// without leading zeros (as `minisign -G` prints it in the public key's comment).
fn key_id_hex(id: &[u8; 8]) -> String {
    format!("{:X}", u64::from_le_bytes(*id))
}

/// The base64 payload of a file's data line (the first line that is not a comment), decoded.
fn data_line<'a>(
    lines: &mut impl Iterator<Item = &'a str>,
    what: &'static str,
) -> Result<Vec<u8>, MinisignError> {
    let bad = |reason| MinisignError::Format { what, reason };
    let comment = lines.next().ok_or(bad("empty"))?;
    if !comment.starts_with("untrusted comment: ") {
        return Err(bad("the first line is not an untrusted comment"));
    }
    let data = lines.next().ok_or(bad("no data line"))?;
    STANDARD
        .decode(data.trim_end_matches('\r'))
        .map_err(|_| bad("the data line is not base64"))
}

fn split<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

impl PublicKey {
    /// Reads a public key: a whole `.pub` file (comment line and key line) or the bare base64
    /// key line (as `minisign -P` takes it).
    ///
    /// # Errors
    /// [`MinisignError::Format`] for anything else, or a key of another algorithm.
    pub fn parse(text: &str) -> Result<PublicKey, MinisignError> {
        let text = text.trim();
        let bytes = if text.starts_with("untrusted comment: ") {
            data_line(&mut text.lines(), "public key")?
        } else {
            STANDARD.decode(text).map_err(|_| MinisignError::Format {
                what: "public key",
                reason: "not base64",
            })?
        };
        let bad = |reason| MinisignError::Format {
            what: "public key",
            reason,
        };
        if bytes.len() != 42 {
            return Err(bad("not 42 bytes"));
        }
        if bytes.get(..2) != Some(b"Ed") {
            return Err(bad("not an Ed25519 key"));
        }
        Ok(PublicKey {
            key_id: split(&bytes, 2).ok_or(bad("short"))?,
            key: split(&bytes, 10).ok_or(bad("short"))?,
        })
    }

    /// The key id in minisign's hex form.
    pub fn key_id(&self) -> String {
        key_id_hex(&self.key_id)
    }

    /// The `.pub` file text (`untrusted comment: minisign public key <ID>` and the key line).
    pub fn to_file(&self) -> String {
        let mut bytes = b"Ed".to_vec();
        bytes.extend_from_slice(&self.key_id);
        bytes.extend_from_slice(&self.key);
        format!(
            "untrusted comment: minisign public key {}\n{}\n",
            self.key_id(),
            STANDARD.encode(bytes)
        )
    }

    /// Verifies `signature` (a `.minisig` file's text) over `data`: the file signature
    /// (prehashed `ED` or legacy `Ed`) and the trusted comment's global signature.
    ///
    /// # Errors
    /// A malformed signature, another key, a signature or trusted comment that does not verify.
    pub fn verify(&self, data: &[u8], signature: &str) -> Result<Verified, MinisignError> {
        let bad = |reason| MinisignError::Format {
            what: "signature",
            reason,
        };
        let mut lines = signature.lines();
        let sig = data_line(&mut lines, "signature")?;
        if sig.len() != 74 {
            return Err(bad("the signature line is not 74 bytes"));
        }
        let key_id: [u8; 8] = split(&sig, 2).ok_or(bad("short"))?;
        let ed: [u8; 64] = split(&sig, 10).ok_or(bad("short"))?;
        let prehashed = match sig.get(..2) {
            Some(b"ED") => true,
            Some(b"Ed") => false,
            _ => return Err(bad("not an Ed25519 signature")),
        };
        let comment = lines
            .next()
            .and_then(|l| l.trim_end_matches('\r').strip_prefix("trusted comment: "))
            .ok_or(bad("no trusted comment line"))?;
        let global = STANDARD
            .decode(
                lines
                    .next()
                    .ok_or(bad("no trusted comment signature"))?
                    .trim_end_matches('\r'),
            )
            .map_err(|_| bad("the trusted comment signature is not base64"))?;
        if key_id != self.key_id {
            return Err(MinisignError::OtherKey {
                signature_key: key_id_hex(&key_id),
                public_key: self.key_id(),
            });
        }
        let key = signature::UnparsedPublicKey::new(&signature::ED25519, &self.key);
        let verified = if prehashed {
            key.verify(&Blake2b512::digest(data), &ed)
        } else {
            key.verify(data, &ed)
        };
        verified.map_err(|_| MinisignError::BadSignature)?;
        let mut bound = ed.to_vec();
        bound.extend_from_slice(comment.as_bytes());
        key.verify(&bound, &global)
            .map_err(|_| MinisignError::BadTrustedComment)?;
        Ok(Verified {
            key_id: self.key_id(),
            trusted_comment: comment.to_string(),
        })
    }
}

impl SecretKey {
    /// Reads an unencrypted minisign secret key file (`minisign -G -W`).
    ///
    /// # Errors
    /// [`MinisignError::EncryptedSecretKey`] for a password-protected key,
    /// [`MinisignError::SecretKeyChecksum`] for a damaged one, [`MinisignError::Format`] else.
    pub fn parse(text: &str) -> Result<SecretKey, MinisignError> {
        let bytes = data_line(&mut text.trim_start().lines(), "secret key")?;
        let bad = |reason| MinisignError::Format {
            what: "secret key",
            reason,
        };
        if bytes.len() != 158 {
            return Err(bad("not 158 bytes"));
        }
        if bytes.get(..2) != Some(b"Ed") || bytes.get(4..6) != Some(b"B2") {
            return Err(bad("not an Ed25519 key with a BLAKE2b checksum"));
        }
        if bytes.get(2..4) != Some(&[0, 0]) {
            return Err(MinisignError::EncryptedSecretKey);
        }
        let key_id: [u8; 8] = split(&bytes, 54).ok_or(bad("short"))?;
        let sk: [u8; 64] = split(&bytes, 62).ok_or(bad("short"))?;
        let chk: [u8; 32] = split(&bytes, 126).ok_or(bad("short"))?;
        // minisign 0.11 leaves the checksum of an unencrypted key all zeros; a set one is
        // checked. Either way the two halves of the Ed25519 key must belong together (ring
        // derives the public key from the seed and compares), which catches any damage.
        if chk != [0u8; 32] {
            let mut h = Blake2b::<U32>::new();
            h.update(b"Ed");
            h.update(key_id);
            h.update(sk);
            if h.finalize().as_slice() != chk {
                return Err(MinisignError::SecretKeyChecksum);
            }
        }
        let (seed, public) = sk.split_at(32);
        let pair = Ed25519KeyPair::from_seed_and_public_key(seed, public)
            .map_err(|_| MinisignError::SecretKeyChecksum)?;
        Ok(SecretKey { key_id, pair })
    }

    /// Builds a key from a 32-byte Ed25519 seed and a key id (tests and key generation).
    ///
    /// # Errors
    /// Never for a 32-byte seed; a typed error rather than a panic all the same.
    pub fn from_seed(seed: &[u8; 32], key_id: [u8; 8]) -> Result<SecretKey, MinisignError> {
        let pair =
            Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| MinisignError::Format {
                what: "secret key",
                reason: "not an Ed25519 seed",
            })?;
        Ok(SecretKey { key_id, pair })
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        let mut key = [0u8; 32];
        key.copy_from_slice(self.pair.public_key().as_ref());
        PublicKey {
            key_id: self.key_id,
            key,
        }
    }

    /// Signs `data`: the `.minisig` file text, prehashed (`ED`), with `trusted_comment` bound
    /// to the signature (`minisign -V` prints it). Newlines in the comment become spaces.
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> String {
        let comment: String = trusted_comment
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        let ed = self.pair.sign(&Blake2b512::digest(data));
        let mut sig = b"ED".to_vec();
        sig.extend_from_slice(&self.key_id);
        sig.extend_from_slice(ed.as_ref());
        let mut bound = ed.as_ref().to_vec();
        bound.extend_from_slice(comment.as_bytes());
        let global = self.pair.sign(&bound);
        format!(
            "untrusted comment: signature from edgegate, key {}\n{}\ntrusted comment: {}\n{}\n",
            key_id_hex(&self.key_id),
            STANDARD.encode(sig),
            comment,
            STANDARD.encode(global.as_ref())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::from_seed(&[7u8; 32], [1, 2, 3, 4, 5, 6, 7, 8]).unwrap()
    }

    #[test]
    fn a_signature_verifies_and_every_altered_part_is_refused() {
        let sk = key();
        let pk = sk.public_key();
        let sig = sk.sign(b"manifest", "release 1.0.0");
        let ok = pk.verify(b"manifest", &sig).unwrap();
        assert_eq!(ok.trusted_comment, "release 1.0.0");
        assert_eq!(ok.key_id, "807060504030201");
        assert_eq!(
            pk.verify(b"manifesT", &sig),
            Err(MinisignError::BadSignature)
        );
        let moved = sig.replace("release 1.0.0", "release 9.9.9");
        assert_eq!(
            pk.verify(b"manifest", &moved),
            Err(MinisignError::BadTrustedComment)
        );
        let other = SecretKey::from_seed(&[9u8; 32], [8, 7, 6, 5, 4, 3, 2, 1]).unwrap();
        assert!(matches!(
            other.public_key().verify(b"manifest", &sig),
            Err(MinisignError::OtherKey { .. })
        ));
        // The same key id with another key: the signature fails.
        let impostor = SecretKey::from_seed(&[9u8; 32], [1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        assert_eq!(
            impostor.public_key().verify(b"manifest", &sig),
            Err(MinisignError::BadSignature)
        );
        for broken in ["", "x", "untrusted comment: a\n!!", &sig[..sig.len() / 2]] {
            assert!(matches!(
                pk.verify(b"manifest", broken),
                Err(MinisignError::Format { .. })
            ));
        }
    }

    #[test]
    fn public_keys_round_trip_as_files_and_bare_lines() {
        let pk = key().public_key();
        let file = pk.to_file();
        assert_eq!(PublicKey::parse(&file).unwrap(), pk);
        let line = file.lines().nth(1).unwrap();
        assert_eq!(PublicKey::parse(line).unwrap(), pk);
        assert!(PublicKey::parse("RWQ=").is_err());
    }

    #[test]
    fn a_trusted_comment_stays_one_line() {
        let sk = key();
        let sig = sk.sign(b"x", "a\nb\rc");
        assert_eq!(sig.lines().count(), 4);
        assert_eq!(
            sk.public_key().verify(b"x", &sig).unwrap().trusted_comment,
            "a b c"
        );
    }
}
