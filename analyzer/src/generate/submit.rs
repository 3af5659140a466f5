//! Handing one chain's records to the real writer in exactly the order `traffic` made
//! them. Each submission is polled once as it is made, which puts it in the writer's
//! queue; its receipt is awaited later, with a bounded number in flight. So one task
//! keeps the writer's batches full and the chain is the same on every run.

use super::hospital::Hospital;
use super::traffic::{ChainStream, Mark, Plan, Scheduled};
use crate::Error;
use std::collections::VecDeque;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};
use zegel_audit::keys::read_signing_key;
use zegel_audit::store::{Store, StoreOptions};
use zegel_audit::writer::{Receipt, WriteError, Writer, WriterConfig};

/// Submissions awaiting their receipt at most (the writer's queue holds 65,536).
const IN_FLIGHT: usize = 16_384;

/// Where and what one chain writes.
pub struct Job {
    /// Database URL.
    pub db: String,
    /// Signing key file.
    pub key: PathBuf,
    /// Checkpoint file of this chain.
    pub checkpoint_file: Option<PathBuf>,
    /// Chain id.
    pub chain: String,
    /// Background accesses.
    pub accesses: u64,
}

/// What one chain wrote.
#[derive(Debug, Clone)]
pub struct ChainResult {
    /// Records written.
    pub records: u64,
    /// Where each planted access landed: its mark and sequence number.
    pub planted: Vec<(Mark, u64)>,
}

type Pending<'w> = Pin<Box<dyn Future<Output = Result<Receipt, WriteError>> + Send + 'w>>;

/// Writes chain number `k` of `job`, counting acknowledged records in `done`.
pub async fn write_chain(
    job: Job,
    h: &Hospital,
    plan: &Plan,
    k: usize,
    scheduled: Vec<(i64, Scheduled)>,
    done: &AtomicU64,
) -> Result<ChainResult, Error> {
    let store = Store::open(&job.db, &StoreOptions::default()).await?;
    let key = read_signing_key(&job.key)?;
    let mut cfg = WriterConfig::new(&job.chain);
    cfg.checkpoint_file = job.checkpoint_file;
    let (writer, task) = Writer::start(store, key, cfg).await?;
    let head = writer.head_seq();
    let stream = ChainStream::new(h, plan, k, job.accesses, head, scheduled);
    let mut planted = Vec::new();
    let mut inflight: VecDeque<(u64, Pending<'_>)> = VecDeque::with_capacity(IN_FLIGHT);
    let mut last = head;
    for p in stream {
        if let Some(m) = p.mark {
            planted.push((m, p.seq));
        }
        last = p.seq;
        let mut fut: Pending<'_> = match p.deferred {
            true => Box::pin(writer.submit_deferred(p.event)),
            false => Box::pin(writer.submit(p.event)),
        };
        // The first poll enqueues the record: the chain order is the submission order.
        match std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await {
            Poll::Ready(r) => check(&job.chain, p.seq, r, done)?,
            Poll::Pending => inflight.push_back((p.seq, fut)),
        }
        while inflight.len() >= IN_FLIGHT {
            if let Some((seq, f)) = inflight.pop_front() {
                check(&job.chain, seq, f.await, done)?;
            }
        }
    }
    while let Some((seq, f)) = inflight.pop_front() {
        check(&job.chain, seq, f.await, done)?;
    }
    drop(inflight);
    drop(writer);
    task.shutdown().await?;
    Ok(ChainResult {
        records: last - head,
        planted,
    })
}

fn check(
    chain: &str,
    seq: u64,
    r: Result<Receipt, WriteError>,
    done: &AtomicU64,
) -> Result<(), Error> {
    let got = r?.seq;
    if got != seq {
        return Err(Error::Usage(format!(
            "chain {chain}: a record planned as seq {seq} was written as seq {got}; \
             is another process writing this chain?"
        )));
    }
    done.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// A line on standard error every few seconds: records written and records/s.
pub struct Progress {
    counter: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Starts reporting when `show`; counting always.
    pub fn start(show: bool) -> Progress {
        let counter = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let task = show.then(|| {
            let (counter, stop) = (Arc::clone(&counter), Arc::clone(&stop));
            tokio::spawn(async move {
                let start = Instant::now();
                let (mut prev, mut prev_t) = (0, start);
                while !stop.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    let (n, now) = (counter.load(Ordering::Relaxed), Instant::now());
                    let rate = (n - prev) as f64 / (now - prev_t).as_secs_f64();
                    let avg = n as f64 / (now - start).as_secs_f64();
                    eprintln!(
                        "gen: {n} records, {rate:.0} records/s now, {avg:.0} records/s overall"
                    );
                    (prev, prev_t) = (n, now);
                }
            })
        });
        Progress {
            counter,
            stop,
            task,
        }
    }

    /// The counter to add acknowledged records to.
    pub fn counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.counter)
    }

    /// Stops reporting.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.task {
            t.abort();
        }
    }
}
