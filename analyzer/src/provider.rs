//! The `access` table provider: the chains of every database source (read as they are
//! consumed, see `partition.rs`) and every Parquet directory, as one table.
//!
//! Filters are offered to the sources as hints (`Inexact`): Parquet uses them to skip
//! row groups, databases use `chain_id = '...'` / `chain_id IN (...)` to skip chains,
//! bounds on `seq` to read only that range and bounds on `time` to have the database
//! leave out other rows (`pushdown.rs`); DataFusion still applies every filter itself.

use crate::partition::ChainPartition;
use crate::pushdown::Bounds;
use crate::table::access_schema;
use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result;
use datafusion::logical_expr::{Expr, Operator, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::union::UnionExec;
use std::collections::BTreeSet;
use std::sync::Arc;
use zegel_audit::store::Store;

/// One chain of one database, with its last sequence number when the query was set up.
#[derive(Clone)]
pub struct Chain {
    /// The database.
    pub store: Store,
    /// The chain id.
    pub chain_id: String,
    /// Sequence number of its last record (0: empty).
    pub head: u64,
}

/// The `access` table over all sources.
pub struct AccessTable {
    chains: Vec<Chain>,
    parquet: Vec<Arc<dyn TableProvider>>,
}

impl std::fmt::Debug for AccessTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let chains: Vec<_> = self.chains.iter().map(|c| &c.chain_id).collect();
        f.debug_struct("AccessTable")
            .field("chains", &chains)
            .field("parquet_sources", &self.parquet.len())
            .finish()
    }
}

impl AccessTable {
    /// A table over `chains` (database sources) and `parquet` (listing tables).
    pub fn new(chains: Vec<Chain>, parquet: Vec<Arc<dyn TableProvider>>) -> Self {
        AccessTable { chains, parquet }
    }

    /// Partitions over the wanted chains. When there are fewer chains than the session
    /// wants partitions, chains are split into sequence ranges read in parallel.
    fn partitions(
        &self,
        projection: &Arc<[usize]>,
        schema: &SchemaRef,
        wanted: Option<&BTreeSet<String>>,
        bounds: &Bounds,
        target: usize,
    ) -> Vec<Arc<dyn PartitionStream>> {
        if bounds.is_empty() {
            return Vec::new();
        }
        let chains: Vec<&Chain> = (self.chains.iter())
            .filter(|c| c.head > 0 && wanted.is_none_or(|w| w.contains(&c.chain_id)))
            .filter(|c| bounds.seq_min <= c.head)
            .collect();
        let per_chain = (target / chains.len().max(1)).max(1) as u64;
        let mut out: Vec<Arc<dyn PartitionStream>> = Vec::new();
        for c in chains {
            // Without an upper bound the last range reads on: records appended since
            // set-up are included. With one, reading stops there.
            let last = c.head.min(bounds.seq_max);
            let bounded = bounds.seq_max <= c.head;
            let step = (last + 1 - bounds.seq_min).div_ceil(per_chain).max(1);
            let mut from = bounds.seq_min;
            while from <= last {
                let last_range = from + step > last;
                out.push(Arc::new(ChainPartition {
                    store: c.store.clone(),
                    chain_id: c.chain_id.clone(),
                    from,
                    to: (!last_range || bounded).then_some((from + step).min(last + 1)),
                    head: c.head,
                    time: bounds.time,
                    projection: Arc::clone(projection),
                    schema: Arc::clone(schema),
                }));
                from += step;
            }
        }
        out
    }
}

#[async_trait]
impl TableProvider for AccessTable {
    fn schema(&self) -> SchemaRef {
        access_schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let all: Vec<usize> = (0..access_schema().fields().len()).collect();
        let indices: Arc<[usize]> = projection.unwrap_or(&all).as_slice().into();
        let schema = Arc::new(access_schema().project(&indices)?);
        let wanted = wanted_chains(filters);
        let bounds = Bounds::from_filters(filters);
        let target = state.config().target_partitions();
        let parts = self.partitions(&indices, &schema, wanted.as_ref(), &bounds, target);
        let mut plans: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
        if !parts.is_empty() {
            let exec = StreamingTableExec::try_new(
                Arc::clone(&schema),
                parts,
                None,
                vec![],
                false,
                limit,
            )?;
            plans.push(Arc::new(exec));
        }
        for p in &self.parquet {
            plans.push(p.scan(state, projection, filters, limit).await?);
        }
        if plans.is_empty() {
            return Ok(Arc::new(EmptyExec::new(schema)));
        }
        UnionExec::try_new(plans)
    }
}

/// The chain ids a conjunct `chain_id = 'x'` or `chain_id IN ('x', ...)` restricts the
/// query to (the intersection when there are several), or `None` for all chains.
fn wanted_chains(filters: &[Expr]) -> Option<BTreeSet<String>> {
    let mut wanted: Option<BTreeSet<String>> = None;
    for f in filters {
        if let Some(set) = chain_values(f) {
            wanted = Some(match wanted {
                Some(w) => w.intersection(&set).cloned().collect(),
                None => set,
            });
        }
    }
    wanted
}

fn chain_values(e: &Expr) -> Option<BTreeSet<String>> {
    let is_chain = |e: &Expr| matches!(e, Expr::Column(c) if c.name == "chain_id");
    let text = |e: &Expr| match e {
        Expr::Literal(v, _) => v.try_as_str().flatten().map(str::to_owned),
        _ => None,
    };
    match e {
        Expr::BinaryExpr(b) if b.op == Operator::Eq => {
            let v = match (is_chain(&b.left), is_chain(&b.right)) {
                (true, false) => text(&b.right),
                (false, true) => text(&b.left),
                _ => None,
            }?;
            Some(BTreeSet::from([v]))
        }
        Expr::InList(l) if !l.negated && is_chain(&l.expr) => {
            l.list.iter().map(text).collect::<Option<BTreeSet<_>>>()
        }
        _ => None,
    }
}
