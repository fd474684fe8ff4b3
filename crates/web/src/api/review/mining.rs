//! Retro mining: cause types over cycles, recurring types, teams named across units.

use crate::AppState;
use crate::auth::{ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tandem_app::review::mining::{Mining, QuoteView};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
pub struct MiningQuery {
    /// The cycle: its kind's last four finished cycles up to it are mined.
    pub cycle: i64,
    /// A unit and the units below it (the whole company without one).
    pub unit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct QuoteDto {
    pub objective: i64,
    pub objective_title: String,
    pub unit_name: String,
    pub cycle_name: String,
    pub text: String,
}

impl From<QuoteView> for QuoteDto {
    fn from(q: QuoteView) -> Self {
        QuoteDto {
            objective: q.objective,
            objective_title: q.objective_title,
            unit_name: q.unit_name,
            cycle_name: q.cycle_name,
            text: q.text,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TypeCountsDto {
    /// A cause type.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// Its count in each cycle, oldest first.
    pub counts: Vec<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct RecurringDto {
    pub unit: i64,
    pub unit_name: String,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// The cycles it came up in.
    pub cycles: Vec<String>,
    pub quotes: Vec<QuoteDto>,
}

#[derive(Serialize, ToSchema)]
pub struct NamedDto {
    pub team: i64,
    pub team_name: String,
    /// The other units whose causes name it.
    pub by_units: Vec<String>,
    pub quotes: Vec<QuoteDto>,
}

#[derive(Serialize, ToSchema)]
pub struct FactorDto {
    /// The theme, as a cause type (`capability`: skills and training, `data`: working from data, …).
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// How many "worked" sentences of well-scored objectives (final score ≥ 0.7) say it.
    pub count: usize,
    pub units: Vec<String>,
    pub quotes: Vec<QuoteDto>,
}

#[derive(Serialize, ToSchema)]
pub struct MiningDto {
    /// The cycles mined, oldest first.
    pub cycles: Vec<String>,
    pub types: Vec<TypeCountsDto>,
    /// A cause type a unit named in two of its last three retro cycles.
    pub recurring: Vec<RecurringDto>,
    /// A team named in the causes of two or more other units.
    pub named: Vec<NamedDto>,
    /// Success factors: what the retros of well-scored objectives say worked, by theme, most
    /// often said first (a theme said once is none).
    pub success_factors: Vec<FactorDto>,
}

impl From<Mining> for MiningDto {
    fn from(m: Mining) -> Self {
        MiningDto {
            cycles: m.cycles,
            types: m.counts.into_iter().map(|(k, counts)| TypeCountsDto { kind: k.as_str().into(), counts }).collect(),
            recurring: m
                .recurring
                .into_iter()
                .map(|r| RecurringDto {
                    unit: r.unit,
                    unit_name: r.unit_name,
                    kind: r.kind.as_str().into(),
                    cycles: r.cycles,
                    quotes: r.quotes.into_iter().map(Into::into).collect(),
                })
                .collect(),
            named: m
                .named
                .into_iter()
                .map(|n| NamedDto {
                    team: n.team,
                    team_name: n.team_name,
                    by_units: n.by_units,
                    quotes: n.quotes.into_iter().map(Into::into).collect(),
                })
                .collect(),
            success_factors: m
                .success
                .into_iter()
                .map(|f| FactorDto {
                    kind: f.theme.as_str().into(),
                    count: f.count,
                    units: f.unit_names,
                    quotes: f.quotes.into_iter().map(Into::into).collect(),
                })
                .collect(),
        }
    }
}

/// What the retros say together, over the last four finished cycles of `cycle`'s kind up to it:
/// cause types counted per cycle, types a unit keeps naming, teams several units name, and what
/// the well-scored objectives' retros say worked — each with the sentences it rests on.
#[utoipa::path(get, path = "/api/v1/retros/mining", tag = "review", params(MiningQuery),
    responses((status = 200, body = MiningDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn mining(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<MiningQuery>,
) -> Result<Json<MiningDto>, ApiError> {
    Ok(Json(st.app.retro_mining(&c.session.actor, q.cycle, q.unit).await.in_lang(c.lang)?.into()))
}
