//! The real binary, run as a process, in every output format.

use crate::common::sqlite_log;
use crate::process::{analyzer, stdout};

const SQL: &str = "SELECT kind, count(*) AS n, min(roles) AS roles FROM access \
                   GROUP BY kind ORDER BY kind";

#[tokio::test]
async fn every_format_from_the_binary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 50).await;

    let table = stdout(&analyzer(&["query", SQL, "--source", &url]));
    assert!(table.contains("│ access  ┆ 50 ┆ [apotheker] │"), "{table}");
    assert!(table.ends_with("2 rows\n"), "{table}");

    let csv = stdout(&analyzer(&["query", SQL, "-s", &url, "--format", "csv"]));
    assert_eq!(csv, "kind,n,roles\naccess,50,[apotheker]\noutcome,50,[]\n");

    let json = stdout(&analyzer(&["query", SQL, "-s", &url, "--format", "json"]));
    let first: serde_json::Value =
        serde_json::from_str(json.lines().next().expect("a line")).expect("json");
    assert_eq!(
        first,
        serde_json::json!({"kind": "access", "n": 50, "roles": ["apotheker"]})
    );
    assert_eq!(json.lines().count(), 2);

    let pq = dir.path().join("out");
    std::fs::create_dir(&pq).expect("mkdir");
    let file = pq.join("all.parquet");
    let file_s = file.display().to_string();
    let args = [
        "query",
        "SELECT * FROM access",
        "-s",
        &url,
        "--format",
        "parquet",
        "-o",
        &file_s,
    ];
    stdout(&analyzer(&args));
    assert!(file.exists() && !pq.join("all.parquet.partial").exists());
    let pq_s = pq.display().to_string();
    let back = analyzer(&[
        "query",
        "SELECT count(*) AS n FROM access",
        "-s",
        &pq_s,
        "--format",
        "csv",
    ]);
    assert_eq!(stdout(&back), "n\n100\n");
}

#[tokio::test]
async fn sql_errors_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 1).await;
    let o = analyzer(&["query", "SELECT * FROM acces", "--source", &url]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("zegel-analyzer: error: SQL: table 'acces' not found"),
        "{err}"
    );
    assert!(err.contains("  access(chain_id, seq, time,"), "{err}");
    assert!(o.stdout.is_empty());
}
