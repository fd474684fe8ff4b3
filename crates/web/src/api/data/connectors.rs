//! Connectors: scheduled pulls from a business database or an HTTP JSON endpoint into a metric
//! (admins). Secrets go in and never come out.

use crate::AppState;
use crate::api::ItemsOf;
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tandem_app::data::connectors::{ConnectorView, RunView, SourceConfig, TestOutcome};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ConnectorDto {
    pub id: i64,
    pub name: String,
    /// `sql` or `http`.
    pub kind: String,
    /// SQL sources: `postgres`, `mysql` or `sqlite`.
    pub engine: String,
    pub metric_id: i64,
    /// Five-field cron (UTC), e.g. `0 6 * * *`.
    pub schedule: String,
    pub timeout_secs: i64,
    pub active: bool,
    /// A connection string or credential is stored (it is never shown).
    pub has_secret: bool,
    pub query: String,
    pub url: String,
    pub items_path: String,
    pub time_path: String,
    pub value_path: String,
    /// µs since the epoch.
    pub next_run_at: Option<i64>,
    pub last_run_at: Option<i64>,
    /// `` (never ran), `ok` or `failed`.
    pub last_status: String,
    pub last_error: String,
    /// A run is under way.
    pub running: bool,
}

impl From<ConnectorView> for ConnectorDto {
    fn from(c: ConnectorView) -> Self {
        ConnectorDto {
            id: c.id,
            name: c.name,
            kind: c.kind,
            engine: c.engine,
            metric_id: c.metric_id,
            schedule: c.schedule,
            timeout_secs: c.timeout_secs,
            active: c.active,
            has_secret: c.has_secret,
            query: c.config.query,
            url: c.config.url,
            items_path: c.config.items_path,
            time_path: c.config.time_path,
            value_path: c.config.value_path,
            next_run_at: c.next_run_at,
            last_run_at: c.last_run_at,
            last_status: c.last_status,
            last_error: c.last_error,
            running: c.running,
        }
    }
}

/// A connector as written. SQL: `secret` is the connection string (`postgres://…`,
/// `mysql://…`, `mariadb://…`, `sqlite://…`) and `query` one SELECT returning `time` and
/// `value`. HTTP: `url`, the paths to pick items, times and values by, and optionally `secret`,
/// sent as a header (`Name: value`, or a bare token as a bearer token). On a change, a left-out
/// `secret` keeps the stored one.
#[derive(Deserialize, ToSchema)]
pub struct NewConnector {
    pub name: String,
    pub kind: String,
    pub metric_id: i64,
    pub schedule: String,
    pub timeout_secs: Option<i64>,
    pub secret: Option<String>,
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub items_path: String,
    #[serde(default)]
    pub time_path: String,
    #[serde(default)]
    pub value_path: String,
    pub active: Option<bool>,
}

