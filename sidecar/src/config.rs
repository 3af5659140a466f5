//! The sidecar's configuration: TOML, unknown fields rejected, every problem reported
//! with where it is. Config describes *what* is deployed; command-line flags only say
//! how this process runs.
//!
//! Environment overrides: `ZEGEL_LISTEN`, `ZEGEL_UPSTREAM_URL`, `ZEGEL_DATABASE`,
//! `ZEGEL_CHAIN_ID` replace the matching settings (handy for containers and tests).

use crate::authz::PolicyConfig;
use crate::identity::{ForwardConfig, IdentityConfig};
use crate::proxy::UpstreamConfig;
use crate::route::RouteConfig;
use crate::tls::TlsConfig;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Name of the application behind this sidecar (recorded; first part of policy objects).
    pub application: String,
    /// Where to listen.
    pub listen: ListenConfig,
    /// Where to forward.
    pub upstream: UpstreamConfig,
    /// Limits and timeouts.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// The access log.
    pub audit: AuditConfig,
    /// The Casbin model and policy.
    pub policy: PolicyConfig,
    /// Identity sources, in order.
    #[serde(default)]
    pub identity: Vec<IdentityConfig>,
    /// Headers that carry the verified identity upstream.
    #[serde(default)]
    pub forward: ForwardConfig,
    /// Routes: what requests ask for.
    #[serde(default, rename = "route")]
    pub routes: Vec<RouteConfig>,
}

/// `[listen]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenConfig {
    /// Address and port, e.g. `0.0.0.0:8443`.
    pub address: SocketAddr,
    /// TLS; without it the listener speaks plain HTTP/1.1 and h2c.
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// Peers whose `X-Forwarded-For` is extended rather than replaced.
    #[serde(default)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// `[limits]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Time allowed for a client to send the request headers (also the keep-alive idle time).
    pub header_read_timeout_ms: u64,
    /// Largest request head (HTTP/1.1 buffer) and header list (HTTP/2), in bytes.
    pub max_header_bytes: usize,
    /// Largest request body, in bytes.
    pub max_body_bytes: u64,
    /// Connections served at once; more are closed at accept.
    pub max_connections: usize,
    /// On SIGTERM/SIGINT, time allowed for requests in flight before they are cut.
    pub shutdown_grace_ms: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            header_read_timeout_ms: 10_000,
            max_header_bytes: 64 * 1024,
            max_body_bytes: 16 * 1024 * 1024,
            max_connections: 4_096,
            shutdown_grace_ms: 20_000,
        }
    }
}

/// `[audit]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// `sqlite:PATH` (embedded default) or `postgres://...` (shared by several sidecars).
    pub database: String,
    /// This sidecar's chain: unique per instance.
    pub chain_id: String,
    /// Checkpoint signing key (PKCS#8 PEM, mode 0600), from `zegel-sidecar keygen`.
    pub signing_key: PathBuf,
    /// Checkpoint file outside the database.
    pub checkpoint_file: PathBuf,
    /// Sign a checkpoint after this many records.
    #[serde(default = "default_checkpoint_every")]
    pub checkpoint_every: u64,
    /// ... or this many seconds after the first uncovered record.
    #[serde(default = "default_checkpoint_interval")]
    pub checkpoint_interval_s: u64,
    /// Records waiting at most before requests are refused with 503.
    #[serde(default = "default_queue")]
    pub queue_capacity: usize,
    /// Wait at most this long for a database connection (bounds the 503 latency).
    #[serde(default = "default_acquire")]
    pub acquire_timeout_ms: u64,
    /// `false` forwards requests WITHOUT any record: for benchmarks only.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn default_checkpoint_every() -> u64 {
    10_000
}
fn default_checkpoint_interval() -> u64 {
    60
}
fn default_queue() -> usize {
    65_536
}
fn default_acquire() -> u64 {
    2_000
}
fn yes() -> bool {
    true
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The TOML is invalid or has unknown/missing fields (the message names line and key).
    #[error("config {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's message, with line and column.
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("config {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Reads, parses, applies environment overrides and checks `path`. Relative paths in
    /// the file are taken relative to the file's directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut cfg: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        cfg.apply_env()
            .and_then(|()| cfg.check())
            .map_err(|message| ConfigError::Invalid {
                path: path.to_owned(),
                message,
            })?;
        cfg.resolve_paths(path.parent().unwrap_or(Path::new(".")));
        Ok(cfg)
    }

    fn apply_env(&mut self) -> Result<(), String> {
        if let Ok(v) = std::env::var("ZEGEL_LISTEN") {
            self.listen.address = v.parse().map_err(|e| format!("ZEGEL_LISTEN={v:?}: {e}"))?;
        }
        if let Ok(v) = std::env::var("ZEGEL_UPSTREAM_URL") {
            self.upstream.url = v;
        }
        if let Ok(v) = std::env::var("ZEGEL_DATABASE") {
            self.audit.database = v;
        }
        if let Ok(v) = std::env::var("ZEGEL_CHAIN_ID") {
            self.audit.chain_id = v;
        }
        Ok(())
    }

    /// Consistency checks beyond what the types say.
    pub fn check(&self) -> Result<(), String> {
        zegel_audit::chain::check_chain_id(&self.audit.chain_id)
            .map_err(|e| format!("audit.chain_id: {e}"))?;
        if self.application.is_empty() || self.application.contains([':', ' ']) {
            return Err(format!(
                "application {:?}: must be non-empty, without ':' or spaces",
                self.application
            ));
        }
        let l = &self.limits;
        if l.max_connections == 0 || l.max_header_bytes < 1024 || l.header_read_timeout_ms == 0 {
            return Err("limits: max_connections >= 1, max_header_bytes >= 1024, header_read_timeout_ms >= 1".into());
        }
        if self.audit.checkpoint_every == 0 || self.audit.queue_capacity == 0 {
            return Err("audit: checkpoint_every and queue_capacity must be at least 1".into());
        }
        Ok(())
    }

    fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.audit.signing_key);
        fix(&mut self.audit.checkpoint_file);
        fix(&mut self.policy.model);
        fix(&mut self.policy.policy);
        if let Some(tls) = &mut self.listen.tls {
            fix(&mut tls.cert);
            fix(&mut tls.key);
            if let Some(ca) = &mut tls.client_ca {
                fix(ca);
            }
        }
        if let Some(ca) = &mut self.upstream.ca {
            fix(ca);
        }
        for source in &mut self.identity {
            if let IdentityConfig::Jwt(jwt) = source
                && let Some(file) = &mut jwt.jwks_file
            {
                fix(file);
            }
        }
        if let Some(rest) = self.audit.database.strip_prefix("sqlite:") {
            let rest = rest.trim_start_matches("//");
            if !rest.starts_with('/') && !rest.starts_with(':') {
                self.audit.database = format!("sqlite:{}", base.join(rest).display());
            }
        }
    }
}
