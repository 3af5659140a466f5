//! Archive files back into records: each Parquet row is read in place, as the
//! [`Fields`] of a record the verifier checks, with its canonical encoding written from
//! the same columns (`encoded.rs`) for the verifier to hash, without building an `Event`
//! per row. A row that cannot be read back (an unknown enum name, a hash of the wrong
//! width, a null where the format has none) is a malformed record, as in a database:
//! evidence, not an I/O error.
//!
//! Rows stream a batch at a time; each batch's columns are looked up and type-checked
//! once, not per row and field.

use super::encoded::{CHUNK, Encoder, Plan, Tables};
use crate::Error;
use bytes::Bytes;
use datafusion::arrow::array::{
    Array, AsArray, FixedSizeBinaryArray, Int32Array, Int64Array, ListArray, OffsetSizeTrait,
    RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{
    DataType, Field, Int32Type, Int64Type, Schema, SchemaRef, TimestampMicrosecondType,
};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use std::path::Path;
use std::sync::Arc;
use zegel_audit::fields::{self, Fields, Int, Text};
use zegel_audit::record::{MAX_FIELD_BYTES, MAX_ROLES};
use zegel_audit::{Action, Decision, EventKind, Hash};

/// One row of an archive file: a record's place, fields, canonical encoding and stored
/// hash.
pub struct ArchiveRow<'a> {
    /// Sequence number.
    pub seq: u64,
    /// Stored hash.
    pub hash: Hash,
    fields: RowFields<'a>,
    encoding: &'a [u8],
}

impl ArchiveRow<'_> {
    /// The record's fields, read from the columns.
    pub fn fields(&self) -> &impl Fields {
        &self.fields
    }

    /// `encode(seq, fields)`: the canonical encoding of the record, made from the same
    /// columns as [`ArchiveRow::fields`] (see `encoded.rs`).
    pub fn encoding(&self) -> &[u8] {
        self.encoding
    }
}

/// A row that cannot be a record: its sequence number when readable, and why.
pub struct Malformed {
    /// Sequence number, when the column holds one.
    pub seq: Option<u64>,
    /// What is wrong.
    pub detail: String,
}

/// Reads every row of the archive file `path`, whose content is `file`, in file order
/// and hands each to `f` with its chain id.
pub fn for_each_row(
    path: &Path,
    file: Bytes,
    mut f: impl FnMut(&str, Result<ArchiveRow<'_>, Malformed>),
) -> Result<(), Error> {
    let bad = |e: &dyn std::fmt::Display| Error::Usage(format!("{}: {e}", path.display()));
    let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).map_err(|e| bad(&e))?;
    let hint = ArrowReaderOptions::new().with_schema(dictionary_hint(meta.schema()));
    let meta = ArrowReaderMetadata::try_new(meta.metadata().clone(), hint).map_err(|e| bad(&e))?;
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta)
        .with_batch_size(8192)
        .build()
        .map_err(|e| bad(&e))?;
    let (mut encoder, mut tables) = (Encoder::default(), Tables::default());
    for batch in reader {
        let batch = batch.map_err(|e| bad(&e))?;
        let cols = Columns::of(&batch).map_err(|e| bad(&e))?;
        let plan = Plan::of(&cols, &mut tables);
        for from in (0..batch.num_rows()).step_by(CHUNK) {
            let rows = from..(from + CHUNK).min(batch.num_rows());
            encoder.encode(&plan, &cols, rows.clone());
            for i in rows {
                let chain_id = cols.chain.value(i).unwrap_or_default();
                f(chain_id, cols.row(i, encoder.row(i - from)));
            }
        }
    }
    Ok(())
}

/// Text columns whose values are (nearly) unique per row: read plain. Every other text
/// column repeats few values within a file and is read as a dictionary: each distinct
/// value is decoded (and checked) once per page instead of copied out for every row.
const PLAIN: [&str; 2] = ["request_id", "path"];

