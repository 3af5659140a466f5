//! The decision cache: exact request tuple -> decision, per policy snapshot.
//!
//! Casbin's `CachedEnforcer` keys on a 64-bit hash of the request, so two different
//! requests with the same hash share a decision. Here the hash only picks the slot; the
//! full tuple (sorted roles, department, organisation, object, action) is stored and
//! compared, and a slot holding another tuple is a miss. The hash is keyed per process
//! (SipHash with a random key), so callers cannot aim collisions at each other's slots.
//! The cache lives in the snapshot, so a new policy version starts empty and a stale
//! decision cannot outlive its policy.
//!
//! Reads take a shared lock on one of 16 shards; a miss writes one entry under that
//! shard's exclusive lock. When a shard is full an arbitrary entry makes room.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{PoisonError, RwLock};

use super::decision::Decision;

const SHARDS: usize = 16;

/// The part of a request a decision depends on, with roles sorted and deduplicated.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Shape<'a> {
    pub roles: Vec<&'a str>,
    pub department: Option<&'a str>,
    pub domain: &'a str,
    pub object: &'a str,
    pub action: &'a str,
}

/// An owned [`Shape`], stored beside its decision.
#[derive(Debug, PartialEq, Eq)]
struct Key {
    roles: Box<[Box<str>]>,
    department: Option<Box<str>>,
    domain: Box<str>,
    object: Box<str>,
    action: Box<str>,
}

impl Key {
    fn of(s: &Shape<'_>) -> Self {
        Self {
            roles: s.roles.iter().map(|r| Box::from(*r)).collect(),
            department: s.department.map(Box::from),
            domain: s.domain.into(),
            object: s.object.into(),
            action: s.action.into(),
        }
    }

    fn is(&self, s: &Shape<'_>) -> bool {
        self.roles.len() == s.roles.len()
            && self.roles.iter().zip(&s.roles).all(|(a, b)| **a == **b)
            && self.department.as_deref() == s.department
            && *self.domain == *s.domain
            && *self.object == *s.object
            && *self.action == *s.action
    }
}

/// The slot hash is already a keyed hash: use it as is.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Shard = HashMap<u64, (Key, Decision), BuildHasherDefault<Identity>>;

/// A bounded, sharded map from request shape to decision.
pub(crate) struct DecisionCache {
    shards: Box<[RwLock<Shard>]>,
    per_shard: usize,
    hasher: RandomState,
}

impl DecisionCache {
    /// A cache of about `capacity` entries; 0 disables it.
    pub(crate) fn new(capacity: usize) -> Self {
        let shards = (0..SHARDS).map(|_| RwLock::default()).collect();
        Self {
            shards,
            per_shard: capacity.div_ceil(SHARDS),
            hasher: RandomState::new(),
        }
    }

    /// The cached decision for `shape`, if any.
    pub(crate) fn get(&self, shape: &Shape<'_>) -> Option<Decision> {
        if self.per_shard == 0 {
            return None;
        }
        let hash = self.hasher.hash_one(shape);
        let shard = self
            .shard(hash)
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        match shard.get(&hash) {
            Some((key, decision)) if key.is(shape) => Some(decision.clone()),
            _ => None,
        }
    }

    /// Remembers `decision` for `shape`.
    pub(crate) fn insert(&self, shape: &Shape<'_>, decision: &Decision) {
        if self.per_shard == 0 {
            return;
        }
        let hash = self.hasher.hash_one(shape);
        let mut shard = self
            .shard(hash)
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if shard.len() >= self.per_shard && !shard.contains_key(&hash) {
            let victim = shard.keys().next().copied();
            victim.map(|v| shard.remove(&v));
        }
        shard.insert(hash, (Key::of(shape), decision.clone()));
    }

    /// Entries held, for tests and metrics.
    pub(crate) fn len(&self) -> usize {
        let len = |s: &RwLock<Shard>| s.read().unwrap_or_else(PoisonError::into_inner).len();
        self.shards.iter().map(len).sum()
    }

    fn shard(&self, hash: u64) -> &RwLock<Shard> {
        // The map inside uses the low bits for the bucket and the top 7 for its tags;
        // pick the shard with bits that neither uses.
        &self.shards[(hash >> 32) as usize % SHARDS]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape<'a>(roles: &[&'a str], object: &'a str) -> Shape<'a> {
        let roles = roles.to_vec();
        Shape {
            roles,
            department: None,
            domain: "ura:1",
            object,
            action: "read",
        }
    }

    fn decision(allowed: bool) -> Decision {
        Decision::new(allowed, None, "test", "v1".into())
    }

    #[test]
    fn hits_only_the_exact_tuple() {
        let cache = DecisionCache::new(100);
        cache.insert(&shape(&["arts"], "ecd:Patient"), &decision(true));
        assert!(
            cache
                .get(&shape(&["arts"], "ecd:Patient"))
                .is_some_and(|d| d.allowed)
        );
        assert!(cache.get(&shape(&["arts"], "ecd:Observation")).is_none());
        assert!(
            cache
                .get(&shape(&["arts", "stagiair"], "ecd:Patient"))
                .is_none()
        );
    }

    #[test]
    fn stays_bounded_and_can_be_disabled() {
        let cache = DecisionCache::new(32);
        let objects: Vec<String> = (0..1000).map(|i| format!("o{i}")).collect();
        for o in &objects {
            cache.insert(&shape(&["arts"], o), &decision(false));
        }
        assert!(cache.len() <= 32, "{}", cache.len());
        let off = DecisionCache::new(0);
        off.insert(&shape(&["arts"], "x"), &decision(true));
        assert!(off.get(&shape(&["arts"], "x")).is_none());
    }
}
