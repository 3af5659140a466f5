//! Benchmark of the audit log, in one run:
//!
//! 1. durable records per second through the real group-commit [`Writer`] at several
//!    numbers of concurrent submitters, on SQLite (a real file, WAL, synchronous=FULL)
//!    and PostgreSQL (a fresh schema per level), with the submit-to-acknowledgement
//!    latency distribution;
//! 2. next to it, single-row autocommit inserts of the same records into the same table
//!    (`Store::append` of one record, sequentially): what the writer's batching buys;
//! 3. in-memory chain verification on one thread, next to raw SHA-256 over the same bytes.
//!
//! Tables go to stdout, progress to stderr.
//! `cargo run --release -p zegel-tests --bin zegel-bench-log -- --help`

use anyhow::{Context, Result, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use sha2::{Digest, Sha256};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use zegel_audit::encode::encode_into;
use zegel_audit::store::rows::Row;
use zegel_audit::store::{Store, StoreOptions};
use zegel_audit::verify::{ChainSummary, ChainVerifier, Problem};
use zegel_audit::writer::{Writer, WriterConfig};
use zegel_audit::{Chainer, Event, SealedRecord, genesis};
use zegel_tests::{POSTGRES_URL_ENV, sample_event};

/// Targets (records per second).
const SQLITE_TARGET: f64 = 100_000.0;
const POSTGRES_TARGET: f64 = 30_000.0;
const VERIFY_TARGET: f64 = 1_500_000.0;
/// Rows per page fed to the verifier (as `verify_store_chain` reads them).
const VERIFY_PAGE: usize = 10_000;
/// The submitter count the write targets apply to.
const TARGET_SUBMITTERS: usize = 1024;

#[derive(Parser, Debug)]
#[command(
    about = "Audit log benchmark: group-commit writer vs single-row inserts, verifier vs raw SHA-256"
)]
struct Args {
    /// Measured seconds per concurrency level and for each baseline.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Warm-up seconds before each measured window (not counted).
    #[arg(long, default_value_t = 0.5)]
    warmup: f64,
    /// Concurrent submitters per level, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,16,256,1024")]
    submitters: Vec<usize>,
    /// PostgreSQL URL (a fresh schema is made per level). Unset: PostgreSQL is skipped.
    #[arg(long, env = POSTGRES_URL_ENV)]
    postgres_url: Option<String>,
    /// Directory for the SQLite files and checkpoint files (default: a new temporary
    /// directory, removed at the end).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Writer `max_batch` (records per transaction at most).
    #[arg(long, default_value_t = WriterConfig::new("x").max_batch)]
    max_batch: usize,
    /// Records built in memory for the verification benchmark.
    #[arg(long, default_value_t = 1_000_000)]
    verify_records: u64,
    /// Timed passes of each verification measurement (best and median are printed).
    #[arg(long, default_value_t = 3)]
    verify_passes: usize,
    /// Before each measured run, wait up to this many seconds for other processes on
    /// the host to go idle (0: do not wait). For shared machines.
    #[arg(long, default_value_t = 0.0)]
    wait_idle: f64,
    /// Skip the SQLite part.
    #[arg(long)]
    no_sqlite: bool,
    /// Skip the PostgreSQL part.
    #[arg(long)]
    no_postgres: bool,
    /// Skip the verification part.
    #[arg(long)]
    no_verify: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.seconds <= 0.0 || args.warmup < 0.0 || args.submitters.contains(&0) {
        bail!("--seconds must be positive, --warmup non-negative, submitters at least 1");
    }
    // `zegel_tests::pg::schema` takes its URL from the environment only, and this crate
    // forbids the unsafe `set_var`: when --postgres-url differs from the environment,
    // run again with the environment set.
    if !args.no_postgres
        && let Some(url) = &args.postgres_url
        && std::env::var(POSTGRES_URL_ENV).ok().as_deref() != Some(url.as_str())
    {
        let status = std::process::Command::new(std::env::current_exe()?)
            .args(std::env::args_os().skip(1))
            .env(POSTGRES_URL_ENV, url)
            .status()
            .context("re-running with the PostgreSQL URL in the environment")?;
        std::process::exit(status.code().unwrap_or(1));
    }

