//! zegel-bench-authz: decision latency of the sidecar's decision stage with a large policy.
//!
//! Generates a realistic policy (`authz::synthetic`, default 110,000 lines) into a
//! temporary directory, loads it, and prints p50/p99/p99.9/max per decision for
//! (a) repeated request shapes (cache hits), (b) never-seen shapes (cache misses),
//! (c) unknown objects, (d) the same as (a) on two threads at once, and next to them
//! (e) casbin-rs's own uncached `Enforcer::enforce` on one Enforcer holding the same
//! model and every line, measured in the same run.
//!
//! Usage: `zegel-bench-authz [LINES]`; run it in release mode.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use casbin::{CoreApi, DefaultModel, Enforcer, StringAdapter};
use zegel_sidecar::authz::synthetic::{self, Request, Rng};
use zegel_sidecar::authz::{Authorizer, PolicyConfig};

const MODEL: &str = include_str!("../../../policies/model.conf");
const HOT_SHAPES: usize = 1_000;
const HOT_DECISIONS: usize = 500_000;
const COLD_DECISIONS: usize = 50_000;
const UNKNOWN_DECISIONS: usize = 100_000;
const CASBIN_DECISIONS: usize = 200;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let lines = match std::env::args().nth(1) {
        Some(arg) => arg.parse().context("LINES must be a number")?,
        None => 110_000,
    };
    let generated = synthetic::policy(lines);
    let dir = TempDir::new()?;
    let cfg = dir.write(&generated.text)?;
    println!(
        "policy: {lines} lines, {} organisations",
        generated.organisations
    );
    let authz = load(&cfg).await?;
    let mut rng = Rng::new(2026);
    let pairs = synthetic::object_actions();
    let mut seen = HashSet::new();
    let hot = fresh(
        &mut rng,
        &mut seen,
        &pairs,
        generated.organisations,
        HOT_SHAPES,
    );
    let cold = fresh(
        &mut rng,
        &mut seen,
        &pairs,
        generated.organisations,
        COLD_DECISIONS,
    );
    let ours = run_ours(&authz, &hot, &cold, &mut rng, generated.organisations);
    let casbin = run_casbin(
        &generated.text,
        &authz,
        &mut rng,
        &pairs,
        generated.organisations,
    )
    .await?;
    ratios(&ours, &casbin);
    Ok(())
}

/// Loads the policy, printing load time and resident memory.
async fn load(cfg: &PolicyConfig) -> anyhow::Result<Authorizer> {
    let before = rss_mib();
    let start = Instant::now();
    let authz = Authorizer::load(cfg).await?;
    let took = start.elapsed();
    let stats = authz.stats();
    println!(
        "load: {took:.2?}; {} partitions in {} organisations; resident memory +{:.0} MiB",
        stats.partitions,
        stats.organisations,
        rss_mib() - before
    );
    Ok(authz)
}

/// `n` random requests whose shapes are not in `seen` (and are added to it).
fn fresh(
    rng: &mut Rng,
    seen: &mut HashSet<Request>,
    pairs: &[(&str, &str)],
    organisations: usize,
    n: usize,
) -> Vec<Request> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut request = Request::random(rng, organisations, pairs);
        request.roles.sort();
        request.roles.dedup();
        if seen.insert(request.clone()) {
            out.push(request);
        }
    }
    out
}

/// The figures of this crate's decision stage, by case.
struct Ours {
    hot: Stats,
    cold: Stats,
}

fn run_ours(
    authz: &Authorizer,
    hot: &[Request],
    cold: &[Request],
    rng: &mut Rng,
    organisations: usize,
) -> Ours {
    for request in hot {
        authz.decide(&request.query());
    }
    let order: Vec<usize> = (0..HOT_DECISIONS).map(|_| rng.below(hot.len())).collect();
    let hot_stats = measure(order.iter().map(|&i| &hot[i]), |r| authz.decide(&r.query()));
    hot_stats.print("(a) repeated shapes (cache hits)");
    let cold_stats = measure(cold.iter(), |r| authz.decide(&r.query()));
    cold_stats.print("(b) never-seen shapes (cache misses)");
    let unknown = unknown_objects(rng, organisations);
    let unknown_stats = measure(unknown.iter(), |r| authz.decide(&r.query()));
    unknown_stats.print("(c) unknown objects (denied)");
    two_threads(authz, hot, &order);
    let allowed = cold
        .iter()
        .filter(|r| authz.decide(&r.query()).allowed)
        .count();
    println!("    never-seen shapes allowed: {allowed} of {}", cold.len());
    Ours {
        hot: hot_stats,
        cold: cold_stats,
    }
}

