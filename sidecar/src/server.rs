//! Accepting connections: a connection limit, optional TLS (rustls, ALPN `h2` and
//! `http/1.1`, optional client certificates), HTTP/1.1 and HTTP/2 (also prior-knowledge
//! h2c) on the same port, header timeouts and size limits, and graceful shutdown.

use crate::handler::{Conn, State, handle};
use crate::identity::PeerInfo;
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
}

/// Serves `listener` until `shutdown` completes, then lets in-flight requests finish
/// within the grace period and cuts the connections still open after it (the records of
/// their requests are awaited by `app.rs` through [`crate::audit::Auditor::settled`]).
pub async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) {
    let builder = Arc::new(http_builder(&limits));
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    // Set when the grace period is over: every connection still open is dropped.
    let (cut_tx, cut) = tokio::sync::watch::channel(false);
    let acceptor = tls.map(TlsAcceptor::from);
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
        let (state, builder, acceptor) =
            (Arc::clone(&state), Arc::clone(&builder), acceptor.clone());
        let watcher = graceful.watcher();
        let timeout = limits.header_read_timeout;
        let mut cut = cut.clone();
        let connection = async move {
            match acceptor {
                None => {
                    let conn = Conn {
                        peer: PeerInfo {
                            addr,
                            client_certs: None,
                        },
                        tls: false,
                    };
                    serve_io(tcp, conn, state, &builder, watcher).await;
                }
                Some(acc) => {
                    if let Some((io, conn)) = handshake(acc, tcp, addr, timeout).await {
                        serve_io(io, conn, state, &builder, watcher).await;
                    }
                }
            }
        };
        tokio::spawn(async move {
            let _permit = permit;
            tokio::select! {
                () = connection => {}
                _ = cut.wait_for(|over| *over) => {}
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period over; cutting remaining connections");
        let _ = cut_tx.send(true);
    }
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
) -> Option<(tokio_rustls::server::TlsStream<TcpStream>, Conn)> {
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
    let conn = Conn {
        peer: PeerInfo {
            addr,
            client_certs: certs,
        },
        tls: true,
    };
    Some((tls, conn))
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
