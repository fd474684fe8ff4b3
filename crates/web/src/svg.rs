//! Server-drawn SVG: the alignment map. A tidy left-to-right tree: every objective is a box
//! coloured by its band, children to the right of their parent, each leaf on its own row and
//! each parent centred on its children. Every box links to the objective, so the map works
//! without JavaScript; with it, a click on a node's toggle folds its subtree.

use std::fmt::Write;

pub struct MapNode {
    pub id: i64,
    pub parent: Option<i64>,
    pub title: String,
    pub owner: String,
    /// Owned by an org unit (drawn square) rather than a person (drawn rounded).
    pub unit_owned: bool,
    pub score: f64,
    pub band: &'static str,
    /// Matches the search: drawn with a heavier outline.
    pub hit: bool,
}

const BOX_W: f64 = 236.0;
const BOX_H: f64 = 46.0;
const COL: f64 = 280.0;
const ROW: f64 = 56.0;
const PAD: f64 = 12.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Shortens a title to fit a box (CJK characters count double).
fn fit(s: &str, width: usize) -> String {
    let mut w = 0;
    let mut out = String::new();
    for c in s.chars() {
        let cw = if c.is_ascii() { 1 } else { 2 };
        if w + cw > width {
            out.push('…');
            return out;
        }
        w += cw;
        out.push(c);
    }
    out
}

struct Layout {
    /// Children of each node (by index), so a large map is laid out in linear time.
    kids: Vec<Vec<usize>>,
    pos: Vec<(f64, f64)>,
    depth_of: Vec<usize>,
    next_row: f64,
    seen: Vec<bool>,
}

impl Layout {
    /// Places node `i` and its subtree; answers the row it sits on.
    fn place(&mut self, i: usize, depth: usize, nodes: &[MapNode]) -> f64 {
        self.seen[i] = true;
        self.depth_of[i] = depth;
        let kids: Vec<usize> =
            (0..nodes.len()).filter(|k| nodes[*k].parent == Some(nodes[i].id) && !self.seen[*k]).collect();
        let y = if kids.is_empty() {
            self.next_row += 1.0;
            self.next_row - 1.0
        } else {
            let ys: Vec<f64> = kids.iter().map(|k| self.place(*k, depth + 1, nodes)).collect();
            (ys[0] + ys[ys.len() - 1]) / 2.0
        };
        self.pos[i] = (depth as f64, y);
        y
    }
}

