//! The style sheet of the HTML reports, inlined into every page: system fonts only (no
//! web fonts to fetch), colours that survive printing, and print rules (A4, a chapter
//! per page, table headers repeated, rows not split) for `--format pdf` and paper.

/// The CSS.
pub const CSS: &str = "
:root{--ink:#1d2733;--muted:#5b6776;--line:#dfe3e8;--zebra:#f5f7fa;--accent:#1f5fa8;--warn:#b3541e;--ok:#2a7d4f;--bad:#b42318}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 -apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:var(--ink);background:#fff}
header{background:var(--accent);color:#fff;padding:28px 40px 22px}
header h1{margin:0 0 4px;font-size:26px;font-weight:600}
header .subject{font-size:17px;opacity:.95;margin:0 0 14px}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0;font-size:13.5px}
header dt{opacity:.8}header dd{margin:0;word-break:break-all}
main{padding:8px 40px 40px;max-width:1500px}
.verdict{margin:22px 0 0;padding:14px 18px;border-radius:6px;font-size:16px;font-weight:600;border:1px solid;display:flex;gap:12px;align-items:baseline}
.verdict .label{text-transform:uppercase;letter-spacing:.05em;font-size:12.5px;white-space:nowrap}
.verdict.ok{background:#e8f4ec;color:var(--ok);border-color:#c5e3d0}
.verdict.failed{background:#fdecea;color:var(--bad);border-color:#f4c7c3;border-left:6px solid var(--bad)}
nav{margin:22px 0 8px;padding:14px 18px;background:var(--zebra);border:1px solid var(--line);border-radius:6px}
nav h2{font-size:14px;margin:0 0 6px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);border:0;padding:0}
nav ol{margin:0;padding-left:20px;columns:2;column-gap:40px}
nav li{margin:2px 0;break-inside:avoid}
nav ol.chapters{list-style:none;padding-left:0}
nav ol.chapters>li{margin:0 0 8px}
nav ol.chapters>li>a{font-weight:600}
nav ol.chapters ul{margin:2px 0 0;padding-left:18px;list-style:disc;color:var(--muted)}
a{color:var(--accent);text-decoration:none}
section{margin-top:34px;page-break-inside:avoid}
h2{font-size:20px;font-weight:600;margin:0 0 6px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h2.chapter{font-size:23px;margin:48px 0 0;padding-bottom:8px;border-bottom:3px solid var(--accent);color:var(--accent)}
section.in-chapter{margin-top:24px}
h3{font-size:17px;font-weight:600;margin:0 0 4px}
.count{display:inline-block;margin-left:10px;padding:1px 9px;border-radius:10px;font-size:13px;font-weight:600;vertical-align:middle;background:var(--zebra);color:var(--muted);border:1px solid var(--line)}
.count.found{background:#fbeee6;color:var(--warn);border-color:#f0cdb8}
.count.none{background:#e8f4ec;color:var(--ok);border-color:#c5e3d0}
.count.failed{background:#fdecea;color:var(--bad);border-color:#f4c7c3}
p.why{color:var(--muted);max-width:980px;margin:6px 0 10px}
p.note{margin:6px 0;padding:8px 12px;border-left:4px solid var(--line);background:var(--zebra);max-width:980px}
p.alert{margin:8px 0;padding:10px 14px;border-left:6px solid var(--bad);background:#fdecea;color:var(--bad);font-weight:600;max-width:1100px}
.wrap{overflow-x:auto;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:13px}
th{position:sticky;top:0;background:#eef1f5;text-align:left;font-weight:600;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:bottom}
th.num{text-align:right}
td{padding:6px 10px;border-bottom:1px solid #eceff3;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.time{white-space:nowrap;font-variant-numeric:tabular-nums}
td.id{white-space:nowrap}
td.reason{min-width:340px;max-width:560px;overflow-wrap:anywhere}
td.wraps{min-width:140px;max-width:420px;overflow-wrap:anywhere}
td.hash{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:11.5px;word-break:break-all;min-width:180px;max-width:300px}
td.detail{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:11px;word-break:break-all;min-width:200px;max-width:340px;color:var(--muted)}
td.good{color:var(--ok);font-weight:600}
td.warn{color:var(--warn);font-weight:600}
td.bad{color:var(--bad);font-weight:600;background:#fdecea}
table.kv td:first-child{width:28%;color:var(--muted);font-weight:600}
table.kv td{word-break:break-word}
tbody tr:nth-child(even){background:var(--zebra)}
p.rows{font-size:12.5px;color:var(--muted);margin:6px 0 0}
.charts{display:flex;flex-wrap:wrap;gap:24px;margin:10px 0 18px}
figure.chart{margin:0;flex:1 1 520px;max-width:720px;border:1px solid var(--line);border-radius:6px;padding:10px 12px 4px;break-inside:avoid}
figure.chart svg{width:100%;height:auto;font-size:12px}
.tick{fill:var(--muted)}
figcaption{font-size:13px;color:var(--muted);margin-bottom:4px}
.key{margin-left:14px;white-space:nowrap}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
footer{margin:40px 40px 30px;font-size:12.5px;color:var(--muted);border-top:1px solid var(--line);padding-top:10px}
@page{size:A4;margin:14mm 12mm 16mm}
@media print{
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font-size:11px}
header{background:none;color:var(--ink);border-bottom:2px solid var(--ink);padding:0 0 10px}
main{padding:0;max-width:none}
footer{margin:24px 0 0}
.wrap{overflow:visible;border:0}
table{font-size:9.5px}
th{position:static;padding:4px}
td{padding:3px 4px}
table.kv{font-size:11px}
td.reason{min-width:0}
td.hash,td.detail{font-size:8.5px;min-width:0;max-width:none}
thead{display:table-header-group}
tr{break-inside:avoid}
section{page-break-inside:auto}
h2,h3{break-after:avoid}
h2.chapter{break-before:page;margin-top:0}
nav ol{columns:1}
.charts{display:block}
figure.chart{max-width:125mm;margin:0 0 10px}
}
";
