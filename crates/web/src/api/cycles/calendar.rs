//! Cycles and their states.

use crate::AppState;
use crate::api::ItemsOf;
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tandem_app::AppError;
use tandem_app::cycles::calendar::{CyclePatch as AppPatch, CycleView, NewCycle as AppNew};
use tandem_domain::policy;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CycleDto {
    pub id: i64,
    pub name: String,
    /// `year`, `half`, `quarter`, `month`, `week`.
    pub kind: String,
    /// First day, `YYYY-MM-DD`.
    pub start: String,
    /// Last day, `YYYY-MM-DD`.
    pub end: String,
    /// `planning`, `active`, `reviewing`, `closed`.
    pub state: String,
    /// The cycle this one nests in.
    pub parent: Option<i64>,
    /// Elapsed share of the cycle today, in [0, 1] (the pace line).
    pub elapsed: f64,
}

impl From<CycleView> for CycleDto {
    fn from(v: CycleView) -> Self {
        CycleDto {
            id: v.id,
            name: v.name,
            kind: v.kind,
            start: v.start,
            end: v.end,
            state: v.state,
            parent: v.parent,
            elapsed: v.elapsed,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewCycle {
    pub name: String,
    pub kind: String,
    pub start: String,
    pub end: String,
    #[serde(default)]
    pub parent: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct CyclePatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    /// planning → active → reviewing → closed; reopening goes back one step (reviewing →
    /// active, closed → reviewing) and needs a `reason`.
    #[serde(default)]
    pub state: Option<String>,
    /// Why the state changes: required to reopen, kept in the cycle's history.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Cycles, newest first.
#[utoipa::path(get, path = "/api/v1/cycles", tag = "cycles", responses((status = 200, body = ItemsOf<CycleDto>), (status = 401, body = ErrorBody)))]
pub async fn list_cycles(State(st): State<AppState>, c: Caller) -> Result<Json<ItemsOf<CycleDto>>, ApiError> {
    let items = st.app.list_cycles(&c.session.actor).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}

/// Define a cycle (HR or admin). It starts in `planning`.
#[utoipa::path(post, path = "/api/v1/cycles", tag = "cycles", request_body = NewCycle,
    responses((status = 201, body = CycleDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_cycle(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<NewCycle>,
) -> Result<(StatusCode, Json<CycleDto>), ApiError> {
    let a = &c.session.actor;
    let cap = policy::manage_cycles(a).ok_or(AppError::Forbidden).in_lang(c.lang)?;
    let new = AppNew { name: req.name, kind: req.kind, start: req.start, end: req.end, parent: req.parent };
    Ok((StatusCode::CREATED, Json(st.app.create_cycle(cap, a, new).await.in_lang(c.lang)?.into())))
}

/// One cycle.
#[utoipa::path(get, path = "/api/v1/cycles/{id}", tag = "cycles", params(("id" = i64, Path)),
    responses((status = 200, body = CycleDto), (status = 404, body = ErrorBody)))]
pub async fn get_cycle(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CycleDto>, ApiError> {
    Ok(Json(st.app.get_cycle(&c.session.actor, id).await.in_lang(c.lang)?.into()))
}

/// Rename, re-date or move a cycle to its next state (HR or admin).
#[utoipa::path(patch, path = "/api/v1/cycles/{id}", tag = "cycles", params(("id" = i64, Path)), request_body = CyclePatch,
    responses((status = 200, body = CycleDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_cycle(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<CyclePatch>,
) -> Result<Json<CycleDto>, ApiError> {
    let a = &c.session.actor;
    st.app.get_cycle(a, id).await.in_lang(c.lang)?;
    let cap = policy::manage_cycles(a).ok_or(AppError::Forbidden).in_lang(c.lang)?;
    let patch = AppPatch { name: req.name, start: req.start, end: req.end, state: req.state, reason: req.reason };
    Ok(Json(st.app.update_cycle(cap, a, id, patch).await.in_lang(c.lang)?.into()))
}
