//! Fetching a JWKS document over HTTP(S), bounded in time and size.
//!
//! Plain http is accepted only to loopback addresses (a local identity provider or a
//! test): over a network, whoever can change the keys can sign in as anyone.

use std::time::Duration;

use bytes::Bytes;
use http::Uri;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A JWKS document is a few kilobytes; anything far larger is not one.
const MAX_BODY: usize = 1024 * 1024;

/// Fetches one JWKS URL.
pub(crate) struct Fetcher {
    url: Uri,
    timeout: Duration,
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl Fetcher {
    /// Checks the URL and builds the client.
    pub(crate) fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        let url = check_url(url)?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| format!("TLS setup for the JWKS client: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self {
            url,
            timeout,
            client,
        })
    }

    /// The URL, for log lines.
    pub(crate) fn url(&self) -> &Uri {
        &self.url
    }

    /// GETs the document; errors say what failed, for the log.
    pub(crate) async fn fetch(&self) -> Result<Bytes, String> {
        tokio::time::timeout(self.timeout, self.get())
            .await
            .map_err(|_| format!("timed out after {:?}", self.timeout))?
    }

    async fn get(&self) -> Result<Bytes, String> {
        let response = self
            .client
            .get(self.url.clone())
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP status {}", response.status()));
        }
        let body = Limited::new(response.into_body(), MAX_BODY);
        Ok(body.collect().await.map_err(|e| e.to_string())?.to_bytes())
    }
}

fn check_url(url: &str) -> Result<Uri, String> {
    let uri: Uri = url.parse().map_err(|e| format!("jwks_url {url:?}: {e}"))?;
    let host = uri
        .host()
        .ok_or_else(|| format!("jwks_url {url:?} has no host"))?;
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if is_loopback(host) => Ok(uri),
        Some("http") => Err(format!(
            "jwks_url {url:?} must use https (http only to loopback)"
        )),
        _ => Err(format!("jwks_url {url:?} must be an https URL")),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_url("https://idp.example/jwks").is_ok());
        assert!(check_url("http://127.0.0.1:8080/jwks").is_ok());
        assert!(check_url("http://[::1]:8080/jwks").is_ok());
        assert!(check_url("http://localhost/jwks").is_ok());
        assert!(check_url("http://idp.example/jwks").is_err());
        assert!(check_url("ftp://idp.example/jwks").is_err());
        assert!(check_url("/jwks").is_err());
    }
}
