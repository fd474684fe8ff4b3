//! Key results: adding and changing them (with a reason once the cycle runs), their owners and
//! weights, and the manager's final score at cycle close.

use crate::error::{AppError, Result};
use crate::goals::snapshot::kr_row_score;
use crate::org::chart::OrgSnapshot;
use crate::org::owners::{check_owner, owner_of, owner_parts};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::cycle::CycleState;
use tandem_domain::goal::{KeyResultSpec, Owner, Weight};
use tandem_domain::ids::PersonId;
use tandem_domain::policy;
use tandem_domain::score::Band;
use tandem_domain::{Invalid, Rule};
use tandem_store::goals::{self, KeyResultRow};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KrOwnerView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: i64,
    pub name: String,
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyResultView {
    pub id: i64,
    pub objective: i64,
    pub title: String,
    pub measure: String,
    pub baseline: f64,
    pub target: f64,
    pub current: f64,
    pub unit: String,
    pub weight: f64,
    pub score: f64,
    pub band: Band,
    pub owners: Vec<KrOwnerView>,
    /// Where the score should be now: the elapsed share of the cycle.
    pub expected: f64,
    /// The end-of-cycle score the check-in history points to.
    pub forecast: f64,
    pub at_risk: bool,
    /// Nobody has started it yet (no check-in, still at its baseline) in a running cycle: it
    /// counts for nothing in its objective's score until it does.
    pub not_started: bool,
    /// The latest self-reported confidence (0–10), if any.
    pub confidence: Option<i64>,
    /// Confidence far from the forecast (optimism or pessimism showing).
    pub confidence_disagrees: bool,
    pub last_check_in: Option<i64>,
    /// Why a manager overrode the final score (the score shown is then the override).
    pub override_reason: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewKeyResult {
    pub title: String,
    pub measure: String,
    pub baseline: f64,
    pub target: f64,
    pub current: Option<f64>,
    pub unit: String,
    pub weight: Option<f64>,
    pub owners: Vec<(Owner, f64)>,
}

#[derive(Debug, Clone, Default)]
pub struct KeyResultPatch {
    pub title: Option<String>,
    pub measure: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub unit: Option<String>,
    pub weight: Option<f64>,
    pub owners: Option<Vec<(Owner, f64)>>,
    pub reason: Option<String>,
}

impl App {
    /// At cycle close (reviewing), a manager above the KR's owner sets its final score, with a
    /// written reason. A closed cycle is read-only.
    pub async fn override_kr_score(&self, a: &Actor, kr: i64, score: f64, reason: &str) -> Result<KeyResultView> {
        let (goals_now, org) = tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0))?;
        let k = goals_now.key_result(kr).cloned().ok_or(AppError::NotFound)?;
        let o = self.get_objective(a, k.objective_id).await?;
        let lead = policy::owner_lead(o.owner, &org.tree);
        if !lead.is_some_and(|l| org.tree.is_above(a.person, l)) {
            return Err(AppError::Forbidden);
        }
        match self.cycle_state(a.tenant.0, o.cycle).await? {
            CycleState::Reviewing => {}
            CycleState::Closed => return Err(AppError::Conflict("cycle_closed")),
            _ => return Err(AppError::Conflict("not_reviewing")),
        }
        if !(score.is_finite() && (0.0..=1.0).contains(&score)) {
            return Err(Invalid::new("score", Rule::OutOfRange { min: 0.0, max: 1.0 }).into());
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Invalid::new("reason", Rule::Required).into());
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        goals::set_override(&mut tx, a.tenant.0, kr, Some(score), Some(reason)).await?;
        goals::bump_version(&mut tx, a.tenant.0).await?;
        let mut c = Change::update(
            "key_result",
            kr,
            serde_json::json!({"score": kr_row_score(&k)}),
            serde_json::json!({"score": score, "override": true}),
        );
        c.action = "override";
        c.reason = Some(reason.into());
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        self.get_key_result(a, kr).await
    }

    pub(crate) fn check_kr_owners(owners: &[(Owner, f64)], org: &OrgSnapshot) -> Result<Vec<(String, i64, f64)>> {
        let mut out: Vec<(String, i64, f64)> = vec![];
        for (o, w) in owners {
            check_owner("owners", *o, org)?;
            let w = Weight::parse("owners.weight", *w)?.get();
            let (t, i) = owner_parts(*o);
            if out.iter().any(|(ot, oi, _)| ot == t && *oi == i) {
                return Err(Invalid::new("owners", Rule::Duplicate).into());
            }
            out.push((t.into(), i, w));
        }
        Ok(out)
    }

    pub async fn add_key_result(&self, a: &Actor, objective: i64, new: NewKeyResult) -> Result<KeyResultView> {
        let spec = KeyResultSpec::parse(
            &new.title,
            &new.measure,
            new.baseline,
            new.target,
            &new.unit,
            new.weight.unwrap_or(1.0),
        )?;
        let current = tandem_domain::goal::plausible("current", &spec.unit, new.current.unwrap_or(new.baseline))?;
        let (goals, org) = tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0))?;
        let o = goals.objective(objective).filter(|o| Self::visible(a, o, &org)).cloned().ok_or(AppError::NotFound)?;
        if !policy::may_edit_objective(a, PersonId(o.author_id), owner_of(&o.owner_type, o.owner_id), &org.tree) {
            return Err(AppError::Forbidden);
        }
        if self.cycle_state(a.tenant.0, o.cycle_id).await? == CycleState::Closed {
            return Err(AppError::Conflict("cycle_closed"));
        }
        let owners = Self::check_kr_owners(&new.owners, &org)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let position = goals.key_results_of(objective).count() as i64;
        let row = kr_row(a.tenant.0, tx.next_id().await?, objective, spec, current, position, now);
        goals::insert_key_result(&mut tx, &row).await?;
        goals::set_kr_owners(&mut tx, a.tenant.0, row.id, &owners).await?;
        goals::bump_version(&mut tx, a.tenant.0).await?;
        record(&mut tx, Some(a), a.tenant.0, now, Change::create("key_result", row.id, kr_json(&row, &owners))).await?;
        tx.commit().await?;
        self.get_key_result(a, row.id).await
    }

    pub async fn get_key_result(&self, a: &Actor, id: i64) -> Result<KeyResultView> {
        let v = self.views(a.tenant.0).await?;
        let k = v.goals.key_result(id).ok_or(AppError::NotFound)?;
        let o = Self::seen_objective(a, &v, k.objective_id, self.now())?;
        o.key_results.into_iter().find(|k| k.id == id).ok_or(AppError::NotFound)
    }

    pub async fn update_key_result(&self, a: &Actor, id: i64, patch: KeyResultPatch) -> Result<KeyResultView> {
        let (goals, org) = tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0))?;
        let before = goals.key_result(id).cloned().ok_or(AppError::NotFound)?;
        let o = goals
            .objective(before.objective_id)
            .filter(|o| Self::visible(a, o, &org))
            .cloned()
            .ok_or(AppError::NotFound)?;
        if !policy::may_edit_objective(a, PersonId(o.author_id), owner_of(&o.owner_type, o.owner_id), &org.tree) {
            return Err(AppError::Forbidden);
        }
        let state = self.cycle_state(a.tenant.0, o.cycle_id).await?;
        if state == CycleState::Closed {
            return Err(AppError::Conflict("cycle_closed"));
        }
        let spec = KeyResultSpec::parse(
            patch.title.as_deref().unwrap_or(&before.title),
            patch.measure.as_deref().unwrap_or(&before.measure),
            patch.baseline.unwrap_or(before.baseline),
            patch.target.unwrap_or(before.target),
            patch.unit.as_deref().unwrap_or(&before.unit),
            patch.weight.unwrap_or(before.weight),
        )?;
        let before_owners: Vec<(String, i64, f64)> =
            goals.owners_of_kr(id).map(|w| (w.owner_type.clone(), w.owner_id, w.weight)).collect();
        let owners = match &patch.owners {
            Some(ow) => Self::check_kr_owners(ow, &org)?,
            None => before_owners.clone(),
        };
        let mut after = before.clone();
        after.title = spec.title.into_string();
        after.measure = spec.measure.as_str().into();
        after.baseline = spec.baseline;
        after.target = spec.target;
        after.unit = spec.unit;
        after.weight = spec.weight.get();
        // OKRs are adjustable mid-cycle, openly: a changed target or wording needs a reason.
        let reason = patch.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(String::from);
        let meaning_changed = after.title != before.title
            || after.target != before.target
            || after.baseline != before.baseline
            || after.measure != before.measure;
        if state != CycleState::Planning && o.status == "published" && meaning_changed && reason.is_none() {
            return Err(Invalid::new("reason", Rule::Required).into());
        }
        if after == before && owners == before_owners {
            return self.get_key_result(a, id).await;
        }
        let now = self.now();
        after.updated_at = now;
        let mut tx = self.db.begin().await?;
        goals::update_key_result(&mut tx, &after).await?;
        if owners != before_owners {
            goals::set_kr_owners(&mut tx, a.tenant.0, id, &owners).await?;
        }
        goals::bump_version(&mut tx, a.tenant.0).await?;
        let mut change = Change::update("key_result", id, kr_json(&before, &before_owners), kr_json(&after, &owners));
        if o.status == "published" && meaning_changed {
            let n = |v: f64| crate::goals::key_results::num_text(v);
            let what = (
                format!(
                    "关键结果「{}」→「{}」，{} → {} {}",
                    before.title,
                    after.title,
                    n(before.target),
                    n(after.target),
                    after.unit
                ),
                format!(
                    "key result “{}” → “{}”, {} → {} {}",
                    before.title,
                    after.title,
                    n(before.target),
                    n(after.target),
                    after.unit
                ),
            );
            crate::goals::upstream::queue_upstream_notice(
                &mut tx,
                &goals,
                &org,
                &o,
                (&what.0, &what.1),
                reason.as_deref(),
                now,
            )
            .await?;
        }
        change.reason = reason;
        record(&mut tx, Some(a), a.tenant.0, now, change).await?;
        tx.commit().await?;
        self.get_key_result(a, id).await
    }
}

