//! Check-ins on key results.

use super::ItemsOf;
use super::goals::{KeyResultDto, ObjectiveDto};
use crate::AppState;
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tandem_app::AppError;
use tandem_app::checkins::CheckInView;
use tandem_domain::checkin::CheckIn;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct NewCheckIn {
    /// The key result's new value.
    pub value: f64,
    /// 0–10: how likely the target is reached.
    pub confidence: i64,
    #[serde(default)]
    pub progress: String,
    #[serde(default)]
    pub blockers: String,
    #[serde(default)]
    pub help: String,
}

#[derive(Serialize, ToSchema)]
pub struct CheckInDto {
    pub id: i64,
    pub key_result: i64,
    pub author: i64,
    pub author_name: String,
    pub value: f64,
    pub previous: f64,
    pub confidence: i64,
    pub progress: String,
    pub blockers: String,
    pub help: String,
    /// µs since the epoch.
    pub created_at: i64,
}

impl From<CheckInView> for CheckInDto {
    fn from(c: CheckInView) -> Self {
        CheckInDto {
            id: c.id,
            key_result: c.key_result,
            author: c.author,
            author_name: c.author_name,
            value: c.value,
            previous: c.previous,
            confidence: c.confidence,
            progress: c.progress,
            blockers: c.blockers,
            help: c.help,
            created_at: c.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RolledUpDto {
    pub objective: i64,
    pub title: String,
    pub rollup: f64,
    pub band: String,
}

#[derive(Serialize, ToSchema)]
pub struct CheckInOutcomeDto {
    pub check_in: CheckInDto,
    /// The key result with its new score.
    pub key_result: KeyResultDto,
    /// Its objective with the new score and roll-up.
    pub objective: ObjectiveDto,
    /// Every objective above, nearest first, with its new roll-up.
    pub ancestors: Vec<RolledUpDto>,
}

/// A key result's check-ins, newest first.
#[utoipa::path(get, path = "/api/v1/key-results/{id}/check-ins", tag = "check-ins", params(("id" = i64, Path)),
    responses((status = 200, body = ItemsOf<CheckInDto>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ItemsOf<CheckInDto>>, ApiError> {
    let items = st.app.check_ins(&c.session.actor, id).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}

/// Check in on a key result: its new value, a confidence, and the weekly questions. The answer
/// carries the new scores of the KR, its objective and every objective above.
#[utoipa::path(post, path = "/api/v1/key-results/{id}/check-ins", tag = "check-ins", params(("id" = i64, Path)), request_body = NewCheckIn,
    responses((status = 201, body = CheckInOutcomeDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<NewCheckIn>,
) -> Result<(StatusCode, Json<CheckInOutcomeDto>), ApiError> {
    let input = CheckIn::parse(req.value, req.confidence, &req.progress, &req.blockers, &req.help)
        .map_err(AppError::from)
        .in_lang(c.lang)?;
    let out = st.app.check_in(&c.session.actor, id, input).await.in_lang(c.lang)?;
    Ok((
        StatusCode::CREATED,
        Json(CheckInOutcomeDto {
            check_in: out.check_in.into(),
            key_result: out.key_result.into(),
            objective: out.objective.into(),
            ancestors: out
                .ancestors
                .into_iter()
                .map(|r| RolledUpDto { objective: r.objective, title: r.title, rollup: r.rollup, band: r.band.into() })
                .collect(),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct OwedDto {
    pub key_result: i64,
    pub title: String,
    pub objective: i64,
    pub objective_title: String,
    /// µs since the epoch; null if never checked in.
    pub last_check_in: Option<i64>,
}

/// What you owe: key results you carry in running cycles with no check-in for a week.
#[utoipa::path(get, path = "/api/v1/me/inbox", tag = "check-ins", responses((status = 200, body = ItemsOf<OwedDto>), (status = 401, body = ErrorBody)))]
pub async fn inbox(State(st): State<AppState>, c: Caller) -> Result<Json<ItemsOf<OwedDto>>, ApiError> {
    let items = st.app.owed_check_ins(&c.session.actor).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf {
        items: items
            .into_iter()
            .map(|o| OwedDto {
                key_result: o.key_result,
                title: o.title,
                objective: o.objective,
                objective_title: o.objective_title,
                last_check_in: o.last_check_in,
            })
            .collect(),
    }))
}
