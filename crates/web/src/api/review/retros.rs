//! An objective's 复盘 (retro): read, written whole, acknowledged.

use crate::AppState;
use crate::api::goals::lint::FindingDto;
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tandem_app::review::retros::{KrReview, RetroView};
use tandem_app::review::scores::Provenance;
use tandem_domain::retro::{
    Action, ActionInput, CarryInput, Cause, CauseInput, Lesson, LessonInput, RetroInput, SelfScoreInput,
};
use utoipa::ToSchema;

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SelfScoreDto {
    pub key_result: i64,
    /// 0–1.
    pub score: f64,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CauseDto {
    pub text: String,
    /// `resources`, `process`, `capability`, `dependency`, `market`, `target`, `execution` or `data`.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// `subjective` (主观, within the team's control) or `objective` (客观).
    pub cause: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct LessonDto {
    pub text: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ActionDto {
    pub text: String,
    /// A person.
    #[serde(default)]
    pub owner: Option<i64>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub due: Option<String>,
    /// `open` (the default) or `done`.
    #[serde(default)]
    pub state: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CarryDto {
    pub key_result: i64,
    /// `continue`, `revise`, `drop` or `to_kpi`.
    pub decision: String,
}

/// A retro as written: every list may be empty or left out.
#[derive(Deserialize, ToSchema)]
pub struct RetroInputDto {
    #[serde(default)]
    pub self_scores: Vec<SelfScoreDto>,
    #[serde(default)]
    pub worked: Vec<String>,
    #[serde(default)]
    pub did_not: Vec<String>,
    #[serde(default)]
    pub causes: Vec<CauseDto>,
    #[serde(default)]
    pub lessons: Vec<LessonDto>,
    #[serde(default)]
    pub actions: Vec<ActionDto>,
    #[serde(default)]
    pub carry_over: Vec<CarryDto>,
}

impl From<RetroInputDto> for RetroInput {
    fn from(r: RetroInputDto) -> Self {
        RetroInput {
            self_scores: r
                .self_scores
                .into_iter()
                .map(|s| SelfScoreInput { key_result: s.key_result, score: s.score, note: s.note })
                .collect(),
            worked: r.worked,
            did_not: r.did_not,
            causes: r.causes.into_iter().map(|c| CauseInput { text: c.text, kind: c.kind, cause: c.cause }).collect(),
            lessons: r.lessons.into_iter().map(|l| LessonInput { text: l.text, tags: l.tags }).collect(),
            actions: r
                .actions
                .into_iter()
                .map(|a| ActionInput { text: a.text, owner: a.owner, due: a.due, state: a.state })
                .collect(),
            carry_over: r
                .carry_over
                .into_iter()
                .map(|c| CarryInput { key_result: c.key_result, decision: c.decision })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProvenanceDto {
    /// `check_in` (typed by a person), `metric` (a bound metric) or `setup` (never checked in).
    pub source: String,
    pub metric: Option<i64>,
    /// When the value was recorded, µs since the epoch.
    pub at: i64,
    pub author: Option<i64>,
    pub author_name: Option<String>,
}

impl From<Provenance> for ProvenanceDto {
    fn from(p: Provenance) -> Self {
        ProvenanceDto {
            source: p.source.into(),
            metric: p.metric,
            at: p.at,
            author: p.author,
            author_name: p.author_name,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct KrReviewDto {
    pub key_result: i64,
    pub title: String,
    pub unit: String,
    pub target: f64,
    /// The value as frozen when the cycle went into review (the current one before).
    pub value: f64,
    /// The rule's score of that value.
    pub computed_score: f64,
    pub self_score: Option<f64>,
    pub self_note: String,
    /// The manager's final score and its written reason.
    pub final_score: Option<f64>,
    pub final_reason: Option<String>,
    /// The score that counts: the final one, else the computed one.
    pub score: f64,
    pub frozen: Option<ProvenanceDto>,
}

impl From<KrReview> for KrReviewDto {
    fn from(k: KrReview) -> Self {
        KrReviewDto {
            key_result: k.key_result,
            title: k.title,
            unit: k.unit,
            target: k.target,
            value: k.value,
            computed_score: k.computed_score,
            self_score: k.self_score,
            self_note: k.self_note,
            final_score: k.final_score,
            final_reason: k.final_reason,
            score: k.score,
            frozen: k.frozen.map(Into::into),
        }
    }
}

/// An objective's retro.
#[derive(Serialize, ToSchema)]
pub struct RetroDto {
    pub objective: i64,
    pub objective_title: String,
    pub cycle: i64,
    /// The cycle's state: a retro is written while it is `reviewing` or `closed`.
    pub cycle_state: String,
    pub committed: bool,
    pub self_scores: Vec<SelfScoreDto>,
    pub worked: Vec<String>,
    pub did_not: Vec<String>,
    pub causes: Vec<CauseDto>,
    pub lessons: Vec<LessonDto>,
    pub actions: Vec<ActionDto>,
    pub carry_over: Vec<CarryDto>,
    pub key_results: Vec<KrReviewDto>,
    /// The retro's traps: `miss_without_cause`, `only_outside_causes`, `lesson_without_action`,
    /// `action_without_owner_or_date`, `carry_forward`.
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

impl From<RetroView> for RetroDto {
    fn from(v: RetroView) -> Self {
        let r = v.retro;
        RetroDto {
            objective: v.objective,
            objective_title: v.objective_title,
            cycle: v.cycle,
            cycle_state: v.cycle_state,
            committed: v.committed,
            self_scores: r
                .self_scores
                .into_iter()
                .map(|s| SelfScoreDto { key_result: s.key_result, score: s.score, note: s.note })
                .collect(),
            worked: r.worked,
            did_not: r.did_not,
            causes: cause_dtos(r.causes),
            lessons: lesson_dtos(r.lessons),
            actions: action_dtos(r.actions),
            carry_over: r
                .carry_over
                .into_iter()
                .map(|c| CarryDto { key_result: c.key_result, decision: c.decision.as_str().into() })
                .collect(),
            key_results: v.key_results.into_iter().map(Into::into).collect(),
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

pub(crate) fn cause_dtos(cs: Vec<Cause>) -> Vec<CauseDto> {
    cs.into_iter()
        .map(|c| CauseDto { text: c.text, kind: c.kind.as_str().into(), cause: c.locus.as_str().into() })
        .collect()
}

pub(crate) fn lesson_dtos(ls: Vec<Lesson>) -> Vec<LessonDto> {
    ls.into_iter().map(|l| LessonDto { text: l.text, tags: l.tags }).collect()
}

pub(crate) fn action_dtos(xs: Vec<Action>) -> Vec<ActionDto> {
    xs.into_iter()
        .map(|a| ActionDto { text: a.text, owner: a.owner, due: a.due, state: a.state.as_str().into() })
        .collect()
}

/// An objective's retro (empty until written), with each key result's computed, self and final
/// score and the retro's traps as hints. 404 to whoever may not see the objective.
#[utoipa::path(get, path = "/api/v1/objectives/{id}/retro", tag = "review", params(("id" = i64, Path)),
    responses((status = 200, body = RetroDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_retro(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RetroDto>, ApiError> {
    Ok(Json(st.app.retro(&c.session.actor, id, c.lang).await.in_lang(c.lang)?.into()))
}

/// Write the objective's retro whole: its owner (or author) while the cycle is
/// `reviewing` or `closed` (409 `not_in_review` before; once closed, self scores stay as they were:
/// 409 `cycle_closed`). Every field is checked (422 names the first bad one).
#[utoipa::path(put, path = "/api/v1/objectives/{id}/retro", tag = "review", params(("id" = i64, Path)), request_body = RetroInputDto,
    responses((status = 200, body = RetroDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_retro(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<RetroInputDto>,
) -> Result<Json<RetroDto>, ApiError> {
    let input: RetroInput = req.into();
    Ok(Json(st.app.save_retro(&c.session.actor, id, &input, c.lang).await.in_lang(c.lang)?.into()))
}

/// A manager above the objective's owner acknowledges its retro (409 `no_retro` before it is
/// written, `already_acknowledged` after).
#[utoipa::path(post, path = "/api/v1/objectives/{id}/retro/acknowledge", tag = "review", params(("id" = i64, Path)),
    responses((status = 200, body = RetroDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn acknowledge_retro(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RetroDto>, ApiError> {
    Ok(Json(st.app.acknowledge_retro(&c.session.actor, id, c.lang).await.in_lang(c.lang)?.into()))
}
