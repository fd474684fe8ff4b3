//! Sign-in, the caller, password change and API tokens.

use crate::AppState;
use crate::api::ItemsOf;
use crate::auth::{ApiJson, ApiLang, ApiPath, Caller, ClientAddr};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The company's short name; needed only when the email has accounts in several companies.
    #[serde(default)]
    pub tenant: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub roles: Vec<String>,
    pub tenant: i64,
    pub lang: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// A bearer token for `Authorization: Bearer …`, valid for 14 days; shown once.
    pub token: String,
    pub user: UserDto,
}

fn user_dto(s: &tandem_app::org::accounts::Session) -> UserDto {
    UserDto {
        id: s.actor.person.0,
        name: s.name.clone(),
        email: s.email.clone(),
        roles: s.actor.roles.iter().map(|r| r.as_str().to_string()).collect(),
        tenant: s.actor.tenant.0,
        lang: s.lang.clone(),
    }
}

/// Sign in with email and password; answers a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()), request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(st): State<AppState>,
    ApiLang(lang): ApiLang,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let signed = st.app.login(&req.email, &req.password, req.tenant.as_deref(), &client).await.in_lang(lang)?;
    Ok(Json(LoginResponse { user: user_dto(&signed.session), token: signed.secret }))
}

/// Sign out: the token (or session) used for this call stops working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(st): State<AppState>, c: Caller) -> Result<StatusCode, ApiError> {
    st.app.logout(&c.secret).await.in_lang(c.lang)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = UserDto), (status = 401, body = ErrorBody)))]
pub async fn me(c: Caller) -> Json<UserDto> {
    Json(user_dto(&c.session))
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change your own password; your other sessions are signed out.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    st.app.change_password(&c.session, &req.current_password, &req.new_password).await.in_lang(c.lang)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TokenDto {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
    /// `full` or `ingest`.
    pub scope: String,
}

#[derive(Deserialize, ToSchema)]
pub struct NewToken {
    pub name: String,
    /// `full` (default: acts as you) or `ingest` (may only push and read metric data).
    #[serde(default)]
    pub scope: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: i64,
    pub name: String,
    /// The secret, shown this once; only its hash is kept.
    pub token: String,
}

/// Your API tokens (never their secrets).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "auth", responses((status = 200, body = ItemsOf<TokenDto>)))]
pub async fn list_tokens(State(st): State<AppState>, c: Caller) -> Result<Json<ItemsOf<TokenDto>>, ApiError> {
    let rows = st.app.list_api_tokens(&c.session).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf {
        items: rows
            .into_iter()
            .map(|r| TokenDto {
                id: r.id,
                name: r.name,
                created_at: r.created_at,
                last_used_at: r.last_used_at,
                revoked: r.revoked_at.is_some(),
                scope: if r.kind == "ingest" { "ingest".into() } else { "full".into() },
            })
            .collect(),
    }))
}

/// Create a named API token acting as you.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "auth", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let t = st.app.create_api_token(&c.session, &req.name, &req.scope).await.in_lang(c.lang)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken { id: t.session.credential_id, name: req.name.trim().to_string(), token: t.secret }),
    ))
}

/// Revoke one of your API tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "auth", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    st.app.revoke_api_token(&c.session, id).await.in_lang(c.lang)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Preferences {
    /// Red lights on my goals and my reports' goals, by email.
    pub email_alerts: bool,
    /// Each event's email, on or off: `alert_raised`, `check_in_reminder`, `weekly_digest`,
    /// `upstream_changed`. (A decided KPI change request is always emailed to its requester.)
    #[serde(default)]
    pub email_events: std::collections::BTreeMap<String, bool>,
}

#[derive(Deserialize, ToSchema)]
pub struct PreferencesChange {
    /// Red lights by email (the same as `email_events.alert_raised`).
    pub email_alerts: Option<bool>,
    /// The events to switch; those left out keep their setting.
    #[serde(default)]
    pub email_events: std::collections::BTreeMap<String, bool>,
}

fn prefs_dto(p: tandem_app::notify::email::EmailPrefs) -> Preferences {
    Preferences {
        email_alerts: p.events.iter().any(|(e, on)| e == "alert_raised" && *on),
        email_events: p.events.into_iter().collect(),
    }
}

/// What you want to hear about by email.
#[utoipa::path(get, path = "/api/v1/me/preferences", tag = "auth", responses((status = 200, body = Preferences)))]
pub async fn preferences(State(st): State<AppState>, c: Caller) -> Result<Json<Preferences>, ApiError> {
    Ok(Json(prefs_dto(st.app.email_prefs(&c.session.actor).await.in_lang(c.lang)?)))
}

#[utoipa::path(put, path = "/api/v1/me/preferences", tag = "auth", request_body = PreferencesChange, responses((status = 200, body = Preferences), (status = 422, body = ErrorBody)))]
pub async fn set_preferences(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<PreferencesChange>,
) -> Result<Json<Preferences>, ApiError> {
    let mut choices: Vec<(String, bool)> = req.email_events.into_iter().collect();
    if let Some(on) = req.email_alerts {
        choices.push(("alert_raised".into(), on));
    }
    Ok(Json(prefs_dto(st.app.set_email_prefs(&c.session.actor, &choices).await.in_lang(c.lang)?)))
}
