//! Ambition calibration per unit.

use crate::AppState;
use crate::auth::{ApiPath, ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tandem_app::review::ambition::UnitAmbition;
use tandem_domain::ambition::{Calibration, CycleStats, Flag};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct FlagDto {
    /// `sandbagging`, `unrealistic` or `committed_miss`.
    pub kind: String,
    /// A sentence in the caller's language citing the scores used.
    pub evidence: String,
}

impl From<Flag> for FlagDto {
    fn from(f: Flag) -> Self {
        let kind = serde_json::to_value(f.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        FlagDto { kind, evidence: f.evidence }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CycleStatsDto {
    pub cycle: String,
    pub aspirational: usize,
    pub aspirational_mean: Option<f64>,
    pub committed: usize,
    pub committed_hit_rate: Option<f64>,
    /// Mean confidence at the first check-in (0–1), against the mean final score of the same key results.
    pub start_confidence: Option<f64>,
    pub outcome: Option<f64>,
}

impl From<CycleStats> for CycleStatsDto {
    fn from(c: CycleStats) -> Self {
        CycleStatsDto {
            cycle: c.cycle,
            aspirational: c.aspirational,
            aspirational_mean: c.aspirational_mean,
            committed: c.committed,
            committed_hit_rate: c.committed_hit_rate,
            start_confidence: c.start_confidence,
            outcome: c.outcome,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UnitAmbitionDto {
    pub unit: i64,
    pub unit_name: String,
    /// Over the unit's last finished cycles (at most three).
    pub aspirational_mean: Option<f64>,
    pub committed_hit_rate: Option<f64>,
    pub flags: Vec<FlagDto>,
    /// Oldest first.
    pub cycles: Vec<CycleStatsDto>,
}

impl From<UnitAmbition> for UnitAmbitionDto {
    fn from(u: UnitAmbition) -> Self {
        let c = CalibrationDto::from(u.calibration);
        UnitAmbitionDto {
            unit: u.unit,
            unit_name: u.unit_name,
            aspirational_mean: c.aspirational_mean,
            committed_hit_rate: c.committed_hit_rate,
            flags: c.flags,
            cycles: c.cycles,
        }
    }
}

/// A person's own pattern: the same numbers as a unit's, over the objectives they own.
#[derive(Serialize, ToSchema)]
pub struct CalibrationDto {
    pub aspirational_mean: Option<f64>,
    pub committed_hit_rate: Option<f64>,
    pub flags: Vec<FlagDto>,
    /// Oldest first.
    pub cycles: Vec<CycleStatsDto>,
}

impl From<Calibration> for CalibrationDto {
    fn from(c: Calibration) -> Self {
        CalibrationDto {
            aspirational_mean: c.aspirational_mean,
            committed_hit_rate: c.committed_hit_rate,
            flags: c.flags.into_iter().map(Into::into).collect(),
            cycles: c.cycles.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct PersonAmbitionQuery {
    /// The cycle: its kind's last three finished cycles up to it are looked at.
    pub cycle: i64,
}

/// A person's own ambition pattern (the key results of the objectives they own) over their last
/// finished cycles of this cycle's kind: for the person, their management chain and HR only —
/// 404 to anyone else. A prompt for the one-to-one, never an input to pay.
#[utoipa::path(get, path = "/api/v1/people/{id}/ambition", tag = "review", params(("id" = i64, Path), PersonAmbitionQuery),
    responses((status = 200, body = CalibrationDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn person_ambition(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PersonAmbitionQuery>,
) -> Result<Json<CalibrationDto>, ApiError> {
    Ok(Json(st.app.person_ambition(&c.session.actor, id, q.cycle, c.lang).await.in_lang(c.lang)?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct AmbitionDto {
    pub units: Vec<UnitAmbitionDto>,
}

/// Ambition calibration: per unit, over its last finished cycles of this cycle's kind up to this
/// one, the mean score of aspirational key results, the committed hit rate, and flags
/// (`sandbagging`, `unrealistic`, `committed_miss`) citing the numbers they used. Planning
/// prompts, never inputs to pay.
#[utoipa::path(get, path = "/api/v1/cycles/{id}/ambition", tag = "review", params(("id" = i64, Path)),
    responses((status = 200, body = AmbitionDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn ambition(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AmbitionDto>, ApiError> {
    let units = st.app.ambition(&c.session.actor, id, None, c.lang).await.in_lang(c.lang)?;
    Ok(Json(AmbitionDto { units: units.into_iter().map(Into::into).collect() }))
}
