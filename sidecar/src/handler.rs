//! One request, stage by stage: canonical target -> identity -> route -> decision ->
//! durable access record -> forward -> outcome. Every refusal is recorded before it is
//! sent; nothing reaches the upstream without a durable record.

use crate::audit::{Auditor, Facts, OutcomeBody, PendingOutcome};
use crate::authz::{Authorizer, Query};
use crate::error::Refusal;
use crate::identity::{Identifier, Identity, PeerInfo};
use crate::metrics::Metrics;
use crate::normalize::{Target, canonicalize_uri};
use crate::proxy::{ProxyBody, Upstream, set_forwarded, strip_hop_by_hop};
use crate::route::{RouteMatch, Routes};
use http::{HeaderValue, Request, Response};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use std::sync::Arc;
use std::time::Instant;
use zegel_audit::Decision;

/// Everything a request needs, shared by all connections.
pub struct State {
    /// Application name (recorded; policy object prefix).
    pub application: String,
    /// Identity sources.
    pub identifier: Identifier,
    /// Route table.
    pub routes: Routes,
    /// Decisions.
    pub authz: Authorizer,
    /// Records.
    pub auditor: Auditor,
    /// Where requests go.
    pub upstream: Upstream,
    /// Largest request body.
    pub max_body_bytes: u64,
    /// Peers whose `X-Forwarded-For` is kept.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Counters.
    pub metrics: Metrics,
}

/// What the connection knows.
#[derive(Clone)]
pub struct Conn {
    /// Peer address and client certificate.
    pub peer: PeerInfo,
    /// Whether the connection is TLS.
    pub tls: bool,
}

/// Handles one request; never fails (every failure becomes a response).
pub async fn handle(state: Arc<State>, conn: Conn, req: Request<Incoming>) -> Response<ProxyBody> {
    let started = Instant::now();
    let request_id = request_id(&req);
    let mut req = req;
    // Until this request's last record is queued, shutdown holds the stop record back.
    let open = state.auditor.begin();
    let resp = match admit(&state, &conn, &mut req, &request_id).await {
        Ok(admitted) => {
            let pending = PendingOutcome::new(
                &state.auditor,
                &request_id,
                admitted.access_seq,
                started,
                open,
            );
            forward(&state, &conn, req, admitted, &request_id, pending).await
        }
        Err(resp) => resp,
    };
    state
        .metrics
        .observe(resp.status().as_u16(), started.elapsed());
    resp
}

/// A request that passed every check and has a durable access record.
struct Admitted {
    target: Target,
    identity: Identity,
    access_seq: u64,
}

/// Runs the checks, records the access (or the refusal), and says whether to forward.
async fn admit(
    state: &State,
    conn: &Conn,
    req: &mut Request<Incoming>,
    request_id: &str,
) -> Result<Admitted, Response<ProxyBody>> {
    let method = req.method().as_str().to_owned();
    let mut facts = Facts {
        request_id,
        method: &method,
        path: None,
        raw_path: None,
        peer: conn.peer.addr,
        identity: None,
        route: None,
        decision: Decision::Reject,
        rule: None,
        reason: None,
        status: None,
        policy_version: Some(state.authz.version()),
    };
    let raw = req.uri().to_string();
    let target = match canonicalize_uri(req.uri()) {
        Ok(t) => t,
        Err(e) => {
            facts.raw_path = Some(&raw);
            return Err(refuse(state, &mut facts, Refusal::BadTarget(e.to_string())).await);
        }
    };
    facts.path = Some(&target.path);
    facts.raw_path = target.raw.as_deref();
    if let Some(len) = content_length(req).filter(|&n| n > state.max_body_bytes) {
        let r = Refusal::TooLarge(format!("{len} bytes, at most {}", state.max_body_bytes));
        return Err(refuse(state, &mut facts, r).await);
    }
    let identity = match state.identifier.identify(req.headers(), &conn.peer).await {
        Ok(id) => id,
        Err(e) => {
            return Err(refuse(state, &mut facts, Refusal::Unauthenticated(e.to_string())).await);
        }
    };
    facts.identity = Some(&identity);
    let route = state.routes.find(&method, &target.path);
    facts.route = route.as_ref();
    if let Err(reason) = decide(state, &identity, route.as_ref(), &mut facts) {
        return Err(refuse(state, &mut facts, Refusal::Forbidden(reason)).await);
    }
    let event = state.auditor.access_event(&facts);
    match state.auditor.record(event).await {
        Ok(access_seq) => Ok(Admitted {
            target,
            identity,
            access_seq,
        }),
        Err(e) => {
            state.metrics.audit_failure();
            Err(Refusal::LogUnavailable(e.to_string()).response(request_id))
        }
    }
}

