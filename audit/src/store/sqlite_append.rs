//! The SQLite write path: one thread owns one connection and appends whole batches.
//!
//! Going through sqlx, a batch costs a hand-off between the async task and sqlx's
//! connection thread for every statement, and every value is copied into sqlx's argument
//! list before SQLite copies it again. Here a batch is handed over once, inserted with
//! one prepared statement stepped per record, and committed.
//!
//! Three threads per SQLite file:
//! - **append** takes every batch queued when it comes round (a writer keeps several in
//!   flight), checks that each continues the stored chain (its first seq is the stored
//!   tail + 1; one that does not is refused), inserts them in one transaction and
//!   commits with `synchronous=NORMAL`: the transaction's WAL frames are written, not yet
//!   fsynced;
//! - **sync** fsyncs the WAL file (and its directory the first time it sees the file)
//!   and only then answers the batches committed before that fsync began. This is the
//!   guarantee of `synchronous=FULL` (no batch is acknowledged before its WAL frames are
//!   on stable storage), with the fsync taken off the insert path: while one fsync runs,
//!   the append thread commits the next batches, and one fsync covers them all (group
//!   commit, as PostgreSQL flushes its WAL). A crash before the fsync loses only
//!   unacknowledged transactions; SQLite's WAL checksums discard a torn tail. When the
//!   sync thread is idle and nothing is queued, the append thread fsyncs a lone
//!   transaction itself: under light load a record then crosses one thread fewer.
//! - **checkpoint** copies the WAL into the database file in the background
//!   (`wal_autocheckpoint=0` on the appending connection), with `synchronous=FULL`: it
//!   syncs the WAL before copying and the database file after.
//!
//! With `StoreOptions::sqlite_synchronous_full` off, nobody fsyncs the WAL.
//! Everything else (reads, checkpoint rows, archive marks) still goes through sqlx.

use super::StoreError;
use super::rows::EncodedRecord;
use super::schema::RECORD_COLUMNS;
use rusqlite::{Connection, OpenFlags, params};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Pages of WAL after which the checkpointer resets the WAL (RESTART) instead of only
/// copying what it can (PASSIVE): keeps the WAL file bounded (~64 MiB) under steady load.
const WAL_RESET_PAGES: i64 = 16_384;

/// How long a resetting checkpoint waits for the transaction under way and for readers
/// (new transactions wait while it does): short, so a long analyzer query never stalls
/// the sidecar for more than this.
const CHECKPOINTER_BUSY: Duration = Duration::from_millis(50);

/// How often the checkpointer copies the WAL into the database at most.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// A batch for the thread, and where its outcome goes.
struct Job {
    chain_id: String,
    records: Vec<EncodedRecord>,
    reply: oneshot::Sender<Result<Vec<EncodedRecord>, StoreError>>,
}

/// The appending thread and the background checkpointer of one SQLite file.
pub(super) struct Appender {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// How the appending connection is set up.
#[derive(Clone)]
pub(super) struct AppendConfig {
    pub path: PathBuf,
    pub synchronous_full: bool,
    pub busy_timeout: Duration,
}

impl Appender {
    /// Starts both threads. The connection opens on the first batch (and again after a
    /// failure), so a database that is down now does not stop the store from opening.
    pub(super) fn start(cfg: AppendConfig) -> std::io::Result<Arc<Appender>> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (committed, to_sync) = mpsc::channel::<Vec<Job>>();
        let (kick, kicked) = mpsc::channel::<()>();
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new().name(name.into()).spawn(f)
        };
        let c1 = cfg.clone();
        let syncing = Arc::new(AtomicUsize::new(0));
        let opened = Arc::new(AtomicU64::new(0));
        let sync_wal = WalFile::new(&cfg, Arc::clone(&opened));
        let to_sync_thread = SyncHandoff {
            committed,
            syncing: Arc::clone(&syncing),
            kick: kick.clone(),
            opened,
        };
        let threads = vec![
            spawn(
                "zegel-sqlite-append",
                Box::new(move || append_loop(&c1, &rx, &to_sync_thread)),
            )?,
            spawn(
                "zegel-sqlite-sync",
                Box::new(move || sync_loop(sync_wal, &to_sync, &syncing, &kick)),
            )?,
            spawn(
                "zegel-sqlite-checkpoint",
                Box::new(move || checkpoint_loop(&cfg, &kicked)),
            )?,
        ];
        Ok(Arc::new(Appender {
            jobs: Mutex::new(Some(jobs)),
            threads: Mutex::new(threads),
        }))
    }

    /// Hands `records` of `chain_id` to the append thread now (batches are committed in
    /// the order of these calls); the future gives them back when their transaction has
    /// committed and is durable.
    pub(super) fn append(
        &self,
        chain_id: &str,
        records: Vec<EncodedRecord>,
    ) -> impl Future<Output = Result<Vec<EncodedRecord>, StoreError>> + Send + 'static {
        let (reply, outcome) = oneshot::channel();
        let job = Job {
            chain_id: chain_id.to_owned(),
            records,
            reply,
        };
        let sent = match self.jobs.lock() {
            Ok(jobs) => jobs.as_ref().is_some_and(|j| j.send(job).is_ok()),
            Err(_) => false,
        };
        async move {
            if !sent {
                return Err(closed());
            }
            outcome.await.unwrap_or_else(|_| Err(closed()))
        }
    }

    /// Stops the threads after the batches already handed over, and waits for them.
    pub(super) async fn close(&self) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
        let threads = self
            .threads
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        let _ = tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
        })
        .await;
    }
}

