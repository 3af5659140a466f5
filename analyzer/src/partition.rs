//! One partition of the `access` table over a database: a range of one chain, read page
//! by page (`Store::read_page`) and turned into a batch per page as the query consumes
//! them. At most a couple of pages per partition are in memory at any time. With a time
//! window (`pushdown.rs`) the range is read in windows of [`PAGE_ROWS`] sequence numbers
//! (`Store::read_window`), and the database leaves out the rows outside the time window.

use crate::batch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchReceiverStreamBuilder;
use datafusion::physical_plan::streaming::PartitionStream;
use std::sync::Arc;
use tokio::sync::mpsc::Sender;
use zegel_audit::store::rows::Row;
use zegel_audit::store::{Store, TimeBounds};

/// Rows per `read_page` call, and so per batch.
pub const PAGE_ROWS: u32 = 8192;

/// Batches a partition may have ready before the query takes them.
const READY_BATCHES: usize = 2;

/// Records `[from, to)` of one chain of one database (`to` open-ended when `None`).
#[derive(Clone)]
pub struct ChainPartition {
    /// The database.
    pub store: Store,
    /// The chain.
    pub chain_id: String,
    /// First sequence number to read.
    pub from: u64,
    /// First sequence number not to read; `None` reads to the end of the chain.
    pub to: Option<u64>,
    /// The chain's last sequence number when the query was set up: where reading by
    /// windows stops when `to` is `None`.
    pub head: u64,
    /// Rows outside this window are not read.
    pub time: TimeBounds,
    /// Indices into [`crate::table::COLUMNS`] of the columns to build.
    pub projection: Arc<[usize]>,
    /// The projected schema.
    pub schema: SchemaRef,
}

impl std::fmt::Debug for ChainPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainPartition")
            .field("source", &self.store.url())
            .field("chain_id", &self.chain_id)
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

/// A row that is not a valid record: queries over it would silently be wrong.
#[derive(Debug, thiserror::Error)]
#[error(
    "source {source_url}, chain {chain_id:?}: {place} is malformed ({detail}); \
     the query stopped there. Run `zegel-analyzer verify` on this source."
)]
pub struct MalformedRecord {
    /// Source URL, password removed.
    pub source_url: String,
    /// The chain.
    pub chain_id: String,
    /// `record at seq N`, or where it was when the row has no readable seq.
    pub place: String,
    /// What is wrong with it.
    pub detail: String,
}

impl PartitionStream for ChainPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let mut builder =
            RecordBatchReceiverStreamBuilder::new(Arc::clone(&self.schema), READY_BATCHES);
        let (tx, this) = (builder.tx(), self.clone());
        builder.spawn(async move { this.pump(tx).await });
        builder.build()
    }
}

impl ChainPartition {
    /// Reads pages and sends a batch per page until the range ends or the query stops
    /// listening (e.g. a `LIMIT` was reached).
    async fn pump(
        self,
        tx: Sender<Result<datafusion::arrow::record_batch::RecordBatch, DataFusionError>>,
    ) -> Result<(), DataFusionError> {
        if !self.time.is_open() {
            return self.pump_windows(tx).await;
        }
        let mut next = self.from;
        loop {
            let limit = match self.to {
                Some(to) if to <= next => return Ok(()),
                Some(to) => PAGE_ROWS.min(u32::try_from(to - next).unwrap_or(PAGE_ROWS)),
                None => PAGE_ROWS,
            };
            let rows = (self.store.read_page(&self.chain_id, next, limit).await)
                .map_err(|e| DataFusionError::External(Box::new(e)))?;
            let full = rows.len() == limit as usize;
            let mut records = self.records(rows, next)?;
            // A page may run past the range when records before it were pruned (the
            // chain then starts after 1): those belong to a later range.
            if let Some(to) = self.to {
                records.retain(|r| r.seq < to);
            }
            let Some(last) = records.last() else {
                return Ok(());
            };
            next = last.seq + 1;
            let batch = batch::build(&self.schema, &self.projection, &self.chain_id, &records)?;
            if tx.send(Ok(batch)).await.is_err() || !full {
                return Ok(());
            }
        }
    }

    /// Reads `[from, to)` (or up to the head at set-up) in windows of sequence numbers,
    /// each filtered by time in the database; empty windows send nothing.
    async fn pump_windows(
        self,
        tx: Sender<Result<datafusion::arrow::record_batch::RecordBatch, DataFusionError>>,
    ) -> Result<(), DataFusionError> {
        let end = self.to.unwrap_or(self.head.saturating_add(1));
        let mut next = self.from;
        while next < end {
            let upto = end.min(next.saturating_add(u64::from(PAGE_ROWS)));
            let rows = (self
                .store
                .read_window(&self.chain_id, next, upto, self.time)
                .await)
                .map_err(|e| DataFusionError::External(Box::new(e)))?;
            let records = self.records(rows, next)?;
            next = upto;
            if records.is_empty() {
                continue;
            }
            let batch = batch::build(&self.schema, &self.projection, &self.chain_id, &records)?;
            if tx.send(Ok(batch)).await.is_err() {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The records of a page; a malformed row fails the stream.
    fn records(
        &self,
        rows: Vec<Row>,
        from: u64,
    ) -> Result<Vec<zegel_audit::SealedRecord>, DataFusionError> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            match row {
                Row::Record(r) => out.push(r),
                Row::Malformed { seq, detail } => {
                    let place = match (seq, out.last()) {
                        (Some(s), _) => format!("record at seq {s}"),
                        (None, Some(prev)) => format!("the record after seq {}", prev.seq),
                        (None, None) => format!("a record at or after seq {from}"),
                    };
                    return Err(DataFusionError::External(Box::new(MalformedRecord {
                        source_url: self.store.url().to_owned(),
                        chain_id: self.chain_id.clone(),
                        place,
                        detail,
                    })));
                }
            }
        }
        Ok(out)
    }
}
