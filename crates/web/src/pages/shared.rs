//! Pieces every page uses: labels, numbers as text, the cycle a page shows, and what most goal
//! and KPI pages load first.

use crate::AppState;
use crate::auth::PageUser;
use crate::i18n::Tr;
use serde::Deserialize;
use std::collections::HashMap;
use tandem_app::AppError;
use tandem_app::cycles::calendar::CycleView;
use tandem_app::goals::objectives::{ObjectiveFilter, ObjectiveView};
use tandem_domain::{Invalid, Rule};

pub(crate) fn kind_label(t: Tr, k: &str) -> &'static str {
    match k {
        "committed" => t.s("kind_committed"),
        "learning" => t.s("kind_learning"),
        _ => t.s("kind_aspirational"),
    }
}

pub(crate) fn status_label(t: Tr, s: &str) -> &'static str {
    match s {
        "draft" => t.s("status_draft"),
        "archived" => t.s("status_archived"),
        _ => t.s("status_published"),
    }
}

pub(crate) fn measure_options(t: Tr) -> Vec<(&'static str, &'static str)> {
    vec![
        ("increase", t.s("measure_increase")),
        ("decrease", t.s("measure_decrease")),
        ("stay_above", t.s("measure_stay_above")),
        ("stay_below", t.s("measure_stay_below")),
        ("milestone", t.s("measure_milestone")),
    ]
}

pub(super) fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

pub(crate) fn pct(score: f64) -> (u32, String) {
    let p = (score.clamp(0.0, 1.0) * 100.0).round() as u32;
    (p, two(score))
}

/// A score with two decimals; a value that rounds to zero reads 0.00, never -0.00.
pub(crate) fn two(v: f64) -> String {
    let s = format!("{v:.2}");
    if s == "-0.00" { "0.00".into() } else { s }
}

#[derive(Deserialize, Default)]
pub struct CycleQuery {
    pub cycle: Option<i64>,
    pub unit: Option<String>,
    pub ok: Option<String>,
    /// For a new objective: the objective to align it to (the cascade in one step).
    pub parent: Option<i64>,
    /// For the tree: show it as of this date.
    pub as_of: Option<String>,
}

/// The cycles, the one to show, its objectives (optionally one unit's) and the org.
pub(crate) async fn cycle_objectives(
    st: &AppState,
    a: &tandem_domain::policy::Actor,
    asked: Option<i64>,
    unit: Option<i64>,
) -> Result<(Vec<CycleView>, i64, Vec<ObjectiveView>, std::sync::Arc<tandem_app::org::chart::OrgSnapshot>), AppError> {
    let cycles = st.app.list_cycles(a).await?;
    let cycle = pick_cycle(&cycles, asked).unwrap_or(0);
    let objs = st.app.list_objectives(a, &ObjectiveFilter { cycle: Some(cycle), unit, ..Default::default() }).await?;
    let org = st.app.org_snapshot(a.tenant.0).await?;
    Ok((cycles, cycle, objs, org))
}

/// The cycle to show: the one asked for, else the running quarter, else the newest.
pub(crate) fn pick_cycle(cycles: &[CycleView], asked: Option<i64>) -> Option<i64> {
    asked
        .filter(|c| cycles.iter().any(|x| x.id == *c))
        .or_else(|| cycles.iter().find(|c| c.kind == "quarter" && c.state == "active").map(|c| c.id))
        .or_else(|| cycles.iter().find(|c| c.state == "active").map(|c| c.id))
        .or_else(|| cycles.first().map(|c| c.id))
}

pub(crate) struct Loaded {
    pub cycles: Vec<CycleView>,
    pub all: Vec<ObjectiveView>,
    pub titles: HashMap<i64, String>,
    pub kr_titles: HashMap<i64, String>,
}

pub(crate) async fn load(st: &AppState, u: &PageUser) -> Result<Loaded, AppError> {
    let a = &u.session.actor;
    let cycles = st.app.list_cycles(a).await?;
    let all = st.app.list_objectives(a, &ObjectiveFilter::default()).await?;
    let titles = all.iter().map(|o| (o.id, o.title.clone())).collect();
    let kr_titles = all.iter().flat_map(|o| o.key_results.iter().map(|k| (k.id, k.title.clone()))).collect();
    Ok(Loaded { cycles, all, titles, kr_titles })
}

/// The metrics the caller may bind a key result or KPI to: (id, "name（unit）").
pub(crate) fn metric_options(metrics: &[tandem_app::data::metrics::MetricView]) -> Vec<(i64, String)> {
    metrics
        .iter()
        .filter(|m| m.bindable)
        .map(|m| (m.id, if m.unit.is_empty() { m.name.clone() } else { format!("{}（{}）", m.name, m.unit) }))
        .collect()
}

/// A number typed in a form (full-width digits, thousands commas; see
/// [`tandem_domain::text::parse_number`]); empty is `default`, or required.
pub(crate) fn parse_num(field: &str, s: &str, default: Option<f64>) -> Result<f64, Invalid> {
    match tandem_domain::text::parse_number(field, s)? {
        Some(v) => Ok(v),
        None => default.ok_or_else(|| Invalid::new(field, Rule::Required)),
    }
}

/// An error's message in the page's language, naming the field at fault by the label the form
/// shows (`fields`: input name → i18n key of its label), not by its input name.
pub(crate) fn labelled_message(e: &tandem_app::AppError, t: crate::i18n::Tr, fields: &[(&str, &str)]) -> String {
    match e {
        tandem_app::AppError::Invalid(i) => match fields.iter().find(|(f, _)| *f == i.field) {
            Some((_, key)) => Invalid::new(t.s(key), i.rule.clone()).message(t.0),
            None => e.message(t.0),
        },
        _ => e.message(t.0),
    }
}

/// Where a lesson's retro is: its objective's, or its unit's team retro of that cycle.
pub fn lesson_retro_href(l: &tandem_app::review::lessons::LessonView) -> String {
    match (l.objective, l.unit) {
        (Some(o), _) => format!("/objectives/{o}/retro"),
        (None, Some(u)) => format!("/teams/{u}/retro/{}", l.cycle),
        (None, None) => "/lessons".into(),
    }
}
