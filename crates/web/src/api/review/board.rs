//! The review of a unit's cycle: every objective's computed, self and final score and where its
//! retro stands, and who still owes a retro or an acknowledgement.

use crate::AppState;
use crate::auth::{ApiPath, ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tandem_app::review::board::{Board, BoardRow, Owed, RetroState, home_unit};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct BoardQuery {
    /// The unit (with the units below it); without one, the caller's own unit.
    pub unit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct BoardRowDto {
    pub objective: i64,
    pub title: String,
    /// `committed` or `aspirational`.
    pub kind: String,
    pub owner_name: String,
    /// The rule's score of the frozen values.
    pub computed: Option<f64>,
    /// The mean of the owner's self scores.
    pub self_score: Option<f64>,
    /// The score that counts, with the manager's final scores where set.
    pub final_score: Option<f64>,
    /// `missing`, `written` or `acknowledged`.
    pub retro: String,
    pub causes: usize,
    pub lessons: usize,
}

#[derive(Serialize, ToSchema)]
pub struct OwedDto {
    pub person: i64,
    pub name: String,
    pub count: usize,
}

#[derive(Serialize, ToSchema)]
pub struct BoardDto {
    pub cycle: i64,
    pub cycle_state: String,
    pub unit: i64,
    pub unit_name: String,
    pub objectives: Vec<BoardRowDto>,
    /// Owners (a unit's manager for its objectives) whose retros are not written.
    pub to_write: Vec<OwedDto>,
    /// Managers with written retros to acknowledge.
    pub to_acknowledge: Vec<OwedDto>,
}

fn owed(o: Owed) -> OwedDto {
    OwedDto { person: o.person, name: o.name, count: o.count }
}

fn row(r: BoardRow) -> BoardRowDto {
    let retro = match r.retro {
        RetroState::Missing => "missing",
        RetroState::Written => "written",
        RetroState::Acknowledged => "acknowledged",
    };
    BoardRowDto {
        objective: r.objective,
        title: r.title,
        kind: r.kind,
        owner_name: r.owner_name,
        computed: r.computed,
        self_score: r.self_score,
        final_score: r.final_score,
        retro: retro.into(),
        causes: r.causes,
        lessons: r.lessons,
    }
}

impl From<Board> for BoardDto {
    fn from(b: Board) -> Self {
        BoardDto {
            cycle: b.cycle,
            cycle_state: b.cycle_state,
            unit: b.unit,
            unit_name: b.unit_name,
            objectives: b.rows.into_iter().map(row).collect(),
            to_write: b.to_write.into_iter().map(owed).collect(),
            to_acknowledge: b.to_acknowledge.into_iter().map(owed).collect(),
        }
    }
}

/// The review of a unit (and the units below it) in this cycle: the objectives the caller may
/// see, each with its computed, self and final score and its retro's state, and who still owes
/// what. The same as the review page.
#[utoipa::path(get, path = "/api/v1/cycles/{id}/review", tag = "review", params(("id" = i64, Path), BoardQuery),
    responses((status = 200, body = BoardDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn review_board(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Json<BoardDto>, ApiError> {
    let a = &c.session.actor;
    let unit = match q.unit {
        Some(u) => u,
        None => {
            let org = st.app.org_snapshot(a.tenant.0).await.in_lang(c.lang)?;
            home_unit(&org, a.person.0).ok_or(tandem_app::AppError::NotFound).in_lang(c.lang)?
        }
    };
    Ok(Json(st.app.review_board(a, id, unit).await.in_lang(c.lang)?.into()))
}
