//! The open format: export and import a cycle's OKRs and KPIs as JSON or YAML.

use crate::AppState;
use crate::auth::{ApiPath, ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tandem_app::exchange::document::{parse_document_off, to_yaml};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct ExportQuery {
    /// `json` (default) or `yaml`.
    #[serde(default)]
    pub format: Option<String>,
}

/// The cycle's objectives, key results and the KPIs you may see, in the open `tandem/v1`
/// format (the lint draft shape with ids, owners, links and KPIs).
#[utoipa::path(get, path = "/api/v1/cycles/{id}/export", tag = "goals", params(("id" = i64, Path), ExportQuery),
    responses((status = 200, description = "a tandem/v1 document", content_type = "application/json"), (status = 404, body = ErrorBody)))]
pub async fn export_cycle(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let doc = st.app.export_cycle(&c.session.actor, id).await.in_lang(c.lang)?;
    if q.format.as_deref() == Some("yaml") {
        let text = to_yaml(&doc).in_lang(c.lang)?;
        return Ok(([(header::CONTENT_TYPE, "application/yaml; charset=utf-8")], text).into_response());
    }
    Ok(Json(doc).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct ImportSummaryDto {
    pub objectives: usize,
    pub key_results: usize,
    pub kpis: usize,
}

/// Write a `tandem/v1` document (JSON or YAML) into this cycle. Everything is checked first and
/// written in one transaction; new ids are given, the file's ids only link its parts.
#[utoipa::path(post, path = "/api/v1/cycles/{id}/import", tag = "goals", params(("id" = i64, Path)),
    request_body(content = String, content_type = "application/yaml"),
    responses((status = 200, body = ImportSummaryDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_cycle(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    body: Bytes,
) -> Result<Json<ImportSummaryDto>, ApiError> {
    let text = String::from_utf8_lossy(&body).into_owned();
    let doc = parse_document_off(text).await.in_lang(c.lang)?;
    let s = st.app.import_cycle(&c.session.actor, id, &doc).await.in_lang(c.lang)?;
    Ok(Json(ImportSummaryDto { objectives: s.objectives, key_results: s.key_results, kpis: s.kpis }))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct SheetQuery {
    /// Check and count without writing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Write OKRs from a spreadsheet into this cycle (body: CSV in UTF-8 or GBK, or an Excel
/// workbook). One row per key result; columns `objective`, `owner` (email, name or org unit),
/// `kind`, `status`, `parent` (an objective's title), `key_result`, `measure`, `baseline`,
/// `target`, `unit`, `weight` (or their Chinese names). Every row is checked first (422 lists
/// each bad row's line, column and reason); then all are written in one transaction.
/// Objectives arrive as drafts unless `status` says `published`.
#[utoipa::path(post, path = "/api/v1/cycles/{id}/okrs/import", tag = "goals", params(("id" = i64, Path), SheetQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportSummaryDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_sheet(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    crate::auth::ApiQuery(q): crate::auth::ApiQuery<SheetQuery>,
    body: Bytes,
) -> Result<Json<ImportSummaryDto>, ApiError> {
    let s = st.app.import_okr_sheet(&c.session.actor, id, &body, q.dry_run, c.lang).await.in_lang(c.lang)?;
    Ok(Json(ImportSummaryDto { objectives: s.objectives, key_results: s.key_results, kpis: s.kpis }))
}
