//! KPIs. Private: anyone outside the owner's circle (owner, management chain, HR) gets 404.

use crate::AppState;
use crate::api::goals::objectives::{OwnerDto, owner_ref};
use crate::api::{ItemsOf, double_option};
use crate::auth::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tandem_app::AppError;
use tandem_app::kpis::kpi::{KpiFilter, KpiPatch as AppPatch, KpiView, NewKpi as AppNew};
use tandem_domain::ids::{KeyResultId, ObjectiveId};
use tandem_domain::kpi::DerivedFrom;
use utoipa::{IntoParams, ToSchema};

/// What a KPI was cascaded from: `{"type": "key_result" | "objective", "id": …}`.
#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct DerivedDto {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: i64,
}

#[derive(Serialize, ToSchema)]
pub struct KpiDto {
    pub id: i64,
    pub name: String,
    pub owner: OwnerDto,
    pub owner_name: String,
    pub cycle: i64,
    /// `week`, `month`, `quarter`.
    pub granularity: String,
    /// `higher_is_better` or `lower_is_better`.
    pub direction: String,
    pub target: f64,
    /// The bar to pass.
    pub pass: f64,
    /// Below pass but at least this: a warning; beyond it: a fail.
    pub warn: Option<f64>,
    pub unit: String,
    /// Weight in appraisal.
    pub weight: f64,
    pub derived_from: Option<DerivedDto>,
    /// The cycle runs: changes need an HR-approved change request.
    pub locked: bool,
    /// Keeps passing while the KR it was derived from stalls behind pace: review it.
    pub diverges: bool,
}

impl From<KpiView> for KpiDto {
    fn from(k: KpiView) -> Self {
        KpiDto {
            id: k.id,
            name: k.name,
            owner: k.owner.into(),
            owner_name: k.owner_name,
            cycle: k.cycle,
            granularity: k.granularity,
            direction: k.direction,
            target: k.target,
            pass: k.pass,
            warn: k.warn,
            unit: k.unit,
            weight: k.weight,
            derived_from: k.derived_from.map(|d| match d {
                DerivedFrom::Objective(o) => DerivedDto { kind: "objective".into(), id: o.0 },
                DerivedFrom::KeyResult(k) => DerivedDto { kind: "key_result".into(), id: k.0 },
            }),
            locked: k.locked,
            diverges: k.diverges,
        }
    }
}

fn derived(d: DerivedDto) -> Result<DerivedFrom, AppError> {
    match d.kind.as_str() {
        "objective" => Ok(DerivedFrom::Objective(ObjectiveId(d.id))),
        "key_result" => Ok(DerivedFrom::KeyResult(KeyResultId(d.id))),
        _ => Err(tandem_domain::Invalid::new(
            "derived_from.type",
            tandem_domain::Rule::OneOf(&["key_result", "objective"]),
        )
        .into()),
    }
}

#[derive(Deserialize, IntoParams)]
pub struct KpiQuery {
    pub cycle: Option<i64>,
    /// A person or org-unit id.
    pub owner: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewKpi {
    pub name: String,
    pub owner: OwnerDto,
    pub cycle: i64,
    /// Default `month`.
    #[serde(default)]
    pub granularity: String,
    /// Default `higher_is_better`.
    #[serde(default)]
    pub direction: String,
    pub target: f64,
    /// Default: the target.
    #[serde(default)]
    pub pass: Option<f64>,
    #[serde(default)]
    pub warn: Option<f64>,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub weight: Option<f64>,
    #[serde(default)]
    pub derived_from: Option<DerivedDto>,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct KpiPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub target: Option<f64>,
    #[serde(default)]
    pub pass: Option<f64>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub warn: Option<Option<f64>>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub weight: Option<f64>,
}

/// The KPIs you may see: your own, your reports' (all the way down), and all of them for HR.
#[utoipa::path(get, path = "/api/v1/kpis", tag = "kpis", params(KpiQuery),
    responses((status = 200, body = ItemsOf<KpiDto>), (status = 401, body = ErrorBody)))]
pub async fn list_kpis(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<KpiQuery>,
) -> Result<Json<ItemsOf<KpiDto>>, ApiError> {
    let items =
        st.app.list_kpis(&c.session.actor, &KpiFilter { cycle: q.cycle, owner: q.owner }).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}

