//! The company dashboard by org unit.

use crate::AppState;
use crate::api::tracking::alerts::AlertDto;
use crate::auth::{ApiPath, ApiQuery, Caller};
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
        red_lights: alerts.into_iter().map(|al| crate::api::tracking::alerts::to_dto(al, c.lang)).collect(),
    }))
}

/// Fields that do not apply to a node's kind are left out.
#[derive(Serialize, ToSchema)]
pub struct TreeNodeDto {
    /// `objective` or `key_result`.
    pub kind: &'static str,
    pub id: i64,
    /// An objective's parent objective (absent at the top); a key result's objective.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<i64>,
    pub title: String,
    /// An objective's owner.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub owner_name: String,
    /// An objective's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// A key result's value and target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    pub score: f64,
    /// An objective's roll-up with everything aligned below it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollup: Option<f64>,
    /// `red`, `yellow` or `green`: of the roll-up (objective) or the score (key result).
    pub band: &'static str,
}

/// Rendered trees by (tenant, unit, cycle), each with the shared answer it was rendered from.
pub type RenderedTrees = std::collections::HashMap<
    (i64, i64, i64),
    (std::sync::Arc<Vec<tandem_app::tracking::dashboard::TreeNode>>, axum::body::Bytes),
>;

#[derive(Serialize, ToSchema)]
pub struct UnitTreeDto {
    pub unit: i64,
    pub cycle: i64,
    pub nodes: Vec<TreeNodeDto>,
}

/// A unit's tree with scores and bands, for dashboards: the objectives of the unit, the units
/// below it and their people (those you may see), each followed by its key results.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/tree", tag = "dashboard", params(("id" = i64, Path), DashboardQuery),
    responses((status = 200, body = UnitTreeDto), (status = 404, body = ErrorBody)))]
pub async fn unit_tree(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DashboardQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let nodes = st.app.unit_tree(&c.session.actor, id, q.cycle).await.in_lang(c.lang)?;
    // The app hands every caller the same `Arc` while a tree is shared and unchanged: its JSON
    // is rendered once and sent again as it is.
    let key = (c.session.actor.tenant.0, id, q.cycle);
    let kept = st
        .rendered_trees
        .lock()
        .ok()
        .and_then(|r| r.get(&key).filter(|(n, _)| std::sync::Arc::ptr_eq(n, &nodes)).map(|(_, b)| b.clone()));
    let body = match kept {
        Some(b) => b,
        None => {
            let dto = UnitTreeDto {
                unit: id,
                cycle: q.cycle,
                nodes: nodes
                    .iter()
                    .map(|n| TreeNodeDto {
                        kind: n.kind,
                        id: n.id,
                        parent: n.parent,
                        title: n.title.clone(),
                        owner_name: n.owner_name.clone(),
                        status: n.status.clone(),
                        current: n.current,
                        target: n.target,
                        score: n.score,
                        rollup: n.rollup,
                        band: n.band.as_str(),
                    })
                    .collect(),
            };
            let json = serde_json::to_vec(&dto).map_err(|e| tandem_app::AppError::Internal(e.to_string()));
            let b = axum::body::Bytes::from(json.in_lang(c.lang)?);
            if std::sync::Arc::strong_count(&nodes) > 1
                && let Ok(mut r) = st.rendered_trees.lock()
            {
                if r.len() >= 256 {
                    r.clear();
                }
                r.insert(key, (nodes, b.clone()));
            }
            b
        }
    };
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}
