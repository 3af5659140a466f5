//! `review`: the systematic checks privacy and security officers run over the whole
//! log (the AP's fines of HagaZiekenhuis and OLVG were for not doing this; Rb.
//! Zeeland-West-Brabant 2022: all logs, not samples). Each check is one section; a row
//! says why it was flagged, and a check without findings says so, as evidence.
//!
//! "Opened" below means an access record with decision allow, emergency or would-deny
//! (the request was forwarded).

use super::Options;
use super::section::{self, Need, Section, Spec};
use crate::Error;
use datafusion::prelude::SessionContext;

/// Every break-the-glass use, one row each.
pub const EMERGENCY: &str = "\
SELECT a.local_time AS time, a.user_id, coalesce(s.name, a.user_name) AS name,
       array_to_string(a.roles, ', ') AS role, a.department, a.patient_id,
       a.resource_type, a.interaction, a.emergency_justification AS justification
FROM period a LEFT JOIN staff s ON s.user_id = a.user_id
WHERE a.kind = 'access' AND a.decision = 'emergency'
ORDER BY time, a.chain_id, a.seq";

/// Refused attempts (deny and, in audit mode, would-deny) per user.
pub const DENIED: &str = "\
SELECT a.user_id, max(coalesce(s.name, a.user_name)) AS name,
       max(array_to_string(a.roles, ', ')) AS role, count(*) AS attempts,
       sum(CASE WHEN a.decision = 'deny' THEN 1 ELSE 0 END) AS denied,
       sum(CASE WHEN a.decision = 'would-deny' THEN 1 ELSE 0 END) AS would_deny,
       count(DISTINCT a.patient_id) AS patients,
       min(a.local_time) AS first_time, max(a.local_time) AS last_time,
       array_sort(array_agg(DISTINCT a.resource_type)) AS resources
FROM period a LEFT JOIN staff s ON s.user_id = a.user_id
WHERE a.kind = 'access' AND a.decision IN ('deny', 'would-deny')
GROUP BY a.user_id
ORDER BY attempts DESC, a.user_id";

/// Opened records without a care relation of the user, or of the user's department as
/// a team, on that local day (valid_from and valid_to inclusive).
pub const CARE_RELATION: &str = "\
SELECT a.user_id, max(coalesce(s.name, a.user_name)) AS name, max(a.department) AS department,
       a.patient_id, a.day, count(*) AS records,
       min(a.local_time) AS first_time, max(a.local_time) AS last_time
FROM period a LEFT JOIN staff s ON s.user_id = a.user_id
WHERE a.kind = 'access' AND a.decision IN ('allow', 'emergency', 'would-deny')
  AND a.patient_id IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM care_relations c
    WHERE c.patient_id = a.patient_id
      AND (c.user_id = a.user_id OR c.user_id = a.department)
      AND a.day >= c.valid_from AND (c.valid_to IS NULL OR a.day <= c.valid_to))
GROUP BY a.user_id, a.patient_id, a.day
ORDER BY a.day, a.user_id, a.patient_id";

/// Opened records of patients whose surname's last word is the employee's (the part of
/// staff.name before a comma, else the whole name), ignoring case. The last words are
/// taken once per employee and per patient, and the pairs with the same one are found
/// before the log is read: the log is then joined on (user, patient) alone, rather than
/// running two regular expressions for every record.
pub const SURNAME: &str = "\
WITH staff_last AS (
  SELECT user_id, name,
         lower(regexp_replace(trim(split_part(name, ',', 1)), '^.*[[:space:]]', '')) AS last_word
  FROM staff),
patient_last AS (
  SELECT patient_id, surname,
         lower(regexp_replace(trim(surname), '^.*[[:space:]]', '')) AS last_word
  FROM patients),
pairs AS (
  SELECT s.user_id, s.name, p.patient_id, p.surname
  FROM staff_last s JOIN patient_last p ON p.last_word = s.last_word)
SELECT a.user_id, x.name, a.patient_id, x.surname, a.day, count(*) AS records,
       min(a.local_time) AS first_time, max(a.local_time) AS last_time
FROM period a
JOIN pairs x ON x.user_id = a.user_id AND x.patient_id = a.patient_id
WHERE a.kind = 'access' AND a.decision IN ('allow', 'emergency', 'would-deny')
GROUP BY a.user_id, x.name, a.patient_id, x.surname, a.day
ORDER BY a.day, a.user_id, a.patient_id";

