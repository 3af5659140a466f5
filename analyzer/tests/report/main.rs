//! The `report` command on a log written by the real writer with hand-planted events:
//! each review check has a known positive and a known negative (see `common.rs`); the
//! compliance pack on a `gen` log continued by the writer (see `pack.rs`); reports about
//! one subject over its rows read once (`subject.rs`).

mod binary;
mod common;
mod compliance;
mod docs;
mod formats;
mod pack;
#[path = "../support/pg.rs"]
mod pg;
mod postgres;
#[path = "../support/process.rs"]
mod process;
mod review;
mod subject;
mod views;
