//! The outbox: a row per channel or email written in the same transaction as the event that
//! causes it, and a dispatcher that delivers with retries and backoff, logging every attempt. A
//! message a receiver answered 2xx for is marked delivered and never sent again; every request
//! carries its outbox id (`X-Tandem-Delivery`) so a receiver can drop the rare repeat after a
//! crash between its answer and our bookkeeping.

use crate::error::{AppError, Result};
use crate::notify::channels::{Message, Target, render};
use crate::notify::email::wants_email;
use crate::{Actor, App};
use serde::Serialize;
use tandem_domain::Lang;
use tandem_domain::policy::Role;
use tandem_store::notify::{self, OutboxRow};

/// The outbox's "channel" for a personal email (the recipient is in the message).
pub const EMAIL: i64 = 0;

/// How long a server holds a message it is sending.
const LEASE_US: i64 = 30_000_000;

/// The wait before the next attempt after `attempts` failed ones: 2 s, 4 s, 8 s … at most an hour.
pub fn backoff_us(attempts: i64) -> i64 {
    let secs = 1_i64 << attempts.clamp(1, 12);
    secs.min(3600) * 1_000_000
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

/// Queues one message for `channel` (or `EMAIL`), due at once.
async fn queue(
    tx: &mut tandem_store::Tx,
    tenant: i64,
    channel: i64,
    event: &str,
    payload: serde_json::Value,
    now: i64,
) -> Result<()> {
    let row = OutboxRow {
        tenant_id: tenant,
        id: tx.next_id().await?,
        channel_id: channel,
        event: event.into(),
        payload: payload.to_string(),
        created_at: now,
        attempts: 0,
        next_attempt_at: now,
        lease_until: None,
        delivered_at: None,
        last_error: String::new(),
        dropped_at: None,
    };
    notify::enqueue(tx, &row).await?;
    Ok(())
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
        let payload = serde_json::json!({"text": text, "data": data});
        queue(tx, tenant, c.id, event, payload, now).await?;
    }
    Ok(())
}

/// Tells each of `people` something personal, inside the transaction of the change that causes
/// it: a notification in the app (linking to `href`) and an email, both in their language. Red
/// lights are emailed only to those who take red-light emails; answers to their own requests (a
/// KPI change decided) are always emailed; the notification centre gets everything.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn tell_people(
    tx: &mut tandem_store::Tx,
    tenant: i64,
    event: &str,
    people: &[&tandem_store::people::PersonRow],
    subject: (&str, &str),
    text: (&str, &str),
    href: &str,
    now: i64,
) -> Result<()> {
    let mut sent = std::collections::HashSet::new();
    for p in people {
        if p.active != 1 || !sent.insert(p.id) {
            continue;
        }
        let en = p.lang == "en";
        let pick = |(zh, e): (&str, &str)| if en { e.to_string() } else { zh.to_string() };
        let note = notify::NotificationRow {
            tenant_id: tenant,
            id: tx.next_id().await?,
            person_id: p.id,
            event: event.into(),
            title: pick(subject),
            body: pick(text).chars().take(1000).collect(),
            href: href.into(),
            created_at: now,
            read_at: None,
        };
        notify::insert_notification(tx, &note).await?;
        if p.email.is_empty() || !wants_email(tx, tenant, p.id, event).await? {
            continue;
        }
        let payload = serde_json::json!({"to": p.email, "subject": pick(subject), "text": pick(text)});
        queue(tx, tenant, EMAIL, event, payload, now).await?;
    }
    Ok(())
}

/// Posts a rendered message: the HTTP status (none when nothing answered), the error ('' when
/// delivered) and what the receiver said of it (a bot's own code and message, when it gives
/// them; nothing else of its answer is kept).
pub(crate) async fn post(client: &reqwest::Client, req: super::channels::Outgoing) -> (Option<i64>, String, String) {
    let mut b = client.post(&req.url).timeout(std::time::Duration::from_secs(10)).body(req.body);
    for (k, v) in &req.headers {
        b = b.header(k, v);
    }
    match b.send().await {
        Ok(r) => {
            let code = r.status();
            // Bots answer 200 with an error code in the body; read it where there is one.
            let text = r.text().await.unwrap_or_default();
            let answer = serde_json::from_str::<serde_json::Value>(&text).ok();
            let field = |keys: &[&str]| {
                answer.as_ref().and_then(|v| keys.iter().find_map(|k| v.get(*k).filter(|x| !x.is_null()).cloned()))
            };
            let app_code = field(&["errcode", "code", "StatusCode"]).and_then(|c| c.as_i64());
            let said = match (app_code, field(&["errmsg", "msg", "message", "StatusMessage"])) {
                (c, Some(serde_json::Value::String(m))) => {
                    let m: String = m.chars().take(200).collect();
                    c.map_or(m.clone(), |c| format!("{c} {m}"))
                }
                (Some(c), _) => c.to_string(),
                (None, _) => String::new(),
            };
            let app_error = app_code.filter(|c| *c != 0).map(|c| format!("receiver error code {c}"));
            let status = Some(i64::from(code.as_u16()));
            match (code.is_success(), app_error) {
                (true, None) => (status, String::new(), said),
                (true, Some(e)) => (status, e, said),
                (false, _) => (status, format!("HTTP {}", code.as_u16()), said),
            }
        }
        Err(e) => (None, if e.is_timeout() { "timeout".into() } else { "connection failed".into() }, String::new()),
    }
}

impl App {
    /// The client channels are posted with (made once, under the outbound address rules).
    pub(crate) fn webhook_client(&self) -> Result<&reqwest::Client> {
        Ok(match self.webhook_client.get() {
            Some(c) => c,
            None => {
                let c = self.outbound.http_client(std::time::Duration::from_secs(10)).map_err(AppError::Internal)?;
                self.webhook_client.get_or_init(|| c)
            }
        })
    }

    /// Whether email can be sent: a mail server is configured.
    pub fn mail_configured(&self) -> bool {
        self.mailer.is_some()
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
        let client = self.webhook_client()?;
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
            let (status, error, _) = post(client, req).await;
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

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_us(1), 2_000_000);
        assert_eq!(backoff_us(2), 4_000_000);
        assert_eq!(backoff_us(30), 3_600_000_000);
        assert!((1..20).all(|a| backoff_us(a) <= backoff_us(a + 1)));
    }
}