/// Every access (refused ones too) to a VIP's record, per user, day and decision.
pub const VIP: &str = "\
SELECT a.patient_id, a.day, a.user_id, max(coalesce(s.name, a.user_name)) AS name,
       max(coalesce(s.role, array_to_string(a.roles, ', '))) AS role,
       max(a.department) AS department, a.decision, count(*) AS records,
       min(a.local_time) AS first_time, max(a.local_time) AS last_time
FROM period a
JOIN patients p ON p.patient_id = a.patient_id
LEFT JOIN staff s ON s.user_id = a.user_id
WHERE a.kind = 'access' AND p.vip
GROUP BY a.patient_id, a.day, a.user_id, a.decision
ORDER BY a.day, a.patient_id, a.user_id, a.decision";

/// Opened records in a department (as logged) other than the employee's own (staff).
/// Patients are counted by grouping on them first: `count(DISTINCT)` keeps a hash set
/// per group (as in off-hours below, where that held 1.8 GB at 10M records).
pub const DEPARTMENT: &str = "\
WITH per_patient AS (
  SELECT a.user_id, s.name, s.department AS own_department, a.department, a.day, a.patient_id,
         count(*) AS records, min(a.local_time) AS first_time, max(a.local_time) AS last_time
  FROM period a JOIN staff s ON s.user_id = a.user_id
  WHERE a.kind = 'access' AND a.decision IN ('allow', 'emergency', 'would-deny')
    AND a.department IS NOT NULL AND s.department IS NOT NULL
    AND lower(a.department) <> lower(s.department)
  GROUP BY a.user_id, s.name, s.department, a.department, a.day, a.patient_id)
SELECT user_id, name, own_department, department, day,
       sum(records) AS records, count(patient_id) AS patients,
       min(first_time) AS first_time, max(last_time) AS last_time
FROM per_patient
GROUP BY user_id, name, own_department, department, day
ORDER BY day, user_id, department";

/// Employee-days with more distinct patients than median + k x MAD of the employee-days
/// of the same role (staff.role, else the logged roles); roles of at least 3 employees.
/// Patients are counted by grouping on them first: `count(DISTINCT)` keeps a hash set
/// per group, which is slow over every opened record.
pub const VOLUME_EMPLOYEE: &str = "\
WITH user_patients AS (
  SELECT user_id, day, patient_id, max(array_to_string(roles, ', ')) AS logged_role
  FROM period
  WHERE kind = 'access' AND decision IN ('allow', 'emergency', 'would-deny')
    AND user_id IS NOT NULL AND patient_id IS NOT NULL
  GROUP BY user_id, day, patient_id),
user_days AS (
  SELECT d.user_id, d.day, coalesce(s.role, d.logged_role) AS role, d.patients
  FROM (SELECT user_id, day, max(logged_role) AS logged_role,
               CAST(count(*) AS DOUBLE) AS patients
        FROM user_patients GROUP BY user_id, day) d
  LEFT JOIN staff s ON s.user_id = d.user_id),
firsts AS (
  SELECT *, row_number() OVER (PARTITION BY role, user_id ORDER BY day) AS nth
  FROM user_days),
peers AS (
  SELECT *, median(patients) OVER (PARTITION BY role) AS median,
         sum(CASE WHEN nth = 1 THEN 1 ELSE 0 END) OVER (PARTITION BY role) AS peers
  FROM firsts),
spread AS (
  SELECT *, median(abs(patients - median)) OVER (PARTITION BY role) AS mad
  FROM peers)
SELECT user_id, role, day, CAST(patients AS BIGINT) AS patients,
       median AS peer_median, mad AS peer_mad, peers,
       median + $outlier_factor * greatest(mad, 1.0) AS threshold
FROM spread
WHERE peers >= 3 AND patients > median + $outlier_factor * greatest(mad, 1.0)
ORDER BY day, user_id";

/// Record-days opened more often than median + k x MAD of the record's own days in the
/// period on which it was opened; records opened on at least 5 days. Users are counted
/// by grouping on them first, as above.
pub const VOLUME_RECORD: &str = "\
WITH record_users AS (
  SELECT patient_id, day, user_id, count(*) AS records
  FROM period
  WHERE kind = 'access' AND decision IN ('allow', 'emergency', 'would-deny')
    AND patient_id IS NOT NULL
  GROUP BY patient_id, day, user_id),
record_days AS (
  SELECT patient_id, day, CAST(sum(records) AS DOUBLE) AS records, count(user_id) AS users
  FROM record_users GROUP BY patient_id, day),
usual AS (
  SELECT *, median(records) OVER (PARTITION BY patient_id) AS median,
         count(*) OVER (PARTITION BY patient_id) AS days
  FROM record_days),
