//! The writer task's loop: batch, hash, commit, acknowledge, checkpoint, recover.

use super::resume::Resumed;
use super::{Receipt, Shared, Submission, WriteError, WriterConfig};
use crate::chain::{Chainer, Hash};
use crate::checkpoint::{self, Checkpoint};
use crate::keys::SigningKey;
use crate::record::{Event, EventKind, now_us};
use crate::store::rows::{EncodedRecord, Row};
use crate::store::{Store, StoreError};
use futures_util::future::BoxFuture;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub(super) struct Task {
    store: Store,
    key: SigningKey,
    cfg: WriterConfig,
    rx: mpsc::Receiver<Submission>,
    shared: Arc<Shared>,
    chainer: Chainer,
    head_seq: u64,
    head: Hash,
    uncovered: u64,
    /// When the oldest record not covered by a checkpoint was committed.
    uncovered_since: Option<Instant>,
    /// Set after a failed commit: the head must be re-read before writing again.
    outage: Option<Outage>,
    lock: crate::store::ChainLock,
    /// Commits under way, oldest first (at most the store's pipeline depth). The next
    /// batch is sealed on top of the newest.
    in_flight: VecDeque<InFlight>,
    depth: usize,
}

/// A batch whose transaction is running: its submitters wait for its outcome.
struct InFlight {
    subs: Vec<Submission>,
    commit: BoxFuture<'static, CommitResult>,
    /// Seq and hash of its last record: where the next batch is sealed on.
    head: (u64, Hash),
}

type CommitResult = Result<Vec<EncodedRecord>, StoreError>;

/// A period during which the database failed.
struct Outage {
    since_us: i64,
    refused_before: u64,
}

impl Task {
    pub(super) fn new(
        store: Store,
        key: SigningKey,
        cfg: WriterConfig,
        r: Resumed,
        rx: mpsc::Receiver<Submission>,
        shared: Arc<Shared>,
    ) -> Self {
        let store_depth = store.pipeline_depth();
        Task {
            store,
            key,
            cfg,
            rx,
            shared,
            chainer: Chainer::new(),
            head_seq: r.head_seq,
            head: r.head,
            uncovered: r.uncovered,
            uncovered_since: (r.uncovered > 0).then(Instant::now),
            outage: None,
            lock: r.lock,
            in_flight: VecDeque::new(),
            depth: store_depth,
        }
    }

    pub(super) async fn run(mut self) -> Result<(), StoreError> {
        let mut batch = Vec::with_capacity(self.cfg.max_batch);
        let mut closing = false;
        loop {
            let deadline = self.next_wakeup();
            let busy = !self.in_flight.is_empty();
            tokio::select! {
                msg = self.rx.recv() => match msg {
                    Some(s) => batch.push(s),
                    None => break,
                },
                () = self.shared.close.notified(), if !closing => {
                    closing = true;
                    self.rx.close();
                    continue;
                }
                () = tokio::time::sleep_until(deadline.unwrap_or_else(far_future)),
                    if deadline.is_some() && !busy => {
                    self.on_timer().await;
                    continue;
                }
                r = oldest_done(&mut self.in_flight), if busy => {
                    self.settle_oldest(r).await;
                    continue;
                }
            }
            self.take_queued(&mut batch);
            if !closing && batch.iter().all(|s| s.deferred) {
                closing = self.wait_for_urgent(&mut batch).await;
            }
            self.commit(&mut batch).await;
        }
        while !self.in_flight.is_empty() {
            let r = oldest_done(&mut self.in_flight).await;
            self.settle_oldest(r).await;
        }
        if self.outage.is_none() && self.uncovered > 0 {
            self.checkpoint().await;
        }
        self.lock.release().await;
        Ok(())
    }

    /// Adds what is queued to `batch`, up to `max_batch`.
    fn take_queued(&mut self, batch: &mut Vec<Submission>) {
        while batch.len() < self.cfg.max_batch {
            match self.rx.try_recv() {
                Ok(s) => batch.push(s),
                Err(_) => break,
            }
        }
    }

