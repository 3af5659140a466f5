//! `daily`: the daily overview of NEN 7513 ch. 9: per employee per day the records and
//! patients opened, refused attempts, emergency uses and the bytes sent out (from the
//! outcome records, linked to their access record by `links_seq`).

use super::Options;
use super::section::{self, Section, Spec};
use crate::Error;
use datafusion::prelude::SessionContext;

/// One row per employee per day. Opened means allowed, emergency or would-deny; bytes
/// are those of the responses to opened requests whose outcome falls in the period.
/// The outcomes (three narrow columns) stand first: a hash join keeps its first input in
/// memory. Only the narrow columns of the accesses go through the join; the employee's
/// name, roles and department (`who`) are taken per employee and day in a separate
/// aggregation, so no text is copied through the join for every record (measured at 10M
/// records: 4.7 -> 3.2 s, 1.05 -> 0.87 GB). That aggregation takes the role list as text
/// per record (zegel's `array_to_string` is cheap), which costs less than grouping on the
/// list first (at 10M records 1.75 -> 1.62 s).
/// Patients are counted in two steps (per employee, day and patient, then per employee
/// and day) rather than with `count(DISTINCT)`, which keeps a hash set per group; the
/// staff name is looked up once per result row, not per record.
pub const DAYS: &str = "\
WITH per_patient AS (
  SELECT a.day, a.user_id, a.patient_id,
         sum(CASE WHEN a.decision IN ('allow', 'emergency', 'would-deny') THEN 1 ELSE 0 END) AS records,
         sum(CASE WHEN a.decision IN ('deny', 'reject') THEN 1 ELSE 0 END) AS denied,
         sum(CASE WHEN a.decision = 'emergency' THEN 1 ELSE 0 END) AS emergencies,
         sum(CASE WHEN a.decision IN ('allow', 'emergency', 'would-deny')
                  THEN o.bytes END) AS bytes_sent
  FROM (SELECT chain_id, links_seq, bytes FROM period WHERE kind = 'outcome') o
  RIGHT JOIN (SELECT chain_id, seq, day, user_id, patient_id, decision FROM period
              WHERE kind = 'access' AND user_id IS NOT NULL) a
    ON o.chain_id = a.chain_id AND o.links_seq = a.seq
  GROUP BY a.day, a.user_id, a.patient_id),
per_day AS (
  SELECT day, user_id, sum(records) AS records,
         count(CASE WHEN records > 0 THEN patient_id END) AS patients,
         sum(denied) AS denied, sum(emergencies) AS emergencies,
         coalesce(sum(bytes_sent), 0) AS bytes_sent
  FROM per_patient
  GROUP BY day, user_id),
who AS (
  SELECT day, user_id, max(user_name) AS user_name, max(array_to_string(roles, ', ')) AS role,
         max(department) AS department
  FROM period
  WHERE kind = 'access' AND user_id IS NOT NULL
  GROUP BY day, user_id)
SELECT d.day, d.user_id, coalesce(s.name, w.user_name) AS name, w.role, w.department,
       d.records, d.patients, d.denied, d.emergencies, d.bytes_sent
FROM per_day d
JOIN who w ON w.day = d.day AND w.user_id = d.user_id
LEFT JOIN staff s ON s.user_id = d.user_id
ORDER BY d.day, d.user_id";

/// The sections, in order (also listed by `--format sql`).
pub const SECTIONS: [Spec; 1] = [Spec {
    id: "daily.days",
    sql: DAYS,
    needs: &[],
}];

/// Builds the sections.
pub async fn sections(ctx: &SessionContext, opts: &Options) -> Result<Vec<Section>, Error> {
    section::run_all(ctx, &SECTIONS, opts).await
}
