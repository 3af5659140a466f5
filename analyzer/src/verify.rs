//! `verify`: every chain of every source, in parallel, against the checkpoints in the
//! database, the checkpoint files and the public keys.

use crate::archive::{check, manifest, read_checkpoint_files};
use crate::cli::{IntegrityArgs, VerifyArgs};
use crate::output::{ChainResult, print_coverage, print_verify_table};
use crate::{Error, Outcome, source};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use zegel_audit::Hash;
use zegel_audit::checkpoint::Checkpoint;
use zegel_audit::keys::{VerifyingKey, key_id, read_public_key};
use zegel_audit::verify::{Problem, ProblemKind, VerifyOptions, verify_store_chain_with};

/// Runs `verify` and prints a per-chain summary; any problem makes the outcome a failure.
pub async fn run(args: &VerifyArgs) -> Result<Outcome, Error> {
    let v = verify_sources(&args.sources, &args.integrity, &args.chains).await?;
    print_verify_table(&v.results, v.signatures_checked, v.file_given);
    print_coverage(&v.results);
    for n in &v.notes {
        println!("note: {n}");
    }
    Ok(if v.failed() {
        Outcome::IntegrityFailure
    } else {
        Outcome::Ok
    })
}

/// What verifying every chain of the sources found.
pub struct Verified {
    /// One result per chain of each source, databases sorted by source and chain.
    pub results: Vec<ChainResult>,
    /// Remarks about archive seams.
    pub notes: Vec<String>,
    /// Whether public keys were given (checkpoint signatures checked).
    pub signatures_checked: bool,
    /// Whether checkpoint files were given.
    pub file_given: bool,
    /// Key ids of the public keys given.
    pub key_ids: Vec<String>,
}

impl Verified {
    /// Whether any chain failed to verify.
    pub fn failed(&self) -> bool {
        self.results.iter().any(|r| r.result.is_err())
    }
}

/// Verifies every chain (or the `chains` asked for) of every source: archive
/// directories through their manifests, databases page by page; the chains of each
/// source in parallel.
pub async fn verify_sources(
    sources: &[String],
    integrity: &IntegrityArgs,
    chains: &[String],
) -> Result<Verified, Error> {
    let keys = integrity
        .public_keys
        .iter()
        .map(|p| read_public_key(p))
        .collect::<Result<Vec<_>, _>>()?;
    let file = read_checkpoint_files(&integrity.checkpoint_files)?;
    let (dirs, dbs): (Vec<&String>, Vec<&String>) =
        sources.iter().partition(|s| Path::new(s).is_dir());
    let mut results = Vec::new();
    let mut archived: BTreeMap<String, Vec<(u64, Hash)>> = BTreeMap::new();
    let silence = silence_us(integrity.silence);
    for dir in dirs {
        let wanted = wanted(manifest::chains(Path::new(dir))?, chains, dir)?;
        let checked = verify_archive(Path::new(dir), wanted, &keys, file.as_deref(), silence)?;
        for (chain, checked) in checked {
            archived
                .entry(chain.clone())
                .or_default()
                .extend(checked.ends);
            results.push(ChainResult {
                source: format!("{dir} (archive)"),
                chain,
                result: checked.result,
            });
        }
    }
    let mut notes = Vec::new();
    for url in dbs {
        let store = source::open(url).await?;
        let all = store
            .chains()
            .await?
            .into_iter()
            .map(|c| c.chain_id)
            .collect();
        let wanted = wanted(all, chains, store.url())?;
        let opts = VerifyOptions {
            silence_us: silence,
            progress: None,
        };
        let checked = verify_chains(&store, wanted, &keys, file.as_deref(), opts).await?;
        for mut r in checked {
            seam(&store, &mut r, &archived, &mut notes).await?;
            results.push(r);
        }
    }
    Ok(Verified {
        results,
        notes,
        signatures_checked: !keys.is_empty(),
        file_given: file.is_some(),
        key_ids: keys.iter().map(key_id).collect(),
    })
}

/// Verifies the archived `chains` under `dir` in parallel, one chain per thread and as
/// many threads as cores, with a progress bar over their records on a terminal. Results
/// in the order of `chains`.
fn verify_archive(
    dir: &Path,
    chains: Vec<String>,
    keys: &[VerifyingKey],
    file: Option<&[Checkpoint]>,
    silence: Option<i64>,
) -> Result<Vec<(String, check::Checked)>, Error> {
    let bar = archive_progress_bar(dir, &chains)?;
    let inc = |n: u64| bar.inc(n);
    let next = AtomicUsize::new(0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Each thread takes the next chain until none is left and returns what it checked.
    let mut checked: Vec<(usize, Result<check::Checked, Error>)> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..cores.min(chains.len()))
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chain) = chains.get(i) else {
                            break mine;
                        };
                        mine.push((i, check::chain(dir, chain, keys, file, silence, &inc)));
                    }
                })
            })
            .collect();
        (threads.into_iter())
            .flat_map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    bar.finish_and_clear();
    checked.sort_by_key(|(i, _)| *i);
    let results = checked.into_iter().map(|(_, r)| r);
    chains
        .into_iter()
        .zip(results)
        .map(|(c, r)| Ok((c, r?)))
        .collect()
}