    /// `batch` holds only deferred records: waits (at most `defer_max`) for a record
    /// that needs its commit now, so both share one. Returns whether shutdown began.
    async fn wait_for_urgent(&mut self, batch: &mut Vec<Submission>) -> bool {
        let until = Instant::now() + self.cfg.defer_max;
        let mut closing = false;
        while batch.len() < self.cfg.max_batch {
            tokio::select! {
                msg = self.rx.recv() => match msg {
                    Some(s) => {
                        let urgent = !s.deferred;
                        batch.push(s);
                        if urgent {
                            break;
                        }
                    }
                    None => break,
                },
                () = self.shared.close.notified() => {
                    closing = true;
                    self.rx.close();
                    break;
                }
                () = tokio::time::sleep_until(until) => break,
                r = oldest_done(&mut self.in_flight), if !self.in_flight.is_empty() => {
                    // Answer the commit that ended; these records then start the next.
                    self.settle_oldest(r).await;
                }
            }
        }
        self.take_queued(batch);
        closing
    }

    /// The next moment the task must act without a submission: a retry while the
    /// database is down, or a time-based checkpoint.
    fn next_wakeup(&self) -> Option<Instant> {
        if self.outage.is_some() {
            return Some(Instant::now() + self.cfg.retry_interval);
        }
        self.uncovered_since
            .map(|t| t + self.cfg.checkpoint_interval)
    }

    async fn on_timer(&mut self) {
        if self.outage.is_some() {
            self.recover().await;
        } else if self.uncovered > 0 {
            self.checkpoint().await;
        }
    }

    /// Seals `batch` on top of the newest commit in flight (if any) and starts its
    /// commit, first waiting for the oldest when the pipeline is full. A store takes one
    /// transaction at a time (or, for SQLite, commits while an earlier one is fsynced), so
    /// sealing and acknowledging overlap with the database's work instead of following it.
    async fn commit(&mut self, batch: &mut Vec<Submission>) {
        if self.in_flight.is_empty() && self.outage.is_some() && !self.recover().await {
            return self.refuse(batch.drain(..));
        }
        let (from_seq, from) = self.sealed_head();
        let records = self.seal(from_seq, from, batch.iter_mut().map(|s| &mut s.event));
        let subs = std::mem::take(batch);
        let mut done = Vec::new();
        while self.in_flight.len() >= self.depth {
            let Some(f) = self.in_flight.pop_front() else {
                break;
            };
            let result = f.commit.await;
            let failed = result.is_err();
            done.push((f.subs, result));
            if failed {
                break;
            }
        }
        let failed = done.last().is_some_and(|(_, r)| r.is_err());
        // Sealed on top of records that did not commit, this batch cannot be stored as
        // sealed: it is refused, and the chain goes on from the database's tail after
        // recovery. Otherwise it starts first: the database works while the submitters
        // of the finished commits are answered.
        let refused = if failed {
            Some(subs)
        } else {
            self.start_commit(subs, records);
            None
        };
        for (subs, r) in done {
            self.acknowledge(subs, r).await;
        }
        if let Some(subs) = refused {
            self.abandon_in_flight().await;
            self.refuse(subs.into_iter());
        }
    }

    /// The seq and hash the next batch is sealed on: the end of the newest commit in
    /// flight, or the committed head.
    fn sealed_head(&self) -> (u64, Hash) {
        self.in_flight
            .back()
            .map_or((self.head_seq, self.head), |f| f.head)
    }

    fn start_commit(&mut self, subs: Vec<Submission>, records: Vec<EncodedRecord>) {
        let Some(head) = records.last().map(|r| (r.seq, r.hash)) else {
            return;
        };
        // Handed to the store now, in sealing order; the task only waits for the outcome.
        // SQLite's append thread works on its own: its answer is awaited right here (a
        // task per commit would add a spawn and a wake-up to every request's record).
        // Through the pool, the commit is a future that must be driven: it gets a task,
        // so it goes on while this one seals, acknowledges or checkpoints.
        let commit = self.store.append_owned(&self.cfg.chain_id, records);
        let commit = if self.store.appends_on_its_own() {
            commit
        } else {
            let running = tokio::spawn(commit);
            Box::pin(async move { joined(running.await) })
        };
        self.in_flight.push_back(InFlight { subs, commit, head });
    }

