//! A hand-written SVG bar chart (no font or image libraries): for every case,
//! one horizontal bar per runtime showing its performance relative to tokio,
//! oriented so that better is to the right for every metric. The scale is
//! logarithmic and the bars grow from tokio's 1.0, so 2× better and 2× worse
//! are equally long.

use std::fmt::Write as _;

use super::{Report, Row};
use crate::runtime::Runtime;

const WIDTH: f64 = 960.0;
const LABEL_W: f64 = 300.0;
const BAR_H: f64 = 12.0;
const GROUP_GAP: f64 = 10.0;
const TOP: f64 = 64.0;

fn color(runtime: Runtime) -> &'static str {
    match runtime {
        Runtime::RinglineUring => "#d95f02",
        Runtime::RinglineMio => "#fdae61",
        Runtime::Tokio => "#7570b3",
        Runtime::RawUring => "#1b9e77",
        Runtime::RawUringFixed => "#66a61e",
        Runtime::RawUringZc => "#a6761d",
    }
}

/// How much better than tokio `row` is (>1: better), whatever the metric's direction.
fn relative(report: &Report, row: &Row) -> Option<f64> {
    let ratio = report.ratio(row, Runtime::Tokio)?;
    let rel = if row.metric.higher_is_better { ratio } else { 1.0 / ratio };
    rel.is_finite().then_some(rel)
}

/// The chart as an SVG document.
pub fn svg(report: &Report) -> String {
    let mut groups: Vec<(String, Vec<(Runtime, f64)>)> = Vec::new();
    for row in &report.rows {
        let Some(rel) = relative(report, row) else { continue };
        let label = format!("{}: {}", row.workload, row.case);
        match groups.last_mut() {
            Some((last, bars)) if *last == label => bars.push((row.runtime, rel)),
            _ => groups.push((label, vec![(row.runtime, rel)])),
        }
    }
    let all = groups.iter().flat_map(|(_, bars)| bars.iter().map(|&(_, rel)| rel));
    let lo = all.clone().fold(0.5f64, f64::min).log2().floor();
    let hi = all.fold(2.0f64, f64::max).log2().ceil();
    let plot_w = WIDTH - LABEL_W - 50.0;
    let x = |rel: f64| LABEL_W + (rel.log2() - lo) / (hi - lo) * plot_w;
    let body: f64 = groups.iter().map(|(_, bars)| bars.len() as f64 * BAR_H + GROUP_GAP).sum();
    let height = TOP + body + 30.0;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="10" y="20" font-size="14" font-weight="bold">Performance relative to tokio (log scale; right of 1.0 = better than tokio)</text>"#
    );
    let mut legend_x = 10.0;
    for runtime in Runtime::ALL.into_iter().filter(|r| report.rows.iter().any(|row| row.runtime == *r)) {
        let _ = writeln!(
            svg,
            r#"<rect x="{legend_x}" y="32" width="12" height="12" fill="{}"/><text x="{}" y="42">{}</text>"#,
            color(runtime),
            legend_x + 16.0,
            runtime.label()
        );
        legend_x += 150.0;
    }
    let mut y = TOP;
    for (label, bars) in &groups {
        let group_h = bars.len() as f64 * BAR_H;
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            LABEL_W - 8.0,
            y + group_h / 2.0 + 4.0,
            escape(label)
        );
        for (i, &(runtime, rel)) in bars.iter().enumerate() {
            let top = y + i as f64 * BAR_H;
            let (left, right) = if rel >= 1.0 { (x(1.0), x(rel)) } else { (x(rel), x(1.0)) };
            let _ = writeln!(
                svg,
                r#"<rect x="{left:.1}" y="{top}" width="{:.1}" height="{}" fill="{}"><title>{}: {rel:.2}</title></rect><text x="{:.1}" y="{}" font-size="9">{rel:.2}</text>"#,
                (right - left).max(1.0),
                BAR_H - 2.0,
                color(runtime),
                runtime.label(),
                right + 3.0,
                top + BAR_H - 3.0,
            );
        }
        y += group_h + GROUP_GAP;
    }
    for power in lo as i32..=hi as i32 {
        let rel = 2f64.powi(power);
        let gx = x(rel);
        let style = if power == 0 { r##"stroke="#333""## } else { r##"stroke="#ccc" stroke-dasharray="3 3""## };
        let _ = writeln!(
            svg,
            r#"<line x1="{gx:.1}" y1="{TOP}" x2="{gx:.1}" y2="{y}" {style}/><text x="{gx:.1}" y="{}" text-anchor="middle">{}</text>"#,
            y + 14.0,
            if power == 0 { "1 (tokio)".to_string() } else { format!("{rel}×") }
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
