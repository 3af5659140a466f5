//! The floor of the sidecar's stack, for `bench/http.sh`: a reverse proxy built from the
//! same crates and settings (tokio's multi-threaded runtime, hyper-util's auto server
//! builder, its pooled legacy client) that does nothing else: no canonical path, no
//! identity, no decision, no log, no header hygiene. What it costs per request is what
//! any proxy on this stack costs before zegel does its work.
//!
//! ```sh
//! zegel-bare-proxy --listen 127.0.0.1:18484 --upstream 127.0.0.1:18480
//! ```
//!
//! Not for production: it forwards whatever it is sent.

use bytes::Bytes;
use clap::Parser;
use http::{Request, Response, Uri};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Parser)]
#[command(about = "A bare hyper reverse proxy: the stack's floor for benchmarks")]
struct Args {
    /// Address to listen on.
    #[arg(long)]
    listen: SocketAddr,
    /// Upstream `host:port` (plain HTTP/1.1).
    #[arg(long)]
    upstream: String,
}

type Upstream = Client<HttpConnector, Incoming>;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: Upstream = Client::builder(TokioExecutor::new()).build(connector);
    let upstream: Arc<str> = args.upstream.into();
    let builder = Arc::new(auto::Builder::new(TokioExecutor::new()));
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        let (client, upstream, builder) = (client.clone(), upstream.clone(), builder.clone());
        tokio::spawn(async move {
            let svc = service_fn(move |req| forward(client.clone(), upstream.clone(), req));
            let _ = builder.serve_connection(TokioIo::new(tcp), svc).await;
        });
    }
}

type Body = Either<Incoming, Full<Bytes>>;

/// Sends `req` to the upstream as it came; 502 (with the reason) when that fails.
async fn forward(
    client: Upstream,
    upstream: Arc<str>,
    req: Request<Incoming>,
) -> Result<Response<Body>, std::convert::Infallible> {
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let sent = match Uri::try_from(format!("http://{upstream}{path}")) {
        Ok(uri) => {
            parts.uri = uri;
            client.request(Request::from_parts(parts, body)).await
        }
        Err(e) => return Ok(bad_gateway(format!("bad upstream URI: {e}"))),
    };
    Ok(match sent {
        Ok(resp) => resp.map(Either::Left),
        Err(e) => bad_gateway(format!("upstream: {e}")),
    })
}

fn bad_gateway(why: String) -> Response<Body> {
    let mut resp = Response::new(Either::Right(Full::new(Bytes::from(why + "\n"))));
    *resp.status_mut() = http::StatusCode::BAD_GATEWAY;
    resp
}