fn closed() -> StoreError {
    StoreError::Sqlite("the store is closed".into())
}

fn sqlite_error(e: rusqlite::Error) -> StoreError {
    StoreError::Sqlite(e.to_string())
}

/// Where the append thread sends committed batches: to the sync thread, or (when that
/// thread is idle and no batch is waiting) through an fsync of its own.
struct SyncHandoff {
    committed: mpsc::Sender<Vec<Job>>,
    /// Groups handed to the sync thread and not yet answered.
    syncing: Arc<AtomicUsize>,
    kick: mpsc::Sender<()>,
    /// Counts the append thread's connection opens (see [`WalFile`]).
    opened: Arc<AtomicU64>,
}

/// Records one transaction takes at most when the append thread merges queued batches.
const GROUP_RECORDS: usize = 8_192;

/// Commits batches until the store closes and has each made durable; reopens the
/// connection after a failure.
///
/// Whatever batches are queued when the thread comes round are committed in one
/// transaction (up to [`GROUP_RECORDS`]), so a writer that keeps several batches in
/// flight does not shrink transactions. Under load the sync thread fsyncs while this
/// thread commits the next group. A lone group (nothing queued behind it, no fsync under
/// way) is fsynced here instead: handing it over would only add a thread wake-up to its
/// latency.
fn append_loop(cfg: &AppendConfig, jobs: &mpsc::Receiver<Job>, sync: &SyncHandoff) {
    let mut conn: Option<Connection> = None;
    // The stored tail of each chain, as far as this thread knows it (forgotten on error).
    let mut tails: HashMap<String, u64> = HashMap::new();
    let mut wal = WalFile::new(cfg, Arc::clone(&sync.opened));
    let mut next: Option<Job> = None;
    loop {
        let Some(first) = next.take().or_else(|| jobs.recv().ok()) else {
            break;
        };
        let mut group = vec![first];
        let mut records = group[0].records.len();
        while records < GROUP_RECORDS {
            let Ok(job) = jobs.try_recv() else { break };
            records += job.records.len();
            group.push(job);
        }
        let result = match conn.as_mut() {
            Some(c) => Ok(c),
            None => open(cfg, false).map(|c| {
                sync.opened.fetch_add(1, Ordering::AcqRel);
                conn.insert(c)
            }),
        }
        .and_then(|c| {
            admit(c, &mut tails, &mut group)?;
            insert_group(c, &group).map_err(sqlite_error)
        });
        if let Err(e) = result {
            // Whatever state the connection is in, the next group starts afresh from
            // what is stored.
            conn = None;
            tails.clear();
            let text = e.to_string();
            for job in group {
                let _ = job.reply.send(Err(StoreError::Sqlite(text.clone())));
            }
            continue;
        }
        if group.is_empty() {
            continue;
        }
        next = jobs.try_recv().ok();
        if next.is_none() && sync.syncing.load(Ordering::Acquire) == 0 {
            let synced = wal.make_durable();
            answer(group, &synced, &wal.path);
            let _ = sync.kick.send(());
            continue;
        }
        sync.syncing.fetch_add(1, Ordering::AcqRel);
        if let Err(mpsc::SendError(group)) = sync.committed.send(group) {
            sync.syncing.fetch_sub(1, Ordering::AcqRel);
            for job in group {
                let _ = job.reply.send(Err(closed()));
            }
        }
    }
}

