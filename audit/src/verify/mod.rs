//! The streaming verifier: walks a chain in order and reports the first place it breaks.
//!
//! It holds one record at a time (plus one of lookahead to tell a swap from a gap), so a
//! chain of any length verifies in constant memory. Checkpoints (from the database and
//! from the checkpoint file) are checked first: signature, agreement between the two
//! copies, and later, as the records stream past, agreement with the record hashes.
//! `store.rs` feeds it from a database, across an archive seam when the chain's first
//! records were archived and pruned.

mod coverage;
mod store;
pub use coverage::{Coverage, MAX_SILENCES, Silence};
pub use store::{VerifyOptions, chain_checkpoints, verify_store_chain, verify_store_chain_with};

use coverage::CoverageTracker;

use crate::chain::{Chainer, Hash, genesis};
use crate::checkpoint::Checkpoint;
use crate::fields::{self, Fields};
use crate::keys::{VerifyingKey, key_id};
use crate::store::ArchiveMark;
use crate::store::rows::Row;
use std::collections::BTreeMap;
use std::fmt;

/// What is wrong at a place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// The record's content or its stored hash was altered: the recomputed hash differs.
    HashMismatch {
        /// Hash stored with the record.
        stored: Hash,
        /// Hash recomputed from the predecessor and the record's fields.
        computed: Hash,
    },
    /// Records are missing: the next record present has a higher sequence number.
    Gap {
        /// The sequence number found instead.
        found: u64,
    },
    /// A sequence number that was already verified occurs again in this place.
    Duplicate {
        /// The repeated sequence number.
        found: u64,
    },
    /// Records are out of order: a later record stands before this one.
    Reordered {
        /// The sequence number that stood in this one's place.
        found: u64,
    },
    /// The stored row is not a valid record.
    Malformed {
        /// What is wrong.
        detail: String,
    },
    /// A checkpoint's signature does not verify.
    BadCheckpointSignature {
        /// `database` or `file`.
        source: &'static str,
    },
    /// A checkpoint is signed by a key that was not given to the verifier.
    UnknownCheckpointKey {
        /// Its key id.
        key_id: String,
    },
    /// A validly signed checkpoint names a different head hash than the record has:
    /// the chain was rewritten somewhere after the previous good checkpoint.
    CheckpointMismatch {
        /// The previous checkpoint that did match (0 when none).
        since_seq: u64,
    },
    /// A signed checkpoint covers records that are no longer there (truncation).
    MissingAfterCheckpoint {
        /// The checkpoint's sequence number.
        checkpoint_seq: u64,
    },
    /// The checkpoint file and the database disagree about a checkpoint.
    CheckpointFileDisagrees {
        /// What differs.
        detail: String,
    },
    /// The database's chain starts after an archive mark that is not confirmed: no
    /// signed checkpoint at the mark, or one with another head, or a stored record
    /// whose hash differs from the mark.
    ArchiveSeam {
        /// What disagrees.
        detail: String,
    },
}

/// The first problem found in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The chain.
    pub chain_id: String,
    /// The sequence number at which the chain stops verifying.
    pub seq: u64,
    /// What is wrong there.
    pub kind: ProblemKind,
    /// What did verify: the records before the first record problem (or all of them,
    /// when only a checkpoint is wrong), their times and head, and the last checkpoint
    /// that matched them: the part of the log still proven intact. Set by
    /// [`ChainVerifier::finish`]; `None` where a problem is found without verifying.
    pub verified: Option<Box<ChainSummary>>,
}