    let tmp = tempfile::Builder::new().prefix("zegel-bench-").tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(&dir)?;
    let plan = Plan {
        warmup: Duration::from_secs_f64(args.warmup),
        window: Duration::from_secs_f64(args.seconds),
        levels: args.submitters.clone(),
        max_batch: args.max_batch,
        wait_idle: Duration::from_secs_f64(args.wait_idle.max(0.0)),
    };

    print_machine(&dir);
    let mut verdicts = Vec::new();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;

    if !args.no_sqlite {
        let r = rt.block_on(bench_backend(Backend::Sqlite { dir: dir.clone() }, &plan))?;
        verdicts.extend(r);
    }
    if !args.no_postgres {
        if args.postgres_url.is_some() {
            let r = rt.block_on(bench_backend(Backend::Postgres, &plan))?;
            verdicts.extend(r);
        } else {
            println!(
                "PostgreSQL: skipped ({POSTGRES_URL_ENV} not set and no --postgres-url given)\n"
            );
            verdicts.push(Verdict::skipped(
                "PostgreSQL",
                TARGET_SUBMITTERS,
                POSTGRES_TARGET,
            ));
        }
    }
    drop(rt);

    if !args.no_verify {
        settle(plan.wait_idle);
        verdicts.push(bench_verify(
            args.verify_records,
            args.verify_passes.max(1),
        )?);
    }

    print_verdicts(&verdicts);
    Ok(())
}

// ----------------------------------------------------------------------------------
// Part 1 and 2: the writer and the single-row baseline.

struct Plan {
    warmup: Duration,
    window: Duration,
    levels: Vec<usize>,
    max_batch: usize,
    wait_idle: Duration,
}

#[derive(Clone)]
enum Backend {
    Sqlite { dir: PathBuf },
    Postgres,
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite { .. } => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    fn target(&self) -> f64 {
        match self {
            Backend::Sqlite { .. } => SQLITE_TARGET,
            Backend::Postgres => POSTGRES_TARGET,
        }
    }

    /// A fresh, empty database for one run: its URL, and a guard that removes it.
    async fn fresh(&self, run: &str) -> Result<(String, Option<zegel_tests::pg::PgSchema>)> {
        match self {
            Backend::Sqlite { dir } => {
                let path = dir.join(format!("{run}.db"));
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                Ok((format!("sqlite:{}", path.display()), None))
            }
            Backend::Postgres => {
                let pg = zegel_tests::pg::schema(run)
                    .await
                    .context("PostgreSQL schema")?;
                Ok((pg.url.clone(), Some(pg)))
            }
        }
    }

    fn checkpoint_file(&self, run: &str, fallback: &Path) -> PathBuf {
        match self {
            Backend::Sqlite { dir } => dir.join(format!("{run}.checkpoints")),
            Backend::Postgres => fallback.join(format!("pg-{run}.checkpoints")),
        }
    }
}

/// What one measured window produced.
struct Run {
    label: String,
    submitters: usize,
    /// Acknowledgements received inside the window.
    acked: u64,
    secs: f64,
    /// Records made durable inside the window (head sequence advance).
    durable: u64,
    commits: u64,
    hist: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
    cpu: CpuUse,
}

impl Run {
    fn rate(&self) -> f64 {
        self.acked as f64 / self.secs
    }
}

