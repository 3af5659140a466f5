//! How much memory a query may hold, and what happens beyond it.
//!
//! Every session runs under a memory pool (`--memory-limit`, default `auto`: half the
//! memory of the machine, or of its cgroup when that is smaller; an eighth of it is
//! kept for cached Parquet footers, the rest is the pool): sorts and
//! aggregations that would exceed the pool spill to files in `--spill-dir` (the
//! system's temporary directory unless given) and go on.
//!
//! The pool is greedy, as DataFusion's own default: an operator takes what is free. A
//! fair pool (`FairSpillPool`) caps every operator that can spill at an equal part of
//! the pool, counted over all of them, each repartition channel included; at 100M
//! records `daily`'s largest aggregation then spilled 2.3 GB with most of the pool
//! unused (49.7 -> 35.2 s greedy, same output).
//!
//! A hash join cannot spill in DataFusion 55: when its build side does not fit, the
//! query fails with "resources exhausted". Then [`retry_with_spilling_joins`] switches
//! the session to sort-merge joins, whose sorts and buffers spill, and the caller plans
//! the statement again; small logs keep the fast hash joins, years of logs still finish
//! in bounded memory.

use datafusion::error::DataFusionError;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{
    GreedyMemoryPool, MemoryLimit, MemoryPool, MemoryReservation, TrackConsumersPool,
};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::SessionContext;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The default `--memory-limit`: see [`auto_limit`].
pub const DEFAULT_LIMIT: &str = "auto";

/// The `auto` limit where the machine's memory cannot be read.
pub const FALLBACK_LIMIT: u64 = 2 << 30;

/// Smallest limit accepted: below this the merges of spilled sorts run out of memory
/// themselves (the pool gets seven eighths of it; a 3M-row join still answers under it,
/// `tests/query/memory.rs`).
pub const MIN_LIMIT: u64 = 128 << 20;

/// The memory settings of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memory {
    /// Bytes the engine may hold; `None` is no limit (and nothing spills).
    pub limit: Option<u64>,
    /// Where spill files go; `None` is the system's temporary directory.
    pub spill_dir: Option<PathBuf>,
}

impl Default for Memory {
    fn default() -> Self {
        Memory {
            limit: parse_limit(DEFAULT_LIMIT).expect("the default limit parses"),
            spill_dir: None,
        }
    }
}

/// `--memory-limit` as parsed: bytes, or `None` for `unlimited`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub Option<u64>);

impl Limit {
    /// The clap value parser (see [`parse_limit`]).
    pub fn parse(s: &str) -> Result<Limit, String> {
        parse_limit(s).map(Limit)
    }
}

/// The runtime of a session with these settings.
pub fn runtime(memory: &Memory) -> Result<Arc<RuntimeEnv>, DataFusionError> {
    let (pool_bytes, cache_bytes) = split_limit(memory.limit);
    let mut builder = RuntimeEnvBuilder::new().with_metadata_cache_limit(cache_bytes);
    if let Some(limit) = pool_bytes {
        let pool = RepartitionNotRefused(GreedyMemoryPool::new(limit));
        // Tracking names the largest consumers in the error when even spilling fails.
        let top = NonZeroUsize::new(5).expect("5 is not zero");
        builder = builder.with_memory_pool(Arc::new(TrackConsumersPool::new(pool, top)));
    }
    if let Some(dir) = &memory.spill_dir {
        let disk = DiskManagerBuilder::default()
            .with_mode(DiskManagerMode::Directories(vec![dir.clone()]));
        builder = builder.with_disk_manager_builder(disk);
    }
    builder.build_arc()
}

/// The greedy pool, except that a repartition's buffers are counted but never refused.
///
/// DataFusion 55's `RepartitionExec` writes a batch the pool refuses to a spill file, and
/// its reader can then wait forever for a batch that sits in another file
/// (apache/datafusion#24883, fixed after 55.2): `daily` over 10M records under a
/// 512 MiB limit hung in 4 runs of 15, every thread idle. Granted, the repartition never
/// spills; what it holds still counts, so the sorts and aggregations that can spill see
/// less room and spill sooner. Its buffers are batches in flight between two operators,
/// a few per partition (the channels' gate holds producers back). The same 15 runs with
/// this pool: none hung, same output, time (3.0-4.2 s) and peak RSS (0.72-0.76 GB) as the
/// runs that finished before.
#[derive(Debug)]
struct RepartitionNotRefused(GreedyMemoryPool);

