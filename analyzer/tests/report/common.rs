//! The planted log: one week (Mon 2026-01-05 .. Sat 2026-01-10, CET = UTC+1) of a
//! cardiology department, written with the real writer into SQLite, plus the directory
//! CSVs. Routine work: four doctors open pat-r1 and pat-r2 every weekday morning. Each
//! event below exists for one check; the comments say which and what it must (not) flag.

use clap::Parser;
use datafusion::prelude::SessionContext;
use std::path::{Path, PathBuf};
use zegel_analyzer::cli::{Cli, Command};
use zegel_analyzer::report::{self, section::Report, section::Section};
use zegel_audit::store::{Store, StoreOptions};
use zegel_audit::writer::{Writer, WriterConfig};
use zegel_audit::{Action, Decision, Event, EventKind, keys};

/// UTC microseconds of local (CET) time on a day of January 2026.
pub fn at(day: u32, hour: u32, minute: u32) -> i64 {
    let local = chrono::NaiveDate::from_ymd_opt(2026, 1, day)
        .and_then(|d| d.and_hms_opt(hour, minute, 0))
        .expect("valid time");
    (local.and_utc().timestamp() - 3600) * 1_000_000
}

/// What one planted access is.
pub struct Access {
    pub user: &'static str,
    pub role: &'static str,
    pub department: &'static str,
    pub patient: &'static str,
    pub decision: Decision,
    pub time_us: i64,
    pub justification: Option<&'static str>,
}

fn doctor(user: &'static str, patient: &'static str, time_us: i64) -> Access {
    Access {
        user,
        role: "arts",
        department: "cardiologie",
        patient,
        decision: Decision::Allow,
        time_us,
        justification: None,
    }
}

fn with(a: Access, f: impl FnOnce(&mut Access)) -> Access {
    let mut a = a;
    f(&mut a);
    a
}

/// Every access of the planted log, in time order of writing.
pub fn planted() -> Vec<Access> {
    let doctors = ["emp-arts-1", "emp-arts-2", "emp-arts-3", "emp-arts-4"];
    let mut v = Vec::new();
    for day in 5..=9 {
        for (i, d) in doctors.iter().enumerate() {
            v.push(doctor(d, "pat-r1", at(day, 9, i as u32)));
            v.push(doctor(d, "pat-r2", at(day, 10, i as u32)));
        }
    }
    // volume-record: pat-r2 opened 16 times on Friday, 4 on other days.
    for m in 10..22 {
        v.push(doctor("emp-arts-1", "pat-r2", at(9, 10, m)));
    }
    let deny = |a: Access| with(a, |a| a.decision = Decision::Deny);
    v.extend([
        // care relation by user: not flagged; P2 is off-hours.
        doctor("emp-arts-1", "pat-a", at(5, 11, 0)),
        doctor("emp-arts-1", "pat-a", at(6, 22, 30)),
        // team relation (cardiologie) until 01-06 inclusive: flagged on 01-07 only.
        doctor("emp-arts-2", "pat-b", at(6, 11, 0)),
        doctor("emp-arts-2", "pat-b", at(7, 11, 0)),
        // user relation on 01-07 only: not flagged; merged into one patient-view line.
        doctor("emp-arts-2", "pat-c", at(7, 11, 0)),
        doctor("emp-arts-2", "pat-c", at(7, 11, 5)),
        // break-the-glass without a relation.
        Access {
            user: "emp-sec-1",
            role: "secretaresse",
            department: "cardiologie",
            patient: "pat-c",
            decision: Decision::Emergency,
            time_us: at(6, 10, 0),
            justification: Some("Reanimatie op de SEH"),
        },
        // denied per user: emp-arts-3 2 deny + 1 would-deny for 3 patients.
        deny(doctor("emp-arts-3", "pat-x", at(5, 11, 0))),
        deny(doctor("emp-arts-3", "pat-c", at(8, 11, 0))),
        with(doctor("emp-arts-3", "pat-y", at(9, 11, 0)), |a| {
            a.decision = Decision::WouldDeny
        }),
        // same surname ("Jansen, A." / "jansen", "B. de Vries" / "de Vries").
        doctor("emp-arts-1", "pat-jansen", at(7, 12, 0)),
        doctor("emp-arts-2", "pat-vries", at(7, 12, 0)),
        // VIP: an allowed access and a denied attempt.
        doctor("emp-arts-3", "pat-vip", at(8, 12, 0)),
        deny(Access {
            user: "emp-sec-1",
            role: "secretaresse",
            department: "cardiologie",
            patient: "pat-vip",
            decision: Decision::Deny,
            time_us: at(8, 12, 30),
            justification: None,
        }),
        // outside own department, explained by the oncologie team's relation.
        with(doctor("emp-arts-4", "pat-d", at(6, 11, 0)), |a| {
            a.department = "oncologie"
        }),
        // weekend and 19:00 are off-hours; 07:00 local (06:00 UTC) is not.
        doctor("emp-arts-2", "pat-r1", at(10, 11, 0)),
        doctor("emp-arts-3", "pat-r3", at(6, 7, 0)),
        doctor("emp-arts-3", "pat-r3", at(7, 19, 0)),
        // an administrator opens a record.
        Access {
            user: "emp-adm-1",
            role: "functioneel-beheerder",
            department: "ict",
            patient: "pat-r3",
            decision: Decision::Allow,
            time_us: at(8, 10, 0),
            justification: None,
        },
    ]);
    // volume-employee: 10 distinct patients in a day against a role median of 3.
    for (i, p) in [
        "pat-o1", "pat-o2", "pat-o3", "pat-o4", "pat-o5", "pat-o6", "pat-o7", "pat-o8",
    ]
    .iter()
    .enumerate()
    {
        v.push(doctor("emp-arts-4", p, at(8, 13, i as u32)));
    }
    v
}

