//! The admin's page for scheduled pulls: every connector with its schedule, next and last run,
//! status and error, the latest runs, and buttons to test (read without writing), run now,
//! pause or resume, and remove; and the form for a new connector (SQL or HTTP JSON).

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::{Frame, OkQuery, csrf_refusal, fmt_time, render, user_error_page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_app::data::connectors::{NewConnector, SourceConfig, TestOutcome};

pub struct ConnectorLine {
    pub id: i64,
    pub name: String,
    /// `SQL · postgres` or `HTTP JSON`.
    pub source: String,
    /// The query, or the URL with its paths.
    pub what: String,
    pub metric_id: i64,
    pub metric: String,
    pub schedule: String,
    pub active: bool,
    pub next_run: String,
    pub last_run: String,
    pub last_status: String,
    pub last_error: String,
    pub running: bool,
    /// The latest runs: (started, cause, status, fetched, written, error).
    pub runs: Vec<(String, String, String, i64, i64, String)>,
}

/// The outcome of "test now" for one connector.
pub struct Tested {
    pub id: i64,
    pub ok: bool,
    pub total: usize,
    pub sample: Vec<(String, String)>,
    pub error: String,
    pub row_errors: Vec<(usize, String, String)>,
}

#[derive(Template)]
#[template(path = "data/connectors.html")]
struct ConnectorsPage {
    f: Frame,
    connectors: Vec<ConnectorLine>,
    /// (id, name) of every metric, for the form.
    metrics: Vec<(i64, String)>,
    tested: Option<Tested>,
    form: ConnectorForm,
}

#[derive(Deserialize, Default, Clone)]
pub struct ConnectorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metric_id: String,
    #[serde(default)]
    pub schedule: String,
    #[serde(default)]
    pub timeout_secs: String,
    /// Never sent back to the page.
    #[serde(default)]
    dsn: String,
    #[serde(default)]
    credential: String,
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub items_path: String,
    #[serde(default)]
    pub time_path: String,
    #[serde(default)]
    pub value_path: String,
}

impl ConnectorForm {
    fn is_http(&self) -> bool {
        self.kind == "http"
    }
}

async fn list_page(
    st: &AppState,
    u: &PageUser,
    ok: Option<&str>,
    error: Option<String>,
    tested: Option<Tested>,
    typed: Option<ConnectorForm>,
) -> Response {
    let a = &u.session.actor;
    let t = crate::i18n::Tr(u.lang);
    let connectors = match st.app.list_connectors(a).await {
        Ok(c) => c,
        Err(e) => return user_error_page(u, &e),
    };
    let metrics = match st.app.list_metrics(a).await {
        Ok(m) => m,
        Err(e) => return user_error_page(u, &e),
    };
    let mut lines = Vec::with_capacity(connectors.len());
    for c in connectors {
        let runs = st.app.connector_runs(a, c.id, 5).await.unwrap_or_default();
        lines.push(ConnectorLine {
            source: if c.kind == "sql" { format!("SQL · {}", c.engine) } else { "HTTP JSON".into() },
            what: if c.kind == "sql" {
                c.config.query.clone()
            } else {
                let mut w = c.config.url.clone();
                for (label, p) in
                    [("items", &c.config.items_path), ("time", &c.config.time_path), ("value", &c.config.value_path)]
                {
                    if !p.is_empty() {
                        w.push_str(&format!(" · {label}: {p}"));
                    }
                }
                w
            },
            metric: metrics.iter().find(|m| m.id == c.metric_id).map(|m| m.name.clone()).unwrap_or_default(),
            metric_id: c.metric_id,
            next_run: if c.active {
                c.next_run_at.map(|x| fmt_time(x, u.session.zone)).unwrap_or_default()
            } else {
                t.s("paused").into()
            },
            last_run: c.last_run_at.map(|x| fmt_time(x, u.session.zone)).unwrap_or_else(|| t.s("never_ran").into()),
            last_status: c.last_status,
            last_error: c.last_error,
            running: c.running,
            runs: runs
                .into_iter()
                .map(|r| {
                    let cause = if r.cause == "schedule" { t.s("run_scheduled") } else { t.s("run_manual") };
                    (fmt_time(r.started_at, u.session.zone), cause.into(), r.status, r.fetched, r.inserted, r.error)
                })
                .collect(),
            id: c.id,
            name: c.name,
            schedule: c.schedule,
            active: c.active,
        });
    }
    let mut f = Frame::for_user(u, "metrics", "connectors_title", "/data/connectors").with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let form = typed.unwrap_or_else(|| ConnectorForm {
        kind: "sql".into(),
        schedule: "0 6 * * *".into(),
        timeout_secs: "30".into(),
        ..Default::default()
    });
    render(
        status,
        ConnectorsPage {
            f,
            connectors: lines,
            metrics: metrics.into_iter().map(|m| (m.id, m.name)).collect(),
            tested,
            form,
        },
    )
}

