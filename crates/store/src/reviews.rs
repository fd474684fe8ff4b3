//! The review at cycle end: key results frozen with their provenance, retros and their lessons.

use crate::error::Result;
use crate::{Db, Tx};

/// A key result's value as its cycle went into review, and where that value came from.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KrFinalRow {
    pub tenant_id: i64,
    pub kr_id: i64,
    pub objective_id: i64,
    pub cycle_id: i64,
    pub value: f64,
    pub score: f64,
    /// '' (a person's check-in), `metric:<id>`, or `setup` (never checked in: the value it was set up with).
    pub source: String,
    /// When the value was recorded.
    pub value_at: i64,
    /// Who recorded it (none for `setup`).
    pub author_id: Option<i64>,
    pub frozen_at: i64,
}

const FINAL: &str = "tenant_id, kr_id, objective_id, cycle_id, value, score, source, value_at, author_id, frozen_at";

/// Writes the frozen values; a key result frozen before (its cycle reopened and went into review
/// again) takes the new one.
pub async fn freeze(tx: &mut Tx, rows: &[KrFinalRow]) -> Result<()> {
    crate::db::bulk_insert(
        tx,
        "kr_finals",
        FINAL,
        10,
        "ON CONFLICT (tenant_id, kr_id) DO UPDATE SET objective_id = excluded.objective_id, cycle_id = excluded.cycle_id, \
         value = excluded.value, score = excluded.score, source = excluded.source, value_at = excluded.value_at, \
         author_id = excluded.author_id, frozen_at = excluded.frozen_at",
        rows,
        |q, r| {
            q.bind(r.tenant_id)
                .bind(r.kr_id)
                .bind(r.objective_id)
                .bind(r.cycle_id)
                .bind(r.value)
                .bind(r.score)
                .bind(r.source.clone())
                .bind(r.value_at)
                .bind(r.author_id)
                .bind(r.frozen_at)
        },
    )
    .await?;
    Ok(())
}

pub async fn finals_of_cycle(db: &Db, tenant: i64, cycle: i64) -> Result<Vec<KrFinalRow>> {
    Ok(sqlx::query_as(&format!("SELECT {FINAL} FROM kr_finals WHERE tenant_id = $1 AND cycle_id = $2 ORDER BY kr_id"))
        .bind(tenant)
        .bind(cycle)
        .fetch_all(db.pool())
        .await?)
}

pub async fn finals_of_objective(db: &Db, tenant: i64, objective: i64) -> Result<Vec<KrFinalRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {FINAL} FROM kr_finals WHERE tenant_id = $1 AND objective_id = $2 ORDER BY kr_id"
    ))
    .bind(tenant)
    .bind(objective)
    .fetch_all(db.pool())
    .await?)
}

/// The latest check-in of every key result of a cycle's objectives: (key result, author, source,
/// time, value), read inside the write that freezes them.
pub async fn latest_check_ins(tx: &mut Tx, tenant: i64, cycle: i64) -> Result<Vec<(i64, i64, String, i64, f64)>> {
    Ok(sqlx::query_as(
        "SELECT c.kr_id, c.author_id, c.source, c.created_at, c.value FROM check_ins c \
         JOIN key_results k ON k.tenant_id = c.tenant_id AND k.id = c.kr_id \
         JOIN objectives o ON o.tenant_id = k.tenant_id AND o.id = k.objective_id \
         WHERE c.tenant_id = $1 AND o.cycle_id = $2 \
         AND c.created_at = (SELECT MAX(c2.created_at) FROM check_ins c2 WHERE c2.tenant_id = c.tenant_id AND c2.kr_id = c.kr_id)",
    )
    .bind(tenant)
    .bind(cycle)
    .fetch_all(tx.conn())
    .await?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RetroRow {
    pub tenant_id: i64,
    pub objective_id: i64,
    pub cycle_id: i64,
    /// The checked retro as JSON.
    pub body: String,
    pub author_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_at: Option<i64>,
}

const RETRO: &str =
    "tenant_id, objective_id, cycle_id, body, author_id, created_at, updated_at, acknowledged_by, acknowledged_at";

pub async fn retro(db: &Db, tenant: i64, objective: i64) -> Result<Option<RetroRow>> {
    Ok(sqlx::query_as(&format!("SELECT {RETRO} FROM retros WHERE tenant_id = $1 AND objective_id = $2"))
        .bind(tenant)
        .bind(objective)
        .fetch_optional(db.pool())
        .await?)
}

/// A retro read inside a write, so that two saves of one retro take turns.
pub async fn retro_in(tx: &mut Tx, tenant: i64, objective: i64) -> Result<Option<RetroRow>> {
    Ok(sqlx::query_as(&format!("SELECT {RETRO} FROM retros WHERE tenant_id = $1 AND objective_id = $2"))
        .bind(tenant)
        .bind(objective)
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn retros_of_cycle(db: &Db, tenant: i64, cycle: i64) -> Result<Vec<RetroRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {RETRO} FROM retros WHERE tenant_id = $1 AND cycle_id = $2 ORDER BY objective_id"
    ))
    .bind(tenant)
    .bind(cycle)
    .fetch_all(db.pool())
    .await?)
}

