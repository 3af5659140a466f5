//! Chapter 2: the verifier's result per chain (the same run as `zegel-analyzer verify`,
//! chains in parallel), the head hashes and last signed checkpoints, and the verdict.
//! A failure names its chain, source, sequence number and kind as an alert, first in
//! the chapter and in the verdict.

use super::Chapter;
use super::local_time::LocalTime;
use super::texts::{capital, number, word};
use crate::cli::Lang;
use crate::output::ChainResult;
use crate::report::section::{Section, Verdict};
use crate::report::texts::{Pair, pick};
use crate::verify::Verified;
use serde_json::{Value, json};
use zegel_audit::verify::{ChainSummary, Problem, ProblemKind};

/// Sections `compliance.integrity` and `compliance.checkpoints`.
pub fn chapter(v: &Verified, lang: Lang, time: &LocalTime) -> Chapter {
    let mut results = Section::new("compliance.integrity", lang).with_columns(&[
        "source",
        "chain_id",
        "verified",
        "records",
        "first_time",
        "last_time",
        "problem_seq",
        "problem_kind",
        "problem",
    ]);
    let mut heads = Section::new("compliance.checkpoints", lang).with_columns(&[
        "chain_id",
        "head",
        "checkpoint_seq",
        "checkpoint_time",
        "key_id",
        "signatures_verified",
        "signature",
        "checkpoint_file",
    ]);
    for r in &v.results {
        results.rows.push(result_row(r, lang, time));
        heads.rows.push(head_row(r, v.file_given, lang, time));
        if let Err(p) = &r.result {
            results.alerts.push(alert(r, p, lang));
        }
    }
    results.notes.push(word(lang, "whole-log").to_owned());
    results.notes.extend(v.notes.iter().cloned());
    if !v.signatures_checked {
        heads.notes.push(word(lang, "signatures-not").to_owned());
    }
    if !v.file_given {
        heads.notes.push(capital(word(lang, "file-not-given")));
    }
    results.note_if_empty(lang);
    heads.note_if_empty(lang);
    Chapter {
        summary: summary(v, lang, time),
        sections: vec![results, heads],
    }
}

/// The verdict: OK with what was checked, or every failed chain with its place.
pub fn verdict(v: &Verified, lang: Lang) -> Verdict {
    let failures: Vec<String> = (v.results.iter())
        .filter_map(|r| r.result.as_ref().err().map(|p| place(r, p, lang)))
        .collect();
    if !failures.is_empty() {
        return Verdict {
            ok: false,
            text: format!("{}: {}", word(lang, "failed"), failures.join("; ")),
        };
    }
    let records = number(lang, summaries(v).map(|s| s.records).sum::<u64>());
    let chains = v.results.len();
    let mut text = match lang {
        Lang::Nl => format!("in orde: {chains} keten(s), {records} records geverifieerd"),
        Lang::En => format!("OK: {chains} chain(s), {records} records verified"),
    };
    if chains == 0 {
        text = format!("{}: {}", word(lang, "ok"), word(lang, "no-chains"));
    }
    if !v.signatures_checked {
        text += &format!("; {}", word(lang, "signatures").to_lowercase());
        text += &format!(" {}", word(lang, "signatures-not"));
    }
    Verdict { ok: true, text }
}

fn summaries(v: &Verified) -> impl Iterator<Item = &ChainSummary> {
    v.results.iter().filter_map(|r| r.result.as_ref().ok())
}

fn result_row(r: &ChainResult, lang: Lang, time: &LocalTime) -> Vec<Value> {
    let (source, chain) = (json!(r.source), json!(r.chain));
    match &r.result {
        Ok(s) => vec![
            source,
            chain,
            json!(true),
            json!(s.records),
            s.first_time_us.map(|t| time.show(t)).into(),
            s.last_time_us.map(|t| time.show(t)).into(),
            Value::Null,
            Value::Null,
            Value::Null,
        ],
        Err(p) => {
            let (code, _) = kind(lang, &p.kind);
            // For a failed chain: the records that verified before the failure.
            let s = p.verified.as_deref();
            vec![
                source,
                chain,
                json!(false),
                s.map(|s| s.records).into(),
                s.and_then(|s| s.first_time_us).map(|t| time.show(t)).into(),
                s.and_then(|s| s.last_time_us).map(|t| time.show(t)).into(),
                json!(p.seq),
                json!(code),
                json!(description(p, lang)),
            ]
        }
    }
}

fn head_row(r: &ChainResult, file_given: bool, lang: Lang, time: &LocalTime) -> Vec<Value> {
    let file = |key| Value::from(word(lang, key));
    let Ok(s) = &r.result else {
        let disagrees = matches!(
            &r.result,
            Err(Problem {
                kind: ProblemKind::CheckpointFileDisagrees { .. },
                ..
            })
        );
        let f = match (file_given, disagrees) {
            (false, _) => file("none"),
            (true, true) => file("file-disagrees"),
            (true, false) => file("file-unknown"),
        };
        let mut row = vec![json!(r.chain)];
        row.extend(std::iter::repeat_n(Value::Null, 6));
        row.push(f);
        return row;
    };
    let cp = s.last_checkpoint.as_ref();
    vec![
        json!(r.chain),
        json!(hex::encode(s.head)),
        cp.map(|c| c.seq).into(),
        cp.map(|c| time.show(c.time_us)).into(),
        cp.map(|c| c.key_id.clone()).into(),
        match s.signatures_checked {
            true => json!(s.checkpoints_verified),
            false => Value::Null,
        },
        cp.map(|c| hex::encode(c.signature)).into(),
        match file_given {
            true => file("file-agrees"),
            false => file("none"),
        },
    ]
}

