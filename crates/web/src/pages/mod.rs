//! Server-rendered pages. They work without JavaScript: forms post, the server answers with a
//! redirect (after success) or the same page with the message and what was typed (after an
//! error). Every form carries the session's CSRF token.

mod cycles;
mod data;
mod exchange;
mod goals;
mod kpis;
mod notify;
mod org;
mod pick;
mod review;
mod shared;
mod tracking;

use crate::AppState;
use crate::auth::{self, ClientAddr, PageUser, page_lang, safe_next, urlencode};
use crate::i18n::Tr;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;
use std::collections::HashMap;
use tandem_app::AppError;
use tandem_domain::Lang;
use tandem_domain::policy::Role;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/goals") }))
        .route("/goals", get(tracking::my_goals::my_goals))
        .route("/goals/tree", get(goals::tree::tree))
        .route("/goals/map", get(goals::map::map))
        .route("/dashboard", get(tracking::dashboard::dashboard))
        .route("/kpis", get(kpis::board::kpi_board))
        .route("/kpis/import", get(exchange::imports::kpi_form).post(exchange::imports::kpi_upload))
        .route("/kpis/import/sample.csv", get(exchange::imports::kpi_sample))
        .route("/goals/import", get(exchange::imports::okr_form).post(exchange::imports::okr_upload))
        .route("/goals/import/sample.csv", get(exchange::imports::okr_sample))
        .route("/kpis/requests", get(kpis::requests::kpi_requests))
        .route("/kpis/library", get(kpis::library::library).post(kpis::library::add_template))
        .route("/kpis/library/{id}/delete", post(kpis::library::remove_template))
        .route("/objectives/{id}/comments", post(goals::edit::comment))
        .route("/kpis/requests/{id}", post(kpis::requests::decide_request))
        .route("/kpis/{id}/change-requests", post(kpis::requests::request_change))
        .route("/kpis/{id}/values", post(kpis::board::record_kpi_value))
        .route("/alerts/{id}/acknowledge", post(tracking::checkins::acknowledge_alert))
        .route("/data", get(data::metrics::page).post(data::metrics::create))
        .route("/data/sample.csv", get(data::metrics::sample_csv))
        .route("/channels", get(notify::channels::page).post(notify::channels::create))
        .route("/channels/{id}/delete", post(notify::channels::remove))
        .route("/channels/{id}", post(notify::channels::update))
        .route("/channels/{id}/test", post(notify::channels::test))
        .route("/data/connectors", get(data::connectors::page).post(data::connectors::create))
        .route("/data/connectors/{id}/test", post(data::connectors::test))
        .route("/data/connectors/{id}/run", post(data::connectors::run))
        .route("/data/connectors/{id}/active", post(data::connectors::set_active))
        .route("/data/connectors/{id}/delete", post(data::connectors::remove))
        .route("/data/{id}", get(data::metrics::detail))
        .route("/data/{id}/import", post(data::metrics::import))
        .route("/key-results/{id}/binding", post(data::metrics::bind_kr))
        .route("/kpis/{id}/binding", post(data::metrics::bind_kpi))
        .route("/objectives", post(goals::new::create_objective))
        .route("/objectives/new", get(goals::new::new_objective))
        .route("/objectives/{id}", get(goals::objective::objective).post(goals::edit::edit_objective))
        .route("/objectives/{id}/status", post(goals::edit::set_status))
        .route("/objectives/archived", get(goals::edit::archived))
        .route("/pick/{kind}", get(pick::choices))
        .route("/notifications", get(notify::inbox::page))
        .route("/notifications/read", post(notify::inbox::read_all))
        .route("/notifications/{id}", get(notify::inbox::open))
        .route("/objectives/{id}/key-results", post(goals::edit::add_key_result))
        .route("/key-results/{id}", post(goals::edit::adjust_key_result))
        .route("/key-results/{id}/kpis", post(kpis::derive::derive_kpi))
        .route("/key-results/{id}/check-ins", post(tracking::checkins::check_in))
        .route("/check-ins/{id}", post(tracking::checkins::edit_check_in))
        .route("/objectives/{id}/check-ins", post(tracking::checkins::check_in_objective))
        .route("/review", get(review::board::page))
        .route("/lessons", get(review::lessons::page))
        .route("/objectives/{id}/retro", get(review::retro::show).post(review::retro::save))
        .route("/objectives/{id}/retro/acknowledge", post(review::retro::acknowledge))
        .route("/key-results/{id}/final-score", post(review::retro::final_score))
        .route("/teams/{unit}/retro/{cycle}", get(review::retro::team_show).post(review::retro::team_save))
        .route("/teams/{unit}/retro/{cycle}/acknowledge", post(review::retro::team_acknowledge))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(switch_lang))
        .route("/org", get(org::units::page).post(org::units::create))
        .route("/org/time-zone", post(org::units::set_time_zone))
        .route("/org/{id}", get(org::units::edit_page).post(org::units::update))
        .route("/people", get(org::people::page).post(org::people::create))
        .route("/people/import", post(org::people::import))
        .route("/people/{id}", get(org::people::detail).post(org::people::update))
        .route("/cycles", get(cycles::calendar::page).post(cycles::calendar::create))
        .route("/cycles/{id}/state", get(cycles::calendar::confirm_state).post(cycles::calendar::change_state))
        .route("/account", get(org::account::page))
        .route("/account/password", post(org::account::change_password))
        .route("/account/lang", post(org::account::set_lang))
        .route("/account/time-zone", post(org::account::set_time_zone))
        .route("/account/preferences", post(org::account::set_prefs))
        .route("/account/tokens", post(org::account::create_token))
        .route("/account/tokens/{id}/revoke", post(org::account::revoke_token))
}

