//! The same queries over a PostgreSQL log, each test in a fresh schema of its own.
//! Skipped when `ZEGEL_TEST_POSTGRES_URL` is not set (an error if `ZEGEL_REQUIRE_POSTGRES` is).

use crate::common::{count, gen_log, lines, rows, session, sqlite_log};

use crate::pg::pg_schema;

#[tokio::test]
async fn postgres_log_queries_like_sqlite() {
    let Some(pg) = pg_schema("queries").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    gen_log(&pg.url, dir.path(), "pg-chain", 1200).await;
    gen_log(&pg.url, dir.path(), "pg-chain-2", 100).await;
    let lite = sqlite_log(dir.path(), "pg-chain", 1200).await;
    let (pg_ctx, lite_ctx) = (session(&[&pg.url]).await, session(&[&lite]).await);
    assert_eq!(count(&pg_ctx, "SELECT count(*) FROM access").await, 2600);
    let one = "WHERE chain_id = 'pg-chain'";
    for sql in [
        format!("SELECT kind, decision, count(*) FROM access {one} GROUP BY 1, 2 ORDER BY 1, 2"),
        format!("SELECT count(*) FROM access {one} AND array_has(roles, 'arts')"),
        format!("SELECT count(*) FROM access {one} AND time >= '2026-01-06'"),
        format!("SELECT sum(bytes), max(duration_us) FROM access {one}"),
    ] {
        assert_eq!(
            rows(&pg_ctx, &sql).await,
            rows(&lite_ctx, &sql).await,
            "{sql}"
        );
    }
    // PostgreSQL and SQLite as one table.
    let both = session(&[&pg.url, &lite]).await;
    let per_chain = rows(
        &both,
        "SELECT chain_id, count(*) FROM access GROUP BY 1 ORDER BY 1",
    )
    .await;
    assert_eq!(lines(&per_chain), ["pg-chain|4800", "pg-chain-2|200"]);
}
