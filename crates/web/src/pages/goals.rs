//! Goal pages: my goals (OKRs beside my KPIs), the goal tree, an objective with its history,
//! the drafting form with goal-quality hints, and the KPI board.

use super::{
    Frame, HistoryItem, OkQuery, UnitOption, csrf_refusal, history_items, opt_id, render, unit_options, user_error_page,
};
use crate::AppState;
use crate::auth::PageUser;
use crate::i18n::Tr;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use tandem_app::AppError;
use tandem_app::cycles::CycleView;
use tandem_app::goals::{KeyResultPatch, NewKeyResult, NewObjective, ObjectiveFilter, ObjectivePatch, ObjectiveView};
use tandem_app::kpis::{KpiFilter, KpiView};
use tandem_domain::goal::Owner;
use tandem_domain::ids::{OrgUnitId, PersonId};
use tandem_domain::kpi::DerivedFrom;
use tandem_domain::lint::{Draft, DraftKeyResult, DraftObjective, lint};
use tandem_domain::{Invalid, Rule};

fn kind_label(t: Tr, k: &str) -> &'static str {
    match k {
        "committed" => t.s("kind_committed"),
        "learning" => t.s("kind_learning"),
        _ => t.s("kind_aspirational"),
    }
}

fn status_label(t: Tr, s: &str) -> &'static str {
    match s {
        "draft" => t.s("status_draft"),
        "archived" => t.s("status_archived"),
        _ => t.s("status_published"),
    }
}

fn measure_options(t: Tr) -> Vec<(&'static str, &'static str)> {
    vec![
        ("increase", t.s("measure_increase")),
        ("decrease", t.s("measure_decrease")),
        ("stay_above", t.s("measure_stay_above")),
        ("stay_below", t.s("measure_stay_below")),
        ("milestone", t.s("measure_milestone")),
    ]
}

/// "pass ≥ 98% · warn ≥ 95% · fail < 95%", the way the direction reads.
fn thresholds_text(t: Tr, direction: &str, pass: f64, warn: Option<f64>, unit: &str) -> String {
    let (better, worse) = if direction == "lower_is_better" { ("≤", ">") } else { ("≥", "<") };
    let mut th = format!("{} {better} {}{unit}", t.s("pass"), num(pass));
    let fail_line = warn.unwrap_or(pass);
    if let Some(w) = warn {
        th.push_str(&format!(" · {} {better} {}{unit}", t.s("warn"), num(w)));
    }
    th.push_str(&format!(" · {} {worse} {}{unit}", t.s("fail"), num(fail_line)));
    th
}

fn period_label(t: Tr, granularity: &str) -> &'static str {
    match granularity {
        "week" => t.s("kind_week"),
        "quarter" => t.s("kind_quarter"),
        _ => t.s("kind_month"),
    }
}

pub(super) fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

fn pct(score: f64) -> (u32, String) {
    let p = (score.clamp(0.0, 1.0) * 100.0).round() as u32;
    (p, format!("{:.2}", score))
}

pub struct KrCard {
    /// "forecast 0.72 · expected 0.58 · confidence 7"
    pub pace: String,
    pub at_risk: bool,
    pub disagrees: bool,
    pub id: i64,
    pub title: String,
    pub unit: String,
    pub nums: String,
    pub target: String,
    pub score_pct: u32,
    pub score_text: String,
    pub band: &'static str,
    pub owners: String,
    /// The current value as typed (a placeholder for the next check-in).
    pub current: String,
    /// The KR's values against the pace line (inline SVG; objective page only).
    pub chart: String,
    /// Its latest check-ins, newest first (objective page only).
    pub log: Vec<LogLine>,
    /// Where its value comes from when bound to a metric, and whether the data is late.
    pub binding: Option<(String, bool)>,
}

pub struct Card {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub status: String,
    pub status_label: &'static str,
    pub owner_name: String,
    pub parent_id: i64,
    pub parent_title: Option<String>,
    pub score_pct: u32,
    pub score_text: String,
    pub band: &'static str,
    pub rollup_pct: u32,
    pub rollup_text: String,
    pub rollup_band: &'static str,
    pub krs: Vec<KrCard>,
    pub can_edit: bool,
}

fn card(o: &ObjectiveView, titles: &HashMap<i64, String>, t: Tr) -> Card {
    let (score_pct, score_text) = pct(o.score);
    let (rollup_pct, rollup_text) = pct(o.rollup);
    Card {
        id: o.id,
        title: o.title.clone(),
        kind: o.kind.clone(),
        kind_label: kind_label(t, &o.kind),
        status: o.status.clone(),
        status_label: status_label(t, &o.status),
        owner_name: o.owner_name.clone(),
        parent_id: o.parent.unwrap_or(0),
        parent_title: o.parent.and_then(|p| titles.get(&p).cloned()),
        score_pct,
        score_text: if o.scored { score_text } else { "—".into() },
        band: o.band.as_str(),
        rollup_pct,
        rollup_text,
        rollup_band: o.rollup_band.as_str(),
        krs: o
            .key_results
            .iter()
            .map(|k| {
                let (score_pct, score_text) = pct(k.score);
                KrCard {
                    pace: {
                        let mut p =
                            format!("{} {:.2} · {} {:.2}", t.s("forecast"), k.forecast, t.s("expected"), k.expected);
                        if let Some(c) = k.confidence {
                            p.push_str(&format!(" · {} {c}/10", t.s("confidence_short")));
                        }
                        p
                    },
                    at_risk: k.at_risk,
                    disagrees: k.confidence_disagrees,
                    id: k.id,
                    title: k.title.clone(),
                    unit: k.unit.clone(),
                    nums: format!(
                        "{} → {} {} · {} {}{}",
                        num(k.baseline),
                        num(k.target),
                        k.unit,
                        t.s("current"),
                        num(k.current),
                        k.unit
                    ),
                    target: num(k.target),
                    score_pct,
                    score_text,
                    band: k.band.as_str(),
                    owners: if k.owners.len() > 1 {
                        k.owners.iter().map(|w| format!("{} ×{}", w.name, num(w.weight))).collect::<Vec<_>>().join("、")
                    } else {
                        String::new()
                    },
                    current: num(k.current),
                    chart: String::new(),
                    log: vec![],
                    binding: None,
                }
            })
            .collect(),
        can_edit: o.can_edit,
    }
}

