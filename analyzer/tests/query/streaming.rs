//! A larger log: read in page-sized batches as the query consumes them, never as a whole.

use crate::common::{count, session, sqlite_log};
use datafusion::prelude::SessionContext;
use futures_util::StreamExt;
use zegel_analyzer::partition::PAGE_ROWS;

/// 100k access records with their outcomes: 200k records.
const ACCESSES: u64 = 100_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_chain_streams_in_pages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "big", ACCESSES).await;
    let ctx = session(&[&url]).await;
    let total = 2 * ACCESSES as i64;
    assert_eq!(count(&ctx, "SELECT count(*) FROM access").await, total);
    assert_eq!(
        count(&ctx, "SELECT count(DISTINCT seq) FROM access").await,
        total
    );

    // The scan itself: batches of at most one page, many of them, and the first one
    // arrives while most of the chain has not been read.
    let (batches, max_rows, rows) = scan_batches(&ctx).await;
    assert_eq!(rows, total as usize);
    assert!(
        max_rows <= PAGE_ROWS as usize,
        "a batch is at most one page"
    );
    assert!(
        batches >= total as usize / PAGE_ROWS as usize,
        "{batches} batches"
    );
}

async fn scan_batches(ctx: &SessionContext) -> (usize, usize, usize) {
    let df = ctx.table("access").await.expect("table");
    let plan = df
        .select_columns(&["seq"])
        .expect("project")
        .create_physical_plan()
        .await;
    let plan = plan.expect("plan");
    let (mut batches, mut max_rows, mut rows) = (0, 0, 0);
    for p in 0..plan.properties().output_partitioning().partition_count() {
        let mut s = plan.execute(p, ctx.task_ctx()).expect("execute");
        while let Some(b) = s.next().await {
            let n = b.expect("batch").num_rows();
            (batches, rows, max_rows) = (batches + 1, rows + n, max_rows.max(n));
        }
    }
    (batches, max_rows, rows)
}
