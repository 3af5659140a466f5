//! Forwarding to the one configured upstream: a pooled hyper-util client (HTTP, or HTTPS
//! with rustls), proxy header hygiene, and the mapping of upstream failures.
//!
//! The request forwarded is built from the canonical target that was decided on, never
//! from the raw one, so what the app serves is what the policy allowed.

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, Uri};
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A boxed body error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The body type of forwarded requests and of responses sent to clients.
pub type ProxyBody = BoxBody<Bytes, BoxError>;

/// `[upstream]` of the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    /// `http://host:port[/prefix]` or `https://...`.
    pub url: String,
    /// PEM file of CA certificates trusted for an HTTPS upstream (default: web PKI roots).
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// TCP connect timeout.
    #[serde(default = "default_connect_ms")]
    pub connect_timeout_ms: u64,
    /// Time allowed until the upstream's response headers arrive.
    #[serde(default = "default_response_ms")]
    pub response_timeout_ms: u64,
    /// Idle pooled connections are closed after this long.
    #[serde(default = "default_idle_s")]
    pub pool_idle_timeout_s: u64,
    /// Speak HTTP/2 to the upstream (prior knowledge for `http://`).
    #[serde(default)]
    pub http2: bool,
    /// `Host` sent upstream: `preserve` the client's, or `upstream` (the upstream's authority).
    #[serde(default)]
    pub host: HostMode,
}

fn default_connect_ms() -> u64 {
    2_000
}
fn default_response_ms() -> u64 {
    30_000
}
fn default_idle_s() -> u64 {
    90
}

/// How the `Host` header is set on forwarded requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostMode {
    /// Send the client's `Host` (the app sees the public name).
    #[default]
    Preserve,
    /// Send the upstream's own authority.
    Upstream,
}

/// An upstream configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamConfigError {
    /// The URL is not `http(s)://authority[/prefix]`.
    #[error(
        "upstream.url {0:?}: expected http://host:port or https://host:port, optionally with a path prefix"
    )]
    Url(String),
    /// The CA file cannot be used.
    #[error("upstream.ca {path}: {reason}")]
    Ca {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Why forwarding failed.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// No connection could be made (502).
    #[error("upstream connection failed: {0}")]
    Connect(String),
    /// No response headers within the response timeout (504).
    #[error("upstream did not respond within {0:?}")]
    Timeout(Duration),
    /// The streamed request body exceeded `max_body_bytes` (413).
    #[error("request body larger than the configured limit")]
    BodyTooLarge,
    /// Any other failure talking to the upstream (502).
    #[error("upstream request failed: {0}")]
    Other(String),
}

/// The upstream and its connection pool.
pub struct Upstream {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, ProxyBody>,
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
    prefix: String,
    response_timeout: Duration,
    host: HostMode,
    version: http::Version,
}

impl Upstream {
    /// Builds the client for `cfg`.
    pub fn new(cfg: &UpstreamConfig) -> Result<Upstream, UpstreamConfigError> {
        let uri: Uri = cfg
            .url
            .parse()
            .map_err(|_| UpstreamConfigError::Url(cfg.url.clone()))?;
        let (Some(scheme), Some(authority)) = (uri.scheme().cloned(), uri.authority().cloned())
        else {
            return Err(UpstreamConfigError::Url(cfg.url.clone()));
        };
        if scheme != http::uri::Scheme::HTTP && scheme != http::uri::Scheme::HTTPS
            || uri.query().is_some()
        {
            return Err(UpstreamConfigError::Url(cfg.url.clone()));
        }
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(Duration::from_millis(cfg.connect_timeout_ms)));
        let tls = tls_config(cfg)?;
        let builder = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http();
        let connector = if cfg.http2 {
            builder.enable_http2().wrap_connector(http)
        } else {
            builder.enable_http1().wrap_connector(http)
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(cfg.pool_idle_timeout_s))
            .http2_only(cfg.http2)
            .build(connector);
        Ok(Upstream {
            client,
            scheme,
            authority,
            prefix: uri.path().trim_end_matches('/').to_owned(),
            response_timeout: Duration::from_millis(cfg.response_timeout_ms),
            host: cfg.host,
            version: if cfg.http2 {
                http::Version::HTTP_2
            } else {
                http::Version::HTTP_11
            },
        })
    }

    /// The upstream URI for a canonical path and query.
    pub fn uri_for(&self, path: &str, query: Option<&str>) -> Result<Uri, ProxyError> {
        let pq = match query {
            Some(q) => format!("{}{path}?{q}", self.prefix),
            None => format!("{}{path}", self.prefix),
        };
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(pq)
            .build()
            .map_err(|e| ProxyError::Other(format!("cannot build upstream URI: {e}")))
    }

    /// The HTTP version spoken to the upstream (whatever the client spoke to zegel).
    pub fn version(&self) -> http::Version {
        self.version
    }

    /// Sets `Host` as configured.
    pub fn set_host(&self, headers: &mut HeaderMap) {
        if self.host == HostMode::Upstream
            && let Ok(v) = HeaderValue::from_str(self.authority.as_str())
        {
            headers.insert(header::HOST, v);
        }
    }

    /// Sends `req` and waits for the response headers (the body streams afterwards).
    pub async fn forward(&self, req: Request<ProxyBody>) -> Result<Response<Incoming>, ProxyError> {
        match tokio::time::timeout(self.response_timeout, self.client.request(req)).await {
            Err(_) => Err(ProxyError::Timeout(self.response_timeout)),
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) => Err(classify(e)),
        }
    }
}

