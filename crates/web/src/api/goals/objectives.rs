//! Objectives and key results.

use crate::AppState;
use crate::api::{ItemsOf, double_option};
use crate::auth::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tandem_app::AppError;
use tandem_app::goals::key_results::{KeyResultPatch as AppKrPatch, KeyResultView, NewKeyResult as AppNewKr};
use tandem_app::goals::objectives::{
    NewObjective as AppNew, ObjectiveFilter, ObjectivePatch as AppPatch, ObjectiveView,
};
use tandem_app::org::owners::OwnerRef;
use tandem_domain::goal::Owner;
use utoipa::{IntoParams, ToSchema};

/// `{"type": "person" | "org_unit", "id": …}`
#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct OwnerDto {
    #[serde(rename = "type")]
    #[schema(example = "person")]
    pub kind: String,
    pub id: i64,
}

impl From<Owner> for OwnerDto {
    fn from(o: Owner) -> Self {
        let (kind, id) = tandem_app::org::owners::owner_parts(o);
        OwnerDto { kind: kind.into(), id }
    }
}

#[derive(Serialize, ToSchema)]
pub struct KrOwnerDto {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: i64,
    pub name: String,
    /// Contribution weight of this carrier of a shared KR.
    pub weight: f64,
}

#[derive(Serialize, ToSchema)]
pub struct KeyResultDto {
    pub id: i64,
    pub objective: i64,
    pub title: String,
    /// `increase`, `decrease`, `stay_above`, `stay_below`, `milestone`.
    pub measure: String,
    pub baseline: f64,
    pub target: f64,
    pub current: f64,
    pub unit: String,
    pub weight: f64,
    /// In [0, 1].
    pub score: f64,
    /// `red`, `yellow`, `green`.
    pub band: String,
    pub owners: Vec<KrOwnerDto>,
    /// Expected progress now: the elapsed share of the cycle since the key result started (its
    /// creation, for one added mid-cycle).
    pub expected: f64,
    /// Forecast end-of-cycle score: a least-squares line through the check-in history.
    pub forecast: f64,
    /// Forecast below the kind's success floor, or no check-in for 14 days; never within the
    /// first week of a key result nobody has checked in on yet.
    pub at_risk: bool,
    /// No check-in yet and still at its baseline, in a running cycle: it counts for nothing in
    /// its objective's score until it starts.
    pub not_started: bool,
    /// Latest self-reported confidence (0–10).
    pub confidence: Option<i64>,
    /// Confidence far from the forecast.
    pub confidence_disagrees: bool,
    /// µs since the epoch.
    pub last_check_in: Option<i64>,
    /// Set when a manager overrode the final score at cycle close.
    pub override_reason: Option<String>,
}

