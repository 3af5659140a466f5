//! Bounds on `seq` and `time` go to the database (`pushdown.rs`): the answers stay the
//! same as without them, and rows outside the bounds are really not read (a malformed
//! row there no longer stops the query).

use crate::common::{append_malformed, count, lines, rows, session, sqlite_log};
use futures_util::StreamExt;
use zegel_analyzer::query;

/// 6,000 accesses with outcomes: 12,000 records, more than one page.
const ACCESSES: u64 = 6_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_queries_answer_as_unbounded_ones_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", ACCESSES).await;
    let ctx = session(&[&url]).await;
    let time_of = "SELECT CAST(time AS BIGINT) FROM access WHERE abs(seq) =";
    let t1 = count(&ctx, &format!("{time_of} 2345")).await;
    let t2 = count(&ctx, &format!("{time_of} 10001")).await;
    let ts = |t: i64| format!("arrow_cast({t}, 'Timestamp(Microsecond, Some(\"UTC\"))')");
    // Each pair: a filter the provider pushes down, and the same filter in a form it
    // cannot see through.
    let pairs = [
        (
            "seq BETWEEN 1234 AND 9876",
            "abs(seq) BETWEEN 1234 AND 9876",
        ),
        ("seq > 11990", "abs(seq) > 11990"),
        (
            "seq <= 8192 AND seq >= 8190",
            "abs(seq) <= 8192 AND abs(seq) >= 8190",
        ),
        ("seq = 1", "abs(seq) = 1"),
        ("seq < 1", "abs(seq) < 1"),
        (
            &format!("time >= {} AND time < {}", ts(t1), ts(t2)),
            &format!("abs(CAST(time AS BIGINT)) >= {t1} AND abs(CAST(time AS BIGINT)) < {t2}"),
        ),
        (
            &format!("time > {} AND seq < 11000", ts(t1)),
            &format!("abs(CAST(time AS BIGINT)) > {t1} AND abs(seq) < 11000"),
        ),
    ];
    for (pushed, opaque) in pairs {
        let sql = |w: &str| format!("SELECT seq, kind, user_id FROM access WHERE {w} ORDER BY seq");
        let (a, b) = (
            rows(&ctx, &sql(pushed)).await,
            rows(&ctx, &sql(opaque)).await,
        );
        assert_eq!(lines(&a), lines(&b), "{pushed}");
    }
    let n = count(
        &ctx,
        &format!("SELECT count(*) FROM access WHERE time >= {}", ts(t1)),
    )
    .await;
    assert!(
        n > 1000 && n < 12_000,
        "{n}: the time window must select part of the log"
    );
}

#[tokio::test]
async fn rows_outside_the_bounds_are_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 50).await;
    // A row after the chain whose sealed bytes do not decode, dated 1970.
    append_malformed(&url, "c1", 101).await;
    let ctx = session(&[&url]).await;
    let since_2000 = "time >= arrow_cast(946684800000000, 'Timestamp(Microsecond, Some(\"UTC\"))')";
    for (filter, expect) in [
        ("seq <= 100", Ok(100)),
        ("seq BETWEEN 10 AND 19", Ok(10)),
        (since_2000, Ok(100)),
        ("abs(seq) <= 100", Err("record at seq 101 is malformed")),
        ("seq <= 101", Err("record at seq 101 is malformed")),
    ] {
        let sql = format!("SELECT count(*) FROM access WHERE {filter}");
        assert_eq!(
            outcome(&ctx, &sql).await,
            expect.map_err(str::to_owned),
            "{filter}"
        );
    }
}

/// The single count of `sql`, or the error message that contains the expected text.
async fn outcome(ctx: &datafusion::prelude::SessionContext, sql: &str) -> Result<i64, String> {
    let mut stream = query::execute(ctx, sql).await.expect("plans");
    let mut n = None;
    while let Some(b) = stream.next().await {
        match b {
            Ok(b) if b.num_rows() == 1 => {
                let col = b.column(0).as_any();
                let v = col.downcast_ref::<datafusion::arrow::array::Int64Array>();
                n = v.map(|a| a.value(0));
            }
            Ok(_) => {}
            Err(e) => {
                let msg = query::run_error(&e).to_string();
                let what = "record at seq 101 is malformed";
                return Err(if msg.contains(what) { what.into() } else { msg });
            }
        }
    }
    n.ok_or_else(|| "no count".into())
}
