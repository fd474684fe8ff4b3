//! The account page: profile, language, password, API tokens.

use crate::AppState;
use crate::auth::{self, PageUser};
use crate::pages::{CsrfForm, Frame, csrf_refusal, fmt_time, render, role_tags, user_error_page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;
use tandem_app::AppError;
use tandem_app::org::people::PersonView;
use tandem_domain::Lang;

pub struct TokenRowView {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
}

/// Each event a person may take by email, with the key of its label.
const EMAIL_LABELS: [(&str, &str); 4] = [
    ("alert_raised", "email_alert_raised"),
    ("check_in_reminder", "email_check_in_reminder"),
    ("weekly_digest", "email_weekly_digest"),
    ("upstream_changed", "email_upstream_changed"),
];

#[derive(Template)]
#[template(path = "org/account.html")]
struct AccountPage {
    f: Frame,
    me: PersonView,
    roles: Vec<(&'static str, &'static str)>,
    tokens: Vec<TokenRowView>,
    new_token: Option<String>,
    /// (label, event, on) for each email the person may take.
    email_events: Vec<(String, String, bool)>,
    /// Their own time zone as typed or saved ('' follows the company's), and the company's.
    own_zone: String,
    company_zone: String,
    zones: &'static [&'static str],
}

async fn account_page(
    st: &AppState,
    u: &PageUser,
    error: Option<String>,
    ok: Option<&str>,
    new_token: Option<String>,
) -> Response {
    account_page_with(st, u, error, ok, new_token, None).await
}

async fn account_page_with(
    st: &AppState,
    u: &PageUser,
    error: Option<String>,
    ok: Option<&str>,
    new_token: Option<String>,
    typed_zone: Option<String>,
) -> Response {
    let a = &u.session.actor;
    let loaded = async {
        let me = st.app.get_person(a, a.person.0).await?;
        let tokens = st.app.list_api_tokens(&u.session).await?;
        let prefs = st.app.email_prefs(a).await?;
        let own = st.app.own_time_zone(&u.session).await?;
        let company = st.app.tenant_zone(a.tenant.0).await?;
        Ok::<_, AppError>((me, tokens, prefs, own, company))
    }
    .await;
    let (me, tokens, prefs, own, company) = match loaded {
        Ok(x) => x,
        Err(e) => return user_error_page(u, &e),
    };
    let mut f = Frame::for_user(u, "account", "account_title", "/account").with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let never = f.t.s("never").to_string();
    let page = AccountPage {
        roles: role_tags(&me.roles, f.t),
        me,
        tokens: tokens
            .into_iter()
            .map(|t| TokenRowView {
                id: t.id,
                name: t.name,
                created: fmt_time(t.created_at, u.session.zone),
                last_used: t.last_used_at.map(|x| fmt_time(x, u.session.zone)).unwrap_or_else(|| never.clone()),
                revoked: t.revoked_at.is_some(),
            })
            .collect(),
        new_token,
        email_events: prefs
            .events
            .into_iter()
            .map(|(e, on)| {
                let label = EMAIL_LABELS.iter().find(|(k, _)| *k == e).map(|(_, l)| f.t.s(l)).unwrap_or("");
                (label.to_string(), e, on)
            })
            .collect(),
        own_zone: typed_zone.or(own).unwrap_or_default(),
        company_zone: company.name().to_string(),
        zones: super::units::ZONES,
        f,
    };
    render(status, page)
}

#[derive(Deserialize)]
pub struct ZoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    time_zone: String,
}

/// The signed-in person's own time zone (times, weeks and reminders in it); empty follows the
/// company's.
pub async fn set_time_zone(State(st): State<AppState>, u: PageUser, Form(form): Form<ZoneForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.set_own_time_zone(&u.session, &form.time_zone).await {
        Ok(()) => Redirect::to("/account?ok=saved#my-time-zone").into_response(),
        Err(e) => {
            let message =
                crate::pages::shared::labelled_message(&e, crate::i18n::Tr(u.lang), &[("time_zone", "my_time_zone")]);
            account_page_with(&st, &u, Some(message), None, None, Some(form.time_zone)).await
        }
    }
}