/// Set a KPI for someone below you (or, for HR, anyone); optionally cascaded from a KR.
#[utoipa::path(post, path = "/api/v1/kpis", tag = "kpis", request_body = NewKpi,
    responses((status = 201, body = KpiDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_kpi(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<NewKpi>,
) -> Result<(StatusCode, Json<KpiDto>), ApiError> {
    let owner = owner_ref(req.owner).map_err(AppError::from).in_lang(c.lang)?;
    let derived_from = req.derived_from.map(derived).transpose().in_lang(c.lang)?;
    let new = AppNew {
        name: req.name,
        owner: Some(owner),
        cycle: req.cycle,
        granularity: req.granularity,
        direction: req.direction,
        target: req.target,
        pass: req.pass,
        warn: req.warn,
        unit: req.unit,
        weight: req.weight,
        derived_from,
    };
    Ok((StatusCode::CREATED, Json(st.app.create_kpi(&c.session.actor, new).await.in_lang(c.lang)?.into())))
}

/// One KPI (404 unless you are its owner, above its owner, or HR).
#[utoipa::path(get, path = "/api/v1/kpis/{id}", tag = "kpis", params(("id" = i64, Path)),
    responses((status = 200, body = KpiDto), (status = 404, body = ErrorBody)))]
pub async fn get_kpi(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<KpiDto>, ApiError> {
    Ok(Json(st.app.get_kpi(&c.session.actor, id).await.in_lang(c.lang)?.into()))
}

/// Change a KPI while its cycle is still in planning (409 `kpi_locked` after).
#[utoipa::path(patch, path = "/api/v1/kpis/{id}", tag = "kpis", params(("id" = i64, Path)), request_body = KpiPatch,
    responses((status = 200, body = KpiDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_kpi(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<KpiPatch>,
) -> Result<Json<KpiDto>, ApiError> {
    let patch = AppPatch {
        name: req.name,
        target: req.target,
        pass: req.pass,
        warn: req.warn,
        unit: req.unit,
        weight: req.weight,
    };
    Ok(Json(st.app.update_kpi(&c.session.actor, id, patch).await.in_lang(c.lang)?.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct ChangeRequestIn {
    pub changes: KpiPatch,
    /// Why the KPI should change (required).
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ChangeRequestDto {
    pub id: i64,
    pub kpi: i64,
    pub kpi_name: String,
    pub owner_name: String,
    pub requested_by: i64,
    pub requested_by_name: String,
    pub reason: String,
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    /// `pending`, `approved`, `rejected`.
    pub status: String,
    pub decided_by: Option<i64>,
    pub decision_note: String,
}

impl From<tandem_app::kpis::changes::ChangeRequestView> for ChangeRequestDto {
    fn from(r: tandem_app::kpis::changes::ChangeRequestView) -> Self {
        ChangeRequestDto {
            id: r.id,
            kpi: r.kpi,
            kpi_name: r.kpi_name,
            owner_name: r.owner_name,
            requested_by: r.requested_by,
            requested_by_name: r.requested_by_name,
            reason: r.reason,
            changes: serde_json::to_value(&r.changes).unwrap_or_default(),
            before: r.before,
            status: r.status,
            decided_by: r.decided_by,
            decision_note: r.decision_note,
        }
    }
}

fn app_patch(p: KpiPatch) -> AppPatch {
    AppPatch { name: p.name, target: p.target, pass: p.pass, warn: p.warn, unit: p.unit, weight: p.weight }
}

/// Ask HR to change a locked KPI, with a reason.
#[utoipa::path(post, path = "/api/v1/kpis/{id}/change-requests", tag = "kpis", params(("id" = i64, Path)), request_body = ChangeRequestIn,
    responses((status = 201, body = ChangeRequestDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_change(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ChangeRequestIn>,
) -> Result<(StatusCode, Json<ChangeRequestDto>), ApiError> {
    let r =
        st.app.request_kpi_change(&c.session.actor, id, app_patch(req.changes), &req.reason).await.in_lang(c.lang)?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

#[derive(Deserialize, IntoParams)]
pub struct ChangeQuery {
    /// `pending`, `approved` or `rejected`.
    pub status: Option<String>,
}

/// Change requests on KPIs you may see (HR: the whole queue).
#[utoipa::path(get, path = "/api/v1/kpi-change-requests", tag = "kpis", params(ChangeQuery),
    responses((status = 200, body = ItemsOf<ChangeRequestDto>), (status = 401, body = ErrorBody)))]
pub async fn list_changes(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<ChangeQuery>,
) -> Result<Json<ItemsOf<ChangeRequestDto>>, ApiError> {
    let items = st.app.list_kpi_changes(&c.session.actor, q.status.as_deref()).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}

#[derive(Deserialize, ToSchema)]
pub struct Decision {
    pub approve: bool,
    #[serde(default)]
    pub note: String,
}

/// HR approves (the change is applied and recorded with its reason) or rejects a request.
#[utoipa::path(post, path = "/api/v1/kpi-change-requests/{id}/decision", tag = "kpis", params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = ChangeRequestDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Decision>,
) -> Result<Json<ChangeRequestDto>, ApiError> {
    let a = &c.session.actor;
    let cap = tandem_domain::policy::decide_kpi_changes(a).ok_or(AppError::Forbidden).in_lang(c.lang)?;
    Ok(Json(st.app.decide_kpi_change(cap, a, id, req.approve, &req.note).await.in_lang(c.lang)?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct KpiValueDto {
    pub kpi: i64,
    /// `YYYY-MM`, `YYYY-Qn` or `YYYY-Www` by the KPI's granularity.
    pub period: String,
    pub value: f64,
    /// `pass`, `warn` or `fail`.
    pub status: String,
    pub author: Option<i64>,
    pub source: String,
    /// µs since the epoch.
    pub recorded_at: i64,
}

impl From<tandem_app::kpis::values::KpiValueView> for KpiValueDto {
    fn from(v: tandem_app::kpis::values::KpiValueView) -> Self {
        let status = match v.status {
            tandem_domain::kpi::KpiStatus::Pass => "pass",
            tandem_domain::kpi::KpiStatus::Warn => "warn",
            tandem_domain::kpi::KpiStatus::Fail => "fail",
        };
        KpiValueDto {
            kpi: v.kpi,
            period: v.period,
            value: v.value,
            status: status.into(),
            author: v.author,
            source: v.source,
            recorded_at: v.recorded_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewKpiValue {
    /// `YYYY-MM`, `YYYY-Qn` or `YYYY-Www` by the KPI's granularity: a period begun, not after
    /// the KPI's cycle, at most a year before it.
    pub period: String,
    pub value: f64,
    /// Replace a different value the period already holds (otherwise 409 `period_recorded`).
    #[serde(default)]
    pub replace: bool,
}

/// A KPI's values by period with pass / warn / fail, oldest first (404 outside its circle).
#[utoipa::path(get, path = "/api/v1/kpis/{id}/values", tag = "kpis", params(("id" = i64, Path)),
    responses((status = 200, body = ItemsOf<KpiValueDto>), (status = 404, body = ErrorBody)))]
pub async fn list_values(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ItemsOf<KpiValueDto>>, ApiError> {
    let items = st.app.kpi_values(&c.session.actor, id).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}

/// Record a period's value (whoever sets the KPI, or HR). A period already holding another
/// value is replaced only with `"replace": true` (409 `period_recorded` otherwise), on the record.
#[utoipa::path(post, path = "/api/v1/kpis/{id}/values", tag = "kpis", params(("id" = i64, Path)), request_body = NewKpiValue,
    responses((status = 201, body = KpiValueDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_value(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<NewKpiValue>,
) -> Result<(StatusCode, Json<KpiValueDto>), ApiError> {
    let v = st.app.record_kpi_value(&c.session.actor, id, &req.period, req.value, req.replace).await.in_lang(c.lang)?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

#[derive(Deserialize, IntoParams)]
pub struct ValuesFileQuery {
    /// The file's name, kept as each value's source (`file:<name>`).
    pub name: Option<String>,
    /// Check and report without writing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ValuesFileRow {
    pub kpi: String,
    pub owner: String,
    pub period: String,
    pub value: f64,
}

#[derive(Serialize, ToSchema)]
pub struct ValuesFileReport {
    /// Rows in the file.
    pub rows: usize,
    /// Rows whose value was new or different (written unless `dry_run`).
    pub changed: usize,
    pub dry_run: bool,
    /// The first rows as read.
    pub first: Vec<ValuesFileRow>,
}

/// Import KPI period values from a file (body: CSV in UTF-8 or GBK, or an Excel workbook;
/// header `kpi_id` or `kpi` + `owner`, then `period`, `value`). Every row is checked first:
/// one bad row rejects the file (422 with each row's line, column and reason); otherwise all
/// rows are written in one transaction. A value already recorded changes nothing.
#[utoipa::path(post, path = "/api/v1/kpis/values/import", tag = "kpis", params(ValuesFileQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ValuesFileReport), (status = 422, body = ErrorBody)))]
pub async fn import_values(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<ValuesFileQuery>,
    body: axum::body::Bytes,
) -> Result<Json<ValuesFileReport>, ApiError> {
    let name = q.name.unwrap_or_default();
    let r = st.app.import_kpi_values(&c.session.actor, &name, &body, q.dry_run, c.lang).await.in_lang(c.lang)?;
    Ok(Json(ValuesFileReport {
        rows: r.rows,
        changed: r.changed,
        dry_run: r.dry_run,
        first: r
            .first
            .into_iter()
            .map(|(kpi, owner, period, value)| ValuesFileRow { kpi, owner, period, value })
            .collect(),
    }))
}
