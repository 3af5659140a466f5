//! The audit stage: every request becomes an access record that is durable before the
//! request goes on (or before the refusal goes out); the response then gets an outcome
//! record when its body completes or the client goes away.
//!
//! This is the sidecar's access log: nothing else logs requests a second time.

use crate::identity::Identity;
use crate::proxy::{BoxError, ProxyBody};
use crate::route::RouteMatch;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use zegel_audit::writer::{WriteError, Writer};
use zegel_audit::{Decision, Event, EventKind, now_us};

/// Writes the sidecar's records; `None` writer means auditing is switched off
/// (benchmarks only; the sidecar warns loudly at start).
#[derive(Clone)]
pub struct Auditor {
    writer: Option<Writer>,
    application: String,
    open: Arc<Open>,
}

/// Requests that can still add a record: shutdown waits for none before the stop record.
#[derive(Default)]
struct Open {
    count: AtomicUsize,
    none: tokio::sync::Notify,
}

/// Held from a request's start until its last record is queued (its refusal, or its
/// outcome, which may come when the response body ends, long after the handler).
pub struct InFlight(Arc<Open>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.none.notify_waiters();
        }
    }
}

/// Everything known about a request when its access record is written.
pub struct Facts<'a> {
    /// `X-Request-Id`.
    pub request_id: &'a str,
    /// HTTP method.
    pub method: &'a str,
    /// Canonical path (absent when the target was rejected).
    pub path: Option<&'a str>,
    /// The raw target when it differed from the canonical one.
    pub raw_path: Option<&'a str>,
    /// The client address.
    pub peer: SocketAddr,
    /// The verified caller.
    pub identity: Option<&'a Identity>,
    /// What was asked.
    pub route: Option<&'a RouteMatch>,
    /// The decision.
    pub decision: Decision,
    /// Matched rule.
    pub rule: Option<String>,
    /// Why (deny, reject).
    pub reason: Option<String>,
    /// Status sent by zegel itself (refusals).
    pub status: Option<u16>,
    /// Policy version in force.
    pub policy_version: Option<String>,
}

impl Auditor {
    /// An auditor writing through `writer` (or nothing, when `None`).
    pub fn new(writer: Option<Writer>, application: &str) -> Self {
        Auditor {
            open: Arc::default(),
            writer,
            application: application.to_owned(),
        }
    }

    /// Whether records are written.
    pub fn enabled(&self) -> bool {
        self.writer.is_some()
    }

    /// The writer, for start/stop/notice records.
    pub fn writer(&self) -> Option<&Writer> {
        self.writer.as_ref()
    }

    /// Builds the access record of a request.
    pub fn access_event(&self, f: &Facts<'_>) -> Event {
        let mut e = Event::new(EventKind::Access, now_us());
        e.request_id = Some(f.request_id.to_owned());
        e.access_point = Some(f.peer.ip().to_string());
        e.application = Some(self.application.clone());
        e.method = Some(f.method.to_owned());
        e.path = f.path.map(str::to_owned);
        e.raw_path = f.raw_path.map(str::to_owned);
        if let Some(id) = f.identity {
            e.user_id = Some(id.user_id.clone());
            e.user_name = id.user_name.clone();
            e.roles = id.roles.clone();
            e.organisation = id.organisation.clone();
            e.department = id.department.clone();
            e.responsible_user = id.responsible_user.clone();
            e.purpose_of_use = id.purpose_of_use.clone();
        }
        if let Some(r) = f.route {
            e.interaction = Some(r.action.clone());
            e.action = Some(r.action_code);
            e.resource_type = Some(r.resource.clone());
            e.patient_id = r.patient.clone();
            e.patient_id_system = r.patient.as_ref().map(|_| "local".to_owned());
        }
        e.decision = Some(f.decision);
        e.rule = f.rule.clone();
        e.reason = f.reason.clone();
        e.status = f.status.map(i64::from);
        e.policy_version = f.policy_version.clone();
        e
    }

    /// A request starts: until the returned guard is dropped, [`Auditor::settled`] waits.
    pub fn begin(&self) -> InFlight {
        self.open.count.fetch_add(1, Ordering::AcqRel);
        InFlight(Arc::clone(&self.open))
    }

    /// Waits (at most `limit`) until no request can add a record any more; returns how
    /// many still could.
    pub async fn settled(&self, limit: Duration) -> usize {
        let none = async {
            loop {
                let notified = self.open.none.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if self.open.count.load(Ordering::Acquire) == 0 {
                    return;
                }
                notified.await;
            }
        };
        let _ = tokio::time::timeout(limit, none).await;
        self.open.count.load(Ordering::Acquire)
    }

