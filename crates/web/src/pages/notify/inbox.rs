//! The notification centre: what the signed-in person was told, newest first, unread ones
//! marked; opening one marks it read and goes where it points.

use crate::AppState;
use crate::auth::PageUser;
use crate::pages::{Frame, csrf_refusal, fmt_ago, render, user_error_page};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// Notifications per page.
const PER_PAGE: usize = 30;

pub struct Line {
    pub id: i64,
    /// "3 天前", and the exact local time.
    pub when: (String, String),
    pub title: String,
    pub body: String,
    pub read: bool,
    /// The key of its kind's label.
    pub kind: &'static str,
}

#[derive(Template)]
#[template(path = "notify/inbox.html")]
struct InboxPage {
    f: Frame,
    lines: Vec<Line>,
    page: usize,
    pages: usize,
}

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    #[serde(default)]
    page: usize,
    ok: Option<String>,
}

fn kind_key(event: &str) -> &'static str {
    match event {
        "alert_raised" => "event_alert_raised",
        "mentioned" => "event_mentioned",
        "kpi_change_decided" => "event_kpi_change_decided",
        "upstream_changed" => "event_upstream_changed",
        "check_in_reminder" => "event_check_in_reminder",
        "weekly_digest" => "event_weekly_digest",
        _ => "notifications_title",
    }
}

pub async fn page(State(st): State<AppState>, u: PageUser, Query(q): Query<InboxQuery>) -> Response {
    let (rows, total) = match st.app.notifications(&u.session.actor, q.page, PER_PAGE).await {
        Ok(x) => x,
        Err(e) => return user_error_page(&u, &e),
    };
    let f = Frame::for_user(&u, "notifications", "notifications_title", "/notifications").with_ok(q.ok.as_deref());
    let lines = rows
        .into_iter()
        .map(|n| Line {
            id: n.id,
            when: fmt_ago(n.created_at, st.app.now(), u.session.zone, u.lang),
            kind: kind_key(&n.event),
            title: n.title,
            body: n.body,
            read: n.read,
        })
        .collect();
    render(StatusCode::OK, InboxPage { f, lines, page: q.page, pages: total.div_ceil(PER_PAGE).max(1) })
}

/// Opens a notification: marks it read and goes where it points (a path in the app only).
pub async fn open(State(st): State<AppState>, u: PageUser, Path(id): Path<i64>) -> Response {
    match st.app.open_notification(&u.session.actor, id).await {
        Ok(href) if href.starts_with('/') && !href.starts_with("//") => Redirect::to(&href).into_response(),
        Ok(_) => Redirect::to("/notifications").into_response(),
        Err(e) => user_error_page(&u, &e),
    }
}

#[derive(Deserialize, Default)]
pub struct ReadForm {
    #[serde(default)]
    csrf: String,
}

pub async fn read_all(State(st): State<AppState>, u: PageUser, Form(form): Form<ReadForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.read_all_notifications(&u.session.actor).await {
        Ok(()) => Redirect::to("/notifications?ok=saved").into_response(),
        Err(e) => user_error_page(&u, &e),
    }
}
