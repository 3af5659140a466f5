//! The canonical encodings of an archive batch's rows, written from its columns.
//!
//! The verifier hashes each record's encoding (`zegel_audit::encode`). Encoding row by
//! row through [`Fields`](zegel_audit::Fields) reads ~25 columns per row and, for each
//! text, its key, validity and offsets, then writes a presence byte, a length and the
//! bytes. Here every distinct value of a dictionary column is encoded once into a
//! [`Table`] (kept while the batches of a row group share the dictionary), each row's
//! entry is looked up a column at a time, and a row's field is then one copy. Rows are
//! encoded a chunk at a time, so their bytes are still in cache when they are hashed.
//!
//! The fields are written in [`FIELD_ORDER`], the order [`encode_into`] writes, and a
//! batch whose columns have another shape (a plain enum column, a kind column that is
//! all null) is encoded row by row with [`encode_into`] itself. Either way the bytes
//! equal [`encode_into`]'s for every row that is a record; a row that is not is reported
//! malformed before its bytes are hashed. BENCHMARKS.md has what this saves.

use super::parquet_in::{Columns, EnumColumn, TextColumn};
use datafusion::arrow::array::{
    Array, Int32Array, Int64Array, ListArray, StringArray, TimestampMicrosecondArray,
};
use std::ops::Range;
use std::sync::Arc;
use zegel_audit::encode::{FIELD_ORDER, FORMAT_VERSION, Slot, encode_into};
use zegel_audit::record::EventKind;

/// Longest piece copied with one fixed-width copy (the rest of the copy is overwritten
/// by the fields that follow, or lies in the buffer's slack).
const WIDE: usize = 32;

/// Rows encoded before they are handed on: small enough to stay in cache until hashed.
pub(super) const CHUNK: usize = 256;

/// Reusable buffers: the encodings of one chunk of rows.
#[derive(Default)]
pub(super) struct Encoder {
    bytes: Vec<u8>,
    /// End of each row's encoding in `bytes`; a row starts where the one before ends.
    ends: Vec<usize>,
    /// Each table field's entry for each row of the chunk, field after field.
    spans: Vec<(usize, usize)>,
}

impl Encoder {
    /// Encodes rows `rows` of the batch whose columns are `cols`.
    pub(super) fn encode(&mut self, plan: &Plan<'_>, cols: &Columns<'_>, rows: Range<usize>) {
        self.ends.clear();
        match plan {
            Plan::Columns { sources, row_max } => self.by_columns(sources, *row_max, cols, rows),
            Plan::Rows => {
                self.bytes.clear();
                for i in rows {
                    // A malformed row is reported without being hashed: no bytes.
                    if let Ok(r) = cols.row(i, &[]) {
                        encode_into(r.seq, r.fields(), &mut self.bytes);
                    }
                    self.ends.push(self.bytes.len());
                }
            }
        }
    }

    /// The encoding of the `k`th row of the last [`Encoder::encode`].
    pub(super) fn row(&self, k: usize) -> &[u8] {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.bytes[start..self.ends[k]]
    }

    fn by_columns(
        &mut self,
        sources: &[Source<'_>],
        row_max: usize,
        cols: &Columns<'_>,
        rows: Range<usize>,
    ) {
        // First every table field's entry for every row, a column at a time: the keys
        // are read in sequence (a row at a time they are ~20 streams read in step,
        // more than the prefetcher follows).
        let n = rows.len();
        self.spans.clear();
        for s in sources {
            if let Source::Table { keys, table } = s {
                let entry = |i| table.entry(table.index(keys, i));
                self.spans.extend(rows.clone().map(entry));
            }
        }
        let mut at = 0;
        for (j, i) in rows.enumerate() {
            if self.bytes.len() < at + row_max + WIDE {
                self.bytes.resize(at + row_max + WIDE, 0);
            }
            let out = &mut self.bytes[..];
            out[at] = FORMAT_VERSION;
            out[at + 1..at + 9].copy_from_slice(&cols.seq.value(i).to_be_bytes());
            at += 9;
            let mut spans = self.spans[j..].iter().step_by(n).copied();
            for s in sources {
                at = s.write(i, out, at, &mut spans);
            }
            self.ends.push(at);
        }
    }
}

/// How a batch's rows are encoded.
pub(super) enum Plan<'a> {
    /// Field by field from [`Source`]s, each row at most `row_max` bytes.
    Columns {
        sources: Vec<Source<'a>>,
        row_max: usize,
    },
    /// Row by row through [`Fields`](zegel_audit::Fields).
    Rows,
}

