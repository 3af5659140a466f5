//! One writer per chain: two processes appending to the same chain would fight over its
//! head. PostgreSQL holds a session advisory lock; SQLite holds an exclusive lock on a
//! file beside the database (`<db>.<chain>.lock`). Either is released when the
//! [`ChainLock`] is dropped or the process dies. The SQLite lock file stays after a clean
//! stop, on purpose: removing it would let a starting writer create and lock a new file
//! while a stopping one still holds the old one, so two would hold "the" lock at once.

use super::StoreError;
use std::path::{Path, PathBuf};

/// Proof that this process is the only writer of a chain.
pub struct ChainLock {
    held: Held,
}

// The values are held for their Drop, which releases the lock.
#[allow(dead_code)]
enum Held {
    None,
    File(std::fs::File),
    Postgres(sqlx::PgConnection),
}

impl ChainLock {
    pub(super) fn sqlite(db: Option<&Path>, chain_id: &str) -> Result<ChainLock, StoreError> {
        let Some(db) = db.filter(|p| p.as_os_str() != ":memory:") else {
            return Ok(ChainLock { held: Held::None });
        };
        let path = lock_path(db, chain_id);
        let in_use = |detail: String| StoreError::ChainInUse {
            chain_id: chain_id.into(),
            detail,
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| in_use(format!("cannot open lock file {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(ChainLock {
                held: Held::File(file),
            }),
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(in_use(format!("lock file {} is held", path.display())))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                Err(in_use(format!("cannot lock {}: {e}", path.display())))
            }
        }
    }

    pub(super) async fn postgres(
        pool: &sqlx::PgPool,
        chain_id: &str,
    ) -> Result<ChainLock, StoreError> {
        let mut conn = pool.acquire().await?.detach();
        // Keyed by schema too: chains of the same name in two schemas are two logs.
        let got: bool = sqlx::query_scalar(
            "SELECT pg_try_advisory_lock(hashtextextended(current_schema() || ':' || $1, 0))",
        )
        .bind(advisory_key(chain_id))
        .fetch_one(&mut conn)
        .await?;
        if got {
            Ok(ChainLock {
                held: Held::Postgres(conn),
            })
        } else {
            Err(StoreError::ChainInUse {
                chain_id: chain_id.into(),
                detail: "its PostgreSQL advisory lock is held by another session".into(),
            })
        }
    }
}

impl ChainLock {
    /// After a database outage: keeps the lock if the PostgreSQL session holding it is
    /// still there, else takes it again on a new session (a server restart or a broken
    /// connection ends the session, and the advisory lock with it). Fails with
    /// [`StoreError::ChainInUse`] when another writer took the chain meanwhile, so the
    /// writer stays refusing instead of appending beside it.
    pub(super) async fn reassert(
        &mut self,
        pool: &sqlx::PgPool,
        chain_id: &str,
        timeout: std::time::Duration,
    ) -> Result<(), StoreError> {
        let Held::Postgres(conn) = &mut self.held else {
            return Ok(());
        };
        let alive = tokio::time::timeout(timeout, sqlx::query("SELECT 1").execute(&mut *conn))
            .await
            .is_ok_and(|r| r.is_ok());
        if !alive {
            // The old session is gone (or unreachable), and its lock with it. Until a new
            // one is taken the dead connection stays here, so the next try asks again.
            *self = ChainLock::postgres(pool, chain_id).await?;
            tracing::info!(
                chain = chain_id,
                "chain lock taken again after the database came back"
            );
        }
        Ok(())
    }

    /// Releases the lock now (dropping it also releases it, but a PostgreSQL server
    /// notices a dropped connection only after a moment).
    pub async fn release(self) {
        if let Held::Postgres(mut conn) = self.held {
            use sqlx::Connection;
            let _ = sqlx::query("SELECT pg_advisory_unlock_all()")
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        }
    }
}

fn lock_path(db: &Path, chain_id: &str) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{chain_id}.lock"));
    db.with_file_name(name)
}

/// The advisory-lock key of a chain: 64 bits of SHA-256 over a prefixed id.
fn advisory_key(chain_id: &str) -> String {
    format!("zegel.chain-lock:{chain_id}")
}
