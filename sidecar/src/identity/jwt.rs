//! JWT bearer tokens: the source applies when a request carries `Authorization: Bearer`,
//! and then its verdict is final (a bad token is a 401, never a fall-through).
//!
//! Checks: the header's `alg` is allowed and equals the key's own algorithm, the
//! signature, `exp` and `nbf` within the leeway, and `iss` and `aud` (both required).
//! Reasons are short and never contain the token, since they go into the access log.
//! A token that verified is remembered (`verified.rs`) and only re-checked for time and
//! key on later requests.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::Value;

use super::config::{ClaimMap, JwtConfig};
use super::jwks::{Jwks, Origin, VerifyKey};
use super::jwks_fetch::Fetcher;
use super::verified::{Verified, VerifiedTokens};
use super::{Identity, IdentityError, claims, token};

/// A configured JWT source.
pub(crate) struct JwtSource {
    jwks: Arc<Jwks>,
    allowed: Vec<Algorithm>,
    validations: HashMap<Algorithm, Validation>,
    claims: ClaimMap,
    leeway: u64,
    verified: Option<VerifiedTokens>,
}

impl JwtSource {
    /// Checks the config and loads the keys (a JWKS file must be valid now).
    pub(crate) async fn new(cfg: &JwtConfig) -> Result<Self, String> {
        check(cfg)?;
        let origin = match (&cfg.jwks_url, &cfg.jwks_file) {
            (Some(url), None) => {
                let timeout = Duration::from_millis(cfg.jwks_timeout_ms);
                Origin::Url(Box::new(Fetcher::new(url, timeout)?))
            }
            (None, Some(path)) => Origin::File(path.clone()),
            _ => return Err("set exactly one of jwks_url and jwks_file".into()),
        };
        let secs = Duration::from_secs;
        let (min_refresh, max_age) = (
            secs(cfg.jwks_min_refresh_seconds),
            secs(cfg.jwks_max_age_seconds),
        );
        let jwks =
            Arc::new(Jwks::load(origin, cfg.algorithms.clone(), min_refresh, max_age).await?);
        let validations = cfg
            .algorithms
            .iter()
            .map(|a| (*a, validation(cfg, *a)))
            .collect();
        Ok(Self {
            jwks,
            allowed: cfg.algorithms.clone(),
            validations,
            claims: cfg.claims.clone(),
            leeway: cfg.leeway_seconds,
            verified: VerifiedTokens::new(cfg.verified_cache_bytes),
        })
    }

    /// `None` when the request has no bearer token; otherwise the verdict.
    pub(crate) async fn identify(
        &self,
        headers: &HeaderMap,
    ) -> Option<Result<Identity, IdentityError>> {
        Some(match token::bearer(headers)? {
            Ok(token) => self.verify(token).await,
            Err(e) => Err(e),
        })
    }

    async fn verify(&self, token: &str) -> Result<Identity, IdentityError> {
        if let Some(identity) = self.reuse(token).await {
            return Ok(identity);
        }
        let header = token::header(token, &self.allowed)?;
        let keys = self
            .jwks
            .candidates(header.kid.as_deref(), header.alg)
            .await;
        if keys.is_empty() {
            let reason = if header.kid.is_some() {
                "unknown key id"
            } else {
                "no key for algorithm"
            };
            return Err(rejected(reason));
        }
        let (claims, key) = self.verify_with(token, header.alg, &keys)?;
        let identity = claims::identity(&claims, &self.claims)?;
        if let Some(cache) = &self.verified {
            let entry = Verified::new(identity.clone(), &claims, header.kid, header.alg, key);
            if let Some(entry) = entry {
                cache.insert(token, entry);
            }
        }
        Ok(identity)
    }

    /// The identity of a token verified before, when it is still inside its validity
    /// window and the key that verified it is still published. Anything else goes the
    /// full way (and gets the full way's rejection reason).
    async fn reuse(&self, token: &str) -> Option<Identity> {
        let cache = self.verified.as_ref()?;
        let hit = cache.get(token)?;
        let keys = self.jwks.candidates(hit.kid.as_deref(), hit.alg).await;
        let now = jsonwebtoken::get_current_timestamp();
        if hit.current(now, self.leeway) && keys.iter().any(|k| Arc::ptr_eq(k, &hit.key)) {
            return Some(hit.identity.clone());
        }
        cache.remove(token);
        None
    }

    /// Tries the candidate keys; only a bad signature moves on to the next key.
    fn verify_with(
        &self,
        token: &str,
        alg: Algorithm,
        keys: &[Arc<VerifyKey>],
    ) -> Result<(Value, Arc<VerifyKey>), IdentityError> {
        let validation = self
            .validations
            .get(&alg)
            .ok_or_else(|| rejected("algorithm not allowed"))?;
        let mut last = rejected("algorithm not allowed");
        for key in keys {
            if key.alg != alg {
                continue;
            }
            match jsonwebtoken::decode::<Value>(token, &key.key, validation) {
                Ok(data) => return Ok((data.claims, Arc::clone(key))),
                Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => {
                    last = reason(e.kind())
                }
                Err(e) => return Err(reason(e.kind())),
            }
        }
        Err(last)
    }
}

fn check(cfg: &JwtConfig) -> Result<(), String> {
    if cfg.issuer.trim().is_empty() {
        return Err("issuer must not be empty".into());
    }
    if cfg.audience.iter().all(|a| a.trim().is_empty()) {
        return Err("audience must name at least one audience".into());
    }
    if cfg.algorithms.is_empty() {
        return Err("algorithms must not be empty".into());
    }
    if let Some(a) = cfg
        .algorithms
        .iter()
        .find(|a| a.family() == jsonwebtoken::AlgorithmFamily::Hmac)
    {
        return Err(format!(
            "algorithm {a:?} is symmetric; only public-key algorithms are allowed"
        ));
    }
    if cfg.leeway_seconds > 300 {
        return Err("leeway_seconds above 300 is not a clock skew".into());
    }
    if cfg.jwks_timeout_ms == 0 || cfg.claims.user_id.trim().is_empty() {
        return Err("jwks_timeout_ms and claims.user_id must be set".into());
    }
    Ok(())
}

fn validation(cfg: &JwtConfig, alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.set_issuer(&[&cfg.issuer]);
    v.set_audience(&cfg.audience);
    v.set_required_spec_claims(&["exp", "iss", "aud"]);
    v.leeway = cfg.leeway_seconds;
    v.validate_nbf = true;
    v
}

/// The audit reason for a verification failure.
fn reason(kind: &ErrorKind) -> IdentityError {
    rejected(&match kind {
        ErrorKind::ExpiredSignature => "token expired".into(),
        ErrorKind::ImmatureSignature => "token not yet valid".into(),
        ErrorKind::InvalidIssuer => "issuer mismatch".into(),
        ErrorKind::InvalidAudience => "audience mismatch".into(),
        ErrorKind::InvalidSignature => "invalid signature".into(),
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => "algorithm not allowed".into(),
        ErrorKind::MissingRequiredClaim(c) => format!("missing claim {c}"),
        ErrorKind::InvalidClaimFormat(c) => format!("invalid claim {c}"),
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => "malformed token".into(),
        _ => "token rejected".into(),
    })
}

fn rejected(reason: &str) -> IdentityError {
    IdentityError::Rejected(reason.to_owned())
}