/// Writes a retro whole. A second save replaces the first; an acknowledgement stays only while
/// the text is what was acknowledged.
pub async fn save_retro(tx: &mut Tx, r: &RetroRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO retros ({RETRO}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (tenant_id, objective_id) DO UPDATE SET cycle_id = excluded.cycle_id, body = excluded.body, \
         author_id = excluded.author_id, updated_at = excluded.updated_at, \
         acknowledged_by = CASE WHEN retros.body = excluded.body THEN retros.acknowledged_by ELSE NULL END, \
         acknowledged_at = CASE WHEN retros.body = excluded.body THEN retros.acknowledged_at ELSE NULL END"
    ))
    .bind(r.tenant_id)
    .bind(r.objective_id)
    .bind(r.cycle_id)
    .bind(&r.body)
    .bind(r.author_id)
    .bind(r.created_at)
    .bind(r.updated_at)
    .bind(r.acknowledged_by)
    .bind(r.acknowledged_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn acknowledge(tx: &mut Tx, tenant: i64, objective: i64, by: i64, at: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE retros SET acknowledged_by = $3, acknowledged_at = $4 WHERE tenant_id = $1 AND objective_id = $2",
    )
    .bind(tenant)
    .bind(objective)
    .bind(by)
    .bind(at)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LessonRow {
    pub tenant_id: i64,
    pub id: i64,
    pub objective_id: i64,
    pub cycle_id: i64,
    pub position: i64,
    pub text: String,
    /// Tags joined by commas.
    pub tags: String,
    pub created_at: i64,
}

const LESSON: &str = "tenant_id, id, objective_id, cycle_id, position, text, tags, created_at";

/// Replaces an objective's lessons with `rows` (written with its retro), and moves the tenant's
/// lessons version on.
pub async fn replace_lessons(tx: &mut Tx, tenant: i64, objective: i64, rows: &[LessonRow]) -> Result<()> {
    sqlx::query("UPDATE tenants SET lessons_version = lessons_version + 1 WHERE id = $1")
        .bind(tenant)
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM lessons WHERE tenant_id = $1 AND objective_id = $2")
        .bind(tenant)
        .bind(objective)
        .execute(tx.conn())
        .await?;
    crate::db::bulk_insert(tx, "lessons", LESSON, 8, "", rows, |q, l| {
        q.bind(l.tenant_id)
            .bind(l.id)
            .bind(l.objective_id)
            .bind(l.cycle_id)
            .bind(l.position)
            .bind(l.text.clone())
            .bind(l.tags.clone())
            .bind(l.created_at)
    })
    .await?;
    Ok(())
}

/// Every lesson of a tenant, oldest first (the knowledge base is built from them).
pub async fn lessons(db: &Db, tenant: i64) -> Result<Vec<LessonRow>> {
    Ok(sqlx::query_as(&format!("SELECT {LESSON} FROM lessons WHERE tenant_id = $1 ORDER BY id"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

/// Every retro of a tenant.
pub async fn retros(db: &Db, tenant: i64) -> Result<Vec<RetroRow>> {
    Ok(sqlx::query_as(&format!("SELECT {RETRO} FROM retros WHERE tenant_id = $1 ORDER BY objective_id"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

/// A key result's carry-over decision and the draft it became.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CarryRow {
    pub tenant_id: i64,
    pub id: i64,
    pub from_objective: i64,
    pub from_kr: i64,
    pub decision: String,
    pub to_cycle: Option<i64>,
    pub to_objective: Option<i64>,
    pub to_kr: Option<i64>,
    pub created_at: i64,
}

const CARRY: &str = "tenant_id, id, from_objective, from_kr, decision, to_cycle, to_objective, to_kr, created_at";

pub async fn insert_carries(tx: &mut Tx, rows: &[CarryRow]) -> Result<()> {
    crate::db::bulk_insert(tx, "carry_overs", CARRY, 9, "", rows, |q, r| {
        q.bind(r.tenant_id)
            .bind(r.id)
            .bind(r.from_objective)
            .bind(r.from_kr)
            .bind(r.decision.clone())
            .bind(r.to_cycle)
            .bind(r.to_objective)
            .bind(r.to_kr)
            .bind(r.created_at)
    })
    .await?;
    Ok(())
}

/// Whether the objective's decisions were carried already (a cycle closed twice carries once).
pub async fn carried_in(tx: &mut Tx, tenant: i64, objective: i64) -> Result<bool> {
    let n: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM carry_overs WHERE tenant_id = $1 AND from_objective = $2 LIMIT 1")
            .bind(tenant)
            .bind(objective)
            .fetch_optional(tx.conn())
            .await?;
    Ok(n.is_some())
}

/// The carry-overs from an objective, or into one.
pub async fn carries(db: &Db, tenant: i64, objective: i64) -> Result<Vec<CarryRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CARRY} FROM carry_overs WHERE tenant_id = $1 AND (from_objective = $2 OR to_objective = $2) ORDER BY id"
    ))
    .bind(tenant)
    .bind(objective)
    .fetch_all(db.pool())
    .await?)
}

/// A cycle's retros, read inside a write.
pub async fn retros_of_cycle_in(tx: &mut Tx, tenant: i64, cycle: i64) -> Result<Vec<RetroRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {RETRO} FROM retros WHERE tenant_id = $1 AND cycle_id = $2 ORDER BY objective_id"
    ))
    .bind(tenant)
    .bind(cycle)
    .fetch_all(tx.conn())
    .await?)
}

