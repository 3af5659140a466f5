//! What the user sees when the SQL is wrong or the log holds a malformed row.

use crate::common::{append_malformed, session, sqlite_log};
use futures_util::StreamExt;
use zegel_analyzer::{Error, query};

async fn sql_error(sql: &str) -> (String, Error) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 3).await;
    let ctx = session(&[&url]).await;
    let err = crate::common::fails(query::execute(&ctx, sql).await, sql);
    (err.to_string(), err)
}

#[tokio::test]
async fn unknown_table_lists_the_tables() {
    let (msg, err) = sql_error("SELECT * FROM acces").await;
    assert!(matches!(err, Error::Sql { .. }));
    assert!(msg.starts_with("SQL: table 'acces' not found"), "{msg}");
    assert!(
        msg.contains("available tables:\n  access(chain_id, seq, time, kind,"),
        "{msg}"
    );
}

#[tokio::test]
async fn unknown_column_lists_the_columns() {
    let (msg, _) = sql_error("SELECT patient FROM access").await;
    assert!(msg.starts_with("SQL: No field named patient."), "{msg}");
    assert!(
        msg.contains("available tables:\n  access(chain_id,"),
        "{msg}"
    );
    assert!(
        !msg.contains("Valid fields are"),
        "columns are listed once: {msg}"
    );
}

#[tokio::test]
async fn syntax_error_is_shown_without_internals() {
    let (msg, err) = sql_error("SELEKT 1").await;
    assert!(matches!(err, Error::Sql { hint: None, .. }), "{msg}");
    assert!(msg.starts_with("SQL: "), "{msg}");
    assert!(msg.contains("SELEKT"), "{msg}");
    assert!(!msg.contains("Error during planning"), "{msg}");
}

#[tokio::test]
async fn malformed_record_fails_the_query_and_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 10).await;
    // A row whose sealed bytes do not decode (format version 0x09).
    append_malformed(&url, "c1", 21).await;
    let ctx = session(&[&url]).await;
    let mut stream = query::execute(&ctx, "SELECT count(*) FROM access")
        .await
        .expect("plans");
    let mut failure = None;
    while let Some(b) = stream.next().await {
        if let Err(e) = b {
            failure = Some(query::run_error(&e).to_string());
        }
    }
    let msg = failure.expect("the query must fail, not skip the row");
    assert!(
        msg.contains("chain \"c1\": record at seq 21 is malformed"),
        "{msg}"
    );
    assert!(msg.contains("zegel-analyzer verify"), "{msg}");
}
