//! Verification keys from a JWKS, each bound to the one algorithm it may verify.
//!
//! Binding the algorithm to the key (from its `alg`, or from `kty`/`crv`) is what
//! defeats algorithm confusion: a token is only ever checked with the algorithm its key
//! was published for, so `HS256` "signed" with an RSA public key, or `RS256` on an EC
//! key id, never reaches a signature check. Symmetric (`oct`) keys are never loaded.
//!
//! The cache reads lock-free (arc-swap). A token with an unknown key id triggers one
//! fetch (single flight behind a mutex), and fetches are never closer together than
//! the configured minimum, so random key ids cannot hammer the identity provider.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde_json::Value;

use super::jwks_fetch::Fetcher;

/// A public key and the only algorithm it verifies.
#[derive(Debug)]
pub(crate) struct VerifyKey {
    /// The decoding key.
    pub key: DecodingKey,
    /// Its algorithm.
    pub alg: Algorithm,
}

/// One parsed JWKS.
#[derive(Debug)]
pub(crate) struct KeySet {
    by_kid: HashMap<String, Arc<VerifyKey>>,
    unnamed: Vec<Arc<VerifyKey>>,
    loaded: Instant,
}

impl KeySet {
    fn empty() -> Self {
        Self {
            by_kid: HashMap::new(),
            unnamed: Vec::new(),
            loaded: Instant::now(),
        }
    }

    /// Parses a JWKS document, keeping the signing keys for `allowed` algorithms.
    pub(crate) fn parse(doc: &[u8], allowed: &[Algorithm]) -> Result<Self, String> {
        let doc: Value =
            serde_json::from_slice(doc).map_err(|e| format!("JWKS is not JSON: {e}"))?;
        let keys = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or("JWKS has no \"keys\" array")?;
        let mut set = Self::empty();
        for raw in keys {
            match usable_key(raw, allowed) {
                Ok((kid, key)) => set.insert(kid, key),
                Err(why) => tracing::debug!(kid = ?raw.get("kid"), why, "JWKS key skipped"),
            }
        }
        if set.len() == 0 {
            return Err(format!("JWKS has no usable signing key for {allowed:?}"));
        }
        Ok(set)
    }

    fn insert(&mut self, kid: Option<String>, key: VerifyKey) {
        let key = Arc::new(key);
        match kid {
            Some(kid) if self.by_kid.contains_key(&kid) => {
                tracing::warn!(kid, "JWKS has a duplicate key id; the first key is used");
            }
            Some(kid) => {
                self.by_kid.insert(kid, key);
            }
            None => self.unnamed.push(key),
        }
    }

    fn len(&self) -> usize {
        self.by_kid.len() + self.unnamed.len()
    }

    /// Keys that may verify a token with this `kid` and `alg`: the key with that id;
    /// without an id, the only key of the set, or else every key for `alg`.
    fn find(&self, kid: Option<&str>, alg: Algorithm) -> Vec<Arc<VerifyKey>> {
        if let Some(kid) = kid {
            return self.by_kid.get(kid).cloned().into_iter().collect();
        }
        let all = self.by_kid.values().chain(&self.unnamed);
        if self.len() == 1 {
            return all.cloned().collect();
        }
        all.filter(|k| k.alg == alg).cloned().collect()
    }
}

/// Checks one JWK: a signing key of a supported type whose algorithm is allowed.
fn usable_key(raw: &Value, allowed: &[Algorithm]) -> Result<(Option<String>, VerifyKey), String> {
    if raw
        .get("use")
        .and_then(Value::as_str)
        .is_some_and(|u| u != "sig")
    {
        return Err("not a signing key".into());
    }
    let jwk: Jwk = serde_json::from_value(raw.clone()).map_err(|e| e.to_string())?;
    let alg = key_algorithm(&jwk)?;
    if !allowed.contains(&alg) {
        return Err(format!("{alg:?} not allowed"));
    }
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
    Ok((jwk.common.key_id.clone(), VerifyKey { key, alg }))
}

/// The algorithm a key is for: its `alg`, which must fit its type, or the type's own.
fn key_algorithm(jwk: &Jwk) -> Result<Algorithm, String> {
    let (family, implied) = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => (AlgorithmFamily::Rsa, None),
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => (AlgorithmFamily::Ec, Some(Algorithm::ES256)),
            EllipticCurve::P384 => (AlgorithmFamily::Ec, Some(Algorithm::ES384)),
            _ => return Err("unsupported curve".into()),
        },
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            (AlgorithmFamily::Ed, Some(Algorithm::EdDSA))
        }
        _ => return Err("unsupported key type".into()),
    };
    let Some(declared) = jwk.common.key_algorithm else {
        return Ok(implied.unwrap_or(Algorithm::RS256));
    };
    let alg = Algorithm::try_from(declared).map_err(|_| format!("unsupported alg {declared}"))?;
    if alg.family() != family || implied.is_some_and(|i| i != alg) {
        return Err(format!("alg {declared} does not fit the key type"));
    }
    Ok(alg)
}

