//! The decision stage: may this caller do this action on this object in this organisation?
//!
//! The rules are a Casbin model and policy (`policies/model.conf`, `policies/policy.csv`:
//! RBAC with organisations as domains, deny overriding allow). Decisions must stay in
//! microseconds with a 110,000-line policy, where one Casbin `enforce` over all lines takes
//! 17 ms with the simplest model and about 60 ms with this one (BENCHMARKS.md). Three
//! things keep them there:
//!
//! - the policy is indexed at load time into one small Casbin Enforcer per (organisation,
//!   object, action) (`snapshot.rs`, `partition.rs`); `model.rs` refuses a model for which
//!   that index would decide differently from one big Enforcer;
//! - the indexed policy is an immutable [`Snapshot`](snapshot::Snapshot) behind an
//!   [`ArcSwap`]: a request loads it without a lock, a reload builds and checks a new one
//!   beside it and swaps it in whole;
//! - a decision cache keyed by the full request tuple lives in the snapshot
//!   (`cache.rs`), so it can neither confuse two requests nor outlive its policy.
//!
//! casbin must be built without its `logging` feature (and so without `explain`, which
//! requires it in casbin 2.20): with it, every Enforcer starts its own logger thread.
//!
//! Room left for what comes next: a break-the-glass decision is a second question to the
//! same snapshot (e.g. action `emergency:read`, asked only when the first is denied and the
//! purpose is ETREAT with a justification) whose outcome the caller records as
//! `emergency`; an audit (shadow) mode is the caller forwarding a denied request while
//! recording the would-deny [`Decision`]. Neither needs a change to the index.

mod cache;
mod decision;
mod error;
mod load;
mod model;
mod partition;
mod rules;
mod snapshot;
pub mod synthetic;

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;

pub use decision::{ALLOWED, DENIED, Decision, FAILED, NO_RULE, Query};
pub use error::PolicyError;
pub use load::version;
pub use snapshot::PolicyStats;

/// Where the policy is, and how many decisions to remember.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// The Casbin model (`policies/model.conf`).
    pub model: PathBuf,
    /// The policy CSV (`policies/policy.csv`).
    pub policy: PathBuf,
    /// Decisions cached per policy version (about 300 bytes each); 0 disables the cache.
    #[serde(default = "default_cache_capacity")]
    pub cache_capacity: usize,
}

fn default_cache_capacity() -> usize {
    100_000
}

/// Decides requests against the current policy snapshot.
pub struct Authorizer {
    current: ArcSwap<snapshot::Snapshot>,
}

impl Authorizer {
    /// Loads, checks and indexes the policy named by `cfg`.
    pub async fn load(cfg: &PolicyConfig) -> Result<Self, PolicyError> {
        let snapshot = load::snapshot(cfg).await?;
        Ok(Self {
            current: ArcSwap::from_pointee(snapshot),
        })
    }

    /// Decides one request. Synchronous and lock-free on the policy; see `cache.rs` for
    /// the cache's short shard locks.
    pub fn decide(&self, q: &Query<'_>) -> Decision {
        self.current.load().decide(q)
    }

    /// The version (hex SHA-256 of model text then policy text) now in force.
    pub fn version(&self) -> String {
        self.current.load().version.to_string()
    }

    /// Size of the policy now in force.
    pub fn stats(&self) -> PolicyStats {
        self.current.load().stats
    }

    /// Decisions now cached.
    pub fn cached(&self) -> usize {
        self.current.load().cached()
    }

    /// Loads and checks the policy named by `cfg` and, only if it is valid, makes it the
    /// one in force. Requests already deciding finish on the old one. Returns the new
    /// version; on error the old policy stays.
    pub async fn reload(&self, cfg: &PolicyConfig) -> Result<String, PolicyError> {
        let snapshot = Arc::new(load::snapshot(cfg).await?);
        let version = snapshot.version.to_string();
        let old = self.current.swap(snapshot);
        tracing::info!(old = %old.version, new = %version, "policy reloaded");
        retire(old);
        Ok(version)
    }
}

/// Drops a replaced snapshot on the blocking pool once no decision holds it: dropping
/// thousands of Enforcers takes a while, and must not land on a request.
fn retire(old: Arc<snapshot::Snapshot>) {
    tokio::task::spawn_blocking(move || {
        while Arc::strong_count(&old) > 1 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        drop(old);
    });
}
