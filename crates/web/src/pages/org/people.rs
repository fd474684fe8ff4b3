//! The people directory, a person's page, and the admin's forms (add, edit, CSV import).

use crate::AppState;
use crate::auth::PageUser;
use crate::i18n::Tr;
use crate::pages::pick::{self, Picker};
use crate::pages::{
    Frame, HistoryItem, UnitOption, csrf_refusal, history_items, opt_id, render, role_tags, unit_options,
    user_error_page,
};
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_app::org::import::ImportReport;
use tandem_app::org::people::{NewPerson, PeopleFilter, PersonPatch, PersonView};
use tandem_app::{AppError, RowError};
use tandem_domain::policy::{self, Role};

pub struct PersonRowView {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub title: String,
    pub org_unit_name: Option<String>,
    pub manager_name: Option<String>,
    pub roles: Vec<(&'static str, &'static str)>,
    pub active: bool,
}

#[derive(Deserialize, Default)]
pub struct PersonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    org_unit: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role_hr: Option<String>,
    #[serde(default)]
    role_admin: Option<String>,
    #[serde(default)]
    active: Option<String>,
}

/// What the person forms show back.
pub struct FormView {
    pub name: String,
    pub email: String,
    pub title: String,
    pub hr: bool,
    pub admin: bool,
    pub active: bool,
}

impl From<&PersonForm> for FormView {
    fn from(f: &PersonForm) -> Self {
        FormView {
            name: f.name.clone(),
            email: f.email.clone(),
            title: f.title.clone(),
            hr: f.role_hr.is_some(),
            admin: f.role_admin.is_some(),
            active: f.active.is_some(),
        }
    }
}

impl From<&PersonView> for FormView {
    fn from(p: &PersonView) -> Self {
        FormView {
            name: p.name.clone(),
            email: p.email.clone(),
            title: p.title.clone(),
            hr: p.roles.contains(&Role::Hr),
            admin: p.roles.contains(&Role::Admin),
            active: p.active,
        }
    }
}

#[derive(Template)]
#[template(path = "org/people.html")]
struct PeoplePage {
    f: Frame,
    q: String,
    unit_filter: String,
    units: Vec<UnitOption>,
    /// The new person's unit, by search where there are many.
    unit_pick: Picker,
    people: Vec<PersonRowView>,
    form: FormView,
    import_report: Option<ImportReport>,
    import_errors: Vec<RowError>,
    import_content: String,
}

#[derive(Deserialize, Default)]
pub struct PeopleQuery {
    q: Option<String>,
    unit: Option<String>,
    ok: Option<String>,
    /// A search in the form's unit picker.
    #[serde(default)]
    org_unit_q: String,
}

#[derive(Default)]
struct Extra {
    form: Option<PersonForm>,
    error: Option<String>,
    import_report: Option<ImportReport>,
    import_errors: Vec<RowError>,
    import_content: String,
}

async fn people_page(st: &AppState, u: &PageUser, q: PeopleQuery, extra: Extra) -> Response {
    let a = &u.session.actor;
    let unit = q.unit.as_deref().and_then(|s| s.trim().parse::<i64>().ok());
    let loaded = async {
        let snap = st.app.org_snapshot(a.tenant.0).await?;
        let people = st.app.list_people(a, &PeopleFilter { unit, q: q.q.clone() }).await?;
        let choices = pick::units(st, a, None, &q.org_unit_q).await?;
        Ok::<_, AppError>((snap, people, choices))
    }
    .await;
    let (snap, people, choices) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "people", "people_title", "/people").with_ok(q.ok.as_deref());
    let status = if extra.error.is_some() || !extra.import_errors.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    f.error = extra.error;
    let t = f.t;
    let page = PeoplePage {
        f,
        q: q.q.unwrap_or_default(),
        unit_filter: unit.map(|u| u.to_string()).unwrap_or_default(),
        units: unit_options(&snap),
        unit_pick: unit_picker(&snap, &q.org_unit_q, choices, extra.form.as_ref().map(|f| f.org_unit.as_str())),
        people: people
            .iter()
            .map(|p| PersonRowView {
                id: p.id,
                name: p.name.clone(),
                email: p.email.clone(),
                title: p.title.clone(),
                org_unit_name: p.org_unit_name.clone(),
                manager_name: p.manager_name.clone(),
                roles: role_tags(&p.roles, t),
                active: p.active,
            })
            .collect(),
        form: extra.form.as_ref().map(FormView::from).unwrap_or(FormView {
            name: String::new(),
            email: String::new(),
            title: String::new(),
            hr: false,
            admin: false,
            active: true,
        }),
        import_report: extra.import_report,
        import_errors: extra.import_errors,
        import_content: extra.import_content,
    };
    render(status, page)
}