/// A new key result's row from its checked spec.
pub(crate) fn kr_row(
    tenant: i64,
    id: i64,
    objective: i64,
    spec: KeyResultSpec,
    current: f64,
    position: i64,
    now: i64,
) -> KeyResultRow {
    KeyResultRow {
        tenant_id: tenant,
        id,
        objective_id: objective,
        title: spec.title.into_string(),
        measure: spec.measure.as_str().into(),
        baseline: spec.baseline,
        target: spec.target,
        current,
        unit: spec.unit,
        weight: spec.weight.get(),
        position,
        created_at: now,
        updated_at: now,
        override_score: None,
        override_reason: None,
    }
}

pub(crate) fn kr_json(k: &KeyResultRow, owners: &[(String, i64, f64)]) -> serde_json::Value {
    serde_json::json!({
        "objective": k.objective_id, "title": k.title, "measure": k.measure, "baseline": k.baseline, "target": k.target,
        "current": k.current, "unit": k.unit, "weight": k.weight,
        "owners": owners.iter().map(|(t, i, w)| serde_json::json!({"type": t, "id": i, "weight": w})).collect::<Vec<_>>(),
    })
}

/// A number as text, to four decimals at most (`1200`, `0.1234`).
pub fn num_text(v: f64) -> String {
    let r = (v * 10_000.0).round() / 10_000.0;
    format!("{r}")
}
