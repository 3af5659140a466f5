//! The report as one self-contained HTML page: inline CSS (`html_style.rs`), inline SVG
//! charts, no scripts and no external assets, so it can be archived, mailed or printed
//! as it is. A report in chapters (compliance) gets chapter headings, a contents list
//! per chapter and its verdict as a banner; alerts stand out in red.

use super::html_style::CSS;
use super::render::{display_in, shown_line};
use super::section::{Report, Section, Verdict};
use super::{name, texts};
use crate::cli::Lang;
use serde_json::Value;
use std::fmt::Write;

/// `&`, `<`, `>`, `"` and `'` escaped for text and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page.
pub fn html(r: &Report, max_rows: usize) -> String {
    let lang = match r.lang {
        Lang::Nl => "nl",
        Lang::En => "en",
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"zegel-analyzer report {}\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body class=\"report-{}\">\n",
        name(r.name),
        escape(&r.title),
        name(r.name)
    );
    header(&mut out, r);
    out.push_str("<main>\n");
    if let Some(v) = &r.verdict {
        verdict(&mut out, v, r.lang);
    }
    contents(&mut out, r);
    let chaptered = r.sections.iter().any(|s| s.chapter.is_some());
    for s in &r.sections {
        if let Some(c) = &s.chapter {
            let _ = writeln!(
                out,
                "<h2 class=\"chapter\" id=\"{}\">{}</h2>",
                chapter_anchor(s),
                escape(c)
            );
        }
        section(&mut out, s, r.lang, max_rows, chaptered);
    }
    let _ = write!(
        out,
        "</main>\n<footer>{}</footer>\n</body>\n</html>\n",
        escape(texts::word(r.lang, "footer"))
    );
    out
}

fn header(out: &mut String, r: &Report) {
    let w = |k| escape(texts::word(r.lang, k));
    let _ = write!(out, "<header>\n<h1>{}</h1>\n", escape(&r.title));
    if let Some(s) = &r.subject {
        let _ = writeln!(out, "<p class=\"subject\">{}</p>", escape(s));
    }
    let sources = (r.sources.iter())
        .map(|s| escape(s))
        .collect::<Vec<_>>()
        .join("<br>");
    let _ = write!(
        out,
        "<dl><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{sources}</dd><dt>{}</dt><dd>{}</dd></dl>\n</header>\n",
        w("period"),
        escape(&r.period),
        w("sources"),
        w("generated"),
        escape(&r.generated_at)
    );
}

fn verdict(out: &mut String, v: &Verdict, lang: Lang) {
    let class = if v.ok { "ok" } else { "failed" };
    let _ = writeln!(
        out,
        "<div class=\"verdict {class}\"><span class=\"label\">{}</span><span>{}</span></div>",
        escape(texts::word(lang, "verdict")),
        escape(&v.text)
    );
}

fn contents(out: &mut String, r: &Report) {
    if r.sections.len() < 2 {
        return;
    }
    let _ = write!(
        out,
        "<nav><h2>{}</h2>",
        escape(texts::word(r.lang, "contents"))
    );
    if r.sections.iter().any(|s| s.chapter.is_some()) {
        chapter_contents(out, r);
    } else {
        out.push_str("<ol>");
        for s in &r.sections {
            out.push_str(&contents_item(s));
        }
        out.push_str("</ol>");
    }
    out.push_str("</nav>\n");
}

/// One list item per chapter, with its sections below it.
fn chapter_contents(out: &mut String, r: &Report) {
    out.push_str("<ol class=\"chapters\">");
    let mut open = false;
    for s in &r.sections {
        if let Some(c) = &s.chapter {
            if open {
                out.push_str("</ul></li>");
            }
            let _ = write!(
                out,
                "<li><a href=\"#{}\">{}</a><ul>",
                chapter_anchor(s),
                escape(c)
            );
            open = true;
        }
        out.push_str(&contents_item(s));
    }
    if open {
        out.push_str("</ul></li>");
    }
    out.push_str("</ol>");
}

fn contents_item(s: &Section) -> String {
    format!(
        "<li><a href=\"#{}\">{}</a> {}</li>",
        anchor(s.id),
        escape(&s.title),
        badge(s)
    )
}

fn anchor(id: &str) -> String {
    id.replace('.', "-")
}

