//! Check-ins on key results.

use crate::AppState;
use crate::api::ItemsOf;
use crate::api::goals::objectives::{KeyResultDto, ObjectiveDto};
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tandem_app::AppError;
use tandem_app::tracking::checkins::CheckInView;
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
    /// The status the person reports beside the forecast: `on_track` (正常), `at_risk` (有风险)
    /// or `delayed` (已延期); empty or absent leaves it to the forecast.
    #[serde(default)]
    #[schema(pattern = "^(|on_track|at_risk|delayed)$")]
    pub status: String,
    /// Why: required with `at_risk` and `delayed` (422 naming `status_reason` otherwise).
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub status_reason: String,
}

impl NewCheckIn {
    fn parse(&self) -> Result<CheckIn, AppError> {
        Ok(CheckIn::parse(self.value, self.confidence, &self.progress, &self.blockers, &self.help)?
            .with_status(&self.status, &self.status_reason)?)
    }
}

#[derive(Serialize, ToSchema)]
pub struct CheckInDto {
    pub id: i64,
    pub key_result: i64,
    pub author: i64,
    pub author_name: String,
    pub value: f64,
    pub previous: f64,
    /// 0–10; null for a value that arrived from a bound metric.
    pub confidence: Option<i64>,
    /// '' for a person's check-in; `metric:<id>` when the value came from a bound metric.
    pub source: String,
    pub progress: String,
    pub blockers: String,
    pub help: String,
    /// The status its author reported (`on_track`, `at_risk`, `delayed`), or null.
    pub status: Option<String>,
    pub status_reason: String,
    /// µs since the epoch.
    pub created_at: i64,
    /// Whether the caller may still correct it (its author, within 30 minutes, while it is the
    /// latest on its key result).
    pub can_edit: bool,
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
            source: c.source,
            progress: c.progress,
            blockers: c.blockers,
            help: c.help,
            status: c.status,
            status_reason: c.status_reason,
            created_at: c.created_at,
            can_edit: c.can_edit,
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
    let input = req.parse().in_lang(c.lang)?;
    let out = st.app.check_in(&c.session.actor, id, input).await.in_lang(c.lang)?;
    Ok((StatusCode::CREATED, Json(out.into())))
}

/// Correct a check-in: its author may, within 30 minutes, while no later check-in exists on the
/// key result (409 `check_in_locked` otherwise). The key result takes the corrected value.
#[utoipa::path(patch, path = "/api/v1/check-ins/{id}", tag = "check-ins", params(("id" = i64, Path)), request_body = NewCheckIn,
    responses((status = 200, body = CheckInOutcomeDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<NewCheckIn>,
) -> Result<Json<CheckInOutcomeDto>, ApiError> {
    let input = req.parse().in_lang(c.lang)?;
    let out = st.app.edit_check_in(&c.session.actor, id, input).await.in_lang(c.lang)?;
    Ok(Json(out.into()))
}

impl From<tandem_app::tracking::checkins::CheckInOutcome> for CheckInOutcomeDto {
    fn from(out: tandem_app::tracking::checkins::CheckInOutcome) -> Self {
        CheckInOutcomeDto {
            check_in: out.check_in.into(),
            key_result: out.key_result.into(),
            objective: out.objective.into(),
            ancestors: out.ancestors.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct KrValue {
    pub key_result: i64,
    pub value: f64,
}

#[derive(Deserialize, ToSchema)]
pub struct NewObjectiveCheckIn {
    /// A new value for each key result checked in (at least one; each once).
    pub values: Vec<KrValue>,
    /// 0–10: how likely the objective is reached.
    pub confidence: i64,
    #[serde(default)]
    pub progress: String,
    #[serde(default)]
    pub blockers: String,
    #[serde(default)]
    pub help: String,
}

#[derive(Serialize, ToSchema)]
pub struct ObjectiveCheckInDto {
    /// One check-in per key result, in the order given.
    pub check_ins: Vec<CheckInDto>,
    /// The objective with its new score and roll-up.
    pub objective: ObjectiveDto,
    /// Every objective above, nearest first, with its new roll-up.
    pub ancestors: Vec<RolledUpDto>,
}

/// The weekly check-in on a whole objective: new values for several of its key results with one
/// confidence and one set of answers, all written or none.
#[utoipa::path(post, path = "/api/v1/objectives/{id}/check-ins", tag = "check-ins", params(("id" = i64, Path)), request_body = NewObjectiveCheckIn,
    responses((status = 201, body = ObjectiveCheckInDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_for_objective(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<NewObjectiveCheckIn>,
) -> Result<(StatusCode, Json<ObjectiveCheckInDto>), ApiError> {
    let answers = CheckIn::parse(0.0, req.confidence, &req.progress, &req.blockers, &req.help)
        .map_err(AppError::from)
        .in_lang(c.lang)?;
    let values: Vec<(i64, f64)> = req.values.iter().map(|v| (v.key_result, v.value)).collect();
    let out = st.app.check_in_objective(&c.session.actor, id, &values, answers).await.in_lang(c.lang)?;
    Ok((
        StatusCode::CREATED,
        Json(ObjectiveCheckInDto {
            check_ins: out.check_ins.into_iter().map(Into::into).collect(),
            objective: out.objective.into(),
            ancestors: out.ancestors.into_iter().map(Into::into).collect(),
        }),
    ))
}

impl From<tandem_app::tracking::checkins::RolledUp> for RolledUpDto {
    fn from(r: tandem_app::tracking::checkins::RolledUp) -> Self {
        RolledUpDto { objective: r.objective, title: r.title, rollup: r.rollup, band: r.band.into() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OwedDto {
    /// `key_result` (a weekly check-in) or `kpi` (this period's value, for the owner's manager).
    pub kind: String,
    pub key_result: Option<i64>,
    pub kpi: Option<i64>,
    pub title: String,
    pub objective: Option<i64>,
    pub objective_title: Option<String>,
    /// A KPI's owner.
    pub owner_name: Option<String>,
    /// A KPI's period still without a value (`YYYY-MM`, `YYYY-Qn`, `YYYY-Www`).
    pub period: Option<String>,
    /// µs since the epoch; null if never checked in.
    pub last_check_in: Option<i64>,
}

/// What you owe this week: key results you carry in running cycles with no check-in since
/// Monday, and your direct reports' KPIs with no value for the current period.
#[utoipa::path(get, path = "/api/v1/me/inbox", tag = "check-ins", responses((status = 200, body = ItemsOf<OwedDto>), (status = 401, body = ErrorBody)))]
pub async fn inbox(State(st): State<AppState>, c: Caller) -> Result<Json<ItemsOf<OwedDto>>, ApiError> {
    let items = st.app.owed_check_ins(&c.session.actor).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf {
        items: items
            .into_iter()
            .map(|o| OwedDto {
                kind: o.kind.into(),
                key_result: o.key_result,
                kpi: o.kpi,
                title: o.title,
                objective: o.objective,
                objective_title: o.objective_title,
                owner_name: o.owner_name,
                period: o.period,
                last_check_in: o.last_check_in,
            })
            .collect(),
    }))
}