impl<'a> Plan<'a> {
    /// The plan for the batch whose columns are `cols`, with the tables of `tables`
    /// where a column has the same dictionary as in an earlier batch.
    pub(super) fn of(cols: &'a Columns<'a>, tables: &mut Tables) -> Self {
        let sources: Option<Vec<Source>> = (FIELD_ORDER.iter().enumerate())
            .map(|(n, s)| source(*s, cols, &mut tables.0[n]))
            .collect();
        match sources {
            Some(sources) => {
                let row_max = 9 + sources.iter().map(Source::max_len).sum::<usize>();
                Plan::Columns { sources, row_max }
            }
            None => Plan::Rows,
        }
    }
}

/// Where one field of every row of a batch comes from, and how it is written.
pub(super) enum Source<'a> {
    /// Through a dictionary's keys: each value encoded once, with the presence byte (a
    /// null key, or one outside the dictionary, is entry `null`).
    Table {
        keys: &'a Int32Array,
        table: Arc<Table>,
    },
    /// An optional text stored plainly.
    Plain(&'a StringArray),
    /// An optional field that is null in every row.
    Absent,
    /// An optional integer.
    Int(&'a Int64Array),
    /// The time.
    Time(&'a TimestampMicrosecondArray),
    /// The roles.
    Roles {
        lists: &'a ListArray,
        names: &'a StringArray,
    },
}

/// The text tables of the last batch, by field: a row group's batches share their
/// dictionaries, and a dictionary can hold thousands of values (patient ids), too many
/// to encode again for every batch.
pub(super) struct Tables([Option<(StringArray, Arc<Table>)>; FIELD_ORDER.len()]);

impl Default for Tables {
    fn default() -> Self {
        Tables(std::array::from_fn(|_| None))
    }
}

/// Whether `a` and `b` are the same array. Each holds its buffers, so an address
/// cannot have been reused for other values while the cache keeps `a`.
fn same(a: &StringArray, b: &StringArray) -> bool {
    a.len() == b.len()
        && a.values().as_ptr() == b.values().as_ptr()
        && a.value_offsets().as_ptr() == b.value_offsets().as_ptr()
        && a.nulls().map(|n| n.buffer().as_ptr()) == b.nulls().map(|n| n.buffer().as_ptr())
}

fn source<'a>(
    slot: Slot,
    cols: &'a Columns<'a>,
    cached: &mut Option<(StringArray, Arc<Table>)>,
) -> Option<Source<'a>> {
    Some(match slot {
        Slot::Time => Source::Time(cols.time),
        Slot::Kind => enum_source(&cols.kind, EventKind::as_str, false)?,
        Slot::Text(t) => text_source(cols.text[t as usize], cached),
        Slot::Roles => Source::Roles {
            lists: cols.roles,
            names: cols.role_names,
        },
        Slot::Action => enum_source(&cols.action, zegel_audit::Action::as_str, true)?,
        Slot::Decision => enum_source(&cols.decision, zegel_audit::Decision::as_str, true)?,
        Slot::Int(n) => Source::Int(cols.int[n as usize]),
    })
}

