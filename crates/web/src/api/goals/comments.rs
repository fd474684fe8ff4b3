//! Comments on an objective.

use crate::AppState;
use crate::api::ItemsOf;
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tandem_app::goals::comments::CommentView;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct CommentDto {
    pub id: i64,
    pub author: i64,
    pub author_name: String,
    pub body: String,
    /// µs since the epoch.
    pub created_at: i64,
}

impl From<CommentView> for CommentDto {
    fn from(c: CommentView) -> Self {
        CommentDto { id: c.id, author: c.author, author_name: c.author_name, body: c.body, created_at: c.created_at }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewComment {
    pub body: String,
}

/// The discussion on an objective.
#[utoipa::path(get, path = "/api/v1/objectives/{id}/comments", tag = "goals", params(("id" = i64, Path)),
    responses((status = 200, body = ItemsOf<CommentDto>), (status = 404, body = ErrorBody)))]
pub async fn list_comments(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ItemsOf<CommentDto>>, ApiError> {
    let items = st.app.comments_on(&c.session.actor, id).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}

/// Comment on an objective you may see.
#[utoipa::path(post, path = "/api/v1/objectives/{id}/comments", tag = "goals", params(("id" = i64, Path)), request_body = NewComment,
    responses((status = 201, body = CommentDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_comment(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<NewComment>,
) -> Result<(StatusCode, Json<CommentDto>), ApiError> {
    Ok((StatusCode::CREATED, Json(st.app.add_comment(&c.session.actor, id, &req.body).await.in_lang(c.lang)?.into())))
}