/// What every page's frame needs: language, who is signed in, navigation and messages.
pub struct Frame {
    pub t: Tr,
    pub title: String,
    pub nav: &'static str,
    pub signed_in: bool,
    pub user_name: String,
    pub csrf: String,
    pub path_enc: String,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub is_admin: bool,
    pub is_hr: bool,
    pub is_people_admin: bool,
    /// HR proper (not admin): decides KPI change requests.
    pub is_hr_only: bool,
    /// Unread notifications (the bell).
    pub unread: i64,
}

impl Frame {
    pub fn for_user(u: &PageUser, nav: &'static str, title_key: &str, path: &str) -> Frame {
        let t = Tr(u.lang);
        let a = &u.session.actor;
        Frame {
            title: t.s(title_key).to_string(),
            t,
            nav,
            signed_in: true,
            user_name: u.session.name.clone(),
            csrf: u.session.csrf.clone(),
            path_enc: urlencode(path),
            notice: None,
            error: None,
            is_admin: a.has(Role::Admin),
            is_hr: a.has(Role::Hr) || a.has(Role::Admin),
            is_people_admin: a.has(Role::Hr) || a.has(Role::Admin),
            is_hr_only: a.has(Role::Hr),
            unread: u.unread,
        }
    }

    pub fn anonymous(lang: Lang, title_key: &str, path: &str) -> Frame {
        let t = Tr(lang);
        Frame {
            title: t.s(title_key).to_string(),
            t,
            nav: "",
            signed_in: false,
            user_name: String::new(),
            csrf: String::new(),
            path_enc: urlencode(path),
            notice: None,
            error: None,
            is_admin: false,
            is_hr: false,
            is_people_admin: false,
            is_hr_only: false,
            unread: 0,
        }
    }

    /// Shows the message for a `?ok=` code after a redirect.
    pub fn with_ok(mut self, ok: Option<&str>) -> Frame {
        self.notice = match ok {
            Some("saved") => Some(self.t.s("saved").into()),
            Some("created") => Some(self.t.s("created").into()),
            Some("imported") => Some(self.t.s("imported").into()),
            Some("password") => Some(self.t.s("password_changed").into()),
            _ => None,
        };
        self
    }
}

#[derive(Deserialize, Default)]
pub struct OkQuery {
    pub ok: Option<String>,
}

/// Secrets (a new API token) to show exactly once, on the page a successful post redirects to,
/// so that reloading that page neither repeats the post nor shows the secret again. Held in
/// memory for a few minutes, for the session that made them, behind a random key in the URL.
#[derive(Default)]
pub struct Reveals(std::sync::Mutex<HashMap<String, (i64, String, std::time::Instant)>>);

impl Reveals {
    const TTL: std::time::Duration = std::time::Duration::from_secs(300);

    /// Keeps `secret` for `credential` (the session): answers the key to reveal it with.
    pub fn keep(&self, credential: i64, secret: String) -> String {
        use rand::RngCore;
        let mut b = [0u8; 16];
        rand::rng().fill_bytes(&mut b);
        let key: String = b.iter().map(|x| format!("{x:02x}")).collect();
        if let Ok(mut m) = self.0.lock() {
            m.retain(|_, (_, _, at)| at.elapsed() < Self::TTL);
            m.insert(key.clone(), (credential, secret, std::time::Instant::now()));
        }
        key
    }

