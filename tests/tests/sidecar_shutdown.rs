//! Many connections at once, and the end of a run: every request answered and logged, and
//! shutdown cuts what outlives its grace period with the outcome recorded before the stop
//! record.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use std::time::Duration;
use zegel_audit::{Event, EventKind};
use zegel_tests::sidecar::{Body, Harness, Options, client, events};

fn request(url: String, token: &str) -> http::Request<Body> {
    http::Request::get(url)
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::new()).boxed())
        .expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_h1_and_h2_connections_are_all_answered_and_logged() {
    let h = Harness::start(Options::default()).await;
    let token = h.token("nurse-1", &["verpleegkundige"]);
    let (conns, per_conn) = (24, 5);
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (url, token) = (h.url(&format!("/fhir/Patient/p-{c}")), token.clone());
        tasks.push(tokio::spawn(async move {
            let client = client(c % 2 == 1);
            let mut ok = 0;
            for _ in 0..per_conn {
                let resp = client
                    .request(request(url.clone(), &token))
                    .await
                    .expect("response");
                let status = resp.status();
                resp.into_body().collect().await.expect("body");
                ok += usize::from(status == 200);
            }
            ok
        }));
    }
    let mut answered = 0;
    for t in tasks {
        answered += t.await.expect("task");
    }
    assert_eq!(answered, conns * per_conn, "every request answered 200");
    let (_, rows) = h.stop().await;
    let ev = events(&rows);
    let count = |k: EventKind| ev.iter().filter(|e| e.kind == k).count();
    assert_eq!(count(EventKind::Access), conns * per_conn);
    assert_eq!(count(EventKind::Outcome), conns * per_conn);
    assert!(
        ev.iter()
            .filter(|e| e.kind == EventKind::Outcome)
            .all(|e| e.status == Some(200) && e.reason.is_none())
    );
    assert_eq!(ev.last().map(|e| e.kind), Some(EventKind::Stop));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_cuts_requests_past_the_grace_period_and_records_their_outcome() {
    let h = Harness::start(Options {
        shutdown_grace_ms: Some(300),
        ..Options::default()
    })
    .await;
    let token = h.token("arts-1", &["arts"]);
    // Two slow requests, over HTTP/1.1 and HTTP/2.
    let mut inflight = Vec::new();
    for h2 in [false, true] {
        let req = request(h.url("/slow?ms=10000"), &token);
        inflight.push(tokio::spawn(async move {
            match client(h2).request(req).await {
                Ok(resp) => match resp.into_body().collect().await {
                    Ok(_) => "answered",
                    Err(_) => "body cut",
                },
                Err(_) => "cut",
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, rows) = h.stop().await;
    for t in inflight {
        assert_ne!(
            t.await.expect("task"),
            "answered",
            "request outlived the grace period"
        );
    }
    let ev = events(&rows);
    let cut: Vec<&&Event> = ev.iter().filter(|e| e.kind == EventKind::Outcome).collect();
    assert_eq!(cut.len(), 2, "an outcome for each cut request");
    for o in cut {
        assert_eq!(o.status, None, "no status was sent");
        assert!(
            o.reason
                .as_deref()
                .is_some_and(|r| r.contains("cut before the upstream answered")),
            "{:?}",
            o.reason
        );
    }
    assert_eq!(ev.last().map(|e| e.kind), Some(EventKind::Stop));
}
