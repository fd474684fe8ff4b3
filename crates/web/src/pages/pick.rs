//! Choosing one of many (an objective to align to, a person, a unit, a metric) by search where
//! a list of every one would make a page megabytes long. Up to [`LISTED`] choices are listed in
//! full; beyond that a page lists the likely ones and a search box, which works as a plain GET
//! form and, with JavaScript, as type-ahead through [`choices`] (one code path for both).

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::unit_options;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tandem_app::AppError;
use tandem_domain::goal::Owner;
use tandem_domain::ids::{OrgUnitId, PersonId};
use tandem_domain::policy::{self, Actor, Role};

/// The most choices a page lists without a search.
pub const LISTED: usize = 50;

/// One `<select>` whose options may come from a search.
pub struct Picker {
    /// The form field it fills.
    pub name: &'static str,
    /// What it picks, for type-ahead: `objective`, `person`, `unit` or `metric`.
    pub kind: &'static str,
    /// The search typed, if any.
    pub q: String,
    pub options: Vec<(i64, String)>,
    pub selected: Option<i64>,
    /// The label of the empty choice, where there is one.
    pub none: Option<&'static str>,
    /// There are more choices than are listed: the search box is shown.
    pub searchable: bool,
}

impl Picker {
    pub fn is_selected(&self, id: &i64) -> bool {
        self.selected == Some(*id)
    }

    /// Puts the current choice first when a search left it out, so saving the form unchanged
    /// keeps it.
    fn keeping(mut self, current: Option<(i64, String)>) -> Self {
        if let Some((id, label)) = current
            && !self.options.iter().any(|(o, _)| *o == id)
        {
            self.options.insert(0, (id, label));
        }
        self
    }
}

/// Objectives that objective `of` may be aligned to.
pub async fn objectives(st: &AppState, a: &Actor, of: i64, q: &str) -> Result<(Vec<(i64, String)>, bool), AppError> {
    st.app.alignment_choices(a, of, q, LISTED).await
}

/// People the caller may set KPIs for: all when few, else their direct reports (and, with a
/// search, whoever matches by name, email or title). HR may set anyone's; a manager, those
/// below them, found through the units they lead rather than by asking of every person.
pub async fn kpi_owners(st: &AppState, a: &Actor, q: &str) -> Result<(Vec<(i64, String)>, bool), AppError> {
    let org = st.app.org_snapshot(a.tenant.0).await?;
    let q = q.trim().to_lowercase();
    let matches = |id: i64| {
        org.person(id).filter(|p| p.active == 1).filter(|p| {
            q.is_empty()
                || p.name.to_lowercase().contains(&q)
                || p.email.contains(&q)
                || p.title.to_lowercase().contains(&q)
        })
    };
    let may = |id: i64| policy::may_edit_kpi(a, Owner::Person(PersonId(id)), &org.tree);
    let label = |id: i64| org.person(id).map(|p| (p.id, format!("{} · {}", p.name, p.title)));
    let led: Vec<OrgUnitId> =
        org.units.iter().filter(|u| u.manager_id == Some(a.person.0)).map(|u| OrgUnitId(u.id)).collect();
    // Everyone the caller may choose, lazily: HR's is the whole company.
    let below: Box<dyn Iterator<Item = i64> + '_> = if a.has(Role::Hr) {
        Box::new(org.people.iter().map(|p| p.id))
    } else {
        Box::new(
            led.iter()
                .flat_map(|u| org.tree.subtree(*u))
                .flat_map(|u| org.members_of(u.0).iter().copied())
                .filter(|id| *id != a.person.0),
        )
    };
    let found: Vec<(i64, String)> =
        below.filter(|id| matches(*id).is_some()).filter(|id| may(*id)).take(LISTED + 1).filter_map(label).collect();
    if found.len() <= LISTED || !q.is_empty() {
        let more = found.len() > LISTED;
        return Ok((found.into_iter().take(LISTED).collect(), more || !q.is_empty()));
    }
    // Too many to list: the caller's direct reports (their units' people, the heads of the
    // units right below).
    let mut direct: Vec<i64> = vec![];
    for u in &led {
        direct.extend(org.members_of(u.0).iter().copied().filter(|id| *id != a.person.0));
        direct.extend(org.tree.children(*u).iter().filter_map(|c| org.unit(c.0)).filter_map(|c| c.manager_id));
    }
    let reports = direct.into_iter().filter(|id| may(*id)).filter_map(label).take(LISTED).collect();
    Ok((reports, true))
}

