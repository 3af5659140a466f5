//! Golden vectors: `docs/log-format.md` specifies the log format and carries test
//! vectors; this test reads that page, parses every vector block and checks each value
//! against the code. A wrong byte in the page (or a format change in the code) fails it.
//!
//! The vectors were produced by [`golden_blocks`]; after an intentional change of the
//! format (which needs a new format version) print them again with
//! `cargo test -p zegel-audit --test golden -- --ignored --nocapture print_vectors`.

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use zegel_audit::chain::GENESIS_DOMAIN;
use zegel_audit::checkpoint::{self, CHECKPOINT_DOMAIN, Checkpoint};
use zegel_audit::encode::{decode, encode};
use zegel_audit::keys::{self, SigningKey, VerifyingKey};
use zegel_audit::store::rows::Row;
use zegel_audit::verify::{ChainVerifier, CheckpointSource};
use zegel_audit::{Action, Chainer, Decision, Event, EventKind, Hash, SealedRecord, genesis};

/// The vectors the page must contain, in this order.
const EXPECTED_VECTORS: &[&str] = &[
    "genesis-1",
    "record-1",
    "record-2",
    "record-3",
    "checkpoint-1",
];

/// The chain of the golden vectors.
const GOLDEN_CHAIN: &str = "golden-1";

/// The test-only checkpoint key: seed bytes 0x00, 0x01, ..., 0x1f.
fn test_seed() -> [u8; 32] {
    std::array::from_fn(|i| i as u8)
}

/// When the golden checkpoint was signed: 2026-01-15T09:31:00Z.
const CHECKPOINT_TIME_US: i64 = 1_768_469_460_000_000;

fn doc_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/log-format.md")
}

fn read_doc() -> String {
    let path = doc_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fenced ```` ```text ```` block of the page: its first line number and its lines.
struct Block {
    line: usize,
    lines: Vec<String>,
}

fn text_blocks(doc: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in doc.lines().enumerate() {
        match current.as_mut() {
            None if line.trim_end() == "```text" => {
                current = Some(Block {
                    line: i + 1,
                    lines: Vec::new(),
                });
            }
            None => {}
            Some(_) if line.trim() == "```" => out.extend(current.take()),
            Some(b) => b.lines.push(line.to_owned()),
        }
    }
    assert!(
        current.is_none(),
        "unterminated ```text block in {}",
        doc_path().display()
    );
    out
}

/// One vector: `key: value` lines, the first being `vector: <name>`.
struct Vector {
    name: String,
    line: usize,
    fields: BTreeMap<String, String>,
}

impl Vector {
    fn get(&self, key: &str) -> &str {
        self.fields
            .get(key)
            .unwrap_or_else(|| panic!("vector {} (line {}) has no `{key}:`", self.name, self.line))
    }

    fn hex(&self, key: &str) -> Vec<u8> {
        hex::decode(self.get(key)).unwrap_or_else(|e| {
            panic!(
                "vector {} (line {}) `{key}:` is not hex: {e}",
                self.name, self.line
            )
        })
    }

    fn hash(&self, key: &str) -> Hash {
        let bytes = self.hex(key);
        bytes.try_into().unwrap_or_else(|b: Vec<u8>| {
            panic!(
                "vector {} `{key}:` is {} bytes, expected 32",
                self.name,
                b.len()
            )
        })
    }

    fn int<T: std::str::FromStr>(&self, key: &str) -> T {
        self.get(key)
            .parse()
            .unwrap_or_else(|_| panic!("vector {} `{key}:` is not an integer", self.name))
    }

    fn check_keys(&self, allowed: &[&str]) {
        for k in self.fields.keys() {
            assert!(
                allowed.contains(&k.as_str()),
                "vector {} (line {}) has unknown key `{k}:`",
                self.name,
                self.line
            );
        }
    }
}

