//! Parquet directories as sources: every `*.parquet` file under the directory must have
//! the `access` schema (as `query --format parquet` writes it from `SELECT * FROM
//! access`). Each file's footer is checked before the directory becomes part of the
//! table, so a wrong file is named instead of failing somewhere in the middle of a query.

use crate::Error;
use crate::table::{access_schema, file_schema};
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Checks every Parquet file under `dir` and returns a table over them.
pub fn open(dir: &Path) -> Result<Arc<dyn TableProvider>, Error> {
    let files = parquet_files(dir)?;
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "source {}: no .parquet files in this directory",
            dir.display()
        )));
    }
    for f in &files {
        check_file(f)?;
    }
    let abs = dir.canonicalize().map_err(|e| io_error(dir, e))?;
    let url = ListingTableUrl::parse(format!("{}/", abs.display()))?;
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(access_schema());
    Ok(Arc::new(ListingTable::try_new(config)?))
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Usage(format!("source {}: {e}", path.display()))
}

/// Every `*.parquet` file under `dir`, sorted, descending into subdirectories.
fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| io_error(&d, e))? {
            let path = entry.map_err(|e| io_error(&d, e))?.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|x| x == "parquet") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads the footer of `file` and compares its schema with the `access` schema.
fn check_file(file: &Path) -> Result<(), Error> {
    let bad = |detail: String| Error::ParquetSchema {
        file: file.to_path_buf(),
        detail,
    };
    let f = std::fs::File::open(file).map_err(|e| io_error(file, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    schema_difference(reader.schema()).map_or(Ok(()), |d| Err(bad(d)))
}

/// What differs between a file's schema and the `access` schema, if anything. A file
/// may declare a column nullable that `access` declares not null (the values are what
/// count); names and types must match.
pub fn schema_difference(found: &Schema) -> Option<String> {
    let want = file_schema();
    let mut problems = Vec::new();
    for w in want.fields() {
        match found.field_with_name(w.name()) {
            Err(_) => problems.push(format!(
                "column {} ({}) is missing",
                w.name(),
                w.data_type()
            )),
            Ok(f) if !same_type(f.data_type(), w.data_type()) => problems.push(format!(
                "column {} is {}, expected {}",
                w.name(),
                f.data_type(),
                w.data_type()
            )),
            Ok(_) => {}
        }
    }
    for f in found.fields() {
        if want.field_with_name(f.name()).is_err() {
            problems.push(format!("column {} is not an access column", f.name()));
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Whether a file's column type reads as the `access` type: text may be stored with any
/// string type (zegel writes `Utf8`; other arrow writers may write views or large
/// strings, and the table reads them all as views).
fn same_type(found: &DataType, want: &DataType) -> bool {
    let text =
        |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    found.equals_datatype(want) || (text(found) && text(want))
}
