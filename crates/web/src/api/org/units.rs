//! Org units.

use crate::AppState;
use crate::api::{ItemsOf, double_option};
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tandem_app::AppError;
use tandem_app::org::chart::{NewUnit, OrgUnitView, UnitPatch};
use tandem_domain::policy;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct OrgUnitDto {
    pub id: i64,
    pub name: String,
    /// The parent unit's id; null at the top.
    pub parent: Option<i64>,
    /// The manager's person id.
    pub manager: Option<i64>,
    pub manager_name: Option<String>,
    /// Active people directly in this unit.
    pub member_count: usize,
}

impl From<OrgUnitView> for OrgUnitDto {
    fn from(v: OrgUnitView) -> Self {
        OrgUnitDto {
            id: v.id,
            name: v.name,
            parent: v.parent,
            manager: v.manager,
            manager_name: v.manager_name,
            member_count: v.member_count,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewOrgUnit {
    pub name: String,
    #[serde(default)]
    pub parent: Option<i64>,
    #[serde(default)]
    pub manager: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct OrgUnitPatch {
    #[serde(default)]
    pub name: Option<String>,
    /// A unit id, or null to make this a top-level unit.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub parent: Option<Option<i64>>,
    /// A person id, or null to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub manager: Option<Option<i64>>,
}

/// The org chart, parents before children.
#[utoipa::path(get, path = "/api/v1/org-units", tag = "org", responses((status = 200, body = ItemsOf<OrgUnitDto>), (status = 401, body = ErrorBody)))]
pub async fn list_units(State(st): State<AppState>, c: Caller) -> Result<Json<ItemsOf<OrgUnitDto>>, ApiError> {
    let units = st.app.list_units(&c.session.actor).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: units.into_iter().map(Into::into).collect() }))
}

/// Create an org unit (tenant admin).
#[utoipa::path(post, path = "/api/v1/org-units", tag = "org", request_body = NewOrgUnit,
    responses((status = 201, body = OrgUnitDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_unit(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<NewOrgUnit>,
) -> Result<(StatusCode, Json<OrgUnitDto>), ApiError> {
    let a = &c.session.actor;
    let cap = policy::manage_org(a).ok_or(AppError::Forbidden).in_lang(c.lang)?;
    let u = st
        .app
        .create_unit(cap, a, NewUnit { name: req.name, parent: req.parent, manager: req.manager })
        .await
        .in_lang(c.lang)?;
    Ok((StatusCode::CREATED, Json(u.into())))
}

/// One org unit.
#[utoipa::path(get, path = "/api/v1/org-units/{id}", tag = "org", params(("id" = i64, Path)),
    responses((status = 200, body = OrgUnitDto), (status = 404, body = ErrorBody)))]
pub async fn get_unit(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OrgUnitDto>, ApiError> {
    Ok(Json(st.app.get_unit(&c.session.actor, id).await.in_lang(c.lang)?.into()))
}

/// Rename, move or change the manager of an org unit (tenant admin).
#[utoipa::path(patch, path = "/api/v1/org-units/{id}", tag = "org", params(("id" = i64, Path)), request_body = OrgUnitPatch,
    responses((status = 200, body = OrgUnitDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_unit(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<OrgUnitPatch>,
) -> Result<Json<OrgUnitDto>, ApiError> {
    let a = &c.session.actor;
    // Someone who may not change the org learns nothing about which ids exist.
    st.app.get_unit(a, id).await.in_lang(c.lang)?;
    let cap = policy::manage_org(a).ok_or(AppError::Forbidden).in_lang(c.lang)?;
    let u = st
        .app
        .update_unit(cap, a, id, UnitPatch { name: req.name, parent: req.parent, manager: req.manager })
        .await
        .in_lang(c.lang)?;
    Ok(Json(u.into()))
}
