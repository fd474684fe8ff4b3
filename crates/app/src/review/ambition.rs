//! Ambition calibration per unit (see `domain::ambition`): each unit's own key results — of
//! objectives the unit owns or its members own — over its last finished cycles of the same kind,
//! up to the one asked about; and a person's own pattern, for the person, their management chain
//! and HR alone.

use crate::error::{AppError, Result};
use crate::goals::snapshot::kr_row_score;
use crate::{Actor, App};
use serde::Serialize;
use std::collections::HashMap;
use tandem_domain::Lang;
use tandem_domain::ambition::{self, Calibration, CycleOutcomes, Outcome, WINDOW};
use tandem_domain::goal::ObjectiveKind;
use tandem_domain::ids::PersonId;
use tandem_domain::policy;
use tandem_store::cycles::CycleRow;
use tandem_store::goals::ObjectiveRow;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnitAmbition {
    pub unit: i64,
    pub unit_name: String,
    #[serde(flatten)]
    pub calibration: Calibration,
}

impl App {
    /// The last `n` finished (reviewing or closed) cycles of `cycle`'s kind that end no later
    /// than it, oldest first: what calibration and mining look back over.
    pub(crate) async fn finished_cycles(&self, tenant: i64, cycle: i64, n: usize) -> Result<Vec<CycleRow>> {
        let cycles = tandem_store::cycles::list(&self.db, tenant).await?;
        let this = cycles.iter().find(|c| c.id == cycle).ok_or(AppError::NotFound)?;
        let mut finished: Vec<CycleRow> = cycles
            .iter()
            .filter(|c| c.kind == this.kind && c.end_date <= this.end_date)
            .filter(|c| c.state == "reviewing" || c.state == "closed")
            .cloned()
            .collect();
        finished.sort_by(|x, y| x.end_date.cmp(&y.end_date));
        Ok(finished.split_off(finished.len().saturating_sub(n)))
    }

    /// Per key (`key_of` an objective: its unit, or its owning person), per finished cycle, the
    /// outcomes of the key results of its published objectives — one pass over the objectives,
    /// whatever the number of cycles — and each key's history, oldest first.
    fn outcomes_by(
        goals: &crate::goals::snapshot::GoalSnapshot,
        finished: &[CycleRow],
        key_of: impl Fn(&ObjectiveRow) -> Option<i64>,
    ) -> HashMap<i64, Vec<CycleOutcomes>> {
        let slot: HashMap<i64, usize> = finished.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        let mut by: HashMap<i64, Vec<Vec<Outcome>>> = HashMap::new();
        for o in goals.objectives.iter().filter(|o| o.status == "published") {
            let Some(&i) = slot.get(&o.cycle_id) else { continue };
            let Some(key) = key_of(o) else { continue };
            let committed = ObjectiveKind::parse("kind", &o.kind).is_ok_and(|k| k == ObjectiveKind::Committed);
            let slots = by.entry(key).or_insert_with(|| vec![vec![]; finished.len()]);
            for k in goals.key_results_of(o.id) {
                let start_confidence = goals
                    .check_ins
                    .get(&k.id)
                    .and_then(|h| h.iter().find(|(_, _, c)| *c >= 0))
                    .and_then(|(_, _, c)| u8::try_from(*c).ok());
                slots[i].push(Outcome { committed, score: kr_row_score(k), start_confidence });
            }
        }
        by.into_iter()
            .map(|(key, slots)| {
                let history = finished
                    .iter()
                    .zip(slots)
                    .filter(|(_, outcomes)| !outcomes.is_empty())
                    .map(|(c, outcomes)| CycleOutcomes { cycle: c.name.clone(), outcomes })
                    .collect();
                (key, history)
            })
            .collect()
    }

    /// The most recently ended cycle that is in review or closed (a quarter or longer before a
    /// month): what a person's page calibrates over.
    pub async fn last_finished_cycle(&self, tenant: i64) -> Result<Option<i64>> {
        let cycles = tandem_store::cycles::list(&self.db, tenant).await?;
        let finished = cycles.iter().filter(|c| c.state == "reviewing" || c.state == "closed");
        let pick = |months: bool| {
            finished
                .clone()
                .filter(|c| months || c.kind != "month")
                .max_by(|a, b| a.end_date.cmp(&b.end_date))
                .map(|c| c.id)
        };
        Ok(pick(false).or_else(|| pick(true)))
    }

    /// Every unit with key results in the finished cycles of `cycle`'s kind up to it (at most
    /// the last three), calibrated; with `only`, that unit alone.
    pub async fn ambition(&self, a: &Actor, cycle: i64, only: Option<i64>, lang: Lang) -> Result<Vec<UnitAmbition>> {
        let finished = self.finished_cycles(a.tenant.0, cycle, WINDOW).await?;
        let v = self.views(a.tenant.0).await?;
        let by_unit = Self::outcomes_by(&v.goals, &finished, |o| {
            v.org.unit_of_owner(&o.owner_type, o.owner_id).filter(|u| only.is_none_or(|x| x == *u))
        });
        let mut out: Vec<UnitAmbition> = by_unit
            .into_iter()
            .filter_map(|(unit, history)| {
                let u = v.org.unit(unit)?;
                Some(UnitAmbition { unit, unit_name: u.name.clone(), calibration: ambition::calibrate(&history, lang) })
            })
            .collect();
        out.sort_by_key(|u| u.unit);
        Ok(out)
    }

    /// A person's own pattern over the same cycles — the objectives they own — for the person,
    /// their management chain and HR only (404 to anyone else). A planning prompt for the
    /// one-to-one, never an input to pay.
    pub async fn person_ambition(&self, a: &Actor, person: i64, cycle: i64, lang: Lang) -> Result<Calibration> {
        let org = self.org_snapshot(a.tenant.0).await?;
        org.person(person).ok_or(AppError::NotFound)?;
        if !policy::may_see_private_of(a, PersonId(person), &org.tree) {
            return Err(AppError::NotFound);
        }
        let finished = self.finished_cycles(a.tenant.0, cycle, WINDOW).await?;
        let v = self.views(a.tenant.0).await?;
        let mut by = Self::outcomes_by(&v.goals, &finished, |o| {
            (o.owner_type == "person" && o.owner_id == person).then_some(person)
        });
        Ok(ambition::calibrate(&by.remove(&person).unwrap_or_default(), lang))
    }
}
