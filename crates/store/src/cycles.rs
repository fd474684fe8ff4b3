//! Cycles of a tenant.

use crate::error::Result;
use crate::{Db, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CycleRow {
    pub tenant_id: i64,
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub start_date: String,
    pub end_date: String,
    pub state: String,
    pub parent_id: Option<i64>,
    pub created_at: i64,
}

const COLS: &str = "tenant_id, id, name, kind, start_date, end_date, state, parent_id, created_at";

pub async fn insert(tx: &mut Tx, c: &CycleRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO cycles (tenant_id, id, name, kind, start_date, end_date, state, parent_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(c.tenant_id)
    .bind(c.id)
    .bind(&c.name)
    .bind(&c.kind)
    .bind(&c.start_date)
    .bind(&c.end_date)
    .bind(&c.state)
    .bind(c.parent_id)
    .bind(c.created_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn update(tx: &mut Tx, c: &CycleRow) -> Result<()> {
    sqlx::query(
        "UPDATE cycles SET name = $3, kind = $4, start_date = $5, end_date = $6, state = $7, parent_id = $8 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(c.tenant_id)
    .bind(c.id)
    .bind(&c.name)
    .bind(&c.kind)
    .bind(&c.start_date)
    .bind(&c.end_date)
    .bind(&c.state)
    .bind(c.parent_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn get(db: &Db, tenant: i64, id: i64) -> Result<Option<CycleRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM cycles WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(db.pool())
        .await?)
}

pub async fn list(db: &Db, tenant: i64) -> Result<Vec<CycleRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM cycles WHERE tenant_id = $1 ORDER BY start_date DESC, id"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

/// Every cycle, read inside a write.
pub async fn list_in(tx: &mut Tx, tenant: i64) -> Result<Vec<CycleRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM cycles WHERE tenant_id = $1 ORDER BY start_date DESC, id"))
        .bind(tenant)
        .fetch_all(tx.conn())
        .await?)
}

/// Cycles nested directly in `parent`.
pub async fn children_in(tx: &mut Tx, tenant: i64, parent: i64) -> Result<Vec<CycleRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM cycles WHERE tenant_id = $1 AND parent_id = $2 ORDER BY id"))
        .bind(tenant)
        .bind(parent)
        .fetch_all(tx.conn())
        .await?)
}
