//! Archive files back into records: each Parquet row is read in place, as the
//! [`Fields`] of a record the verifier hashes and checks, without building an `Event`
//! per row. A row that cannot be read back (an unknown enum name, a hash of the wrong
//! width, a null where the format has none) is a malformed record, as in a database:
//! evidence, not an I/O error.
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
use zegel_audit::fields::{Fields, Int, Text};
use zegel_audit::{Action, Decision, EventKind, Hash};

/// One row of an archive file: a record's place, fields and stored hash.
pub struct ArchiveRow<'a> {
    /// Sequence number.
    pub seq: u64,
    /// Stored hash.
    pub hash: Hash,
    fields: RowFields<'a>,
}

impl ArchiveRow<'_> {
    /// The record's fields, read from the columns.
    pub fn fields(&self) -> &impl Fields {
        &self.fields
    }
}

/// A row that cannot be a record: its sequence number when readable, and why.
pub struct Malformed {
    /// Sequence number, when the column holds one.
    pub seq: Option<u64>,
    /// What is wrong.
    pub detail: String,
}

/// Reads every row of an archive file in file order and hands each to `f` with its
/// chain id.
pub fn for_each_row(
    path: &Path,
    mut f: impl FnMut(&str, Result<ArchiveRow<'_>, Malformed>),
) -> Result<(), Error> {
    let file = std::fs::File::open(path).map_err(|e| io(path, &e))?;
    let bad = |e: &dyn std::fmt::Display| Error::Usage(format!("{}: {e}", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| bad(&e))?
        .with_batch_size(8192)
        .build()
        .map_err(|e| bad(&e))?;
    for batch in reader {
        let batch = batch.map_err(|e| bad(&e))?;
        let cols = Columns::of(&batch).map_err(|e| bad(&e))?;
        for i in 0..batch.num_rows() {
            let chain_id = if cols.chain.is_null(i) {
                ""
            } else {
                cols.chain.value(i)
            };
            f(chain_id, cols.row(i));
        }
    }
    Ok(())
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
    /// Indexed by the position of the field in [`Text::ALL`].
    text: Vec<&'a StringArray>,
    action: &'a StringArray,
    decision: &'a StringArray,
    /// Indexed by the position of the field in [`Int::ALL`].
    int: Vec<&'a Int64Array>,
}

/// The fields of row `i`, with its enums already parsed (a row whose names are not the
/// format's is malformed before it is hashed).
struct RowFields<'a> {
    cols: &'a Columns<'a>,
    i: usize,
    kind: EventKind,
    action: Option<Action>,
    decision: Option<Decision>,
}

impl Fields for RowFields<'_> {
    fn time_us(&self) -> i64 {
        self.cols.time.value(self.i)
    }

    fn kind(&self) -> EventKind {
        self.kind
    }

    #[inline]
    fn text(&self, t: Text) -> Option<&str> {
        value(self.cols.text[t as usize], self.i)
    }

    fn roles(&self) -> impl ExactSizeIterator<Item = &str> {
        let offsets = self.cols.roles.value_offsets();
        let (from, to) = (offsets[self.i] as usize, offsets[self.i + 1] as usize);
        (from..to).map(|r| self.cols.role_names.value(r))
    }

    fn action(&self) -> Option<Action> {
        self.action
    }

    fn decision(&self) -> Option<Decision> {
        self.decision
    }

    #[inline]
    fn int(&self, n: Int) -> Option<i64> {
        let col = self.cols.int[n as usize];
        (!col.is_null(self.i)).then(|| col.value(self.i))
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
        let texts = (Text::ALL.iter())
            .map(|t| text(batch, t.name()))
            .collect::<Result<_, _>>()?;
        let ints = (Int::ALL.iter())
            .map(|n| int(batch, n.name()))
            .collect::<Result<_, _>>()?;
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
            text: texts,
            action: text(batch, "action")?,
            decision: text(batch, "decision")?,
            int: ints,
        })
    }

    /// Row `i` (or why it is malformed).
    fn row(&'a self, i: usize) -> Result<ArchiveRow<'a>, Malformed> {
        let seq = (!self.seq.is_null(i))
            .then(|| self.seq.value(i))
            .and_then(|s| u64::try_from(s).ok());
        let malformed = |detail: String| Malformed { seq, detail };
        let seq = seq.ok_or_else(|| malformed("column seq: missing or negative".into()))?;
        if self.time.is_null(i) || self.hash.is_null(i) || self.roles.is_null(i) {
            return Err(malformed("time, roles or hash is null".into()));
        }
        let offsets = self.roles.value_offsets();
        let (from, to) = (offsets[i] as usize, offsets[i + 1] as usize);
        if self.role_names.null_count() > 0 && (from..to).any(|r| self.role_names.is_null(r)) {
            return Err(malformed("column roles holds a null role".into()));
        }
        let kind = value(self.kind, i).ok_or_else(|| malformed("column kind is null".into()))?;
        let fields = RowFields {
            cols: self,
            i,
            kind: kind
                .parse()
                .map_err(|e| malformed(format!("column kind: {e}")))?,
            action: parse(value(self.action, i), "action").map_err(malformed)?,
            decision: parse(value(self.decision, i), "decision").map_err(malformed)?,
        };
        let hash = (self.hash.value(i).try_into())
            .map_err(|_| malformed("column hash is not 32 bytes".into()))?;
        Ok(ArchiveRow { seq, hash, fields })
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
