//! Every report over the planted log in PostgreSQL gives exactly what it gives over the
//! same log in SQLite: the sources differ only in how rows are read.

use super::common::{Fixture, args, planted, report, write_log_at};
use super::pg::pg_schema;
use zegel_analyzer::report::section::{Report, text};

/// Each section as its id, columns and rows in text, for comparing two reports.
fn rendered(r: &Report) -> Vec<(String, Vec<String>, Vec<String>)> {
    (r.sections.iter())
        .map(|s| {
            let rows = (s.rows.iter())
                .map(|row| row.iter().map(text).collect::<Vec<_>>().join("|"))
                .collect();
            (format!("{}:{}", s.id, s.ran), s.columns.clone(), rows)
        })
        .collect()
}

#[tokio::test]
async fn every_report_reads_the_same_from_postgresql_as_from_sqlite() {
    let Some(schema) = pg_schema("reports").await else {
        return;
    };
    write_log_at(&schema.url, &planted()).await;
    let fx = Fixture::new().await;
    let mut on_pg = fx.all_tables();
    on_pg[1] = schema.url.clone();
    let cases: [&[&str]; 7] = [
        &["patient-access", "--patient", "pat-b"],
        &["patient-access", "--patient", "pat-a", "--show-employees"],
        &["employee-access", "--user", "emp-arts-2"],
        &["daily"],
        &["record-access", "--patient", "pat-r2"],
        &["review"],
        &["adoption", "--by", "week"],
    ];
    for case in cases {
        let sqlite = report(&[args(case), fx.all_tables()].concat()).await;
        let pg = report(&[args(case), on_pg.clone()].concat()).await;
        let (a, b) = (rendered(&sqlite), rendered(&pg));
        assert!(
            a.iter().any(|(_, _, rows)| !rows.is_empty()),
            "{case:?}: the SQLite report has no rows at all; the comparison would prove nothing"
        );
        assert_eq!(a, b, "{case:?}: PostgreSQL differs from SQLite");
    }
}
