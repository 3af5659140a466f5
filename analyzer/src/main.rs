//! `zegel-analyzer`: verify, query and report on zegel access logs.
//! Thin: parse arguments, set up logging, run, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;
use zegel_analyzer::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZEGEL_LOG")
                // sqlx's slow-statement warnings are about the sidecar's request path; a
                // query paging through a large log makes them noise.
                .unwrap_or_else(|_| "warn,sqlx::query=error".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match zegel_analyzer::run(cli).await {
        Ok(code) => code.into(),
        Err(e) => {
            eprintln!("zegel-analyzer: error: {}", zegel_audit::error_text(&e));
            ExitCode::from(2)
        }
    }
}
