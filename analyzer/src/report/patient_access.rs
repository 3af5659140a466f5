//! `patient-access`: the overview a patient is entitled to (Wabvpz art. 15e, NEN 7513
//! ch. 9): who accessed the record, when, from which organisation and role, which data,
//! which action, and whether the emergency procedure was used. Employee ids and names
//! only with `--show-employees`; similar lines of one day are merged.

use super::section::{self, Section, Spec};
use super::{Options, texts};
use crate::Error;
use datafusion::prelude::SessionContext;
use serde_json::Value;

/// Access that happened: allowed, through the emergency procedure, or forwarded in audit
/// mode (`would-deny`). One line per day, employee and kind of data.
pub const ACCESSES: &str = "\
SELECT to_char(min(local_time), '%Y-%m-%d %H:%M')
         || CASE WHEN max(local_time) > min(local_time)
                 THEN ' – ' || to_char(max(local_time), '%H:%M') ELSE '' END AS time,
       organisation, role, department, responsible_user, user_id, user_name,
       application, resource_type AS data, action,
       decision = 'emergency' AS emergency, emergency_justification AS justification,
       purpose_of_use, count(*) AS times
FROM (SELECT *, array_to_string(roles, ', ') AS role FROM period
      WHERE patient_id = $patient AND kind = 'access'
        AND decision IN ('allow', 'emergency', 'would-deny'))
GROUP BY day, organisation, role, department, responsible_user, user_id, user_name,
         application, resource_type, interaction, action, decision,
         emergency_justification, purpose_of_use
ORDER BY min(local_time), user_id, data, action";

/// Attempts that were refused (no data shown).
pub const DENIED: &str = "\
SELECT local_time AS time, organisation, array_to_string(roles, ', ') AS role, department,
       user_id, user_name, application, resource_type AS data, interaction, action
FROM period
WHERE patient_id = $patient AND kind = 'access' AND decision IN ('deny', 'reject')
ORDER BY time, seq";

/// The sections, in order (also listed by `--format sql`).
pub const SECTIONS: [Spec; 2] = [
    Spec {
        id: "patient-access.accesses",
        sql: ACCESSES,
        needs: &[],
    },
    Spec {
        id: "patient-access.denied",
        sql: DENIED,
        needs: &[],
    },
];

/// Columns that name an employee.
const EMPLOYEE_COLUMNS: &[&str] = &["responsible_user", "user_id", "user_name"];

/// Builds the sections.
pub async fn sections(ctx: &SessionContext, opts: &Options) -> Result<Vec<Section>, Error> {
    let mut out = Vec::new();
    for spec in &SECTIONS {
        let mut s = section::run(ctx, spec, opts).await?;
        if !opts.show_employees {
            s.drop_columns(EMPLOYEE_COLUMNS);
            if out.is_empty() {
                s.notes.push(texts::employees_hidden(opts.lang).to_owned());
            }
        }
        label_values(&mut s, opts);
        out.push(s);
    }
    Ok(out)
}

/// Action codes and the emergency flag in words, for a reader who is not an auditor.
fn label_values(s: &mut Section, opts: &Options) {
    let (action, emergency) = (s.column("action"), s.column("emergency"));
    for row in &mut s.rows {
        if let Some(i) = action
            && let Some(label) = row[i].as_str().and_then(|c| texts::action(opts.lang, c))
        {
            row[i] = Value::String(label.to_owned());
        }
        if let Some(i) = emergency
            && let Some(b) = row[i].as_bool()
        {
            let word = if b { "yes" } else { "no" };
            row[i] = Value::String(texts::word(opts.lang, word).to_owned());
        }
    }
}
