//! The sidecar end to end: a real upstream, real sockets, real tokens, a real log that
//! must verify after every test.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zegel_audit::store::rows::Row;
use zegel_audit::{Decision, Event, EventKind};
use zegel_tests::sidecar::{Body, Harness, Options, client, events};

fn empty() -> Body {
    Full::new(Bytes::new()).boxed()
}

async fn get(
    h: &Harness,
    path: &str,
    token: Option<&str>,
) -> (u16, serde_json::Value, http::HeaderMap) {
    let mut req = http::Request::get(h.url(path));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = req
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .body(empty())
        .expect("request");
    let resp = client(false).request(req).await.expect("response");
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (parts.status.as_u16(), json, parts.headers)
}

fn access<'a>(rows: &'a [Row], request_id: &str) -> &'a Event {
    events(rows)
        .into_iter()
        .find(|e| e.kind == EventKind::Access && e.request_id.as_deref() == Some(request_id))
        .unwrap_or_else(|| panic!("no access record for {request_id}"))
}

fn outcome<'a>(rows: &'a [Row], request_id: &str) -> Option<&'a Event> {
    events(rows)
        .into_iter()
        .find(|e| e.kind == EventKind::Outcome && e.request_id.as_deref() == Some(request_id))
}

async fn allow_and_deny(opts: Options) {
    let h = Harness::start(opts).await;
    let nurse = h.token("nurse-1", &["verpleegkundige"]);
    let (status, body, headers) = get(&h, "/fhir/Patient/p-42", Some(&nurse)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["target"], "/fhir/Patient/p-42");
    let seen = &body["headers"];
    assert_eq!(seen["x-zegel-user-id"], "nurse-1");
    assert_eq!(seen["x-forwarded-for"], "127.0.0.1");
    assert!(
        seen["traceparent"]
            .as_str()
            .is_some_and(|t| t.starts_with("00-4bf9"))
    );
    assert!(
        headers.get("x-upstream-hop").is_none(),
        "connection-named header leaked"
    );
    let allowed_id = headers["x-request-id"].to_str().expect("id").to_owned();
    assert_eq!(seen["x-request-id"], allowed_id.as_str());

    let secretary = h.token("sec-1", &["secretaresse"]);
    let hits = h.upstream.hits.load(std::sync::atomic::Ordering::Relaxed);
    let (status, body, _) = get(&h, "/fhir/Patient/p-42", Some(&secretary)).await;
    assert_eq!(status, 403);
    let denied_id = body["request_id"]
        .as_str()
        .expect("request id in 403 body")
        .to_owned();
    assert_eq!(
        h.upstream.hits.load(std::sync::atomic::Ordering::Relaxed),
        hits,
        "denied request reached upstream"
    );

    let (summary, rows) = h.stop().await;
    let a = access(&rows, &allowed_id);
    assert_eq!(
        (a.decision, a.patient_id.as_deref()),
        (Some(Decision::Allow), Some("p-42"))
    );
    assert_eq!(a.user_id.as_deref(), Some("nurse-1"));
    assert_eq!(a.organisation.as_deref(), Some("ura:00012345"));
    assert!(a.policy_version.as_ref().is_some_and(|v| v.len() == 64));
    let o = outcome(&rows, &allowed_id).expect("outcome of the allowed request");
    assert_eq!(o.status, Some(200));
    assert!(o.bytes.is_some_and(|b| b > 0));
    let d = access(&rows, &denied_id);
    assert_eq!(
        (d.decision, d.rule.as_deref(), d.status),
        (Some(Decision::Deny), Some("no rule matched"), Some(403))
    );
    let kinds: Vec<EventKind> = events(&rows).iter().map(|e| e.kind).collect();
    assert_eq!(&kinds[..2], &[EventKind::Start, EventKind::PolicyLoad]);
    assert_eq!(kinds.last(), Some(&EventKind::Stop));
    assert!(
        summary
            .last_checkpoint
            .is_some_and(|c| c.seq == summary.records)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_and_deny_are_forwarded_and_refused_and_logged_on_sqlite() {
    allow_and_deny(Options::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_and_deny_are_forwarded_and_refused_and_logged_on_postgres() {
    let Some(pg) = zegel_tests::pg::schema("sidecar_allow_deny").await else {
        return;
    };
    allow_and_deny(Options {
        database: Some(pg.url.clone()),
        ..Options::default()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_an_acceptable_identity_get_401_and_are_logged() {
    let h = Harness::start(Options::default()).await;
    let expired = h.token_with("arts-1", &["arts"], |c| {
        c["exp"] = serde_json::json!(1_000);
        c["nbf"] = serde_json::json!(900);
    });
    let wrong_aud = h.token_with("arts-1", &["arts"], |c| c["aud"] = "someone-else".into());
    let mut ids = Vec::new();
    for token in [
        None,
        Some("not-a-jwt"),
        Some(expired.as_str()),
        Some(wrong_aud.as_str()),
    ] {
        let (status, body, headers) = get(&h, "/fhir/Patient/p-1", token).await;
        assert_eq!(status, 401, "{token:?}: {body}");
        assert_eq!(headers["www-authenticate"], "Bearer");
        ids.push(body["request_id"].as_str().expect("id").to_owned());
    }
    assert_eq!(
        h.upstream.hits.load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    let (_, rows) = h.stop().await;
    for id in &ids {
        let e = access(&rows, id);
        assert_eq!(
            (e.decision, e.status),
            (Some(Decision::Reject), Some(401)),
            "{e:?}"
        );
        assert!(e.reason.is_some());
    }
}

/// Sends raw bytes and returns the status line and the whole response.
async fn raw(h: &Harness, request: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(h.addr)
        .await
        .expect("connect");
    s.write_all(request).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_targets_get_400_before_anything_else_and_are_logged() {
    let h = Harness::start(Options::default()).await;
    let token = h.token("arts-1", &["arts"]);
    for target in [
        "/fhir/Patient/..%2fObservation",
        "/fhir/Patient/a%00b",
        "/fhir/Patient/a%5cb",
        "/fhir/Patient/x;jsessionid=1",
        "/fhir/%2e%2e/Patient/p",
        "/fhir/Patient/%ff",
    ] {
        let req = format!(
            "GET {target} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        );
        let resp = raw(&h, req.as_bytes()).await;
        assert!(resp.starts_with("HTTP/1.1 400"), "{target}: {resp}");
    }
    // Dot segments and doubled slashes are resolved once, and that form is what is
    // decided on and forwarded; the raw form is recorded.
    let req = format!(
        "GET /fhir//Patient/./p-7 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    let resp = raw(&h, req.as_bytes()).await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"target\":\"/fhir/Patient/p-7\""), "{resp}");
    assert_eq!(
        h.upstream.hits.load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    let (_, rows) = h.stop().await;
    let rejected = events(&rows)
        .iter()
        .filter(|e| e.status == Some(400))
        .count();
    assert_eq!(rejected, 6);
    let ok = events(&rows)
        .into_iter()
        .find(|e| e.path.as_deref() == Some("/fhir/Patient/p-7"))
        .expect("record");
    assert_eq!(ok.raw_path.as_deref(), Some("/fhir//Patient/./p-7"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_failures_map_to_502_and_504_and_are_logged() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let dead = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let h = Harness::start(Options {
        upstream_url: Some(dead),
        ..Options::default()
    })
    .await;
    let token = h.token("arts-1", &["arts"]);
    let (status, body, _) = get(&h, "/fhir/Patient/p-1", Some(&token)).await;
    assert_eq!(status, 502, "{body}");
    let id502 = body["request_id"].as_str().expect("id").to_owned();
    let (_, rows) = h.stop().await;
    assert_eq!(access(&rows, &id502).decision, Some(Decision::Allow));
    assert_eq!(outcome(&rows, &id502).and_then(|o| o.status), Some(502));

    let h = Harness::start(Options {
        upstream: "response_timeout_ms = 300".into(),
        ..Options::default()
    })
    .await;
    let token = h.token("arts-1", &["arts"]);
    let t0 = Instant::now();
    let (status, body, _) = get(&h, "/slow?ms=3000", Some(&token)).await;
    assert_eq!(status, 504, "{body}");
    assert!(t0.elapsed() < Duration::from_secs(2));
    let id504 = body["request_id"].as_str().expect("id").to_owned();
    let (_, rows) = h.stop().await;
    assert_eq!(outcome(&rows, &id504).and_then(|o| o.status), Some(504));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_prior_knowledge_and_http11_both_work() {
    let h = Harness::start(Options::default()).await;
    let token = h.token("nurse-1", &["verpleegkundige"]);
    for h2 in [false, true] {
        let req = http::Request::get(h.url("/fhir/Patient/p-1"))
            .header("authorization", format!("Bearer {token}"))
            .body(empty())
            .expect("req");
        let resp = client(h2).request(req).await.expect("response");
        let want = if h2 {
            http::Version::HTTP_2
        } else {
            http::Version::HTTP_11
        };
        assert_eq!((resp.status().as_u16(), resp.version()), (200, want));
    }
    h.stop().await;
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_owned)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_stream_both_ways_without_buffering() {
    const N: u64 = 256 * 1024 * 1024;
    let h = Harness::start(Options {
        limits: format!("max_body_bytes = {}", N + 1),
        ..Options::default()
    })
    .await;
    let token = h.token("arts-1", &["arts"]);
    let before = rss_kib();
    let req = http::Request::get(h.url(&format!("/bytes?n={N}")))
        .header("authorization", format!("Bearer {token}"))
        .body(empty())
        .expect("req");
    let mut body = client(false).request(req).await.expect("resp").into_body();
    let mut got = 0u64;
    while let Some(f) = body.frame().await {
        got += f.expect("frame").data_ref().map_or(0, |d| d.len() as u64);
    }
    assert_eq!(got, N);
    // Upload: a streamed request body of N bytes.
    let chunks = (0..N / (1 << 20))
        .map(|_| Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from(vec![7u8; 1 << 20]))));
    let upload = StreamBody::new(futures_util::stream::iter(chunks)).boxed();
    let req = http::Request::post(h.url("/upload"))
        .header("authorization", format!("Bearer {token}"))
        .body(upload)
        .expect("req");
    let resp = client(false).request(req).await.expect("resp");
    let json: serde_json::Value =
        serde_json::from_slice(&resp.into_body().collect().await.expect("body").to_bytes())
            .expect("json");
    assert_eq!(json["received_bytes"], N);
    let grown_mib = rss_kib().saturating_sub(before) / 1024;
    // 512 MiB went through this process (client, sidecar and upstream together).
    assert!(
        grown_mib < 64,
        "memory grew by {grown_mib} MiB: something buffered whole bodies"
    );
    let (_, rows) = h.stop().await;
    assert!(
        events(&rows)
            .iter()
            .any(|e| e.kind == EventKind::Outcome && e.bytes == Some(N as i64))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_oversized_bodies_get_413_and_are_logged() {
    let h = Harness::start(Options {
        limits: "max_body_bytes = 1000".into(),
        ..Options::default()
    })
    .await;
    let token = h.token("arts-1", &["arts"]);
    let req = http::Request::post(h.url("/upload"))
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::from(vec![1u8; 5000])).boxed())
        .expect("req");
    let resp = client(false).request(req).await.expect("resp");
    assert_eq!(resp.status().as_u16(), 413);
    assert_eq!(
        h.upstream.hits.load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    let (_, rows) = h.stop().await;
    assert!(
        events(&rows)
            .iter()
            .any(|e| e.status == Some(413) && e.decision == Some(Decision::Reject))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_requests_in_flight_and_records_the_stop() {
    let h = Harness::start(Options::default()).await;
    let token = h.token("arts-1", &["arts"]);
    let url = h.url("/slow?ms=800");
    let inflight = tokio::spawn(async move {
        let req = http::Request::get(url)
            .header("authorization", format!("Bearer {token}"))
            .body(empty())
            .expect("req");
        let resp = client(false)
            .request(req)
            .await
            .expect("in-flight request completes");
        let status = resp.status().as_u16();
        let _ = resp.into_body().collect().await;
        status
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let addr = h.addr;
    let stopping = tokio::spawn(h.stop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown began"
    );
    assert_eq!(inflight.await.expect("task"), 200);
    let (_, rows) = stopping.await.expect("stop");
    let kinds: Vec<EventKind> = events(&rows).iter().map(|e| e.kind).collect();
    assert_eq!(kinds.last(), Some(&EventKind::Stop));
    assert!(
        kinds.contains(&EventKind::Outcome),
        "outcome of the in-flight request is in the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_down_means_503_and_nothing_forwarded_then_recovery() {
    let Some(pg) = zegel_tests::pg::schema("sidecar_503").await else {
        return;
    };
    let target = "127.0.0.1:5432";
    let relay = zegel_tests::relay::Relay::start(target.parse().expect("addr"))
        .await
        .expect("relay");
    let url = pg.url.replacen(target, &relay.addr.to_string(), 1);
    let h = Harness::start(Options {
        database: Some(url),
        ..Options::default()
    })
    .await;
    let token = h.token("nurse-1", &["verpleegkundige"]);
    assert_eq!(get(&h, "/fhir/Patient/p-1", Some(&token)).await.0, 200);
    let hits = h.upstream.hits.load(std::sync::atomic::Ordering::Relaxed);
    relay.cut();
    for _ in 0..5 {
        let (status, body, _) = get(&h, "/fhir/Patient/p-1", Some(&token)).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"], "audit_log_unavailable");
    }
    assert_eq!(
        h.upstream.hits.load(std::sync::atomic::Ordering::Relaxed),
        hits,
        "forwarded without a record"
    );
    relay.restore();
    let t0 = Instant::now();
    loop {
        let (status, _, _) = get(&h, "/fhir/Patient/p-1", Some(&token)).await;
        if status == 200 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "no recovery: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, rows) = h.stop().await;
    let notice = events(&rows)
        .into_iter()
        .find(|e| e.kind == EventKind::Notice)
        .expect("outage notice");
    assert!(
        notice
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("refused"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_connections_are_closed_after_the_header_timeout() {
    let h = Harness::start(Options::default()).await;
    let token = h.token("nurse-1", &["verpleegkundige"]);
    // Keep-alive: one request, then silence.
    let mut s = tokio::net::TcpStream::connect(h.addr)
        .await
        .expect("connect");
    let req = format!(
        "GET /fhir/Patient/p-1 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 65536];
    let n = s.read(&mut buf).await.expect("response");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let t0 = Instant::now();
    let rest = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
        .await
        .expect("closed in time");
    assert_eq!(rest.expect("read"), 0, "expected EOF");
    assert!(
        t0.elapsed() >= Duration::from_millis(1500),
        "closed too early: {:?}",
        t0.elapsed()
    );
    // Slowloris: a head that never ends.
    let mut s = tokio::net::TcpStream::connect(h.addr)
        .await
        .expect("connect");
    s.write_all(b"GET /fhir/Patient/p-1 HTTP/1.1\r\nHost: t\r\nX-Slow: ")
        .await
        .expect("write");
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if s.write_all(b"a").await.is_err() {
                return;
            }
            let mut b = [0u8; 1024];
            match tokio::time::timeout(Duration::from_millis(10), s.read(&mut b)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return,
                Ok(Ok(_)) => return, // an error response (408) also ends it
                Err(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "slow header connection was never closed");
    h.stop().await;
}