/// Where the keys come from.
pub(crate) enum Origin {
    /// Read once at start.
    File(PathBuf),
    /// Fetched, cached and refreshed.
    Url(Box<Fetcher>),
}

/// The cached keys of one JWT source.
pub(crate) struct Jwks {
    keys: ArcSwap<KeySet>,
    origin: Origin,
    allowed: Vec<Algorithm>,
    min_refresh: Duration,
    max_age: Duration,
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    /// A background refresh is queued or running.
    refreshing: std::sync::atomic::AtomicBool,
}

impl Jwks {
    /// Loads the keys: a file must parse now; a URL is fetched now, and a failure there
    /// only means the first token triggers another try.
    pub(crate) async fn load(
        origin: Origin,
        allowed: Vec<Algorithm>,
        min_refresh: Duration,
        max_age: Duration,
    ) -> Result<Self, String> {
        let initial = match &origin {
            Origin::File(path) => read_file(path, &allowed)?,
            Origin::Url(_) => KeySet::empty(),
        };
        let jwks = Self {
            keys: ArcSwap::from_pointee(initial),
            origin,
            allowed,
            min_refresh,
            max_age,
            last_fetch: tokio::sync::Mutex::new(None),
            refreshing: std::sync::atomic::AtomicBool::new(false),
        };
        jwks.refresh().await;
        Ok(jwks)
    }

    /// Keys for a token header. Keys are never used past `max_age`: older than that, the
    /// caller waits for a fetch. From three quarters of `max_age` on they are fetched again
    /// in the background while requests go on with them, so under steady traffic no
    /// request waits for the identity provider, and a withdrawn key stops verifying within
    /// `max_age` of the last fetch. No key for this header: the caller waits for a fetch
    /// (rate limited by `min_refresh`).
    pub(crate) async fn candidates(
        self: &Arc<Self>,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Vec<Arc<VerifyKey>> {
        let age = self.keys.load().loaded.elapsed();
        if age > self.max_age {
            self.refresh().await;
        } else if age > self.max_age - self.max_age / 4 {
            self.refresh_in_background();
        }
        let found = self.keys.load().find(kid, alg);
        if !found.is_empty() {
            return found;
        }
        self.refresh().await;
        self.keys.load().find(kid, alg)
    }

    /// Starts a refresh on its own task, unless one is queued or under way (the fetch
    /// itself is still limited to one per `min_refresh`).
    fn refresh_in_background(self: &Arc<Self>) {
        use std::sync::atomic::Ordering;
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self
            .refreshing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        let me = Arc::clone(self);
        rt.spawn(async move {
            me.refresh().await;
            me.refreshing.store(false, Ordering::Release);
        });
    }

    /// One fetch at most per `min_refresh`; concurrent callers wait for it and then
    /// read the new keys. A failed fetch keeps the old keys.
    async fn refresh(&self) {
        let Origin::Url(fetcher) = &self.origin else {
            return;
        };
        let mut last = self.last_fetch.lock().await;
        if last.is_some_and(|t| t.elapsed() < self.min_refresh) {
            return;
        }
        *last = Some(Instant::now());
        let fetched = fetcher
            .fetch()
            .await
            .and_then(|doc| KeySet::parse(&doc, &self.allowed));
        match fetched {
            Ok(set) => self.keys.store(Arc::new(set)),
            Err(why) => {
                tracing::warn!(url = %fetcher.url(), why, "JWKS fetch failed; keeping cached keys")
            }
        }
    }
}

fn read_file(path: &PathBuf, allowed: &[Algorithm]) -> Result<KeySet, String> {
    let doc = std::fs::read(path)
        .map_err(|e| format!("cannot read JWKS file {}: {e}", path.display()))?;
    KeySet::parse(&doc, allowed).map_err(|e| format!("JWKS file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];
    const EC: &str = r#"{"kty":"EC","crv":"P-256","kid":"e","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

    fn set(keys: &[&str]) -> Result<KeySet, String> {
        KeySet::parse(
            format!("{{\"keys\":[{}]}}", keys.join(",")).as_bytes(),
            &ALL,
        )
    }

    #[test]
    fn ec_key_gets_es256_and_refuses_a_declared_rsa_alg() {
        let s = set(&[EC]).expect("set");
        assert_eq!(s.find(Some("e"), Algorithm::ES256)[0].alg, Algorithm::ES256);
        let wrong = EC.replace("\"kid\"", "\"alg\":\"RS256\",\"kid\"");
        assert!(set(&[&wrong]).is_err());
    }

    #[test]
    fn symmetric_and_encryption_keys_are_never_loaded() {
        assert!(set(&[r#"{"kty":"oct","k":"c2VjcmV0","kid":"h"}"#]).is_err());
        assert!(set(&[&EC.replace("\"kid\"", "\"use\":\"enc\",\"kid\"")]).is_err());
        assert!(KeySet::parse(b"{}", &ALL).is_err());
    }
}