fn event(a: &Access) -> Event {
    let mut e = Event::new(EventKind::Access, a.time_us);
    e.request_id = Some(format!("req-{}-{}", a.user, a.time_us));
    e.user_id = Some(a.user.into());
    e.user_name = Some(format!("Token {}", a.user));
    e.roles = vec![a.role.into()];
    e.organisation = Some("ura:90000123".into());
    e.department = Some(a.department.into());
    e.purpose_of_use = Some(
        if a.justification.is_some() {
            "ETREAT"
        } else {
            "TREAT"
        }
        .into(),
    );
    e.application = Some("ecd".into());
    e.method = Some("GET".into());
    e.path = Some(format!("/fhir/Patient/{}", a.patient));
    e.interaction = Some("read".into());
    e.action = Some(Action::R);
    e.resource_type = Some("Patient".into());
    e.patient_id = Some(a.patient.into());
    e.patient_id_system = Some("local".into());
    e.decision = Some(a.decision);
    e.emergency_justification = a.justification.map(Into::into);
    e
}

fn outcome(a: &Event, seq: u64) -> Event {
    let mut o = Event::new(EventKind::Outcome, a.time_us + 5_000);
    o.request_id = a.request_id.clone();
    let denied = a.decision == Some(Decision::Deny);
    o.status = Some(if denied { 403 } else { 200 });
    o.bytes = Some(if denied { 100 } else { 1000 });
    o.links_seq = Some(seq as i64);
    o
}

/// Writes `accesses`, each followed by its outcome, as chain `c1` of a SQLite log in
/// `dir`; returns the source URL.
pub async fn write_log(dir: &Path, accesses: &[Access]) -> String {
    let url = format!("sqlite:{}", dir.join("log.db").display());
    write_log_at(&url, accesses).await;
    url
}

/// Writes `accesses`, each followed by its outcome, as chain `c1` of the log at `url`.
pub async fn write_log_at(url: &str, accesses: &[Access]) {
    let store = Store::open(url, &StoreOptions::default())
        .await
        .expect("open");
    let key = keys::generate().expect("key");
    let (writer, task) = Writer::start(store, key, WriterConfig::new("c1"))
        .await
        .expect("writer");
    for a in accesses {
        let e = event(a);
        let seq = writer.submit(e.clone()).await.expect("submit").seq;
        writer.submit(outcome(&e, seq)).await.expect("outcome");
    }
    drop(writer);
    task.shutdown().await.expect("shutdown");
}

