//! Goal-quality checks on a draft.

use crate::auth::{ApiJson, Caller};
use crate::error::ErrorBody;
use axum::Json;
use serde::{Deserialize, Serialize};
use tandem_domain::lint::{Draft, DraftKeyResult, DraftObjective, Finding, lint};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct DraftDto {
    #[serde(default)]
    pub objectives: Vec<DraftObjectiveDto>,
}

#[derive(Deserialize, ToSchema)]
pub struct DraftObjectiveDto {
    pub title: String,
    /// `committed`, `aspirational` or `learning`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Any value naming the owner; objectives are grouped by it for the five-objective limit.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub owner: Option<serde_json::Value>,
    #[serde(default)]
    pub key_results: Vec<DraftKeyResultDto>,
}

#[derive(Deserialize, ToSchema)]
pub struct DraftKeyResultDto {
    pub title: String,
    #[serde(default)]
    pub baseline: Option<f64>,
    #[serde(default)]
    pub target: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct FindingDto {
    /// Where: `objectives[0]`, `objectives[0].key_results[1]` or `objectives`.
    pub target: String,
    /// `kr_is_activity`, `kr_no_measure`, `objective_is_task`, `too_many_objectives`, `kr_count`, `target_equals_baseline`.
    pub rule: String,
    pub severity: String,
    pub message: String,
    pub suggestion: String,
}

impl From<Finding> for FindingDto {
    fn from(f: Finding) -> Self {
        FindingDto {
            target: f.target,
            rule: f.rule.into(),
            severity: f.severity.into(),
            message: f.message,
            suggestion: f.suggestion,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LintResponse {
    pub findings: Vec<FindingDto>,
}

/// Check a draft's objectives and key results for the usual traps (activities instead of
/// outcomes, no measure, tasks as objectives, too many objectives, too few or many KRs, a
/// target equal to its baseline). Messages follow Accept-Language.
#[utoipa::path(post, path = "/api/v1/lint", tag = "goals", request_body = DraftDto,
    responses((status = 200, body = LintResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn lint_draft(c: Caller, ApiJson(req): ApiJson<DraftDto>) -> Json<LintResponse> {
    let draft = Draft {
        objectives: req
            .objectives
            .into_iter()
            .map(|o| DraftObjective {
                title: o.title,
                kind: o.kind,
                owner: o.owner,
                key_results: o
                    .key_results
                    .into_iter()
                    .map(|k| DraftKeyResult { title: k.title, baseline: k.baseline, target: k.target })
                    .collect(),
            })
            .collect(),
    };
    let findings = lint(&draft, c.lang).into_iter().map(Into::into).collect();
    Json(LintResponse { findings })
}
