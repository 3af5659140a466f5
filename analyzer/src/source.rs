//! Opening log sources. Today: databases (SQLite file or PostgreSQL URL).

use crate::Error;
use zegel_audit::store::{Store, StoreOptions};

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
        ..StoreOptions::default()
    };
    Ok(Store::open(url, &opts).await?)
}