spread AS (
  SELECT *, median(abs(records - median)) OVER (PARTITION BY patient_id) AS mad
  FROM usual)
SELECT patient_id, day, CAST(records AS BIGINT) AS records, users,
       median AS usual_median, mad AS usual_mad, days AS history_days,
       median + $outlier_factor * greatest(mad, 1.0) AS threshold
FROM spread
WHERE days >= 5 AND records > median + $outlier_factor * greatest(mad, 1.0)
ORDER BY day, patient_id";

/// Opened records outside office hours (local hour < $office_start or >= $office_end)
/// or on Saturday or Sunday, per user per day. Patients are counted by grouping on them
/// first (`count(DISTINCT)` keeps a hash set per group: at 10M records this check held
/// 1.8 GB that way), and the staff list is joined once per user, day and patient.
pub const OFF_HOURS: &str = "\
WITH per_patient AS (
  SELECT user_id, day, patient_id, count(*) AS records, max(user_name) AS user_name,
         max(array_to_string(roles, ', ')) AS logged_role,
         min(local_time) AS first_time, max(local_time) AS last_time
  FROM period
  WHERE kind = 'access' AND decision IN ('allow', 'emergency', 'would-deny')
    AND patient_id IS NOT NULL
    AND (date_part('dow', day) IN (0, 6)
         OR date_part('hour', wall_time) < $office_start
         OR date_part('hour', wall_time) >= $office_end)
  GROUP BY user_id, day, patient_id)
SELECT o.user_id, max(coalesce(s.name, o.user_name)) AS name,
       max(coalesce(s.role, o.logged_role)) AS role, o.day,
       date_part('dow', o.day) IN (0, 6) AS weekend,
       sum(o.records) AS records, count(*) AS patients,
       min(o.first_time) AS first_time, max(o.last_time) AS last_time
FROM per_patient o LEFT JOIN staff s ON s.user_id = o.user_id
GROUP BY o.user_id, o.day
ORDER BY o.day, o.user_id";

/// Every request of a user whose logged roles or staff role contain an admin role
/// ($admin_pattern: the --admin-roles as one case-insensitive regular expression).
pub const ADMIN: &str = "\
SELECT a.user_id, max(coalesce(s.name, a.user_name)) AS name,
       max(coalesce(s.role, array_to_string(a.roles, ', '))) AS role, a.day,
       count(*) AS records, count(DISTINCT a.patient_id) AS patients,
       sum(CASE WHEN a.decision IN ('deny', 'reject', 'would-deny') THEN 1 ELSE 0 END) AS denied,
       array_sort(array_agg(DISTINCT a.interaction)) AS interactions,
       min(a.local_time) AS first_time, max(a.local_time) AS last_time
FROM period a LEFT JOIN staff s ON s.user_id = a.user_id
WHERE a.kind = 'access'
  AND (regexp_like(lower(array_to_string(a.roles, '|')), $admin_pattern)
       OR regexp_like(lower(coalesce(s.role, '')), $admin_pattern))
GROUP BY a.user_id, a.day
ORDER BY a.day, a.user_id";

/// The sections, in order (also listed by `--format sql`).
pub const SECTIONS: [Spec; 10] = [
    Spec {
        id: "review.emergency",
        sql: EMERGENCY,
        needs: &[],
    },
    Spec {
        id: "review.denied",
        sql: DENIED,
        needs: &[],
    },
    Spec {
        id: "review.care-relation",
        sql: CARE_RELATION,
        needs: &[Need::CareRelations],
    },
    Spec {
        id: "review.surname",
        sql: SURNAME,
        needs: &[Need::Staff, Need::Patients],
    },
    Spec {
        id: "review.vip",
        sql: VIP,
        needs: &[Need::Patients],
    },
    Spec {
        id: "review.department",
        sql: DEPARTMENT,
        needs: &[Need::Staff],
    },
    Spec {
        id: "review.volume-employee",
        sql: VOLUME_EMPLOYEE,
        needs: &[],
    },
    Spec {
        id: "review.volume-record",
        sql: VOLUME_RECORD,
        needs: &[],
    },
    Spec {
        id: "review.off-hours",
        sql: OFF_HOURS,
        needs: &[],
    },
    Spec {
        id: "review.admin",
        sql: ADMIN,
        needs: &[],
    },
];

/// The ids of the checks, in order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    SECTIONS.iter().map(|s| s.id)
}

/// Builds the sections.
pub async fn sections(ctx: &SessionContext, opts: &Options) -> Result<Vec<Section>, Error> {
    section::run_all(ctx, &SECTIONS, opts).await
}
