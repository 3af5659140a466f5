//! `employee-access`: everything one user did (NEN 7513 ch. 9, view per employee):
//! counts per day, the patients opened, and every log line in time order.

use super::Options;
use super::section::{self, Section, Spec};
use crate::Error;
use datafusion::prelude::SessionContext;

/// Per day: records, distinct patients, refused attempts, emergency uses.
pub const DAYS: &str = "\
SELECT day, count(*) AS records, count(DISTINCT patient_id) AS patients,
       sum(CASE WHEN decision IN ('deny', 'reject', 'would-deny') THEN 1 ELSE 0 END) AS denied,
       sum(CASE WHEN decision = 'emergency' THEN 1 ELSE 0 END) AS emergencies,
       min(local_time) AS first_time, max(local_time) AS last_time
FROM period
WHERE user_id = $user AND kind = 'access'
GROUP BY day
ORDER BY day";

/// Per patient: how often, when, which kinds of data.
pub const PATIENTS: &str = "\
SELECT patient_id, count(*) AS records,
       sum(CASE WHEN decision IN ('deny', 'reject', 'would-deny') THEN 1 ELSE 0 END) AS denied,
       sum(CASE WHEN decision = 'emergency' THEN 1 ELSE 0 END) AS emergencies,
       min(local_time) AS first_time, max(local_time) AS last_time,
       array_sort(array_agg(DISTINCT resource_type)) AS resources
FROM period
WHERE user_id = $user AND kind = 'access' AND patient_id IS NOT NULL
GROUP BY patient_id
ORDER BY first_time, patient_id";

/// Every access record of the user.
pub const RECORDS: &str = "\
SELECT local_time AS time, patient_id, application, resource_type, resource_id, interaction,
       action, decision, emergency_justification AS justification, reason AS refusal,
       array_to_string(roles, ', ') AS role, department, access_point
FROM period
WHERE user_id = $user AND kind = 'access'
ORDER BY time, chain_id, seq";

/// The sections, in order (also listed by `--format sql`).
pub const SECTIONS: [Spec; 3] = [
    Spec {
        id: "employee-access.days",
        sql: DAYS,
        needs: &[],
    },
    Spec {
        id: "employee-access.patients",
        sql: PATIENTS,
        needs: &[],
    },
    Spec {
        id: "employee-access.records",
        sql: RECORDS,
        needs: &[],
    },
];

/// Builds the sections.
pub async fn sections(ctx: &SessionContext, opts: &Options) -> Result<Vec<Section>, Error> {
    section::run_all(ctx, &SECTIONS, opts).await
}
