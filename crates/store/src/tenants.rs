//! Tenants: one company each. Nothing of one tenant is ever read with another's id.

use crate::error::Result;
use crate::{Db, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TenantRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub band_yellow: f64,
    pub band_green: f64,
    pub created_at: i64,
    /// IANA time zone name (default Asia/Shanghai).
    pub time_zone: String,
}

const COLS: &str = "id, slug, name, band_yellow, band_green, created_at, time_zone";

pub async fn insert(tx: &mut Tx, t: &TenantRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO tenants (id, slug, name, band_yellow, band_green, created_at, time_zone) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(t.id)
    .bind(&t.slug)
    .bind(&t.name)
    .bind(t.band_yellow)
    .bind(t.band_green)
    .bind(t.created_at)
    .bind(&t.time_zone)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// What a read needs to know is current: the goals, org and KPI versions and the band thresholds,
/// in one primary-key read.
#[derive(Debug, Clone, Copy, PartialEq, sqlx::FromRow)]
pub struct TenantState {
    pub goals_version: i64,
    pub org_version: i64,
    pub kpi_version: i64,
    pub band_yellow: f64,
    pub band_green: f64,
}

pub async fn state(db: &Db, id: i64) -> Result<Option<TenantState>> {
    Ok(sqlx::query_as(
        "SELECT goals_version, org_version, kpi_version, band_yellow, band_green FROM tenants WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<TenantRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM tenants WHERE id = $1")).bind(id).fetch_optional(db.pool()).await?)
}

pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<TenantRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM tenants WHERE slug = $1"))
        .bind(slug)
        .fetch_optional(db.pool())
        .await?)
}

pub async fn all(db: &Db) -> Result<Vec<TenantRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM tenants ORDER BY id")).fetch_all(db.pool()).await?)
}

pub async fn update(tx: &mut Tx, t: &TenantRow) -> Result<()> {
    sqlx::query("UPDATE tenants SET name = $2, band_yellow = $3, band_green = $4, time_zone = $5 WHERE id = $1")
        .bind(t.id)
        .bind(&t.name)
        .bind(t.band_yellow)
        .bind(t.band_green)
        .bind(&t.time_zone)
        .execute(tx.conn())
        .await?;
    Ok(())
}
