//! The data pages: every metric with where its data goes and whether it is late, a metric's
//! latest points with their provenance and a chart, the admin's form for a new metric, and the
//! forms that bind a key result or a KPI to a metric.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::{Frame, OkQuery, csrf_refusal, fmt_time, render, user_error_page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_app::AppError;
use tandem_app::data::metrics::MetricView;

pub struct MetricLine {
    pub id: i64,
    pub name: String,
    pub unit: String,
    pub description: String,
    pub last: String,
    /// (what it feeds, stale)
    pub feeds: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "data/metrics.html")]
struct MetricsPage {
    f: Frame,
    metrics: Vec<MetricLine>,
    can_create: bool,
    /// What was typed into the create form, kept when it is refused.
    name: String,
    unit: String,
    description: String,
}

async fn lines(st: &AppState, u: &PageUser, metrics: Vec<MetricView>) -> Vec<MetricLine> {
    let a = &u.session.actor;
    let t = crate::i18n::Tr(u.lang);
    // Subjects the caller may see are named; others are counted without a name.
    let objectives = st.app.list_objectives(a, &Default::default()).await.unwrap_or_default();
    let kpis = st.app.list_kpis(a, &Default::default()).await.unwrap_or_default();
    metrics
        .into_iter()
        .map(|m| MetricLine {
            feeds: m
                .bindings
                .iter()
                .map(|b| {
                    let name = match b.subject_type.as_str() {
                        "key_result" => objectives
                            .iter()
                            .flat_map(|o| o.key_results.iter())
                            .find(|k| k.id == b.subject_id)
                            .map(|k| format!("KR · {}", k.title)),
                        _ => kpis
                            .iter()
                            .find(|k| k.id == b.subject_id)
                            .map(|k| format!("KPI · {} · {}", k.name, k.owner_name)),
                    };
                    (name.unwrap_or_else(|| t.s("private_subject").into()), b.stale)
                })
                .collect(),
            last: m.last_point_at.map(|x| fmt_time(x, u.session.zone)).unwrap_or_else(|| t.s("no_data_yet").into()),
            id: m.id,
            name: m.name,
            unit: m.unit,
            description: m.description,
        })
        .collect()
}

async fn list_page(
    st: &AppState,
    u: &PageUser,
    ok: Option<&str>,
    error: Option<String>,
    typed: Option<&NewMetricForm>,
) -> Response {
    let a = &u.session.actor;
    let metrics = match st.app.list_metrics(a).await {
        Ok(m) => m,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "metrics", "metrics_title", "/data").with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let page = MetricsPage {
        can_create: a.has(tandem_domain::policy::Role::Admin),
        metrics: lines(st, u, metrics).await,
        name: typed.map(|x| x.name.clone()).unwrap_or_default(),
        unit: typed.map(|x| x.unit.clone()).unwrap_or_default(),
        description: typed.map(|x| x.description.clone()).unwrap_or_default(),
        f,
    };
    render(status, page)
}

pub async fn page(State(st): State<AppState>, u: PageUser, Query(q): Query<OkQuery>) -> Response {
    list_page(&st, &u, q.ok.as_deref(), None, None).await
}

#[derive(Deserialize, Default)]
pub struct NewMetricForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    description: String,
}

pub async fn create(State(st): State<AppState>, u: PageUser, Form(form): Form<NewMetricForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.create_metric(&u.session.actor, &form.name, &form.unit, &form.description).await {
        Ok(m) => Redirect::to(&format!("/data/{}?ok=created", m.id)).into_response(),
        Err(e) => list_page(&st, &u, None, Some(e.message(u.lang)), Some(&form)).await,
    }
}

pub struct PointLine {
    pub time: String,
    pub value: String,
    pub external_id: String,
    pub source: String,
    pub author: String,
    pub received: String,
}

#[derive(Template)]
#[template(path = "data/metric.html")]
struct MetricPage {
    f: Frame,
    m: MetricLine,
    total: i64,
    points: Vec<PointLine>,
    chart: String,
    /// Only admins and HR see the points.
    may_see_points: bool,
    endpoint: String,
    /// Admins import files here.
    can_import: bool,
    import: ImportState,
}

