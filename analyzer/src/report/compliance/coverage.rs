//! Chapter 3: was everything logged? Records per chain per day (`PER_DAY`) give the
//! periods logged and the days without records; the start, stop and notice records
//! (`LIFECYCLE`) give restarts, starts without a stop before them (a crash or kill) and
//! the fail-closed outage notices; the verifier's coverage gives the silences.

use super::local_time::LocalTime;
use super::texts::{number, word};
use super::{Chapter, Options};
use crate::Error;
use crate::report::section::{self, Section, Spec, text};
use crate::report::svg::{Chart, Kind};
use crate::verify::Verified;
use chrono::NaiveDate;
use datafusion::prelude::SessionContext;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Records per chain per local day of the period.
pub const PER_DAY: &str = "\
SELECT chain_id, day, count(*) AS records,
       min(local_time) AS first_time, max(local_time) AS last_time
FROM period
GROUP BY chain_id, day
ORDER BY chain_id, day";

/// Start, stop and notice records of the period; a start is unclean when the start or
/// stop record before it in its chain (also before the period) is a start.
pub const LIFECYCLE: &str = r#"WITH lifecycle AS (
  SELECT chain_id, seq, time, kind, reason, detail,
         last_value(CASE WHEN kind IN ('start', 'stop') THEN kind END) IGNORE NULLS
           OVER (PARTITION BY chain_id ORDER BY seq
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_run
  FROM access
  WHERE kind IN ('start', 'stop', 'notice'))
SELECT arrow_cast(time, 'Timestamp(Microsecond, Some("{tz}"))') AS time, chain_id, seq, kind,
       kind = 'start' AND coalesce(previous_run = 'start', false) AS unclean_start,
       reason AS message, detail
FROM lifecycle
WHERE time >= $from AND time < $to
ORDER BY time, chain_id, seq"#;

/// What one chain did in the period.
#[derive(Default)]
struct Chain {
    days: BTreeMap<NaiveDate, i64>,
    first: Option<String>,
    last: Option<String>,
    starts: i64,
    stops: i64,
    unclean: i64,
    notices: i64,
    refused: i64,
    silences: i64,
}

/// Sections `compliance.coverage`, `.periods`, `.lifecycle` and `.silences`.
pub async fn chapter(
    ctx: &SessionContext,
    opts: &Options,
    verified: &Verified,
    time: &LocalTime,
) -> Result<Chapter, Error> {
    let spec = |id, sql| Spec {
        id,
        sql,
        needs: &[],
    };
    let days = section::run(ctx, &spec("compliance.periods", PER_DAY), opts).await?;
    let mut events = section::run(ctx, &spec("compliance.lifecycle", LIFECYCLE), opts).await?;
    let mut chains: BTreeMap<String, Chain> = (verified.results.iter())
        .map(|r| (r.chain.clone(), Chain::default()))
        .collect();
    count_days(&days, &mut chains);
    outages(&mut events, &mut chains, time);
    let silences = silences(verified, opts, time, &mut chains);
    let periods = periods(days, &chains, opts);
    let coverage = per_chain(&chains, opts);
    Ok(Chapter {
        summary: summary(&chains, opts),
        sections: vec![coverage, periods, events, silences],
    })
}

fn cell<'a>(s: &Section, row: &'a [Value], column: &str) -> &'a Value {
    s.column(column).map_or(&Value::Null, |i| &row[i])
}

fn count_days(days: &Section, chains: &mut BTreeMap<String, Chain>) {
    for row in &days.rows {
        let c = chains.entry(text(cell(days, row, "chain_id"))).or_default();
        let day = NaiveDate::parse_from_str(&text(cell(days, row, "day")), "%Y-%m-%d");
        if let Ok(day) = day {
            c.days
                .insert(day, cell(days, row, "records").as_i64().unwrap_or(0));
        }
        c.first
            .get_or_insert_with(|| text(cell(days, row, "first_time")));
        c.last = Some(text(cell(days, row, "last_time")));
    }
}

