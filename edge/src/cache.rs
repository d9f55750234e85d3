//! The verified-credential cache: a bounded, per-container memo of credentials that already
//! passed verification, so a browser fetching 50 assets verifies the same cookies once.
//!
//! It never changes a verdict:
//!
//! - only credentials that passed every check are inserted (a failed credential is never
//!   remembered, so a flood of distinct bogus credentials neither grows the cache nor evicts
//!   good entries; a lookup that misses changes nothing);
//! - a hit is keyed by the exact credential bytes (plus, for a canned policy, the exact
//!   resource URL its signature covers), so it proves the same signature check would pass;
//! - everything that depends on the request or the time is re-checked on every hit by the
//!   caller: expiry (with leeway) and route groups for a token; `Resource`, `IpAddress` and the
//!   dates for a signed URL or cookie set ([`edgegate_keys::signed::SignedGrant::recheck`]).
//!
//! Bounds: at most [`MAX_ENTRIES`] entries and [`MAX_BYTES`] bytes of keys. Every operation
//! is O(1) apart from one sweep of expired entries, at most once per second of `now` and only
//! when the cache is full and some entry may have expired.
//!
//! Eviction is segmented LRU: a new entry starts on probation; a hit promotes it to the
//! protected segment (at most [`PROTECTED_ENTRIES`]; its least recently used entry drops back
//! to probation). When room is needed, expired entries go first (the sweep), then the least
//! recently used entry on probation, then the least recently used protected one. So a
//! credential in use (a browser's cookies, a client's token) is not pushed out by a stream of
//! credentials seen once: those churn through probation only.
//!
//! Pure data structure: no clock, no I/O.

use crate::config::IssuerIndex;
use edgegate_keys::jwt::{CognitoIdentity, OidcIdentity};
use edgegate_keys::signed::SignedGrant;
use edgegate_keys::Verified;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Most entries kept.
pub const MAX_ENTRIES: usize = 1024;
/// Most entries in the protected segment (credentials hit at least once since insertion).
pub const PROTECTED_ENTRIES: usize = MAX_ENTRIES * 3 / 4;
/// Most bytes of credential keys kept (4 MiB).
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// Largest key remembered (bigger credentials are verified every time).
pub const MAX_KEY_BYTES: usize = MAX_BYTES / 16;

/// What a verified token said, by its issuer's kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenIdentity {
    /// A Cognito user pool token.
    Cognito(Verified<CognitoIdentity>),
    /// A generic OIDC issuer's token.
    Oidc(Verified<OidcIdentity>),
}

impl TokenIdentity {
    /// `exp`, seconds since the epoch.
    pub fn expires_at(&self) -> u64 {
        match self {
            TokenIdentity::Cognito(c) => c.expires_at,
            TokenIdentity::Oidc(o) => o.expires_at,
        }
    }

    /// The kept string claims (see [`edgegate_keys::jwt::JwtValidation::claims`]).
    pub fn claims(&self) -> &[(String, String)] {
        match self {
            TokenIdentity::Cognito(c) => &c.claims,
            TokenIdentity::Oidc(o) => &o.claims,
        }
    }
}

/// A verified token as the cache keeps it: which issuer verified it, and what it said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The issuer whose keys and rules verified it.
    pub issuer: IssuerIndex,
    /// Its claims.
    pub identity: TokenIdentity,
}

#[derive(Clone, Debug)]
enum Entry {
    Token(VerifiedToken),
    Signed(Verified<SignedGrant>),
}

impl Entry {
    fn expires_at(&self) -> u64 {
        match self {
            Entry::Token(t) => t.identity.expires_at(),
            Entry::Signed(s) => s.expires_at(),
        }
    }
}

const NIL: u32 = u32::MAX;
const PROBATION: usize = 0;
const PROTECTED: usize = 1;

/// What the store needs of a value: when it stops being useful.
trait Expiring {
    fn expires_at(&self) -> u64;
}

impl Expiring for Entry {
    fn expires_at(&self) -> u64 {
        Entry::expires_at(self)
    }
}

#[derive(Debug)]
struct Slot<V> {
    key: Box<[u8]>,
    hash: u64,
    entry: V,
    expires_at: u64,
    segment: usize,
    /// Towards the most recently used end.
    prev: u32,
    /// Towards the least recently used end.
    next: u32,
}

/// One doubly linked recency list (through `Slot::prev`/`next`).
#[derive(Clone, Copy, Debug)]
struct List {
    /// Most recently used.
    head: u32,
    /// Least recently used.
    tail: u32,
    len: usize,
}

