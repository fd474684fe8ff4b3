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

/// `x` held to [0, 1] (a CASE, as the two engines spell MIN/MAX of two values differently).
fn clamp01(x: &str) -> String {
    format!("CASE WHEN {x} < 0.0 THEN 0.0 WHEN {x} > 1.0 THEN 1.0 ELSE {x} END")
}

/// The rule's score of the key result `k` at its current value: [`tandem_domain::score::kr_score`]
/// written in SQL, so that freezing a cycle is one statement however many key results it has.
/// `tests/conformance.rs` checks it against the rule on both engines, for every measure and
/// edge.
fn score_sql() -> String {
    let raw = "CASE \
      WHEN k.measure IN ('increase', 'decrease') THEN \
        CASE WHEN k.target = k.baseline THEN \
          CASE WHEN (k.measure = 'increase' AND k.current >= k.target) \
                 OR (k.measure = 'decrease' AND k.current <= k.target) THEN 1.0 ELSE 0.0 END \
        ELSE (k.current - k.baseline) / (k.target - k.baseline) END \
      WHEN k.measure = 'stay_above' THEN \
        CASE WHEN k.current >= k.target THEN 1.0 WHEN k.target > 0.0 AND k.current > 0.0 THEN k.current / k.target \
        ELSE 0.0 END \
      WHEN k.measure = 'stay_below' THEN \
        CASE WHEN k.current <= k.target THEN 1.0 WHEN k.target > 0.0 THEN k.target / k.current ELSE 0.0 END \
      WHEN k.measure = 'milestone' THEN \
        CASE WHEN k.target > 0.0 THEN k.current / k.target WHEN k.current > 0.0 THEN 1.0 ELSE 0.0 END \
      ELSE 0.0 END";
    format!(
        "CASE WHEN k.override_score IS NOT NULL THEN {} ELSE {} END",
        clamp01("k.override_score"),
        clamp01(&format!("({raw})"))
    )
}

/// Freezes every key result of `cycle`'s published objectives in one statement, inside the write
/// that moves the cycle into review: its value, its score (the manager's final score where set,
/// else the rule's), and where the value came from — the latest check-in (the later-written of
/// two at one instant) when it set the value, else `setup` at the key result's last edit. A key
/// result frozen before (its cycle went back to running and into review again) takes the new
/// values. Answers how many were frozen. (`WHERE true` keeps SQLite from reading `ON CONFLICT`
/// as the join's constraint.)
pub async fn freeze_cycle(tx: &mut Tx, tenant: i64, cycle: i64, now: i64) -> Result<u64> {
    let set = "CASE WHEN c.value = k.current THEN";
    let sql = format!(
        "INSERT INTO kr_finals ({FINAL}) \
         SELECT k.tenant_id, k.id, k.objective_id, $2, k.current, {score}, \
           {set} c.source ELSE 'setup' END, {set} c.created_at ELSE k.updated_at END, {set} c.author_id END, $3 \
         FROM (SELECT k.*, (SELECT c2.id FROM check_ins c2 WHERE c2.tenant_id = $1 AND c2.kr_id = k.id \
                 ORDER BY c2.created_at DESC, c2.id DESC LIMIT 1) AS last_id \
               FROM key_results k JOIN objectives o ON o.tenant_id = k.tenant_id AND o.id = k.objective_id \
               WHERE k.tenant_id = $1 AND o.cycle_id = $2 AND o.status = 'published') k \
         LEFT JOIN check_ins c ON c.tenant_id = $1 AND c.id = k.last_id \
         WHERE true \
         ON CONFLICT (tenant_id, kr_id) DO UPDATE SET objective_id = excluded.objective_id, cycle_id = excluded.cycle_id, \
         value = excluded.value, score = excluded.score, source = excluded.source, value_at = excluded.value_at, \
         author_id = excluded.author_id, frozen_at = excluded.frozen_at",
        score = score_sql()
    );
    Ok(sqlx::query(&sql).bind(tenant).bind(cycle).bind(now).execute(tx.conn()).await?.rows_affected())
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
    /// The objective whose retro holds it, or (for a team retro's) none and `unit_id`.
    pub objective_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub cycle_id: i64,
    pub position: i64,
    pub text: String,
    /// Tags joined by commas.
    pub tags: String,
    pub created_at: i64,
}

const LESSON: &str = "tenant_id, id, objective_id, unit_id, cycle_id, position, text, tags, created_at";

/// Replaces an objective's lessons with `rows` (written with its retro), and moves the tenant's
/// lessons version on.
pub async fn replace_lessons(tx: &mut Tx, tenant: i64, objective: i64, rows: &[LessonRow]) -> Result<()> {
    bump_lessons_version(tx, tenant).await?;
    sqlx::query("DELETE FROM lessons WHERE tenant_id = $1 AND objective_id = $2")
        .bind(tenant)
        .bind(objective)
        .execute(tx.conn())
        .await?;
    insert_lessons(tx, rows).await
}