impl From<KeyResultView> for KeyResultDto {
    fn from(k: KeyResultView) -> Self {
        KeyResultDto {
            id: k.id,
            objective: k.objective,
            title: k.title,
            measure: k.measure,
            baseline: k.baseline,
            target: k.target,
            current: k.current,
            unit: k.unit,
            weight: k.weight,
            score: k.score,
            band: k.band.as_str().into(),
            owners: k
                .owners
                .into_iter()
                .map(|o| KrOwnerDto { kind: o.kind.into(), id: o.id, name: o.name, weight: o.weight })
                .collect(),
            expected: k.expected,
            forecast: k.forecast,
            at_risk: k.at_risk,
            not_started: k.not_started,
            confidence: k.confidence,
            confidence_disagrees: k.confidence_disagrees,
            last_check_in: k.last_check_in,
            override_reason: k.override_reason,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ObjectiveDto {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// `committed`, `aspirational`, `learning`.
    pub kind: String,
    pub owner: OwnerDto,
    pub owner_name: String,
    pub cycle: i64,
    /// The objective this one is aligned to.
    pub parent: Option<i64>,
    /// Objectives of other teams this one supports.
    pub supports: Vec<i64>,
    /// `draft` (visible to author and managers), `published` (everyone), `archived`.
    pub status: String,
    pub author: i64,
    /// Weighted mean of the key results, in [0, 1] (0 without key results; see `scored`). While
    /// the cycle runs, a key result not started yet (`not_started`) counts for nothing; once the
    /// cycle ends, every key result counts as it stands.
    pub score: f64,
    pub band: String,
    pub scored: bool,
    /// Progress including everything aligned below.
    pub rollup: f64,
    pub rollup_band: String,
    pub key_results: Vec<KeyResultDto>,
}

impl From<ObjectiveView> for ObjectiveDto {
    fn from(o: ObjectiveView) -> Self {
        ObjectiveDto {
            id: o.id,
            title: o.title,
            description: o.description,
            kind: o.kind,
            owner: o.owner.into(),
            owner_name: o.owner_name,
            cycle: o.cycle,
            parent: o.parent,
            supports: o.supports,
            status: o.status,
            author: o.author,
            score: o.score,
            band: o.band.as_str().into(),
            scored: o.scored,
            rollup: o.rollup,
            rollup_band: o.rollup_band.as_str().into(),
            key_results: o.key_results.into_iter().map(Into::into).collect(),
        }
    }
}

pub(crate) fn owner_ref(o: OwnerDto) -> Result<OwnerRef, tandem_domain::Invalid> {
    let kind = match o.kind.as_str() {
        "person" => tandem_app::org::owners::OwnerKind::Person,
        "org_unit" => tandem_app::org::owners::OwnerKind::OrgUnit,
        _ => {
            return Err(tandem_domain::Invalid::new("owner.type", tandem_domain::Rule::OneOf(&["person", "org_unit"])));
        }
    };
    Ok(OwnerRef { kind, id: o.id })
}

#[derive(Deserialize, IntoParams)]
pub struct ObjectiveQuery {
    pub cycle: Option<i64>,
    /// A person or org-unit id.
    pub owner: Option<i64>,
    /// Objectives of this unit, the units below it and their people.
    pub unit: Option<i64>,
    #[serde(default)]
    pub include_archived: bool,
}

#[derive(Deserialize, ToSchema)]
pub struct NewObjective {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Default `aspirational`.
    #[serde(default)]
    pub kind: String,
    /// Default: you.
    #[serde(default)]
    pub owner: Option<OwnerDto>,
    pub cycle: i64,
    #[serde(default)]
    pub parent: Option<i64>,
    #[serde(default)]
    pub supports: Vec<i64>,
    /// Publish at once (default: a draft).
    #[serde(default)]
    pub publish: bool,
    /// Key results written together with the objective (all or nothing).
    #[serde(default)]
    pub key_results: Vec<NewKeyResult>,
}

#[derive(Deserialize, ToSchema)]
pub struct ObjectivePatch {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub owner: Option<OwnerDto>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub parent: Option<Option<i64>>,
    #[serde(default)]
    pub supports: Option<Vec<i64>>,
    /// `published` or `archived`.
    #[serde(default)]
    pub status: Option<String>,
    /// Required when a published objective's title or kind changes during its cycle.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Objectives you may see (published ones, and drafts you wrote or manage).
#[utoipa::path(get, path = "/api/v1/objectives", tag = "goals", params(ObjectiveQuery),
    responses((status = 200, body = ItemsOf<ObjectiveDto>), (status = 401, body = ErrorBody)))]
pub async fn list_objectives(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<ObjectiveQuery>,
) -> Result<Json<ItemsOf<ObjectiveDto>>, ApiError> {
    let f = ObjectiveFilter {
        cycle: q.cycle,
        owner: q.owner,
        unit: q.unit,
        include_archived: q.include_archived,
        parent: None,
    };
    let items = st.app.list_objectives(&c.session.actor, &f).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: items.into_iter().map(Into::into).collect() }))
}

