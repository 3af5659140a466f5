//! Opening log sources: databases (SQLite file or PostgreSQL URL), and for queries also
//! directories of Parquet files in the `access` schema.

use crate::Error;
use std::path::PathBuf;
use std::time::Duration;
use zegel_audit::store::{Store, StoreOptions};

/// What a `--source` value names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A log database URL (`sqlite:PATH`, `postgres://...`).
    Database(String),
    /// A directory of Parquet files.
    Parquet(PathBuf),
}

impl Source {
    /// Reads a `--source` value: a database URL by its scheme, otherwise a directory.
    pub fn parse(s: &str) -> Result<Source, Error> {
        let is_url = ["sqlite:", "postgres:", "postgresql:"]
            .iter()
            .any(|p| s.starts_with(p));
        if is_url {
            return Ok(Source::Database(s.to_owned()));
        }
        let path = PathBuf::from(s);
        if path.is_dir() {
            return Ok(Source::Parquet(path));
        }
        Err(Error::Usage(format!(
            "source {s:?}: not a database URL (sqlite:PATH, postgres://USER@HOST/DB) \
             and not a directory of Parquet files"
        )))
    }
}

/// Opens a source for reading. A SQLite path that does not exist is an error here (the
/// analyzer must never create an empty log and then call it valid).
pub async fn open(url: &str) -> Result<Store, Error> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.trim_start_matches("//");
        let path = path.split('?').next().unwrap_or(path);
        if !std::path::Path::new(path).exists() {
            return Err(Error::Usage(format!("source {url}: no such file {path:?}")));
        }
    }
    let opts = StoreOptions {
        read_only: true,
        // Query partitions share the pool; nobody is waiting on a request here, so a
        // busy pool is waited for rather than failed fast as on the sidecar's path.
        acquire_timeout: Duration::from_secs(60),
        ..StoreOptions::default()
    };
    Ok(Store::open(url, &opts).await?)
}
