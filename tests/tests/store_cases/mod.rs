//! The store and writer cases, each taking a database URL and a scratch directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zegel_audit::checkpoint::read_file;
use zegel_audit::keys::{SigningKey, VerifyingKey};
use zegel_audit::store::rows::Row;
use zegel_audit::store::{ArchiveMark, Store, StoreOptions};
use zegel_audit::verify::{ChainSummary, Problem, ProblemKind, verify_store_chain};
use zegel_audit::writer::{StartError, WriteError, Writer, WriterConfig, WriterTask};
use zegel_audit::{Event, EventKind};
use zegel_tests::sample_event;

const CHAIN: &str = "test-chain";

fn key() -> SigningKey {
    SigningKey::from_bytes(&[42u8; 32])
}

fn config(dir: &Path) -> WriterConfig {
    let mut cfg = WriterConfig::new(CHAIN);
    cfg.checkpoint_every = 500;
    cfg.checkpoint_file = Some(cp_file(dir));
    cfg.retry_interval = Duration::from_millis(50);
    cfg
}

fn cp_file(dir: &Path) -> PathBuf {
    dir.join("checkpoints.jsonl")
}

async fn open(url: &str) -> Store {
    Store::open(url, &StoreOptions::default())
        .await
        .expect("open store")
}

async fn start(url: &str, dir: &Path) -> (Store, Writer, WriterTask) {
    let store = open(url).await;
    let (w, t) = Writer::start(store.clone(), key(), config(dir))
        .await
        .expect("start writer");
    (store, w, t)
}

async fn verify(store: &Store, dir: &Path) -> Result<ChainSummary, Problem> {
    let file = read_file(&cp_file(dir)).expect("read checkpoint file");
    let keys: [VerifyingKey; 1] = [key().verifying_key()];
    verify_store_chain(store, CHAIN, &keys, Some(&file))
        .await
        .expect("read store")
}

