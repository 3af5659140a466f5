//! Writing a report as terminal tables, one CSV table, or one JSON document (HTML is in
//! `render_html.rs`). Tables and HTML label columns in the report's language and show at
//! most `--max-rows` rows a section; CSV and JSON keep the SQL names and every row.

use super::section::{Report, Section, text};
use super::{name, render_html, texts};
use crate::Error;
use crate::cli::ReportFormat;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::{Map, Value, json};

/// The whole document (for `pdf`: the HTML page that is printed).
pub fn render(report: &Report, format: ReportFormat, max_rows: usize) -> Result<String, Error> {
    match format {
        ReportFormat::Table => Ok(table(report, max_rows)),
        ReportFormat::Csv => csv(report),
        ReportFormat::Json => Ok(json(report)),
        ReportFormat::Html | ReportFormat::Pdf => Ok(render_html::html(report, max_rows)),
        ReportFormat::Sql => Err(Error::Usage(
            "--format sql lists the SQL instead of rendering a report".into(),
        )),
    }
}

/// A cell as shown to a person: booleans in words.
pub fn display(v: &Value, lang: crate::cli::Lang) -> String {
    match v {
        Value::Bool(b) => texts::word(lang, if *b { "yes" } else { "no" }).to_owned(),
        other => text(other),
    }
}

/// A cell of `column` as shown to a person: lists of sentences (the compliance pack's
/// first findings) one per line, everything else as [`display`].
pub fn display_in(column: &str, v: &Value, lang: crate::cli::Lang) -> String {
    match v {
        Value::Array(items) if column == "examples" => {
            items.iter().map(text).collect::<Vec<_>>().join("\n")
        }
        other => display(other, lang),
    }
}

fn table(r: &Report, max_rows: usize) -> String {
    let w = |k| texts::word(r.lang, k);
    let mut out = format!("{}\n", r.title);
    if let Some(s) = &r.subject {
        out += &format!("{}: {s}\n", w("subject"));
    }
    out += &format!("{}: {}\n", w("period"), r.period);
    out += &format!("{}: {}\n", w("sources"), r.sources.join(", "));
    out += &format!("{}: {}\n", w("generated"), r.generated_at);
    if let Some(v) = &r.verdict {
        out += &format!("\n{}: {}\n", w("verdict"), v.text);
    }
    for s in &r.sections {
        if let Some(c) = &s.chapter {
            out += &format!("\n\n{c}\n{}\n", "=".repeat(c.chars().count()));
        }
        out += &format!("\n== {} ==\n{}\n", s.title, s.why);
        for a in &s.alerts {
            out += &format!("!! {a}\n");
        }
        for n in &s.notes {
            out += &format!("* {n}\n");
        }
        if !s.rows.is_empty() {
            out += &format!("{}\n", section_table(s, r.lang, max_rows));
            out += &shown_line(s, r.lang, max_rows);
        }
    }
    out
}

fn section_table(s: &Section, lang: crate::cli::Lang, max_rows: usize) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_content_arrangement(ContentArrangement::Disabled);
    t.set_header(s.columns.iter().map(|c| texts::column(lang, c)));
    for row in s.rows.iter().take(max_rows) {
        let cells = s.columns.iter().zip(row);
        t.add_row(cells.map(|(c, v)| display_in(c, v, lang)));
    }
    t
}

/// `N rows`, or how many were left out.
pub fn shown_line(s: &Section, lang: crate::cli::Lang, max_rows: usize) -> String {
    let n = s.rows.len();
    if n > max_rows {
        format!(
            "{max_rows} / {n} {}; {}\n",
            texts::word(lang, "rows"),
            texts::word(lang, "more")
        )
    } else {
        format!("{n} {}\n", texts::word(lang, "rows"))
    }
}

/// One CSV table: `section` first, then the union of the sections' columns in order of
/// appearance; a cell a section does not have is empty. Lists are joined with `, `.
fn csv(r: &Report) -> Result<String, Error> {
    let mut columns: Vec<&str> = Vec::new();
    for s in r.sections.iter().filter(|s| !s.rows.is_empty()) {
        for c in &s.columns {
            if !columns.contains(&c.as_str()) {
                columns.push(c);
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::Output {
        target: "CSV".into(),
        detail: e.to_string(),
    };
    w.write_record(std::iter::once("section").chain(columns.iter().copied()))
        .map_err(err)?;
    for s in &r.sections {
        let index: Vec<Option<usize>> = columns.iter().map(|c| s.column(c)).collect();
        for row in &s.rows {
            let cells = index
                .iter()
                .map(|i| i.map(|i| text(&row[i])).unwrap_or_default());
            w.write_record(std::iter::once(s.id.to_owned()).chain(cells))
                .map_err(err)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| Error::Output {
        target: "CSV".into(),
        detail: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|e| Error::Output {
        target: "CSV".into(),
        detail: e.to_string(),
    })
}

/// One JSON document: the frame, then every section with its rows as objects.
fn json(r: &Report) -> String {
    let sections: Vec<Value> = (r.sections.iter())
        .map(|s| {
            let rows: Vec<Value> = (s.rows.iter())
                .map(|row| {
                    let obj: Map<String, Value> =
                        s.columns.iter().cloned().zip(row.iter().cloned()).collect();
                    Value::Object(obj)
                })
                .collect();
            json!({
                "id": s.id, "chapter": s.chapter, "title": s.title, "why": s.why,
                "alerts": s.alerts, "notes": s.notes, "ran": s.ran,
                "columns": s.columns, "rows": rows,
            })
        })
        .collect();
    let verdict = (r.verdict.as_ref()).map(|v| json!({"ok": v.ok, "text": v.text}));
    let doc = json!({
        "report": name(r.name), "title": r.title, "subject": r.subject,
        "period": r.period, "sources": r.sources, "generated_at": r.generated_at,
        "verdict": verdict, "sections": sections,
    });
    format!("{doc:#}\n")
}
