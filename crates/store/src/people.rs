//! People of a tenant. The password hash never leaves this crate and the account use cases.

use crate::error::Result;
use crate::{Db, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PersonRow {
    pub tenant_id: i64,
    pub id: i64,
    pub name: String,
    pub email: String,
    pub org_unit_id: Option<i64>,
    pub title: String,
    /// Comma-separated role names.
    pub roles: String,
    pub lang: String,
    pub password_hash: Option<String>,
    pub active: i64,
    pub created_at: i64,
}

const COLS: &str = "tenant_id, id, name, email, org_unit_id, title, roles, lang, password_hash, active, created_at";

pub async fn insert(tx: &mut Tx, p: &PersonRow) -> Result<()> {
    crate::org::bump_version(tx, p.tenant_id).await?;
    sqlx::query(
        "INSERT INTO people (tenant_id, id, name, email, org_unit_id, title, roles, lang, password_hash, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(p.tenant_id)
    .bind(p.id)
    .bind(&p.name)
    .bind(&p.email)
    .bind(p.org_unit_id)
    .bind(&p.title)
    .bind(&p.roles)
    .bind(&p.lang)
    .bind(p.password_hash.as_deref())
    .bind(p.active)
    .bind(p.created_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Writes every field but the password hash, which has its own door.
pub async fn update(tx: &mut Tx, p: &PersonRow) -> Result<()> {
    crate::org::bump_version(tx, p.tenant_id).await?;
    sqlx::query(
        "UPDATE people SET name = $3, email = $4, org_unit_id = $5, title = $6, roles = $7, lang = $8, active = $9 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(p.tenant_id)
    .bind(p.id)
    .bind(&p.name)
    .bind(&p.email)
    .bind(p.org_unit_id)
    .bind(&p.title)
    .bind(&p.roles)
    .bind(&p.lang)
    .bind(p.active)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn set_password_hash(tx: &mut Tx, tenant: i64, id: i64, hash: &str) -> Result<()> {
    crate::org::bump_version(tx, tenant).await?;
    sqlx::query("UPDATE people SET password_hash = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .bind(hash)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn get(db: &Db, tenant: i64, id: i64) -> Result<Option<PersonRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM people WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(db.pool())
        .await?)
}

pub async fn list(db: &Db, tenant: i64) -> Result<Vec<PersonRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM people WHERE tenant_id = $1 ORDER BY id"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

pub async fn list_in(tx: &mut Tx, tenant: i64) -> Result<Vec<PersonRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM people WHERE tenant_id = $1 ORDER BY id"))
        .bind(tenant)
        .fetch_all(tx.conn())
        .await?)
}

/// Accounts with this email in any tenant (sign-in does not know the tenant yet).
pub async fn by_email_any_tenant(db: &Db, email: &str) -> Result<Vec<PersonRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM people WHERE email = $1 ORDER BY tenant_id"))
        .bind(email)
        .fetch_all(db.pool())
        .await?)
}

pub async fn by_email(db: &Db, tenant: i64, email: &str) -> Result<Option<PersonRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM people WHERE tenant_id = $1 AND email = $2"))
        .bind(tenant)
        .bind(email)
        .fetch_optional(db.pool())
        .await?)
}

pub async fn count(db: &Db, tenant: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE tenant_id = $1").bind(tenant).fetch_one(db.pool()).await?)
}

/// A person's own time zone (IANA name; none: the company's).
pub async fn time_zone(db: &Db, tenant: i64, person: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT time_zone FROM people WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(person)
        .fetch_optional(db.pool())
        .await?
        .flatten())
}

/// Sets a person's own time zone, or clears it (they follow the company's).
pub async fn set_time_zone(tx: &mut Tx, tenant: i64, person: i64, zone: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE people SET time_zone = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(person)
        .bind(zone)
        .execute(tx.conn())
        .await?;
    Ok(())
}