async fn all_rows(store: &Store) -> Vec<Row> {
    store
        .read_page(CHAIN, 1, u32::MAX)
        .await
        .expect("read rows")
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// What an attacker with database access does first: remove the append-only guards.
async fn drop_guards(store: &Store, url: &str) {
    let sql = if is_sqlite(url) {
        "DROP TRIGGER zegel_records_no_update; DROP TRIGGER zegel_records_no_delete; \
         DROP TRIGGER zegel_checkpoints_no_update; DROP TRIGGER zegel_checkpoints_no_delete;"
    } else {
        "DROP TRIGGER zegel_records_append_only ON zegel_records; \
         DROP TRIGGER zegel_checkpoints_append_only ON zegel_checkpoints;"
    };
    store.execute_raw(sql.into()).await.expect("drop guards");
}

/// A byte-string literal for `url`'s dialect.
fn bytes_sql(url: &str, bytes: &[u8]) -> String {
    if is_sqlite(url) {
        format!("X'{}'", hex::encode(bytes))
    } else {
        format!("'\\x{}'::bytea", hex::encode(bytes))
    }
}

/// What a careful attacker does: rewrite the sealed record itself (re-encoded, so it
/// still decodes) and the copied column, so that only the hash chain can tell.
async fn reseal(store: &Store, url: &str, seq: u64, edit: impl FnOnce(&mut Event)) {
    let Some(Row::Record(mut rec)) = store.read_page(CHAIN, seq, 1).await.expect("read").pop()
    else {
        panic!("no well-formed record at {seq}");
    };
    edit(&mut rec.event);
    let record = bytes_sql(url, &zegel_audit::encode::encode(seq, &rec.event));
    let text = |v: &Option<String>| v.as_ref().map_or("NULL".to_owned(), |s| format!("'{s}'"));
    let sql = format!(
        "UPDATE zegel_records SET record = {record}, user_id = {}, patient_id = {} \
         WHERE chain_id = '{CHAIN}' AND seq = {seq}",
        text(&rec.event.user_id),
        text(&rec.event.patient_id)
    );
    assert_eq!(store.execute_raw(sql).await.expect("tamper"), 1);
}

async fn write_n(w: &Writer, n: u64, offset: u64) -> Vec<u64> {
    let mut seqs = Vec::new();
    for i in 0..n {
        seqs.push(
            w.submit(sample_event(offset + i))
                .await
                .expect("submit")
                .seq,
        );
    }
    seqs
}

pub async fn records_round_trip_exactly(url: &str, dir: &Path) {
    let (store, w, task) = start(url, dir).await;
    let mut odd = Event::new(EventKind::Access, -5);
    odd.reason = Some(String::new()); // empty, not absent
    odd.department = Some("Cardiologie – Zoë ✓".into());
    odd.roles = vec!["z".into(), "a".into(), "a".into()];
    odd.status = Some(i64::MIN);
    odd.links_seq = Some(i64::MAX);
    let mut events = vec![odd, Event::new(EventKind::Start, 0), sample_event(7)];
    for e in &events {
        w.submit(e.clone()).await.expect("submit");
    }
    task.shutdown().await.expect("shutdown");
    events[0].normalize();
    let stored: Vec<Event> = all_rows(&store)
        .await
        .into_iter()
        .map(|r| match r {
            Row::Record(r) => r.event,
            Row::Malformed { detail, .. } => panic!("malformed: {detail}"),
        })
        .collect();
    assert_eq!(stored, events);
    assert_eq!(stored[0].roles, ["a", "z"]);
    assert_eq!(verify(&store, dir).await.expect("verifies").records, 3);
}

pub async fn concurrent_submitters_get_contiguous_sequences(url: &str, dir: &Path) {
    let (store, w, task) = start(url, dir).await;
    let mut handles = Vec::new();
    for t in 0..64u64 {
        let w = w.clone();
        handles.push(tokio::spawn(async move { write_n(&w, 40, t * 1000).await }));
    }
    let mut seqs = Vec::new();
    for h in handles {
        seqs.extend(h.await.expect("task"));
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=2560).collect::<Vec<u64>>());
    task.shutdown().await.expect("shutdown");
    let s = verify(&store, dir).await.expect("chain verifies");
    assert_eq!(s.records, 2560);
    // 5 checkpoints by count, plus one at shutdown only if records were left uncovered.
    let cps = read_file(&cp_file(dir)).expect("checkpoint file");
    assert!(cps.len() >= 5, "{} checkpoints", cps.len());
    assert_eq!(s.last_checkpoint.map(|c| c.seq), Some(2560));
    assert_eq!(
        store.checkpoints(CHAIN).await.expect("cps").len(),
        cps.len()
    );
}

async fn inject_commit_failure(store: &Store, url: &str) {
    let sql = if is_sqlite(url) {
        "CREATE TRIGGER poison BEFORE INSERT ON zegel_records WHEN NEW.user_id = 'poison' \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
    } else {
        // Deferred: fails at COMMIT itself, after every INSERT succeeded.
        "CREATE FUNCTION zegel_test_poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.user_id = 'poison' THEN RAISE EXCEPTION 'injected commit failure'; \
         END IF; RETURN NULL; END $$; \
         CREATE CONSTRAINT TRIGGER poison AFTER INSERT ON zegel_records \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION zegel_test_poison();"
    };
    store.execute_raw(sql.into()).await.expect("inject failure");
}

