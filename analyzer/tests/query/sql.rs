//! Counts, group-bys, the roles list and time filters against what the writer wrote.

use crate::common::{SEED, count, lines, rows, session, sqlite_log};
use std::collections::BTreeMap;
use zegel_analyzer::generate::access_event;
use zegel_audit::Decision;

const N: u64 = 3000;

/// The access events the log holds, from the generator itself.
fn written() -> Vec<zegel_audit::Event> {
    (0..N).map(|i| access_event(SEED, i)).collect()
}

#[tokio::test]
async fn counts_and_group_bys_match_what_was_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", N).await;
    let ctx = session(&[&url]).await;
    let n = N as i64;
    assert_eq!(count(&ctx, "SELECT count(*) FROM access").await, 2 * n);
    assert_eq!(count(&ctx, "SELECT max(seq) FROM access").await, 2 * n);
    let kinds = rows(
        &ctx,
        "SELECT kind, count(*) FROM access GROUP BY kind ORDER BY kind",
    )
    .await;
    assert_eq!(
        lines(&kinds),
        [format!("access|{n}"), format!("outcome|{n}")]
    );

    let mut by_dept: BTreeMap<String, u64> = BTreeMap::new();
    for e in written() {
        *by_dept
            .entry(e.department.expect("department"))
            .or_default() += 1;
    }
    let want: Vec<String> = by_dept.iter().map(|(d, c)| format!("{d}|{c}")).collect();
    let got = rows(
        &ctx,
        "SELECT department, count(*) FROM access WHERE kind = 'access' \
         GROUP BY department ORDER BY department",
    )
    .await;
    assert_eq!(lines(&got), want);

    let denied = written()
        .iter()
        .filter(|e| e.decision == Some(Decision::Deny))
        .count();
    let sql = "SELECT count(*) FROM access WHERE decision = 'deny'";
    assert_eq!(count(&ctx, sql).await, denied as i64);
    // Every outcome links to an access record of the same request.
    let sql = "SELECT count(*) FROM access o JOIN access a ON o.links_seq = a.seq \
               WHERE o.kind = 'outcome' AND a.request_id = o.request_id";
    assert_eq!(count(&ctx, sql).await, n);
}

#[tokio::test]
async fn roles_list_is_queryable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", N).await;
    let ctx = session(&[&url]).await;
    let arts = written()
        .iter()
        .filter(|e| e.roles.iter().any(|r| r == "arts"))
        .count();
    let sql = "SELECT count(*) FROM access WHERE array_has(roles, 'arts')";
    assert_eq!(count(&ctx, sql).await, arts as i64);
    let sql = "SELECT count(*) FROM access WHERE kind = 'outcome' AND cardinality(roles) = 0";
    assert_eq!(count(&ctx, sql).await, N as i64);
    let sql = "SELECT count(DISTINCT r) FROM (SELECT unnest(roles) AS r FROM access)";
    assert_eq!(count(&ctx, sql).await, 4);
}

#[tokio::test]
async fn time_filters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", N).await;
    let ctx = session(&[&url]).await;
    // 2026-01-06 00:00 UTC: the generator starts on Monday 2026-01-05 at 07:00.
    let cut_us = 1_767_657_600_000_000i64;
    let before = written().iter().filter(|e| e.time_us < cut_us).count();
    let sql = "SELECT count(*) FROM access \
               WHERE kind = 'access' AND time < TIMESTAMP '2026-01-06T00:00:00Z'";
    assert_eq!(count(&ctx, sql).await, before as i64);
    let sql = "SELECT count(*) FROM access WHERE kind = 'access' AND time >= '2026-01-06'";
    assert_eq!(count(&ctx, sql).await, (N as usize - before) as i64);
    let first = rows(&ctx, "SELECT min(time) FROM access").await;
    assert_eq!(first[0][0], "2026-01-05T07:00:00Z");
    let per_day = rows(
        &ctx,
        "SELECT date_trunc('day', time) AS d, count(*) FROM access WHERE kind = 'access' \
         GROUP BY d ORDER BY d",
    )
    .await;
    assert_eq!(per_day[0][1], before.to_string());
}

#[tokio::test]
async fn chain_filter_and_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 500).await;
    let ctx = session(&[&url]).await;
    assert_eq!(
        count(&ctx, "SELECT count(*) FROM access WHERE chain_id = 'c1'").await,
        1000
    );
    assert_eq!(
        count(&ctx, "SELECT count(*) FROM access WHERE chain_id = 'nope'").await,
        0
    );
    let r = rows(&ctx, "SELECT seq FROM access ORDER BY seq LIMIT 3").await;
    assert_eq!(lines(&r), ["1", "2", "3"]);
    let r = rows(&ctx, "SELECT hash FROM access WHERE seq = 1").await;
    assert_eq!(r[0][0].len(), 64, "hash shown as hex");
}

/// `local_day` and `local_wall_time` (zegel's, fast) give what DataFusion's own
/// conversions give, over the log and every minute around this year's clock changes.
#[tokio::test]
async fn local_day_and_wall_time_agree_with_datafusion() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_log(dir.path(), "c1", 500).await;
    let ctx = session(&[&url]).await;
    for tz in ["Europe/Amsterdam", "America/St_Johns", "Asia/Kathmandu"] {
        let zoned = format!("arrow_cast(t, 'Timestamp(Microsecond, Some(\"{tz}\"))')");
        let differ = format!(
            "SELECT count(*) FROM {{rows}} \
             WHERE local_day(t, '{tz}') <> CAST({zoned} AS DATE) \
                OR date_part('hour', local_wall_time(t, '{tz}')) <> date_part('hour', {zoned}) \
                OR date_part('minute', local_wall_time(t, '{tz}')) <> date_part('minute', {zoned})"
        );
        let log = "(SELECT time AS t FROM access)";
        assert_eq!(count(&ctx, &differ.replace("{rows}", log)).await, 0, "{tz}");
        for (from, to) in [
            ("2026-03-28T00:00:00", "2026-03-30T00:00:00"),
            ("2026-10-24T00:00:00", "2026-10-26T00:00:00"),
        ] {
            let minutes = format!(
                "(SELECT arrow_cast(m, 'Timestamp(Microsecond, Some(\"UTC\"))') AS t FROM \
                 (SELECT unnest(range(TIMESTAMP '{from}', TIMESTAMP '{to}', INTERVAL '1 minute')) AS m))"
            );
            let sql = differ.replace("{rows}", &minutes);
            assert_eq!(count(&ctx, &sql).await, 0, "{tz} {from}");
            let all = format!("SELECT count(*) FROM {minutes}");
            assert_eq!(
                count(&ctx, &all).await,
                48 * 60,
                "the series has every minute"
            );
        }
    }
    let bad = ctx
        .sql("SELECT local_day(time, 'Europe/Amsterdm') FROM access")
        .await
        .expect("plans");
    let e = bad.collect().await.expect_err("an unknown zone fails");
    assert!(e.to_string().contains("is not a time zone name"), "{e}");
}
