//! The hash chain: genesis per chain, and each record's hash over its predecessor's.
//!
//! `h(0) = SHA-256("zegel.genesis.v1" || len(chain_id) || chain_id)` and
//! `h(n) = SHA-256(h(n-1) || encode(n, event))`. Both writer and verifier use
//! [`Chainer`], so they cannot disagree on what a hash covers.

use crate::encode::{encode_into, put_str};
use crate::fields::Fields;
use crate::record::Event;
use sha2::{Digest, Sha256};

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// Domain-separation prefix of the genesis hash.
pub const GENESIS_DOMAIN: &[u8] = b"zegel.genesis.v1";

/// Longest chain id accepted: short enough to print, file-name safe.
pub const MAX_CHAIN_ID_LEN: usize = 64;

/// The hash that precedes record 1 of `chain_id`.
pub fn genesis(chain_id: &str) -> Hash {
    let mut buf = Vec::with_capacity(GENESIS_DOMAIN.len() + 4 + chain_id.len());
    buf.extend_from_slice(GENESIS_DOMAIN);
    put_str(&mut buf, chain_id);
    Sha256::digest(&buf).into()
}

/// A chain id is 1 to 64 characters of `[A-Za-z0-9._-]`: it names files and appears in
/// reports, so it must be unambiguous when printed.
pub fn check_chain_id(chain_id: &str) -> Result<(), String> {
    let ok_len = (1..=MAX_CHAIN_ID_LEN).contains(&chain_id.len());
    let ok_chars = chain_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err(format!(
            "chain id {chain_id:?} must be 1 to {MAX_CHAIN_ID_LEN} characters of A-Z a-z 0-9 . _ -"
        ))
    }
}

/// Computes record hashes, reusing one buffer so hashing allocates nothing.
#[derive(Default)]
pub struct Chainer {
    buf: Vec<u8>,
}

impl Chainer {
    /// A chainer with an empty buffer.
    pub fn new() -> Self {
        Chainer {
            buf: Vec::with_capacity(512),
        }
    }

    /// `SHA-256(prev || encode(seq, event))`, for an event held anywhere ([`Fields`]).
    pub fn hash(&mut self, prev: &Hash, seq: u64, event: &impl Fields) -> Hash {
        self.buf.clear();
        self.buf.extend_from_slice(prev);
        encode_into(seq, event, &mut self.buf);
        Sha256::digest(&self.buf).into()
    }

    /// `SHA-256(prev || encoding)` for a record's stored canonical encoding: what
    /// [`Chainer::hash`] computes, without encoding the event again.
    pub fn hash_encoded(&mut self, prev: &Hash, encoding: &[u8]) -> Hash {
        let mut h = Sha256::new();
        h.update(prev);
        h.update(encoding);
        h.finalize().into()
    }

    /// Like [`Chainer::hash`], also returning `encode(seq, event)`: the bytes the
    /// store keeps, so the writer encodes each record once.
    pub fn seal(&mut self, prev: &Hash, seq: u64, event: &Event) -> (Hash, Vec<u8>) {
        let hash = self.hash(prev, seq, event);
        (hash, self.buf[prev.len()..].to_vec())
    }
}
