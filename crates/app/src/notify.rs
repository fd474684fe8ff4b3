//! Notifications out: channels (a generic JSON webhook signed with HMAC-SHA256, and the bot
//! message formats of Slack, Feishu, DingTalk and WeCom), an outbox row per channel written in the
//! same transaction as the event that causes it, and a dispatcher that delivers with retries and
//! backoff, logging every attempt. A message a receiver answered 2xx for is marked delivered and
//! never sent again; every request carries its outbox id (`X-Tandem-Delivery`) so a receiver can
//! drop the rare repeat after a crash between its answer and our bookkeeping.
//!
//! Privacy: channels are shared places (a team chat), so only public goal events go there; a
//! private KPI's alert never does.

use crate::error::{AppError, Result};
use crate::{Actor, App, Change, record};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use tandem_domain::policy::Role;
use tandem_domain::text::Name;
use tandem_domain::{Invalid, Lang, Rule};
use tandem_store::notify::{self, ChannelRow, OutboxRow};

pub const KINDS: [&str; 5] = ["webhook", "slack", "feishu", "dingtalk", "wecom"];
/// Events a channel may subscribe to.
pub const EVENTS: [&str; 4] = ["alert_raised", "check_in_reminder", "weekly_digest", "upstream_changed"];

/// Whether `person` takes email for `event`: an answer to their own request always goes; red
/// lights unless turned off (the older switch or the list); others unless turned off.
async fn wants_email(tx: &mut tandem_store::Tx, tenant: i64, person: i64, event: &str) -> Result<bool> {
    if event == "kpi_change_decided" {
        return Ok(true);
    }
    let (alerts, off) = notify::email_prefs_in(tx, tenant, person).await?;
    let off = off.split(',').any(|e| e == event);
    Ok(!off && (event != "alert_raised" || alerts))
}

/// A person's email choices: which of `EVENTS` they take.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EmailPrefs {
    pub events: Vec<(String, bool)>,
}

/// An SMTP server to send through: `smtp://host:port` (plain, for a relay on loopback or a
/// private network) or `smtps://host:port` (TLS), and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl Mailer {
    pub fn new(url: &str, from: &str) -> std::result::Result<Mailer, String> {
        let from = from.parse().map_err(|e| format!("bad sender address {from}: {e}"))?;
        let (tls, rest) = match url.split_once("://") {
            Some(("smtp", rest)) => (false, rest),
            Some(("smtps", rest)) => (true, rest),
            _ => return Err(format!("the SMTP URL must start with smtp:// or smtps://: {url}")),
        };
        let (host, port) = match rest.trim_end_matches('/').rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse::<u16>().map_err(|_| format!("bad SMTP port in {url}"))?),
            None => (rest.trim_end_matches('/').to_string(), if tls { 465 } else { 25 }),
        };
        let builder = if tls {
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::relay(&host).map_err(|e| e.to_string())?
        } else {
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(&host)
        };
        let transport = builder.port(port).timeout(Some(std::time::Duration::from_secs(10))).build();
        Ok(Mailer { transport, from })
    }

    async fn send(&self, to: &str, subject: &str, text: &str) -> std::result::Result<(), String> {
        use lettre::AsyncTransport;
        let to = to.parse().map_err(|_| format!("bad recipient address {to}"))?;
        let msg = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(text.to_string())
            .map_err(|e| e.to_string())?;
        self.transport.send(msg).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// The outbox's "channel" for a personal email (the recipient is in the message).
pub const EMAIL: i64 = 0;

/// How long a server holds a message it is sending.
const LEASE_US: i64 = 30_000_000;

/// The wait before the next attempt after `attempts` failed ones: 2 s, 4 s, 8 s … at most an hour.
pub fn backoff_us(attempts: i64) -> i64 {
    let secs = 1_i64 << attempts.clamp(1, 12);
    secs.min(3600) * 1_000_000
}

/// One HTTP request to make.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

/// Where a message goes: a channel's kind, URL and signing secret.
pub struct Target<'a> {
    pub kind: &'a str,
    pub url: &'a str,
    pub secret: &'a str,
}

/// What a message says: `text` for people, `data` for programs; `delivery` is its outbox id.
pub struct Message<'a> {
    pub delivery: i64,
    pub event: &'a str,
    pub text: &'a str,
    pub data: &'a serde_json::Value,
}

