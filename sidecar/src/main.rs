//! `zegel-sidecar` binary: parse arguments, load the config, hand over to the library.

use clap::Parser;
use std::process::ExitCode;
use zegel_sidecar::cli::{Cli, Command, RunArgs};
use zegel_sidecar::config::Config;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZEGEL_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command {
        Command::Keygen(args) => zegel_sidecar::keygen::run(&args)
            .map(|id| {
                println!(
                    "key {id}: private key {}, public key {}",
                    args.private.display(),
                    args.public.display()
                );
            })
            .map_err(anyhow::Error::from),
        Command::Run(args) => runtime().and_then(|rt| rt.block_on(run(&args))),
        Command::CheckConfig(args) => runtime().and_then(|rt| rt.block_on(check(&args))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "zegel-sidecar: error: {}",
                zegel_audit::error_text(e.as_ref())
            );
            ExitCode::from(2)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

async fn run(args: &RunArgs) -> anyhow::Result<()> {
    let cfg = Config::load(&args.config)?;
    let sidecar = zegel_sidecar::app::start(&cfg).await?;
    let listener = tokio::net::TcpListener::bind(cfg.listen.address).await?;
    tracing::info!(listen = %listener.local_addr()?, upstream = %cfg.upstream.url, "zegel-sidecar serving");
    sidecar.run(listener, shutdown_signal()).await?;
    tracing::info!("zegel-sidecar stopped; log flushed");
    Ok(())
}

async fn check(args: &RunArgs) -> anyhow::Result<()> {
    let cfg = Config::load(&args.config)?;
    zegel_sidecar::app::check(&cfg).await?;
    println!("config {} is usable", args.config.display());
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
    }
}
