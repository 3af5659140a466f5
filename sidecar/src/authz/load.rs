//! From the two files to a checked snapshot, off the request path.
//!
//! The version is the hex SHA-256 of the model text followed by the policy text, as
//! read: `cat model.conf policy.csv | sha256sum` reproduces it, so an auditor can tell
//! from a record which files were in force. Building 110,000 lines into partitions takes
//! seconds of CPU, so it runs on the blocking pool and a reload does not stall requests
//! served by the runtime's workers.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::error::PolicyError;
use super::snapshot::Snapshot;
use super::{PolicyConfig, model, rules};

/// Reads, checks and indexes the model and policy named by `cfg`.
pub(crate) async fn snapshot(cfg: &PolicyConfig) -> Result<Snapshot, PolicyError> {
    let model_text = read(&cfg.model).await?;
    let policy_text = read(&cfg.policy).await?;
    let version = version(&model_text, &policy_text);
    let model = model::parse(&cfg.model, &model_text).await?;
    let rules = rules::parse(&cfg.policy, &policy_text)?;
    let (path, capacity) = (cfg.policy.clone(), cfg.cache_capacity);
    let runtime = tokio::runtime::Handle::current();
    let build = move || runtime.block_on(Snapshot::build(&model, rules, version, capacity));
    match tokio::task::spawn_blocking(build).await {
        Ok(built) => built.map_err(|source| PolicyError::Casbin { path, source }),
        Err(join) => Err(PolicyError::Build(join.to_string())),
    }
}

/// The policy version: hex SHA-256 of the model text followed by the policy text.
pub fn version(model: &str, policy: &str) -> String {
    let mut sha = Sha256::new();
    sha.update(model.as_bytes());
    sha.update(policy.as_bytes());
    hex::encode(sha.finalize())
}

async fn read(path: &Path) -> Result<String, PolicyError> {
    let read = tokio::fs::read_to_string(path).await;
    read.map_err(|source| PolicyError::Read {
        path: path.to_path_buf(),
        source,
    })
}
