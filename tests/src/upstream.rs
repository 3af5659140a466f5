//! A real HTTP upstream for end-to-end tests and benchmarks (hyper, HTTP/1.1 and h2c):
//!
//! - `GET /slow?ms=N`: answers after N ms;
//! - `GET /bytes?n=N`: streams N bytes in 64 KiB chunks;
//! - `POST ...`: reads the whole body as a stream and answers with its length;
//! - anything else: a small FHIR-like JSON that echoes method, path+query and the
//!   headers that matter to the tests (x-zegel-*, x-forwarded-*, x-request-id, host,
//!   traceparent, authorization, connection-named headers).

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::net::TcpListener;

type Body = BoxBody<Bytes, Infallible>;

/// A running upstream.
pub struct TestUpstream {
    /// Its address.
    pub addr: SocketAddr,
    /// Requests it has received.
    pub hits: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestUpstream {
    /// Starts on 127.0.0.1:0.
    pub async fn start() -> std::io::Result<TestUpstream> {
        Self::start_with(None).await
    }

    /// Starts on 127.0.0.1:0, speaking TLS with `tls` when given.
    pub async fn start_with(
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<TestUpstream> {
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let hits = Arc::new(AtomicU64::new(0));
        let h = Arc::clone(&hits);
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (h, acceptor) = (Arc::clone(&h), acceptor.clone());
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        h.fetch_add(1, Ordering::Relaxed);
                        answer(req)
                    });
                    let b = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    match acceptor {
                        None => {
                            let _ = b.serve_connection(TokioIo::new(tcp), svc).await;
                        }
                        Some(acc) => {
                            if let Ok(tls) = acc.accept(tcp).await {
                                let _ = b.serve_connection(TokioIo::new(tls), svc).await;
                            }
                        }
                    }
                });
            }
        });
        Ok(TestUpstream { addr, hits, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn query_num(req: &Request<Incoming>, key: &str) -> u64 {
    req.uri()
        .query()
        .and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn answer(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path().to_owned();
    if path == "/slow" {
        tokio::time::sleep(std::time::Duration::from_millis(query_num(&req, "ms"))).await;
    }
    if path == "/bytes" {
        return Ok(stream_bytes(query_num(&req, "n")));
    }
    if req.method() == hyper::Method::POST {
        let mut body = req.into_body();
        let mut n = 0u64;
        while let Some(Ok(frame)) = body.frame().await {
            n += frame.data_ref().map_or(0, |d| d.len() as u64);
        }
        return Ok(json(serde_json::json!({ "received_bytes": n })));
    }
    let pick = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut seen = serde_json::Map::new();
    for (k, _) in req.headers() {
        let k = k.as_str();
        if k.starts_with("x-")
            || ["host", "traceparent", "authorization", "te", "keep-alive"].contains(&k)
        {
            seen.insert(k.to_owned(), pick(k).into());
        }
    }
    Ok(json(serde_json::json!({
        "resourceType": "Bundle",
        "method": req.method().as_str(),
        "target": req.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""),
        "version": format!("{:?}", req.version()),
        "headers": seen,
    })))
}

fn json(v: serde_json::Value) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(v.to_string())).boxed());
    r.headers_mut().insert(
        "content-type",
        "application/fhir+json".parse().expect("static"),
    );
    r.headers_mut()
        .insert("connection", "x-upstream-hop".parse().expect("static"));
    r.headers_mut().insert(
        "x-upstream-hop",
        "must not reach the client".parse().expect("static"),
    );
    r
}

fn stream_bytes(n: u64) -> Response<Body> {
    const CHUNK: u64 = 64 * 1024;
    let chunks = (0..n.div_ceil(CHUNK)).map(move |i| {
        let len = CHUNK.min(n - i * CHUNK) as usize;
        Ok::<_, Infallible>(Frame::data(Bytes::from(vec![b'z'; len])))
    });
    let body = StreamBody::new(futures_util::stream::iter(chunks));
    Response::new(BodyExt::boxed(body))
}
