//! `gen`'s synthetic hospital: determinism, the directory files, the planted incidents
//! against what the officer's checks find in the log, several chains, bad arguments.

mod args;
mod chains;
mod common;
mod determinism;
mod directory;
mod incidents;
