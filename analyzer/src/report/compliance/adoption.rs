//! Chapter 6: use of e-health, from the `adoption` report's SQL per month: active users,
//! requests and patients reached per application, with charts.

use super::texts::word;
use super::{Chapter, Options};
use crate::Error;
use crate::cli::Interval;
use crate::report::adoption::{USAGE, pivot};
use crate::report::section::{self, Section, Spec, text};
use crate::report::svg::Kind;
use datafusion::prelude::SessionContext;

/// Section `compliance.adoption`.
pub async fn chapter(ctx: &SessionContext, opts: &Options) -> Result<Chapter, Error> {
    let mut monthly = opts.clone();
    monthly.by = Interval::Month;
    let spec = Spec {
        id: "compliance.adoption",
        sql: USAGE,
        needs: &[],
    };
    let mut s = section::run(ctx, &spec, &monthly).await?;
    let w = |k| word(opts.lang, k).to_owned();
    s.charts = [
        pivot(&s, "active_users", w("active-per-month"), Kind::Line),
        pivot(&s, "requests", w("requests-per-month"), Kind::Bar),
    ]
    .into_iter()
    .flatten()
    .collect();
    Ok(Chapter {
        summary: summary(&s, opts),
        sections: vec![s],
    })
}

/// Each application with its highest number of active users in a month.
fn summary(s: &Section, opts: &Options) -> Vec<(String, String)> {
    let (Some(a), Some(u)) = (s.column("application"), s.column("active_users")) else {
        return Vec::new();
    };
    let mut most: Vec<(String, i64)> = Vec::new();
    for row in &s.rows {
        let (app, users) = (text(&row[a]), row[u].as_i64().unwrap_or(0));
        match most.iter_mut().find(|m| m.0 == app) {
            Some(m) => m.1 = m.1.max(users),
            None => most.push((app, users)),
        }
    }
    let w = |k| word(opts.lang, k);
    let line: Vec<String> = most.iter().map(|(app, n)| format!("{app} {n}")).collect();
    let value = match line.is_empty() {
        true => w("none").to_owned(),
        false => format!("{} ({})", line.join(", "), w("max-month")),
    };
    vec![(w("applications").to_owned(), value)]
}
