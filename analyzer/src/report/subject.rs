//! Reports about one patient or one user read the sources once.
//!
//! Every section of `patient-access`, `record-access` and `employee-access` starts from
//! the same rows: the period's access records of that patient (`patient_id = $patient
//! AND kind = 'access'`) or that user. Run one after the other, each section would scan
//! the sources again: at 100M records that is 430 Parquet files' footers, page indexes
//! and bloom filters per section (and a full scan of a database source). Instead those
//! rows, with the columns the sections use, are read once, held in memory, and `period`
//! is replaced by them for the report's sections. The sections' SQL stays as
//! documented: their own subject filter is then true for every row, so they give
//! exactly what they give over the sources.
//!
//! The rows are held under the session's memory pool and at most [`CAP`] bytes. One
//! patient's records are few; a user with more than that (a service account) keeps the
//! plain view, and each section reads the sources itself.

use super::Options;
use super::period::PERIOD;
use crate::cli::ReportName;
use crate::{Error, query};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, UInt32Array};
use datafusion::arrow::compute::take_record_batch;
use datafusion::arrow::datatypes::DataType;
use datafusion::datasource::MemTable;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::prelude::SessionContext;
use futures_util::StreamExt;
use std::sync::Arc;

/// The most bytes of a subject's rows held in memory.
pub const CAP: usize = 256 << 20;

/// The rows of one patient, the filter every section of the patient reports starts
/// with, and the columns those sections use (all of them would decode the hashes,
/// request ids and paths of every page the rows are on: twice the time at 10M records).
pub const PATIENT_ROWS: &str = "\
SELECT chain_id, seq, kind, local_time, day, patient_id, user_id, user_name, roles,
       organisation, department, responsible_user, purpose_of_use, access_point,
       application, resource_type, interaction, action, decision, emergency_justification,
       reason
FROM period
WHERE patient_id = $patient AND kind = 'access'";

/// The rows of one user, the filter every section of `employee-access` starts with, and
/// the columns those sections use.
pub const USER_ROWS: &str = "\
SELECT chain_id, seq, kind, local_time, day, user_id, patient_id, roles, department,
       access_point, application, resource_type, resource_id, interaction, action,
       decision, emergency_justification, reason
FROM period
WHERE user_id = $user AND kind = 'access'";

/// The filter a report's sections all start with, and the parameter it takes.
pub fn scope(name: ReportName) -> Option<(&'static str, &'static str)> {
    match name {
        ReportName::PatientAccess | ReportName::RecordAccess => Some((PATIENT_ROWS, "patient")),
        ReportName::EmployeeAccess => Some((USER_ROWS, "user")),
        _ => None,
    }
}

/// Replaces `period` by the subject's rows when the report has a subject and they fit
/// in `cap` bytes (and the pool). The reservation returned accounts for them: keep it
/// while the sections run. `None`: `period` is unchanged.
pub async fn narrow(
    ctx: &SessionContext,
    opts: &Options,
    cap: usize,
) -> Result<Option<MemoryReservation>, Error> {
    let Some((sql, param)) = scope(opts.name).filter(|_| cap > 0) else {
        return Ok(None);
    };
    let params: Vec<_> = (opts.params().into_iter())
        .filter(|(name, _)| *name == param)
        .collect();
    let df = match ctx.sql(sql).await {
        Ok(df) => df.with_param_values(params)?,
        Err(e) => return Err(query::sql_error(ctx, &e).await),
    };
    let mut stream = df.execute_stream().await?;
    let schema = stream.schema();
    let pool = &ctx.runtime_env().memory_pool;
    let reservation = MemoryConsumer::new("report subject rows").register(pool);
    let mut batches = Vec::new();
    while let Some(batch) = stream.next().await {
        let batch = compact(&batch.map_err(|e| query::run_error(&e))?)?;
        let bytes = batch.get_array_memory_size();
        if reservation.size() + bytes > cap || reservation.try_grow(bytes).is_err() {
            tracing::debug!(held = reservation.size(), "subject rows exceed the cap");
            return Ok(None);
        }
        batches.push(batch);
    }
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let (count, bytes) = (batches.len(), reservation.size());
    tracing::debug!(rows, batches = count, bytes, "subject rows held");
    let parts = ctx.state().config().target_partitions().max(1);
    let mut partitions = vec![Vec::new(); parts.min(batches.len()).max(1)];
    let n = partitions.len();
    for (i, b) in batches.into_iter().enumerate() {
        partitions[i % n].push(b);
    }
    let table = MemTable::try_new(schema, partitions)?;
    ctx.deregister_table(PERIOD)?;
    ctx.register_table(PERIOD, Arc::new(table))?;
    Ok(Some(reservation))
}