fn text_source<'a>(
    col: TextColumn<'a>,
    cached: &mut Option<(StringArray, Arc<Table>)>,
) -> Source<'a> {
    match col {
        TextColumn::Null => Source::Absent,
        TextColumn::Plain(a) => Source::Plain(a),
        TextColumn::Dictionary { keys, values } => {
            let table = match cached {
                Some((v, table)) if same(v, values) => table.clone(),
                _ => {
                    let value = |k: usize| (!values.is_null(k)).then(|| values.value(k));
                    let table = Arc::new(Table::new(values.len(), value, true));
                    *cached = Some((values.clone(), table.clone()));
                    table
                }
            };
            Source::Table { keys, table }
        }
    }
}

/// An enum column as a table of its parsed values' `name`s (the format's names, as
/// [`encode_into`] writes them). `None` when the batch must be encoded row by row: the
/// column is plain, or it is the kind and null in every row.
fn enum_source<'a, T: Copy>(
    col: &EnumColumn<'a, T>,
    name: fn(T) -> &'static str,
    optional: bool,
) -> Option<Source<'a>> {
    let TextColumn::Dictionary { keys, .. } = col.col else {
        // An all-null column: absent when optional; a kind column that is all null makes
        // every row malformed.
        return (optional && matches!(col.col, TextColumn::Null)).then_some(Source::Absent);
    };
    let value = |k: usize| match col.parsed.get(k) {
        Some(Ok(Some(v))) => Some(name(*v)),
        _ => None,
    };
    Some(Source::Table {
        keys,
        table: Arc::new(Table::new(col.parsed.len(), value, optional)),
    })
}

/// The encodings of a dictionary's values: entry `k` for value `k`, entry `len` for a
/// null. Padded so that any entry can be copied [`WIDE`] bytes at a time.
pub(super) struct Table {
    bytes: Vec<u8>,
    starts: Vec<usize>,
    max_len: usize,
}

impl Table {
    fn new<'s>(len: usize, value: impl Fn(usize) -> Option<&'s str>, optional: bool) -> Self {
        let mut bytes = Vec::new();
        let mut starts = Vec::with_capacity(len + 2);
        let mut put = |v: Option<&str>, bytes: &mut Vec<u8>| {
            starts.push(bytes.len());
            match v {
                Some(s) => {
                    if optional {
                        bytes.push(1);
                    }
                    bytes.extend_from_slice(&length(s.len()));
                    bytes.extend_from_slice(s.as_bytes());
                }
                None => bytes.push(0),
            }
        };
        for k in 0..len {
            put(value(k), &mut bytes);
        }
        put(None, &mut bytes);
        starts.push(bytes.len());
        let max_len = starts.windows(2).map(|w| w[1] - w[0]).max();
        bytes.resize(bytes.len() + WIDE, 0);
        Table {
            bytes,
            starts,
            max_len: max_len.unwrap_or(1),
        }
    }

    /// Entry `k`'s range in `bytes`.
    #[inline(always)]
    fn entry(&self, k: usize) -> (usize, usize) {
        (self.starts[k], self.starts[k + 1])
    }

    /// The entry for row `i` of `keys`.
    #[inline(always)]
    fn index(&self, keys: &Int32Array, i: usize) -> usize {
        let null = self.starts.len() - 2;
        if keys.is_null(i) {
            return null;
        }
        usize::try_from(keys.value(i)).map_or(null, |k| k.min(null))
    }
}