/// A cycle's frozen key results, read inside a write.
pub async fn finals_of_cycle_in(tx: &mut Tx, tenant: i64, cycle: i64) -> Result<Vec<KrFinalRow>> {
    Ok(sqlx::query_as(&format!("SELECT {FINAL} FROM kr_finals WHERE tenant_id = $1 AND cycle_id = $2 ORDER BY kr_id"))
        .bind(tenant)
        .bind(cycle)
        .fetch_all(tx.conn())
        .await?)
}

/// The decisions to continue or revise key results of `cycle`'s objectives that are not drafted
/// yet, read inside a write.
pub async fn pending_carries_in(tx: &mut Tx, tenant: i64, cycle: i64) -> Result<Vec<CarryRow>> {
    Ok(sqlx::query_as(
        "SELECT c.tenant_id, c.id, c.from_objective, c.from_kr, c.decision, c.to_cycle, c.to_objective, c.to_kr, \
         c.created_at FROM carry_overs c JOIN objectives o ON o.tenant_id = c.tenant_id AND o.id = c.from_objective \
         WHERE c.tenant_id = $1 AND o.cycle_id = $2 AND c.to_objective IS NULL \
         AND c.decision IN ('continue', 'revise') ORDER BY c.id",
    )
    .bind(tenant)
    .bind(cycle)
    .fetch_all(tx.conn())
    .await?)
}

/// Links a carry-over to the draft it became.
pub async fn set_carry_target(tx: &mut Tx, tenant: i64, id: i64, cycle: i64, objective: i64, kr: i64) -> Result<()> {
    sqlx::query("UPDATE carry_overs SET to_cycle = $3, to_objective = $4, to_kr = $5 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .bind(cycle)
        .bind(objective)
        .bind(kr)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Every carry-over into `cycle`'s drafts (or what became of them).
pub async fn carries_into_cycle(db: &Db, tenant: i64, cycle: i64) -> Result<Vec<CarryRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CARRY} FROM carry_overs WHERE tenant_id = $1 AND to_cycle = $2 ORDER BY to_objective, id"
    ))
    .bind(tenant)
    .bind(cycle)
    .fetch_all(db.pool())
    .await?)
}

/// The tenant's lessons version: it moves with every write of lessons (and of the retro they
/// belong to).
pub async fn lessons_version(db: &Db, tenant: i64) -> Result<i64> {
    let v: Option<(i64,)> = sqlx::query_as("SELECT lessons_version FROM tenants WHERE id = $1")
        .bind(tenant)
        .fetch_optional(db.pool())
        .await?;
    Ok(v.map_or(0, |v| v.0))
}
