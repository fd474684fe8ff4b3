//! Tandem's HTTP edge: the `/api/v1` JSON API (documented by the OpenAPI document it serves)
//! and the server-rendered pages. This crate turns requests into use-case calls and results
//! into responses; it holds no SQL and no business rules.

pub mod api;
pub mod auth;
pub mod error;
pub mod i18n;
pub mod metrics;
pub mod pages;
pub mod svg;

use axum::Router;
use axum::http::{HeaderValue, header};
use std::sync::Arc;
use tandem_app::App;
use tower_http::set_header::SetResponseHeaderLayer;

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    pub metrics: Arc<metrics::Metrics>,
    /// Units' trees as JSON, beside the shared answer they were rendered from (see
    /// `api::tracking::dashboard::unit_tree`).
    pub rendered_trees: Arc<std::sync::Mutex<api::tracking::dashboard::RenderedTrees>>,
    /// Secrets to show once on the page a successful post redirects to (see
    /// `pages::org::account::create_token`).
    pub reveals: Arc<pages::Reveals>,
}

impl AppState {
    pub fn new(app: App, secure_cookies: bool) -> Self {
        AppState {
            app,
            secure_cookies,
            metrics: Arc::new(metrics::Metrics::default()),
            rendered_trees: Default::default(),
            reveals: Default::default(),
        }
    }
}

/// Only Tandem's own script runs, and nothing is framed, embedded or posted elsewhere. Styles
/// allow inline `style` attributes (layout tweaks in the templates); scripts allow none.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The whole application: API, OpenAPI document, pages, static files, health and metrics.
pub fn router(state: AppState) -> Router {
    let (api, doc) = api::routes().split_for_parts();
    let doc = Arc::new(doc);
    Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .merge(pages::routes())
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/metrics", axum::routing::get(metrics::render))
        .route("/static/app.css", axum::routing::get(pages::stylesheet))
        .route("/static/app.js", axum::routing::get(pages::script))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(16 * 1024 * 1024))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        // Pages, API answers and exports carry private data (KPIs, drafts, people): no cache
        // keeps them. The stylesheet and script say otherwise for themselves.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            state.secure_cookies.then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains")),
        ))
        .with_state(state)
}

/// The OpenAPI document, without serving anything (for tests and `tandem openapi`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::routes().split_for_parts().1
}
