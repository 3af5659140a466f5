//! Writing a report as terminal tables, one CSV table, or one JSON document (HTML is in
//! `render_html.rs`). Tables and HTML label columns in the report's language and show at
//! most `--max-rows` rows a section; CSV and JSON keep the SQL names and every row.

use super::section::{Report, Section, text};
use super::{name, render_html, texts};
use crate::cli::ReportFormat;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Value, json};
use std::io::Write;

/// Writes the whole document to `out`. CSV and JSON are written row by row as they are
/// serialized (they carry every row, so a large report is never held a second time as
/// text); tables and HTML show at most `max_rows` a section and are built first.
pub fn write(
    report: &Report,
    format: ReportFormat,
    max_rows: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        ReportFormat::Table => out.write_all(table(report, max_rows).as_bytes()),
        ReportFormat::Csv => csv(report, out),
        ReportFormat::Json => json(report, out),
        ReportFormat::Html | ReportFormat::Pdf => {
            out.write_all(render_html::html(report, max_rows).as_bytes())
        }
        ReportFormat::Sql => Err(std::io::Error::other(
            "--format sql lists the SQL instead of rendering a report",
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
fn csv(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mut columns: Vec<&str> = Vec::new();
    for s in r.sections.iter().filter(|s| !s.rows.is_empty()) {
        for c in &s.columns {
            if !columns.contains(&c.as_str()) {
                columns.push(c);
            }
        }
    }
    let mut w = csv::Writer::from_writer(out);
    w.write_record(std::iter::once("section").chain(columns.iter().copied()))?;
    for s in &r.sections {
        let index: Vec<Option<usize>> = columns.iter().map(|c| s.column(c)).collect();
        for row in &s.rows {
            let cells = index
                .iter()
                .map(|i| i.map(|i| text(&row[i])).unwrap_or_default());
            w.write_record(std::iter::once(s.id.to_owned()).chain(cells))?;
        }
    }
    w.flush()
}

/// One JSON document: the frame, then every section with its rows as objects; pretty
/// printed with object keys in sorted order (as `serde_json`'s map keeps them), written
/// as it is serialized instead of being built as a value first.
fn json(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::pretty(&mut *out);
    JsonReport(r).serialize(&mut ser)?;
    out.write_all(b"\n")
}

/// [`Report`] as the JSON document.
struct JsonReport<'a>(&'a Report);

impl Serialize for JsonReport<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let verdict = (r.verdict.as_ref()).map(|v| json!({"ok": v.ok, "text": v.text}));
        let sections: Vec<JsonSection<'_>> = r.sections.iter().map(JsonSection).collect();
        let mut m = s.serialize_map(Some(8))?;
        m.serialize_entry("generated_at", &r.generated_at)?;
        m.serialize_entry("period", &r.period)?;
        m.serialize_entry("report", name(r.name))?;
        m.serialize_entry("sections", &sections)?;
        m.serialize_entry("sources", &r.sources)?;
        m.serialize_entry("subject", &r.subject)?;
        m.serialize_entry("title", &r.title)?;
        m.serialize_entry("verdict", &verdict)?;
        m.end()
    }
}

/// A [`Section`] in the JSON document.
struct JsonSection<'a>(&'a Section);

impl Serialize for JsonSection<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let sec = self.0;
        let rows = JsonRows {
            sec,
            order: sorted_columns(&sec.columns),
        };
        let mut m = s.serialize_map(Some(9))?;
        m.serialize_entry("alerts", &sec.alerts)?;
        m.serialize_entry("chapter", &sec.chapter)?;
        m.serialize_entry("columns", &sec.columns)?;
        m.serialize_entry("id", sec.id)?;
        m.serialize_entry("notes", &sec.notes)?;
        m.serialize_entry("ran", &sec.ran)?;
        m.serialize_entry("rows", &rows)?;
        m.serialize_entry("title", &sec.title)?;
        m.serialize_entry("why", &sec.why)?;
        m.end()
    }
}

/// The column indices in the order of their names, a repeated name by its last index
/// (how a map built from the row would hold them).
fn sorted_columns(columns: &[String]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by(|a, b| columns[*a].cmp(&columns[*b]).then(b.cmp(a)));
    order.dedup_by(|later, kept| columns[*later] == columns[*kept]);
    order
}

/// A section's rows as an array of objects, serialized one by one.
struct JsonRows<'a> {
    sec: &'a Section,
    /// See [`sorted_columns`].
    order: Vec<usize>,
}

impl Serialize for JsonRows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.sec.rows.iter().map(|row| JsonRow {
            columns: &self.sec.columns,
            order: &self.order,
            row,
        }))
    }
}

/// One row as an object of column name to value.
struct JsonRow<'a> {
    columns: &'a [String],
    order: &'a [usize],
    row: &'a [Value],
}

impl Serialize for JsonRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A row shorter than the columns (never made by a query) pairs its values with
        // the first names only, as zipping them into a map would.
        let short;
        let order = if self.row.len() < self.columns.len() {
            short = sorted_columns(&self.columns[..self.row.len()]);
            &short
        } else {
            self.order
        };
        let mut m = s.serialize_map(Some(order.len()))?;
        for &i in order {
            m.serialize_entry(&self.columns[i], &self.row[i])?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Lang, ReportName};
    use crate::report::section::Verdict;
    use serde_json::Map;

    /// The document as a `serde_json` value, printed whole: what `json` must write.
    fn built(r: &Report) -> String {
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

    #[test]
    fn streamed_json_is_the_document_built_as_a_value() {
        let mut days = Section::new("daily.days", Lang::En);
        // Unsorted names, a repeated one, a short row, every kind of value.
        days.columns = ["user_id", "day", "records", "bytes", "day", "ok", "roles"]
            .map(String::from)
            .to_vec();
        days.rows = vec![
            vec![
                json!("uzi:1 \"quoted\" é"),
                json!("2026-01-06"),
                json!(12),
                json!(1.5),
                json!("2026-01-07"),
                json!(true),
                json!(["arts", "staff"]),
            ],
            vec![json!(null), json!("2026-01-08")],
        ];
        days.alerts = vec!["alert".into()];
        days.chapter = Some("1. Chapter".into());
        let mut empty = Section::new("daily.days", Lang::Nl);
        empty.note_if_empty(Lang::Nl);
        let report = Report {
            name: ReportName::Daily,
            lang: Lang::En,
            title: "Daily".into(),
            subject: None,
            period: "2026-01-06 – 2026-01-14".into(),
            sources: vec!["a.db".into()],
            generated_at: "now".into(),
            sections: vec![days, empty],
            verdict: Some(Verdict {
                ok: false,
                text: "failed".into(),
            }),
        };
        let mut out = Vec::new();
        write(&report, ReportFormat::Json, 10, &mut out).expect("write");
        assert_eq!(String::from_utf8(out).expect("utf-8"), built(&report));
    }
}