    /// The secret behind `key`, once, and only to the session that kept it.
    pub fn take(&self, credential: i64, key: &str) -> Option<String> {
        let mut m = self.0.lock().ok()?;
        match m.get(key) {
            Some((c, _, at)) if *c == credential && at.elapsed() < Self::TTL => m.remove(key).map(|x| x.1),
            _ => None,
        }
    }
}

pub fn render<T: Template>(status: StatusCode, page: T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    f: Frame,
    heading: String,
    body: String,
}

/// A whole page for an error that leaves nothing to re-render.
pub fn error_page(e: &AppError, lang: Lang) -> Response {
    let f = Frame::anonymous(lang, "error_title", "/");
    let heading = f.t.s("error_title").to_string();
    render(crate::error::status_of(e), MessagePage { heading, body: e.message(lang), f })
}

/// Same, inside the signed-in frame.
pub fn user_error_page(u: &PageUser, e: &AppError) -> Response {
    if let AppError::Internal(cause) = e {
        tracing::error!(%cause, "internal error");
    }
    let f = Frame::for_user(u, "", "error_title", "/");
    let heading = f.t.s("error_title").to_string();
    render(crate::error::status_of(e), MessagePage { heading, body: e.message(u.lang), f })
}

pub async fn not_found(headers: HeaderMap, uri: Uri) -> Response {
    let lang = page_lang(&headers);
    if uri.path().starts_with("/api/") {
        let lang = auth::header_lang(&headers);
        let message = lang.pick("没有这个 API 端点", "There is no such API endpoint").to_string();
        let body = crate::error::ErrorBody {
            error: crate::error::ErrorDetail {
                code: "unknown_endpoint".into(),
                message,
                field: None,
                rows: None,
                tenants: None,
            },
        };
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    }
    let f = Frame::anonymous(lang, "not_found_title", "/");
    let heading = f.t.s("not_found_title").to_string();
    let body = f.t.s("not_found_body").to_string();
    render(StatusCode::NOT_FOUND, MessagePage { f, heading, body })
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.css"),
    )
}

pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.js"),
    )
}

/// The answer to a form whose CSRF token is not the session's; `None` when it is.
pub fn csrf_refusal(u: &PageUser, token: &str) -> Option<Response> {
    if auth::constant_eq(token, &u.session.csrf) {
        None
    } else {
        let f = Frame::for_user(u, "", "error_title", "/");
        let heading = f.t.s("error_title").to_string();
        let body = f.t.s("form_expired").to_string();
        Some(render(StatusCode::FORBIDDEN, MessagePage { f, heading, body }))
    }
}

/// An optional id from a `<select>`: empty means none.
pub fn opt_id(s: &str) -> Result<Option<i64>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse().map(Some).map_err(|_| tandem_domain::Invalid::new("id", tandem_domain::Rule::NotANumber).into())
}

/// The roles worth a tag (everyone is a member, so that one is not shown).
pub fn role_tags(roles: &[Role], t: Tr) -> Vec<(&'static str, &'static str)> {
    roles.iter().filter(|r| **r != Role::Member).map(|r| (r.as_str(), r.label(t.0))).collect()
}

/// Formats event-log time (µs) as `YYYY-MM-DD HH:MM UTC`.
/// An instant as the reader's local time ("2026-12-07 17:45", in their or their tenant's zone).
pub fn fmt_time(us: i64, zone: tandem_domain::zone::Zone) -> String {
    zone.format(us)
}

/// For a list people scan: how long ago ("3 天前"), and the exact local time (for a tooltip).
pub fn fmt_ago(us: i64, now: i64, zone: tandem_domain::zone::Zone, lang: Lang) -> (String, String) {
    (tandem_domain::zone::ago(&zone, us, now, lang), zone.format(us))
}

// ----- sign-in, sign-out, language -----

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    f: Frame,
    csrf: String,
    next: String,
    email: String,
    tenant: String,
    /// The companies a sign-in was right in, to choose from: (slug, name).
    choices: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    pub next: Option<String>,
}

