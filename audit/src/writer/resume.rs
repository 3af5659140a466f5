//! Start-up: take the chain lock, find the last signed checkpoint, verify the stored tail
//! from there, and refuse to write onto a chain that does not verify.

use super::WriterConfig;
use crate::chain::{Hash, genesis};
use crate::checkpoint::{self, Checkpoint, CheckpointFileError};
use crate::keys::{SigningKey, key_id};
use crate::store::rows::Row;
use crate::store::{ChainLock, Store, StoreError};
use crate::verify::{ChainVerifier, Problem};

/// Records verified back from the tail when the chain has no checkpoint yet.
const UNANCHORED_TAIL: u64 = 10_000;

/// Why the writer did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A configuration value is invalid.
    #[error("writer configuration: {0}")]
    Config(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The checkpoint file could not be read.
    #[error(transparent)]
    CheckpointFile(#[from] CheckpointFileError),
    /// The stored chain does not verify: writing onto it would hide the damage.
    #[error("refusing to resume: the stored chain does not verify: {0}")]
    Tampered(Problem),
    /// A signed checkpoint covers records the database no longer has.
    #[error(
        "refusing to resume chain {chain_id}: a signed checkpoint covers seq {checkpoint_seq} \
         but the database ends at seq {tail_seq}; acknowledged records are missing"
    )]
    Truncated {
        /// The chain.
        chain_id: String,
        /// The checkpoint's sequence number.
        checkpoint_seq: u64,
        /// The last stored sequence number.
        tail_seq: u64,
    },
    /// A checkpoint signed with this writer's key does not verify.
    #[error("refusing to resume chain {chain_id}: checkpoint at seq {seq} has a bad signature")]
    BadCheckpoint {
        /// The chain.
        chain_id: String,
        /// Its sequence number.
        seq: u64,
    },
}

/// Where the chain stands when the writer starts.
pub(super) struct Resumed {
    pub head_seq: u64,
    pub head: Hash,
    /// Records not yet covered by a checkpoint.
    pub uncovered: u64,
    pub lock: ChainLock,
}

pub(super) async fn resume(
    store: &Store,
    key: &SigningKey,
    cfg: &WriterConfig,
) -> Result<Resumed, StartError> {
    let chain = cfg.chain_id.as_str();
    let lock = store.lock_chain(chain).await?;
    let my_key = key.verifying_key();
    store
        .register_chain(chain, &key_id(&my_key), crate::record::now_us())
        .await?;
    let mut cps = store.checkpoints(chain).await?;
    let in_db = cps.len();
    if let Some(path) = &cfg.checkpoint_file {
        cps.extend(
            checkpoint::read_file(path)?
                .into_iter()
                .filter(|c| c.chain_id == chain),
        );
    }
    let mine = key_id(&my_key);
    let mut anchor: Option<Checkpoint> = None;
    for cp in cps.iter().filter(|c| c.key_id == mine) {
        if !cp.verify(&my_key) {
            return Err(StartError::BadCheckpoint {
                chain_id: chain.into(),
                seq: cp.seq,
            });
        }
        if anchor.as_ref().is_none_or(|a| cp.seq > a.seq) {
            anchor = Some(cp.clone());
        }
    }
    let tail_seq = match store.tail(chain).await? {
        None => 0,
        Some(Row::Record(r)) => r.seq,
        Some(Row::Malformed { seq, detail }) => {
            let kind = crate::verify::ProblemKind::Malformed { detail };
            let seq = seq.unwrap_or(0);
            return Err(StartError::Tampered(Problem::at(chain, seq, kind)));
        }
    };
    // Records archived and pruned up to a checkpoint still count as written: a chain
    // pruned up to its last record resumes from that checkpoint.
    let archived = store
        .archive_marks(chain)
        .await?
        .last()
        .map_or(0, |m| m.up_to_seq);
    let tail_seq = tail_seq.max(archived);
    if let Some(a) = anchor.as_ref().filter(|a| a.seq > tail_seq) {
        return Err(StartError::Truncated {
            chain_id: chain.into(),
            checkpoint_seq: a.seq,
            tail_seq,
        });
    }
    let (head_seq, head) = verify_tail(store, chain, anchor.as_ref(), tail_seq).await?;
    // Checkpoints reach the file before the database; a crash in between leaves one
    // only in the file. Put it back so both copies agree again.
    for cp in &cps[in_db..] {
        store.insert_checkpoint(cp).await?;
    }
    let uncovered = head_seq - anchor.map_or(0, |a| a.seq);
    Ok(Resumed {
        head_seq,
        head,
        uncovered,
        lock,
    })
}

/// Verifies the records after the anchor (a signed checkpoint, or a bounded window
/// before the tail) and returns the verified head.
async fn verify_tail(
    store: &Store,
    chain: &str,
    anchor: Option<&Checkpoint>,
    tail_seq: u64,
) -> Result<(u64, Hash), StartError> {
    let (start_seq, start_hash) = match anchor {
        Some(cp) => (cp.seq, cp.head),
        None if tail_seq <= UNANCHORED_TAIL => (0, genesis(chain)),
        None => {
            let seq = tail_seq - UNANCHORED_TAIL;
            match store.read_page(chain, seq, 1).await?.pop() {
                Some(Row::Record(r)) if r.seq == seq => (seq, r.hash),
                _ => (0, genesis(chain)),
            }
        }
    };
    let mut v =
        ChainVerifier::new(chain, Vec::new(), &[], false).resume_after(start_seq, start_hash);
    let mut from = start_seq;
    loop {
        let page = store.read_page(chain, from, 10_000).await?;
        let n = page.len();
        for row in page {
            if let Row::Record(r) = &row {
                from = from.max(r.seq + 1);
                if r.seq == start_seq {
                    if r.hash != start_hash {
                        let kind = crate::verify::ProblemKind::CheckpointMismatch { since_seq: 0 };
                        return Err(StartError::Tampered(Problem::at(chain, r.seq, kind)));
                    }
                    continue;
                }
            }
            v.push(row);
        }
        if n < 10_000 {
            break;
        }
    }
    let summary = v.finish().map_err(StartError::Tampered)?;
    Ok((start_seq + summary.records, summary.head))
}
