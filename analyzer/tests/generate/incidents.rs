//! Every planted incident is in the log exactly as `incidents.json` says, and each of the
//! officer's checks, run as SQL over the log and the directory tables, finds exactly the
//! planted records of its kind: nothing missing, nothing from the background traffic.

use crate::common::{Log, log, rows, set};
use serde_json::Value;
use zegel_audit::store::rows::Row;
use zegel_audit::store::{Store, StoreOptions};

/// `chain|seq` of every planted access for which `keep(incident, access)` holds.
fn planted(truth: &Value, keep: impl Fn(&Value, &Value) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for inc in truth["incidents"].as_array().expect("incidents") {
        for a in inc["accesses"].as_array().expect("accesses") {
            if keep(inc, a) {
                out.push(format!(
                    "{}|{}",
                    a["chain_id"].as_str().expect("chain"),
                    a["seq"]
                ));
            }
        }
    }
    out.sort();
    out
}

fn kind(k: &'static str) -> impl Fn(&Value, &Value) -> bool {
    move |inc, _| inc["kind"] == k
}

fn time(us: i64) -> String {
    let t = chrono::DateTime::from_timestamp_micros(us).expect("time");
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Each access of the ground truth is the record at its chain and seq.
async fn records_match(log: &Log, truth: &Value) {
    let store = Store::open(&log.url, &StoreOptions::default())
        .await
        .expect("open");
    for inc in truth["incidents"].as_array().expect("incidents") {
        for a in inc["accesses"].as_array().expect("accesses") {
            let (chain, seq) = (
                a["chain_id"].as_str().expect("chain"),
                a["seq"].as_u64().expect("seq"),
            );
            let page = store.read_page(chain, seq, 1).await.expect("read");
            let Some(Row::Record(r)) = page.first() else {
                panic!("{chain} {seq}: no record")
            };
            let e = &r.event;
            assert_eq!(r.seq, seq);
            assert_eq!(e.kind.as_str(), "access", "{inc}");
            assert_eq!(e.user_id.as_deref(), inc["user_id"].as_str(), "{inc}");
            assert_eq!(e.patient_id.as_deref(), a["patient_id"].as_str(), "{inc}");
            assert_eq!(
                e.decision.map(|d| d.as_str()),
                a["decision"].as_str(),
                "{inc}"
            );
            assert_eq!(time(e.time_us), a["time"].as_str().expect("time"), "{inc}");
        }
    }
}

/// A care relation of the access `a` at its time (as in docs/analyzer-tables.md).
const RELATED: &str = "EXISTS (SELECT 1 FROM care_relations c WHERE c.patient_id = a.patient_id \
    AND (c.user_id = a.user_id OR c.user_id = a.department) AND a.time >= c.valid_from \
    AND (c.valid_to IS NULL OR a.time < c.valid_to + INTERVAL '1 day'))";

#[tokio::test]
async fn every_check_finds_exactly_the_planted_incidents() {
    let log = log(|_| {}).await;
    let truth = log.truth();
    let incidents = truth["incidents"].as_array().expect("incidents");
    assert_eq!(incidents.len(), 16);
    for k in [
        "break-the-glass",
        "denied",
        "snooping",
        "same-surname",
        "vip",
        "volume-spike",
        "off-hours",
        "admin",
    ] {
        assert_eq!(
            incidents.iter().filter(|i| i["kind"] == k).count(),
            2,
            "{k}"
        );
    }
    records_match(&log, &truth).await;
    let ctx = log.session().await;
    let found = |sql: String| {
        let ctx = &ctx;
        async move {
            set(&rows(
                ctx,
                &format!("SELECT a.chain_id, a.seq FROM access a {sql}"),
            )
            .await)
        }
    };
    let checks: Vec<(&str, String, Vec<String>)> = vec![
        (
            "break-the-glass",
            "WHERE a.decision = 'emergency'".into(),
            planted(&truth, kind("break-the-glass")),
        ),
        (
            "denied",
            "WHERE a.decision = 'deny' AND a.status = 403 AND a.rule = 'no rule matched'".into(),
            planted(&truth, kind("denied")),
        ),
        (
            "no care relation",
            format!(
                "WHERE a.kind = 'access' AND a.decision = 'allow' \
            AND a.patient_id IS NOT NULL AND NOT {RELATED}"
            ),
            planted(&truth, |_, a| {
                a["decision"] == "allow"
                    && a["patient_id"].is_string()
                    && a["care_relation"] == false
            }),
        ),
        (
            "vip",
            format!(
                "JOIN patients p ON a.patient_id = p.patient_id \
            WHERE a.kind = 'access' AND p.vip AND NOT {RELATED}"
            ),
            planted(&truth, kind("vip")),
        ),
        (
            "same surname",
            "JOIN staff s ON a.user_id = s.user_id JOIN patients p ON a.patient_id = p.patient_id \
            WHERE a.kind = 'access' AND split_part(s.name, ',', 1) = p.surname"
                .into(),
            planted(&truth, kind("same-surname")),
        ),
        // Test logs lie in January: Dutch local time is UTC + 1 hour.
        (
            "office role off hours",
            "WHERE a.kind = 'access' AND array_has(a.roles, 'secretaresse') AND \
            (date_part('dow', a.time + INTERVAL '1 hour') IN (0, 6) \
             OR date_part('hour', a.time + INTERVAL '1 hour') NOT BETWEEN 7 AND 18)"
                .into(),
            planted(&truth, kind("off-hours")),
        ),
        (
            "admin activity",
            "WHERE a.kind = 'access' AND (array_has(a.roles, 'functioneel-beheerder') \
            OR array_has(a.roles, 'security-officer'))"
                .into(),
            planted(&truth, kind("admin")),
        ),
    ];
    for (what, sql, want) in checks {
        assert!(!want.is_empty(), "{what}: nothing planted");
        assert_eq!(found(sql).await, want, "{what}");
    }
    // Volume: user-days with more than 50 distinct patients are exactly the spikes.
    let spikes = rows(
        &ctx,
        "SELECT user_id, CAST(time AS DATE) AS d FROM access \
        WHERE kind = 'access' GROUP BY user_id, d HAVING count(DISTINCT patient_id) > 50",
    )
    .await;
    let mut want: Vec<String> = (incidents.iter().filter(|i| i["kind"] == "volume-spike"))
        .map(|i| {
            format!(
                "{}|{}",
                i["user_id"].as_str().expect("user"),
                &i["time"].as_str().expect("time")[..10]
            )
        })
        .collect();
    want.sort();
    assert_eq!(set(&spikes), want);
}
