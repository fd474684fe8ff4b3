//! `/api/v1`: JSON in and out, bearer tokens for machines, session cookie + CSRF header for the
//! browser. Every route is registered through `routes!`, which also writes it into the OpenAPI
//! document, so the document cannot miss a route.

pub mod cycles;
pub mod data;
pub mod exchange;
pub mod goals;
pub mod kpis;
pub mod notify;
pub mod org;
pub mod review;
pub mod tracking;

use crate::AppState;
use serde::{Deserialize, Deserializer};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tandem API",
        description = "OKRs set direction, KPIs hold the line. Errors are `{\"error\": {\"code\", \"message\"}}`; messages follow Accept-Language (zh or en). A resource you may not see answers 404.",
        version = "1"
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let comps = doc.components.get_or_insert_with(Default::default);
        comps.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(org::auth::login))
        .routes(routes!(org::auth::logout))
        .routes(routes!(org::auth::me))
        .routes(routes!(org::auth::change_password))
        .routes(routes!(org::auth::list_tokens, org::auth::create_token))
        .routes(routes!(org::auth::revoke_token))
        .routes(routes!(org::tenant::get_tenant, org::tenant::update_tenant))
        .routes(routes!(org::units::list_units, org::units::create_unit))
        .routes(routes!(org::units::get_unit, org::units::update_unit))
        .routes(routes!(org::people::list_people, org::people::create_person))
        .routes(routes!(org::people::get_person, org::people::update_person))
        .routes(routes!(org::people::import_people))
        .routes(routes!(cycles::calendar::list_cycles, cycles::calendar::create_cycle))
        .routes(routes!(cycles::calendar::get_cycle, cycles::calendar::update_cycle))
        .routes(routes!(goals::objectives::list_objectives, goals::objectives::create_objective))
        .routes(routes!(
            goals::objectives::get_objective,
            goals::objectives::update_objective,
            goals::objectives::archive_objective
        ))
        .routes(routes!(goals::objectives::add_key_result))
        .routes(routes!(goals::objectives::get_key_result, goals::objectives::update_key_result))
        .routes(routes!(goals::objectives::override_score))
        .routes(routes!(kpis::kpi::list_kpis, kpis::kpi::create_kpi))
        .routes(routes!(kpis::kpi::get_kpi, kpis::kpi::update_kpi))
        .routes(routes!(kpis::kpi::request_change))
        .routes(routes!(kpis::kpi::list_values, kpis::kpi::record_value))
        .routes(routes!(kpis::kpi::import_values))
        .routes(routes!(kpis::kpi::list_changes))
        .routes(routes!(kpis::kpi::decide))
        .routes(routes!(goals::lint::lint_draft))
        .routes(routes!(tracking::checkins::list, tracking::checkins::create))
        .routes(routes!(tracking::checkins::inbox))
        .routes(routes!(tracking::checkins::edit))
        .routes(routes!(tracking::checkins::create_for_objective))
        .routes(routes!(data::metrics::list, data::metrics::create))
        .routes(routes!(data::metrics::get))
        .routes(routes!(data::metrics::points, data::metrics::push))
        .routes(routes!(data::metrics::import))
        .routes(routes!(notify::channels::list, notify::channels::create))
        .routes(routes!(notify::channels::remove))
        .routes(routes!(notify::channels::deliveries))
        .routes(routes!(org::auth::preferences, org::auth::set_preferences))
        .routes(routes!(exchange::exports::goals))
        .routes(routes!(exchange::exports::kpis))
        .routes(routes!(exchange::exports::check_ins))
        .routes(routes!(exchange::exports::goals_xlsx))
        .routes(routes!(exchange::exports::kpis_xlsx))
        .routes(routes!(exchange::exports::check_ins_xlsx))
        .routes(routes!(exchange::exports::review))
        .routes(routes!(exchange::exports::review_xlsx))
        .routes(routes!(data::metrics::bind_kr, data::metrics::kr_binding, data::metrics::unbind_kr))
        .routes(routes!(data::metrics::bind_kpi, data::metrics::kpi_binding, data::metrics::unbind_kpi))
        .routes(routes!(tracking::alerts::list))
        .routes(routes!(tracking::dashboard::dashboard))
        .routes(routes!(tracking::dashboard::unit_tree))
        .routes(routes!(tracking::alerts::acknowledge))
        .routes(routes!(goals::comments::list_comments, goals::comments::add_comment))
        .routes(routes!(kpis::library::list_templates, kpis::library::create_template))
        .routes(routes!(kpis::library::delete_template))
        .routes(routes!(goals::objectives::upstream_changes))
        .routes(routes!(goals::asof::as_of))
        .routes(routes!(goals::asof::tree_as_of))
        .routes(routes!(goals::asof::diff))
        .routes(routes!(exchange::document::export_cycle))
        .routes(routes!(exchange::document::import_cycle))
        .routes(routes!(exchange::document::import_sheet))
        .routes(routes!(tracking::reports::search))
        .routes(routes!(tracking::reports::scores))
        .routes(routes!(data::connectors::list, data::connectors::create))
        .routes(routes!(data::connectors::get, data::connectors::update, data::connectors::remove))
        .routes(routes!(data::connectors::set_active))
        .routes(routes!(data::connectors::test))
        .routes(routes!(data::connectors::run_now, data::connectors::runs))
        .routes(routes!(review::retros::get_retro, review::retros::put_retro))
        .routes(routes!(review::retros::acknowledge_retro))
        .routes(routes!(review::team::get_team_retro, review::team::put_team_retro))
        .routes(routes!(review::team::acknowledge_team_retro))
        .routes(routes!(review::lessons::list_lessons))
        .routes(routes!(review::ambition::ambition))
        .routes(routes!(review::ambition::person_ambition))
        .routes(routes!(review::carried::carried))
        .routes(routes!(review::board::review_board))
        .routes(routes!(review::classify::classify))
        .routes(routes!(review::mining::mining))
}

/// For PATCH bodies: tells "absent" (leave alone) from `null` (clear).
pub(crate) fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A list answer: `{"items": [...]}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ItemsOf<T> {
    pub items: Vec<T>,
}
