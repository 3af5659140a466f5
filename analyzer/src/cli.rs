//! Command-line arguments. Flags say how this run goes; what the log holds is read from
//! the sources.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Verify, query and report on zegel access logs (NEN 7513).
#[derive(Debug, Parser)]
#[command(name = "zegel-analyzer", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify every chain in the sources: hashes, sequence, checkpoint signatures and the
    /// external checkpoint file. Exit 0 valid, 1 integrity failure, 2 usage or I/O error.
    Verify(VerifyArgs),
    /// Write a synthetic access log with a valid chain and checkpoints (for trying out
    /// the tools and for benchmarks).
    Gen(GenArgs),
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A log database: `sqlite:PATH` or `postgres://USER@HOST/DB`. Repeatable.
    #[arg(long = "source", short = 's', required = true, env = "ZEGEL_SOURCE")]
    pub sources: Vec<String>,
    /// Public key file(s) (SPKI PEM) that checkpoints must be signed with. Without one,
    /// signatures are not checked, and the output says so.
    #[arg(long = "public-key", short = 'k')]
    pub public_keys: Vec<PathBuf>,
    /// Checkpoint file(s) written by the sidecar, the anchor outside the database.
    #[arg(long = "checkpoint-file", short = 'c')]
    pub checkpoint_files: Vec<PathBuf>,
    /// Verify only this chain (repeatable); default: every chain in the sources.
    #[arg(long = "chain")]
    pub chains: Vec<String>,
}

/// Arguments of `gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    /// Database to write to: `sqlite:PATH` or `postgres://...`.
    #[arg(long)]
    pub db: String,
    /// Signing key (PKCS#8 PEM), e.g. made by `zegel-sidecar keygen`.
    #[arg(long)]
    pub key: PathBuf,
    /// Checkpoint file to append to.
    #[arg(long)]
    pub checkpoint_file: Option<PathBuf>,
    /// Chain id to write.
    #[arg(long, default_value = "demo-sidecar-1")]
    pub chain: String,
    /// Number of access records.
    #[arg(long, default_value_t = 10_000)]
    pub records: u64,
    /// Seed of the generator: the same seed gives the same log.
    #[arg(long, default_value_t = 7513)]
    pub seed: u64,
}
