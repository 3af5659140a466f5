//! A fresh PostgreSQL schema per test, dropped when the test ends.

use sqlx::Connection;

/// A schema that exists for one test; its URL selects it through `search_path`.
pub struct PgSchema {
    admin_url: String,
    /// The schema name.
    pub schema: String,
    /// URL whose connections use only this schema.
    pub url: String,
}

/// Creates a fresh schema, or returns `None` (and says so) when PostgreSQL tests are not
/// enabled through `ZEGEL_TEST_POSTGRES_URL`.
pub async fn schema(test: &str) -> Option<PgSchema> {
    let Ok(admin_url) = std::env::var(crate::POSTGRES_URL_ENV) else {
        if std::env::var_os("ZEGEL_REQUIRE_POSTGRES").is_some() {
            panic!(
                "ZEGEL_REQUIRE_POSTGRES is set but {} is not",
                crate::POSTGRES_URL_ENV
            );
        }
        eprintln!(
            "skipping PostgreSQL part of {test}: {} is not set",
            crate::POSTGRES_URL_ENV
        );
        return None;
    };
    let mut rnd = [0u8; 6];
    getrandom_fill(&mut rnd);
    let schema = format!("zegel_t_{}", hex::encode(rnd));
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("{}={admin_url}: {e}", crate::POSTGRES_URL_ENV));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let sep = if admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{admin_url}{sep}options=-c%20search_path%3D{schema}");
    Some(PgSchema {
        admin_url,
        schema,
        url,
    })
}

fn getrandom_fill(buf: &mut [u8]) {
    use sha2::Digest;
    let seed = format!(
        "{:?}{:?}",
        std::time::SystemTime::now(),
        std::thread::current().id()
    );
    let h = sha2::Sha256::digest(format!("{seed}{}", std::process::id()).as_bytes());
    buf.copy_from_slice(&h[..buf.len()]);
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, schema) = (self.admin_url.clone(), self.schema.clone());
        // Drop runs inside the test's runtime; do the cleanup on a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
                        let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(&mut c)
                            .await;
                    }
                });
            }
        })
        .join();
    }
}
