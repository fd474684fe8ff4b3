//! Metrics, their points (push, idempotent, all or nothing) and bindings to key results and KPIs.

use crate::AppState;
use crate::api::ItemsOf;
use crate::auth::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use tandem_app::data::metrics::{BindingView, MetricView};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct BindingDto {
    pub metric: i64,
    /// `key_result` or `kpi`.
    pub subject_type: String,
    pub subject_id: i64,
    /// `latest`, `sum`, `mean`, `min`, `max` or `count` over the subject's period.
    pub aggregation: String,
    pub stale_after_days: i64,
    /// No point has arrived for `stale_after_days`.
    pub stale: bool,
    /// The metric also feeds a KPI, whose data a key result bound to it therefore shows.
    pub also_feeds_kpi: bool,
}

impl From<BindingView> for BindingDto {
    fn from(b: BindingView) -> Self {
        BindingDto {
            metric: b.metric,
            subject_type: b.subject_type,
            subject_id: b.subject_id,
            aggregation: b.aggregation,
            stale_after_days: b.stale_after_days,
            stale: b.stale,
            also_feeds_kpi: b.also_feeds_kpi,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MetricDto {
    pub id: i64,
    pub name: String,
    pub unit: String,
    pub description: String,
    /// µs since the epoch.
    pub created_at: i64,
    /// The newest point's time (µs), if any.
    pub last_point_at: Option<i64>,
    /// What it feeds; a KPI outside the caller's circle is left out.
    pub bindings: Vec<BindingDto>,
    /// The caller may read its points.
    pub readable: bool,
    /// The caller may bind a key result or KPI to it.
    pub bindable: bool,
}

impl From<MetricView> for MetricDto {
    fn from(m: MetricView) -> Self {
        MetricDto {
            id: m.id,
            name: m.name,
            unit: m.unit,
            description: m.description,
            created_at: m.created_at,
            last_point_at: m.last_point_at,
            bindings: m.bindings.into_iter().map(Into::into).collect(),
            readable: m.readable,
            bindable: m.bindable,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewMetric {
    pub name: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub description: String,
}

/// The tenant's metrics with their bindings.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "metrics", responses((status = 200, body = ItemsOf<MetricDto>)))]
pub async fn list(State(st): State<AppState>, c: Caller) -> Result<Json<ItemsOf<MetricDto>>, ApiError> {
    let items = st.app.list_metrics(&c.session.actor).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}

/// Create a metric (admins).
#[utoipa::path(post, path = "/api/v1/metrics", tag = "metrics", request_body = NewMetric,
    responses((status = 201, body = MetricDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<NewMetric>,
) -> Result<(StatusCode, Json<MetricDto>), ApiError> {
    let m = st.app.create_metric(&c.session.actor, &req.name, &req.unit, &req.description).await.in_lang(c.lang)?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

#[utoipa::path(get, path = "/api/v1/metrics/{id}", tag = "metrics", params(("id" = i64, Path)),
    responses((status = 200, body = MetricDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<MetricDto>, ApiError> {
    Ok(Json(st.app.get_metric(&c.session.actor, id).await.in_lang(c.lang)?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct PointDto {
    /// RFC 3339.
    pub time: String,
    pub value: f64,
    pub external_id: Option<String>,
    /// How it arrived: `push`, a file, a connector.
    pub source: String,
    /// Who sent it.
    pub author: Option<i64>,
    /// When it was received (RFC 3339).
    pub received_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct PointsPage {
    /// The newest points first.
    pub items: Vec<PointDto>,
    /// How many points the metric holds.
    pub total: i64,
}

#[derive(Deserialize, IntoParams)]
pub struct PointsQuery {
    /// At most this many (default 1,000; up to 10,000).
    pub limit: Option<i64>,
}

fn rfc3339(us: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// A metric's points, newest first (admins and HR).
#[utoipa::path(get, path = "/api/v1/metrics/{id}/points", tag = "metrics", params(("id" = i64, Path), PointsQuery),
    responses((status = 200, body = PointsPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn points(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PointsQuery>,
) -> Result<Json<PointsPage>, ApiError> {
    let (rows, total) = st.app.metric_points(&c.session.actor, id, q.limit.unwrap_or(1000)).await.in_lang(c.lang)?;
    Ok(Json(PointsPage {
        items: rows
            .into_iter()
            .map(|p| PointDto {
                time: rfc3339(p.time),
                value: p.value,
                external_id: p.external_id,
                source: p.source,
                author: p.author,
                received_at: rfc3339(p.received_at),
            })
            .collect(),
        total,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct PointBatch {
    /// Up to 10,000 points `{"time": RFC 3339, "value": number, "external_id"?: string}`.
    #[schema(value_type = Vec<Object>)]
    pub points: Vec<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub struct PushAnswer {
    pub inserted: i64,
    /// Points whose external id the metric held already.
    pub unchanged: i64,
}

/// Push a batch of points. Every point is checked before any is written (a bad one rejects the
/// batch: 422 with each bad point's row and field); a point whose `external_id` the metric holds
/// changes nothing; an `Idempotency-Key` header seen before returns the first answer and writes
/// nothing. Key results and KPIs bound to the metric move in the same transaction.
#[utoipa::path(post, path = "/api/v1/metrics/{id}/points", tag = "metrics", params(("id" = i64, Path)), request_body = PointBatch,
    responses((status = 200, body = PushAnswer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn push(
    State(st): State<AppState>,
    c: Caller,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PointBatch>,
) -> Result<Json<PushAnswer>, ApiError> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let out = st.app.push_points(&c.session.actor, id, &req.points, key, "push", c.lang).await.in_lang(c.lang)?;
    Ok(Json(PushAnswer { inserted: out.inserted, unchanged: out.unchanged }))
}

#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// The file's name, kept as the points' source (`file:<name>`).
    pub name: Option<String>,
}

/// Import a CSV file of points (body: the file; UTF-8 or GBK; header `time,value[,external_id]`
/// or 时间,数值[,外部编号]). Every row is checked first: one bad row rejects the file (422 with
/// each bad row's line and column). The same file again changes nothing.
#[utoipa::path(post, path = "/api/v1/metrics/{id}/import", tag = "metrics", params(("id" = i64, Path), ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = PushAnswer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: axum::body::Bytes,
) -> Result<Json<PushAnswer>, ApiError> {
    let name = q.name.unwrap_or_default();
    let out = st.app.import_points_csv(&c.session.actor, id, &name, &body, c.lang).await.in_lang(c.lang)?;
    Ok(Json(PushAnswer { inserted: out.inserted, unchanged: out.unchanged }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewBinding {
    pub metric: i64,
    /// `latest`, `sum`, `mean`, `min`, `max` or `count` (over the KR's cycle, or each KPI period).
    pub aggregation: String,
    /// Flag the binding stale when no point arrives for this many days (default 7).
    pub stale_after_days: Option<i64>,
}

async fn bind(st: &AppState, c: &Caller, kind: &str, id: i64, req: NewBinding) -> Result<Json<BindingDto>, ApiError> {
    let b = st
        .app
        .bind_metric(&c.session.actor, kind, id, req.metric, &req.aggregation, req.stale_after_days)
        .await
        .in_lang(c.lang)?;
    Ok(Json(b.into()))
}

async fn binding(st: &AppState, c: &Caller, kind: &str, id: i64) -> Result<Json<BindingDto>, ApiError> {
    match st.app.binding_of(&c.session.actor, kind, id).await.in_lang(c.lang)? {
        Some(b) => Ok(Json(b.into())),
        None => Err(ApiError { err: tandem_app::AppError::NotFound, lang: c.lang }),
    }
}

/// Bind a key result to a metric: its value follows the metric's points over the KR's cycle.
#[utoipa::path(put, path = "/api/v1/key-results/{id}/binding", tag = "metrics", params(("id" = i64, Path)), request_body = NewBinding,
    responses((status = 200, body = BindingDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bind_kr(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<NewBinding>,
) -> Result<Json<BindingDto>, ApiError> {
    bind(&st, &c, "key_result", id, req).await
}

#[utoipa::path(get, path = "/api/v1/key-results/{id}/binding", tag = "metrics", params(("id" = i64, Path)),
    responses((status = 200, body = BindingDto), (status = 404, body = ErrorBody)))]
pub async fn kr_binding(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BindingDto>, ApiError> {
    binding(&st, &c, "key_result", id).await
}

#[utoipa::path(delete, path = "/api/v1/key-results/{id}/binding", tag = "metrics", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unbind_kr(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    st.app.unbind_metric(&c.session.actor, "key_result", id).await.in_lang(c.lang)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bind a KPI to a metric: each period's value follows the metric's points in that period.
#[utoipa::path(put, path = "/api/v1/kpis/{id}/binding", tag = "metrics", params(("id" = i64, Path)), request_body = NewBinding,
    responses((status = 200, body = BindingDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bind_kpi(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<NewBinding>,
) -> Result<Json<BindingDto>, ApiError> {
    bind(&st, &c, "kpi", id, req).await
}

#[utoipa::path(get, path = "/api/v1/kpis/{id}/binding", tag = "metrics", params(("id" = i64, Path)),
    responses((status = 200, body = BindingDto), (status = 404, body = ErrorBody)))]
pub async fn kpi_binding(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BindingDto>, ApiError> {
    binding(&st, &c, "kpi", id).await
}

#[utoipa::path(delete, path = "/api/v1/kpis/{id}/binding", tag = "metrics", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unbind_kpi(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    st.app.unbind_metric(&c.session.actor, "kpi", id).await.in_lang(c.lang)?;
    Ok(StatusCode::NO_CONTENT)
}
