//! The spreadsheet uploads: KPI period values (`/kpis/import`) and OKRs into a cycle
//! (`/goals/import`). A CSV or Excel file is checked and shown first, then written whole on
//! confirmation; a refused file lists each bad row. One page serves both.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::{Frame, csrf_refusal, render, user_error_page};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tandem_app::AppError;

/// What was found in a checked file: a line of counts, and the first rows.
pub struct Preview {
    pub summary: String,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "exchange/imports.html")]
struct ImportPage {
    f: Frame,
    back: (&'static str, &'static str),
    help: &'static str,
    action: &'static str,
    sample: &'static str,
    /// Cycles to import OKRs into (empty for KPI values), and the one chosen.
    cycles: Vec<(i64, String)>,
    cycle: i64,
    /// Refused rows: (line, column, reason).
    errors: Vec<(usize, String, String)>,
    preview: Option<Preview>,
    content_hex: String,
    name: String,
}

#[derive(Clone, Copy)]
enum Kind {
    KpiValues,
    Okrs,
}

async fn page(st: &AppState, u: &PageUser, kind: Kind) -> ImportPage {
    let (nav, title, back, help, action, sample) = match kind {
        Kind::KpiValues => (
            "kpis",
            "kpi_import_title",
            ("/kpis", "nav_kpis"),
            "kpi_import_help",
            "/kpis/import",
            "/kpis/import/sample.csv",
        ),
        Kind::Okrs => (
            "goals",
            "okr_import_title",
            ("/goals", "nav_goals"),
            "okr_import_help",
            "/goals/import",
            "/goals/import/sample.csv",
        ),
    };
    let f = Frame::for_user(u, nav, title, action);
    let cycles = match kind {
        Kind::Okrs => st
            .app
            .list_cycles(&u.session.actor)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.state != "closed")
            .map(|c| (c.id, c.name))
            .collect(),
        Kind::KpiValues => vec![],
    };
    let cycle = cycles.first().map(|c: &(i64, String)| c.0).unwrap_or(0);
    ImportPage {
        f,
        back,
        help,
        action,
        sample,
        cycles,
        cycle,
        errors: vec![],
        preview: None,
        content_hex: String::new(),
        name: String::new(),
    }
}

pub async fn kpi_form(State(st): State<AppState>, u: PageUser) -> Response {
    render(StatusCode::OK, page(&st, &u, Kind::KpiValues).await)
}

#[derive(serde::Deserialize, Default)]
pub struct CycleQuery {
    cycle: Option<i64>,
}

pub async fn okr_form(
    State(st): State<AppState>,
    u: PageUser,
    axum::extract::Query(q): axum::extract::Query<CycleQuery>,
) -> Response {
    let mut body = page(&st, &u, Kind::Okrs).await;
    if let Some(c) = q.cycle.filter(|c| body.cycles.iter().any(|x| x.0 == *c)) {
        body.cycle = c;
    }
    render(StatusCode::OK, body)
}

pub async fn kpi_upload(State(st): State<AppState>, u: PageUser, mp: axum::extract::Multipart) -> Response {
    upload(st, u, mp, Kind::KpiValues).await
}

pub async fn okr_upload(State(st): State<AppState>, u: PageUser, mp: axum::extract::Multipart) -> Response {
    upload(st, u, mp, Kind::Okrs).await
}

async fn upload(st: AppState, u: PageUser, mp: axum::extract::Multipart, kind: Kind) -> Response {
    let Some(up) = crate::pages::read_upload(mp).await else {
        return user_error_page(
            &u,
            &AppError::Invalid(tandem_domain::Invalid::new("file", tandem_domain::Rule::Required)),
        );
    };
    if let Some(r) = csrf_refusal(&u, &up.csrf) {
        return r;
    }
    let t = crate::i18n::Tr(u.lang);
    let mut body = page(&st, &u, kind).await;
    if let Some(c) = up.fields.get("cycle").and_then(|c| c.parse::<i64>().ok()) {
        body.cycle = c;
    }
    if up.bytes.is_empty() {
        let e = AppError::Invalid(tandem_domain::Invalid::new("file", tandem_domain::Rule::Required));
        body.f.error = Some(e.message(u.lang));
        return render(StatusCode::UNPROCESSABLE_ENTITY, body);
    }
    let a = &u.session.actor;
    let outcome = match kind {
        Kind::KpiValues => st.app.import_kpi_values(a, &up.name, &up.bytes, !up.confirm, u.lang).await.map(|r| {
            let summary = format!("{} {} · {} {}", t.s("import_checked"), r.rows, t.s("rows_changing"), r.changed);
            let rows = r.first.into_iter().map(|(k, o, p, v)| vec![k, o, p, crate::pages::shared::num(v)]).collect();
            Preview { summary, headers: vec!["kpi_name_col", "owner", "period", "chart_value"], rows }
        }),
        Kind::Okrs => st.app.import_okr_sheet(a, body.cycle, &up.bytes, !up.confirm, u.lang).await.map(|s| Preview {
            summary: format!(
                "{} {} · {} {}",
                t.s("objectives_count"),
                s.objectives,
                t.s("key_results_count"),
                s.key_results
            ),
            headers: vec![],
            rows: vec![],
        }),
    };
    match outcome {
        Ok(_) if up.confirm => {
            let to = match kind {
                Kind::KpiValues => "/kpis?ok=imported".to_string(),
                Kind::Okrs => format!("/goals?cycle={}&ok=imported", body.cycle),
            };
            Redirect::to(&to).into_response()
        }
        Ok(p) => {
            body.preview = Some(p);
            body.content_hex = hex::encode(&up.bytes);
            body.name = up.name;
            render(StatusCode::OK, body)
        }
        Err(AppError::ImportRejected(rows)) => {
            body.errors = rows.into_iter().map(|r| (r.row, r.column, r.reason)).collect();
            render(StatusCode::UNPROCESSABLE_ENTITY, body)
        }
        Err(e) => {
            body.f.error = Some(e.message(u.lang));
            render(StatusCode::UNPROCESSABLE_ENTITY, body)
        }
    }
}

/// A sample file of KPI values to fill in.
pub async fn kpi_sample(_u: PageUser) -> Response {
    csv_file(
        "kpi-values-sample.csv",
        "\u{feff}kpi,owner,period,value\n收银差错率,秦月,2026-11,0.12\n单店月营业额,王磊,2026-11,51.5\n",
    )
}

/// A sample sheet of OKRs to fill in.
pub async fn okr_sample(_u: PageUser) -> Response {
    csv_file(
        "okrs-sample.csv",
        "\u{feff}目标,负责人,类型,上级目标,关键结果,度量方式,基线,目标值,单位,权重\n\
         提升会员复购,li.na@demo.example,挑战型,,会员月复购率从25%提升至35%,提升,25,35,%,1\n\
         ,,,,会员小程序月活从8000提升至12000,提升,8000,12000,人,1\n",
    )
}

fn csv_file(name: &str, body: &'static str) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}
