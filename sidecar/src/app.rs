//! Putting the sidecar together: from a [`Config`] to a running server, and the records
//! that frame its life (start, policy-load, stop).

use crate::audit::Auditor;
use crate::authz::Authorizer;
use crate::config::Config;
use crate::handler::State;
use crate::identity::Identifier;
use crate::metrics::Metrics;
use crate::proxy::Upstream;
use crate::route::Routes;
use crate::server::{ServerLimits, serve};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use zegel_audit::keys::read_signing_key;
use zegel_audit::store::{Store, StoreOptions};
use zegel_audit::writer::{Writer, WriterConfig, WriterTask};
use zegel_audit::{Event, EventKind, now_us};

/// Why the sidecar did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is unusable.
    #[error("{0}")]
    Config(String),
    /// The log store failed.
    #[error(transparent)]
    Store(#[from] zegel_audit::StoreError),
    /// The signing key is unusable.
    #[error(transparent)]
    Key(#[from] zegel_audit::keys::KeyError),
    /// The writer refused to start (e.g. the stored chain does not verify).
    #[error(transparent)]
    Writer(#[from] zegel_audit::writer::StartError),
    /// A start or policy-load record could not be written.
    #[error("cannot write the start records: {0}")]
    Record(#[from] zegel_audit::writer::WriteError),
}

/// How long the stop record waits, after serving ended, for cut requests' records.
const SETTLE_LIMIT: Duration = Duration::from_secs(5);

/// A sidecar ready to serve.
pub struct Sidecar {
    state: Arc<State>,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ServerLimits,
    writer_task: Option<WriterTask>,
}

/// Builds every stage from `cfg`, opens the log and records the start and policy load.
pub async fn start(cfg: &Config) -> Result<Sidecar, StartError> {
    let conf = |e: &dyn std::fmt::Display| StartError::Config(e.to_string());
    let tls = cfg
        .listen
        .tls
        .as_ref()
        .map(crate::tls::server_config)
        .transpose()
        .map_err(|e| conf(&e))?;
    let upstream = Upstream::new(&cfg.upstream).map_err(|e| conf(&e))?;
    let routes = Routes::new(&cfg.routes).map_err(|e| conf(&e))?;
    let authz = Authorizer::load(&cfg.policy).await.map_err(|e| conf(&e))?;
    let identifier = Identifier::new(&cfg.identity, &cfg.forward)
        .await
        .map_err(|e| conf(&e))?;
    let (writer, writer_task) = if cfg.audit.enabled {
        let (w, t) = open_log(cfg).await?;
        (Some(w), Some(t))
    } else {
        tracing::warn!(
            "AUDIT IS DISABLED: requests are forwarded without any record (benchmark mode)"
        );
        (None, None)
    };
    let auditor = Auditor::new(writer, &cfg.application);
    record_start(&auditor, cfg, &authz.version()).await?;
    let state = Arc::new(State {
        application: cfg.application.clone(),
        identifier,
        routes,
        authz,
        auditor,
        upstream,
        max_body_bytes: cfg.limits.max_body_bytes,
        trusted_proxies: cfg.listen.trusted_proxies.clone(),
        metrics: Metrics::new(),
    });
    let limits = ServerLimits {
        header_read_timeout: Duration::from_millis(cfg.limits.header_read_timeout_ms),
        max_header_bytes: cfg.limits.max_header_bytes,
        max_connections: cfg.limits.max_connections,
        shutdown_grace: Duration::from_millis(cfg.limits.shutdown_grace_ms),
    };
    Ok(Sidecar {
        state,
        tls,
        limits,
        writer_task,
    })
}

async fn open_log(cfg: &Config) -> Result<(Writer, WriterTask), StartError> {
    let a = &cfg.audit;
    // One writer, one connection: more only add prepared-statement caches (memory).
    let opts = StoreOptions {
        max_connections: 1,
        acquire_timeout: Duration::from_millis(a.acquire_timeout_ms),
        ..StoreOptions::default()
    };
    let store = Store::open(&a.database, &opts).await?;
    let key = read_signing_key(&a.signing_key)?;
    let mut wc = WriterConfig::new(&a.chain_id);
    wc.checkpoint_every = a.checkpoint_every;
    wc.checkpoint_interval = Duration::from_secs(a.checkpoint_interval_s);
    wc.checkpoint_file = Some(a.checkpoint_file.clone());
    wc.queue_capacity = a.queue_capacity;
    Ok(Writer::start(store, key, wc).await?)
}

async fn record_start(
    auditor: &Auditor,
    cfg: &Config,
    policy_version: &str,
) -> Result<(), StartError> {
    let mut start = Event::new(EventKind::Start, now_us());
    start.application = Some(cfg.application.clone());
    start.detail = Some(
        serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "listen": cfg.listen.address.to_string(),
            "upstream": cfg.upstream.url,
            "tls": cfg.listen.tls.is_some(),
        })
        .to_string(),
    );
    auditor.record(start).await?;
    let mut load = Event::new(EventKind::PolicyLoad, now_us());
    load.application = Some(cfg.application.clone());
    load.policy_version = Some(policy_version.to_owned());
    load.detail = Some(
        serde_json::json!({
            "model": cfg.policy.model.display().to_string(),
            "policy": cfg.policy.policy.display().to_string(),
        })
        .to_string(),
    );
    auditor.record(load).await?;
    Ok(())
}

impl Sidecar {
    /// The metrics of this sidecar.
    pub fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// Serves `listener` until `shutdown`, drains in-flight requests, records the stop
    /// and flushes the log (final checkpoint).
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), StartError> {
        serve(
            listener,
            Arc::clone(&self.state),
            self.tls.clone(),
            self.limits.clone(),
            shutdown,
        )
        .await;
        // Requests cut at the end of the grace period drop their futures now (HTTP/2
        // streams on tasks of their own, a moment later): the stop record waits until
        // every request's last record is queued, so it closes the run.
        let open = self.state.auditor.settled(SETTLE_LIMIT).await;
        if open > 0 {
            tracing::warn!(
                requests = open,
                "requests still open after shutdown; their records may follow the stop record"
            );
        }
        let mut stop = Event::new(EventKind::Stop, now_us());
        stop.application = Some(self.state.application.clone());
        stop.reason = Some("shutdown requested".into());
        let recorded = self.state.auditor.record(stop).await;
        if let Some(t) = self.writer_task {
            t.shutdown().await?;
        }
        recorded?;
        Ok(())
    }
}

