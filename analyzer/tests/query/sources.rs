//! Several sources as one table, and Parquet written by `query` read back as a source.

use crate::common::{count, lines, rows, session, sqlite_log};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::fs::File;
use std::path::Path;
use zegel_analyzer::cli::{Format, QueryArgs};
use zegel_analyzer::{Error, query, table};

fn args(sql: &str, sources: &[&str], format: Format, output: Option<&Path>) -> QueryArgs {
    QueryArgs {
        sql: sql.to_owned(),
        sources: sources.iter().map(|s| s.to_string()).collect(),
        staff: None,
        patients: None,
        care_relations: None,
        format,
        output: output.map(Path::to_path_buf),
        max_rows: 1000,
        memory: Default::default(),
    }
}

#[tokio::test]
async fn two_sources_form_one_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = sqlite_log(dir.path(), "ward-a", 700).await;
    let b = sqlite_log(dir.path(), "ward-b", 300).await;
    let ctx = session(&[&a, &b]).await;
    assert_eq!(count(&ctx, "SELECT count(*) FROM access").await, 2000);
    let per_chain = rows(
        &ctx,
        "SELECT chain_id, count(*), min(seq), max(seq) FROM access GROUP BY chain_id ORDER BY 1",
    )
    .await;
    assert_eq!(
        lines(&per_chain),
        ["ward-a|1400|1|1400", "ward-b|600|1|600"]
    );
}

#[tokio::test]
async fn parquet_written_by_query_reads_back_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 1500).await;
    let pq = dir.path().join("export");
    std::fs::create_dir(&pq).expect("mkdir");
    // Two files: the directory is read as a whole.
    for (i, cond) in ["seq <= 1000", "seq > 1000"].iter().enumerate() {
        let sql = format!("SELECT * FROM access WHERE {cond}");
        let file = pq.join(format!("part-{i}.parquet"));
        query::run(&args(&sql, &[&url], Format::Parquet, Some(&file)))
            .await
            .expect("export");
        assert!(file.exists());
    }
    let pq_dir = pq.display().to_string();
    let (db, parquet) = (session(&[&url]).await, session(&[&pq_dir]).await);
    for sql in [
        "SELECT count(*), sum(seq), count(DISTINCT hash) FROM access",
        "SELECT kind, decision, count(*) FROM access GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT count(*) FROM access WHERE array_has(roles, 'apotheker')",
        "SELECT count(*) FROM access WHERE time >= '2026-01-06' AND time < '2026-01-07'",
        "SELECT * FROM access WHERE seq IN (1, 2, 999, 3000) ORDER BY seq",
    ] {
        assert_eq!(rows(&db, sql).await, rows(&parquet, sql).await, "{sql}");
    }
    // A database and the Parquet export of it: every record twice.
    let both = session(&[&url, &pq_dir]).await;
    assert_eq!(count(&both, "SELECT count(*) FROM access").await, 6000);
    // The files store text as plain Utf8, as archives do.
    assert_eq!(
        types(&file_schema(&pq.join("part-0.parquet"))),
        types(&table::file_schema())
    );
}

/// A Parquet source whose text columns are string views (as other arrow writers may
/// write them) reads as one stored as Utf8.
#[tokio::test]
async fn parquet_with_string_views_reads_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 300).await;
    let (plain, views) = (dir.path().join("plain"), dir.path().join("views"));
    for d in [&plain, &views] {
        std::fs::create_dir(d).expect("mkdir");
    }
    let file = plain.join("all.parquet");
    query::run(&args(
        "SELECT * FROM access",
        &[&url],
        Format::Parquet,
        Some(&file),
    ))
    .await
    .expect("export");
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).expect("open"))
        .expect("reader")
        .build()
        .expect("build");
    let out = File::create(views.join("all.parquet")).expect("create");
    let mut w = ArrowWriter::try_new(out, table::access_schema(), None).expect("writer");
    for batch in reader {
        let batch = batch.expect("batch");
        let columns = (batch.columns().iter().zip(table::access_schema().fields()))
            .map(|(c, f)| cast(c, f.data_type()).expect("cast"))
            .collect();
        let batch = RecordBatch::try_new(table::access_schema(), columns).expect("batch");
        w.write(&batch).expect("write");
    }
    w.close().expect("close");
    assert_eq!(
        types(&file_schema(&views.join("all.parquet"))),
        types(&table::access_schema())
    );
    let (a, b) = (plain.display().to_string(), views.display().to_string());
    let (a, b) = (session(&[&a]).await, session(&[&b]).await);
    let sql = "SELECT * FROM access ORDER BY seq";
    assert_eq!(rows(&a, sql).await, rows(&b, sql).await);
}