/// One check-in in a KR's recent history on the objective page.
pub struct LogLine {
    pub id: i64,
    pub head: String,
    pub progress: String,
    pub blockers: String,
    pub help: String,
    pub value: String,
    pub confidence: u8,
    pub can_edit: bool,
}

/// Fills each KR card with its chart (values against the pace line) and its latest check-ins.
async fn with_courses(
    st: &AppState,
    a: &tandem_domain::policy::Actor,
    o: &mut Card,
    metrics: &[tandem_app::metrics::MetricView],
    t: Tr,
) -> Result<(), AppError> {
    let courses = st.app.kr_courses(a, o.id).await?;
    let (start, end) = courses.first().map(|c| c.span).unwrap_or_default();
    let day = |us: i64| super::fmt_time(us).get(5..10).unwrap_or_default().to_string();
    let (start, end) = (day(start), day(end));
    for k in &mut o.krs {
        if let Some(c) = courses.iter().find(|c| c.key_result == k.id) {
            let text = crate::svg::ChartText {
                title: &k.title,
                series: [t.s("chart_value"), t.s("chart_pace"), t.s("forecast")],
                start: &start,
                end: &end,
            };
            k.chart = crate::svg::kr_chart(c, &text);
        }
        k.binding = metrics.iter().find_map(|m| {
            let b = m.bindings.iter().find(|b| b.subject_type == "key_result" && b.subject_id == k.id)?;
            let agg = match b.aggregation.as_str() {
                "sum" => t.s("agg_sum"),
                "mean" => t.s("agg_mean"),
                "min" => t.s("agg_min"),
                "max" => t.s("agg_max"),
                "count" => t.s("agg_count"),
                _ => t.s("agg_latest"),
            };
            let mut text = format!("{}「{}」· {agg}", t.s("bound_to"), m.name);
            if b.also_feeds_kpi {
                text.push_str(t.s("bound_feeds_kpi"));
            }
            Some((text, b.stale))
        });
        let log = st.app.check_ins(a, k.id).await?;
        k.log = log
            .into_iter()
            .take(5)
            .map(|c| LogLine {
                id: c.id,
                head: {
                    // A person's check-in shows its confidence; a value from a metric, its source.
                    let said = match c.confidence {
                        Some(n) => format!("{} {n}/10", t.s("confidence_short")),
                        None => format!("{}{}", t.s("from_metric"), c.source.trim_start_matches("metric:")),
                    };
                    format!(
                        "{} · {} · {} → {} · {said}",
                        super::fmt_time(c.created_at),
                        c.author_name,
                        num(c.previous),
                        num(c.value)
                    )
                },
                value: num(c.value),
                confidence: c.confidence.unwrap_or(7).clamp(0, 10) as u8,
                progress: c.progress,
                blockers: c.blockers,
                help: c.help,
                can_edit: c.can_edit,
            })
            .collect();
    }
    Ok(())
}

pub struct KpiLine {
    pub diverges: bool,
    /// The latest period's value: (period, value with unit, status code, status label).
    pub latest: Option<(String, String, &'static str, &'static str)>,
    pub id: i64,
    pub can_request: bool,
    pub target_raw: String,
    pub name: String,
    pub owner_name: String,
    pub period: &'static str,
    pub target: String,
    pub thresholds: String,
    pub locked: bool,
    pub derived: Option<String>,
    /// The values per period against the pass and warn lines (inline SVG; KPI board only).
    pub chart: String,
    /// The caller may record this period's value: the current period to suggest.
    pub record: Option<String>,
}

