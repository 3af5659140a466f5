//! Directory tables from CSV files: who the staff are, which patients are VIPs, and who
//! has a care relation with whom. Fixed schemas (see `docs/analyzer-tables.md`); the
//! header names the columns (any order, all required, no others), values are trimmed,
//! and an empty optional value is null. Every error names file, line and column.

use crate::Error;
use datafusion::arrow::array::{ArrayRef, BooleanBuilder, Date32Builder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The type of a directory column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text; `true` when it may not be empty.
    Text(bool),
    /// `true`/`false` (also `yes`/`no`, `ja`/`nee`, `1`/`0`); empty is false.
    Bool,
    /// `YYYY-MM-DD`; `true` when it may not be empty.
    Date(bool),
}

/// A directory table: its SQL name and columns.
#[derive(Debug)]
pub struct Directory {
    /// Table name in SQL.
    pub name: &'static str,
    /// Columns in order: name and type.
    pub columns: &'static [(&'static str, Kind)],
    /// The column no two rows may share (reports join on it: a second row would count
    /// every record of that user or patient twice).
    pub key: Option<&'static str>,
}

/// `staff`: who a `user_id` in the log is.
pub const STAFF: Directory = Directory {
    name: "staff",
    columns: &[
        ("user_id", Kind::Text(true)),
        ("name", Kind::Text(false)),
        ("department", Kind::Text(false)),
        ("role", Kind::Text(false)),
    ],
    key: Some("user_id"),
};

/// `patients`: the patient (id or pseudonym as in the log), surname and VIP flag.
pub const PATIENTS: Directory = Directory {
    name: "patients",
    columns: &[
        ("patient_id", Kind::Text(true)),
        ("surname", Kind::Text(false)),
        ("vip", Kind::Bool),
    ],
    key: Some("patient_id"),
};

/// `care_relations`: a user, or a team/department name, treats a patient in a period
/// (`valid_to` empty: still ongoing).
pub const CARE_RELATIONS: Directory = Directory {
    name: "care_relations",
    columns: &[
        ("patient_id", Kind::Text(true)),
        ("user_id", Kind::Text(true)),
        ("valid_from", Kind::Date(true)),
        ("valid_to", Kind::Date(false)),
    ],
    key: None,
};

/// Rows per batch of a loaded table.
const BATCH_ROWS: usize = 8192;

impl Directory {
    /// The Arrow schema of this table.
    pub fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = (self.columns.iter())
            .map(|&(name, kind)| match kind {
                Kind::Text(req) => Field::new(name, DataType::Utf8, !req),
                Kind::Bool => Field::new(name, DataType::Boolean, false),
                Kind::Date(req) => Field::new(name, DataType::Date32, !req),
            })
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// Reads `file` into an in-memory table.
    pub fn load(&self, file: &Path) -> Result<MemTable, Error> {
        let err = |line: u64, column: &str, detail: String| Error::Csv {
            file: file.to_path_buf(),
            line,
            column: column.to_owned(),
            detail,
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(file)
            .map_err(|e| err(0, "-", e.to_string()))?;
        let headers = reader.headers().map_err(|e| err(1, "-", e.to_string()))?;
        let order = self.header_order(headers).map_err(|(c, d)| err(1, &c, d))?;
        let mut batches = Vec::new();
        let mut rows = Rows::new(self);
        let key = (self.columns.iter()).position(|c| Some(c.0) == self.key);
        let mut seen: HashMap<String, u64> = HashMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                err(line, "-", csv_detail(&e))
            })?;
            let line = record.position().map_or(0, |p| p.line());
            for (i, &(name, kind)) in self.columns.iter().enumerate() {
                let value = record.get(order[i]).unwrap_or("");
                rows.push(i, kind, value).map_err(|d| err(line, name, d))?;
                if key == Some(i)
                    && let Some(first) = seen.insert(value.to_owned(), line)
                {
                    let detail = format!("{value:?} is also on line {first}; it must be unique");
                    return Err(err(line, name, detail));
                }
            }
            rows.len += 1;
            if rows.len == BATCH_ROWS {
                batches.push(rows.finish(self)?);
            }
        }
        batches.push(rows.finish(self)?);
        Ok(MemTable::try_new(self.schema(), vec![batches])?)
    }

    /// For each column, its index in the file; a wrong header names the column.
    fn header_order(&self, headers: &csv::StringRecord) -> Result<Vec<usize>, (String, String)> {
        let expected: Vec<&str> = self.columns.iter().map(|c| c.0).collect();
        let want = format!("the header must name the columns {}", expected.join(","));
        if let Some(extra) = headers.iter().find(|h| !expected.contains(h)) {
            return Err((extra.to_owned(), format!("unknown column; {want}")));
        }
        (expected.iter())
            .map(|name| {
                let found = headers.iter().position(|h| h == *name);
                found.ok_or_else(|| (name.to_string(), format!("missing column; {want}")))
            })
            .collect()
    }
}

/// The csv crate's message without its own position prefix (ours names the line).
fn csv_detail(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields, the header has {expected_len}"),
        _ => e.to_string(),
    }
}

/// Column builders for the rows read so far.
struct Rows {
    builders: Vec<Builder>,
    len: usize,
}

enum Builder {
    Text(StringBuilder),
    Bool(BooleanBuilder),
    Date(Date32Builder),
}

impl Rows {
    fn new(dir: &Directory) -> Rows {
        let builders = (dir.columns.iter())
            .map(|&(_, kind)| match kind {
                Kind::Text(_) => Builder::Text(StringBuilder::new()),
                Kind::Bool => Builder::Bool(BooleanBuilder::new()),
                Kind::Date(_) => Builder::Date(Date32Builder::new()),
            })
            .collect();
        Rows { builders, len: 0 }
    }

    fn push(&mut self, i: usize, kind: Kind, v: &str) -> Result<(), String> {
        let required = matches!(kind, Kind::Text(true) | Kind::Date(true));
        if v.is_empty() && required {
            return Err("empty, but this column is required".into());
        }
        match &mut self.builders[i] {
            Builder::Text(b) => b.append_option((!v.is_empty()).then_some(v)),
            Builder::Bool(b) => b.append_value(parse_bool(v)?),
            Builder::Date(b) => b.append_option(parse_date(v)?),
        }
        Ok(())
    }

    fn finish(&mut self, dir: &Directory) -> Result<RecordBatch, Error> {
        let columns: Vec<ArrayRef> = (self.builders.iter_mut())
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Text(b) => Arc::new(b.finish()),
                    Builder::Bool(b) => Arc::new(b.finish()),
                    Builder::Date(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.len = 0;
        Ok(RecordBatch::try_new(dir.schema(), columns)?)
    }
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "ja" | "1" => Ok(true),
        "false" | "no" | "nee" | "0" | "" => Ok(false),
        _ => Err(format!(
            "{v:?} is not a boolean (true/false, yes/no, ja/nee, 1/0)"
        )),
    }
}

fn parse_date(v: &str) -> Result<Option<i32>, String> {
    if v.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map(|d| Some(Date32Type::from_naive_date(d)))
        .map_err(|e| format!("{v:?} is not a date YYYY-MM-DD ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_and_dates() {
        assert_eq!(parse_bool("Ja"), Ok(true));
        assert_eq!(parse_bool(""), Ok(false));
        assert_eq!(parse_bool("0"), Ok(false));
        assert!(parse_bool("maybe").is_err());
        assert_eq!(parse_date("1970-01-02"), Ok(Some(1)));
        assert_eq!(parse_date(""), Ok(None));
        assert!(parse_date("2026-13-01").is_err());
    }
}
