//! The KPI board: the KPIs the caller may see, with period values, thresholds and trends.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::kpis::{KpiLine, ValueRetry, kpi_lines};
use crate::pages::shared::{labelled_message, load, metric_options, parse_num};
use crate::pages::{Frame, OkQuery, csrf_refusal, render, user_error_page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_app::AppError;
use tandem_app::kpis::kpi::KpiFilter;
use tandem_domain::Rule;

#[derive(Template)]
#[template(path = "kpis/board.html")]
struct KpiPage {
    f: Frame,
    /// Metrics a KPI may be bound to: (id, name).
    metric_options: Vec<(i64, String)>,
    /// The full board (with the trend column), not the narrow panel on my goals.
    wide: bool,
    kpis: Vec<KpiLine>,
}

pub async fn kpi_board(State(st): State<AppState>, u: PageUser, Query(q): Query<OkQuery>) -> Response {
    kpi_board_page(&st, &u, q.ok.as_deref(), None, None).await
}

pub(crate) async fn kpi_board_page(
    st: &AppState,
    u: &PageUser,
    ok: Option<&str>,
    error: Option<String>,
    retry: Option<(i64, Retry)>,
) -> Response {
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
    let mut lines = kpi_lines(&kpis, &l.titles, &l.kr_titles, &history, st.app.clock.today(), t);
    if let Some((id, r)) = retry
        && let Some(line) = lines.iter_mut().find(|l| l.id == id)
    {
        match r {
            Retry::Value(v) => line.retry = Some(v),
            Retry::Request { target, reason, error } => line.request_retry = Some((target, reason, error)),
        }
    }
    render(status, KpiPage { f, wide: true, metric_options: metric_options(&metrics), kpis: lines })
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
            kpi_board_page(&st, &u, None, None, Some((id, Retry::Value(retry)))).await
        }
    }
}