/// Write an objective for yourself, or for your team or unit.
#[utoipa::path(post, path = "/api/v1/objectives", tag = "goals", request_body = NewObjective,
    responses((status = 201, body = ObjectiveDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_objective(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<NewObjective>,
) -> Result<(StatusCode, Json<ObjectiveDto>), ApiError> {
    let owner = req.owner.map(owner_ref).transpose().map_err(AppError::from).in_lang(c.lang)?.map(OwnerRef::owner);
    let key_results = req
        .key_results
        .into_iter()
        .map(new_kr)
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::from)
        .in_lang(c.lang)?;
    let new = AppNew {
        title: req.title,
        description: req.description,
        kind: req.kind,
        owner,
        cycle: req.cycle,
        parent: req.parent,
        supports: req.supports,
        publish: req.publish,
        key_results,
    };
    Ok((StatusCode::CREATED, Json(st.app.create_objective(&c.session.actor, new).await.in_lang(c.lang)?.into())))
}

/// One objective with its key results and scores.
#[utoipa::path(get, path = "/api/v1/objectives/{id}", tag = "goals", params(("id" = i64, Path)),
    responses((status = 200, body = ObjectiveDto), (status = 404, body = ErrorBody)))]
pub async fn get_objective(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ObjectiveDto>, ApiError> {
    Ok(Json(st.app.get_objective(&c.session.actor, id).await.in_lang(c.lang)?.into()))
}

/// Change, align, publish or archive an objective.
#[utoipa::path(patch, path = "/api/v1/objectives/{id}", tag = "goals", params(("id" = i64, Path)), request_body = ObjectivePatch,
    responses((status = 200, body = ObjectiveDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_objective(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ObjectivePatch>,
) -> Result<Json<ObjectiveDto>, ApiError> {
    let owner = req.owner.map(owner_ref).transpose().map_err(AppError::from).in_lang(c.lang)?.map(OwnerRef::owner);
    let patch = AppPatch {
        title: req.title,
        description: req.description,
        kind: req.kind,
        owner,
        parent: req.parent,
        supports: req.supports,
        status: req.status,
        reason: req.reason,
    };
    Ok(Json(st.app.update_objective(&c.session.actor, id, patch).await.in_lang(c.lang)?.into()))
}

/// Archive an objective (it stays in the history and drops out of roll-ups).
#[utoipa::path(delete, path = "/api/v1/objectives/{id}", tag = "goals", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn archive_objective(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    st.app.archive_objective(&c.session.actor, id).await.in_lang(c.lang)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct KrOwnerIn {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: i64,
    /// Contribution weight (default 1).
    #[serde(default)]
    pub weight: Option<f64>,
}

fn kr_owners(list: Vec<KrOwnerIn>) -> Result<Vec<(Owner, f64)>, tandem_domain::Invalid> {
    list.into_iter()
        .map(|o| Ok((owner_ref(OwnerDto { kind: o.kind, id: o.id })?.owner(), o.weight.unwrap_or(1.0))))
        .collect()
}

#[derive(Deserialize, ToSchema)]
pub struct NewKeyResult {
    pub title: String,
    /// Default `increase`.
    #[serde(default)]
    pub measure: String,
    #[serde(default)]
    pub baseline: f64,
    pub target: f64,
    /// Default: the baseline.
    #[serde(default)]
    pub current: Option<f64>,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub weight: Option<f64>,
    /// Several owners make a shared KR.
    #[serde(default)]
    pub owners: Vec<KrOwnerIn>,
}

fn new_kr(req: NewKeyResult) -> Result<AppNewKr, tandem_domain::Invalid> {
    Ok(AppNewKr {
        owners: kr_owners(req.owners)?,
        title: req.title,
        measure: if req.measure.is_empty() { "increase".into() } else { req.measure },
        baseline: req.baseline,
        target: req.target,
        current: req.current,
        unit: req.unit,
        weight: req.weight,
    })
}

#[derive(Deserialize, ToSchema)]
pub struct KeyResultPatch {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub measure: Option<String>,
    #[serde(default)]
    pub baseline: Option<f64>,
    #[serde(default)]
    pub target: Option<f64>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub weight: Option<f64>,
    #[serde(default)]
    pub owners: Option<Vec<KrOwnerIn>>,
    /// Required when the wording, measure, baseline or target of a published KR changes during its cycle.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Add a key result to an objective.
#[utoipa::path(post, path = "/api/v1/objectives/{id}/key-results", tag = "goals", params(("id" = i64, Path)), request_body = NewKeyResult,
    responses((status = 201, body = KeyResultDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_key_result(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<NewKeyResult>,
) -> Result<(StatusCode, Json<KeyResultDto>), ApiError> {
    let new = new_kr(req).map_err(AppError::from).in_lang(c.lang)?;
    Ok((StatusCode::CREATED, Json(st.app.add_key_result(&c.session.actor, id, new).await.in_lang(c.lang)?.into())))
}

/// One key result.
#[utoipa::path(get, path = "/api/v1/key-results/{id}", tag = "goals", params(("id" = i64, Path)),
    responses((status = 200, body = KeyResultDto), (status = 404, body = ErrorBody)))]
pub async fn get_key_result(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<KeyResultDto>, ApiError> {
    Ok(Json(st.app.get_key_result(&c.session.actor, id).await.in_lang(c.lang)?.into()))
}

/// Adjust a key result (with a reason once its cycle runs).
#[utoipa::path(patch, path = "/api/v1/key-results/{id}", tag = "goals", params(("id" = i64, Path)), request_body = KeyResultPatch,
    responses((status = 200, body = KeyResultDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_key_result(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<KeyResultPatch>,
) -> Result<Json<KeyResultDto>, ApiError> {
    let owners = req.owners.map(kr_owners).transpose().map_err(AppError::from).in_lang(c.lang)?;
    let patch = AppKrPatch {
        title: req.title,
        measure: req.measure,
        baseline: req.baseline,
        target: req.target,
        unit: req.unit,
        weight: req.weight,
        owners,
        reason: req.reason,
    };
    Ok(Json(st.app.update_key_result(&c.session.actor, id, patch).await.in_lang(c.lang)?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct FieldChangeDto {
    pub field: String,
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct UpstreamChangeDto {
    /// Yours: `objective` or `kpi`.
    pub mine_kind: String,
    pub mine_id: i64,
    pub mine_title: String,
    /// What it is aligned to or derived from: `objective` or `key_result`.
    pub upstream_kind: String,
    pub upstream_id: i64,
    pub upstream_title: String,
    /// µs since the epoch.
    pub at: i64,
    pub actor: Option<i64>,
    pub action: String,
    pub reason: Option<String>,
    pub changes: Vec<FieldChangeDto>,
}

/// What changed upstream of your objectives and KPIs since you set them (newest first).
#[utoipa::path(get, path = "/api/v1/me/upstream-changes", tag = "goals", responses((status = 200, body = ItemsOf<UpstreamChangeDto>), (status = 401, body = ErrorBody)))]
pub async fn upstream_changes(
    State(st): State<AppState>,
    c: Caller,
) -> Result<Json<ItemsOf<UpstreamChangeDto>>, ApiError> {
    let items = st.app.upstream_changes(&c.session.actor).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf {
        items: items
            .into_iter()
            .map(|u| UpstreamChangeDto {
                mine_kind: u.mine_kind.into(),
                mine_id: u.mine_id,
                mine_title: u.mine_title,
                upstream_kind: u.upstream_kind.into(),
                upstream_id: u.upstream_id,
                upstream_title: u.upstream_title,
                at: u.at,
                actor: u.actor,
                action: u.action,
                reason: u.reason,
                changes: u
                    .changes
                    .into_iter()
                    .map(|f| FieldChangeDto { field: f.field, before: f.before, after: f.after })
                    .collect(),
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ScoreOverride {
    /// The final score, in [0, 1].
    pub score: f64,
    /// Why (required).
    pub reason: String,
}

/// At cycle close (`reviewing`), a manager above the owner sets a KR's final score with a reason.
#[utoipa::path(post, path = "/api/v1/key-results/{id}/override", tag = "goals", params(("id" = i64, Path)), request_body = ScoreOverride,
    responses((status = 200, body = KeyResultDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn override_score(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ScoreOverride>,
) -> Result<Json<KeyResultDto>, ApiError> {
    Ok(Json(st.app.override_kr_score(&c.session.actor, id, req.score, &req.reason).await.in_lang(c.lang)?.into()))
}
