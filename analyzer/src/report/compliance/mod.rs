//! `compliance`: the evidence pack for an IGJ visit or a NEN 7510 audit
//! (docs/reports.md). It is built in chapters, in the order an inspector reads them:
//!
//! 1. `summary.rs`: the verdict and the key facts of every other chapter;
//! 2. `integrity.rs`: the real verifier (`crate::verify`) over every chain of the
//!    sources: result, head hash, last signed checkpoint, checkpoint file;
//! 3. `coverage.rs`: days logged, sidecar starts/stops/crashes, fail-closed outage
//!    notices, silences;
//! 4. `policy.rs`: policy versions in force, their changes and their decisions;
//! 5. `findings.rs`: the number of findings of each `review` check;
//! 6. `adoption.rs`: active users and requests per application per month;
//! 7. `controls.rs`: which NEN 7510 (2017 and 2024) and NEN 7513 controls each chapter
//!    gives evidence for.
//!
//! The pack is always made: when the log does not verify, the verdict says so first,
//! chapters that cannot read the broken log say that instead of their rows, and the run
//! ends with exit status 1.

mod adoption;
mod controls;
mod coverage;
mod findings;
mod integrity;
mod local_time;
mod policy;
mod summary;
pub mod texts;

pub use coverage::{LIFECYCLE, PER_DAY};
pub use policy::{LOADS, USE};

use super::Options;
use super::section::{Section, Verdict};
use crate::cli::Lang;
use crate::{Error, verify};
use datafusion::prelude::SessionContext;
use local_time::LocalTime;

/// One chapter: its sections, and its lines for the summary (label, value).
pub struct Chapter {
    /// The sections in order; the first opens the chapter.
    pub sections: Vec<Section>,
    /// What the summary says about it.
    pub summary: Vec<(String, String)>,
}

/// The pack: every section, and the verdict on integrity.
pub struct Pack {
    /// Chapters 1 to 7, flattened.
    pub sections: Vec<Section>,
    /// Whether the log verified, in one sentence.
    pub verdict: Verdict,
}

/// Verifies the sources and builds every chapter.
pub async fn build(
    ctx: &SessionContext,
    opts: &Options,
    sources: &[String],
) -> Result<Pack, Error> {
    let lang = opts.lang;
    let time = LocalTime::new(&opts.period)?;
    let verified = verify::verify_sources(sources, &opts.integrity, &[]).await?;
    let failed = verified.failed();
    let integrity = integrity::chapter(&verified, lang, &time);
    let broken = |id| move |e| readable(e, failed, lang, id);
    let coverage = coverage::chapter(ctx, opts, &verified, &time)
        .await
        .or_else(broken("compliance.coverage"))?;
    let policy = (policy::chapter(ctx, opts).await).or_else(broken("compliance.policy-loads"))?;
    let findings = (findings::chapter(ctx, opts).await).or_else(broken("compliance.findings"))?;
    let adoption = (adoption::chapter(ctx, opts).await).or_else(broken("compliance.adoption"))?;
    let verdict = integrity::verdict(&verified, lang);
    let rest = [integrity, coverage, policy, findings, adoption];
    let summary = summary::chapter(&verdict, &rest, lang);
    let mut chapters = vec![summary];
    chapters.extend(rest);
    chapters.push(controls::chapter(lang));
    Ok(Pack {
        sections: number(chapters, lang),
        verdict,
    })
}

/// A chapter that could not be computed because the log is broken where it was read:
/// said in the pack instead of ending the run (the verdict already says why). Errors of
/// a log that verified end the run as in every report.
fn readable(e: Error, failed: bool, lang: Lang, id: &'static str) -> Result<Chapter, Error> {
    if !failed {
        return Err(e);
    }
    let mut s = Section::new(id, lang);
    s.ran = false;
    s.alerts
        .push(format!("{}: {e}", texts::word(lang, "not-computed")));
    Ok(Chapter {
        sections: vec![s],
        summary: Vec::new(),
    })
}

/// Gives the first section of each chapter its heading.
fn number(chapters: Vec<Chapter>, lang: Lang) -> Vec<Section> {
    let mut out = Vec::new();
    for (i, c) in chapters.into_iter().enumerate() {
        let mut sections = c.sections;
        if let Some(first) = sections.first_mut() {
            first.chapter = Some(texts::chapter(lang, i + 1).to_owned());
        }
        out.extend(sections);
    }
    out
}