/// Units (indented by depth): all when few, else those around `near` (its line up to the top
/// and the units right below it), with a search.
pub async fn units(
    st: &AppState,
    a: &Actor,
    near: Option<i64>,
    q: &str,
) -> Result<(Vec<(i64, String)>, bool), AppError> {
    let org = st.app.org_snapshot(a.tenant.0).await?;
    let q = q.trim().to_lowercase();
    if q.is_empty() && org.units.len() <= LISTED {
        let all = unit_options(&org);
        return Ok((all.into_iter().map(|u| (u.id, format!("{}{}", u.indent, u.name))).collect(), false));
    }
    if !q.is_empty() {
        let found = org.units.iter().filter(|u| u.name.to_lowercase().contains(&q)).take(LISTED);
        return Ok((found.map(|u| (u.id, u.name.clone())).collect(), true));
    }
    let mut ids: Vec<OrgUnitId> = vec![];
    if let Some(n) = near {
        ids = org.tree.unit_path(OrgUnitId(n));
        ids.extend(org.tree.children(OrgUnitId(n)).iter().copied());
    }
    let out = ids.into_iter().filter_map(|u| org.unit(u.0)).take(LISTED).map(|u| (u.id, u.name.clone())).collect();
    Ok((out, true))
}

/// Metrics the caller may bind to: all when the tenant has few, else those matching a search.
pub async fn metrics(st: &AppState, a: &Actor, q: &str) -> Result<(Vec<(i64, String)>, bool), AppError> {
    let q = q.trim().to_lowercase();
    let many = st.app.metric_count(a).await? > LISTED;
    if many && q.is_empty() {
        return Ok((vec![], true));
    }
    let listed = st.app.list_metrics(a).await?;
    let found = crate::pages::shared::metric_options(&listed)
        .into_iter()
        .filter(|(_, name)| q.is_empty() || name.to_lowercase().contains(&q))
        .take(LISTED)
        .collect();
    Ok((found, many))
}

#[derive(Deserialize)]
pub struct ChoicesQuery {
    #[serde(default)]
    q: String,
    /// The objective being aligned (`objective`), or the unit to start from (`unit`).
    #[serde(default)]
    of: Option<i64>,
}

#[derive(Serialize)]
struct ChoicesDto {
    options: Vec<(i64, String)>,
    more: bool,
}

/// `GET /pick/{kind}?q=&of=`: the same choices a page lists, as JSON for type-ahead.
pub async fn choices(
    State(st): State<AppState>,
    u: PageUser,
    Path(kind): Path<String>,
    Query(cq): Query<ChoicesQuery>,
) -> Response {
    let a = &u.session.actor;
    let q: String = cq.q.chars().take(100).collect();
    let found = match kind.as_str() {
        "objective" => match cq.of {
            Some(of) => objectives(&st, a, of, &q).await,
            None => Err(AppError::NotFound),
        },
        "person" => kpi_owners(&st, a, &q).await,
        "unit" => units(&st, a, cq.of, &q).await,
        "metric" => metrics(&st, a, &q).await,
        _ => Err(AppError::NotFound),
    };
    match found {
        Ok((options, more)) => Json(ChoicesDto { options, more }).into_response(),
        Err(e) => (crate::error::status_of(&e), e.message(u.lang)).into_response(),
    }
}

/// A picker from choices, keeping `current` among the options.
pub fn picker(
    name: &'static str,
    kind: &'static str,
    q: &str,
    (options, searchable): (Vec<(i64, String)>, bool),
    none: Option<&'static str>,
    current: Option<(i64, String)>,
) -> Picker {
    let selected = current.as_ref().map(|c| c.0);
    Picker { name, kind, q: q.to_string(), options, selected, none, searchable }.keeping(current)
}
