//! KPIs: private to their owner, the owner's management chain and HR, through every door. A
//! KPI is locked once its cycle leaves planning.

use crate::error::{AppError, Result};
use crate::kpis::values::thresholds_of;
use crate::org::chart::OrgSnapshot;
use crate::org::owners::{OwnerRef, owner_name, owner_of, owner_parts};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::cycle::{CycleState, PeriodKind};
use tandem_domain::goal::{Owner, Weight, plausible};
use tandem_domain::ids::{KeyResultId, ObjectiveId};
use tandem_domain::kpi::{DerivedFrom, Direction, Thresholds};
use tandem_domain::policy;
use tandem_domain::text::Name;
use tandem_domain::{Invalid, Rule};
use tandem_store::goals::{self, KpiRow};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KpiView {
    pub id: i64,
    pub name: String,
    pub owner: Owner,
    pub owner_name: String,
    pub cycle: i64,
    pub granularity: String,
    pub direction: String,
    pub target: f64,
    pub pass: f64,
    pub warn: Option<f64>,
    pub unit: String,
    pub weight: f64,
    pub derived_from: Option<DerivedFrom>,
    /// The cycle is running: changes go through an HR-approved change request.
    pub locked: bool,
    /// The caller may set this KPI (or, once locked, ask HR to change it).
    pub can_edit: bool,
    /// Keeps passing while the KR it was derived from stalls behind pace (seed 002's textile
    /// case): a flag for review.
    pub diverges: bool,
}

#[derive(Debug, Clone, Default)]
pub struct KpiFilter {
    pub cycle: Option<i64>,
    pub owner: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct NewKpi {
    pub name: String,
    pub owner: Option<OwnerRef>,
    pub cycle: i64,
    pub granularity: String,
    pub direction: String,
    pub target: f64,
    /// Defaults to the target.
    pub pass: Option<f64>,
    pub warn: Option<f64>,
    pub unit: String,
    pub weight: Option<f64>,
    pub derived_from: Option<DerivedFrom>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, Serialize)]
pub struct KpiPatch {
    pub name: Option<String>,
    pub target: Option<f64>,
    pub pass: Option<f64>,
    pub warn: Option<Option<f64>>,
    pub unit: Option<String>,
    pub weight: Option<f64>,
}

/// The KPI after a change, every value checked (shared by direct edits and approved requests).
pub(crate) fn apply_patch(before: &KpiRow, patch: &KpiPatch) -> Result<KpiRow> {
    let mut after = before.clone();
    if let Some(n) = &patch.name {
        after.name = Name::parse("name", n)?.into_string();
    }
    let unit = patch.unit.as_deref().unwrap_or(&before.unit);
    if let Some(t) = patch.target {
        after.target = plausible("target", unit, t)?;
    }
    let direction = Direction::parse("direction", &before.direction)?;
    let thresholds = Thresholds::new(
        direction,
        patch.pass.unwrap_or(before.pass_threshold),
        patch.warn.unwrap_or(before.warn_threshold),
    )?;
    after.pass_threshold = plausible("pass", unit, thresholds.pass)?;
    after.warn_threshold = thresholds.warn.map(|w| plausible("warn", unit, w)).transpose()?;
    if let Some(u) = &patch.unit {
        if u.trim().chars().count() > 20 {
            return Err(Invalid::new("unit", Rule::TooLong { max: 20 }).into());
        }
        after.unit = u.trim().into();
    }
    if let Some(w) = patch.weight {
        after.weight = Weight::parse("weight", w)?.get();
    }
    Ok(after)
}

fn granularity(s: &str) -> Result<PeriodKind, Invalid> {
    match PeriodKind::parse("granularity", if s.is_empty() { "month" } else { s })? {
        g @ (PeriodKind::Week | PeriodKind::Month | PeriodKind::Quarter) => Ok(g),
        _ => Err(Invalid::new("granularity", Rule::OneOf(&["week", "month", "quarter"]))),
    }
}

fn derived_parts(d: Option<DerivedFrom>) -> (Option<String>, Option<i64>) {
    match d {
        Some(DerivedFrom::Objective(o)) => (Some("objective".into()), Some(o.0)),
        Some(DerivedFrom::KeyResult(k)) => (Some("key_result".into()), Some(k.0)),
        None => (None, None),
    }
}

