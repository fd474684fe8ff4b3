//! KPI change requests: asked by the owner or manager, decided by HR with a reason.

use crate::AppState;
use crate::auth::PageUser;
use crate::i18n::Tr;
use crate::pages::kpis::board::{BoardFilter, Retry, kpi_board_page};
use crate::pages::shared::{labelled_message, num, parse_num};
use crate::pages::{Frame, OkQuery, csrf_refusal, render, user_error_page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_app::AppError;

pub struct RequestLine {
    pub id: i64,
    pub kpi_name: String,
    pub owner_name: String,
    pub requested_by_name: String,
    pub summary: String,
    pub reason: String,
    pub status: String,
    pub status_label: &'static str,
    pub decision_note: String,
}

#[derive(Template)]
#[template(path = "kpis/requests.html")]
struct RequestsPage {
    f: Frame,
    requests: Vec<RequestLine>,
    /// A decision refused: the request it was for and the note as typed.
    retry_id: i64,
    retry_note: String,
}

async fn requests_page(
    st: &AppState,
    u: &PageUser,
    error: Option<String>,
    ok: Option<&str>,
    retry: Option<(i64, String)>,
) -> Response {
    let requests = match st.app.list_kpi_changes(&u.session.actor, None).await {
        Ok(r) => r,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "kpis", "change_requests", "/kpis/requests").with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let requests = requests
        .into_iter()
        .map(|r| {
            let b = &r.before;
            let mut parts = vec![];
            let show = |v: &serde_json::Value| v.as_f64().map(num).unwrap_or_else(|| "—".into());
            if let Some(x) = r.changes.target {
                parts.push(format!("{} {} → {}", t.s("target"), show(&b["target"]), num(x)));
            }
            if let Some(x) = r.changes.pass {
                parts.push(format!("{} {} → {}", t.s("pass"), show(&b["pass"]), num(x)));
            }
            if let Some(x) = r.changes.warn {
                parts.push(format!(
                    "{} {} → {}",
                    t.s("warn"),
                    show(&b["warn"]),
                    x.map(num).unwrap_or_else(|| "—".into())
                ));
            }
            if let Some(x) = &r.changes.name {
                parts.push(format!("{} → {x}", t.s("kpi_name")));
            }
            if let Some(x) = r.changes.weight {
                parts.push(format!("weight {} → {}", show(&b["weight"]), num(x)));
            }
            RequestLine {
                id: r.id,
                kpi_name: r.kpi_name,
                owner_name: r.owner_name,
                requested_by_name: r.requested_by_name,
                summary: parts.join("；"),
                reason: r.reason,
                status_label: match r.status.as_str() {
                    "approved" => t.s("approved"),
                    "rejected" => t.s("rejected"),
                    _ => t.s("pending"),
                },
                status: r.status,
                decision_note: r.decision_note,
            }
        })
        .collect();
    let (retry_id, retry_note) = retry.unwrap_or_default();
    render(status, RequestsPage { f, requests, retry_id, retry_note })
}

pub async fn kpi_requests(State(st): State<AppState>, u: PageUser, Query(q): Query<OkQuery>) -> Response {
    requests_page(&st, &u, None, q.ok.as_deref(), None).await
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    reason: String,
}

pub async fn request_change(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<RequestForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = async {
        let target = parse_num("target", &form.target, None)?;
        let changes = tandem_app::kpis::kpi::KpiPatch { target: Some(target), ..Default::default() };
        st.app.request_kpi_change(&u.session.actor, id, changes, &form.reason).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/kpis/requests?ok=created").into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => {
            // Back on the board, the request form open with what was typed.
            let error = labelled_message(&e, Tr(u.lang), &[("target", "new_target"), ("reason", "change_reason")]);
            let retry = Retry::Request { target: form.target, reason: form.reason, error };
            kpi_board_page(&st, &u, BoardFilter::default(), None, Some((id, retry))).await
        }
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    approve: String,
    #[serde(default)]
    note: String,
}

pub async fn decide_request(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let Some(cap) = tandem_domain::policy::decide_kpi_changes(a) else {
        return user_error_page(&u, &AppError::Forbidden);
    };
    match st.app.decide_kpi_change(cap, a, id, form.approve == "true", &form.note).await {
        Ok(_) => Redirect::to("/kpis/requests?ok=saved").into_response(),
        Err(e) => {
            let message = labelled_message(&e, Tr(u.lang), &[("note", "decision_note")]);
            requests_page(&st, &u, Some(message), None, Some((id, form.note))).await
        }
    }
}
