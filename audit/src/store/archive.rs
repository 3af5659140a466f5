//! Archive marks: the database's record that a chain's first records were copied to a
//! verified archive, and the only way rows ever leave `zegel_records`.
//!
//! The schema (migration 2) lets a row be deleted only when a mark covers it; marks are
//! themselves append-only. The mark's `head` is h(up_to_seq); a verifier reading a
//! database whose chain starts after record 1 resumes from it, and requires a signed
//! checkpoint at `up_to_seq` with the same head (see `verify.rs`).

use super::{Backend, Store, StoreError};
use crate::chain::Hash;

/// Records 1..=`up_to_seq` of `chain_id` are in an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveMark {
    /// The chain.
    pub chain_id: String,
    /// The last archived record.
    pub up_to_seq: u64,
    /// Its hash, h(up_to_seq).
    pub head: Hash,
    /// When the mark was made (µs since the epoch).
    pub archived_us: i64,
    /// Where the archive is (as the archiving command was given it).
    pub location: String,
    /// SHA-256 of the archive's manifest file.
    pub manifest_sha256: Hash,
}

impl Store {
    /// Every archive mark of `chain_id`, by `up_to_seq`.
    pub async fn archive_marks(&self, chain_id: &str) -> Result<Vec<ArchiveMark>, StoreError> {
        let sql = format!(
            "SELECT chain_id, up_to_seq, head, archived_us, location, manifest_sha256 \
             FROM zegel_archives WHERE chain_id = {} ORDER BY up_to_seq",
            self.ph(1)
        );
        macro_rules! run {
            ($pool:expr) => {{
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(chain_id)
                    .fetch_all($pool)
                    .await?;
                rows.iter().map(|r| mark_from_row(r)).collect()
            }};
        }
        match &self.backend {
            Backend::Sqlite(p, ..) => run!(p),
            Backend::Postgres(p) => run!(p),
        }
    }

    /// Records a mark, then deletes the rows it covers, in one transaction: either the
    /// rows are gone and the mark says where they went, or nothing changed. The caller
    /// must have verified the archive first (`zegel-analyzer prune` does).
    pub async fn prune(&self, mark: &ArchiveMark) -> Result<u64, StoreError> {
        let ins = format!(
            "INSERT INTO zegel_archives \
             (chain_id, up_to_seq, head, archived_us, location, manifest_sha256) \
             VALUES ({}, {}, {}, {}, {}, {})",
            self.ph(1),
            self.ph(2),
            self.ph(3),
            self.ph(4),
            self.ph(5),
            self.ph(6)
        );
        let del = format!(
            "DELETE FROM zegel_records WHERE chain_id = {} AND seq <= {}",
            self.ph(1),
            self.ph(2)
        );
        let up_to = i64::try_from(mark.up_to_seq).unwrap_or(i64::MAX);
        macro_rules! run {
            ($pool:expr) => {{
                let mut tx = $pool.begin().await?;
                sqlx::query(sqlx::AssertSqlSafe(ins))
                    .bind(&mark.chain_id)
                    .bind(up_to)
                    .bind(&mark.head[..])
                    .bind(mark.archived_us)
                    .bind(&mark.location)
                    .bind(&mark.manifest_sha256[..])
                    .execute(&mut *tx)
                    .await?;
                let n = sqlx::query(sqlx::AssertSqlSafe(del))
                    .bind(&mark.chain_id)
                    .bind(up_to)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                n
            }};
        }
        Ok(match &self.backend {
            Backend::Sqlite(p, ..) => run!(p),
            Backend::Postgres(p) => run!(p),
        })
    }

    /// The lowest sequence number stored for `chain_id` (1 unless a range was pruned).
    pub async fn first_seq(&self, chain_id: &str) -> Result<Option<u64>, StoreError> {
        let sql = format!(
            "SELECT MIN(seq) FROM zegel_records WHERE chain_id = {}",
            self.ph(1)
        );
        macro_rules! run {
            ($pool:expr) => {{
                sqlx::query_scalar::<_, Option<i64>>(sqlx::AssertSqlSafe(sql))
                    .bind(chain_id)
                    .fetch_one($pool)
                    .await?
            }};
        }
        let min = match &self.backend {
            Backend::Sqlite(p, ..) => run!(p),
            Backend::Postgres(p) => run!(p),
        };
        Ok(min.and_then(|s| u64::try_from(s).ok()))
    }
}

fn mark_from_row<R>(r: &R) -> Result<ArchiveMark, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Vec<u8>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    let chain_id: String = r.try_get("chain_id")?;
    let seq: i64 = r.try_get("up_to_seq")?;
    let bad = |detail: String| StoreError::BadArchiveRow {
        chain_id: chain_id.clone(),
        seq,
        detail,
    };
    let hash = |col: &str| -> Result<Hash, StoreError> {
        let v: Vec<u8> = r.try_get(col)?;
        v.try_into()
            .map_err(|v: Vec<u8>| bad(format!("{col} is {} bytes, expected 32", v.len())))
    };
    Ok(ArchiveMark {
        up_to_seq: u64::try_from(seq).map_err(|_| bad("negative up_to_seq".into()))?,
        head: hash("head")?,
        archived_us: r.try_get("archived_us")?,
        location: r.try_get("location")?,
        manifest_sha256: hash("manifest_sha256")?,
        chain_id: chain_id.clone(),
    })
}