impl Source<'_> {
    /// The most bytes any row's field takes.
    fn max_len(&self) -> usize {
        match self {
            Source::Table { table, .. } => table.max_len,
            Source::Plain(a) => 5 + longest(a),
            Source::Absent => 1,
            Source::Int(_) => 9,
            Source::Time(_) => 8,
            Source::Roles { lists, names } => {
                let o = lists.value_offsets();
                let most = o.windows(2).map(|w| (w[1] - w[0]) as usize).max();
                4 + most.unwrap_or(0) * (4 + longest(names))
            }
        }
    }

    /// Writes row `i`'s field at `out[at..]`; returns where it ends. A table's entry for
    /// the row is the next of `spans` (looked up beforehand, a column at a time).
    #[inline(always)]
    fn write(
        &self,
        i: usize,
        out: &mut [u8],
        at: usize,
        spans: &mut impl Iterator<Item = (usize, usize)>,
    ) -> usize {
        match self {
            Source::Table { table, .. } => {
                let (from, to) = spans.next().unwrap_or_default();
                copy(out, at, &table.bytes, from, to)
            }
            Source::Plain(a) => {
                if a.is_null(i) {
                    out[at] = 0;
                    return at + 1;
                }
                out[at] = 1;
                put_str(out, at + 1, a.value(i))
            }
            Source::Absent => {
                out[at] = 0;
                at + 1
            }
            Source::Int(a) => {
                if a.is_null(i) {
                    out[at] = 0;
                    return at + 1;
                }
                out[at] = 1;
                out[at + 1..at + 9].copy_from_slice(&a.value(i).to_be_bytes());
                at + 9
            }
            Source::Time(a) => {
                out[at..at + 8].copy_from_slice(&a.value(i).to_be_bytes());
                at + 8
            }
            Source::Roles { lists, names } => {
                let o = lists.value_offsets();
                let (from, to) = (o[i] as usize, o[i + 1] as usize);
                out[at..at + 4].copy_from_slice(&length(to - from));
                (from..to).fold(at + 4, |at, r| put_str(out, at, names.value(r)))
            }
        }
    }
}

/// Writes `bytes[from..to]` at `out[at..]`, a short one as one [`WIDE`] copy (`bytes`
/// and `out` have that much slack).
#[inline(always)]
fn copy(out: &mut [u8], at: usize, bytes: &[u8], from: usize, to: usize) -> usize {
    let len = to - from;
    if len <= WIDE {
        out[at..at + WIDE].copy_from_slice(&bytes[from..from + WIDE]);
    } else {
        out[at..at + len].copy_from_slice(&bytes[from..to]);
    }
    at + len
}

/// Writes a string (4-byte big-endian length, then its bytes) at `out[at..]`.
#[inline(always)]
fn put_str(out: &mut [u8], at: usize, s: &str) -> usize {
    out[at..at + 4].copy_from_slice(&length(s.len()));
    let at = at + 4;
    out[at..at + s.len()].copy_from_slice(s.as_bytes());
    at + s.len()
}

/// A length as the encoding writes it: 4 bytes big-endian (saturating, as
/// `zegel_audit::encode` does; Arrow's text cannot be that long).
#[inline(always)]
fn length(n: usize) -> [u8; 4] {
    u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes()
}