fn unknown_objects(rng: &mut Rng, organisations: usize) -> Vec<Request> {
    let pairs = [
        ("ecd:Questionnaire", "read"),
        ("ecd:Onbekend", "search"),
        ("x", "GET"),
    ];
    (0..UNKNOWN_DECISIONS)
        .map(|_| Request::random(rng, organisations, &pairs))
        .collect()
}

/// (a) again, on two threads deciding at once (this machine has two cores).
fn two_threads(authz: &Authorizer, hot: &[Request], order: &[usize]) {
    let start = Instant::now();
    let halves: Vec<Stats> = std::thread::scope(|scope| {
        let handles: Vec<_> = order
            .chunks(order.len() / 2)
            .map(|part| {
                scope.spawn(|| measure(part.iter().map(|&i| &hot[i]), |r| authz.decide(&r.query())))
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let per_second = order.len() as f64 / start.elapsed().as_secs_f64();
    for (i, half) in halves.iter().enumerate() {
        half.print(&format!("(d) repeated shapes, thread {} of 2", i + 1));
    }
    println!(
        "    two threads together: {:.2} million decisions/s",
        per_second / 1e6
    );
}

/// (e) casbin-rs: one Enforcer with every line, uncached `enforce`, one subject per call.
async fn run_casbin(
    text: &str,
    authz: &Authorizer,
    rng: &mut Rng,
    pairs: &[(&str, &str)],
    organisations: usize,
) -> anyhow::Result<Stats> {
    let start = Instant::now();
    let model = DefaultModel::from_str(MODEL).await?;
    let enforcer = Enforcer::new(model, StringAdapter::new(text)).await?;
    println!(
        "casbin-rs: one Enforcer with every line loaded in {:.2?}",
        start.elapsed()
    );
    let requests: Vec<Request> = (0..CASBIN_DECISIONS)
        .map(|_| single_subject(Request::random(rng, organisations, pairs)))
        .collect();
    let mut disagree = 0;
    let stats = measure(requests.iter(), |r| {
        let allowed = enforcer.enforce((&r.roles[0], &r.domain, &r.object, &r.action));
        disagree += usize::from(allowed.ok() != Some(authz.decide(&r.query()).allowed));
    });
    stats.print("(e) casbin-rs Enforcer::enforce, uncached, every line");
    println!(
        "    decisions that differ from the decision stage's: {disagree} of {CASBIN_DECISIONS}"
    );
    Ok(stats)
}

/// The request with one subject, as Casbin sees it: `role@department` or `role`.
fn single_subject(mut r: Request) -> Request {
    let role = r.roles.swap_remove(0);
    let subject = match r.department.take() {
        Some(d) => format!("{role}@{d}"),
        None => role,
    };
    Request {
        roles: vec![subject],
        ..r
    }
}

fn ratios(ours: &Ours, casbin: &Stats) {
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    println!(
        "casbin-rs enforce / decision stage: p50 {:.0}x (repeated), {:.0}x (never-seen); \
         p99 {:.0}x (repeated), {:.0}x (never-seen)",
        ratio(casbin.p50, ours.hot.p50),
        ratio(casbin.p50, ours.cold.p50),
        ratio(casbin.p99, ours.hot.p99),
        ratio(casbin.p99, ours.cold.p99),
    );
}

/// Latency percentiles of one case.
struct Stats {
    n: usize,
    p50: Duration,
    p99: Duration,
    p999: Duration,
    max: Duration,
}

impl Stats {
    fn print(&self, what: &str) {
        println!(
            "{what}: n={} p50 {:.2?} p99 {:.2?} p99.9 {:.2?} max {:.2?}",
            self.n, self.p50, self.p99, self.p999, self.max
        );
    }
}

/// Times `f` on each item, one clock reading pair per call.
fn measure<'a, T: 'a, R>(items: impl Iterator<Item = &'a T>, mut f: impl FnMut(&T) -> R) -> Stats {
    let mut times: Vec<Duration> = items
        .map(|item| {
            let start = Instant::now();
            std::hint::black_box(f(item));
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let max = times.last().copied().unwrap_or_default();
    Stats {
        n: times.len(),
        p50: at(0.50),
        p99: at(0.99),
        p999: at(0.999),
        max,
    }
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    kib.unwrap_or(0.0) / 1024.0
}

/// A directory removed on drop, holding the model and the generated policy.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> anyhow::Result<Self> {
        let path = std::env::temp_dir().join(format!("zegel-bench-authz-{}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(Self(path))
    }

    fn write(&self, policy: &str) -> anyhow::Result<PolicyConfig> {
        let (model, policy_path) = (self.0.join("model.conf"), self.0.join("policy.csv"));
        std::fs::write(&model, MODEL)?;
        std::fs::write(&policy_path, policy)?;
        Ok(PolicyConfig {
            model,
            policy: policy_path,
            cache_capacity: 100_000,
        })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(Path::new(&self.0));
    }
}
