//! Comments on goals and the KPI library.

use crate::error::Result;
use crate::{Db, Tx};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CommentRow {
    pub tenant_id: i64,
    pub id: i64,
    pub entity: String,
    pub entity_id: i64,
    pub author_id: i64,
    pub body: String,
    pub created_at: i64,
}

pub async fn insert_comment(tx: &mut Tx, c: &CommentRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO comments (tenant_id, id, entity, entity_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(c.tenant_id)
    .bind(c.id)
    .bind(&c.entity)
    .bind(c.entity_id)
    .bind(c.author_id)
    .bind(&c.body)
    .bind(c.created_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn comments(db: &Db, tenant: i64, entity: &str, id: i64) -> Result<Vec<CommentRow>> {
    Ok(sqlx::query_as(
        "SELECT tenant_id, id, entity, entity_id, author_id, body, created_at FROM comments \
         WHERE tenant_id = $1 AND entity = $2 AND entity_id = $3 ORDER BY created_at, id",
    )
    .bind(tenant)
    .bind(entity)
    .bind(id)
    .fetch_all(db.pool())
    .await?)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KpiTemplateRow {
    pub tenant_id: i64,
    pub id: i64,
    pub job_family: String,
    pub name: String,
    pub granularity: String,
    pub direction: String,
    pub pass_threshold: f64,
    pub warn_threshold: Option<f64>,
    pub unit: String,
    pub weight: f64,
    pub created_at: i64,
}

const TPL: &str =
    "tenant_id, id, job_family, name, granularity, direction, pass_threshold, warn_threshold, unit, weight, created_at";

pub async fn insert_template(tx: &mut Tx, t: &KpiTemplateRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO kpi_templates ({TPL}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"))
        .bind(t.tenant_id)
        .bind(t.id)
        .bind(&t.job_family)
        .bind(&t.name)
        .bind(&t.granularity)
        .bind(&t.direction)
        .bind(t.pass_threshold)
        .bind(t.warn_threshold)
        .bind(&t.unit)
        .bind(t.weight)
        .bind(t.created_at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn templates(db: &Db, tenant: i64) -> Result<Vec<KpiTemplateRow>> {
    Ok(sqlx::query_as(&format!("SELECT {TPL} FROM kpi_templates WHERE tenant_id = $1 ORDER BY job_family, name, id"))
        .bind(tenant)
        .fetch_all(db.pool())
        .await?)
}

pub async fn delete_template(tx: &mut Tx, tenant: i64, id: i64) -> Result<bool> {
    let r = sqlx::query("DELETE FROM kpi_templates WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(r.rows_affected() == 1)
}
