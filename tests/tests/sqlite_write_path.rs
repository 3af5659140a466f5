//! The SQLite write path (`zegel_audit::store` `sqlite_append.rs`): batches must continue
//! the stored chain, and the WAL is copied into the database file in the background.

use std::time::{Duration, Instant};
use zegel_audit::store::rows::{EncodedRecord, Row};
use zegel_audit::store::{Store, StoreOptions};
use zegel_audit::{Chainer, SealedRecord, genesis};
use zegel_tests::sample_event;

const CHAIN: &str = "write-path";

/// Records `1..=to` of the test chain, sealed (hash chained from genesis).
fn sealed(to: u64) -> Vec<SealedRecord> {
    sealed_on(CHAIN, to)
}

/// Records `1..=to` of `chain`, sealed.
fn sealed_on(chain: &str, to: u64) -> Vec<SealedRecord> {
    let mut chainer = Chainer::new();
    let mut prev = genesis(chain);
    (1..=to)
        .map(|seq| {
            let mut e = sample_event(seq);
            e.normalize();
            prev = chainer.hash(&prev, seq, &e);
            SealedRecord::new(seq, e, prev)
        })
        .collect()
}

async fn open(dir: &std::path::Path) -> Store {
    let url = format!("sqlite:{}", dir.join("log.db").display());
    Store::open(&url, &StoreOptions::default())
        .await
        .expect("open store")
}

async fn stored_seqs(store: &Store) -> Vec<u64> {
    stored_seqs_of(store, CHAIN).await
}

async fn stored_seqs_of(store: &Store, chain: &str) -> Vec<u64> {
    store
        .read_page(chain, 1, 10_000)
        .await
        .expect("read")
        .into_iter()
        .map(|r| match r {
            Row::Record(r) => r.seq,
            Row::Malformed { detail, .. } => panic!("malformed: {detail}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_does_not_continue_the_chain_is_refused_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path()).await;
    let recs = sealed(10);
    store.append(CHAIN, &recs[..4]).await.expect("1..4");
    // A batch sealed on top of records that never committed (5..6 missing).
    let err = store
        .append(CHAIN, &recs[6..])
        .await
        .expect_err("a gap must be refused");
    let msg = err.to_string();
    assert!(
        msg.contains("starts at seq 7") && msg.contains("ends at seq 4"),
        "{msg}"
    );
    // Nor may a batch repeat stored records.
    store
        .append(CHAIN, &recs[2..6])
        .await
        .expect_err("a repeat must be refused");
    assert_eq!(stored_seqs(&store).await, [1, 2, 3, 4]);
    // The chain goes on from the stored tail.
    store.append(CHAIN, &recs[4..]).await.expect("5..10");
    assert_eq!(stored_seqs(&store).await, (1..=10).collect::<Vec<_>>());
    // Owned batches handed over one after another commit in that order.
    let more = sealed(30);
    let rows: Vec<EncodedRecord> = more[10..].iter().map(EncodedRecord::of).collect();
    let (a, b) = rows.split_at(7);
    let first = store.append_owned(CHAIN, a.to_vec());
    let second = store.append_owned(CHAIN, b.to_vec());
    let (a, b) = tokio::join!(second, first);
    a.expect("second");
    b.expect("first");
    assert_eq!(stored_seqs(&store).await, (1..=30).collect::<Vec<_>>());
    store.close().await;
}

/// Batches handed over together are committed together (the append thread merges what
/// is queued into one transaction): a batch in the queue that does not continue its
/// chain is refused on its own, and neither the batches before it nor those after it,
/// of its chain or another, are lost or refused with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_batch_among_queued_ones_is_refused_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path()).await;
    let a: Vec<EncodedRecord> = sealed(400).iter().map(EncodedRecord::of).collect();
    let b: Vec<EncodedRecord> = sealed_on("other", 9)
        .iter()
        .map(EncodedRecord::of)
        .collect();
    let mut pending = Vec::new();
    for (i, chunk) in a.chunks(20).enumerate() {
        pending.push(("a", i, store.append_owned(CHAIN, chunk.to_vec())));
        if i == 5 {
            // A gap on the other chain (4..9 on an empty chain), then its real start.
            pending.push(("b-gap", i, store.append_owned("other", b[3..].to_vec())));
            pending.push(("b", i, store.append_owned("other", b[..3].to_vec())));
        }
        if i == 12 {
            // A repeat on this chain, queued among its good batches.
            pending.push(("a-repeat", i, store.append_owned(CHAIN, a[..20].to_vec())));
        }
    }
    for (what, i, outcome) in pending {
        let r = outcome.await;
        match what {
            "b-gap" | "a-repeat" => {
                let e = r.expect_err(what).to_string();
                assert!(e.contains("not written"), "{what}: {e}");
            }
            _ => {
                r.unwrap_or_else(|e| panic!("{what} batch {i}: {e}"));
            }
        }
    }
    assert_eq!(stored_seqs(&store).await, (1..=400).collect::<Vec<_>>());
    assert_eq!(stored_seqs_of(&store, "other").await, [1, 2, 3]);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_copied_into_the_database_in_the_background() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path()).await;
    let db = dir.path().join("log.db");
    let size = || std::fs::metadata(&db).expect("db file").len();
    let before = size();
    let recs = sealed(3_000);
    for chunk in recs.chunks(500) {
        store.append(CHAIN, chunk).await.expect("append");
    }
    // The appending connection never checkpoints (wal_autocheckpoint=0); only the
    // background checkpointer moves pages into the database file.
    let t0 = Instant::now();
    while size() < before + 1_000_000 {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "database file still {} bytes after 10 s: no background checkpoint",
            size()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stored_seqs(&store).await.len(), 3_000);
    store.close().await;
}
