//! Moving records between Rust values and table rows, the same way for every backend.
//!
//! A row holds the record's canonical encoding (the bytes its hash covers) plus a few
//! columns repeated from it for the database's own use. Reading decodes the encoding and
//! checks that the repeated columns agree with it. A row that fails (a NULL where a value
//! is required, bytes that do not decode, a column that disagrees, a hash of the wrong
//! length) is not an I/O error: it is evidence of tampering, and comes back as
//! [`Row::Malformed`] for the verifier to report.

use crate::chain::Hash;
use crate::encode::encode;
use crate::record::{Event, EventKind, SealedRecord};

/// A record as it goes into `zegel_records`: its place, its sealed bytes and the
/// columns copied from it. The writer builds these straight from its events, encoding
/// each once and copying no event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedRecord {
    /// Position in the chain.
    pub seq: u64,
    /// Copy of the field `time_us`.
    pub time_us: i64,
    /// Copy of the field `kind`.
    pub kind: EventKind,
    /// Copy of the field `user_id`.
    pub user_id: Option<String>,
    /// Copy of the field `patient_id`.
    pub patient_id: Option<String>,
    /// The canonical encoding of `(seq, event)`.
    pub record: Vec<u8>,
    /// The record hash.
    pub hash: Hash,
}

impl EncodedRecord {
    /// Encodes a sealed record for storing.
    pub fn of(r: &SealedRecord) -> Self {
        EncodedRecord {
            seq: r.seq,
            time_us: r.event.time_us,
            kind: r.event.kind,
            user_id: r.event.user_id.clone(),
            patient_id: r.event.patient_id.clone(),
            record: encode(r.seq, &r.event),
            hash: r.hash,
        }
    }
}

/// One row of `zegel_records` as read back.
// Nearly every row is a record; boxing it would cost an allocation per record verified.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A well-formed record (its hash is not checked here).
    Record(SealedRecord),
    /// A row that is not a valid record.
    Malformed {
        /// Its sequence number, when that column itself could be read.
        seq: Option<u64>,
        /// What is wrong.
        detail: String,
    },
}

/// Reads one `zegel_records` row (selected with [`super::schema::select_columns`]).
pub fn decode_row<R>(row: &R) -> Row
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r [u8]: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let seq = get::<i64, R>(row, "seq")
        .ok()
        .and_then(|s| u64::try_from(s).ok());
    let build = || -> Result<SealedRecord, String> {
        let seq = seq.ok_or_else(|| "column seq: missing or negative".to_owned())?;
        let bytes: &[u8] = get(row, "record")?;
        let hash: &[u8] = get(row, "hash")?;
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| format!("column hash: {} bytes, expected 32", hash.len()))?;
        let rec =
            SealedRecord::decode_stored(bytes, hash).map_err(|e| format!("column record: {e}"))?;
        if rec.seq != seq {
            return Err(format!(
                "column seq is {seq} but the record is sealed as seq {}",
                rec.seq
            ));
        }
        check_columns(
            &rec.event,
            |col| get::<Option<String>, R>(row, col),
            || get::<i64, R>(row, "time_us"),
        )?;
        Ok(rec)
    };
    match build() {
        Ok(r) => Row::Record(r),
        Err(detail) => Row::Malformed { seq, detail },
    }
}

/// The columns repeated from the record must say what the record says: a query on
/// them must never see something other than what was sealed.
fn check_columns(
    event: &Event,
    text: impl Fn(&str) -> Result<Option<String>, String>,
    time_us: impl Fn() -> Result<i64, String>,
) -> Result<(), String> {
    let time = time_us()?;
    if time != event.time_us {
        return Err(disagrees("time_us", &time, &event.time_us));
    }
    let kind = text("kind")?;
    if kind.as_deref() != Some(event.kind.as_str()) {
        return Err(disagrees(
            "kind",
            &kind,
            &Some(event.kind.as_str().to_owned()),
        ));
    }
    for (col, sealed) in [
        ("user_id", &event.user_id),
        ("patient_id", &event.patient_id),
    ] {
        let stored = text(col)?;
        if &stored != sealed {
            return Err(disagrees(col, &stored, sealed));
        }
    }
    Ok(())
}

fn disagrees<T: Shown + ?Sized>(col: &str, stored: &T, sealed: &T) -> String {
    format!(
        "column {col} is {} but the sealed record says {}",
        stored.shown(),
        sealed.shown()
    )
}

/// A value as a message shows it: text quoted, absent as NULL.
trait Shown {
    fn shown(&self) -> String;
}

impl Shown for i64 {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for Option<String> {
    fn shown(&self) -> String {
        self.as_ref().map_or("NULL".into(), |s| format!("{s:?}"))
    }
}

fn get<'r, T, R>(row: &'r R, col: &str) -> Result<T, String>
where
    R: sqlx::Row,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
{
    row.try_get(col).map_err(|e| format!("column {col}: {e}"))
}

/// Binds every column of `$rec` (a `&EncodedRecord`) for chain `$chain` in
/// `RECORD_COLUMNS` order.
macro_rules! bind_record {
    ($q:expr, $chain:expr, $rec:expr) => {{
        let r: &$crate::store::rows::EncodedRecord = $rec;
        $q.bind($chain)
            .bind(r.seq as i64)
            .bind(r.time_us)
            .bind(r.kind.as_str())
            .bind(r.user_id.as_deref())
            .bind(r.patient_id.as_deref())
            .bind(&r.record[..])
            .bind(&r.hash[..])
    }};
}
pub(crate) use bind_record;
