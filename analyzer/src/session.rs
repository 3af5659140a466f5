//! The query session: a DataFusion context with the `access` table over every source and
//! the directory tables given on the command line.

use crate::directory::{CARE_RELATIONS, Directory, PATIENTS, STAFF};
use crate::memory::{self, Memory};
use crate::provider::{AccessTable, Chain};
use crate::source::{self, Source};
use crate::table::ACCESS;
use crate::{Error, parquet_dir};
use datafusion::catalog::TableProvider;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::{SessionConfig, SessionContext};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zegel_audit::store::Store;
use zegel_audit::store::rows::Row;

/// What the tables are made of, and the memory the queries over them may hold.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// `--source` values: database URLs or Parquet directories.
    pub sources: Vec<String>,
    /// CSV file for `staff`.
    pub staff: Option<PathBuf>,
    /// CSV file for `patients`.
    pub patients: Option<PathBuf>,
    /// CSV file for `care_relations`.
    pub care_relations: Option<PathBuf>,
    /// The memory limit and spill directory of the session.
    pub memory: Memory,
}

/// A context with every table registered.
pub async fn open(tables: &Tables) -> Result<SessionContext, Error> {
    let mut config = SessionConfig::new().with_information_schema(true);
    // Archives keep files in per-month subdirectories (`<chain>/<YYYY-MM>/…`).
    config
        .options_mut()
        .execution
        .listing_table_ignore_subdirectory = false;
    let runtime = memory::runtime(&tables.memory)?;
    let access = access_table(&tables.sources, &runtime).await?;
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    crate::functions::register(&ctx);
    ctx.register_table(ACCESS, Arc::new(access))?;
    let dirs = [
        (&STAFF, &tables.staff),
        (&PATIENTS, &tables.patients),
        (&CARE_RELATIONS, &tables.care_relations),
    ];
    for (dir, file) in dirs {
        if let Some(file) = file {
            register_directory(&ctx, dir, file)?;
        }
    }
    Ok(ctx)
}

fn register_directory(ctx: &SessionContext, dir: &Directory, file: &Path) -> Result<(), Error> {
    ctx.register_table(dir.name, Arc::new(dir.load(file)?))?;
    Ok(())
}

/// The `access` table over `sources`, combined; Parquet footers are cached in `runtime`.
pub async fn access_table(sources: &[String], runtime: &RuntimeEnv) -> Result<AccessTable, Error> {
    let mut chains = Vec::new();
    let mut parquet: Vec<Arc<dyn TableProvider>> = Vec::new();
    for s in sources {
        match Source::parse(s)? {
            Source::Database(url) => chains.extend(database_chains(&url).await?),
            Source::Parquet(dir) => parquet.push(parquet_dir::open(&dir, runtime).await?),
        }
    }
    Ok(AccessTable::new(chains, parquet))
}

/// Every chain of a database with its current head.
async fn database_chains(url: &str) -> Result<Vec<Chain>, Error> {
    let store = source::open(url).await?;
    let mut out = Vec::new();
    for info in store.chains().await? {
        let head = head(&store, &info.chain_id).await?;
        out.push(Chain {
            store: store.clone(),
            chain_id: info.chain_id,
            head,
        });
    }
    Ok(out)
}

async fn head(store: &Store, chain_id: &str) -> Result<u64, Error> {
    match store.tail(chain_id).await? {
        None => Ok(0),
        Some(Row::Record(r)) => Ok(r.seq),
        Some(Row::Malformed { seq: Some(seq), .. }) => Ok(seq),
        Some(Row::Malformed { seq: None, detail }) => Err(Error::Usage(format!(
            "source {}, chain {chain_id:?}: the last record is malformed ({detail}); \
             run `zegel-analyzer verify` on this source",
            store.url()
        ))),
    }
}
