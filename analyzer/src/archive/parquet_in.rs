//! Archive files back into records: each Parquet row becomes the [`Row`] the verifier
//! takes, rebuilt field by field from the `access` columns. A row that cannot be read
//! back (an unknown enum name, a hash of the wrong width) is a malformed record, as in
//! a database: evidence, not an I/O error.
//!
//! Rows stream a batch at a time; each batch's columns are looked up and type-checked
//! once, not per row and field.

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
use zegel_audit::{Event, EventKind, SealedRecord};

/// Reads every row of an archive file in file order and hands each to `f` as (chain
/// id, row). The row is rebuilt in place for the next one: `f` borrows it.
pub fn for_each_row(path: &Path, mut f: impl FnMut(&str, &Row)) -> Result<(), Error> {
    let file = std::fs::File::open(path).map_err(|e| io(path, &e))?;
    let bad = |e: &dyn std::fmt::Display| Error::Usage(format!("{}: {e}", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| bad(&e))?
        .with_batch_size(8192)
        .build()
        .map_err(|e| bad(&e))?;
    let mut slot = Slot::default();
    for batch in reader {
        let batch = batch.map_err(|e| bad(&e))?;
        let cols = Columns::of(&batch).map_err(|e| bad(&e))?;
        for i in 0..batch.num_rows() {
            let chain_id = if cols.chain.is_null(i) {
                ""
            } else {
                cols.chain.value(i)
            };
            f(chain_id, cols.row(i, &mut slot));
        }
    }
    Ok(())
}

/// The row handed out, rebuilt in place from row to row so that its strings keep their
/// allocations (a field absent in this row lends its string to `spare`).
struct Slot {
    row: Row,
    spare: Vec<String>,
}

impl Default for Slot {
    fn default() -> Self {
        let event = Event::new(EventKind::Access, 0);
        Slot {
            row: Row::Record(SealedRecord::new(0, event, [0; 32])),
            spare: Vec::new(),
        }
    }
}

/// The columns of one batch, typed.
struct Columns<'a> {
    chain: &'a StringArray,
    seq: &'a Int64Array,
    time: &'a TimestampMicrosecondArray,
    kind: &'a StringArray,
    roles: &'a ListArray,
    role_names: &'a StringArray,
    hash: &'a FixedSizeBinaryArray,
    text: [&'a StringArray; TEXTS.len()],
    action: &'a StringArray,
    decision: &'a StringArray,
    int: [&'a Int64Array; INTS.len()],
    detail: &'a StringArray,
}

/// The text columns set with [`set_text`], in that order.
const TEXTS: [&str; 21] = [
    "request_id",
    "user_id",
    "user_name",
    "organisation",
    "department",
    "responsible_user",
    "purpose_of_use",
    "access_point",
    "application",
    "method",
    "path",
    "raw_path",
    "interaction",
    "resource_type",
    "resource_id",
    "patient_id",
    "patient_id_system",
    "rule",
    "reason",
    "emergency_justification",
    "policy_version",
];

/// The integer columns, in the order of [`set_int`].
const INTS: [&str; 4] = ["status", "bytes", "duration_us", "links_seq"];

fn text_field(e: &mut Event, i: usize) -> &mut Option<String> {
    match i {
        0 => &mut e.request_id,
        1 => &mut e.user_id,
        2 => &mut e.user_name,
        3 => &mut e.organisation,
        4 => &mut e.department,
        5 => &mut e.responsible_user,
        6 => &mut e.purpose_of_use,
        7 => &mut e.access_point,
        8 => &mut e.application,
        9 => &mut e.method,
        10 => &mut e.path,
        11 => &mut e.raw_path,
        12 => &mut e.interaction,
        13 => &mut e.resource_type,
        14 => &mut e.resource_id,
        15 => &mut e.patient_id,
        16 => &mut e.patient_id_system,
        17 => &mut e.rule,
        18 => &mut e.reason,
        19 => &mut e.emergency_justification,
        _ => &mut e.policy_version,
    }
}

fn int_field(e: &mut Event, i: usize) -> &mut Option<i64> {
    match i {
        0 => &mut e.status,
        1 => &mut e.bytes,
        2 => &mut e.duration_us,
        _ => &mut e.links_seq,
    }
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a dyn Array, String> {
    batch
        .column_by_name(name)
        .map(|c| c.as_ref())
        .ok_or_else(|| format!("no column {name}"))
}

fn text<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringArray, String> {
    column(batch, name)?
        .as_string_opt::<i32>()
        .ok_or_else(|| format!("column {name} is not text"))
}

fn int<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Int64Array, String> {
    column(batch, name)?
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| format!("column {name} is not Int64"))
}

impl<'a> Columns<'a> {
    fn of(batch: &'a RecordBatch) -> Result<Self, String> {
        let roles: &ListArray = column(batch, "roles")?
            .as_list_opt::<i32>()
            .ok_or("column roles is not a list")?;
        let mut texts = Vec::with_capacity(TEXTS.len());
        for name in TEXTS {
            texts.push(text(batch, name)?);
        }
        let mut ints = Vec::with_capacity(INTS.len());
        for name in INTS {
            ints.push(int(batch, name)?);
        }
        Ok(Columns {
            chain: text(batch, "chain_id")?,
            seq: int(batch, "seq")?,
            time: column(batch, "time")?
                .as_primitive_opt::<TimestampMicrosecondType>()
                .ok_or("column time is not a microsecond timestamp")?,
            kind: text(batch, "kind")?,
            role_names: roles
                .values()
                .as_string_opt::<i32>()
                .ok_or("column roles is not a list of text")?,
            roles,
            hash: column(batch, "hash")?
                .as_fixed_size_binary_opt()
                .ok_or("column hash is not fixed-size binary")?,
            text: texts.try_into().map_err(|_| "text columns")?,
            action: text(batch, "action")?,
            decision: text(batch, "decision")?,
            int: ints.try_into().map_err(|_| "integer columns")?,
            detail: text(batch, "detail")?,
        })
    }

    /// Row `i`, built in `slot` (or a malformed row).
    fn row<'s>(&self, i: usize, slot: &'s mut Slot) -> &'s Row {
        let seq = (!self.seq.is_null(i))
            .then(|| self.seq.value(i))
            .and_then(|s| u64::try_from(s).ok());
        if !matches!(slot.row, Row::Record(_)) {
            slot.row = Slot::default().row;
        }
        let Row::Record(rec) = &mut slot.row else {
            return &slot.row;
        };
        if let Err(detail) = self.fill(i, seq, rec, &mut slot.spare) {
            slot.row = Row::Malformed { seq, detail };
        }
        &slot.row
    }

    fn fill(
        &self,
        i: usize,
        seq: Option<u64>,
        rec: &mut SealedRecord,
        spare: &mut Vec<String>,
    ) -> Result<(), String> {
        rec.seq = seq.ok_or("column seq: missing or negative")?;
        if self.time.is_null(i) || self.hash.is_null(i) || self.roles.is_null(i) {
            return Err("time, roles or hash is null".into());
        }
        let kind = value(self.kind, i).ok_or("column kind is null")?;
        let e = &mut rec.event;
        e.kind = kind.parse().map_err(|e| format!("column kind: {e}"))?;
        e.time_us = self.time.value(i);
        let offsets = self.roles.value_offsets();
        let (from, to) = (offsets[i] as usize, offsets[i + 1] as usize);
        spare.append(&mut e.roles);
        for r in from..to {
            let mut s = spare.pop().unwrap_or_default();
            s.clear();
            s.push_str(value(self.role_names, r).unwrap_or_default());
            e.roles.push(s);
        }
        for (n, col) in self.text.iter().enumerate() {
            assign(text_field(e, n), value(col, i), spare);
        }
        e.action = parse(value(self.action, i), "action")?;
        e.decision = parse(value(self.decision, i), "decision")?;
        for (n, col) in self.int.iter().enumerate() {
            *int_field(e, n) = (!col.is_null(i)).then(|| col.value(i));
        }
        assign(&mut e.detail, value(self.detail, i), spare);
        rec.hash = self
            .hash
            .value(i)
            .try_into()
            .map_err(|_| "column hash is not 32 bytes".to_owned())?;
        Ok(())
    }
}

/// Sets `field` to `v`, reusing its string or one from `spare`.
fn assign(field: &mut Option<String>, v: Option<&str>, spare: &mut Vec<String>) {
    match (field.as_mut(), v) {
        (Some(s), Some(v)) => {
            s.clear();
            s.push_str(v);
        }
        (None, Some(v)) => {
            let mut s = spare.pop().unwrap_or_default();
            s.clear();
            s.push_str(v);
            *field = Some(s);
        }
        (Some(_), None) => spare.extend(field.take()),
        (None, None) => {}
    }
}

fn value(a: &StringArray, i: usize) -> Option<&str> {
    (!a.is_null(i)).then(|| a.value(i))
}

fn parse<T: std::str::FromStr>(v: Option<&str>, col: &str) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    v.map(|s| s.parse().map_err(|e| format!("column {col}: {e}")))
        .transpose()
}
