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
            Ok(s) => summary_cells(r, s, "valid".into()),
            Err(p) => match &p.verified {
                Some(s) => summary_cells(r, s, format!("FAILED at seq {}", p.seq)),
                None => {
                    let mut row = vec![r.source.clone(), r.chain.clone()];
                    row.extend(std::iter::repeat_n(String::new(), 5));
                    row.push(format!("FAILED at seq {}", p.seq));
                    row
                }
            },
        };
        t.add_row(row);
    }
    println!("{t}");
    for r in results {
        match &r.result {
            Err(p) => {
                println!("INTEGRITY FAILURE in {}: {p}", r.source);
                if let Some(s) = &p.verified {
                    println!("  {}", intact_part(s));
                }
            }
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

/// The table cells of a chain: for a failed one, what verified before the failure.
fn summary_cells(r: &ChainResult, s: &ChainSummary, result: String) -> Vec<String> {
    vec![
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
        result,
    ]
}

/// What still stands of a failed chain: the records that verified (those before a
/// record problem; all of them when only a checkpoint is wrong) and the last checkpoint
/// that matched them.
pub fn intact_part(s: &ChainSummary) -> String {
    let span = match (s.first_time_us, s.last_time_us) {
        (Some(f), Some(l)) => format!(" ({} .. {})", utc(f), utc(l)),
        _ => String::new(),
    };
    let checkpoint = match &s.last_checkpoint {
        Some(c) => format!(
            "the last checkpoint they match is seq {} at {}{}",
            c.seq,
            utc(c.time_us),
            if s.signatures_checked {
                ", its signature verified"
            } else {
                " (signatures not checked)"
            }
        ),
        None => "no checkpoint covers them".into(),
    };
    format!(
        "verified: {} records{span}, head {}; {checkpoint}",
        s.records,
        hex::encode(s.head)
    )
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
