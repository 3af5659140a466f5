//! A report about one patient or user reads that subject's rows once and runs its
//! sections over them (`analyzer/src/report/subject.rs`): every section must come out
//! as when each section reads the sources itself, from a database and from Parquet.

use crate::common::{Fixture, args, report_within};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use std::process::Command;
use zegel_analyzer::report::subject::CAP;

/// Whether `period` is the in-memory table of a subject's rows.
async fn held(ctx: &SessionContext) -> bool {
    let period = ctx.table_provider("period").await.expect("period");
    let period: &dyn std::any::Any = period.as_ref();
    period.downcast_ref::<MemTable>().is_some()
}

/// Each subject report over `source`, narrowed and not: the same sections.
async fn same_either_way(f: &Fixture, source: &str) {
    let staff = f.staff.display().to_string();
    let reports: [&[&str]; 6] = [
        &["patient-access", "--patient", "pat-c", "--show-employees"],
        &["record-access", "--patient", "pat-c", "--staff", &staff],
        &["record-access", "--patient", "pat-vip", "--staff", &staff],
        &["employee-access", "--user", "emp-arts-2", "--lang", "en"],
        &["employee-access", "--user", "emp-arts-3", "--lang", "en"],
        &["employee-access", "--user", "nobody", "--lang", "en"],
    ];
    let mut rows = 0;
    for r in reports {
        let mut a = args(r);
        a.extend(args(&["--source", source]));
        let (narrowed, ctx) = report_within(&a, CAP).await;
        assert!(held(&ctx).await, "{r:?}: period is not held in memory");
        let (plain, ctx) = report_within(&a, 0).await;
        assert!(!held(&ctx).await, "{r:?}: cap 0 still narrowed");
        assert_eq!(narrowed.sections.len(), plain.sections.len());
        for (n, p) in narrowed.sections.iter().zip(&plain.sections) {
            assert_eq!(n.id, p.id);
            assert_eq!(n.columns, p.columns, "{r:?} {}", n.id);
            assert_eq!(n.rows, p.rows, "{r:?} {}", n.id);
            assert_eq!(n.notes, p.notes, "{r:?} {}", n.id);
            rows += n.rows.len();
        }
    }
    assert!(
        rows > 10,
        "the reports found too little to compare: {rows} rows"
    );
}

#[tokio::test]
async fn a_subject_read_once_gives_the_sections_the_sources_give() {
    let f = Fixture::new().await;
    same_either_way(&f, &f.url).await;

    // The same log as Parquet: text read as views into whole pages, kept compact.
    let dir = f.path.join("parquet");
    std::fs::create_dir(&dir).expect("mkdir");
    let out = Command::new(env!("CARGO_BIN_EXE_zegel-analyzer"))
        .args(["export", "parquet", "--source", &f.url, "--output"])
        .arg(dir.join("all.parquet"))
        .output()
        .expect("run export");
    assert!(out.status.success(), "{out:?}");
    same_either_way(&f, &dir.display().to_string()).await;
}

#[tokio::test]
async fn a_subject_over_the_cap_is_read_by_each_section() {
    let f = Fixture::new().await;
    let a = args(&[
        "employee-access",
        "--user",
        "emp-arts-3",
        "--source",
        &f.url,
    ]);
    let (whole, _) = report_within(&a, CAP).await;
    let (over, ctx) = report_within(&a, 1).await;
    assert!(!held(&ctx).await, "rows over the cap were held");
    let rows = |r: &zegel_analyzer::report::section::Report| {
        r.sections
            .iter()
            .map(|s| s.rows.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(rows(&whole), rows(&over));
    assert!(rows(&whole).iter().any(|r| !r.is_empty()));
}
