//! `prune`: deletes archived records from the database, only after checking that
//! nothing is lost: the archive verifies from genesis, the database chain verifies, and
//! the two meet at a checkpoint signed by a given key with the same head.

use super::{chains, check, manifest, read_checkpoint_files, read_keys};
use crate::cli::PruneArgs;
use crate::{Error, Outcome};
use zegel_audit::store::{ArchiveMark, StoreOptions};
use zegel_audit::verify::verify_store_chain;
use zegel_audit::{Store, now_us};

/// Runs `prune`.
pub async fn run(args: &PruneArgs) -> Result<Outcome, Error> {
    let keys = read_keys(&args.public_keys)?;
    let file = read_checkpoint_files(&args.checkpoint_files)?;
    if !args.archive.is_dir() {
        return Err(Error::Usage(format!(
            "--archive {}: not a directory",
            args.archive.display()
        )));
    }
    crate::source::open(&args.source).await?; // the usual checks on the URL
    let store = Store::open(&args.source, &StoreOptions::default()).await?;
    let mut outcome = Outcome::Ok;
    for chain in chains(&store, &args.chains).await? {
        let checked = check::chain(&args.archive, &chain, &keys, file.as_deref(), None, &|_| {})?;
        let refusal = match (&checked.result, checked.end) {
            (Err(p), _) => Some(format!("the archive does not verify: {p}")),
            (Ok(_), None) => Some("the archive holds no range of this chain".into()),
            (Ok(_), Some((to, head))) => {
                match verify_store_chain(&store, &chain, &keys, file.as_deref()).await? {
                    Err(p) => Some(format!("the database chain does not verify: {p}")),
                    Ok(_) => {
                        let cps = store.checkpoints(&chain).await?;
                        if cps.iter().any(|c| c.seq == to && c.head == head) {
                            let m = mark(&args.archive, &chain, to, head)?;
                            let n = store.prune(&m).await?;
                            println!(
                                "{chain}: deleted {n} archived records (up to seq {to}); the \
                                 database chain now continues from the archive mark"
                            );
                            None
                        } else {
                            Some(format!(
                                "the database has no checkpoint at seq {to} with the archive's head"
                            ))
                        }
                    }
                }
            }
        };
        if let Some(why) = refusal {
            println!("{chain}: NOT pruned: {why}");
            outcome = Outcome::IntegrityFailure;
        }
    }
    store.close().await;
    Ok(outcome)
}

fn mark(
    root: &std::path::Path,
    chain: &str,
    to: u64,
    head: zegel_audit::Hash,
) -> Result<ArchiveMark, Error> {
    let (path, _) = manifest::read_all(root, chain)?
        .pop()
        .ok_or_else(|| Error::Usage(format!("archive {}: no manifest", root.display())))?;
    let digest = super::parse_hash(&manifest::sha256_file(&path)?)?;
    let location = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    Ok(ArchiveMark {
        chain_id: chain.to_owned(),
        up_to_seq: to,
        head,
        archived_us: now_us(),
        location: location.display().to_string(),
        manifest_sha256: digest,
    })
}