#[derive(Deserialize)]
pub struct PrefsForm {
    #[serde(default)]
    csrf: String,
    /// Each checked event, present; unchecked ones absent.
    #[serde(default)]
    alert_raised: Option<String>,
    #[serde(default)]
    check_in_reminder: Option<String>,
    #[serde(default)]
    weekly_digest: Option<String>,
    #[serde(default)]
    upstream_changed: Option<String>,
}

pub async fn set_prefs(State(st): State<AppState>, u: PageUser, Form(form): Form<PrefsForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let choices = [
        ("alert_raised", form.alert_raised.is_some()),
        ("check_in_reminder", form.check_in_reminder.is_some()),
        ("weekly_digest", form.weekly_digest.is_some()),
        ("upstream_changed", form.upstream_changed.is_some()),
    ]
    .map(|(e, on)| (e.to_string(), on));
    match st.app.set_email_prefs(&u.session.actor, &choices).await {
        Ok(_) => Redirect::to("/account?ok=saved").into_response(),
        Err(e) => account_page(&st, &u, Some(e.message(u.lang)), None, None).await,
    }
}

#[derive(Deserialize)]
pub struct AccountQuery {
    ok: Option<String>,
    /// The key of a new token's secret to show, once (see `create_token`).
    reveal: Option<String>,
}

pub async fn page(State(st): State<AppState>, u: PageUser, Query(q): Query<AccountQuery>) -> Response {
    match q.reveal {
        Some(key) => match st.reveals.take(u.session.credential_id, &key) {
            Some(secret) => account_page(&st, &u, None, q.ok.as_deref(), Some(secret)).await,
            // Already shown (a reload), or kept by another server: never shown twice.
            None => {
                let t = crate::i18n::Tr(u.lang);
                let mut r = account_page(&st, &u, Some(t.s("token_shown_once").into()), None, None).await;
                *r.status_mut() = StatusCode::OK;
                r
            }
        },
        None => account_page(&st, &u, None, q.ok.as_deref(), None).await,
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(State(st): State<AppState>, u: PageUser, Form(form): Form<PasswordForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.change_password(&u.session, &form.current_password, &form.new_password).await {
        Ok(()) => Redirect::to("/account?ok=password").into_response(),
        Err(e) => account_page(&st, &u, Some(e.message(u.lang)), None, None).await,
    }
}

#[derive(Deserialize)]
pub struct LangForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
}

pub async fn set_lang(State(st): State<AppState>, u: PageUser, jar: CookieJar, Form(form): Form<LangForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let lang = Lang::parse(&form.lang).unwrap_or_default();
    if let Err(e) = st.app.set_language(&u.session, lang).await {
        return user_error_page(&u, &e);
    }
    let jar = jar.add(auth::plain_cookie(auth::LANG_COOKIE, lang.code().into(), st.secure_cookies));
    (jar, Redirect::to("/account?ok=saved")).into_response()
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
}

pub async fn create_token(State(st): State<AppState>, u: PageUser, Form(form): Form<TokenForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.create_api_token(&u.session, &form.name, &form.scope).await {
        // Redirected, so a reload does not make a second token; the secret is shown once there.
        Ok(t) => {
            let key = st.reveals.keep(u.session.credential_id, t.secret);
            Redirect::to(&format!("/account?ok=created&reveal={key}#tokens")).into_response()
        }
        Err(e) => account_page(&st, &u, Some(e.message(u.lang)), None, None).await,
    }
}

pub async fn revoke_token(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.revoke_api_token(&u.session, id).await {
        Ok(()) => Redirect::to("/account?ok=saved#tokens").into_response(),
        Err(e) => account_page(&st, &u, Some(e.message(u.lang)), None, None).await,
    }
}