/// Checks everything `start` would use, without opening the log for writing: TLS files,
/// upstream, routes, policy, identity sources, the signing key and the database.
pub async fn check(cfg: &Config) -> Result<(), StartError> {
    let conf = |e: &dyn std::fmt::Display| StartError::Config(e.to_string());
    cfg.listen
        .tls
        .as_ref()
        .map(crate::tls::server_config)
        .transpose()
        .map_err(|e| conf(&e))?;
    Upstream::new(&cfg.upstream).map_err(|e| conf(&e))?;
    Routes::new(&cfg.routes).map_err(|e| conf(&e))?;
    Authorizer::load(&cfg.policy).await.map_err(|e| conf(&e))?;
    Identifier::new(&cfg.identity, &cfg.forward)
        .await
        .map_err(|e| conf(&e))?;
    if cfg.audit.enabled {
        read_signing_key(&cfg.audit.signing_key)?;
        let opts = StoreOptions {
            read_only: true,
            ..StoreOptions::default()
        };
        if !cfg.audit.database.starts_with("sqlite:") {
            Store::open(&cfg.audit.database, &opts).await?.close().await;
        }
    }
    Ok(())
}

/// Starts a sidecar from `cfg` and serves `listener` until `shutdown` (what the binary
/// and the end-to-end tests call).
pub async fn run(
    cfg: &Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartError> {
    start(cfg).await?.run(listener, shutdown).await
}
