//! The `report` command on a log written by the real writer with hand-planted events:
//! each review check has a known positive and a known negative (see `common.rs`).

mod binary;
mod common;
mod docs;
mod formats;
#[path = "../support/pg.rs"]
mod pg;
mod postgres;
#[path = "../support/process.rs"]
mod process;
mod review;
mod views;
