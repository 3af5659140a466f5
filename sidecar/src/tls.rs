//! TLS material: PEM certificates and keys, and the listener's rustls configuration
//! (ALPN `h2` and `http/1.1`; optional client-certificate verification against a CA,
//! for UZI-card style mTLS identities).

use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `[listen.tls]` of the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Certificate chain (PEM), leaf first.
    pub cert: PathBuf,
    /// Private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// CA certificates (PEM) that client certificates must chain to; enables mTLS.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// With `client_ca`: refuse connections without a client certificate.
    #[serde(default)]
    pub require_client_cert: bool,
}

/// A TLS setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{what} {path}: {reason}")]
pub struct TlsError {
    /// Which setting.
    pub what: &'static str,
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

/// Every certificate in a PEM file (at least one).
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| e.to_string())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificates in file".into());
    }
    Ok(certs)
}

fn err(what: &'static str, path: &Path) -> impl FnOnce(String) -> TlsError + use<> {
    let path = path.to_owned();
    move |reason| TlsError { what, path, reason }
}

/// The listener's rustls configuration.
pub fn server_config(cfg: &TlsConfig) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs = read_certs(&cfg.cert).map_err(err("listen.tls.cert", &cfg.cert))?;
    let key = PrivateKeyDer::from_pem_file(&cfg.key)
        .map_err(|e| err("listen.tls.key", &cfg.key)(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| err("listen.tls", &cfg.cert)(e.to_string()))?;
    let builder = match &cfg.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in read_certs(ca).map_err(err("listen.tls.client_ca", ca))? {
                roots
                    .add(c)
                    .map_err(|e| err("listen.tls.client_ca", ca)(e.to_string()))?;
            }
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let v = if cfg.require_client_cert {
                v
            } else {
                v.allow_unauthenticated()
            };
            let v = v
                .build()
                .map_err(|e| err("listen.tls.client_ca", ca)(e.to_string()))?;
            builder.with_client_cert_verifier(v)
        }
    };
    let mut sc = builder
        .with_single_cert(certs, key)
        .map_err(|e| err("listen.tls.key", &cfg.key)(e.to_string()))?;
    sc.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(sc))
}