/// The KPI rows of a board: latest value, trend chart, and, for those who report its numbers, a
/// form for the current period.
fn kpi_lines(
    kpis: &[KpiView],
    titles: &HashMap<i64, String>,
    kr_titles: &HashMap<i64, String>,
    history: &HashMap<i64, Vec<tandem_app::kpis::KpiValueView>>,
    today: time::Date,
    t: Tr,
) -> Vec<KpiLine> {
    kpis.iter()
        .map(|k| {
            let th = thresholds_text(t, &k.direction, k.pass, k.warn, &k.unit);
            let values = history.get(&k.id).map(Vec::as_slice).unwrap_or(&[]);
            let chart = if values.is_empty() {
                String::new()
            } else {
                let points: Vec<(String, f64, &str)> = values
                    .iter()
                    .rev()
                    .take(6)
                    .rev()
                    .map(|v| (v.period.clone(), v.value, status_code(v.status)))
                    .collect();
                let text = crate::svg::ChartText {
                    title: &k.name,
                    series: [t.s("chart_value"), t.s("pass"), t.s("warn")],
                    start: "",
                    end: "",
                };
                crate::svg::kpi_chart(&points, k.pass, k.warn, &text)
            };
            let record = k
                .can_edit
                .then(|| tandem_domain::cycle::PeriodKind::parse("granularity", &k.granularity).ok())
                .flatten()
                .and_then(|g| tandem_domain::kpi::period_of(g, today));
            KpiLine {
                chart,
                record,
                diverges: k.diverges,
                latest: values.last().map(|v| {
                    let code = status_code(v.status);
                    let label = t.s(code);
                    (v.period.clone(), format!("{}{}", num(v.value), k.unit), code, label)
                }),
                id: k.id,
                can_request: k.can_edit && k.locked,
                target_raw: num(k.target),
                name: k.name.clone(),
                owner_name: k.owner_name.clone(),
                period: period_label(t, &k.granularity),
                target: format!("{}{}", num(k.target), k.unit),
                thresholds: th,
                locked: k.locked,
                derived: match k.derived_from {
                    Some(DerivedFrom::KeyResult(id)) => kr_titles.get(&id.0).cloned(),
                    Some(DerivedFrom::Objective(id)) => titles.get(&id.0).cloned(),
                    None => None,
                },
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct CycleQuery {
    cycle: Option<i64>,
    unit: Option<String>,
    ok: Option<String>,
    /// For a new objective: the objective to align it to (the cascade in one step).
    parent: Option<i64>,
    /// For the tree: show it as of this date.
    as_of: Option<String>,
}

/// The cycles, the one to show, its objectives (optionally one unit's) and the org.
async fn cycle_objectives(
    st: &AppState,
    a: &tandem_domain::policy::Actor,
    asked: Option<i64>,
    unit: Option<i64>,
) -> Result<(Vec<CycleView>, i64, Vec<ObjectiveView>, std::sync::Arc<tandem_app::org::OrgSnapshot>), AppError> {
    let cycles = st.app.list_cycles(a).await?;
    let cycle = pick_cycle(&cycles, asked).unwrap_or(0);
    let objs = st.app.list_objectives(a, &ObjectiveFilter { cycle: Some(cycle), unit, ..Default::default() }).await?;
    let org = st.app.org_snapshot(a.tenant.0).await?;
    Ok((cycles, cycle, objs, org))
}

/// The cycle to show: the one asked for, else the running quarter, else the newest.
fn pick_cycle(cycles: &[CycleView], asked: Option<i64>) -> Option<i64> {
    asked
        .filter(|c| cycles.iter().any(|x| x.id == *c))
        .or_else(|| cycles.iter().find(|c| c.kind == "quarter" && c.state == "active").map(|c| c.id))
        .or_else(|| cycles.iter().find(|c| c.state == "active").map(|c| c.id))
        .or_else(|| cycles.first().map(|c| c.id))
}

struct Loaded {
    cycles: Vec<CycleView>,
    all: Vec<ObjectiveView>,
    titles: HashMap<i64, String>,
    kr_titles: HashMap<i64, String>,
}

async fn load(st: &AppState, u: &PageUser) -> Result<Loaded, AppError> {
    let a = &u.session.actor;
    let cycles = st.app.list_cycles(a).await?;
    let all = st.app.list_objectives(a, &ObjectiveFilter::default()).await?;
    let titles = all.iter().map(|o| (o.id, o.title.clone())).collect();
    let kr_titles = all.iter().flat_map(|o| o.key_results.iter().map(|k| (k.id, k.title.clone()))).collect();
    Ok(Loaded { cycles, all, titles, kr_titles })
}

pub struct RedLight {
    pub objective: Option<i64>,
    pub title: String,
    pub owner: String,
    pub reason: String,
    pub acknowledged: bool,
    pub note: String,
}

pub struct Notice {
    pub when: String,
    pub mine: String,
    pub upstream: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "goals.html")]
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
        Ok::<_, AppError>((l, org, kpis, notices, owed, latest, alerts))
    }
    .await;
    let (l, org, kpis, notices, owed, latest, alerts) = match loaded {
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
                .map(|c| format!("{} {} → {}", c.field, super::short(Some(&c.before)), super::short(Some(&c.after))))
                .collect::<Vec<_>>()
                .join("；");
            let what = match (&n.reason, what.is_empty()) {
                (Some(r), false) => format!("{what}（{}{r}）", t.0.pick("原因：", "reason: ")),
                (_, true) => n.action.clone(),
                (None, false) => what,
            };
            Notice { when: super::fmt_time(n.at), mine: n.mine_title.clone(), upstream: n.upstream_title.clone(), what }
        })
        .collect();
    let red_lights = alerts
        .into_iter()
        .filter(|r| r.owner.is_some_and(|o| o == a.person.0 || org.tree.is_above(a.person, PersonId(o))))
        .map(|r| RedLight {
            objective: r.objective,
            reason: crate::api::alerts::reason_text(&r.reason, t.0),
            acknowledged: r.state == "acknowledged",
            title: r.subject_title,
            owner: r.owner_name,
            note: r.note,
        })
        .collect();
    let page = GoalsPage {
        metric_options: vec![],
        wide: false,
        red_lights,
        owed: owed
            .into_iter()
            .map(|w| match (w.objective, w.key_result, w.kpi) {
                (Some(o), Some(k), _) => {
                    (format!("/objectives/{o}#kr-{k}"), w.title, w.objective_title.unwrap_or_default())
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

#[derive(Template)]
#[template(path = "kpis.html")]
struct KpiPage {
    f: Frame,
    /// Metrics a KPI may be bound to: (id, name).
    metric_options: Vec<(i64, String)>,
    /// The full board (with the trend column), not the narrow panel on my goals.
    wide: bool,
    kpis: Vec<KpiLine>,
}

pub async fn kpi_board(State(st): State<AppState>, u: PageUser, Query(q): Query<OkQuery>) -> Response {
    kpi_board_page(&st, &u, q.ok.as_deref(), None).await
}

async fn kpi_board_page(st: &AppState, u: &PageUser, ok: Option<&str>, error: Option<String>) -> Response {
    let loaded = async {
        let l = load(st, u).await?;
        let kpis = st.app.list_kpis(&u.session.actor, &KpiFilter::default()).await?;
        let history = st.app.kpi_value_history(&u.session.actor).await?;
        let metrics = st.app.list_metrics(&u.session.actor).await?;
        Ok::<_, AppError>((l, kpis, history, metrics))
    }
    .await;
    let (l, kpis, history, metrics) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "kpis", "kpi_board", "/kpis").with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let lines = kpi_lines(&kpis, &l.titles, &l.kr_titles, &history, st.app.clock.today(), t);
    render(status, KpiPage { f, wide: true, metric_options: metric_options(&metrics), kpis: lines })
}

/// The metrics the caller may bind a key result or KPI to: (id, "name（unit）").
fn metric_options(metrics: &[tandem_app::metrics::MetricView]) -> Vec<(i64, String)> {
    metrics
        .iter()
        .filter(|m| m.bindable)
        .map(|m| (m.id, if m.unit.is_empty() { m.name.clone() } else { format!("{}（{}）", m.name, m.unit) }))
        .collect()
}

fn status_code(s: tandem_domain::kpi::KpiStatus) -> &'static str {
    match s {
        tandem_domain::kpi::KpiStatus::Pass => "pass",
        tandem_domain::kpi::KpiStatus::Warn => "warn",
        tandem_domain::kpi::KpiStatus::Fail => "fail",
    }
}

#[derive(Deserialize)]
pub struct KpiValueForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    value: String,
}

/// Records a period's value from the KPI board.
pub async fn record_kpi_value(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<KpiValueForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = async {
        let value = parse_num("value", &form.value, None)?;
        st.app.record_kpi_value(&u.session.actor, id, form.period.trim(), value).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/kpis?ok=saved#kpi-{id}")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => kpi_board_page(&st, &u, None, Some(e.message(u.lang))).await,
    }
}

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
#[template(path = "tree.html")]
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
                let at = tandem_app::asof::end_of_day_us(d)?;
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

#[derive(Template)]
#[template(path = "objective.html")]
struct ObjectivePage {
    f: Frame,
    o: Card,
    cycle_id: i64,
    cycle_name: String,
    /// People the caller may set KPIs for (empty: no "derive a KPI" form).
    kpi_owners: Vec<(i64, String)>,
    kpi_cycles: Vec<(i64, String)>,
    children: Vec<Card>,
    measures: Vec<(&'static str, &'static str)>,
    history: Vec<HistoryItem>,
    /// (when, who, text)
    comments: Vec<(String, String, String)>,
    description: String,
    kinds: Vec<(&'static str, &'static str)>,
    /// Published objectives of the same cycle it may align to or support.
    candidates: Vec<(i64, String)>,
    supports: Vec<i64>,
    as_of_date: String,
    as_of: Option<AsOfView>,
    /// KPI library templates: (id, "family · name").
    templates: Vec<(i64, String)>,
    /// Org units a KR can be shared with: (id, name).
    units: Vec<(i64, String)>,
    /// The objective runs in an active cycle and the caller carries it.
    can_check_in: bool,
    confidences: Vec<u8>,
    /// Metrics a key result may be bound to: (id, name).
    metric_options: Vec<(i64, String)>,
    /// A check-in that was refused, kept so nothing typed is lost.
    typed: Option<TypedCheckIn>,
}

/// What was typed into a key result's check-in form.
pub struct TypedCheckIn {
    pub kr: i64,
    pub value: String,
    pub confidence: u8,
    pub progress: String,
    pub blockers: String,
    pub help: String,
}

impl ObjectivePage {
    fn typed_for(&self, kr: &i64) -> Option<&TypedCheckIn> {
        self.typed.as_ref().filter(|t| t.kr == *kr)
    }

    fn typed_confidence(&self, kr: &i64) -> u8 {
        self.typed_for(kr).map(|t| t.confidence).unwrap_or(7)
    }
}

pub struct AsOfView {
    /// Set when the objective did not exist yet at that date.
    pub missing: Option<String>,
    pub title: String,
    pub score: String,
    /// (title, numbers)
    pub krs: Vec<(String, String)>,
    pub changes: Vec<String>,
}

async fn objective_page(st: &AppState, u: &PageUser, id: i64, error: Option<String>, ok: Option<&str>) -> Response {
    objective_page_as_of(st, u, id, error, ok, None, None).await
}

async fn as_of_view(st: &AppState, u: &PageUser, id: i64, date: &str, t: Tr) -> Result<AsOfView, AppError> {
    let at = tandem_app::asof::end_of_day_us(date)?;
    let a = &u.session.actor;
    let missing = |m: String| AsOfView {
        missing: Some(m),
        title: String::new(),
        score: String::new(),
        krs: vec![],
        changes: vec![],
    };
    let snap = match st.app.objective_as_of(a, id, at).await {
        Ok(s) => s,
        Err(AppError::NotFound) => return Ok(missing(t.s("not_yet").into())),
        Err(e) => return Err(e),
    };
    let changes = st
        .app
        .objective_diff(a, id, at, st.app.now())
        .await?
        .into_iter()
        .map(|d| {
            format!("{} · {}: {} → {}", d.title, d.field, super::short(Some(&d.before)), super::short(Some(&d.after)))
        })
        .collect();
    Ok(AsOfView {
        missing: None,
        title: snap.title,
        score: snap.score.map(|s| format!("{s:.2}")).unwrap_or_else(|| "—".into()),
        krs: snap
            .key_results
            .iter()
            .map(|k| {
                let nums = format!(
                    "{} → {} {} · {} {} · {:.2}",
                    num(k.baseline),
                    num(k.target),
                    k.unit,
                    t.s("current"),
                    num(k.current),
                    k.score
                );
                (k.title.clone(), nums)
            })
            .collect(),
        changes,
    })
}

async fn objective_page_as_of(
    st: &AppState,
    u: &PageUser,
    id: i64,
    error: Option<String>,
    ok: Option<&str>,
    as_of: Option<&str>,
    typed: Option<TypedCheckIn>,
) -> Response {
    let a = &u.session.actor;
    let loaded = async {
        let o = st.app.get_objective(a, id).await?;
        let l = load(st, u).await?;
        let org = st.app.org_snapshot(a.tenant.0).await?;
        let hist = st.app.objective_history(a, id).await?;
        let comments = st.app.comments_on(a, id).await?;
        let templates = st.app.list_templates(a).await?;
        let metrics = st.app.list_metrics(a).await?;
        Ok::<_, AppError>((o, l, org, hist, comments, templates, metrics))
    }
    .await;
    let (o, l, org, hist, comments, templates, metrics) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "goals", "objective", &format!("/objectives/{id}")).with_ok(ok);
    f.title = o.title.clone();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let page = ObjectivePage {
        kpi_owners: org
            .people
            .iter()
            .filter(|p| {
                p.active == 1 && tandem_domain::policy::may_edit_kpi(a, Owner::Person(PersonId(p.id)), &org.tree)
            })
            .map(|p| (p.id, format!("{} · {}", p.name, p.title)))
            .collect(),
        kpi_cycles: {
            // Months first (KPIs usually run monthly), the running one on top.
            let mut c: Vec<&CycleView> = l.cycles.iter().filter(|c| c.state != "closed").collect();
            c.sort_by_key(|c| (c.kind != "month", c.state != "active", c.start.clone()));
            c.into_iter().map(|c| (c.id, c.name.clone())).collect()
        },
        cycle_id: o.cycle,
        cycle_name: l.cycles.iter().find(|c| c.id == o.cycle).map(|c| c.name.clone()).unwrap_or_default(),
        children: l.all.iter().filter(|c| c.parent == Some(id)).map(|c| card(c, &l.titles, t)).collect(),
        measures: measure_options(t),
        history: history_items(&hist, &org, t),
        comments: comments.into_iter().map(|c| (super::fmt_time(c.created_at), c.author_name, c.body)).collect(),
        description: o.description.clone(),
        kinds: vec![
            ("aspirational", t.s("kind_aspirational")),
            ("committed", t.s("kind_committed")),
            ("learning", t.s("kind_learning")),
        ],
        candidates: l
            .all
            .iter()
            .filter(|c| c.id != id && c.cycle == o.cycle && c.status == "published")
            .map(|c| (c.id, format!("{} · {}", c.owner_name, c.title)))
            .collect(),
        supports: o.supports.clone(),
        templates: templates.iter().map(|x| (x.id, format!("{} · {}", x.job_family, x.name))).collect(),
        units: unit_options(&org).into_iter().map(|x| (x.id, format!("{}{}", x.indent, x.name))).collect(),
        can_check_in: o.can_edit
            && o.status == "published"
            && l.cycles.iter().any(|c| c.id == o.cycle && c.state == "active"),
        confidences: (0..=10).collect(),
        typed,
        metric_options: metric_options(&metrics),
        as_of_date: as_of.map(String::from).unwrap_or_else(|| tandem_domain::cycle::format_date(st.app.clock.today())),
        as_of: match as_of {
            Some(d) => Some(as_of_view(st, u, id, d, t).await.unwrap_or_else(|e| AsOfView {
                missing: Some(e.message(u.lang)),
                title: String::new(),
                score: String::new(),
                krs: vec![],
                changes: vec![],
            })),
            None => None,
        },
        o: {
            let mut c = card(&o, &l.titles, t);
            if let Err(e) = with_courses(st, a, &mut c, &metrics, t).await {
                return user_error_page(u, &e);
            }
            c
        },
        f,
    };
    render(status, page)
}

#[derive(Deserialize, Default)]
pub struct ObjectiveQuery {
    ok: Option<String>,
    as_of: Option<String>,
}

pub async fn objective(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ObjectiveQuery>,
) -> Response {
    objective_page_as_of(&st, &u, id, None, q.ok.as_deref(), q.as_of.as_deref().filter(|d| !d.is_empty()), None).await
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
}

pub async fn set_status(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let patch = ObjectivePatch { status: Some(form.status.clone()), ..Default::default() };
    match st.app.update_objective(&u.session.actor, id, patch).await {
        Ok(_) if form.status == "archived" => Redirect::to("/goals?ok=saved").into_response(),
        Ok(_) => Redirect::to(&format!("/objectives/{id}?ok=saved")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, id, Some(e.message(u.lang)), None).await,
    }
}

fn parse_num(field: &str, s: &str, default: Option<f64>) -> Result<f64, Invalid> {
    let s = s.trim().replace([',', '，'], "");
    if s.is_empty() {
        return default.ok_or_else(|| Invalid::new(field, Rule::Required));
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| Invalid::new(field, Rule::NotANumber))
}

#[derive(Deserialize)]
pub struct AdjustForm {
    #[serde(default)]
    csrf: String,
    objective: i64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    reason: String,
}

pub async fn adjust_key_result(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<AdjustForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = async {
        let target = parse_num("target", &form.target, None)?;
        let patch = KeyResultPatch {
            title: Some(form.title.clone()),
            target: Some(target),
            reason: Some(form.reason.clone()),
            ..Default::default()
        };
        st.app.update_key_result(&u.session.actor, id, patch).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/objectives/{}?ok=saved", form.objective)).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, form.objective, Some(e.message(u.lang)), None).await,
    }
}

#[derive(Deserialize)]
pub struct AddKrForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    baseline: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    co_owner: String,
    #[serde(default)]
    co_share: String,
}

