//! A unit's team 复盘 of a cycle: read, written whole, acknowledged.

use crate::AppState;
use crate::api::goals::lint::FindingDto;
use crate::api::review::retros::{ActionDto, CauseDto, LessonDto, RetroInputDto, action_dtos, cause_dtos, lesson_dtos};
use crate::auth::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tandem_app::review::team::TeamRetroView;
use tandem_domain::retro::RetroInput;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct TeamRetroQuery {
    /// The cycle reviewed.
    pub cycle: i64,
}

/// A unit's team retro.
#[derive(Serialize, ToSchema)]
pub struct TeamRetroDto {
    pub unit: i64,
    pub unit_name: String,
    pub cycle: i64,
    pub cycle_name: String,
    /// Written while it is `reviewing` or `closed`.
    pub cycle_state: String,
    pub worked: Vec<String>,
    pub did_not: Vec<String>,
    pub causes: Vec<CauseDto>,
    pub lessons: Vec<LessonDto>,
    pub actions: Vec<ActionDto>,
    /// The retro's traps: `only_outside_causes`, `lesson_without_action`, `action_without_owner_or_date`.
    pub hints: Vec<FindingDto>,
    pub written: bool,
    pub author: Option<i64>,
    pub updated_at: Option<i64>,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_by_name: Option<String>,
    pub acknowledged_at: Option<i64>,
    pub can_edit: bool,
    pub can_acknowledge: bool,
}

impl From<TeamRetroView> for TeamRetroDto {
    fn from(v: TeamRetroView) -> Self {
        let r = v.retro;
        TeamRetroDto {
            unit: v.unit,
            unit_name: v.unit_name,
            cycle: v.cycle,
            cycle_name: v.cycle_name,
            cycle_state: v.cycle_state,
            worked: r.worked,
            did_not: r.did_not,
            causes: cause_dtos(r.causes),
            lessons: lesson_dtos(r.lessons),
            actions: action_dtos(r.actions),
            hints: v.hints.into_iter().map(Into::into).collect(),
            written: v.written,
            author: v.author,
            updated_at: v.updated_at,
            acknowledged_by: v.acknowledged_by,
            acknowledged_by_name: v.acknowledged_by_name,
            acknowledged_at: v.acknowledged_at,
            can_edit: v.can_edit,
            can_acknowledge: v.can_acknowledge,
        }
    }
}

/// The unit's team retro of the cycle (empty until written); everyone in the company may read it.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/retro", tag = "review", params(("id" = i64, Path), TeamRetroQuery),
    responses((status = 200, body = TeamRetroDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get_team_retro(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TeamRetroQuery>,
) -> Result<Json<TeamRetroDto>, ApiError> {
    Ok(Json(st.app.team_retro(&c.session.actor, id, q.cycle, c.lang).await.in_lang(c.lang)?.into()))
}

/// Write the unit's team retro whole: the unit's lead, while the cycle is `reviewing` or
/// `closed` (409 `not_in_review` before). The body is a retro without `self_scores` and
/// `carry_over` (those are per key result, in each objective's retro). Its lessons join the
/// knowledge base.
#[utoipa::path(put, path = "/api/v1/org-units/{id}/retro", tag = "review", params(("id" = i64, Path), TeamRetroQuery),
    request_body = RetroInputDto,
    responses((status = 200, body = TeamRetroDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_team_retro(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TeamRetroQuery>,
    ApiJson(req): ApiJson<RetroInputDto>,
) -> Result<Json<TeamRetroDto>, ApiError> {
    let input: RetroInput = req.into();
    Ok(Json(st.app.save_team_retro(&c.session.actor, id, q.cycle, &input, c.lang).await.in_lang(c.lang)?.into()))
}

/// A manager above the unit's lead acknowledges its team retro (409 `no_retro` before it is
/// written, `already_acknowledged` after).
#[utoipa::path(post, path = "/api/v1/org-units/{id}/retro/acknowledge", tag = "review", params(("id" = i64, Path), TeamRetroQuery),
    responses((status = 200, body = TeamRetroDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn acknowledge_team_retro(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TeamRetroQuery>,
) -> Result<Json<TeamRetroDto>, ApiError> {
    Ok(Json(st.app.acknowledge_team_retro(&c.session.actor, id, q.cycle, c.lang).await.in_lang(c.lang)?.into()))
}
