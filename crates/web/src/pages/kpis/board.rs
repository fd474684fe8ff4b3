//! The KPI board: the KPIs the caller may see, with period values, thresholds and trends.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::kpis::{KpiLine, ValueRetry, kpi_lines};
use crate::pages::shared::{labelled_message, load, metric_options, parse_num};
use crate::pages::{Frame, csrf_refusal, render, user_error_page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_app::AppError;
use tandem_app::kpis::kpi::KpiFilter;
use tandem_app::org::chart::OrgSnapshot;
use tandem_domain::Rule;
use tandem_domain::goal::Owner;

#[derive(Template)]
#[template(path = "kpis/board.html")]
struct KpiPage {
    f: Frame,
    /// Metrics a KPI may be bound to: (id, name).
    metric_options: Vec<(i64, String)>,
    /// The full board (with the trend column), not the narrow panel on my goals.
    wide: bool,
    kpis: Vec<KpiLine>,
    filter: BoardFilter,
    /// How many KPIs the caller may see in all (the filter shows `kpis.len()` of them).
    total: usize,
}

/// What the board is narrowed to: a KPI or person's name, a unit (with the units below it), the
/// latest period's status (`pass`, `warn`, `fail`, or `none` for no value yet).
#[derive(Deserialize, Default)]
pub struct BoardFilter {
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    status: String,
}

impl BoardFilter {
    fn is_set(&self) -> bool {
        !(self.q.trim().is_empty() && self.unit.trim().is_empty() && self.status.is_empty())
    }
}

impl KpiPage {
    fn filtered(&self) -> bool {
        self.filter.is_set()
    }
}

pub async fn kpi_board(State(st): State<AppState>, u: PageUser, Query(q): Query<BoardFilter>) -> Response {
    kpi_board_page(&st, &u, q, None, None).await
}

/// Whether a KPI's owner is a unit matched by `unit` (by name, the units below included) or a
/// person in one.
fn in_units(k: &tandem_app::kpis::kpi::KpiView, units: &std::collections::HashSet<i64>, org: &OrgSnapshot) -> bool {
    match k.owner {
        Owner::OrgUnit(u) => units.contains(&u.0),
        Owner::Person(p) => org.tree.unit_of(p).is_some_and(|u| units.contains(&u.0)),
    }
}

pub(crate) async fn kpi_board_page(
    st: &AppState,
    u: &PageUser,
    filter: BoardFilter,
    error: Option<String>,
    retry: Option<(i64, Retry)>,
) -> Response {
    let ok = filter.ok.as_deref();
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
    let status = if error.is_some() || retry.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let total = kpis.len();
    let kpis: Vec<_> = if filter.q.trim().is_empty() && filter.unit.trim().is_empty() {
        kpis
    } else {
        let org = match st.app.org_snapshot(u.session.actor.tenant.0).await {
            Ok(o) => o,
            Err(e) => return user_error_page(u, &e),
        };
        let q = filter.q.trim().to_lowercase();
        let unit_q = filter.unit.trim().to_lowercase();
        let units: std::collections::HashSet<i64> = if unit_q.is_empty() {
            Default::default()
        } else {
            org.units
                .iter()
                .filter(|x| x.name.to_lowercase().contains(&unit_q))
                .flat_map(|x| org.tree.subtree(tandem_domain::ids::OrgUnitId(x.id)))
                .map(|x| x.0)
                .collect()
        };
        kpis.into_iter()
            .filter(|k| q.is_empty() || k.name.to_lowercase().contains(&q) || k.owner_name.to_lowercase().contains(&q))
            .filter(|k| unit_q.is_empty() || in_units(k, &units, &org))
            .collect()
    };
    let mut lines = kpi_lines(&kpis, &l.titles, &l.kr_titles, &history, st.app.clock.today(), t);
    match filter.status.as_str() {
        "" => {}
        "none" => lines.retain(|l| l.latest.is_none()),
        s => lines.retain(|l| l.latest.as_ref().is_some_and(|x| x.2 == s)),
    }
    if let Some((id, r)) = retry
        && let Some(line) = lines.iter_mut().find(|l| l.id == id)
    {
        match r {
            Retry::Value(v) => line.retry = Some(v),
            Retry::Request { target, reason, error } => line.request_retry = Some((target, reason, error)),
        }
    }
    render(status, KpiPage { f, wide: true, metric_options: metric_options(&metrics), kpis: lines, filter, total })
}

/// A form on the board refused, to show again as it was typed.
pub(crate) enum Retry {
    Value(ValueRetry),
    Request { target: String, reason: String, error: String },
}

#[derive(Deserialize)]
pub struct KpiValueForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    value: String,
    /// Ticked to replace a value the period already holds.
    #[serde(default)]
    replace: Option<String>,
}

/// Records a period's value from the KPI board. A refusal sends the form back open, with what
/// was typed and the reason beside it.
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
        st.app.record_kpi_value(&u.session.actor, id, form.period.trim(), value, form.replace.is_some()).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/kpis?ok=saved#kpi-{id}")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => {
            let confirm_replace = matches!(&e, AppError::Invalid(i) if matches!(i.rule, Rule::AlreadyRecorded { .. }));
            let retry = ValueRetry {
                period: form.period,
                value: form.value,
                error: labelled_message(&e, crate::i18n::Tr(u.lang), &[("value", "value"), ("period", "period")]),
                confirm_replace,
            };
            kpi_board_page(&st, &u, BoardFilter::default(), None, Some((id, Retry::Value(retry)))).await
        }
    }
}
