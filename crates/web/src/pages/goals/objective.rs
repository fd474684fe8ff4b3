//! An objective's page: its key results with charts and check-ins, history, discussion, and as-of views.

use crate::AppState;
use crate::auth::PageUser;
use crate::i18n::Tr;
use crate::pages::goals::{Card, LogLine, card, log_lines, with_courses};
use crate::pages::pick::{self, Picker, picker};
use crate::pages::shared::{measure_options, num};
use crate::pages::{Frame, HistoryItem, history_items, render, user_error_page};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::collections::HashMap;
use tandem_app::AppError;
use tandem_app::cycles::calendar::CycleView;
use tandem_domain::goal::Owner;

#[derive(Template)]
#[template(path = "goals/objective.html")]
struct ObjectivePage {
    f: Frame,
    /// The objective of an earlier cycle whose retro carried this one here.
    carried_from: Option<(i64, String)>,
    o: Card,
    cycle_id: i64,
    cycle_name: String,
    /// People the caller may set KPIs for (none: no "derive a KPI" form).
    kpi_owner_pick: Picker,
    kpi_cycles: Vec<(i64, String)>,
    children: Vec<Card>,
    measures: Vec<(&'static str, &'static str)>,
    history: Vec<HistoryItem>,
    /// Which page of the history is shown (0: the newest), and how many pages there are.
    history_page: usize,
    history_pages: usize,
    /// The key result whose whole check-in log is being read, a page at a time.
    log: Option<LogPage>,
    /// (when, who, text)
    comments: Vec<(String, String, String)>,
    description: String,
    kinds: Vec<(&'static str, &'static str)>,
    /// Published objectives of the same cycle it may align to or support.
    parent_pick: Picker,
    supports: Vec<i64>,
    as_of_date: String,
    as_of: Option<AsOfView>,
    /// KPI library templates: (id, "family · name").
    templates: Vec<(i64, String)>,
    /// Org units a KR can be shared with.
    unit_pick: Picker,
    /// The objective runs in an active cycle and the caller carries it.
    can_check_in: bool,
    confidences: Vec<u8>,
    /// Metrics a key result may be bound to.
    metric_pick: Picker,
    /// The section a search was made from, opened again (`edit-objective`, `derive-<kr>`, …).
    open: String,
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
    pub status: String,
    pub status_reason: String,
}

/// A page of one key result's check-ins.
pub struct LogPage {
    pub kr: i64,
    pub page: usize,
    pub pages: usize,
    pub lines: Vec<LogLine>,
}

/// Check-ins listed per page of a key result's log; history events per page.
const LOG_PAGE: usize = 20;
const HISTORY_PAGE: usize = 20;

impl ObjectivePage {
    /// Where the pickers' searches go: this page.
    fn pick_action(&self) -> String {
        format!("/objectives/{}", self.o.id)
    }

    /// Whether the section with this id is to be shown open.
    fn is_open(&self, section: &str) -> bool {
        self.open == section
    }

    /// The page of a key result's log being read, if it is this one.
    fn log_of(&self, kr: &i64) -> Option<&LogPage> {
        self.log.as_ref().filter(|l| l.kr == *kr)
    }

    /// The check-ins listed under a key result: a page of its log when one is being read.
    fn log_lines_of<'a>(&'a self, k: &'a crate::pages::goals::KrCard) -> &'a [LogLine] {
        match self.log_of(&k.id) {
            Some(l) => &l.lines,
            None => &k.log,
        }
    }

    /// The supports choices: the parent picker's options (what it supports now is among them).
    fn support_choices(&self) -> &[(i64, String)] {
        &self.parent_pick.options
    }

    fn typed_for(&self, kr: &i64) -> Option<&TypedCheckIn> {
        self.typed.as_ref().filter(|t| t.kr == *kr)
    }