/// Keeps in `group` the batches that continue their chain's stored tail, in order, and
/// answers the others with an error now. `tails` moves on past the kept batches (it is
/// cleared if their transaction then fails). On a read error `group` is left whole.
fn admit(
    c: &Connection,
    tails: &mut HashMap<String, u64>,
    group: &mut Vec<Job>,
) -> Result<(), StoreError> {
    for job in group.iter() {
        if !tails.contains_key(&job.chain_id) {
            let tail = stored_tail(c, &job.chain_id).map_err(sqlite_error)?;
            tails.insert(job.chain_id.clone(), tail);
        }
    }
    let mut kept = Vec::with_capacity(group.len());
    for job in group.drain(..) {
        let tail = tails.get(&job.chain_id).copied().unwrap_or(0);
        match continues(&job, tail) {
            Ok(()) => {
                if let Some(last) = job.records.last() {
                    tails.insert(job.chain_id.clone(), last.seq);
                }
                kept.push(job);
            }
            Err(e) => {
                let _ = job.reply.send(Err(e));
            }
        }
    }
    *group = kept;
    Ok(())
}

/// The highest stored seq of `chain_id`: its last row, or where its archive mark ends
/// when pruning removed every row (0 for a new chain).
fn stored_tail(c: &Connection, chain_id: &str) -> rusqlite::Result<u64> {
    let max: Option<i64> = c.query_row(
        "SELECT max(m) FROM (SELECT max(seq) AS m FROM zegel_records WHERE chain_id = ?1 \
         UNION ALL SELECT max(up_to_seq) FROM zegel_archives WHERE chain_id = ?1)",
        [chain_id],
        |r| r.get(0),
    )?;
    Ok(max.and_then(|m| u64::try_from(m).ok()).unwrap_or(0))
}

/// A batch must start right after the stored tail: one sealed on top of records that
/// failed to commit would otherwise leave a gap.
fn continues(job: &Job, tail: u64) -> Result<(), StoreError> {
    match job.records.first() {
        Some(first) if first.seq != tail + 1 => Err(StoreError::Sqlite(format!(
            "chain {:?}: batch starts at seq {} but the stored chain ends at seq {tail}; \
             not written",
            job.chain_id, first.seq
        ))),
        _ => Ok(()),
    }
}

/// Makes committed batches durable and answers them: one fsync of the WAL for all
/// batches committed before it began.
fn sync_loop(
    mut wal: WalFile,
    committed: &mpsc::Receiver<Vec<Job>>,
    syncing: &AtomicUsize,
    kick: &mpsc::Sender<()>,
) {
    while let Ok(first) = committed.recv() {
        let mut groups = vec![first];
        groups.extend(committed.try_iter());
        let result = wal.make_durable();
        let n = groups.len();
        for group in groups {
            answer(group, &result, &wal.path);
        }
        syncing.fetch_sub(n, Ordering::AcqRel);
        let _ = kick.send(());
    }
}

/// Answers committed batches with the outcome of the fsync that followed their commit.
fn answer(group: Vec<Job>, synced: &std::io::Result<()>, wal: &Path) {
    for job in group {
        let reply = match synced {
            Ok(()) => Ok(job.records),
            Err(e) => Err(StoreError::Sqlite(format!(
                "committed but not made durable: fsync of {}: {e}",
                wal.display()
            ))),
        };
        let _ = job.reply.send(reply);
    }
}

/// The WAL file (`<database>-wal`) as one thread fsyncs it.
///
/// The file stays open between fsyncs (opening it by name for each would add three
/// system calls to every commit). That is sound while the appending connection that
/// wrote the transactions stays open: SQLite removes or recreates a WAL file only when
/// the last connection closes, and resets it in place otherwise. So the file is opened
/// again whenever the append thread has opened its connection again (after a failure),
/// and after an error.
struct WalFile {
    path: PathBuf,
    /// Whether to fsync at all (`StoreOptions::sqlite_synchronous_full`).
    enabled: bool,
    /// How many times the append thread has opened its connection.
    opened: Arc<AtomicU64>,
    /// The open file and the count of `opened` it was opened under.
    file: Option<(std::fs::File, u64)>,
    /// The inode whose directory entry has been made durable.
    synced_inode: Option<u64>,
}

impl WalFile {
    fn new(cfg: &AppendConfig, opened: Arc<AtomicU64>) -> WalFile {
        let mut name = cfg.path.as_os_str().to_owned();
        name.push("-wal");
        WalFile {
            path: PathBuf::from(name),
            enabled: cfg.synchronous_full,
            opened,
            file: None,
            synced_inode: None,
        }
    }

