//! People, and the org-chart CSV import.

use crate::AppState;
use crate::api::{ItemsOf, double_option};
use crate::auth::{ApiJson, ApiPath, ApiQuery, Caller};
use crate::error::{ApiError, ErrorBody, InLang};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tandem_app::AppError;
use tandem_app::org::import::ImportReport;
use tandem_app::org::people::{NewPerson as AppNewPerson, PeopleFilter, PersonPatch as AppPatch, PersonView};
use tandem_domain::policy;
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct PersonDto {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub title: String,
    pub org_unit: Option<i64>,
    pub org_unit_name: Option<String>,
    /// Derived from the org chart: the manager of the person's unit, or the next one up.
    pub manager: Option<i64>,
    pub manager_name: Option<String>,
    /// `admin`, `hr`, `member`.
    pub roles: Vec<String>,
    pub lang: String,
    pub active: bool,
}

impl From<PersonView> for PersonDto {
    fn from(v: PersonView) -> Self {
        PersonDto {
            id: v.id,
            name: v.name,
            email: v.email,
            title: v.title,
            org_unit: v.org_unit,
            org_unit_name: v.org_unit_name,
            manager: v.manager,
            manager_name: v.manager_name,
            roles: v.roles.iter().map(|r| r.as_str().to_string()).collect(),
            lang: v.lang.code().to_string(),
            active: v.active,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewPerson {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub org_unit: Option<i64>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub lang: Option<String>,
    /// Optional initial password (at least 8 characters).
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct PersonPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub org_unit: Option<Option<i64>>,
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
pub struct PeopleQuery {
    /// Only people in this unit or below it.
    pub unit: Option<i64>,
    /// Matches name, email or title.
    pub q: Option<String>,
}

/// The company directory.
#[utoipa::path(get, path = "/api/v1/people", tag = "people", params(PeopleQuery),
    responses((status = 200, body = ItemsOf<PersonDto>), (status = 401, body = ErrorBody)))]
pub async fn list_people(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<PeopleQuery>,
) -> Result<Json<ItemsOf<PersonDto>>, ApiError> {
    let people = st.app.list_people(&c.session.actor, &PeopleFilter { unit: q.unit, q: q.q }).await.in_lang(c.lang)?;
    Ok(Json(ItemsOf { items: people.into_iter().map(Into::into).collect() }))
}

/// Add a person (tenant admin or HR; only an admin grants `admin`).
#[utoipa::path(post, path = "/api/v1/people", tag = "people", request_body = NewPerson,
    responses((status = 201, body = PersonDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_person(
    State(st): State<AppState>,
    c: Caller,
    ApiJson(req): ApiJson<NewPerson>,
) -> Result<(StatusCode, Json<PersonDto>), ApiError> {
    let a = &c.session.actor;
    let cap = policy::manage_people(a).ok_or(AppError::Forbidden).in_lang(c.lang)?;
    let new = AppNewPerson {
        name: req.name,
        email: req.email,
        title: req.title,
        org_unit: req.org_unit,
        roles: req.roles,
        lang: req.lang,
        password: req.password,
    };
    Ok((StatusCode::CREATED, Json(st.app.create_person(cap, a, new).await.in_lang(c.lang)?.into())))
}

/// One person.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = PersonDto), (status = 404, body = ErrorBody)))]
pub async fn get_person(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PersonDto>, ApiError> {
    Ok(Json(st.app.get_person(&c.session.actor, id).await.in_lang(c.lang)?.into()))
}

/// Change a person (tenant admin or HR).
#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "people", params(("id" = i64, Path)), request_body = PersonPatch,
    responses((status = 200, body = PersonDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_person(
    State(st): State<AppState>,
    c: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PersonPatch>,
) -> Result<Json<PersonDto>, ApiError> {
    let a = &c.session.actor;
    st.app.get_person(a, id).await.in_lang(c.lang)?;
    let cap = policy::manage_people(a).ok_or(AppError::Forbidden).in_lang(c.lang)?;
    let patch = AppPatch {
        name: req.name,
        email: req.email,
        title: req.title,
        org_unit: req.org_unit,
        roles: req.roles,
        lang: req.lang,
        active: req.active,
    };
    Ok(Json(st.app.update_person(cap, a, id, patch).await.in_lang(c.lang)?.into()))
}

#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// Check everything and report, but write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Allow the import to create the units it names that do not exist (default true; with
    /// false, a file that would create any is refused with 422 `confirm_new_units`).
    #[serde(default)]
    pub create_units: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportReportDto {
    pub dry_run: bool,
    pub rows: usize,
    pub units_created: usize,
    pub people_created: usize,
    pub people_updated: usize,
    /// Each unit the file creates: `{"name", "parent", "row", "similar_to"}` (`similar_to`: an
    /// existing unit one typo away).
    #[schema(value_type = Vec<Object>)]
    pub new_units: Vec<tandem_app::org::import::NewUnitLine>,
    /// Each existing person the file changes: `{"row", "name", "email", "changes": [[field, before, after]]}`.
    #[schema(value_type = Vec<Object>)]
    pub changed_people: Vec<tandem_app::org::import::PersonChangeLine>,
}

impl From<ImportReport> for ImportReportDto {
    fn from(r: ImportReport) -> Self {
        ImportReportDto {
            dry_run: r.dry_run,
            rows: r.rows,
            units_created: r.units_created,
            people_created: r.people_created,
            people_updated: r.people_updated,
            new_units: r.new_units,
            changed_people: r.changed_people,
        }
    }
}

/// Import an org chart from CSV (UTF-8; columns name, email, unit, and optionally parent_unit,
/// title, roles, manager — or their Chinese names). Every row is checked first; with any bad
/// row nothing is written and the answer (422, `import_rejected`) lists every problem by row
/// and column.
#[utoipa::path(post, path = "/api/v1/people/import", tag = "people", params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReportDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_people(
    State(st): State<AppState>,
    c: Caller,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<Json<ImportReportDto>, ApiError> {
    let a = &c.session.actor;
    let cap = policy::manage_org(a).ok_or(AppError::Forbidden).in_lang(c.lang)?;
    Ok(Json(
        st.app
            .import_org_chart(cap, a, &body, q.dry_run, q.create_units.unwrap_or(true), c.lang)
            .await
            .in_lang(c.lang)?
            .into(),
    ))
}