    /// Takes the outcome of the oldest commit in flight. After a failure, the later
    /// commits (sealed on top of it) are not acknowledged whatever their outcome: the
    /// writer recovers from the database's tail before writing again.
    async fn settle_oldest(&mut self, r: CommitResult) {
        let Some(f) = self.in_flight.pop_front() else {
            return;
        };
        let failed = r.is_err();
        self.acknowledge(f.subs, r).await;
        if failed {
            self.abandon_in_flight().await;
        }
    }

    /// Waits for every commit in flight and refuses its submitters.
    async fn abandon_in_flight(&mut self) {
        while let Some(f) = self.in_flight.pop_front() {
            let _ = f.commit.await;
            self.refuse(f.subs.into_iter());
        }
    }

    /// Takes a finished commit's outcome: advance the head and acknowledge, or fail.
    async fn acknowledge(&mut self, subs: Vec<Submission>, result: CommitResult) {
        match result {
            Ok(records) => {
                self.advance(records.len(), records.last().map(|r| (r.seq, r.hash)));
                for (s, r) in subs.into_iter().zip(&records) {
                    s.answer(Ok(Receipt {
                        seq: r.seq,
                        hash: r.hash,
                    }));
                }
                if self.uncovered >= self.cfg.checkpoint_every {
                    self.checkpoint().await;
                }
            }
            Err(e) => {
                self.fail(&e);
                self.refuse(subs.into_iter());
            }
        }
    }

    /// Answers submissions that will not be stored with the current error.
    fn refuse(&self, subs: impl Iterator<Item = Submission>) {
        let err = self.error_text();
        for s in subs {
            s.answer(Err(WriteError::Unavailable(err.clone())));
        }
    }