impl List {
    const EMPTY: List = List {
        head: NIL,
        tail: NIL,
        len: 0,
    };
}

/// The cache. Create one per container and pass it to [`crate::gate::decide_cached`].
#[derive(Debug, Default)]
pub struct VerifiedCache {
    /// Tokens are keyed by their bytes, signed credentials by [`signed_key`] (which contains
    /// `:`, never in a token); the entry's kind is checked on every hit as well.
    store: Store<Entry>,
    hits: u64,
    misses: u64,
}

/// The bounded segmented-LRU map behind [`VerifiedCache`].
#[derive(Debug)]
struct Store<V> {
    /// [`key_hash`] of the key → slot. A hit also compares the whole key; two keys with the
    /// same hash are never both kept (the second is simply not cached), so a collision can only
    /// cost a verification, never confuse two credentials.
    index: HashMap<u64, u32, BuildHasherDefault<Prehashed>>,
    /// `None`: free (listed in `free`).
    slots: Vec<Option<Slot<V>>>,
    free: Vec<u32>,
    lists: [List; 2],
    bytes: usize,
    /// No entry expires before this (a lower bound).
    earliest_expiry: u64,
    /// No expiry sweep before this `now`.
    next_sweep: u64,
}

impl<V> Default for Store<V> {
    fn default() -> Self {
        Store {
            index: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            lists: [List::EMPTY; 2],
            bytes: 0,
            earliest_expiry: u64::MAX,
            next_sweep: 0,
        }
    }
}

