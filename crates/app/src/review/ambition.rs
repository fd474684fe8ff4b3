//! Ambition calibration per unit (see `domain::ambition`): each unit's own key results — of
//! objectives the unit owns or its members own — over its last finished cycles of the same kind,
//! up to the one asked about. Units only: a person's pattern is not shown here.

use crate::error::{AppError, Result};
use crate::goals::snapshot::kr_row_score;
use crate::{Actor, App};
use serde::Serialize;
use std::collections::HashMap;
use tandem_domain::Lang;
use tandem_domain::ambition::{self, Calibration, CycleOutcomes, Outcome, WINDOW};
use tandem_domain::goal::ObjectiveKind;
use tandem_store::cycles::CycleRow;

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

    /// Every unit with key results in the finished cycles of `cycle`'s kind up to it (at most
    /// the last three), calibrated.
    pub async fn ambition(&self, a: &Actor, cycle: i64, lang: Lang) -> Result<Vec<UnitAmbition>> {
        let finished = self.finished_cycles(a.tenant.0, cycle, WINDOW).await?;
        let v = self.views(a.tenant.0).await?;
        // Per unit, per finished cycle, the outcomes of its own key results.
        let mut by_unit: HashMap<i64, Vec<Vec<Outcome>>> = HashMap::new();
        for (i, c) in finished.iter().enumerate() {
            for o in v.goals.objectives.iter().filter(|o| o.cycle_id == c.id && o.status == "published") {
                let Some(unit) = v.org.unit_of_owner(&o.owner_type, o.owner_id) else { continue };
                let committed = ObjectiveKind::parse("kind", &o.kind).is_ok_and(|k| k == ObjectiveKind::Committed);
                let slots = by_unit.entry(unit).or_insert_with(|| vec![vec![]; finished.len()]);
                for k in v.goals.key_results_of(o.id) {
                    let start_confidence = v
                        .goals
                        .check_ins
                        .get(&k.id)
                        .and_then(|h| h.iter().find(|(_, _, c)| *c >= 0))
                        .and_then(|(_, _, c)| u8::try_from(*c).ok());
                    slots[i].push(Outcome { committed, score: kr_row_score(k), start_confidence });
                }
            }
        }
        let mut out: Vec<UnitAmbition> = by_unit
            .into_iter()
            .filter_map(|(unit, slots)| {
                let history: Vec<CycleOutcomes> = finished
                    .iter()
                    .zip(slots)
                    .filter(|(_, outcomes)| !outcomes.is_empty())
                    .map(|(c, outcomes)| CycleOutcomes { cycle: c.name.clone(), outcomes })
                    .collect();
                let u = v.org.unit(unit)?;
                Some(UnitAmbition { unit, unit_name: u.name.clone(), calibration: ambition::calibrate(&history, lang) })
            })
            .collect();
        out.sort_by_key(|u| u.unit);
        Ok(out)
    }
}
