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
use zegel_audit::{Action, Event, EventKind, keys};

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

/// The planted accesses, one per line: request id, day of January 2026 and minute after
/// 10:00 CET, decision, method, target, interaction, `Type` or `Type/id`, patient (a
/// local id unless changed in [`planted`]); `-` is absent.
const TABLE: [&str; 9] = [
    "req-read   5 0 allow      GET    /fhir/Patient/pat-1      read   Patient/pat-1   pat-1",
    "req-search 5 1 allow GET /fhir/Observation?patient=pat-1&code=8867-4 search Observation pat-1",
    "req-create 6 0 allow      POST   /fhir/Condition          create Condition       pat-2",
    "req-update 6 1 allow      PUT    /fhir/Condition/c-9      update Condition/c-9   pat-2",
    "req-delete 6 2 allow      DELETE /fhir/Condition/c-9      delete Condition/c-9   pat-2",
    "req-deny   7 0 deny       GET    /fhir/Patient/pat-vip    read   Patient/pat-vip pat-vip",
    "req-btg    7 1 emergency  GET    /fhir/Patient/pat-3      read   Patient/pat-3   pat-3",
    "req-reject 8 0 reject     GET    -                        -      -               -",
    "req-bsn    8 1 would-deny GET    /api/clients/999/notes   read   notes           999999990",
];

/// The request id of each planted access, in order.
pub fn cases() -> Vec<&'static str> {
    TABLE
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

/// The access record of a line of [`TABLE`], with the identity every planted access
/// shares.
fn access(line: &str) -> Event {
    let f: Vec<&str> = line.split_whitespace().collect();
    let [
        id,
        day,
        minute,
        decision,
        method,
        path,
        interaction,
        resource,
        patient,
    ] = f[..]
    else {
        panic!("9 fields: {line}");
    };
    let given = |v: &str| (v != "-").then(|| v.to_owned());
    let number = |v: &str| v.parse::<i64>().expect("a number");
    let day = u32::try_from(number(day)).expect("a day");
    let mut e = Event::new(EventKind::Access, at(day, number(minute)));
    e.request_id = Some(id.into());
    e.user_id = Some("emp-arts-1".into());
    e.user_name = Some("A. Arts".into());
    e.roles = vec!["arts".into()];
    e.organisation = Some("ura:00012345".into());
    e.department = Some("cardiologie".into());
    e.purpose_of_use = Some("TREAT".into());
    e.access_point = Some("10.1.2.3".into());
    e.application = Some("ecd".into());
    e.policy_version = Some("ab".repeat(32));
    e.rule = Some("p, arts, ura:00012345, ecd:Patient, read, allow".into());
    e.decision = Some(decision.parse().expect("a decision"));
    e.method = Some(method.into());
    (e.path, e.interaction) = (given(path), given(interaction));
    e.action = action(interaction);
    let (ty, resource_id) = resource.split_once('/').unzip();
    e.resource_type = given(ty.unwrap_or(resource));
    e.resource_id = resource_id.map(Into::into);
    e.patient_id = given(patient);
    e.patient_id_system = e.patient_id.as_ref().map(|_| "local".into());
    e
}

fn action(interaction: &str) -> Option<Action> {
    Some(match interaction {
        "read" => Action::R,
        "search" => Action::E,
        "create" => Action::C,
        "update" => Action::U,
        "delete" => Action::D,
        _ => return None,
    })
}

/// The planted access records, in the order of [`cases`]: the table, plus what only
/// one case has.
pub fn planted() -> Vec<Event> {
    let mut events: Vec<Event> = TABLE.iter().map(|l| access(l)).collect();
    let [_, _, _, update, _, deny, btg, reject, bsn] = &mut events[..] else {
        unreachable!("nine cases");
    };
    update.responsible_user = Some("emp-supervisor".into());
    deny.reason = Some("no rule allows arts to read Patient".into());
    (deny.rule, deny.status) = (Some("no rule matched".into()), Some(403));
    btg.purpose_of_use = Some("ETREAT".into());
    btg.emergency_justification = Some("Reanimatie op de SEH".into());
    (reject.user_id, reject.user_name, reject.roles) = (None, None, vec![]);
    (
        reject.organisation,
        reject.department,
        reject.purpose_of_use,
    ) = (None, None, None);
    (reject.policy_version, reject.rule, reject.status) = (None, None, Some(400));
    reject.raw_path = Some("/fhir/%2e%2e/Patient".into());
    reject.reason = Some("encoded dot segment in the path".into());
    bsn.patient_id_system = Some("bsn".into());
    bsn.organisation = Some("Ziekenhuis Oost".into());
    events
}

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
