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
use tandem_app::review::board::{RetroState, home_unit};
use tandem_app::review::mining::QuoteView;
use tandem_domain::retro::CarryOver;

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
    /// Retro mining: the cycles looked at, per type its trend, what recurs, who is named.
    mined_cycles: Vec<String>,
    types: Vec<TypeTrend>,
    recurring: Vec<Finding>,
    named: Vec<Finding>,
    success: Vec<Finding>,
    /// Drafts carried into this cycle from the retros of the one before.
    carried: Vec<Carried>,
    /// The unit's team retro: its state (`missing`, `written`, `acknowledged`) and label, and
    /// whether the caller may write it.
    team: (&'static str, &'static str, bool),
}

pub struct Carried {
    pub id: i64,
    pub title: String,
    pub draft: bool,
    pub owner: String,
    pub from_id: i64,
    pub from_cycle: String,
    /// (key result, decision label, `continue` or `revise`).
    pub key_results: Vec<(String, &'static str, &'static str)>,
    pub did_not: Vec<String>,
    pub lessons: Vec<String>,
}

pub struct TypeTrend {
    pub label: &'static str,
    pub counts: String,
    pub spark: String,
}

/// A mining finding and the sentences it rests on: (text, objective, objective title, where).
pub struct Finding {
    pub summary: String,
    pub quotes: Vec<(String, i64, String, String)>,
}

fn quotes(qs: Vec<QuoteView>) -> Vec<(String, i64, String, String)> {
    qs.into_iter()
        .map(|q| (q.text, q.objective, q.objective_title, format!("{} · {}", q.unit_name, q.cycle_name)))
        .collect()
}

/// The cycle a review page opens on: one in review, else the last closed, else the running one —
/// a quarter (or whatever goals are set in) before a month.
fn review_cycle(cycles: &[CycleView]) -> Option<i64> {
    let by = |state: &str, months: bool| {
        cycles
            .iter()
            .filter(|c| c.state == state && (months || c.kind != "month"))
            .max_by(|a, b| a.end.cmp(&b.end))
            .map(|c| c.id)
    };
    ["reviewing", "closed", "active"]
        .iter()
        .find_map(|s| by(s, false))
        .or_else(|| ["reviewing", "closed", "active"].iter().find_map(|s| by(s, true)))
        .or_else(|| cycles.first().map(|c| c.id))
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
        let unit = asked_unit.or_else(|| home_unit(&org, a.person.0)).ok_or(AppError::NotFound)?;
        let (board, ambition, mining, carried, team) = tokio::try_join!(
            st.app.review_board(a, cycle, unit),
            st.app.ambition(a, cycle, Some(unit), u.lang),
            st.app.retro_mining(a, cycle, Some(unit)),
            st.app.carried_into(a, cycle),
            st.app.team_retro(a, unit, cycle, u.lang)
        )?;
        let flags: Vec<String> = ambition
            .into_iter()
            .filter(|x| x.unit == unit)
            .flat_map(|x| x.calibration.flags.into_iter().map(|f| f.evidence))
            .collect();
        Ok::<_, AppError>((cycles, org, board, flags, mining, carried, team))
    }
    .await;
    let (cycles, org, board, flags, mining, carried, team) = match loaded {
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
            types: mining
                .counts
                .iter()
                .map(|(k, cs)| {
                    let top = cs.iter().copied().max().unwrap_or(1).max(1) as f64;
                    let series: Vec<f64> = cs.iter().map(|c| *c as f64 / top).collect();
                    let counts = cs.iter().map(usize::to_string).collect::<Vec<_>>().join(" → ");
                    TypeTrend {
                        label: k.label(u.lang),
                        spark: crate::svg::sparkline(&series, "yellow", &format!("{}：{counts}", k.label(u.lang))),
                        counts,
                    }
                })
                .collect(),
            recurring: mining
                .recurring
                .into_iter()
                .map(|r| Finding {
                    summary: u
                        .lang
                        .pick(
                            &format!(
                                "{}：「{}」在 {} 反复出现",
                                r.unit_name,
                                r.kind.label(u.lang),
                                r.cycles.join("、")
                            ),
                            &format!("{}: “{}” came up in {}", r.unit_name, r.kind.label(u.lang), r.cycles.join(", ")),
                        )
                        .to_string(),
                    quotes: quotes(r.quotes),
                })
                .collect(),
            named: mining
                .named
                .into_iter()
                .map(|n| Finding {
                    summary: u
                        .lang
                        .pick(
                            &format!(
                                "{} 个部门的原因提到了{}：{}",
                                n.by_units.len(),
                                n.team_name,
                                n.by_units.join("、")
                            ),
                            &format!(
                                "{} units' causes name {}: {}",
                                n.by_units.len(),
                                n.team_name,
                                n.by_units.join(", ")
                            ),
                        )
                        .to_string(),
                    quotes: quotes(n.quotes),
                })
                .collect(),
            success: mining
                .success
                .into_iter()
                .map(|x| Finding {
                    summary: u
                        .lang
                        .pick(
                            &format!("{}：{} 次，{}", x.theme.factor_label(u.lang), x.count, x.unit_names.join("、")),
                            &format!(
                                "{}: {} times, {}",
                                x.theme.factor_label(u.lang),
                                x.count,
                                x.unit_names.join(", ")
                            ),
                        )
                        .to_string(),
                    quotes: quotes(x.quotes),
                })
                .collect(),
            mined_cycles: mining.cycles,
            team: match (team.written, team.acknowledged_by.is_some()) {
                (_, true) => ("acknowledged", t.s("retro_acknowledged"), team.can_edit),
                (true, false) => ("written", t.s("retro_written"), team.can_edit),
                _ => ("missing", t.s("retro_missing"), team.can_edit),
            },
            carried: carried
                .into_iter()
                .map(|c| Carried {
                    id: c.objective,
                    title: c.title,
                    draft: c.status == "draft",
                    owner: c.owner_name,
                    from_id: c.from_objective,
                    from_cycle: c.from_cycle_name,
                    key_results: c
                        .key_results
                        .into_iter()
                        .map(|(k, d)| match d {
                            CarryOver::Revise => (k, t.s("decision_revise"), "revise"),
                            _ => (k, t.s("decision_continue"), "continue"),
                        })
                        .collect(),
                    did_not: c.did_not,
                    lessons: c.lessons,
                })
                .collect(),
            f,
        },
    )
}