fn derived_of(row: &KpiRow) -> Option<DerivedFrom> {
    match (row.derived_type.as_deref(), row.derived_id) {
        (Some("objective"), Some(i)) => Some(DerivedFrom::Objective(ObjectiveId(i))),
        (Some("key_result"), Some(i)) => Some(DerivedFrom::KeyResult(KeyResultId(i))),
        _ => None,
    }
}

pub(crate) fn kpi_json(k: &KpiRow) -> serde_json::Value {
    serde_json::json!({
        "name": k.name, "owner": {"type": k.owner_type, "id": k.owner_id}, "cycle": k.cycle_id,
        "granularity": k.granularity, "direction": k.direction, "target": k.target, "pass": k.pass_threshold,
        "warn": k.warn_threshold, "unit": k.unit, "weight": k.weight,
        "derived_from": derived_of(k),
    })
}

impl App {
    fn kpi_view(a: &Actor, k: &KpiRow, org: &OrgSnapshot, locked: bool) -> KpiView {
        let owner = owner_of(&k.owner_type, k.owner_id);
        KpiView {
            id: k.id,
            name: k.name.clone(),
            owner,
            owner_name: owner_name(owner, org),
            cycle: k.cycle_id,
            granularity: k.granularity.clone(),
            direction: k.direction.clone(),
            target: k.target,
            pass: k.pass_threshold,
            warn: k.warn_threshold,
            unit: k.unit.clone(),
            weight: k.weight,
            derived_from: derived_of(k),
            locked,
            can_edit: policy::may_edit_kpi(a, owner, &org.tree),
            diverges: false,
        }
    }

    async fn running_cycles(&self, tenant: i64) -> Result<Vec<i64>> {
        Ok(tandem_store::cycles::list(&self.db, tenant)
            .await?
            .into_iter()
            .filter(|c| c.state != CycleState::Planning.as_str())
            .map(|c| c.id)
            .collect())
    }

    /// The KPIs the caller may see; nobody else's is even counted.
    pub async fn list_kpis(&self, a: &Actor, f: &KpiFilter) -> Result<Vec<KpiView>> {
        self.kpis_matching(a, |k| f.cycle.is_none_or(|c| k.cycle_id == c) && f.owner.is_none_or(|o| k.owner_id == o))
            .await
    }

    /// The KPIs `keep` picks that the caller may see. Only those are made into views, so one
    /// person's KPIs (or one KPI) cost a scan of the rows, not a view of every KPI.
    async fn kpis_matching(&self, a: &Actor, keep: impl Fn(&KpiRow) -> bool) -> Result<Vec<KpiView>> {
        let (snap, org, running) = tokio::try_join!(
            self.kpi_snapshot(a.tenant.0),
            self.org_snapshot(a.tenant.0),
            self.running_cycles(a.tenant.0)
        )?;
        let mut out: Vec<KpiView> = snap
            .rows
            .iter()
            .filter(|k| keep(k))
            .filter(|k| policy::may_see_kpi(a, owner_of(&k.owner_type, k.owner_id), &org.tree))
            .map(|k| Self::kpi_view(a, k, &org, running.contains(&k.cycle_id)))
            .collect();
        if out.iter().any(|k| matches!(k.derived_from, Some(DerivedFrom::KeyResult(_)))) {
            let goals_now = self.live_goals(a.tenant.0).await?;
            let now = self.now();
            for k in out.iter_mut() {
                let Some(DerivedFrom::KeyResult(kr)) = k.derived_from else { continue };
                let Some((score, expected)) = goals_now.kr_progress(kr.0, now) else { continue };
                let Ok(t) = thresholds_of(k) else { continue };
                let statuses: Vec<_> = snap.values_of(k.id).iter().map(|v| t.evaluate(v.value)).collect();
                k.diverges = tandem_domain::pace::diverges(&statuses, score, expected);
            }
        }
        Ok(out)
    }