    /// The status to show chosen in a key result's check-in form: what was typed, else what
    /// its owner last reported.
    fn typed_status(&self, k: &crate::pages::goals::KrCard) -> String {
        match self.typed_for(&k.id) {
            Some(t) => t.status.clone(),
            None => k.reported.as_ref().map(|r| r.0.to_string()).unwrap_or_default(),
        }
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
    let q = ObjectiveQuery { ok: ok.map(String::from), ..Default::default() };
    objective_page_as_of(st, u, id, error, &q, None).await
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
    q: &ObjectiveQuery,
    typed: Option<TypedCheckIn>,
) -> Response {
    let a = &u.session.actor;
    let (ok, as_of) = (q.ok.as_deref(), q.as_of.as_deref().filter(|d| !d.is_empty()));
    // Only what this objective needs is read: never every objective, person or metric of the
    // tenant, so the page costs the same in a company of 100,000 as in one of 100.
    let loaded = async {
        let o = st.app.get_objective(a, id).await?;
        let cycles = st.app.list_cycles(a).await?;
        let children = st
            .app
            .list_objectives(
                a,
                &tandem_app::goals::objectives::ObjectiveFilter { parent: Some(id), ..Default::default() },
            )
            .await?;
        let parent = match o.parent {
            Some(p) => st.app.get_objective(a, p).await.ok().map(|p| (p.id, p.title, p.owner_name)),
            None => None,
        };
        let (hist, n_hist) = st.app.objective_history_page(a, id, q.history, HISTORY_PAGE).await?;
        let org = st.app.org_snapshot(a.tenant.0).await?;
        let comments = st.app.comments_on(a, id).await?;
        let templates = st.app.list_templates(a).await?;
        let bindings = st.app.key_result_bindings(a, id).await?;
        let carries = st.app.carries(a, id).await?;
        Ok::<_, AppError>((o, cycles, children, parent, (hist, n_hist), org, comments, templates, bindings, carries))
    }
    .await;
    let (o, cycles, children, parent, (hist, n_hist), org, comments, templates, bindings, carries) = match loaded {
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
    let titles: HashMap<i64, String> =
        parent.iter().map(|(pid, title, _)| (*pid, title.clone())).chain([(id, o.title.clone())]).collect();
    let picked = async {
        let parent_pick = picker(
            "parent",
            "objective",
            &q.parent_q,
            pick::objectives(st, a, id, &q.parent_q).await?,
            Some("not_aligned"),
            parent.as_ref().map(|(pid, title, owner)| (*pid, format!("{owner} · {title}"))),
        );
        let owner_unit = match o.owner {
            Owner::OrgUnit(u) => Some(u.0),
            Owner::Person(p) => org.tree.unit_of(p).map(|u| u.0),
        };
        let unit_pick = picker(
            "co_owner",
            "unit",
            &q.co_owner_q,
            pick::units(st, a, owner_unit, &q.co_owner_q).await?,
            Some("not_shared"),
            None,
        );
        let metric_pick = if o.can_edit {
            picker("metric", "metric", &q.metric_q, pick::metrics(st, a, &q.metric_q).await?, Some("unbind"), None)
        } else {
            picker("metric", "metric", "", (vec![], false), Some("unbind"), None)
        };
        let kpi_owner_pick =
            picker("owner", "person", &q.owner_q, pick::kpi_owners(st, a, &q.owner_q).await?, None, None);
        Ok::<_, AppError>((parent_pick, unit_pick, metric_pick, kpi_owner_pick))
    }
    .await;
    let (parent_pick, unit_pick, metric_pick, kpi_owner_pick) = match picked {
        Ok(x) => x,
        Err(e) => return user_error_page(u, &e),
    };
    // The whole check-in log of one key result, a page at a time.
    let log = match q.log.filter(|k| o.key_results.iter().any(|x| x.id == *k)) {
        Some(kr) => match st.app.check_in_page(a, kr, q.log_page, LOG_PAGE).await {
            Ok((rows, total)) => Some(LogPage {
                kr,
                page: q.log_page,
                pages: total.div_ceil(LOG_PAGE).max(1),
                lines: log_lines(rows, t, u.session.zone),
            }),
            Err(e) => return user_error_page(u, &e),
        },
        None => None,
    };
    // Carried here from an earlier cycle's retro: where from (once per objective).
    let carried_from =
        carries.iter().find(|c| c.to_objective == Some(id)).map(|c| (c.from_objective, c.from_title.clone()));
    let page = ObjectivePage {
        carried_from,
        kpi_owner_pick,
        kpi_cycles: {
            // Months first (KPIs usually run monthly), the running one on top.
            let mut c: Vec<&CycleView> = cycles.iter().filter(|c| c.state != "closed").collect();
            c.sort_by_key(|c| (c.kind != "month", c.state != "active", c.start.clone()));
            c.into_iter().map(|c| (c.id, c.name.clone())).collect()
        },
        cycle_id: o.cycle,
        cycle_name: cycles.iter().find(|c| c.id == o.cycle).map(|c| c.name.clone()).unwrap_or_default(),
        children: children.iter().map(|c| card(c, &titles, t)).collect(),
        measures: measure_options(t),
        history: history_items(&hist, &org, t, u.session.zone),
        history_page: q.history,
        history_pages: n_hist.div_ceil(HISTORY_PAGE).max(1),
        log,
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
        parent_pick,
        supports: o.supports.clone(),
        templates: templates.iter().map(|x| (x.id, format!("{} · {}", x.job_family, x.name))).collect(),
        unit_pick,
        can_check_in: o.can_edit
            && o.status == "published"
            && cycles.iter().any(|c| c.id == o.cycle && c.state == "active"),
        confidences: (0..=10).collect(),
        typed,
        metric_pick,
        open: q.open.clone(),
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
            let mut c = card(&o, &titles, t);
            if let Err(e) = with_courses(st, a, &mut c, &bindings, t, u.session.zone).await {
                return user_error_page(u, &e);
            }
            if let Some(kr) = checked_in
                && let (Some(card), Some(k)) =
                    (c.krs.iter_mut().find(|k| k.id == kr), o.key_results.iter().find(|k| k.id == kr))
                && let Ok((log, _)) = st.app.check_in_page(a, kr, 0, 1).await
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
    /// Searches typed into the pickers.
    #[serde(default)]
    parent_q: String,
    #[serde(default)]
    owner_q: String,
    #[serde(default)]
    co_owner_q: String,
    #[serde(default)]
    metric_q: String,
    /// The section to open (where a search was made).
    #[serde(default)]
    open: String,
    /// The page of the history (0: the newest).
    #[serde(default)]
    history: usize,
    /// A key result whose whole check-in log to show, and which page of it.
    log: Option<i64>,
    #[serde(default)]
    log_page: usize,
}

pub async fn objective(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<ObjectiveQuery>,
) -> Response {
    objective_page_as_of(&st, &u, id, None, &q, None).await
}
