//! The log the compliance pack is tested on: a hospital written by `gen` (two chains,
//! nine days from Monday 2026-01-05, planted incidents, directory CSVs), signed with a
//! fixed key so the snapshot is stable, and then continued by the real writer on chain
//! 1 with what `gen` never writes: a start, a fail-closed outage notice three hours later
//! (a silence while running), and a start without a stop before it (a crash).

use std::path::{Path, PathBuf};
use zegel_analyzer::cli::GenArgs;
use zegel_audit::keys::{self, SigningKey};
use zegel_audit::store::{Store, StoreOptions};
use zegel_audit::writer::{Writer, WriterConfig};
use zegel_audit::{Event, EventKind};

/// The chain the writer continues.
pub const CHAIN: &str = "demo-sidecar-1-1";
/// Requests the outage notice says were refused.
pub const REFUSED: i64 = 7;

/// UTC microseconds of local (CET) time on a day of January 2026.
pub fn cet(day: u32, hour: u32) -> i64 {
    crate::common::at(day, hour, 0)
}

/// A generated log and its files.
pub struct Pack {
    /// Keeps the files.
    pub dir: tempfile::TempDir,
    /// `sqlite:...`.
    pub url: String,
    /// The public key (SPKI PEM).
    pub public_key: PathBuf,
    /// One checkpoint file per chain.
    pub checkpoints: Vec<PathBuf>,
    /// staff.csv, patients.csv, care_relations.csv, incidents.json.
    pub out: PathBuf,
}

impl Pack {
    /// Generates the log.
    pub async fn new() -> Pack {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SigningKey::from_bytes(&[0x5a; 32]);
        let (private, public_key) = (dir.path().join("key.pem"), dir.path().join("key.pub.pem"));
        keys::write_pair(&key, &private, &public_key).expect("key files");
        let url = format!("sqlite:{}", dir.path().join("log.db").display());
        let mut a = GenArgs::new(&url, &private).expect("gen arguments");
        (a.days, a.records, a.staff, a.chains) = (Some(9), Some(4_000), 300, 2);
        a.checkpoint_file = Some(dir.path().join("log.checkpoints"));
        a.directory_out = Some(dir.path().join("out"));
        zegel_analyzer::generate::generate(&a).await.expect("gen");
        let checkpoints = ["log-1.checkpoints", "log-2.checkpoints"].map(|f| dir.path().join(f));
        continue_chain(&url, key, &checkpoints[0]).await;
        Pack {
            out: dir.path().join("out"),
            dir,
            url,
            public_key,
            checkpoints: checkpoints.to_vec(),
        }
    }

    /// `report compliance --source .. -k .. -c .. -c ..` plus the directory tables.
    pub fn args(&self) -> Vec<String> {
        let mut v: Vec<String> = ["report", "compliance", "--source", &self.url]
            .map(str::to_owned)
            .to_vec();
        v.extend(["-k".into(), self.public_key.display().to_string()]);
        for c in &self.checkpoints {
            v.extend(["-c".into(), c.display().to_string()]);
        }
        for (flag, file) in [
            ("--staff", "staff.csv"),
            ("--patients", "patients.csv"),
            ("--care-relations", "care_relations.csv"),
        ] {
            v.extend([flag.into(), self.out.join(file).display().to_string()]);
        }
        v
    }

    /// The ground truth of the planted incidents.
    pub fn truth(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.out.join("incidents.json")).expect("truth");
        serde_json::from_str(&text).expect("incidents.json")
    }

    /// The database file.
    pub fn db(&self) -> PathBuf {
        self.dir.path().join("log.db")
    }
}

/// After the log's last stop (the night of 01-13 to 01-14): a start at 09:00, an outage
/// notice at 12:00 (a silence of three hours while running), a start at 13:00 without a
/// stop (a crash), and a stop at 14:00.
async fn continue_chain(url: &str, key: SigningKey, checkpoints: &Path) {
    let store = Store::open(url, &StoreOptions::default())
        .await
        .expect("open");
    let mut cfg = WriterConfig::new(CHAIN);
    cfg.checkpoint_file = Some(checkpoints.to_owned());
    let (writer, task) = Writer::start(store, key, cfg).await.expect("writer");
    let mut notice = Event::new(EventKind::Notice, cet(14, 12));
    notice.reason = Some("audit log unavailable; requests were refused (fail closed)".into());
    notice.detail = Some(format!(
        r#"{{"refused":{REFUSED},"unavailable_from_us":{},"unavailable_to_us":{}}}"#,
        cet(14, 11),
        cet(14, 12)
    ));
    for e in [
        Event::new(EventKind::Start, cet(14, 9)),
        notice,
        Event::new(EventKind::Start, cet(14, 13)),
        Event::new(EventKind::Stop, cet(14, 14)),
    ] {
        writer.submit(e).await.expect("submit");
    }
    drop(writer);
    task.shutdown().await.expect("shutdown");
}
