//! Server-rendered SVG charts: grouped bars, lines and horizontal bars. No script and nothing
//! fetched: each chart is an `<svg role="img">` named by its `<title>` and described by its
//! `<desc>`, followed by the same numbers as a table in a `<details>` (the alternative for
//! screen readers, and what someone who wants to copy the numbers reads). Colours are
//! presentation attributes, not `style` (the CSP allows no inline style attributes).

use paygate_payer_pages::html::Html;

/// Series colours, each ≥ 4.5:1 on white; series are also told apart by the legend's text
/// and the table, never by colour alone.
const PALETTE: [&str; 6] = [
    "#0b57d0", "#b3261e", "#146c2e", "#8a4f00", "#6a1b9a", "#1a1a1a",
];
const WIDTH: i64 = 640;
const HEIGHT: i64 = 240;
/// Room for the y axis' labels, the legend above and the x axis' labels below.
const LEFT: i64 = 56;
const RIGHT: i64 = 8;
const TOP: i64 = 32;
const BOTTOM: i64 = 28;
/// Horizontal bars: the label column and the height of one bar.
const HBAR_LEFT: i64 = 180;
const HBAR_ROW: i64 = 26;
/// Most characters of a category label drawn (the table has it whole).
const LABEL_MAX: usize = 24;

/// One named row of values, one per label; `None` where there is nothing to show.
pub struct Series {
    pub name: String,
    pub values: Vec<Option<i64>>,
}

/// What a chart shows and how its numbers read.
pub struct Chart<'a> {
    /// Unique on the page: the ids of its title and description derive from it.
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    /// The categories: days along the x axis, or one per horizontal bar.
    pub labels: &'a [String],
    pub series: &'a [Series],
    /// How a value reads on the axis, in tooltips and in the table (a closure: an amount
    /// reads in its currency).
    pub format: &'a dyn Fn(i64) -> String,
    /// The table's first column header and the `<summary>` that opens it.
    pub label_head: &'a str,
    pub table_summary: &'a str,
}

impl Chart<'_> {
    fn max(&self) -> i64 {
        let top = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .copied()
            .max()
            .unwrap_or(0);
        nice_ceiling(top)
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ at least `v` (an axis that ends on a round number).
pub fn nice_ceiling(v: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= v {
                return m * step;
            }
        }
        step *= 10;
    }
}

fn num(h: &mut Html, name: &'static str, v: i64) {
    h.attr(name, &v.to_string());
}