    /// Gives events the next sequence numbers and hashes, from the current head, and
    /// encodes each once for the store. The copied columns are moved out of the events
    /// (which are not used again): sealing copies no event.
    fn seal<'a>(
        &mut self,
        mut seq: u64,
        mut prev: Hash,
        events: impl Iterator<Item = &'a mut Event>,
    ) -> Vec<EncodedRecord> {
        events
            .map(|e| {
                seq += 1;
                let (hash, record) = self.chainer.seal(&prev, seq, e);
                prev = hash;
                EncodedRecord {
                    seq,
                    time_us: e.time_us,
                    kind: e.kind,
                    user_id: e.user_id.take(),
                    patient_id: e.patient_id.take(),
                    record,
                    hash,
                }
            })
            .collect()
    }

    /// Takes `count` committed records ending at `last` (seq, hash) as the new head.
    fn advance(&mut self, count: usize, last: Option<(u64, Hash)>) {
        if let Some((last_seq, last_hash)) = last {
            self.head_seq = last_seq;
            self.head = last_hash;
            self.uncovered += count as u64;
            self.uncovered_since.get_or_insert_with(Instant::now);
            self.shared.head_seq.store(last_seq, Ordering::Release);
            self.shared.commits.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn fail(&mut self, e: &StoreError) {
        tracing::error!(chain = %self.cfg.chain_id, error = %e, "audit log commit failed; refusing records until the database recovers");
        if let Ok(mut last) = self.shared.last_error.lock() {
            *last = e.to_string();
        }
        self.shared.available.store(false, Ordering::Release);
        self.outage.get_or_insert(Outage {
            since_us: now_us(),
            refused_before: self.shared.refused.load(Ordering::Relaxed),
        });
    }

    fn error_text(&self) -> String {
        self.shared
            .last_error
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Re-reads the head from the database (a failed commit may in fact have committed)
    /// and records the outage as a notice. Returns whether writing may resume.
    async fn recover(&mut self) -> bool {
        // A PostgreSQL restart ended the session that held the chain's lock: take it
        // again before writing, or learn that another writer has the chain now.
        if self.outage.is_some()
            && let Err(e) = self.store.relock(&mut self.lock, &self.cfg.chain_id).await
        {
            self.fail(&e);
            return false;
        }
        let tail = match self.store.tail(&self.cfg.chain_id).await {
            Ok(t) => t,
            Err(e) => {
                self.fail(&e);
                return false;
            }
        };
        match tail {
            Some(Row::Record(r)) if r.seq >= self.head_seq => {
                if r.seq > self.head_seq {
                    // The failed commit did land: verify it continues our head.
                    if let Err(e) = self.adopt_landed(r.seq).await {
                        self.fail(&e);
                        return false;
                    }
                }
            }
            None if self.head_seq == 0 => {}
            other => {
                let e = StoreError::Database(sqlx::Error::Protocol(format!(
                    "chain tail changed under the writer (expected seq {}, found {:?}); \
                     verify the chain",
                    self.head_seq,
                    other.map(|r| match r {
                        Row::Record(r) => r.seq,
                        Row::Malformed { seq, .. } => seq.unwrap_or(0),
                    })
                )));
                self.fail(&e);
                return false;
            }
        }
        let Some(outage) = self.outage.take() else {
            return true;
        };
        self.shared.available.store(true, Ordering::Release);
        let refused = self.shared.refused.load(Ordering::Relaxed) - outage.refused_before;
        tracing::warn!(chain = %self.cfg.chain_id, refused, "audit log available again");
        let mut notice = Event::new(EventKind::Notice, now_us());
        notice.reason = Some("audit log unavailable; requests were refused (fail closed)".into());
        notice.detail = Some(
            serde_json::json!({ "unavailable_from_us": outage.since_us,
                                "unavailable_to_us": notice.time_us,
                                "refused": refused })
            .to_string(),
        );
        let records = self.seal(self.head_seq, self.head, std::iter::once(&mut notice));
        match self
            .store
            .append_encoded(&self.cfg.chain_id, &records)
            .await
        {
            Ok(()) => {
                self.advance(records.len(), records.last().map(|r| (r.seq, r.hash)));
                true
            }
            Err(e) => {
                self.fail(&e);
                false
            }
        }
    }

    /// Verifies records that landed in a commit reported as failed, and takes them as
    /// the new head.
    async fn adopt_landed(&mut self, tail_seq: u64) -> Result<(), StoreError> {
        let chain = self.cfg.chain_id.clone();
        let rows = self
            .store
            .read_page(&chain, self.head_seq + 1, 100_000)
            .await?;
        let mut v = crate::verify::ChainVerifier::new(&chain, Vec::new(), &[], false)
            .resume_after(self.head_seq, self.head);
        let mut last = None;
        let mut count = 0;
        for row in rows {
            if let Row::Record(r) = &row {
                last = Some((r.seq, r.hash));
                count += 1;
            }
            v.push(row);
        }
        match v.finish() {
            Ok(s) if self.head_seq + s.records == tail_seq => {
                self.advance(count, last);
                Ok(())
            }
            Ok(_) => Err(StoreError::Database(sqlx::Error::Protocol(
                "chain tail grew while recovering".into(),
            ))),
            Err(p) => Err(StoreError::Database(sqlx::Error::Protocol(format!(
                "records that landed during a failed commit do not verify: {p}"
            )))),
        }
    }

    /// Signs a checkpoint over the head: first to the file (the anchor), then the table.
    async fn checkpoint(&mut self) {
        let cp = Checkpoint::sign(
            &self.key,
            &self.cfg.chain_id,
            self.head_seq,
            self.head,
            now_us(),
        );
        if let Some(path) = self.cfg.checkpoint_file.clone() {
            let cp2 = cp.clone();
            let r =
                tokio::task::spawn_blocking(move || checkpoint::append_to_file(&path, &cp2)).await;
            match r {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return tracing::error!(error = %e, "cannot write checkpoint file"),
                Err(e) => return tracing::error!(error = %e, "checkpoint file task failed"),
            }
        }
        if let Err(e) = self.store.insert_checkpoint(&cp).await {
            // The file has it; the next start copies it into the table.
            tracing::warn!(error = %e, seq = cp.seq, "cannot store checkpoint in the database");
        }
        self.uncovered = 0;
        self.uncovered_since = None;
    }
}

/// The outcome of the oldest commit in flight, when it ends (pending forever if none).
async fn oldest_done(f: &mut VecDeque<InFlight>) -> CommitResult {
    match f.front_mut() {
        Some(f) => (&mut f.commit).await,
        None => std::future::pending().await,
    }
}

/// A commit task's result; a task that panicked counts as a failed commit.
fn joined(r: Result<CommitResult, tokio::task::JoinError>) -> CommitResult {
    r.unwrap_or_else(|e| {
        Err(StoreError::Database(sqlx::Error::Protocol(format!(
            "commit task ended abnormally: {e}"
        ))))
    })
}

fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(86_400 * 365)
}
