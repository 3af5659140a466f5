//! `gen` (this module is `generate`, as `gen` is a keyword): a synthetic hospital's access
//! log, written through the real writer, so chains and checkpoints are exactly what its
//! sidecars would produce; with planted incidents and the directory tables that go with
//! it (`docs/generator.md`).
//!
//! The flow: `staff` and `patients` make the `hospital`; `incidents` plants what the
//! officer's checks must find; `traffic` orders each chain's records (background
//! `requests`, planted accesses, outcomes, restarts) and numbers them; `submit` hands
//! them to the writer in that order; `truth` writes the directory CSVs and the ground
//! truth. `uniform` is the earlier flat access/outcome stream, kept for tests that count.
//! Deterministic: the same arguments and seed give the same records and head hashes.

mod clock;
pub mod hospital;
pub mod incidents;
mod names;
mod patients;
mod requests;
pub(crate) mod rng;
mod staff;
mod submit;
mod traffic;
mod truth;
mod uniform;

pub use uniform::access_event;

use crate::cli::{GenArgs, GenProfile};
use crate::{Error, Outcome};
use hospital::Hospital;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use traffic::{Plan, Scheduled};
use zegel_audit::store::{Store, StoreOptions};

/// How many records of each kind a run wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Chain ids written, in order (with `--only-chain`, that one).
    pub chains: Vec<String>,
    /// Records written, all chains.
    pub records: u64,
    /// Background accesses (each with an outcome), all chains written.
    pub accesses: u64,
    /// Days covered.
    pub days: u32,
    /// Incidents planted in the chains written.
    pub incidents: usize,
}

/// Writes the log (and directory files) and prints what it wrote.
pub async fn run(args: &GenArgs) -> Result<Outcome, Error> {
    if args.profile == GenProfile::Uniform {
        return uniform::run(args).await;
    }
    let started = Instant::now();
    let s = generate(args).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "wrote {} records ({} background accesses with outcomes, {} incidents) over {} days to {} \
         in {:.1} s: {:.0} records/s",
        s.records,
        s.accesses,
        s.incidents,
        s.days,
        s.chains.join(", "),
        secs,
        s.records as f64 / secs.max(1e-9)
    );
    if let Some(dir) = &args.directory_out {
        println!("directory and ground truth in {}", dir.display());
    }
    Ok(Outcome::Ok)
}

/// Writes the log described by `args` (hospital profile) and returns what was written.
pub async fn generate(args: &GenArgs) -> Result<Summary, Error> {
    let written = written_chains(args)?;
    zegel_audit::keys::read_signing_key(&args.key)?;
    let (days, accesses) = size(args)?;
    let patients = match args.patients {
        Some(p) => p,
        None => Hospital::default_patients(args.staff, days),
    };
    let h = Arc::new(Hospital::new(args.seed, days, args.staff, patients));
    let plan = Arc::new(Plan::new(&h.slot_weights()));
    if plan.total() == 0 {
        return Err(Error::Usage("gen: nobody is on duty in this period".into()));
    }
    let k = args.chains as usize;
    let planted = Arc::new(incidents::plant(&h, args.incidents, k));
    let chains: Vec<String> = (1..=k)
        .map(|i| match k {
            1 => args.chain.clone(),
            _ => format!("{}-{i}", args.chain),
        })
        .collect();
    if let Some(dir) = &args.directory_out {
        std::fs::create_dir_all(dir).map_err(|e| out_err(dir, &e))?;
        truth::write_directory(dir, &h)?;
    }
    // Creates the schema once: chains opening a new database at the same time would race.
    Store::open(&args.db, &StoreOptions::default())
        .await?
        .close()
        .await;
    let progress = submit::Progress::start(args.progress || stderr_is_terminal());
    let mut set = tokio::task::JoinSet::new();
    for i in written.clone() {
        let job = submit::Job {
            db: args.db.clone(),
            key: args.key.clone(),
            checkpoint_file: checkpoint_file(args, i),
            chain: chains[i].clone(),
            accesses: chain_accesses(accesses, k, i),
        };
        let (h, plan, planted, counter) = (
            Arc::clone(&h),
            Arc::clone(&plan),
            Arc::clone(&planted),
            progress.counter(),
        );
        set.spawn(async move {
            let scheduled = scheduled_for(&planted, i);
            let r = submit::write_chain(job, &h, &plan, i, scheduled, &counter).await;
            (i, r)
        });
    }
    let mut results = vec![None; k];
    while let Some(r) = set.join_next().await {
        let (i, r) = r.map_err(|e| Error::Usage(format!("generator task failed: {e}")))?;
        results[i] = Some(r?);
    }
    progress.stop();
    let results: Vec<submit::ChainResult> = results.into_iter().flatten().collect();
    let written_ids = chains[written.clone()].to_vec();
    if let Some(dir) = &args.directory_out {
        truth::write_incidents(dir, args, &h, &planted, &chains, &written_ids, &results)?;
    }
    Ok(Summary {
        records: results.iter().map(|r| r.records).sum(),
        accesses: written
            .clone()
            .map(|i| chain_accesses(accesses, k, i))
            .sum(),
        incidents: planted
            .iter()
            .filter(|p| written.contains(&p.chain))
            .count(),
        chains: written_ids,
        days: days as u32,
    })
}

