//! Signed checkpoints: an Ed25519 signature over (chain id, sequence, head hash, time).
//!
//! Each checkpoint is stored in the database and appended to a checkpoint file outside
//! it. A database administrator can rewrite rows, but not the file on another volume nor
//! the signature: the verifier compares both with the records.

use crate::chain::Hash;
use crate::encode::put_str;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// Domain-separation prefix of the signed message.
pub const CHECKPOINT_DOMAIN: &[u8] = b"zegel.checkpoint.v1";

/// A signed statement that `chain_id` had `head` as hash of record `seq` at `time_us`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The chain.
    pub chain_id: String,
    /// Sequence number of the last record covered.
    pub seq: u64,
    /// Hash of record `seq`, hex.
    #[serde(with = "hex32")]
    pub head: Hash,
    /// When it was signed, microseconds since the Unix epoch.
    pub time_us: i64,
    /// [`crate::keys::key_id`] of the signing key.
    pub key_id: String,
    /// Ed25519 signature over [`Checkpoint::message`], hex.
    #[serde(with = "hex64")]
    pub signature: [u8; 64],
}

impl Checkpoint {
    /// The exact bytes that are signed.
    pub fn message(chain_id: &str, seq: u64, head: &Hash, time_us: i64) -> Vec<u8> {
        let mut m = Vec::with_capacity(CHECKPOINT_DOMAIN.len() + 4 + chain_id.len() + 48);
        m.extend_from_slice(CHECKPOINT_DOMAIN);
        put_str(&mut m, chain_id);
        m.extend_from_slice(&seq.to_be_bytes());
        m.extend_from_slice(head);
        m.extend_from_slice(&time_us.to_be_bytes());
        m
    }

    /// Signs a checkpoint for `head` at `seq`.
    pub fn sign(key: &SigningKey, chain_id: &str, seq: u64, head: Hash, time_us: i64) -> Self {
        let sig = key.sign(&Self::message(chain_id, seq, &head, time_us));
        Checkpoint {
            chain_id: chain_id.to_owned(),
            seq,
            head,
            time_us,
            key_id: crate::keys::key_id(&key.verifying_key()),
            signature: sig.to_bytes(),
        }
    }

    /// Whether the signature is a valid (strict) Ed25519 signature by `key`.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let msg = Self::message(&self.chain_id, self.seq, &self.head, self.time_us);
        let sig = Signature::from_bytes(&self.signature);
        key.verify_strict(&msg, &sig).is_ok()
    }
}

/// Errors of the checkpoint file.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointFileError {
    /// Reading or writing failed.
    #[error("checkpoint file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A complete line that is not a checkpoint.
    #[error("checkpoint file {path} line {line}: {detail}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        detail: String,
    },
}

/// Appends one checkpoint as a JSON line and syncs it to disk before returning.
pub fn append_to_file(path: &Path, cp: &Checkpoint) -> Result<(), CheckpointFileError> {
    let io = |source| CheckpointFileError::Io {
        path: path.to_owned(),
        source,
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    // A crash can leave a torn last line: a checkpoint that was never completed (the
    // writer puts it in the database only after the file). Cut it off, so it cannot
    // turn into a complete but unreadable line.
    cut_torn_tail(&mut f).map_err(io)?;
    let mut line = Vec::new();
    serde_json::to_writer(&mut line, cp).map_err(|e| io(e.into()))?;
    line.push(b'\n');
    f.write_all(&line).map_err(io)?;
    f.sync_data().map_err(io)
}

/// Truncates the file after its last newline, removing a torn final line if any.
fn cut_torn_tail(f: &mut std::fs::File) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    let mut reader = &*f;
    reader.seek(SeekFrom::Start(0))?;
    let mut all = Vec::with_capacity(len as usize);
    reader.read_to_end(&mut all)?;
    if all.last() == Some(&b'\n') {
        return Ok(());
    }
    let keep = all.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    tracing::warn!(
        bytes = all.len() - keep,
        "removing a torn last line from the checkpoint file"
    );
    f.set_len(keep as u64)?;
    f.sync_data()
}

/// Reads every checkpoint in the file, in file order. A missing file reads as empty. A
/// last line without a newline is a write torn by a crash and is skipped; any other bad
/// line is an error naming its line number.
pub fn read_file(path: &Path) -> Result<Vec<Checkpoint>, CheckpointFileError> {
    let io = |source| CheckpointFileError::Io {
        path: path.to_owned(),
        source,
    };
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    let mut out = Vec::new();
    let mut reader = std::io::BufReader::new(f);
    let mut buf = String::new();
    for line in 1.. {
        buf.clear();
        if reader.read_line(&mut buf).map_err(io)? == 0 {
            break;
        }
        let complete = buf.ends_with('\n');
        let text = buf.trim();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<Checkpoint>(text) {
            Ok(cp) => out.push(cp),
            Err(_) if !complete => break,
            Err(e) => {
                let detail = e.to_string();
                return Err(CheckpointFileError::Line {
                    path: path.to_owned(),
                    line,
                    detail,
                });
            }
        }
    }
    Ok(out)
}

macro_rules! hex_serde {
    ($name:ident, $n:literal) => {
        mod $name {
            use serde::{Deserialize, Deserializer, Serializer, de::Error};
            pub fn serialize<S: Serializer>(v: &[u8; $n], s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&hex::encode(v))
            }
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; $n], D::Error> {
                let s = String::deserialize(d)?;
                let mut out = [0u8; $n];
                hex::decode_to_slice(&s, &mut out)
                    .map_err(|e| D::Error::custom(format!("expected {} hex bytes: {e}", $n)))?;
                Ok(out)
            }
        }
    };
}
hex_serde!(hex32, 32);
hex_serde!(hex64, 64);

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(seq: u64) -> Checkpoint {
        Checkpoint::sign(
            &SigningKey::from_bytes(&[1; 32]),
            "c",
            seq,
            [seq as u8; 32],
            9,
        )
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_then_cut_off() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cps");
        append_to_file(&path, &cp(1)).expect("append");
        let mut torn = serde_json::to_string(&cp(2)).expect("json");
        torn.truncate(torn.len() / 2);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(torn.as_bytes()))
            .expect("tear");
        assert_eq!(read_file(&path).expect("read"), vec![cp(1)]);
        append_to_file(&path, &cp(3)).expect("append after tear");
        assert_eq!(read_file(&path).expect("read"), vec![cp(1), cp(3)]);
    }

    #[test]
    fn a_bad_complete_line_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cps");
        append_to_file(&path, &cp(1)).expect("append");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"{not json}\n"))
            .expect("write");
        let err = read_file(&path).expect_err("bad line");
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
