//! Whole-tenant questions: goal search (Chinese and English) over what the caller may see, and
//! the end-of-cycle scoring report (every person's and every unit's OKR score). Both read the
//! goal projection; neither runs a query per object.

use crate::error::Result;
use crate::goals::ObjectiveFilter;
use crate::{Actor, App};
use serde::Serialize;
use std::collections::HashMap;
use tandem_domain::goal::Owner;

/// A search match before it is answered: its rank (start or not, length, id), its objective's
/// index and its key result's index in the projection.
type Candidate = ((u8, usize, i64), usize, Option<usize>);

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

/// How well `title` answers `q` (lower is better), if it does: case-insensitive substring,
/// with matches at the start first, then shorter titles.
pub fn rank(title: &str, q: &str) -> Option<(u8, usize)> {
    let t = title.to_lowercase();
    let pos = t.find(q)?;
    Some((u8::from(pos != 0), t.chars().count()))
}

impl App {
    /// The best `limit` objectives and key results the caller may see whose titles hold `q`.
    pub async fn search_goals(&self, a: &Actor, q: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let q = q.trim().to_lowercase();
        if q.is_empty() {
            return Ok(vec![]);
        }
        let (goals, org) = tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0))?;
        // One pass over the titles lowercased when the projection was built; visibility is
        // asked only of what matches, names only of what is answered.
        let mut hits: Vec<Candidate> = vec![];
        let mut seen_visible: HashMap<usize, bool> = HashMap::new();
        for (title, oi, ki) in &goals.titles {
            let Some(pos) = title.find(&q) else { continue };
            let o = &goals.objectives[*oi];
            if o.status == "archived" || !*seen_visible.entry(*oi).or_insert_with(|| Self::visible(a, o, &org)) {
                continue;
            }
            let id = ki.map(|j| goals.key_results[j].id).unwrap_or(o.id);
            hits.push(((u8::from(pos != 0), title.chars().count(), id), *oi, *ki));
        }
        let limit = limit.clamp(1, 100);
        if hits.len() > limit {
            hits.select_nth_unstable_by_key(limit - 1, |h| h.0);
            hits.truncate(limit);
        }
        hits.sort_by_key(|h| h.0);
        Ok(hits
            .into_iter()
            .map(|(_, oi, ki)| {
                let o = &goals.objectives[oi];
                let owner_name = crate::goals::owner_name(crate::goals::owner_of(&o.owner_type, o.owner_id), &org);
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
        let filter = ObjectiveFilter { cycle: Some(cycle), ..Default::default() };
        let (objs, org) = tokio::try_join!(self.list_objectives(a, &filter), self.org_snapshot(a.tenant.0))?;
        let mut by_person: HashMap<i64, (f64, usize)> = HashMap::new();
        let mut by_unit: HashMap<i64, (f64, usize)> = HashMap::new();
        for o in objs.iter().filter(|o| o.status == "published") {
            let unit = match o.owner {
                Owner::Person(p) => {
                    let e = by_person.entry(p.0).or_default();
                    e.0 += o.rollup;
                    e.1 += 1;
                    org.tree.unit_of(p)
                }
                Owner::OrgUnit(u) => Some(u),
            };
            if let Some(u) = unit {
                let e = by_unit.entry(u.0).or_default();
                e.0 += o.rollup;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranking() {
        assert_eq!(rank("提升会员复购率", "会员"), Some((1, 7)));
        assert_eq!(rank("会员复购", "会员"), Some((0, 4)));
        assert_eq!(rank("Grow NPS", "nps"), Some((1, 8)));
        assert_eq!(rank("Grow NPS", "churn"), None);
        assert!(rank("会员复购", "会员") < rank("提升会员复购率", "会员"), "a prefix match first");
    }
}
