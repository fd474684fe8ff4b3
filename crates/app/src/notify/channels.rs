//! Channels: a generic JSON webhook signed with HMAC-SHA256, and the bot message formats of
//! Slack, Feishu, DingTalk and WeCom; admins add them and choose their events.
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
use tandem_store::notify::{self, ChannelRow};

pub const KINDS: [&str; 5] = ["webhook", "slack", "feishu", "dingtalk", "wecom"];
/// Events a channel may subscribe to.
pub const EVENTS: [&str; 4] = ["alert_raised", "check_in_reminder", "weekly_digest", "upstream_changed"];

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
    /// The URL masked: its host and the last characters of its path (a bot's URL is its key,
    /// in the path for Feishu, in the query for DingTalk and WeCom).
    pub url: String,
    pub events: Vec<String>,
    pub lang: String,
    pub active: bool,
    pub signed: bool,
}

fn view(c: ChannelRow) -> ChannelView {
    ChannelView {
        id: c.id,
        url: mask_url(&c.url),
        kind: c.kind,
        name: c.name,
        events: c.events.split(',').filter(|e| !e.is_empty()).map(String::from).collect(),
        lang: c.lang,
        active: c.active == 1,
        signed: !c.secret.is_empty(),
    }
}

/// A channel's URL as it is shown once saved: scheme and host, then `…` and the last four
/// characters of the path, so two channels can be told apart and neither key is readable.
pub fn mask_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path = path.trim_end_matches('/');
    let tail: String = path.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let head = if scheme.is_empty() { host.to_string() } else { format!("{scheme}://{host}") };
    if path.is_empty() { head } else { format!("{head}/…{tail}") }
}

/// A channel to change: what is `None` stays as it was (a URL or secret left empty on the
/// form is kept, as neither is shown again).
#[derive(Debug, Clone, Default)]
pub struct ChannelPatch {
    pub name: Option<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub events: Option<Vec<String>>,
    pub lang: Option<String>,
}

/// What a test message got back: the HTTP status (none when nothing answered), the error ('' when
/// delivered) and what the receiver said (a bot's own code and message).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChannelTest {
    pub status: Option<i64>,
    pub delivered: bool,
    pub error: String,
    pub answer: String,
}

/// A channel's address: http(s), no spaces, not absurdly long.
fn check_url(url: &str) -> Result<&str> {
    let url = url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.len() > 2000
        || url.contains(char::is_whitespace)
    {
        return Err(Invalid::new("url", Rule::OneOf(&["https://…", "http://…"])).into());
    }
    Ok(url)
}

fn check_events(events: &[String]) -> Result<()> {
    if events.is_empty() || events.iter().any(|e| !EVENTS.contains(&e.as_str())) {
        return Err(Invalid::new("events", Rule::OneOf(&EVENTS)).into());
    }
    Ok(())
}

impl App {
    /// Changes a channel (admins). A new URL must pass the same address rules as a new channel.
    pub async fn update_channel(&self, a: &Actor, id: i64, patch: &ChannelPatch) -> Result<ChannelView> {
        if !a.has(Role::Admin) {
            return Err(AppError::Forbidden);
        }
        let before =
            notify::channel(&self.db, a.tenant.0, id).await?.filter(|c| c.active == 1).ok_or(AppError::NotFound)?;
        let mut after = before.clone();
        if let Some(n) = &patch.name {
            after.name = Name::parse("name", n)?.as_str().into();
        }
        if let Some(u) = patch.url.as_deref().filter(|u| !u.trim().is_empty()) {
            let url = check_url(u)?;
            let target = self.outbound.check_channel(&after.kind, url)?;
            self.outbound.check_resolved(&target).await?;
            after.url = url.into();
        }
        if let Some(sec) = patch.secret.as_deref().filter(|s| !s.trim().is_empty()) {
            after.secret = sec.trim().into();
        }
        if let Some(ev) = &patch.events {
            check_events(ev)?;
            after.events = ev.join(",");
        }
        if let Some(l) = &patch.lang {
            after.lang = Lang::parse(l).unwrap_or(Lang::Zh).code().into();
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        notify::update_channel(&mut tx, &after).await?;
        // The log says what changed; the URL and secret only that they did.
        let shown = |c: &ChannelRow| {
            serde_json::json!({"name": c.name, "events": c.events, "lang": c.lang, "url": mask_url(&c.url),
                "secret_changed": c.secret != before.secret})
        };
        record(&mut tx, Some(a), a.tenant.0, now, Change::update("channel", id, shown(&before), shown(&after))).await?;
        tx.commit().await?;
        Ok(view(after))
    }

    /// Sends a test message to a channel now, outside the queue, and answers what came back.
    pub async fn test_channel(&self, a: &Actor, id: i64, lang: Lang) -> Result<ChannelTest> {
        if !a.has(Role::Admin) {
            return Err(AppError::Forbidden);
        }
        let c = notify::channel(&self.db, a.tenant.0, id).await?.filter(|c| c.active == 1).ok_or(AppError::NotFound)?;
        let target = self.outbound.check_channel(&c.kind, &c.url)?;
        self.outbound.check_resolved(&target).await?;
        let text = lang.pick(
            "【双轨】测试消息：这个渠道可以收到双轨的通知。",
            "[Tandem] Test message: this channel receives Tandem's notifications.",
        );
        let data = serde_json::json!({"test": true});
        let to = Target { kind: &c.kind, url: &c.url, secret: &c.secret };
        let req = render(&to, &Message { delivery: 0, event: "test", text, data: &data }, self.now() / 1000);
        let (status, error, answer) = super::outbox::post(self.webhook_client()?, req).await;
        Ok(ChannelTest { status, delivered: error.is_empty(), error, answer })
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
        let url = check_url(url)?;
        let target = self.outbound.check_channel(kind, url)?;
        self.outbound.check_resolved(&target).await?;
        check_events(events)?;
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
    fn saved_urls_show_their_host_and_no_key() {
        let feishu = "https://open.feishu.cn/open-apis/bot/v2/hook/2f1c9a7e-secret-token-a1b2";
        assert_eq!(mask_url(feishu), "https://open.feishu.cn/…a1b2");
        assert!(!mask_url(feishu).contains("secret-token"));
        let dingtalk = "https://oapi.dingtalk.com/robot/send?access_token=abcdef123456";
        assert_eq!(mask_url(dingtalk), "https://oapi.dingtalk.com/…send");
        assert!(!mask_url(dingtalk).contains("abcdef"));
        assert_eq!(mask_url("https://hooks.example.com"), "https://hooks.example.com");
        assert_eq!(mask_url("http://127.0.0.1:9000/hook/"), "http://127.0.0.1:9000/…hook");
        assert_eq!(mask_url("https://x.test/中文路径"), "https://x.test/…中文路径");
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
}
