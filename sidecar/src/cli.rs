//! Command-line arguments of `zegel-sidecar`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The zegel access layer: identifies, decides and durably logs every request to an
/// e-health application (NEN 7513), failing closed.
#[derive(Debug, Parser)]
#[command(name = "zegel-sidecar", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the sidecar with a config file until SIGTERM or SIGINT.
    Run(RunArgs),
    /// Check a config file (and the files it names) and exit: 0 usable, 2 not.
    CheckConfig(RunArgs),
    /// Generate the Ed25519 key pair that signs the log's checkpoints. Keep the private
    /// key away from the database; give the public key to whoever verifies the log.
    Keygen(KeygenArgs),
}

/// Arguments of `keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Private key file to create (PKCS#8 PEM, mode 0600). Never overwritten.
    #[arg(long, default_value = "zegel-signing.pem")]
    pub private: PathBuf,
    /// Public key file to create (SPKI PEM). Never overwritten.
    #[arg(long, default_value = "zegel-signing.pub.pem")]
    pub public: PathBuf,
}

/// Arguments of `run` and `check-config`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The TOML config file.
    #[arg(long, short = 'c', env = "ZEGEL_CONFIG", default_value = "zegel.toml")]
    pub config: PathBuf,
}