pub async fn add_key_result(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<AddKrForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = async {
        // A shared KR: the objective's owner and another unit, by share in percent.
        let owners = match opt_id(&form.co_owner)? {
            Some(unit) => {
                let share = parse_num("co_share", &form.co_share, Some(50.0))?;
                if !(1.0..=99.0).contains(&share) {
                    return Err(Invalid::new("co_share", Rule::OutOfRange { min: 1.0, max: 99.0 }).into());
                }
                let o = st.app.get_objective(&u.session.actor, id).await?;
                vec![(o.owner, 100.0 - share), (Owner::OrgUnit(OrgUnitId(unit)), share)]
            }
            None => vec![],
        };
        let new = NewKeyResult {
            title: form.title.clone(),
            measure: form.measure.clone(),
            baseline: parse_num("baseline", &form.baseline, Some(0.0))?,
            target: parse_num("target", &form.target, None)?,
            unit: form.unit.clone(),
            owners,
            ..Default::default()
        };
        st.app.add_key_result(&u.session.actor, id, new).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/objectives/{id}?ok=created")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, id, Some(e.message(u.lang)), None).await,
    }
}

// ----- drafting -----

#[derive(Deserialize, Default, Clone)]
pub struct KrFields {
    pub title: String,
    pub measure: String,
    pub baseline: String,
    pub target: String,
    pub unit: String,
}

