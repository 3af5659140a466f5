//! The query session: a DataFusion context with the `access` table over every source and
//! the directory tables given on the command line.

use crate::directory::{CARE_RELATIONS, Directory, PATIENTS, STAFF};
use crate::memory::{self, Memory};
use crate::provider::{AccessTable, Chain};
use crate::source::{self, Source};
use crate::table::ACCESS;
use crate::{Error, parquet_dir};
use datafusion::catalog::TableProvider;
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

impl Tables {
    /// Drops the directory tables none of `sql` names (a CSV read for nothing costs
    /// ~0.1 s per 100,000 rows), and says so on stderr for each one given. A name is
    /// found as a whole word, case-insensitively; a column or alias of the same name may
    /// keep a table that is not needed, never the other way round.
    pub fn keep_named_in(&mut self, sql: &[&str], what: &str) {
        let dirs = [
            (&STAFF, &mut self.staff, "--staff"),
            (&PATIENTS, &mut self.patients, "--patients"),
            (
                &CARE_RELATIONS,
                &mut self.care_relations,
                "--care-relations",
            ),
        ];
        for (dir, file, option) in dirs {
            if file.is_some() && !sql.iter().any(|q| names(q, dir.name)) {
                eprintln!(
                    "note: {what} does not use the table {}; {option} is not read",
                    dir.name
                );
                *file = None;
            }
        }
    }
}

/// Whether `sql` has `name` as a whole word (not inside a longer identifier),
/// ignoring case.
pub fn names(sql: &str, name: &str) -> bool {
    let (sql, name) = (sql.to_ascii_lowercase(), name.to_ascii_lowercase());
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    sql.match_indices(&name).any(|(i, _)| {
        !word(sql[..i].chars().next_back()) && !word(sql[i + name.len()..].chars().next())
    })
}

/// A context with every table registered.
pub async fn open(tables: &Tables) -> Result<SessionContext, Error> {
    let mut config = SessionConfig::new().with_information_schema(true);
    // Archives keep files in per-date subdirectories (`<chain>/<date>/…`).
    config
        .options_mut()
        .execution
        .listing_table_ignore_subdirectory = false;
    let runtime = memory::runtime(&tables.memory)?;
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    ctx.register_table(ACCESS, Arc::new(access_table(&tables.sources).await?))?;
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

/// The `access` table over `sources`, combined.
pub async fn access_table(sources: &[String]) -> Result<AccessTable, Error> {
    let mut chains = Vec::new();
    let mut parquet: Vec<Arc<dyn TableProvider>> = Vec::new();
    for s in sources {
        match Source::parse(s)? {
            Source::Database(url) => chains.extend(database_chains(&url).await?),
            Source::Parquet(dir) => parquet.push(parquet_dir::open(&dir)?),
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

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn a_table_is_named_as_a_whole_word() {
        assert!(names("SELECT * FROM staff s", "staff"));
        assert!(names("LEFT JOIN Staff\nON", "staff"));
        assert!(names("(SELECT 1 FROM care_relations)", "care_relations"));
        assert!(!names("max(r.staff_in_role)", "staff"));
        assert!(!names("SELECT 1 FROM my_staff", "staff"));
        assert!(!names("SELECT 1", "patients"));
    }
}