fn chapter_anchor(s: &Section) -> String {
    format!("chapter-{}", anchor(s.id))
}

/// The row count: orange when a check found something, green when it found nothing.
/// The compliance pack's sections are not checks: they get none, except a red `!`
/// when they raise an alert.
fn badge(s: &Section) -> String {
    let n = s.rows.len();
    let (class, label) = match (s.ran, n, s.id.split('.').next()) {
        _ if !s.alerts.is_empty() => ("count failed", "!".to_owned()),
        (_, _, Some("compliance")) => return String::new(),
        (false, _, _) => ("count", "–".to_owned()),
        (true, 0, Some("review")) => ("count none", "0".to_owned()),
        (true, _, Some("review")) => ("count found", n.to_string()),
        _ => ("count", n.to_string()),
    };
    format!("<span class=\"{class}\">{label}</span>")
}

fn section(out: &mut String, s: &Section, lang: Lang, max_rows: usize, chaptered: bool) {
    let (h, class) = if chaptered {
        ("h3", " class=\"in-chapter\"")
    } else {
        ("h2", "")
    };
    let _ = write!(
        out,
        "<section id=\"{}\"{class}>\n<{h}>{}{}</{h}>\n<p class=\"why\">{}</p>\n",
        anchor(s.id),
        escape(&s.title),
        badge(s),
        escape(&s.why)
    );
    for a in &s.alerts {
        let _ = writeln!(out, "<p class=\"alert\">{}</p>", escape(a));
    }
    for n in &s.notes {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(n));
    }
    if !s.charts.is_empty() {
        out.push_str("<div class=\"charts\">");
        for c in &s.charts {
            out.push_str(&c.svg());
        }
        out.push_str("</div>\n");
    }
    if !s.rows.is_empty() {
        rows(out, s, lang, max_rows);
    }
    if !s.rows.is_empty() && (s.rows.len() > max_rows || !s.id.starts_with("compliance.")) {
        let _ = writeln!(
            out,
            "<p class=\"rows\">{}</p>",
            escape(shown_line(s, lang, max_rows).trim_end())
        );
    }
    out.push_str("</section>\n");
}

fn rows(out: &mut String, s: &Section, lang: Lang, max_rows: usize) {
    let kv = s.columns == ["item", "value"];
    let table = if kv {
        "<table class=\"kv\">"
    } else {
        "<table>"
    };
    let _ = write!(out, "<div class=\"wrap\">{table}\n<thead><tr>");
    let numeric: Vec<bool> = (0..s.columns.len())
        .map(|i| s.rows.iter().any(|r| r[i].is_number()))
        .collect();
    for (c, num) in s.columns.iter().zip(&numeric) {
        let class = if *num { " class=\"num\"" } else { "" };
        let _ = write!(out, "<th{class}>{}</th>", escape(&texts::column(lang, c)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in s.rows.iter().take(max_rows) {
        out.push_str("<tr>");
        for (v, c) in row.iter().zip(&s.columns) {
            let text = escape(&display_in(c, v, lang)).replace('\n', "<br>");
            let _ = write!(out, "<td class=\"{}\">{text}</td>", cell_class(c, v));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

fn cell_class(column: &str, v: &Value) -> &'static str {
    match (column, v) {
        ("findings", Value::Number(n)) if n.as_u64() == Some(0) => "num good",
        ("findings", Value::Number(_)) => "num warn",
        (_, Value::Number(_)) => "num",
        ("verified", Value::Bool(true)) => "good",
        ("verified", Value::Bool(false)) | ("unclean_start", Value::Bool(true)) => "bad",
        ("changed", Value::Bool(true)) => "warn",
        (
            "time" | "first_time" | "last_time" | "day" | "period_start" | "checkpoint_time"
            | "from_time" | "to_time" | "from_day" | "to_day" | "outage_from" | "outage_to",
            _,
        ) => "time",
        ("reason" | "examples" | "evidence", _) => "reason",
        ("problem" | "source", _) => "wraps",
        ("head" | "signature" | "policy_version" | "previous_version", _) => "hash",
        ("detail", _) => "detail",
        ("user_id" | "patient_id" | "organisation" | "chain_id" | "key_id", _) => "id",
        _ => "text",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
