//! The real binary, as a process: one report in each format, and clear usage errors with
//! exit status 2.

use crate::common::Fixture;
use crate::process::{analyzer, stdout};

fn usage_error(args: &[&str]) -> String {
    let o = analyzer(args);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty(), "{args:?}");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn every_format_from_the_binary() {
    let f = Fixture::new().await;
    let base = [
        "report",
        "record-access",
        "--source",
        &f.url,
        "--patient",
        "pat-c",
        "--lang",
        "en",
    ];
    let with = |fmt: &str| {
        let mut a = base.to_vec();
        a.extend(["--format", fmt]);
        stdout(&analyzer(&a.iter().map(|s| &**s).collect::<Vec<_>>()))
    };
    let table = with("table");
    assert!(
        table.starts_with("Access to one record\nSubject: patient pat-c\n"),
        "{table}"
    );
    assert!(
        table.contains("│ emp-sec-1  ┆ Token emp-sec-1  ┆ secretaresse"),
        "{table}"
    );
    let csv = with("csv");
    assert!(csv.starts_with("section,user_id,name,"), "{csv}");
    assert_eq!(
        csv.lines()
            .filter(|l| l.starts_with("record-access.records,"))
            .count(),
        4
    );
    let json: serde_json::Value = serde_json::from_str(&with("json")).expect("json");
    assert_eq!(json["subject"], "patient pat-c");
    let html = with("html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));

    let out = f.path.join("review.html");
    let o = analyzer(&[
        "report",
        "review",
        "--source",
        &f.url,
        "--format",
        "html",
        "-o",
        &out.display().to_string(),
    ]);
    assert!(stdout(&o).is_empty());
    assert!(
        std::fs::read_to_string(&out)
            .expect("file")
            .contains("Systematische logcontrole")
    );
}

#[tokio::test]
async fn bad_options_are_usage_errors() {
    let f = Fixture::new().await;
    let s = f.url.as_str();
    let err = usage_error(&["report", "daily", "--source", s, "--from", "2026-13-01"]);
    assert!(
        err.contains("\"2026-13-01\" is not a date YYYY-MM-DD"),
        "{err}"
    );
    let err = usage_error(&["report", "dayly", "--source", s]);
    assert!(
        err.contains("invalid value 'dayly'") && err.contains("daily"),
        "{err}"
    );
    let err = usage_error(&["report", "patient-access", "--source", s]);
    assert!(
        err.contains("error: report patient-access needs --patient ID"),
        "{err}"
    );
    let err = usage_error(&["report", "employee-access", "--source", s]);
    assert!(err.contains("needs --user ID"), "{err}");
    let err = usage_error(&[
        "report",
        "daily",
        "--source",
        s,
        "--from",
        "2026-02-01",
        "--to",
        "2026-01-01",
    ]);
    assert!(
        err.contains("--from 2026-02-01 is after --to 2026-01-01"),
        "{err}"
    );
    let err = usage_error(&["report", "review", "--source", s, "--office-hours", "19-07"]);
    assert!(err.contains("the start must be before the end"), "{err}");
    let err = usage_error(&[
        "report",
        "daily",
        "--source",
        s,
        "--timezone",
        "Mars/Olympus",
    ]);
    assert!(err.contains("not a time zone"), "{err}");
    let err = usage_error(&["report", "daily"]);
    assert!(err.contains("report needs --source"), "{err}");
}

/// A report reads only the directory tables its SQL uses: a CSV it does not use is not
/// read (and it says so), one it uses is, with its errors.
#[tokio::test]
async fn a_report_reads_only_the_directory_tables_it_uses() {
    let f = Fixture::new().await;
    let broken = f.path.join("broken-care.csv");
    std::fs::write(
        &broken,
        "patient_id,user_id,valid_from,valid_to\npat-c,emp-1,2026-13-01,\n",
    )
    .expect("write");
    let broken = broken.to_str().expect("utf-8");
    let (s, patient) = (f.url.as_str(), "pat-c");
    let args = [
        "report",
        "patient-access",
        "--source",
        s,
        "--patient",
        patient,
    ];
    let o = analyzer(&[&args[..], &["--care-relations", broken]].concat());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("note: patient-access does not use the table care_relations; --care-relations is not read"),
        "{err}"
    );
    let err = usage_error(&[
        "report",
        "review",
        "--source",
        s,
        "--care-relations",
        broken,
    ]);
    assert!(
        err.contains("broken-care.csv: line 2, column valid_from: \"2026-13-01\" is not a date"),
        "{err}"
    );
}

#[test]
fn format_sql_needs_no_source() {
    let o = analyzer(&["report", "daily", "--format", "sql"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(doc["sections"][0]["id"], "daily.days", "{doc}");
}

#[tokio::test]
async fn format_sql_lists_each_sections_sql_and_its_parameters() {
    let f = Fixture::new().await;
    let tables = f.all_tables();
    let mut args = vec![
        "report",
        "review",
        "--from",
        "2026-01-05",
        "--to",
        "2026-01-09",
    ];
    args.extend(tables.iter().map(|s| s.as_str()));
    let with = |fmt: &str| {
        let mut a = args.clone();
        a.extend(["--format", fmt]);
        let text = stdout(&analyzer(&a));
        serde_json::from_str::<serde_json::Value>(&text).expect("json")
    };
    let (sql, report) = (with("sql"), with("json"));
    let ids = |doc: &serde_json::Value| -> Vec<String> {
        let sections = doc["sections"].as_array().expect("sections");
        sections
            .iter()
            .map(|s| s["id"].as_str().expect("id").to_owned())
            .collect()
    };
    assert_eq!(
        ids(&sql),
        ids(&report),
        "the same sections, in the same order"
    );
    for s in sql["sections"].as_array().expect("sections") {
        assert!(
            s["sql"].as_str().expect("sql").contains("FROM period"),
            "{s}"
        );
    }
    let care = &sql["sections"].as_array().expect("sections")[2];
    assert_eq!(
        care["needs"],
        serde_json::json!(["care_relations"]),
        "{care}"
    );
    // 2026-01-05 00:00 CET is 2026-01-04 23:00 UTC; --to is inclusive.
    assert_eq!(sql["params"]["from"]["value"], 1_767_567_600_000_000_i64);
    assert_eq!(sql["params"]["to"]["value"], 1_767_999_600_000_000_i64);
    assert_eq!(sql["params"]["outlier_factor"]["value"], 5.0);
    assert_eq!(sql["timezone"], "Europe/Amsterdam");
    assert!(
        sql["period_view"]
            .as_str()
            .expect("view")
            .contains("Europe/Amsterdam")
    );

    let msg = usage_error(&[
        "report",
        "compliance",
        "--source",
        &f.url,
        "--format",
        "sql",
    ]);
    assert!(msg.contains("compliance pack is assembled"), "{msg}");
}
