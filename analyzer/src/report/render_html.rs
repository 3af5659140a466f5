//! The report as one self-contained HTML page: inline CSS, inline SVG charts, no
//! scripts and no external assets, so it can be archived, mailed or printed as it is.

use super::render::{display, shown_line};
use super::section::{Report, Section};
use super::{name, texts};
use crate::cli::Lang;
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

const CSS: &str = "
:root{--ink:#1d2733;--muted:#5b6776;--line:#dfe3e8;--zebra:#f5f7fa;--accent:#1f5fa8;--warn:#b3541e;--ok:#2a7d4f}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 -apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:var(--ink);background:#fff}
header{background:var(--accent);color:#fff;padding:28px 40px 22px}
header h1{margin:0 0 4px;font-size:26px;font-weight:600}
header .subject{font-size:17px;opacity:.95;margin:0 0 14px}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0;font-size:13.5px}
header dt{opacity:.8}header dd{margin:0;word-break:break-all}
main{padding:8px 40px 40px;max-width:1500px}
nav{margin:22px 0 8px;padding:14px 18px;background:var(--zebra);border:1px solid var(--line);border-radius:6px}
nav h2{font-size:14px;margin:0 0 6px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
nav ol{margin:0;padding-left:20px;columns:2;column-gap:40px}
nav li{margin:2px 0}
a{color:var(--accent);text-decoration:none}
section{margin-top:34px;page-break-inside:avoid}
h2{font-size:20px;font-weight:600;margin:0 0 6px;padding-bottom:6px;border-bottom:2px solid var(--line)}
.count{display:inline-block;margin-left:10px;padding:1px 9px;border-radius:10px;font-size:13px;font-weight:600;vertical-align:middle;background:var(--zebra);color:var(--muted);border:1px solid var(--line)}
.count.found{background:#fbeee6;color:var(--warn);border-color:#f0cdb8}
.count.none{background:#e8f4ec;color:var(--ok);border-color:#c5e3d0}
p.why{color:var(--muted);max-width:980px;margin:6px 0 10px}
p.note{margin:6px 0;padding:8px 12px;border-left:4px solid var(--line);background:var(--zebra);max-width:980px}
.wrap{overflow-x:auto;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:13px}
th{position:sticky;top:0;background:#eef1f5;text-align:left;font-weight:600;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:bottom}
th.num{text-align:right}
td{padding:6px 10px;border-bottom:1px solid #eceff3;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.time{white-space:nowrap;font-variant-numeric:tabular-nums}
td.id{white-space:nowrap}
td.reason{min-width:340px;max-width:560px}
tbody tr:nth-child(even){background:var(--zebra)}
p.rows{font-size:12.5px;color:var(--muted);margin:6px 0 0}
.charts{display:flex;flex-wrap:wrap;gap:24px;margin:10px 0 18px}
figure.chart{margin:0;flex:1 1 520px;max-width:720px;border:1px solid var(--line);border-radius:6px;padding:10px 12px 4px}
figure.chart svg{width:100%;height:auto;font-size:12px}
.tick{fill:var(--muted)}
figcaption{font-size:13px;color:var(--muted);margin-bottom:4px}
.key{margin-left:14px;white-space:nowrap}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
footer{margin:40px 40px 30px;font-size:12.5px;color:var(--muted);border-top:1px solid var(--line);padding-top:10px}
@media print{header{background:none;color:var(--ink);border-bottom:2px solid var(--ink)}.wrap{overflow:visible}th{position:static}}
";

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
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        name(r.name),
        escape(&r.title)
    );
    header(&mut out, r);
    out.push_str("<main>\n");
    contents(&mut out, r);
    for s in &r.sections {
        section(&mut out, s, r.lang, max_rows);
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

fn contents(out: &mut String, r: &Report) {
    if r.sections.len() < 2 {
        return;
    }
    let _ = write!(
        out,
        "<nav><h2>{}</h2><ol>",
        escape(texts::word(r.lang, "contents"))
    );
    for s in &r.sections {
        let _ = write!(
            out,
            "<li><a href=\"#{}\">{}</a> {}</li>",
            anchor(s.id),
            escape(&s.title),
            badge(s)
        );
    }
    out.push_str("</ol></nav>\n");
}

fn anchor(id: &str) -> String {
    id.replace('.', "-")
}

/// The row count: orange when a check found something, green when it found nothing.
fn badge(s: &Section) -> String {
    let n = s.rows.len();
    let class = match (s.ran, n, s.id.starts_with("review.")) {
        (false, _, _) => "count",
        (true, 0, true) => "count none",
        (true, _, true) => "count found",
        _ => "count",
    };
    let label = if s.ran { n.to_string() } else { "–".into() };
    format!("<span class=\"{class}\">{label}</span>")
}

fn section(out: &mut String, s: &Section, lang: Lang, max_rows: usize) {
    let _ = write!(
        out,
        "<section id=\"{}\">\n<h2>{}{}</h2>\n<p class=\"why\">{}</p>\n",
        anchor(s.id),
        escape(&s.title),
        badge(s),
        escape(&s.why)
    );
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
        let _ = writeln!(
            out,
            "<p class=\"rows\">{}</p>",
            escape(shown_line(s, lang, max_rows).trim_end())
        );
    }
    out.push_str("</section>\n");
}

fn rows(out: &mut String, s: &Section, lang: Lang, max_rows: usize) {
    out.push_str("<div class=\"wrap\"><table>\n<thead><tr>");
    let numeric: Vec<bool> = (0..s.columns.len())
        .map(|i| s.rows.iter().any(|r| r[i].is_number()))
        .collect();
    for (c, num) in s.columns.iter().zip(&numeric) {
        let class = if *num { " class=\"num\"" } else { "" };
        let _ = write!(out, "<th{class}>{}</th>", escape(&texts::column(lang, c)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    let classes: Vec<&str> = s.columns.iter().map(|c| cell_class(c)).collect();
    for row in s.rows.iter().take(max_rows) {
        out.push_str("<tr>");
        for (v, class) in row.iter().zip(&classes) {
            let class = if v.is_number() { "num" } else { class };
            let _ = write!(
                out,
                "<td class=\"{class}\">{}</td>",
                escape(&display(v, lang))
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

fn cell_class(column: &str) -> &'static str {
    match column {
        "time" | "first_time" | "last_time" | "day" | "period_start" => "time",
        "reason" => "reason",
        "user_id" | "patient_id" | "organisation" => "id",
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
