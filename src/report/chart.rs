//! Charts drawn on the server as SVG, embedded in pages (no JavaScript) and printable.
//!
//! * [`bars`]: horizontal bars by category — one series (counts by agency, answers to a
//!   question with their shares) or several stacked (items on time / due soon / overdue
//!   by agency). Horizontal, because agency names are long.
//! * [`trend`]: values over periods (a line per series with a point per period).
//!
//! Every bar segment and point carries a `<title>` naming its category, series and value
//! (read by screen readers and shown on hover), the chart a `<title>` and `<desc>`; labels
//! are measured with [`super::font`] and cut with «…» only when they cannot fit (the full
//! text stays in the title). Colours meet WCAG AA contrast against white.

use std::fmt::Write as _;

use super::font;
use super::html::escape;

pub const FONT: &str = "Arial, 'Liberation Sans', sans-serif";
const SIZE: f64 = 12.0;
const WIDTH: f64 = 720.0;

/// Colours for series, in order; and the meaning-bearing ones for statuses.
pub const PALETTE: &[&str] = &["#0b5cab", "#1e7b34", "#a85d00", "#a4262c", "#5b6673", "#6b3fa0"];
pub const GOOD: &str = "#1e7b34";
pub const WARN: &str = "#a85d00";
pub const BAD: &str = "#a4262c";
pub const NEUTRAL: &str = "#5b6673";

#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub color: String,
}

impl Series {
    pub fn new(name: impl Into<String>, color: &str) -> Series {
        Series { name: name.into(), color: color.to_owned() }
    }
}

/// One category: its label, one value per series, an optional link (a portal path).
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub values: Vec<f64>,
    pub href: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Bars {
    /// Unique on the page (ids of the title and description).
    pub id: String,
    pub title: String,
    pub series: Vec<Series>,
    pub bars: Vec<Bar>,
    /// Print each bar's share of the sum of all bars beside its value.
    pub shares: bool,
}

fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 { format!("{}", v as i64) } else { format!("{v:.1}").replace('.', ",") }
}