fn vectors(doc: &str) -> Vec<Vector> {
    let mut out = Vec::new();
    for block in text_blocks(doc) {
        let Some(first) = block.lines.first() else {
            continue;
        };
        let Some(name) = first.strip_prefix("vector:") else {
            continue;
        };
        let mut v = Vector {
            name: name.trim().to_owned(),
            line: block.line,
            fields: BTreeMap::new(),
        };
        for line in block.lines.iter().skip(1).filter(|l| !l.trim().is_empty()) {
            let (key, value) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("vector {}: line {line:?} is not `key: value`", v.name));
            let old = v
                .fields
                .insert(key.trim().to_owned(), value.trim().to_owned());
            assert!(old.is_none(), "vector {}: `{key}:` given twice", v.name);
        }
        out.push(v);
    }
    out
}

fn all_vectors() -> BTreeMap<String, Vector> {
    let found = vectors(&read_doc());
    let names: Vec<&str> = found.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        EXPECTED_VECTORS,
        "vectors in {}",
        doc_path().display()
    );
    found.into_iter().map(|v| (v.name.clone(), v)).collect()
}

/// The record vectors in chain order.
fn record_vectors(all: &BTreeMap<String, Vector>) -> Vec<&Vector> {
    EXPECTED_VECTORS
        .iter()
        .filter(|n| n.starts_with("record-"))
        .map(|n| &all[*n])
        .collect()
}

fn event_of(v: &Vector) -> Event {
    serde_json::from_str(v.get("json"))
        .unwrap_or_else(|e| panic!("vector {} `json:` is not an Event: {e}", v.name))
}

#[test]
fn genesis_vector_matches() {
    let all = all_vectors();
    let v = &all["genesis-1"];
    v.check_keys(&["chain_id", "input", "hash"]);
    let chain_id = v.get("chain_id");
    assert_eq!(chain_id, GOLDEN_CHAIN);
    assert!(zegel_audit::chain::check_chain_id(chain_id).is_ok());
    let mut input = GENESIS_DOMAIN.to_vec();
    input.extend_from_slice(&(chain_id.len() as u32).to_be_bytes());
    input.extend_from_slice(chain_id.as_bytes());
    assert_eq!(hex::encode(&input), v.get("input"), "genesis input");
    assert_eq!(
        hex::encode(genesis(chain_id)),
        v.get("hash"),
        "genesis hash"
    );
    assert_eq!(
        hex::encode(Sha256::digest(&input)),
        v.get("hash"),
        "SHA-256 of the input"
    );
}

#[test]
fn record_vectors_match_encoding_and_chain() {
    let all = all_vectors();
    let chain_id = all["genesis-1"].get("chain_id");
    let mut prev = all["genesis-1"].hash("hash");
    let mut chainer = Chainer::new();
    for (i, v) in record_vectors(&all).into_iter().enumerate() {
        let name = &v.name;
        v.check_keys(&["chain_id", "seq", "prev", "json", "encoding", "hash"]);
        assert_eq!(v.get("chain_id"), chain_id, "{name}: chain_id");
        let seq: u64 = v.int("seq");
        assert_eq!(seq, i as u64 + 1, "{name}: seq must be contiguous from 1");
        assert_eq!(v.hash("prev"), prev, "{name}: prev is the previous hash");

        let event = event_of(v);
        // The page shows exactly what serde_json writes for the event.
        let json = serde_json::to_string(&event).expect("serialize");
        assert_eq!(
            json,
            v.get("json"),
            "{name}: json is not serde_json's form of the event"
        );
        let mut normalized = event.clone();
        normalized.normalize();
        assert_eq!(
            normalized, event,
            "{name}: roles are not in canonical order"
        );
        assert!(
            event.check().is_ok(),
            "{name}: Event::check refuses the event"
        );

        let bytes = encode(seq, &event);
        assert_eq!(hex::encode(&bytes), v.get("encoding"), "{name}: encoding");
        assert_eq!(
            decode(&v.hex("encoding")),
            Ok((seq, event.clone())),
            "{name}: decode"
        );

        let hash = chainer.hash(&prev, seq, &event);
        assert_eq!(hex::encode(hash), v.get("hash"), "{name}: hash");
        let mut input = prev.to_vec();
        input.extend_from_slice(&bytes);
        assert_eq!(
            Sha256::digest(&input)[..],
            hash[..],
            "{name}: SHA-256(prev || encoding)"
        );
        prev = hash;
    }
}