    /// Makes `event` durable; returns its sequence number (0 when auditing is off).
    pub async fn record(&self, event: Event) -> Result<u64, WriteError> {
        match &self.writer {
            Some(w) => w.submit(event).await.map(|r| r.seq),
            None => Ok(0),
        }
    }

    /// Records an outcome without waiting (the response is already on its way): it
    /// joins the next commit, behind every record submitted before it, so the stop
    /// record written after the last connection ends comes after it.
    pub fn record_outcome(&self, o: Outcome) {
        let Some(w) = &self.writer else { return };
        let mut e = Event::new(EventKind::Outcome, now_us());
        e.request_id = Some(o.request_id);
        e.application = Some(self.application.clone());
        e.status = o.status.map(i64::from);
        e.bytes = Some(o.bytes as i64);
        e.duration_us = Some(o.started.elapsed().as_micros() as i64);
        e.links_seq = Some(o.access_seq as i64);
        e.reason = o.reason;
        if let Err(err) = w.submit_detached(e) {
            tracing::error!(error = %err, access_seq = o.access_seq, "outcome record lost");
        }
    }
}

/// The outcome of a response.
pub struct Outcome {
    /// Request id.
    pub request_id: String,
    /// Sequence number of the access record.
    pub access_seq: u64,
    /// Status sent; `None` when no response was (the request was cut before one).
    pub status: Option<u16>,
    /// Body bytes sent.
    pub bytes: u64,
    /// When the request arrived.
    pub started: Instant,
    /// Why it ended abnormally, if it did.
    pub reason: Option<String>,
    /// The request's guard: dropped only once this outcome is queued.
    _open: InFlight,
}

/// The outcome of a forwarded request until a response takes it over: if the request's
/// future is dropped before (the client went away, or shutdown cut the connection after
/// its grace period), the outcome is recorded then, without a status.
pub struct PendingOutcome(Option<(Auditor, Outcome)>);

impl PendingOutcome {
    /// Starts the outcome of the access record `access_seq`.
    pub fn new(
        auditor: &Auditor,
        request_id: &str,
        access_seq: u64,
        started: Instant,
        open: InFlight,
    ) -> Self {
        let o = Outcome {
            request_id: request_id.to_owned(),
            access_seq,
            status: None,
            bytes: 0,
            started,
            reason: None,
            _open: open,
        };
        PendingOutcome(Some((auditor.clone(), o)))
    }

    /// Hands the outcome over with the status about to be sent.
    pub fn answered(mut self, status: u16) -> (Auditor, Outcome) {
        let (auditor, mut o) = self.0.take().expect("taken only once");
        o.status = Some(status);
        (auditor, o)
    }
}

impl Drop for PendingOutcome {
    fn drop(&mut self) {
        if let Some((auditor, mut o)) = self.0.take() {
            o.reason = Some("cut before the upstream answered: the client went away or shutdown's grace period ended".into());
            auditor.record_outcome(o);
        }
    }
}

/// A response body that counts what it sends and records the outcome when it ends,
/// fails, or is dropped early because the client went away.
pub struct OutcomeBody {
    inner: ProxyBody,
    pending: Option<(Auditor, Outcome)>,
}

impl OutcomeBody {
    /// Wraps `inner`; the outcome is recorded through `auditor`.
    pub fn wrap<B>(inner: B, auditor: Auditor, outcome: Outcome) -> ProxyBody
    where
        B: Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<BoxError>,
    {
        let inner = inner.map_err(Into::into).boxed();
        if !auditor.enabled() {
            return inner;
        }
        OutcomeBody {
            inner,
            pending: Some((auditor, outcome)),
        }
        .boxed()
    }

    fn finish(&mut self, reason: Option<String>) {
        if let Some((auditor, mut o)) = self.pending.take() {
            o.reason = reason;
            auditor.record_outcome(o);
        }
    }
}

impl Body for OutcomeBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(data), Some((_, o))) = (frame.data_ref(), self.pending.as_mut()) {
                    o.bytes += data.len() as u64;
                }
            }
            Poll::Ready(Some(Err(e))) => {
                let reason = format!("response body failed: {e}");
                self.finish(Some(reason));
            }
            Poll::Ready(None) => self.finish(None),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for OutcomeBody {
    fn drop(&mut self) {
        if self.pending.is_some() && self.inner.is_end_stream() {
            self.finish(None);
        } else {
            self.finish(Some(
                "client went away before the response completed".into(),
            ));
        }
    }
}