pub async fn page(State(st): State<AppState>, u: PageUser, Query(q): Query<PeopleQuery>) -> Response {
    people_page(&st, &u, q, Extra::default()).await
}

fn roles_from(form: &PersonForm, actor_is_admin: bool, current: &[Role]) -> Vec<String> {
    let mut roles = vec![];
    if form.role_hr.is_some() {
        roles.push("hr".to_string());
    }
    // The admin box is only shown to admins; for anyone else the current state stays.
    let admin = if actor_is_admin { form.role_admin.is_some() } else { current.contains(&Role::Admin) };
    if admin {
        roles.push("admin".to_string());
    }
    roles
}

pub async fn create(State(st): State<AppState>, u: PageUser, Form(form): Form<PersonForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let result = async {
        let cap = policy::manage_people(a).ok_or(AppError::Forbidden)?;
        let new = NewPerson {
            name: form.name.clone(),
            email: form.email.clone(),
            title: form.title.clone(),
            org_unit: opt_id(&form.org_unit)?,
            roles: roles_from(&form, a.has(Role::Admin), &[]),
            lang: None,
            password: Some(form.password.clone()).filter(|p| !p.is_empty()),
        };
        st.app.create_person(cap, a, new).await
    }
    .await;
    match result {
        Ok(p) => Redirect::to(&format!("/people/{}?ok=created", p.id)).into_response(),
        Err(e) => {
            let error = Some(e.message(u.lang));
            people_page(&st, &u, PeopleQuery::default(), Extra { form: Some(form), error, ..Default::default() }).await
        }
    }
}