/// The byte-by-byte layout blocks (`layout: record-N`, lines of `hex  # comment`) must
/// concatenate to that record's encoding.
#[test]
fn layout_blocks_concatenate_to_the_encoding() {
    let all = all_vectors();
    let doc = read_doc();
    let mut targets = Vec::new();
    for block in text_blocks(&doc) {
        let Some(target) = block.lines.first().and_then(|l| l.strip_prefix("layout:")) else {
            continue;
        };
        let target = target.trim().to_owned();
        let hex: String = block.lines[1..]
            .iter()
            .map(|l| l.split('#').next().unwrap_or_default().replace(' ', ""))
            .collect();
        let record = all
            .get(&target)
            .unwrap_or_else(|| panic!("layout of unknown {target}"));
        assert_eq!(hex, record.get("encoding"), "layout of {target}");
        let bytes = hex::decode(&hex).expect("layout is hex");
        let seq: u64 = record.int("seq");
        assert_eq!(
            decode(&bytes),
            Ok((seq, event_of(record))),
            "layout of {target} decodes"
        );
        targets.push(target);
    }
    assert_eq!(
        targets,
        ["record-2", "record-3"],
        "layout blocks in the page"
    );
}

#[test]
fn unsorted_roles_normalize_to_the_vector() {
    let all = all_vectors();
    let v = &all["record-2"];
    let event = event_of(v);
    assert!(
        event.roles.len() >= 3,
        "record-2 should carry several roles"
    );
    let mut shuffled = event.clone();
    shuffled.roles.reverse();
    shuffled.roles.push(event.roles[0].clone());
    assert_ne!(
        encode(2, &shuffled),
        encode(2, &event),
        "order and duplicates are hashed"
    );
    shuffled.normalize();
    assert_eq!(hex::encode(encode(2, &shuffled)), v.get("encoding"));
}

