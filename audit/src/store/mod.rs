//! The record store: one API over SQLite (the embedded default) and PostgreSQL (when
//! several sidecars share one log), chosen by the URL scheme at run time.
//!
//! Queries are built at run time (no database is needed to compile) from the column
//! list in `schema.rs`; rows are read and written by `rows.rs` the same way for both.

mod archive;
mod lock;
pub mod rows;
pub mod schema;
mod sqlite_append;

use crate::checkpoint::Checkpoint;
use crate::record::SealedRecord;
use rows::{EncodedRecord, Row, bind_record, decode_row};
use schema::{InsertStatements, Placeholders};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use archive::ArchiveMark;

/// A time window on `time_us`: from inclusive, to exclusive; `None` is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeBounds {
    /// First microsecond in the window.
    pub from_us: Option<i64>,
    /// First microsecond after the window.
    pub to_us: Option<i64>,
}

impl TimeBounds {
    /// Whether the window is unbounded on both sides.
    pub fn is_open(&self) -> bool {
        self.from_us.is_none() && self.to_us.is_none()
    }
}
pub use lock::ChainLock;

/// Errors of the store. Every variant says which database (without its password).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is neither `sqlite:` nor `postgres:`/`postgresql:`.
    #[error("database URL {0:?}: unsupported scheme (use sqlite:PATH or postgres://USER@HOST/DB)")]
    UnsupportedUrl(String),
    /// The URL could not be parsed.
    #[error("database URL {url}: {source}")]
    BadUrl {
        /// The URL, password removed.
        url: String,
        /// The parser's error.
        source: sqlx::Error,
    },
    /// Connecting failed.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL, password removed.
        url: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// Applying the schema failed.
    #[error("cannot apply the zegel schema to {url}: {source}")]
    Migrate {
        /// The URL, password removed.
        url: String,
        /// The migrator's error.
        source: sqlx::migrate::MigrateError,
    },
    /// A query failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Appending to a SQLite file failed (the dedicated write path, see `sqlite_append`).
    #[error("database error: {0}")]
    Sqlite(String),
    /// Another process writes this chain.
    #[error("chain {chain_id:?} is already being written by another process ({detail})")]
    ChainInUse {
        /// The chain.
        chain_id: String,
        /// Where the lock is held.
        detail: String,
    },
    /// A stored archive mark is not valid.
    #[error("chain {chain_id:?}: archive mark up to seq {seq} is malformed: {detail}")]
    BadArchiveRow {
        /// The chain.
        chain_id: String,
        /// Its up_to_seq column.
        seq: i64,
        /// What is wrong.
        detail: String,
    },
    /// A stored checkpoint row is not valid.
    #[error("chain {chain_id:?}: checkpoint row at seq {seq} is malformed: {detail}")]
    BadCheckpointRow {
        /// The chain.
        chain_id: String,
        /// Its seq column.
        seq: i64,
        /// What is wrong.
        detail: String,
    },
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections in the pool.
    pub max_connections: u32,
    /// How long to wait for a connection before failing (the fail-closed latency bound).
    pub acquire_timeout: Duration,
    /// SQLite only: `FULL` (default, durable on power loss) or `NORMAL`.
    pub sqlite_synchronous_full: bool,
    /// Open for reading only: no schema changes, no writes (the analyzer).
    pub read_only: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 4,
            acquire_timeout: Duration::from_secs(2),
            sqlite_synchronous_full: true,
            read_only: false,
        }
    }
}

/// A chain known to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainInfo {
    /// The chain id.
    pub chain_id: String,
    /// When its writer first registered it, if it did.
    pub created_us: Option<i64>,
    /// The checkpoint key id it registered with, if any.
    pub key_id: Option<String>,
}

/// An open store.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    url: String,
    inserts: Arc<InsertStatements>,
}

#[derive(Clone)]
enum Backend {
    /// The pool for reads and small writes, the file, and the batch write path (for a
    /// writable file).
    Sqlite(
        SqlitePool,
        Option<std::path::PathBuf>,
        Option<Arc<sqlite_append::Appender>>,
    ),
    Postgres(PgPool),
}