    pub async fn get_kpi(&self, a: &Actor, id: i64) -> Result<KpiView> {
        self.kpis_matching(a, |k| k.id == id).await?.into_iter().next().ok_or(AppError::NotFound)
    }

    pub async fn create_kpi(&self, a: &Actor, new: NewKpi) -> Result<KpiView> {
        let name = Name::parse("name", &new.name)?;
        let granularity = granularity(&new.granularity)?;
        let direction =
            Direction::parse("direction", if new.direction.is_empty() { "higher_is_better" } else { &new.direction })?;
        let unit = new.unit.trim().to_string();
        if unit.chars().count() > 20 {
            return Err(Invalid::new("unit", Rule::TooLong { max: 20 }).into());
        }
        let target = plausible("target", &unit, new.target)?;
        let thresholds = Thresholds::new(direction, new.pass.unwrap_or(target), new.warn)?;
        plausible("pass", &unit, thresholds.pass)?;
        thresholds.warn.map(|w| plausible("warn", &unit, w)).transpose()?;
        let weight = Weight::parse("weight", new.weight.unwrap_or(1.0))?.get();
        let owner = new.owner.ok_or_else(|| Invalid::new("owner", Rule::Required))?.owner();
        let org = self.org_snapshot(a.tenant.0).await?;
        let exists = match owner {
            Owner::Person(p) => org.person(p.0).is_some_and(|p| p.active == 1),
            Owner::OrgUnit(u) => org.unit(u.0).is_some(),
        };
        if !exists {
            return Err(Invalid::new("owner", Rule::UnknownRef).into());
        }
        if !policy::may_edit_kpi(a, owner, &org.tree) {
            return Err(AppError::Forbidden);
        }
        let cycle = tandem_store::cycles::get(&self.db, a.tenant.0, new.cycle)
            .await?
            .ok_or_else(|| Invalid::new("cycle", Rule::UnknownRef))?;
        if cycle.state == CycleState::Closed.as_str() {
            return Err(AppError::Conflict("cycle_closed"));
        }
        if let Some(d) = new.derived_from {
            // The source must exist and be visible to the one deriving from it.
            let ok = match d {
                DerivedFrom::Objective(o) => self.get_objective(a, o.0).await.is_ok(),
                DerivedFrom::KeyResult(k) => self.get_key_result(a, k.0).await.is_ok(),
            };
            if !ok {
                return Err(Invalid::new("derived_from", Rule::UnknownRef).into());
            }
        }
        let (owner_type, owner_id) = owner_parts(owner);
        let (derived_type, derived_id) = derived_parts(new.derived_from);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let row = KpiRow {
            tenant_id: a.tenant.0,
            id: tx.next_id().await?,
            cycle_id: new.cycle,
            name: name.into_string(),
            owner_type: owner_type.into(),
            owner_id,
            granularity: granularity.as_str().into(),
            direction: direction.as_str().into(),
            target,
            pass_threshold: thresholds.pass,
            warn_threshold: thresholds.warn,
            unit,
            weight,
            derived_type,
            derived_id,
            created_at: now,
            updated_at: now,
        };
        goals::insert_kpi(&mut tx, &row).await?;
        record(&mut tx, Some(a), a.tenant.0, now, Change::create("kpi", row.id, kpi_json(&row))).await?;
        tx.commit().await?;
        self.get_kpi(a, row.id).await
    }

    pub async fn update_kpi(&self, a: &Actor, id: i64, patch: KpiPatch) -> Result<KpiView> {
        let view = self.get_kpi(a, id).await?;
        let org = self.org_snapshot(a.tenant.0).await?;
        if !policy::may_edit_kpi(a, view.owner, &org.tree) {
            return Err(AppError::Forbidden);
        }
        if view.locked {
            return Err(AppError::Conflict("kpi_locked"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let before = goals::kpi_in(&mut tx, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        let mut after = apply_patch(&before, &patch)?;
        if after != before {
            after.updated_at = now;
            goals::update_kpi(&mut tx, &after).await?;
            record(&mut tx, Some(a), a.tenant.0, now, Change::update("kpi", id, kpi_json(&before), kpi_json(&after)))
                .await?;
            tx.commit().await?;
        }
        self.get_kpi(a, id).await
    }
}