/// Moves the tenant's lessons version on: cached lesson indexes are read again.
pub async fn bump_lessons_version(tx: &mut Tx, tenant: i64) -> Result<()> {
    sqlx::query("UPDATE tenants SET lessons_version = lessons_version + 1 WHERE id = $1")
        .bind(tenant)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Adds lessons (in bulk), moving nothing else: the caller bumps the lessons version.
pub async fn insert_lessons(tx: &mut Tx, rows: &[LessonRow]) -> Result<()> {
    crate::db::bulk_insert(tx, "lessons", LESSON, 9, "", rows, |q, l| {
        q.bind(l.tenant_id)
            .bind(l.id)
            .bind(l.objective_id)
            .bind(l.unit_id)
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

/// At most this many ids go into one `IN (…)` list.
const IDS_PER_QUERY: usize = 1000;

/// `$first, $first+1, …` for `n` ids.
fn numbered(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// The frozen key results of the objectives `ids` (a unit's review reads its own, not the cycle's).
pub async fn finals_of_objectives(db: &Db, tenant: i64, ids: &[i64]) -> Result<Vec<KrFinalRow>> {
    let mut out = vec![];
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let sql = format!(
            "SELECT {FINAL} FROM kr_finals WHERE tenant_id = $1 AND objective_id IN ({})",
            numbered(2, chunk.len())
        );
        let mut q = sqlx::query_as(&sql).bind(tenant);
        for id in chunk {
            q = q.bind(*id);
        }
        out.extend(q.fetch_all(db.pool()).await?);
    }
    Ok(out)
}

/// The retros of the objectives `ids`.
pub async fn retros_of_objectives(db: &Db, tenant: i64, ids: &[i64]) -> Result<Vec<RetroRow>> {
    let mut out = vec![];
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let sql = format!(
            "SELECT {RETRO} FROM retros WHERE tenant_id = $1 AND objective_id IN ({})",
            numbered(2, chunk.len())
        );
        let mut q = sqlx::query_as(&sql).bind(tenant);
        for id in chunk {
            q = q.bind(*id);
        }
        out.extend(q.fetch_all(db.pool()).await?);
    }
    Ok(out)
}

/// A unit's 复盘 of a cycle, for the team meeting.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TeamRetroRow {
    pub tenant_id: i64,
    pub unit_id: i64,
    pub cycle_id: i64,
    /// The checked retro as JSON (no self scores, no carry-over: those are per key result).
    pub body: String,
    pub author_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_at: Option<i64>,
}

const TEAM: &str =
    "tenant_id, unit_id, cycle_id, body, author_id, created_at, updated_at, acknowledged_by, acknowledged_at";

pub async fn team_retro(db: &Db, tenant: i64, unit: i64, cycle: i64) -> Result<Option<TeamRetroRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TEAM} FROM team_retros WHERE tenant_id = $1 AND unit_id = $2 AND cycle_id = $3"
    ))
    .bind(tenant)
    .bind(unit)
    .bind(cycle)
    .fetch_optional(db.pool())
    .await?)
}

/// A team retro read inside a write, so that two saves take turns.
pub async fn team_retro_in(tx: &mut Tx, tenant: i64, unit: i64, cycle: i64) -> Result<Option<TeamRetroRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TEAM} FROM team_retros WHERE tenant_id = $1 AND unit_id = $2 AND cycle_id = $3"
    ))
    .bind(tenant)
    .bind(unit)
    .bind(cycle)
    .fetch_optional(tx.conn())
    .await?)
}

/// Every team retro of a tenant.
pub async fn team_retros(db: &Db, tenant: i64) -> Result<Vec<TeamRetroRow>> {
    Ok(sqlx::query_as(&format!("SELECT {TEAM} FROM team_retros WHERE tenant_id = $1 ORDER BY unit_id, cycle_id"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

/// Writes a team retro whole; an acknowledgement stays only while the text is what was
/// acknowledged.
pub async fn save_team_retro(tx: &mut Tx, r: &TeamRetroRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO team_retros ({TEAM}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (tenant_id, unit_id, cycle_id) DO UPDATE SET body = excluded.body, \
         author_id = excluded.author_id, updated_at = excluded.updated_at, \
         acknowledged_by = CASE WHEN team_retros.body = excluded.body THEN team_retros.acknowledged_by ELSE NULL END, \
         acknowledged_at = CASE WHEN team_retros.body = excluded.body THEN team_retros.acknowledged_at ELSE NULL END"
    ))
    .bind(r.tenant_id)
    .bind(r.unit_id)
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

pub async fn acknowledge_team(tx: &mut Tx, tenant: i64, unit: i64, cycle: i64, by: i64, at: i64) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE team_retros SET acknowledged_by = $4, acknowledged_at = $5 \
         WHERE tenant_id = $1 AND unit_id = $2 AND cycle_id = $3",
    )
    .bind(tenant)
    .bind(unit)
    .bind(cycle)
    .bind(by)
    .bind(at)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Replaces a team retro's lessons with `rows`, and moves the tenant's lessons version on.
pub async fn replace_team_lessons(tx: &mut Tx, tenant: i64, unit: i64, cycle: i64, rows: &[LessonRow]) -> Result<()> {
    bump_lessons_version(tx, tenant).await?;
    sqlx::query("DELETE FROM lessons WHERE tenant_id = $1 AND unit_id = $2 AND cycle_id = $3")
        .bind(tenant)
        .bind(unit)
        .bind(cycle)
        .execute(tx.conn())
        .await?;
    insert_lessons(tx, rows).await
}