impl Problem {
    /// A problem at `seq` of `chain_id`, with nothing known about what verified.
    pub fn at(chain_id: &str, seq: u64, kind: ProblemKind) -> Self {
        Problem {
            chain_id: chain_id.to_owned(),
            seq,
            kind,
            verified: None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chain {} seq {}: ", self.chain_id, self.seq)?;
        match &self.kind {
            ProblemKind::HashMismatch { stored, computed } => write!(
                f,
                "hash mismatch: record content or hash altered (stored {}, computed {})",
                hex::encode(stored),
                hex::encode(computed)
            ),
            ProblemKind::Gap { found } => {
                write!(f, "gap: records {}..{} are missing", self.seq, found - 1)
            }
            ProblemKind::Duplicate { found } => {
                write!(f, "duplicate: record {found} occurs again in this place")
            }
            ProblemKind::Reordered { found } => {
                write!(
                    f,
                    "reordered: record {found} stands before record {}",
                    self.seq
                )
            }
            ProblemKind::Malformed { detail } => write!(f, "malformed record: {detail}"),
            ProblemKind::ArchiveSeam { detail } => write!(f, "archive seam: {detail}"),
            ProblemKind::BadCheckpointSignature { source } => {
                write!(f, "bad checkpoint signature (checkpoint from the {source})")
            }
            ProblemKind::UnknownCheckpointKey { key_id } => {
                write!(f, "checkpoint signed by unknown key {key_id}")
            }
            ProblemKind::CheckpointMismatch { since_seq } => write!(
                f,
                "signed checkpoint does not match the record hash: \
                 records after seq {since_seq} up to here were rewritten"
            ),
            ProblemKind::MissingAfterCheckpoint { checkpoint_seq } => write!(
                f,
                "records missing: a signed checkpoint covers up to seq {checkpoint_seq}"
            ),
            ProblemKind::CheckpointFileDisagrees { detail } => {
                write!(f, "checkpoint file disagrees with the database: {detail}")
            }
        }
    }
}

/// What a verified chain looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSummary {
    /// The chain.
    pub chain_id: String,
    /// Number of records.
    pub records: u64,
    /// Time of the first record.
    pub first_time_us: Option<i64>,
    /// Time of the last record.
    pub last_time_us: Option<i64>,
    /// Hash of the last record (the genesis hash for an empty chain).
    pub head: Hash,
    /// The last checkpoint that verified against the records.
    pub last_checkpoint: Option<Checkpoint>,
    /// Checkpoints whose signature was verified.
    pub checkpoints_verified: usize,
    /// Whether signatures were checked (a public key was given).
    pub signatures_checked: bool,
    /// Running periods, restarts and silences, from the records verified.
    pub coverage: Coverage,
}

/// Where a checkpoint came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointSource {
    /// The `zegel_checkpoints` table.
    Database,
    /// The checkpoint file.
    File,
}

/// Verifies one chain from records pushed in order.
pub struct ChainVerifier {
    chain_id: String,
    chainer: Chainer,
    prev: Hash,
    next_seq: u64,
    pending_gap: Option<u64>,
    checkpoints: BTreeMap<u64, Checkpoint>,
    last_good_cp: Option<Checkpoint>,
    problems: Vec<Problem>,
    summary: ChainSummary,
    archive_heads: BTreeMap<u64, Hash>,
    /// No checkpoint or archive head is expected below this seq: the records before it
    /// skip both lookups (0: not known yet, look).
    next_mark: u64,
    coverage: CoverageTracker,
}

impl ChainVerifier {
    /// Starts verifying `chain_id`. `checkpoints` are all known checkpoints with their
    /// source; `keys` the public keys to check signatures with (none: not checked);
    /// `file_given` whether a checkpoint file was read (so database-only checkpoints are
    /// a disagreement).
    pub fn new(
        chain_id: &str,
        checkpoints: Vec<(Checkpoint, CheckpointSource)>,
        keys: &[VerifyingKey],
        file_given: bool,
    ) -> Self {
        let mut v = ChainVerifier {
            chain_id: chain_id.to_owned(),
            chainer: Chainer::new(),
            prev: genesis(chain_id),
            next_seq: 1,
            pending_gap: None,
            checkpoints: BTreeMap::new(),
            last_good_cp: None,
            problems: Vec::new(),
            archive_heads: BTreeMap::new(),
            next_mark: 0,
            coverage: CoverageTracker::default(),
            summary: ChainSummary {
                chain_id: chain_id.to_owned(),
                records: 0,
                first_time_us: None,
                last_time_us: None,
                head: genesis(chain_id),
                last_checkpoint: None,
                checkpoints_verified: 0,
                signatures_checked: !keys.is_empty(),
                coverage: Coverage::default(),
            },
        };
        v.check_checkpoints(checkpoints, keys, file_given);
        v
    }

    /// Also reports stretches longer than `threshold_us` without records while the
    /// sidecar was running ([`Coverage::silences`]).
    pub fn with_silence(mut self, threshold_us: i64) -> Self {
        self.coverage = std::mem::take(&mut self.coverage).with_silence(threshold_us);
        self
    }

    /// Continues a chain after record `seq` whose hash is `hash` (already trusted, e.g.
    /// a signed checkpoint), instead of from genesis.
    pub fn resume_after(mut self, seq: u64, hash: Hash) -> Self {
        self.prev = hash;
        self.summary.head = hash;
        self.next_seq = seq + 1;
        self.next_mark = 0;
        self
    }

