//! Notification channels and their delivery log (admins).

use crate::AppState;
use crate::api::ItemsOf;
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tandem_app::notify::channels::ChannelView;
use tandem_app::notify::outbox::DeliveryView;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ChannelDto {
    pub id: i64,
    /// `webhook`, `slack`, `feishu`, `dingtalk` or `wecom`.
    pub kind: String,
    pub name: String,
    /// Without its query (bot keys live there).
    pub url: String,
    pub events: Vec<String>,
    /// The language of its messages: `zh` or `en`.
    pub lang: String,
    pub active: bool,
    /// A signing secret is set (it is never shown again).
    pub signed: bool,
}

impl From<ChannelView> for ChannelDto {
    fn from(c: ChannelView) -> Self {
        ChannelDto {
            id: c.id,
            kind: c.kind,
            name: c.name,
            url: c.url,
            events: c.events,
            lang: c.lang,
            active: c.active,
            signed: c.signed,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewChannel {
    pub kind: String,
    pub name: String,
    pub url: String,
    /// HMAC signing secret (generic webhooks), or the bot's signing secret (Feishu, DingTalk).
    #[serde(default)]
    pub secret: String,
    /// Events to send: `alert_raised`.
    pub events: Vec<String>,
    #[serde(default)]
    pub lang: String,
}

#[utoipa::path(get, path = "/api/v1/channels", tag = "notifications", responses((status = 200, body = ItemsOf<ChannelDto>), (status = 403, body = ErrorBody)))]
pub async fn list(State(st): State<AppState>, c: Caller) -> Result<Json<ItemsOf<ChannelDto>>, ApiError> {
    let items = st.app.list_channels(&c.session.actor).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}

/// Add a channel (admins): a generic webhook or a Slack, Feishu, DingTalk or WeCom bot.
#[utoipa::path(post, path = "/api/v1/channels", tag = "notifications", request_body = NewChannel,
    responses((status = 201, body = ChannelDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<NewChannel>,
) -> Result<(StatusCode, Json<ChannelDto>), ApiError> {
    let new = tandem_app::notify::channels::NewChannel {
        kind: req.kind,
        name: req.name,
        url: req.url,
        secret: req.secret,
        events: req.events,
        lang: req.lang,
    };
    let ch = st.app.create_channel(&c.session.actor, &new).await.in_lang(c.lang)?;
    Ok((StatusCode::CREATED, Json(ch.into())))
}

#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove(State(st): State<AppState>, c: Caller, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, ApiError> {
    st.app.remove_channel(&c.session.actor, id).await.in_lang(c.lang)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct AttemptDto {
    /// µs since the epoch.
    pub at: i64,
    pub status: Option<i64>,
    pub error: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryDto {
    pub message: i64,
    pub channel: i64,
    pub event: String,
    pub created_at: i64,
    pub attempts: i64,
    pub delivered_at: Option<i64>,
    pub next_attempt_at: i64,
    pub last_error: String,
    /// Dropped unsent (µs): its channel was removed before it could be delivered.
    pub dropped_at: Option<i64>,
    pub log: Vec<AttemptDto>,
}

impl From<DeliveryView> for DeliveryDto {
    fn from(d: DeliveryView) -> Self {
        DeliveryDto {
            message: d.message,
            channel: d.channel,
            event: d.event,
            created_at: d.created_at,
            attempts: d.attempts,
            delivered_at: d.delivered_at,
            next_attempt_at: d.next_attempt_at,
            last_error: d.last_error,
            dropped_at: d.dropped_at,
            log: d.log.into_iter().map(|(at, status, error)| AttemptDto { at, status, error }).collect(),
        }
    }
}

/// The latest messages with every delivery attempt (admins).
#[utoipa::path(get, path = "/api/v1/deliveries", tag = "notifications", responses((status = 200, body = ItemsOf<DeliveryDto>), (status = 403, body = ErrorBody)))]
pub async fn deliveries(State(st): State<AppState>, c: Caller) -> Result<Json<ItemsOf<DeliveryDto>>, ApiError> {
    let items = st.app.deliveries(&c.session.actor, 100).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}