impl RepartitionNotRefused {
    fn is_repartition(r: &MemoryReservation) -> bool {
        r.consumer().name().starts_with("RepartitionExec")
    }
}

impl std::fmt::Display for RepartitionNotRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (repartitions not refused)", self.0)
    }
}

impl MemoryPool for RepartitionNotRefused {
    fn name(&self) -> &str {
        "greedy, repartitions not refused"
    }

    fn grow(&self, r: &MemoryReservation, additional: usize) {
        self.0.grow(r, additional)
    }

    fn shrink(&self, r: &MemoryReservation, shrink: usize) {
        self.0.shrink(r, shrink)
    }

    fn try_grow(&self, r: &MemoryReservation, additional: usize) -> Result<(), DataFusionError> {
        if Self::is_repartition(r) {
            self.0.grow(r, additional);
            return Ok(());
        }
        self.0.try_grow(r, additional)
    }

    fn reserved(&self) -> usize {
        self.0.reserved()
    }

    fn memory_limit(&self) -> MemoryLimit {
        self.0.memory_limit()
    }
}

/// Parquet footers kept between the scans of a session when there is no limit.
pub const UNLIMITED_METADATA_CACHE: usize = 1 << 30;

/// The limit divided between the query pool and the cache of Parquet footers (an
/// eighth). Each report section scans the log again; an archive of years of day files
/// (as archives were written before month files) holds tens of thousands of files, and
/// DataFusion's default 50 MB cache held too few of their footers, so every scan read
/// and parsed them again (100M records in 12,950 files: patient-access 24-38 s -> 16-19 s
/// with the footers cached).
fn split_limit(limit: Option<u64>) -> (Option<usize>, usize) {
    match limit {
        None => (None, UNLIMITED_METADATA_CACHE),
        Some(bytes) => {
            let bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
            (Some(bytes - bytes / 8), bytes / 8)
        }
    }
}

/// Parses `--memory-limit`: a number with an optional unit (B, KiB, MiB, GiB, TiB; KB,
/// MB, GB and TB count in thousands), or `unlimited`.
pub fn parse_limit(s: &str) -> Result<Option<u64>, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("unlimited") {
        return Ok(None);
    }
    if t.eq_ignore_ascii_case("auto") {
        return Ok(Some(auto_limit()));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().map_err(|_| {
        format!("{s:?} is not a size such as 2GiB or 512MiB, nor auto or unlimited")
    })?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" => 1 << 10,
        "mib" | "m" => 1 << 20,
        "gib" | "g" => 1 << 30,
        "tib" | "t" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        other => {
            return Err(format!(
                "{s:?}: unknown unit {other:?} (use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)"
            ));
        }
    };
    let bytes = number * scale as f64;
    if !bytes.is_finite() || bytes < MIN_LIMIT as f64 {
        return Err(format!(
            "{s:?} is below the smallest memory limit, 128MiB (use `unlimited` for none)"
        ));
    }
    Ok(Some(bytes as u64))
}

/// The `auto` limit: half the memory this process can have, which is the machine's
/// (`MemTotal` in `/proc/meminfo`) or its cgroups' ([`cgroup_limit`]) when that is
/// smaller; the other half stays for the page cache the Parquet reads go through. At
/// least [`MIN_LIMIT`]; [`FALLBACK_LIMIT`] where neither can be read (not Linux).
pub fn auto_limit() -> u64 {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let machine = read("/proc/meminfo").and_then(|t| mem_total(&t));
    let own = read("/proc/self/cgroup").unwrap_or_else(|| "0::/".to_owned());
    let cgroup = cgroup_limit(&own, Path::new("/sys/fs/cgroup"));
    let available = machine.into_iter().chain(cgroup).min();
    available.map_or(FALLBACK_LIMIT, |b| (b / 2).max(MIN_LIMIT))
}