/// The request a channel gets for a message. Pure: `now_ms` is the sending time in
/// milliseconds (the bots' signatures include it).
pub fn render(to: &Target, m: &Message, now_ms: i64) -> Outgoing {
    let (kind, secret, delivery, event, text, data) = (to.kind, to.secret, m.delivery, m.event, m.text, m.data);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mut headers = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("x-tandem-delivery".to_string(), delivery.to_string()),
        ("x-tandem-event".to_string(), event.to_string()),
    ];
    let mut url = to.url.to_string();
    let body = match kind {
        // Slack incoming webhook: {"text": …}.
        "slack" => serde_json::json!({"text": text}),
        // Feishu custom bot: text message; signed bots add timestamp (s) and
        // sign = base64(HMAC-SHA256(key = "timestamp\nsecret", message = "")).
        "feishu" => {
            let mut b = serde_json::json!({"msg_type": "text", "content": {"text": text}});
            if !secret.is_empty() {
                let ts = (now_ms / 1000).to_string();
                b["timestamp"] = ts.clone().into();
                b["sign"] = b64(&hmac_sha256(format!("{ts}\n{secret}").as_bytes(), b"")).into();
            }
            b
        }
        // DingTalk custom robot: text message; signed robots take timestamp (ms) and
        // sign = urlencode(base64(HMAC-SHA256(key = secret, message = "timestamp\nsecret"))) in the URL.
        "dingtalk" => {
            if !secret.is_empty() {
                let sign = b64(&hmac_sha256(secret.as_bytes(), format!("{now_ms}\n{secret}").as_bytes()));
                let sign = sign.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
                let sep = if url.contains('?') { '&' } else { '?' };
                url = format!("{url}{sep}timestamp={now_ms}&sign={sign}");
            }
            serde_json::json!({"msgtype": "text", "text": {"content": text}})
        }
        // WeCom group robot: text message.
        "wecom" => serde_json::json!({"msgtype": "text", "text": {"content": text}}),
        // Generic: the event as JSON, signed with HMAC-SHA256 of the body.
        _ => serde_json::json!({"event": event, "delivery": delivery, "text": text, "data": data}),
    };
    let body = body.to_string();
    if kind == "webhook" && !secret.is_empty() {
        headers.push((
            "x-tandem-signature".into(),
            format!("sha256={}", hex::encode(hmac_sha256(secret.as_bytes(), body.as_bytes()))),
        ));
    }
    Outgoing { url, headers, body }
}

