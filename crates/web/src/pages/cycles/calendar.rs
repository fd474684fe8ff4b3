//! The cycles page: the list with its pace bars, HR's form and the state buttons.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::{Frame, OkQuery, csrf_refusal, opt_id, render, user_error_page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_app::AppError;
use tandem_app::cycles::calendar::{CyclePatch, NewCycle};
use tandem_domain::cycle::{CycleState, PeriodKind};
use tandem_domain::policy;

pub struct CycleRowView {
    pub id: i64,
    pub name: String,
    pub parent_name: Option<String>,
    pub kind_label: &'static str,
    pub start: String,
    pub end: String,
    pub elapsed_pct: u32,
    pub state: String,
    pub state_label: &'static str,
    /// The states it may move to: (code, label).
    pub next: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize, Default)]
pub struct CycleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    parent: String,
}

#[derive(Template)]
#[template(path = "cycles/calendar.html")]
struct CyclesPage {
    f: Frame,
    cycles: Vec<CycleRowView>,
    kinds: Vec<(&'static str, &'static str)>,
    form: CycleForm,
}

fn kind_label(t: crate::i18n::Tr, k: &str) -> &'static str {
    match k {
        "year" => t.s("kind_year"),
        "half" => t.s("kind_half"),
        "quarter" => t.s("kind_quarter"),
        "month" => t.s("kind_month"),
        _ => t.s("kind_week"),
    }
}

async fn cycles_page(
    st: &AppState,
    u: &PageUser,
    form: CycleForm,
    error: Option<String>,
    ok: Option<&str>,
) -> Response {
    let cycles = match st.app.list_cycles(&u.session.actor).await {
        Ok(c) => c,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "cycles", "cycles_title", "/cycles").with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let all = [CycleState::Planning, CycleState::Active, CycleState::Reviewing, CycleState::Closed];
    let rows = cycles
        .iter()
        .map(|c| {
            let state = CycleState::parse("state", &c.state).unwrap_or(CycleState::Planning);
            CycleRowView {
                id: c.id,
                name: c.name.clone(),
                parent_name: c.parent.and_then(|p| cycles.iter().find(|x| x.id == p)).map(|p| p.name.clone()),
                kind_label: kind_label(t, &c.kind),
                start: c.start.clone(),
                end: c.end.clone(),
                elapsed_pct: (c.elapsed * 100.0).round() as u32,
                state: c.state.clone(),
                state_label: state.label(t.0),
                next: all
                    .iter()
                    .filter(|s| **s != state && state.can_move_to(**s))
                    .map(|s| (s.as_str(), s.label(t.0)))
                    .collect(),
            }
        })
        .collect();
    let kinds = PeriodKind::ALL.iter().map(|k| (*k, kind_label(t, k))).collect();
    let form = CycleForm { kind: if form.kind.is_empty() { "quarter".into() } else { form.kind }, ..form };
    render(status, CyclesPage { f, cycles: rows, kinds, form })
}

pub async fn page(State(st): State<AppState>, u: PageUser, Query(q): Query<OkQuery>) -> Response {
    cycles_page(&st, &u, CycleForm::default(), None, q.ok.as_deref()).await
}

pub async fn create(State(st): State<AppState>, u: PageUser, Form(form): Form<CycleForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let result = async {
        let cap = policy::manage_cycles(a).ok_or(AppError::Forbidden)?;
        let new = NewCycle {
            name: form.name.clone(),
            kind: form.kind.clone(),
            start: form.start.clone(),
            end: form.end.clone(),
            parent: opt_id(&form.parent)?,
        };
        st.app.create_cycle(cap, a, new).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/cycles?ok=created").into_response(),
        Err(e) => cycles_page(&st, &u, form, Some(e.message(u.lang)), None).await,
    }
}

#[derive(Deserialize)]
pub struct StateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
}

pub async fn change_state(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<StateForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let result = async {
        st.app.get_cycle(a, id).await?;
        let cap = policy::manage_cycles(a).ok_or(AppError::Forbidden)?;
        st.app.update_cycle(cap, a, id, CyclePatch { state: Some(form.state.clone()), ..Default::default() }).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/cycles?ok=saved").into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => cycles_page(&st, &u, CycleForm::default(), Some(e.message(u.lang)), None).await,
    }
}