async fn wait_available(w: &Writer) {
    let t0 = Instant::now();
    while !w.is_available() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "writer did not recover"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub async fn commit_failure_leaves_no_trace_and_chain_resumes(url: &str, dir: &Path) {
    let (store, w, task) = start(url, dir).await;
    inject_commit_failure(&store, url).await;
    write_n(&w, 10, 0).await;
    let mut poison = sample_event(99);
    poison.user_id = Some("poison".into());
    let err = w.submit(poison).await.expect_err("commit must fail");
    assert!(
        matches!(err, WriteError::Unavailable(ref m) if m.contains("injected")),
        "{err}"
    );
    wait_available(&w).await;
    let seqs = write_n(&w, 10, 100).await;
    // Seq 11 is the notice of the outage; the failed record used no sequence number.
    assert_eq!(seqs, (12..=21).collect::<Vec<u64>>());
    task.shutdown().await.expect("shutdown");
    let rows = all_rows(&store).await;
    assert_eq!(rows.len(), 21);
    let notice = match &rows[10] {
        Row::Record(r) => &r.event,
        Row::Malformed { detail, .. } => panic!("{detail}"),
    };
    assert_eq!(notice.kind, EventKind::Notice);
    assert!(
        rows.iter()
            .all(|r| matches!(r, Row::Record(r) if r.event.user_id.as_deref() != Some("poison")))
    );
    assert_eq!(verify(&store, dir).await.expect("verifies").records, 21);
}

pub async fn restart_resumes_the_chain(url: &str, dir: &Path) {
    let (store, w, task) = start(url, dir).await;
    write_n(&w, 120, 0).await;
    task.shutdown().await.expect("shutdown");
    drop(w);
    let (_, w, task) = start(url, dir).await;
    assert_eq!(write_n(&w, 5, 500).await, vec![121, 122, 123, 124, 125]);
    task.shutdown().await.expect("shutdown");
    let s = verify(&store, dir).await.expect("verifies");
    assert_eq!(
        (s.records, s.last_checkpoint.map(|c| c.seq)),
        (125, Some(125))
    );
}

pub async fn refuses_to_resume_a_tampered_tail(url: &str, dir: &Path) {
    let (store, w, task) = start(url, dir).await;
    write_n(&w, 30, 0).await;
    task.shutdown().await.expect("shutdown");
    drop(w);
    drop_guards(&store, url).await;
    reseal(&store, url, 17, |e| e.user_id = Some("someone-else".into())).await;
    // With the final checkpoint at 30, the writer verifies the tail from genesis up to
    // it... the anchor is that checkpoint, so record 30 must still hash to it: rewrite
    // the checkpoint evidence away too, as an attacker would.
    let sql = format!("DELETE FROM zegel_checkpoints WHERE chain_id = '{CHAIN}'");
    store.execute_raw(sql).await.expect("delete checkpoints");
    std::fs::remove_file(cp_file(dir)).expect("remove file");
    match Writer::start(store.clone(), key(), config(dir)).await {
        Err(StartError::Tampered(p)) => {
            assert_eq!(p.seq, 17, "{p}");
            assert!(matches!(p.kind, ProblemKind::HashMismatch { .. }), "{p}");
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("writer resumed onto a tampered chain"),
    }
}

pub async fn refuses_a_second_writer_on_the_same_chain(url: &str, dir: &Path) {
    let (store, _w, _task) = start(url, dir).await;
    let second = Writer::start(store, key(), config(dir)).await;
    assert!(matches!(
        second,
        Err(StartError::Store(
            zegel_audit::StoreError::ChainInUse { .. }
        ))
    ));
}

pub async fn refuses_to_resume_a_truncated_chain(url: &str, dir: &Path) {
    let (store, w, task) = start(url, dir).await;
    write_n(&w, 40, 0).await;
    task.shutdown().await.expect("shutdown");
    drop(w);
    drop_guards(&store, url).await;
    let sql = format!("DELETE FROM zegel_records WHERE chain_id = '{CHAIN}' AND seq > 35");
    assert_eq!(store.execute_raw(sql).await.expect("truncate"), 5);
    let p = verify(&store, dir)
        .await
        .expect_err("truncation is detected");
    assert_eq!(
        (p.seq, p.kind),
        (
            36,
            ProblemKind::MissingAfterCheckpoint { checkpoint_seq: 40 }
        )
    );
    match Writer::start(store.clone(), key(), config(dir)).await {
        Err(StartError::Truncated {
            checkpoint_seq: 40,
            tail_seq: 35,
            ..
        }) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("writer resumed onto a truncated chain"),
    }
}

pub async fn verify_pinpoints_tampering_in_the_database(url: &str, dir: &Path) {
    let (store, w, task) = start(url, dir).await;
    write_n(&w, 1200, 0).await;
    task.shutdown().await.expect("shutdown");
    drop_guards(&store, url).await;
    let tamper = |sql: String| {
        let store = store.clone();
        async move {
            store
                .execute_raw(sql.replace("$C", CHAIN))
                .await
                .expect("tamper")
        }
    };
    // An edited field, re-encoded into the sealed record.
    let original = store.read_page(CHAIN, 700, 1).await.expect("read").pop();
    reseal(&store, url, 700, |e| e.patient_id = Some("p-other".into())).await;
    let p = verify(&store, dir).await.expect_err("edit");
    assert!(
        matches!(p.kind, ProblemKind::HashMismatch { .. }) && p.seq == 700,
        "{p}"
    );
    // Restored: the chain verifies again.
    let Some(Row::Record(original)) = original else {
        panic!("record 700")
    };
    reseal(&store, url, 700, |e| *e = original.event).await;
    verify(&store, dir).await.expect("restored");
    // Only the copied column edited: the row disagrees with its sealed record.
    tamper(
        "UPDATE zegel_records SET patient_id = 'p-other' WHERE chain_id = '$C' AND seq = 700"
            .into(),
    )
    .await;
    let p = verify(&store, dir).await.expect_err("column edit");
    assert_eq!(p.seq, 700, "{p}");
    assert!(
        p.to_string().contains("column patient_id") && p.to_string().contains("p-other"),
        "{p}"
    );
    tamper(
        "UPDATE zegel_records SET patient_id = 'p699' WHERE chain_id = '$C' AND seq = 700".into(),
    )
    .await;
    verify(&store, dir).await.expect("restored");
    // A deleted record further on is hidden behind the first problem; delete one.
    tamper("DELETE FROM zegel_records WHERE chain_id = '$C' AND seq = 300".into()).await;
    let p = verify(&store, dir).await.expect_err("delete");
    assert_eq!((p.seq, p.kind), (300, ProblemKind::Gap { found: 301 }));
    // An altered checkpoint row no longer matches the file.
    tamper("DELETE FROM zegel_records WHERE chain_id = '$C' AND seq > 299".into()).await;
    let bad = if is_sqlite(url) {
        "X'00'"
    } else {
        "'\\x00'::bytea"
    };
    tamper(format!("UPDATE zegel_checkpoints SET signature = {bad} || substr(signature, 2) WHERE chain_id = '$C' AND seq = 500")).await;
    let p = verify(&store, dir).await.expect_err("checkpoint");
    assert_eq!(p.seq, 300, "{p}");
    let file = read_file(&cp_file(dir)).expect("file");
    let p = verify_store_chain(&store, CHAIN, &[key().verifying_key()], Some(&file))
        .await
        .expect("read")
        .expect_err("bad signature");
    assert!(p.seq <= 500);
}

pub async fn killed_writer_leaves_a_verifying_chain_with_every_acknowledged_record(
    url: &str,
    dir: &Path,
) {
    use tokio::io::AsyncBufReadExt;
    let key_path = dir.join("key.pem");
    zegel_audit::keys::write_pair(&key(), &key_path, &dir.join("key.pub.pem")).expect("keys");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_zegel-test-writer"))
        .args(["--url", url, "--chain", CHAIN, "--key"])
        .arg(&key_path)
        .arg("--checkpoint-file")
        .arg(cp_file(dir))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn writer child");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut acked = Vec::new();
    while acked.len() < 3000 {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("child is writing")
            .expect("read")
            .expect("child exited early");
        if let Some(rest) = line.strip_prefix("ack ") {
            let (seq, hash) = rest.split_once(' ').expect("ack line");
            acked.push((seq.parse::<u64>().expect("seq"), hash.to_owned()));
        }
    }
    child.start_kill().expect("SIGKILL");
    child.wait().await.expect("reap");
    let store = open(url).await;
    let s = verify(&store, dir)
        .await
        .expect("chain verifies after SIGKILL");
    assert!(s.records >= acked.len() as u64);
    let rows = all_rows(&store).await;
    for (seq, hash) in &acked {
        match &rows[*seq as usize - 1] {
            Row::Record(r) => assert_eq!((&r.seq, &hex::encode(r.hash)), (seq, hash)),
            Row::Malformed { detail, .. } => panic!("{detail}"),
        }
    }
    // And the chain goes on.
    let (_, w, task) = start(url, dir).await;
    let next = w
        .submit(sample_event(1))
        .await
        .expect("resume after crash")
        .seq;
    assert_eq!(next, s.records + 1);
    task.shutdown().await.expect("shutdown");
}

pub async fn invalid_records_are_refused_without_harming_others(url: &str, dir: &Path) {
    let (store, w, task) = start(url, dir).await;
    let mut nul = sample_event(1);
    nul.path = Some("/a\0b".into());
    let mut huge = sample_event(2);
    huge.detail = Some("x".repeat(70_000));
    for bad in [nul, huge] {
        assert!(matches!(w.submit(bad).await, Err(WriteError::Invalid(_))));
    }
    assert!(w.is_available());
    assert_eq!(write_n(&w, 3, 0).await, vec![1, 2, 3]);
    task.shutdown().await.expect("shutdown");
    assert_eq!(verify(&store, dir).await.expect("verifies").records, 3);
}

/// A writer whose deferred records wait (almost) forever for an ordinary one.
async fn start_deferring(url: &str, dir: &Path) -> (Store, Writer, WriterTask) {
    let store = open(url).await;
    let mut cfg = config(dir);
    cfg.defer_max = Duration::from_secs(30);
    let (w, task) = Writer::start(store.clone(), key(), cfg)
        .await
        .expect("start writer");
    (store, w, task)
}

pub async fn deferred_records_join_the_next_commit(url: &str, dir: &Path) {
    let (store, w, task) = start_deferring(url, dir).await;
    // A deferred record waits: no commit of its own while nothing else arrives.
    let w2 = w.clone();
    let outcome = tokio::spawn(async move { w2.submit_deferred(sample_event(1)).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!((w.head_seq(), w.commits()), (0, 0));
    assert!(!outcome.is_finished());
    // The next ordinary record takes it along: one commit for both, in arrival order.
    let access = w.submit(sample_event(2)).await.expect("submit");
    let outcome = outcome.await.expect("task").expect("deferred record");
    assert_eq!((outcome.seq, access.seq, w.commits()), (1, 2, 1));
    // Shutdown does not wait out `defer_max`.
    let w2 = w.clone();
    let last = tokio::spawn(async move { w2.submit_deferred(sample_event(3)).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t0 = Instant::now();
    task.shutdown().await.expect("shutdown");
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    assert_eq!(
        last.await.expect("task").expect("deferred at shutdown").seq,
        3
    );
    assert_eq!(verify(&store, dir).await.expect("verifies").records, 3);
}

pub async fn detached_records_land_in_queue_order(url: &str, dir: &Path) {
    let (store, w, task) = start_deferring(url, dir).await;
    // Queued without waiting, deferred: nothing commits until an ordinary record comes.
    let mut first = sample_event(1);
    first.kind = EventKind::Outcome;
    w.submit_detached(first).expect("queued");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!((w.head_seq(), w.commits()), (0, 0));
    // The ordinary record submitted after it lands after it, in one commit.
    assert_eq!(w.submit(sample_event(2)).await.expect("submit").seq, 2);
    assert_eq!(w.commits(), 1);
    // An invalid one is refused at once, and nothing of it is stored.
    let mut bad = sample_event(3);
    bad.user_id = Some("nul\0byte".into());
    assert!(matches!(
        w.submit_detached(bad),
        Err(WriteError::Invalid(_))
    ));
    // A detached record in a commit that fails is lost (and logged), not stored, and
    // the chain goes on after the writer recovers.
    inject_commit_failure(&store, url).await;
    let mut poisoned = sample_event(4);
    poisoned.user_id = Some("poison".into());
    w.submit_detached(poisoned).expect("queued");
    assert!(w.submit(sample_event(5)).await.is_err());
    wait_available(&w).await;
    let after = w
        .submit(sample_event(6))
        .await
        .expect("submit after recovery");
    task.shutdown().await.expect("shutdown");
    // Closed: queuing fails at once.
    assert_eq!(w.submit_detached(sample_event(7)), Err(WriteError::Closed));
    let rows = all_rows(&store).await;
    let kinds: Vec<_> = (rows.iter())
        .filter_map(|r| match r {
            Row::Record(r) => Some((r.seq, r.event.kind)),
            Row::Malformed { .. } => None,
        })
        .collect();
    assert_eq!(
        kinds[..2],
        [(1, EventKind::Outcome), (2, EventKind::Access)]
    );
    assert!(
        !(rows.iter())
            .any(|r| matches!(r, Row::Record(r) if r.event.user_id.as_deref() == Some("poison")))
    );
    assert_eq!(kinds.last().map(|k| k.0), Some(after.seq));
    assert!(verify(&store, dir).await.is_ok());
}

pub async fn pruning_needs_an_archive_mark_and_the_seam_verifies(url: &str, dir: &Path) {
    let (store, w, task) = start(url, dir).await;
    write_n(&w, 1200, 0).await; // checkpoints at 500 and 1000, and 1200 at shutdown
    task.shutdown().await.expect("shutdown");
    drop(w);
    let delete = format!("DELETE FROM zegel_records WHERE chain_id = '{CHAIN}' AND seq <= 10");
    let err = store.execute_raw(delete).await.expect_err("append-only");
    assert!(
        err.to_string()
            .contains("only archived records can be deleted"),
        "{err}"
    );

    let head_at = |seq: u64| {
        let store = store.clone();
        async move {
            match store.read_page(CHAIN, seq, 1).await.expect("read").pop() {
                Some(Row::Record(r)) => r.hash,
                other => panic!("record {seq}: {other:?}"),
            }
        }
    };
    let mark = |up_to_seq: u64, head| ArchiveMark {
        chain_id: CHAIN.into(),
        up_to_seq,
        head,
        archived_us: 1,
        location: "/archive".into(),
        manifest_sha256: [7; 32],
    };
    let m500 = mark(500, head_at(500).await);
    assert_eq!(store.prune(&m500).await.expect("prune"), 500);
    assert_eq!(store.first_seq(CHAIN).await.expect("first"), Some(501));
    let s = verify(&store, dir)
        .await
        .expect("pruned chain verifies across the seam");
    assert_eq!(
        (s.records, s.last_checkpoint.map(|c| c.seq)),
        (700, Some(1200))
    );

    // The writer resumes a pruned chain, even one pruned up to its last record.
    let (_, w, task) = start(url, dir).await;
    assert_eq!(write_n(&w, 2, 9000).await, vec![1201, 1202]);
    task.shutdown().await.expect("shutdown");
    drop(w);
    assert_eq!(
        store
            .prune(&mark(1202, head_at(1202).await))
            .await
            .expect("prune all"),
        702
    );
    let (_, w, task) = start(url, dir).await;
    assert_eq!(write_n(&w, 1, 9100).await, vec![1203]);
    task.shutdown().await.expect("shutdown");
    drop(w);
    verify(&store, dir)
        .await
        .expect("fully pruned chain verifies from its mark");

    // A mark no checkpoint confirms (someone deleting history under cover of an
    // "archive") is reported at the mark.
    let other = "other-chain";
    let mut cfg = config(dir);
    cfg.chain_id = other.into();
    cfg.checkpoint_file = None;
    let (w, task) = Writer::start(store.clone(), key(), cfg)
        .await
        .expect("start");
    for i in 0..40 {
        w.submit(sample_event(i)).await.expect("submit");
    }
    task.shutdown().await.expect("shutdown");
    let Some(Row::Record(r20)) = store.read_page(other, 20, 1).await.expect("read").pop() else {
        panic!("record 20")
    };
    let forged = ArchiveMark {
        chain_id: other.into(),
        ..mark(20, r20.hash)
    };
    assert_eq!(store.prune(&forged).await.expect("prune"), 20);
    let p = verify_store_chain(&store, other, &[key().verifying_key()], None)
        .await
        .expect("read")
        .expect_err("unconfirmed seam");
    assert_eq!(p.seq, 20, "{p}");
    assert!(matches!(p.kind, ProblemKind::ArchiveSeam { .. }), "{p}");
}
