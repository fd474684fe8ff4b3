//! Goals as of a past moment, and the difference between two.

use crate::AppState;
use crate::auth::{ApiPath, ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tandem_app::AppError;
use tandem_app::goals::asof::{Difference, ObjectiveAsOf, end_of_day_us};
use utoipa::{IntoParams, ToSchema};

/// A moment: an RFC 3339 time, or a `YYYY-MM-DD` date meaning the end of that day (UTC).
pub(crate) fn moment(field: &str, s: &str) -> Result<i64, AppError> {
    let s = s.trim();
    if s.len() == 10 {
        return end_of_day_us(s).map_err(|_| tandem_domain::Invalid::new(field, tandem_domain::Rule::BadDate).into());
    }
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1000) as i64)
        .map_err(|_| tandem_domain::Invalid::new(field, tandem_domain::Rule::BadDate).into())
}

#[derive(Deserialize, IntoParams)]
pub struct AsOfQuery {
    /// `YYYY-MM-DD` (end of that day, UTC) or an RFC 3339 time.
    pub at: String,
}

#[derive(Serialize, ToSchema)]
pub struct KeyResultAsOfDto {
    pub id: i64,
    pub title: String,
    pub measure: String,
    pub baseline: f64,
    pub target: f64,
    pub current: f64,
    pub unit: String,
    pub weight: f64,
    pub score: f64,
}

#[derive(Serialize, ToSchema)]
pub struct ObjectiveAsOfDto {
    pub id: i64,
    /// The moment shown (µs since the epoch).
    pub at: i64,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub parent: Option<i64>,
    pub score: Option<f64>,
    pub key_results: Vec<KeyResultAsOfDto>,
}

impl From<ObjectiveAsOf> for ObjectiveAsOfDto {
    fn from(o: ObjectiveAsOf) -> Self {
        ObjectiveAsOfDto {
            id: o.id,
            at: o.at,
            title: o.title,
            kind: o.kind,
            status: o.status,
            parent: o.parent,
            score: o.score,
            key_results: o
                .key_results
                .into_iter()
                .map(|k| KeyResultAsOfDto {
                    id: k.id,
                    title: k.title,
                    measure: k.measure,
                    baseline: k.baseline,
                    target: k.target,
                    current: k.current,
                    unit: k.unit,
                    weight: k.weight,
                    score: k.score,
                })
                .collect(),
        }
    }
}

/// An objective as it stood at a past moment (404 if it did not exist yet).
#[utoipa::path(get, path = "/api/v1/objectives/{id}/as-of", tag = "goals", params(("id" = i64, Path), AsOfQuery),
    responses((status = 200, body = ObjectiveAsOfDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn as_of(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> Result<Json<ObjectiveAsOfDto>, ApiError> {
    let at = moment("at", &q.at).in_lang(c.lang)?;
    Ok(Json(st.app.objective_as_of(&c.session.actor, id, at).await.in_lang(c.lang)?.into()))
}

#[derive(Deserialize, IntoParams)]
pub struct DiffQuery {
    pub from: String,
    pub to: String,
}

#[derive(Serialize, ToSchema)]
pub struct DifferenceDto {
    /// `objective` or `key_result`.
    pub item: String,
    pub id: i64,
    pub title: String,
    /// The changed field, or `added` / `removed`.
    pub field: String,
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct DiffResponse {
    pub changes: Vec<DifferenceDto>,
}

/// What changed on an objective and its key results between two moments.
#[utoipa::path(get, path = "/api/v1/objectives/{id}/diff", tag = "goals", params(("id" = i64, Path), DiffQuery),
    responses((status = 200, body = DiffResponse), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn diff(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Json<DiffResponse>, ApiError> {
    let from = moment("from", &q.from).in_lang(c.lang)?;
    let to = moment("to", &q.to).in_lang(c.lang)?;
    let changes: Vec<Difference> = st.app.objective_diff(&c.session.actor, id, from, to).await.in_lang(c.lang)?;
    Ok(Json(DiffResponse {
        changes: changes
            .into_iter()
            .map(|d| DifferenceDto {
                item: d.item.into(),
                id: d.id,
                title: d.title,
                field: d.field,
                before: d.before,
                after: d.after,
            })
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct TreeAsOfQuery {
    pub cycle: i64,
    /// `YYYY-MM-DD` (end of that day, UTC) or an RFC 3339 time.
    pub at: String,
}

/// A cycle's goal tree as it stood at a past moment (objectives you may see).
#[utoipa::path(get, path = "/api/v1/objectives/as-of", tag = "goals", params(TreeAsOfQuery),
    responses((status = 200, body = crate::api::ItemsOf<ObjectiveAsOfDto>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn tree_as_of(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<TreeAsOfQuery>,
) -> Result<Json<crate::api::ItemsOf<ObjectiveAsOfDto>>, ApiError> {
    let at = moment("at", &q.at).in_lang(c.lang)?;
    let items = st.app.tree_as_of(&c.session.actor, q.cycle, at).await.in_lang(c.lang)?;
    Ok(Json(crate::api::ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}
