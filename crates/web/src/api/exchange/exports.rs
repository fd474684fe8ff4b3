//! CSV and XLSX exports of what the caller may see: a cycle's goal tree, KPI results and
//! check-ins.

use crate::AppState;
use crate::auth::{ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tandem_app::exchange::exports::Table;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
pub struct ExportQuery {
    /// The cycle (required for goals and check-ins; KPIs of every cycle without it).
    pub cycle: Option<i64>,
}

fn csv(name: &str, table: &Table, c: &Caller) -> Result<Response, ApiError> {
    let body = table.to_csv().in_lang(c.lang)?;
    Ok(attachment(&format!("{name}.csv"), "text/csv; charset=utf-8", body.into_bytes()))
}

fn xlsx(name: &str, table: &Table, c: &Caller) -> Result<Response, ApiError> {
    let body = table.to_xlsx().in_lang(c.lang)?;
    Ok(attachment(&format!("{name}.xlsx"), XLSX, body))
}

/// A file to download.
fn attachment(file: &str, content_type: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        ],
        body,
    )
        .into_response()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

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
    let t = st.app.export_goals(&c.session.actor, cycle).await.in_lang(c.lang)?;
    csv(&format!("goals-{cycle}"), &t, &c)
}

/// The KPIs the caller may see with every period's value and status (CSV).
#[utoipa::path(get, path = "/api/v1/export/kpis.csv", tag = "export", params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String)))]
pub async fn kpis(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let t = st.app.export_kpis(&c.session.actor, q.cycle).await.in_lang(c.lang)?;
    csv("kpis", &t, &c)
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
    let t = st.app.export_check_ins(&c.session.actor, cycle).await.in_lang(c.lang)?;
    csv(&format!("check-ins-{cycle}"), &t, &c)
}

/// The goal tree as an Excel workbook (same rows as the CSV).
#[utoipa::path(get, path = "/api/v1/export/goals.xlsx", tag = "export", params(ExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 422, body = ErrorBody)))]
pub async fn goals_xlsx(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let cycle = need_cycle(&q, &c)?;
    let t = st.app.export_goals(&c.session.actor, cycle).await.in_lang(c.lang)?;
    xlsx(&format!("goals-{cycle}"), &t, &c)
}

/// The KPI results as an Excel workbook (same rows as the CSV).
#[utoipa::path(get, path = "/api/v1/export/kpis.xlsx", tag = "export", params(ExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
pub async fn kpis_xlsx(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let t = st.app.export_kpis(&c.session.actor, q.cycle).await.in_lang(c.lang)?;
    xlsx("kpis", &t, &c)
}

/// The check-ins as an Excel workbook (same rows as the CSV).
#[utoipa::path(get, path = "/api/v1/export/check-ins.xlsx", tag = "export", params(ExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 422, body = ErrorBody)))]
pub async fn check_ins_xlsx(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let cycle = need_cycle(&q, &c)?;
    let t = st.app.export_check_ins(&c.session.actor, cycle).await.in_lang(c.lang)?;
    xlsx(&format!("check-ins-{cycle}"), &t, &c)
}

/// A cycle's review (CSV): per key result its frozen value and source, computed, self and final
/// score and carry-over decision, beside its objective's retro.
#[utoipa::path(get, path = "/api/v1/export/review.csv", tag = "export", params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let cycle = need_cycle(&q, &c)?;
    let t = st.app.export_review(&c.session.actor, cycle).await.in_lang(c.lang)?;
    csv(&format!("review-{cycle}"), &t, &c)
}

/// A cycle's review as an Excel workbook (same rows as the CSV).
#[utoipa::path(get, path = "/api/v1/export/review.xlsx", tag = "export", params(ExportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review_xlsx(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let cycle = need_cycle(&q, &c)?;
    let t = st.app.export_review(&c.session.actor, cycle).await.in_lang(c.lang)?;
    xlsx(&format!("review-{cycle}"), &t, &c)
}
