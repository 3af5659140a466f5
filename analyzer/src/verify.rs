//! `verify`: every chain of every source, in parallel, against the checkpoints in the
//! database, the checkpoint files and the public keys.

use crate::cli::VerifyArgs;
use crate::output::{ChainResult, print_verify_table};
use crate::{Error, Outcome, source};
use zegel_audit::checkpoint::{Checkpoint, read_file};
use zegel_audit::keys::{VerifyingKey, read_public_key};
use zegel_audit::verify::verify_store_chain;

/// Runs `verify` and prints a per-chain summary; any problem makes the outcome a failure.
pub async fn run(args: &VerifyArgs) -> Result<Outcome, Error> {
    let keys = args
        .public_keys
        .iter()
        .map(|p| read_public_key(p))
        .collect::<Result<Vec<_>, _>>()?;
    let file = read_checkpoint_files(args)?;
    let mut results = Vec::new();
    for url in &args.sources {
        let store = source::open(url).await?;
        let mut chains: Vec<String> = store
            .chains()
            .await?
            .into_iter()
            .map(|c| c.chain_id)
            .collect();
        if !args.chains.is_empty() {
            for wanted in &args.chains {
                if !chains.contains(wanted) {
                    return Err(Error::Usage(format!(
                        "source {}: no chain {wanted:?}",
                        store.url()
                    )));
                }
            }
            chains.retain(|c| args.chains.contains(c));
        }
        results.extend(verify_chains(&store, chains, &keys, file.as_deref()).await?);
    }
    print_verify_table(&results, !keys.is_empty(), file.is_some());
    let failed = results.iter().any(|r| r.result.is_err());
    Ok(if failed {
        Outcome::IntegrityFailure
    } else {
        Outcome::Ok
    })
}

fn read_checkpoint_files(args: &VerifyArgs) -> Result<Option<Vec<Checkpoint>>, Error> {
    if args.checkpoint_files.is_empty() {
        return Ok(None);
    }
    let mut all = Vec::new();
    for path in &args.checkpoint_files {
        all.extend(read_file(path)?);
    }
    Ok(Some(all))
}

/// Verifies chains concurrently (each chain is one sequential stream).
async fn verify_chains(
    store: &zegel_audit::Store,
    chains: Vec<String>,
    keys: &[VerifyingKey],
    file: Option<&[Checkpoint]>,
) -> Result<Vec<ChainResult>, Error> {
    let mut set = tokio::task::JoinSet::new();
    for chain in chains {
        let (store, keys) = (store.clone(), keys.to_vec());
        let file: Option<Vec<Checkpoint>> =
            file.map(|f| f.iter().filter(|c| c.chain_id == chain).cloned().collect());
        set.spawn(async move {
            let r = verify_store_chain(&store, &chain, &keys, file.as_deref()).await;
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
    out.sort_by(|a, b| (&a.source, &a.chain).cmp(&(&b.source, &b.chain)));
    Ok(out)
}
