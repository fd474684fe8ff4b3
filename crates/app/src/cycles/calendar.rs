//! Cycles: defined by HR, moved through planning → active → reviewing → closed.

use crate::error::{AppError, Result};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::cycle::{self, CycleState, PeriodKind, Span};
use tandem_domain::policy::ManageCycles;
use tandem_domain::text::Name;
use tandem_domain::{Invalid, Rule};
use tandem_store::cycles::{self, CycleRow};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CycleView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub start: String,
    pub end: String,
    pub state: String,
    pub parent: Option<i64>,
    /// Elapsed share of the cycle today, in [0, 1].
    pub elapsed: f64,
}

#[derive(Debug, Clone, Default)]
pub struct NewCycle {
    pub name: String,
    pub kind: String,
    pub start: String,
    pub end: String,
    pub parent: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct CyclePatch {
    pub name: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub state: Option<String>,
    /// Why: required to reopen (a review back to running, a closed cycle back to review), kept
    /// on the record.
    pub reason: Option<String>,
}

/// What moving a cycle to another state will touch: shown before HR confirms.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CycleImpact {
    pub cycle: CycleView,
    /// Published objectives of the cycle, their key results, and the KPIs of the cycle.
    pub objectives: usize,
    pub key_results: usize,
    pub kpis: usize,
    /// Days left, today and the end date included (0 once it has ended).
    pub days_left: i64,
}

fn span_of(c: &CycleRow) -> Result<Span> {
    Ok(Span::new(cycle::parse_date("start", &c.start_date)?, cycle::parse_date("end", &c.end_date)?)?)
}

impl App {
    fn cycle_view(&self, c: &CycleRow) -> CycleView {
        let elapsed = span_of(c).map(|s| s.elapsed(self.clock.today())).unwrap_or(0.0);
        CycleView {
            id: c.id,
            name: c.name.clone(),
            kind: c.kind.clone(),
            start: c.start_date.clone(),
            end: c.end_date.clone(),
            state: c.state.clone(),
            parent: c.parent_id,
            elapsed,
        }
    }

    pub async fn list_cycles(&self, a: &Actor) -> Result<Vec<CycleView>> {
        Ok(cycles::list(&self.db, a.tenant.0).await?.iter().map(|c| self.cycle_view(c)).collect())
    }

    pub async fn get_cycle(&self, a: &Actor, id: i64) -> Result<CycleView> {
        cycles::get(&self.db, a.tenant.0, id).await?.map(|c| self.cycle_view(&c)).ok_or(AppError::NotFound)
    }

