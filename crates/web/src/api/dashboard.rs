//! The company dashboard by org unit.

use super::alerts::AlertDto;
use crate::AppState;
use crate::auth::{ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct DashboardQuery {
    pub cycle: i64,
}

#[derive(Serialize, ToSchema)]
pub struct BandCountsDto {
    pub red: usize,
    pub yellow: usize,
    pub green: usize,
}

#[derive(Serialize, ToSchema)]
pub struct UnitDashboardDto {
    pub id: i64,
    pub name: String,
    pub parent: Option<i64>,
    pub depth: usize,
    /// Mean roll-up of the objectives the unit and its people own; null without objectives.
    pub score: Option<f64>,
    pub band: Option<String>,
    pub counts: BandCountsDto,
    /// Ids of the red lights (see `red_lights` below) on this unit's goals.
    pub red_lights: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct DashboardDto {
    pub cycle: i64,
    pub units: Vec<UnitDashboardDto>,
    /// The red lights you may see.
    pub red_lights: Vec<AlertDto>,
}

/// Per org unit: score, band, counts by band, and the red-light items you may see.
#[utoipa::path(get, path = "/api/v1/dashboard", tag = "dashboard", params(DashboardQuery),
    responses((status = 200, body = DashboardDto), (status = 404, body = ErrorBody)))]
pub async fn dashboard(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> Result<Json<DashboardDto>, ApiError> {
    let a = &c.session.actor;
    st.app.get_cycle(a, q.cycle).await.in_lang(c.lang)?;
    let (units, alerts) = st.app.dashboard(a, q.cycle).await.in_lang(c.lang)?;
    Ok(Json(DashboardDto {
        cycle: q.cycle,
        units: units
            .into_iter()
            .map(|u| UnitDashboardDto {
                id: u.id,
                name: u.name,
                parent: u.parent,
                depth: u.depth,
                score: u.score,
                band: u.band.map(|b| b.as_str().to_string()),
                counts: BandCountsDto { red: u.counts.red, yellow: u.counts.yellow, green: u.counts.green },
                red_lights: u.red_lights,
            })
            .collect(),
        red_lights: alerts.into_iter().map(|al| super::alerts::to_dto(al, c.lang)).collect(),
    }))
}
