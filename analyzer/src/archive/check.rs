//! Verifying an archive: for each chain, its manifests in order, each file's SHA-256
//! against its manifest, and every record through the same [`ChainVerifier`] as a
//! database, from genesis; each manifest's checkpoint must be signed (when keys are
//! given) and match the record hash at its sequence number.

use crate::Error;
use crate::archive::manifest::{self, Manifest};
use crate::archive::parquet_in;
use std::path::Path;
use zegel_audit::Hash;
use zegel_audit::checkpoint::Checkpoint;
use zegel_audit::keys::VerifyingKey;
use zegel_audit::store::ArchiveMark;
use zegel_audit::store::rows::Row;
use zegel_audit::verify::{ChainSummary, ChainVerifier, CheckpointSource, Problem, ProblemKind};

/// The result for one archived chain.
pub struct Checked {
    /// Summary or first problem.
    pub result: Result<ChainSummary, Problem>,
    /// The last archived seq and its hash, when the archive verified.
    pub end: Option<(u64, Hash)>,
    /// Every range end (seq, head) of a verified archive.
    pub ends: Vec<(u64, Hash)>,
}

/// Verifies the archive of `chain` under `root`; with `silence_us`, its coverage also
/// lists stretches longer than that without records while the sidecar was running.
/// `progress` is told the rows of each file once they are checked.
pub fn chain(
    root: &Path,
    chain: &str,
    keys: &[VerifyingKey],
    file: Option<&[Checkpoint]>,
    silence_us: Option<i64>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Checked, Error> {
    let manifests = manifest::read_all(root, chain)?;
    let last = manifests.last().map_or(0, |(_, m)| m.to_seq);
    let mut cps: Vec<(Checkpoint, CheckpointSource)> = manifests
        .iter()
        .map(|(_, m)| (m.checkpoint.clone(), CheckpointSource::Database))
        .collect();
    cps.extend(
        file.unwrap_or_default()
            .iter()
            .filter(|c| c.chain_id == chain && c.seq <= last)
            .map(|c| (c.clone(), CheckpointSource::File)),
    );
    let mut v = ChainVerifier::new(chain, cps, keys, file.is_some());
    if let Some(us) = silence_us {
        v = v.with_silence(us);
    }
    let marks: Vec<ArchiveMark> = manifests.iter().filter_map(|(_, m)| mark_of(m)).collect();
    v.expect_archive_heads(&marks);
    let chain_dir = manifest::chain_dir(root, chain);
    for (path, m) in &manifests {
        if let Some(p) = check_manifest(path, m, chain) {
            return Ok(Checked {
                result: Err(p),
                end: None,
                ends: Vec::new(),
            });
        }
        for f in &m.files {
            let file = chain_dir.join(&f.path);
            // Read once: the bytes whose hash is checked are the bytes whose records are
            // verified (a file swapped between the two reads cannot slip through).
            let bytes = std::fs::read(&file).map_err(|e| manifest::io(&file, &e))?;
            if manifest::sha256_hex(&bytes) != f.sha256 {
                let detail = format!(
                    "archive file {} was altered: its SHA-256 differs from {}",
                    file.display(),
                    path.display()
                );
                return Ok(Checked {
                    result: Err(problem(
                        chain,
                        f.first_seq,
                        ProblemKind::Malformed { detail },
                    )),
                    end: None,
                    ends: Vec::new(),
                });
            }
            parquet_in::for_each_row(&file, bytes.into(), |row_chain, row| {
                let seq = match &row {
                    Ok(r) => Some(r.seq),
                    Err(m) => m.seq,
                };
                if row_chain != chain {
                    let detail = format!("a record of chain {row_chain:?} in {}", file.display());
                    return v.push(Row::Malformed { seq, detail });
                }
                match row {
                    Ok(r) => v.push_encoded(r.seq, r.fields(), r.encoding(), &r.hash),
                    Err(m) => v.push(Row::Malformed {
                        seq,
                        detail: m.detail,
                    }),
                }
            })?;
            progress(f.rows);
        }
    }
    let result = v.finish();
    let end = match (&result, manifests.last()) {
        (Ok(s), Some((_, m))) if s.records == m.to_seq => Some((m.to_seq, s.head)),
        _ => None,
    };
    let ends = if end.is_some() {
        marks.iter().map(|m| (m.up_to_seq, m.head)).collect()
    } else {
        Vec::new()
    };
    Ok(Checked { result, end, ends })
}

/// A manifest whose own fields are inconsistent is reported at its range.
fn check_manifest(path: &Path, m: &Manifest, chain: &str) -> Option<Problem> {
    let mut next = m.from_seq;
    let mut bad = None;
    if m.chain_id != chain || m.checkpoint.chain_id != chain || m.checkpoint.seq != m.to_seq {
        bad = Some("names another chain, or its checkpoint is not at its last record".into());
    }
    for f in &m.files {
        if f.first_seq != next || f.last_seq < f.first_seq || f.rows != f.last_seq - f.first_seq + 1
        {
            bad = Some(format!("file {} does not continue the range", f.path));
        }
        next = f.last_seq + 1;
    }
    if next != m.to_seq + 1 {
        bad = bad.or(Some("its files do not cover the range".into()));
    }
    bad.map(|why: String| {
        let detail = format!("archive manifest {}: {why}", path.display());
        problem(chain, m.from_seq, ProblemKind::Malformed { detail })
    })
}

fn mark_of(m: &Manifest) -> Option<ArchiveMark> {
    let head: Hash = hex::decode(&m.head).ok()?.try_into().ok()?;
    Some(ArchiveMark {
        chain_id: m.chain_id.clone(),
        up_to_seq: m.to_seq,
        head,
        archived_us: m.created_us,
        location: String::new(),
        manifest_sha256: [0; 32],
    })
}

fn problem(chain: &str, seq: u64, kind: ProblemKind) -> Problem {
    Problem::at(chain, seq, kind)
}
