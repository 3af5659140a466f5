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
/// memory, and the accesses, with all their columns, are many times larger.
pub const DAYS: &str = "\
SELECT a.day, a.user_id, max(coalesce(s.name, a.user_name)) AS name,
       max(array_to_string(a.roles, ', ')) AS role, max(a.department) AS department,
       sum(CASE WHEN a.decision IN ('allow', 'emergency', 'would-deny') THEN 1 ELSE 0 END) AS records,
       count(DISTINCT CASE WHEN a.decision IN ('allow', 'emergency', 'would-deny')
                           THEN a.patient_id END) AS patients,
       sum(CASE WHEN a.decision IN ('deny', 'reject') THEN 1 ELSE 0 END) AS denied,
       sum(CASE WHEN a.decision = 'emergency' THEN 1 ELSE 0 END) AS emergencies,
       coalesce(sum(CASE WHEN a.decision IN ('allow', 'emergency', 'would-deny')
                         THEN o.bytes END), 0) AS bytes_sent
FROM (SELECT chain_id, links_seq, bytes FROM period WHERE kind = 'outcome') o
RIGHT JOIN period a ON o.chain_id = a.chain_id AND o.links_seq = a.seq
LEFT JOIN staff s ON s.user_id = a.user_id
WHERE a.kind = 'access' AND a.user_id IS NOT NULL
GROUP BY a.day, a.user_id
ORDER BY a.day, a.user_id";

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