fn classify(e: hyper_util::client::legacy::Error) -> ProxyError {
    use std::error::Error as _;
    let mut src: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(s) = src {
        if s.is::<http_body_util::LengthLimitError>() {
            return ProxyError::BodyTooLarge;
        }
        src = s.source();
    }
    if e.is_connect() {
        ProxyError::Connect(format!(
            "{e}: {}",
            e.source().map(|s| s.to_string()).unwrap_or_default()
        ))
    } else {
        ProxyError::Other(format!(
            "{e}: {}",
            e.source().map(|s| s.to_string()).unwrap_or_default()
        ))
    }
}

fn tls_config(cfg: &UpstreamConfig) -> Result<rustls::ClientConfig, UpstreamConfigError> {
    let mut roots = rustls::RootCertStore::empty();
    match &cfg.ca {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            let err = |reason: String| UpstreamConfigError::Ca {
                path: path.clone(),
                reason,
            };
            for cert in crate::tls::read_certs(path).map_err(err)? {
                roots.add(cert).map_err(|e| err(e.to_string()))?;
            }
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| UpstreamConfigError::Url(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // ALPN is set by the connector builder (enable_http1 / enable_http2).
    Ok(tls)
}

/// Headers that describe one hop, never forwarded (RFC 9110 7.6.1).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Removes hop-by-hop headers, including every header the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for n in named {
        headers.remove(n);
    }
    for n in HOP_BY_HOP {
        headers.remove(*n);
    }
}

/// Sets `X-Forwarded-For/-Proto/-Host`. A client's own `X-Forwarded-For` is kept (and
/// appended to) only when it comes from a trusted proxy; otherwise it is replaced.
pub fn set_forwarded(headers: &mut HeaderMap, peer: IpAddr, tls: bool, trusted_peer: bool) {
    let xff = HeaderName::from_static("x-forwarded-for");
    let prior: Vec<String> = headers
        .get_all(&xff)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let value = if trusted_peer && !prior.is_empty() {
        format!("{}, {peer}", prior.join(", "))
    } else {
        peer.to_string()
    };
    headers.remove(&xff);
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(xff, v);
    }
    let proto = if tls { "https" } else { "http" };
    headers.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static(proto),
    );
    let host = headers.get(header::HOST).cloned();
    match host {
        Some(h) => headers.insert(HeaderName::from_static("x-forwarded-host"), h),
        None => headers.remove("x-forwarded-host"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_named_headers_are_removed() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, X-Secret"),
        );
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("te", HeaderValue::from_static("trailers"));
        h.insert("traceparent", HeaderValue::from_static("00-abc-def-01"));
        strip_hop_by_hop(&mut h);
        assert_eq!(
            h.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["traceparent"]
        );
    }

    #[test]
    fn forwarded_for_is_replaced_for_untrusted_peers() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("6.6.6.6"));
        set_forwarded(&mut h, "127.0.0.9".parse().expect("ip"), false, false);
        assert_eq!(h["x-forwarded-for"], "127.0.0.9");
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
        set_forwarded(&mut h, "127.0.0.9".parse().expect("ip"), true, true);
        assert_eq!(h["x-forwarded-for"], "10.0.0.1, 127.0.0.9");
        assert_eq!(h["x-forwarded-proto"], "https");
    }
}