#[derive(Default)]
pub struct DraftForm {
    pub title: String,
    pub kind: String,
    pub owner: String,
    pub cycle: String,
    pub parent: String,
    pub krs: Vec<KrFields>,
}

pub struct Hint {
    pub rule: &'static str,
    pub where_: String,
    pub message: String,
    pub suggestion: String,
}

#[derive(Template)]
#[template(path = "objective_new.html")]
struct NewPage {
    f: Frame,
    form: DraftForm,
    kinds: Vec<(&'static str, &'static str)>,
    owners: Vec<(String, String)>,
    cycles: Vec<(i64, String)>,
    parents: Vec<(i64, String)>,
    measures: Vec<(&'static str, &'static str)>,
    checked: bool,
    findings: Vec<Hint>,
}

async fn new_page(
    st: &AppState,
    u: &PageUser,
    form: DraftForm,
    error: Option<String>,
    findings: Option<Vec<Hint>>,
) -> Response {
    let a = &u.session.actor;
    let loaded = async {
        let l = load(st, u).await?;
        let org = st.app.org_snapshot(a.tenant.0).await?;
        Ok::<_, AppError>((l, org))
    }
    .await;
    let (l, org) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "goals", "new_objective", "/objectives/new");
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let mut owners = vec![(format!("person:{}", a.person.0), format!("{}（{}）", u.session.name, t.s("me")))];
    for x in org
        .units
        .iter()
        .filter(|x| tandem_domain::policy::may_set_goals_for(a, Owner::OrgUnit(OrgUnitId(x.id)), &org.tree))
    {
        owners.push((format!("org_unit:{}", x.id), x.name.clone()));
    }
    let cycle: Option<i64> = form.cycle.parse().ok();
    let cycle = pick_cycle(&l.cycles, cycle);
    let form = DraftForm { cycle: cycle.map(|c| c.to_string()).unwrap_or_default(), ..form };
    let page = NewPage {
        kinds: vec![
            ("aspirational", t.s("kind_aspirational")),
            ("committed", t.s("kind_committed")),
            ("learning", t.s("kind_learning")),
        ],
        owners,
        cycles: l.cycles.iter().filter(|c| c.state != "closed").map(|c| (c.id, c.name.clone())).collect(),
        parents: l
            .all
            .iter()
            .filter(|o| o.status == "published" && Some(o.cycle) == cycle)
            .map(|o| (o.id, format!("{} · {}", o.owner_name, o.title)))
            .collect(),
        measures: measure_options(t),
        checked: findings.is_some(),
        findings: findings.unwrap_or_default(),
        form,
        f,
    };
    render(status, page)
}

