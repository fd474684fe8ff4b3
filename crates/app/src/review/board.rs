//! The review of a unit's cycle in one place: every objective of the unit, the units below it and
//! their people, with its computed, self and final score and where its retro stands, and who
//! still owes a retro or an acknowledgement.

use crate::error::{AppError, Result};
use crate::goals::snapshot::kr_rule_score;
use crate::org::owners::{owner_name, owner_of};
use crate::{Actor, App};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use tandem_domain::ids::OrgUnitId;
use tandem_domain::policy;
use tandem_domain::retro::Retro;
use tandem_domain::rollup::weighted_mean;
use tandem_store::reviews;

/// Where a retro stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetroState {
    Missing,
    Written,
    Acknowledged,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BoardRow {
    pub objective: i64,
    pub title: String,
    pub kind: String,
    pub owner_name: String,
    /// The rule's score of the frozen values (weighted like the roll-up).
    pub computed: Option<f64>,
    /// The mean of the owner's self scores, when any were given.
    pub self_score: Option<f64>,
    /// The score that counts: with the manager's final scores where set.
    pub final_score: Option<f64>,
    pub retro: RetroState,
    /// Causes and lessons written.
    pub causes: usize,
    pub lessons: usize,
}

/// A person and how many retros they owe (to write, or to acknowledge).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Owed {
    pub person: i64,
    pub name: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Board {
    pub cycle: i64,
    pub cycle_state: String,
    pub unit: i64,
    pub unit_name: String,
    pub rows: Vec<BoardRow>,
    /// Owners whose retros are not written yet.
    pub to_write: Vec<Owed>,
    /// Managers with written retros to acknowledge.
    pub to_acknowledge: Vec<Owed>,
}

/// The unit a review opens on when none is asked for: the person's own, else the top of the org.
pub fn home_unit(org: &crate::org::chart::OrgSnapshot, person: i64) -> Option<i64> {
    org.person(person).and_then(|p| p.org_unit_id).or_else(|| org.tree.roots().first().map(|r| r.0))
}

impl App {
    /// The review of `unit` (and the units below it) for `cycle`: objectives the caller may see.
    pub async fn review_board(&self, a: &Actor, cycle: i64, unit: i64) -> Result<Board> {
        // Which objectives are on it, then their retros and frozen values alone.
        let ids: Vec<i64> = {
            let v = self.views(a.tenant.0).await?;
            v.org.unit(unit).ok_or(AppError::NotFound)?;
            v.goals.cycle_states.get(&cycle).ok_or(AppError::NotFound)?;
            let units: HashSet<i64> = v.org.tree.subtree(OrgUnitId(unit)).into_iter().map(|x| x.0).collect();
            v.goals
                .objectives
                .iter()
                .filter(|o| o.cycle_id == cycle && o.status == "published")
                .filter(|o| v.org.unit_of_owner(&o.owner_type, o.owner_id).is_some_and(|x| units.contains(&x)))
                .filter(|o| Self::visible(a, o, &v.org))
                .map(|o| o.id)
                .collect()
        };
        let (retros, finals) = tokio::try_join!(
            async { Ok::<_, AppError>(reviews::retros_of_objectives(&self.db, a.tenant.0, &ids).await?) },
            async { Ok::<_, AppError>(reviews::finals_of_objectives(&self.db, a.tenant.0, &ids).await?) },
        )?;
        let v = self.views(a.tenant.0).await?;
        let u = v.org.unit(unit).ok_or(AppError::NotFound)?;
        let state = v.goals.cycle_states.get(&cycle).cloned().ok_or(AppError::NotFound)?;
        let retros: HashMap<i64, &reviews::RetroRow> = retros.iter().map(|r| (r.objective_id, r)).collect();
        let frozen: HashMap<i64, f64> = finals.iter().map(|f| (f.kr_id, f.value)).collect();
        let owing = crate::review::retros::in_review(&state);
        let mut rows = vec![];
        let (mut to_write, mut to_ack): (BTreeMap<i64, usize>, BTreeMap<i64, usize>) = Default::default();
        for o in ids.iter().filter_map(|&id| v.goals.objective(id)) {
            let krs: Vec<_> = v.goals.key_results_of(o.id).collect();
            let retro = retros.get(&o.id);
            let ids: Vec<i64> = krs.iter().map(|k| k.id).collect();
            let doc: Option<Retro> =
                retro.and_then(|r| crate::review::retros::stored_input(r)).and_then(|i| Retro::parse(&i, &ids).ok());
            let computed = weighted_mean(
                krs.iter().map(|k| (k.weight, kr_rule_score(k, frozen.get(&k.id).copied().unwrap_or(k.current)))),
            );
            let self_score = doc.as_ref().and_then(|i| {
                let n = i.self_scores.len();
                (n > 0).then(|| i.self_scores.iter().map(|s| s.score).sum::<f64>() / n as f64)
            });
            let owner = owner_of(&o.owner_type, o.owner_id);
            let lead = policy::owner_lead(owner, &v.org.tree);
            let written = doc.as_ref().is_some_and(Retro::is_written);
            let retro_state = match retro {
                Some(r) if r.acknowledged_by.is_some() => RetroState::Acknowledged,
                Some(_) if written => RetroState::Written,
                _ => RetroState::Missing,
            };
            // Nothing is owed before the cycle goes into review.
            match retro_state {
                _ if !owing => {}
                RetroState::Missing => {
                    if let Some(l) = lead {
                        *to_write.entry(l.0).or_default() += 1;
                    }
                }
                RetroState::Written => {
                    if let Some(m) = lead.and_then(|l| v.org.tree.manager_of(l)) {
                        *to_ack.entry(m.0).or_default() += 1;
                    }
                }
                RetroState::Acknowledged => {}
            }
            rows.push(BoardRow {
                objective: o.id,
                title: o.title.clone(),
                kind: o.kind.clone(),
                owner_name: owner_name(owner, &v.org),
                computed,
                self_score,
                final_score: v.goals.scores(o.id).0,
                retro: retro_state,
                causes: doc.as_ref().map_or(0, |i| i.causes.len()),
                lessons: doc.as_ref().map_or(0, |i| i.lessons.len()),
            });
        }
        let owed = |m: BTreeMap<i64, usize>| -> Vec<Owed> {
            m.into_iter()
                .map(|(p, count)| Owed {
                    person: p,
                    name: v.org.person(p).map(|p| p.name.clone()).unwrap_or_default(),
                    count,
                })
                .collect()
        };
        Ok(Board {
            cycle,
            cycle_state: state,
            unit,
            unit_name: u.name.clone(),
            rows,
            to_write: owed(to_write),
            to_acknowledge: owed(to_ack),
        })
    }
}
