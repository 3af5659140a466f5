//! Property tests of the chain: random records round-trip through the encoding, and
//! every kind of tampering is detected at the sequence number where it happened.

use proptest::prelude::*;
use zegel_audit::checkpoint::Checkpoint;
use zegel_audit::encode::{decode, encode};
use zegel_audit::keys::SigningKey;
use zegel_audit::store::rows::Row;
use zegel_audit::verify::{ChainVerifier, CheckpointSource, ProblemKind};
use zegel_audit::{Action, Chainer, Decision, Event, EventKind, SealedRecord, genesis};

const CHAIN: &str = "prop-chain";

fn opt_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![Just(String::new()), "[a-zA-Z0-9 /._é–-]{0,24}"])
}

fn kind() -> impl Strategy<Value = EventKind> {
    prop_oneof![
        Just(EventKind::Access),
        Just(EventKind::Outcome),
        Just(EventKind::PolicyLoad),
        Just(EventKind::Start),
        Just(EventKind::Stop),
        Just(EventKind::Notice),
    ]
}

fn decision() -> impl Strategy<Value = Option<Decision>> {
    prop::option::of(prop_oneof![
        Just(Decision::Allow),
        Just(Decision::Deny),
        Just(Decision::Emergency),
        Just(Decision::WouldDeny),
        Just(Decision::Reject),
    ])
}

fn action() -> impl Strategy<Value = Option<Action>> {
    prop::option::of(prop_oneof![
        Just(Action::C),
        Just(Action::R),
        Just(Action::U),
        Just(Action::D),
        Just(Action::E),
    ])
}

prop_compose! {
    fn texts()(a in opt_text(), b in opt_text(), c in opt_text(), d in opt_text(),
               e in opt_text(), f in opt_text(), g in opt_text(), h in opt_text())
               -> [Option<String>; 8] { [a, b, c, d, e, f, g, h] }
}

prop_compose! {
    fn event()(time_us in any::<i64>(), kind in kind(), t1 in texts(), t2 in texts(),
               t3 in texts(), roles in prop::collection::vec("[a-z]{0,8}", 0..4),
               decision in decision(), action in action(),
               ints in prop::array::uniform4(prop::option::of(any::<i64>())),
               detail in opt_text()) -> Event {
        let mut e = Event::new(kind, time_us);
        let [a, b, c, d, f, g, h, i] = t1;
        (e.request_id, e.user_id, e.user_name, e.organisation) = (a, b, c, d);
        (e.department, e.responsible_user, e.purpose_of_use, e.access_point) = (f, g, h, i);
        let [a, b, c, d, f, g, h, i] = t2;
        (e.application, e.method, e.path, e.raw_path) = (a, b, c, d);
        (e.interaction, e.resource_type, e.resource_id, e.patient_id) = (f, g, h, i);
        let [a, b, c, d, f, g, _, _] = t3;
        (e.patient_id_system, e.rule, e.reason, e.emergency_justification) = (a, b, c, d);
        (e.policy_version, e.detail) = (f, detail.or(g));
        e.roles = roles;
        e.normalize();
        e.decision = decision;
        e.action = action;
        [e.status, e.bytes, e.duration_us, e.links_seq] = ints;
        e
    }
}

fn chain_of(events: Vec<Event>) -> Vec<SealedRecord> {
    let mut chainer = Chainer::new();
    let mut prev = genesis(CHAIN);
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| {
            let seq = i as u64 + 1;
            prev = chainer.hash(&prev, seq, &event);
            SealedRecord::new(seq, event, prev)
        })
        .collect()
}

fn verify(
    rows: Vec<Row>,
    cps: Vec<Checkpoint>,
    key: &SigningKey,
) -> Result<u64, (u64, ProblemKind)> {
    let cps = cps
        .into_iter()
        .map(|c| (c, CheckpointSource::Database))
        .collect();
    let mut v = ChainVerifier::new(CHAIN, cps, &[key.verifying_key()], false);
    rows.into_iter().for_each(|r| v.push(r));
    v.finish().map(|s| s.records).map_err(|p| (p.seq, p.kind))
}

fn rows(records: &[SealedRecord]) -> Vec<Row> {
    records.iter().cloned().map(Row::Record).collect()
}

