//! The archive manifest: one JSON file per archived range of a chain, written last, so
//! a range without a manifest is an unfinished archive run and is ignored (and
//! overwritten by the next run).
//!
//! Layout under the archive directory: `<chain>/<YYYY-MM>/<from>-<to>.parquet` (UTC
//! month of the records; `<YYYY-MM-DD>`, the date, in archives written before
//! 2026-12-05) and `<chain>/manifest-<from>-<to>.json`. Sequence numbers in
//! names are zero-padded to 20 digits so names sort in chain order.

use crate::Error;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use zegel_audit::checkpoint::Checkpoint;

/// Format name written into every manifest.
pub const FORMAT: &str = "zegel-archive-v1";

/// One archived range `from_seq..=to_seq` of one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The chain.
    pub chain_id: String,
    /// First record of the range.
    pub from_seq: u64,
    /// Last record of the range: a signed checkpoint's seq.
    pub to_seq: u64,
    /// h(from_seq − 1), hex (the genesis hash when from_seq is 1).
    pub prev_hash: String,
    /// h(to_seq), hex.
    pub head: String,
    /// The checkpoint at `to_seq` that seals the range.
    pub checkpoint: Checkpoint,
    /// The Parquet files, in chain order.
    pub files: Vec<FileEntry>,
    /// When the archive was written (µs since the epoch).
    pub created_us: i64,
}

/// One Parquet file of a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path relative to the chain's directory.
    pub path: String,
    /// Records in the file.
    pub rows: u64,
    /// First seq in the file.
    pub first_seq: u64,
    /// Last seq in the file.
    pub last_seq: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// The directory of `chain` under the archive `root`.
pub fn chain_dir(root: &Path, chain: &str) -> PathBuf {
    root.join(chain)
}

/// The manifest file name of a range.
pub fn manifest_name(from: u64, to: u64) -> String {
    format!("manifest-{from:020}-{to:020}.json")
}

/// The manifests of `chain` under `root`, in chain order (none: an empty list).
pub fn read_all(root: &Path, chain: &str) -> Result<Vec<(PathBuf, Manifest)>, Error> {
    let dir = chain_dir(root, chain);
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| io(&dir, &e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("manifest-") && n.ends_with(".json"))
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| read_one(&p).map(|m| (p, m)))
        .collect()
}

fn read_one(path: &Path) -> Result<Manifest, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, &e))?;
    let m: Manifest = serde_json::from_str(&text)
        .map_err(|e| Error::Usage(format!("archive manifest {}: {e}", path.display())))?;
    if m.format != FORMAT {
        return Err(Error::Usage(format!(
            "archive manifest {}: format {:?}, expected {FORMAT:?}",
            path.display(),
            m.format
        )));
    }
    Ok(m)
}

/// Chains with a directory under `root` (whether or not they hold manifests yet).
pub fn chains(root: &Path) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = std::fs::read_dir(root)
        .map_err(|e| io(root, &e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|c| zegel_audit::chain::check_chain_id(c).is_ok())
        .collect();
    out.sort();
    Ok(out)
}

/// Writes `m` next to its files: to a temporary name first, then renamed, so a
/// manifest exists only complete.
pub fn write(root: &Path, m: &Manifest) -> Result<PathBuf, Error> {
    let path = chain_dir(root, &m.chain_id).join(manifest_name(m.from_seq, m.to_seq));
    let text =
        serde_json::to_string_pretty(m).map_err(|e| Error::Usage(format!("manifest: {e}")))?;
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// Writes `bytes` to `path` through `path.partial`, synced, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let partial = partial_name(path);
    let mut f = std::fs::File::create(&partial).map_err(|e| io(&partial, &e))?;
    f.write_all(bytes).map_err(|e| io(&partial, &e))?;
    f.sync_all().map_err(|e| io(&partial, &e))?;
    std::fs::rename(&partial, path).map_err(|e| io(path, &e))
}

/// `name.partial` next to `path`.
pub fn partial_name(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".partial");
    PathBuf::from(p)
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| io(path, &e))?;
    Ok(sha256_hex(&bytes))
}

/// SHA-256 of bytes, hex (as a manifest lists a file's).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An I/O error on `path` as a usage/I-O error (exit 2).
pub fn io(path: &Path, e: &std::io::Error) -> Error {
    Error::Usage(format!("{}: {e}", path.display()))
}
