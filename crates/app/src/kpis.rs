//! KPIs: private to their owner, the owner's management chain and HR, through every door. A
//! KPI is locked once its cycle leaves planning.

use crate::error::{AppError, Result};
use crate::goals::{OwnerRef, owner_name, owner_of, owner_parts};
use crate::org::OrgSnapshot;
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::cycle::{CycleState, PeriodKind};
use tandem_domain::goal::{Owner, Weight, finite};
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
fn apply_patch(before: &KpiRow, patch: &KpiPatch) -> Result<KpiRow> {
    let mut after = before.clone();
    if let Some(n) = &patch.name {
        after.name = Name::parse("name", n)?.into_string();
    }
    if let Some(t) = patch.target {
        after.target = finite("target", t)?;
    }
    let direction = Direction::parse("direction", &before.direction)?;
    let thresholds = Thresholds::new(
        direction,
        patch.pass.unwrap_or(before.pass_threshold),
        patch.warn.unwrap_or(before.warn_threshold),
    )?;
    after.pass_threshold = thresholds.pass;
    after.warn_threshold = thresholds.warn;
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

fn kpi_json(k: &KpiRow) -> serde_json::Value {
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
        let (snap, org, running) = tokio::try_join!(
            self.kpi_snapshot(a.tenant.0),
            self.org_snapshot(a.tenant.0),
            self.running_cycles(a.tenant.0)
        )?;
        let mut out: Vec<KpiView> = snap
            .rows
            .iter()
            .filter(|k| f.cycle.is_none_or(|c| k.cycle_id == c))
            .filter(|k| f.owner.is_none_or(|o| k.owner_id == o))
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
        self.list_kpis(a, &KpiFilter::default()).await?.into_iter().find(|k| k.id == id).ok_or(AppError::NotFound)
    }

    pub async fn create_kpi(&self, a: &Actor, new: NewKpi) -> Result<KpiView> {
        let name = Name::parse("name", &new.name)?;
        let granularity = granularity(&new.granularity)?;
        let direction =
            Direction::parse("direction", if new.direction.is_empty() { "higher_is_better" } else { &new.direction })?;
        let target = finite("target", new.target)?;
        let thresholds = Thresholds::new(direction, new.pass.unwrap_or(target), new.warn)?;
        let weight = Weight::parse("weight", new.weight.unwrap_or(1.0))?.get();
        let unit = new.unit.trim().to_string();
        if unit.chars().count() > 20 {
            return Err(Invalid::new("unit", Rule::TooLong { max: 20 }).into());
        }
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

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChangeRequestView {
    pub id: i64,
    pub kpi: i64,
    pub kpi_name: String,
    pub owner_name: String,
    pub requested_by: i64,
    pub requested_by_name: String,
    pub reason: String,
    pub changes: KpiPatch,
    /// The KPI's values when the request was made.
    pub before: serde_json::Value,
    pub status: String,
    pub decided_by: Option<i64>,
    pub decision_note: String,
    pub created_at: i64,
}

impl App {
    /// Asks HR to change a locked KPI. Whoever may set the KPI may ask; a reason is required.
    pub async fn request_kpi_change(
        &self,
        a: &Actor,
        kpi: i64,
        changes: KpiPatch,
        reason: &str,
    ) -> Result<ChangeRequestView> {
        let view = self.get_kpi(a, kpi).await?;
        let org = self.org_snapshot(a.tenant.0).await?;
        if !policy::may_edit_kpi(a, view.owner, &org.tree) {
            return Err(AppError::Forbidden);
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Invalid::new("reason", Rule::Required).into());
        }
        if reason.chars().count() > 2000 {
            return Err(Invalid::new("reason", Rule::TooLong { max: 2000 }).into());
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let before = goals::kpi_in(&mut tx, a.tenant.0, kpi).await?.ok_or(AppError::NotFound)?;
        // Checked now, so HR decides on a change that can be applied.
        if apply_patch(&before, &changes)? == before {
            return Err(Invalid::new("changes", Rule::Required).into());
        }
        let row = goals::KpiChangeRow {
            tenant_id: a.tenant.0,
            id: tx.next_id().await?,
            kpi_id: kpi,
            requested_by: a.person.0,
            reason: reason.into(),
            changes_json: serde_json::to_string(&changes).map_err(|e| AppError::Internal(e.to_string()))?,
            before_json: kpi_json(&before).to_string(),
            status: "pending".into(),
            decided_by: None,
            decided_at: None,
            decision_note: String::new(),
            created_at: now,
        };
        goals::insert_kpi_change(&mut tx, &row).await?;
        let mut c = Change::create("kpi_change_request", row.id, serde_json::json!({"kpi": kpi, "changes": changes}));
        c.reason = Some(reason.into());
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        self.list_kpi_changes(a, None).await?.into_iter().find(|r| r.id == row.id).ok_or(AppError::NotFound)
    }

    /// Change requests on KPIs the caller may see (HR: all of them).
    pub async fn list_kpi_changes(&self, a: &Actor, status: Option<&str>) -> Result<Vec<ChangeRequestView>> {
        let all = KpiFilter::default();
        let (rows, visible, org) = tokio::try_join!(
            async { Ok::<_, AppError>(goals::kpi_changes(&self.db, a.tenant.0).await?) },
            self.list_kpis(a, &all),
            self.org_snapshot(a.tenant.0),
        )?;
        Ok(rows
            .into_iter()
            .filter(|r| status.is_none_or(|s| r.status == s))
            .filter_map(|r| {
                let k = visible.iter().find(|k| k.id == r.kpi_id)?;
                Some(ChangeRequestView {
                    id: r.id,
                    kpi: r.kpi_id,
                    kpi_name: k.name.clone(),
                    owner_name: k.owner_name.clone(),
                    requested_by: r.requested_by,
                    requested_by_name: org.person(r.requested_by).map(|p| p.name.clone()).unwrap_or_default(),
                    reason: r.reason,
                    changes: serde_json::from_str(&r.changes_json).unwrap_or_default(),
                    before: serde_json::from_str(&r.before_json).unwrap_or_default(),
                    status: r.status,
                    decided_by: r.decided_by,
                    decision_note: r.decision_note,
                    created_at: r.created_at,
                })
            })
            .collect())
    }

    /// HR approves (the change is applied, with the request's reason on the record) or rejects.
    pub async fn decide_kpi_change(
        &self,
        _hr: policy::DecideKpiChanges,
        a: &Actor,
        id: i64,
        approve: bool,
        note: &str,
    ) -> Result<ChangeRequestView> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let req = goals::kpi_change_in(&mut tx, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        if req.status != "pending"
            || !goals::decide_kpi_change(
                &mut tx,
                a.tenant.0,
                id,
                if approve { "approved" } else { "rejected" },
                a.person.0,
                now,
                note.trim(),
            )
            .await?
        {
            return Err(AppError::Conflict("already_decided"));
        }
        let mut c = Change::update(
            "kpi_change_request",
            id,
            serde_json::json!({"status": "pending"}),
            serde_json::json!({"status": if approve { "approved" } else { "rejected" }, "note": note.trim()}),
        );
        c.action = if approve { "approve" } else { "reject" };
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        if approve {
            let before = goals::kpi_in(&mut tx, a.tenant.0, req.kpi_id).await?.ok_or(AppError::NotFound)?;
            let changes: KpiPatch =
                serde_json::from_str(&req.changes_json).map_err(|e| AppError::Internal(e.to_string()))?;
            let mut after = apply_patch(&before, &changes)?;
            after.updated_at = now;
            goals::update_kpi(&mut tx, &after).await?;
            let mut c = Change::update("kpi", req.kpi_id, kpi_json(&before), kpi_json(&after));
            c.reason = Some(format!("{} (#{id})", req.reason));
            record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        }
        // The requester and the KPI's owner hear the decision (both are in the KPI's circle).
        let kpi = goals::kpi_in(&mut tx, a.tenant.0, req.kpi_id).await?.ok_or(AppError::NotFound)?;
        let org = self.org_snapshot(a.tenant.0).await?;
        let owner = (kpi.owner_type == "person").then_some(kpi.owner_id).and_then(|p| org.person(p));
        let people: Vec<_> = org.person(req.requested_by).into_iter().chain(owner).collect();
        let (zh, en) = if approve { ("已批准", "approved") } else { ("未批准", "rejected") };
        let note = note.trim();
        let subject = (format!("KPI 变更申请{zh}：{}", kpi.name), format!("KPI change {en}: {}", kpi.name));
        let text = (
            format!("{}\n申请理由：{}\nHR 的答复：{}", kpi.name, req.reason, if note.is_empty() { "—" } else { note }),
            format!(
                "{}\nReason given: {}\nHR's answer: {}",
                kpi.name,
                req.reason,
                if note.is_empty() { "—" } else { note }
            ),
        );
        crate::notify::enqueue_emails(
            &mut tx,
            a.tenant.0,
            "kpi_change_decided",
            &people,
            (&subject.0, &subject.1),
            (&text.0, &text.1),
            now,
        )
        .await?;
        tx.commit().await?;
        self.list_kpi_changes(a, None).await?.into_iter().find(|r| r.id == id).ok_or(AppError::NotFound)
    }
}

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

fn thresholds_of(k: &KpiView) -> Result<Thresholds> {
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

    /// Records a KPI's value for a period (those who set the KPI, and HR, report its numbers;
    /// a second value for the same period replaces the first, on the record).
    pub async fn record_kpi_value(&self, a: &Actor, kpi: i64, period: &str, value: f64) -> Result<KpiValueView> {
        let k = self.get_kpi(a, kpi).await?;
        let org = self.org_snapshot(a.tenant.0).await?;
        if !policy::may_edit_kpi(a, k.owner, &org.tree) {
            return Err(AppError::Forbidden);
        }
        let period = tandem_domain::kpi::parse_period(PeriodKind::parse("granularity", &k.granularity)?, period)?;
        let value = finite("value", value)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        write_kpi_value(&mut tx, a, kpi, &period, value, "manual", now).await?;
        tx.commit().await?;
        self.kpi_values(a, kpi).await?.into_iter().find(|v| v.period == period).ok_or(AppError::NotFound)
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
