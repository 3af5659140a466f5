//! Table and column names, the embedded migrations, and generated INSERT statements.

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AssertSqlSafe, SqlSafeStr};
use std::sync::Arc;

/// Columns of `zegel_records`, in bind order (the order of `bind_record!`). `record` holds
/// the canonical encoding; `time_us`, `kind`, `user_id` and `patient_id` repeat fields of
/// it for selecting and indexing in the database (verifiers check they agree).
pub const RECORD_COLUMNS: &[&str] = &[
    "chain_id",
    "seq",
    "time_us",
    "kind",
    "user_id",
    "patient_id",
    "record",
    "hash",
];

/// The SELECT list matching [`RECORD_COLUMNS`].
pub fn select_columns() -> String {
    RECORD_COLUMNS.join(", ")
}

/// Which placeholder syntax a backend uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placeholders {
    /// `?` (SQLite).
    Question,
    /// `$1, $2, ...` (PostgreSQL).
    Dollar,
}

/// `INSERT INTO zegel_records (...) VALUES (...), ...` for `rows` rows.
pub fn insert_records_sql(rows: usize, style: Placeholders) -> Arc<str> {
    let cols = RECORD_COLUMNS.len();
    let mut sql = format!(
        "INSERT INTO zegel_records ({}) VALUES ",
        RECORD_COLUMNS.join(", ")
    );
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for col in 0..cols {
            if col > 0 {
                sql.push_str(", ");
            }
            match style {
                Placeholders::Question => sql.push('?'),
                Placeholders::Dollar => sql.push_str(&format!("${}", row * cols + col + 1)),
            }
        }
        sql.push(')');
    }
    sql.into()
}

/// Prebuilt INSERT statements for full chunks and for the remainder sizes.
pub struct InsertStatements {
    chunk: usize,
    by_rows: Vec<Arc<str>>,
}

impl InsertStatements {
    /// Statements for 1..=chunk rows.
    pub fn new(chunk: usize, style: Placeholders) -> Self {
        let by_rows = (0..=chunk).map(|n| insert_records_sql(n, style)).collect();
        InsertStatements { chunk, by_rows }
    }

    /// Rows per statement at most.
    pub fn chunk(&self) -> usize {
        self.chunk
    }

    /// The statement for `rows` rows (1..=chunk).
    pub fn for_rows(&self, rows: usize) -> impl SqlSafeStr + use<> {
        AssertSqlSafe(Arc::clone(&self.by_rows[rows]))
    }
}

fn migrator(steps: &[(&'static str, &'static str)]) -> Migrator {
    let migrations = steps
        .iter()
        .zip(1..)
        .map(|((name, sql), version)| {
            Migration::new(
                version,
                (*name).into(),
                MigrationType::Simple,
                (*sql).into_sql_str(),
                false,
            )
        })
        .collect();
    let mut migrator = Migrator::with_migrations(migrations);
    migrator.dangerous_set_table_name("zegel_migrations");
    migrator
}

/// Migrations for SQLite.
pub fn sqlite_migrator() -> Migrator {
    migrator(&[
        (
            "init",
            include_str!("../../migrations/sqlite/0001_init.sql"),
        ),
        (
            "archives",
            include_str!("../../migrations/sqlite/0002_archives.sql"),
        ),
    ])
}

/// Migrations for PostgreSQL.
pub fn postgres_migrator() -> Migrator {
    migrator(&[
        (
            "init",
            include_str!("../../migrations/postgres/0001_init.sql"),
        ),
        (
            "archives",
            include_str!("../../migrations/postgres/0002_archives.sql"),
        ),
    ])
}
