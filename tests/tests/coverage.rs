//! Coverage as `verify` reports it, from a chain written by the real writer to a real
//! SQLite file: starts, starts without a stop (crash), stops, and silences while the
//! sidecar was running.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use zegel_audit::keys::SigningKey;
use zegel_audit::store::{Store, StoreOptions};
use zegel_audit::verify::{Silence, VerifyOptions, verify_store_chain_with};
use zegel_audit::writer::{Writer, WriterConfig};
use zegel_audit::{Event, EventKind};

const H: i64 = 3_600_000_000;
const T0: i64 = 1_790_000_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_reports_restarts_and_silences_while_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", dir.path().join("log.db").display());
    let store = Store::open(&url, &StoreOptions::default())
        .await
        .expect("open");
    let (w, task) = Writer::start(
        store.clone(),
        SigningKey::from_bytes(&[3; 32]),
        WriterConfig::new("cov"),
    )
    .await
    .expect("writer");
    let timeline = [
        (EventKind::Start, 0),
        (EventKind::Access, H),
        (EventKind::Access, 4 * H), // 3 h silent while running
        (EventKind::Start, 5 * H),  // no stop before it: a crash
        (EventKind::Access, 5 * H + 1),
        (EventKind::Stop, 6 * H),
        (EventKind::Start, 20 * H), // 14 h stopped: not a silence
        (EventKind::Access, 20 * H + 1),
        (EventKind::Notice, 21 * H),
    ];
    for (kind, t) in timeline {
        w.submit(Event::new(kind, T0 + t)).await.expect("submit");
    }
    task.shutdown().await.expect("shutdown");

    let pages = Arc::new(AtomicU64::new(0));
    let p = Arc::clone(&pages);
    let opts = VerifyOptions {
        silence_us: Some(2 * H),
        progress: Some(Arc::new(move |n| {
            p.fetch_add(n, Ordering::Relaxed);
        })),
    };
    let summary = verify_store_chain_with(&store, "cov", &[], None, &opts)
        .await
        .expect("read")
        .expect("valid");
    let c = &summary.coverage;
    assert_eq!(
        (c.starts, c.unclean_starts, c.stops, c.notices),
        (3, 1, 1, 1)
    );
    assert_eq!(
        c.silences,
        [Silence {
            after_seq: 2,
            from_us: T0 + H,
            before_seq: 3,
            to_us: T0 + 4 * H
        }]
    );
    assert_eq!(c.silences_total, 1);
    assert_eq!(pages.load(Ordering::Relaxed), summary.records);
    store.close().await;
}