/// Rows per INSERT statement: few, large statements (each costs a round trip).
const SQLITE_CHUNK: usize = 200;
const POSTGRES_CHUNK: usize = 500;

/// The URL with any password replaced by `***`, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &userinfo[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Connects to `url` and applies the schema.
    pub async fn open(url: &str, opts: &StoreOptions) -> Result<Store, StoreError> {
        let shown = redact_url(url);
        let bad_url = |source| StoreError::BadUrl {
            url: shown.clone(),
            source,
        };
        let connect = |source| StoreError::Connect {
            url: shown.clone(),
            source,
        };
        let migrate = |source| StoreError::Migrate {
            url: shown.clone(),
            source,
        };
        let backend = if url.starts_with("sqlite:") {
            let o = SqliteConnectOptions::from_str(url).map_err(bad_url)?;
            let o = if opts.read_only {
                o.read_only(true)
            } else {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(if opts.sqlite_synchronous_full {
                        SqliteSynchronous::Full
                    } else {
                        SqliteSynchronous::Normal
                    })
            };
            let o = o.busy_timeout(Duration::from_secs(5));
            let file = sqlite_append::file_of(o.get_filename());
            let pool = SqlitePoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .connect_with(o)
                .await
                .map_err(connect)?;
            let mut appender = None;
            if !opts.read_only {
                schema::sqlite_migrator()
                    .run(&pool)
                    .await
                    .map_err(migrate)?;
                if let Some(path) = &file {
                    let cfg = sqlite_append::AppendConfig {
                        path: path.clone(),
                        synchronous_full: opts.sqlite_synchronous_full,
                        busy_timeout: Duration::from_secs(5),
                    };
                    appender = Some(
                        sqlite_append::Appender::start(cfg)
                            .map_err(|e| connect(sqlx::Error::Io(e)))?,
                    );
                }
            }
            Backend::Sqlite(pool, file, appender)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let o = PgConnectOptions::from_str(url).map_err(bad_url)?;
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .connect_with(o)
                .await
                .map_err(connect)?;
            if !opts.read_only {
                schema::postgres_migrator()
                    .run(&pool)
                    .await
                    .map_err(migrate)?;
            }
            Backend::Postgres(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(shown));
        };
        let inserts = match backend {
            Backend::Sqlite(..) => InsertStatements::new(SQLITE_CHUNK, Placeholders::Question),
            Backend::Postgres(_) => InsertStatements::new(POSTGRES_CHUNK, Placeholders::Dollar),
        };
        Ok(Store {
            backend,
            url: shown,
            inserts: Arc::new(inserts),
        })
    }

    /// How many batches of one chain may be committing at once. A writer that seals
    /// batch N+1 on top of N before N is known to have committed may hand it over only
    /// if the store keeps them in order and refuses N+1 when N failed: the SQLite write
    /// path does (one thread, and a batch must continue the stored tail); a pool of
    /// PostgreSQL connections does not, so there it is one at a time.
    ///
    /// For SQLite the depth is generous: the append thread merges whatever batches are
    /// queued into one transaction, so a deep pipeline does not shrink transactions, and
    /// a record that arrives while others commit is handed over at once instead of
    /// waiting in the writer for a slot (BENCHMARKS.md: 2 -> 8 cut p99 at 16 submitters
    /// and p90 of a paced HTTP load).
    pub fn pipeline_depth(&self) -> usize {
        match &self.backend {
            Backend::Sqlite(_, _, Some(_)) => 8,
            _ => 1,
        }
    }

    /// Whether a batch given to [`Store::append_owned`] is committed by a thread of the
    /// store's own (SQLite), so that its future only waits for the answer; otherwise the
    /// future does the work and must be polled to make progress (PostgreSQL).
    pub fn appends_on_its_own(&self) -> bool {
        matches!(&self.backend, Backend::Sqlite(_, _, Some(_)))
    }

    /// The URL this store was opened with, password removed.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Closes every connection.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(p, _, appender) => {
                if let Some(a) = appender {
                    a.close().await;
                }
                p.close().await;
            }
            Backend::Postgres(p) => p.close().await,
        }
    }

    /// Stores `records` of `chain_id` in one transaction: all of them or none.
    pub async fn append(&self, chain_id: &str, records: &[SealedRecord]) -> Result<(), StoreError> {
        let rows: Vec<EncodedRecord> = records.iter().map(EncodedRecord::of).collect();
        self.append_encoded(chain_id, &rows).await
    }

    /// [`Store::append`] for records already encoded.
    pub async fn append_encoded(
        &self,
        chain_id: &str,
        records: &[EncodedRecord],
    ) -> Result<(), StoreError> {
        if let Backend::Sqlite(_, _, Some(a)) = &self.backend {
            return a.append(chain_id, records.to_vec()).await.map(drop);
        }
        self.insert_pooled(chain_id, records).await
    }

    /// [`Store::append_encoded`] taking the records and giving them back once committed
    /// (the writer's path: nothing is copied on the way to a SQLite file). For SQLite the
    /// batch is handed over when this is called, not when the future is first polled, so
    /// batches commit in the order of the calls (see [`Store::pipeline_depth`]).
    pub fn append_owned(
        &self,
        chain_id: &str,
        records: Vec<EncodedRecord>,
    ) -> futures_util::future::BoxFuture<'static, Result<Vec<EncodedRecord>, StoreError>> {
        if let Backend::Sqlite(_, _, Some(a)) = &self.backend {
            return Box::pin(a.append(chain_id, records));
        }
        let (store, chain_id) = (self.clone(), chain_id.to_owned());
        Box::pin(async move {
            store.insert_pooled(&chain_id, &records).await?;
            Ok(records)
        })
    }

    /// Multi-row INSERTs through the pool, in one transaction.
    async fn insert_pooled(
        &self,
        chain_id: &str,
        records: &[EncodedRecord],
    ) -> Result<(), StoreError> {
        let ins = &self.inserts;
        macro_rules! run {
            ($pool:expr) => {{
                let mut tx = $pool.begin().await?;
                // Full chunks, then powers of two: a handful of distinct statements, so
                // the per-connection prepared-statement cache stays small (memory).
                let mut rest = records;
                while !rest.is_empty() {
                    let n = if rest.len() >= ins.chunk() {
                        ins.chunk()
                    } else {
                        1usize << (usize::BITS - 1 - rest.len().leading_zeros())
                    };
                    let (chunk, tail) = rest.split_at(n);
                    rest = tail;
                    let mut q = sqlx::query(ins.for_rows(chunk.len()));
                    for r in chunk {
                        q = bind_record!(q, chain_id, r);
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }};
        }
        match &self.backend {
            Backend::Sqlite(p, ..) => run!(p),
            Backend::Postgres(p) => run!(p),
        }
        Ok(())
    }

    /// The record with the highest sequence number of `chain_id`.
    pub async fn tail(&self, chain_id: &str) -> Result<Option<Row>, StoreError> {
        let sql = format!(
            "SELECT {} FROM zegel_records WHERE chain_id = {} ORDER BY seq DESC LIMIT 1",
            schema::select_columns(),
            self.ph(1)
        );
        Ok(self
            .fetch_rows(sql, chain_id, &[])
            .await?
            .into_iter()
            .next())
    }

    /// Up to `limit` rows of `chain_id` with `seq >= from`, in sequence order.
    pub async fn read_page(
        &self,
        chain_id: &str,
        from: u64,
        limit: u32,
    ) -> Result<Vec<Row>, StoreError> {
        let sql = format!(
            "SELECT {} FROM zegel_records WHERE chain_id = {} AND seq >= {} ORDER BY seq LIMIT {}",
            schema::select_columns(),
            self.ph(1),
            self.ph(2),
            self.ph(3)
        );
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        self.fetch_rows(sql, chain_id, &[from, i64::from(limit)])
            .await
    }

    /// The rows of `chain_id` with `from <= seq < to` whose `time_us` lies in `time`, in
    /// sequence order. The database applies the time window (no index: it still walks
    /// the sequence range, but rows outside the window are neither sent nor decoded).
    pub async fn read_window(
        &self,
        chain_id: &str,
        from: u64,
        to: u64,
        time: TimeBounds,
    ) -> Result<Vec<Row>, StoreError> {
        let mut sql = format!(
            "SELECT {} FROM zegel_records WHERE chain_id = {} AND seq >= {} AND seq < {}",
            schema::select_columns(),
            self.ph(1),
            self.ph(2),
            self.ph(3)
        );
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let mut ints = vec![as_i64(from), as_i64(to)];
        for (bound, op) in [(time.from_us, ">="), (time.to_us, "<")] {
            if let Some(us) = bound {
                ints.push(us);
                sql.push_str(&format!(" AND time_us {op} {}", self.ph(ints.len() + 1)));
            }
        }
        sql.push_str(" ORDER BY seq");
        self.fetch_rows(sql, chain_id, &ints).await
    }

    async fn fetch_rows(
        &self,
        sql: String,
        chain_id: &str,
        ints: &[i64],
    ) -> Result<Vec<Row>, StoreError> {
        macro_rules! run {
            ($pool:expr) => {{
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(chain_id);
                for i in ints {
                    q = q.bind(*i);
                }
                q.fetch_all($pool).await?.iter().map(decode_row).collect()
            }};
        }
        Ok(match &self.backend {
            Backend::Sqlite(p, ..) => run!(p),
            Backend::Postgres(p) => run!(p),
        })
    }

    fn ph(&self, n: usize) -> String {
        match self.backend {
            Backend::Sqlite(..) => "?".to_owned(),
            Backend::Postgres(_) => format!("${n}"),
        }
    }

    /// Records that `chain_id` exists (first writer start); later calls change nothing.
    pub async fn register_chain(
        &self,
        chain_id: &str,
        key_id: &str,
        now_us: i64,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO zegel_chains (chain_id, created_us, format_version, key_id) \
             VALUES ({}, {}, {}, {}) ON CONFLICT (chain_id) DO NOTHING",
            self.ph(1),
            self.ph(2),
            self.ph(3),
            self.ph(4)
        );
        let version = i64::from(crate::encode::FORMAT_VERSION);
        macro_rules! run {
            ($pool:expr) => {{
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(chain_id)
                    .bind(now_us)
                    .bind(version)
                    .bind(key_id)
                    .execute($pool)
                    .await?;
            }};
        }
        match &self.backend {
            Backend::Sqlite(p, ..) => run!(p),
            Backend::Postgres(p) => run!(p),
        }
        Ok(())
    }

    /// Every chain that has a registration or any record, sorted by id.
    pub async fn chains(&self) -> Result<Vec<ChainInfo>, StoreError> {
        // A loose index scan over the primary key: one probe per chain, not a table scan.
        let sql = "WITH RECURSIVE c(id) AS ( \
              SELECT MIN(chain_id) FROM zegel_records \
              UNION ALL \
              SELECT (SELECT MIN(chain_id) FROM zegel_records WHERE chain_id > c.id) \
              FROM c WHERE c.id IS NOT NULL) \
            SELECT id AS chain_id, NULL AS created_us, NULL AS key_id FROM c WHERE id IS NOT NULL \
            UNION ALL SELECT chain_id, created_us, key_id FROM zegel_chains";
        macro_rules! run {
            ($pool:expr) => {{
                let rows = sqlx::query(sql).fetch_all($pool).await?;
                let mut out = Vec::new();
                for r in &rows {
                    use sqlx::Row as _;
                    out.push(ChainInfo {
                        chain_id: r.try_get("chain_id")?,
                        created_us: r.try_get("created_us")?,
                        key_id: r.try_get("key_id")?,
                    });
                }
                out
            }};
        }
        let all: Vec<ChainInfo> = match &self.backend {
            Backend::Sqlite(p, ..) => run!(p),
            Backend::Postgres(p) => run!(p),
        };
        Ok(merge_chains(all))
    }

    /// Every checkpoint row of `chain_id`, by sequence.
    pub async fn checkpoints(&self, chain_id: &str) -> Result<Vec<Checkpoint>, StoreError> {
        let sql = format!(
            "SELECT chain_id, seq, head, time_us, key_id, signature FROM zegel_checkpoints \
             WHERE chain_id = {} ORDER BY seq",
            self.ph(1)
        );
        macro_rules! run {
            ($pool:expr) => {{
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(chain_id)
                    .fetch_all($pool)
                    .await?;
                rows.iter().map(|r| checkpoint_from_row(r)).collect()
            }};
        }
        match &self.backend {
            Backend::Sqlite(p, ..) => run!(p),
            Backend::Postgres(p) => run!(p),
        }
    }

    /// Stores a checkpoint; storing the same (chain, seq) again changes nothing.
    pub async fn insert_checkpoint(&self, cp: &Checkpoint) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO zegel_checkpoints (chain_id, seq, head, time_us, key_id, signature) \
             VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (chain_id, seq) DO NOTHING",
            self.ph(1),
            self.ph(2),
            self.ph(3),
            self.ph(4),
            self.ph(5),
            self.ph(6)
        );
        macro_rules! run {
            ($pool:expr) => {{
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&cp.chain_id)
                    .bind(cp.seq as i64)
                    .bind(&cp.head[..])
                    .bind(cp.time_us)
                    .bind(&cp.key_id)
                    .bind(&cp.signature[..])
                    .execute($pool)
                    .await?;
            }};
        }
        match &self.backend {
            Backend::Sqlite(p, ..) => run!(p),
            Backend::Postgres(p) => run!(p),
        }
        Ok(())
    }

    /// Takes the exclusive right to write `chain_id`, held until the lock is dropped.
    pub async fn lock_chain(&self, chain_id: &str) -> Result<ChainLock, StoreError> {
        match &self.backend {
            Backend::Sqlite(_, file, _) => ChainLock::sqlite(file.as_deref(), chain_id),
            Backend::Postgres(p) => ChainLock::postgres(p, chain_id).await,
        }
    }

    /// After an outage, makes sure `lock` still holds `chain_id` (see
    /// `ChainLock::reassert`); a no-op for SQLite, whose file lock outlives any outage.
    pub async fn relock(&self, lock: &mut ChainLock, chain_id: &str) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(..) => Ok(()),
            Backend::Postgres(p) => {
                let timeout = p.options().get_acquire_timeout();
                lock.reassert(p, chain_id, timeout).await
            }
        }
    }

    /// Runs one statement of test or maintenance SQL (e.g. fault injection in tests).
    pub async fn execute_raw(&self, sql: String) -> Result<u64, StoreError> {
        let q = sqlx::raw_sql(sqlx::AssertSqlSafe(sql));
        Ok(match &self.backend {
            Backend::Sqlite(p, ..) => q.execute(p).await?.rows_affected(),
            Backend::Postgres(p) => q.execute(p).await?.rows_affected(),
        })
    }
}

