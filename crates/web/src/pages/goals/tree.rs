//! The goal tree of a cycle or a unit, with scores, bands and a 10-week trend per objective.

use crate::AppState;
use crate::auth::PageUser;
use crate::i18n::Tr;
use crate::pages::shared::{CycleQuery, cycle_objectives, kind_label, pct, status_label};
use crate::pages::{Frame, UnitOption, render, unit_options, user_error_page};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tandem_app::AppError;

pub struct TreeNode {
    pub id: i64,
    pub title: String,
    pub owner_name: String,
    pub kind_label: &'static str,
    pub status: String,
    pub status_label: &'static str,
    pub depth: usize,
    pub band: &'static str,
    pub pct: u32,
    pub text: String,
    pub kr_count: usize,
    /// The roll-up's weekly trend as an inline SVG (empty for drafts and past views).
    pub trend: String,
}

#[derive(Template)]
#[template(path = "goals/tree.html")]
struct TreePage {
    f: Frame,
    cycles: Vec<(i64, String)>,
    cycle: i64,
    units: Vec<UnitOption>,
    unit: String,
    nodes: Vec<TreeNode>,
    /// A past date the tree is shown as of (empty: live).
    as_of: String,
}

/// One objective as the tree shows it (live, or as of a date).
struct NodeSrc {
    id: i64,
    parent: Option<i64>,
    title: String,
    owner_name: String,
    kind: String,
    status: String,
    score: f64,
    band: &'static str,
    kr_count: usize,
}

/// Depth-first order: roots (whose parent is not shown) first, children under their parent.
fn tree_nodes(src: &[NodeSrc], t: Tr) -> Vec<TreeNode> {
    let ids: Vec<i64> = src.iter().map(|o| o.id).collect();
    let mut nodes = vec![];
    let mut stack: Vec<(&NodeSrc, usize)> =
        src.iter().filter(|o| o.parent.is_none_or(|p| !ids.contains(&p))).rev().map(|o| (o, 0)).collect();
    while let Some((o, depth)) = stack.pop() {
        if nodes.len() > src.len() {
            break;
        }
        let (p, text) = pct(o.score);
        nodes.push(TreeNode {
            id: o.id,
            title: o.title.clone(),
            owner_name: o.owner_name.clone(),
            kind_label: kind_label(t, &o.kind),
            status: o.status.clone(),
            status_label: status_label(t, &o.status),
            depth,
            band: o.band,
            pct: p,
            text,
            kr_count: o.kr_count,
            trend: String::new(),
        });
        for c in src.iter().filter(|c| c.parent == Some(o.id)).rev() {
            stack.push((c, depth + 1));
        }
    }
    nodes
}

pub async fn tree(State(st): State<AppState>, u: PageUser, Query(q): Query<CycleQuery>) -> Response {
    let a = &u.session.actor;
    let unit = q.unit.as_deref().and_then(|s| s.trim().parse::<i64>().ok());
    let (cycles, cycle, objs, org) = match cycle_objectives(&st, a, q.cycle, unit).await {
        Ok(x) => x,
        Err(e) => return user_error_page(&u, &e),
    };
    let mut f = Frame::for_user(&u, "tree", "goal_tree", "/goals/tree");
    let t = f.t;
    let as_of = q.as_of.as_deref().map(str::trim).filter(|d| !d.is_empty());
    let src: Vec<NodeSrc> = match as_of {
        None => objs
            .iter()
            .map(|o| NodeSrc {
                id: o.id,
                parent: o.parent,
                title: o.title.clone(),
                owner_name: o.owner_name.clone(),
                kind: o.kind.clone(),
                status: o.status.clone(),
                score: o.rollup,
                band: o.rollup_band.as_str(),
                kr_count: o.key_results.len(),
            })
            .collect(),
        Some(d) => {
            let past = async {
                let at = tandem_app::goals::asof::end_of_day_us(d)?;
                let bands = st.app.bands_of(a.tenant.0).await?;
                Ok::<_, AppError>((st.app.tree_as_of(a, cycle, at).await?, bands))
            }
            .await;
            match past {
                Ok((snaps, bands)) => snaps
                    .into_iter()
                    .filter(|s| unit.is_none() || objs.iter().any(|o| o.id == s.id))
                    .map(|s| NodeSrc {
                        id: s.id,
                        parent: s.parent,
                        owner_name: objs
                            .iter()
                            .find(|o| o.id == s.id)
                            .map(|o| o.owner_name.clone())
                            .unwrap_or_default(),
                        score: s.score.unwrap_or(0.0),
                        band: bands.band(s.score.unwrap_or(0.0)).as_str(),
                        kr_count: s.key_results.len(),
                        title: s.title,
                        kind: s.kind,
                        status: s.status,
                    })
                    .collect(),
                Err(e) => {
                    f.error = Some(e.message(u.lang));
                    vec![]
                }
            }
        }
    };
    let mut nodes = tree_nodes(&src, t);
    if as_of.is_none() {
        let ids: Vec<i64> = nodes.iter().map(|n| n.id).collect();
        match st.app.score_trends(a.tenant.0, &ids, 10).await {
            Ok(trends) => {
                for n in &mut nodes {
                    if let Some(series) = trends.get(&n.id).filter(|s| s.len() > 1) {
                        let label = format!(
                            "{}：{}",
                            t.s("trend_weeks"),
                            series.iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>().join(" → ")
                        );
                        n.trend = crate::svg::sparkline(series, n.band, &label);
                    }
                }
            }
            Err(e) => f.error = Some(e.message(u.lang)),
        }
    }
    let page = TreePage {
        cycles: cycles.iter().map(|c| (c.id, c.name.clone())).collect(),
        cycle,
        units: unit_options(&org),
        unit: unit.map(|x| x.to_string()).unwrap_or_default(),
        nodes,
        as_of: as_of.unwrap_or_default().to_string(),
        f,
    };
    render(StatusCode::OK, page)
}
