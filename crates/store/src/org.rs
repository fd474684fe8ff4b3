//! Org units of a tenant.

use crate::error::Result;
use crate::{Db, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow, serde::Serialize)]
pub struct OrgUnitRow {
    pub tenant_id: i64,
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    pub manager_id: Option<i64>,
    pub created_at: i64,
}

const COLS: &str = "tenant_id, id, name, parent_id, manager_id, created_at";

/// Counts a write to the org chart (units or people) inside its transaction.
pub async fn bump_version(tx: &mut Tx, tenant: i64) -> Result<()> {
    sqlx::query("UPDATE tenants SET org_version = org_version + 1 WHERE id = $1")
        .bind(tenant)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn version(db: &Db, tenant: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT org_version FROM tenants WHERE id = $1").bind(tenant).fetch_one(db.pool()).await?)
}

pub async fn insert(tx: &mut Tx, u: &OrgUnitRow) -> Result<()> {
    bump_version(tx, u.tenant_id).await?;
    sqlx::query(
        "INSERT INTO org_units (tenant_id, id, name, parent_id, manager_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(u.tenant_id)
    .bind(u.id)
    .bind(&u.name)
    .bind(u.parent_id)
    .bind(u.manager_id)
    .bind(u.created_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn update(tx: &mut Tx, u: &OrgUnitRow) -> Result<()> {
    bump_version(tx, u.tenant_id).await?;
    sqlx::query("UPDATE org_units SET name = $3, parent_id = $4, manager_id = $5 WHERE tenant_id = $1 AND id = $2")
        .bind(u.tenant_id)
        .bind(u.id)
        .bind(&u.name)
        .bind(u.parent_id)
        .bind(u.manager_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn get(db: &Db, tenant: i64, id: i64) -> Result<Option<OrgUnitRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM org_units WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(db.pool())
        .await?)
}

pub async fn list(db: &Db, tenant: i64) -> Result<Vec<OrgUnitRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM org_units WHERE tenant_id = $1 ORDER BY id"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

/// The same list, read inside a write so that checks see what the write will change.
pub async fn list_in(tx: &mut Tx, tenant: i64) -> Result<Vec<OrgUnitRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM org_units WHERE tenant_id = $1 ORDER BY id"))
        .bind(tenant)
        .fetch_all(tx.conn())
        .await?)
}