fn types(schema: &Schema) -> Vec<(String, DataType)> {
    (schema.fields().iter())
        .map(|f| (f.name().clone(), f.data_type().clone()))
        .collect()
}

fn file_schema(file: &Path) -> Schema {
    let f = File::open(file).expect("open");
    let builder = ParquetRecordBatchReaderBuilder::try_new(f).expect("reader");
    builder.schema().as_ref().clone()
}

#[tokio::test]
async fn parquet_in_another_schema_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 10).await;
    let pq = dir.path().join("wrong");
    std::fs::create_dir(&pq).expect("mkdir");
    let file = pq.join("x.parquet");
    let sql = "SELECT chain_id, CAST(seq AS INT) AS seq FROM access";
    query::run(&args(sql, &[&url], Format::Parquet, Some(&file)))
        .await
        .expect("export");
    let msg = schema_error(&pq).await;
    assert!(msg.contains("x.parquet"), "{msg}");
    assert!(msg.contains("column seq is Int32, expected Int64"), "{msg}");
    assert!(msg.contains("column time"), "{msg}");
}

#[tokio::test]
async fn an_unreadable_parquet_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 10).await;
    let pq = dir.path().join("mixed");
    std::fs::create_dir_all(pq.join("sub")).expect("mkdir");
    let good = pq.join("a.parquet");
    query::run(&args(
        "SELECT * FROM access",
        &[&url],
        Format::Parquet,
        Some(&good),
    ))
    .await
    .expect("export");
    // A file cut off in the middle of its footer, as a full disk would leave it.
    let bytes = std::fs::read(&good).expect("read");
    let cut = pq.join("sub").join("b.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).expect("write");
    let msg = schema_error(&pq).await;
    assert!(msg.contains("b.parquet"), "{msg}");
    assert!(msg.contains("not a readable Parquet file"), "{msg}");
    std::fs::remove_file(&cut).expect("rm");
    let sql = "SELECT count(*) FROM access";
    let pq = pq.display().to_string();
    assert_eq!(
        count(&session(&[&pq]).await, sql).await,
        count(&session(&[&url]).await, sql).await
    );
}

/// The message of the `ParquetSchema` error that opening `dir` as a source must give.
async fn schema_error(dir: &Path) -> String {
    let tables = zegel_analyzer::session::Tables {
        sources: vec![dir.display().to_string()],
        ..Default::default()
    };
    let err = crate::common::fails(zegel_analyzer::session::open(&tables).await, "open");
    let msg = err.to_string();
    assert!(matches!(err, Error::ParquetSchema { .. }), "{msg}");
    msg
}

#[tokio::test]
async fn missing_sqlite_file_and_unknown_source_are_usage_errors() {
    for s in ["sqlite:/nonexistent/zegel.db", "/nonexistent/dir"] {
        let tables = zegel_analyzer::session::Tables {
            sources: vec![s.to_owned()],
            ..Default::default()
        };
        let err = crate::common::fails(zegel_analyzer::session::open(&tables).await, s);
        assert!(matches!(err, Error::Usage(_)), "{s}: {err}");
    }
}

#[tokio::test]
async fn parquet_needs_an_output_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 5).await;
    let err = query::run(&args("SELECT 1", &[&url], Format::Parquet, None))
        .await
        .expect_err("no --output");
    assert!(err.to_string().contains("--output"), "{err}");
}