/// A checked file waiting for confirmation.
pub struct Preview {
    pub rows: usize,
    /// The first rows: (time, value, external id).
    pub first: Vec<(String, String, String)>,
    /// The file itself, carried to the confirmation (hex), and its name.
    pub content_hex: String,
    pub name: String,
    pub gbk: bool,
}

/// Where a file import stands on the page.
#[derive(Default)]
pub struct ImportState {
    /// The rows refused: (line, column, reason).
    pub errors: Vec<(usize, String, String)>,
    pub preview: Option<Preview>,
}

pub async fn detail(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Query(q): Query<OkQuery>,
) -> Response {
    detail_page(&st, &u, id, q.ok.as_deref(), ImportState::default(), None).await
}

async fn detail_page(
    st: &AppState,
    u: &PageUser,
    id: i64,
    ok: Option<&str>,
    import: ImportState,
    error: Option<String>,
) -> Response {
    let a = &u.session.actor;
    let m = match st.app.get_metric(a, id).await {
        Ok(m) => m,
        Err(e) => return user_error_page(u, &e),
    };
    let (points, total, may_see_points) = match st.app.metric_points(a, id, 50).await {
        Ok((p, n)) => (p, n, true),
        Err(AppError::Forbidden | AppError::Refused(_)) => (vec![], 0, false),
        Err(e) => return user_error_page(u, &e),
    };
    let org = match st.app.org_snapshot(a.tenant.0).await {
        Ok(o) => o,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "metrics", "metrics_title", &format!("/data/{id}")).with_ok(ok);
    let status =
        if error.is_some() || !import.errors.is_empty() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    f.title = m.name.clone();
    let t = f.t;
    let series: Vec<(String, f64, &str)> = points
        .iter()
        .take(12)
        .rev()
        .map(|p| (fmt_time(p.time, u.session.zone).get(5..10).unwrap_or_default().to_string(), p.value, "pass"))
        .collect();
    let chart = if series.is_empty() {
        String::new()
    } else {
        let text = crate::svg::ChartText { title: &m.name, series: [t.s("chart_value"), "", ""], start: "", end: "" };
        crate::svg::series_chart(&series, &text)
    };
    let connectors = if a.has(tandem_domain::policy::Role::Admin) {
        st.app.list_connectors(a).await.unwrap_or_default()
    } else {
        vec![]
    };
    let page = MetricPage {
        endpoint: format!("/api/v1/metrics/{id}/points"),
        total,
        points: points
            .into_iter()
            .map(|p| PointLine {
                time: fmt_time(p.time, u.session.zone),
                value: crate::pages::shared::num(p.value),
                external_id: p.external_id.unwrap_or_default(),
                source: source_label(&p.source, &connectors, t),
                author: p.author.and_then(|x| org.person(x)).map(|x| x.name.clone()).unwrap_or_default(),
                received: fmt_time(p.received_at, u.session.zone),
            })
            .collect(),
        chart,
        may_see_points,
        can_import: a.has(tandem_domain::policy::Role::Admin),
        import,
        m: lines(st, u, vec![m]).await.remove(0),
        f,
    };
    render(status, page)
}