pub async fn page(State(st): State<AppState>, u: PageUser, Query(q): Query<OkQuery>) -> Response {
    list_page(&st, &u, q.ok.as_deref(), None, None, None).await
}

pub async fn create(State(st): State<AppState>, u: PageUser, Form(form): Form<ConnectorForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let t = crate::i18n::Tr(u.lang);
    let Ok(metric_id) = form.metric_id.trim().parse::<i64>() else {
        return list_page(&st, &u, None, Some(t.s("pick_metric").into()), None, Some(form)).await;
    };
    let timeout_secs = match form.timeout_secs.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let e = tandem_app::AppError::from(tandem_domain::Invalid::new(
                    "timeout_secs",
                    tandem_domain::Rule::NotANumber,
                ));
                return list_page(&st, &u, None, Some(e.message(u.lang)), None, Some(form)).await;
            }
        },
    };
    let secret = if form.is_http() { form.credential.clone() } else { form.dsn.clone() };
    let new = NewConnector {
        name: form.name.clone(),
        kind: if form.is_http() { "http".into() } else { "sql".into() },
        metric_id,
        schedule: form.schedule.clone(),
        timeout_secs,
        secret: Some(secret).filter(|s| !s.trim().is_empty()),
        config: SourceConfig {
            query: form.query.clone(),
            url: form.url.clone(),
            items_path: form.items_path.clone(),
            time_path: form.time_path.clone(),
            value_path: form.value_path.clone(),
        },
        active: Some(true),
    };
    match st.app.create_connector(&u.session.actor, &new).await {
        Ok(c) => Redirect::to(&format!("/data/connectors?ok=created#c-{}", c.id)).into_response(),
        Err(e) => {
            // What was typed stays, except the secret, which is never sent back.
            let mut kept = form;
            kept.dsn.clear();
            kept.credential.clear();
            list_page(&st, &u, None, Some(e.message(u.lang)), None, Some(kept)).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

pub async fn test(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.test_connector(&u.session.actor, id, u.lang).await {
        Ok(o) => list_page(&st, &u, None, None, Some(tested(id, o, u.session.zone)), None).await,
        Err(e) => user_error_page(&u, &e),
    }
}

fn tested(id: i64, o: TestOutcome, zone: tandem_domain::zone::Zone) -> Tested {
    Tested {
        id,
        ok: o.ok,
        total: o.total,
        sample: o.sample.into_iter().map(|s| (fmt_time(s.time, zone), crate::pages::shared::num(s.value))).collect(),
        error: o.error,
        row_errors: o.row_errors.into_iter().map(|e| (e.row, e.column, e.reason)).collect(),
    }
}

pub async fn run(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.run_connector_now(&u.session.actor, id, u.lang).await {
        Ok(_) => Redirect::to(&format!("/data/connectors#c-{id}")).into_response(),
        Err(e @ tandem_app::AppError::Conflict(_)) => {
            list_page(&st, &u, None, Some(e.message(u.lang)), None, None).await
        }
        Err(e) => user_error_page(&u, &e),
    }
}

pub async fn set_active(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.set_connector_active(&u.session.actor, id, form.active == "true").await {
        Ok(_) => Redirect::to(&format!("/data/connectors?ok=saved#c-{id}")).into_response(),
        Err(e) => user_error_page(&u, &e),
    }
}

pub async fn remove(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.delete_connector(&u.session.actor, id).await {
        Ok(()) => Redirect::to("/data/connectors?ok=saved").into_response(),
        Err(e) => user_error_page(&u, &e),
    }
}
