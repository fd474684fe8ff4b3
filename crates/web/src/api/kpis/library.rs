//! HR's KPI library of templates per job family.

use crate::AppState;
use crate::api::ItemsOf;
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tandem_app::AppError;
use tandem_app::kpis::library::{NewTemplate as AppNew, TemplateView};
use tandem_domain::policy;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct TemplateDto {
    pub id: i64,
    pub job_family: String,
    pub name: String,
    pub granularity: String,
    pub direction: String,
    pub pass: f64,
    pub warn: Option<f64>,
    pub unit: String,
    pub weight: f64,
}

impl From<TemplateView> for TemplateDto {
    fn from(t: TemplateView) -> Self {
        TemplateDto {
            id: t.id,
            job_family: t.job_family,
            name: t.name,
            granularity: t.granularity,
            direction: t.direction,
            pass: t.pass,
            warn: t.warn,
            unit: t.unit,
            weight: t.weight,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewTemplate {
    pub job_family: String,
    pub name: String,
    #[serde(default)]
    pub granularity: String,
    #[serde(default)]
    pub direction: String,
    pub pass: f64,
    #[serde(default)]
    pub warn: Option<f64>,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub weight: Option<f64>,
}

/// HR's KPI library: templates per job family.
#[utoipa::path(get, path = "/api/v1/kpi-templates", tag = "kpis", responses((status = 200, body = ItemsOf<TemplateDto>), (status = 401, body = ErrorBody)))]
pub async fn list_templates(State(st): State<AppState>, c: Caller) -> Result<Json<ItemsOf<TemplateDto>>, ApiError> {
    let items = st.app.list_templates(&c.session.actor).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}

/// Add a template to the library (HR).
#[utoipa::path(post, path = "/api/v1/kpi-templates", tag = "kpis", request_body = NewTemplate,
    responses((status = 201, body = TemplateDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_template(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<NewTemplate>,
) -> Result<(StatusCode, Json<TemplateDto>), ApiError> {
    let a = &c.session.actor;
    let cap = policy::manage_kpi_library(a).ok_or(AppError::Forbidden).in_lang(c.lang)?;
    let new = AppNew {
        job_family: req.job_family,
        name: req.name,
        granularity: req.granularity,
        direction: req.direction,
        pass: req.pass,
        warn: req.warn,
        unit: req.unit,
        weight: req.weight,
    };
    Ok((StatusCode::CREATED, Json(st.app.create_template(cap, a, new).await.in_lang(c.lang)?.into())))
}

/// Remove a template (HR); KPIs made from it stay as they are.
#[utoipa::path(delete, path = "/api/v1/kpi-templates/{id}", tag = "kpis", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_template(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let a = &c.session.actor;
    let cap = policy::manage_kpi_library(a).ok_or(AppError::Forbidden).in_lang(c.lang)?;
    st.app.delete_template(cap, a, id).await.in_lang(c.lang)?;
    Ok(StatusCode::NO_CONTENT)
}
