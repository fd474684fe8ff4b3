//! The org chart page, and the admin's forms to add and change units.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::shared::labelled_message;
use crate::pages::{
    Frame, HistoryItem, OkQuery, UnitOption, csrf_refusal, history_items, opt_id, render, unit_options, user_error_page,
};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_app::AppError;
use tandem_app::org::chart::{NewUnit, OrgSnapshot, UnitPatch};
use tandem_domain::policy;

pub struct Chip {
    pub id: i64,
    pub name: String,
    pub title: String,
    pub lead: bool,
}

pub struct UnitItem {
    pub id: i64,
    pub name: String,
    pub indent: String,
    pub depth: usize,
    pub depth_class: usize,
    pub manager_name: Option<String>,
    pub member_count: usize,
    pub people: Vec<Chip>,
}

#[derive(Template)]
#[template(path = "org/org.html")]
struct OrgPage {
    f: Frame,
    units: Vec<UnitItem>,
    people: Vec<(i64, String)>,
    form_name: String,
    form_parent: String,
    form_manager: String,
    /// The tenant's time zone as set (or as typed, when refused), and the common ones offered.
    form_zone: String,
    zones: &'static [&'static str],
}

/// Time zones offered for typing ahead; any IANA name is accepted.
pub(super) const ZONES: &[&str] = &[
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "UTC",
];

#[derive(Deserialize, Default)]
pub struct ZoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    time_zone: String,
}