impl VerifiedCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.store.index.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.store.index.is_empty()
    }

    /// Bytes of keys held.
    pub fn key_bytes(&self) -> usize {
        self.store.bytes
    }

    /// `(hits, misses)` since creation.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    /// A verified token with exactly these bytes, if cached.
    pub fn token(&mut self, token: &str) -> Option<VerifiedToken> {
        match self.store.get(token.as_bytes()) {
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
    pub fn insert_token(&mut self, token: &str, identity: VerifiedToken, now: u64) {
        self.store
            .insert(token.as_bytes(), Entry::Token(identity), now);
    }

    /// A verified signed credential with exactly this key (see [`signed_key`]), if cached.
    pub fn signed(&mut self, key: &[u8]) -> Option<Verified<SignedGrant>> {
        match self.store.get(key) {
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
        self.store.insert(&key, Entry::Signed(grant), now);
    }
}

impl<V: Expiring> Store<V> {
    /// The entry under `key`, marked as used.
    fn get(&mut self, key: &[u8]) -> Option<&V> {
        let i = *self.index.get(&key_hash(key))?;
        if !same_bytes(&self.slot(i)?.key, key) {
            return None;
        }
        self.touch(i);
        self.slot(i).map(|s| &s.entry)
    }

    fn slot(&self, i: u32) -> Option<&Slot<V>> {
        self.slots.get(i as usize).and_then(Option::as_ref)
    }

    fn slot_mut(&mut self, i: u32) -> Option<&mut Slot<V>> {
        self.slots.get_mut(i as usize).and_then(Option::as_mut)
    }

    fn list(&mut self, segment: usize) -> &mut List {
        // `segment` is PROBATION or PROTECTED.
        let [probation, protected] = &mut self.lists;
        if segment == PROTECTED {
            protected
        } else {
            probation
        }
    }

    /// Takes slot `i` out of its list.
    fn unlink(&mut self, i: u32) {
        let Some(s) = self.slot(i) else { return };
        let (prev, next, segment) = (s.prev, s.next, s.segment);
        match self.slot_mut(prev) {
            Some(p) => p.next = next,
            None => self.list(segment).head = next,
        }
        match self.slot_mut(next) {
            Some(n) => n.prev = prev,
            None => self.list(segment).tail = prev,
        }
        let list = self.list(segment);
        list.len = list.len.saturating_sub(1);
    }

    /// Puts slot `i` (unlinked) at the most recently used end of `segment`.
    fn push_front(&mut self, i: u32, segment: usize) {
        let head = self.list(segment).head;
        if let Some(s) = self.slot_mut(i) {
            s.segment = segment;
            s.prev = NIL;
            s.next = head;
        }
        match self.slot_mut(head) {
            Some(h) => h.prev = i,
            None => self.list(segment).tail = i,
        }
        let list = self.list(segment);
        list.head = i;
        list.len += 1;
    }

    /// A hit: promote to (the front of) the protected segment, demoting its least recently
    /// used entry to probation when the segment is full.
    fn touch(&mut self, i: u32) {
        self.unlink(i);
        self.push_front(i, PROTECTED);
        if self.lists[PROTECTED].len > PROTECTED_ENTRIES {
            let tail = self.lists[PROTECTED].tail;
            self.unlink(tail);
            self.push_front(tail, PROBATION);
        }
    }

    fn remove(&mut self, i: u32) {
        self.unlink(i);
        if let Some(slot) = self.slots.get_mut(i as usize).and_then(Option::take) {
            self.index.remove(&slot.hash);
            self.bytes = self.bytes.saturating_sub(slot.key.len());
            self.free.push(i);
        }
    }

    fn full(&self, extra_bytes: usize) -> bool {
        self.index.len() >= MAX_ENTRIES || self.bytes + extra_bytes > MAX_BYTES
    }

    /// The entry to evict: the least recently used on probation, else the least recently used
    /// protected one (`NIL` when empty).
    fn victim(&self) -> u32 {
        match self.lists[PROBATION].tail {
            NIL => self.lists[PROTECTED].tail,
            tail => tail,
        }
    }

    fn insert(&mut self, key: &[u8], entry: V, now: u64) {
        let expires_at = entry.expires_at();
        let hash = key_hash(key);
        // Already cached, or a different key with the same hash (kept as is).
        if key.len() > MAX_KEY_BYTES || expires_at <= now || self.index.contains_key(&hash) {
            return;
        }
        if self.full(key.len()) && now >= self.earliest_expiry && now >= self.next_sweep {
            self.sweep(now);
        }
        while self.full(key.len()) {
            let victim = self.victim();
            if victim == NIL {
                break;
            }
            self.remove(victim);
        }
        let slot = Slot {
            key: Box::from(key),
            hash,
            entry,
            expires_at,
            segment: PROBATION,
            prev: NIL,
            next: NIL,
        };
        let i = match self.free.pop() {
            Some(i) => {
                if let Some(free) = self.slots.get_mut(i as usize) {
                    *free = Some(slot);
                }
                i
            }
            None => {
                self.slots.push(Some(slot));
                u32::try_from(self.slots.len() - 1).unwrap_or(NIL)
            }
        };
        self.bytes += key.len();
        self.index.insert(hash, i);
        self.push_front(i, PROBATION);
        self.earliest_expiry = self.earliest_expiry.min(expires_at);
    }

    /// Drops every expired entry; at most once per second of `now`.
    fn sweep(&mut self, now: u64) {
        self.next_sweep = now.saturating_add(1);
        let mut earliest = u64::MAX;
        let mut expired = Vec::new();
        for (i, slot) in self.slots.iter().enumerate() {
            if let Some(s) = slot {
                if s.expires_at <= now {
                    expired.push(i as u32);
                } else {
                    earliest = earliest.min(s.expires_at);
                }
            }
        }
        for i in expired {
            self.remove(i);
        }
        self.earliest_expiry = earliest;
    }
}

/// A fast 64-bit hash of a cache key (per 8-byte word: xor, multiply, fold the high half
/// down; then splitmix64's finaliser). Unkeyed on purpose: it only picks the slot, a hit
/// compares the whole key, and only verified credentials are ever inserted, so a crafted
/// collision can cost an attacker's own request a verification but cannot evict, replace or
/// impersonate a cached entry.
fn key_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mix = |h: u64, w: u64| {
        let h = (h ^ w).wrapping_mul(K);
        h ^ (h >> 32)
    };
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        h = mix(h, u64::from_le_bytes(b));
    }
    let mut tail = [0u8; 8];
    for (t, b) in tail.iter_mut().zip(words.remainder()) {
        *t = *b;
    }
    h = mix(h, u64::from_le_bytes(tail));
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// `a == b`, eight bytes at a time (slice equality becomes a byte-at-a-time `memcmp` on wasm,
/// and cache keys are credentials of up to several kilobytes).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (wa, wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tails = wa.remainder() == wb.remainder();
    let word = |w: &[u8]| {
        let mut x = [0u8; 8];
        x.copy_from_slice(w);
        u64::from_ne_bytes(x)
    };
    tails && wa.zip(wb).all(|(x, y)| word(x) == word(y))
}

