//! Usage errors of `export`: exit status 2, nothing on standard output, a message that
//! says what is wrong.

use crate::common::{Planted, analyzer};

fn usage_error(args: &[&str]) -> String {
    let o = analyzer(args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(o.stdout.is_empty(), "{args:?}");
    err
}

#[tokio::test]
async fn bad_flags_and_sources_are_usage_errors() {
    let p = Planted::new().await;
    let src = p.url.as_str();
    let err = usage_error(&["export", "csv", "--source", src, "--format", "bundle"]);
    assert!(
        err.contains("--format (ndjson, bundle) applies to `export fhir` only"),
        "{err}"
    );
    let err = usage_error(&["export", "fhir", "--source", src, "--timezone", "Mars/Base"]);
    assert!(err.contains("--timezone \"Mars/Base\""), "{err}");
    let args = [
        "export",
        "fhir",
        "--source",
        src,
        "--from",
        "2026-02-01",
        "--to",
        "2026-01-01",
    ];
    assert!(usage_error(&args).contains("--from 2026-02-01 is after --to 2026-01-01"));
    let err = usage_error(&["export", "fhir", "--source", "sqlite:/nonexistent/log.db"]);
    assert!(err.contains("no such file"), "{err}");
    let err = usage_error(&["export", "parquet", "--source", src]);
    assert!(err.contains("export parquet needs --output FILE"), "{err}");
    let err = usage_error(&["export", "json", "--source", src]);
    assert!(err.contains("invalid value 'json'"), "{err}");
}

#[tokio::test]
async fn a_file_is_written_whole_and_counted() {
    let p = Planted::new().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("events.ndjson");
    let o = analyzer(&[
        "export",
        "fhir",
        "--source",
        &p.url,
        "--out",
        &file.display().to_string(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && o.stdout.is_empty(), "{err}");
    assert!(err.contains("9 AuditEvents written to"), "{err}");
    let text = std::fs::read_to_string(&file).expect("file");
    assert_eq!(text.lines().count(), 9);
    assert!(!dir.path().join("events.ndjson.partial").exists());
}