    /// The fsync of the WAL that makes every transaction committed before it durable
    /// (skipped when the store is not `synchronous_full`): fdatasync of the WAL file;
    /// the first time a WAL file (inode) is seen, also fsync its directory, so that the
    /// file itself survives a power loss. After an error the file is opened again.
    fn make_durable(&mut self) -> std::io::Result<()> {
        use std::os::unix::fs::MetadataExt;
        if !self.enabled {
            return Ok(());
        }
        let generation = self.opened.load(Ordering::Acquire);
        let (file, fresh) = match self.file.take() {
            Some((f, g)) if g == generation => (f, false),
            _ => (std::fs::File::open(&self.path)?, true),
        };
        file.sync_data()?;
        if fresh {
            let inode = file.metadata()?.ino();
            if self.synced_inode != Some(inode) {
                if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::File::open(dir)?.sync_all()?;
                }
                self.synced_inode = Some(inode);
            }
        }
        self.file = Some((file, generation));
        Ok(())
    }
}

fn open(cfg: &AppendConfig, checkpointer: bool) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let at = |e: rusqlite::Error| StoreError::Sqlite(format!("{}: {e}", cfg.path.display()));
    let c = Connection::open_with_flags(&cfg.path, flags).map_err(at)?;
    c.busy_timeout(if checkpointer {
        CHECKPOINTER_BUSY
    } else {
        cfg.busy_timeout
    })
    .map_err(at)?;
    // The appending connection leaves the WAL fsync to the sync thread; the
    // checkpointer syncs as configured (WAL before copying, database file after).
    let sync = if cfg.synchronous_full && checkpointer {
        "FULL"
    } else {
        "NORMAL"
    };
    c.execute_batch(&format!(
        "PRAGMA synchronous = {sync}; PRAGMA wal_autocheckpoint = 0;"
    ))
    .map_err(at)?;
    // The store put the file in WAL mode when it opened; the durability argument above
    // depends on it, so insist.
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .map_err(at)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Sqlite(format!(
            "{}: journal mode is {mode}, expected wal",
            cfg.path.display()
        )));
    }
    Ok(c)
}

/// One transaction for the whole group: all its records or none.
fn insert_group(c: &mut Connection, group: &[Job]) -> rusqlite::Result<()> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut insert = tx.prepare_cached(insert_sql())?;
        for (chain_id, r) in group
            .iter()
            .flat_map(|j| j.records.iter().map(move |r| (&j.chain_id, r)))
        {
            insert.execute(params![
                chain_id,
                i64::try_from(r.seq).unwrap_or(i64::MAX),
                r.time_us,
                r.kind.as_str(),
                r.user_id.as_deref(),
                r.patient_id.as_deref(),
                &r.record[..],
                &r.hash[..],
            ])?;
        }
    }
    // Dropping an uncommitted transaction (on `?` above) rolls it back.
    tx.commit()
}

/// The one-row INSERT, built once (its text is also the prepared-statement cache key).
fn insert_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let marks = vec!["?"; RECORD_COLUMNS.len()].join(", ");
        format!(
            "INSERT INTO zegel_records ({}) VALUES ({marks})",
            RECORD_COLUMNS.join(", ")
        )
    })
}

/// Copies the WAL into the database file after commits, at most every
/// [`CHECKPOINT_EVERY`], without blocking the appender (PASSIVE); when the WAL has grown
/// past [`WAL_RESET_PAGES`] it waits for a moment between transactions (RESTART) so the
/// next one starts the WAL from its beginning.
fn checkpoint_loop(cfg: &AppendConfig, kicked: &mpsc::Receiver<()>) {
    let mut conn: Option<Connection> = None;
    let mut last = Instant::now() - CHECKPOINT_EVERY;
    while kicked.recv().is_ok() {
        let wait = CHECKPOINT_EVERY.saturating_sub(last.elapsed());
        std::thread::sleep(wait);
        while kicked.try_recv().is_ok() {}
        last = Instant::now();
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match open(cfg, true) {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    tracing::warn!(error = %e, db = %cfg.path.display(), "WAL checkpointer cannot open the database");
                    continue;
                }
            },
        };
        if let Err(e) = checkpoint(c) {
            tracing::warn!(error = %e, db = %cfg.path.display(), "WAL checkpoint failed; retrying after the next commit");
            conn = None;
        }
    }
}

fn checkpoint(c: &Connection) -> rusqlite::Result<()> {
    let log: i64 = c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))?;
    if log >= WAL_RESET_PAGES {
        // Waits for the transaction under way and for readers, at most the checkpointer's
        // short busy timeout; new transactions wait meanwhile. Busy is not an error: the
        // next round tries again.
        c.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))?;
    }
    Ok(())
}

/// The file behind a `sqlite:` store, if it is a file.
pub(super) fn file_of(filename: &Path) -> Option<PathBuf> {
    let s = filename.as_os_str();
    (!s.is_empty() && s != ":memory:").then(|| filename.to_owned())
}