/// The file's schema with its text columns, apart from [`PLAIN`], as dictionaries of
/// text.
pub(super) fn dictionary_hint(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<Field> = (schema.fields().iter())
        .map(|f| match f.data_type() {
            DataType::Utf8 if !PLAIN.contains(&f.name().as_str()) => {
                let dict =
                    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
                f.as_ref().clone().with_data_type(dict)
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// A text column, plain or as a dictionary, or null in every row of the batch (as the
/// rarer fields are in most batches: their rows then cost no lookups).
#[derive(Clone, Copy)]
pub(super) enum TextColumn<'a> {
    Null,
    Plain(&'a StringArray),
    Dictionary {
        keys: &'a Int32Array,
        values: &'a StringArray,
    },
}

impl<'a> TextColumn<'a> {
    #[inline(always)]
    fn value(self, i: usize) -> Option<&'a str> {
        match self {
            TextColumn::Null => None,
            TextColumn::Plain(a) => (!a.is_null(i)).then(|| a.value(i)),
            TextColumn::Dictionary { keys, values } => {
                let k = (!keys.is_null(i)).then(|| keys.value(i))?;
                let k = usize::try_from(k).ok().filter(|&k| k < values.len())?;
                (!values.is_null(k)).then(|| values.value(k))
            }
        }
    }

    /// The strings the column's values are taken from (none when it is all null).
    fn strings(self) -> Option<&'a StringArray> {
        match self {
            TextColumn::Null => None,
            TextColumn::Plain(a) => Some(a),
            TextColumn::Dictionary { values, .. } => Some(values),
        }
    }
}

/// The columns of one batch, typed.
pub(super) struct Columns<'a> {
    chain: TextColumn<'a>,
    pub(super) seq: &'a Int64Array,
    pub(super) time: &'a TimestampMicrosecondArray,
    pub(super) kind: EnumColumn<'a, EventKind>,
    pub(super) roles: &'a ListArray,
    pub(super) role_names: &'a StringArray,
    hash: &'a FixedSizeBinaryArray,
    /// Indexed by the position of the field in [`Text::ALL`].
    pub(super) text: [TextColumn<'a>; Text::ALL.len()],
    pub(super) action: EnumColumn<'a, Action>,
    pub(super) decision: EnumColumn<'a, Decision>,
    /// Indexed by the position of the field in [`Int::ALL`].
    pub(super) int: [&'a Int64Array; Int::ALL.len()],
    /// Whether every row of the batch keeps the rules of [`fields::check`], as found for
    /// the whole batch at once (see [`Columns::rules_kept`]).
    rules_kept: bool,
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

    #[inline(always)]
    fn text(&self, t: Text) -> Option<&str> {
        self.cols.text[t as usize].value(self.i)
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

    #[inline(always)]
    fn int(&self, n: Int) -> Option<i64> {
        let col = self.cols.int[n as usize];
        (!col.is_null(self.i)).then(|| col.value(self.i))
    }

    fn rules_kept(&self) -> Result<(), String> {
        if self.cols.rules_kept {
            return Ok(());
        }
        fields::check(self)
    }
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a dyn Array, String> {
    batch
        .column_by_name(name)
        .map(|c| c.as_ref())
        .ok_or_else(|| format!("no column {name}"))
}

fn text<'a>(batch: &'a RecordBatch, name: &str) -> Result<TextColumn<'a>, String> {
    let col = column(batch, name)?;
    let all_null = !col.is_empty() && col.logical_null_count() == col.len();
    if let Some(a) = col.as_string_opt::<i32>() {
        return Ok(if all_null {
            TextColumn::Null
        } else {
            TextColumn::Plain(a)
        });
    }
    let dict = col.as_dictionary_opt::<Int32Type>();
    match dict.and_then(|d| Some((d.keys(), d.values().as_string_opt::<i32>()?))) {
        Some(_) if all_null => Ok(TextColumn::Null),
        Some((keys, values)) => Ok(TextColumn::Dictionary { keys, values }),
        None => Err(format!("column {name} is not text")),
    }
}

fn int<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Int64Array, String> {
    column(batch, name)?
        .as_primitive_opt::<Int64Type>()
        .ok_or_else(|| format!("column {name} is not Int64"))
}

impl<'a> Columns<'a> {
    pub(super) fn of(batch: &'a RecordBatch) -> Result<Self, String> {
        let roles: &ListArray = column(batch, "roles")?
            .as_list_opt::<i32>()
            .ok_or("column roles is not a list")?;
        let texts: Vec<TextColumn> = (Text::ALL.iter())
            .map(|t| text(batch, t.name()))
            .collect::<Result<_, _>>()?;
        let ints: Vec<&Int64Array> = (Int::ALL.iter())
            .map(|n| int(batch, n.name()))
            .collect::<Result<_, _>>()?;
        let mut cols = Columns {
            chain: text(batch, "chain_id")?,
            seq: int(batch, "seq")?,
            time: column(batch, "time")?
                .as_primitive_opt::<TimestampMicrosecondType>()
                .ok_or("column time is not a microsecond timestamp")?,
            kind: EnumColumn::of(text(batch, "kind")?, "kind"),
            role_names: roles
                .values()
                .as_string_opt::<i32>()
                .ok_or("column roles is not a list of text")?,
            roles,
            hash: column(batch, "hash")?
                .as_fixed_size_binary_opt()
                .ok_or("column hash is not fixed-size binary")?,
            text: texts.try_into().map_err(|_| "text columns")?,
            action: EnumColumn::of(text(batch, "action")?, "action"),
            decision: EnumColumn::of(text(batch, "decision")?, "decision"),
            int: ints.try_into().map_err(|_| "integer columns")?,
            rules_kept: false,
        };
        cols.rules_kept = cols.rules_kept();
        Ok(cols)
    }

    /// Whether no text in the batch holds a NUL or is longer than [`MAX_FIELD_BYTES`] and
    /// no row has more than [`MAX_ROLES`] roles: then every row keeps the rules, found
    /// with one scan per column instead of one per value. A batch where this fails is
    /// checked row by row, to name the first record that breaks them.
    fn rules_kept(&self) -> bool {
        fn at_most<O: OffsetSizeTrait>(offsets: &[O], max: usize) -> bool {
            offsets.windows(2).all(|w| (w[1] - w[0]).as_usize() <= max)
        }
        let texts = self.text.iter().filter_map(|c| c.strings());
        let clean = |a: &StringArray| {
            !a.values().contains(&0) && at_most(a.value_offsets(), MAX_FIELD_BYTES)
        };
        texts.chain([self.role_names]).all(clean) && at_most(self.roles.value_offsets(), MAX_ROLES)
    }

    /// Row `i`, whose canonical encoding is `encoding` (or why it is malformed).
    pub(super) fn row(&'a self, i: usize, encoding: &'a [u8]) -> Result<ArchiveRow<'a>, Malformed> {
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
        let kind = self.kind.value(i).map_err(malformed)?;
        let fields = RowFields {
            cols: self,
            i,
            kind: kind.ok_or_else(|| malformed("column kind is null".into()))?,
            action: self.action.value(i).map_err(malformed)?,
            decision: self.decision.value(i).map_err(malformed)?,
        };
        let hash = (self.hash.value(i).try_into())
            .map_err(|_| malformed("column hash is not 32 bytes".into()))?;
        Ok(ArchiveRow {
            seq,
            hash,
            fields,
            encoding,
        })
    }
}

fn parse<T: std::str::FromStr>(v: Option<&str>, col: &str) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    v.map(|s| s.parse().map_err(|e| format!("column {col}: {e}")))
        .transpose()
}

/// A column of names of an enum (`kind`, `action`, `decision`). Read as a dictionary,
/// each distinct name is parsed once per batch instead of once per row.
pub(super) struct EnumColumn<'a, T> {
    pub(super) col: TextColumn<'a>,
    name: &'static str,
    /// For a dictionary: each dictionary value, parsed.
    pub(super) parsed: Vec<Result<Option<T>, String>>,
}

impl<'a, T: std::str::FromStr + Copy> EnumColumn<'a, T>
where
    T::Err: std::fmt::Display,
{
    fn of(col: TextColumn<'a>, name: &'static str) -> Self {
        let parsed = match col {
            TextColumn::Plain(_) | TextColumn::Null => Vec::new(),
            TextColumn::Dictionary { values, .. } => (0..values.len())
                .map(|k| parse((!values.is_null(k)).then(|| values.value(k)), name))
                .collect(),
        };
        EnumColumn { col, name, parsed }
    }

    /// Row `i`'s value: `None` when null, an error when the name is not the format's.
    #[inline]
    fn value(&self, i: usize) -> Result<Option<T>, String> {
        match self.col {
            TextColumn::Dictionary { keys, .. } if !keys.is_null(i) => {
                let k = usize::try_from(keys.value(i)).ok();
                match k.and_then(|k| self.parsed.get(k)) {
                    Some(v) => v.clone(),
                    None => Ok(None),
                }
            }
            TextColumn::Dictionary { .. } => Ok(None),
            TextColumn::Plain(_) | TextColumn::Null => parse(self.col.value(i), self.name),
        }
    }
}
