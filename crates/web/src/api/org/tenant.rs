//! The caller's tenant: name, colour bands and time zone.

use crate::AppState;
use crate::auth::{ApiJson, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tandem_app::AppError;
use tandem_app::org::tenants::{TenantPatch as AppPatch, TenantView};
use tandem_domain::policy;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct TenantDto {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// Scores from here up are yellow; below is red (default 0.4).
    pub band_yellow_from: f64,
    /// Scores from here up are green (default 0.7).
    pub band_green_from: f64,
    /// IANA time zone (default `Asia/Shanghai`): times are shown, weeks begin and reminders go
    /// out in it, unless a person sets their own.
    pub time_zone: String,
}

impl From<TenantView> for TenantDto {
    fn from(v: TenantView) -> Self {
        TenantDto {
            id: v.id,
            slug: v.slug,
            name: v.name,
            band_yellow_from: v.band_yellow_from,
            band_green_from: v.band_green_from,
            time_zone: v.time_zone,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct TenantPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub band_yellow_from: Option<f64>,
    #[serde(default)]
    pub band_green_from: Option<f64>,
    /// An IANA time zone name, e.g. `Asia/Shanghai`, `Europe/Berlin`.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// Your company: its name and colour bands.
#[utoipa::path(get, path = "/api/v1/tenant", tag = "tenant", responses((status = 200, body = TenantDto), (status = 401, body = ErrorBody)))]
pub async fn get_tenant(State(st): State<AppState>, c: Caller) -> Result<Json<TenantDto>, ApiError> {
    Ok(Json(st.app.my_tenant(&c.session.actor).await.in_lang(c.lang)?.into()))
}

/// Rename the company or change its colour bands (tenant admin); bands must satisfy
/// 0 < yellow < green ≤ 1.
#[utoipa::path(patch, path = "/api/v1/tenant", tag = "tenant", request_body = TenantPatch,
    responses((status = 200, body = TenantDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_tenant(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<TenantPatch>,
) -> Result<Json<TenantDto>, ApiError> {
    let a = &c.session.actor;
    let cap = policy::manage_org(a).ok_or(AppError::Forbidden).in_lang(c.lang)?;
    let patch = AppPatch {
        name: req.name,
        band_yellow_from: req.band_yellow_from,
        band_green_from: req.band_green_from,
        time_zone: req.time_zone,
    };
    Ok(Json(st.app.update_tenant(cap, a, patch).await.in_lang(c.lang)?.into()))
}