/// The longest value of `a` in bytes.
fn longest(a: &StringArray) -> usize {
    let o = a.value_offsets();
    o.windows(2)
        .map(|w| (w[1] - w[0]) as usize)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::super::parquet_in::{dictionary_hint, for_each_row};
    use super::super::parquet_out::MonthFiles;
    use super::*;
    use crate::generate::rng::Rng;
    use datafusion::arrow::array::{ArrayRef, DictionaryArray, RecordBatch};
    use datafusion::arrow::datatypes::Int32Type;
    use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
    use zegel_audit::encode::encode;
    use zegel_audit::fields::Text;
    use zegel_audit::{Action, Decision, Event, SealedRecord};

    const KINDS: [EventKind; 3] = [EventKind::Access, EventKind::Outcome, EventKind::Start];

    /// A value drawn from few short ones, or empty, or long and unique, or absent.
    fn text(rng: &mut Rng, unique: u64) -> Option<String> {
        match rng.below(20) {
            0..=5 => None,
            6 => Some(String::new()),
            7..=14 => Some(format!("v{}", rng.below(7))),
            _ => Some(format!("{unique}-{}", "x".repeat(rng.below(300) as usize))),
        }
    }

    fn event(rng: &mut Rng, n: u64) -> Event {
        let mut e = Event::new(
            KINDS[rng.below(3) as usize],
            1_800_000_000_000_000 + n as i64,
        );
        for t in Text::ALL {
            let v = text(rng, n);
            *field(&mut e, *t) = v;
        }
        // Unique and long in every row: more than a dictionary page holds, so the
        // writer falls back to plain pages in the middle of the column.
        e.detail = Some(format!("{n}:{}", "d".repeat(rng.below(400) as usize)));
        let mut roles: Vec<String> = (0..rng.below(4))
            .map(|_| format!("role-{}", rng.below(5)))
            .collect();
        roles.sort();
        roles.dedup();
        e.roles = roles;
        e.action = [None, Some(Action::R), Some(Action::C)][rng.below(3) as usize];
        e.decision = [None, Some(Decision::Allow), Some(Decision::Deny)][rng.below(3) as usize];
        let int = |rng: &mut Rng| (rng.below(3) > 0).then(|| rng.next() as i64);
        (e.status, e.bytes, e.duration_us, e.links_seq) = (int(rng), int(rng), int(rng), int(rng));
        e
    }

    fn field(e: &mut Event, t: Text) -> &mut Option<String> {
        match t {
            Text::RequestId => &mut e.request_id,
            Text::UserId => &mut e.user_id,
            Text::UserName => &mut e.user_name,
            Text::Organisation => &mut e.organisation,
            Text::Department => &mut e.department,
            Text::ResponsibleUser => &mut e.responsible_user,
            Text::PurposeOfUse => &mut e.purpose_of_use,
            Text::AccessPoint => &mut e.access_point,
            Text::Application => &mut e.application,
            Text::Method => &mut e.method,
            Text::Path => &mut e.path,
            Text::RawPath => &mut e.raw_path,
            Text::Interaction => &mut e.interaction,
            Text::ResourceType => &mut e.resource_type,
            Text::ResourceId => &mut e.resource_id,
            Text::PatientId => &mut e.patient_id,
            Text::PatientIdSystem => &mut e.patient_id_system,
            Text::Rule => &mut e.rule,
            Text::Reason => &mut e.reason,
            Text::EmergencyJustification => &mut e.emergency_justification,
            Text::PolicyVersion => &mut e.policy_version,
            Text::Detail => &mut e.detail,
        }
    }

    /// `events` (seq 1, 2, ...) written as one archive file; its path and bytes.
    fn archive_file(dir: &std::path::Path, events: &[Event]) -> (std::path::PathBuf, Vec<u8>) {
        let records: Vec<SealedRecord> = (events.iter().enumerate())
            .map(|(i, e)| SealedRecord::new(i as u64 + 1, e.clone(), [7; 32]))
            .collect();
        let mut out = MonthFiles::new(dir, "c");
        out.push(&records).expect("push");
        let files = out.finish().expect("finish");
        let path = dir.join(&files[0].path);
        let bytes = std::fs::read(&path).expect("read");
        (path, bytes)
    }

    #[test]
    fn every_row_is_encoded_as_encode_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut rng = Rng::new(&[11]);
        // One month (one file); more rows than a batch, not a multiple of a chunk.
        let mut events: Vec<Event> = (0..20_003).map(|n| event(&mut rng, n)).collect();
        // A column absent from every row, and one present in every row.
        for e in &mut events {
            e.emergency_justification = None;
            e.method.get_or_insert_with(|| "GET".into());
        }
        let (path, bytes) = archive_file(dir.path(), &events);
        let mut seen = 0;
        for_each_row(&path, bytes.into(), |chain, row| {
            let r = row.unwrap_or_else(|m| panic!("row {:?}: {}", m.seq, m.detail));
            assert_eq!(chain, "c");
            let want = encode(r.seq, &events[r.seq as usize - 1]);
            assert!(r.encoding() == want, "seq {}", r.seq);
            seen += 1;
        })
        .expect("read");
        assert_eq!(seen, events.len());
    }

    /// Columns the Parquet reader does not make but a batch may hold: a dictionary with
    /// a null value, an enum dictionary with a name that is not the format's.
    #[test]
    fn odd_dictionaries_encode_as_their_fields_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut rng = Rng::new(&[12]);
        let events: Vec<Event> = (0..50).map(|n| event(&mut rng, n)).collect();
        let (_, bytes) = archive_file(dir.path(), &events);
        let bytes = bytes::Bytes::from(bytes);
        let meta = ArrowReaderOptions::new();
        let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(bytes.clone(), meta)
            .expect("reader");
        let schema = dictionary_hint(builder.schema());
        let options = ArrowReaderOptions::new().with_schema(schema);
        let reader = ParquetRecordBatchReaderBuilder::try_new_with_options(bytes, options)
            .expect("reader")
            .build()
            .expect("build");
        let batch = reader.into_iter().next().expect("batch").expect("batch");
        let n = batch.num_rows();
        let dict = |values: Vec<Option<&str>>| -> ArrayRef {
            let keys: Vec<Option<i32>> = (0..n)
                .map(|i| (i % 5 != 4).then_some((i % values.len()) as i32))
                .collect();
            Arc::new(DictionaryArray::<Int32Type>::new(
                Int32Array::from(keys),
                Arc::new(StringArray::from(values)),
            ))
        };
        let replace = |batch: &RecordBatch, name: &str, col: ArrayRef| {
            let i = batch.schema().index_of(name).expect("column");
            let mut cols = batch.columns().to_vec();
            let mut fields: Vec<_> = batch.schema().fields().iter().cloned().collect();
            let field = fields[i]
                .as_ref()
                .clone()
                .with_data_type(col.data_type().clone());
            (cols[i], fields[i]) = (col, Arc::new(field));
            let schema = datafusion::arrow::datatypes::Schema::new(fields);
            RecordBatch::try_new(Arc::new(schema), cols).expect("batch")
        };
        let odd = replace(&batch, "user_name", dict(vec![Some("a"), None, Some("")]));
        let odd = replace(&odd, "action", dict(vec![Some("R"), None, Some("Q")]));
        // The same tables for all three: the second batch's user_name dictionary is not
        // the first's, the third's is the first's again.
        let mut tables = Tables::default();
        assert_eq!(encodings_agree(&batch, &mut tables), 0);
        let cols = Columns::of(&odd).expect("columns");
        assert!(matches!(Plan::of(&cols, &mut tables), Plan::Columns { .. }));
        let malformed = encodings_agree(&odd, &mut tables);
        assert!(malformed > 0 && malformed < n, "{malformed} of {n}");
        assert_eq!(encodings_agree(&batch, &mut tables), 0);
        // An enum column read plainly: the batch is encoded row by row.
        let kinds: Vec<&str> = (0..n).map(|i| KINDS[i % 3].as_str()).collect();
        let plain = replace(&batch, "kind", Arc::new(StringArray::from(kinds)));
        let cols = Columns::of(&plain).expect("columns");
        assert!(matches!(Plan::of(&cols, &mut tables), Plan::Rows));
        assert_eq!(encodings_agree(&plain, &mut tables), 0);
    }

    /// Checks every record of `batch` against `encode_into`; returns how many rows are
    /// malformed.
    fn encodings_agree(batch: &RecordBatch, tables: &mut Tables) -> usize {
        let cols = Columns::of(batch).expect("columns");
        let plan = Plan::of(&cols, tables);
        let mut enc = Encoder::default();
        let mut malformed = 0;
        for from in (0..batch.num_rows()).step_by(7) {
            let rows = from..(from + 7).min(batch.num_rows());
            enc.encode(&plan, &cols, rows.clone());
            for i in rows {
                match cols.row(i, enc.row(i - from)) {
                    Ok(r) => {
                        let mut want = Vec::new();
                        encode_into(r.seq, r.fields(), &mut want);
                        assert_eq!(r.encoding(), want, "row {i}");
                    }
                    Err(_) => malformed += 1,
                }
            }
        }
        malformed
    }
}
