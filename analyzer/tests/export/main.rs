//! The `export` command, as a process, over real SQLite logs: the FHIR mapping of every
//! case on a planted log, FHIR R4 validation of every exported AuditEvent with a real
//! validator, and CSV/Parquet row counts against `query` on a generated log.

mod cli;
mod common;
mod mapping;
#[path = "../support/process.rs"]
mod process;
mod tables;
mod validate;