/// A round upper bound for an axis: 1, 2 or 5 × 10ⁿ.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 5.0, 10.0] {
        if v <= step * magnitude {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// Opens the chart. A chart whose bars are links is a `group`, not an `img`: an image hides
/// its content from assistive technology, and links inside it would be focusable yet nameless
/// (axe-core: nested-interactive, WCAG 4.1.2).
fn header(h: &mut String, id: &str, title: &str, desc: &str, height: f64, links: bool) {
    let role = if links { "group" } else { "img" };
    let _ = write!(
        h,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"100%\" role=\"{role}\" aria-labelledby=\"{id}-t {id}-d\" font-family=\"{FONT}\" font-size=\"{SIZE}\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        escape(title),
        escape(desc)
    );
}

/// A bar's link when it stays on the portal (a path, never another host).
fn local_link(href: Option<&str>) -> Option<&str> {
    href.filter(|h| h.starts_with('/') && !h.starts_with("//"))
}

/// A legend row of coloured squares and series names; returns its height.
fn legend(h: &mut String, series: &[Series], y: f64) -> f64 {
    if series.len() < 2 {
        return 0.0;
    }
    let mut x = 0.0;
    let mut y = y;
    for s in series {
        let w = 14.0 + font::width(&s.name, SIZE, false) + 16.0;
        if x + w > WIDTH && x > 0.0 {
            x = 0.0;
            y += 18.0;
        }
        let _ = write!(
            h,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            y + 2.0,
            s.color,
            x + 14.0,
            y + 11.0,
            escape(&s.name)
        );
        x += w;
    }
    y + 22.0
}

/// Horizontal bars (stacked when there are several series).
pub fn bars(chart: &Bars) -> String {
    let row = 22.0;
    let total_all: f64 = chart.bars.iter().map(|b| b.values.iter().sum::<f64>()).sum();
    let max_sum = chart.bars.iter().map(|b| b.values.iter().sum::<f64>()).fold(0.0, f64::max);
    let axis_max = nice_max(max_sum);
    let longest = chart.bars.iter().map(|b| font::width(&b.label, SIZE, false)).fold(0.0, f64::max);
    let label_w = (longest + 8.0).min(WIDTH * 0.42);
    let value_labels: Vec<String> = chart
        .bars
        .iter()
        .map(|b| {
            let sum: f64 = b.values.iter().sum();
            if chart.shares && total_all > 0.0 {
                format!(
                    "{} ({}%)",
                    fmt_value(sum),
                    fmt_value((sum / total_all * 1000.0).round() / 10.0)
                )
            } else {
                fmt_value(sum)
            }
        })
        .collect();
    let value_w =
        value_labels.iter().map(|v| font::width(v, SIZE, false)).fold(0.0, f64::max) + 8.0;
    let plot_w = (WIDTH - label_w - value_w).max(60.0);
    let mut body = String::new();
    let top = legend(&mut body, &chart.series, 0.0);
    for (i, bar) in chart.bars.iter().enumerate() {
        let y = top + i as f64 * row;
        let label = font::fit(&bar.label, SIZE, false, label_w - 8.0);
        let _ = write!(
            body,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_w - 8.0,
            y + 15.0,
            escape(&label)
        );
        let link = local_link(bar.href.as_deref());
        if let Some(href) = link {
            let _ = write!(
                body,
                "<a href=\"{}\" aria-label=\"{}: {}\">",
                escape(href),
                escape(&bar.label),
                escape(&value_labels[i])
            );
        }
        let mut x = label_w;
        for (s, v) in chart.series.iter().zip(&bar.values) {
            if *v <= 0.0 {
                continue;
            }
            let w = v / axis_max * plot_w;
            let name = if chart.series.len() > 1 {
                format!("{} — {}: {}", bar.label, s.name, fmt_value(*v))
            } else {
                format!("{}: {}", bar.label, fmt_value(*v))
            };
            let _ = write!(
                body,
                "<rect class=\"bar\" x=\"{x:.1}\" y=\"{}\" width=\"{w:.1}\" height=\"15\" fill=\"{}\"><title>{}</title></rect>",
                y + 3.0,
                s.color,
                escape(&name)
            );
            x += w;
        }
        if link.is_some() {
            body.push_str("</a>");
        }
        let _ = write!(
            body,
            "<text x=\"{:.1}\" y=\"{}\">{}</text>",
            x + 4.0,
            y + 15.0,
            escape(&value_labels[i])
        );
    }
    let height = top + chart.bars.len().max(1) as f64 * row + 6.0;
    let mut h = String::with_capacity(body.len() + 400);
    let desc = chart
        .bars
        .iter()
        .zip(&value_labels)
        .map(|(b, v)| format!("{}: {v}", b.label))
        .collect::<Vec<_>>()
        .join("; ");
    let links = chart.bars.iter().any(|b| local_link(b.href.as_deref()).is_some());
    header(&mut h, &chart.id, &chart.title, &desc, height, links);
    let _ = write!(
        h,
        "<line x1=\"{label_w}\" y1=\"{top}\" x2=\"{label_w}\" y2=\"{}\" stroke=\"#5b6673\"/>",
        height - 6.0
    );
    h.push_str(&body);
    h.push_str("</svg>");
    h
}

/// Values over periods.
#[derive(Debug, Clone)]
pub struct Trend {
    pub id: String,
    pub title: String,
    pub periods: Vec<String>,
    /// A value per period (`None` where there is none).
    pub series: Vec<(Series, Vec<Option<f64>>)>,
}

pub fn trend(chart: &Trend) -> String {
    let mut body = String::new();
    let series: Vec<Series> = chart.series.iter().map(|(s, _)| s.clone()).collect();
    let top = legend(&mut body, &series, 0.0).max(8.0);
    let max =
        chart.series.iter().flat_map(|(_, v)| v.iter().flatten()).fold(0.0f64, |a, b| a.max(*b));
    let axis_max = nice_max(max);
    // Counts get whole ticks (0, 1, 2 rather than 0, 0,5, 1, 1,5, 2): as many intervals as
    // divide the axis's top evenly; other values get quarters.
    let counts =
        chart.series.iter().flat_map(|(_, v)| v.iter().flatten()).all(|v| v.fract() == 0.0);
    let intervals = if counts {
        [4u32, 5, 2, 1].into_iter().find(|k| (axis_max / f64::from(*k)).fract() == 0.0).unwrap_or(4)
    } else {
        4
    };
    let tick = |k: u32| axis_max * f64::from(k) / f64::from(intervals);
    // Room for the widest tick label ("1,5" is wider than "2").
    let left =
        (0..=intervals).map(|k| font::width(&fmt_value(tick(k)), SIZE, false)).fold(0.0, f64::max)
            + 10.0;
    let plot_h = 200.0;
    let n = chart.periods.len().max(1);
    let step = (WIDTH - left - 10.0) / n as f64;
    let x_of = |i: usize| left + step * (i as f64 + 0.5);
    let y_of = |v: f64| top + plot_h - v / axis_max * plot_h;
    for k in 0..=intervals {
        let v = tick(k);
        let y = y_of(v);
        let _ = write!(
            body,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#d8dee5\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - 10.0,
            left - 4.0,
            y + 4.0,
            fmt_value(v)
        );
    }
    // Period labels: every one when they fit, else every k-th.
    let widest = chart.periods.iter().map(|p| font::width(p, SIZE, false)).fold(0.0, f64::max);
    let every = ((widest + 6.0) / step).ceil().max(1.0) as usize;
    for (i, p) in chart.periods.iter().enumerate() {
        if i % every == 0 {
            let _ = write!(
                body,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x_of(i),
                top + plot_h + 16.0,
                escape(p)
            );
        }
    }
    for (s, values) in &chart.series {
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x_of(i), y_of(v))))
            .collect();
        if points.len() > 1 {
            let _ = write!(
                body,
                "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>",
                s.color,
                points.join(" ")
            );
        }
        for (i, v) in values.iter().enumerate() {
            let Some(v) = v else { continue };
            let period = chart.periods.get(i).cloned().unwrap_or_default();
            let _ = write!(
                body,
                "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{}\"><title>{}</title></circle>",
                x_of(i),
                y_of(*v),
                s.color,
                escape(&format!("{} — {period}: {}", s.name, fmt_value(*v)))
            );
        }
    }
    let height = top + plot_h + 24.0;
    let desc = chart
        .series
        .iter()
        .map(|(s, v)| {
            let values: Vec<String> = chart
                .periods
                .iter()
                .zip(v)
                .filter_map(|(p, v)| v.map(|v| format!("{p} {}", fmt_value(v))))
                .collect();
            format!("{}: {}", s.name, values.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut h = String::new();
    header(&mut h, &chart.id, &chart.title, &desc, height, false);
    h.push_str(&body);
    h.push_str("</svg>");
    h
}
