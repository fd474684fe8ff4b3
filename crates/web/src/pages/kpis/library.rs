//! HR's KPI library: templates per job family.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::kpis::{period_label, thresholds_text};
use crate::pages::shared::parse_num;
use crate::pages::{Frame, OkQuery, csrf_refusal, render, user_error_page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_app::AppError;

pub struct TemplateLine {
    pub id: i64,
    pub job_family: String,
    pub name: String,
    pub period: &'static str,
    pub thresholds: String,
}

#[derive(Template)]
#[template(path = "kpis/library.html")]
struct LibraryPage {
    f: Frame,
    templates: Vec<TemplateLine>,
    /// The new template's form: empty, or as typed when it was refused.
    form: TemplateForm,
}

async fn library_page(st: &AppState, u: &PageUser, error: Option<String>, ok: Option<&str>) -> Response {
    library_page_with(st, u, error, ok, TemplateForm::default()).await
}

async fn library_page_with(
    st: &AppState,
    u: &PageUser,
    error: Option<String>,
    ok: Option<&str>,
    form: TemplateForm,
) -> Response {
    let templates = match st.app.list_templates(&u.session.actor).await {
        Ok(t) => t,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "kpis", "kpi_library", "/kpis/library").with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let templates = templates
        .into_iter()
        .map(|x| {
            let th = thresholds_text(t, &x.direction, x.pass, x.warn, &x.unit);
            TemplateLine {
                id: x.id,
                job_family: x.job_family,
                name: x.name,
                period: period_label(t, &x.granularity),
                thresholds: th,
            }
        })
        .collect();
    render(status, LibraryPage { f, templates, form })
}

pub async fn library(State(st): State<AppState>, u: PageUser, Query(q): Query<OkQuery>) -> Response {
    library_page(&st, &u, None, q.ok.as_deref()).await
}

#[derive(Deserialize, Default)]
pub struct TemplateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub job_family: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub direction: String,
    #[serde(default)]
    pub pass: String,
    #[serde(default)]
    pub warn: String,
    #[serde(default)]
    pub unit: String,
}

pub async fn add_template(State(st): State<AppState>, u: PageUser, Form(form): Form<TemplateForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let result = async {
        let cap = tandem_domain::policy::manage_kpi_library(a).ok_or(AppError::Forbidden)?;
        let new = tandem_app::kpis::library::NewTemplate {
            job_family: form.job_family.clone(),
            name: form.name.clone(),
            granularity: "month".into(),
            direction: form.direction.clone(),
            pass: parse_num("pass", &form.pass, None)?,
            warn: if form.warn.trim().is_empty() { None } else { Some(parse_num("warn", &form.warn, None)?) },
            unit: form.unit.clone(),
            weight: None,
        };
        st.app.create_template(cap, a, new).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/kpis/library?ok=created").into_response(),
        Err(e) => {
            let fields = [
                ("job_family", "job_family"),
                ("name", "kpi_name"),
                ("direction", "direction"),
                ("pass", "pass"),
                ("warn", "warn"),
                ("unit", "unit_ph"),
            ];
            let message = crate::pages::shared::labelled_message(&e, crate::i18n::Tr(u.lang), &fields);
            library_page_with(&st, &u, Some(message), None, form).await
        }
    }
}

pub async fn remove_template(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<crate::pages::CsrfForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let Some(cap) = tandem_domain::policy::manage_kpi_library(a) else {
        return user_error_page(&u, &AppError::Forbidden);
    };
    match st.app.delete_template(cap, a, id).await {
        Ok(()) => Redirect::to("/kpis/library?ok=saved").into_response(),
        Err(e) => library_page(&st, &u, Some(e.message(u.lang)), None).await,
    }
}
