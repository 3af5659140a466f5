//! Accepting connections: a connection limit, optional TLS (rustls, ALPN `h2` and
//! `http/1.1`, optional client certificates), HTTP/1.1 and HTTP/2 (also prior-knowledge
//! h2c) on the same port, header timeouts and size limits, and graceful shutdown.
//!
//! This task only accepts; each connection is served on one of the [`Workers`] threads.

use crate::handler::{Conn, State, handle};
use crate::identity::PeerInfo;
use crate::proxy::Upstream;
use crate::workers::{self, Accepted, ServeFn, WorkerError, Workers};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

/// How connections are served.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// Time for the request head (and the keep-alive idle time), and for the TLS handshake.
    pub header_read_timeout: Duration,
    /// HTTP/1.1 buffer and HTTP/2 header list size.
    pub max_header_bytes: usize,
    /// Connections at once.
    pub max_connections: usize,
    /// Time for in-flight requests after shutdown begins.
    pub shutdown_grace: Duration,
    /// Serving threads (0: one per core).
    pub workers: usize,
}

/// Serves `listener` until `shutdown` completes, then lets in-flight requests finish
/// within the grace period. Connections are served on [`Workers`] threads; this task only
/// accepts them.
pub async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) -> Result<(), WorkerError> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut workers = Workers::start(
        workers::count(limits.workers),
        &state,
        connection_server(Arc::clone(&state), tls, &limits),
    )?;
    tokio::pin!(shutdown);
    loop {
        let (tcp, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(peer = %addr, "connection limit reached; closing connection");
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let tcp = match tcp.into_std() {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(peer = %addr, error = %e, "cannot hand the connection over");
                continue;
            }
        };
        workers.dispatch(Accepted {
            tcp,
            addr,
            permit,
            watcher: graceful.watcher(),
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period over; cutting remaining connections");
    }
    workers.stop().await;
    Ok(())
}

/// What a worker runs for each connection handed to it: the TLS handshake if any, then
/// HTTP/1.1 or HTTP/2 until the connection ends or shutdown asks it to finish.
fn connection_server(
    state: Arc<State>,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: &ServerLimits,
) -> ServeFn {
    let builder = Arc::new(http_builder(limits));
    let acceptor = tls.map(TlsAcceptor::from);
    let timeout = limits.header_read_timeout;
    Arc::new(move |acc: Accepted, upstream: Arc<Upstream>| {
        let (state, builder, acceptor) =
            (Arc::clone(&state), Arc::clone(&builder), acceptor.clone());
        tokio::spawn(async move {
            let _permit = acc.permit;
            let tcp = match TcpStream::from_std(acc.tcp) {
                Ok(t) => t,
                Err(e) => {
                    tracing::warn!(peer = %acc.addr, error = %e, "cannot serve the connection");
                    return;
                }
            };
            let peer = PeerInfo {
                addr: acc.addr,
                client_certs: None,
            };
            match acceptor {
                None => {
                    let conn = Conn {
                        peer,
                        tls: false,
                        upstream,
                    };
                    serve_io(tcp, conn, state, &builder, acc.watcher).await;
                }
                Some(tls) => {
                    if let Some((io, certs)) = handshake(tls, tcp, acc.addr, timeout).await {
                        let conn = Conn {
                            peer: PeerInfo {
                                client_certs: certs,
                                ..peer
                            },
                            tls: true,
                            upstream,
                        };
                        serve_io(io, conn, state, &builder, acc.watcher).await;
                    }
                }
            }
        });
    })
}

fn http_builder(limits: &ServerLimits) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    b.http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .keep_alive_interval(Duration::from_secs(30))
        .max_concurrent_streams(256);
    b
}

async fn handshake(
    acc: TlsAcceptor,
    tcp: TcpStream,
    addr: SocketAddr,
    timeout: Duration,
) -> Option<(
    tokio_rustls::server::TlsStream<TcpStream>,
    Option<Arc<Vec<rustls_pki_types::CertificateDer<'static>>>>,
)> {
    let tls = match tokio::time::timeout(timeout, acc.accept(tcp)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::debug!(peer = %addr, error = %e, "TLS handshake failed");
            return None;
        }
        Err(_) => return None,
    };
    let certs = tls
        .get_ref()
        .1
        .peer_certificates()
        .map(|c| Arc::new(c.iter().map(|c| c.clone().into_owned()).collect::<Vec<_>>()));
    Some((tls, certs))
}

async fn serve_io<I>(
    io: I,
    conn: Conn,
    state: Arc<State>,
    builder: &auto::Builder<TokioExecutor>,
    watcher: hyper_util::server::graceful::Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let svc = service_fn(move |req| {
        let (state, conn) = (Arc::clone(&state), conn.clone());
        async move { Ok::<_, std::convert::Infallible>(handle(state, conn, req).await) }
    });
    let fut = builder.serve_connection(TokioIo::new(io), svc).into_owned();
    if let Err(e) = watcher.watch(fut).await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}
