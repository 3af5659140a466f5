//! A child process for crash tests: writes sample records through the real writer as
//! fast as it can and prints `ack <seq> <hash>` for every acknowledged record, until it
//! is killed. The parent checks that every printed record survived the SIGKILL.

use clap::Parser;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use zegel_audit::keys::read_signing_key;
use zegel_audit::store::{Store, StoreOptions};
use zegel_audit::writer::{Writer, WriterConfig};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    url: String,
    #[arg(long)]
    key: PathBuf,
    #[arg(long)]
    checkpoint_file: PathBuf,
    #[arg(long, default_value = "crash-test")]
    chain: String,
    #[arg(long, default_value_t = 64)]
    submitters: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let store = Store::open(&args.url, &StoreOptions::default()).await?;
    let mut cfg = WriterConfig::new(&args.chain);
    cfg.checkpoint_every = 500;
    cfg.checkpoint_file = Some(args.checkpoint_file);
    let (writer, _task) = Writer::start(store, read_signing_key(&args.key)?, cfg).await?;
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    println!("ready");
    let mut tasks = Vec::new();
    for t in 0..args.submitters {
        let (writer, out) = (writer.clone(), Arc::clone(&out));
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let r = writer
                    .submit(zegel_tests::sample_event(t * 1_000_000 + i))
                    .await;
                let r = r.expect("submit");
                if let Ok(mut o) = out.lock() {
                    let _ = writeln!(o, "ack {} {}", r.seq, hex::encode(r.hash));
                    let _ = o.flush();
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    Ok(())
}
