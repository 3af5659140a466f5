//! A fresh PostgreSQL schema per test, dropped when the test ends (even on panic).
//! Shared by test targets through `#[path]`.

use sqlx::Connection;

const URL_ENV: &str = "ZEGEL_TEST_POSTGRES_URL";

/// A schema that exists for one test; its URL selects it through `search_path`.
pub struct PgSchema {
    admin_url: String,
    name: String,
    pub url: String,
}

pub async fn pg_schema(test: &str) -> Option<PgSchema> {
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
