//! Archive files back into records: each Parquet row becomes the [`Row`] the verifier
//! takes, rebuilt field by field from the `access` columns. A row that cannot be read
//! back (an unknown enum name, a hash of the wrong width) is a malformed record, as in
//! a database: evidence, not an I/O error.

use crate::Error;
use crate::archive::manifest::io;
use datafusion::arrow::array::{
    Array, AsArray, FixedSizeBinaryArray, Int64Array, ListArray, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::Path;
use zegel_audit::store::rows::Row;
use zegel_audit::{Event, SealedRecord};

/// Reads every row of an archive file, in file order, as (chain id, row).
pub fn read_file(path: &Path) -> Result<Vec<(String, Row)>, Error> {
    let f = std::fs::File::open(path).map_err(|e| io(path, &e))?;
    let bad = |e: &dyn std::fmt::Display| Error::Usage(format!("{}: {e}", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(|e| bad(&e))?
        .with_batch_size(8192)
        .build()
        .map_err(|e| bad(&e))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| bad(&e))?;
        rows_of(&batch, &mut out).map_err(|e| bad(&e))?;
    }
    Ok(out)
}

struct Columns<'a> {
    batch: &'a RecordBatch,
}

impl<'a> Columns<'a> {
    fn get(&self, name: &str) -> Result<&'a dyn Array, String> {
        self.batch
            .column_by_name(name)
            .map(|c| c.as_ref())
            .ok_or_else(|| format!("no column {name}"))
    }
    fn text(&self, name: &str) -> Result<&'a StringArray, String> {
        self.get(name)?
            .as_string_opt::<i32>()
            .ok_or_else(|| format!("column {name} is not text"))
    }
    fn int(&self, name: &str) -> Result<&'a Int64Array, String> {
        self.get(name)?
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| format!("column {name} is not Int64"))
    }
}

fn rows_of(batch: &RecordBatch, out: &mut Vec<(String, Row)>) -> Result<(), String> {
    let c = Columns { batch };
    let chain = c.text("chain_id")?;
    let seq = c.int("seq")?;
    let time: &TimestampMicrosecondArray = c
        .get("time")?
        .as_primitive_opt::<TimestampMicrosecondType>()
        .ok_or("column time is not a microsecond timestamp")?;
    let roles: &ListArray = c.get("roles")?.as_list_opt::<i32>().ok_or("roles")?;
    let hash: &FixedSizeBinaryArray = c
        .get("hash")?
        .as_fixed_size_binary_opt()
        .ok_or("column hash is not fixed-size binary")?;
    for i in 0..batch.num_rows() {
        let seq_v = (!seq.is_null(i))
            .then(|| seq.value(i))
            .and_then(|s| u64::try_from(s).ok());
        let row = match record(&c, i, time, roles, hash, seq_v) {
            Ok(r) => Row::Record(r),
            Err(detail) => Row::Malformed { seq: seq_v, detail },
        };
        let chain_id = if chain.is_null(i) { "" } else { chain.value(i) };
        out.push((chain_id.to_owned(), row));
    }
    Ok(())
}

fn record(
    c: &Columns<'_>,
    i: usize,
    time: &TimestampMicrosecondArray,
    roles: &ListArray,
    hash: &FixedSizeBinaryArray,
    seq: Option<u64>,
) -> Result<SealedRecord, String> {
    let seq = seq.ok_or("column seq: missing or negative")?;
    if time.is_null(i) || hash.is_null(i) || roles.is_null(i) {
        return Err("time, roles or hash is null".into());
    }
    let text = |name: &str| -> Result<Option<String>, String> {
        let a = c.text(name)?;
        Ok((!a.is_null(i)).then(|| a.value(i).to_owned()))
    };
    let int = |name: &str| -> Result<Option<i64>, String> {
        let a = c.int(name)?;
        Ok((!a.is_null(i)).then(|| a.value(i)))
    };
    let kind = text("kind")?.ok_or("column kind is null")?;
    let mut e = Event::new(
        kind.parse().map_err(|e| format!("column kind: {e}"))?,
        time.value(i),
    );
    let list = roles.value(i);
    let list = list.as_string_opt::<i32>().ok_or("roles are not text")?;
    e.roles = list
        .iter()
        .map(|r| r.unwrap_or_default().to_owned())
        .collect();
    e.request_id = text("request_id")?;
    e.user_id = text("user_id")?;
    e.user_name = text("user_name")?;
    e.organisation = text("organisation")?;
    e.department = text("department")?;
    e.responsible_user = text("responsible_user")?;
    e.purpose_of_use = text("purpose_of_use")?;
    e.access_point = text("access_point")?;
    e.application = text("application")?;
    e.method = text("method")?;
    e.path = text("path")?;
    e.raw_path = text("raw_path")?;
    e.interaction = text("interaction")?;
    e.action = parse(text("action")?, "action")?;
    e.resource_type = text("resource_type")?;
    e.resource_id = text("resource_id")?;
    e.patient_id = text("patient_id")?;
    e.patient_id_system = text("patient_id_system")?;
    e.decision = parse(text("decision")?, "decision")?;
    e.rule = text("rule")?;
    e.reason = text("reason")?;
    e.emergency_justification = text("emergency_justification")?;
    e.policy_version = text("policy_version")?;
    e.status = int("status")?;
    e.bytes = int("bytes")?;
    e.duration_us = int("duration_us")?;
    e.links_seq = int("links_seq")?;
    e.detail = text("detail")?;
    let hash: [u8; 32] = hash
        .value(i)
        .try_into()
        .map_err(|_| "column hash is not 32 bytes".to_owned())?;
    Ok(SealedRecord::new(seq, e, hash))
}

fn parse<T: std::str::FromStr>(v: Option<String>, col: &str) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    v.map(|s| s.parse().map_err(|e| format!("column {col}: {e}")))
        .transpose()
}
