//! `archive`, `prune` and `verify` across the archive/database seam, run as the real
//! binary on real SQLite files (and PostgreSQL when `ZEGEL_TEST_POSTGRES_URL` is set).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "support/pg.rs"]
mod pg;

const BIN: &str = env!("CARGO_BIN_EXE_zegel-analyzer");

struct Log {
    dir: tempfile::TempDir,
    db: String,
}

impl Log {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = format!("sqlite:{}", dir.path().join("log.db").display());
        Self::with_db(dir, db)
    }
    fn with_db(dir: tempfile::TempDir, db: String) -> Self {
        let key = zegel_audit::keys::generate().expect("key");
        zegel_audit::keys::write_pair(&key, &dir.path().join("k.pem"), &dir.path().join("k.pub"))
            .expect("keys");
        Log { dir, db }
    }
    fn p(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new(BIN).args(args).output().expect("run analyzer");
        eprintln!(
            "$ zegel-analyzer {}\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
    /// `gen` into chain `c1` of the log, with its key and checkpoint file, plus `extra`.
    fn generate(&self, extra: &[&str]) {
        let (key, cp) = (self.p("k.pem"), self.p("cp.jsonl"));
        let mut args = vec!["gen", "--db", &self.db, "--key", s(&key)];
        args.extend(["--checkpoint-file", s(&cp), "--chain", "c1"]);
        args.extend_from_slice(extra);
        assert!(self.run(&args).status.success());
    }
    fn write(&self, records: u64, seed: u64) {
        let (records, seed) = (records.to_string(), seed.to_string());
        // access/outcome pairs only: exact record counts
        self.generate(&[
            "--profile",
            "uniform",
            "--records",
            &records,
            "--seed",
            &seed,
        ]);
    }
    fn keyed(&self, cmd: &str, extra: &[&str]) -> Output {
        let (key, cp) = (self.p("k.pub"), self.p("cp.jsonl"));
        let mut args = vec![cmd, "-k", s(&key), "-c", s(&cp)];
        args.extend_from_slice(extra);
        self.run(&args)
    }
    fn archive(&self) -> Output {
        let to = self.p("archive");
        self.keyed("archive", &["--source", &self.db, "--to", s(&to)])
    }
    fn prune(&self) -> Output {
        let a = self.p("archive");
        self.keyed("prune", &["--source", &self.db, "--archive", s(&a)])
    }
    fn verify(&self, with_archive: bool) -> Output {
        let a = self.p("archive");
        let mut extra = vec!["-s", self.db.as_str()];
        if with_archive {
            extra.extend(["-s", s(&a)]);
        }
        self.keyed("verify", &extra)
    }
    fn count(&self, source: &str) -> String {
        let out = self.run(&[
            "query",
            "-s",
            source,
            "--format",
            "csv",
            "SELECT count(*) AS n FROM access",
        ]);
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn archive_prune_and_verify_across_the_seam() {
    let log = Log::new();
    log.write(3000, 1); // 6000 records with outcomes, final checkpoint at 6000
    let out = log.archive();
    assert!(out.status.success());
    assert!(stdout(&out).contains("archived seq 1..=6000"));
    let archive = log.p("archive");
    // The archive is a query source holding the same records as the database.
    assert_eq!(log.count(s(&archive)), "6000");
    assert_eq!(log.count(&log.db), "6000");
    // Nothing new is sealed: a second run writes nothing.
    assert!(stdout(&log.archive()).contains("nothing to archive"));

    let out = log.prune();
    assert!(out.status.success());
    assert!(stdout(&out).contains("deleted 6000 archived records"));
    assert_eq!(log.count(&log.db), "0");

    // The chain goes on; the next archive run continues the archive.
    log.write(500, 2);
    assert!(stdout(&log.archive()).contains("archived seq 6001..=7000"));
    assert!(log.prune().status.success());
    log.write(100, 3);

    let out = log.verify(true);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("continues the archive seamlessly after seq 7000"));
    assert_eq!(log.count(s(&archive)), "7000");
    let out = log.verify(false);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("were moved to the archive"));
}

#[tokio::test]
async fn archive_and_prune_a_postgresql_log() {
    let Some(pg) = pg::pg_schema("archive").await else {
        return;
    };
    let log = Log::with_db(tempfile::tempdir().expect("tempdir"), pg.url.clone());
    log.write(1500, 1);
    assert!(stdout(&log.archive()).contains("archived seq 1..=3000"));
    assert!(stdout(&log.prune()).contains("deleted 3000 archived records"));
    log.write(10, 2);
    let out = log.verify(true);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("continues the archive seamlessly after seq 3000"));
    assert_eq!(log.count(&log.db), "20");
}

