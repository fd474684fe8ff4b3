//! The company heat map by org unit, with the red lights the caller may see.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::shared::{CycleQuery, pick_cycle};
use crate::pages::{Frame, render, user_error_page};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tandem_app::AppError;

pub struct HeatTile {
    pub id: i64,
    pub name: String,
    pub depth: usize,
    /// `red`, `yellow`, `green` or `none`.
    pub band: &'static str,
    pub score: String,
    pub red: usize,
    pub yellow: usize,
    pub green: usize,
    pub lights: usize,
}

#[derive(Template)]
#[template(path = "tracking/dashboard.html")]
struct DashboardPage {
    f: Frame,
    cycles: Vec<(i64, String)>,
    cycle: i64,
    units: Vec<HeatTile>,
    lights: Vec<LightRow>,
}

/// A red light on the dashboard's list.
pub struct LightRow {
    pub id: i64,
    pub href: String,
    pub title: String,
    pub owner: String,
    pub reason: String,
    pub since: String,
    pub acknowledged: bool,
    pub note: String,
    pub can_acknowledge: bool,
}

/// The company heat map by org unit; a tile opens the unit's goal tree.
pub async fn dashboard(State(st): State<AppState>, u: PageUser, Query(q): Query<CycleQuery>) -> Response {
    let a = &u.session.actor;
    let loaded = async {
        let cycles = st.app.list_cycles(a).await?;
        let cycle = pick_cycle(&cycles, q.cycle).unwrap_or(0);
        let (units, alerts) = st.app.dashboard(a, cycle).await?;
        Ok::<_, AppError>((cycles, cycle, units, alerts))
    }
    .await;
    let (cycles, cycle, units, alerts) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(&u, &e),
    };
    let f = Frame::for_user(&u, "dashboard", "heat_map", "/dashboard").with_ok(q.ok.as_deref());
    let t = f.t;
    let page = DashboardPage {
        lights: alerts
            .into_iter()
            .map(|r| LightRow {
                id: r.id,
                href: match r.objective {
                    Some(o) => format!("/objectives/{o}#kr-{}", r.subject_id),
                    None => format!("/kpis#kpi-{}", r.subject_id),
                },
                reason: crate::api::tracking::alerts::reason_text(&r.reason, t.0),
                since: crate::pages::fmt_time(r.raised_at, u.session.zone),
                acknowledged: r.state == "acknowledged",
                can_acknowledge: r.can_acknowledge,
                title: r.subject_title,
                owner: r.owner_name,
                note: r.note,
            })
            .collect(),
        cycles: cycles.iter().map(|c| (c.id, c.name.clone())).collect(),
        cycle,
        units: units
            .into_iter()
            .map(|x| HeatTile {
                id: x.id,
                name: x.name,
                depth: x.depth,
                band: x.band.map(|b| b.as_str()).unwrap_or("none"),
                score: x.score.map(|s| format!("{s:.2}")).unwrap_or_else(|| "—".into()),
                red: x.counts.red,
                yellow: x.counts.yellow,
                green: x.counts.green,
                lights: x.red_lights.len(),
            })
            .collect(),
        f,
    };
    render(StatusCode::OK, page)
}
