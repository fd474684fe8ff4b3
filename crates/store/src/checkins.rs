//! Check-ins on key results.

use crate::error::Result;
use crate::{Db, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CheckInRow {
    pub tenant_id: i64,
    pub id: i64,
    pub kr_id: i64,
    pub author_id: i64,
    pub value: f64,
    /// The KR's value before this check-in.
    pub previous: f64,
    pub confidence: i64,
    pub progress: String,
    pub blockers: String,
    pub help: String,
    pub created_at: i64,
    /// '' for a person's check-in; `metric:<id>` for a value that arrived from a bound metric.
    pub source: String,
    /// The status its author reports (`on_track`, `at_risk`, `delayed`; '' for none) and why.
    pub status: String,
    pub status_reason: String,
}

const COLS: &str = "tenant_id, id, kr_id, author_id, value, previous, confidence, progress, blockers, help, created_at, source, \
     status, status_reason";

pub async fn insert(tx: &mut Tx, c: &CheckInRow) -> Result<()> {
    insert_many(tx, std::slice::from_ref(c)).await
}

/// Inserts many check-ins with few statements (bulk loads: generated tenants, imports).
pub async fn insert_many(tx: &mut Tx, rows: &[CheckInRow]) -> Result<()> {
    crate::db::bulk_insert(tx, "check_ins", COLS, 14, "", rows, |q, c| {
        q.bind(c.tenant_id)
            .bind(c.id)
            .bind(c.kr_id)
            .bind(c.author_id)
            .bind(c.value)
            .bind(c.previous)
            .bind(c.confidence)
            .bind(c.progress.clone())
            .bind(c.blockers.clone())
            .bind(c.help.clone())
            .bind(c.created_at)
            .bind(c.source.clone())
            .bind(c.status.clone())
            .bind(c.status_reason.clone())
    })
    .await?;
    Ok(())
}

pub async fn get(db: &Db, tenant: i64, id: i64) -> Result<Option<CheckInRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM check_ins WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(db.pool())
        .await?)
}

/// The id of a key result's latest check-in, read inside a write.
pub async fn latest_in(tx: &mut Tx, tenant: i64, kr: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM check_ins WHERE tenant_id = $1 AND kr_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(tenant)
    .bind(kr)
    .fetch_optional(tx.conn())
    .await?)
}

/// Corrects a check-in's value, confidence and answers (its time and author stay).
pub async fn update(tx: &mut Tx, c: &CheckInRow) -> Result<()> {
    sqlx::query(
        "UPDATE check_ins SET value = $3, confidence = $4, progress = $5, blockers = $6, help = $7, status = $8, \
         status_reason = $9 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(c.tenant_id)
    .bind(c.id)
    .bind(c.value)
    .bind(c.confidence)
    .bind(&c.progress)
    .bind(&c.blockers)
    .bind(&c.help)
    .bind(&c.status)
    .bind(&c.status_reason)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A key result's check-ins, newest first.
pub async fn for_kr(db: &Db, tenant: i64, kr: i64) -> Result<Vec<CheckInRow>> {
    page_for_kr(db, tenant, kr, i64::MAX, 0).await
}

/// A page of a key result's check-ins, newest first: `limit` of them after skipping `offset`.
pub async fn page_for_kr(db: &Db, tenant: i64, kr: i64, limit: i64, offset: i64) -> Result<Vec<CheckInRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM check_ins WHERE tenant_id = $1 AND kr_id = $2 ORDER BY created_at DESC, id DESC \
         LIMIT $3 OFFSET $4"
    ))
    .bind(tenant)
    .bind(kr)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?)
}

/// Sets a key result's current value inside a write.
pub async fn set_current(tx: &mut Tx, tenant: i64, kr: i64, value: f64, at: i64) -> Result<()> {
    sqlx::query("UPDATE key_results SET current = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(kr)
        .bind(value)
        .bind(at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// One check-in as the score projection keeps it: (key result, time, value, confidence, the
/// value before).
pub type HistoryRow = (i64, i64, f64, i64, f64);

/// Every check-in of a tenant as the score projection keeps it, oldest first per key result:
/// only the numbers (the answers' text stays in the database).
pub async fn history_for_tenant(db: &Db, tenant: i64) -> Result<Vec<HistoryRow>> {
    Ok(sqlx::query_as(
        "SELECT kr_id, created_at, value, confidence, previous FROM check_ins WHERE tenant_id = $1 \
         ORDER BY kr_id, created_at, id",
    )
    .bind(tenant)
    .fetch_all(db.pool())
    .await?)
}

/// Every check-in of a tenant, oldest first per key result.
pub async fn for_tenant(db: &Db, tenant: i64) -> Result<Vec<CheckInRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM check_ins WHERE tenant_id = $1 ORDER BY kr_id, created_at, id"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

/// How many check-ins a key result has.
pub async fn count_for_kr(db: &Db, tenant: i64, kr: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM check_ins WHERE tenant_id = $1 AND kr_id = $2")
        .bind(tenant)
        .bind(kr)
        .fetch_one(db.pool())
        .await?)
}

/// The newest `limit` check-ins on any of some key results (a person's), newest first.
pub async fn latest_for_krs(db: &Db, tenant: i64, krs: &[i64], limit: i64) -> Result<Vec<CheckInRow>> {
    if krs.is_empty() {
        return Ok(vec![]);
    }
    let list = (0..krs.len()).map(|i| format!("${}", i + 3)).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {COLS} FROM check_ins WHERE tenant_id = $1 AND kr_id IN ({list}) ORDER BY created_at DESC, id DESC LIMIT $2"
    );
    let mut q = sqlx::query_as(&sql).bind(tenant).bind(limit);
    for k in krs {
        q = q.bind(*k);
    }
    Ok(q.fetch_all(db.pool()).await?)
}
