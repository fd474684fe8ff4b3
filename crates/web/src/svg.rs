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
