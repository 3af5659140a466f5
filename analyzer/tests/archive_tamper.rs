//! Tampering inside an archive, by someone who can write to it: Parquet rows changed and
//! the manifest's file hash recomputed, so that only the chain itself can tell. `verify`
//! must name the kind and the exact sequence number of the first problem.

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, FixedSizeBinaryArray, ListBuilder, RecordBatch, StringArray,
    StringBuilder, UInt32Array,
};
use datafusion::arrow::compute::{concat_batches, take_record_batch};
use datafusion::arrow::datatypes::{DataType, Field};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const BIN: &str = env!("CARGO_BIN_EXE_zegel-analyzer");

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN).args(args).output().expect("run analyzer");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("$ zegel-analyzer {}\n{text}", args.join(" "));
    (out.status.code(), text)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A signed log of 1,000 records archived into `dir/archive` (the database stays).
fn archived(dir: &Path) -> PathBuf {
    let key = zegel_audit::keys::generate().expect("key");
    zegel_audit::keys::write_pair(&key, &dir.join("k.pem"), &dir.join("k.pub")).expect("keys");
    let db = format!("sqlite:{}", dir.join("log.db").display());
    let (pem, cp) = (dir.join("k.pem"), dir.join("cp.jsonl"));
    let gen_args = [
        "gen",
        "--db",
        &db,
        "--key",
        s(&pem),
        "--checkpoint-file",
        s(&cp),
        "--chain",
        "c1",
        "--profile",
        "uniform",
        "--records",
        "500",
        "--seed",
        "3",
    ];
    assert_eq!(run(&gen_args).0, Some(0));
    let archive = dir.join("archive");
    let (public, cp) = (dir.join("k.pub"), dir.join("cp.jsonl"));
    let args = [
        "archive",
        "-k",
        s(&public),
        "-c",
        s(&cp),
        "--source",
        &db,
        "--to",
        s(&archive),
    ];
    assert_eq!(run(&args).0, Some(0));
    archive
}

fn verify(dir: &Path, archive: &Path) -> (Option<i32>, String) {
    let (public, cp) = (dir.join("k.pub"), dir.join("cp.jsonl"));
    run(&["verify", "-k", s(&public), "-c", s(&cp), "-s", s(archive)])
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The manifest of chain c1 and its JSON.
fn manifest(archive: &Path) -> (PathBuf, serde_json::Value) {
    let path = std::fs::read_dir(archive.join("c1"))
        .expect("chain dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("a manifest");
    let json = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    (path, json)
}

/// The manifest's `index`th file: its path, first seq, and its rows as one batch.
fn file(archive: &Path, index: usize) -> (PathBuf, u64, RecordBatch) {
    let (_, m) = manifest(archive);
    let entry = &m["files"][index];
    let path = archive
        .join("c1")
        .join(entry["path"].as_str().expect("path"));
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).expect("open"))
            .expect("parquet")
            .build()
            .expect("reader");
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("batch")).collect();
    let batch = concat_batches(&batches[0].schema(), &batches).expect("concat");
    (path, entry["first_seq"].as_u64().expect("first_seq"), batch)
}

/// Writes `batch` over the file at `path` and puts its new SHA-256 into the manifest, as
/// an attacker covering their tracks would.
fn rewrite(archive: &Path, path: &Path, batch: &RecordBatch) {
    let out = std::fs::File::create(path).expect("create");
    let mut w = ArrowWriter::try_new(out, batch.schema(), None).expect("writer");
    w.write(batch).expect("write");
    w.close().expect("close");
    let sha = hex::encode(Sha256::digest(std::fs::read(path).expect("read")));
    let (mpath, mut m) = manifest(archive);
    let name = path
        .strip_prefix(archive.join("c1"))
        .expect("inside the chain");
    for f in m["files"].as_array_mut().expect("files") {
        if f["path"].as_str() == name.to_str() {
            f["sha256"] = sha.clone().into();
        }
    }
    std::fs::write(&mpath, serde_json::to_vec_pretty(&m).expect("json")).expect("write");
}

/// The rows of `batch` at `rows`, in that order.
fn take(batch: &RecordBatch, rows: impl IntoIterator<Item = usize>) -> RecordBatch {
    let idx: UInt32Array = rows.into_iter().map(|r| r as u32).collect();
    take_record_batch(batch, &idx).expect("take")
}

/// `batch` with column `name` replaced.
fn with_column(batch: &RecordBatch, name: &str, column: ArrayRef) -> RecordBatch {
    let i = batch.schema().index_of(name).expect("column");
    let mut cols = batch.columns().to_vec();
    cols[i] = column;
    RecordBatch::try_new(batch.schema(), cols).expect("batch")
}

