//! Whole-tenant questions: goal search (Chinese and English) over what the caller may see, and
//! the end-of-cycle scoring report (every person's and every unit's OKR score). Both read the
//! goal projection; neither runs a query per object.

use crate::error::Result;
use crate::{Actor, App};
use serde::Serialize;
use std::collections::HashMap;
use tandem_domain::goal::Owner;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchHit {
    /// `objective` or `key_result`.
    pub kind: &'static str,
    pub id: i64,
    pub objective: i64,
    pub title: String,
    pub owner_name: String,
    pub cycle: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ScoreLine {
    pub id: i64,
    pub name: String,
    /// Mean roll-up of the published objectives counted (none: no objectives).
    pub score: Option<f64>,
    pub objectives: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CycleScores {
    /// Each person's own objectives.
    pub people: Vec<ScoreLine>,
    /// Each unit with everything below it: its own objectives, its people's, its sub-units'.
    pub units: Vec<ScoreLine>,
}

impl App {
    /// The best `limit` objectives and key results the caller may see whose titles hold `q`.
    pub async fn search_goals(&self, a: &Actor, q: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let q = q.trim().to_lowercase();
        if q.is_empty() {
            return Ok(vec![]);
        }
        let crate::goals::projection::Views { goals, org, .. } = self.views(a.tenant.0).await?;
        // The index answers in rank order; visibility is asked only of what matches (once per
        // objective), names only of what is answered.
        let (index, entries) = &*goals.search;
        let mut seen_visible: HashMap<usize, bool> = HashMap::new();
        let hits = index.search(&q, limit.clamp(1, 100), |e| {
            let oi = entries[e].0;
            let o = &goals.objectives[oi];
            o.status != "archived" && *seen_visible.entry(oi).or_insert_with(|| Self::visible(a, o, &org))
        });
        Ok(hits
            .into_iter()
            .map(|(_, e)| {
                let (oi, ki) = entries[e];
                let o = &goals.objectives[oi];
                let owner_name =
                    crate::org::owners::owner_name(crate::org::owners::owner_of(&o.owner_type, o.owner_id), &org);
                match ki {
                    None => SearchHit {
                        kind: "objective",
                        id: o.id,
                        objective: o.id,
                        title: o.title.clone(),
                        owner_name,
                        cycle: o.cycle_id,
                    },
                    Some(j) => {
                        let k = &goals.key_results[j];
                        SearchHit {
                            kind: "key_result",
                            id: k.id,
                            objective: o.id,
                            title: k.title.clone(),
                            owner_name,
                            cycle: o.cycle_id,
                        }
                    }
                }
            })
            .collect())
    }

    /// Every person's and unit's score in a cycle, from the published objectives the caller
    /// may see (published objectives are public, so this is the same for everyone).
    pub async fn cycle_scores(&self, a: &Actor, cycle: i64) -> Result<CycleScores> {
        self.get_cycle(a, cycle).await?;
        let crate::goals::projection::Views { goals, org, .. } = self.views(a.tenant.0).await?;
        let mut by_person: HashMap<i64, (f64, usize)> = HashMap::new();
        let mut by_unit: HashMap<i64, (f64, usize)> = HashMap::new();
        for o in goals.objectives.iter().filter(|o| o.cycle_id == cycle && o.status == "published") {
            if !Self::visible(a, o, &org) {
                continue;
            }
            let rollup = goals.scores(o.id).1.unwrap_or(0.0);
            let unit = match crate::org::owners::owner_of(&o.owner_type, o.owner_id) {
                Owner::Person(p) => {
                    let e = by_person.entry(p.0).or_default();
                    e.0 += rollup;
                    e.1 += 1;
                    org.tree.unit_of(p)
                }
                Owner::OrgUnit(u) => Some(u),
            };
            if let Some(u) = unit {
                let e = by_unit.entry(u.0).or_default();
                e.0 += rollup;
                e.1 += 1;
            }
        }
        // Each unit takes in its sub-units: children before parents (deepest first).
        let mut order = org.tree.walk();
        order.sort_by_key(|(_, depth)| std::cmp::Reverse(*depth));
        let mut total: HashMap<i64, (f64, usize)> = HashMap::new();
        for (u, _) in &order {
            let own = by_unit.get(&u.0).copied().unwrap_or_default();
            let below = org
                .tree
                .children(*u)
                .iter()
                .filter_map(|c| total.get(&c.0))
                .fold((0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            total.insert(u.0, (own.0 + below.0, own.1 + below.1));
        }
        let line = |id: i64, name: &str, (sum, n): (f64, usize)| ScoreLine {
            id,
            name: name.to_string(),
            score: (n > 0).then(|| sum / n as f64),
            objectives: n,
        };
        Ok(CycleScores {
            people: org
                .people
                .iter()
                .filter(|p| p.active == 1)
                .map(|p| line(p.id, &p.name, by_person.get(&p.id).copied().unwrap_or_default()))
                .collect(),
            units: order
                .iter()
                .rev()
                .filter_map(|(u, _)| {
                    org.unit(u.0).map(|x| line(u.0, &x.name, total.get(&u.0).copied().unwrap_or_default()))
                })
                .collect(),
        })
    }
}