/// Sets the company's time zone (tenant admin).
pub async fn set_time_zone(State(st): State<AppState>, u: PageUser, Form(form): Form<ZoneForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let result = async {
        let cap = policy::manage_org(a).ok_or(AppError::Forbidden)?;
        let patch =
            tandem_app::org::tenants::TenantPatch { time_zone: Some(form.time_zone.clone()), ..Default::default() };
        st.app.update_tenant(cap, a, patch).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/org?ok=saved#time-zone").into_response(),
        Err(AppError::Forbidden) => user_error_page(&u, &AppError::Forbidden),
        Err(e) => {
            let message = labelled_message(&e, crate::i18n::Tr(u.lang), &[("time_zone", "time_zone")]);
            org_page_with(&st, &u, UnitForm::default(), Some(message), None, Some(form.time_zone)).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct UnitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent: String,
    #[serde(default)]
    manager: String,
}

fn people_options(snap: &OrgSnapshot) -> Vec<(i64, String)> {
    snap.people.iter().filter(|p| p.active == 1).map(|p| (p.id, format!("{} · {}", p.name, p.email))).collect()
}

fn tree_items(snap: &OrgSnapshot) -> Vec<UnitItem> {
    snap.tree
        .walk()
        .into_iter()
        .filter_map(|(id, depth)| {
            let u = snap.unit(id.0)?;
            let v = snap.unit_view(u);
            let mut people: Vec<Chip> = snap
                .people
                .iter()
                .filter(|p| p.org_unit_id == Some(u.id) && p.active == 1)
                .map(|p| Chip {
                    id: p.id,
                    name: p.name.clone(),
                    title: p.title.clone(),
                    lead: u.manager_id == Some(p.id),
                })
                .collect();
            people.sort_by_key(|c| !c.lead);
            Some(UnitItem {
                id: u.id,
                name: u.name.clone(),
                indent: "— ".repeat(depth),
                depth,
                depth_class: depth.min(3),
                manager_name: v.manager_name,
                member_count: v.member_count,
                people,
            })
        })
        .collect()
}

async fn org_page(st: &AppState, u: &PageUser, form: UnitForm, error: Option<String>, ok: Option<&str>) -> Response {
    org_page_with(st, u, form, error, ok, None).await
}

async fn org_page_with(
    st: &AppState,
    u: &PageUser,
    form: UnitForm,
    error: Option<String>,
    ok: Option<&str>,
    zone_typed: Option<String>,
) -> Response {
    let loaded = async {
        let snap = st.app.org_snapshot(u.session.actor.tenant.0).await?;
        let tenant = st.app.my_tenant(&u.session.actor).await?;
        Ok::<_, AppError>((snap, tenant))
    }
    .await;
    let (snap, tenant) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "org", "org_title", "/org").with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let page = OrgPage {
        f,
        units: tree_items(&snap),
        people: people_options(&snap),
        form_name: form.name,
        form_parent: form.parent,
        form_manager: form.manager,
        form_zone: zone_typed.unwrap_or(tenant.time_zone),
        zones: ZONES,
    };
    render(status, page)
}

pub async fn page(State(st): State<AppState>, u: PageUser, Query(q): Query<OkQuery>) -> Response {
    org_page(&st, &u, UnitForm::default(), None, q.ok.as_deref()).await
}

pub async fn create(State(st): State<AppState>, u: PageUser, Form(form): Form<UnitForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let result = async {
        let cap = policy::manage_org(a).ok_or(AppError::Forbidden)?;
        let new = NewUnit { name: form.name.clone(), parent: opt_id(&form.parent)?, manager: opt_id(&form.manager)? };
        st.app.create_unit(cap, a, new).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/org?ok=created").into_response(),
        Err(e) => org_page(&st, &u, form, Some(e.message(u.lang)), None).await,
    }
}

#[derive(Template)]
#[template(path = "org/unit.html")]
struct UnitPage {
    f: Frame,
    unit: UnitOption,
    units: Vec<UnitOption>,
    people: Vec<(i64, String)>,
    history: Vec<HistoryItem>,
    form_name: String,
    form_parent: String,
    form_manager: String,
}

async fn unit_page(
    st: &AppState,
    u: &PageUser,
    id: i64,
    form: Option<UnitForm>,
    error: Option<String>,
    ok: Option<&str>,
) -> Response {
    let a = &u.session.actor;
    let loaded = async {
        let snap = st.app.org_snapshot(a.tenant.0).await?;
        let unit = snap.unit(id).cloned().ok_or(AppError::NotFound)?;
        let hist = st.app.history(a, "org_unit", id).await?;
        Ok::<_, AppError>((snap, unit, hist))
    }
    .await;
    let (snap, unit, hist) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "org", "edit_unit", &format!("/org/{id}")).with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let form = form.unwrap_or_else(|| UnitForm {
        csrf: String::new(),
        name: unit.name.clone(),
        parent: unit.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        manager: unit.manager_id.map(|p| p.to_string()).unwrap_or_default(),
    });
    let history = history_items(&hist, &snap, f.t, u.session.zone);
    // The unit itself and everything below it cannot become its parent.
    let below = snap.tree.subtree(tandem_domain::ids::OrgUnitId(id));
    let units = unit_options(&snap).into_iter().filter(|o| !below.iter().any(|b| b.0 == o.id)).collect();
    let page = UnitPage {
        f,
        unit: UnitOption { id, name: unit.name.clone(), indent: String::new() },
        units,
        people: people_options(&snap),
        history,
        form_name: form.name,
        form_parent: form.parent,
        form_manager: form.manager,
    };
    render(status, page)
}

pub async fn edit_page(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<OkQuery>,
) -> Response {
    if policy::manage_org(&u.session.actor).is_none() {
        return user_error_page(&u, &AppError::Forbidden);
    }
    unit_page(&st, &u, id, None, None, q.ok.as_deref()).await
}

pub async fn update(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<UnitForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let result = async {
        let cap = policy::manage_org(a).ok_or(AppError::Forbidden)?;
        let patch = UnitPatch {
            name: Some(form.name.clone()),
            parent: Some(opt_id(&form.parent)?),
            manager: Some(opt_id(&form.manager)?),
        };
        st.app.update_unit(cap, a, id, patch).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/org/{id}?ok=saved")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => unit_page(&st, &u, id, Some(form), Some(e.message(u.lang)), None).await,
    }
}
