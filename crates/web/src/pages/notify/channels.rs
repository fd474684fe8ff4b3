//! The admin's page for notification channels: where messages go (a generic webhook, or a
//! Slack, Feishu, DingTalk or WeCom bot), which events each takes, in which language; adding
//! and removing one; and the latest deliveries with every attempt.

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
use tandem_app::notify::channels::{ChannelPatch, ChannelTest, ChannelView, EVENTS, KINDS, NewChannel};

/// Each event with the key of its label.
pub const EVENT_LABELS: [(&str, &str); 5] = [
    ("alert_raised", "event_alert_raised"),
    ("check_in_reminder", "event_check_in_reminder"),
    ("weekly_digest", "event_weekly_digest"),
    ("upstream_changed", "event_upstream_changed"),
    ("kpi_change_decided", "event_kpi_change_decided"),
];

/// Each channel kind with the key of its label.
const KIND_LABELS: [(&str, &str); 5] = [
    ("webhook", "kind_webhook"),
    ("slack", "kind_slack"),
    ("feishu", "kind_feishu"),
    ("dingtalk", "kind_dingtalk"),
    ("wecom", "kind_wecom"),
];

fn label(t: crate::i18n::Tr, table: &[(&str, &'static str)], key: &str) -> String {
    table.iter().find(|(k, _)| *k == key).map(|(_, l)| t.s(l).to_string()).unwrap_or_else(|| key.to_string())
}

/// A channel as the page shows it: with its kind and events in words.
pub struct ChannelLine {
    pub c: ChannelView,
    pub kind: String,
    pub events: Vec<String>,
    /// Its edit form: as saved, or as typed when a change was refused (then shown open).
    pub form: ChannelForm,
    pub editing: bool,
    /// A test message just sent to it: what came back.
    pub tested: Option<ChannelTest>,
}

pub struct DeliveryLine {
    pub channel: String,
    pub event: String,
    pub created: String,
    /// `delivered`, `dropped` or `pending`.
    pub state: &'static str,
    /// An email waiting because no mail server is configured (not a failure to retry).
    pub no_mail_server: bool,
    pub attempts: i64,
    pub last_error: String,
}

#[derive(Template)]
#[template(path = "notify/channels.html")]
struct ChannelsPage {
    f: Frame,
    channels: Vec<ChannelLine>,
    deliveries: Vec<DeliveryLine>,
    /// (kind, label)
    kinds: Vec<(&'static str, String)>,
    /// (event, label)
    events: Vec<(&'static str, String)>,
    form: ChannelForm,
}

#[derive(Deserialize, Default, Clone)]
pub struct ChannelForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    pub lang: String,
    #[serde(default)]
    pub alert_raised: Option<String>,
    #[serde(default)]
    pub check_in_reminder: Option<String>,
    #[serde(default)]
    pub weekly_digest: Option<String>,
    #[serde(default)]
    pub upstream_changed: Option<String>,
}

impl ChannelForm {
    /// A saved channel's edit form (its URL and secret are not shown again: left empty, kept).
    fn of(c: &ChannelView) -> ChannelForm {
        let on = |e: &str| c.events.iter().any(|x| x == e).then(|| "1".to_string());
        ChannelForm {
            kind: c.kind.clone(),
            name: c.name.clone(),
            lang: c.lang.clone(),
            alert_raised: on("alert_raised"),
            check_in_reminder: on("check_in_reminder"),
            weekly_digest: on("weekly_digest"),
            upstream_changed: on("upstream_changed"),
            ..Default::default()
        }
    }

    fn chosen(&self) -> Vec<String> {
        [
            ("alert_raised", &self.alert_raised),
            ("check_in_reminder", &self.check_in_reminder),
            ("weekly_digest", &self.weekly_digest),
            ("upstream_changed", &self.upstream_changed),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(e, _)| e.to_string())
        .collect()
    }

    pub fn has(&self, event: &&str) -> bool {
        self.chosen().iter().any(|e| e == event)
    }
}

/// What the page shows beside the lists: a refused new channel or change as typed, a test result.
#[derive(Default)]
struct Shown {
    typed: Option<ChannelForm>,
    editing: Option<(i64, ChannelForm)>,
    tested: Option<(i64, ChannelTest)>,
}

async fn list_page(st: &AppState, u: &PageUser, ok: Option<&str>, error: Option<String>, shown: Shown) -> Response {
    let Shown { typed, mut editing, mut tested } = shown;
    let mail = st.app.mail_configured();
    let a = &u.session.actor;
    let channels = match st.app.list_channels(a).await {
        Ok(c) => c,
        Err(e) => return user_error_page(u, &e),
    };
    let deliveries = st.app.deliveries(a, 20).await.unwrap_or_default();
    let t = crate::i18n::Tr(u.lang);
    let name_of = |id: i64| {
        if id == 0 {
            t.s("by_email").to_string()
        } else {
            channels.iter().find(|c| c.id == id).map(|c| c.name.clone()).unwrap_or_else(|| format!("#{id}"))
        }
    };
    let deliveries = deliveries
        .into_iter()
        .map(|d| DeliveryLine {
            channel: name_of(d.channel),
            event: label(t, &EVENT_LABELS, &d.event),
            created: fmt_time(d.created_at, u.session.zone),
            state: if d.delivered_at.is_some() {
                "delivered"
            } else if d.dropped_at.is_some() {
                "dropped"
            } else {
                "pending"
            },
            no_mail_server: d.channel == 0 && !mail && d.delivered_at.is_none() && d.dropped_at.is_none(),
            attempts: d.attempts,
            // The one error people can act on is said in their language.
            last_error: if d.last_error.starts_with("email is not configured") {
                t.s("email_not_configured").to_string()
            } else {
                d.last_error
            },
        })
        .collect();
    let mut f = Frame::for_user(u, "account", "channels_title", "/channels").with_ok(ok);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    f.error = error;
    let form = typed.unwrap_or(ChannelForm {
        kind: "feishu".into(),
        lang: "zh".into(),
        alert_raised: Some("1".into()),
        ..Default::default()
    });
    render(
        status,
        ChannelsPage {
            f,
            channels: channels
                .into_iter()
                .map(|c| {
                    let typed = editing.take_if(|(id, _)| *id == c.id).map(|(_, f)| f);
                    ChannelLine {
                        kind: label(t, &KIND_LABELS, &c.kind),
                        events: c.events.iter().map(|e| label(t, &EVENT_LABELS, e)).collect(),
                        editing: typed.is_some(),
                        form: typed.unwrap_or_else(|| ChannelForm::of(&c)),
                        tested: tested.take_if(|(id, _)| *id == c.id).map(|(_, r)| r),
                        c,
                    }
                })
                .collect(),
            deliveries,
            kinds: KINDS.iter().map(|k| (*k, label(t, &KIND_LABELS, k))).collect(),
            events: EVENTS.iter().map(|e| (*e, label(t, &EVENT_LABELS, e))).collect(),
            form,
        },
    )
}

pub async fn page(State(st): State<AppState>, u: PageUser, Query(q): Query<OkQuery>) -> Response {
    list_page(&st, &u, q.ok.as_deref(), None, Shown::default()).await
}

pub async fn create(State(st): State<AppState>, u: PageUser, Form(form): Form<ChannelForm>) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let new = NewChannel {
        kind: form.kind.clone(),
        name: form.name.clone(),
        url: form.url.clone(),
        secret: form.secret.clone(),
        events: form.chosen(),
        lang: form.lang.clone(),
    };
    match st.app.create_channel(&u.session.actor, &new).await {
        Ok(_) => Redirect::to("/channels?ok=created").into_response(),
        Err(e @ AppError::Forbidden) => user_error_page(&u, &e),
        Err(e) => {
            let mut kept = form;
            kept.secret.clear();
            list_page(&st, &u, None, Some(e.message(u.lang)), Shown { typed: Some(kept), ..Default::default() }).await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
}

pub async fn remove(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<RemoveForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.remove_channel(&u.session.actor, id).await {
        Ok(()) => Redirect::to("/channels?ok=saved").into_response(),
        Err(e) => user_error_page(&u, &e),
    }
}

/// Changes a channel: name, events, language; a new URL or secret only when one is typed.
pub async fn update(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<ChannelForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    let patch = ChannelPatch {
        name: Some(form.name.clone()),
        url: Some(form.url.clone()),
        secret: Some(form.secret.clone()),
        events: Some(form.chosen()),
        lang: Some(form.lang.clone()),
    };
    match st.app.update_channel(&u.session.actor, id, &patch).await {
        Ok(_) => Redirect::to("/channels?ok=saved").into_response(),
        Err(e @ (AppError::Forbidden | AppError::NotFound)) => user_error_page(&u, &e),
        Err(e) => {
            let mut kept = form;
            kept.secret.clear();
            let error = crate::pages::shared::labelled_message(
                &e,
                crate::i18n::Tr(u.lang),
                &[("url", "webhook_url"), ("name", "connector_name"), ("events", "channel_events")],
            );
            list_page(&st, &u, None, Some(error), Shown { editing: Some((id, kept)), ..Default::default() }).await
        }
    }
}

/// Sends a test message to a channel now and shows what the receiver answered.
pub async fn test(
    State(st): State<AppState>,
    u: PageUser,
    Path(id): Path<i64>,
    Form(form): Form<RemoveForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&u, &form.csrf) {
        return r;
    }
    match st.app.test_channel(&u.session.actor, id, u.lang).await {
        Ok(r) => list_page(&st, &u, None, None, Shown { tested: Some((id, r)), ..Default::default() }).await,
        Err(e @ (AppError::Forbidden | AppError::NotFound)) => user_error_page(&u, &e),
        Err(e) => list_page(&st, &u, None, Some(e.message(u.lang)), Shown::default()).await,
    }
}
