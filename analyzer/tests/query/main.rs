//! The `query` command against real logs: written by the real writer into SQLite (always)
//! and PostgreSQL (when `ZEGEL_TEST_POSTGRES_URL` is set), read through DataFusion.

mod binary;
mod common;
mod directory;
mod errors;
mod memory;
#[path = "../support/pg.rs"]
mod pg;
mod postgres;
#[path = "../support/process.rs"]
mod process;
mod pushdown;
mod sources;
mod sql;
mod streaming;
