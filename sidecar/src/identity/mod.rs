//! Identity: who is calling. Ordered sources from the config; the first that applies
//! decides. A request with no acceptable identity is refused with 401 (and recorded).
//!
//! Sources: `jwt.rs` (bearer tokens: `token.rs` reads the header, keys from `jwks.rs`
//! and `jwks_fetch.rs`, claims mapped by `claims.rs`), `headers.rs` (a trusted gateway
//! that already authenticated the user), `mtls.rs` (client certificates, fields in
//! `cert_fields.rs`). `config.rs` describes them; `forward.rs` hands the verified
//! identity upstream.
//!
//! A source *applies* when its credential is present (a bearer token; the user-id
//! header from a trusted network; a client certificate). The first source that applies
//! decides: when it rejects, the request is refused with that reason and never falls
//! through to a weaker source, so a forged or expired token cannot be "rescued" by a
//! header. In the proxy: `identify` reads the original headers, then `strip_inbound`
//! removes every identity header a client could forge, then `forward` adds the
//! verified identity.

use std::net::SocketAddr;
use std::sync::Arc;

use http::HeaderMap;
use http::HeaderName;
use http::header::AUTHORIZATION;

mod cert_fields;
mod claims;
mod config;
mod forward;
mod headers;
mod jwks;
mod jwks_fetch;
mod jwt;
mod mtls;
mod token;
mod verified;

pub use config::{
    ClaimMap, ConfigError, ForwardConfig, HeadersConfig, IdentityConfig, JwtConfig, MtlsConfig,
};

/// The verified caller, as it goes into the decision and the access record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identity {
    /// User id (token subject, UZI number, employee id).
    pub user_id: String,
    /// Display name.
    pub user_name: Option<String>,
    /// Roles, as given by the source (the audit record sorts them).
    pub roles: Vec<String>,
    /// Organisation (URA or AGB code).
    pub organisation: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// On whose behalf.
    pub responsible_user: Option<String>,
    /// Purpose of use.
    pub purpose_of_use: Option<String>,
    /// Which kind of source established it.
    pub source: SourceKind,
}

/// The kind of identity source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceKind {
    /// A verified JWT bearer token.
    #[default]
    Jwt,
    /// Headers from a trusted gateway.
    Headers,
    /// A verified client certificate.
    Mtls,
}

impl SourceKind {
    /// The name used in config and in the forwarded source header.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jwt => "jwt",
            Self::Headers => "headers",
            Self::Mtls => "mtls",
        }
    }
}

/// What the connection tells about the peer.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    /// The TCP peer address.
    pub addr: SocketAddr,
    /// The verified client certificate chain (leaf first), when TLS with client auth.
    pub client_certs: Option<Arc<Vec<rustls_pki_types::CertificateDer<'static>>>>,
}

/// Why a request has no acceptable identity (answered with 401, reason recorded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// No source applied.
    #[error("no credentials")]
    Missing,
    /// A source applied but rejected what was presented.
    #[error("{0}")]
    Rejected(String),
}

/// One built source.
enum Source {
    Jwt(Box<jwt::JwtSource>),
    Headers(headers::HeaderSource),
    Mtls(mtls::MtlsSource),
}

impl Source {
    async fn new(cfg: &IdentityConfig) -> Result<Self, String> {
        Ok(match cfg {
            IdentityConfig::Jwt(c) => Self::Jwt(Box::new(jwt::JwtSource::new(c).await?)),
            IdentityConfig::Headers(c) => Self::Headers(headers::HeaderSource::new(c)?),
            IdentityConfig::Mtls(c) => Self::Mtls(mtls::MtlsSource::new(c)?),
        })
    }

    /// `None` when the source does not apply to this request.
    async fn identify(
        &self,
        headers: &HeaderMap,
        peer: &PeerInfo,
    ) -> Option<Result<Identity, IdentityError>> {
        match self {
            Self::Jwt(s) => s.identify(headers).await,
            Self::Headers(s) => s.identify(headers, peer),
            Self::Mtls(s) => s.identify(peer),
        }
    }
}

/// The ordered identity sources of a deployment, plus the forward headers.
pub struct Identifier {
    sources: Vec<Source>,
    forward: forward::Forwarder,
    /// Every header that carries identity: trusted-gateway headers and forward headers.
    inbound: Vec<HeaderName>,
}

impl Identifier {
    /// Builds the sources in order, loading JWKS files (and a first fetch of JWKS URLs).
    pub async fn new(
        sources: &[IdentityConfig],
        forward: &ForwardConfig,
    ) -> Result<Self, ConfigError> {
        if sources.is_empty() {
            tracing::warn!("no [[identity]] sources: every request will be refused with 401");
        }
        let forward = forward::Forwarder::new(forward).map_err(ConfigError::Forward)?;
        let mut built = Vec::with_capacity(sources.len());
        for (index, cfg) in sources.iter().enumerate() {
            let source = Source::new(cfg).await;
            built.push(source.map_err(|reason| ConfigError::Source {
                index,
                kind: cfg.kind(),
                reason,
            })?);
        }
        let mut inbound: Vec<HeaderName> = forward.names().to_vec();
        for source in &built {
            if let Source::Headers(h) = source {
                inbound.extend(h.names().cloned());
            }
        }
        Ok(Self {
            sources: built,
            forward,
            inbound,
        })
    }

    /// Who is calling: the verdict of the first source that applies, or `Missing`.
    /// Reads the original headers, so call it before [`Identifier::strip_inbound`].
    pub async fn identify(
        &self,
        headers: &HeaderMap,
        peer: &PeerInfo,
    ) -> Result<Identity, IdentityError> {
        for source in &self.sources {
            if let Some(verdict) = source.identify(headers, peer).await {
                return verdict;
            }
        }
        Err(IdentityError::Missing)
    }

    /// Removes every identity header a client could forge: the trusted-gateway headers
    /// (already read by `identify`; upstream gets the verified forward headers instead),
    /// the forward headers, and `Authorization` when `strip_authorization` is set.
    pub fn strip_inbound(&self, headers: &mut HeaderMap) {
        for name in &self.inbound {
            headers.remove(name);
        }
        if self.forward.strip_authorization() {
            headers.remove(AUTHORIZATION);
        }
    }

    /// Sets the forward headers to the verified identity (replacing any present).
    pub fn forward(&self, id: &Identity, headers: &mut HeaderMap) {
        self.forward.apply(id, headers);
    }
}

impl std::fmt::Debug for Identifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds: Vec<&str> = self
            .sources
            .iter()
            .map(|s| match s {
                Source::Jwt(_) => "jwt",
                Source::Headers(_) => "headers",
                Source::Mtls(_) => "mtls",
            })
            .collect();
        f.debug_struct("Identifier")
            .field("sources", &kinds)
            .finish_non_exhaustive()
    }
}
