//! Shared set-up: logs written by `gen`, a session over them, results as text.

use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::SessionContext;
use futures_util::StreamExt;
use std::path::Path;
use zegel_analyzer::cli::{GenArgs, GenProfile};
use zegel_analyzer::session::{self, Tables};
use zegel_audit::keys;
use zegel_audit::store::{Store, StoreOptions};

/// Seed used by every test log.
pub const SEED: u64 = 7513;

/// Writes `records` access records (each followed by its outcome) as chain `chain` into
/// `db` with the real writer, as `zegel-analyzer gen` does.
pub async fn gen_log(db: &str, dir: &Path, chain: &str, records: u64) {
    let key = dir.join(format!("{chain}.key"));
    if !key.exists() {
        let k = keys::generate().expect("key");
        keys::write_pair(&k, &key, &dir.join(format!("{chain}.pub"))).expect("write key");
    }
    let mut args = GenArgs::new(db, &key).expect("gen arguments");
    (args.chain, args.records, args.seed) = (chain.to_owned(), Some(records), SEED);
    args.profile = GenProfile::Uniform;
    zegel_analyzer::generate::run(&args).await.expect("gen");
}

/// A SQLite log with one chain of `records` access records, in `dir`.
pub async fn sqlite_log(dir: &Path, name: &str, records: u64) -> String {
    let url = format!("sqlite:{}", dir.join(format!("{name}.db")).display());
    gen_log(&url, dir, name, records).await;
    url
}

/// Appends to chain `chain` of the SQLite log at `url` a row at `seq`, dated 1970, whose
/// sealed bytes do not decode (format version 0x09).
pub async fn append_malformed(url: &str, chain: &str, seq: u64) {
    let store = Store::open(url, &StoreOptions::default())
        .await
        .expect("open");
    let sql = format!(
        "INSERT INTO zegel_records (chain_id, seq, time_us, kind, record, hash) \
         VALUES ('{chain}', {seq}, 0, 'access', X'09', zeroblob(32))"
    );
    store.execute_raw(sql).await.expect("insert");
    store.close().await;
}

/// A session over `sources` without directory tables.
pub async fn session(sources: &[&str]) -> SessionContext {
    let tables = Tables {
        sources: sources.iter().map(|s| s.to_string()).collect(),
        ..Tables::default()
    };
    session::open(&tables).await.expect("session")
}

/// Runs `sql` and returns every row as text cells (nulls as `NULL`).
pub async fn rows(ctx: &SessionContext, sql: &str) -> Vec<Vec<String>> {
    let mut stream = zegel_analyzer::query::execute(ctx, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let options = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    while let Some(batch) = stream.next().await {
        let batch = batch.unwrap_or_else(|e| panic!("{sql}: {e}"));
        let fmts: Vec<_> = (batch.columns().iter())
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).expect("formatter"))
            .collect();
        for r in 0..batch.num_rows() {
            out.push(fmts.iter().map(|f| f.value(r).to_string()).collect());
        }
    }
    out
}

/// Runs a query with a single integer result.
pub async fn count(ctx: &SessionContext, sql: &str) -> i64 {
    let r = rows(ctx, sql).await;
    assert_eq!(r.len(), 1, "{sql}: one row expected, got {r:?}");
    r[0][0]
        .parse()
        .unwrap_or_else(|_| panic!("{sql}: not a number: {r:?}"))
}

/// Rows as `a|b|c` lines, for comparing whole results.
pub fn lines(rows: &[Vec<String>]) -> Vec<String> {
    rows.iter().map(|r| r.join("|")).collect()
}

/// The error of a call that must fail (for results whose value has no `Debug`).
pub fn fails<T>(r: Result<T, zegel_analyzer::Error>, what: &str) -> zegel_analyzer::Error {
    match r {
        Ok(_) => panic!("{what}: succeeded, but must fail"),
        Err(e) => e,
    }
}
