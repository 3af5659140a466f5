//! Command-line arguments. Flags say how this run goes; what the log holds is read from
//! the sources.

use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// Run SQL over the table `access` (every record of every source) and the directory
    /// tables `staff`, `patients` and `care_relations` (docs/analyzer-tables.md).
    /// Exit 0 done, 2 usage, SQL or I/O error.
    Query(QueryArgs),
}

/// Arguments of `query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The SQL, e.g. "SELECT user_id, count(*) FROM access GROUP BY user_id".
    pub sql: String,
    /// A log database (`sqlite:PATH`, `postgres://USER@HOST/DB`) or a directory of Parquet
    /// files in the access schema (as written by `--format parquet`). Repeatable: all
    /// sources together form the one table `access`.
    #[arg(long = "source", short = 's', required = true, env = "ZEGEL_SOURCE")]
    pub sources: Vec<String>,
    /// CSV file for the table `staff` (user_id,name,department,role).
    #[arg(long)]
    pub staff: Option<PathBuf>,
    /// CSV file for the table `patients` (patient_id,surname,vip).
    #[arg(long)]
    pub patients: Option<PathBuf>,
    /// CSV file for the table `care_relations` (patient_id,user_id,valid_from,valid_to).
    #[arg(long = "care-relations")]
    pub care_relations: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file instead of standard output (required for parquet).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Rows shown by `--format table`; the other formats write every row.
    #[arg(long, default_value_t = 1000)]
    pub max_rows: usize,
}

/// How `query` writes its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for the terminal.
    Table,
    /// CSV with a header line; lists written as `[a, b]`.
    Csv,
    /// JSON lines: one object per row.
    Json,
    /// A Parquet file (needs --output); readable again as a --source directory.
    Parquet,
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
#[derive(Debug, Clone, Args)]
pub struct GenArgs {
    /// Database to write to: `sqlite:PATH` or `postgres://...`.
    #[arg(long)]
    pub db: String,
    /// Signing key (PKCS#8 PEM), e.g. made by `zegel-sidecar keygen`.
    #[arg(long)]
    pub key: PathBuf,
    /// Checkpoint file to append to; with `--chains K` > 1 one per chain, NAME-k.EXT.
    #[arg(long)]
    pub checkpoint_file: Option<PathBuf>,
    /// Chain id to write; with `--chains K` > 1 the chains are ID-1 ... ID-K.
    #[arg(long, default_value = "demo-sidecar-1")]
    pub chain: String,
    /// Chains to write, as that many sidecars would, each with its share of the traffic.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub chains: u32,
    /// Background access records, all chains together (each is followed by its outcome
    /// record). Default 10,000, or what the hospital does in `--days`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub records: Option<u64>,
    /// Days the log covers, from Monday 2026-01-05. Default: as many as `--records` need
    /// at the hospital's usual pace.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub days: Option<u32>,
    /// Employees of the hospital.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(50..=1_000_000))]
    pub staff: u32,
    /// Patients (each with one care episode). Default: enough for every department on
    /// every day.
    #[arg(long, value_parser = clap::value_parser!(u32).range(100..=100_000_000))]
    pub patients: Option<u32>,
    /// Incidents to plant, kinds in turn (8 kinds: 8 or more plants each at least once).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub incidents: u32,
    /// Write staff.csv, patients.csv, care_relations.csv and incidents.json (the ground
    /// truth) into this directory.
    #[arg(long)]
    pub directory_out: Option<PathBuf>,
    /// Print records/s on standard error every few seconds (always when it is a terminal).
    #[arg(long)]
    pub progress: bool,
    /// What to generate.
    #[arg(long, value_enum, default_value_t = GenProfile::Hospital)]
    pub profile: GenProfile,
    /// Seed of the generator: the same seed gives the same log.
    #[arg(long, default_value_t = 7513)]
    pub seed: u64,
}

/// What `gen` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenProfile {
    /// A hospital with working hours, care relations and planted incidents.
    Hospital,
    /// Access/outcome pairs only, uniformly spread (one chain, no directory, no
    /// incidents; for tests that count records).
    Uniform,
}

impl GenArgs {
    /// The arguments `gen --db DB --key KEY` has: every other option at its default.
    pub fn new(db: &str, key: &std::path::Path) -> Result<GenArgs, clap::Error> {
        use clap::FromArgMatches;
        let cmd = GenArgs::augment_args(clap::Command::new("gen"));
        let argv: [std::ffi::OsString; 5] = [
            "gen".into(),
            "--db".into(),
            db.into(),
            "--key".into(),
            key.into(),
        ];
        GenArgs::from_arg_matches(&cmd.try_get_matches_from(argv)?)
    }
}
