//! Ed25519 checkpoint keys: generation, PEM key files, and key ids.
//!
//! The signing key lives in a file readable only by the sidecar's user, never in the
//! database: whoever can rewrite the database must not be able to re-sign it.

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

pub use ed25519_dalek::{SigningKey, VerifyingKey};

/// Errors reading or writing key files.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not an Ed25519 key in the expected PEM form.
    #[error("key file {path}: not an Ed25519 {what} PEM ({detail})")]
    Format {
        /// The file.
        path: PathBuf,
        /// "private key (PKCS#8)" or "public key (SPKI)".
        what: &'static str,
        /// The parser's message.
        detail: String,
    },
    /// The private key file can be read by other users.
    #[error("key file {path}: readable by group or others (mode {mode:o}); run `chmod 600 {path}`")]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its mode bits.
        mode: u32,
    },
    /// No randomness from the operating system.
    #[error("no randomness from the operating system: {0}")]
    Random(String),
}

/// Short, stable identifier of a public key: hex of the first 8 bytes of its SHA-256.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// A new random signing key.
pub fn generate() -> Result<SigningKey, KeyError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Writes `key` as PKCS#8 PEM (mode 0600) and its public half as SPKI PEM. Refuses to
/// overwrite either file.
pub fn write_pair(key: &SigningKey, private: &Path, public: &Path) -> Result<(), KeyError> {
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| format_err(private, "private key (PKCS#8)", e))?;
    create_new(private, pem.as_bytes(), 0o600).map_err(|e| io_err(private, e))?;
    let pub_pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| format_err(public, "public key (SPKI)", e))?;
    create_new(public, pub_pem.as_bytes(), 0o644).map_err(|e| io_err(public, e))
}

fn create_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn io_err(path: &Path, source: std::io::Error) -> KeyError {
    KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

fn format_err(path: &Path, what: &'static str, e: impl std::fmt::Display) -> KeyError {
    KeyError::Format {
        path: path.to_owned(),
        what,
        detail: e.to_string(),
    }
}

/// Reads a PKCS#8 PEM private key, refusing files that group or others can read.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |source| KeyError::Io {
        path: path.to_owned(),
        source,
    };
    let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions {
            path: path.to_owned(),
            mode: mode & 0o777,
        });
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    SigningKey::from_pkcs8_pem(&text).map_err(|e| format_err(path, "private key (PKCS#8)", e))
}

/// Reads an SPKI PEM public key.
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
        path: path.to_owned(),
        source,
    })?;
    VerifyingKey::from_public_key_pem(&text).map_err(|e| format_err(path, "public key (SPKI)", e))
}