/// The rows as a store read gives them: decoded from their encoding, which they keep
/// (the verifier then hashes those bytes).
fn stored_rows(records: &[SealedRecord]) -> Vec<Row> {
    records
        .iter()
        .map(|r| {
            let bytes = encode(r.seq, &r.event);
            Row::Record(SealedRecord::decode_stored(&bytes, r.hash).expect("decodes"))
        })
        .collect()
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encoding_round_trips(seq in any::<u64>(), e in event()) {
        let bytes = encode(seq, &e);
        prop_assert_eq!(decode(&bytes), Ok((seq, e)));
    }

    #[test]
    fn any_changed_sequence_number_is_detected_at_its_place(
        events in prop::collection::vec(event(), 1..12), pick in any::<prop::sample::Index>(),
        to in 0u64..16) {
        let recs = chain_of(events);
        let k = pick.index(recs.len());
        prop_assume!(to != recs[k].seq);
        let mut all = rows(&recs);
        if let Row::Record(r) = &mut all[k] { r.seq = to; }
        let r = verify(all, vec![], &key());
        prop_assert!(matches!(r, Err((s, _)) if s == k as u64 + 1), "{r:?}");
    }

    #[test]
    fn decoding_is_canonical(seq in any::<u64>(), e in event(),
        byte in any::<prop::sample::Index>(), bit in 0u8..8) {
        // Whatever decodes re-encodes to the very same bytes: hashing stored bytes and
        // hashing the re-encoded record can never disagree.
        let mut bytes = encode(seq, &e);
        let i = byte.index(bytes.len());
        bytes[i] ^= 1 << bit;
        if let Ok((seq2, e2)) = decode(&bytes) {
            prop_assert_eq!(encode(seq2, &e2), bytes);
        }
    }

    #[test]
    fn untouched_chain_verifies(events in prop::collection::vec(event(), 0..20)) {
        let n = events.len() as u64;
        let recs = chain_of(events);
        prop_assert_eq!(verify(rows(&recs), vec![], &key()), Ok(n));
        prop_assert_eq!(verify(stored_rows(&recs), vec![], &key()), Ok(n));
    }

    #[test]
    fn any_flipped_byte_is_detected_at_its_record(
        events in prop::collection::vec(event(), 1..12), pick in any::<prop::sample::Index>(),
        byte in any::<prop::sample::Index>(), bit in 0u8..8, in_hash in any::<bool>()) {
        let mut recs = chain_of(events);
        let k = pick.index(recs.len());
        let target = recs[k].seq;
        let row = if in_hash {
            recs[k].hash[byte.index(32)] ^= 1 << bit;
            Row::Record(recs[k].clone())
        } else {
            let mut bytes = encode(recs[k].seq, &recs[k].event);
            let i = byte.index(bytes.len());
            bytes[i] ^= 1 << bit;
            match SealedRecord::decode_stored(&bytes, recs[k].hash) {
                Ok(r) => Row::Record(r),
                Err(e) => Row::Malformed { seq: Some(target), detail: e.to_string() },
            }
        };
        let mut all = stored_rows(&recs);
        all[k] = row;
        let r = verify(all, vec![], &key());
        prop_assert!(matches!(r, Err((s, _)) if s == target), "{r:?} at {target}");
    }

    #[test]
    fn deleting_a_record_is_a_gap_at_it(events in prop::collection::vec(event(), 2..12),
                                        pick in any::<prop::sample::Index>()) {
        let recs = chain_of(events);
        let k = pick.index(recs.len() - 1); // not the last: that is truncation
        let mut all = rows(&recs);
        all.remove(k);
        let found = recs[k + 1].seq;
        prop_assert_eq!(verify(all, vec![], &key()), Err((k as u64 + 1, ProblemKind::Gap { found })));
    }

    #[test]
    fn inserting_a_record_is_detected_at_it(events in prop::collection::vec(event(), 1..12),
                                            pick in any::<prop::sample::Index>(), extra in event()) {
        let recs = chain_of(events);
        let k = pick.index(recs.len() + 1);
        let mut all = rows(&recs);
        // The forger gives the new record the seq of its place and a plausible hash.
        let seq = k as u64 + 1;
        let fake = SealedRecord::new(seq, extra, [9u8; 32]);
        all.insert(k, Row::Record(fake));
        let r = verify(all, vec![], &key());
        prop_assert!(matches!(r, Err((s, _)) if s == seq), "{r:?} at {seq}");
    }

    #[test]
    fn swapping_two_records_is_reordering(events in prop::collection::vec(event(), 2..12),
                                          pick in any::<prop::sample::Index>()) {
        let recs = chain_of(events);
        let k = pick.index(recs.len() - 1);
        let mut all = rows(&recs);
        all.swap(k, k + 1);
        let found = recs[k + 1].seq;
        prop_assert_eq!(verify(all, vec![], &key()), Err((k as u64 + 1, ProblemKind::Reordered { found })));
    }

    #[test]
    fn truncation_is_detected_by_a_later_checkpoint(
        events in prop::collection::vec(event(), 2..12), cut in any::<prop::sample::Index>()) {
        let recs = chain_of(events);
        let last = recs.last().map(|r| (r.seq, r.hash)).unwrap_or((0, genesis(CHAIN)));
        let cp = Checkpoint::sign(&key(), CHAIN, last.0, last.1, 1);
        let keep = cut.index(recs.len());
        let all = rows(&recs[..keep]);
        let r = verify(all, vec![cp], &key());
        prop_assert_eq!(r, Err((keep as u64 + 1, ProblemKind::MissingAfterCheckpoint { checkpoint_seq: last.0 })));
    }

    #[test]
    fn a_rewritten_and_rehashed_chain_fails_at_the_checkpoint(
        events in prop::collection::vec(event(), 3..12), pick in any::<prop::sample::Index>()) {
        let recs = chain_of(events.clone());
        let last = recs.last().map(|r| (r.seq, r.hash)).unwrap_or((0, genesis(CHAIN)));
        let cp = Checkpoint::sign(&key(), CHAIN, last.0, last.1, 1);
        // The attacker edits one record and recomputes every hash after it.
        let mut forged = events;
        let k = pick.index(forged.len());
        forged[k].user_id = Some(format!("{:?}-forged", forged[k].user_id));
        let r = verify(rows(&chain_of(forged)), vec![cp], &key());
        prop_assert_eq!(r, Err((last.0, ProblemKind::CheckpointMismatch { since_seq: 0 })));
    }
}

