//! The review page of a unit and cycle: every objective with its computed, self and final score
//! and where its retro stands, and who still owes a retro or an acknowledgement.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::shared::kind_label;
use crate::pages::{Frame, UnitOption, opt_id, render, unit_options, user_error_page};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tandem_app::AppError;
use tandem_app::cycles::calendar::CycleView;
use tandem_app::review::board::RetroState;

#[derive(Deserialize)]
pub struct BoardQuery {
    cycle: Option<String>,
    unit: Option<String>,
}

pub struct Row {
    pub id: i64,
    pub title: String,
    pub kind: &'static str,
    pub owner: String,
    pub computed: String,
    pub self_score: String,
    pub final_score: String,
    /// `missing`, `written` or `acknowledged`.
    pub state: &'static str,
    pub state_label: &'static str,
    pub causes: usize,
    pub lessons: usize,
}

#[derive(Template)]
#[template(path = "review/board.html")]
struct BoardPage {
    f: Frame,
    cycles: Vec<(i64, String, String)>,
    cycle: i64,
    cycle_state: String,
    units: Vec<UnitOption>,
    unit: i64,
    unit_name: String,
    rows: Vec<Row>,
    to_write: Vec<(String, usize)>,
    to_acknowledge: Vec<(String, usize)>,
    /// The unit's ambition flags (planning prompts).
    flags: Vec<String>,
}

/// The cycle a review page opens on: one in review, else the last closed, else the running one.
fn review_cycle(cycles: &[CycleView]) -> Option<i64> {
    let by = |state: &str| cycles.iter().filter(|c| c.state == state).max_by(|a, b| a.end.cmp(&b.end)).map(|c| c.id);
    by("reviewing").or_else(|| by("closed")).or_else(|| by("active")).or_else(|| cycles.first().map(|c| c.id))
}

fn score(s: Option<f64>) -> String {
    s.map(|s| format!("{s:.2}")).unwrap_or_else(|| "—".into())
}

pub async fn page(State(st): State<AppState>, u: PageUser, Query(q): Query<BoardQuery>) -> Response {
    let a = &u.session.actor;
    let loaded = async {
        let asked_cycle = opt_id(q.cycle.as_deref().unwrap_or(""))?;
        let asked_unit = opt_id(q.unit.as_deref().unwrap_or(""))?;
        let (cycles, org) = tokio::try_join!(st.app.list_cycles(a), st.app.org_snapshot(a.tenant.0))?;
        let cycle = asked_cycle
            .filter(|c| cycles.iter().any(|x| x.id == *c))
            .or_else(|| review_cycle(&cycles))
            .ok_or(AppError::NotFound)?;
        let mine = org.person(a.person.0).and_then(|p| p.org_unit_id);
        let unit = asked_unit.or(mine).or_else(|| org.tree.roots().first().map(|r| r.0)).ok_or(AppError::NotFound)?;
        let (board, ambition) =
            tokio::try_join!(st.app.review_board(a, cycle, unit), st.app.ambition(a, cycle, u.lang))?;
        let flags: Vec<String> = ambition
            .into_iter()
            .filter(|x| x.unit == unit)
            .flat_map(|x| x.calibration.flags.into_iter().map(|f| f.evidence))
            .collect();
        Ok::<_, AppError>((cycles, org, board, flags))
    }
    .await;
    let (cycles, org, board, flags) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(&u, &e),
    };
    let f = Frame::for_user(&u, "review", "review_board", "/review");
    let t = f.t;
    let rows = board
        .rows
        .into_iter()
        .map(|r| {
            let (state, label) = match r.retro {
                RetroState::Missing => ("missing", t.s("retro_missing")),
                RetroState::Written => ("written", t.s("retro_written")),
                RetroState::Acknowledged => ("acknowledged", t.s("retro_acknowledged")),
            };
            Row {
                id: r.objective,
                title: r.title,
                kind: kind_label(t, &r.kind),
                owner: r.owner_name,
                computed: score(r.computed),
                self_score: score(r.self_score),
                final_score: score(r.final_score),
                state,
                state_label: label,
                causes: r.causes,
                lessons: r.lessons,
            }
        })
        .collect();
    render(
        StatusCode::OK,
        BoardPage {
            cycles: cycles.iter().map(|c| (c.id, c.name.clone(), c.state.clone())).collect(),
            cycle: board.cycle,
            cycle_state: board.cycle_state,
            units: unit_options(&org),
            unit: board.unit,
            unit_name: board.unit_name,
            rows,
            to_write: board.to_write.into_iter().map(|o| (o.name, o.count)).collect(),
            to_acknowledge: board.to_acknowledge.into_iter().map(|o| (o.name, o.count)).collect(),
            flags,
            f,
        },
    )
}
