//! `adoption`: use of each application over time, from the access log (the national
//! e-health monitors are surveys; these indicators are ours): active users, new and
//! returning users, requests per active user, patients reached, and with `--staff` the
//! share of a role's staff who used the application. `--by week|month`.

use super::section::{self, Section, Spec, text};
use super::svg::{Chart, Kind};
use super::{Options, texts};
use crate::Error;
use crate::cli::{Interval, Lang};
use datafusion::prelude::SessionContext;

/// Per application and period. A user is new in the first period (within the report's
/// period) in which they used the application, returning after that.
pub const USAGE: &str = "\
WITH uses AS (
  SELECT coalesce(application, '(unknown)') AS application, user_id, patient_id,
         date_trunc($by, local_time) AS period_start
  FROM period
  WHERE kind = 'access' AND decision IN ('allow', 'emergency', 'would-deny')
    AND user_id IS NOT NULL),
firsts AS (
  SELECT application, user_id, min(period_start) AS first_period
  FROM uses GROUP BY application, user_id)
SELECT CAST(u.period_start AS DATE) AS period_start, u.application,
       count(DISTINCT u.user_id) AS active_users,
       count(DISTINCT CASE WHEN f.first_period = u.period_start THEN u.user_id END) AS new_users,
       count(DISTINCT CASE WHEN f.first_period < u.period_start THEN u.user_id END) AS returning_users,
       count(*) AS requests,
       CAST(count(*) AS DOUBLE) / count(DISTINCT u.user_id) AS requests_per_user,
       count(DISTINCT u.patient_id) AS patients
FROM uses u JOIN firsts f ON f.application = u.application AND f.user_id = u.user_id
GROUP BY u.period_start, u.application
ORDER BY period_start, u.application";

/// Per application, period, role and department; the role and department come from
/// `staff` when the user is in it, else from the log. `staff_in_role` counts the staff
/// list's users with that role and department.
pub const ROLES: &str = "\
WITH uses AS (
  SELECT coalesce(a.application, '(unknown)') AS application, a.user_id,
         coalesce(s.role, array_to_string(a.roles, ', ')) AS role,
         coalesce(s.department, a.department) AS department,
         date_trunc($by, a.local_time) AS period_start
  FROM period a LEFT JOIN staff s ON s.user_id = a.user_id
  WHERE a.kind = 'access' AND a.decision IN ('allow', 'emergency', 'would-deny')
    AND a.user_id IS NOT NULL),
staff_roles AS (
  SELECT role, department, count(DISTINCT user_id) AS staff_in_role
  FROM staff GROUP BY role, department)
SELECT CAST(u.period_start AS DATE) AS period_start, u.application, u.role, u.department,
       count(DISTINCT u.user_id) AS active_users, count(*) AS requests,
       max(r.staff_in_role) AS staff_in_role,
       100.0 * count(DISTINCT u.user_id) / max(r.staff_in_role) AS share_of_staff
FROM uses u LEFT JOIN staff_roles r ON r.role = u.role AND r.department = u.department
GROUP BY u.period_start, u.application, u.role, u.department
ORDER BY period_start, u.application, u.role, u.department";

/// The sections, in order (also listed by `--format sql`).
pub const SECTIONS: [Spec; 2] = [
    Spec {
        id: "adoption.usage",
        sql: USAGE,
        needs: &[],
    },
    Spec {
        id: "adoption.roles",
        sql: ROLES,
        needs: &[],
    },
];

/// Builds the sections, with charts of the usage per application.
pub async fn sections(ctx: &SessionContext, opts: &Options) -> Result<Vec<Section>, Error> {
    let mut out = section::run_all(ctx, &SECTIONS, opts).await?;
    if let Some(usage) = out.first_mut() {
        let lang = opts.lang;
        let title = |c: &str| format!("{} ({})", texts::column(lang, c), by_word(lang, opts.by));
        usage.charts = vec![
            pivot(usage, "active_users", title("active_users"), Kind::Line),
            pivot(
                usage,
                "requests_per_user",
                title("requests_per_user"),
                Kind::Bar,
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
    }
    Ok(out)
}

fn by_word(lang: Lang, by: Interval) -> &'static str {
    match (lang, by) {
        (Lang::Nl, Interval::Week) => "per week",
        (Lang::Nl, Interval::Month) => "per maand",
        (Lang::En, Interval::Week) => "per week",
        (Lang::En, Interval::Month) => "per month",
    }
}

/// One series per application of `column` over the periods.
pub(crate) fn pivot(s: &Section, column: &str, title: String, kind: Kind) -> Option<Chart> {
    let (p, a, v) = (
        s.column("period_start")?,
        s.column("application")?,
        s.column(column)?,
    );
    let mut labels: Vec<String> = Vec::new();
    let mut apps: Vec<String> = Vec::new();
    for row in &s.rows {
        let (label, app) = (text(&row[p]), text(&row[a]));
        if !labels.contains(&label) {
            labels.push(label);
        }
        if !apps.contains(&app) {
            apps.push(app);
        }
    }
    if labels.is_empty() {
        return None;
    }
    let mut series: Vec<(String, Vec<f64>)> = apps
        .iter()
        .map(|n| (n.clone(), vec![0.0; labels.len()]))
        .collect();
    for row in &s.rows {
        let i = labels.iter().position(|l| *l == text(&row[p]))?;
        let j = apps.iter().position(|n| *n == text(&row[a]))?;
        series[j].1[i] = row[v].as_f64().unwrap_or(0.0);
    }
    Some(Chart {
        title,
        kind,
        labels,
        series,
    })
}
