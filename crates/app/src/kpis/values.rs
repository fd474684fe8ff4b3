//! KPI values per period (week, month, quarter), judged pass / warn / fail, private like the KPI.

use crate::error::{AppError, Result};
use crate::kpis::kpi::{KpiFilter, KpiView};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::cycle::PeriodKind;
use tandem_domain::kpi::{Direction, Thresholds};
use tandem_domain::policy;
use tandem_domain::{Invalid, Rule};
use tandem_store::goals::{self};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KpiValueView {
    pub kpi: i64,
    pub period: String,
    pub value: f64,
    /// `pass`, `warn` or `fail` by the KPI's thresholds and direction.
    pub status: tandem_domain::kpi::KpiStatus,
    pub author: Option<i64>,
    pub source: String,
    pub recorded_at: i64,
}

pub(crate) fn thresholds_of(k: &KpiView) -> Result<Thresholds> {
    Ok(Thresholds::new(Direction::parse("direction", &k.direction)?, k.pass, k.warn)?)
}

impl App {
    /// A KPI's values by period, oldest first (only to those who may see the KPI).
    pub async fn kpi_values(&self, a: &Actor, kpi: i64) -> Result<Vec<KpiValueView>> {
        let k = self.get_kpi(a, kpi).await?;
        let t = thresholds_of(&k)?;
        Ok(goals::kpi_values_of(&self.db, a.tenant.0, kpi).await?.into_iter().map(|v| value_view(&t, v)).collect())
    }

    /// Every period value of every KPI the caller may see, oldest period first, by KPI id.
    pub async fn kpi_value_history(&self, a: &Actor) -> Result<std::collections::HashMap<i64, Vec<KpiValueView>>> {
        let mut visible: std::collections::HashMap<i64, Thresholds> = std::collections::HashMap::new();
        for k in self.list_kpis(a, &KpiFilter::default()).await? {
            visible.insert(k.id, thresholds_of(&k)?);
        }
        let mut out: std::collections::HashMap<i64, Vec<KpiValueView>> = std::collections::HashMap::new();
        for v in goals::kpi_values(&self.db, a.tenant.0).await? {
            let Some(t) = visible.get(&v.kpi_id) else { continue };
            out.entry(v.kpi_id).or_default().push(value_view(t, v));
        }
        Ok(out)
    }

    /// The period values of some KPIs the caller has been shown (`kpis`, from
    /// [`Self::list_kpis`]), oldest period first, by KPI id: one person's, say, without reading
    /// the whole tenant's.
    pub async fn kpi_value_history_of(
        &self,
        a: &Actor,
        kpis: &[crate::kpis::kpi::KpiView],
    ) -> Result<std::collections::HashMap<i64, Vec<KpiValueView>>> {
        let mut out = std::collections::HashMap::new();
        for k in kpis {
            // Visible to the caller now, not just when listed.
            let k = self.get_kpi(a, k.id).await?;
            let t = thresholds_of(&k)?;
            let values = goals::kpi_values_of(&self.db, a.tenant.0, k.id).await?;
            out.insert(k.id, values.into_iter().map(|v| value_view(&t, v)).collect());
        }
        Ok(out)
    }

    /// Records a KPI's value for a period (those who set the KPI, and HR, report its numbers).
    /// The period must have begun and belong to the KPI's cycle (see
    /// [`tandem_domain::kpi::check_period`]) and the value fit the KPI's unit; a period already
    /// recorded is replaced only when `replace` says so (the old value stays on the record).
    pub async fn record_kpi_value(
        &self,
        a: &Actor,
        kpi: i64,
        period: &str,
        value: f64,
        replace: bool,
    ) -> Result<KpiValueView> {
        let k = self.get_kpi(a, kpi).await?;
        let org = self.org_snapshot(a.tenant.0).await?;
        if !policy::may_edit_kpi(a, k.owner, &org.tree) {
            return Err(AppError::Forbidden);
        }
        let granularity = PeriodKind::parse("granularity", &k.granularity)?;
        let period = tandem_domain::kpi::parse_period(granularity, period)?;
        self.check_kpi_period(a.tenant.0, &k, granularity, &period).await?;
        let value = tandem_domain::goal::plausible("value", &k.unit, value)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if let Some(before) = goals::kpi_value_in(&mut tx, a.tenant.0, kpi, &period).await?
            && !replace
            && before.value != value
        {
            return Err(Invalid::new("period", Rule::AlreadyRecorded { value: before.value }).into());
        }
        write_kpi_value(&mut tx, a, kpi, &period, value, "manual", now).await?;
        tx.commit().await?;
        self.kpi_values(a, kpi).await?.into_iter().find(|v| v.period == period).ok_or(AppError::NotFound)
    }

    /// Refuses a period that has not begun, or that lies outside the KPI's cycle.
    pub(crate) async fn check_kpi_period(
        &self,
        tenant: i64,
        k: &KpiView,
        granularity: PeriodKind,
        period: &str,
    ) -> Result<()> {
        let c = tandem_store::cycles::get(&self.db, tenant, k.cycle).await?.ok_or(AppError::NotFound)?;
        let start = tandem_domain::cycle::parse_date("start", &c.start_date)?;
        let end = tandem_domain::cycle::parse_date("end", &c.end_date)?;
        Ok(tandem_domain::kpi::check_period(granularity, period, self.clock.today(), start, end)?)
    }
}

/// Writes a KPI's value for a period inside `tx` (replacing an earlier one for the period) with
/// where it came from, and the event. Callers decide who may.
pub(crate) async fn write_kpi_value(
    tx: &mut tandem_store::Tx,
    a: &Actor,
    kpi: i64,
    period: &str,
    value: f64,
    source: &str,
    now: i64,
) -> Result<()> {
    let before = goals::kpi_value_in(tx, a.tenant.0, kpi, period).await?;
    let row = goals::KpiValueRow {
        tenant_id: a.tenant.0,
        id: tx.next_id().await?,
        kpi_id: kpi,
        period: period.into(),
        value,
        author_id: Some(a.person.0),
        source: source.into(),
        created_at: now,
    };
    goals::upsert_kpi_value(tx, &row).await?;
    let after = serde_json::json!({"period": period, "value": value});
    let mut c = match &before {
        Some(b) => Change::update("kpi", kpi, serde_json::json!({"period": b.period, "value": b.value}), after),
        None => Change::create("kpi", kpi, after),
    };
    c.action = "value";
    if source != "manual" {
        c.reason = Some(source.into());
    }
    record(tx, Some(a), a.tenant.0, now, c).await?;
    Ok(())
}

/// A stored period value with its status by the KPI's thresholds.
fn value_view(t: &Thresholds, v: goals::KpiValueRow) -> KpiValueView {
    KpiValueView {
        kpi: v.kpi_id,
        status: t.evaluate(v.value),
        period: v.period,
        value: v.value,
        author: v.author_id,
        source: v.source,
        recorded_at: v.created_at,
    }
}