#[test]
fn checkpoint_vector_matches() {
    let all = all_vectors();
    let v = &all["checkpoint-1"];
    v.check_keys(&[
        "seed",
        "public_key",
        "key_id",
        "chain_id",
        "seq",
        "head",
        "time_us",
        "message",
        "signature",
        "file_line",
    ]);
    let seed: [u8; 32] = v.hex("seed").try_into().expect("seed is 32 bytes");
    assert_eq!(seed, test_seed(), "the page's seed is the test seed");
    let key = SigningKey::from_bytes(&seed);
    let public = key.verifying_key();
    assert_eq!(
        hex::encode(public.as_bytes()),
        v.get("public_key"),
        "public key"
    );
    assert_eq!(keys::key_id(&public), v.get("key_id"), "key id");
    let digest = Sha256::digest(public.as_bytes());
    assert_eq!(
        hex::encode(&digest[..8]),
        v.get("key_id"),
        "key id is SHA-256(pk)[..8]"
    );

    let chain_id = v.get("chain_id");
    assert_eq!(chain_id, all["genesis-1"].get("chain_id"));
    let seq: u64 = v.int("seq");
    let covered = record_vectors(&all)
        .into_iter()
        .find(|r| r.int::<u64>("seq") == seq)
        .expect("the checkpoint covers a record vector");
    let head = v.hash("head");
    assert_eq!(
        head,
        covered.hash("hash"),
        "head is the hash of record {seq}"
    );
    let time_us: i64 = v.int("time_us");

    let message = Checkpoint::message(chain_id, seq, &head, time_us);
    assert_eq!(hex::encode(&message), v.get("message"), "message");
    let mut by_hand = CHECKPOINT_DOMAIN.to_vec();
    by_hand.extend_from_slice(&(chain_id.len() as u32).to_be_bytes());
    by_hand.extend_from_slice(chain_id.as_bytes());
    by_hand.extend_from_slice(&seq.to_be_bytes());
    by_hand.extend_from_slice(&head);
    by_hand.extend_from_slice(&time_us.to_be_bytes());
    assert_eq!(by_hand, message, "message layout");

    let signed = Checkpoint::sign(&key, chain_id, seq, head, time_us);
    assert_eq!(
        hex::encode(signed.signature),
        v.get("signature"),
        "signature"
    );
    assert_eq!(signed.key_id, v.get("key_id"));

    let cp = Checkpoint {
        chain_id: chain_id.to_owned(),
        seq,
        head,
        time_us,
        key_id: v.get("key_id").to_owned(),
        signature: v
            .hex("signature")
            .try_into()
            .expect("signature is 64 bytes"),
    };
    assert_eq!(cp, signed);
    assert!(cp.verify(&public), "the page's checkpoint verifies");
    // One flipped bit anywhere (a different bit in each byte) must break it.
    for byte in 0..64 {
        let mut bad = cp.clone();
        bad.signature[byte] ^= 1 << (byte % 8);
        assert!(
            !bad.verify(&public),
            "signature: flipped bit in byte {byte} verifies"
        );
    }
    for byte in 0..32 {
        let mut bad = cp.clone();
        bad.head[byte] ^= 1 << (byte % 8);
        assert!(
            !bad.verify(&public),
            "head: flipped bit in byte {byte} verifies"
        );
    }
    let mut bad = cp.clone();
    bad.seq ^= 1;
    assert!(!bad.verify(&public), "other seq verifies");
    let mut bad = cp.clone();
    bad.time_us ^= 1;
    assert!(!bad.verify(&public), "other time verifies");
    let mut bad = cp.clone();
    bad.chain_id = "golden-2".into();
    assert!(!bad.verify(&public), "other chain verifies");
    let other = SigningKey::from_bytes(&[0x42; 32]).verifying_key();
    assert!(!cp.verify(&other), "other key verifies");

    // The checkpoint file line, written and read by the real code.
    assert_eq!(
        serde_json::to_string(&cp).expect("serialize"),
        v.get("file_line")
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("checkpoints.jsonl");
    checkpoint::append_to_file(&file, &cp).expect("append");
    let text = std::fs::read_to_string(&file).expect("read");
    assert_eq!(text, format!("{}\n", v.get("file_line")));
    assert_eq!(checkpoint::read_file(&file).expect("read_file"), vec![cp]);
}

#[test]
fn key_file_examples_match() {
    let doc = read_doc();
    let pems: Vec<String> = text_blocks(&doc)
        .into_iter()
        .filter(|b| {
            b.lines
                .first()
                .is_some_and(|l| l.starts_with("-----BEGIN "))
        })
        .map(|b| b.lines.iter().map(|l| format!("{l}\n")).collect())
        .collect();
    assert_eq!(
        pems.len(),
        2,
        "the page shows one private and one public key file"
    );
    let key = SigningKey::from_bytes(&test_seed());
    let dir = tempfile::tempdir().expect("temp dir");
    let (private, public) = (dir.path().join("k.pem"), dir.path().join("k.pub.pem"));
    keys::write_pair(&key, &private, &public).expect("write key pair");
    assert_eq!(
        std::fs::read_to_string(&private).expect("read"),
        pems[0],
        "private key file"
    );
    assert_eq!(
        std::fs::read_to_string(&public).expect("read"),
        pems[1],
        "public key file"
    );
    let read = keys::read_signing_key(&private).expect("read private key");
    assert_eq!(read.to_bytes(), test_seed());
    let read: VerifyingKey = keys::read_public_key(&public).expect("read public key");
    assert_eq!(read, key.verifying_key());

    // The DER layouts the page gives for readers without an ASN.1 library.
    let (seed, pk) = (
        hex::encode(test_seed()),
        hex::encode(key.verifying_key().as_bytes()),
    );
    let v2 = key.to_pkcs8_der().expect("PKCS#8");
    let v2_layout = format!("3051020101300506032b657004220420{seed}812100{pk}");
    assert_eq!(hex::encode(v2.as_bytes()), v2_layout, "PKCS#8 v2 DER");
    let v1 = hex::decode(format!("302e020100300506032b657004220420{seed}")).expect("hex");
    let from_v1 = SigningKey::from_pkcs8_der(&v1).expect("PKCS#8 v1 is accepted");
    assert_eq!(from_v1.to_bytes(), test_seed());
    let spki = key.verifying_key().to_public_key_der().expect("SPKI");
    assert_eq!(
        hex::encode(spki.as_bytes()),
        format!("302a300506032b6570032100{pk}")
    );
}

#[test]
fn verifier_accepts_the_golden_chain() {
    let all = all_vectors();
    let rows: Vec<Row> = record_vectors(&all)
        .into_iter()
        .map(|v| Row::Record(SealedRecord::new(v.int("seq"), event_of(v), v.hash("hash"))))
        .collect();
    let c = &all["checkpoint-1"];
    let cp = Checkpoint {
        chain_id: c.get("chain_id").to_owned(),
        seq: c.int("seq"),
        head: c.hash("head"),
        time_us: c.int("time_us"),
        key_id: c.get("key_id").to_owned(),
        signature: c.hex("signature").try_into().expect("64 bytes"),
    };
    let public = SigningKey::from_bytes(&test_seed()).verifying_key();
    let cps = vec![
        (cp.clone(), CheckpointSource::Database),
        (cp.clone(), CheckpointSource::File),
    ];
    let mut v = ChainVerifier::new(GOLDEN_CHAIN, cps, &[public], true);
    rows.into_iter().for_each(|r| v.push(r));
    let summary = v.finish().expect("the golden chain verifies");
    assert_eq!(summary.records, 3);
    assert_eq!(summary.head, all["record-3"].hash("hash"));
    assert_eq!(summary.last_checkpoint, Some(cp));
    assert_eq!(summary.checkpoints_verified, 2);
}

/// The page's vector blocks must be exactly what the code below produces, so the events
/// (with their unsorted roles) are written down in one place.
#[test]
fn doc_vectors_are_the_generated_ones() {
    let doc = read_doc();
    for block in golden_blocks() {
        let first = block.lines().next().unwrap_or_default();
        assert!(
            doc.contains(&block),
            "{first}: the page differs from the generated block:\n{block}"
        );
    }
}

#[test]
#[ignore = "prints the vector blocks for docs/log-format.md"]
fn print_vectors() {
    for block in golden_blocks() {
        println!("```text\n{block}```\n");
    }
}

/// The golden events as the sidecar would submit them (roles unsorted, with a duplicate).
fn golden_events() -> Vec<Event> {
    let mut start = Event::new(EventKind::Start, 1_768_467_600_000_001);
    start.application = Some("epd-fhir".into());
    start.detail = Some(
        r#"{"program":"zegel-sidecar","version":"0.1.0","mode":"enforce","upstream":"http://127.0.0.1:8080"}"#
            .into(),
    );

    let mut access = Event::new(EventKind::Access, 1_768_469_412_345_678);
    access.request_id = Some("7f3c9a2e-4b1d-4c8e-9f60-2a1b3c4d5e6f".into());
    access.user_id = Some("900012345".into());
    access.user_name = Some("Zoë Jansen".into());
    access.roles = vec![
        "arts".into(),
        "Zorgverlener".into(),
        "01.010".into(),
        "arts".into(),
    ];
    access.organisation = Some("90000123".into());
    access.department = Some("Cardiologie – hartfalenpoli".into());
    access.responsible_user = Some("900067890".into());
    access.purpose_of_use = Some("ETREAT".into());
    access.access_point = Some("10.20.30.40".into());
    access.application = Some("epd-fhir".into());
    access.method = Some("GET".into());
    access.path = Some("/fhir/Patient/p-123".into());
    access.raw_path = None;
    access.interaction = Some("read".into());
    access.action = Some(Action::R);
    access.resource_type = Some("Patient".into());
    access.resource_id = Some("p-123".into());
    access.patient_id = Some("999911120".into());
    access.patient_id_system = Some("bsn".into());
    access.decision = Some(Decision::Emergency);
    access.rule = Some("emergency: arts with justification".into());
    access.reason = Some(String::new());
    access.emergency_justification = Some("Patiënt bewusteloos op SEH".into());
    access.policy_version =
        Some("86abc1e4dc82fb589a9ac681638d9d406eb8991477396e1a05d77db633880683".into());

    let mut outcome = Event::new(EventKind::Outcome, 1_768_469_412_393_928);
    outcome.request_id = access.request_id.clone();
    outcome.status = Some(200);
    outcome.bytes = Some(5123);
    outcome.duration_us = Some(48_250);
    outcome.links_seq = Some(2);

    let mut events = vec![start, access, outcome];
    events.iter_mut().for_each(Event::normalize); // as `Writer::submit` does
    events
}

/// The vector blocks (without the fences) for the golden events.
fn golden_blocks() -> Vec<String> {
    let mut blocks = Vec::new();
    let g = genesis(GOLDEN_CHAIN);
    let mut input = GENESIS_DOMAIN.to_vec();
    input.extend_from_slice(&(GOLDEN_CHAIN.len() as u32).to_be_bytes());
    input.extend_from_slice(GOLDEN_CHAIN.as_bytes());
    blocks.push(format!(
        "vector: genesis-1\nchain_id: {GOLDEN_CHAIN}\ninput: {}\nhash: {}\n",
        hex::encode(input),
        hex::encode(g)
    ));
    let mut chainer = Chainer::new();
    let mut prev = g;
    for (i, event) in golden_events().iter().enumerate() {
        let seq = i as u64 + 1;
        let hash = chainer.hash(&prev, seq, event);
        blocks.push(format!(
            "vector: record-{seq}\nchain_id: {GOLDEN_CHAIN}\nseq: {seq}\nprev: {}\njson: {}\n\
             encoding: {}\nhash: {}\n",
            hex::encode(prev),
            serde_json::to_string(event).expect("serialize"),
            hex::encode(encode(seq, event)),
            hex::encode(hash),
        ));
        prev = hash;
    }
    let key = SigningKey::from_bytes(&test_seed());
    let seq = 3;
    let cp = Checkpoint::sign(&key, GOLDEN_CHAIN, seq, prev, CHECKPOINT_TIME_US);
    blocks.push(format!(
        "vector: checkpoint-1\nseed: {}\npublic_key: {}\nkey_id: {}\nchain_id: {}\nseq: {}\n\
         head: {}\ntime_us: {}\nmessage: {}\nsignature: {}\nfile_line: {}\n",
        hex::encode(test_seed()),
        hex::encode(key.verifying_key().as_bytes()),
        cp.key_id,
        cp.chain_id,
        cp.seq,
        hex::encode(cp.head),
        cp.time_us,
        hex::encode(Checkpoint::message(GOLDEN_CHAIN, seq, &cp.head, cp.time_us)),
        hex::encode(cp.signature),
        serde_json::to_string(&cp).expect("serialize"),
    ));
    let dir = tempfile::tempdir().expect("temp dir");
    let (private, public) = (dir.path().join("k.pem"), dir.path().join("k.pub.pem"));
    keys::write_pair(&key, &private, &public).expect("write key pair");
    for path in [private, public] {
        blocks.push(std::fs::read_to_string(path).expect("read key file"));
    }
    blocks
}