/// Draws the nodes (parents are those present in `nodes`; others start a new tree).
pub fn alignment_map(nodes: &[MapNode], title: &str) -> String {
    let index: std::collections::HashMap<i64, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
    let parent_of: Vec<Option<usize>> = nodes.iter().map(|n| n.parent.and_then(|p| index.get(&p).copied())).collect();
    let mut kids = vec![vec![]; nodes.len()];
    for (i, p) in parent_of.iter().enumerate() {
        if let Some(p) = p {
            kids[*p].push(i);
        }
    }
    // Place leaves on rows in depth-first order; parents at the middle of their children.
    let mut lay = Layout {
        kids,
        pos: vec![(0.0, 0.0); nodes.len()],
        depth_of: vec![0; nodes.len()],
        next_row: 0.0,
        seen: vec![false; nodes.len()],
    };
    for r in (0..nodes.len()).filter(|i| parent_of[*i].is_none()) {
        lay.place(r, 0, nodes);
    }
    let Layout { kids, pos, depth_of, next_row, .. } = lay;
    let max_depth = depth_of.iter().copied().max().unwrap_or(0) as f64;
    let width = PAD * 2.0 + max_depth * COL + BOX_W;
    let height = PAD * 2.0 + next_row.max(1.0) * ROW;
    let xy = |i: usize| (PAD + pos[i].0 * COL, PAD + pos[i].1 * ROW);

    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="amap" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{}">"#,
        esc(title)
    );
    s.push_str("<g class=\"edges\">");
    for (i, n) in nodes.iter().enumerate() {
        if let Some(p) = parent_of[i] {
            let (px, py) = xy(p);
            let (cx, cy) = xy(i);
            let (x1, y1, x2, y2) = (px + BOX_W, py + BOX_H / 2.0, cx, cy + BOX_H / 2.0);
            let mx = (x1 + x2) / 2.0;
            let _ = write!(s, r#"<path data-child="{}" d="M{x1} {y1} C{mx} {y1} {mx} {y2} {x2} {y2}"/>"#, n.id);
        }
    }
    s.push_str("</g>");
    for (i, n) in nodes.iter().enumerate() {
        let (x, y) = xy(i);
        let parent = parent_of[i].map(|p| nodes[p].id.to_string()).unwrap_or_default();
        let has_kids = !kids[i].is_empty();
        let _ = write!(
            s,
            r#"<g class="node band-{}{}" data-id="{}" data-parent="{parent}" transform="translate({x} {y})">"#,
            n.band,
            if n.hit { " hit" } else { "" },
            n.id
        );
        let _ = write!(
            s,
            r#"<a href="/objectives/{}"><title>{} · {} · {:.2}</title>"#,
            n.id,
            esc(&n.title),
            esc(&n.owner),
            n.score
        );
        let rx = if n.unit_owned { 3 } else { 14 };
        let _ = write!(s, r#"<rect width="{BOX_W}" height="{BOX_H}" rx="{rx}"/>"#);
        let _ = write!(
            s,
            r#"<rect class="score" x="0" y="{}" width="{:.1}" height="4" rx="2"/>"#,
            BOX_H - 4.0,
            BOX_W * n.score.clamp(0.0, 1.0)
        );
        let _ = write!(s, r#"<text x="10" y="19" class="t">{}</text>"#, esc(&fit(&n.title, 30)));
        let _ = write!(s, r#"<text x="10" y="35" class="o">{} · {:.2}</text>"#, esc(&fit(&n.owner, 22)), n.score);
        s.push_str("</a>");
        if has_kids {
            let _ = write!(
                s,
                r#"<g class="toggle" data-toggle="{}" transform="translate({} {})"><circle r="8"/><text y="4" text-anchor="middle">−</text></g>"#,
                n.id,
                BOX_W,
                BOX_H / 2.0
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: i64, parent: Option<i64>, title: &str) -> MapNode {
        MapNode {
            id,
            parent,
            title: title.into(),
            owner: "o".into(),
            unit_owned: false,
            score: 0.5,
            band: "yellow",
            hit: false,
        }
    }

    #[test]
    fn parents_sit_between_their_children_and_left_of_them() {
        let svg = alignment_map(
            &[n(1, None, "公司"), n(2, Some(1), "华东 <b>"), n(3, Some(1), "华南"), n(4, Some(2), "门店")],
            "map",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("华东 &lt;b&gt;"), "titles are escaped");
        // Leaves 4 and 3 take rows 0 and 1; node 2 sits on its only child's row, node 1 between.
        assert!(svg.contains(r#"data-id="4" data-parent="2" transform="translate(572 12)""#));
        assert!(svg.contains(r#"data-id="3" data-parent="1" transform="translate(292 68)""#));
        assert!(svg.contains(r#"data-id="1" data-parent="" transform="translate(12 40)""#));
        assert_eq!(svg.matches("<path").count(), 3);
    }

    #[test]
    fn loops_and_orphans_do_not_hang() {
        let svg = alignment_map(&[n(1, Some(2), "a"), n(2, Some(1), "b"), n(3, Some(99), "c")], "map");
        assert!(svg.contains(r#"data-id="3""#));
        assert!(fit("一二三四五六七八九十一二三四五六", 10).ends_with('…'));
    }
}

/// Labels for a chart, in the page's language.
pub struct ChartText<'a> {
    /// The chart's accessible name (e.g. the KR's title).
    pub title: &'a str,
    /// "value", "pace", "forecast" / "pass", "warn".
    pub series: [&'a str; 3],
    pub start: &'a str,
    pub end: &'a str,
}

const CW: f64 = 320.0;
const CH: f64 = 132.0;
const CL: f64 = 34.0;
const CR: f64 = 8.0;
const CT: f64 = 8.0;
const CB: f64 = 30.0;

/// Maps values onto the chart's height: (low, high) padded a little, with a flat range widened.
/// Whatever the values (values stored before they were checked may be ±1e308), the answer is a
/// number inside the chart: never NaN or infinite in the SVG.
fn y_scale(values: impl Iterator<Item = f64>) -> impl Fn(f64) -> f64 {
    let (mut lo, mut hi) =
        values.filter(|v| v.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
    if !lo.is_finite() || !hi.is_finite() || !(hi - lo).is_finite() {
        (lo, hi) = (lo.clamp(-1e300, 0.0), hi.clamp(1.0, 1e300));
    }
    let pad = ((hi - lo) * 0.08).max(if hi == lo { hi.abs().max(1.0) * 0.1 } else { 0.0 });
    let (lo, hi) = (lo - pad, hi + pad);
    move |v: f64| {
        let y = CT + (CH - CT - CB) * (1.0 - (v - lo) / (hi - lo));
        if y.is_finite() { y.clamp(0.0, CH) } else { CH - CB }
    }
}

fn tick(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let r = (v * 100.0).round() / 100.0;
    if !r.is_finite() || r.abs() >= 1e15 {
        return format!("{v:.3e}");
    }
    if (r - r.round()).abs() < 1e-9 { format!("{}", r.round() as i64) } else { format!("{r}") }
}

/// A key result's values over its cycle (solid) against the pace line from baseline to target
/// (dashed), the forecast from the last value to the cycle's end (dotted), and today.
pub fn kr_chart(c: &tandem_app::tracking::trends::KrCourse, text: &ChartText) -> String {
    use tandem_domain::score::Measure;
    let (start, end) = c.span;
    let x = |t: i64| CL + (CW - CL - CR) * ((t - start) as f64 / (end - start).max(1) as f64).clamp(0.0, 1.0);
    let last = c.points.last().copied().unwrap_or((c.now, c.baseline));
    let stay = matches!(c.measure, Measure::StayAbove | Measure::StayBelow);
    // The value the forecast score stands for at the end of the cycle.
    let forecast_value = match c.measure {
        Measure::StayAbove | Measure::StayBelow => last.1,
        _ => c.baseline + (c.target - c.baseline) * c.forecast,
    };
    let y =
        y_scale(c.points.iter().map(|p| p.1).chain([c.target, forecast_value]).chain((!stay).then_some(c.baseline)));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {CW} {CH}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(text.title)
    );
    // Axes: target and baseline ticks, cycle start and end.
    let _ = write!(
        s,
        r#"<line class="axis" x1="{CL}" y1="{b}" x2="{r}" y2="{b}"/><text class="tick" x="{CL}" y="{ty}">{s0}</text><text class="tick" x="{r}" y="{ty}" text-anchor="end">{s1}</text>"#,
        b = CH - CB,
        r = CW - CR,
        ty = CH - CB + 13.0,
        s0 = esc(text.start),
        s1 = esc(text.end)
    );
    let mut ticks = vec![c.target];
    if !stay {
        ticks.push(c.baseline);
    }
    for v in ticks {
        let _ = write!(
            s,
            r#"<text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            CL - 4.0,
            y(v) + 3.0,
            tick(v)
        );
    }
    // Pace: the straight line from baseline at the start to the target at the end (a threshold
    // for the "stay" measures).
    let (p0, p1) = if stay { (c.target, c.target) } else { (c.baseline, c.target) };
    let _ = write!(
        s,
        r#"<line class="pace" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"><title>{}</title></line>"#,
        x(start),
        y(p0),
        x(end),
        y(p1),
        esc(text.series[1])
    );
    // Today.
    if c.now > start && c.now < end {
        let _ = write!(s, r#"<line class="today" x1="{0:.1}" y1="{CT}" x2="{0:.1}" y2="{1}"/>"#, x(c.now), CH - CB);
    }
    // Forecast: from the last value to the end of the cycle.
    if c.now < end {
        let _ = write!(
            s,
            r#"<line class="forecast" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"><title>{}</title></line>"#,
            x(last.0),
            y(last.1),
            x(end),
            y(forecast_value),
            esc(text.series[2])
        );
    }
    let line: Vec<String> = c.points.iter().map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v))).collect();
    let _ = write!(
        s,
        r#"<polyline class="value" points="{}"><title>{}</title></polyline>"#,
        line.join(" "),
        esc(text.series[0])
    );
    for (t, v) in c.points.iter().skip(1) {
        let _ = write!(s, r#"<circle class="pt" cx="{:.1}" cy="{:.1}" r="2.2"/>"#, x(*t), y(*v));
    }
    // Legend.
    let _ = write!(
        s,
        r#"<g class="legend" transform="translate({CL},{ly})"><line class="value" x1="0" y1="-3" x2="14" y2="-3"/><text x="18" y="0">{a}</text><line class="pace" x1="80" y1="-3" x2="94" y2="-3"/><text x="98" y="0">{b}</text><line class="forecast" x1="160" y1="-3" x2="174" y2="-3"/><text x="178" y="0">{f}</text></g>"#,
        ly = CH - 2.0,
        a = esc(text.series[0]),
        b = esc(text.series[1]),
        f = esc(text.series[2])
    );
    s.push_str("</svg>");
    s
}

/// A KPI's value per period (oldest first: (period, value, status)) against its pass and warn
/// lines.
pub fn kpi_chart(points: &[(String, f64, &str)], pass: f64, warn: Option<f64>, text: &ChartText) -> String {
    let mut lines = vec![(pass, "pass", text.series[1])];
    if let Some(w) = warn {
        lines.push((w, "warn", text.series[2]));
    }
    labelled_chart(points, &lines, text)
}

/// A metric's latest values (oldest first: (label, value, class)), with no reference lines.
pub fn series_chart(points: &[(String, f64, &str)], text: &ChartText) -> String {
    labelled_chart(points, &[], text)
}

/// Values at evenly spaced labels, joined by a line, with horizontal reference lines
/// ((value, class, label)) and a legend.
fn labelled_chart(points: &[(String, f64, &str)], lines: &[(f64, &str, &str)], text: &ChartText) -> String {
    let n = points.len().max(1);
    let x = |i: usize| {
        if n == 1 { (CL + CW - CR) / 2.0 } else { CL + 10.0 + (CW - CL - CR - 20.0) * i as f64 / (n - 1) as f64 }
    };
    let y = y_scale(points.iter().map(|p| p.1).chain(lines.iter().map(|l| l.0)));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {CW} {CH}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><line class="axis" x1="{CL}" y1="{b}" x2="{r}" y2="{b}"/>"#,
        t = esc(text.title),
        b = CH - CB,
        r = CW - CR
    );
    for (v, class, label) in lines {
        let _ = write!(
            s,
            r#"<line class="{class}" x1="{CL}" y1="{yy:.1}" x2="{r}" y2="{yy:.1}"><title>{l} {v}</title></line><text class="tick" x="{tx}" y="{ty:.1}" text-anchor="end">{v}</text>"#,
            yy = y(*v),
            r = CW - CR,
            l = esc(label),
            v = tick(*v),
            tx = CL - 4.0,
            ty = y(*v) + 3.0
        );
    }
    if lines.is_empty()
        && let (Some(lo), Some(hi)) =
            (points.iter().map(|p| p.1).reduce(f64::min), points.iter().map(|p| p.1).reduce(f64::max))
    {
        for v in if lo == hi { vec![lo] } else { vec![lo, hi] } {
            let _ = write!(
                s,
                r#"<text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
                CL - 4.0,
                y(v) + 3.0,
                tick(v)
            );
        }
    }
    let line: Vec<String> = points.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.1))).collect();
    if points.len() > 1 {
        let _ = write!(s, r#"<polyline class="value" points="{}"/>"#, line.join(" "));
    }
    // At most about six labels under the axis, always the first and the last.
    let every = n.div_ceil(6).max(1);
    for (i, (period, v, status)) in points.iter().enumerate() {
        let _ = write!(
            s,
            r#"<circle class="pt kpi-{st}" cx="{cx:.1}" cy="{cy:.1}" r="3.2"><title>{p}: {v}</title></circle>"#,
            st = esc(status),
            cx = x(i),
            cy = y(*v),
            p = esc(period),
            v = tick(*v),
        );
        if i + 1 == n || (i % every == 0 && n - 1 - i >= every) {
            let _ = write!(
                s,
                r#"<text class="tick" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                x(i),
                CH - CB + 13.0,
                esc(period)
            );
        }
    }
    let _ = write!(
        s,
        r#"<g class="legend" transform="translate({CL},{ly})"><line class="value" x1="0" y1="-3" x2="14" y2="-3"/><text x="18" y="0">{a}</text>"#,
        ly = CH - 2.0,
        a = esc(text.series[0]),
    );
    for (i, (_, class, label)) in lines.iter().enumerate() {
        let x0 = 80 * (i + 1);
        let _ = write!(
            s,
            r#"<line class="{class}" x1="{x0}" y1="-3" x2="{}" y2="-3"/><text x="{}" y="0">{}</text>"#,
            x0 + 14,
            x0 + 18,
            esc(label)
        );
    }
    s.push_str("</g></svg>");
    s
}

/// A small trend line of scores in [0, 1] (oldest first), coloured by the last score's band.
pub fn sparkline(scores: &[f64], band: &str, label: &str) -> String {
    let (w, h) = (84.0, 22.0);
    let n = scores.len();
    let x = |i: usize| if n <= 1 { w / 2.0 } else { 2.0 + (w - 4.0) * i as f64 / (n - 1) as f64 };
    let y = |v: f64| 2.0 + (h - 4.0) * (1.0 - if v.is_finite() { v.clamp(0.0, 1.0) } else { 0.0 });
    let pts: Vec<String> = scores.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v))).collect();
    let mut s = format!(
        r#"<svg class="spark band-{b}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{l}" xmlns="http://www.w3.org/2000/svg"><title>{l}</title>"#,
        b = esc(band),
        l = esc(label)
    );
    if n > 1 {
        let _ = write!(s, r#"<polyline points="{}"/>"#, pts.join(" "));
    }
    if let Some(v) = scores.last() {
        let _ = write!(s, r#"<circle cx="{:.1}" cy="{:.1}" r="2"/>"#, x(n - 1), y(*v));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod chart_tests {
    use super::*;
    use tandem_app::tracking::trends::KrCourse;
    use tandem_domain::score::Measure;

    fn text() -> ChartText<'static> {
        ChartText { title: "等待 <3 分钟", series: ["数值", "节奏", "预测"], start: "10-01", end: "12-31" }
    }

    fn course(points: Vec<(i64, f64)>, now: i64) -> KrCourse {
        KrCourse {
            key_result: 1,
            measure: Measure::Decrease,
            baseline: 6.0,
            target: 3.0,
            span: (0, 1000),
            points,
            now,
            forecast: 0.5,
            score: 0.5,
        }
    }

    fn coords(svg: &str, class: &str) -> Vec<(f64, f64)> {
        let tag = format!(r#"<polyline class="{class}" points=""#);
        let start = svg.find(&tag).map(|i| i + tag.len()).expect("polyline");
        let end = svg[start..].find('"').expect("end") + start;
        svg[start..end]
            .split(' ')
            .map(|p| {
                let (a, b) = p.split_once(',').expect("pair");
                (a.parse().expect("x"), b.parse().expect("y"))
            })
            .collect()
    }

    #[test]
    fn the_value_line_follows_time_and_value() {
        let svg = kr_chart(&course(vec![(0, 6.0), (250, 5.0), (500, 4.5)], 600), &text());
        let pts = coords(&svg, "value");
        assert_eq!(pts.len(), 3);
        assert!(pts.windows(2).all(|w| w[0].0 < w[1].0), "later is further right");
        // Decreasing values: on screen, a smaller value sits lower (larger y).
        assert!(pts.windows(2).all(|w| w[0].1 < w[1].1));
        assert!(svg.contains("&lt;3"), "titles are escaped");
        assert!(
            svg.contains(r#"class="today""#) && svg.contains(r#"class="forecast""#) && svg.contains(r#"class="pace""#)
        );
        // Every coordinate stays inside the view box.
        assert!(pts.iter().all(|(x, y)| (0.0..=CW).contains(x) && (0.0..=CH).contains(y)));
    }

    #[test]
    fn one_point_and_a_flat_series_draw_without_dividing_by_zero() {
        let svg = kr_chart(&course(vec![(0, 6.0)], 0), &text());
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        let flat = kpi_chart(&[("2026-10".into(), 5.0, "pass"), ("2026-11".into(), 5.0, "pass")], 5.0, None, &text());
        assert!(!flat.contains("NaN") && !flat.contains("inf"), "{flat}");
        let one = kpi_chart(&[("2026-11".into(), 97.0, "warn")], 98.0, Some(95.0), &text());
        assert!(one.contains("kpi-warn") && one.contains("2026-11"));
        assert!(!sparkline(&[0.4], "yellow", "x").contains("NaN"));
    }

    #[test]
    fn extreme_values_stored_before_they_were_refused_draw_inside_the_chart() {
        let wild = vec![(0, 1e308), (1_000_000, -1e308), (2_000_000, f64::NAN), (3_000_000, 3.0)];
        let svg = kr_chart(&course(wild, 3_000_000), &text());
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        let k = kpi_chart(&[("2026-10".into(), 1e308, "pass"), ("2026-11".into(), -1e308, "fail")], 5.0, None, &text());
        assert!(!k.contains("NaN") && !k.contains("inf"), "{k}");
        assert!(!sparkline(&[f64::NAN, 0.5], "red", "x").contains("NaN"));
    }

    #[test]
    fn sparklines_map_scores_onto_their_height() {
        let s = sparkline(&[0.0, 0.5, 1.0], "green", "趋势");
        let start = s.find(r#"points=""#).expect("points") + 8;
        let pts: Vec<f64> = s[start..]
            .split('"')
            .next()
            .expect("pts")
            .split(' ')
            .map(|p| p.split(',').nth(1).expect("y").parse().expect("y"))
            .collect();
        assert_eq!(pts, vec![20.0, 11.0, 2.0]);
        assert!(s.contains("band-green"));
    }
}
