//! The knowledge base of lessons.

use crate::AppState;
use crate::api::ItemsOf;
use crate::auth::{ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tandem_app::review::lessons::{LessonFilter, LessonView};
use tandem_domain::retro::CauseType;
use tandem_domain::{Invalid, Rule};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct LessonQuery {
    /// Words to look for (Chinese or English); without them the newest lessons come first.
    pub q: Option<String>,
    /// Lessons of this unit's objectives, the units below it, and their people's.
    pub unit: Option<i64>,
    /// Lessons of retros naming a cause of this type (`resources`, `process`, `capability`,
    /// `dependency`, `market`, `target`, `execution`, `data`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    pub tag: Option<String>,
    pub cycle: Option<i64>,
    /// At most this many (1–200, default 50).
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct LessonItemDto {
    pub id: i64,
    pub text: String,
    pub tags: Vec<String>,
    /// The objective whose retro holds it; null for a unit's team retro (then `unit` is that unit).
    pub objective: Option<i64>,
    pub objective_title: String,
    /// `objective` or `team`.
    pub source: String,
    pub cycle: i64,
    pub unit: Option<i64>,
    pub unit_name: String,
    /// The cause types its retro names.
    pub types: Vec<String>,
    /// How well it matched the words asked for (0 without any).
    pub score: f64,
}

impl From<LessonView> for LessonItemDto {
    fn from(l: LessonView) -> Self {
        LessonItemDto {
            id: l.id,
            text: l.text,
            tags: l.tags,
            source: if l.objective.is_some() { "objective" } else { "team" }.into(),
            objective: l.objective,
            objective_title: l.objective_title,
            cycle: l.cycle,
            unit: l.unit,
            unit_name: l.unit_name,
            types: l.types.into_iter().map(|t| t.as_str().to_string()).collect(),
            score: l.score,
        }
    }
}

/// The knowledge base: lessons from the retros of objectives the caller may see, best match first.
#[utoipa::path(get, path = "/api/v1/lessons", tag = "review", params(LessonQuery),
    responses((status = 200, body = ItemsOf<LessonItemDto>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_lessons(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<LessonQuery>,
) -> Result<Json<ItemsOf<LessonItemDto>>, ApiError> {
    let refused = |e: Invalid| ApiError { err: e.into(), lang: c.lang };
    let kind = q
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .map(|k| CauseType::parse("type", k))
        .transpose()
        .map_err(refused)?;
    let limit = match q.limit {
        None => 50,
        Some(n) if (1..=200).contains(&n) => n as usize,
        Some(_) => return Err(refused(Invalid::new("limit", Rule::OutOfRange { min: 1.0, max: 200.0 }))),
    };
    let f = LessonFilter { q: q.q.unwrap_or_default(), unit: q.unit, kind, tag: q.tag, cycle: q.cycle, limit };
    let items = st.app.lessons(&c.session.actor, &f).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}
