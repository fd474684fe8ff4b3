//! An objective's page: its key results with charts and check-ins, history, discussion, and as-of views.

use crate::AppState;
use crate::auth::PageUser;
use crate::i18n::Tr;
use crate::pages::goals::{Card, card, with_courses};
use crate::pages::shared::{load, measure_options, metric_options, num};
use crate::pages::{Frame, HistoryItem, history_items, render, unit_options, user_error_page};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tandem_app::AppError;
use tandem_app::cycles::calendar::CycleView;
use tandem_domain::goal::Owner;
use tandem_domain::ids::PersonId;

#[derive(Template)]
#[template(path = "goals/objective.html")]
struct ObjectivePage {
    f: Frame,
    /// The objective of an earlier cycle whose retro carried this one here.
    carried_from: Option<(i64, String)>,
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

pub(crate) async fn objective_page(
    st: &AppState,
    u: &PageUser,
    id: i64,
    error: Option<String>,
    ok: Option<&str>,
) -> Response {
    objective_page_as_of(st, u, id, error, ok, None, None).await
}

async fn as_of_view(st: &AppState, u: &PageUser, id: i64, date: &str, t: Tr) -> Result<AsOfView, AppError> {
    let at = tandem_app::goals::asof::end_of_day_us(date)?;
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
            format!(
                "{} · {}: {} → {}",
                d.title,
                d.field,
                crate::pages::short(Some(&d.before)),
                crate::pages::short(Some(&d.after))
            )
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

pub(crate) async fn objective_page_as_of(
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
        let carries = st.app.carries(a, id).await?;
        Ok::<_, AppError>((o, l, org, hist, comments, templates, metrics, carries))
    }
    .await;
    let (o, l, org, hist, comments, templates, metrics, carries) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(u, &e),
    };
    // `checkin-<kr>`: the reader has just checked in on that key result.
    let checked_in: Option<i64> = ok.and_then(|o| o.strip_prefix("checkin-")).and_then(|k| k.parse().ok());
    let ok = if checked_in.is_some() { Some("saved") } else { ok };
    let mut f = Frame::for_user(u, "goals", "objective", &format!("/objectives/{id}")).with_ok(ok);
    f.title = o.title.clone();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    // Carried here from an earlier cycle's retro: where from (once per objective).
    let carried_from =
        carries.iter().find(|c| c.to_objective == Some(id)).map(|c| (c.from_objective, c.from_title.clone()));
    let page = ObjectivePage {
        carried_from,
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
        history: history_items(&hist, &org, t, u.session.zone),
        comments: comments
            .into_iter()
            .map(|c| (crate::pages::fmt_time(c.created_at, u.session.zone), c.author_name, c.body))
            .collect(),
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
            if let Err(e) = with_courses(st, a, &mut c, &metrics, t, u.session.zone).await {
                return user_error_page(u, &e);
            }
            if let Some(kr) = checked_in
                && let (Some(card), Some(k)) =
                    (c.krs.iter_mut().find(|k| k.id == kr), o.key_results.iter().find(|k| k.id == kr))
                && let Ok(log) = st.app.check_ins(a, kr).await
                && let Some(last) = log.first().filter(|c| c.author == a.person.0)
            {
                let before = tandem_app::goals::snapshot::rule_score(&k.measure, k.baseline, k.target, last.previous);
                card.saved = Some(format!(
                    "{} {} → {}{} · {} {before:.2} → {:.2} · {} {:.2}",
                    t.s("checked_in_saved"),
                    num(last.previous),
                    num(last.value),
                    k.unit,
                    t.s("score"),
                    k.score,
                    t.s("objective_score"),
                    o.score
                ));
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
