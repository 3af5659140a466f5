//! `export csv` and `export parquet` on a generated log: as many rows as `query` counts
//! for the same period and filters, every column of `access`, and FHIR events for
//! exactly the access records.

use crate::common::{Generated, analyzer, csv_rows, fhir_events, query_value, stdout};

/// 2026-01-06 in Amsterdam, as UTC bounds for `query`.
const DAY: &str = "time >= '2026-01-05T23:00:00Z' AND time < '2026-01-06T23:00:00Z'";

fn count(g: &Generated, filter: &str) -> usize {
    let sql = format!("SELECT count(*) FROM access WHERE {DAY}{filter}");
    query_value(&g.url, &sql).parse().expect("a count")
}

fn export(g: &Generated, what: &str, out: &str, extra: &[&str]) {
    let mut args = vec!["export", what, "--source", &g.url, "--from", "2026-01-06"];
    args.extend(["--to", "2026-01-06", "--output", out]);
    args.extend(extra);
    stdout(&analyzer(&args));
}

#[test]
fn csv_and_parquet_rows_equal_the_query_count() {
    let g = Generated::new();
    let csv = g.path("day.csv");
    export(&g, "csv", &csv.display().to_string(), &[]);
    let expected = count(&g, "");
    assert!(expected > 1000, "a day of the generated log: {expected}");
    assert_eq!(csv_rows(&csv), expected);
    let header = std::fs::read_to_string(&csv).expect("csv");
    let header = header.lines().next().expect("header");
    assert!(header.starts_with("chain_id,seq,time,kind,") && header.ends_with(",detail,hash"));

    std::fs::create_dir(g.path("pq")).expect("mkdir");
    let parquet = g.path("pq/day.parquet").display().to_string();
    export(&g, "parquet", &parquet, &[]);
    let pq = g.path("pq").display().to_string();
    let back = query_value(&pq, "SELECT count(*) FROM access");
    assert_eq!(
        back,
        expected.to_string(),
        "the Parquet file reads back as a source"
    );

    let patient = query_value(
        &g.url,
        &format!("SELECT patient_id FROM access WHERE {DAY} AND patient_id IS NOT NULL LIMIT 1"),
    );
    let one = g.path("patient.csv");
    export(
        &g,
        "csv",
        &one.display().to_string(),
        &["--patient", &patient],
    );
    let filter = format!(" AND patient_id = '{patient}'");
    assert_eq!(csv_rows(&one), count(&g, &filter));
}

#[test]
fn fhir_has_one_event_per_access_record() {
    let g = Generated::new();
    let events = fhir_events(&g.url, &["--from", "2026-01-06", "--to", "2026-01-06"]);
    assert_eq!(events.len(), count(&g, " AND kind = 'access'"));
    let emergencies = events
        .iter()
        .filter(|e| e["type"]["code"] == "110113")
        .count();
    let expected = count(&g, " AND decision = 'emergency'");
    assert_eq!(emergencies, expected);
}
