//! The forms on an objective's page that change it: status, key results, fields, comments.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::goals::objective::objective_page;
use crate::pages::shared::parse_num;
use crate::pages::{Frame, OkQuery, csrf_refusal, opt_id, render, user_error_page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use tandem_app::AppError;
use tandem_app::goals::key_results::{KeyResultPatch, NewKeyResult};
use tandem_app::goals::objectives::{ObjectiveFilter, ObjectivePatch};
use tandem_domain::goal::Owner;
use tandem_domain::ids::OrgUnitId;
use tandem_domain::{Invalid, Rule};

#[derive(Template)]
#[template(path = "goals/archived.html")]
struct ArchivedPage {
    f: Frame,
    /// (id, title, owner, cycle, may restore)
    items: Vec<(i64, String, String, String, bool)>,
}

/// The archived objectives the caller may see, each restorable by those who may edit it.
pub async fn archived(State(st): State<AppState>, u: PageUser, Query(q): Query<OkQuery>) -> Response {
    let a = &u.session.actor;
    let loaded = async {
        let filter = ObjectiveFilter { include_archived: true, ..Default::default() };
        let objectives = st.app.list_objectives(a, &filter).await?;
        let cycles = st.app.list_cycles(a).await?;
        Ok::<_, AppError>((objectives, cycles))
    }
    .await;
    let (objectives, cycles) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(&u, &e),
    };
    let items = objectives
        .into_iter()
        .filter(|o| o.status == "archived")
        .map(|o| {
            let cycle = cycles.iter().find(|c| c.id == o.cycle).map(|c| c.name.clone()).unwrap_or_default();
            (o.id, o.title, o.owner_name, cycle, o.can_edit)
        })
        .collect();
    let f = Frame::for_user(&u, "goals", "archived_objectives", "/objectives/archived").with_ok(q.ok.as_deref());
    render(StatusCode::OK, ArchivedPage { f, items })
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
}

pub async fn set_status(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let patch = ObjectivePatch { status: Some(form.status.clone()), ..Default::default() };
    match st.app.update_objective(&u.session.actor, id, patch).await {
        // Where it went, and where it comes back from.
        Ok(_) if form.status == "archived" => Redirect::to("/objectives/archived?ok=saved").into_response(),
        Ok(_) => Redirect::to(&format!("/objectives/{id}?ok=saved")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, id, Some(e.message(u.lang)), None).await,
    }
}

#[derive(Deserialize)]
pub struct AdjustForm {
    #[serde(default)]
    csrf: String,
    objective: i64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    reason: String,
}

pub async fn adjust_key_result(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<AdjustForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = async {
        let target = parse_num("target", &form.target, None)?;
        let patch = KeyResultPatch {
            title: Some(form.title.clone()),
            target: Some(target),
            reason: Some(form.reason.clone()),
            ..Default::default()
        };
        st.app.update_key_result(&u.session.actor, id, patch).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/objectives/{}?ok=saved", form.objective)).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, form.objective, Some(e.message(u.lang)), None).await,
    }
}

#[derive(Deserialize)]
pub struct AddKrForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    baseline: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    co_owner: String,
    #[serde(default)]
    co_share: String,
}

pub async fn add_key_result(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<AddKrForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let result = async {
        // A shared KR: the objective's owner and another unit, by share in percent.
        let owners = match opt_id(&form.co_owner)? {
            Some(unit) => {
                let share = parse_num("co_share", &form.co_share, Some(50.0))?;
                if !(1.0..=99.0).contains(&share) {
                    return Err(Invalid::new("co_share", Rule::OutOfRange { min: 1.0, max: 99.0 }).into());
                }
                let o = st.app.get_objective(&u.session.actor, id).await?;
                vec![(o.owner, 100.0 - share), (Owner::OrgUnit(OrgUnitId(unit)), share)]
            }
            None => vec![],
        };
        let new = NewKeyResult {
            title: form.title.clone(),
            measure: form.measure.clone(),
            baseline: parse_num("baseline", &form.baseline, Some(0.0))?,
            target: parse_num("target", &form.target, None)?,
            unit: form.unit.clone(),
            owners,
            ..Default::default()
        };
        st.app.add_key_result(&u.session.actor, id, new).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/objectives/{id}?ok=created")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, id, Some(e.message(u.lang)), None).await,
    }
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

pub async fn comment(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<CommentForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.add_comment(&u.session.actor, id, &form.body).await {
        Ok(_) => Redirect::to(&format!("/objectives/{id}#comments")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, id, Some(e.message(u.lang)), None).await,
    }
}

/// Rewords, re-kinds or re-aligns an objective (with a reason once its cycle runs).
pub async fn edit_objective(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, fields.get("csrf").map(String::as_str).unwrap_or("")) {
        return r;
    }
    let get = |k: &str| fields.get(k).cloned();
    let result = async {
        let supports: Vec<i64> =
            fields.keys().filter_map(|k| k.strip_prefix("supports_")).filter_map(|v| v.parse().ok()).collect();
        let patch = ObjectivePatch {
            title: get("title"),
            description: get("description"),
            kind: get("kind"),
            parent: Some(opt_id(&get("parent").unwrap_or_default())?),
            supports: Some(supports),
            reason: get("reason"),
            ..Default::default()
        };
        st.app.update_objective(&u.session.actor, id, patch).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/objectives/{id}?ok=saved")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => objective_page(&st, &u, id, Some(e.message(u.lang)), None).await,
    }
}
