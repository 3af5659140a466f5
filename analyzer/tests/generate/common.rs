//! A small hospital log written by `gen` into a temporary directory, and helpers to read
//! it back through the analyzer's query library.

use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::SessionContext;
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use zegel_analyzer::cli::GenArgs;
use zegel_analyzer::generate::Summary;
use zegel_analyzer::session::{self, Tables};
use zegel_audit::keys;

/// A generated log and where its files are.
pub struct Log {
    /// Keeps the files alive.
    pub dir: tempfile::TempDir,
    /// `sqlite:...`.
    pub url: String,
    /// The directory CSVs and incidents.json.
    pub out: PathBuf,
    /// What gen reported.
    pub summary: Summary,
}

/// `gen` arguments for a log in `dir`: 3 days (Monday to Wednesday), 4,000 accesses,
/// 300 staff, every incident kind twice.
pub fn args(dir: &Path, name: &str) -> GenArgs {
    let key = dir.join("signing.pem");
    if !key.exists() {
        let k = keys::generate().expect("key");
        keys::write_pair(&k, &key, &dir.join("signing.pub.pem")).expect("write key");
    }
    let url = format!("sqlite:{}", dir.join(format!("{name}.db")).display());
    let mut a = GenArgs::new(&url, &key).expect("arguments");
    (a.days, a.records, a.staff, a.incidents) = (Some(3), Some(4_000), 300, 16);
    a.checkpoint_file = Some(dir.join(format!("{name}.checkpoints")));
    a
}

/// Writes a log with `args` changed by `edit`, with the directory files.
pub async fn log(edit: impl FnOnce(&mut GenArgs)) -> Log {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = args(dir.path(), "log");
    a.directory_out = Some(dir.path().join("out"));
    edit(&mut a);
    let summary = zegel_analyzer::generate::generate(&a).await.expect("gen");
    Log {
        url: a.db.clone(),
        out: dir.path().join("out"),
        dir,
        summary,
    }
}

impl Log {
    /// A query session over the log and its directory tables.
    pub async fn session(&self) -> SessionContext {
        let tables = Tables {
            sources: vec![self.url.clone()],
            staff: Some(self.out.join("staff.csv")),
            patients: Some(self.out.join("patients.csv")),
            care_relations: Some(self.out.join("care_relations.csv")),
            ..Tables::default()
        };
        session::open(&tables).await.expect("session")
    }

    /// The ground truth.
    pub fn truth(&self) -> serde_json::Value {
        let text =
            std::fs::read_to_string(self.out.join("incidents.json")).expect("incidents.json");
        serde_json::from_str(&text).expect("incidents.json is JSON")
    }
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

/// Rows as `a|b|c` lines, sorted, for comparing sets.
pub fn set(rows: &[Vec<String>]) -> Vec<String> {
    let mut v: Vec<String> = rows.iter().map(|r| r.join("|")).collect();
    v.sort();
    v
}

/// The sequence number and hash of the last record of `chain` in the database at `url`.
pub async fn head(url: &str, chain: &str) -> (u64, [u8; 32]) {
    let store = zegel_audit::store::Store::open(url, &Default::default())
        .await
        .expect("open");
    match store.tail(chain).await.expect("tail") {
        Some(zegel_audit::store::rows::Row::Record(r)) => (r.seq, r.hash),
        other => panic!("{chain}: no tail record: {other:?}"),
    }
}
