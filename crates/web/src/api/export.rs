//! CSV exports of what the caller may see: a cycle's goal tree, KPI results and check-ins.

use crate::AppState;
use crate::auth::{ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
pub struct ExportQuery {
    /// The cycle (required for goals and check-ins; KPIs of every cycle without it).
    pub cycle: Option<i64>,
}

fn csv(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

fn need_cycle(q: &ExportQuery, c: &Caller) -> Result<i64, ApiError> {
    q.cycle.ok_or(ApiError {
        err: tandem_domain::Invalid::new("cycle", tandem_domain::Rule::Required).into(),
        lang: c.lang,
    })
}

/// A cycle's objectives and key results with scores (CSV, UTF-8 with BOM).
#[utoipa::path(get, path = "/api/v1/export/goals.csv", tag = "export", params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 422, body = ErrorBody)))]
pub async fn goals(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let cycle = need_cycle(&q, &c)?;
    let body = st.app.export_goals_csv(&c.session.actor, cycle).await.in_lang(c.lang)?;
    Ok(csv(&format!("goals-{cycle}.csv"), body))
}

/// The KPIs the caller may see with every period's value and status (CSV).
#[utoipa::path(get, path = "/api/v1/export/kpis.csv", tag = "export", params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String)))]
pub async fn kpis(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let body = st.app.export_kpis_csv(&c.session.actor, q.cycle).await.in_lang(c.lang)?;
    Ok(csv("kpis.csv", body))
}

/// Every check-in on a cycle's key results the caller may see (CSV).
#[utoipa::path(get, path = "/api/v1/export/check-ins.csv", tag = "export", params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 422, body = ErrorBody)))]
pub async fn check_ins(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let cycle = need_cycle(&q, &c)?;
    let body = st.app.export_check_ins_csv(&c.session.actor, cycle).await.in_lang(c.lang)?;
    Ok(csv(&format!("check-ins-{cycle}.csv"), body))
}
