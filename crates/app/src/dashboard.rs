//! The company dashboard: per org unit, its score and band, how its objectives spread over the
//! bands, and the red lights the caller may see. A private KPI shows up only as a red light to
//! those in its circle; no number of it is aggregated here.

use crate::error::Result;
use crate::goals::owner_of;
use crate::{Actor, App};
use serde::Serialize;
use tandem_domain::goal::Owner;
use tandem_domain::ids::OrgUnitId;
use tandem_domain::score::Band;

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct BandCounts {
    pub red: usize,
    pub yellow: usize,
    pub green: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnitRow {
    pub id: i64,
    pub name: String,
    pub parent: Option<i64>,
    pub depth: usize,
    /// Mean roll-up of the objectives the unit and its people own (none: no objectives).
    pub score: Option<f64>,
    pub band: Option<Band>,
    pub counts: BandCounts,
    /// Red lights on the unit's and its people's goals that the caller may see: alert ids.
    pub red_lights: Vec<i64>,
}

impl App {
    /// The units with their scores, and the red lights the caller may see (read once, used for both).
    pub async fn dashboard(&self, a: &Actor, cycle: i64) -> Result<(Vec<UnitRow>, Vec<crate::alerts::AlertView>)> {
        let alerts = self.list_alerts(a).await?;
        let crate::live::Views { goals, org, bands } = self.views(a.tenant.0).await?;
        // Each unit's published objectives' roll-ups, and each objective's unit: one pass over
        // the projection, not one per unit, and no objective is rendered.
        let mut by_unit: std::collections::HashMap<OrgUnitId, Vec<f64>> = Default::default();
        let mut unit_of_objective: std::collections::HashMap<i64, OrgUnitId> = Default::default();
        for o in goals.objectives.iter().filter(|o| o.cycle_id == cycle && o.status == "published") {
            if !Self::visible(a, o, &org) {
                continue;
            }
            let unit = match owner_of(&o.owner_type, o.owner_id) {
                Owner::OrgUnit(x) => Some(x),
                Owner::Person(p) => org.tree.unit_of(p),
            };
            if let Some(u) = unit {
                by_unit.entry(u).or_default().push(goals.scores(o.id).1.unwrap_or(0.0));
                unit_of_objective.insert(o.id, u);
            }
        }
        let mut lights: std::collections::HashMap<OrgUnitId, Vec<i64>> = Default::default();
        for al in &alerts {
            let unit = match al.objective {
                Some(o) => unit_of_objective.get(&o).copied(),
                None => al.owner.and_then(|p| org.tree.unit_of(tandem_domain::ids::PersonId(p))),
            };
            if let Some(u) = unit {
                lights.entry(u).or_default().push(al.id);
            }
        }
        let units = org
            .tree
            .walk()
            .into_iter()
            .filter_map(|(uid, depth)| {
                let u = org.unit(uid.0)?;
                let mine: &[f64] = by_unit.get(&uid).map(Vec::as_slice).unwrap_or(&[]);
                let score = tandem_domain::rollup::weighted_mean(mine.iter().map(|&r| (1.0, r)));
                let mut counts = BandCounts::default();
                for &r in mine {
                    match bands.band(r) {
                        Band::Red => counts.red += 1,
                        Band::Yellow => counts.yellow += 1,
                        Band::Green => counts.green += 1,
                    }
                }
                Some(UnitRow {
                    id: u.id,
                    name: u.name.clone(),
                    parent: u.parent_id,
                    depth,
                    score,
                    band: score.map(|s| bands.band(s)),
                    counts,
                    red_lights: lights.remove(&uid).unwrap_or_default(),
                })
            })
            .collect();
        Ok((units, alerts))
    }
}
