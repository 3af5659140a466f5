//! The writer: one task per chain owns the chain head and commits what callers submit.
//!
//! A caller [`Writer::submit`]s an event and gets its [`Receipt`] only after the
//! transaction holding it has committed. The task takes whatever is queued as one batch
//! (group commit), so a lone request waits for about one commit while throughput grows
//! with load. The queue is bounded: when it is full, or the database has failed, callers
//! get an error at once; nothing waits on a dead database. After a failure the task
//! re-reads the chain head from the database before it writes again, so a commit whose
//! outcome was unknown cannot fork the chain.

mod resume;
mod task;

use crate::chain::{Hash, check_chain_id};
use crate::keys::SigningKey;
use crate::record::Event;
use crate::store::{Store, StoreError};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, oneshot};

pub use resume::StartError;

/// How the writer batches, checkpoints and recovers.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// The chain this writer appends to (one per sidecar instance).
    pub chain_id: String,
    /// Submissions waiting at most; beyond that `submit` fails with `QueueFull`.
    pub queue_capacity: usize,
    /// Records per transaction at most.
    pub max_batch: usize,
    /// Sign a checkpoint after this many records...
    pub checkpoint_every: u64,
    /// ...or this long after the first record not yet covered by one.
    pub checkpoint_interval: Duration,
    /// Also append every checkpoint to this file (the anchor outside the database).
    pub checkpoint_file: Option<PathBuf>,
    /// While the database is failing, how often to try it again.
    pub retry_interval: Duration,
    /// How long records given to [`Writer::submit_deferred`] wait at most for a commit
    /// that a [`Writer::submit`] starts, before they get a commit of their own.
    pub defer_max: Duration,
}

impl WriterConfig {
    /// Defaults for `chain_id`: queue 65,536, batches up to 4,096, checkpoint every
    /// 10,000 records or 60 s, retry every 250 ms, deferred records wait at most 5 ms.
    pub fn new(chain_id: impl Into<String>) -> Self {
        WriterConfig {
            chain_id: chain_id.into(),
            queue_capacity: 65_536,
            max_batch: 4_096,
            checkpoint_every: 10_000,
            checkpoint_interval: Duration::from_secs(60),
            checkpoint_file: None,
            retry_interval: Duration::from_millis(250),
            defer_max: Duration::from_millis(5),
        }
    }
}

/// Proof that a record is durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// Its sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: Hash,
}

/// Why a record was not written. In each case nothing of it is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// Too many submissions are waiting.
    #[error("audit log queue is full")]
    QueueFull,
    /// The database failed; the writer is retrying in the background.
    #[error("audit log unavailable: {0}")]
    Unavailable(String),
    /// The writer has shut down.
    #[error("audit log writer is closed")]
    Closed,
    /// The event cannot be stored as given.
    #[error("invalid audit record: {0}")]
    Invalid(String),
}

struct Submission {
    event: Event,
    /// Where the outcome goes; `None` for a detached submission, whose loss the task
    /// reports in its own log (see `submit_detached`).
    ack: Option<oneshot::Sender<Result<Receipt, WriteError>>>,
    /// Rides along with the next commit instead of starting one (see `submit_deferred`).
    deferred: bool,
}

impl Submission {
    /// Answers the submitter, or for a detached submission reports a record not stored.
    fn answer(self, outcome: Result<Receipt, WriteError>) {
        match (self.ack, outcome) {
            (Some(ack), outcome) => {
                let _ = ack.send(outcome);
            }
            (None, Ok(_)) => {}
            (None, Err(e)) => tracing::error!(
                kind = ?self.event.kind,
                request_id = self.event.request_id.as_deref().unwrap_or(""),
                error = %e,
                "audit record lost"
            ),
        }
    }
}

/// State shared between the handles and the task.
struct Shared {
    available: AtomicBool,
    last_error: Mutex<String>,
    refused: AtomicU64,
    head_seq: AtomicU64,
    commits: AtomicU64,
    close: Notify,
}

/// A handle to submit records; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Submission>,
    shared: Arc<Shared>,
}

/// The running writer task; [`WriterTask::shutdown`] flushes and signs a final checkpoint.
pub struct WriterTask {
    shared: Arc<Shared>,
    join: tokio::task::JoinHandle<Result<(), StoreError>>,
}

