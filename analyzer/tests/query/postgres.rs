//! The same queries over a PostgreSQL log, each test in a fresh schema of its own.
//! Skipped when `ZEGEL_TEST_POSTGRES_URL` is not set (an error if `ZEGEL_REQUIRE_POSTGRES` is).

use crate::common::{count, gen_log, lines, rows, session, sqlite_log};
use sqlx::Connection;

const URL_ENV: &str = "ZEGEL_TEST_POSTGRES_URL";

/// A schema that exists for one test; its URL selects it through `search_path`.
struct PgSchema {
    admin_url: String,
    name: String,
    url: String,
}

async fn pg_schema(test: &str) -> Option<PgSchema> {
    let Ok(admin_url) = std::env::var(URL_ENV) else {
        assert!(
            std::env::var_os("ZEGEL_REQUIRE_POSTGRES").is_none(),
            "ZEGEL_REQUIRE_POSTGRES is set but {URL_ENV} is not"
        );
        eprintln!("skipping {test}: {URL_ENV} is not set");
        return None;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!("zegel_a_{test}_{}_{nanos}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect");
    let sql = format!("CREATE SCHEMA {name}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let sep = if admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{admin_url}{sep}options=-c%20search_path%3D{name}");
    Some(PgSchema {
        admin_url,
        name,
        url,
    })
}

impl Drop for PgSchema {
    /// Dropped also when the test panics; on a runtime of its own, as the test's runtime
    /// is the one being left.
    fn drop(&mut self) {
        let (url, sql) = (
            self.admin_url.clone(),
            format!("DROP SCHEMA {} CASCADE", self.name),
        );
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let Ok(rt) = rt else { return };
            rt.block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut c)
                        .await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

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
