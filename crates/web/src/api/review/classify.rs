//! Cause types suggested for retro sentences.

use crate::auth::{ApiJson, Caller};
use crate::error::{ApiError, ErrorBody};
use axum::Json;
use serde::{Deserialize, Serialize};
use tandem_domain::classify::Classifier;
use tandem_domain::{Invalid, Rule};
use utoipa::ToSchema;

/// Most sentences one request classifies, and the longest one.
const MAX_TEXTS: usize = 100;
const MAX_CHARS: usize = 2000;

#[derive(Deserialize, ToSchema)]
pub struct ClassifyRequest {
    /// Cause sentences, in Chinese or English (at most 100, each at most 2,000 characters).
    pub texts: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ClassifiedDto {
    /// `resources`, `process`, `capability`, `dependency`, `market`, `target`, `execution` or `data`.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// `subjective` (主观, within the team's control) or `objective` (客观).
    pub cause: String,
    /// The model's probability of the type, 0–1.
    pub confidence: f64,
    /// The words that decided it, most telling first.
    pub because: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ClassifyResponse {
    /// One per text, in order.
    pub items: Vec<ClassifiedDto>,
}

/// Suggests a cause type and 主观/客观 for each sentence, with the words that decided it: an
/// offline model (naive Bayes over words and a cue lexicon) trained on the shipped corpus. A
/// suggestion for a person to confirm or change, never a verdict.
#[utoipa::path(post, path = "/api/v1/retros/classify", tag = "review", request_body = ClassifyRequest,
    responses((status = 200, body = ClassifyResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn classify(c: Caller, ApiJson(req): ApiJson<ClassifyRequest>) -> Result<Json<ClassifyResponse>, ApiError> {
    let refused = |e: Invalid| ApiError { err: e.into(), lang: c.lang };
    if req.texts.len() > MAX_TEXTS {
        return Err(refused(Invalid::new("texts", Rule::TooMany { max: MAX_TEXTS })));
    }
    if let Some(i) = req.texts.iter().position(|t| t.chars().count() > MAX_CHARS) {
        return Err(refused(Invalid::new(format!("texts[{i}]"), Rule::TooLong { max: MAX_CHARS })));
    }
    let model = Classifier::shipped();
    let items = req
        .texts
        .iter()
        .map(|t| {
            let v = model.classify(t);
            ClassifiedDto {
                kind: v.kind.as_str().into(),
                cause: v.locus.as_str().into(),
                confidence: (v.confidence * 1000.0).round() / 1000.0,
                because: v.because,
            }
        })
        .collect();
    Ok(Json(ClassifyResponse { items }))
}
