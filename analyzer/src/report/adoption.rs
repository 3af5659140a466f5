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
/// period) in which they used the application, returning after that. Periods are
/// truncated from the local `day` (one time-zone conversion per record; truncating
/// `local_time` converts twice). Users and patients
/// are counted by grouping on them first (`count(DISTINCT)` keeps a hash set per group);
/// a user's first period is a window over those groups, not a second pass over the log.
pub const USAGE: &str = "\
WITH uses AS (
  SELECT coalesce(application, '(unknown)') AS application, user_id, patient_id,
         date_trunc($by, day) AS period_start
  FROM period
  WHERE kind = 'access' AND decision IN ('allow', 'emergency', 'would-deny')
    AND user_id IS NOT NULL),
users AS (
  SELECT period_start, application, user_id, count(*) AS requests,
         min(period_start) OVER (PARTITION BY application, user_id) AS first_period
  FROM uses GROUP BY period_start, application, user_id),
per_period AS (
  SELECT period_start, application, count(*) AS active_users,
         sum(CASE WHEN first_period = period_start THEN 1 ELSE 0 END) AS new_users,
         sum(CASE WHEN first_period < period_start THEN 1 ELSE 0 END) AS returning_users,
         sum(requests) AS requests
  FROM users GROUP BY period_start, application),
patients AS (
  SELECT period_start, application, count(*) AS patients
  FROM (SELECT period_start, application, patient_id FROM uses
        WHERE patient_id IS NOT NULL GROUP BY period_start, application, patient_id)
  GROUP BY period_start, application)
SELECT CAST(u.period_start AS DATE) AS period_start, u.application, u.active_users,
       u.new_users, u.returning_users, u.requests,
       CAST(u.requests AS DOUBLE) / u.active_users AS requests_per_user,
       coalesce(p.patients, 0) AS patients
FROM per_period u
LEFT JOIN patients p ON p.period_start = u.period_start AND p.application = u.application
ORDER BY period_start, u.application";

/// Per application, period, role and department; the role and department come from
/// `staff` when the user is in it, else from the log. `staff_in_role` counts the staff
/// list's users with that role and department. The log is grouped per user first, on the
/// role list as text (zegel's `array_to_string` is cheap per record, and grouping on text
/// is cheaper than on a list: at 100M records 10.1 -> 9.3 s), so the staff list is joined
/// once per user and period, not once per record.
pub const ROLES: &str = "\
WITH logged AS (
  SELECT coalesce(application, '(unknown)') AS application, user_id,
         array_to_string(roles, ', ') AS logged_role, department,
         date_trunc($by, day) AS period_start, count(*) AS requests
  FROM period
  WHERE kind = 'access' AND decision IN ('allow', 'emergency', 'would-deny')
    AND user_id IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5),
uses AS (
  SELECT l.application, l.user_id, coalesce(s.role, l.logged_role) AS role,
         coalesce(s.department, l.department) AS department, l.period_start, l.requests
  FROM logged l LEFT JOIN staff s ON s.user_id = l.user_id),
staff_roles AS (
  SELECT role, department, count(DISTINCT user_id) AS staff_in_role
  FROM staff GROUP BY role, department)
SELECT CAST(u.period_start AS DATE) AS period_start, u.application, u.role, u.department,
       count(DISTINCT u.user_id) AS active_users, sum(u.requests) AS requests,
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
