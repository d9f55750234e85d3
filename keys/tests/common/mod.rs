//! Helpers shared by the integration tests: the throwaway keys of the test kit (`tests/kit/keys/`,
//! see its README), loaded once per test binary, and a reader for ring-style
//! `Key = value` vector files.
#![allow(dead_code)] // reason: each test binary compiles this module and uses a different subset.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use edgegate_keys::sign::SigningKey;
use edgegate_keys::PublicKey;
use ring::signature::{EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use std::path::PathBuf;
use std::sync::OnceLock;

/// `keys/tests/vectors`.
pub(crate) fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("vectors")
}

/// The text of a file under `tests/vectors/`.
pub(crate) fn read_vector(name: &str) -> String {
    let path = vectors_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The PEM text of a throwaway key in `tests/kit/keys/` (`rsa2048_a`, `ec_p256_a`, ...).
pub(crate) fn key_pem(name: &str) -> String {
    edgegate_test_kit::keys::pem(&format!("{name}.pem")).to_string()
}

/// The DER body of a PEM block.
pub(crate) fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    STANDARD.decode(body).expect("PEM body is base64")
}

macro_rules! cached_key {
    ($fn_name:ident, $file:literal) => {
        /// edgegate's `SigningKey` for this throwaway key (loaded once).
        pub(crate) fn $fn_name() -> &'static SigningKey {
            static KEY: OnceLock<SigningKey> = OnceLock::new();
            KEY.get_or_init(|| SigningKey::from_pem(&key_pem($file)).expect($file))
        }
    };
}

cached_key!(rsa_a, "rsa2048_a");
cached_key!(rsa_b, "rsa2048_b");
cached_key!(rsa_attacker, "rsa2048_attacker");
cached_key!(rsa_4096, "rsa4096");
cached_key!(ec_a, "ec_p256_a");
cached_key!(ec_b, "ec_p256_b");

/// The public half of a cached key.
pub(crate) fn public(key: &SigningKey) -> PublicKey {
    key.public_key()
        .expect("throwaway key has a valid public key")
}

/// A ring RSA key pair for a throwaway key: signs RS256/RS384/RS512/PS256 fast in debug builds.
pub(crate) fn ring_rsa(name: &str) -> RsaKeyPair {
    RsaKeyPair::from_pkcs8(&pem_der(&key_pem(name))).expect("ring loads the throwaway RSA key")
}

/// A ring ECDSA P-256 key pair for a throwaway key.
pub(crate) fn ring_ec(name: &str) -> EcdsaKeyPair {
    let rng = ring::rand::SystemRandom::new();
    EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        &pem_der(&key_pem(name)),
        &rng,
    )
    .expect("ring loads the throwaway EC key")
}

/// One block of a ring-style vector file: `Key = value` lines, with the comments (`# ...`)
/// that precede it and the line number where it starts.
#[derive(Debug)]
pub(crate) struct Block {
    pub(crate) line: usize,
    pub(crate) comment: String,
    pub(crate) fields: Vec<(String, String)>,
}

impl Block {
    /// The value of `key`; panics naming the block when it is missing or repeated.
    pub(crate) fn get(&self, key: &str) -> &str {
        let mut found = self.fields.iter().filter(|(k, _)| k == key);
        let value = found
            .next()
            .unwrap_or_else(|| panic!("block at line {} has no `{key}`", self.line));
        assert!(
            found.next().is_none(),
            "block at line {} repeats `{key}`",
            self.line
        );
        &value.1
    }
}

/// Parses a ring-style vector file: blocks of `Key = value` lines separated by blank lines;
/// `#` starts a comment line, which belongs to the block directly below it. The value is everything after the first ` = ` (kept verbatim, so a
/// URL may contain spaces or `=`).
pub(crate) fn parse_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut comment = String::new();
    let mut current: Option<Block> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            // A blank line ends a block; a comment belongs to the block right below it.
            blocks.extend(current.take());
            comment.clear();
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            if current.is_some() {
                blocks.extend(current.take());
            }
            if !comment.is_empty() {
                comment.push(' ');
            }
            comment.push_str(c.trim());
            continue;
        }
        let (key, value) = line
            .split_once(" = ")
            .unwrap_or_else(|| panic!("line {}: expected `Key = value`: {line:?}", i + 1));
        let block = current.get_or_insert_with(|| Block {
            line: i + 1,
            comment: std::mem::take(&mut comment),
            fields: Vec::new(),
        });
        block
            .fields
            .push((key.trim().to_string(), value.to_string()));
    }
    blocks.extend(current);
    blocks
}