/// A CSV file of points: checked and shown first, imported on confirmation (all rows or none).
pub async fn import(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    mp: axum::extract::Multipart,
) -> Response {
    let Some(crate::pages::Upload { csrf, bytes, name, confirm, .. }) = crate::pages::read_upload(mp).await else {
        let err = AppError::Invalid(tandem_domain::Invalid::new("file", tandem_domain::Rule::Required));
        return user_error_page(&u, &err);
    };
    if let Some(r) = csrf_refusal(&u, &csrf) {
        return r;
    }
    if bytes.is_empty() {
        let err = AppError::Invalid(tandem_domain::Invalid::new("file", tandem_domain::Rule::Required));
        return detail_page(&st, &u, id, None, ImportState::default(), Some(err.message(u.lang))).await;
    }
    let refused = |rows: Vec<tandem_app::error::RowError>| ImportState {
        errors: rows.into_iter().map(|r| (r.row, r.column, r.reason)).collect(),
        preview: None,
    };
    if confirm {
        return match st.app.import_points_csv(&u.session.actor, id, &name, &bytes, u.lang).await {
            Ok(_) => Redirect::to(&format!("/data/{id}?ok=imported")).into_response(),
            Err(AppError::ImportRejected(rows)) => detail_page(&st, &u, id, None, refused(rows), None).await,
            Err(e) => detail_page(&st, &u, id, None, ImportState::default(), Some(e.message(u.lang))).await,
        };
    }
    let read = match tandem_app::data::metrics::read_points_off(&bytes, u.lang).await {
        Ok(read) => read,
        Err(e) => return detail_page(&st, &u, id, None, ImportState::default(), Some(e.message(u.lang))).await,
    };
    let state = match read {
        Ok(f) => {
            let cell = |p: &serde_json::Value, k: &str| match &p[k] {
                serde_json::Value::String(x) => x.clone(),
                serde_json::Value::Null => String::new(),
                v => v.to_string(),
            };
            let first =
                f.points.iter().take(10).map(|p| (cell(p, "time"), cell(p, "value"), cell(p, "external_id"))).collect();
            ImportState {
                errors: vec![],
                preview: Some(Preview {
                    rows: f.points.len(),
                    first,
                    content_hex: hex::encode(&bytes),
                    name,
                    gbk: f.gbk,
                }),
            }
        }
        Err(rows) => refused(rows),
    };
    detail_page(&st, &u, id, None, state, None).await
}

#[derive(Deserialize, Default)]
pub struct BindForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    metric: String,
    #[serde(default)]
    aggregation: String,
    #[serde(default)]
    stale_after_days: String,
    /// Where to go back to.
    #[serde(default)]
    back: String,
}

pub async fn bind_kr(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<BindForm>,
) -> Response {
    bind(&st, &u, "key_result", id, form).await
}

pub async fn bind_kpi(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<BindForm>,
) -> Response {
    bind(&st, &u, "kpi", id, form).await
}

/// Binds (or, with an empty metric, unbinds) a key result or a KPI.
async fn bind(st: &AppState, u: &PageUser, subject: &str, id: i64, form: BindForm) -> Response {
    if let Some(r) = csrf_refusal(u, &form.csrf) {
        return r;
    }
    let back =
        if form.back.starts_with('/') && !form.back.starts_with("//") { form.back.clone() } else { "/goals".into() };
    let a = &u.session.actor;
    let result = match form.metric.trim().parse::<i64>() {
        Ok(metric) => {
            let days = form.stale_after_days.trim().parse::<i64>().ok();
            st.app.bind_metric(a, subject, id, metric, form.aggregation.trim(), days).await.map(|_| ())
        }
        Err(_) => st.app.unbind_metric(a, subject, id).await,
    };
    match result {
        Ok(()) => {
            let sep = if back.contains('?') { '&' } else { '?' };
            let (path, anchor) = back
                .split_once('#')
                .map(|(p, h)| (p.to_string(), format!("#{h}")))
                .unwrap_or((back.clone(), String::new()));
            Redirect::to(&format!("{path}{sep}ok=saved{anchor}")).into_response()
        }
        Err(e) => user_error_page(u, &e),
    }
}

/// A sample file to try the import with: a week of daily values, in the format the import takes.
/// Where a point came from, in words: pushed, which file, which connector.
fn source_label(
    source: &str,
    connectors: &[tandem_app::data::connectors::ConnectorView],
    t: crate::i18n::Tr,
) -> String {
    if let Some(id) = source.strip_prefix("pull:") {
        let name =
            id.parse::<i64>().ok().and_then(|id| connectors.iter().find(|c| c.id == id)).map(|c| c.name.as_str());
        return format!("{} · {}", t.s("source_pull"), name.unwrap_or(id));
    }
    if let Some(file) = source.strip_prefix("file:") {
        return format!("{} · {file}", t.s("source_file"));
    }
    if source == "push" {
        return t.s("source_push").into();
    }
    source.into()
}

pub async fn sample_csv(_u: PageUser) -> Response {
    let today = time::OffsetDateTime::now_utc().date();
    let mut body = String::from("\u{feff}时间,数值,外部编号\n");
    for back in (1..=7).rev() {
        let d = today - time::Duration::days(back);
        let v = 40 + (d.day() as i64 * 7) % 13;
        body.push_str(&format!("{d},{v},sample-{d}\n"));
    }
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"sample-points.csv\""),
        ],
        body,
    )
        .into_response()
}