fn open(h: &mut Html, c: &Chart<'_>, height: i64) {
    let (t, d) = (format!("{}-title", c.id), format!("{}-desc", c.id));
    h.raw("<figure><figcaption")
        .attr("id", &format!("{}-caption", c.id))
        .raw(">")
        .text(c.title)
        .raw("</figcaption><svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"")
        .attr("viewBox", &format!("0 0 {WIDTH} {height}"))
        .attr("aria-labelledby", &format!("{t} {d}"))
        .raw("><title")
        .attr("id", &t)
        .raw(">")
        .text(c.title)
        .raw("</title><desc")
        .attr("id", &d)
        .raw(">")
        .text(c.desc)
        .raw("</desc>");
}

/// Closes the SVG and adds the table of the same numbers.
fn close(h: &mut Html, c: &Chart<'_>) {
    h.raw("</svg><details><summary>")
        .text(c.table_summary)
        .raw("</summary><table><thead><tr><th scope=\"col\">")
        .text(c.label_head)
        .raw("</th>");
    for s in c.series {
        h.raw("<th scope=\"col\">").text(&s.name).raw("</th>");
    }
    h.raw("</tr></thead><tbody>");
    for (i, label) in c.labels.iter().enumerate() {
        h.raw("<tr><th scope=\"row\">").text(label).raw("</th>");
        for s in c.series {
            let v = s.values.get(i).copied().flatten();
            h.raw("<td class=\"num\">")
                .text(&v.map_or_else(|| "–".to_string(), |v| (c.format)(v)))
                .raw("</td>");
        }
        h.raw("</tr>");
    }
    h.raw("</tbody></table></details></figure>");
}

fn text(h: &mut Html, x: i64, y: i64, anchor: &'static str, s: &str) {
    h.raw("<text font-size=\"11\" fill=\"#1a1a1a\"");
    num(h, "x", x);
    num(h, "y", y);
    h.attr("text-anchor", anchor)
        .raw(">")
        .text(s)
        .raw("</text>");
}

/// The legend (a swatch and the name of each series) along the top.
fn legend(h: &mut Html, series: &[Series]) {
    let mut x = LEFT;
    for (i, s) in series.iter().enumerate() {
        h.raw("<rect width=\"10\" height=\"10\"");
        num(h, "x", x);
        num(h, "y", 8);
        h.attr("fill", PALETTE[i % PALETTE.len()]).raw("/>");
        text(h, x + 14, 17, "start", &s.name);
        x += 14 + 7 * s.name.chars().count() as i64 + 16;
    }
}

/// The y axis: gridlines and labels at 0, half (rounded down to a whole value, and drawn
/// where that value is) and the top, and the x axis' labels.
fn axes(h: &mut Html, c: &Chart<'_>, max: i64) {
    let plot_h = HEIGHT - TOP - BOTTOM;
    for v in [0, max / 2, max] {
        let y = HEIGHT - BOTTOM - plot_h * v / max;
        h.raw("<line stroke=\"#d0d3d8\"");
        num(h, "x1", LEFT);
        num(h, "x2", WIDTH - RIGHT);
        num(h, "y1", y);
        num(h, "y2", y);
        h.raw("/>");
        text(h, LEFT - 6, y + 4, "end", &(c.format)(v));
    }
    let slot = (WIDTH - LEFT - RIGHT) / c.labels.len().max(1) as i64;
    for (i, label) in c.labels.iter().enumerate() {
        let x = LEFT + slot * i as i64 + slot / 2;
        text(h, x, HEIGHT - 10, "middle", label);
    }
}

/// Grouped vertical bars: one group per label, one bar per series.
pub fn bars(h: &mut Html, c: &Chart<'_>) {
    let max = c.max();
    open(h, c, HEIGHT);
    legend(h, c.series);
    axes(h, c, max);
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = (WIDTH - LEFT - RIGHT) / c.labels.len().max(1) as i64;
    let bar = ((slot * 4 / 5) / c.series.len().max(1) as i64).max(1);
    for (si, s) in c.series.iter().enumerate() {
        for (i, v) in s.values.iter().enumerate() {
            let Some(v) = *v else { continue };
            let bh = v * plot_h / max;
            let x = LEFT + slot * i as i64 + slot / 10 + bar * si as i64;
            h.raw("<rect");
            num(h, "x", x);
            num(h, "y", HEIGHT - BOTTOM - bh);
            num(h, "width", bar);
            num(h, "height", bh);
            h.attr("fill", PALETTE[si % PALETTE.len()]).raw("><title>");
            h.text(&format!("{} · {}: {}", c.labels[i], s.name, (c.format)(v)))
                .raw("</title></rect>");
        }
    }
    close(h, c);
}

/// One line per series through its points (a gap where a value is missing).
pub fn lines(h: &mut Html, c: &Chart<'_>) {
    let max = c.max();
    open(h, c, HEIGHT);
    legend(h, c.series);
    axes(h, c, max);
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = (WIDTH - LEFT - RIGHT) / c.labels.len().max(1) as i64;
    for (si, s) in c.series.iter().enumerate() {
        let colour = PALETTE[si % PALETTE.len()];
        let point = |i: usize, v: i64| {
            (
                LEFT + slot * i as i64 + slot / 2,
                HEIGHT - BOTTOM - v * plot_h / max,
            )
        };
        for run in runs(&s.values) {
            let pts: Vec<String> = run
                .iter()
                .map(|&(i, v)| {
                    let (x, y) = point(i, v);
                    format!("{x},{y}")
                })
                .collect();
            h.raw("<polyline fill=\"none\" stroke-width=\"2\"")
                .attr("stroke", colour)
                .attr("points", &pts.join(" "))
                .raw("/>");
        }
        for (i, v) in s.values.iter().enumerate() {
            let Some(v) = *v else { continue };
            let (x, y) = point(i, v);
            h.raw("<circle r=\"3.5\"");
            num(h, "cx", x);
            num(h, "cy", y);
            h.attr("fill", colour).raw("><title>");
            h.text(&format!("{} · {}: {}", c.labels[i], s.name, (c.format)(v)))
                .raw("</title></circle>");
        }
    }
    close(h, c);
}

/// The runs of consecutive present values, with their positions.
fn runs(values: &[Option<i64>]) -> Vec<Vec<(usize, i64)>> {
    let mut out: Vec<Vec<(usize, i64)>> = Vec::new();
    let mut cur = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => cur.push((i, *v)),
            None if !cur.is_empty() => out.push(std::mem::take(&mut cur)),
            None => {}
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// One horizontal bar per label (the first series), its value written after it.
pub fn hbars(h: &mut Html, c: &Chart<'_>) {
    let max = c.max();
    let height = 12 + HBAR_ROW * c.labels.len().max(1) as i64;
    open(h, c, height);
    let room = WIDTH - HBAR_LEFT - 72;
    let values = c.series.first().map(|s| s.values.as_slice()).unwrap_or(&[]);
    for (i, label) in c.labels.iter().enumerate() {
        let y = 6 + HBAR_ROW * i as i64;
        let short: String = label.chars().take(LABEL_MAX).collect();
        text(h, HBAR_LEFT - 8, y + 15, "end", &short);
        let v = values.get(i).copied().flatten().unwrap_or(0);
        let w = (v * room / max).max(1);
        h.raw("<rect height=\"18\"");
        num(h, "x", HBAR_LEFT);
        num(h, "y", y + 2);
        num(h, "width", w);
        h.attr("fill", PALETTE[0]).raw("/>");
        text(h, HBAR_LEFT + w + 6, y + 15, "start", &(c.format)(v));
    }
    close(h, c);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart<'a>(labels: &'a [String], series: &'a [Series]) -> Chart<'a> {
        Chart {
            id: "c",
            title: "Payments <b>",
            desc: "what it shows",
            labels,
            series,
            format: &|v| v.to_string(),
            label_head: "Day",
            table_summary: "Show as a table",
        }
    }

    #[test]
    fn axes_end_on_round_numbers() {
        let got: Vec<i64> = [0, 1, 3, 7, 10, 11, 480, 1000].map(nice_ceiling).to_vec();
        assert_eq!(got, [1, 1, 5, 10, 10, 20, 500, 1000]);
    }

    #[test]
    fn a_chart_is_named_described_escaped_and_tabulated() {
        let labels = vec!["12-01".to_string(), "12-02".to_string()];
        let series = vec![Series {
            name: "card".into(),
            values: vec![Some(4), None],
        }];
        let mut h = Html::new();
        bars(&mut h, &chart(&labels, &series));
        let s = h.into_string();
        assert!(
            s.contains("role=\"img\" viewBox=\"0 0 640 240\" aria-labelledby=\"c-title c-desc\""),
            "{s}"
        );
        assert!(
            s.contains("<title id=\"c-title\">Payments &lt;b&gt;</title>"),
            "{s}"
        );
        assert!(!s.contains("<b>") && !s.contains("style="), "{s}");
        // one bar (the missing value draws none), its height the whole plot (4 of 5 → 4/5)
        assert_eq!(s.matches("<rect x=").count(), 1, "{s}");
        assert!(s.contains("height=\"144\""), "{s}");
        // the axis of 0..5: its middle line is at 2, drawn where 2 is (180 - 2 * 180 / 5)
        assert!(s.contains("y1=\"140\" y2=\"140\"/><text font-size=\"11\" fill=\"#1a1a1a\" x=\"50\" y=\"144\" text-anchor=\"end\">2</text>"), "{s}");
        assert!(
            s.contains("<tr><th scope=\"row\">12-02</th><td class=\"num\">–</td></tr>"),
            "{s}"
        );
    }

    #[test]
    fn lines_break_where_values_are_missing() {
        let r = runs(&[Some(1), Some(2), None, Some(3), None]);
        assert_eq!(r, vec![vec![(0, 1), (1, 2)], vec![(3, 3)]]);
    }
}
