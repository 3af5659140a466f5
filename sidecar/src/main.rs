//! `zegel-sidecar` binary: parse arguments and hand over to the library.

use clap::Parser;
use std::process::ExitCode;
use zegel_sidecar::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Keygen(args) => match zegel_sidecar::keygen::run(&args) {
            Ok(id) => {
                println!(
                    "key {id}: private key {}, public key {}",
                    args.private.display(),
                    args.public.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("zegel-sidecar: error: {e}");
                ExitCode::from(2)
            }
        },
    }
}
