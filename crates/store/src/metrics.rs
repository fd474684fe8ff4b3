//! Metrics, their data points, push batches by idempotency key, and bindings to key results
//! and KPIs.

use crate::error::Result;
use crate::{Db, Tx};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MetricRow {
    pub tenant_id: i64,
    pub id: i64,
    pub name: String,
    pub unit: String,
    pub description: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PointRow {
    pub tenant_id: i64,
    pub id: i64,
    pub metric_id: i64,
    /// The time the value is for (µs).
    pub at: i64,
    pub value: f64,
    pub external_id: Option<String>,
    /// How it arrived: `push`, `file:<name>`, `pull:<connector>`.
    pub source: String,
    pub author_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BindingRow {
    pub tenant_id: i64,
    pub id: i64,
    pub metric_id: i64,
    /// `key_result` or `kpi`.
    pub subject_type: String,
    pub subject_id: i64,
    pub aggregation: String,
    pub stale_after_days: i64,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

const METRIC: &str = "tenant_id, id, name, unit, description, created_by, created_at";
const POINT: &str = "tenant_id, id, metric_id, at, value, external_id, source, author_id, created_at";
const BINDING: &str =
    "tenant_id, id, metric_id, subject_type, subject_id, aggregation, stale_after_days, created_by, created_at";

pub async fn insert_metric(tx: &mut Tx, m: &MetricRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO metrics ({METRIC}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
        .bind(m.tenant_id)
        .bind(m.id)
        .bind(&m.name)
        .bind(&m.unit)
        .bind(&m.description)
        .bind(m.created_by)
        .bind(m.created_at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn list(db: &Db, tenant: i64) -> Result<Vec<MetricRow>> {
    Ok(sqlx::query_as(&format!("SELECT {METRIC} FROM metrics WHERE tenant_id = $1 ORDER BY name"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

pub async fn get(db: &Db, tenant: i64, id: i64) -> Result<Option<MetricRow>> {
    Ok(sqlx::query_as(&format!("SELECT {METRIC} FROM metrics WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(db.pool())
        .await?)
}

/// Inserts points; one whose external id the metric already holds (or an earlier point of the
/// same call holds) is skipped. Answers how many were inserted.
pub async fn insert_points(tx: &mut Tx, points: &[PointRow]) -> Result<u64> {
    write_points(tx, points, false).await
}

/// Inserts points, and revises a known one (same external id) whose value changed: what a
/// scheduled pull does, since its source may correct a day it reported before. The points must
/// have distinct external ids, and an external id must name its time (a pull's is
/// `pull:<connector>:<time>`): a revision changes a point's value, never its day, so only the
/// days of the points given are summarised again. Answers how many were inserted or revised.
pub async fn upsert_points(tx: &mut Tx, points: &[PointRow]) -> Result<u64> {
    write_points(tx, points, true).await
}

async fn write_points(tx: &mut Tx, points: &[PointRow], revise: bool) -> Result<u64> {
    let suffix = if revise {
        "ON CONFLICT (tenant_id, metric_id, external_id) DO UPDATE SET value = excluded.value, \
         source = excluded.source, created_at = excluded.created_at WHERE metric_points.value <> excluded.value"
    } else {
        "ON CONFLICT DO NOTHING"
    };
    let touched = crate::db::bulk_insert(tx, "metric_points", POINT, 9, suffix, points, |q, p| {
        q.bind(p.tenant_id)
            .bind(p.id)
            .bind(p.metric_id)
            .bind(p.at)
            .bind(p.value)
            .bind(p.external_id.clone())
            .bind(p.source.clone())
            .bind(p.author_id)
            .bind(p.created_at)
    })
    .await?;
    // Keep the day summaries in step: every point new, so each day takes in its new points;
    // else (some skipped, or revised) the days touched are summarised again from their points.
    if !revise && touched == points.len() as u64 {
        merge_days(tx, &days_of(points)).await?;
    } else if touched > 0 {
        let days: BTreeSet<(i64, i64, i64)> = points.iter().map(|p| (p.tenant_id, p.metric_id, day_of(p.at))).collect();
        for (tenant, metric, day) in days {
            sqlx::query("DELETE FROM metric_days WHERE tenant_id = $1 AND metric_id = $2 AND day = $3")
                .bind(tenant)
                .bind(metric)
                .bind(day)
                .execute(tx.conn())
                .await?;
            let held = points_between_in(tx, tenant, metric, day, day + DAY_US).await?;
            merge_days(tx, &days_of(&held)).await?;
        }
    }
    Ok(touched)
}

/// A UTC day in microseconds.
pub const DAY_US: i64 = 86_400_000_000;

/// The start of the UTC day holding `at` (µs).
pub fn day_of(at: i64) -> i64 {
    at - at.rem_euclid(DAY_US)
}

/// One day's summary of a metric's points, as `metric_days` holds it.
#[derive(Debug, Clone, PartialEq)]
struct DayRow {
    tenant_id: i64,
    metric_id: i64,
    day: i64,
    n: i64,
    total: f64,
    lo: f64,
    hi: f64,
    latest_at: i64,
    latest_id: i64,
    latest_value: f64,
}

const DAY: &str = "tenant_id, metric_id, day, n, total, lo, hi, latest_at, latest_id, latest_value";

/// Points summarised per (tenant, metric, day).
fn days_of(points: &[PointRow]) -> Vec<DayRow> {
    let mut days: BTreeMap<(i64, i64, i64), DayRow> = BTreeMap::new();
    for p in points {
        let key = (p.tenant_id, p.metric_id, day_of(p.at));
        let d = days.entry(key).or_insert(DayRow {
            tenant_id: p.tenant_id,
            metric_id: p.metric_id,
            day: key.2,
            n: 0,
            total: 0.0,
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
            latest_at: i64::MIN,
            latest_id: i64::MIN,
            latest_value: 0.0,
        });
        d.n += 1;
        d.total += p.value;
        d.lo = d.lo.min(p.value);
        d.hi = d.hi.max(p.value);
        if (p.at, p.id) > (d.latest_at, d.latest_id) {
            (d.latest_at, d.latest_id, d.latest_value) = (p.at, p.id, p.value);
        }
    }
    days.into_values().collect()
}

/// Adds new points' day summaries to those held (a day not held yet is taken as it is).
async fn merge_days(tx: &mut Tx, days: &[DayRow]) -> Result<()> {
    let (least, greatest) = match tx.engine() {
        crate::Engine::Sqlite => ("min", "max"),
        crate::Engine::Postgres => ("LEAST", "GREATEST"),
    };
    let newer = "(excluded.latest_at > metric_days.latest_at OR \
                 (excluded.latest_at = metric_days.latest_at AND excluded.latest_id > metric_days.latest_id))";
    let suffix = format!(
        "ON CONFLICT (tenant_id, metric_id, day) DO UPDATE SET n = metric_days.n + excluded.n, \
         total = metric_days.total + excluded.total, lo = {least}(metric_days.lo, excluded.lo), \
         hi = {greatest}(metric_days.hi, excluded.hi), \
         latest_at = CASE WHEN {newer} THEN excluded.latest_at ELSE metric_days.latest_at END, \
         latest_id = CASE WHEN {newer} THEN excluded.latest_id ELSE metric_days.latest_id END, \
         latest_value = CASE WHEN {newer} THEN excluded.latest_value ELSE metric_days.latest_value END"
    );
    crate::db::bulk_insert(tx, "metric_days", DAY, 10, &suffix, days, |q, d| {
        q.bind(d.tenant_id)
            .bind(d.metric_id)
            .bind(d.day)
            .bind(d.n)
            .bind(d.total)
            .bind(d.lo)
            .bind(d.hi)
            .bind(d.latest_at)
            .bind(d.latest_id)
            .bind(d.latest_value)
    })
    .await?;
    Ok(())
}

type SummaryRow = (Option<i64>, Option<f64>, Option<f64>, Option<f64>, Option<f64>);

fn summary(row: SummaryRow) -> Option<tandem_domain::metric::Summary> {
    match row {
        (Some(count @ 1..), Some(sum), Some(min), Some(max), Some(latest)) => {
            Some(tandem_domain::metric::Summary { count: count as u64, sum, min, max, latest })
        }
        _ => None,
    }
}

/// The summary of a metric's points in `[from, to)` (see `Summary`) inside a write (so it sees
/// the points just written); `None` when there are none. Ties in time go to the later id, as in
/// `points_between_in`. A window on day boundaries (as every binding's period is) is read from
/// the day summaries, one row per day; any other from the points themselves.
pub async fn summary_between_in(
    tx: &mut Tx,
    tenant: i64,
    metric: i64,
    from: i64,
    to: i64,
) -> Result<Option<tandem_domain::metric::Summary>> {
    let whole_days = |t: i64| t == i64::MIN || t == i64::MAX || t.rem_euclid(DAY_US) == 0;
    let sql = if whole_days(from) && whole_days(to) {
        "SELECT CAST(SUM(n) AS BIGINT), SUM(total), MIN(lo), MAX(hi), \
         (SELECT latest_value FROM metric_days WHERE tenant_id = $1 AND metric_id = $2 AND day >= $3 AND day < $4 \
          ORDER BY latest_at DESC, latest_id DESC LIMIT 1) \
         FROM metric_days WHERE tenant_id = $1 AND metric_id = $2 AND day >= $3 AND day < $4"
    } else {
        "SELECT COUNT(*), SUM(value), MIN(value), MAX(value), \
         (SELECT value FROM metric_points WHERE tenant_id = $1 AND metric_id = $2 AND at >= $3 AND at < $4 \
          ORDER BY at DESC, id DESC LIMIT 1) \
         FROM metric_points WHERE tenant_id = $1 AND metric_id = $2 AND at >= $3 AND at < $4"
    };
    let row: SummaryRow =
        sqlx::query_as(sql).bind(tenant).bind(metric).bind(from).bind(to).fetch_one(tx.conn()).await?;
    Ok(summary(row))
}

/// A metric's points in `[from, to)`, oldest first, read inside a write (so it sees the points
/// just inserted).
pub async fn points_between_in(tx: &mut Tx, tenant: i64, metric: i64, from: i64, to: i64) -> Result<Vec<PointRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {POINT} FROM metric_points WHERE tenant_id = $1 AND metric_id = $2 AND at >= $3 AND at < $4 \
         ORDER BY at, id"
    ))
    .bind(tenant)
    .bind(metric)
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await?)
}

/// A metric's newest points (up to `limit`, newest first) and how many it holds in all.
pub async fn latest_points(db: &Db, tenant: i64, metric: i64, limit: i64) -> Result<(Vec<PointRow>, i64)> {
    let rows = sqlx::query_as(&format!(
        "SELECT {POINT} FROM metric_points WHERE tenant_id = $1 AND metric_id = $2 ORDER BY at DESC, id DESC LIMIT $3"
    ))
    .bind(tenant)
    .bind(metric)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM metric_points WHERE tenant_id = $1 AND metric_id = $2")
        .bind(tenant)
        .bind(metric)
        .fetch_one(db.pool())
        .await?;
    Ok((rows, total))
}

/// The newest point's time per metric of a tenant.
pub async fn last_point_times(db: &Db, tenant: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as("SELECT metric_id, MAX(latest_at) FROM metric_days WHERE tenant_id = $1 GROUP BY metric_id")
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

/// The answer already given to a batch with this idempotency key: (inserted, unchanged).
/// A batch seen before under `key`: its answer (inserted, unchanged) and the hash of its points.
pub async fn batch_in(tx: &mut Tx, tenant: i64, metric: i64, key: &str) -> Result<Option<(i64, i64, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT inserted, unchanged, points_hash FROM ingest_batches \
         WHERE tenant_id = $1 AND metric_id = $2 AND idempotency_key = $3",
    )
    .bind(tenant)
    .bind(metric)
    .bind(key)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn insert_batch(
    tx: &mut Tx,
    tenant: i64,
    metric: i64,
    key: &str,
    points_hash: &str,
    answer: (i64, i64),
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO ingest_batches (tenant_id, metric_id, idempotency_key, inserted, unchanged, created_at, points_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant)
    .bind(metric)
    .bind(key)
    .bind(answer.0)
    .bind(answer.1)
    .bind(at)
    .bind(points_hash)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Binds a subject to a metric, replacing an earlier binding of the same subject.
pub async fn upsert_binding(tx: &mut Tx, b: &BindingRow) -> Result<()> {
    sqlx::query("DELETE FROM metric_bindings WHERE tenant_id = $1 AND subject_type = $2 AND subject_id = $3")
        .bind(b.tenant_id)
        .bind(&b.subject_type)
        .bind(b.subject_id)
        .execute(tx.conn())
        .await?;
    sqlx::query(&format!("INSERT INTO metric_bindings ({BINDING}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
        .bind(b.tenant_id)
        .bind(b.id)
        .bind(b.metric_id)
        .bind(&b.subject_type)
        .bind(b.subject_id)
        .bind(&b.aggregation)
        .bind(b.stale_after_days)
        .bind(b.created_by)
        .bind(b.created_at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn delete_binding(tx: &mut Tx, tenant: i64, subject_type: &str, subject_id: i64) -> Result<bool> {
    let r = sqlx::query("DELETE FROM metric_bindings WHERE tenant_id = $1 AND subject_type = $2 AND subject_id = $3")
        .bind(tenant)
        .bind(subject_type)
        .bind(subject_id)
        .execute(tx.conn())
        .await?;
    Ok(r.rows_affected() > 0)
}

pub async fn bindings(db: &Db, tenant: i64) -> Result<Vec<BindingRow>> {
    Ok(sqlx::query_as(&format!("SELECT {BINDING} FROM metric_bindings WHERE tenant_id = $1 ORDER BY id"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

/// The bindings of some key results (an objective's), by id.
pub async fn bindings_of_key_results(db: &Db, tenant: i64, krs: &[i64]) -> Result<Vec<BindingRow>> {
    if krs.is_empty() {
        return Ok(vec![]);
    }
    let list = (0..krs.len()).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT {BINDING} FROM metric_bindings WHERE tenant_id = $1 AND subject_type = 'key_result' \
         AND subject_id IN ({list}) ORDER BY id"
    );
    let mut q = sqlx::query_as(&sql).bind(tenant);
    for k in krs {
        q = q.bind(*k);
    }
    Ok(q.fetch_all(db.pool()).await?)
}

/// Whether a metric feeds any KPI.
pub async fn feeds_a_kpi(db: &Db, tenant: i64, metric: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM metric_bindings WHERE tenant_id = $1 AND metric_id = $2 AND subject_type = 'kpi'",
    )
    .bind(tenant)
    .bind(metric)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

/// The newest point's time of one metric, if it has any.
pub async fn last_point_time(db: &Db, tenant: i64, metric: i64) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT MAX(latest_at) FROM metric_days WHERE tenant_id = $1 AND metric_id = $2")
        .bind(tenant)
        .bind(metric)
        .fetch_one(db.pool())
        .await?)
}

/// How many metrics a tenant has.
pub async fn count(db: &Db, tenant: i64) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM metrics WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_one(db.pool())
        .await?)
}

pub async fn bindings_of_metric_in(tx: &mut Tx, tenant: i64, metric: i64) -> Result<Vec<BindingRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {BINDING} FROM metric_bindings WHERE tenant_id = $1 AND metric_id = $2 ORDER BY id"
    ))
    .bind(tenant)
    .bind(metric)
    .fetch_all(tx.conn())
    .await?)
}