#[test]
fn an_altered_archive_is_reported_and_never_pruned() {
    let log = Log::new();
    log.write(2000, 1);
    assert!(log.archive().status.success());
    alter_a_parquet_file(&log.p("archive"));

    let out = log.verify(true);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("was altered"), "{}", stdout(&out));
    let out = log.prune();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("NOT pruned: the archive does not verify"));
    assert_eq!(log.count(&log.db), "4000", "nothing was deleted");
}

#[test]
fn archiving_needs_a_public_key_and_a_database() {
    let log = Log::new();
    let to = log.p("archive");
    let out = log.run(&["archive", "--source", &log.db, "--to", s(&to)]);
    assert_eq!(out.status.code(), Some(2), "--public-key is required");
    let missing = format!("sqlite:{}", log.p("nope.db").display());
    let out = log.keyed("archive", &["--source", &missing, "--to", s(&to)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
}

/// Flips one bit in the middle of the first Parquet file under `dir`; returns its path.
fn alter_a_parquet_file(dir: &Path) -> PathBuf {
    let file = walk(dir)
        .into_iter()
        .find(|p| p.extension().is_some_and(|x| x == "parquet"))
        .expect("a parquet file");
    let mut bytes = std::fs::read(&file).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&file, bytes).expect("write");
    file
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn an_archive_alone_shows_its_coverage() {
    let log = Log::new();
    log.generate(&["--records", "3000", "--staff", "60"]);
    assert!(log.archive().status.success());
    let archive = log.p("archive");
    let verify = |silence: &str| {
        let out = log.keyed("verify", &["-s", s(&archive), "--silence", silence]);
        assert_eq!(out.status.code(), Some(0));
        stdout(&out)
    };
    let shown = verify("1s");
    assert!(shown.contains("coverage c1: sidecar starts 1 "), "{shown}");
    assert!(
        shown.contains("longer than 1s without records while the sidecar was running"),
        "{shown}"
    );
    let off = verify("0s");
    assert!(!off.contains("without records while"), "{off}");
}

/// An archive of several chains is verified a chain per thread; each result belongs to
/// its own chain: one altered file fails its chain only, and the others stay valid.
#[test]
fn archived_chains_verify_in_parallel_each_with_its_own_result() {
    let log = Log::new();
    let (key, cp) = (log.p("k.pem"), log.p("cp.jsonl"));
    let gen_args = [
        "gen",
        "--db",
        &log.db,
        "--key",
        s(&key),
        "--checkpoint-file",
        s(&cp),
    ];
    let hospital = [
        "--chain", "c", "--chains", "4", "--days", "2", "--staff", "60",
    ];
    let out = log.run(&[&gen_args[..], &hospital[..], &["--records", "4000"]].concat());
    assert!(out.status.success());
    let (public, archive) = (log.p("k.pub"), log.p("archive"));
    let mut keyed = vec!["-k", s(&public)];
    let cps: Vec<PathBuf> = (1..=4).map(|i| log.p(&format!("cp-{i}.jsonl"))).collect();
    for cp in &cps {
        keyed.extend(["-c", s(cp)]);
    }
    let archive_args = ["archive", "--source", &log.db, "--to", s(&archive)];
    assert!(
        log.run(&[&archive_args[..], &keyed[..]].concat())
            .status
            .success()
    );
    let verify = || log.run(&[&["verify", "-s", s(&archive)][..], &keyed[..]].concat());
    let out = verify();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let rows = |text: &str, chain: &str| -> Vec<String> {
        let cell = format!(" {chain} ");
        let table_rows = text.lines().filter(|l| l.starts_with('│'));
        table_rows
            .filter(|l| l.contains(&cell))
            .map(str::to_owned)
            .collect()
    };
    let text = stdout(&out);
    for c in ["c-1", "c-2", "c-3", "c-4"] {
        let r = rows(&text, c);
        assert!(r.len() == 1 && r[0].contains("valid"), "{c}: {r:?}\n{text}");
    }

    let file = alter_a_parquet_file(&archive.join("c-3"));
    let out = verify();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    for c in ["c-1", "c-2", "c-4"] {
        let r = rows(&text, c);
        assert!(r.len() == 1 && r[0].contains("valid"), "{c}: {r:?}\n{text}");
    }
    let r = rows(&text, "c-3");
    assert!(
        r.len() == 1 && r[0].contains("FAILED at seq"),
        "c-3: {r:?}\n{text}"
    );
    assert!(text.contains("was altered") && text.contains(&file.display().to_string()));
}

/// The bloom filters that let a report on one patient or user skip row groups must hold
/// every value of their row group: a value missing from its filter would drop that
/// patient's records from the overview without any error.
#[test]
fn archive_bloom_filters_hold_every_patient_and_user() {
    use datafusion::arrow::array::AsArray;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::bloom_filter::Sbbf;

    let log = Log::new();
    // 70 days from 2026-01-05: January, February and March.
    let hospital = ["--staff", "60", "--patients", "300", "--days", "70"];
    log.generate(&[&["--records", "4000"][..], &hospital[..]].concat());
    assert!(log.archive().status.success());
    let files: Vec<PathBuf> = (walk(&log.p("archive")).into_iter())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    let months: Vec<String> = (files.iter())
        .filter_map(|f| f.parent()?.file_name()?.to_str().map(str::to_owned))
        .collect();
    assert_eq!(months, ["2026-01", "2026-02", "2026-03"], "{files:?}");
    let mut checked = 0;
    for file in &files {
        let bytes = bytes::Bytes::from(std::fs::read(file).expect("read"));
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes.clone()).expect("footer");
        let meta = builder.metadata().clone();
        for (g, group) in meta.row_groups().iter().enumerate() {
            for name in ["patient_id", "user_id"] {
                let i = (group.columns().iter())
                    .position(|c| c.column_path().string() == name)
                    .expect("column");
                let filter = Sbbf::read_from_column_chunk(group.column(i), &bytes)
                    .expect("readable filter")
                    .unwrap_or_else(|| panic!("{}: no bloom filter on {name}", file.display()));
                let reader = ParquetRecordBatchReaderBuilder::try_new(bytes.clone())
                    .expect("footer")
                    .with_row_groups(vec![g])
                    .build()
                    .expect("reader");
                for batch in reader {
                    let batch = batch.expect("batch");
                    let col = batch.column_by_name(name).expect("column");
                    let values = col.as_string::<i32>();
                    for v in values.iter().flatten() {
                        assert!(
                            filter.check(v),
                            "{}: {name} {v:?} not in its filter",
                            file.display()
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 4000, "values checked: {checked}");
    // And a query for one patient (a literal, which readers test against the filters)
    // finds the same records in the archive as in the log.
    let csv = |source: &str, sql: &str| {
        let out = log.run(&["query", "-s", source, "--format", "csv", sql]);
        assert!(out.status.success());
        stdout(&out)
    };
    let first = "SELECT patient_id FROM access WHERE patient_id IS NOT NULL ORDER BY seq LIMIT 1";
    let patient = csv(&log.db, first)
        .lines()
        .nth(1)
        .expect("a patient")
        .to_owned();
    let sql = format!("SELECT seq, hash FROM access WHERE patient_id = '{patient}' ORDER BY seq");
    let archive = log.p("archive");
    let (in_archive, in_log) = (csv(s(&archive), &sql), csv(&log.db, &sql));
    assert!(in_log.lines().count() > 2, "{in_log}");
    assert_eq!(in_archive, in_log);
}

/// `seq` and `time` are stored as deltas (a few bits a value; every report reads `time`),
/// and the archive still verifies and reads back the same times.
#[test]
fn archive_stores_seq_and_time_as_deltas() {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::basic::Encoding;

    let log = Log::new();
    log.generate(&["--records", "3000"]);
    assert!(log.archive().status.success());
    let files: Vec<PathBuf> = (walk(&log.p("archive")).into_iter())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    assert!(!files.is_empty());
    for file in &files {
        let f = std::fs::File::open(file).expect("open");
        let builder = ParquetRecordBatchReaderBuilder::try_new(f).expect("footer");
        for group in builder.metadata().row_groups() {
            for c in group.columns() {
                let name = c.column_path().string();
                let delta = c.encodings().any(|e| e == Encoding::DELTA_BINARY_PACKED);
                let want = name == "seq" || name == "time";
                assert_eq!(delta, want, "{}: column {name}", file.display());
            }
        }
    }
    assert!(log.verify(true).status.success(), "the archive verifies");
}