/// A bar over the archived records of `chains` (from their manifests), drawn only on a
/// terminal.
fn archive_progress_bar(dir: &Path, chains: &[String]) -> Result<indicatif::ProgressBar, Error> {
    let target = indicatif::ProgressDrawTarget::stderr();
    if target.is_hidden() {
        return Ok(indicatif::ProgressBar::hidden());
    }
    let mut total = 0u64;
    for chain in chains {
        for (_, m) in manifest::read_all(dir, chain)? {
            total += m.files.iter().map(|f| f.rows).sum::<u64>();
        }
    }
    new_bar(total, target)
}

/// The chains to verify: all of `all`, or the requested ones, which `source` must hold
/// (a chain may be missing from one source when several are given).
fn wanted(all: Vec<String>, requested: &[String], source: &str) -> Result<Vec<String>, Error> {
    if requested.is_empty() {
        return Ok(all);
    }
    let held: Vec<String> = all.into_iter().filter(|c| requested.contains(c)).collect();
    if held.is_empty() {
        return Err(Error::Usage(format!(
            "source {source}: none of the chains {requested:?}"
        )));
    }
    Ok(held)
}

/// A database chain whose first records were pruned continues from an archive mark;
/// when the archive is among the sources, its range must end exactly there.
async fn seam(
    store: &zegel_audit::Store,
    r: &mut ChainResult,
    archived: &BTreeMap<String, Vec<(u64, Hash)>>,
    notes: &mut Vec<String>,
) -> Result<(), Error> {
    let Some(mark) = store.archive_marks(&r.chain).await?.pop() else {
        return Ok(());
    };
    let Ok(summary) = &r.result else {
        return Ok(());
    };
    let (seq, head) = (mark.up_to_seq, mark.head);
    match archived.get(&r.chain) {
        None => notes.push(format!(
            "{} {}: records 1..={seq} were moved to the archive at {}; give it as --source \
             to verify them too",
            r.source, r.chain, mark.location
        )),
        Some(ends) if ends.contains(&(seq, head)) => notes.push(format!(
            "{} {}: continues the archive seamlessly after seq {seq}",
            r.source, r.chain
        )),
        Some(_) => {
            let detail = format!(
                "the database continues after seq {seq} (head {}), which is not the end of a \
                 verified range of the archive given",
                hex::encode(head)
            );
            r.result = Err(Problem {
                verified: Some(Box::new(summary.clone())),
                ..Problem::at(&r.chain, seq, ProblemKind::ArchiveSeam { detail })
            });
        }
    }
    Ok(())
}

/// `--silence` in µs; zero turns silence reporting off.
fn silence_us(d: std::time::Duration) -> Option<i64> {
    (!d.is_zero()).then(|| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Verifies chains concurrently (each chain is one sequential stream), with a progress
/// bar on standard error when it is a terminal.
async fn verify_chains(
    store: &zegel_audit::Store,
    chains: Vec<String>,
    keys: &[VerifyingKey],
    file: Option<&[Checkpoint]>,
    mut opts: VerifyOptions,
) -> Result<Vec<ChainResult>, Error> {
    let bar = progress_bar(store, &chains).await?;
    let b = bar.clone();
    opts.progress = Some(std::sync::Arc::new(move |n| b.inc(n)));
    let mut set = tokio::task::JoinSet::new();
    for chain in chains {
        let (store, keys, opts) = (store.clone(), keys.to_vec(), opts.clone());
        let file: Option<Vec<Checkpoint>> =
            file.map(|f| f.iter().filter(|c| c.chain_id == chain).cloned().collect());
        set.spawn(async move {
            let r = verify_store_chain_with(&store, &chain, &keys, file.as_deref(), &opts).await;
            r.map(|result| ChainResult {
                source: store.url().to_owned(),
                chain,
                result,
            })
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        let r = r.map_err(|e| Error::Usage(format!("verification task failed: {e}")))?;
        out.push(r?);
    }
    bar.finish_and_clear();
    out.sort_by(|a, b| (&a.source, &a.chain).cmp(&(&b.source, &b.chain)));
    Ok(out)
}

/// A bar over the records of `chains` (their last seq; pruned records count as done
/// at once), drawn only on a terminal.
async fn progress_bar(
    store: &zegel_audit::Store,
    chains: &[String],
) -> Result<indicatif::ProgressBar, Error> {
    let target = indicatif::ProgressDrawTarget::stderr();
    if target.is_hidden() {
        return Ok(indicatif::ProgressBar::hidden());
    }
    let mut total = 0u64;
    let mut pruned = 0u64;
    for chain in chains {
        if let Some(zegel_audit::store::rows::Row::Record(r)) = store.tail(chain).await? {
            total += r.seq;
        }
        pruned += store.first_seq(chain).await?.map_or(0, |f| f - 1);
    }
    let bar = new_bar(total, target)?;
    bar.inc(pruned);
    Ok(bar)
}

fn new_bar(
    total: u64,
    target: indicatif::ProgressDrawTarget,
) -> Result<indicatif::ProgressBar, Error> {
    let bar = indicatif::ProgressBar::with_draw_target(Some(total), target);
    let style = indicatif::ProgressStyle::with_template(
        "verifying {wide_bar} {human_pos}/{human_len} records ({percent}%), {eta} left",
    )
    .map_err(|e| Error::Usage(format!("progress bar: {e}")))?;
    bar.set_style(style);
    Ok(bar)
}