impl From<NewConnector> for tandem_app::data::connectors::NewConnector {
    fn from(r: NewConnector) -> Self {
        tandem_app::data::connectors::NewConnector {
            name: r.name,
            kind: r.kind,
            metric_id: r.metric_id,
            schedule: r.schedule,
            timeout_secs: r.timeout_secs,
            secret: r.secret,
            config: SourceConfig {
                query: r.query,
                url: r.url,
                items_path: r.items_path,
                time_path: r.time_path,
                value_path: r.value_path,
            },
            active: r.active,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RunDto {
    pub id: i64,
    /// `schedule` or `manual`.
    pub cause: String,
    pub scheduled_for: Option<i64>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// `running`, `ok`, `failed` or `abandoned`.
    pub status: String,
    /// Rows the source gave.
    pub fetched: i64,
    /// Points written or revised.
    pub inserted: i64,
    pub error: String,
}

impl From<RunView> for RunDto {
    fn from(r: RunView) -> Self {
        RunDto {
            id: r.id,
            cause: r.cause,
            scheduled_for: r.scheduled_for,
            started_at: r.started_at,
            finished_at: r.finished_at,
            status: r.status,
            fetched: r.fetched,
            inserted: r.inserted,
            error: r.error,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SampleDto {
    pub time: i64,
    pub value: f64,
}

#[derive(Serialize, ToSchema)]
pub struct RowErrorDto {
    pub row: usize,
    pub column: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct TestDto {
    pub ok: bool,
    pub total: usize,
    /// The first 20 values a run would write.
    pub sample: Vec<SampleDto>,
    pub error: String,
    pub row_errors: Vec<RowErrorDto>,
}

impl From<TestOutcome> for TestDto {
    fn from(t: TestOutcome) -> Self {
        TestDto {
            ok: t.ok,
            total: t.total,
            sample: t.sample.into_iter().map(|s| SampleDto { time: s.time, value: s.value }).collect(),
            error: t.error,
            row_errors: t
                .row_errors
                .into_iter()
                .map(|e| RowErrorDto { row: e.row, column: e.column, reason: e.reason })
                .collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ActiveBody {
    pub active: bool,
}

#[utoipa::path(get, path = "/api/v1/connectors", tag = "data", responses((status = 200, body = ItemsOf<ConnectorDto>), (status = 403, body = ErrorBody)))]
pub async fn list(State(st): State<AppState>, c: Caller) -> Result<Json<ItemsOf<ConnectorDto>>, ApiError> {
    let items = st.app.list_connectors(&c.session.actor).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}

/// Add a connector (admins). Its secret is sealed with the server's key and never shown again.
#[utoipa::path(post, path = "/api/v1/connectors", tag = "data", request_body = NewConnector,
    responses((status = 201, body = ConnectorDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<NewConnector>,
) -> Result<(StatusCode, Json<ConnectorDto>), ApiError> {
    let made = st.app.create_connector(&c.session.actor, &req.into()).await.in_lang(c.lang)?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

#[utoipa::path(get, path = "/api/v1/connectors/{id}", tag = "data", params(("id" = i64, Path)),
    responses((status = 200, body = ConnectorDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ConnectorDto>, ApiError> {
    Ok(Json(st.app.get_connector(&c.session.actor, id).await.in_lang(c.lang)?.into()))
}

/// Change a connector (admins): the whole of it, except that a left-out secret stays.
#[utoipa::path(put, path = "/api/v1/connectors/{id}", tag = "data", params(("id" = i64, Path)), request_body = NewConnector,
    responses((status = 200, body = ConnectorDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<NewConnector>,
) -> Result<Json<ConnectorDto>, ApiError> {
    Ok(Json(st.app.update_connector(&c.session.actor, id, &req.into()).await.in_lang(c.lang)?.into()))
}

#[utoipa::path(delete, path = "/api/v1/connectors/{id}", tag = "data", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove(State(st): State<AppState>, c: Caller, ApiPath(id): ApiPath<i64>) -> Result<StatusCode, ApiError> {
    st.app.delete_connector(&c.session.actor, id).await.in_lang(c.lang)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pause (`false`) or resume (`true`) a connector's schedule.
#[utoipa::path(put, path = "/api/v1/connectors/{id}/active", tag = "data", params(("id" = i64, Path)), request_body = ActiveBody,
    responses((status = 200, body = ConnectorDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_active(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ActiveBody>,
) -> Result<Json<ConnectorDto>, ApiError> {
    Ok(Json(st.app.set_connector_active(&c.session.actor, id, req.active).await.in_lang(c.lang)?.into()))
}

/// Read the source now and show what a run would write; nothing is written.
#[utoipa::path(post, path = "/api/v1/connectors/{id}/test", tag = "data", params(("id" = i64, Path)),
    responses((status = 200, body = TestDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test(State(st): State<AppState>, c: Caller, ApiPath(id): ApiPath<i64>) -> Result<Json<TestDto>, ApiError> {
    Ok(Json(st.app.test_connector(&c.session.actor, id, c.lang).await.in_lang(c.lang)?.into()))
}

/// Run a connector now. 409 `connector_busy` while a run of it is under way.
#[utoipa::path(post, path = "/api/v1/connectors/{id}/runs", tag = "data", params(("id" = i64, Path)),
    responses((status = 200, body = RunDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn run_now(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RunDto>, ApiError> {
    Ok(Json(st.app.run_connector_now(&c.session.actor, id, c.lang).await.in_lang(c.lang)?.into()))
}

/// The newest runs of a connector, with what each fetched and wrote or why it failed.
#[utoipa::path(get, path = "/api/v1/connectors/{id}/runs", tag = "data", params(("id" = i64, Path)),
    responses((status = 200, body = ItemsOf<RunDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn runs(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ItemsOf<RunDto>>, ApiError> {
    let items = st.app.connector_runs(&c.session.actor, id, 50).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}