/// The hasher of the index, whose keys are already [`key_hash`]es.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed (`write_u64`); fold anything else in anyway.
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
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
            key.push(b'E');
            key.extend_from_slice(expires.to_string().as_bytes());
            key.push(b'\n');
            key.extend_from_slice(canned_resource.as_bytes());
        }
        PolicyForm::Custom { encoded } => {
            key.extend_from_slice(b"P");
            key.extend_from_slice(encoded.as_bytes());
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Store<u64> {
        fn is_empty_for_test(&self) -> bool {
            self.index.is_empty() && self.lists.iter().all(|l| l.len == 0 && l.head == NIL)
        }
    }

    impl Expiring for u64 {
        fn expires_at(&self) -> u64 {
            *self
        }
    }

    fn key(i: usize) -> Vec<u8> {
        format!("credential-{i}").into_bytes()
    }

    /// The lists and the index agree, and the bounds hold.
    fn check(store: &Store<u64>) {
        let mut seen = 0;
        for segment in [PROBATION, PROTECTED] {
            let list = store.lists[segment];
            let mut i = list.head;
            let mut prev = NIL;
            let mut n = 0;
            while i != NIL {
                let s = store.slot(i).expect("listed slot exists");
                assert_eq!(s.segment, segment);
                assert_eq!(s.prev, prev);
                assert_eq!(store.index.get(&key_hash(&s.key)), Some(&i));
                assert_eq!(s.hash, key_hash(&s.key));
                prev = i;
                i = s.next;
                n += 1;
            }
            assert_eq!(list.tail, prev);
            assert_eq!(list.len, n);
            seen += n;
        }
        assert_eq!(seen, store.index.len());
        assert!(store.index.len() <= MAX_ENTRIES);
        assert!(store.lists[PROTECTED].len <= PROTECTED_ENTRIES);
        let bytes: usize = store.slots.iter().flatten().map(|s| s.key.len()).sum();
        assert_eq!(store.bytes, bytes);
        assert!(bytes <= MAX_BYTES);
    }

    #[test]
    fn get_and_insert() {
        let mut store = Store::default();
        assert_eq!(store.get(b"a"), None);
        store.insert(b"a", 100, 10);
        store.insert(b"a", 200, 10); // already there: kept as is
        assert_eq!(store.get(b"a"), Some(&100));
        store.insert(b"b", 10, 10); // already expired: not kept
        assert_eq!(store.get(b"b"), None);
        store.insert(&vec![b'x'; MAX_KEY_BYTES + 1], 100, 10); // too big
        assert_eq!(store.index.len(), 1);
        check(&store);
    }

    #[test]
    fn bounded_in_entries_and_a_stream_of_new_keys_keeps_the_hot_one() {
        let mut store = Store::default();
        store.insert(b"hot", 1_000, 0);
        assert!(store.get(b"hot").is_some()); // used: protected
        for i in 0..10 * MAX_ENTRIES {
            store.insert(&key(i), 1_000, 0);
            if i % 997 == 0 {
                check(&store);
            }
        }
        check(&store);
        assert_eq!(store.index.len(), MAX_ENTRIES);
        assert!(
            store.get(b"hot").is_some(),
            "a stream of keys seen once evicts only probation"
        );
        // The newest keys are there, the oldest are gone.
        assert!(store.get(&key(10 * MAX_ENTRIES - 1)).is_some());
        assert!(store.get(&key(0)).is_none());
    }

    #[test]
    fn protected_segment_is_bounded_and_lru() {
        let mut store = Store::default();
        for i in 0..MAX_ENTRIES {
            store.insert(&key(i), 1_000, 0);
        }
        for i in 0..MAX_ENTRIES {
            assert!(store.get(&key(i)).is_some());
        }
        check(&store);
        // Everything was used once; the least recently used ones were demoted to probation and
        // go first.
        store.insert(b"new", 1_000, 0);
        check(&store);
        assert!(store.get(&key(0)).is_none());
        assert!(store.get(&key(MAX_ENTRIES - 1)).is_some());
        // With probation empty, the protected segment's least recently used entry goes.
        let mut store = Store::default();
        store.insert(b"a", 1_000, 0);
        store.insert(b"b", 1_000, 0);
        store.insert(b"c", 1_000, 0);
        let slot_of = |store: &Store<u64>, k: &[u8]| *store.index.get(&key_hash(k)).unwrap();
        assert_eq!(store.victim(), slot_of(&store, b"a"));
        assert!(store.get(b"a").is_some());
        assert!(store.get(b"b").is_some());
        assert_eq!(store.victim(), slot_of(&store, b"c"));
        store.remove(slot_of(&store, b"c"));
        check(&store);
        assert_eq!(store.victim(), slot_of(&store, b"a"));
        assert!(store.get(b"a").is_some());
        assert_eq!(store.victim(), slot_of(&store, b"b"));
        store.remove(slot_of(&store, b"b"));
        store.remove(slot_of(&store, b"a"));
        check(&store);
        assert_eq!(store.victim(), NIL);
        assert!(store.is_empty_for_test());
    }

    #[test]
    fn expired_entries_go_before_live_ones() {
        let mut store = Store::default();
        for i in 0..MAX_ENTRIES {
            // Half expire at 50, half at 1000; all used, so all protected or demoted.
            store.insert(&key(i), if i % 2 == 0 { 50 } else { 1_000 }, 0);
            let _ = store.get(&key(i));
        }
        store.insert(b"new", 1_000, 60);
        check(&store);
        assert_eq!(store.index.len(), MAX_ENTRIES / 2 + 1);
        for i in (1..MAX_ENTRIES).step_by(2) {
            assert!(store.get(&key(i)).is_some(), "live entry {i} kept");
        }
    }

    #[test]
    fn expiry_sweep_runs_at_most_once_per_second() {
        let mut store = Store::default();
        for i in 0..MAX_ENTRIES {
            store.insert(&key(i), 1_000 + i as u64, 0);
        }
        // Nothing can have expired yet: no sweep.
        store.insert(b"x", 5_000, 10);
        assert_eq!(store.next_sweep, 0);
        // key(0) expired: one sweep, then none until the next second.
        store.insert(b"y", 5_000, 1_001);
        assert_eq!(store.next_sweep, 1_002);
        let earliest = store.earliest_expiry;
        assert!(earliest > 1_001);
        store.insert(b"z", 5_000, 1_001);
        assert_eq!(store.next_sweep, 1_002);
        check(&store);
    }

    #[test]
    fn bounded_in_bytes() {
        let mut store = Store::default();
        let big = MAX_KEY_BYTES;
        for i in 0..40usize {
            let mut k = vec![b'k'; big];
            k[..8].copy_from_slice(&(i as u64).to_le_bytes());
            store.insert(&k, 1_000, 0);
            check(&store);
        }
        assert!(store.bytes <= MAX_BYTES);
        assert_eq!(store.index.len(), MAX_BYTES / big);
    }

    #[test]
    fn misses_change_nothing() {
        let mut store = Store::default();
        for i in 0..MAX_ENTRIES {
            store.insert(&key(i), 1_000, 0);
        }
        let order = |store: &Store<u64>| {
            let mut keys = Vec::new();
            let mut i = store.lists[PROBATION].head;
            while let Some(s) = store.slot(i) {
                keys.push(s.key.clone());
                i = s.next;
            }
            keys
        };
        let before = order(&store);
        for i in MAX_ENTRIES..4 * MAX_ENTRIES {
            assert_eq!(store.get(&key(i)), None);
        }
        assert_eq!(
            order(&store),
            before,
            "misses neither add, evict nor reorder"
        );
        check(&store);
    }

    #[test]
    fn a_key_with_the_same_hash_is_a_miss_and_is_not_cached() {
        let mut store = Store::default();
        store.insert(b"victim", 1_000, 0);
        // Force a collision: move the victim's slot under the hash of another key.
        let i = store.index.remove(&key_hash(b"victim")).unwrap();
        let forged = key_hash(b"attacker");
        store.index.insert(forged, i);
        if let Some(Some(s)) = store.slots.get_mut(i as usize) {
            s.hash = forged;
        }
        assert_eq!(
            store.get(b"attacker"),
            None,
            "same hash, different bytes: a miss"
        );
        store.insert(b"attacker", 2_000, 0);
        assert_eq!(store.index.len(), 1, "the colliding key is not cached");
        assert_eq!(store.slot(i).map(|s| &*s.key), Some(&b"victim"[..]));
    }

    #[test]
    fn same_bytes_is_equality() {
        let a: Vec<u8> = (0..100u8).collect();
        for len in 0..a.len() {
            for flip in 0..len {
                let mut b = a[..len].to_vec();
                assert!(same_bytes(&a[..len], &b));
                b[flip] ^= 1;
                assert!(!same_bytes(&a[..len], &b));
            }
            assert!(!same_bytes(&a[..len], &a[..len + 1]));
        }
    }

    #[test]
    fn key_hash_spreads_similar_keys() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..200_000u32 {
            assert!(
                seen.insert(key_hash(format!("token-{i}").as_bytes())),
                "token-{i}"
            );
            assert!(
                seen.insert(key_hash(format!("{i:0>1000}").as_bytes())),
                "{i:0>1000}"
            );
        }
        assert_ne!(key_hash(b""), key_hash(&[0]));
        assert_ne!(key_hash(&[0; 8]), key_hash(&[0; 9]));
    }
}