/// The smallest memory limit on the cgroups this process is in (`own`, the text of
/// `/proc/self/cgroup`), each from the hierarchy's root under `root` down to the
/// process's own group: a service's limit (systemd's `MemoryMax=`, a container run
/// without its own cgroup namespace) sits on its group, not on the root. cgroup v2
/// (`0::PATH`, `memory.max`) and the v1 memory controller (`N:memory:PATH`,
/// `memory/.../memory.limit_in_bytes`, as on hosts that mount both) are both read.
fn cgroup_limit(own: &str, root: &Path) -> Option<u64> {
    let read = |p: PathBuf| std::fs::read_to_string(p).ok().and_then(|t| cgroup_max(&t));
    let mut limits = Vec::new();
    for line in own.lines() {
        let mut fields = line.splitn(3, ':').skip(1);
        let (Some(controllers), Some(path)) = (fields.next(), fields.next()) else {
            continue;
        };
        let (mut dir, file) = match controllers {
            "" => (root.to_path_buf(), "memory.max"),
            c if c.split(',').any(|c| c == "memory") => {
                (root.join("memory"), "memory.limit_in_bytes")
            }
            _ => continue,
        };
        limits.extend(read(dir.join(file)));
        for part in path.split('/').filter(|p| !matches!(*p, "" | "." | "..")) {
            dir.push(part);
            limits.extend(read(dir.join(file)));
        }
    }
    limits.into_iter().min()
}