#[derive(Template)]
#[template(path = "org/person.html")]
struct PersonPage {
    f: Frame,
    person: PersonView,
    roles: Vec<(&'static str, &'static str)>,
    /// Their unit in the edit form, by search where there are many.
    unit_pick: Picker,
    form: FormView,
    history: Vec<HistoryItem>,
    /// The person's own ambition pattern, for whoever may see it: per cycle a line, its flags,
    /// and (without flags) what to say instead.
    ambition: Option<(Vec<String>, Vec<String>, &'static str)>,
    /// Their goals, KPIs, check-ins and red lights, as far as the viewer may see them.
    goals: crate::pages::tracking::person::PersonGoals,
    /// Up to two letters for the avatar.
    initials: String,
    /// The shared KPI list's switches: the narrow list, nothing to bind.
    wide: bool,
    metric_options: Vec<(i64, String)>,
}

/// The letters of a name shown in its avatar: the family name's character for a Chinese name
/// (陈总 → 陈), the first letters of the first two words otherwise (Ada Lovelace → AL).
pub(crate) fn initials(name: &str) -> String {
    let name = name.trim();
    match name.chars().next() {
        Some(c) if !c.is_ascii() => c.to_string(),
        Some(_) => name.split_whitespace().take(2).filter_map(|w| w.chars().next()).collect::<String>().to_uppercase(),
        None => "?".into(),
    }
}

impl PersonPage {
    /// Where the unit picker's search goes: this page.
    fn pick_action(&self) -> String {
        format!("/people/{}", self.person.id)
    }
}

/// The unit picker of the person form: the unit typed (or held) first.
fn unit_picker(
    snap: &tandem_app::org::chart::OrgSnapshot,
    q: &str,
    choices: (Vec<(i64, String)>, bool),
    current: Option<&str>,
) -> Picker {
    let current = current.and_then(|c| c.trim().parse::<i64>().ok()).and_then(|id| snap.unit(id));
    pick::picker("org_unit", "unit", q, choices, Some("none"), current.map(|u| (u.id, u.name.clone())))
}

/// A person's page; `unit_q` is a search typed in the edit form's unit picker.
async fn person_page(
    st: &AppState,
    u: &PageUser,
    id: i64,
    form: Option<&PersonForm>,
    error: Option<String>,
    ok: Option<&str>,
    unit_q: &str,
) -> Response {
    let a = &u.session.actor;
    let loaded = async {
        let person = st.app.get_person(a, id).await?;
        let snap = st.app.org_snapshot(a.tenant.0).await?;
        let hist = st.app.history(a, "person", id).await?;
        // Only the person, their management chain and HR see it: for anyone else, nothing.
        let ambition = match st.app.last_finished_cycle(a.tenant.0).await? {
            Some(c) => match st.app.person_ambition(a, id, c, u.lang).await {
                Ok(cal) => Some(cal),
                Err(AppError::NotFound) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let goals = crate::pages::tracking::person::person_goals(st, a, id, Tr(u.lang), u.session.zone).await?;
        Ok::<_, AppError>((person, snap, hist, ambition, goals))
    }
    .await;
    let (person, snap, hist, ambition, goals) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(u, &e),
    };
    let unit_pick = if policy::manage_people(a).is_some() {
        let choices = match pick::units(st, a, person.org_unit, unit_q).await {
            Ok(c) => c,
            Err(e) => return user_error_page(u, &e),
        };
        let held = form
            .map(|f| f.org_unit.clone())
            .unwrap_or_else(|| person.org_unit.map(|x| x.to_string()).unwrap_or_default());
        unit_picker(&snap, unit_q, choices, Some(&held))
    } else {
        pick::picker("org_unit", "unit", "", (vec![], false), Some("none"), None)
    };
    let mut f = Frame::for_user(u, "people", "person_title", &format!("/people/{id}")).with_ok(ok);
    f.title = person.name.clone();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let t = f.t;
    let page = PersonPage {
        roles: role_tags(&person.roles, t),
        // The edit form's unit, for those who may edit.
        unit_pick,
        goals,
        initials: initials(&person.name),
        wide: false,
        metric_options: vec![],
        form: form.map(FormView::from).unwrap_or_else(|| FormView::from(&person)),
        history: history_items(&hist, &snap, t, u.session.zone),
        ambition: ambition.filter(|c| !c.cycles.is_empty()).map(|c| {
            let lines = c.cycles.iter().map(|s| ambition_line(s, u.lang)).collect();
            let judged = c.cycles.iter().any(|s| {
                s.aspirational >= tandem_domain::ambition::MIN_ASPIRATIONAL
                    || s.committed >= tandem_domain::ambition::MIN_COMMITTED
            });
            let flags: Vec<String> = c.flags.into_iter().map(|f| f.evidence).collect();
            let note = match (flags.is_empty(), judged) {
                (false, _) => "",
                (true, true) => "person_ambition_ok",
                (true, false) => "person_ambition_too_few",
            };
            (lines, flags, note)
        }),
        person,
        f,
    };
    render(status, page)
}

#[derive(Deserialize, Default)]
pub struct PersonQuery {
    ok: Option<String>,
    #[serde(default)]
    org_unit_q: String,
}

pub async fn detail(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<PersonQuery>,
) -> Response {
    person_page(&st, &u, id, None, None, q.ok.as_deref(), &q.org_unit_q).await
}

pub async fn update(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<PersonForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let a = &u.session.actor;
    let result = async {
        let current = st.app.get_person(a, id).await?;
        let cap = policy::manage_people(a).ok_or(AppError::Forbidden)?;
        let mut roles = roles_from(&form, a.has(Role::Admin), &current.roles);
        roles.sort();
        let patch = PersonPatch {
            name: Some(form.name.clone()),
            email: Some(form.email.clone()),
            title: Some(form.title.clone()),
            org_unit: Some(opt_id(&form.org_unit)?),
            roles: Some(roles),
            lang: None,
            active: Some(form.active.is_some()),
        };
        st.app.update_person(cap, a, id, patch).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/people/{id}?ok=saved")).into_response(),
        Err(AppError::NotFound) => user_error_page(&u, &AppError::NotFound),
        Err(e) => person_page(&st, &u, id, Some(&form), Some(e.message(u.lang)), None, "").await,
    }
}

/// Preview (dry run) or confirmed import of an org-chart CSV, from a file or pasted text.
pub async fn import(State(st): State<AppState>, u: PageUser, mut mp: Multipart) -> Response {
    let (mut csrf, mut file, mut content, mut confirm) = (String::new(), Vec::new(), String::new(), false);
    let mut create_units = false;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let Ok(bytes) = field.bytes().await else {
                    break;
                };
                match name.as_str() {
                    "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                    "file" => file = bytes.to_vec(),
                    "content" => content = String::from_utf8_lossy(&bytes).into_owned(),
                    "confirm" => confirm = true,
                    "create_units" => create_units = true,
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                let err = AppError::Invalid(tandem_domain::Invalid::new("file", tandem_domain::Rule::Required));
                tracing::info!(error = %e, "bad multipart");
                return user_error_page(&u, &err);
            }
        }
    }
    if let Some(r) = csrf_refusal(&u, &csrf) {
        return r;
    }
    let bytes = if file.is_empty() { content.into_bytes() } else { file };
    // A workbook or a GBK file is shown (and confirmed) as the CSV text it reads as.
    let shown = match tandem_app::sheets::table_text_off(&bytes, u.lang).await {
        Ok(Ok((text, _))) => text,
        Ok(Err(_)) | Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
    };
    let a = &u.session.actor;
    let Some(cap) = policy::manage_org(a) else {
        return user_error_page(&u, &AppError::Forbidden);
    };
    match st.app.import_org_chart(cap, a, &bytes, !confirm, create_units, u.lang).await {
        Ok(report) => {
            let content = if report.dry_run { shown } else { String::new() };
            people_page(
                &st,
                &u,
                PeopleQuery::default(),
                Extra { import_report: Some(report), import_content: content, ..Default::default() },
            )
            .await
        }
        Err(AppError::ImportRejected(rows)) => {
            people_page(
                &st,
                &u,
                PeopleQuery::default(),
                Extra { import_errors: rows, import_content: shown, ..Default::default() },
            )
            .await
        }
        // New units not ticked: the preview again, with the reason.
        Err(e @ AppError::Invalid(_)) => {
            let report = st.app.import_org_chart(cap, a, &bytes, true, false, u.lang).await.ok();
            let extra = Extra {
                error: Some(e.message(u.lang)),
                import_report: report,
                import_content: shown,
                ..Default::default()
            };
            people_page(&st, &u, PeopleQuery::default(), extra).await
        }
        Err(e) => user_error_page(&u, &e),
    }
}

/// One cycle of a person's ambition pattern, in a sentence (committed key results only when
/// there were any).
fn ambition_line(s: &tandem_domain::ambition::CycleStats, lang: tandem_domain::Lang) -> String {
    let mean = s.aspirational_mean.map_or("—".into(), |m| format!("{m:.2}"));
    let mut line = lang
        .pick(
            &format!("{}：挑战型关键结果 {} 个，平均得分 {mean}", s.cycle, s.aspirational),
            &format!("{}: {} aspirational key results, mean score {mean}", s.cycle, s.aspirational),
        )
        .to_string();
    if s.committed > 0 {
        let met = s.committed_hit_rate.map_or("—".into(), |r| format!("{:.0}%", r * 100.0));
        line.push_str(lang.pick(
            &format!("；承诺型 {} 个，达成 {met}", s.committed),
            &format!("; {} committed, {met} met", s.committed),
        ));
    }
    line
}
