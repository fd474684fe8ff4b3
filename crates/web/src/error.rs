//! The one place where failures become HTTP answers: a status, a stable code, and a message in
//! the caller's language. The cause of an internal error is logged, never sent.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tandem_app::{AppError, RowError};
use tandem_domain::Lang;

#[derive(Debug)]
pub struct ApiError {
    pub err: AppError,
    pub lang: Lang,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code.
    pub code: String,
    /// Human message in the caller's language (Accept-Language: zh or en).
    pub message: String,
    /// For input errors: the offending field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For rejected imports: every bad row.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub rows: Option<Vec<RowError>>,
    /// For a sign-in right in several companies: the ones to choose from (send one's `slug` as
    /// `tenant`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenants: Option<Vec<TenantChoiceDto>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TenantChoiceDto {
    pub slug: String,
    pub name: String,
}

pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        // The period holds another value: a clash with what is recorded, not bad input.
        AppError::Invalid(i) if matches!(i.rule, tandem_domain::Rule::AlreadyRecorded { .. }) => StatusCode::CONFLICT,
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Forbidden | AppError::Refused(_) | AppError::TokenScope => StatusCode::FORBIDDEN,
        AppError::Unauthenticated | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        // A batch key sent again with other points is a bad request, not a clash of states.
        AppError::Conflict("idempotency_key_reused") => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) | AppError::ChooseTenant(_) => StatusCode::CONFLICT,
        AppError::ImportRejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn body_of(e: &AppError, lang: Lang) -> ErrorBody {
    ErrorBody {
        error: ErrorDetail {
            code: e.code().to_string(),
            message: e.message(lang),
            field: match e {
                AppError::Invalid(i) => Some(i.field.clone()),
                _ => None,
            },
            rows: match e {
                AppError::ImportRejected(r) => Some(r.clone()),
                _ => None,
            },
            tenants: match e {
                AppError::ChooseTenant(c) => {
                    Some(c.iter().map(|t| TenantChoiceDto { slug: t.slug.clone(), name: t.name.clone() }).collect())
                }
                _ => None,
            },
        },
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self.err {
            tracing::error!(%cause, "internal error");
        }
        let status = status_of(&self.err);
        let mut resp = (status, Json(body_of(&self.err, self.lang))).into_response();
        if let AppError::RateLimited { retry_after_s } = self.err
            && let Ok(v) = retry_after_s.to_string().parse()
        {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        resp
    }
}

/// A request body that failed to parse as JSON of the expected shape.
pub fn json_rejection(rej: JsonRejection, lang: Lang) -> Response {
    let (code, zh, en) = match &rej {
        JsonRejection::MissingJsonContentType(_) => (
            "unsupported_media_type",
            "请求需要 Content-Type: application/json",
            "Expected Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(_) => {
            ("bad_json", "请求体不是合法的 JSON", "The request body is not valid JSON")
        }
        JsonRejection::JsonDataError(_) => {
            ("bad_request", "请求体字段不符合要求", "The request body has missing or mistyped fields")
        }
        _ => ("bad_request", "无法读取请求体", "Cannot read the request body"),
    };
    let detail = rej.body_text();
    let message = format!("{}{}{detail}", lang.pick(zh, en), lang.pick("：", ": "));
    let status =
        if code == "unsupported_media_type" { StatusCode::UNSUPPORTED_MEDIA_TYPE } else { StatusCode::BAD_REQUEST };
    (
        status,
        Json(ErrorBody { error: ErrorDetail { code: code.into(), message, field: None, rows: None, tenants: None } }),
    )
        .into_response()
}

/// Attaches the caller's language to a use-case result.
pub trait InLang<T> {
    fn in_lang(self, lang: Lang) -> Result<T, ApiError>;
}

impl<T> InLang<T> for Result<T, AppError> {
    fn in_lang(self, lang: Lang) -> Result<T, ApiError> {
        self.map_err(|err| ApiError { err, lang })
    }
}

/// A malformed path or query parameter, in the API's error shape.
pub fn bad_param(detail: String, lang: Lang) -> Response {
    bad_request(format!("{}{}{detail}", lang.pick("请求参数不正确", "Bad request parameter"), lang.pick("：", ": ")))
}

/// A request body that is not what the endpoint takes (400 `bad_request`, `message` as given).
pub fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(ErrorBody {
            error: ErrorDetail { code: "bad_request".into(), message, field: None, rows: None, tenants: None },
        }),
    )
        .into_response()
}
