//! Chapter 5: the `review` report's checks, run as that report runs them, summarised:
//! per check its findings and the first few reasons. A check that needs a directory
//! table that was not given is "not run", never zero.

use super::texts::{capital, number, word};
use super::{Chapter, Options};
use crate::Error;
use crate::cli::Lang;
use crate::report::review;
use crate::report::section::{Section, text};
use datafusion::prelude::SessionContext;
use serde_json::{Value, json};

/// Reasons shown per check.
const EXAMPLES: usize = 3;

/// Section `compliance.findings`.
pub async fn chapter(ctx: &SessionContext, opts: &Options) -> Result<Chapter, Error> {
    let lang = opts.lang;
    let checks = review::sections(ctx, opts).await?;
    let mut s = Section::new("compliance.findings", lang)
        .with_columns(&["check", "findings", "status", "examples"]);
    s.rows = checks.iter().map(|c| row(c, lang)).collect();
    s.notes
        .push(format!("{}.", capital(word(lang, "details-in"))));
    Ok(Chapter {
        summary: summary(&checks, lang),
        sections: vec![s],
    })
}

fn row(check: &Section, lang: Lang) -> Vec<Value> {
    if !check.ran {
        let why = check.notes.first().cloned().unwrap_or_default();
        return vec![json!(check.title), Value::Null, json!(why), json!([])];
    }
    let n = check.rows.len();
    let status = match n {
        0 => word(lang, "nothing-found"),
        _ => word(lang, "found"),
    };
    let reasons: Vec<Value> = match check.column("reason") {
        Some(i) => (check.rows.iter().take(EXAMPLES))
            .map(|r| json!(text(&r[i])))
            .collect(),
        None => Vec::new(),
    };
    vec![
        json!(check.title),
        json!(n),
        json!(status),
        Value::Array(reasons),
    ]
}

fn summary(checks: &[Section], lang: Lang) -> Vec<(String, String)> {
    let w = |k| word(lang, k);
    let ran: Vec<&Section> = checks.iter().filter(|c| c.ran).collect();
    let total: usize = ran.iter().map(|c| c.rows.len()).sum();
    let with = ran.iter().filter(|c| !c.rows.is_empty()).count();
    let mut line = format!(
        "{} {} {with} {} {} {}",
        number(lang, total as u64),
        w("findings-in"),
        w("of"),
        ran.len(),
        w("checks")
    );
    let skipped: Vec<&str> = (checks.iter())
        .filter(|c| !c.ran)
        .map(|c| c.title.as_str())
        .collect();
    if !skipped.is_empty() {
        line += &format!("; {}: {}", w("not-run"), skipped.join(", "));
    }
    vec![(w("review").to_owned(), line)]
}
