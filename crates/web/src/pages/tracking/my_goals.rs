//! My goals: what I owe this week, my red lights, my OKRs beside my KPIs, and what changed upstream.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::goals::{Card, card};
use crate::pages::kpis::{KpiLine, kpi_lines};
use crate::pages::shared::{CycleQuery, load, pick_cycle};
use crate::pages::{Frame, render, user_error_page};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use tandem_app::AppError;
use tandem_app::goals::objectives::ObjectiveView;
use tandem_app::kpis::kpi::KpiFilter;
use tandem_domain::goal::Owner;
use tandem_domain::ids::PersonId;

pub struct RedLight {
    pub objective: Option<i64>,
    pub title: String,
    pub owner: String,
    pub reason: String,
    pub acknowledged: bool,
    pub note: String,
}

impl RedLight {
    /// A red light as the pages list it, its reason in the page's language.
    pub fn of(r: tandem_app::tracking::alerts::AlertView, t: crate::i18n::Tr) -> RedLight {
        RedLight {
            objective: r.objective,
            reason: crate::api::tracking::alerts::reason_text(&r.reason, t.0),
            acknowledged: r.state == "acknowledged",
            title: r.subject_title,
            owner: r.owner_name,
            note: r.note,
        }
    }
}

pub struct Notice {
    pub when: String,
    pub mine: String,
    pub upstream: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "tracking/my_goals.html")]
struct GoalsPage {
    f: Frame,
    /// Unused here (the KPI panel binds nothing), but the shared KPI list names it.
    metric_options: Vec<(i64, String)>,
    /// The KPI list is the narrow panel here: no trend column.
    wide: bool,
    notices: Vec<Notice>,
    /// What is owed this week: (link, title, context), key results and KPI values.
    owed: Vec<(String, String, String)>,
    /// Open red lights on my goals and my team's.
    red_lights: Vec<RedLight>,
    /// My direct reports' key-result check-ins still owed this week: (person, name, how many).
    team_owed: Vec<(i64, String, usize)>,
    cycles: Vec<(i64, String)>,
    cycle: i64,
    mine: Vec<Card>,
    team: Vec<Card>,
    kpis: Vec<KpiLine>,
}

pub async fn my_goals(State(st): State<AppState>, u: PageUser, Query(q): Query<CycleQuery>) -> Response {
    let a = &u.session.actor;
    let loaded = async {
        let l = load(&st, &u).await?;
        let org = st.app.org_snapshot(a.tenant.0).await?;
        let kpis = st.app.list_kpis(a, &KpiFilter { cycle: None, owner: Some(a.person.0) }).await?;
        let notices = st.app.upstream_changes(a).await?;
        let owed = st.app.owed_check_ins(a).await?;
        let latest = st.app.kpi_value_history(a).await?;
        let alerts = st.app.list_alerts(a).await?;
        let team_owed = st.app.team_owed(a).await?;
        Ok::<_, AppError>((l, org, kpis, notices, owed, latest, alerts, team_owed))
    }
    .await;
    let (l, org, kpis, notices, owed, latest, alerts, team_owed) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(&u, &e),
    };
    let f = Frame::for_user(&u, "goals", "my_goals", "/goals").with_ok(q.ok.as_deref());
    let t = f.t;
    let cycle = pick_cycle(&l.cycles, q.cycle).unwrap_or(0);
    let in_cycle: Vec<&ObjectiveView> = l.all.iter().filter(|o| o.cycle == cycle).collect();
    let mine = in_cycle
        .iter()
        .filter(|o| o.owner == Owner::Person(a.person) || o.author == a.person.0)
        .map(|o| card(o, &l.titles, t))
        .collect();
    // The team: units I manage and the people who report to me.
    let led: Vec<i64> = org.units.iter().filter(|x| x.manager_id == Some(a.person.0)).map(|x| x.id).collect();
    let team = in_cycle
        .iter()
        .filter(|o| o.author != a.person.0)
        .filter(|o| match o.owner {
            Owner::OrgUnit(x) => led.contains(&x.0),
            Owner::Person(p) => p != a.person && org.tree.manager_of(p) == Some(a.person),
        })
        .map(|o| card(o, &l.titles, t))
        .collect();
    let notices = notices
        .iter()
        .map(|n| {
            let what = n
                .changes
                .iter()
                .map(|c| {
                    format!(
                        "{} {} → {}",
                        c.field,
                        crate::pages::short(Some(&c.before)),
                        crate::pages::short(Some(&c.after))
                    )
                })
                .collect::<Vec<_>>()
                .join("；");
            let what = match (&n.reason, what.is_empty()) {
                (Some(r), false) => format!("{what}（{}{r}）", t.0.pick("原因：", "reason: ")),
                (_, true) => n.action.clone(),
                (None, false) => what,
            };
            Notice {
                when: crate::pages::fmt_time(n.at, u.session.zone),
                mine: n.mine_title.clone(),
                upstream: n.upstream_title.clone(),
                what,
            }
        })
        .collect();
    let red_lights = alerts
        .into_iter()
        .filter(|r| r.owner.is_some_and(|o| o == a.person.0 || org.tree.is_above(a.person, PersonId(o))))
        .map(|r| RedLight::of(r, t))
        .collect();
    let page = GoalsPage {
        metric_options: vec![],
        wide: false,
        red_lights,
        team_owed,
        owed: owed
            .into_iter()
            .map(|w| match (w.objective, w.key_result, w.kpi) {
                (Some(o), Some(k), _) => {
                    (format!("/objectives/{o}?check_in={k}#kr-{k}"), w.title, w.objective_title.unwrap_or_default())
                }
                (_, _, Some(k)) => (
                    format!("/kpis#kpi-{k}"),
                    w.title,
                    format!(
                        "{} · {} {}",
                        w.owner_name.unwrap_or_default(),
                        t.s("owed_period"),
                        w.period.unwrap_or_default()
                    ),
                ),
                _ => (String::new(), w.title, String::new()),
            })
            .collect(),
        notices,
        cycles: l.cycles.iter().map(|c| (c.id, c.name.clone())).collect(),
        cycle,
        mine,
        team,
        kpis: kpi_lines(&kpis, &l.titles, &l.kr_titles, &latest, st.app.clock.today(), t),
        f,
    };
    render(StatusCode::OK, page)
}
