//! The append-only event log: who changed what, when, from what to what, and why.

use crate::error::Result;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub tenant_id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub entity: &'static str,
    pub entity_id: i64,
    pub action: &'static str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
}

pub(crate) async fn insert(conn: &mut AnyConnection, seq: i64, e: &EventRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO events (tenant_id, seq, at, actor_id, entity, entity_id, action, before_json, after_json, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(e.tenant_id)
    .bind(seq)
    .bind(e.at)
    .bind(e.actor_id)
    .bind(e.entity)
    .bind(e.entity_id)
    .bind(e.action)
    .bind(e.before.as_ref().map(|v| v.to_string()))
    .bind(e.after.as_ref().map(|v| v.to_string()))
    .bind(e.reason.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

/// The history of one entity, oldest first.
pub async fn for_entity(db: &crate::Db, tenant: i64, entity: &str, id: i64) -> Result<Vec<StoredEvent>> {
    let rows = sqlx::query(
        "SELECT seq, at, actor_id, entity, entity_id, action, before_json, after_json, reason FROM events \
         WHERE tenant_id = $1 AND entity = $2 AND entity_id = $3 ORDER BY at, seq",
    )
    .bind(tenant)
    .bind(entity)
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(decode).collect()
}

/// One page of the joint history of an objective and its key results, newest first: the
/// events in `(after, until]` (µs), skipping `offset`, at most `limit`; and how many there are
/// in that span.
pub async fn for_objective_page(
    db: &crate::Db,
    tenant: i64,
    objective: i64,
    key_results: &[i64],
    (after, until): (i64, i64),
    limit: i64,
    offset: i64,
) -> Result<(Vec<StoredEvent>, i64)> {
    // $1 tenant, $2 objective, $3 after, $4 until; then one parameter per key result.
    let krs = (0..key_results.len()).map(|i| format!("${}", i + 5)).collect::<Vec<_>>().join(", ");
    let which = if krs.is_empty() {
        "entity = 'objective' AND entity_id = $2".to_string()
    } else {
        format!("((entity = 'objective' AND entity_id = $2) OR (entity = 'key_result' AND entity_id IN ({krs})))")
    };
    let filter = format!("tenant_id = $1 AND {which} AND at > $3 AND at <= $4");
    fn bind_all<'q>(
        sql: &'q str,
        (tenant, objective, span): (i64, i64, (i64, i64)),
        key_results: &[i64],
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        let mut q = sqlx::query(sql).bind(tenant).bind(objective).bind(span.0).bind(span.1);
        for k in key_results {
            q = q.bind(*k);
        }
        q
    }
    let head = (tenant, objective, (after, until));
    let n = key_results.len() + 5;
    let page_sql = format!(
        "SELECT seq, at, actor_id, entity, entity_id, action, before_json, after_json, reason FROM events \
         WHERE {filter} ORDER BY at DESC, seq DESC LIMIT ${n} OFFSET ${}",
        n + 1
    );
    let rows = bind_all(&page_sql, head, key_results).bind(limit).bind(offset).fetch_all(db.pool()).await?;
    let count_sql = format!("SELECT COUNT(*) FROM events WHERE {filter}");
    let total: i64 = bind_all(&count_sql, head, key_results).fetch_one(db.pool()).await?.try_get(0)?;
    Ok((rows.iter().map(decode).collect::<Result<_>>()?, total))
}

/// The newest events of a tenant, newest first.
pub async fn recent(db: &crate::Db, tenant: i64, limit: i64) -> Result<Vec<StoredEvent>> {
    let rows = sqlx::query(
        "SELECT seq, at, actor_id, entity, entity_id, action, before_json, after_json, reason FROM events \
         WHERE tenant_id = $1 ORDER BY at DESC, seq DESC LIMIT $2",
    )
    .bind(tenant)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(decode).collect()
}

pub async fn count(db: &crate::Db, tenant: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE tenant_id = $1").bind(tenant).fetch_one(db.pool()).await?)
}

fn decode(r: &sqlx::any::AnyRow) -> Result<StoredEvent> {
    let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(StoredEvent {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor_id: r.try_get("actor_id")?,
        entity: r.try_get("entity")?,
        entity_id: r.try_get("entity_id")?,
        action: r.try_get("action")?,
        before: json(r.try_get("before_json")?),
        after: json(r.try_get("after_json")?),
        reason: r.try_get("reason")?,
    })
}
