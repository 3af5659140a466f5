//! Chapter 1: the verdict and what every other chapter says in a line, so the first
//! page answers the inspector's questions: did the log verify, was everything logged,
//! which policy was in force, what did the review find.

use super::Chapter;
use super::texts::word;
use crate::cli::Lang;
use crate::report::section::{Section, Verdict};
use serde_json::json;

/// Section `compliance.summary`: rows of (item, value).
pub fn chapter(verdict: &Verdict, chapters: &[Chapter], lang: Lang) -> Chapter {
    let mut s = Section::new("compliance.summary", lang).with_columns(&["item", "value"]);
    let mut lines = vec![
        (word(lang, "verdict").to_owned(), verdict.text.clone()),
        (
            word(lang, "analyzer").to_owned(),
            format!("zegel-analyzer {}", env!("CARGO_PKG_VERSION")),
        ),
    ];
    lines.extend(chapters.iter().flat_map(|c| c.summary.iter().cloned()));
    s.rows = (lines.into_iter())
        .map(|(item, value)| vec![json!(item), json!(value)])
        .collect();
    Chapter {
        sections: vec![s],
        summary: Vec::new(),
    }
}
