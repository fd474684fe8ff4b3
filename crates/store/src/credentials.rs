//! Sessions and API tokens. Only a SHA-256 hash of each secret is stored, so a copy of the
//! database cannot be used to sign in.

use crate::error::Result;
use crate::{Db, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CredentialRow {
    pub tenant_id: i64,
    pub id: i64,
    pub person_id: i64,
    /// `session` (browser or login token) or `api` (named, long-lived).
    pub kind: String,
    pub name: String,
    pub token_hash: String,
    pub csrf: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLS: &str =
    "tenant_id, id, person_id, kind, name, token_hash, csrf, created_at, last_used_at, expires_at, revoked_at";

pub async fn insert(tx: &mut Tx, c: &CredentialRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO credentials (tenant_id, id, person_id, kind, name, token_hash, csrf, created_at, last_used_at, expires_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(c.tenant_id)
    .bind(c.id)
    .bind(c.person_id)
    .bind(&c.kind)
    .bind(&c.name)
    .bind(&c.token_hash)
    .bind(&c.csrf)
    .bind(c.created_at)
    .bind(c.last_used_at)
    .bind(c.expires_at)
    .bind(c.revoked_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A live credential by the hash of its secret: not revoked, not expired at `now`.
pub async fn live_by_hash(db: &Db, hash: &str, now: i64) -> Result<Option<CredentialRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM credentials WHERE token_hash = $1 AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $2)"
    ))
    .bind(hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?)
}

/// A live credential with the person it signs in, in one read.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LiveSession {
    pub tenant_id: i64,
    pub credential_id: i64,
    pub kind: String,
    pub csrf: String,
    pub last_used_at: Option<i64>,
    pub person_id: i64,
    pub name: String,
    pub email: String,
    pub roles: String,
    pub lang: String,
    pub active: i64,
    /// The person's time zone, else their tenant's.
    pub time_zone: String,
}

pub async fn live_session_by_hash(db: &Db, hash: &str, now: i64) -> Result<Option<LiveSession>> {
    Ok(sqlx::query_as(
        "SELECT c.tenant_id, c.id AS credential_id, c.kind, c.csrf, c.last_used_at, p.id AS person_id, p.name, \
         p.email, p.roles, p.lang, p.active, COALESCE(p.time_zone, t.time_zone) AS time_zone FROM credentials c \
         JOIN people p ON p.tenant_id = c.tenant_id AND p.id = c.person_id \
         JOIN tenants t ON t.id = c.tenant_id \
         WHERE c.token_hash = $1 AND c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > $2)",
    )
    .bind(hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?)
}

pub async fn list_for_person(db: &Db, tenant: i64, person: i64, kind: &str) -> Result<Vec<CredentialRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM credentials WHERE tenant_id = $1 AND person_id = $2 AND kind = $3 ORDER BY created_at DESC, id DESC"
    ))
    .bind(tenant)
    .bind(person)
    .bind(kind)
    .fetch_all(db.pool())
    .await?)
}

/// Revokes one credential of the person; answers whether one was revoked.
pub async fn revoke(tx: &mut Tx, tenant: i64, person: i64, id: i64, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE credentials SET revoked_at = $4 WHERE tenant_id = $1 AND person_id = $2 AND id = $3 AND revoked_at IS NULL",
    )
    .bind(tenant)
    .bind(person)
    .bind(id)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn revoke_by_hash(tx: &mut Tx, hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE credentials SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL")
        .bind(hash)
        .bind(now)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Ends every session and API token of a person but `keep` (after a password change or reset,
/// and on deactivation: a token must not outlive the password that made it, nor come back with
/// a reactivated account).
pub async fn revoke_all_except(tx: &mut Tx, tenant: i64, person: i64, keep: Option<i64>, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE credentials SET revoked_at = $4 WHERE tenant_id = $1 AND person_id = $2 \
         AND revoked_at IS NULL AND id <> $3",
    )
    .bind(tenant)
    .bind(person)
    .bind(keep.unwrap_or(-1))
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Notes use at most once a minute, so reads do not turn into writes on every request.
pub async fn touch(db: &Db, tenant: i64, id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE credentials SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2 \
         AND (last_used_at IS NULL OR last_used_at < $4)",
    )
    .bind(tenant)
    .bind(id)
    .bind(now)
    .bind(now - 60_000_000)
    .execute(db.pool())
    .await?;
    Ok(())
}
