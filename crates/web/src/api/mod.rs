//! `/api/v1`: JSON in and out, bearer tokens for machines, session cookie + CSRF header for the
//! browser. Every route is registered through `routes!`, which also writes it into the OpenAPI
//! document, so the document cannot miss a route.

pub mod alerts;
pub mod asof;
pub mod auth;
pub mod checkins;
pub mod connectors;
pub mod cycles;
pub mod dashboard;
pub mod exchange;
pub mod export;
pub mod goals;
pub mod kpis;
pub mod lint;
pub mod metrics;
pub mod notes;
pub mod notify;
pub mod org;
pub mod people;
pub mod reports;
pub mod tenant;

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
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::list_tokens, auth::create_token))
        .routes(routes!(auth::revoke_token))
        .routes(routes!(tenant::get_tenant, tenant::update_tenant))
        .routes(routes!(org::list_units, org::create_unit))
        .routes(routes!(org::get_unit, org::update_unit))
        .routes(routes!(people::list_people, people::create_person))
        .routes(routes!(people::get_person, people::update_person))
        .routes(routes!(people::import_people))
        .routes(routes!(cycles::list_cycles, cycles::create_cycle))
        .routes(routes!(cycles::get_cycle, cycles::update_cycle))
        .routes(routes!(goals::list_objectives, goals::create_objective))
        .routes(routes!(goals::get_objective, goals::update_objective, goals::archive_objective))
        .routes(routes!(goals::add_key_result))
        .routes(routes!(goals::get_key_result, goals::update_key_result))
        .routes(routes!(goals::override_score))
        .routes(routes!(kpis::list_kpis, kpis::create_kpi))
        .routes(routes!(kpis::get_kpi, kpis::update_kpi))
        .routes(routes!(kpis::request_change))
        .routes(routes!(kpis::list_values, kpis::record_value))
        .routes(routes!(kpis::import_values))
        .routes(routes!(kpis::list_changes))
        .routes(routes!(kpis::decide))
        .routes(routes!(lint::lint_draft))
        .routes(routes!(checkins::list, checkins::create))
        .routes(routes!(checkins::inbox))
        .routes(routes!(checkins::edit))
        .routes(routes!(checkins::create_for_objective))
        .routes(routes!(metrics::list, metrics::create))
        .routes(routes!(metrics::get))
        .routes(routes!(metrics::points, metrics::push))
        .routes(routes!(metrics::import))
        .routes(routes!(notify::list, notify::create))
        .routes(routes!(notify::remove))
        .routes(routes!(notify::deliveries))
        .routes(routes!(auth::preferences, auth::set_preferences))
        .routes(routes!(export::goals))
        .routes(routes!(export::kpis))
        .routes(routes!(export::check_ins))
        .routes(routes!(export::goals_xlsx))
        .routes(routes!(export::kpis_xlsx))
        .routes(routes!(export::check_ins_xlsx))
        .routes(routes!(metrics::bind_kr, metrics::kr_binding, metrics::unbind_kr))
        .routes(routes!(metrics::bind_kpi, metrics::kpi_binding, metrics::unbind_kpi))
        .routes(routes!(alerts::list))
        .routes(routes!(dashboard::dashboard))
        .routes(routes!(dashboard::unit_tree))
        .routes(routes!(alerts::acknowledge))
        .routes(routes!(notes::list_comments, notes::add_comment))
        .routes(routes!(notes::list_templates, notes::create_template))
        .routes(routes!(notes::delete_template))
        .routes(routes!(goals::upstream_changes))
        .routes(routes!(asof::as_of))
        .routes(routes!(asof::tree_as_of))
        .routes(routes!(asof::diff))
        .routes(routes!(exchange::export_cycle))
        .routes(routes!(exchange::import_cycle))
        .routes(routes!(exchange::import_sheet))
        .routes(routes!(reports::search))
        .routes(routes!(reports::scores))
        .routes(routes!(connectors::list, connectors::create))
        .routes(routes!(connectors::get, connectors::update, connectors::remove))
        .routes(routes!(connectors::set_active))
        .routes(routes!(connectors::test))
        .routes(routes!(connectors::run_now, connectors::runs))
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
