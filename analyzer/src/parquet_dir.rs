//! Parquet directories as sources: every `*.parquet` file under the directory must have
//! the `access` schema (as `query --format parquet` writes it from `SELECT * FROM
//! access`). Each file's footer is checked before the directory becomes part of the
//! table, so a wrong file is named instead of failing somewhere in the middle of a query.
//!
//! The footers are read through DataFusion's own metadata reader into the session's
//! footer cache ([`crate::memory`]), several at a time: the check then costs the scans
//! nothing, where reading each footer twice (once here, once in the first scan) was a
//! large part of a report over an archive of thousands of files.

use crate::Error;
use crate::table::{access_schema, file_schema};
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::catalog::TableProvider;
use datafusion::config::TableParquetOptions;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::object_store::path::Path as StorePath;
use datafusion::object_store::{ObjectStore, ObjectStoreExt};
use futures_util::{StreamExt, TryStreamExt, stream};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bytes read from the end of a file in the first read of its footer. DataFusion's
/// default, 512 KiB, is a whole file of a quiet day, read to be thrown away; the tail
/// zegel writes (footer and page index; the bloom filters stand after their row group)
/// is a few tens of KiB, and a larger footer is read with a second request.
const FOOTER_HINT: usize = 64 * 1024;

/// Footers read at once while checking a directory.
const CHECK_CONCURRENCY: usize = 16;

/// Checks every Parquet file under `dir`, caching their footers in `runtime`, and
/// returns a table over them.
pub async fn open(dir: &Path, runtime: &RuntimeEnv) -> Result<Arc<dyn TableProvider>, Error> {
    let files = parquet_files(dir)?;
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "source {}: no .parquet files in this directory",
            dir.display()
        )));
    }
    let store = runtime.object_store(ObjectStoreUrl::local_filesystem())?;
    let cache = runtime.cache_manager.get_file_metadata_cache();
    // A task per file: decoding a footer is CPU work, which futures polled by one task
    // would do on one core. A task that panicked (a footer the Parquet reader could not
    // cope with) is reported with its file.
    let check = |f: PathBuf| {
        let task = tokio::spawn(check_file(f.clone(), store.clone(), cache.clone()));
        async move {
            let failed = |e| {
                Error::Usage(format!(
                    "source {}: reading its footer failed: {e}",
                    f.display()
                ))
            };
            task.await.map_err(failed)?
        }
    };
    stream::iter(files.into_iter().map(check))
        .buffered(CHECK_CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    let abs = dir.canonicalize().map_err(|e| io_error(dir, e))?;
    let url = ListingTableUrl::parse(format!("{}/", abs.display()))?;
    let options = ListingOptions::new(Arc::new(format())).with_file_extension(".parquet");
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(access_schema());
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// How the files are read. Filters pushed into the scan are evaluated in the order the
/// SQL writes them (`reorder_filters` off; see `report::late_materialization`): DataFusion
/// 55 takes that setting from the format's own options, not from the session's, so it
/// is stated here rather than left to a default.
fn format() -> ParquetFormat {
    let mut parquet = TableParquetOptions::default();
    parquet.global.reorder_filters = false;
    ParquetFormat::default()
        .with_options(parquet)
        .with_metadata_size_hint(Some(FOOTER_HINT))
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

/// Reads the footer of `file` into the runtime's footer cache and compares its schema
/// with the `access` schema.
async fn check_file(
    file: PathBuf,
    store: Arc<dyn ObjectStore>,
    cache: Arc<FileMetadataCache>,
) -> Result<(), Error> {
    let file = file.as_path();
    let bad = |detail: String| Error::ParquetSchema {
        file: file.to_path_buf(),
        detail,
    };
    let usage = |e: &dyn std::fmt::Display| Error::Usage(format!("source {}: {e}", file.display()));
    let abs = file.canonicalize().map_err(|e| io_error(file, e))?;
    let location = StorePath::from_filesystem_path(&abs).map_err(|e| usage(&e))?;
    let meta = store.head(&location).await.map_err(|e| usage(&e))?;
    let schema = DFParquetMetadata::new(store.as_ref(), &meta)
        .with_metadata_size_hint(Some(FOOTER_HINT))
        .with_file_metadata_cache(Some(cache))
        .fetch_schema()
        .await
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    schema_difference(&schema).map_or(Ok(()), |d| Err(bad(d)))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The filter order the per-subject reports rely on, and the footer hint, are the
    /// format's own options (the ones a Parquet scan reads).
    #[test]
    fn the_format_keeps_the_sql_filter_order() {
        let options = format().options().global.clone();
        assert!(!options.reorder_filters);
        assert_eq!(options.metadata_size_hint, Some(FOOTER_HINT));
    }
}
