//! The alignment map: the cycle's objectives and their links drawn as SVG, searchable, foldable.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::shared::cycle_objectives;
use crate::pages::{Frame, UnitOption, render, unit_options, user_error_page};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tandem_app::goals::objectives::ObjectiveView;
use tandem_domain::goal::Owner;

#[derive(Template)]
#[template(path = "goals/map.html")]
struct MapPage {
    f: Frame,
    cycles: Vec<(i64, String)>,
    cycle: i64,
    units: Vec<UnitOption>,
    unit: String,
    q: String,
    svg: String,
    shown: usize,
    hits: usize,
}

#[derive(Deserialize, Default)]
pub struct MapQuery {
    cycle: Option<i64>,
    unit: Option<String>,
    q: Option<String>,
}

/// The alignment map: company → units → people, drawn by the server. A search keeps the
/// matching objectives and the chain above each, so a match is seen in its context.
pub async fn map(State(st): State<AppState>, u: PageUser, Query(q): Query<MapQuery>) -> Response {
    let a = &u.session.actor;
    let unit = q.unit.as_deref().and_then(|s| s.trim().parse::<i64>().ok());
    let (cycles, cycle, objs, org) = match cycle_objectives(&st, a, q.cycle, unit).await {
        Ok(x) => x,
        Err(e) => return user_error_page(&u, &e),
    };
    let f = Frame::for_user(&u, "map", "alignment_map", "/goals/map");
    let needle = q.q.as_deref().map(|s| s.trim().to_lowercase()).unwrap_or_default();
    let is_hit = |o: &ObjectiveView| {
        !needle.is_empty()
            && (o.title.to_lowercase().contains(&needle)
                || o.owner_name.to_lowercase().contains(&needle)
                || o.key_results.iter().any(|k| k.title.to_lowercase().contains(&needle)))
    };
    let mut keep: Vec<i64> = vec![];
    if needle.is_empty() {
        keep = objs.iter().map(|o| o.id).collect();
    } else {
        for o in objs.iter().filter(|o| is_hit(o)) {
            let mut cur = Some(o.id);
            while let Some(c) = cur {
                if keep.contains(&c) {
                    break;
                }
                keep.push(c);
                cur = objs.iter().find(|x| x.id == c).and_then(|x| x.parent);
            }
        }
    }
    let nodes: Vec<crate::svg::MapNode> = objs
        .iter()
        .filter(|o| keep.contains(&o.id))
        .map(|o| crate::svg::MapNode {
            id: o.id,
            parent: o.parent,
            title: o.title.clone(),
            owner: o.owner_name.clone(),
            unit_owned: matches!(o.owner, Owner::OrgUnit(_)),
            score: o.rollup,
            band: o.rollup_band.as_str(),
            hit: is_hit(o),
        })
        .collect();
    let hits = nodes.iter().filter(|n| n.hit).count();
    let page = MapPage {
        svg: crate::svg::alignment_map(&nodes, f.t.s("alignment_map")),
        shown: nodes.len(),
        hits,
        cycles: cycles.iter().map(|c| (c.id, c.name.clone())).collect(),
        cycle,
        units: unit_options(&org),
        unit: unit.map(|x| x.to_string()).unwrap_or_default(),
        q: q.q.unwrap_or_default(),
        f,
    };
    render(StatusCode::OK, page)
}
