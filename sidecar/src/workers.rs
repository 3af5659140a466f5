//! Serving threads: one single-threaded tokio runtime per worker (by default one per
//! core), each with its own upstream connection pool.
//!
//! The acceptor hands every new connection to the next worker in turn; from then on the
//! connection, its requests, their upstream connections and every timer they arm stay on
//! that one thread. On a shared multi-threaded runtime a request crossed threads several
//! times (the client connection's task, the upstream connection's task, the pool), each
//! crossing a futex wake-up of a sleeping worker: that was most of the sidecar's system
//! calls per request (BENCHMARKS.md, sidecar HTTP). Only the audit writer, which must be
//! one per chain, is shared across workers.

use crate::handler::State;
use crate::proxy::Upstream;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

/// A connection accepted by the acceptor, on its way to a worker.
pub struct Accepted {
    /// The socket (non-blocking, registered with no runtime yet).
    pub tcp: std::net::TcpStream,
    /// The peer.
    pub addr: SocketAddr,
    /// Its place under the connection limit, held until the connection ends.
    pub permit: OwnedSemaphorePermit,
    /// Tells the connection to finish when shutdown begins.
    pub watcher: hyper_util::server::graceful::Watcher,
}

/// Serves one accepted connection on the current worker, with the worker's upstream.
pub type ServeFn = Arc<dyn Fn(Accepted, Arc<Upstream>) + Send + Sync>;

/// Why the workers could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot start serving thread {index}: {source}")]
pub struct WorkerError {
    index: usize,
    #[source]
    source: std::io::Error,
}

/// The running workers.
pub struct Workers {
    inboxes: Vec<mpsc::UnboundedSender<Accepted>>,
    stops: Vec<oneshot::Sender<()>>,
    done: Vec<oneshot::Receiver<()>>,
    next: usize,
}

/// How many workers `configured` means: 0 is one per available core.
pub fn count(configured: usize) -> usize {
    if configured > 0 {
        return configured;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Workers {
    /// Starts `n` worker threads; `serve` runs on them for every connection handed over.
    pub fn start(n: usize, state: &Arc<State>, serve: ServeFn) -> Result<Workers, WorkerError> {
        let mut w = Workers {
            inboxes: Vec::with_capacity(n),
            stops: Vec::with_capacity(n),
            done: Vec::with_capacity(n),
            next: 0,
        };
        for index in 0..n {
            let (inbox, rx) = mpsc::unbounded_channel();
            let (stop, stop_rx) = oneshot::channel();
            let (done_tx, done) = oneshot::channel();
            let (state, serve) = (Arc::clone(state), Arc::clone(&serve));
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|source| WorkerError { index, source })?;
            std::thread::Builder::new()
                .name(format!("zegel-worker-{index}"))
                .spawn(move || {
                    rt.block_on(run(rx, stop_rx, &state, &serve));
                    // Dropping the runtime cuts the connections still open after the
                    // grace period; only then is the worker done.
                    drop(rt);
                    let _ = done_tx.send(());
                })
                .map_err(|source| WorkerError { index, source })?;
            w.inboxes.push(inbox);
            w.stops.push(stop);
            w.done.push(done);
        }
        Ok(w)
    }

    /// Hands `conn` to the next worker in turn.
    pub fn dispatch(&mut self, conn: Accepted) {
        let i = self.next % self.inboxes.len();
        self.next = self.next.wrapping_add(1);
        if self.inboxes[i].send(conn).is_err() {
            // Only after stop: the connection (and its permit) is dropped, i.e. closed.
            tracing::warn!(worker = i, "serving thread has stopped; connection closed");
        }
    }

    /// Stops every worker, cutting connections still open, and waits until they are gone
    /// (their outcome records are queued by then).
    pub async fn stop(self) {
        drop(self.inboxes);
        for s in self.stops {
            let _ = s.send(());
        }
        for d in self.done {
            let _ = d.await;
        }
    }
}

async fn run(
    mut inbox: mpsc::UnboundedReceiver<Accepted>,
    stop: oneshot::Receiver<()>,
    state: &State,
    serve: &ServeFn,
) {
    let upstream = Arc::new(state.upstream.for_worker());
    tokio::pin!(stop);
    loop {
        tokio::select! {
            conn = inbox.recv() => match conn {
                Some(c) => serve(c, Arc::clone(&upstream)),
                None => break,
            },
            _ = &mut stop => return,
        }
    }
    let _ = stop.await;
}
