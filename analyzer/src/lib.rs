//! zegel-analyzer: the security officer's tool. The flow of one run reads from the file
//! names: `cli` (arguments) -> `source` (open the logs) -> `verify` (integrity) or
//! `generate` (synthetic logs) -> `output` (tables).
//!
//! `query`: `session` builds a DataFusion context (its memory pool and spilling in
//! `memory`, zegel's SQL functions in `functions`) with the `access` table (`table` is
//! its schema; `provider` combines the sources and `pushdown` takes the seq and time
//! bounds it can hand them: `partition` pages a database chain into batches built by
//! `batch`, `parquet_dir` checks Parquet directories) and the CSV
//! `directory` tables; `query` plans and runs the SQL and `print` writes the result.
//!
//! `report`: named reports (patient view, per employee, daily, per record, review,
//! adoption, and the compliance evidence pack) as documented SQL over the same session,
//! rendered as table, CSV, JSON, HTML or PDF, or listed as their SQL.
//!
//! `export`: the records of a period streamed from the same session as FHIR AuditEvents
//! (`export::fhir`), CSV or Parquet (through `print`).

pub mod archive;
pub mod batch;
pub mod cli;
pub mod directory;
pub mod export;
pub mod functions;
pub mod generate;
pub mod memory;
pub mod output;
pub mod parquet_dir;
pub mod partition;
pub mod print;
pub mod provider;
pub mod pushdown;
pub mod query;
pub mod report;
pub mod session;
pub mod source;
pub mod table;
pub mod verify;

use std::path::PathBuf;

/// How a run ended; the binary turns it into the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything checked out (exit 0).
    Ok,
    /// An integrity problem was found (exit 1).
    IntegrityFailure,
}

impl From<Outcome> for std::process::ExitCode {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Ok => std::process::ExitCode::SUCCESS,
            Outcome::IntegrityFailure => std::process::ExitCode::from(1),
        }
    }
}

/// Errors that end a run with exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A source could not be opened or read.
    #[error(transparent)]
    Store(#[from] zegel_audit::StoreError),
    /// A key file could not be read.
    #[error(transparent)]
    Key(#[from] zegel_audit::keys::KeyError),
    /// A checkpoint file could not be read.
    #[error(transparent)]
    CheckpointFile(#[from] zegel_audit::checkpoint::CheckpointFileError),
    /// The writer refused to start.
    #[error(transparent)]
    Writer(#[from] zegel_audit::writer::StartError),
    /// The writer refused a record.
    #[error(transparent)]
    Write(#[from] zegel_audit::writer::WriteError),
    /// Arguments that clap cannot check.
    #[error("{0}")]
    Usage(String),
    /// The SQL could not be planned: syntax, unknown table or column, types.
    #[error("SQL: {message}{}", hint.as_deref().map(|h| format!("\n{h}")).unwrap_or_default())]
    Sql {
        /// DataFusion's message, without its internal prefixes.
        message: String,
        /// What the user can choose from (tables and columns), when that helps.
        hint: Option<String>,
    },
    /// The query failed while running (a source could not be read, a malformed record).
    #[error("query failed: {0}")]
    Query(String),
    /// A directory CSV file is not in the documented form.
    #[error("{}: line {line}, column {column}: {detail}", file.display())]
    Csv {
        /// The file.
        file: PathBuf,
        /// Line number (1 is the header; 0 when the file could not be read at all).
        line: u64,
        /// Column name (`-` when the problem is not one column's).
        column: String,
        /// What is wrong.
        detail: String,
    },
    /// A Parquet source file does not have the `access` schema.
    #[error("source file {}: not in the access schema: {detail}", file.display())]
    ParquetSchema {
        /// The file.
        file: PathBuf,
        /// Which columns differ and how.
        detail: String,
    },
    /// The result could not be written.
    #[error("cannot write {target}: {detail}")]
    Output {
        /// Where the output went (a file name or `standard output`).
        target: String,
        /// What failed.
        detail: String,
    },
    /// DataFusion or Arrow failed while setting up tables.
    #[error("{}", query::clean_message(.0))]
    DataFusion(#[from] datafusion::error::DataFusionError),
}

impl From<datafusion::arrow::error::ArrowError> for Error {
    fn from(e: datafusion::arrow::error::ArrowError) -> Self {
        Error::DataFusion(e.into())
    }
}

/// Runs one command.
pub async fn run(cli: cli::Cli) -> Result<Outcome, Error> {
    match cli.command {
        cli::Command::Verify(args) => verify::run(&args).await,
        cli::Command::Gen(args) => generate::run(&args).await,
        cli::Command::Query(args) => query::run(&args).await,
        cli::Command::Archive(args) => archive::run(&args).await,
        cli::Command::Prune(args) => archive::prune(&args).await,
        cli::Command::Report(args) => report::run(&args).await,
        cli::Command::Export(args) => export::run(&args).await,
    }
}
