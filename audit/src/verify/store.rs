//! Verifying a chain straight from a database, in pages, including a chain whose first
//! records were archived and pruned: it then resumes from the archive mark, which a
//! signed checkpoint at the same sequence number must confirm.

use super::{ChainSummary, ChainVerifier, CheckpointSource, Problem};
use crate::checkpoint::Checkpoint;
use crate::keys::VerifyingKey;
use crate::store::rows::Row;
use crate::store::{Store, StoreError};

/// Rows read per query while verifying from a database.
const PAGE: u32 = 10_000;

/// Every checkpoint of `chain_id`: the database's rows and, when given, the file's, each
/// with its source (what [`ChainVerifier::new`] takes).
pub async fn chain_checkpoints(
    store: &Store,
    chain_id: &str,
    file: Option<&[Checkpoint]>,
) -> Result<Vec<(Checkpoint, CheckpointSource)>, StoreError> {
    let mut cps: Vec<_> = store
        .checkpoints(chain_id)
        .await?
        .into_iter()
        .map(|c| (c, CheckpointSource::Database))
        .collect();
    cps.extend(
        file.unwrap_or_default()
            .iter()
            .filter(|c| c.chain_id == chain_id)
            .map(|c| (c.clone(), CheckpointSource::File)),
    );
    Ok(cps)
}

/// How [`verify_store_chain_with`] reports beyond integrity.
#[derive(Clone, Default)]
pub struct VerifyOptions {
    /// Report stretches longer than this (µs) without records while the sidecar was
    /// running ([`super::Coverage`]).
    pub silence_us: Option<i64>,
    /// Called with the number of rows read after each page (a progress bar).
    pub progress: Option<std::sync::Arc<dyn Fn(u64) + Send + Sync>>,
}

/// Verifies `chain_id` in `store` against its checkpoints (database rows, and the
/// `file` checkpoints when given) and the public `keys`.
pub async fn verify_store_chain(
    store: &Store,
    chain_id: &str,
    keys: &[VerifyingKey],
    file: Option<&[Checkpoint]>,
) -> Result<Result<ChainSummary, Problem>, StoreError> {
    verify_store_chain_with(store, chain_id, keys, file, &VerifyOptions::default()).await
}

/// [`verify_store_chain`], measuring silences and reporting progress as `opts` says.
pub async fn verify_store_chain_with(
    store: &Store,
    chain_id: &str,
    keys: &[VerifyingKey],
    file: Option<&[Checkpoint]>,
    opts: &VerifyOptions,
) -> Result<Result<ChainSummary, Problem>, StoreError> {
    let cps = chain_checkpoints(store, chain_id, file).await?;
    let mut v = ChainVerifier::new(chain_id, cps, keys, file.is_some());
    if let Some(us) = opts.silence_us {
        v = v.with_silence(us);
    }
    let mut from = 1u64;
    let marks = store.archive_marks(chain_id).await?;
    // A chain pruned up to its last record has no rows: it continues from its mark.
    let first = match store.first_seq(chain_id).await? {
        Some(first) => first,
        None => marks.last().map_or(1, |m| m.up_to_seq + 1),
    };
    if let Some(mark) = marks.iter().find(|m| m.up_to_seq + 1 == first) {
        v = v.resume_after_archive(mark);
        from = first;
    }
    v.expect_archive_heads(&marks);
    loop {
        let page = store.read_page(chain_id, from, PAGE).await?;
        let n = page.len();
        for row in page {
            if let Row::Record(r) = &row {
                from = from.max(r.seq + 1);
            }
            v.push(row);
        }
        if let Some(progress) = &opts.progress {
            progress(n as u64);
        }
        if n < PAGE as usize || v.has_record_problem() {
            break;
        }
    }
    Ok(v.finish())
}
