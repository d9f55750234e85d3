//! The verified-credential cache: a bounded, per-container memo of credentials that already
//! passed verification, so a browser fetching 50 assets verifies its cookies once.
//!
//! It never changes a verdict:
//!
//! - only credentials that passed every check are inserted (a failed credential is never
//!   remembered, so a flood of distinct bogus credentials neither grows the cache nor evicts
//!   good entries);
//! - a hit is keyed by the exact credential bytes (plus, for a canned policy, the exact
//!   resource URL its signature covers), so it proves the same signature check would pass;
//! - everything that depends on the request or the time is re-checked on every hit by the
//!   caller: expiry (with leeway) and route groups for a token; `Resource`, `IpAddress` and the
//!   dates for a signed URL or cookie set ([`edgegate_keys::signed::SignedGrant::recheck`]).
//!
//! Bounds: at most [`MAX_ENTRIES`] entries and [`MAX_BYTES`] bytes of keys; when full, expired
//! entries go first, then the oldest insertions (FIFO). Pure data structure: no clock, no I/O.

use edgegate_keys::jwt::CognitoIdentity;
use edgegate_keys::signed::SignedGrant;
use edgegate_keys::Verified;
use std::collections::{HashMap, VecDeque};

/// Most entries kept.
pub const MAX_ENTRIES: usize = 1024;
/// Most bytes of credential keys kept (4 MiB).
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone, Debug)]
enum Entry {
    Token(Verified<CognitoIdentity>),
    Signed(Verified<SignedGrant>),
}

impl Entry {
    fn expires_at(&self) -> u64 {
        match self {
            Entry::Token(t) => t.expires_at,
            Entry::Signed(s) => s.expires_at(),
        }
    }
}

/// The cache. Create one per container and pass it to [`crate::gate::decide_cached`].
#[derive(Debug, Default)]
pub struct VerifiedCache {
    entries: HashMap<Box<[u8]>, Entry>,
    order: VecDeque<Box<[u8]>>,
    bytes: usize,
    hits: u64,
    misses: u64,
}

impl VerifiedCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `(hits, misses)` since creation.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    /// A verified token with exactly these bytes, if cached.
    pub fn token(&mut self, token: &str) -> Option<Verified<CognitoIdentity>> {
        let key = token_key(token);
        match self.entries.get(key.as_slice()) {
            Some(Entry::Token(t)) => {
                self.hits += 1;
                Some(t.clone())
            }
            _ => {
                self.misses += 1;
                None
            }
        }
    }

    /// Remembers a verified token.
    pub fn insert_token(&mut self, token: &str, identity: Verified<CognitoIdentity>, now: u64) {
        self.insert(token_key(token), Entry::Token(identity), now);
    }

    /// A verified signed credential with exactly this key (see [`signed_key`]), if cached.
    pub fn signed(&mut self, key: &[u8]) -> Option<Verified<SignedGrant>> {
        match self.entries.get(key) {
            Some(Entry::Signed(s)) => {
                self.hits += 1;
                Some(s.clone())
            }
            _ => {
                self.misses += 1;
                None
            }
        }
    }

    /// Remembers a verified signed credential under `key` (see [`signed_key`]).
    pub fn insert_signed(&mut self, key: Vec<u8>, grant: Verified<SignedGrant>, now: u64) {
        self.insert(key, Entry::Signed(grant), now);
    }

    fn insert(&mut self, key: Vec<u8>, entry: Entry, now: u64) {
        if key.len() > MAX_BYTES / 16 || entry.expires_at() <= now {
            return;
        }
        let key: Box<[u8]> = key.into_boxed_slice();
        if self.entries.contains_key(&key) {
            return;
        }
        if self.entries.len() >= MAX_ENTRIES || self.bytes + key.len() > MAX_BYTES {
            self.evict_expired(now);
        }
        while self.entries.len() >= MAX_ENTRIES || self.bytes + key.len() > MAX_BYTES {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if self.entries.remove(&oldest).is_some() {
                self.bytes = self.bytes.saturating_sub(oldest.len());
            }
        }
        self.bytes += key.len();
        self.order.push_back(key.clone());
        self.entries.insert(key, entry);
    }

    fn evict_expired(&mut self, now: u64) {
        let before = self.entries.len();
        self.entries.retain(|_, e| e.expires_at() > now);
        if self.entries.len() != before {
            let entries = &self.entries;
            self.order.retain(|k| entries.contains_key(k));
            self.bytes = self.order.iter().map(|k| k.len()).sum();
        }
    }
}

fn token_key(token: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(token.len() + 2);
    key.extend_from_slice(b"t:");
    key.extend_from_slice(token.as_bytes());
    key
}

/// The cache key of a signed credential: its source, policy form, signature, key pair id and
/// hash, and for a canned policy the resource URL the signature covers.
pub fn signed_key(credential: &edgegate_keys::SignedCredential, canned_resource: &str) -> Vec<u8> {
    use edgegate_keys::signed::{CredentialSource, PolicyForm};
    let mut key = Vec::with_capacity(512);
    key.extend_from_slice(match credential.source {
        CredentialSource::Url => b"u:",
        CredentialSource::Cookie => b"c:",
    });
    key.extend_from_slice(match credential.hash {
        edgegate_keys::HashAlgorithm::Sha1 => b"1:",
        edgegate_keys::HashAlgorithm::Sha256 => b"2:",
    });
    key.extend_from_slice(credential.key_pair_id.as_bytes());
    key.push(b'\n');
    key.extend_from_slice(credential.signature.as_bytes());
    key.push(b'\n');
    match &credential.policy {
        PolicyForm::Canned { expires } => {
            key.extend_from_slice(format!("E{expires}\n").as_bytes());
            key.extend_from_slice(canned_resource.as_bytes());
        }
        PolicyForm::Custom { encoded } => {
            key.extend_from_slice(b"P");
            key.extend_from_slice(encoded.as_bytes());
        }
    }
    key
}