/// Counts the lifecycle records and adds the outage of each notice as columns
/// (`detail` = `{"refused":…,"unavailable_from_us":…,"unavailable_to_us":…}`).
fn outages(events: &mut Section, chains: &mut BTreeMap<String, Chain>, time: &LocalTime) {
    let col = |c: &str| events.column(c);
    let (chain, kind, unclean, detail) = (
        col("chain_id"),
        col("kind"),
        col("unclean_start"),
        col("detail"),
    );
    let get = |row: &[Value], i: Option<usize>| i.map_or(String::new(), |i| text(&row[i]));
    let at = detail.unwrap_or(events.columns.len());
    for row in &mut events.rows {
        let c = chains.entry(get(row, chain)).or_default();
        let kind = get(row, kind);
        let outage: Value = serde_json::from_str(&get(row, detail))
            .ok()
            .filter(|_| kind == "notice")
            .unwrap_or(Value::Null);
        let refused = outage["refused"].as_i64();
        match kind.as_str() {
            "start" => c.starts += 1,
            "stop" => c.stops += 1,
            _ => c.notices += 1,
        }
        c.unclean += i64::from(get(row, unclean) == "true");
        c.refused += refused.unwrap_or(0);
        let show = |k: &str| outage[k].as_i64().map(|us| time.show(us)).into();
        let added = [
            refused.into(),
            show("unavailable_from_us"),
            show("unavailable_to_us"),
        ];
        row.splice(at..at, added);
    }
    let names = ["refused", "outage_from", "outage_to"].map(str::to_owned);
    events.columns.splice(at..at, names);
}

fn silences(
    verified: &Verified,
    opts: &Options,
    time: &LocalTime,
    chains: &mut BTreeMap<String, Chain>,
) -> Section {
    let lang = opts.lang;
    let mut s = Section::new("compliance.silences", lang).with_columns(&[
        "chain_id",
        "from_time",
        "to_time",
        "duration",
        "after_seq",
        "before_seq",
    ]);
    let mut measured = false;
    for r in &verified.results {
        let Ok(summary) = &r.result else { continue };
        let cov = &summary.coverage;
        measured |= cov.silence_threshold_us.is_some();
        let kept = (cov.silences.iter()).filter(|g| time.overlaps(g.from_us, g.to_us));
        for g in kept {
            let secs = u64::try_from((g.to_us - g.from_us) / 1_000_000).unwrap_or(0);
            let length = humantime::format_duration(std::time::Duration::from_secs(secs));
            s.rows.push(vec![
                json!(r.chain),
                json!(time.show(g.from_us)),
                json!(time.show(g.to_us)),
                json!(length.to_string()),
                json!(g.after_seq),
                json!(g.before_seq),
            ]);
            chains.entry(r.chain.clone()).or_default().silences += 1;
        }
        if cov.silences_total > cov.silences.len() as u64 {
            s.notes
                .push(format!("{}: {}", r.chain, word(lang, "silences-kept")));
        }
    }
    let threshold = humantime::format_duration(opts.integrity.silence);
    s.notes.insert(
        0,
        match measured {
            true => format!("{}: {threshold}.", word(lang, "silence-threshold")),
            false => word(lang, "silence-off").to_owned(),
        },
    );
    s.note_if_empty(lang);
    s
}

/// Days without records between a chain's first and last day with records in the
/// period: the gaps in its logging. Days before the first or after the last are said
/// in a note ([`edges`]), as they often mean the sidecar was not yet or no longer there.
fn gaps(c: &Chain) -> i64 {
    match (c.days.keys().next(), c.days.keys().next_back()) {
        (Some(f), Some(l)) => (*l - *f).num_days() + 1 - c.days.len() as i64,
        _ => 0,
    }
}

/// Where a chain's records begin after the period's start or end before its end.
fn edges(id: &str, c: &Chain, opts: &Options) -> Vec<String> {
    let lang = opts.lang;
    let (Some(first), Some(last)) = (c.days.keys().next(), c.days.keys().next_back()) else {
        return vec![format!("{id}: {}", word(lang, "no-records"))];
    };
    let mut out = Vec::new();
    if let Some(from) = opts.period.from.filter(|f| f < first) {
        let n = (*first - from).num_days();
        out.push(format!(
            "{id}: {} {first} ({n} {})",
            word(lang, "first-on"),
            word(lang, "after-start")
        ));
    }
    if let Some(to) = opts.period.to.filter(|t| t > last) {
        let n = (to - *last).num_days();
        out.push(format!(
            "{id}: {} {last} ({n} {})",
            word(lang, "last-on"),
            word(lang, "before-end")
        ));
    }
    out
}

