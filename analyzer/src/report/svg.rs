//! Inline SVG charts for the HTML reports: a line or grouped-bar chart of a few series
//! over labelled points. No scripts, no external assets; text is escaped.

use super::render_html::escape;
use std::fmt::Write;

/// How a chart draws its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line per series.
    Line,
    /// Grouped bars per point.
    Bar,
}

/// A chart: labels along x, one or more named series of values.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Caption.
    pub title: String,
    /// Line or bar.
    pub kind: Kind,
    /// Label of each point.
    pub labels: Vec<String>,
    /// Name and values (one per label) of each series.
    pub series: Vec<(String, Vec<f64>)>,
}

const W: f64 = 640.0;
const H: f64 = 300.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 48.0;
/// Points up to which a line chart draws a dot at each.
const MAX_DOTS: usize = 60;
/// Series colours: distinguishable, also for most colour-blind readers.
const COLOURS: [&str; 8] = [
    "#1f5fa8", "#e07b00", "#2a9d8f", "#c0392b", "#7b4ea3", "#8c6d31", "#d64f9a", "#5d6d7e",
];

impl Chart {
    /// The chart as an `<svg>` element with a legend.
    pub fn svg(&self) -> String {
        let max = (self.series.iter().flat_map(|s| s.1.iter().copied())).fold(0.0_f64, f64::max);
        let top = nice_ceiling(max);
        let mut out = String::from(r#"<figure class="chart">"#);
        self.legend(&mut out);
        let _ = write!(
            out,
            r#"<svg viewBox="0 0 {W} {H}" role="img" aria-label="{}">"#,
            escape(&self.title)
        );
        self.axes(&mut out, top);
        // A line needs two points; one period is drawn as bars.
        match self.kind {
            Kind::Line if self.labels.len() > 1 => self.lines(&mut out, top),
            _ => self.bars(&mut out, top),
        }
        out.push_str("</svg></figure>");
        out
    }

    fn x(&self, i: usize) -> f64 {
        let n = self.labels.len().max(1) as f64;
        LEFT + (W - LEFT - RIGHT) * (i as f64 + 0.5) / n
    }

    fn y(v: f64, top: f64) -> f64 {
        TOP + (H - TOP - BOTTOM) * (1.0 - v / top)
    }

    fn axes(&self, out: &mut String, top: f64) {
        for k in 0..=4 {
            let v = top * f64::from(k) / 4.0;
            let y = Self::y(v, top);
            let _ = write!(
                out,
                r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e6ea"/><text x="{}" y="{:.1}" class="tick" text-anchor="end">{}</text>"##,
                W - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                short_number(v)
            );
        }
        for (i, label) in self.labels.iter().enumerate().step_by(self.label_step()) {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{}" class="tick" text-anchor="middle">{}</text>"#,
                self.x(i),
                H - BOTTOM + 18.0,
                escape(label)
            );
        }
    }

    /// Every how many points a label fits without overlapping its neighbours (a
    /// character of the 12 px tick font is about 7 units wide).
    fn label_step(&self) -> usize {
        let longest = self.labels.iter().map(|l| l.chars().count()).max();
        let room = (W - LEFT - RIGHT) / (longest.unwrap_or(1) as f64 * 7.0 + 12.0);
        self.labels.len().div_ceil((room as usize).max(1)).max(1)
    }

    fn lines(&self, out: &mut String, top: f64) {
        for (n, (_, values)) in self.series.iter().enumerate() {
            let colour = COLOURS[n % COLOURS.len()];
            let points: Vec<String> = (values.iter().enumerate())
                .map(|(i, v)| format!("{:.1},{:.1}", self.x(i), Self::y(*v, top)))
                .collect();
            let _ = write!(
                out,
                r#"<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{}"/>"#,
                points.join(" ")
            );
            // Dots mark the points of a short series; on a long one they blur the line.
            for p in points.iter().filter(|_| points.len() <= MAX_DOTS) {
                let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
                let _ = write!(out, r#"<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>"#);
            }
        }
    }

    fn bars(&self, out: &mut String, top: f64) {
        let n = self.labels.len().max(1) as f64;
        let group = (W - LEFT - RIGHT) / n * 0.8;
        let width = group / self.series.len().max(1) as f64;
        for (s, (_, values)) in self.series.iter().enumerate() {
            let colour = COLOURS[s % COLOURS.len()];
            for (i, v) in values.iter().enumerate() {
                let x = self.x(i) - group / 2.0 + width * s as f64;
                let y = Self::y(*v, top);
                let _ = write!(
                    out,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{colour}"/>"#,
                    (width - 1.0).max(1.0),
                    (H - BOTTOM - y).max(0.0)
                );
            }
        }
    }

    fn legend(&self, out: &mut String) {
        out.push_str(r#"<figcaption><strong>"#);
        out.push_str(&escape(&self.title));
        out.push_str("</strong>");
        for (n, (name, _)) in self.series.iter().enumerate() {
            let _ = write!(
                out,
                r#" <span class="key"><span class="swatch" style="background:{}"></span>{}</span>"#,
                COLOURS[n % COLOURS.len()],
                escape(name)
            );
        }
        out.push_str("</figcaption>");
    }
}

/// The smallest 1, 2 or 5 times a power of ten at or above `v` (at least 1).
fn nice_ceiling(v: f64) -> f64 {
    if v <= 1.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|c| *c >= v)
        .unwrap_or(v)
}

fn short_number(v: f64) -> String {
    if v >= 1_000_000.0 {
        format!("{:.1}M", v / 1_000_000.0)
    } else if v >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_labels_do_not_overlap() {
        let chart = |n: usize| Chart {
            title: String::new(),
            kind: Kind::Line,
            labels: (0..n).map(|i| format!("2026-01-{i:02}")).collect(),
            series: Vec::new(),
        };
        // 568 units of axis, a date label about 82: six fit.
        assert_eq!(chart(6).label_step(), 1);
        assert_eq!(chart(11).label_step(), 2);
        assert_eq!(chart(365).label_step(), 61);
    }

    #[test]
    fn scales_round_up() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(130.0), 200.0);
        assert_eq!(nice_ceiling(500.0), 500.0);
    }
}