pub async fn new_objective(State(st): State<AppState>, u: PageUser, Query(q): Query<CycleQuery>) -> Response {
    let form = DraftForm {
        kind: "aspirational".into(),
        owner: format!("person:{}", u.session.actor.person.0),
        cycle: q.cycle.map(|c| c.to_string()).unwrap_or_default(),
        parent: q.parent.map(|p| p.to_string()).unwrap_or_default(),
        krs: vec![KrFields { measure: "increase".into(), ..Default::default() }; 4],
        ..Default::default()
    };
    new_page(&st, &u, form, None, None).await
}

fn draft_form(fields: &HashMap<String, String>) -> DraftForm {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    DraftForm {
        title: get("title"),
        kind: get("kind"),
        owner: get("owner"),
        cycle: get("cycle"),
        parent: get("parent"),
        krs: (0..4)
            .map(|i| KrFields {
                title: get(&format!("kr{i}_title")),
                measure: get(&format!("kr{i}_measure")),
                baseline: get(&format!("kr{i}_baseline")),
                target: get(&format!("kr{i}_target")),
                unit: get(&format!("kr{i}_unit")),
            })
            .collect(),
    }
}

fn hints(form: &DraftForm, t: Tr) -> Vec<Hint> {
    let rows: Vec<usize> = (0..form.krs.len()).filter(|i| !form.krs[*i].title.trim().is_empty()).collect();
    let draft = Draft {
        objectives: vec![DraftObjective {
            title: form.title.clone(),
            kind: Some(form.kind.clone()),
            owner: None,
            key_results: rows
                .iter()
                .map(|i| {
                    let k = &form.krs[*i];
                    DraftKeyResult {
                        title: k.title.clone(),
                        baseline: k.baseline.trim().parse().ok(),
                        target: k.target.trim().parse().ok(),
                    }
                })
                .collect(),
        }],
    };
    lint(&draft, t.0)
        .into_iter()
        .map(|f| {
            let where_ =
                match f.target.split("key_results[").nth(1).and_then(|s| s.trim_end_matches(']').parse::<usize>().ok())
                {
                    Some(j) => format!("{} {}", t.s("kr_title"), rows.get(j).map(|r| r + 1).unwrap_or(j + 1)),
                    None => t.s("objective").to_string(),
                };
            Hint { rule: f.rule, where_, message: f.message, suggestion: f.suggestion }
        })
        .collect()
}

pub async fn create_objective(
    State(st): State<AppState>,
    u: PageUser,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, fields.get("csrf").map(String::as_str).unwrap_or("")) {
        return r;
    }
    let form = draft_form(&fields);
    let action = fields.get("action").map(String::as_str).unwrap_or("draft");
    let found = hints(&form, Tr(u.lang));
    if action == "check" {
        return new_page(&st, &u, form, None, Some(found)).await;
    }
    let result = async {
        let owner = match form.owner.split_once(':') {
            Some(("org_unit", id)) => {
                Some(Owner::OrgUnit(OrgUnitId(id.parse().map_err(|_| Invalid::new("owner", Rule::UnknownRef))?)))
            }
            Some(("person", id)) => {
                Some(Owner::Person(PersonId(id.parse().map_err(|_| Invalid::new("owner", Rule::UnknownRef))?)))
            }
            _ => None,
        };
        let mut key_results = vec![];
        for (i, k) in form.krs.iter().enumerate().filter(|(_, k)| !k.title.trim().is_empty()) {
            let at = |e: Invalid| Invalid::new(format!("{} {} · {}", Tr(u.lang).s("kr_title"), i + 1, e.field), e.rule);
            key_results.push(NewKeyResult {
                title: k.title.clone(),
                measure: if k.measure.is_empty() { "increase".into() } else { k.measure.clone() },
                baseline: parse_num("baseline", &k.baseline, Some(0.0)).map_err(at)?,
                target: parse_num("target", &k.target, None).map_err(at)?,
                unit: k.unit.clone(),
                ..Default::default()
            });
        }
        let new = NewObjective {
            title: form.title.clone(),
            kind: form.kind.clone(),
            owner,
            cycle: form.cycle.parse().map_err(|_| Invalid::new("cycle", Rule::Required))?,
            parent: opt_id(&form.parent)?,
            publish: action == "publish",
            key_results,
            ..Default::default()
        };
        st.app.create_objective(&u.session.actor, new).await
    }
    .await;
    match result {
        Ok(o) => Redirect::to(&format!("/objectives/{}?ok=created", o.id)).into_response(),
        Err(e) => new_page(&st, &u, form, Some(e.message(u.lang)), Some(found)).await,
    }
}

#[derive(Template)]
#[template(path = "map.html")]
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

pub struct RequestLine {
    pub id: i64,
    pub kpi_name: String,
    pub owner_name: String,
    pub requested_by_name: String,
    pub summary: String,
    pub reason: String,
    pub status: String,
    pub status_label: &'static str,
    pub decision_note: String,
}

#[derive(Template)]
#[template(path = "kpi_requests.html")]
struct RequestsPage {
    f: Frame,
    requests: Vec<RequestLine>,
}