fn per_chain(chains: &BTreeMap<String, Chain>, opts: &Options) -> Section {
    let mut s = Section::new("compliance.coverage", opts.lang).with_columns(&[
        "chain_id",
        "first_time",
        "last_time",
        "records",
        "days",
        "days_without_records",
        "starts",
        "stops",
        "unclean_starts",
        "notices",
        "refused",
        "silences",
    ]);
    for (id, c) in chains {
        s.notes.extend(edges(id, c, opts));
        let records: i64 = c.days.values().sum();
        let days = c.days.len() as i64;
        s.rows.push(vec![
            json!(id),
            c.first.clone().into(),
            c.last.clone().into(),
            json!(records),
            json!(days),
            json!(gaps(c)),
            json!(c.starts),
            json!(c.stops),
            json!(c.unclean),
            json!(c.notices),
            json!(c.refused),
            json!(c.silences),
        ]);
    }
    s.note_if_empty(opts.lang);
    s
}

/// Consecutive days with records, per chain, and a chart of the records per day.
fn periods(days: Section, chains: &BTreeMap<String, Chain>, opts: &Options) -> Section {
    let mut s = Section::new("compliance.periods", opts.lang)
        .with_columns(&["chain_id", "from_day", "to_day", "days", "records"]);
    for (id, c) in chains {
        let mut run: Option<(NaiveDate, NaiveDate, i64)> = None;
        for (&day, &n) in &c.days {
            run = match run {
                Some((f, l, m)) if l.succ_opt() == Some(day) => Some((f, day, m + n)),
                Some(done) => {
                    s.rows.push(stretch(id, done));
                    Some((day, day, n))
                }
                None => Some((day, day, n)),
            };
        }
        s.rows.extend(run.map(|r| stretch(id, r)));
    }
    s.charts
        .extend(chart(&days, word(opts.lang, "records-per-day")));
    s.note_if_empty(opts.lang);
    s
}

fn stretch(chain: &str, (from, to, records): (NaiveDate, NaiveDate, i64)) -> Vec<Value> {
    vec![
        json!(chain),
        json!(from.to_string()),
        json!(to.to_string()),
        json!((to - from).num_days() + 1),
        json!(records),
    ]
}

/// One line per chain of its records per day.
fn chart(days: &Section, title: &str) -> Option<Chart> {
    let mut labels: Vec<String> = (days.rows.iter())
        .map(|r| text(cell(days, r, "day")))
        .collect();
    labels.sort();
    labels.dedup();
    let mut series: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in &days.rows {
        let values = (series.entry(text(cell(days, r, "chain_id"))))
            .or_insert_with(|| vec![0.0; labels.len()]);
        let i = labels.binary_search(&text(cell(days, r, "day"))).ok()?;
        values[i] = cell(days, r, "records").as_f64().unwrap_or(0.0);
    }
    (!labels.is_empty()).then(|| Chart {
        title: title.to_owned(),
        kind: Kind::Line,
        labels,
        series: series.into_iter().collect(),
    })
}

fn summary(chains: &BTreeMap<String, Chain>, opts: &Options) -> Vec<(String, String)> {
    let lang = opts.lang;
    let w = |k| word(lang, k);
    let sum = |f: fn(&Chain) -> i64| chains.values().map(f).sum::<i64>();
    let records = sum(|c| c.days.values().sum());
    let without: Vec<String> = (chains.iter())
        .map(|(id, c)| format!("{id}: {}", gaps(c)))
        .collect();
    let sidecar = format!(
        "{} {} ({}: {}), {} {} ({}: {}), {} {}",
        w("starts"),
        sum(|c| c.starts),
        w("unclean"),
        sum(|c| c.unclean),
        w("notices"),
        sum(|c| c.notices),
        w("refused"),
        sum(|c| c.refused),
        w("silences"),
        sum(|c| c.silences),
    );
    vec![
        (w("in-period").to_owned(), number(lang, records)),
        (w("days-without").to_owned(), without.join(", ")),
        (w("sidecar").to_owned(), sidecar),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_the_days_without_records_between_the_first_and_the_last() {
        let mut c = Chain::default();
        assert_eq!(gaps(&c), 0);
        for d in [5, 6, 9, 10] {
            let day = NaiveDate::from_ymd_opt(2026, 1, d).expect("day");
            c.days.insert(day, 100);
        }
        assert_eq!(gaps(&c), 2, "the 7th and the 8th");
    }
}