/// `batch` with row `k`'s user_id set to `value`.
fn with_user_id(batch: &RecordBatch, k: usize, value: &str) -> RecordBatch {
    let users = (batch.column_by_name("user_id").expect("user_id")).as_string::<i32>();
    let forged: StringArray = (0..batch.num_rows())
        .map(|r| match r {
            r if r == k => Some(value),
            r => users.is_valid(r).then(|| users.value(r)),
        })
        .collect();
    with_column(batch, "user_id", Arc::new(forged))
}

#[test]
fn each_kind_of_archive_tampering_is_pinpointed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = archived(dir.path());
    let (code, text) = verify(dir.path(), &original);
    assert_eq!(code, Some(0), "the untouched archive verifies: {text}");

    let k = 10usize; // the row changed, in the first file (seq first + k)
    type Tamper = fn(&RecordBatch, usize) -> RecordBatch;
    let cases: [(&str, Tamper, u64, &str); 9] = [
        (
            "a field changed",
            |b, k| with_user_id(b, k, "someone-else"),
            0,
            "hash mismatch",
        ),
        (
            "a hash changed",
            |b, k| {
                let hashes = b
                    .column_by_name("hash")
                    .expect("hash")
                    .as_fixed_size_binary();
                let forged = FixedSizeBinaryArray::try_from_iter((0..b.num_rows()).map(|r| {
                    let mut h = hashes.value(r).to_vec();
                    if r == k {
                        h[0] ^= 1;
                    }
                    h
                }))
                .expect("hashes");
                with_column(b, "hash", Arc::new(forged))
            },
            0,
            "hash mismatch",
        ),
        (
            "a row deleted",
            |b, k| take(b, (0..b.num_rows()).filter(|&r| r != k)),
            0,
            "gap",
        ),
        (
            "a row inserted again",
            |b, k| {
                take(
                    b,
                    (0..b.num_rows()).flat_map(|r| if r == k { vec![r, r] } else { vec![r] }),
                )
            },
            1,
            "duplicate",
        ),
        (
            "two rows swapped",
            |b, k| {
                take(
                    b,
                    (0..b.num_rows()).map(|r| match r {
                        r if r == k => k + 1,
                        r if r == k + 1 => k,
                        r => r,
                    }),
                )
            },
            0,
            "reordered",
        ),
        (
            "rows cut off the end",
            |b, k| take(b, 0..k),
            0,
            "records missing",
        ),
        (
            "a kind renamed",
            |b, k| {
                let kinds = b.column_by_name("kind").expect("kind").as_string::<i32>();
                let forged: StringArray = (0..b.num_rows())
                    .map(|r| Some(if r == k { "acces" } else { kinds.value(r) }))
                    .collect();
                with_column(b, "kind", Arc::new(forged))
            },
            0,
            "malformed record: column kind: unknown EventKind \"acces\"",
        ),
        (
            "a null role added",
            |b, k| {
                let roles = b.column_by_name("roles").expect("roles").as_list::<i32>();
                let mut forged = ListBuilder::new(StringBuilder::new())
                    .with_field(Arc::new(Field::new("item", DataType::Utf8, true)));
                for r in 0..b.num_rows() {
                    let names = roles.value(r);
                    let names = names.as_string::<i32>();
                    for n in 0..names.len() {
                        forged.values().append_value(names.value(n));
                    }
                    if r == k {
                        forged.values().append_null();
                    }
                    forged.append(true);
                }
                let forged = forged.finish();
                assert_eq!(forged.data_type(), roles.data_type(), "same list type");
                with_column(b, "roles", Arc::new(forged))
            },
            0,
            "malformed record: column roles holds a null role",
        ),
        (
            "a NUL put into a field",
            |b, k| with_user_id(b, k, "emp\0x"),
            0,
            "malformed record: a record the writer would have refused: user_id contains a NUL",
        ),
    ];
    for (what, tamper, offset, kind) in cases {
        let copy = dir.path().join(what.replace(' ', "-"));
        copy_dir(&original, &copy);
        let (path, first_seq, batch) = file(&copy, 0);
        assert!(
            batch.num_rows() > k + 1,
            "the first file holds {} rows",
            batch.num_rows()
        );
        rewrite(&copy, &path, &tamper(&batch, k));
        let (code, text) = verify(dir.path(), &copy);
        let seq = first_seq + k as u64 + offset;
        assert_eq!(code, Some(1), "{what}: an integrity failure\n{text}");
        let expected = format!("chain c1 seq {seq}: {kind}");
        assert!(
            text.contains(&expected),
            "{what}: expected {expected:?}\n{text}"
        );
        // What still stands is said too: every record before the failure verified.
        let intact = format!("verified: {} records (", seq - 1);
        assert!(
            text.contains(&intact),
            "{what}: expected {intact:?}\n{text}"
        );
    }
}