    /// Continues after the records an archive mark says were archived. The mark is
    /// only an assertion by whoever could write the database: a checkpoint at its
    /// sequence number with the same head must confirm it (its signature checked as
    /// every checkpoint's is), or the seam is reported.
    pub fn resume_after_archive(mut self, mark: &ArchiveMark) -> Self {
        let seq = mark.up_to_seq;
        let detail = match self.checkpoints.get(&seq) {
            None => Some(format!(
                "records 1..={seq} were pruned after archiving, but no checkpoint at {seq} \
                 confirms the archive's head"
            )),
            Some(cp) if cp.head != mark.head => Some(format!(
                "the archive mark's head {} differs from the checkpoint's {}",
                hex::encode(mark.head),
                hex::encode(cp.head)
            )),
            Some(cp) => {
                self.last_good_cp = Some(cp.clone());
                None
            }
        };
        if let Some(detail) = detail {
            self.problem(seq, ProblemKind::ArchiveSeam { detail });
        }
        self.resume_after(seq, mark.head)
    }

    /// Archive marks whose records are still stored: each record at a mark must hash
    /// to the mark's head.
    pub fn expect_archive_heads(&mut self, marks: &[ArchiveMark]) {
        self.archive_heads
            .extend(marks.iter().map(|m| (m.up_to_seq, m.head)));
        self.next_mark = 0;
    }

    fn problem(&mut self, seq: u64, kind: ProblemKind) {
        self.problems.push(Problem::at(&self.chain_id, seq, kind));
    }

    fn check_checkpoints(
        &mut self,
        all: Vec<(Checkpoint, CheckpointSource)>,
        keys: &[VerifyingKey],
        file_given: bool,
    ) {
        let mut from_file: BTreeMap<u64, Checkpoint> = BTreeMap::new();
        let mut from_db: BTreeMap<u64, Checkpoint> = BTreeMap::new();
        for (cp, source) in all {
            if cp.chain_id != self.chain_id {
                continue;
            }
            let (map, name) = match source {
                CheckpointSource::File => (&mut from_file, "file"),
                CheckpointSource::Database => (&mut from_db, "database"),
            };
            let seq = cp.seq;
            if !keys.is_empty() {
                match keys.iter().find(|k| key_id(k) == cp.key_id) {
                    None => {
                        let key_id = cp.key_id.clone();
                        self.problem(seq, ProblemKind::UnknownCheckpointKey { key_id });
                        continue;
                    }
                    Some(k) if !cp.verify(k) => {
                        self.problem(seq, ProblemKind::BadCheckpointSignature { source: name });
                        continue;
                    }
                    Some(_) => self.summary.checkpoints_verified += 1,
                }
            }
            if map.get(&seq).is_some_and(|o| *o != cp) {
                let detail = format!("two different checkpoints for seq {seq} in the {name}");
                self.problem(seq, ProblemKind::CheckpointFileDisagrees { detail });
                continue;
            }
            map.insert(seq, cp);
        }
        for (seq, db) in &from_db {
            let detail = match from_file.get(seq) {
                Some(f) if f != db => "the two copies differ".to_owned(),
                None if file_given => "checkpoint is in the database but not in the file".into(),
                _ => continue,
            };
            let kind = ProblemKind::CheckpointFileDisagrees { detail };
            self.problems.push(Problem::at(&self.chain_id, *seq, kind));
        }
        from_db.extend(from_file);
        self.checkpoints = from_db;
        self.next_mark = 0;
    }

    /// The lowest seq after `seq` at which a checkpoint or an archive head is expected.
    fn mark_after(&self, seq: u64) -> u64 {
        fn first_after<V>(m: &BTreeMap<u64, V>, seq: u64) -> u64 {
            m.range(seq + 1..).next().map_or(u64::MAX, |(&k, _)| k)
        }
        first_after(&self.checkpoints, seq).min(first_after(&self.archive_heads, seq))
    }

    /// Feeds the next row in stored order. After the first record problem the rest is
    /// ignored (the chain cannot be trusted past it).
    pub fn push(&mut self, row: Row) {
        self.push_ref(&row);
    }

    /// [`ChainVerifier::push`] without taking the row: rows held elsewhere (an archive
    /// page, a test's chain) are verified without copying or freeing them here.
    pub fn push_ref(&mut self, row: &Row) {
        if self.has_record_problem() {
            return;
        }
        match row {
            Row::Record(r) => {
                if self.in_order(r.seq) {
                    self.accept(r.seq, &r.event, r.stored(), &r.hash);
                }
            }
            Row::Malformed { seq, detail } => {
                let (seq, detail) = (*seq, detail.clone());
                let at = seq.unwrap_or(self.next_seq);
                self.problem(at, ProblemKind::Malformed { detail });
            }
        }
    }

    /// Feeds the next record as its fields where they are held (an archive row read in
    /// place), with its canonical encoding made from the same `fields` (an archive batch,
    /// encoded a column at a time), its sequence number and stored hash:
    /// [`ChainVerifier::push`] without building an [`Event`](crate::Event). The encoding
    /// is hashed, the fields are checked.
    pub fn push_encoded(&mut self, seq: u64, fields: &impl Fields, encoding: &[u8], hash: &Hash) {
        if !self.has_record_problem() && self.in_order(seq) {
            self.accept(seq, fields, Some(encoding), hash);
        }
    }