/// Fills the decision into `facts`; `Err(reason)` when denied.
fn decide(
    state: &State,
    id: &Identity,
    route: Option<&RouteMatch>,
    facts: &mut Facts<'_>,
) -> Result<(), String> {
    let Some(route) = route else {
        facts.decision = Decision::Deny;
        facts.rule = Some("no route matched".into());
        return Err("no route matches this path".into());
    };
    let object = format!("{}:{}", state.application, route.resource);
    let q = Query {
        roles: &id.roles,
        department: id.department.as_deref(),
        domain: id.organisation.as_deref().unwrap_or(""),
        object: &object,
        action: &route.action,
    };
    let d = state.authz.decide(&q);
    facts.rule = Some(d.record_rule().to_owned());
    // The version that decided (a reload may swap the policy between two requests).
    facts.policy_version = Some(d.policy_version.to_string());
    if d.allowed {
        facts.decision = Decision::Allow;
        Ok(())
    } else {
        facts.decision = Decision::Deny;
        Err(d.reason)
    }
}

/// Records a refusal (best effort: if even that fails, the answer becomes 503) and builds
/// its response.
async fn refuse(state: &State, facts: &mut Facts<'_>, r: Refusal) -> Response<ProxyBody> {
    facts.decision = r.decision();
    facts.status = Some(r.status().as_u16());
    if facts.reason.is_none() {
        facts.reason = Some(r.to_string());
    }
    let event = state.auditor.access_event(facts);
    match state.auditor.record(event).await {
        Ok(_) => r.response(facts.request_id),
        Err(e) => {
            state.metrics.audit_failure();
            Refusal::LogUnavailable(e.to_string()).response(facts.request_id)
        }
    }
}

async fn forward(
    state: &State,
    conn: &Conn,
    req: Request<Incoming>,
    a: Admitted,
    request_id: &str,
    pending: PendingOutcome,
) -> Response<ProxyBody> {
    let (mut parts, body) = req.into_parts();
    let uri = match state
        .upstream
        .uri_for(&a.target.path, a.target.query.as_deref())
    {
        Ok(u) => u,
        Err(e) => return upstream_failed(state, e, request_id, pending),
    };
    parts.uri = uri;
    parts.version = state.upstream.version();
    prepare_headers(state, conn, &mut parts.headers, &a.identity, request_id);
    let body = Limited::new(body, state.max_body_bytes as usize)
        .map_err(Into::into)
        .boxed();
    match state
        .upstream
        .forward(Request::from_parts(parts, body))
        .await
    {
        Ok(resp) => respond(resp, request_id, pending),
        Err(e) => upstream_failed(state, e, request_id, pending),
    }
}

fn prepare_headers(
    state: &State,
    conn: &Conn,
    h: &mut http::HeaderMap,
    id: &Identity,
    request_id: &str,
) {
    strip_hop_by_hop(h);
    state.identifier.strip_inbound(h);
    state.identifier.forward(id, h);
    let ip = conn.peer.addr.ip();
    let trusted = state.trusted_proxies.iter().any(|n| n.contains(&ip));
    set_forwarded(h, ip, conn.tls, trusted);
    state.upstream.set_host(h);
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-request-id", v);
    }
}

fn respond(
    resp: Response<Incoming>,
    request_id: &str,
    pending: PendingOutcome,
) -> Response<ProxyBody> {
    let (mut parts, body) = resp.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    if let Ok(v) = HeaderValue::from_str(request_id) {
        parts.headers.insert("x-request-id", v);
    }
    let (auditor, outcome) = pending.answered(parts.status.as_u16());
    let body = OutcomeBody::wrap(body, auditor, outcome);
    Response::from_parts(parts, body)
}

fn upstream_failed(
    state: &State,
    e: crate::proxy::ProxyError,
    request_id: &str,
    pending: PendingOutcome,
) -> Response<ProxyBody> {
    state.metrics.upstream_failure();
    let r = Refusal::Upstream(e);
    let (auditor, mut outcome) = pending.answered(r.status().as_u16());
    outcome.reason = Some(r.to_string());
    auditor.record_outcome(outcome);
    r.response(request_id)
}

fn content_length(req: &Request<Incoming>) -> Option<u64> {
    req.headers()
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The client's `X-Request-Id` when it is sane (1-128 visible ASCII), else a new one.
fn request_id(req: &Request<Incoming>) -> String {
    let given = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok());
    match given {
        Some(id) if (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()) => {
            id.to_owned()
        }
        _ => new_request_id(),
    }
}

/// A new request id: 32 hex digits, a random half drawn once per process and a counter.
/// Unique within a run and, with overwhelming odds, across runs and sidecars; not
/// secret (a client may send its own), so no system call per request is spent on it.
fn new_request_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        let mut b = [0u8; 8];
        if getrandom::fill(&mut b).is_err() {
            // No entropy source: the start time still separates runs.
            b = zegel_audit::now_us().to_le_bytes();
        }
        u64::from_le_bytes(b)
    });
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix:016x}{n:016x}")
}

#[cfg(test)]
mod tests {
    use super::new_request_id;

    #[test]
    fn new_request_ids_are_distinct_hex_of_one_run() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a[..16], b[..16], "one prefix per process");
    }
}
