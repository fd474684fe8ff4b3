//! Email: each person's choice of events, and the SMTP mailer that sends in their language.

use crate::error::Result;
use crate::notify::channels::EVENTS;
use crate::{Actor, App};
use serde::Serialize;
use tandem_domain::{Invalid, Rule};
use tandem_store::notify::{self};

/// Whether `person` takes email for `event`: an answer to their own request always goes; red
/// lights unless turned off (the older switch or the list); others unless turned off.
pub(crate) async fn wants_email(tx: &mut tandem_store::Tx, tenant: i64, person: i64, event: &str) -> Result<bool> {
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

    pub(crate) async fn send(&self, to: &str, subject: &str, text: &str) -> std::result::Result<(), String> {
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
}
