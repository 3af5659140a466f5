//! Each review check against the planted log: exactly the planted positives, none of the
//! planted negatives (see `common.rs` for why each event is there).

use crate::common::{Fixture, args, cells, report, section};
use zegel_analyzer::report::section::Report;

async fn review(extra: &[&str]) -> Report {
    let f = Fixture::new().await;
    let mut a = args(&["review", "--lang", "en"]);
    a.extend(f.all_tables());
    a.extend(args(extra));
    report(&a).await
}

#[tokio::test]
async fn every_check_finds_exactly_the_planted_events() {
    let r = review(&[]).await;

    let s = section(&r, "review.emergency");
    assert_eq!(
        cells(s, &["user_id", "name", "patient_id", "justification"]),
        ["emp-sec-1|E. Visser|pat-c|Reanimatie op de SEH"]
    );
    assert_eq!(
        cells(s, &["reason"]),
        [
            "emp-sec-1 used the emergency procedure for patient pat-c; justification given: Reanimatie op de SEH."
        ]
    );

    let s = section(&r, "review.denied");
    assert_eq!(
        cells(
            s,
            &["user_id", "attempts", "denied", "would_deny", "patients"]
        ),
        ["emp-arts-3|3|2|1|3", "emp-sec-1|1|1|0|1"]
    );

    // Not: user relations (pat-a, pat-c on 01-07), the team relation up to its last day
    // (pat-b on 01-06), the oncologie team (pat-d, logged as oncologie), routine work.
    let s = section(&r, "review.care-relation");
    assert_eq!(
        cells(s, &["day", "user_id", "patient_id"]),
        [
            "2026-01-06|emp-sec-1|pat-c",
            "2026-01-07|emp-arts-1|pat-jansen",
            "2026-01-07|emp-arts-2|pat-b",
            "2026-01-07|emp-arts-2|pat-vries",
            "2026-01-08|emp-adm-1|pat-r3",
            "2026-01-08|emp-arts-3|pat-vip",
            "2026-01-09|emp-arts-3|pat-y",
        ]
    );

    // Not: emp-arts-3 "C. Bakker" was refused pat-c (surname Bakker): refused is not opened.
    let s = section(&r, "review.surname");
    assert_eq!(
        cells(s, &["user_id", "patient_id", "surname", "day"]),
        [
            "emp-arts-1|pat-jansen|jansen|2026-01-07",
            "emp-arts-2|pat-vries|de Vries|2026-01-07"
        ]
    );

    let s = section(&r, "review.vip");
    assert_eq!(
        cells(s, &["patient_id", "user_id", "decision", "records"]),
        ["pat-vip|emp-arts-3|allow|1", "pat-vip|emp-sec-1|deny|1"]
    );
    assert!(
        cells(s, &["reason"])[0].starts_with("Patient pat-vip is a VIP: emp-arts-3 (arts)"),
        "{:?}",
        s.rows
    );

    let s = section(&r, "review.department");
    assert_eq!(
        cells(
            s,
            &["user_id", "own_department", "department", "day", "patients"]
        ),
        ["emp-arts-4|cardiologie|oncologie|2026-01-06|1"]
    );

    // Role median 3, MAD 1: threshold 8; the secretary and the administrator have no peers.
    let s = section(&r, "review.volume-employee");
    assert_eq!(
        cells(
            s,
            &[
                "user_id",
                "role",
                "day",
                "patients",
                "peer_median",
                "peer_mad",
                "peers",
                "threshold"
            ]
        ),
        ["emp-arts-4|arts|2026-01-08|10|3|1|4|8"]
    );

    // pat-r2: 4 a day, 16 on Friday; pat-r1 (6 days, steady) and pat-r3 (3 days) are not.
    let s = section(&r, "review.volume-record");
    assert_eq!(
        cells(
            s,
            &[
                "patient_id",
                "day",
                "records",
                "users",
                "usual_median",
                "history_days",
                "threshold"
            ]
        ),
        ["pat-r2|2026-01-09|16|4|4|5|9"]
    );

    // 07:00 local (06:00 UTC) is inside office hours; 19:00 and Saturday are not.
    let s = section(&r, "review.off-hours");
    assert_eq!(
        cells(s, &["user_id", "day", "weekend", "records", "first_time"]),
        [
            "emp-arts-1|2026-01-06|false|1|2026-01-06 22:30:00",
            "emp-arts-3|2026-01-07|false|1|2026-01-07 19:00:00",
            "emp-arts-2|2026-01-10|true|1|2026-01-10 11:00:00",
        ]
    );

    let s = section(&r, "review.admin");
    assert_eq!(
        cells(s, &["user_id", "role", "day", "records", "patients"]),
        ["emp-adm-1|functioneel-beheerder|2026-01-08|1|1"]
    );
}

#[tokio::test]
async fn options_move_the_lines() {
    // Office hours 08-23: 22:30 is inside now, 07:00 is outside.
    let r = review(&[
        "--office-hours",
        "08-23",
        "--outlier-factor",
        "8",
        "--admin-roles",
        "secretaresse",
    ])
    .await;
    let s = section(&r, "review.off-hours");
    assert_eq!(
        cells(s, &["user_id", "day"]),
        ["emp-arts-3|2026-01-06", "emp-arts-2|2026-01-10"]
    );
    // Threshold 3 + 8 x 1 = 11: 10 patients is no longer an outlier.
    assert!(section(&r, "review.volume-employee").rows.is_empty());
    assert_eq!(
        cells(section(&r, "review.admin"), &["user_id", "day"]),
        ["emp-sec-1|2026-01-06", "emp-sec-1|2026-01-08"]
    );
    // The period: only Wednesday 2026-01-07.
    let r = review(&["--from", "2026-01-07", "--to", "2026-01-07"]).await;
    assert_eq!(
        cells(section(&r, "review.off-hours"), &["user_id"]),
        ["emp-arts-3"]
    );
    assert!(section(&r, "review.emergency").rows.is_empty());
}

#[tokio::test]
async fn checks_without_their_tables_are_skipped_and_say_so() {
    let f = Fixture::new().await;
    let r = report(&args(&["review", "--lang", "en", "--source", &f.url])).await;
    for (id, flags) in [
        ("review.care-relation", "--care-relations"),
        ("review.surname", "--staff, --patients"),
        ("review.vip", "--patients"),
        ("review.department", "--staff"),
    ] {
        let s = section(&r, id);
        assert!(!s.ran && s.rows.is_empty(), "{id}");
        assert_eq!(
            s.notes,
            [format!("Not run: this check needs {flags}.")],
            "{id}"
        );
    }
    // Without staff the role is the logged one: the same outlier is found.
    assert_eq!(
        cells(section(&r, "review.volume-employee"), &["user_id", "role"]),
        ["emp-arts-4|arts"]
    );
    // An empty check says so: evidence that it ran.
    let r = report(&args(&[
        "review",
        "--lang",
        "en",
        "--source",
        &f.url,
        "--from",
        "2026-01-05",
        "--to",
        "2026-01-05",
    ]))
    .await;
    let s = section(&r, "review.emergency");
    assert!(s.ran && s.rows.is_empty());
    assert_eq!(
        s.notes,
        ["The emergency procedure was not used in this period."]
    );
}