/// `chain C (source) at record N: kind`.
fn place(r: &ChainResult, p: &Problem, lang: Lang) -> String {
    let (_, words) = kind(lang, &p.kind);
    match lang {
        Lang::Nl => format!(
            "keten {} ({}) bij record {}: {words}",
            r.chain, r.source, p.seq
        ),
        Lang::En => format!(
            "chain {} ({}) at record {}: {words}",
            r.chain, r.source, p.seq
        ),
    }
}

fn alert(r: &ChainResult, p: &Problem, lang: Lang) -> String {
    let head = match lang {
        Lang::Nl => "INTEGRITEIT GEFAALD",
        Lang::En => "INTEGRITY FAILED",
    };
    format!("{head}: {}. ({})", place(r, p, lang), detail(p))
}

/// The verifier's own description (English, exact), without its `chain .. seq ..: `.
fn detail(p: &Problem) -> String {
    let full = p.to_string();
    full.split_once(": ")
        .map_or(full.clone(), |(_, d)| d.to_owned())
}

/// The problem for the table: in Dutch the kind in words, then the verifier's words.
fn description(p: &Problem, lang: Lang) -> String {
    let (_, words) = kind(lang, &p.kind);
    match lang {
        Lang::Nl => format!("{words} ({})", detail(p)),
        Lang::En => detail(p),
    }
}

/// A stable code and words for a problem.
fn kind(lang: Lang, k: &ProblemKind) -> (&'static str, &'static str) {
    let (code, words): (&str, Pair) = match k {
        ProblemKind::HashMismatch { .. } => (
            "hash-mismatch",
            [
                "inhoud of hash van het record gewijzigd",
                "record content or hash altered",
            ],
        ),
        ProblemKind::Gap { .. } => ("gap", ["records ontbreken", "records missing"]),
        ProblemKind::Duplicate { .. } => ("duplicate", ["record dubbel", "duplicate record"]),
        ProblemKind::Reordered { .. } => (
            "reordered",
            ["records in verkeerde volgorde", "records out of order"],
        ),
        ProblemKind::Malformed { .. } => (
            "malformed",
            ["ongeldig of onleesbaar record", "malformed record"],
        ),
        ProblemKind::BadCheckpointSignature { .. } => (
            "bad-checkpoint-signature",
            [
                "ongeldige handtekening op checkpoint",
                "bad checkpoint signature",
            ],
        ),
        ProblemKind::UnknownCheckpointKey { .. } => (
            "unknown-checkpoint-key",
            [
                "checkpoint getekend met onbekende sleutel",
                "checkpoint signed by an unknown key",
            ],
        ),
        ProblemKind::CheckpointMismatch { .. } => (
            "checkpoint-mismatch",
            [
                "ondertekend checkpoint past niet bij de records: herschreven",
                "signed checkpoint does not match the records: rewritten",
            ],
        ),
        ProblemKind::MissingAfterCheckpoint { .. } => (
            "missing-after-checkpoint",
            [
                "records onder een ondertekend checkpoint ontbreken: afgekapt",
                "records covered by a signed checkpoint are missing: truncated",
            ],
        ),
        ProblemKind::CheckpointFileDisagrees { .. } => (
            "checkpoint-file-disagrees",
            [
                "checkpointbestand en database verschillen",
                "checkpoint file and database disagree",
            ],
        ),
        ProblemKind::ArchiveSeam { .. } => (
            "archive-seam",
            [
                "naad met het archief klopt niet",
                "archive seam does not match",
            ],
        ),
    };
    (code, pick(lang, &words))
}

fn summary(v: &Verified, lang: Lang, time: &LocalTime) -> Vec<(String, String)> {
    let w = |k| word(lang, k).to_owned();
    let failed = v.results.iter().filter(|r| r.result.is_err()).count();
    let mut out = vec![
        (
            w("chains"),
            format!(
                "{} ({} {}, {failed} {})",
                v.results.len(),
                v.results.len() - failed,
                w("ok").to_lowercase(),
                w("failed").to_lowercase()
            ),
        ),
        (
            w("records"),
            number(lang, summaries(v).map(|s| s.records).sum::<u64>()),
        ),
        (
            w("signatures"),
            match v.signatures_checked {
                true => format!("{} {}", w("signatures-checked"), v.key_ids.join(", ")),
                false => w("signatures-not"),
            },
        ),
        (
            w("file"),
            match (v.file_given, failed) {
                (false, _) => w("file-not-given"),
                (true, 0) => w("file-agrees"),
                (true, _) => w("file-unknown"),
            },
        ),
    ];
    for r in &v.results {
        let Ok(s) = &r.result else { continue };
        let head = format!(
            "{} ({} records)",
            hex::encode(s.head),
            number(lang, s.records)
        );
        out.push((format!("{} {}", w("head"), r.chain), head));
        let cp = (s.last_checkpoint.as_ref()).map_or_else(
            || w("none"),
            |c| {
                format!(
                    "{} {}, {}, {} {}",
                    w("record"),
                    c.seq,
                    time.show(c.time_us),
                    w("key"),
                    c.key_id
                )
            },
        );
        out.push((format!("{} {}", w("last-checkpoint"), r.chain), cp));
    }
    out
}