async fn bench_backend(backend: Backend, plan: &Plan) -> Result<Vec<Verdict>> {
    let scratch = tempfile::Builder::new()
        .prefix("zegel-bench-cp-")
        .tempdir()?;
    let name = backend.name();
    eprintln!("{name}: baseline, single-row autocommit inserts ...");
    tokio::task::block_in_place(|| settle(plan.wait_idle));
    let base = {
        let (url, _guard) = backend.fresh("baseline").await?;
        run_baseline(&url, plan).await?
    };
    let mut runs = Vec::new();
    for &n in &plan.levels {
        eprintln!("{name}: writer, {n} submitters ...");
        let run = format!("level-{n}");
        tokio::task::block_in_place(|| settle(plan.wait_idle));
        let (url, guard) = backend.fresh(&run).await?;
        let cp = backend.checkpoint_file(&run, scratch.path());
        runs.push(run_writer(&url, cp, n, plan).await?);
        drop(guard);
    }

    let url_shape = match &backend {
        Backend::Sqlite { dir } => {
            format!("file {}/<run>.db, WAL, synchronous=FULL", dir.display())
        }
        Backend::Postgres => "fresh schema per run, synchronous_commit=on".to_owned(),
    };
    println!(
        "{name} ({url_shape}); {:.1} s measured per row after {:.1} s warm-up; \
         writer max_batch {}, checkpoint every 10,000 records (file + table)",
        plan.window.as_secs_f64(),
        plan.warmup.as_secs_f64(),
        plan.max_batch
    );
    let mut t = Table::new(&[
        "submitters",
        "records/s",
        "x base",
        "commits/s",
        "batch",
        "ms/commit",
        "p50 us",
        "p90 us",
        "p99 us",
        "p99.9 us",
        "max us",
        "cpu bench",
        "cpu host",
        "disk MB/s",
        "disk B/rec",
        "target",
    ]);
    let mut verdicts = Vec::new();
    for r in std::iter::once(&base).chain(&runs) {
        let target = (r.submitters == TARGET_SUBMITTERS && r.label != "baseline").then(|| {
            let v = Verdict::new(name, r.submitters, r.rate(), backend.target());
            let cell = v.cell();
            verdicts.push(v);
            cell
        });
        t.row(vec![
            r.label.clone(),
            thousands(r.rate()),
            format!("{:.1}", r.rate() / base.rate()),
            thousands(r.commits as f64 / r.secs),
            format!("{:.1}", r.durable as f64 / r.commits.max(1) as f64),
            format!("{:.3}", r.secs * 1e3 / r.commits.max(1) as f64),
            q(&r.hist, 0.50),
            q(&r.hist, 0.90),
            q(&r.hist, 0.99),
            q(&r.hist, 0.999),
            thousands(r.hist.max() as f64),
            format!("{:.2}", r.cpu.bench_cores),
            format!("{:.2}", r.cpu.host_cores),
            format!("{:.1}", r.cpu.disk_bytes as f64 / r.secs / 1e6),
            thousands(r.cpu.disk_bytes as f64 / r.durable.max(1) as f64),
            target.unwrap_or_default(),
        ]);
    }
    print!("{}", t.render());
    println!(
        "baseline = one record per transaction (Store::append of a 1-record slice, sequential, \
         1 caller); batch = records / commits; ms/commit = window / commits;\n\
         latency = submit to acknowledgement; cpu = cores busy (bench process / whole host);\n\
         disk = bytes written to the block device in the window (whole host; for PostgreSQL \
         the server's WAL and data writes)"
    );
    for r in std::iter::once(&base).chain(&runs) {
        if r.errors > 0 {
            println!(
                "  {} {}: {} errors, first: {}",
                name,
                r.label,
                r.errors,
                r.first_error.as_deref().unwrap_or("?")
            );
        }
    }
    println!();
    if !runs.iter().any(|r| r.submitters == TARGET_SUBMITTERS) {
        verdicts.push(Verdict::skipped(name, TARGET_SUBMITTERS, backend.target()));
    }
    Ok(verdicts)
}