    /// What a state change of cycle `id` would touch (HR, before confirming it).
    pub async fn cycle_impact(&self, _cap: ManageCycles, a: &Actor, id: i64) -> Result<CycleImpact> {
        let row = cycles::get(&self.db, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        let kpis = self.kpi_snapshot(a.tenant.0).await?.rows.iter().filter(|k| k.cycle_id == id).count();
        let (objectives, key_results) = {
            let goals = self.live_goals(a.tenant.0).await?;
            let published: Vec<i64> =
                goals.objectives.iter().filter(|o| o.cycle_id == id && o.status == "published").map(|o| o.id).collect();
            (published.len(), published.iter().map(|o| goals.key_results_of(*o).count()).sum())
        };
        let zone = self.tenant_zone(a.tenant.0).await?;
        let end = cycle::parse_date("end", &row.end_date)?;
        let days_left = ((end - zone.date(self.now())).whole_days() + 1).max(0);
        Ok(CycleImpact { cycle: self.cycle_view(&row), objectives, key_results, kpis, days_left })
    }

    pub async fn create_cycle(&self, _cap: ManageCycles, a: &Actor, new: NewCycle) -> Result<CycleView> {
        let name = Name::parse("name", &new.name)?;
        let kind = PeriodKind::parse("kind", &new.kind)?;
        let span = Span::new(cycle::parse_date("start", &new.start)?, cycle::parse_date("end", &new.end)?)?;
        if let Some(p) = new.parent {
            let parent =
                cycles::get(&self.db, a.tenant.0, p).await?.ok_or_else(|| Invalid::new("parent", Rule::UnknownRef))?;
            cycle::check_nesting(&span_of(&parent)?, &span)?;
        }
        let now = self.now();
        let live = self.goal_write();
        let mut tx = self.db.begin().await?;
        let row = CycleRow {
            tenant_id: a.tenant.0,
            id: tx.next_id().await?,
            name: name.into_string(),
            kind: kind.as_str().into(),
            start_date: cycle::format_date(span.start),
            end_date: cycle::format_date(span.end),
            state: CycleState::Planning.as_str().into(),
            parent_id: new.parent,
            created_at: now,
        };
        cycles::insert(&mut tx, &row).await?;
        record(&mut tx, Some(a), a.tenant.0, now, Change::create("cycle", row.id, cycle_json(&row))).await?;
        // Decisions of the closed cycle before it that were waiting for a next cycle.
        crate::review::carry::carry_into_new(&mut tx, a, &row, now).await?;
        // The goal projection holds every cycle's span (a new cycle is applied in place, unless
        // it took carried-over drafts: then the projection is read again).
        let version = tandem_store::goals::bump_version(&mut tx, a.tenant.0).await?;
        tx.commit().await?;
        live.apply_all(a.tenant.0, version, vec![cycle_applied(&row)]);
        Ok(self.cycle_view(&row))
    }

    pub async fn update_cycle(&self, _cap: ManageCycles, a: &Actor, id: i64, patch: CyclePatch) -> Result<CycleView> {
        let now = self.now();
        let live = self.goal_write();
        let mut tx = self.db.begin().await?;
        let before = cycles::get(&self.db, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        let from = CycleState::parse("state", &before.state)?;
        let mut after = before.clone();
        let mut reason = None;
        if let Some(s) = &patch.state {
            let to = from.move_to(CycleState::parse("state", s)?)?;
            let why = tandem_domain::text::note("reason", patch.reason.as_deref().unwrap_or(""), 2000)?;
            if from.reopens(to) && why.is_empty() {
                return Err(Invalid::new("reason", Rule::Required).into());
            }
            reason = (!why.is_empty()).then_some(why);
            after.state = to.as_str().into();
        }
        let dates_or_name = patch.name.is_some() || patch.start.is_some() || patch.end.is_some();
        if dates_or_name && from == CycleState::Closed {
            return Err(AppError::Conflict("cycle_closed"));
        }
        if let Some(n) = &patch.name {
            after.name = Name::parse("name", n)?.into_string();
        }
        if patch.start.is_some() || patch.end.is_some() {
            let start = cycle::parse_date("start", patch.start.as_deref().unwrap_or(&before.start_date))?;
            let end = cycle::parse_date("end", patch.end.as_deref().unwrap_or(&before.end_date))?;
            let span = Span::new(start, end)?;
            if let Some(p) = before.parent_id
                && let Some(parent) = cycles::get(&self.db, a.tenant.0, p).await?
            {
                cycle::check_nesting(&span_of(&parent)?, &span)?;
            }
            for child in cycles::children_in(&mut tx, a.tenant.0, id).await? {
                cycle::check_nesting(&span, &span_of(&child)?)?;
            }
            after.start_date = cycle::format_date(start);
            after.end_date = cycle::format_date(end);
        }
        if after != before {
            cycles::update(&mut tx, &after).await?;
            if from == CycleState::Active && after.state == CycleState::Reviewing.as_str() {
                crate::review::scores::freeze(&mut tx, a.tenant.0, id, now).await?;
            }
            if after.state == CycleState::Closed.as_str() {
                crate::review::carry::carry_forward(&mut tx, a, id, now).await?;
            }
            // Pace and forecasts depend on the cycle's dates and state: applied in place (a close
            // that drafted carry-overs moved the version on before this, and the projection is
            // then read again).
            let version = tandem_store::goals::bump_version(&mut tx, a.tenant.0).await?;
            let action = if after.state != before.state { "state_change" } else { "update" };
            record(
                &mut tx,
                Some(a),
                a.tenant.0,
                now,
                Change {
                    entity: "cycle",
                    id,
                    action,
                    before: Some(cycle_json(&before)),
                    after: Some(cycle_json(&after)),
                    reason,
                },
            )
            .await?;
            tx.commit().await?;
            live.apply_all(a.tenant.0, version, vec![cycle_applied(&after)]);
        }
        Ok(self.cycle_view(&after))
    }
}

fn cycle_json(c: &CycleRow) -> serde_json::Value {
    serde_json::json!({"name": c.name, "kind": c.kind, "start": c.start_date, "end": c.end_date, "state": c.state, "parent": c.parent_id})
}

/// A cycle as the goal projection holds it.
fn cycle_applied(c: &CycleRow) -> crate::goals::projection::Applied {
    crate::goals::projection::Applied::Cycle {
        id: c.id,
        state: c.state.clone(),
        start: c.start_date.clone(),
        end: c.end_date.clone(),
    }
}