#[test]
fn duplicate_sequence_is_reported() {
    let recs = chain_of(vec![
        Event::new(EventKind::Start, 1),
        Event::new(EventKind::Stop, 2),
    ]);
    let mut all = rows(&recs);
    all.insert(1, Row::Record(recs[0].clone()));
    assert_eq!(
        verify(all, vec![], &key()),
        Err((2, ProblemKind::Duplicate { found: 1 }))
    );
}

#[test]
fn forged_and_foreign_checkpoints_are_reported() {
    let recs = chain_of(vec![
        Event::new(EventKind::Start, 1),
        Event::new(EventKind::Stop, 2),
    ]);
    let mut cp = Checkpoint::sign(&key(), CHAIN, 2, recs[1].hash, 5);
    cp.time_us += 1;
    let r = verify(rows(&recs), vec![cp], &key());
    assert_eq!(
        r,
        Err((
            2,
            ProblemKind::BadCheckpointSignature { source: "database" }
        ))
    );
    let other = SigningKey::from_bytes(&[8u8; 32]);
    let cp = Checkpoint::sign(&other, CHAIN, 2, recs[1].hash, 5);
    let r = verify(rows(&recs), vec![cp.clone()], &key());
    assert_eq!(
        r,
        Err((2, ProblemKind::UnknownCheckpointKey { key_id: cp.key_id }))
    );
}

#[test]
fn unsorted_roles_are_malformed() {
    let mut e = Event::new(EventKind::Access, 1);
    e.roles = vec!["b".into(), "a".into()];
    let recs = chain_of(vec![e]);
    assert!(matches!(
        verify(rows(&recs), vec![], &key()),
        Err((1, ProblemKind::Malformed { .. }))
    ));
}

#[test]
fn checkpoint_file_must_agree_with_database() {
    let recs = chain_of(vec![
        Event::new(EventKind::Start, 1),
        Event::new(EventKind::Stop, 2),
    ]);
    let db = Checkpoint::sign(&key(), CHAIN, 1, recs[0].hash, 5);
    let file = Checkpoint::sign(&key(), CHAIN, 1, recs[0].hash, 6);
    let cps = vec![
        (db.clone(), CheckpointSource::Database),
        (file, CheckpointSource::File),
    ];
    let mut v = ChainVerifier::new(CHAIN, cps, &[key().verifying_key()], true);
    rows(&recs).into_iter().for_each(|r| v.push(r));
    let p = v.finish().expect_err("copies differ");
    assert!(
        matches!(p.kind, ProblemKind::CheckpointFileDisagrees { .. }),
        "{p}"
    );
    // A database checkpoint missing from a given file is a disagreement too.
    let mut v = ChainVerifier::new(
        CHAIN,
        vec![(db, CheckpointSource::Database)],
        &[key().verifying_key()],
        true,
    );
    rows(&recs).into_iter().for_each(|r| v.push(r));
    assert!(matches!(v.finish(), Err(p) if p.seq == 1));
}