fn new_hist() -> Histogram<u64> {
    // 1 us .. 1 h, 3 significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// Submitters each loop: build a sample event, submit it, await the receipt.
async fn run_writer(
    url: &str,
    checkpoint_file: PathBuf,
    submitters: usize,
    plan: &Plan,
) -> Result<Run> {
    let store = Store::open(url, &StoreOptions::default()).await?;
    let mut cfg = WriterConfig::new(format!("bench-{submitters}"));
    cfg.max_batch = plan.max_batch;
    cfg.checkpoint_file = Some(checkpoint_file);
    let key = zegel_audit::keys::generate()?;
    let (writer, task) = Writer::start(store.clone(), key, cfg).await?;

    let from = Instant::now() + plan.warmup;
    let to = from + plan.window;
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(submitters);
    for t in 0..submitters {
        let (writer, stop) = (writer.clone(), Arc::clone(&stop));
        tasks.push(tokio::spawn(async move {
            let mut hist = new_hist();
            let (mut acked, mut errors, mut first_error) = (0u64, 0u64, None);
            let mut i = t as u64 * 1_000_000_000;
            while !stop.load(Ordering::Relaxed) {
                let event = sample_event(i);
                i += 1;
                let t0 = Instant::now();
                let r = writer.submit(event).await;
                let t1 = Instant::now();
                let inside = t1 >= from && t1 < to;
                match r {
                    Ok(_) if inside => {
                        acked += 1;
                        hist.saturating_record(micros(t1 - t0));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| e.to_string());
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
                if t1 >= to {
                    break;
                }
            }
            (hist, acked, errors, first_error)
        }));
    }
    tokio::time::sleep_until(from.into()).await;
    let (c0, h0, cpu0) = (writer.commits(), writer.head_seq(), CpuSnapshot::now());
    tokio::time::sleep_until(to.into()).await;
    let (c1, h1, cpu1) = (writer.commits(), writer.head_seq(), CpuSnapshot::now());
    let secs = plan.window.as_secs_f64();
    stop.store(true, Ordering::Relaxed);

    let mut run = Run {
        label: submitters.to_string(),
        submitters,
        acked: 0,
        secs,
        durable: h1 - h0,
        commits: c1 - c0,
        hist: new_hist(),
        errors: 0,
        first_error: None,
        cpu: cpu0.until(&cpu1, secs),
    };
    for t in tasks {
        let (hist, acked, errors, first_error) = t.await?;
        run.hist.add(&hist).context("merging histograms")?;
        run.acked += acked;
        run.errors += errors;
        if run.first_error.is_none() {
            run.first_error = first_error;
        }
    }
    drop(writer);
    task.shutdown().await?;
    store.close().await;
    Ok(run)
}

/// One caller, one record per transaction, no batching: the same records (sealed the
/// same way) into the same table.
async fn run_baseline(url: &str, plan: &Plan) -> Result<Run> {
    let store = Store::open(url, &StoreOptions::default()).await?;
    let chain = "bench-baseline";
    let mut chainer = Chainer::new();
    let mut prev = genesis(chain);
    let mut hist = new_hist();
    let (mut acked, mut seq) = (0u64, 0u64);
    let from = Instant::now() + plan.warmup;
    let to = from + plan.window;
    let mut cpu0 = None;
    loop {
        seq += 1;
        let mut event = sample_event(seq);
        event.normalize();
        let hash = chainer.hash(&prev, seq, &event);
        let record = SealedRecord::new(seq, event, hash);
        let t0 = Instant::now();
        if t0 >= from && cpu0.is_none() {
            cpu0 = Some((CpuSnapshot::now(), t0, acked));
        }
        store.append(chain, std::slice::from_ref(&record)).await?;
        let t1 = Instant::now();
        prev = hash;
        if t1 >= from && t1 < to {
            acked += 1;
            hist.saturating_record(micros(t1 - t0));
        }
        if t1 >= to {
            break;
        }
    }
    let cpu1 = CpuSnapshot::now();
    let secs = plan.window.as_secs_f64();
    let cpu = match cpu0 {
        Some((c0, t0, _)) => c0.until(&cpu1, t0.elapsed().as_secs_f64()),
        None => CpuUse::default(),
    };
    store.close().await;
    Ok(Run {
        label: "baseline".into(),
        submitters: 1,
        acked,
        secs,
        durable: acked,
        commits: acked,
        hist,
        errors: 0,
        first_error: None,
        cpu,
    })
}

fn q(h: &Histogram<u64>, quantile: f64) -> String {
    if h.is_empty() {
        return "-".into();
    }
    thousands(h.value_at_quantile(quantile) as f64)
}

// ----------------------------------------------------------------------------------
// Part 3: verification in memory.

/// Best and median of several timed passes, in seconds.
struct Timing {
    best: f64,
    median: f64,
}

fn timed(passes: usize, mut pass: impl FnMut() -> Result<Duration>) -> Result<Timing> {
    let mut secs = Vec::with_capacity(passes);
    for _ in 0..passes {
        secs.push(pass()?.as_secs_f64());
    }
    secs.sort_by(f64::total_cmp);
    Ok(Timing {
        best: secs[0],
        median: secs[secs.len() / 2],
    })
}

fn bench_verify(n: u64, passes: usize) -> Result<Verdict> {
    let chain = "bench-verify";
    eprintln!("verification: building {n} sealed records in memory ...");
    let built = Instant::now();
    let mut chainer = Chainer::new();
    let mut prev = genesis(chain);
    let cap = usize::try_from(n)?;
    let mut records: Vec<SealedRecord> = Vec::with_capacity(cap);
    // prev hash || encoding of every record, back to back; `ends[i]` ends record i.
    let mut bytes: Vec<u8> = Vec::with_capacity(cap * 360);
    let mut ends: Vec<usize> = Vec::with_capacity(cap);
    for seq in 1..=n {
        let mut event: Event = sample_event(seq);
        event.normalize();
        bytes.extend_from_slice(&prev);
        let start = bytes.len();
        encode_into(seq, &event, &mut bytes);
        ends.push(bytes.len());
        let hash = chainer.hash(&prev, seq, &event);
        // As a store page read gives it: decoded from its stored encoding, which it keeps.
        records.push(SealedRecord::decode_stored(&bytes[start..], hash)?);
        prev = hash;
    }
    // The same records as built in memory: the verifier encodes each again to hash it.
    let in_memory: Vec<SealedRecord> = records
        .iter()
        .map(|r| SealedRecord::new(r.seq, r.event.clone(), r.hash))
        .collect();
    let head = prev;
    let first: [u8; 32] = Sha256::digest(&bytes[..ends[0]]).into();
    if records.first().map(|r| r.hash) != Some(first) {
        bail!("raw SHA-256 input does not reproduce the record hash");
    }
    let mean_bytes = bytes.len() as f64 / n as f64;
    let build_secs = built.elapsed().as_secs_f64();
    eprintln!("verification: built in {build_secs:.1} s; timing ...");

    // Each pass gets fresh copies of the rows (as a store page would be), made while the
    // clock is stopped: either page by page, as `verify_store_chain` feeds it from a
    // database (10,000 rows at a time, freed memory reused at once), or all N at once.
    let check = |summary: Result<ChainSummary, Problem>| match summary {
        Ok(s) if s.records == n && s.head == head => Ok(()),
        Ok(s) => bail!(
            "verifier saw {} records, head {}",
            s.records,
            hex::encode(s.head)
        ),
        Err(p) => bail!("verifier found a problem in a good chain: {p}"),
    };
    let paged = timed(passes, || {
        let mut v = ChainVerifier::new(chain, Vec::new(), &[], false);
        let mut el = Duration::ZERO;
        for page in records.chunks(VERIFY_PAGE) {
            let rows: Vec<Row> = page.iter().cloned().map(Row::Record).collect();
            let t0 = Instant::now();
            for row in &rows {
                v.push_ref(row);
            }
            el += t0.elapsed();
        }
        let t0 = Instant::now();
        let summary = v.finish();
        el += t0.elapsed();
        check(summary)?;
        Ok(el)
    })?;
    let whole_of = |records: &[SealedRecord]| {
        timed(passes, || {
            let rows: Vec<Row> = records.iter().cloned().map(Row::Record).collect();
            let t0 = Instant::now();
            let mut v = ChainVerifier::new(chain, Vec::new(), &[], false);
            for row in &rows {
                v.push_ref(row);
            }
            let summary = v.finish();
            let el = t0.elapsed();
            check(summary)?;
            Ok(el)
        })
    };
    let whole = whole_of(&records)?;
    let whole_mem = whole_of(&in_memory)?;

    // Breakdown: what the verifier's per-record work costs without it.
    let chained = timed(passes, || {
        let t0 = Instant::now();
        let mut c = Chainer::new();
        let mut p = genesis(chain);
        for r in &records {
            p = c.hash(&p, r.seq, &r.event);
        }
        let el = t0.elapsed();
        if p != head {
            bail!("Chainer::hash pass ended on a different head");
        }
        Ok(el)
    })?;
    let dropping = timed(passes, || {
        let rows: Vec<Row> = records.iter().cloned().map(Row::Record).collect();
        let t0 = Instant::now();
        drop(black_box(rows));
        Ok(t0.elapsed())
    })?;
    let raw = timed(passes, || {
        let t0 = Instant::now();
        let mut acc = [0u8; 32];
        let mut start = 0;
        for &end in &ends {
            let h = Sha256::digest(black_box(&bytes[start..end]));
            acc[0] ^= h[0];
            start = end;
        }
        black_box(acc);
        Ok(t0.elapsed())
    })?;

    let rate = |secs: f64| n as f64 / secs;
    let raw_rate = rate(raw.median);
    // The verdict takes the median pass of the brief's method (all N rows built first):
    // the first pass runs on a fresh heap and is faster than any later one.
    let verdict = Verdict::new("verification", 0, rate(whole.median), VERIFY_TARGET);
    println!(
        "Verification in memory, one thread: {} records of {:.0} bytes hashed each \
         (32-byte prev hash + encoding), best and median of {passes} passes;\n\
         the verifier reads the rows by reference (push_ref), as it does a page read from a store;\n\
         rows carry their stored encoding, as read from a store, and the verifier hashes it\n\
         (\"rows built in memory\" have none: the verifier encodes each event again)",
        thousands(n as f64),
        mean_bytes
    );
    let mut t = Table::new(&[
        "what",
        "records/s best",
        "median",
        "ns/record (median)",
        "x raw SHA-256 (median)",
        "target",
    ]);
    let mut row = |what: &str, tm: &Timing, target: String| {
        t.row(vec![
            what.to_owned(),
            thousands(rate(tm.best)),
            thousands(rate(tm.median)),
            format!("{:.0}", tm.median * 1e9 / n as f64),
            format!("{:.2}", rate(tm.median) / raw_rate),
            target,
        ]);
    };
    row("ChainVerifier, all N rows prebuilt", &whole, verdict.cell());
    row("ChainVerifier, pages of 10,000 rows", &paged, String::new());
    row(
        "ChainVerifier, rows built in memory",
        &whole_mem,
        String::new(),
    );
    row("raw SHA-256 (sha2) of the same bytes", &raw, String::new());
    row(
        "  breakdown: Chainer::hash (encode+SHA)",
        &chained,
        String::new(),
    );
    row(
        "  breakdown: dropping the owned rows",
        &dropping,
        String::new(),
    );
    print!("{}", t.render());
    println!("(building the records took {build_secs:.1} s, not timed)\n");
    Ok(verdict)
}

// ----------------------------------------------------------------------------------
// Targets.

struct Verdict {
    what: &'static str,
    submitters: usize,
    measured: Option<f64>,
    target: f64,
}

impl Verdict {
    fn new(what: &'static str, submitters: usize, measured: f64, target: f64) -> Self {
        Verdict {
            what,
            submitters,
            measured: Some(measured),
            target,
        }
    }

    fn skipped(what: &'static str, submitters: usize, target: f64) -> Self {
        Verdict {
            what,
            submitters,
            measured: None,
            target,
        }
    }

    fn status(&self) -> &'static str {
        match self.measured {
            None => "SKIPPED",
            Some(m) if m >= self.target => "PASS",
            Some(_) => "MISS",
        }
    }

    fn cell(&self) -> String {
        format!("{} (>= {})", self.status(), thousands(self.target))
    }
}

fn print_verdicts(verdicts: &[Verdict]) {
    println!("Targets");
    let mut t = Table::new(&["what", "measured records/s", "target", "result"]);
    for v in verdicts {
        let what = if v.submitters > 0 {
            format!("{} writer, {} submitters", v.what, v.submitters)
        } else {
            "verification, per core".to_owned()
        };
        t.row(vec![
            what,
            v.measured.map(thousands).unwrap_or_else(|| "-".into()),
            format!(">= {}", thousands(v.target)),
            v.status().to_owned(),
        ]);
    }
    print!("{}", t.render());
}

// ----------------------------------------------------------------------------------
// Machine facts and CPU use.

fn print_machine(dir: &Path) {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("?", |(_, m)| m.trim());
    let sha_ni = cpuinfo
        .lines()
        .any(|l| l.starts_with("flags") && l.contains(" sha_ni"));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mount = mount_of(dir);
    if let Some(dev) = mount
        .strip_prefix("/dev/")
        .and_then(|m| m.split_whitespace().next())
    {
        let _ = DISK.set(dev.to_owned());
    }
    let before = CpuSnapshot::now();
    std::thread::sleep(Duration::from_secs(1));
    let busy = before.until(&CpuSnapshot::now(), 1.0).host_cores;
    println!(
        "machine: {cores} cores, {model}{}; SQLite files on {}; \
         host busy before start: {busy:.2} cores (other processes)",
        if sha_ni { " (sha_ni)" } else { "" },
        mount
    );
    println!();
}

/// "device (fstype) mounted at point" for the file system holding `path`.
fn mount_of(path: &Path) -> String {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 3 && path.starts_with(f[1])).then(|| (f[1].len(), f[0], f[1], f[2]))
        })
        .max_by_key(|m| m.0)
        .map_or_else(
            || "?".into(),
            |(_, dev, at, fs)| format!("{dev} ({fs}) at {at}"),
        )
}

