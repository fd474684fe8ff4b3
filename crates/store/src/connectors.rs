//! Connectors (scheduled pulls into a metric) and the log of their runs. A scheduled run is
//! claimed by moving the connector's `next_run_at` from the time it was due to the next one,
//! in one conditional update: of several servers polling, exactly one sees its update apply.

use crate::error::Result;
use crate::{Db, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConnectorRow {
    pub tenant_id: i64,
    pub id: i64,
    pub name: String,
    /// `sql` or `http`.
    pub kind: String,
    /// For `sql`: postgres, mysql or sqlite.
    pub engine: String,
    pub metric_id: i64,
    /// What is not secret, as JSON: the query, or the URL and the paths to pick values by.
    pub config: String,
    /// The connection string or credential, sealed (see the app's `secrets`).
    pub secret_enc: String,
    pub schedule: String,
    pub timeout_ms: i64,
    /// 1 runs on schedule, 0 paused.
    pub active: i64,
    pub next_run_at: Option<i64>,
    pub lease_until: Option<i64>,
    pub last_run_at: Option<i64>,
    /// ``, `ok` or `failed`.
    pub last_status: String,
    pub last_error: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RunRow {
    pub tenant_id: i64,
    pub id: i64,
    pub connector_id: i64,
    /// `schedule` or `manual`.
    pub cause: String,
    pub scheduled_for: Option<i64>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// `running`, `ok`, `failed` or `abandoned` (its server stopped during the run).
    pub status: String,
    pub fetched: i64,
    pub inserted: i64,
    pub error: String,
    pub runner: String,
}

const CONNECTOR: &str = "tenant_id, id, name, kind, engine, metric_id, config, secret_enc, schedule, timeout_ms, \
     active, next_run_at, lease_until, last_run_at, last_status, last_error, created_by, created_at";
const RUN: &str = "tenant_id, id, connector_id, cause, scheduled_for, started_at, finished_at, status, fetched, inserted, error, runner";

pub async fn insert(tx: &mut Tx, c: &ConnectorRow) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO connectors ({CONNECTOR}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
    ))
    .bind(c.tenant_id)
    .bind(c.id)
    .bind(&c.name)
    .bind(&c.kind)
    .bind(&c.engine)
    .bind(c.metric_id)
    .bind(&c.config)
    .bind(&c.secret_enc)
    .bind(&c.schedule)
    .bind(c.timeout_ms)
    .bind(c.active)
    .bind(c.next_run_at)
    .bind(c.lease_until)
    .bind(c.last_run_at)
    .bind(&c.last_status)
    .bind(&c.last_error)
    .bind(c.created_by)
    .bind(c.created_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Replaces what an admin may change: name, metric, config, secret, schedule, timeout, active,
/// and the next run (the schedule may have changed).
pub async fn update(tx: &mut Tx, c: &ConnectorRow) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE connectors SET name = $3, kind = $4, engine = $5, metric_id = $6, config = $7, secret_enc = $8, \
         schedule = $9, timeout_ms = $10, active = $11, next_run_at = $12 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(c.tenant_id)
    .bind(c.id)
    .bind(&c.name)
    .bind(&c.kind)
    .bind(&c.engine)
    .bind(c.metric_id)
    .bind(&c.config)
    .bind(&c.secret_enc)
    .bind(&c.schedule)
    .bind(c.timeout_ms)
    .bind(c.active)
    .bind(c.next_run_at)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(tx: &mut Tx, tenant: i64, id: i64) -> Result<bool> {
    let done = sqlx::query("DELETE FROM connectors WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn list(db: &Db, tenant: i64) -> Result<Vec<ConnectorRow>> {
    Ok(sqlx::query_as(&format!("SELECT {CONNECTOR} FROM connectors WHERE tenant_id = $1 ORDER BY name, id"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

pub async fn get(db: &Db, tenant: i64, id: i64) -> Result<Option<ConnectorRow>> {
    Ok(sqlx::query_as(&format!("SELECT {CONNECTOR} FROM connectors WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(db.pool())
        .await?)
}

/// Active connectors of any tenant whose run is due and not held by a live lease.
pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<ConnectorRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {CONNECTOR} FROM connectors WHERE active = 1 AND next_run_at <= $1 \
         AND (lease_until IS NULL OR lease_until < $1) ORDER BY next_run_at LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// What claiming a run needs: whose, which scheduled time (none for a manual run), until when,
/// and the next scheduled time to move on to.
pub struct Claim<'a> {
    pub tenant: i64,
    pub connector: i64,
    pub scheduled_for: Option<i64>,
    pub next_run_at: Option<i64>,
    pub now: i64,
    pub lease_until: i64,
    pub run_id: i64,
    pub runner: &'a str,
}

/// Takes a run for this server: a scheduled one only if the connector is still due at
/// `scheduled_for` and free, a manual one if free. Records the run as started, and marks any
/// run left `running` by a server whose lease ran out as abandoned. None: someone else has it.
pub async fn claim(db: &Db, c: &Claim<'_>) -> Result<Option<RunRow>> {
    let mut tx = db.begin().await?;
    let taken = match c.scheduled_for {
        Some(at) => {
            sqlx::query(
                "UPDATE connectors SET lease_until = $3, next_run_at = $4 WHERE tenant_id = $1 AND id = $2 \
                 AND next_run_at = $5 AND active = 1 AND (lease_until IS NULL OR lease_until < $6)",
            )
            .bind(c.tenant)
            .bind(c.connector)
            .bind(c.lease_until)
            .bind(c.next_run_at)
            .bind(at)
            .bind(c.now)
            .execute(tx.conn())
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE connectors SET lease_until = $3 WHERE tenant_id = $1 AND id = $2 \
                 AND (lease_until IS NULL OR lease_until < $4)",
            )
            .bind(c.tenant)
            .bind(c.connector)
            .bind(c.lease_until)
            .bind(c.now)
            .execute(tx.conn())
            .await?
        }
    };
    if taken.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query(
        "UPDATE connector_runs SET status = 'abandoned', finished_at = $3, error = 'the server running it stopped' \
         WHERE tenant_id = $1 AND connector_id = $2 AND status = 'running'",
    )
    .bind(c.tenant)
    .bind(c.connector)
    .bind(c.now)
    .execute(tx.conn())
    .await?;
    let run = RunRow {
        tenant_id: c.tenant,
        id: c.run_id,
        connector_id: c.connector,
        cause: if c.scheduled_for.is_some() { "schedule" } else { "manual" }.into(),
        scheduled_for: c.scheduled_for,
        started_at: c.now,
        finished_at: None,
        status: "running".into(),
        fetched: 0,
        inserted: 0,
        error: String::new(),
        runner: c.runner.into(),
    };
    sqlx::query(&format!(
        "INSERT INTO connector_runs ({RUN}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(run.tenant_id)
    .bind(run.id)
    .bind(run.connector_id)
    .bind(&run.cause)
    .bind(run.scheduled_for)
    .bind(run.started_at)
    .bind(run.finished_at)
    .bind(&run.status)
    .bind(run.fetched)
    .bind(run.inserted)
    .bind(&run.error)
    .bind(&run.runner)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(Some(run))
}

/// Records how a run ended, on the run and on its connector, and frees the connector.
pub async fn finish(db: &Db, run: &RunRow) -> Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE connector_runs SET finished_at = $3, status = $4, fetched = $5, inserted = $6, error = $7 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(run.tenant_id)
    .bind(run.id)
    .bind(run.finished_at)
    .bind(&run.status)
    .bind(run.fetched)
    .bind(run.inserted)
    .bind(&run.error)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "UPDATE connectors SET lease_until = NULL, last_run_at = $3, last_status = $4, last_error = $5 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(run.tenant_id)
    .bind(run.connector_id)
    .bind(run.started_at)
    .bind(&run.status)
    .bind(&run.error)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The newest runs of a connector.
pub async fn runs(db: &Db, tenant: i64, connector: i64, limit: i64) -> Result<Vec<RunRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {RUN} FROM connector_runs WHERE tenant_id = $1 AND connector_id = $2 ORDER BY started_at DESC, id DESC LIMIT $3"
    ))
    .bind(tenant)
    .bind(connector)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}
