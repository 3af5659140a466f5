//! `archive` and `prune`: five years of retention without five years in the database.
//!
//! `archive` copies each chain's records up to its latest signed checkpoint into Parquet
//! files by date (`parquet_out`), verifying them as they are read, and writes a manifest
//! per range last (`manifest`). `prune` is the separate, explicit step that deletes
//! archived rows from the database: it refuses unless the whole archive verifies
//! (`check`) and meets the database's own chain at a signed checkpoint; it then records
//! an archive mark and deletes in one transaction (`zegel_audit::store::Store::prune`).

pub mod check;
mod encoded;
pub mod manifest;
pub mod parquet_in;
pub mod parquet_out;
mod prune;

pub use prune::run as prune;

use crate::cli::ArchiveArgs;
use crate::output::utc;
use crate::{Error, Outcome, source};
use manifest::Manifest;
use parquet_out::MonthFiles;
use zegel_audit::checkpoint::{Checkpoint, read_file};
use zegel_audit::keys::{VerifyingKey, key_id, read_public_key};
use zegel_audit::store::rows::Row;
use zegel_audit::verify::{ChainVerifier, chain_checkpoints};
use zegel_audit::{Hash, Store, genesis, now_us};

const PAGE: u32 = 8192;

/// Runs `archive`.
pub async fn run(args: &ArchiveArgs) -> Result<Outcome, Error> {
    let keys = read_keys(&args.public_keys)?;
    let file = read_checkpoint_files(&args.checkpoint_files)?;
    std::fs::create_dir_all(&args.to).map_err(|e| manifest::io(&args.to, &e))?;
    let store = source::open(&args.source).await?;
    let mut outcome = Outcome::Ok;
    for chain in chains(&store, &args.chains).await? {
        match archive_chain(&store, &chain, args, &keys, file.as_deref()).await? {
            Step::Written(m) => println!(
                "{chain}: archived seq {}..={} ({} records, {}), sealed by the checkpoint \
                 signed at {}; head {}",
                m.from_seq,
                m.to_seq,
                m.to_seq - m.from_seq + 1,
                files_written(&m.files),
                utc(m.checkpoint.time_us),
                m.head
            ),
            Step::Nothing(why) => println!("{chain}: nothing to archive: {why}"),
            Step::Failed(why) => {
                println!("{chain}: NOT archived: {why}");
                outcome = Outcome::IntegrityFailure;
            }
        }
    }
    Ok(outcome)
}

/// `1 file, PATH` or `N files, FIRST to LAST`.
fn files_written(files: &[manifest::FileEntry]) -> String {
    match files {
        [] => "no files".to_owned(),
        [one] => format!("1 file, {}", one.path),
        [first, .., last] => format!("{} files, {} to {}", files.len(), first.path, last.path),
    }
}

enum Step {
    Written(Box<Manifest>),
    Nothing(String),
    Failed(String),
}

async fn archive_chain(
    store: &Store,
    chain: &str,
    args: &ArchiveArgs,
    keys: &[VerifyingKey],
    file: Option<&[Checkpoint]>,
) -> Result<Step, Error> {
    let done = manifest::read_all(&args.to, chain)?;
    let (after, prev) = match done.last() {
        Some((_, m)) => (m.to_seq, parse_hash(&m.head)?),
        None => (0, genesis(chain)),
    };
    let first = store.first_seq(chain).await?.unwrap_or(after + 1);
    if first > after + 1 {
        return Ok(Step::Failed(format!(
            "the database starts at seq {first} but this archive ends at seq {after}: \
             give the archive the earlier records were moved to"
        )));
    }
    let mut cps = chain_checkpoints(store, chain, file).await?;
    let Some(seal) = cps
        .iter()
        .map(|(c, _)| c)
        .filter(|c| c.seq > after && signed_by(c, keys))
        .max_by_key(|c| c.seq)
        .cloned()
    else {
        return Ok(Step::Nothing(format!(
            "no checkpoint after seq {after} signed by the given key"
        )));
    };
    cps.retain(|(c, _)| c.seq <= seal.seq);
    let mut v = ChainVerifier::new(chain, cps, keys, file.is_some()).resume_after(after, prev);
    let chain_dir = manifest::chain_dir(&args.to, chain);
    let mut out = MonthFiles::new(&chain_dir, chain);
    let mut from = after + 1;
    while from <= seal.seq {
        let page = store.read_page(chain, from, PAGE).await?;
        if page.is_empty() {
            break;
        }
        let mut records = Vec::with_capacity(page.len());
        for row in page {
            if let Row::Record(r) = &row {
                from = from.max(r.seq + 1);
                if r.seq > seal.seq {
                    break;
                }
                records.push(r.clone());
            }
            v.push(row);
        }
        if v.has_record_problem() {
            break;
        }
        out.push(&records)?;
    }
    let files = out.finish()?;
    let summary = match v.finish() {
        Ok(s) if s.head == seal.head => s,
        Ok(_) => {
            return Ok(Step::Failed(
                "the records do not reach the checkpoint".into(),
            ));
        }
        Err(p) => {
            remove_files(&chain_dir, &files);
            return Ok(Step::Failed(format!("the chain does not verify: {p}")));
        }
    };
    let m = Manifest {
        format: manifest::FORMAT.into(),
        chain_id: chain.to_owned(),
        from_seq: after + 1,
        to_seq: seal.seq,
        prev_hash: hex::encode(prev),
        head: hex::encode(summary.head),
        checkpoint: seal,
        files,
        created_us: now_us(),
    };
    manifest::write(&args.to, &m)?;
    Ok(Step::Written(Box::new(m)))
}

fn signed_by(c: &Checkpoint, keys: &[VerifyingKey]) -> bool {
    keys.iter().any(|k| key_id(k) == c.key_id && c.verify(k))
}

fn remove_files(chain_dir: &std::path::Path, files: &[manifest::FileEntry]) {
    for f in files {
        let _ = std::fs::remove_file(chain_dir.join(&f.path));
    }
}

/// The chains of `store`, or the requested ones (each must exist).
pub async fn chains(store: &Store, wanted: &[String]) -> Result<Vec<String>, Error> {
    let all: Vec<String> = store
        .chains()
        .await?
        .into_iter()
        .map(|c| c.chain_id)
        .collect();
    if wanted.is_empty() {
        return Ok(all);
    }
    for w in wanted {
        if !all.contains(w) {
            return Err(Error::Usage(format!(
                "source {}: no chain {w:?}",
                store.url()
            )));
        }
    }
    Ok(wanted.to_vec())
}

/// Reads public keys; archiving and pruning need at least one (only signed checkpoints
/// seal a range).
pub fn read_keys(paths: &[std::path::PathBuf]) -> Result<Vec<VerifyingKey>, Error> {
    if paths.is_empty() {
        return Err(Error::Usage(
            "give --public-key: only a range sealed by a signed checkpoint is archived".into(),
        ));
    }
    Ok(paths
        .iter()
        .map(|p| read_public_key(p))
        .collect::<Result<_, _>>()?)
}

/// Reads and concatenates checkpoint files (none given: `None`).
pub fn read_checkpoint_files(
    paths: &[std::path::PathBuf],
) -> Result<Option<Vec<Checkpoint>>, Error> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut all = Vec::new();
    for p in paths {
        all.extend(read_file(p)?);
    }
    Ok(Some(all))
}

/// A hex hash from a manifest.
pub fn parse_hash(s: &str) -> Result<Hash, Error> {
    hex::decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| Error::Usage(format!("archive manifest: {s:?} is not a 32-byte hex hash")))
}
