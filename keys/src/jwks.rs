//! Cognito user pool JWKS (RFC 7517 §5): parsing with exact `kid` lookup.
//!
//! A user pool publishes its signing keys at `<issuer>/.well-known/jwks.json`. edgegate bakes
//! that document in at build time; this module parses it once. Rules (RFC 7518 §3.3 and §6.3,
//! RFC 8725 §3.10, and the Cognito guide "Verifying a JSON Web Token"):
//!
//! - at most [`crate::limits::MAX_JWKS_BYTES`] bytes and [`crate::limits::MAX_JWKS_KEYS`] keys;
//! - every key is `kty: "RSA"` with a non-empty `kid`, strict base64url `n`/`e`, 2048–4096
//!   bits and e = 65537; `alg`, when present, is `RS256`; `use`, when present, is `sig`;
//!   `key_ops`, when present, includes `verify`;
//! - duplicate `kid`s refuse the whole set (no ambiguous lookup);
//! - duplicate JSON member names refuse the whole set.
//!
//! A key that breaks a rule refuses the set with a [`KeyError`] naming it (`keys[1].e`): the
//! JWKS is loaded at build or start time, where an operator reads the error.

use crate::cf_base64::{decode_b64url, encode_b64url};
use crate::key::PublicKey;
use crate::limits::{MAX_JWKS_BYTES, MAX_JWKS_KEYS};
use crate::{json, KeyError};
use serde_json::Value;

/// Longest accepted `kid`, in bytes.
pub const MAX_KID_BYTES: usize = 256;

/// A validated set of RS256 verification keys, looked up by exact `kid`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<(String, PublicKey)>,
}

impl Jwks {
    /// Parses a JWKS document.
    ///
    /// # Errors
    /// [`KeyError`] naming the member at fault; see the module docs for the rules.
    pub fn parse(document: &[u8]) -> Result<Self, KeyError> {
        if document.len() > MAX_JWKS_BYTES {
            return Err(KeyError::new("", "JWKS larger than 64 KiB"));
        }
        let top = json::parse_object(document)
            .map_err(|_| KeyError::new("", "not a JSON object (or duplicate member names)"))?;
        let keys = match top.get("keys") {
            Some(Value::Array(keys)) => keys,
            _ => return Err(KeyError::new("keys", "missing or not an array")),
        };
        if keys.is_empty() {
            return Err(KeyError::new("keys", "empty"));
        }
        if keys.len() > MAX_JWKS_KEYS {
            return Err(KeyError::new("keys", "more than 20 keys"));
        }
        let mut out: Vec<(String, PublicKey)> = Vec::with_capacity(keys.len());
        for (i, jwk) in keys.iter().enumerate() {
            let (kid, key) = parse_jwk(jwk).map_err(|e| e.within(&format!("keys[{i}]")))?;
            if out.iter().any(|(k, _)| *k == kid) {
                return Err(KeyError::new(format!("keys[{i}].kid"), "duplicate kid"));
            }
            out.push((kid, key));
        }
        Ok(Jwks { keys: out })
    }

    /// The key with exactly this `kid`, if any.
    pub fn get(&self, kid: &str) -> Option<&PublicKey> {
        self.keys.iter().find(|(k, _)| k == kid).map(|(_, key)| key)
    }

    /// The `kid`s, in document order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(k, _)| k.as_str())
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set is empty (never true for a parsed set).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// This set plus the keys of `other` whose `kid` is not already here (this set stays
    /// authoritative for the kids it has). Returns the merged set and how many keys were added;
    /// the result never exceeds [`MAX_JWKS_KEYS`] keys (extra new keys are dropped).
    pub fn merged_with(&self, other: &Jwks) -> (Jwks, u32) {
        let mut keys = self.keys.clone();
        let mut added = 0u32;
        for (kid, key) in &other.keys {
            if keys.len() >= MAX_JWKS_KEYS {
                break;
            }
            if !keys.iter().any(|(k, _)| k == kid) {
                keys.push((kid.clone(), key.clone()));
                added += 1;
            }
        }
        (Jwks { keys }, added)
    }

    /// Builds a one-key set (e.g. the dev issuer's).
    ///
    /// # Errors
    /// [`KeyError`] when `key` is not RSA or the kid is empty or too long.
    pub fn single(kid: &str, key: PublicKey) -> Result<Self, KeyError> {
        if key.rsa_components().is_none() {
            return Err(KeyError::new("kty", "JWKS keys must be RSA"));
        }
        check_kid(kid)?;
        Ok(Jwks {
            keys: vec![(kid.to_string(), key)],
        })
    }

    /// Serialises the set as a JWKS document (`kty`, `kid`, `alg`, `use`, `n`, `e`).
    pub fn to_json(&self) -> String {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter_map(|(kid, key)| {
                let (n, e) = key.rsa_components()?;
                Some(serde_json::json!({
                    "alg": "RS256",
                    "e": encode_b64url(e),
                    "kid": kid,
                    "kty": "RSA",
                    "n": encode_b64url(n),
                    "use": "sig",
                }))
            })
            .collect();
        serde_json::json!({ "keys": keys }).to_string()
    }
}

fn check_kid(kid: &str) -> Result<(), KeyError> {
    if kid.is_empty() || kid.len() > MAX_KID_BYTES {
        return Err(KeyError::new("kid", "must be 1 to 256 bytes"));
    }
    Ok(())
}

fn parse_jwk(jwk: &Value) -> Result<(String, PublicKey), KeyError> {
    let obj = jwk
        .as_object()
        .ok_or_else(|| KeyError::new("", "not a JSON object"))?;
    let str_member = |name: &'static str| -> Result<Option<&str>, KeyError> {
        match obj.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(KeyError::new(name, "must be a string")),
        }
    };
    match str_member("kty")? {
        Some("RSA") => {}
        Some(_) => return Err(KeyError::new("kty", "only RSA keys are accepted")),
        None => return Err(KeyError::new("kty", "missing")),
    }
    let kid = str_member("kid")?.ok_or_else(|| KeyError::new("kid", "missing"))?;
    check_kid(kid)?;
    if let Some(alg) = str_member("alg")? {
        if alg != "RS256" {
            return Err(KeyError::new("alg", "only RS256 is accepted"));
        }
    }
    if let Some(usage) = str_member("use")? {
        if usage != "sig" {
            return Err(KeyError::new("use", "must be \"sig\""));
        }
    }
    if let Some(ops) = obj.get("key_ops") {
        let ops = ops
            .as_array()
            .ok_or_else(|| KeyError::new("key_ops", "must be an array"))?;
        if !ops.iter().any(|op| op.as_str() == Some("verify")) {
            return Err(KeyError::new("key_ops", "does not include \"verify\""));
        }
    }
    let n = str_member("n")?.ok_or_else(|| KeyError::new("n", "missing"))?;
    let e = str_member("e")?.ok_or_else(|| KeyError::new("e", "missing"))?;
    let n = decode_b64url(n).map_err(|_| KeyError::new("n", "not strict base64url"))?;
    let e = decode_b64url(e).map_err(|_| KeyError::new("e", "not strict base64url"))?;
    let key = PublicKey::from_rsa_components(&n, &e)?;
    Ok((kid.to_string(), key))
}
