//! Red-light alerts.

use crate::error::Result;
use crate::{Db, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AlertRow {
    pub tenant_id: i64,
    pub id: i64,
    /// `key_result` or `kpi`.
    pub subject_type: String,
    pub subject_id: i64,
    /// `forecast_red`, `stale`, `kpi_fail`.
    pub reason: String,
    pub owner_id: Option<i64>,
    /// `open`, `acknowledged`, `resolved`.
    pub state: String,
    pub note: String,
    pub raised_at: i64,
    pub acknowledged_at: Option<i64>,
    pub resolved_at: Option<i64>,
}

const COLS: &str =
    "tenant_id, id, subject_type, subject_id, reason, owner_id, state, note, raised_at, acknowledged_at, resolved_at";

pub async fn unresolved(db: &Db, tenant: i64) -> Result<Vec<AlertRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM alerts WHERE tenant_id = $1 AND state <> 'resolved' ORDER BY raised_at, id"
    ))
    .bind(tenant)
    .fetch_all(db.pool())
    .await?)
}

/// The unresolved alerts of one owner.
pub async fn unresolved_of(db: &Db, tenant: i64, owner: i64) -> Result<Vec<AlertRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM alerts WHERE tenant_id = $1 AND owner_id = $2 AND state <> 'resolved' ORDER BY raised_at, id"
    ))
    .bind(tenant)
    .bind(owner)
    .fetch_all(db.pool())
    .await?)
}

pub async fn unresolved_in(tx: &mut Tx, tenant: i64) -> Result<Vec<AlertRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM alerts WHERE tenant_id = $1 AND state <> 'resolved' ORDER BY raised_at, id"
    ))
    .bind(tenant)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn insert(tx: &mut Tx, a: &AlertRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO alerts ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"))
        .bind(a.tenant_id)
        .bind(a.id)
        .bind(&a.subject_type)
        .bind(a.subject_id)
        .bind(&a.reason)
        .bind(a.owner_id)
        .bind(&a.state)
        .bind(&a.note)
        .bind(a.raised_at)
        .bind(a.acknowledged_at)
        .bind(a.resolved_at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn resolve(tx: &mut Tx, tenant: i64, id: i64, at: i64) -> Result<()> {
    sqlx::query("UPDATE alerts SET state = 'resolved', resolved_at = $3 WHERE tenant_id = $1 AND id = $2 AND state <> 'resolved'")
        .bind(tenant)
        .bind(id)
        .bind(at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Acknowledges an open alert with a note; answers whether it was open.
pub async fn acknowledge(tx: &mut Tx, tenant: i64, id: i64, note: &str, at: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE alerts SET state = 'acknowledged', note = $3, acknowledged_at = $4 WHERE tenant_id = $1 AND id = $2 AND state = 'open'",
    )
    .bind(tenant)
    .bind(id)
    .bind(note)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}