/// Bytes of the `MemTotal:` line of `/proc/meminfo` (given in kB, meaning KiB).
fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line["MemTotal:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

/// A cgroup v2 `memory.max`: bytes, or `None` for `max` (no limit).
fn cgroup_max(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// Whether `e` is the memory pool refusing an allocation.
pub fn is_exhausted(e: &DataFusionError) -> bool {
    matches!(e.find_root(), DataFusionError::ResourcesExhausted(_))
}

/// After a query ran out of memory: switches `ctx` to sort-merge joins (which spill) and
/// says so on standard error. Returns false when it already used them, so the caller
/// reports the error instead of planning the same statement again.
pub async fn retry_with_spilling_joins(ctx: &SessionContext) -> bool {
    let state = ctx.state();
    if !state.config().options().optimizer.prefer_hash_join {
        return false;
    }
    let set = "SET datafusion.optimizer.prefer_hash_join = false";
    let switched = match ctx.sql(set).await {
        Ok(df) => df.collect().await.is_ok(),
        Err(_) => false,
    };
    if switched {
        eprintln!(
            "note: a join did not fit in --memory-limit; running it again with sort-merge \
             joins, which spill to disk (slower, bounded memory)"
        );
    }
    switched
}

/// The error for a query that ran out of memory even with spilling.
pub fn exhausted_message(ctx: &SessionContext, e: &DataFusionError) -> String {
    let limit = match ctx.runtime_env().memory_pool.memory_limit() {
        MemoryLimit::Finite(n) => human(n as u64),
        MemoryLimit::Infinite | MemoryLimit::Unknown => "no limit".to_owned(),
    };
    format!(
        "the query needs more memory than --memory-limit ({limit}) allows, even spilling \
         to disk: {}; raise --memory-limit or narrow the period (--from/--to)",
        crate::query::clean_message(e)
    )
}

/// `2.0 GiB`, `512.0 MiB`.
pub fn human(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.1} {}", units[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_with_units() {
        assert_eq!(parse_limit("2GiB"), Ok(Some(2 << 30)));
        assert_eq!(parse_limit("512MiB"), Ok(Some(512 << 20)));
        assert_eq!(parse_limit("1.5 GiB"), Ok(Some(3 << 29)));
        assert_eq!(parse_limit("300MB"), Ok(Some(300_000_000)));
        assert_eq!(parse_limit("134217728"), Ok(Some(MIN_LIMIT)));
        assert_eq!(parse_limit("Unlimited"), Ok(None));
        assert_eq!(parse_limit("auto"), Ok(Some(auto_limit())));
    }

    #[test]
    fn the_footer_cache_takes_an_eighth_of_the_limit() {
        assert_eq!(split_limit(Some(8 << 30)), (Some(7 << 30), 1 << 30));
        assert_eq!(split_limit(None), (None, UNLIMITED_METADATA_CACHE));
        let (pool, cache) = split_limit(Some(MIN_LIMIT));
        assert_eq!(pool.unwrap_or(0) + cache, MIN_LIMIT as usize);
    }

    #[test]
    fn auto_is_half_the_smaller_of_machine_and_cgroup() {
        let meminfo = "MemTotal:       24634980 kB\nMemFree:         1000 kB\n";
        assert_eq!(mem_total(meminfo), Some(24_634_980 * 1024));
        assert_eq!(mem_total("MemFree: 1 kB\n"), None);
        assert_eq!(cgroup_max("max\n"), None);
        assert_eq!(cgroup_max("4294967296\n"), Some(4 << 30));
        let auto = auto_limit();
        assert!(auto >= MIN_LIMIT, "{auto}");
        if let Some(total) = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| mem_total(&t))
        {
            assert!(auto <= total / 2, "{auto} of {total}");
        }
    }

    /// A repartition is granted what it asks beyond the limit, and what it holds is
    /// counted: the next operator that can spill is refused (see
    /// [`RepartitionNotRefused`]; a refused repartition can hang DataFusion 55).
    #[test]
    fn a_repartition_is_counted_but_not_refused() {
        use datafusion::execution::memory_pool::MemoryConsumer;
        let pool: Arc<dyn MemoryPool> =
            Arc::new(RepartitionNotRefused(GreedyMemoryPool::new(1 << 20)));
        let repartition = MemoryConsumer::new("RepartitionExec[1]").register(&pool);
        let sort = MemoryConsumer::new("ExternalSorter[0]")
            .with_can_spill(true)
            .register(&pool);
        sort.try_grow(768 << 10).expect("within the limit");
        repartition
            .try_grow(512 << 10)
            .expect("a repartition is not refused");
        assert_eq!(pool.reserved(), 1280 << 10);
        let e = sort.try_grow(1).expect_err("the pool is over its limit");
        assert!(is_exhausted(&e), "{e}");
        repartition.shrink(512 << 10);
        sort.try_grow(256 << 10)
            .expect("room again once the batches are taken");
    }

    /// The limit of the process's own group counts, under cgroup v2 and v1 alike; `max`
    /// (v2) and v1's near-2^63 "no limit" do not lower anything.
    #[test]
    fn auto_reads_the_limits_of_the_process_own_cgroups() {
        let root = tempfile::tempdir().expect("tempdir");
        let write = |rel: &str, text: &str| {
            let p = root.path().join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        };
        write("memory.max", "max\n");
        write("system.slice/memory.max", "max\n");
        write("system.slice/zegel.service/memory.max", "4294967296\n");
        let v2 = "0::/system.slice/zegel.service\n";
        assert_eq!(cgroup_limit(v2, root.path()), Some(4 << 30));
        assert_eq!(cgroup_limit("0::/\n", root.path()), None);
        write("memory/memory.limit_in_bytes", "9223372036854771712\n");
        write("memory/batch/memory.limit_in_bytes", "2147483648\n");
        let hybrid = "4:memory:/batch/job-7\n1:cpu,cpuacct:/\n0::/\n";
        assert_eq!(cgroup_limit(hybrid, root.path()), Some(2 << 30));
        assert_eq!(cgroup_limit("not a cgroup file", root.path()), None);
    }

    #[test]
    fn bad_limits_say_what_is_wrong() {
        let e = parse_limit("2 parsecs").expect_err("unknown unit");
        assert!(e.contains("unknown unit \"parsecs\""), "{e}");
        let e = parse_limit("lots").expect_err("no number");
        assert!(e.contains("is not a size"), "{e}");
        let e = parse_limit("1MiB").expect_err("too small");
        assert!(e.contains("below the smallest"), "{e}");
    }
}
