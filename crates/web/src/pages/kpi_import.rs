//! The KPI data upload: a CSV or Excel file of period values is checked and shown first, then
//! written whole on confirmation; a refused file lists each bad row.

use super::{Frame, csrf_refusal, render, user_error_page};
use crate::AppState;
use crate::auth::PageUser;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tandem_app::AppError;

type PreviewRow = (String, String, String, String);

#[derive(Template)]
#[template(path = "kpi_import.html")]
struct KpiImportPage {
    f: Frame,
    /// Refused rows: (line, column, reason).
    errors: Vec<(usize, String, String)>,
    /// A checked file: rows, rows that change, the first rows (KPI, owner, period, value).
    preview: Option<(usize, usize, Vec<PreviewRow>)>,
    content_hex: String,
    name: String,
}

fn page(status: StatusCode, error: Option<String>, mut body: KpiImportPage) -> Response {
    body.f.error = error;
    render(status, body)
}

fn empty(u: &PageUser) -> KpiImportPage {
    KpiImportPage {
        f: Frame::for_user(u, "kpis", "kpi_import_title", "/kpis/import"),
        errors: vec![],
        preview: None,
        content_hex: String::new(),
        name: String::new(),
    }
}

pub async fn form(u: PageUser) -> Response {
    page(StatusCode::OK, None, empty(&u))
}

pub async fn upload(State(st): State<AppState>, u: PageUser, mp: axum::extract::Multipart) -> Response {
    let Some(up) = super::read_upload(mp).await else {
        return user_error_page(
            &u,
            &AppError::Invalid(tandem_domain::Invalid::new("file", tandem_domain::Rule::Required)),
        );
    };
    if let Some(r) = csrf_refusal(&u, &up.csrf) {
        return r;
    }
    if up.bytes.is_empty() {
        let e = AppError::Invalid(tandem_domain::Invalid::new("file", tandem_domain::Rule::Required));
        return page(StatusCode::UNPROCESSABLE_ENTITY, Some(e.message(u.lang)), empty(&u));
    }
    match st.app.import_kpi_values(&u.session.actor, &up.name, &up.bytes, !up.confirm, u.lang).await {
        Ok(r) if !r.dry_run => Redirect::to("/kpis?ok=imported").into_response(),
        Ok(r) => {
            let first = r.first.into_iter().map(|(k, o, p, v)| (k, o, p, super::goals::num(v))).collect();
            let mut body = empty(&u);
            body.preview = Some((r.rows, r.changed, first));
            body.content_hex = hex::encode(&up.bytes);
            body.name = up.name;
            page(StatusCode::OK, None, body)
        }
        Err(AppError::ImportRejected(rows)) => {
            let mut body = empty(&u);
            body.errors = rows.into_iter().map(|r| (r.row, r.column, r.reason)).collect();
            page(StatusCode::UNPROCESSABLE_ENTITY, None, body)
        }
        Err(e) => page(StatusCode::UNPROCESSABLE_ENTITY, Some(e.message(u.lang)), empty(&u)),
    }
}

/// A sample file to fill in.
pub async fn sample(_u: PageUser) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"kpi-values-sample.csv\""),
        ],
        "\u{feff}kpi,owner,period,value\n收银差错率,秦月,2026-11,0.12\n单店月营业额,王磊,2026-11,51.5\n",
    )
        .into_response()
}
