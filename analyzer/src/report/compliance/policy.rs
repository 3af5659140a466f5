//! Chapter 4: which access policy was in force. The sidecar logs a `policy-load` record
//! with the policy's SHA-256 at every start and every change, and every access record
//! carries the version that decided it.

use super::texts::word;
use super::{Chapter, Options};
use crate::Error;
use crate::report::section::{self, Section, Spec, text};
use datafusion::prelude::SessionContext;
use serde_json::{Value, json};

/// Per chain the last policy load before the period (in force at its start) and every
/// load in it; `changed`: another version than the chain's load before (null for the
/// chain's first load).
pub const LOADS: &str = r#"WITH loads AS (
  SELECT chain_id, seq, time, policy_version,
         lag(policy_version) OVER (PARTITION BY chain_id ORDER BY seq) AS previous_version,
         row_number() OVER (PARTITION BY chain_id, time < $from ORDER BY seq DESC) AS newest
  FROM access
  WHERE kind = 'policy-load' AND time < $to)
SELECT arrow_cast(time, 'Timestamp(Microsecond, Some("{tz}"))') AS time, chain_id, seq,
       policy_version, previous_version,
       CASE WHEN previous_version IS NOT NULL
            THEN policy_version <> previous_version END AS changed,
       time < $from AS in_force_at_start
FROM loads
WHERE time >= $from OR newest = 1
ORDER BY time, chain_id, seq"#;

/// Per policy version the decisions it took in the period and its first and last use.
pub const USE: &str = "\
SELECT policy_version, count(*) AS decisions,
       sum(CASE WHEN decision = 'allow' THEN 1 ELSE 0 END) AS allowed,
       sum(CASE WHEN decision = 'emergency' THEN 1 ELSE 0 END) AS emergencies,
       sum(CASE WHEN decision = 'would-deny' THEN 1 ELSE 0 END) AS would_deny,
       sum(CASE WHEN decision IN ('deny', 'reject') THEN 1 ELSE 0 END) AS denied,
       count(DISTINCT chain_id) AS chains,
       min(local_time) AS first_time, max(local_time) AS last_time
FROM period
WHERE kind = 'access'
GROUP BY policy_version
ORDER BY first_time, policy_version";

const SECTIONS: [Spec; 2] = [
    Spec {
        id: "compliance.policy-loads",
        sql: LOADS,
        needs: &[],
    },
    Spec {
        id: "compliance.policy-use",
        sql: USE,
        needs: &[],
    },
];

/// Sections `compliance.policy-loads` and `compliance.policy-use`.
pub async fn chapter(ctx: &SessionContext, opts: &Options) -> Result<Chapter, Error> {
    let sections = section::run_all(ctx, &SECTIONS, opts).await?;
    Ok(Chapter {
        summary: summary(&sections[0], opts),
        sections,
    })
}

/// The versions in force at the start, and how many loads in the period changed it.
fn summary(loads: &Section, opts: &Options) -> Vec<(String, String)> {
    let is = |row: &[Value], c: &str| loads.column(c).is_some_and(|i| row[i] == json!(true));
    let short = |row: &[Value]| {
        let v = loads.column("policy_version").map(|i| text(&row[i]));
        v.unwrap_or_default().chars().take(12).collect::<String>()
    };
    let mut at_start: Vec<String> = (loads.rows.iter())
        .filter(|r| is(r, "in_force_at_start"))
        .map(|r| short(r))
        .collect();
    at_start.sort();
    at_start.dedup();
    let changes = (loads.rows.iter())
        .filter(|r| is(r, "changed") && !is(r, "in_force_at_start"))
        .count();
    let w = |k| word(opts.lang, k).to_owned();
    let start = match (at_start.is_empty(), opts.period.from) {
        (false, _) => at_start.join(", "),
        (true, None) => w("from-start"),
        (true, Some(_)) => w("none-before"),
    };
    vec![
        (w("policy-at-start"), start),
        (w("policy-changes"), changes.to_string()),
    ]
}