    /// Whether `seq` is the next record's; if not, the gap, duplicate or reordering is
    /// noted (a gap when the record after it shows whether it was one).
    fn in_order(&mut self, seq: u64) -> bool {
        if let Some(found) = self.pending_gap.take() {
            let kind = if seq == self.next_seq {
                ProblemKind::Reordered { found }
            } else {
                ProblemKind::Gap { found }
            };
            self.problem(self.next_seq, kind);
            return false;
        }
        match seq.cmp(&self.next_seq) {
            std::cmp::Ordering::Less => {
                let kind = ProblemKind::Duplicate { found: seq };
                self.problem(self.next_seq, kind);
                false
            }
            std::cmp::Ordering::Greater => {
                self.pending_gap = Some(seq);
                false
            }
            std::cmp::Ordering::Equal => true,
        }
    }

    /// Whether a record problem was found (the rest of the chain is then ignored).
    pub fn has_record_problem(&self) -> bool {
        self.problems.iter().any(|p| {
            !matches!(
                p.kind,
                ProblemKind::BadCheckpointSignature { .. }
                    | ProblemKind::UnknownCheckpointKey { .. }
                    | ProblemKind::CheckpointFileDisagrees { .. }
            )
        })
    }

    fn accept(&mut self, seq: u64, fields: &impl Fields, stored: Option<&[u8]>, hash: &Hash) {
        if !fields::roles_canonical(fields) {
            let detail = "roles are not in canonical order (sorted, no duplicates)".to_owned();
            return self.problem(seq, ProblemKind::Malformed { detail });
        }
        // The writer never stores what `fields::check` refuses; such a row was made by hand.
        if let Err(why) = fields.rules_kept() {
            let detail = format!("a record the writer would have refused: {why}");
            return self.problem(seq, ProblemKind::Malformed { detail });
        }
        let computed = match stored {
            Some(bytes) => self.chainer.hash_encoded(&self.prev, bytes),
            None => self.chainer.hash(&self.prev, seq, fields),
        };
        if computed != *hash {
            let kind = ProblemKind::HashMismatch {
                stored: *hash,
                computed,
            };
            return self.problem(seq, kind);
        }
        if seq >= self.next_mark {
            if let Some(kind) = self.check_marks(seq, &computed) {
                return self.problem(seq, kind);
            }
            self.next_mark = self.mark_after(seq);
        }
        let time_us = fields.time_us();
        self.coverage.observe(seq, fields.kind(), time_us);
        let s = &mut self.summary;
        s.records += 1;
        s.first_time_us.get_or_insert(time_us);
        s.last_time_us = Some(time_us);
        self.prev = computed;
        self.next_seq += 1;
    }

    /// Checks record `seq`, whose hash is `computed`, against the archive head and the
    /// checkpoint expected there, if any.
    fn check_marks(&mut self, seq: u64, computed: &Hash) -> Option<ProblemKind> {
        if self.archive_heads.get(&seq).is_some_and(|h| h != computed) {
            let detail = "the archive mark's head differs from this record's hash".into();
            return Some(ProblemKind::ArchiveSeam { detail });
        }
        if let Some(cp) = self.checkpoints.get(&seq) {
            if cp.head != *computed {
                let since_seq = self.last_good_cp.as_ref().map_or(0, |c| c.seq);
                return Some(ProblemKind::CheckpointMismatch { since_seq });
            }
            self.last_good_cp = Some(cp.clone());
        }
        None
    }

    /// Ends the chain: checks that no checkpoint covers records beyond the last one, and
    /// returns the summary or the first problem (by sequence number).
    pub fn finish(mut self) -> Result<ChainSummary, Problem> {
        if let Some(found) = self.pending_gap.take() {
            self.problem(self.next_seq, ProblemKind::Gap { found });
        }
        if !self.has_record_problem() {
            let last = self.next_seq - 1;
            if let Some((&checkpoint_seq, _)) = self.checkpoints.range(last + 1..).next_back() {
                let kind = ProblemKind::MissingAfterCheckpoint { checkpoint_seq };
                self.problem(last + 1, kind);
            }
        }
        self.summary.head = self.prev;
        self.summary.last_checkpoint = self.last_good_cp;
        self.summary.coverage = self.coverage.finish();
        match self.problems.iter().min_by_key(|p| p.seq) {
            None => Ok(self.summary),
            Some(p) => Err(Problem {
                verified: Some(Box::new(self.summary)),
                ..p.clone()
            }),
        }
    }
}