/// The batch copied into buffers of its own size. A batch of a few rows from a filtered
/// scan may keep buffers sized for thousands (a coalescer's capacity, a view array's
/// page of text): counted as held, those made a user's 65,716 rows at 100M records
/// look like 268 MB.
fn compact(batch: &RecordBatch) -> Result<RecordBatch, Error> {
    let rows = u32::try_from(batch.num_rows())
        .map_err(|_| Error::Query("a batch of more than 2^32 rows".into()))?;
    let copied = take_record_batch(batch, &UInt32Array::from_iter_values(0..rows))?;
    let columns: Vec<ArrayRef> = (copied.columns().iter())
        .map(|c| match c.data_type() {
            DataType::Utf8View => Arc::new(c.as_string_view().gc()) as ArrayRef,
            DataType::BinaryView => Arc::new(c.as_binary_view().gc()) as ArrayRef,
            _ => Arc::clone(c),
        })
        .collect();
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{BooleanArray, Int64Builder, StringViewArray};
    use datafusion::arrow::compute::filter;
    use datafusion::arrow::datatypes::{Field, Schema};

    /// Three rows kept of 10,000 hold neither the text of the others nor the room a
    /// builder made for them.
    #[test]
    fn compacted_rows_hold_only_their_own_bytes() {
        let text = StringViewArray::from_iter_values((0..10_000).map(|i| format!("{i:>40}")));
        let keep = BooleanArray::from_iter((0..10_000).map(|i| Some(i % 4000 == 7)));
        let text = filter(&text, &keep).expect("filter");
        let mut n = Int64Builder::with_capacity(100_000);
        n.append_slice(&[7, 4007, 8007]);
        let schema = Arc::new(Schema::new(vec![
            Field::new("text", DataType::Utf8View, true),
            Field::new("n", DataType::Int64, false),
        ]));
        let few = RecordBatch::try_new(schema, vec![text, Arc::new(n.finish())]).expect("batch");
        let small = compact(&few).expect("compact");
        assert_eq!(small, few, "the same rows");
        let (before, after) = (few.get_array_memory_size(), small.get_array_memory_size());
        assert!(before > 1_000_000, "shared page and spare room: {before}");
        assert!(after < 2_000, "compacted: {after} bytes for 3 rows");
    }

    /// Each report with a subject: every section's SQL reads `period` and starts with
    /// the same filter, so narrowing `period` to it changes no section's rows.
    #[test]
    fn every_section_of_a_subject_report_filters_on_its_subject() {
        for (name, specs) in [
            (
                ReportName::PatientAccess,
                &super::super::patient_access::SECTIONS[..],
            ),
            (
                ReportName::RecordAccess,
                &super::super::record_access::SECTIONS[..],
            ),
            (
                ReportName::EmployeeAccess,
                &super::super::employee_access::SECTIONS[..],
            ),
        ] {
            let (rows, _) = scope(name).expect("a subject report");
            let filter = rows.split_once("WHERE ").expect("a filter").1;
            let filter = filter.replace('\n', " ");
            for spec in specs {
                let sql = spec.sql.replace("a.", "");
                assert!(
                    sql.replace('\n', " ").contains(&filter),
                    "{}: does not filter on `{filter}`",
                    spec.id
                );
                let lower = sql.to_ascii_lowercase();
                assert!(
                    !lower.contains("from access") && !lower.contains("join access"),
                    "{}: reads the access table itself",
                    spec.id
                );
            }
        }
    }
}
