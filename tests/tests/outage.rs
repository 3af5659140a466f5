//! PostgreSQL going away under a running writer: submitters are refused at once (fail
//! closed), nothing half-written remains, and the writer recovers by itself, leaving a
//! notice of the outage in the chain.

use std::net::SocketAddr;
use std::time::{Duration, Instant};
use zegel_audit::EventKind;
use zegel_audit::keys::SigningKey;
use zegel_audit::store::rows::Row;
use zegel_audit::store::{Store, StoreOptions};
use zegel_audit::verify::verify_store_chain;
use zegel_audit::writer::{WriteError, Writer, WriterConfig};
use zegel_tests::relay::Relay;
use zegel_tests::sample_event;

/// Rewrites the host:port of a postgres URL to go through the relay.
fn via(url: &str, relay: SocketAddr, target: &str) -> String {
    url.replacen(target, &relay.to_string(), 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_fails_closed_and_recovers() {
    let Some(pg) = zegel_tests::pg::schema("postgres_outage").await else {
        return;
    };
    let target = "127.0.0.1:5432";
    assert!(
        pg.url.contains(target),
        "test expects the database at {target}"
    );
    let relay = Relay::start(target.parse().expect("addr"))
        .await
        .expect("relay");
    let url = via(&pg.url, relay.addr, target);
    let opts = StoreOptions {
        acquire_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let store = Store::open(&url, &opts).await.expect("open via relay");
    let mut cfg = WriterConfig::new("outage");
    cfg.retry_interval = Duration::from_millis(50);
    let key = SigningKey::from_bytes(&[3u8; 32]);
    let (w, task) = Writer::start(store.clone(), key.clone(), cfg)
        .await
        .expect("start");
    for i in 0..20 {
        w.submit(sample_event(i)).await.expect("before outage");
    }

    relay.cut();
    let t0 = Instant::now();
    let first = w.submit(sample_event(100)).await;
    assert!(
        matches!(first, Err(WriteError::Unavailable(_))),
        "{first:?}"
    );
    // Once the failure is known, every submitter is refused without waiting.
    let t1 = Instant::now();
    for i in 0..50 {
        assert!(matches!(
            w.submit(sample_event(200 + i)).await,
            Err(WriteError::Unavailable(_))
        ));
    }
    let per_refusal = t1.elapsed() / 50;
    assert!(
        per_refusal < Duration::from_millis(5),
        "refusal took {per_refusal:?}"
    );
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "first failure took {:?}",
        t0.elapsed()
    );

    relay.restore();
    let t2 = Instant::now();
    while !w.is_available() {
        assert!(t2.elapsed() < Duration::from_secs(10), "no recovery");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let after = w.submit(sample_event(300)).await.expect("after recovery");
    assert_eq!(after.seq, 22, "seq 21 is the outage notice");
    // The cut ended the session that held the chain's advisory lock; the writer took it
    // again before writing, so a second writer of the same chain is still refused.
    let direct = Store::open(&pg.url, &StoreOptions::default())
        .await
        .expect("open directly");
    match direct.lock_chain("outage").await {
        Err(zegel_audit::StoreError::ChainInUse { .. }) => {}
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("a second writer got the chain's lock after the outage"),
    }
    direct.close().await;
    task.shutdown().await.expect("shutdown");

    let rows = store.read_page("outage", 1, 100).await.expect("rows");
    assert_eq!(rows.len(), 22);
    let Row::Record(notice) = &rows[20] else {
        panic!("malformed notice")
    };
    assert_eq!(notice.event.kind, EventKind::Notice);
    let detail: serde_json::Value =
        serde_json::from_str(notice.event.detail.as_deref().expect("detail")).expect("json");
    assert!(
        detail["refused"].as_u64().expect("refused") >= 50,
        "{detail}"
    );
    let summary = verify_store_chain(&store, "outage", &[key.verifying_key()], None)
        .await
        .expect("read")
        .expect("chain verifies");
    assert_eq!(summary.records, 22);
    store.close().await;
}

/// The session holding a chain's lock died with the connection; while the writer could
/// not reach the database, another writer took the chain. When the database is back the
/// first writer must not append beside it: it keeps refusing (fail closed) and says why,
/// until the chain is free again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_taken_by_another_writer_during_an_outage_is_not_written() {
    let Some(pg) = zegel_tests::pg::schema("postgres_lock_lost").await else {
        return;
    };
    let target = "127.0.0.1:5432";
    let relay = Relay::start(target.parse().expect("addr"))
        .await
        .expect("relay");
    let opts = StoreOptions {
        acquire_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let store = Store::open(&via(&pg.url, relay.addr, target), &opts)
        .await
        .expect("open via relay");
    let mut cfg = WriterConfig::new("taken");
    cfg.retry_interval = Duration::from_millis(50);
    let key = SigningKey::from_bytes(&[4u8; 32]);
    let (w, task) = Writer::start(store.clone(), key, cfg).await.expect("start");
    w.submit(sample_event(1)).await.expect("before outage");

    relay.cut();
    assert!(w.submit(sample_event(2)).await.is_err());
    // The server ends the dead session (and its lock) once the relay closed it.
    let other = Store::open(&pg.url, &StoreOptions::default())
        .await
        .expect("open directly");
    let t0 = Instant::now();
    let taken = loop {
        match other.lock_chain("taken").await {
            Ok(lock) => break lock,
            Err(e) => {
                assert!(
                    t0.elapsed() < Duration::from_secs(10),
                    "lock never freed: {e}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };

    relay.restore();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!w.is_available(), "writer resumed beside another writer");
    match w.submit(sample_event(3)).await {
        Err(WriteError::Unavailable(why)) => {
            assert!(why.contains("already being written"), "{why}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    // Once the other writer lets go, the first takes the chain back and goes on.
    taken.release().await;
    let t1 = Instant::now();
    while !w.is_available() {
        assert!(t1.elapsed() < Duration::from_secs(10), "no recovery");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    w.submit(sample_event(4))
        .await
        .expect("after the lock came back");
    task.shutdown().await.expect("shutdown");
    other.close().await;
    store.close().await;
}
