//! Red-light alerts.

use crate::AppState;
use crate::api::ItemsOf;
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tandem_app::tracking::alerts::AlertView;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct AlertDto {
    pub id: i64,
    /// `key_result` or `kpi`.
    pub subject_type: String,
    pub subject_id: i64,
    pub subject_title: String,
    pub objective: Option<i64>,
    /// Stable cause: `forecast_red`, `stale`, `kpi_fail`.
    pub reason: String,
    /// The cause in the caller's language.
    pub reason_text: String,
    pub owner: Option<i64>,
    pub owner_name: String,
    /// `open` or `acknowledged`.
    pub state: String,
    pub note: String,
    /// µs since the epoch.
    pub raised_at: i64,
}

pub(crate) fn reason_text(reason: &str, lang: tandem_domain::Lang) -> String {
    match tandem_app::tracking::alerts::reason_words(reason) {
        Some((zh, en)) => lang.pick(zh, en).to_string(),
        None => reason.to_string(),
    }
}

pub(crate) fn to_dto(a: AlertView, lang: tandem_domain::Lang) -> AlertDto {
    AlertDto {
        reason_text: reason_text(&a.reason, lang),
        id: a.id,
        subject_type: a.subject_type,
        subject_id: a.subject_id,
        subject_title: a.subject_title,
        objective: a.objective,
        reason: a.reason,
        owner: a.owner,
        owner_name: a.owner_name,
        state: a.state,
        note: a.note,
        raised_at: a.raised_at,
    }
}

/// Open red-light alerts you may see, each with its reason.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", responses((status = 200, body = ItemsOf<AlertDto>), (status = 401, body = ErrorBody)))]
pub async fn list(State(st): State<AppState>, c: Caller) -> Result<Json<ItemsOf<AlertDto>>, ApiError> {
    let items = st.app.list_alerts(&c.session.actor).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(|a| to_dto(a, c.lang)).collect() }))
}

#[derive(Deserialize, ToSchema)]
pub struct Acknowledge {
    /// What is being done about it.
    pub note: String,
}

/// Acknowledge an alert with a note (its owner, anyone above them, or HR).
#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", tag = "alerts", params(("id" = i64, Path)), request_body = Acknowledge,
    responses((status = 200, body = AlertDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn acknowledge(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Acknowledge>,
) -> Result<Json<AlertDto>, ApiError> {
    let a = st.app.acknowledge_alert(&c.session.actor, id, &req.note).await.in_lang(c.lang)?;
    Ok(Json(to_dto(a, c.lang)))
}