/// The planted log and its directory CSVs.
pub struct Fixture {
    _dir: tempfile::TempDir,
    pub url: String,
    pub staff: PathBuf,
    pub patients: PathBuf,
    pub care: PathBuf,
    pub path: PathBuf,
}

impl Fixture {
    pub async fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = write_log(dir.path(), &planted()).await;
        let file = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).expect("write csv");
            p
        };
        let staff = file(
            "staff.csv",
            "user_id,name,department,role\n\
            emp-arts-1,\"Jansen, A.\",cardiologie,arts\n\
            emp-arts-2,B. de Vries,cardiologie,arts\n\
            emp-arts-3,C. Bakker,cardiologie,arts\n\
            emp-arts-4,D. Smit,cardiologie,arts\n\
            emp-sec-1,E. Visser,cardiologie,secretaresse\n\
            emp-adm-1,F. Mulder,ict,functioneel-beheerder\n",
        );
        let patients = file(
            "patients.csv",
            "patient_id,surname,vip\n\
            pat-jansen,jansen,nee\npat-vries,de Vries,\npat-vip,Koning,ja\n\
            pat-a,Peters,\npat-c,Bakker,\n",
        );
        let mut care = String::from(
            "patient_id,user_id,valid_from,valid_to\n\
            pat-a,emp-arts-1,2026-01-01,\n\
            pat-b,cardiologie,2026-01-01,2026-01-06\n\
            pat-c,emp-arts-2,2026-01-07,2026-01-07\n\
            pat-d,oncologie,2025-12-01,\n",
        );
        for p in [
            "pat-r1", "pat-r2", "pat-r3", "pat-o1", "pat-o2", "pat-o3", "pat-o4", "pat-o5",
            "pat-o6", "pat-o7", "pat-o8",
        ] {
            care.push_str(&format!("{p},cardiologie,2026-01-01,\n"));
        }
        let care = file("care.csv", &care);
        let path = dir.path().to_path_buf();
        Fixture {
            _dir: dir,
            url,
            staff,
            patients,
            care,
            path,
        }
    }

    /// `--source URL --staff .. --patients .. --care-relations ..`.
    pub fn all_tables(&self) -> Vec<String> {
        let mut v = vec!["--source".to_owned(), self.url.clone()];
        for (flag, p) in [
            ("--staff", &self.staff),
            ("--patients", &self.patients),
            ("--care-relations", &self.care),
        ] {
            v.push(flag.into());
            v.push(p.display().to_string());
        }
        v
    }
}

/// Parses `report ARGS...` as the binary does and builds the report in-process.
pub async fn report(args: &[String]) -> Report {
    report_within(args, report::subject::CAP).await.0
}

/// [`report`] holding at most `cap` bytes of a subject's rows (0: none), with the
/// session it ran in.
pub async fn report_within(args: &[String], cap: usize) -> (Report, SessionContext) {
    let mut argv = vec!["zegel-analyzer".to_owned(), "report".to_owned()];
    argv.extend(args.iter().cloned());
    let cli = Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    let Command::Report(a) = cli.command else {
        panic!("not a report")
    };
    let opts = report::Options::from_args(&a).expect("options");
    let tables = zegel_analyzer::session::Tables {
        sources: a.sources.clone(),
        staff: a.staff.clone(),
        patients: a.patients.clone(),
        care_relations: a.care_relations.clone(),
        memory: a.memory.memory(),
    };
    let ctx = report::context(&tables, &opts.period)
        .await
        .expect("context");
    let r = report::build_within(&ctx, &opts, &a.sources, cap)
        .await
        .expect("report");
    (r, ctx)
}

/// Strings to `Vec<String>`.
pub fn args(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The section with `id`.
pub fn section<'a>(r: &'a Report, id: &str) -> &'a Section {
    r.sections
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no section {id}"))
}

/// The named columns of every row, as `a|b|c`.
pub fn cells(s: &Section, columns: &[&str]) -> Vec<String> {
    let idx: Vec<usize> = (columns.iter())
        .map(|c| {
            s.column(c)
                .unwrap_or_else(|| panic!("{}: no column {c} in {:?}", s.id, s.columns))
        })
        .collect();
    (s.rows.iter())
        .map(|r| {
            idx.iter()
                .map(|&i| report::section::text(&r[i]))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}
