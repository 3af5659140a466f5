//! Verified tokens: a bearer token whose signature and claims were checked once is not
//! checked again on every request while it stays valid.
//!
//! Verifying a signature is the most expensive step of a request (an EdDSA check costs
//! 45-60 µs here, RS256 and ES256 more), and a client sends the same token for minutes.
//! The cache is keyed by the whole token text, so only the very same bytes (header,
//! claims and signature) can hit; a token that differs in one byte is verified in full.
//! Only successful verifications are stored, never a rejection.
//!
//! A hit is re-checked before it is used: `exp` and `nbf` against the clock with the
//! same leeway, and the key that verified it must still be in the current key set (same
//! `Arc`), so a rotated or withdrawn key ends its tokens at once. `iss` and `aud` are
//! part of the signed bytes and the config cannot change while the process runs.
//! The cache is bounded in bytes (token text plus the identity); the least useful
//! entries give way (quick_cache's CLOCK-Pro).

use std::sync::Arc;

use jsonwebtoken::Algorithm;
use quick_cache::Weighter;
use serde_json::Value;

use super::Identity;
use super::jwks::VerifyKey;

/// What a verified token established, and what a hit must re-check.
pub(crate) struct Verified {
    /// The identity mapped from the claims.
    pub identity: Identity,
    /// `exp`, seconds since the epoch.
    pub exp: u64,
    /// `nbf`, when the token has one.
    pub nbf: Option<u64>,
    /// The header's key id and algorithm, to find the key again.
    pub kid: Option<String>,
    /// The header's algorithm.
    pub alg: Algorithm,
    /// The key that verified the signature.
    pub key: Arc<VerifyKey>,
}

impl Verified {
    /// An entry for claims that passed verification; `None` when `exp` is not a whole
    /// number of seconds (such a token is verified every time instead).
    pub(crate) fn new(
        identity: Identity,
        claims: &Value,
        kid: Option<String>,
        alg: Algorithm,
        key: Arc<VerifyKey>,
    ) -> Option<Self> {
        let exp = claims.get("exp")?.as_u64()?;
        let nbf = match claims.get("nbf") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64()?),
        };
        Some(Self {
            identity,
            exp,
            nbf,
            kid,
            alg,
            key,
        })
    }

    /// Whether the token is still inside its validity window at `now` (seconds), with
    /// the leeway jsonwebtoken applies: expired once `exp + leeway < now`, not yet valid
    /// while `nbf > now + leeway`.
    pub(crate) fn current(&self, now: u64, leeway: u64) -> bool {
        self.exp.saturating_add(leeway) >= now
            && self.nbf.is_none_or(|nbf| nbf <= now.saturating_add(leeway))
    }

    fn weight(&self) -> u64 {
        let id = &self.identity;
        let strings = [
            &id.user_name,
            &id.organisation,
            &id.department,
            &id.responsible_user,
            &id.purpose_of_use,
            &self.kid,
        ]
        .iter()
        .filter_map(|s| s.as_ref().map(String::len))
        .sum::<usize>()
            + id.user_id.len()
            + id.roles.iter().map(|r| r.len() + 24).sum::<usize>();
        (strings + std::mem::size_of::<Self>() + 64) as u64
    }
}

/// Token text -> what it established, bounded in bytes.
pub(crate) struct VerifiedTokens {
    cache: quick_cache::sync::Cache<Box<str>, Arc<Verified>, ByBytes>,
}

/// Tokens longer than this are not kept (a header limit allows far longer ones; an
/// attacker should not fill the cache with a few huge valid tokens).
const MAX_TOKEN_BYTES: usize = 8 * 1024;

impl VerifiedTokens {
    /// A cache of at most `bytes` (estimated); `None` when `bytes` is 0.
    pub(crate) fn new(bytes: u64) -> Option<Self> {
        if bytes == 0 {
            return None;
        }
        // quick_cache sizes its table from an item-count estimate: ~1 KiB per token.
        let estimated_items = (bytes / 1024).clamp(16, 1 << 20) as usize;
        Some(Self {
            cache: quick_cache::sync::Cache::with_weighter(estimated_items, bytes, ByBytes),
        })
    }

    /// The entry for exactly this token text.
    pub(crate) fn get(&self, token: &str) -> Option<Arc<Verified>> {
        self.cache.get(token)
    }

    /// Remembers a verified token.
    pub(crate) fn insert(&self, token: &str, verified: Verified) {
        if token.len() <= MAX_TOKEN_BYTES {
            self.cache.insert(token.into(), Arc::new(verified));
        }
    }

    /// Forgets a token (its key is gone or it expired).
    pub(crate) fn remove(&self, token: &str) {
        self.cache.remove(token);
    }

    /// Number of tokens held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.cache.len()
    }
}

/// Weighs an entry by the bytes it holds.
#[derive(Clone)]
struct ByBytes;

impl Weighter<Box<str>, Arc<Verified>> for ByBytes {
    fn weight(&self, token: &Box<str>, v: &Arc<Verified>) -> u64 {
        token.len() as u64 + v.weight()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::DecodingKey;
    use serde_json::json;

    fn key() -> Arc<VerifyKey> {
        let x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        Arc::new(VerifyKey {
            key: DecodingKey::from_ed_components(x).expect("key"),
            alg: Algorithm::EdDSA,
        })
    }

    fn entry(claims: Value) -> Option<Verified> {
        Verified::new(Identity::default(), &claims, None, Algorithm::EdDSA, key())
    }

    #[test]
    fn validity_window_uses_the_leeway_like_jsonwebtoken() {
        let v = entry(json!({"exp": 1000, "nbf": 900})).expect("entry");
        assert!(v.current(1000, 0));
        assert!(!v.current(1001, 0), "expired one second after exp");
        assert!(v.current(1030, 30), "inside the leeway");
        assert!(!v.current(1031, 30));
        assert!(!v.current(899, 0), "before nbf");
        assert!(v.current(870, 30));
        assert!(!v.current(869, 30));
    }

    #[test]
    fn claims_that_cannot_be_checked_again_are_not_cached() {
        assert!(entry(json!({"exp": 1000.5})).is_none());
        assert!(entry(json!({"exp": "1000"})).is_none());
        assert!(entry(json!({"nbf": 5})).is_none());
        assert!(entry(json!({"exp": 1000, "nbf": "x"})).is_none());
        assert!(entry(json!({"exp": 1000, "nbf": null})).is_some());
    }

    #[test]
    fn bounded_in_bytes_and_refuses_huge_tokens() {
        let tokens = VerifiedTokens::new(64 * 1024).expect("cache");
        for i in 0..1000 {
            let t = format!("{i:0>600}");
            tokens.insert(&t, entry(json!({"exp": 1})).expect("entry"));
        }
        assert!(tokens.len() < 100, "{} entries in 64 KiB", tokens.len());
        let huge = "x".repeat(MAX_TOKEN_BYTES + 1);
        tokens.insert(&huge, entry(json!({"exp": 1})).expect("entry"));
        assert!(tokens.get(&huge).is_none());
        assert!(VerifiedTokens::new(0).is_none());
    }
}