/// The chains (0-based) this run writes: all of them, or the one of `--only-chain`.
fn written_chains(args: &GenArgs) -> Result<std::ops::Range<usize>, Error> {
    match args.only_chain {
        None => Ok(0..args.chains as usize),
        Some(n) if n <= args.chains => Ok(n as usize - 1..n as usize),
        Some(n) => Err(Error::Usage(format!(
            "gen: --only-chain {n} names no chain: --chains is {}, so it must be 1 to {}",
            args.chains, args.chains
        ))),
    }
}

/// Chain `i`'s share of `accesses` background accesses over `k` chains.
fn chain_accesses(accesses: u64, k: usize, i: usize) -> u64 {
    accesses / k as u64 + u64::from((i as u64) < accesses % k as u64)
}

/// Days and background accesses: `--days`, `--records`, or both; without either,
/// 10,000 accesses over as many days as the hospital needs for them.
fn size(args: &GenArgs) -> Result<(i64, u64), Error> {
    match (args.days, args.records) {
        (Some(d), Some(r)) => Ok((i64::from(d), r)),
        (Some(d), None) => {
            let h = Hospital::new(args.seed, i64::from(d), args.staff, 100);
            let per_hour: u64 = h.slot_weights().iter().sum();
            Ok((i64::from(d), per_hour / 4))
        }
        (None, r) => {
            let r = r.unwrap_or(10_000);
            let week = Hospital::new(args.seed, 7, args.staff, 100);
            let per_day = (week.slot_weights().iter().sum::<u64>() / 4 / 7).max(1);
            let days = r.div_ceil(per_day).clamp(1, 36_500);
            Ok((days as i64, r))
        }
    }
}

fn scheduled_for(planted: &[incidents::Incident], chain: usize) -> Vec<(i64, Scheduled)> {
    let mut out = Vec::new();
    for (i, inc) in planted.iter().enumerate().filter(|(_, x)| x.chain == chain) {
        for (j, a) in inc.accesses.iter().enumerate() {
            let mark = traffic::Mark {
                incident: i,
                access: j,
            };
            out.push((
                a.event.time_us,
                Scheduled::Planted(mark, Box::new(a.event.clone())),
            ));
        }
    }
    out
}

/// One checkpoint file per chain: the file itself for one chain, `NAME-k.EXT` for more.
fn checkpoint_file(args: &GenArgs, i: usize) -> Option<PathBuf> {
    let file = args.checkpoint_file.as_ref()?;
    if args.chains == 1 {
        return Some(file.clone());
    }
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match file.extension() {
        Some(ext) => format!("{stem}-{}.{}", i + 1, ext.to_string_lossy()),
        None => format!("{stem}-{}", i + 1),
    };
    Some(file.with_file_name(name))
}

fn stderr_is_terminal() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stderr())
}

fn out_err(path: &std::path::Path, e: &dyn std::fmt::Display) -> Error {
    Error::Output {
        target: path.display().to_string(),
        detail: e.to_string(),
    }
}