/// The block device (e.g. `vda`) whose writes are counted; set once in `print_machine`.
static DISK: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Bytes written so far to [`DISK`], from /proc/diskstats (512-byte sectors).
fn disk_written() -> u64 {
    let Some(dev) = DISK.get() else { return 0 };
    let stats = std::fs::read_to_string("/proc/diskstats").unwrap_or_default();
    stats
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() > 9 && f[2] == dev)
        .and_then(|f| f[9].parse::<u64>().ok())
        .map_or(0, |sectors| sectors * 512)
}

/// Busy cores below which the host counts as idle.
const IDLE_CORES: f64 = 0.2;

/// Waits (up to `max`) until other processes leave the host idle.
fn settle(max: Duration) {
    if max.is_zero() {
        return;
    }
    let start = Instant::now();
    loop {
        let before = CpuSnapshot::now();
        std::thread::sleep(Duration::from_millis(500));
        let busy = before.until(&CpuSnapshot::now(), 0.5).host_cores;
        if busy < IDLE_CORES {
            return;
        }
        if start.elapsed() >= max {
            eprintln!(
                "host still busy ({busy:.2} cores) after {:.0} s; measuring anyway",
                max.as_secs_f64()
            );
            return;
        }
    }
}

/// Cores busy over a window.
#[derive(Default, Clone, Copy)]
struct CpuUse {
    bench_cores: f64,
    host_cores: f64,
    disk_bytes: u64,
}

