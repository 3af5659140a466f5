//! The views NEN 7513 ch. 9 asks for: per patient (the patient's own overview), per
//! employee, per day, per record; and adoption.

use crate::common::{Fixture, args, cells, report, section};

#[tokio::test]
async fn patient_view_shows_roles_not_employees_and_merges_a_day() {
    let f = Fixture::new().await;
    let r = report(&args(&[
        "patient-access",
        "--source",
        &f.url,
        "--patient",
        "pat-c",
    ]))
    .await;
    assert_eq!(r.title, "Wie heeft uw dossier ingezien", "Dutch by default");
    let s = section(&r, "patient-access.accesses");
    assert_eq!(
        cells(
            s,
            &[
                "time",
                "role",
                "department",
                "action",
                "emergency",
                "justification",
                "times"
            ]
        ),
        [
            "2026-01-06 10:00|secretaresse|cardiologie|ingezien|ja|Reanimatie op de SEH|1",
            "2026-01-07 11:00 – 11:05|arts|cardiologie|ingezien|nee||2",
        ]
    );
    let d = section(&r, "patient-access.denied");
    assert_eq!(cells(d, &["time", "role"]), ["2026-01-08 11:00:00|arts"]);
    for s in &r.sections {
        for c in ["user_id", "user_name", "responsible_user"] {
            assert!(s.column(c).is_none(), "{}: {c} shown", s.id);
        }
        let all = format!("{:?}", s.rows);
        assert!(
            !all.contains("emp-"),
            "{}: an employee id leaked: {all}",
            s.id
        );
    }

    let r = report(&args(&[
        "patient-access",
        "--source",
        &f.url,
        "--patient",
        "pat-c",
        "--show-employees",
        "--lang",
        "en",
    ]))
    .await;
    assert_eq!(r.title, "Who accessed your record");
    let s = section(&r, "patient-access.accesses");
    assert_eq!(
        cells(s, &["user_id", "user_name", "action", "emergency"]),
        [
            "emp-sec-1|Token emp-sec-1|read|yes",
            "emp-arts-2|Token emp-arts-2|read|no"
        ]
    );
    assert_eq!(
        cells(section(&r, "patient-access.denied"), &["user_id"]),
        ["emp-arts-3"]
    );
}

#[tokio::test]
async fn employee_view_counts_per_day() {
    let f = Fixture::new().await;
    let r = report(&args(&[
        "employee-access",
        "--source",
        &f.url,
        "--user",
        "emp-arts-3",
    ]))
    .await;
    assert_eq!(
        cells(
            section(&r, "employee-access.days"),
            &["day", "records", "patients", "denied", "emergencies"]
        ),
        [
            "2026-01-05|3|3|1|0",
            "2026-01-06|3|3|0|0",
            "2026-01-07|3|3|0|0",
            "2026-01-08|4|4|1|0",
            "2026-01-09|3|3|1|0",
        ]
    );
    let p = section(&r, "employee-access.patients");
    assert_eq!(
        p.rows.len(),
        7,
        "r1 r2 r3 x c vip y: {:?}",
        cells(p, &["patient_id"])
    );
    let recs = section(&r, "employee-access.records");
    assert_eq!(recs.rows.len(), 16);
    assert_eq!(
        cells(recs, &["time", "patient_id", "decision"])[0],
        "2026-01-05 09:02:00|pat-r1|allow"
    );
}

#[tokio::test]
async fn daily_overview_counts_opened_refused_and_bytes() {
    let f = Fixture::new().await;
    let mut a = args(&["daily", "--from", "2026-01-06", "--to", "2026-01-06"]);
    a.extend(f.all_tables());
    let r = report(&a).await;
    let s = section(&r, "daily.days");
    assert_eq!(
        cells(
            s,
            &[
                "day",
                "user_id",
                "name",
                "records",
                "patients",
                "denied",
                "emergencies",
                "bytes_sent"
            ]
        ),
        [
            "2026-01-06|emp-arts-1|Jansen, A.|3|3|0|0|3000",
            "2026-01-06|emp-arts-2|B. de Vries|3|3|0|0|3000",
            "2026-01-06|emp-arts-3|C. Bakker|3|3|0|0|3000",
            "2026-01-06|emp-arts-4|D. Smit|3|3|0|0|3000",
            "2026-01-06|emp-sec-1|E. Visser|1|1|0|1|1000",
        ]
    );
    let r = report(&args(&[
        "daily",
        "--source",
        &f.url,
        "--from",
        "2026-01-08",
        "--to",
        "2026-01-08",
    ]))
    .await;
    let s = section(&r, "daily.days");
    let sec = cells(s, &["user_id", "records", "denied", "bytes_sent"]);
    assert!(sec.contains(&"emp-sec-1|0|1|0".to_owned()), "{sec:?}");
}

#[tokio::test]
async fn record_view_names_every_employee() {
    let f = Fixture::new().await;
    let mut a = args(&["record-access", "--patient", "pat-c", "--lang", "en"]);
    a.extend(f.all_tables());
    let r = report(&a).await;
    assert_eq!(
        cells(
            section(&r, "record-access.users"),
            &[
                "user_id",
                "name",
                "role",
                "records",
                "denied",
                "emergencies"
            ]
        ),
        [
            "emp-sec-1|E. Visser|secretaresse|1|0|1",
            "emp-arts-2|B. de Vries|arts|2|0|0",
            "emp-arts-3|C. Bakker|arts|1|1|0"
        ]
    );
    assert_eq!(
        cells(
            section(&r, "record-access.records"),
            &["time", "user_id", "decision"]
        ),
        [
            "2026-01-06 10:00:00|emp-sec-1|emergency",
            "2026-01-07 11:00:00|emp-arts-2|allow",
            "2026-01-07 11:05:00|emp-arts-2|allow",
            "2026-01-08 11:00:00|emp-arts-3|deny",
        ]
    );
}

#[tokio::test]
async fn adoption_counts_new_and_returning_users() {
    let f = Fixture::new().await;
    let mut a = args(&["adoption", "--by", "week"]);
    a.extend(f.all_tables());
    let r = report(&a).await;
    let s = section(&r, "adoption.usage");
    // Week of 01-05: 6 users (4 doctors, secretary, admin). Saturday 01-10 is the same week.
    assert_eq!(
        cells(
            s,
            &[
                "period_start",
                "application",
                "active_users",
                "new_users",
                "returning_users"
            ]
        ),
        ["2026-01-05|ecd|6|6|0"]
    );
    assert_eq!(s.charts.len(), 2);
    let roles = section(&r, "adoption.roles");
    assert!(
        cells(
            roles,
            &[
                "role",
                "department",
                "active_users",
                "staff_in_role",
                "share_of_staff"
            ]
        )
        .contains(&"arts|cardiologie|4|4|100".to_owned()),
        "{:?}",
        cells(
            roles,
            &[
                "role",
                "department",
                "active_users",
                "staff_in_role",
                "share_of_staff"
            ]
        )
    );
}