fn merge_chains(mut all: Vec<ChainInfo>) -> Vec<ChainInfo> {
    all.sort_by(|a, b| {
        a.chain_id
            .cmp(&b.chain_id)
            .then(b.created_us.cmp(&a.created_us))
    });
    all.dedup_by(|later, first| later.chain_id == first.chain_id);
    all
}

fn checkpoint_from_row<R>(r: &R) -> Result<Checkpoint, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Vec<u8>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    let chain_id: String = r.try_get("chain_id")?;
    let seq: i64 = r.try_get("seq")?;
    let head: Vec<u8> = r.try_get("head")?;
    let signature: Vec<u8> = r.try_get("signature")?;
    let bad = |detail: String| StoreError::BadCheckpointRow {
        chain_id: chain_id.clone(),
        seq,
        detail,
    };
    Ok(Checkpoint {
        seq: u64::try_from(seq).map_err(|_| bad("negative seq".into()))?,
        head: head
            .try_into()
            .map_err(|h: Vec<u8>| bad(format!("head is {} bytes, expected 32", h.len())))?,
        time_us: r.try_get("time_us")?,
        key_id: r.try_get("key_id")?,
        signature: signature
            .try_into()
            .map_err(|s: Vec<u8>| bad(format!("signature is {} bytes, expected 64", s.len())))?,
        chain_id: chain_id.clone(),
    })
}