struct CpuSnapshot {
    /// utime + stime of this process, clock ticks.
    own: u64,
    /// Bytes written to the disk holding the SQLite directory (whole host).
    disk: u64,
    /// Busy and total jiffies of all CPUs.
    busy: u64,
    total: u64,
}

/// Linux reports /proc times in USER_HZ, 100 on every mainstream configuration.
const TICKS_PER_SEC: f64 = 100.0;

impl CpuSnapshot {
    fn now() -> Self {
        let own = std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|s| {
                let rest = s.rsplit_once(')')?.1.to_owned();
                let f: Vec<u64> = rest
                    .split_whitespace()
                    .skip(11)
                    .take(2)
                    .filter_map(|x| x.parse().ok())
                    .collect();
                Some(f.iter().sum())
            })
            .unwrap_or(0);
        let (busy, total) = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| {
                let line = s.lines().next()?.to_owned();
                let f: Vec<u64> = line
                    .split_whitespace()
                    .skip(1)
                    .take(8)
                    .filter_map(|x| x.parse().ok())
                    .collect();
                let total: u64 = f.iter().sum();
                let idle = f.get(3).copied().unwrap_or(0) + f.get(4).copied().unwrap_or(0);
                Some((total - idle, total))
            })
            .unwrap_or((0, 0));
        CpuSnapshot {
            own,
            busy,
            total,
            disk: disk_written(),
        }
    }

    fn until(&self, later: &CpuSnapshot, secs: f64) -> CpuUse {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let total = later.total.saturating_sub(self.total).max(1) as f64;
        CpuUse {
            bench_cores: later.own.saturating_sub(self.own) as f64 / TICKS_PER_SEC / secs,
            host_cores: later.busy.saturating_sub(self.busy) as f64 / total * cores,
            disk_bytes: later.disk.saturating_sub(self.disk),
        }
    }
}

// ----------------------------------------------------------------------------------
// Output.

/// A table with the first column left-aligned and the others right-aligned.
struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(head: &[&str]) -> Self {
        Table {
            head: head.iter().map(|s| (*s).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render(&self) -> String {
        let mut w: Vec<usize> = self.head.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                let pad = " ".repeat(w[i] - c.chars().count());
                if i == 0 {
                    s.push_str(&format!("{c}{pad}"));
                } else {
                    s.push_str(&format!("  {pad}{c}"));
                }
            }
            s.trim_end().to_owned() + "\n"
        };
        let mut out = line(&self.head);
        let rule: Vec<String> = w.iter().map(|n| "-".repeat(*n)).collect();
        out.push_str(&line(&rule));
        for r in &self.rows {
            out.push_str(&line(r));
        }
        out
    }
}

/// `1234567.8` as `1,234,568`.
fn thousands(x: f64) -> String {
    let n = x.round().max(0.0) as u64;
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
