//! The logs the export tests read, and the real binary.
//!
//! `Planted`: one record of every case the FHIR mapping distinguishes, written by the
//! real writer into SQLite (chain `c1`), each access followed by its outcome, plus
//! start, policy-load and notice records that must not become AuditEvents.
//! `Generated`: a hospital log written by `zegel-analyzer gen` (three days from Monday
//! 2026-01-05), for volume: validation and row counts.

pub use crate::process::{analyzer, stdout};
use serde_json::Value;
use std::path::{Path, PathBuf};
use zegel_audit::store::{Store, StoreOptions};
use zegel_audit::writer::{Writer, WriterConfig};
use zegel_audit::{Action, Decision, Event, EventKind, keys};

/// `export fhir` of `source` with `extra` arguments, as parsed NDJSON.
pub fn fhir_events(source: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["export", "fhir", "--source", source];
    args.extend(extra);
    stdout(&analyzer(&args))
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// UTC microseconds of 10:00 CET on January `day`, 2026, plus `minute` minutes.
pub fn at(day: u32, minute: i64) -> i64 {
    let base = chrono::NaiveDate::from_ymd_opt(2026, 1, day)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("valid day");
    (base.and_utc().timestamp() + minute * 60) * 1_000_000
}

/// An access record with the fields every planted access shares.
fn access(request: &str, time_us: i64, decision: Decision) -> Event {
    let mut e = Event::new(EventKind::Access, time_us);
    e.request_id = Some(request.into());
    e.user_id = Some("emp-arts-1".into());
    e.user_name = Some("A. Arts".into());
    e.roles = vec!["arts".into()];
    e.organisation = Some("ura:00012345".into());
    e.department = Some("cardiologie".into());
    e.purpose_of_use = Some("TREAT".into());
    e.access_point = Some("10.1.2.3".into());
    e.application = Some("ecd".into());
    e.decision = Some(decision);
    e.policy_version = Some("ab".repeat(32));
    e.rule = Some("p, arts, ura:00012345, ecd:Patient, read, allow".into());
    e
}

/// Sets the request part of `e`.
fn request(mut e: Event, method: &str, path: &str, interaction: &str, action: Action) -> Event {
    e.method = Some(method.into());
    e.path = Some(path.into());
    e.interaction = Some(interaction.into());
    e.action = Some(action);
    e
}

fn on(mut e: Event, ty: &str, id: Option<&str>, patient: Option<&str>) -> Event {
    e.resource_type = Some(ty.into());
    e.resource_id = id.map(Into::into);
    e.patient_id = patient.map(Into::into);
    e.patient_id_system = patient.map(|_| "local".into());
    e
}

/// The planted access records, by request id: the case each one is for.
pub fn planted() -> Vec<Event> {
    use Action::*;
    use Decision::*;
    let read = on(
        request(
            access("req-read", at(5, 0), Allow),
            "GET",
            "/fhir/Patient/pat-1",
            "read",
            R,
        ),
        "Patient",
        Some("pat-1"),
        Some("pat-1"),
    );
    let search = on(
        request(
            access("req-search", at(5, 1), Allow),
            "GET",
            "/fhir/Observation?patient=pat-1&code=8867-4",
            "search",
            E,
        ),
        "Observation",
        None,
        Some("pat-1"),
    );
    let create = on(
        request(
            access("req-create", at(6, 0), Allow),
            "POST",
            "/fhir/Condition",
            "create",
            C,
        ),
        "Condition",
        None,
        Some("pat-2"),
    );
    let mut update = on(
        request(
            access("req-update", at(6, 1), Allow),
            "PUT",
            "/fhir/Condition/c-9",
            "update",
            U,
        ),
        "Condition",
        Some("c-9"),
        Some("pat-2"),
    );
    update.responsible_user = Some("emp-supervisor".into());
    let delete = on(
        request(
            access("req-delete", at(6, 2), Allow),
            "DELETE",
            "/fhir/Condition/c-9",
            "delete",
            D,
        ),
        "Condition",
        Some("c-9"),
        Some("pat-2"),
    );
    let mut deny = on(
        request(
            access("req-deny", at(7, 0), Deny),
            "GET",
            "/fhir/Patient/pat-vip",
            "read",
            R,
        ),
        "Patient",
        Some("pat-vip"),
        Some("pat-vip"),
    );
    (deny.reason, deny.rule, deny.status) = (
        Some("no rule allows arts to read Patient".into()),
        Some("no rule matched".into()),
        Some(403),
    );
    let mut btg = on(
        request(
            access("req-btg", at(7, 1), Emergency),
            "GET",
            "/fhir/Patient/pat-3",
            "read",
            R,
        ),
        "Patient",
        Some("pat-3"),
        Some("pat-3"),
    );
    btg.purpose_of_use = Some("ETREAT".into());
    btg.emergency_justification = Some("Reanimatie op de SEH".into());
    let mut reject = access("req-reject", at(8, 0), Reject);
    (
        reject.user_id,
        reject.user_name,
        reject.roles,
        reject.organisation,
    ) = (None, None, vec![], None);
    (
        reject.department,
        reject.purpose_of_use,
        reject.policy_version,
        reject.rule,
    ) = (None, None, None, None);
    (reject.method, reject.raw_path, reject.status) = (
        Some("GET".into()),
        Some("/fhir/%2e%2e/Patient".into()),
        Some(400),
    );
    reject.reason = Some("encoded dot segment in the path".into());
    let mut bsn = on(
        request(
            access("req-bsn", at(8, 1), WouldDeny),
            "GET",
            "/api/clients/999/notes",
            "read",
            R,
        ),
        "notes",
        None,
        Some("999999990"),
    );
    bsn.patient_id_system = Some("bsn".into());
    bsn.organisation = Some("Ziekenhuis Oost".into());
    vec![read, search, create, update, delete, deny, btg, reject, bsn]
}

/// The request id of each planted access, in order.
pub const CASES: [&str; 9] = [
    "req-read",
    "req-search",
    "req-create",
    "req-update",
    "req-delete",
    "req-deny",
    "req-btg",
    "req-reject",
    "req-bsn",
];

/// The planted log.
pub struct Planted {
    _dir: tempfile::TempDir,
    /// Its source URL.
    pub url: String,
}

impl Planted {
    /// Writes the planted log.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite:{}", dir.path().join("log.db").display());
        write(&url, planted()).await;
        Planted { _dir: dir, url }
    }

    /// Every AuditEvent of the planted log, by request id.
    pub fn event(&self, request_id: &str) -> Value {
        let events = fhir_events(&self.url, &[]);
        events
            .into_iter()
            .find(|e| transaction(e) == Some(request_id))
            .unwrap_or_else(|| panic!("no AuditEvent for {request_id}"))
    }
}

