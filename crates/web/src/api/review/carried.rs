//! What a cycle took over from the retros of the one before.

use crate::AppState;
use crate::auth::{ApiPath, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use tandem_app::review::carry::CarriedDraft;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CarriedKrDto {
    pub title: String,
    /// `continue` or `revise`.
    pub decision: String,
}

#[derive(Serialize, ToSchema)]
pub struct CarriedDto {
    /// The draft (or what became of it) in this cycle.
    pub objective: i64,
    pub title: String,
    pub status: String,
    pub owner_name: String,
    /// The objective of the cycle before whose retro decided it.
    pub from_objective: i64,
    pub from_cycle_name: String,
    pub key_results: Vec<CarriedKrDto>,
    /// What that retro said did not work, and its lessons: what to change.
    pub did_not: Vec<String>,
    pub lessons: Vec<String>,
}

impl From<CarriedDraft> for CarriedDto {
    fn from(d: CarriedDraft) -> Self {
        CarriedDto {
            objective: d.objective,
            title: d.title,
            status: d.status,
            owner_name: d.owner_name,
            from_objective: d.from_objective,
            from_cycle_name: d.from_cycle_name,
            key_results: d
                .key_results
                .into_iter()
                .map(|(title, decision)| CarriedKrDto { title, decision: decision.as_str().into() })
                .collect(),
            did_not: d.did_not,
            lessons: d.lessons,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CarriedListDto {
    pub items: Vec<CarriedDto>,
}

/// The drafts carried into this cycle by the retros of the cycle before (continue and revise
/// decisions), with what each retro asked to change. Drafts only their circle sees are left out
/// for everyone else.
#[utoipa::path(get, path = "/api/v1/cycles/{id}/carried", tag = "review", params(("id" = i64, Path)),
    responses((status = 200, body = CarriedListDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn carried(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CarriedListDto>, ApiError> {
    let a = &c.session.actor;
    st.app.get_cycle(a, id).await.in_lang(c.lang)?;
    let items = st.app.carried_into(a, id).await.in_lang(c.lang)?;
    Ok(Json(CarriedListDto { items: items.into_iter().map(Into::into).collect() }))
}