impl Writer {
    /// Resumes (or creates) the chain in `store` and starts its writer task.
    ///
    /// Refuses to start when the chain is written by another process, when its stored
    /// tail does not verify, or when a signed checkpoint covers records that are missing.
    pub async fn start(
        store: Store,
        key: SigningKey,
        config: WriterConfig,
    ) -> Result<(Writer, WriterTask), StartError> {
        check_chain_id(&config.chain_id).map_err(StartError::Config)?;
        if config.max_batch == 0 || config.queue_capacity == 0 || config.checkpoint_every == 0 {
            return Err(StartError::Config(
                "queue_capacity, max_batch and checkpoint_every must be at least 1".into(),
            ));
        }
        let resumed = resume::resume(&store, &key, &config).await?;
        let shared = Arc::new(Shared {
            available: AtomicBool::new(true),
            last_error: Mutex::new(String::new()),
            refused: AtomicU64::new(0),
            head_seq: AtomicU64::new(resumed.head_seq),
            commits: AtomicU64::new(0),
            close: Notify::new(),
        });
        let (tx, rx) = mpsc::channel(config.queue_capacity);
        let task = task::Task::new(store, key, config, resumed, rx, Arc::clone(&shared));
        let join = tokio::spawn(task.run());
        Ok((
            Writer {
                tx,
                shared: Arc::clone(&shared),
            },
            WriterTask { shared, join },
        ))
    }

    /// Submits `event` and waits until it is durable.
    pub async fn submit(&self, event: Event) -> Result<Receipt, WriteError> {
        self.enqueue(event, false).await
    }

    /// Like [`Writer::submit`], for a record nobody is held up by (e.g. a request's
    /// outcome, written after the response has gone): it does not start a commit of
    /// its own but joins the next one a [`Writer::submit`] starts, or gets its own after
    /// `defer_max`. Under light load this halves the commits (and fsyncs) that requests
    /// wait for. Acknowledged, like every record, only after its commit.
    pub async fn submit_deferred(&self, event: Event) -> Result<Receipt, WriteError> {
        self.enqueue(event, true).await
    }

    /// Like [`Writer::submit_deferred`] without waiting: the record is queued behind
    /// everything submitted before it (so a record submitted afterwards lands after it),
    /// and if it cannot then be stored the writer logs the loss. For records whose
    /// submitter has nothing left to do with the receipt (a response's outcome): no task
    /// waits for each of them. `Err` when it cannot even be queued.
    pub fn submit_detached(&self, event: Event) -> Result<(), WriteError> {
        self.queue(event, true, None)
    }

    async fn enqueue(&self, event: Event, deferred: bool) -> Result<Receipt, WriteError> {
        let (ack, rx) = oneshot::channel();
        self.queue(event, deferred, Some(ack))?;
        rx.await.map_err(|_| WriteError::Closed)?
    }

    fn queue(
        &self,
        mut event: Event,
        deferred: bool,
        ack: Option<oneshot::Sender<Result<Receipt, WriteError>>>,
    ) -> Result<(), WriteError> {
        event.check().map_err(WriteError::Invalid)?;
        if !self.shared.available.load(Ordering::Acquire) {
            self.shared.refused.fetch_add(1, Ordering::Relaxed);
            return Err(WriteError::Unavailable(self.last_error()));
        }
        event.normalize();
        let sub = Submission {
            event,
            ack,
            deferred,
        };
        self.tx.try_send(sub).map_err(|e| {
            self.shared.refused.fetch_add(1, Ordering::Relaxed);
            match e {
                mpsc::error::TrySendError::Full(_) => WriteError::QueueFull,
                mpsc::error::TrySendError::Closed(_) => WriteError::Closed,
            }
        })
    }

    /// Whether the database is currently accepting records.
    pub fn is_available(&self) -> bool {
        self.shared.available.load(Ordering::Acquire)
    }

    /// Sequence number of the last durable record.
    pub fn head_seq(&self) -> u64 {
        self.shared.head_seq.load(Ordering::Acquire)
    }

    /// Transactions committed so far (records / commits is the mean batch size).
    pub fn commits(&self) -> u64 {
        self.shared.commits.load(Ordering::Relaxed)
    }

    /// Submissions refused so far (queue full or database unavailable).
    pub fn refused(&self) -> u64 {
        self.shared.refused.load(Ordering::Relaxed)
    }

    fn last_error(&self) -> String {
        self.shared
            .last_error
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }
}

impl WriterTask {
    /// Stops accepting, commits everything queued, signs a final checkpoint and returns.
    pub async fn shutdown(self) -> Result<(), StoreError> {
        self.shared.close.notify_one();
        match self.join.await {
            Ok(r) => r,
            Err(e) => Err(StoreError::Database(sqlx::Error::Protocol(format!(
                "writer task ended abnormally: {e}"
            )))),
        }
    }
}
