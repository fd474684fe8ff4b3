//! Notification channels, the outbox (written in the same transaction as the event that causes
//! it, delivered by any app server that takes the row's lease) and the delivery log.

use crate::error::Result;
use crate::{Db, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ChannelRow {
    pub tenant_id: i64,
    pub id: i64,
    /// `webhook`, `slack`, `feishu`, `dingtalk` or `wecom`.
    pub kind: String,
    pub name: String,
    pub url: String,
    /// Signing secret (never shown again after saving).
    pub secret: String,
    /// Comma-separated event names.
    pub events: String,
    pub lang: String,
    pub active: i64,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutboxRow {
    pub tenant_id: i64,
    pub id: i64,
    pub channel_id: i64,
    pub event: String,
    pub payload: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub lease_until: Option<i64>,
    pub delivered_at: Option<i64>,
    pub last_error: String,
    /// Not sent, and never to be: its channel was removed first.
    pub dropped_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeliveryRow {
    pub tenant_id: i64,
    pub id: i64,
    pub outbox_id: i64,
    pub attempt: i64,
    pub at: i64,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<i64>,
    pub error: String,
}

const CHANNEL: &str = "tenant_id, id, kind, name, url, secret, events, lang, active, created_by, created_at";
const OUTBOX: &str = "tenant_id, id, channel_id, event, payload, created_at, attempts, next_attempt_at, lease_until, delivered_at, last_error, dropped_at";

pub async fn insert_channel(tx: &mut Tx, c: &ChannelRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO channels ({CHANNEL}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"))
        .bind(c.tenant_id)
        .bind(c.id)
        .bind(&c.kind)
        .bind(&c.name)
        .bind(&c.url)
        .bind(&c.secret)
        .bind(&c.events)
        .bind(&c.lang)
        .bind(c.active)
        .bind(c.created_by)
        .bind(c.created_at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Changes a channel's name, address, secret, events and language.
pub async fn update_channel(tx: &mut Tx, c: &ChannelRow) -> Result<()> {
    sqlx::query(
        "UPDATE channels SET name = $3, url = $4, secret = $5, events = $6, lang = $7 \
         WHERE tenant_id = $1 AND id = $2 AND active = 1",
    )
    .bind(c.tenant_id)
    .bind(c.id)
    .bind(&c.name)
    .bind(&c.url)
    .bind(&c.secret)
    .bind(&c.events)
    .bind(&c.lang)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn channels(db: &Db, tenant: i64) -> Result<Vec<ChannelRow>> {
    Ok(sqlx::query_as(&format!("SELECT {CHANNEL} FROM channels WHERE tenant_id = $1 ORDER BY id"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

pub async fn channels_in(tx: &mut Tx, tenant: i64) -> Result<Vec<ChannelRow>> {
    Ok(sqlx::query_as(&format!("SELECT {CHANNEL} FROM channels WHERE tenant_id = $1 AND active = 1 ORDER BY id"))
        .bind(tenant)
        .fetch_all(tx.conn())
        .await?)
}

pub async fn deactivate_channel(tx: &mut Tx, tenant: i64, id: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE channels SET active = 0 WHERE tenant_id = $1 AND id = $2 AND active = 1")
        .bind(tenant)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(r.rows_affected() > 0)
}

/// Drops the messages of a channel that are not delivered yet (its removal): they will not be
/// sent. Answers how many.
pub async fn drop_pending(tx: &mut Tx, tenant: i64, channel: i64, at: i64) -> Result<u64> {
    let r = sqlx::query(
        "UPDATE outbox SET dropped_at = $3, lease_until = NULL, last_error = 'channel removed' \
         WHERE tenant_id = $1 AND channel_id = $2 AND delivered_at IS NULL AND dropped_at IS NULL",
    )
    .bind(tenant)
    .bind(channel)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected())
}

pub async fn channel(db: &Db, tenant: i64, id: i64) -> Result<Option<ChannelRow>> {
    Ok(sqlx::query_as(&format!("SELECT {CHANNEL} FROM channels WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(db.pool())
        .await?)
}

pub async fn enqueue(tx: &mut Tx, o: &OutboxRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO outbox ({OUTBOX}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"))
        .bind(o.tenant_id)
        .bind(o.id)
        .bind(o.channel_id)
        .bind(&o.event)
        .bind(&o.payload)
        .bind(o.created_at)
        .bind(o.attempts)
        .bind(o.next_attempt_at)
        .bind(o.lease_until)
        .bind(o.delivered_at)
        .bind(&o.last_error)
        .bind(o.dropped_at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Takes up to `limit` due messages of any tenant for this server until `lease_until`: not yet
/// delivered, due, and not held by another server's live lease. The lease is checked again on
/// the row itself, so two servers never take the same message.
/// Messages of `skip_channel` are left for another server (one that can send them).
pub async fn claim_due(
    db: &Db,
    now: i64,
    lease_until: i64,
    limit: i64,
    skip_channel: Option<i64>,
) -> Result<Vec<OutboxRow>> {
    let skip = skip_channel.map(|c| format!(" AND channel_id <> {c}")).unwrap_or_default();
    // A write, so it takes the writer's turn like every other (SQLite has one writer).
    let mut tx = db.begin().await?;
    let rows = sqlx::query_as(&format!(
        "UPDATE outbox SET lease_until = $2 \
         WHERE delivered_at IS NULL AND dropped_at IS NULL AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1){skip} \
         AND (tenant_id, id) IN (SELECT tenant_id, id FROM outbox WHERE delivered_at IS NULL AND dropped_at IS NULL AND next_attempt_at <= $1 \
             AND (lease_until IS NULL OR lease_until < $1){skip} ORDER BY next_attempt_at LIMIT $3) \
         RETURNING {OUTBOX}"
    ))
    .bind(now)
    .bind(lease_until)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Records an attempt and its outcome: delivered, or due again at `retry_at`.
pub async fn finish_attempt(
    db: &Db,
    o: &OutboxRow,
    delivery_id: i64,
    at: i64,
    status: Option<i64>,
    error: &str,
    retry_at: Option<i64>,
) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO deliveries (tenant_id, id, outbox_id, attempt, at, status, error) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(o.tenant_id)
    .bind(delivery_id)
    .bind(o.id)
    .bind(o.attempts + 1)
    .bind(at)
    .bind(status)
    .bind(error)
    .execute(tx.conn())
    .await?;
    match retry_at {
        None => {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, delivered_at = $3, lease_until = NULL, last_error = '' \
             WHERE tenant_id = $1 AND id = $2",
            )
            .bind(o.tenant_id)
            .bind(o.id)
            .bind(at)
            .execute(tx.conn())
            .await?
        }
        Some(next) => {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $3, lease_until = NULL, last_error = $4 \
             WHERE tenant_id = $1 AND id = $2",
            )
            .bind(o.tenant_id)
            .bind(o.id)
            .bind(next)
            .bind(error)
            .execute(tx.conn())
            .await?
        }
    };
    tx.commit().await?;
    Ok(())
}

pub async fn outbox(db: &Db, tenant: i64, limit: i64) -> Result<Vec<OutboxRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {OUTBOX} FROM outbox WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(tenant)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

pub async fn deliveries(db: &Db, tenant: i64, outbox_id: i64) -> Result<Vec<DeliveryRow>> {
    Ok(sqlx::query_as(
        "SELECT tenant_id, id, outbox_id, attempt, at, status, error FROM deliveries \
         WHERE tenant_id = $1 AND outbox_id = $2 ORDER BY attempt",
    )
    .bind(tenant)
    .bind(outbox_id)
    .fetch_all(db.pool())
    .await?)
}

/// The events a person has turned off for email (comma-separated), and whether red-light
/// email is on: (email_alerts, email_off).
pub async fn email_prefs_in(tx: &mut Tx, tenant: i64, person: i64) -> Result<(bool, String)> {
    let v: Option<(i64, String)> =
        sqlx::query_as("SELECT email_alerts, email_off FROM person_prefs WHERE tenant_id = $1 AND person_id = $2")
            .bind(tenant)
            .bind(person)
            .fetch_optional(tx.conn())
            .await?;
    Ok(v.map(|(a, off)| (a == 1, off)).unwrap_or((true, String::new())))
}

pub async fn email_prefs(db: &Db, tenant: i64, person: i64) -> Result<(bool, String)> {
    let v: Option<(i64, String)> =
        sqlx::query_as("SELECT email_alerts, email_off FROM person_prefs WHERE tenant_id = $1 AND person_id = $2")
            .bind(tenant)
            .bind(person)
            .fetch_optional(db.pool())
            .await?;
    Ok(v.map(|(a, off)| (a == 1, off)).unwrap_or((true, String::new())))
}

/// Sets a person's email choices: red lights on or off, and the other events turned off.
pub async fn set_email_prefs(tx: &mut Tx, tenant: i64, person: i64, alerts: bool, off: &str, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO person_prefs (tenant_id, person_id, email_alerts, email_off, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (tenant_id, person_id) DO UPDATE SET email_alerts = $3, email_off = $4, updated_at = $5",
    )
    .bind(tenant)
    .bind(person)
    .bind(i64::from(alerts))
    .bind(off)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Marks a weekly notice as sent for `period`; false if it was already (by any server).
pub async fn claim_notice(tx: &mut Tx, tenant: i64, kind: &str, period: &str, at: i64) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO notice_runs (tenant_id, kind, period, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(kind)
    .bind(period)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether a weekly notice was sent for `period` already.
pub async fn notice_sent(db: &Db, tenant: i64, kind: &str, period: &str) -> Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notice_runs WHERE tenant_id = $1 AND kind = $2 AND period = $3")
            .bind(tenant)
            .bind(kind)
            .bind(period)
            .fetch_one(db.pool())
            .await?;
    Ok(n > 0)
}

/// One thing a person was told in the app.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NotificationRow {
    pub tenant_id: i64,
    pub id: i64,
    pub person_id: i64,
    pub event: String,
    pub title: String,
    pub body: String,
    /// Where it points (a path in the app).
    pub href: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

const NOTIFICATION: &str = "tenant_id, id, person_id, event, title, body, href, created_at, read_at";

pub async fn insert_notification(tx: &mut Tx, n: &NotificationRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO notifications ({NOTIFICATION}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
        .bind(n.tenant_id)
        .bind(n.id)
        .bind(n.person_id)
        .bind(&n.event)
        .bind(&n.title)
        .bind(&n.body)
        .bind(&n.href)
        .bind(n.created_at)
        .bind(n.read_at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// A page of a person's notifications, newest first, and how many they have in all.
pub async fn notifications(
    db: &Db,
    tenant: i64,
    person: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<NotificationRow>, i64)> {
    let rows = sqlx::query_as(&format!(
        "SELECT {NOTIFICATION} FROM notifications WHERE tenant_id = $1 AND person_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(tenant)
    .bind(person)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE tenant_id = $1 AND person_id = $2")
        .bind(tenant)
        .bind(person)
        .fetch_one(db.pool())
        .await?;
    Ok((rows, total))
}

/// How many of a person's notifications are unread.
pub async fn unread_count(db: &Db, tenant: i64, person: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE tenant_id = $1 AND person_id = $2 AND read_at IS NULL",
    )
    .bind(tenant)
    .bind(person)
    .fetch_one(db.pool())
    .await?)
}

/// Marks one of a person's notifications read (all of them with `None`); answers where the one
/// points, when it is theirs.
pub async fn mark_read(db: &Db, tenant: i64, person: i64, id: Option<i64>, at: i64) -> Result<Option<String>> {
    match id {
        Some(id) => {
            sqlx::query(
                "UPDATE notifications SET read_at = $4 WHERE tenant_id = $1 AND person_id = $2 AND id = $3 \
                 AND read_at IS NULL",
            )
            .bind(tenant)
            .bind(person)
            .bind(id)
            .bind(at)
            .execute(db.pool())
            .await?;
            Ok(sqlx::query_scalar("SELECT href FROM notifications WHERE tenant_id = $1 AND person_id = $2 AND id = $3")
                .bind(tenant)
                .bind(person)
                .bind(id)
                .fetch_optional(db.pool())
                .await?)
        }
        None => {
            sqlx::query(
                "UPDATE notifications SET read_at = $3 WHERE tenant_id = $1 AND person_id = $2 AND read_at IS NULL",
            )
            .bind(tenant)
            .bind(person)
            .bind(at)
            .execute(db.pool())
            .await?;
            Ok(None)
        }
    }
}
