//! zegel-analyzer: the security officer's tool. The flow of one run reads from the file
//! names: `cli` (arguments) -> `source` (open the logs) -> `verify` (integrity) or
//! `generate` (synthetic logs) -> `output` (tables).

pub mod cli;
pub mod generate;
pub mod output;
pub mod source;
pub mod verify;

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
}

/// Runs one command.
pub async fn run(cli: cli::Cli) -> Result<Outcome, Error> {
    match cli.command {
        cli::Command::Verify(args) => verify::run(&args).await,
        cli::Command::Gen(args) => generate::run(&args).await,
    }
}