async fn requests_page(st: &AppState, u: &PageUser, error: Option<String>, ok: Option<&str>) -> Response {
    let requests = match st.app.list_kpi_changes(&u.session.actor, None).await {
        Ok(r) => r,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "kpis", "change_requests", "/kpis/requests").with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let requests = requests
        .into_iter()
        .map(|r| {
            let b = &r.before;
            let mut parts = vec![];
            let show = |v: &serde_json::Value| v.as_f64().map(num).unwrap_or_else(|| "—".into());
            if let Some(x) = r.changes.target {
                parts.push(format!("{} {} → {}", t.s("target"), show(&b["target"]), num(x)));
            }
            if let Some(x) = r.changes.pass {
                parts.push(format!("{} {} → {}", t.s("pass"), show(&b["pass"]), num(x)));
            }
            if let Some(x) = r.changes.warn {
                parts.push(format!(
                    "{} {} → {}",
                    t.s("warn"),
                    show(&b["warn"]),
                    x.map(num).unwrap_or_else(|| "—".into())
                ));
            }
            if let Some(x) = &r.changes.name {
                parts.push(format!("{} → {x}", t.s("kpi_name")));
            }
            if let Some(x) = r.changes.weight {
                parts.push(format!("weight {} → {}", show(&b["weight"]), num(x)));
            }
            RequestLine {
                id: r.id,
                kpi_name: r.kpi_name,
                owner_name: r.owner_name,
                requested_by_name: r.requested_by_name,
                summary: parts.join("；"),
                reason: r.reason,
                status_label: match r.status.as_str() {
                    "approved" => t.s("approved"),
                    "rejected" => t.s("rejected"),
                    _ => t.s("pending"),
                },
                status: r.status,
                decision_note: r.decision_note,
            }
        })
        .collect();
    render(status, RequestsPage { f, requests })
}

pub async fn kpi_requests(State(st): State<AppState>, u: PageUser, Query(q): Query<OkQuery>) -> Response {
    requests_page(&st, &u, None, q.ok.as_deref()).await
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    reason: String,
}

pub async fn request_change(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<RequestForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = async {
        let target = parse_num("target", &form.target, None)?;
        let changes = tandem_app::kpis::KpiPatch { target: Some(target), ..Default::default() };
        st.app.request_kpi_change(&u.session.actor, id, changes, &form.reason).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/kpis/requests?ok=created").into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => requests_page(&st, &u, Some(e.message(u.lang)), None).await,
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    approve: String,
    #[serde(default)]
    note: String,
}

pub async fn decide_request(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let Some(cap) = tandem_domain::policy::decide_kpi_changes(a) else {
        return user_error_page(&u, &AppError::Forbidden);
    };
    match st.app.decide_kpi_change(cap, a, id, form.approve == "true", &form.note).await {
        Ok(_) => Redirect::to("/kpis/requests?ok=saved").into_response(),
        Err(e) => requests_page(&st, &u, Some(e.message(u.lang)), None).await,
    }
}

#[derive(Deserialize)]
pub struct DeriveForm {
    #[serde(default)]
    csrf: String,
    objective: i64,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    pass: String,
    #[serde(default)]
    warn: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    cycle: String,
    #[serde(default)]
    template: String,
}

/// The cascade's last step: a KPI for a team member, derived from a key result.
pub async fn derive_kpi(
    State(st): State<AppState>,
    u: PageUser,
    Path(kr): Path<i64>,
    Form(form): Form<DeriveForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = async {
        // A library template fills whatever the form left empty.
        let tpl = match opt_id(&form.template)? {
            Some(tid) => st.app.list_templates(&u.session.actor).await?.into_iter().find(|x| x.id == tid),
            None => None,
        };
        let pass = parse_num("pass", &form.pass, tpl.as_ref().map(|x| x.pass))?;
        let warn = if form.warn.trim().is_empty() {
            tpl.as_ref().and_then(|x| x.warn)
        } else {
            Some(parse_num("warn", &form.warn, None)?)
        };
        let owner: i64 = form.owner.parse().map_err(|_| Invalid::new("owner", Rule::Required))?;
        let pick = |field: &str, from_tpl: Option<String>| {
            if field.trim().is_empty() { from_tpl.unwrap_or_default() } else { field.to_string() }
        };
        let direction = tpl.as_ref().map(|x| x.direction.clone()).unwrap_or_else(|| form.direction.clone());
        let new = tandem_app::kpis::NewKpi {
            name: pick(&form.name, tpl.as_ref().map(|x| x.name.clone())),
            owner: Some(tandem_app::goals::OwnerRef { kind: tandem_app::goals::OwnerKind::Person, id: owner }),
            cycle: form.cycle.parse().map_err(|_| Invalid::new("cycle", Rule::Required))?,
            granularity: "month".into(),
            direction,
            target: pass,
            pass: Some(pass),
            warn,
            unit: pick(&form.unit, tpl.as_ref().map(|x| x.unit.clone())),
            weight: None,
            derived_from: Some(DerivedFrom::KeyResult(tandem_domain::ids::KeyResultId(kr))),
        };
        st.app.create_kpi(&u.session.actor, new).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/kpis?ok=created").into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, form.objective, Some(e.message(u.lang)), None).await,
    }
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

pub async fn comment(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<CommentForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.add_comment(&u.session.actor, id, &form.body).await {
        Ok(_) => Redirect::to(&format!("/objectives/{id}#comments")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, id, Some(e.message(u.lang)), None).await,
    }
}

pub struct TemplateLine {
    pub id: i64,
    pub job_family: String,
    pub name: String,
    pub period: &'static str,
    pub thresholds: String,
}

#[derive(Template)]
#[template(path = "library.html")]
struct LibraryPage {
    f: Frame,
    templates: Vec<TemplateLine>,
}

async fn library_page(st: &AppState, u: &PageUser, error: Option<String>, ok: Option<&str>) -> Response {
    let templates = match st.app.list_templates(&u.session.actor).await {
        Ok(t) => t,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "kpis", "kpi_library", "/kpis/library").with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let templates = templates
        .into_iter()
        .map(|x| {
            let th = thresholds_text(t, &x.direction, x.pass, x.warn, &x.unit);
            TemplateLine {
                id: x.id,
                job_family: x.job_family,
                name: x.name,
                period: period_label(t, &x.granularity),
                thresholds: th,
            }
        })
        .collect();
    render(status, LibraryPage { f, templates })
}

pub async fn library(State(st): State<AppState>, u: PageUser, Query(q): Query<OkQuery>) -> Response {
    library_page(&st, &u, None, q.ok.as_deref()).await
}

#[derive(Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    job_family: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    pass: String,
    #[serde(default)]
    warn: String,
    #[serde(default)]
    unit: String,
}

pub async fn add_template(State(st): State<AppState>, u: PageUser, Form(form): Form<TemplateForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let result = async {
        let cap = tandem_domain::policy::manage_kpi_library(a).ok_or(AppError::Forbidden)?;
        let new = tandem_app::notes::NewTemplate {
            job_family: form.job_family.clone(),
            name: form.name.clone(),
            granularity: "month".into(),
            direction: form.direction.clone(),
            pass: parse_num("pass", &form.pass, None)?,
            warn: if form.warn.trim().is_empty() { None } else { Some(parse_num("warn", &form.warn, None)?) },
            unit: form.unit.clone(),
            weight: None,
        };
        st.app.create_template(cap, a, new).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/kpis/library?ok=created").into_response(),
        Err(e) => library_page(&st, &u, Some(e.message(u.lang)), None).await,
    }
}

pub async fn remove_template(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<super::CsrfForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let Some(cap) = tandem_domain::policy::manage_kpi_library(a) else {
        return user_error_page(&u, &AppError::Forbidden);
    };
    match st.app.delete_template(cap, a, id).await {
        Ok(()) => Redirect::to("/kpis/library?ok=saved").into_response(),
        Err(e) => library_page(&st, &u, Some(e.message(u.lang)), None).await,
    }
}

/// Rewords, re-kinds or re-aligns an objective (with a reason once its cycle runs).
pub async fn edit_objective(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, fields.get("csrf").map(String::as_str).unwrap_or("")) {
        return r;
    }
    let get = |k: &str| fields.get(k).cloned();
    let result = async {
        let supports: Vec<i64> =
            fields.keys().filter_map(|k| k.strip_prefix("supports_")).filter_map(|v| v.parse().ok()).collect();
        let patch = ObjectivePatch {
            title: get("title"),
            description: get("description"),
            kind: get("kind"),
            parent: Some(opt_id(&get("parent").unwrap_or_default())?),
            supports: Some(supports),
            reason: get("reason"),
            ..Default::default()
        };
        st.app.update_objective(&u.session.actor, id, patch).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/objectives/{id}?ok=saved")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, id, Some(e.message(u.lang)), None).await,
    }
}

