//! `record-access`: every access to one patient's record, with user ids and names (from
//! `--staff` when given, else as the identity provider stated them): the security
//! officer's view per record (NEN 7513 ch. 9).

use super::Options;
use super::section::{self, Section, Spec};
use crate::Error;
use datafusion::prelude::SessionContext;

/// Per employee: how often, refused, emergency, first and last time.
pub const USERS: &str = "\
SELECT a.user_id, max(coalesce(s.name, a.user_name)) AS name,
       max(coalesce(s.role, array_to_string(a.roles, ', '))) AS role,
       max(a.department) AS department, count(*) AS records,
       sum(CASE WHEN a.decision IN ('deny', 'reject', 'would-deny') THEN 1 ELSE 0 END) AS denied,
       sum(CASE WHEN a.decision = 'emergency' THEN 1 ELSE 0 END) AS emergencies,
       min(a.local_time) AS first_time, max(a.local_time) AS last_time
FROM period a LEFT JOIN staff s ON s.user_id = a.user_id
WHERE a.patient_id = $patient AND a.kind = 'access'
GROUP BY a.user_id
ORDER BY first_time, a.user_id";

/// Every access record about the patient.
pub const RECORDS: &str = "\
SELECT a.local_time AS time, a.user_id, coalesce(s.name, a.user_name) AS name,
       array_to_string(a.roles, ', ') AS role, a.department, s.department AS own_department,
       a.resource_type, a.interaction, a.action, a.decision,
       a.emergency_justification AS justification,
       a.reason AS refusal, a.access_point
FROM period a LEFT JOIN staff s ON s.user_id = a.user_id
WHERE a.patient_id = $patient AND a.kind = 'access'
ORDER BY time, a.chain_id, a.seq";

/// The sections, in order (also listed by `--format sql`).
pub const SECTIONS: [Spec; 2] = [
    Spec {
        id: "record-access.users",
        sql: USERS,
        needs: &[],
    },
    Spec {
        id: "record-access.records",
        sql: RECORDS,
        needs: &[],
    },
];

/// Builds the sections.
pub async fn sections(ctx: &SessionContext, opts: &Options) -> Result<Vec<Section>, Error> {
    section::run_all(ctx, &SECTIONS, opts).await
}
