//! Printing results for a person at a terminal.

use chrono::{DateTime, Utc};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use zegel_audit::verify::{ChainSummary, MAX_SILENCES, Problem};

/// The outcome of verifying one chain of one source.
pub struct ChainResult {
    /// Source URL (password removed).
    pub source: String,
    /// Chain id.
    pub chain: String,
    /// Summary, or the first problem.
    pub result: Result<ChainSummary, Problem>,
}

/// Formats microseconds since the epoch as UTC.
pub fn utc(us: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(us)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| format!("{us} us (out of range)"))
}

/// Prints one row per chain, then every problem in full.
pub fn print_verify_table(results: &[ChainResult], signatures: bool, file: bool) {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header([
        "source",
        "chain",
        "records",
        "first",
        "last",
        "head",
        "last checkpoint",
        "result",
    ]);
    for r in results {
        let row = match &r.result {
            Ok(s) => vec![
                r.source.clone(),
                r.chain.clone(),
                s.records.to_string(),
                s.first_time_us.map(utc).unwrap_or_default(),
                s.last_time_us.map(utc).unwrap_or_default(),
                hex::encode(&s.head[..8]),
                s.last_checkpoint
                    .as_ref()
                    .map(|c| format!("seq {} at {}", c.seq, utc(c.time_us)))
                    .unwrap_or_else(|| "none".into()),
                "valid".into(),
            ],
            Err(p) => vec![
                r.source.clone(),
                r.chain.clone(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                format!("FAILED at seq {}", p.seq),
            ],
        };
        t.add_row(row);
    }
    println!("{t}");
    for r in results {
        match &r.result {
            Err(p) => println!("INTEGRITY FAILURE in {}: {p}", r.source),
            Ok(s) => println!(
                "chain {}: {} records, head {}",
                r.chain,
                s.records,
                hex::encode(s.head)
            ),
        }
    }
    if !signatures {
        println!("note: checkpoint signatures were NOT checked (give --public-key)");
    }
    if !file {
        println!(
            "note: no --checkpoint-file given: records deleted together with their checkpoint rows cannot be detected"
        );
    }
    if results.is_empty() {
        println!("note: the sources hold no chains");
    }
}

/// Silences shown per chain; the rest are counted.
const SHOWN_SILENCES: usize = 10;

/// Per valid chain: its sidecar's starts (and those without a stop before them), stops,
/// log-outage notices, and the silences while it was running.
pub fn print_coverage(results: &[ChainResult]) {
    for r in results {
        let Ok(s) = &r.result else { continue };
        let c = &s.coverage;
        println!(
            "coverage {}: sidecar starts {} (without a stop before them, a crash or kill: {}), \
             stops {}, log outage notices {}",
            r.chain, c.starts, c.unclean_starts, c.stops, c.notices
        );
        let Some(limit) = c.silence_threshold_us else {
            continue;
        };
        let limit = std::time::Duration::from_micros(limit.unsigned_abs());
        if c.silences_total == 0 {
            println!(
                "  no stretch longer than {} without records while running",
                humantime::format_duration(limit)
            );
            continue;
        }
        println!(
            "  {} stretch(es) longer than {} without records while the sidecar was running:",
            c.silences_total,
            humantime::format_duration(limit)
        );
        for g in c.silences.iter().take(SHOWN_SILENCES) {
            let length = std::time::Duration::from_secs(
                u64::try_from((g.to_us - g.from_us) / 1_000_000).unwrap_or(0),
            );
            println!(
                "  - {} .. {} ({}), after seq {}, before seq {}",
                utc(g.from_us),
                utc(g.to_us),
                humantime::format_duration(length),
                g.after_seq,
                g.before_seq
            );
        }
        let more = c.silences_total - c.silences.len().min(SHOWN_SILENCES) as u64;
        if more > 0 {
            let kept = if c.silences_total > MAX_SILENCES as u64 {
                format!(" (the first {MAX_SILENCES} kept)")
            } else {
                String::new()
            };
            println!("  ... and {more} more{kept}");
        }
    }
}