#[derive(Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    csrf: String,
    objective: i64,
    #[serde(default)]
    value: String,
    #[serde(default)]
    confidence: String,
    #[serde(default)]
    progress: String,
    #[serde(default)]
    blockers: String,
    #[serde(default)]
    help: String,
}

pub async fn check_in(
    State(st): State<AppState>,
    u: PageUser,
    Path(kr): Path<i64>,
    Form(form): Form<CheckInForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = async { st.app.check_in(&u.session.actor, kr, form.parse()?).await }.await;
    if let Err(e) = &result
        && !matches!(e, AppError::NotFound)
    {
        let typed = TypedCheckIn {
            kr,
            value: form.value.clone(),
            confidence: form.confidence.trim().parse::<u8>().ok().filter(|c| *c <= 10).unwrap_or(7),
            progress: form.progress.clone(),
            blockers: form.blockers.clone(),
            help: form.help.clone(),
        };
        let error = Some(e.message(u.lang));
        return objective_page_as_of(&st, &u, form.objective, error, None, None, Some(typed)).await;
    }
    check_in_answer(&st, &u, &form, kr, result).await
}

impl CheckInForm {
    fn parse(&self) -> Result<tandem_domain::checkin::CheckIn, AppError> {
        let value = parse_num("value", &self.value, None)?;
        let confidence =
            self.confidence.trim().parse::<i64>().map_err(|_| Invalid::new("confidence", Rule::NotANumber))?;
        Ok(tandem_domain::checkin::CheckIn::parse(value, confidence, &self.progress, &self.blockers, &self.help)?)
    }
}

async fn check_in_answer(
    st: &AppState,
    u: &PageUser,
    form: &CheckInForm,
    kr: i64,
    result: Result<tandem_app::checkins::CheckInOutcome, AppError>,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/objectives/{}?ok=saved#kr-{kr}", form.objective)).into_response(),
        Err(AppError::NotFound) => user_error_page(u, &AppError::NotFound),
        Err(e) => objective_page(st, u, form.objective, Some(e.message(u.lang)), None).await,
    }
}

/// The weekly check-in on a whole objective: a value for each KR filled in (blank ones are left
/// alone), one confidence and one set of answers.
pub async fn check_in_objective(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
    if let Some(r) = csrf_refusal(&u, get("csrf")) {
        return r;
    }
    let result = async {
        let mut values = vec![];
        for (name, v) in &fields {
            if let Some(kr) = name.strip_prefix("kr_").and_then(|k| k.parse::<i64>().ok())
                && !v.trim().is_empty()
            {
                values.push((kr, parse_num("value", v, None)?));
            }
        }
        let confidence =
            get("confidence").trim().parse::<i64>().map_err(|_| Invalid::new("confidence", Rule::NotANumber))?;
        let answers =
            tandem_domain::checkin::CheckIn::parse(0.0, confidence, get("progress"), get("blockers"), get("help"))?;
        st.app.check_in_objective(&u.session.actor, id, &values, answers).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/objectives/{id}?ok=saved")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, id, Some(e.message(u.lang)), None).await,
    }
}

/// Corrects one's own check-in within the edit window.
pub async fn edit_check_in(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<CheckInForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = async { st.app.edit_check_in(&u.session.actor, id, form.parse()?).await }.await;
    let kr = result.as_ref().map(|o| o.key_result.id).unwrap_or_default();
    check_in_answer(&st, &u, &form, kr, result).await
}

#[derive(Deserialize)]
pub struct AckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// Acknowledges a red light from the dashboard's list, with what is being done about it.
pub async fn acknowledge_alert(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<AckForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.acknowledge_alert(&u.session.actor, id, &form.note).await {
        Ok(_) => Redirect::to("/dashboard?ok=saved#red-light-list").into_response(),
        Err(e) => user_error_page(&u, &e),
    }
}

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
#[template(path = "dashboard.html")]
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
                reason: crate::api::alerts::reason_text(&r.reason, t.0),
                since: super::fmt_time(r.raised_at),
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