/// A channel to add.
#[derive(Debug, Clone, Default)]
pub struct NewChannel {
    pub kind: String,
    pub name: String,
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
    pub lang: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChannelView {
    pub id: i64,
    pub kind: String,
    pub name: String,
    /// The URL with its query hidden (bot URLs carry their key there).
    pub url: String,
    pub events: Vec<String>,
    pub lang: String,
    pub active: bool,
    pub signed: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeliveryView {
    pub message: i64,
    pub channel: i64,
    pub event: String,
    pub created_at: i64,
    pub attempts: i64,
    pub delivered_at: Option<i64>,
    pub next_attempt_at: i64,
    pub last_error: String,
    /// Dropped unsent: its channel was removed.
    pub dropped_at: Option<i64>,
    /// Every attempt: (time, HTTP status if any, error).
    pub log: Vec<(i64, Option<i64>, String)>,
}

fn view(c: ChannelRow) -> ChannelView {
    ChannelView {
        id: c.id,
        url: c.url.split('?').next().unwrap_or_default().to_string(),
        kind: c.kind,
        name: c.name,
        events: c.events.split(',').filter(|e| !e.is_empty()).map(String::from).collect(),
        lang: c.lang,
        active: c.active == 1,
        signed: !c.secret.is_empty(),
    }
}

/// Writes one outbox row per active channel subscribed to `event`, inside the transaction of
/// the change that causes it. `text` gives the message per language.
pub(crate) async fn enqueue(
    tx: &mut tandem_store::Tx,
    tenant: i64,
    event: &str,
    text: (&str, &str),
    data: serde_json::Value,
    now: i64,
) -> Result<()> {
    for c in notify::channels_in(tx, tenant).await? {
        if !c.events.split(',').any(|e| e == event) {
            continue;
        }
        let text = if c.lang == "en" { text.1 } else { text.0 };
        let row = OutboxRow {
            tenant_id: tenant,
            id: tx.next_id().await?,
            channel_id: c.id,
            event: event.into(),
            payload: serde_json::json!({"text": text, "data": data}).to_string(),
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            lease_until: None,
            delivered_at: None,
            last_error: String::new(),
            dropped_at: None,
        };
        notify::enqueue(tx, &row).await?;
    }
    Ok(())
}

/// Writes a personal email to each of `people`, in their language, inside the transaction of the
/// change that causes it. Red lights go only to those who take red-light emails; answers to
/// their own requests (a KPI change decided) always go.
pub(crate) async fn enqueue_emails(
    tx: &mut tandem_store::Tx,
    tenant: i64,
    event: &str,
    people: &[&tandem_store::people::PersonRow],
    subject: (&str, &str),
    text: (&str, &str),
    now: i64,
) -> Result<()> {
    let mut sent = std::collections::HashSet::new();
    for p in people {
        if p.email.is_empty() || p.active != 1 || !sent.insert(p.id) {
            continue;
        }
        if !wants_email(tx, tenant, p.id, event).await? {
            continue;
        }
        let en = p.lang == "en";
        let pick = |(zh, e): (&str, &str)| if en { e.to_string() } else { zh.to_string() };
        let row = OutboxRow {
            tenant_id: tenant,
            id: tx.next_id().await?,
            channel_id: EMAIL,
            event: event.into(),
            payload: serde_json::json!({"to": p.email, "subject": pick(subject), "text": pick(text)}).to_string(),
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            lease_until: None,
            delivered_at: None,
            last_error: String::new(),
            dropped_at: None,
        };
        notify::enqueue(tx, &row).await?;
    }
    Ok(())
}

impl App {
    /// Whether the caller takes red-light emails.
    pub async fn email_alerts(&self, a: &Actor) -> Result<bool> {
        Ok(self.email_prefs(a).await?.events.iter().any(|(e, on)| e == "alert_raised" && *on))
    }

    /// Which events the caller takes by email.
    pub async fn email_prefs(&self, a: &Actor) -> Result<EmailPrefs> {
        let (alerts, off) = notify::email_prefs(&self.db, a.tenant.0, a.person.0).await?;
        let off: Vec<&str> = off.split(',').collect();
        Ok(EmailPrefs {
            events: EVENTS
                .iter()
                .map(|e| (e.to_string(), !off.contains(e) && (*e != "alert_raised" || alerts)))
                .collect(),
        })
    }

    /// Sets which events the caller takes by email (events not named keep their setting).
    pub async fn set_email_prefs(&self, a: &Actor, choices: &[(String, bool)]) -> Result<EmailPrefs> {
        for (e, _) in choices {
            if !EVENTS.contains(&e.as_str()) {
                return Err(Invalid::new("email_events", Rule::OneOf(&EVENTS)).into());
            }
        }
        let current = self.email_prefs(a).await?;
        let on = |e: &str| {
            choices
                .iter()
                .find(|(x, _)| x == e)
                .map(|(_, on)| *on)
                .or_else(|| current.events.iter().find(|(x, _)| x == e).map(|(_, on)| *on))
                .unwrap_or(true)
        };
        let off: Vec<&str> = EVENTS.iter().copied().filter(|e| !on(e)).collect();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        notify::set_email_prefs(&mut tx, a.tenant.0, a.person.0, on("alert_raised"), &off.join(","), now).await?;
        tx.commit().await?;
        self.email_prefs(a).await
    }

    pub async fn set_email_alerts(&self, a: &Actor, on: bool) -> Result<()> {
        self.set_email_prefs(a, &[("alert_raised".into(), on)]).await.map(|_| ())
    }

    pub async fn create_channel(&self, a: &Actor, new: &NewChannel) -> Result<ChannelView> {
        let NewChannel { kind, name, url, secret, events, lang } = new;
        let kind = kind.as_str();
        if !a.has(Role::Admin) {
            return Err(AppError::Forbidden);
        }
        if !KINDS.contains(&kind) {
            return Err(Invalid::new("kind", Rule::OneOf(&KINDS)).into());
        }
        let name = Name::parse("name", name)?;
        let url = url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.len() > 2000
            || url.contains(char::is_whitespace)
        {
            return Err(Invalid::new("url", Rule::OneOf(&["https://…", "http://…"])).into());
        }
        let target = self.outbound.check_channel(kind, url)?;
        self.outbound.check_resolved(&target).await?;
        if events.is_empty() || events.iter().any(|e| !EVENTS.contains(&e.as_str())) {
            return Err(Invalid::new("events", Rule::OneOf(&EVENTS)).into());
        }
        let lang = Lang::parse(lang).unwrap_or(Lang::Zh);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let row = ChannelRow {
            tenant_id: a.tenant.0,
            id: tx.next_id().await?,
            kind: kind.into(),
            name: name.as_str().into(),
            url: url.into(),
            secret: secret.trim().into(),
            events: events.join(","),
            lang: lang.code().into(),
            active: 1,
            created_by: Some(a.person.0),
            created_at: now,
        };
        notify::insert_channel(&mut tx, &row).await?;
        let what = serde_json::json!({"kind": row.kind, "name": row.name, "events": row.events});
        record(&mut tx, Some(a), a.tenant.0, now, Change::create("channel", row.id, what)).await?;
        tx.commit().await?;
        Ok(view(row))
    }

    pub async fn list_channels(&self, a: &Actor) -> Result<Vec<ChannelView>> {
        if !a.has(Role::Admin) {
            return Err(AppError::Forbidden);
        }
        Ok(notify::channels(&self.db, a.tenant.0).await?.into_iter().map(view).collect())
    }

    pub async fn remove_channel(&self, a: &Actor, id: i64) -> Result<()> {
        if !a.has(Role::Admin) {
            return Err(AppError::Forbidden);
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !notify::deactivate_channel(&mut tx, a.tenant.0, id).await? {
            return Err(AppError::NotFound);
        }
        // What was waiting for it is dropped, not sent, and the log says so.
        let dropped = notify::drop_pending(&mut tx, a.tenant.0, id, now).await?;
        if dropped > 0 {
            tracing::info!(channel = id, dropped, "messages of a removed channel dropped");
        }
        let mut c = Change::create("channel", id, serde_json::json!({"active": false, "dropped_messages": dropped}));
        c.action = "delete";
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The latest messages with every attempt (admins).
    pub async fn deliveries(&self, a: &Actor, limit: i64) -> Result<Vec<DeliveryView>> {
        if !a.has(Role::Admin) {
            return Err(AppError::Forbidden);
        }
        let mut out = vec![];
        for o in notify::outbox(&self.db, a.tenant.0, limit.clamp(1, 500)).await? {
            let log = notify::deliveries(&self.db, a.tenant.0, o.id).await?;
            out.push(DeliveryView {
                message: o.id,
                channel: o.channel_id,
                event: o.event,
                created_at: o.created_at,
                attempts: o.attempts,
                delivered_at: o.delivered_at,
                next_attempt_at: o.next_attempt_at,
                last_error: o.last_error,
                dropped_at: o.dropped_at,
                log: log.into_iter().map(|d| (d.at, d.status, d.error)).collect(),
            });
        }
        Ok(out)
    }

    /// Sends what is due (any tenant), once each: answers how many were delivered this round.
    /// Safe to run from every app server at once: a message is sent only under its lease. A
    /// server without email settings leaves emails queued, for a server that has them (or for
    /// this one once they are set), instead of failing each on a retry schedule meant for a
    /// mail server that is briefly down (a 10,000-person bench tenant's weekly reminders are
    /// 3,700 emails: failing each on that schedule took thousands of writes a minute).
    pub async fn dispatch_due(&self) -> Result<usize> {
        let client = match self.webhook_client.get() {
            Some(c) => c,
            None => {
                let c = self.outbound.http_client(std::time::Duration::from_secs(10)).map_err(AppError::Internal)?;
                self.webhook_client.get_or_init(|| c)
            }
        };
        let now = self.now();
        let skip = self.mailer.is_none().then_some(EMAIL);
        let due = notify::claim_due(&self.db, now, now + LEASE_US, 50, skip).await?;
        let mut delivered = 0;
        for o in due {
            let payload: serde_json::Value = serde_json::from_str(&o.payload).unwrap_or_default();
            if o.channel_id == EMAIL {
                let s = |k: &str| payload[k].as_str().unwrap_or_default().to_string();
                let Some(m) = &self.mailer else { continue };
                let error = m.send(&s("to"), &s("subject"), &s("text")).await.err().unwrap_or_default();
                let at = self.now();
                let retry = (!error.is_empty()).then(|| at + backoff_us(o.attempts + 1));
                delivered += usize::from(retry.is_none());
                let id = self.db.next_id().await?;
                notify::finish_attempt(&self.db, &o, id, at, None, &error, retry).await?;
                continue;
            }
            let Some(c) = notify::channel(&self.db, o.tenant_id, o.channel_id).await? else { continue };
            let text = payload["text"].as_str().unwrap_or_default();
            let to = Target { kind: &c.kind, url: &c.url, secret: &c.secret };
            let msg = Message { delivery: o.id, event: &o.event, text, data: &payload["data"] };
            let req = render(&to, &msg, now / 1000);
            // Channels saved before the address rules, or since the operator narrowed them.
            if let Err(e) = self.outbound.check_channel(&c.kind, &c.url) {
                let at = self.now();
                let id = self.db.next_id().await?;
                let error = e.message(Lang::En);
                notify::finish_attempt(&self.db, &o, id, at, None, &error, Some(at + backoff_us(o.attempts + 1)))
                    .await?;
                continue;
            }
            let mut b = client.post(&req.url).timeout(std::time::Duration::from_secs(10)).body(req.body);
            for (k, v) in &req.headers {
                b = b.header(k, v);
            }
            let (status, error) = match b.send().await {
                Ok(r) => {
                    let code = r.status();
                    // Bots answer 200 with an error code in the body; read it where there is one.
                    let text = r.text().await.unwrap_or_default();
                    let app_error = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| {
                            ["errcode", "code"]
                                .iter()
                                .find_map(|k| v.get(*k).and_then(|c| c.as_i64()))
                                .filter(|c| *c != 0)
                        })
                        .map(|c| format!("receiver error code {c}"));
                    match (code.is_success(), app_error) {
                        (true, None) => (Some(i64::from(code.as_u16())), String::new()),
                        (true, Some(e)) => (Some(i64::from(code.as_u16())), e),
                        (false, _) => (Some(i64::from(code.as_u16())), format!("HTTP {}", code.as_u16())),
                    }
                }
                Err(e) => (None, if e.is_timeout() { "timeout".into() } else { "connection failed".into() }),
            };
            let at = self.now();
            let retry = (!error.is_empty()).then(|| at + backoff_us(o.attempts + 1));
            if retry.is_none() {
                delivered += 1;
            }
            let id = self.db.next_id().await?;
            notify::finish_attempt(&self.db, &o, id, at, status, &error, retry).await?;
        }
        Ok(delivered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn out(kind: &str, secret: &str) -> Outgoing {
        let data = json!({"alert": 1});
        let to = Target { kind, url: "https://example.test/hook?key=k", secret };
        render(&to, &Message { delivery: 7, event: "alert_raised", text: "红灯：投诉", data: &data }, 1_700_000_000_123)
    }

    fn body(o: &Outgoing) -> serde_json::Value {
        serde_json::from_str(&o.body).expect("json")
    }

    #[test]
    fn generic_webhooks_are_signed_over_the_body() {
        let o = out("webhook", "s3cret");
        let sig = o.headers.iter().find(|(k, _)| k == "x-tandem-signature").map(|(_, v)| v.clone()).expect("signed");
        assert_eq!(sig, format!("sha256={}", hex::encode(hmac_sha256(b"s3cret", o.body.as_bytes()))));
        assert_eq!(body(&o)["event"], "alert_raised");
        assert_eq!(body(&o)["data"]["alert"], 1);
        assert!(o.headers.iter().any(|(k, v)| k == "x-tandem-delivery" && v == "7"));
        assert!(!out("webhook", "").headers.iter().any(|(k, _)| k == "x-tandem-signature"));
    }

    #[test]
    fn bots_get_their_documented_message_shapes() {
        assert_eq!(body(&out("slack", "")), json!({"text": "红灯：投诉"}));
        assert_eq!(body(&out("wecom", "")), json!({"msgtype": "text", "text": {"content": "红灯：投诉"}}));
        assert_eq!(body(&out("dingtalk", "")), json!({"msgtype": "text", "text": {"content": "红灯：投诉"}}));
        let f = body(&out("feishu", ""));
        assert_eq!(f, json!({"msg_type": "text", "content": {"text": "红灯：投诉"}}));
        // Feishu signing: timestamp in seconds; HMAC keyed by "timestamp\nsecret" over nothing.
        let f = body(&out("feishu", "abc"));
        assert_eq!(f["timestamp"], "1700000000");
        let want = base64::engine::general_purpose::STANDARD.encode(hmac_sha256(b"1700000000\nabc", b""));
        assert_eq!(f["sign"], want);
        // DingTalk signing: in the URL, timestamp in ms, HMAC keyed by the secret, URL-encoded.
        let d = out("dingtalk", "SEC1");
        let sign = base64::engine::general_purpose::STANDARD.encode(hmac_sha256(b"SEC1", b"1700000000123\nSEC1"));
        let sign = sign.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
        assert_eq!(d.url, format!("https://example.test/hook?key=k&timestamp=1700000000123&sign={sign}"));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_us(1), 2_000_000);
        assert_eq!(backoff_us(2), 4_000_000);
        assert_eq!(backoff_us(30), 3_600_000_000);
        assert!((1..20).all(|a| backoff_us(a) <= backoff_us(a + 1)));
    }
}
