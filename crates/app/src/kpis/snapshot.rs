//! A tenant's KPIs and their period values in memory, read whole when the KPI version moves.

use crate::App;
use crate::error::{AppError, Result};
use std::collections::HashMap;
use std::sync::Arc;
use tandem_store::goals;

/// A tenant's KPIs and their values by period, as of a KPI version: read whole when the
/// version moves (KPI writes are rare next to reads), shared by every reader until then.
/// Values keep only what readers judge by (period, value, when recorded); a KPI's full value
/// rows are read from the database for that KPI alone.
#[derive(Debug, Default)]
pub struct KpiSnapshot {
    pub version: i64,
    pub rows: Vec<goals::KpiRow>,
    index: HashMap<i64, usize>,
    /// Each KPI's values, oldest period first, by position in `rows`.
    values: Vec<Vec<KpiPoint>>,
}

/// One period's value of a KPI, and when it was recorded (µs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KpiPoint {
    pub period: Period,
    pub value: f64,
    pub at: i64,
}

/// A period label (`2026-11`, `2026-Q4`, `2026-W47`) in eight bytes, without a heap string per
/// value (a 100,000-person tenant holds close to a million values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period([u8; 8]);

impl Period {
    pub fn new(label: &str) -> Option<Period> {
        let b = label.as_bytes();
        if b.len() > 8 || !label.is_ascii() {
            return None;
        }
        let mut p = [b' '; 8];
        p[..b.len()].copy_from_slice(b);
        Some(Period(p))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("").trim_end()
    }
}

impl KpiSnapshot {
    pub(crate) fn build(version: i64, rows: Vec<goals::KpiRow>, values: Vec<goals::KpiValueRow>) -> KpiSnapshot {
        let index: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, k)| (k.id, i)).collect();
        let mut by_kpi: Vec<Vec<KpiPoint>> = vec![vec![]; rows.len()];
        for v in values {
            if let (Some(&i), Some(period)) = (index.get(&v.kpi_id), Period::new(&v.period)) {
                by_kpi[i].push(KpiPoint { period, value: v.value, at: v.created_at });
            }
        }
        for vs in &mut by_kpi {
            vs.sort_by(|a, b| a.period.as_str().cmp(b.period.as_str()));
        }
        KpiSnapshot { version, rows, index, values: by_kpi }
    }

    pub fn kpi(&self, id: i64) -> Option<&goals::KpiRow> {
        self.index.get(&id).map(|&i| &self.rows[i])
    }

    /// A KPI's values, oldest period first (none for an unknown KPI).
    pub fn values_of(&self, id: i64) -> &[KpiPoint] {
        self.index.get(&id).map(|&i| self.values[i].as_slice()).unwrap_or(&[])
    }

    /// A KPI's latest value.
    pub fn latest(&self, id: i64) -> Option<f64> {
        self.values_of(id).last().map(|v| v.value)
    }
}

/// Per tenant, its KPIs and their values as of a KPI version (see [`App::kpi_snapshot`]).
#[derive(Default)]
pub(crate) struct KpiCache(std::sync::Mutex<HashMap<i64, Arc<KpiSnapshot>>>);

impl App {
    /// The tenant's KPIs and values as current as the database: one tenant-row read when
    /// nothing changed, else the KPIs and values read once for every reader of this version.
    pub async fn kpi_snapshot(&self, tenant: i64) -> Result<Arc<KpiSnapshot>> {
        let version = tandem_store::tenants::state(&self.db, tenant).await?.ok_or(AppError::NotFound)?.kpi_version;
        let cached =
            self.kpi_cache.0.lock().map_err(|_| AppError::Internal("cache poisoned".into()))?.get(&tenant).cloned();
        if let Some(k) = cached.filter(|k| k.version >= version) {
            return Ok(k);
        }
        // Read after the version: the rows are at least as new as the version they are kept as.
        let (rows, values) = tokio::try_join!(goals::kpis(&self.db, tenant), goals::kpi_values(&self.db, tenant))
            .map_err(AppError::from)?;
        let fresh = Arc::new(KpiSnapshot::build(version, rows, values));
        let mut cache = self.kpi_cache.0.lock().map_err(|_| AppError::Internal("cache poisoned".into()))?;
        if cache.get(&tenant).is_none_or(|k| k.version < version) {
            cache.insert(tenant, fresh.clone());
        }
        Ok(fresh)
    }
}
