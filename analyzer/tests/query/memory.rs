//! `--memory-limit`: a join whose hash table does not fit is planned again with
//! sort-merge joins that spill, and gives the right answer; a join that fits keeps the
//! hash join.

use crate::common::{rows, sqlite_log};
use datafusion::prelude::SessionContext;
use zegel_analyzer::memory::{self, Memory};
use zegel_analyzer::session::{self, Tables};

/// A join of 3 million rows of five integers with itself, every column used on both
/// sides: its hash table needs well over the smallest limit.
const JOIN: &str = "WITH r AS (SELECT id, id * 2 AS a, id * 3 AS b, id * 5 AS c, id * 7 AS d \
                             FROM (SELECT unnest(range(0, 3000000)) AS id)) \
    SELECT count(*) AS n, sum(t.a + t.b + t.c + t.d - t.id) AS s, \
           max(u.a + u.b + u.c + u.d) AS m \
    FROM r t JOIN r u ON t.id = u.id";

async fn session_with(url: &str, memory: Memory) -> SessionContext {
    let tables = Tables {
        sources: vec![url.to_owned()],
        memory,
        ..Tables::default()
    };
    session::open(&tables).await.expect("session")
}

fn hash_joins(ctx: &SessionContext) -> bool {
    ctx.state().config().options().optimizer.prefer_hash_join
}

#[tokio::test]
async fn a_join_larger_than_the_limit_spills_and_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "mem", 5).await;
    // 3M rows; the sum over all ids of 16 id; the largest 17 id.
    let expected = [["3000000", "71999976000000", "50999983"]];
    let spill_dir = dir.path().join("spill");
    std::fs::create_dir(&spill_dir).expect("spill dir");
    let limit = Memory {
        limit: Some(memory::MIN_LIMIT),
        spill_dir: Some(spill_dir),
    };
    // Without the fallback this join fails: the premise of the test.
    let plain = session_with(&url, limit.clone()).await;
    let err = plain.sql(JOIN).await.expect("plan").collect().await;
    let err =
        err.expect_err("a hash join of 3M rows of 40 bytes must not fit in the smallest limit");
    assert!(memory::is_exhausted(&err), "{err}");

    let limited = session_with(&url, limit).await;
    assert_eq!(rows(&limited, JOIN).await, expected);
    // Below the limit nothing changes: a small join keeps the hash join.
    let small = JOIN.replace("3000000", "1000");
    let fits = session_with(&url, Memory::default()).await;
    assert_eq!(rows(&fits, &small).await, [["1000", "7992000", "16983"]]);
    assert!(hash_joins(&fits), "a join that fits stays a hash join");
    assert!(
        !hash_joins(&limited),
        "the session switched to joins that spill"
    );
}