/// The X-Request-Id of an AuditEvent (its transaction entity).
pub fn transaction(e: &Value) -> Option<&str> {
    let entities = e["entity"].as_array()?;
    let t = entities
        .iter()
        .find(|x| x["type"]["code"] == "XrequestId")?;
    t["what"]["identifier"]["value"].as_str()
}

async fn write(url: &str, accesses: Vec<Event>) {
    let store = Store::open(url, &StoreOptions::default())
        .await
        .expect("open");
    let key = keys::generate().expect("key");
    let (writer, task) = Writer::start(store, key, WriterConfig::new("c1"))
        .await
        .expect("writer");
    for (kind, detail) in [
        (EventKind::Start, r#"{"version":"test"}"#),
        (EventKind::PolicyLoad, "{}"),
    ] {
        let mut e = Event::new(kind, at(5, -60));
        e.detail = Some(detail.into());
        writer.submit(e).await.expect("submit");
    }
    for a in accesses {
        let seq = writer.submit(a.clone()).await.expect("submit").seq;
        let mut o = Event::new(EventKind::Outcome, a.time_us + 5_000);
        (o.request_id, o.status, o.links_seq) = (
            a.request_id.clone(),
            Some(a.status.unwrap_or(200)),
            Some(seq as i64),
        );
        writer.submit(o).await.expect("outcome");
    }
    let mut notice = Event::new(EventKind::Notice, at(8, 30));
    notice.reason = Some("audit log unavailable; requests were refused (fail closed)".into());
    writer.submit(notice).await.expect("notice");
    drop(writer);
    task.shutdown().await.expect("shutdown");
}

/// A log written by `zegel-analyzer gen`: 3 days from Monday 2026-01-05, 3,000 accesses,
/// 300 staff, every incident kind twice.
pub struct Generated {
    /// Keeps the files.
    pub dir: tempfile::TempDir,
    /// `sqlite:...`.
    pub url: String,
}

impl Generated {
    /// Runs `gen`.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("signing.pem");
        let k = keys::generate().expect("key");
        keys::write_pair(&k, &key, &dir.path().join("signing.pub.pem")).expect("write key");
        let url = format!("sqlite:{}", dir.path().join("log.db").display());
        let key = key.display().to_string();
        stdout(&analyzer(&[
            "gen",
            "--db",
            &url,
            "--key",
            &key,
            "--days",
            "3",
            "--records",
            "3000",
            "--staff",
            "300",
            "--incidents",
            "16",
        ]));
        Generated { dir, url }
    }

    /// A path in the log's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// `query SQL --format csv` of `source`: the single value of a one-cell result.
pub fn query_value(source: &str, sql: &str) -> String {
    let out = stdout(&analyzer(&[
        "query", sql, "--source", source, "--format", "csv",
    ]));
    let mut lines = out.lines().skip(1);
    lines.next().expect("one row").to_owned()
}

/// Data rows of a CSV file (fields may hold newlines, so the CSV reader counts).
pub fn csv_rows(file: &Path) -> usize {
    let mut n = 0;
    for record in csv::Reader::from_path(file).expect("open csv").records() {
        record.expect("csv record");
        n += 1;
    }
    n
}
