//! Goal search and the end-of-cycle scoring report.

use crate::AppState;
use crate::api::ItemsOf;
use crate::auth::{ApiPath, ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct SearchQuery {
    /// What to look for in titles (Chinese or English; case does not matter).
    pub q: String,
    /// At most this many (default 20, at most 100).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchHitDto {
    /// `objective` or `key_result`.
    pub kind: String,
    pub id: i64,
    pub objective: i64,
    pub title: String,
    pub owner_name: String,
    pub cycle: i64,
}

/// Objectives and key results whose titles hold `q`, among those you may see: matches at the
/// start first, then shorter titles.
#[utoipa::path(get, path = "/api/v1/search", tag = "goals", params(SearchQuery),
    responses((status = 200, body = ItemsOf<SearchHitDto>), (status = 401, body = ErrorBody)))]
pub async fn search(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<ItemsOf<SearchHitDto>>, ApiError> {
    let hits = st.app.search_goals(&c.session.actor, &q.q, q.limit.unwrap_or(20)).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf {
        items: hits
            .into_iter()
            .map(|h| SearchHitDto {
                kind: h.kind.into(),
                id: h.id,
                objective: h.objective,
                title: h.title,
                owner_name: h.owner_name,
                cycle: h.cycle,
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ScoreLineDto {
    pub id: i64,
    pub name: String,
    /// Mean roll-up of the published objectives counted; null without any.
    pub score: Option<f64>,
    pub objectives: usize,
}

#[derive(Serialize, ToSchema)]
pub struct CycleScoresDto {
    /// Each person's own objectives.
    pub people: Vec<ScoreLineDto>,
    /// Each org unit with everything below it.
    pub units: Vec<ScoreLineDto>,
}

/// The cycle's scoring report: every person's and every unit's OKR score.
#[utoipa::path(get, path = "/api/v1/cycles/{id}/scores", tag = "goals", params(("id" = i64, Path)),
    responses((status = 200, body = CycleScoresDto), (status = 404, body = ErrorBody)))]
pub async fn scores(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CycleScoresDto>, ApiError> {
    let s = st.app.cycle_scores(&c.session.actor, id).await.in_lang(c.lang)?;
    let dto = |l: tandem_app::tracking::reports::ScoreLine| ScoreLineDto {
        id: l.id,
        name: l.name,
        score: l.score,
        objectives: l.objectives,
    };
    Ok(Json(CycleScoresDto {
        people: s.people.into_iter().map(dto).collect(),
        units: s.units.into_iter().map(dto).collect(),
    }))
}