async fn login_form(
    State(st): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if let Some(c) = jar.get(auth::SESSION_COOKIE)
        && st.app.authenticate(c.value()).await.is_ok()
    {
        return Redirect::to(&next).into_response();
    }
    let csrf = tandem_app::org::accounts::random_csrf();
    let jar = jar.add(auth::plain_cookie(auth::LOGIN_CSRF_COOKIE, csrf.clone(), st.secure_cookies));
    let page = LoginPage {
        f: Frame::anonymous(page_lang(&headers), "sign_in", "/login"),
        csrf,
        next,
        email: String::new(),
        tenant: String::new(),
        choices: vec![],
    };
    (jar, render(StatusCode::OK, page)).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

async fn login_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    ClientAddr(client): ClientAddr,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = page_lang(&headers);
    let next = safe_next(Some(&form.next));
    let cookie_csrf = jar.get(auth::LOGIN_CSRF_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    let again = |jar: CookieJar, status: StatusCode, message: String, choices: Vec<(String, String)>| {
        let csrf = tandem_app::org::accounts::random_csrf();
        let jar = jar.add(auth::plain_cookie(auth::LOGIN_CSRF_COOKIE, csrf.clone(), st.secure_cookies));
        let mut f = Frame::anonymous(lang, "sign_in", "/login");
        f.error = Some(message);
        let page =
            LoginPage { f, csrf, next: next.clone(), email: form.email.clone(), tenant: form.tenant.clone(), choices };
        (jar, render(status, page)).into_response()
    };
    if cookie_csrf.is_empty() || !auth::constant_eq(&cookie_csrf, &form.csrf) {
        return again(jar, StatusCode::FORBIDDEN, Tr(lang).s("form_expired").to_string(), vec![]);
    }
    let tenant = Some(form.tenant.as_str()).filter(|t| !t.trim().is_empty());
    match st.app.login(&form.email, &form.password, tenant, &client).await {
        Ok(signed) => {
            let jar = jar
                .remove(Cookie::from(auth::LOGIN_CSRF_COOKIE))
                .add(auth::session_cookie(signed.secret, st.secure_cookies));
            (jar, Redirect::to(&next)).into_response()
        }
        Err(e) => {
            let choices = match &e {
                AppError::ChooseTenant(c) => c.iter().map(|t| (t.slug.clone(), t.name.clone())).collect(),
                _ => vec![],
            };
            again(jar, crate::error::status_of(&e), e.message(lang), choices)
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

async fn logout(State(st): State<AppState>, u: PageUser, jar: CookieJar, Form(form): Form<CsrfForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    if let Some(c) = jar.get(auth::SESSION_COOKIE)
        && let Err(e) = st.app.logout(c.value()).await
    {
        return user_error_page(&u, &e);
    }
    (jar.remove(Cookie::from(auth::SESSION_COOKIE)), Redirect::to("/login")).into_response()
}

async fn switch_lang(
    State(st): State<AppState>,
    jar: CookieJar,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let jar = jar.add(auth::plain_cookie(auth::LANG_COOKIE, lang.code().to_string(), st.secure_cookies));
    (jar, Redirect::to(&safe_next(q.next.as_deref()))).into_response()
}

/// A unit for a `<select>` or the tree: indented by depth.
pub struct UnitOption {
    pub id: i64,
    pub name: String,
    pub indent: String,
}

pub fn unit_options(snap: &tandem_app::org::chart::OrgSnapshot) -> Vec<UnitOption> {
    snap.tree
        .walk()
        .into_iter()
        .filter_map(|(id, depth)| {
            snap.unit(id.0).map(|u| UnitOption { id: u.id, name: u.name.clone(), indent: "— ".repeat(depth) })
        })
        .collect()
}

/// One line of an entity's history.
pub struct HistoryItem {
    pub when: String,
    pub who: String,
    pub what: String,
}

/// A recorded field's name in the page's language (unknown fields keep their key).
fn field_label(k: &str, t: Tr) -> &str {
    let (zh, en) = match k {
        "title" => ("标题", "title"),
        "description" => ("描述", "description"),
        "target" => ("目标值", "target"),
        "baseline" => ("基线", "baseline"),
        "current" => ("当前值", "current"),
        "weight" => ("权重", "weight"),
        "status" => ("状态", "status"),
        "kind" => ("类型", "kind"),
        "parent" => ("对齐到", "aligned to"),
        "supports" => ("支持", "supports"),
        "owner" | "owners" => ("负责人", "owner"),
        "measure" => ("度量方式", "measure"),
        "unit" => ("单位", "unit"),
        "pass" => ("达标线", "pass"),
        "warn" => ("预警线", "warn"),
        "name" => ("名称", "name"),
        "state" => ("状态", "state"),
        "score" | "override_score" => ("得分", "score"),
        _ => return k,
    };
    t.0.pick(zh, en)
}

pub fn history_items(
    events: &[tandem_app::history::StoredEvent],
    snap: &tandem_app::org::chart::OrgSnapshot,
    t: Tr,
    zone: tandem_domain::zone::Zone,
) -> Vec<HistoryItem> {
    events
        .iter()
        .rev()
        .map(|e| {
            let who = e
                .actor_id
                .and_then(|a| snap.person(a))
                .map(|p| p.name.clone())
                .unwrap_or_else(|| t.0.pick("系统", "System").to_string());
            let action = match e.action.as_str() {
                "create" => t.0.pick("创建", "Created"),
                "update" => t.0.pick("修改", "Changed"),
                "state_change" => t.0.pick("变更状态", "State changed"),
                "publish" => t.0.pick("发布", "Published"),
                "archive" => t.0.pick("归档", "Archived"),
                "password_changed" => t.0.pick("修改了密码", "Changed the password"),
                "password_reset" => t.0.pick("重置了密码", "Password reset"),
                "check_in" => t.0.pick("打卡", "Checked in"),
                "check_in_edited" => t.0.pick("修改了打卡", "Corrected a check-in"),
                "override" => t.0.pick("调整了最终得分", "Set the final score"),
                "value" => t.0.pick("填报数值", "Recorded a value"),
                "delete" => t.0.pick("删除", "Deleted"),
                "acknowledge" => t.0.pick("确认预警", "Acknowledged"),
                "raise" => t.0.pick("触发预警", "Raised"),
                "resolve" => t.0.pick("预警解除", "Resolved"),
                other => other,
            };
            let mut what = action.to_string();
            let named = e
                .after
                .as_ref()
                .or(e.before.as_ref())
                .and_then(|v| v.get("title").or_else(|| v.get("name")))
                .and_then(|v| v.as_str());
            if let (Some(n), "create") = (named, e.action.as_str()) {
                what = format!("{what}「{n}」");
            }
            if let Some(r) = e.reason.as_deref().filter(|r| !r.is_empty()) {
                what = format!("{what}（{}{r}）", t.0.pick("原因：", "reason: "));
            }
            if let (Some(serde_json::Value::Object(b)), Some(serde_json::Value::Object(a))) = (&e.before, &e.after) {
                let changes: Vec<String> = a
                    .iter()
                    .filter(|(k, v)| b.get(*k) != Some(*v))
                    .map(|(k, v)| format!("{}: {} → {}", field_label(k, t), short(b.get(k)), short(Some(v))))
                    .collect();
                if !changes.is_empty() {
                    what = format!("{what}：{}", changes.join("；"));
                }
            }
            HistoryItem { when: fmt_time(e.at, zone), who, what }
        })
        .collect()
}

pub(crate) fn short(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "∅".into(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// An uploaded file form as the import pages send it: the CSRF token, the file (or, on the
/// confirmation, the checked file carried back as hex), its name, and whether to write.
pub struct Upload {
    pub csrf: String,
    pub bytes: Vec<u8>,
    pub name: String,
    pub confirm: bool,
    /// Any other text fields of the form.
    pub fields: std::collections::HashMap<String, String>,
}

/// Reads an import form; None when the form itself cannot be read.
pub async fn read_upload(mut mp: axum::extract::Multipart) -> Option<Upload> {
    let (mut csrf, mut file, mut name, mut carried, mut confirm) =
        (String::new(), Vec::new(), String::new(), String::new(), false);
    let mut fields = std::collections::HashMap::new();
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let field_name = field.name().unwrap_or("").to_string();
                if field_name == "file" {
                    name = field.file_name().unwrap_or("").to_string();
                }
                let Ok(bytes) = field.bytes().await else { break };
                match field_name.as_str() {
                    "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                    "file" => file = bytes.to_vec(),
                    "content_hex" => carried = String::from_utf8_lossy(&bytes).into_owned(),
                    "name" => name = String::from_utf8_lossy(&bytes).into_owned(),
                    "confirm" => confirm = true,
                    other => {
                        fields.insert(other.to_string(), String::from_utf8_lossy(&bytes).into_owned());
                    }
                }
            }
            Ok(None) => break,
            Err(_) => return None,
        }
    }
    let bytes = if file.is_empty() { hex::decode(carried.trim()).unwrap_or_default() } else { file };
    Some(Upload { csrf, bytes, name, confirm, fields })
}
