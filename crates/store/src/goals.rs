//! Objectives, key results, their owners and links, and KPIs.

use crate::error::Result;
use crate::{Db, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ObjectiveRow {
    pub tenant_id: i64,
    pub id: i64,
    pub cycle_id: i64,
    pub title: String,
    pub description: String,
    pub kind: String,
    pub owner_type: String,
    pub owner_id: i64,
    pub parent_id: Option<i64>,
    /// `draft`, `published`, `archived`.
    pub status: String,
    pub author_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// When it was first published (µs); `None` for one never published, archived or not.
    pub published_at: Option<i64>,
}

impl ObjectiveRow {
    /// Whether the whole tenant has seen it: published now, or archived after being published.
    /// A draft archived without ever being published stays private.
    pub fn ever_published(&self) -> bool {
        self.published_at.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KeyResultRow {
    pub tenant_id: i64,
    pub id: i64,
    pub objective_id: i64,
    pub title: String,
    pub measure: String,
    pub baseline: f64,
    pub target: f64,
    pub current: f64,
    pub unit: String,
    pub weight: f64,
    pub position: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// A manager's final score at cycle close, replacing the computed one.
    pub override_score: Option<f64>,
    pub override_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KrOwnerRow {
    pub tenant_id: i64,
    pub kr_id: i64,
    pub owner_type: String,
    pub owner_id: i64,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SupportRow {
    pub tenant_id: i64,
    pub objective_id: i64,
    pub supports_id: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KpiRow {
    pub tenant_id: i64,
    pub id: i64,
    pub cycle_id: i64,
    pub name: String,
    pub owner_type: String,
    pub owner_id: i64,
    pub granularity: String,
    pub direction: String,
    pub target: f64,
    pub pass_threshold: f64,
    pub warn_threshold: Option<f64>,
    pub unit: String,
    pub weight: f64,
    pub derived_type: Option<String>,
    pub derived_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const OBJ: &str = "tenant_id, id, cycle_id, title, description, kind, owner_type, owner_id, parent_id, status, author_id, created_at, updated_at, published_at";
const KR: &str = "tenant_id, id, objective_id, title, measure, baseline, target, current, unit, weight, position, created_at, \
                  updated_at, override_score, override_reason";
const KPI: &str = "tenant_id, id, cycle_id, name, owner_type, owner_id, granularity, direction, target, pass_threshold, \
                   warn_threshold, unit, weight, derived_type, derived_id, created_at, updated_at";

/// Counts a goal write inside its transaction; answers the tenant's new goals version.
pub async fn bump_version(tx: &mut Tx, tenant: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("UPDATE tenants SET goals_version = goals_version + 1 WHERE id = $1 RETURNING goals_version")
        .bind(tenant)
        .fetch_one(tx.conn())
        .await?)
}

/// Counts a write to KPIs or their values inside its transaction.
pub async fn bump_kpi_version(tx: &mut Tx, tenant: i64) -> Result<()> {
    sqlx::query("UPDATE tenants SET kpi_version = kpi_version + 1 WHERE id = $1")
        .bind(tenant)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn version(db: &Db, tenant: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT goals_version FROM tenants WHERE id = $1").bind(tenant).fetch_one(db.pool()).await?)
}

pub async fn insert_objective(tx: &mut Tx, o: &ObjectiveRow) -> Result<()> {
    insert_objectives(tx, std::slice::from_ref(o)).await
}

/// Inserts many objectives with few statements (bulk loads).
pub async fn insert_objectives(tx: &mut Tx, rows: &[ObjectiveRow]) -> Result<()> {
    crate::db::bulk_insert(tx, "objectives", OBJ, 14, "", rows, |q, o| {
        q.bind(o.tenant_id)
            .bind(o.id)
            .bind(o.cycle_id)
            .bind(o.title.clone())
            .bind(o.description.clone())
            .bind(o.kind.clone())
            .bind(o.owner_type.clone())
            .bind(o.owner_id)
            .bind(o.parent_id)
            .bind(o.status.clone())
            .bind(o.author_id)
            .bind(o.created_at)
            .bind(o.updated_at)
            .bind(o.published_at)
    })
    .await?;
    Ok(())
}

/// Inserts many key results with few statements (bulk loads).
pub async fn insert_key_results(tx: &mut Tx, rows: &[KeyResultRow]) -> Result<()> {
    crate::db::bulk_insert(tx, "key_results", KR, 15, "", rows, |q, k| {
        q.bind(k.tenant_id)
            .bind(k.id)
            .bind(k.objective_id)
            .bind(k.title.clone())
            .bind(k.measure.clone())
            .bind(k.baseline)
            .bind(k.target)
            .bind(k.current)
            .bind(k.unit.clone())
            .bind(k.weight)
            .bind(k.position)
            .bind(k.created_at)
            .bind(k.updated_at)
            .bind(k.override_score)
            .bind(k.override_reason.clone())
    })
    .await?;
    Ok(())
}

pub async fn update_objective(tx: &mut Tx, o: &ObjectiveRow) -> Result<()> {
    sqlx::query(
        "UPDATE objectives SET cycle_id = $3, title = $4, description = $5, kind = $6, owner_type = $7, owner_id = $8, \
         parent_id = $9, status = $10, updated_at = $11, published_at = $12 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(o.tenant_id)
    .bind(o.id)
    .bind(o.cycle_id)
    .bind(&o.title)
    .bind(&o.description)
    .bind(&o.kind)
    .bind(&o.owner_type)
    .bind(o.owner_id)
    .bind(o.parent_id)
    .bind(&o.status)
    .bind(o.updated_at)
    .bind(o.published_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn objectives(db: &Db, tenant: i64) -> Result<Vec<ObjectiveRow>> {
    Ok(sqlx::query_as(&format!("SELECT {OBJ} FROM objectives WHERE tenant_id = $1 ORDER BY id"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

pub async fn objective_in(tx: &mut Tx, tenant: i64, id: i64) -> Result<Option<ObjectiveRow>> {
    Ok(sqlx::query_as(&format!("SELECT {OBJ} FROM objectives WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn set_supports(tx: &mut Tx, tenant: i64, objective: i64, supports: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM objective_supports WHERE tenant_id = $1 AND objective_id = $2")
        .bind(tenant)
        .bind(objective)
        .execute(tx.conn())
        .await?;
    for s in supports {
        sqlx::query("INSERT INTO objective_supports (tenant_id, objective_id, supports_id) VALUES ($1, $2, $3)")
            .bind(tenant)
            .bind(objective)
            .bind(s)
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}

pub async fn supports(db: &Db, tenant: i64) -> Result<Vec<SupportRow>> {
    Ok(sqlx::query_as("SELECT tenant_id, objective_id, supports_id FROM objective_supports WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

pub async fn insert_key_result(tx: &mut Tx, k: &KeyResultRow) -> Result<()> {
    insert_key_results(tx, std::slice::from_ref(k)).await
}

/// Sets or clears a key result's final-score override.
pub async fn set_override(tx: &mut Tx, tenant: i64, id: i64, score: Option<f64>, reason: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE key_results SET override_score = $3, override_reason = $4 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .bind(score)
        .bind(reason)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn update_key_result(tx: &mut Tx, k: &KeyResultRow) -> Result<()> {
    sqlx::query(
        "UPDATE key_results SET title = $3, measure = $4, baseline = $5, target = $6, current = $7, unit = $8, \
         weight = $9, position = $10, updated_at = $11 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(k.tenant_id)
    .bind(k.id)
    .bind(&k.title)
    .bind(&k.measure)
    .bind(k.baseline)
    .bind(k.target)
    .bind(k.current)
    .bind(&k.unit)
    .bind(k.weight)
    .bind(k.position)
    .bind(k.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn key_results(db: &Db, tenant: i64) -> Result<Vec<KeyResultRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KR} FROM key_results WHERE tenant_id = $1 ORDER BY objective_id, position, id"
    ))
    .bind(tenant)
    .fetch_all(db.pool())
    .await?)
}

/// The key results of a cycle's published objectives, read inside a write (freezing them at review).
pub async fn published_key_results_of_cycle_in(tx: &mut Tx, tenant: i64, cycle: i64) -> Result<Vec<KeyResultRow>> {
    let cols = KR.split(", ").map(|c| format!("k.{}", c.trim())).collect::<Vec<_>>().join(", ");
    Ok(sqlx::query_as(&format!(
        "SELECT {cols} FROM key_results k JOIN objectives o ON o.tenant_id = k.tenant_id AND o.id = k.objective_id \
         WHERE k.tenant_id = $1 AND o.cycle_id = $2 AND o.status = 'published' ORDER BY k.id"
    ))
    .bind(tenant)
    .bind(cycle)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn key_result_in(tx: &mut Tx, tenant: i64, id: i64) -> Result<Option<KeyResultRow>> {
    Ok(sqlx::query_as(&format!("SELECT {KR} FROM key_results WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await?)
}

/// A key result, locked for this write (the next writer to it waits until this one ends), in
/// one statement.
pub async fn lock_key_result(tx: &mut Tx, tenant: i64, id: i64) -> Result<Option<KeyResultRow>> {
    Ok(sqlx::query_as(&format!(
        "UPDATE key_results SET updated_at = updated_at WHERE tenant_id = $1 AND id = $2 RETURNING {KR}"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn set_kr_owners(tx: &mut Tx, tenant: i64, kr: i64, owners: &[(String, i64, f64)]) -> Result<()> {
    sqlx::query("DELETE FROM kr_owners WHERE tenant_id = $1 AND kr_id = $2")
        .bind(tenant)
        .bind(kr)
        .execute(tx.conn())
        .await?;
    for (t, id, w) in owners {
        sqlx::query(
            "INSERT INTO kr_owners (tenant_id, kr_id, owner_type, owner_id, weight) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tenant)
        .bind(kr)
        .bind(t)
        .bind(id)
        .bind(w)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

pub async fn kr_owners(db: &Db, tenant: i64) -> Result<Vec<KrOwnerRow>> {
    Ok(sqlx::query_as("SELECT tenant_id, kr_id, owner_type, owner_id, weight FROM kr_owners WHERE tenant_id = $1 ORDER BY kr_id, weight DESC, owner_id")
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

pub async fn insert_kpi(tx: &mut Tx, k: &KpiRow) -> Result<()> {
    insert_kpis(tx, std::slice::from_ref(k)).await
}

pub async fn update_kpi(tx: &mut Tx, k: &KpiRow) -> Result<()> {
    bump_kpi_version(tx, k.tenant_id).await?;
    sqlx::query(
        "UPDATE kpis SET name = $3, owner_type = $4, owner_id = $5, granularity = $6, direction = $7, target = $8, \
         pass_threshold = $9, warn_threshold = $10, unit = $11, weight = $12, derived_type = $13, derived_id = $14, \
         updated_at = $15 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(k.tenant_id)
    .bind(k.id)
    .bind(&k.name)
    .bind(&k.owner_type)
    .bind(k.owner_id)
    .bind(&k.granularity)
    .bind(&k.direction)
    .bind(k.target)
    .bind(k.pass_threshold)
    .bind(k.warn_threshold)
    .bind(&k.unit)
    .bind(k.weight)
    .bind(k.derived_type.as_deref())
    .bind(k.derived_id)
    .bind(k.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Inserts many KPIs with few statements (bulk loads); bumps the KPI version once.
pub async fn insert_kpis(tx: &mut Tx, rows: &[KpiRow]) -> Result<()> {
    let Some(first) = rows.first() else { return Ok(()) };
    bump_kpi_version(tx, first.tenant_id).await?;
    crate::db::bulk_insert(tx, "kpis", KPI, 17, "", rows, |q, k| {
        q.bind(k.tenant_id)
            .bind(k.id)
            .bind(k.cycle_id)
            .bind(k.name.clone())
            .bind(k.owner_type.clone())
            .bind(k.owner_id)
            .bind(k.granularity.clone())
            .bind(k.direction.clone())
            .bind(k.target)
            .bind(k.pass_threshold)
            .bind(k.warn_threshold)
            .bind(k.unit.clone())
            .bind(k.weight)
            .bind(k.derived_type.clone())
            .bind(k.derived_id)
            .bind(k.created_at)
            .bind(k.updated_at)
    })
    .await?;
    Ok(())
}

pub async fn kpis(db: &Db, tenant: i64) -> Result<Vec<KpiRow>> {
    Ok(sqlx::query_as(&format!("SELECT {KPI} FROM kpis WHERE tenant_id = $1 ORDER BY id"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

pub async fn kpi_in(tx: &mut Tx, tenant: i64, id: i64) -> Result<Option<KpiRow>> {
    Ok(sqlx::query_as(&format!("SELECT {KPI} FROM kpis WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KpiChangeRow {
    pub tenant_id: i64,
    pub id: i64,
    pub kpi_id: i64,
    pub requested_by: i64,
    pub reason: String,
    pub changes_json: String,
    pub before_json: String,
    /// `pending`, `approved`, `rejected`.
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub decision_note: String,
    pub created_at: i64,
}

const CHG: &str = "tenant_id, id, kpi_id, requested_by, reason, changes_json, before_json, status, decided_by, decided_at, \
                   decision_note, created_at";

pub async fn insert_kpi_change(tx: &mut Tx, c: &KpiChangeRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO kpi_change_requests ({CHG}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(c.tenant_id)
    .bind(c.id)
    .bind(c.kpi_id)
    .bind(c.requested_by)
    .bind(&c.reason)
    .bind(&c.changes_json)
    .bind(&c.before_json)
    .bind(&c.status)
    .bind(c.decided_by)
    .bind(c.decided_at)
    .bind(&c.decision_note)
    .bind(c.created_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Decides a pending request; answers false when it was no longer pending (decided meanwhile).
pub async fn decide_kpi_change(
    tx: &mut Tx,
    tenant: i64,
    id: i64,
    status: &str,
    by: i64,
    at: i64,
    note: &str,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE kpi_change_requests SET status = $3, decided_by = $4, decided_at = $5, decision_note = $6 \
         WHERE tenant_id = $1 AND id = $2 AND status = 'pending'",
    )
    .bind(tenant)
    .bind(id)
    .bind(status)
    .bind(by)
    .bind(at)
    .bind(note)
    .execute(tx.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn kpi_changes(db: &Db, tenant: i64) -> Result<Vec<KpiChangeRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CHG} FROM kpi_change_requests WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC"
    ))
    .bind(tenant)
    .fetch_all(db.pool())
    .await?)
}

pub async fn kpi_change_in(tx: &mut Tx, tenant: i64, id: i64) -> Result<Option<KpiChangeRow>> {
    Ok(sqlx::query_as(&format!("SELECT {CHG} FROM kpi_change_requests WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(tx.conn())
        .await?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KpiValueRow {
    pub tenant_id: i64,
    pub id: i64,
    pub kpi_id: i64,
    pub period: String,
    pub value: f64,
    pub author_id: Option<i64>,
    pub source: String,
    pub created_at: i64,
}

const KPI_VALUE: &str = "tenant_id, id, kpi_id, period, value, author_id, source, created_at";

/// Inserts many new period values with few statements (bulk loads); bumps the KPI version once.
pub async fn insert_kpi_values(tx: &mut Tx, rows: &[KpiValueRow]) -> Result<()> {
    write_kpi_values(tx, rows, "").await
}

async fn write_kpi_values(tx: &mut Tx, rows: &[KpiValueRow], suffix: &str) -> Result<()> {
    let Some(first) = rows.first() else { return Ok(()) };
    bump_kpi_version(tx, first.tenant_id).await?;
    crate::db::bulk_insert(tx, "kpi_values", KPI_VALUE, 8, suffix, rows, |q, v| {
        q.bind(v.tenant_id)
            .bind(v.id)
            .bind(v.kpi_id)
            .bind(v.period.clone())
            .bind(v.value)
            .bind(v.author_id)
            .bind(v.source.clone())
            .bind(v.created_at)
    })
    .await?;
    Ok(())
}

/// Records a period's value; a second value for the same period replaces the first.
pub async fn upsert_kpi_value(tx: &mut Tx, v: &KpiValueRow) -> Result<()> {
    write_kpi_values(
        tx,
        std::slice::from_ref(v),
        "ON CONFLICT (tenant_id, kpi_id, period) DO UPDATE SET value = excluded.value, author_id = excluded.author_id, \
         source = excluded.source, created_at = excluded.created_at",
    )
    .await
}

pub async fn kpi_value_in(tx: &mut Tx, tenant: i64, kpi: i64, period: &str) -> Result<Option<KpiValueRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KPI_VALUE} FROM kpi_values \
         WHERE tenant_id = $1 AND kpi_id = $2 AND period = $3",
    ))
    .bind(tenant)
    .bind(kpi)
    .bind(period)
    .fetch_optional(tx.conn())
    .await?)
}

/// One KPI's period values, oldest period first.
pub async fn kpi_values_of(db: &Db, tenant: i64, kpi: i64) -> Result<Vec<KpiValueRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KPI_VALUE} FROM kpi_values WHERE tenant_id = $1 AND kpi_id = $2 ORDER BY period"
    ))
    .bind(tenant)
    .bind(kpi)
    .fetch_all(db.pool())
    .await?)
}

/// Every period value of a tenant's KPIs, oldest period first.
pub async fn kpi_values(db: &Db, tenant: i64) -> Result<Vec<KpiValueRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KPI_VALUE} FROM kpi_values \
         WHERE tenant_id = $1 ORDER BY kpi_id, period",
    ))
    .bind(tenant)
    .fetch_all(db.pool())
    .await?)
}
