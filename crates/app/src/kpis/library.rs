//! HR's KPI library: templates per job family that anyone setting KPIs may start from.

use crate::error::{AppError, Result};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::cycle::PeriodKind;
use tandem_domain::goal::Weight;
use tandem_domain::kpi::{Direction, Thresholds};
use tandem_domain::policy::ManageKpiLibrary;
use tandem_domain::text::Name;
use tandem_domain::{Invalid, Rule};
use tandem_store::notes::{self, KpiTemplateRow};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TemplateView {
    pub id: i64,
    pub job_family: String,
    pub name: String,
    pub granularity: String,
    pub direction: String,
    pub pass: f64,
    pub warn: Option<f64>,
    pub unit: String,
    pub weight: f64,
}

#[derive(Debug, Clone, Default)]
pub struct NewTemplate {
    pub job_family: String,
    pub name: String,
    pub granularity: String,
    pub direction: String,
    pub pass: f64,
    pub warn: Option<f64>,
    pub unit: String,
    pub weight: Option<f64>,
}

impl App {
    /// The KPI library: templates anyone setting KPIs may start from.
    pub async fn list_templates(&self, a: &Actor) -> Result<Vec<TemplateView>> {
        Ok(notes::templates(&self.db, a.tenant.0)
            .await?
            .into_iter()
            .map(|t| TemplateView {
                id: t.id,
                job_family: t.job_family,
                name: t.name,
                granularity: t.granularity,
                direction: t.direction,
                pass: t.pass_threshold,
                warn: t.warn_threshold,
                unit: t.unit,
                weight: t.weight,
            })
            .collect())
    }

    pub async fn create_template(&self, _cap: ManageKpiLibrary, a: &Actor, new: NewTemplate) -> Result<TemplateView> {
        let job_family = Name::parse("job_family", &new.job_family)?.into_string();
        let name = Name::parse("name", &new.name)?.into_string();
        let granularity =
            PeriodKind::parse("granularity", if new.granularity.is_empty() { "month" } else { &new.granularity })?;
        let direction =
            Direction::parse("direction", if new.direction.is_empty() { "higher_is_better" } else { &new.direction })?;
        let t = Thresholds::new(direction, new.pass, new.warn)?;
        let weight = Weight::parse("weight", new.weight.unwrap_or(1.0))?.get();
        let unit = new.unit.trim().to_string();
        if unit.chars().count() > 20 {
            return Err(Invalid::new("unit", Rule::TooLong { max: 20 }).into());
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let row = KpiTemplateRow {
            tenant_id: a.tenant.0,
            id: tx.next_id().await?,
            job_family,
            name,
            granularity: granularity.as_str().into(),
            direction: direction.as_str().into(),
            pass_threshold: t.pass,
            warn_threshold: t.warn,
            unit,
            weight,
            created_at: now,
        };
        notes::insert_template(&mut tx, &row).await?;
        record(
            &mut tx,
            Some(a),
            a.tenant.0,
            now,
            Change::create("kpi_template", row.id, serde_json::json!({"job_family": row.job_family, "name": row.name})),
        )
        .await?;
        tx.commit().await?;
        self.list_templates(a).await?.into_iter().find(|x| x.id == row.id).ok_or(AppError::NotFound)
    }

    pub async fn delete_template(&self, _cap: ManageKpiLibrary, a: &Actor, id: i64) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !notes::delete_template(&mut tx, a.tenant.0, id).await? {
            return Err(AppError::NotFound);
        }
        let mut c = Change::create("kpi_template", id, serde_json::Value::Null);
        c.action = "delete";
        c.after = None;
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        Ok(())
    }
}
