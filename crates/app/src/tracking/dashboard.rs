//! The company dashboard: per org unit, its score and band, how its objectives spread over the
//! bands, and the red lights the caller may see. A private KPI shows up only as a red light to
//! those in its circle; no number of it is aggregated here.

use crate::error::Result;
use crate::goals::objectives::ObjectiveFilter;
use crate::org::owners::owner_of;
use crate::{Actor, App};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
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

/// A unit's tree kept for every caller (see `App::unit_tree`).
pub(crate) struct SharedTree {
    goals_version: i64,
    /// The org it was built with, not kept alive by it (256 trees must not hold 256 old org
    /// charts); its allocation stays reserved while this points at it, so a new org is never
    /// mistaken for it.
    org: std::sync::Weak<crate::org::chart::OrgSnapshot>,
    bands: tandem_domain::score::BandThresholds,
    nodes: Arc<Vec<TreeNode>>,
}

/// A shared tree is kept only up to this many nodes (a department's is about a thousand; a
/// 100,000-person company's whole tree is close to a million), and no more than this many trees
/// per server, after which the kept ones are dropped and kept again as they are asked for.
const SHARED_TREE_MAX_NODES: usize = 20_000;
const SHARED_TREES_MAX: usize = 256;

/// The unit a goal's owner belongs to: the unit itself, or the person's unit.
fn unit_of_owner(owner_type: &str, owner_id: i64, org: &crate::org::chart::OrgSnapshot) -> Option<OrgUnitId> {
    match owner_of(owner_type, owner_id) {
        Owner::OrgUnit(x) => Some(x),
        Owner::Person(p) => org.tree.unit_of(p),
    }
}

/// A cycle's published objectives' roll-ups summed per org unit: what the heat map shows. The
/// same for every caller (published goals are public to the whole company), so it is computed
/// once per goals version, org, band thresholds and cycle, and every request after that only
/// adds the red lights its caller may see: O(units), not O(objectives).
pub(crate) struct UnitScores {
    goals_version: i64,
    org: std::sync::Arc<crate::org::chart::OrgSnapshot>,
    bands: tandem_domain::score::BandThresholds,
    cycle: i64,
    rows: Vec<UnitRow>,
}

/// What dashboards keep between requests: the same for every caller until the goals, the org or
/// the bands move.
#[derive(Default)]
pub(crate) struct Kept {
    /// Units' trees shared by every caller, by (tenant, unit, cycle) (see `App::unit_tree`).
    trees: std::sync::Mutex<HashMap<(i64, i64, i64), Arc<SharedTree>>>,
    /// Per tenant, the heat map's per-unit scores last computed (see `App::dashboard`).
    heat: std::sync::Mutex<HashMap<i64, Arc<UnitScores>>>,
}

impl App {
    /// The units with their scores, and the red lights the caller may see (read once, used for both).
    pub async fn dashboard(
        &self,
        a: &Actor,
        cycle: i64,
    ) -> Result<(Vec<UnitRow>, Vec<crate::tracking::alerts::AlertView>)> {
        let alerts = self.list_alerts(a).await?;
        let crate::goals::projection::Views { goals, org, bands } = self.views(a.tenant.0).await?;
        let cached = self.dashboards.heat.lock().ok().and_then(|h| h.get(&a.tenant.0).cloned()).filter(|h| {
            h.goals_version == goals.version
                && std::sync::Arc::ptr_eq(&h.org, &org)
                && h.bands == bands
                && h.cycle == cycle
        });
        let scores = match cached {
            Some(h) => h,
            None => {
                let fresh = std::sync::Arc::new(UnitScores {
                    goals_version: goals.version,
                    org: org.clone(),
                    bands,
                    cycle,
                    rows: Self::unit_scores(&goals, &org, bands, cycle),
                });
                if let Ok(mut h) = self.dashboards.heat.lock() {
                    h.insert(a.tenant.0, fresh.clone());
                }
                fresh
            }
        };
        // A key result's red light goes to the unit of its objective (when the objective is one
        // of the cycle's published ones); a KPI's to the unit of its owner.
        let mut lights: std::collections::HashMap<OrgUnitId, Vec<i64>> = Default::default();
        for al in &alerts {
            let unit = match al.objective {
                Some(o) => goals
                    .objective(o)
                    .filter(|o| o.cycle_id == cycle && o.status == "published")
                    .and_then(|o| unit_of_owner(&o.owner_type, o.owner_id, &org)),
                None => al.owner.and_then(|p| org.tree.unit_of(tandem_domain::ids::PersonId(p))),
            };
            if let Some(u) = unit {
                lights.entry(u).or_default().push(al.id);
            }
        }
        drop(goals);
        let units = scores
            .rows
            .iter()
            .map(|r| UnitRow { red_lights: lights.remove(&OrgUnitId(r.id)).unwrap_or_default(), ..r.clone() })
            .collect();
        Ok((units, alerts))
    }

    /// Each unit's mean roll-up and band counts over the cycle's published objectives it and
    /// its people own, in depth-first order (no red lights).
    fn unit_scores(
        goals: &crate::goals::snapshot::GoalSnapshot,
        org: &crate::org::chart::OrgSnapshot,
        bands: tandem_domain::score::BandThresholds,
        cycle: i64,
    ) -> Vec<UnitRow> {
        // One pass over the projection, not one per unit, and no objective is rendered.
        let mut by_unit: std::collections::HashMap<OrgUnitId, Vec<f64>> = Default::default();
        for o in goals.objectives.iter().filter(|o| o.cycle_id == cycle && o.status == "published") {
            if let Some(u) = unit_of_owner(&o.owner_type, o.owner_id, org) {
                by_unit.entry(u).or_default().push(goals.scores(o.id).1.unwrap_or(0.0));
            }
        }
        org.tree
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
                    red_lights: vec![],
                })
            })
            .collect()
    }

    /// A unit's tree as a dashboard draws it: the objectives of the unit, the units below it and
    /// their people, each with its score, roll-up and band, and each key result with its value,
    /// target, score and band. Straight from the live projection: nothing is rendered beyond it.
    ///
    /// When none of the unit's objectives of the cycle is a draft, every caller sees the same
    /// nodes (only drafts are private), so a department-sized answer is kept and shared per
    /// goals version, org, bands, unit and cycle: the same `Arc` until something it is made of
    /// changes (the API keeps the rendered JSON beside it).
    pub async fn unit_tree(&self, a: &Actor, unit: i64, cycle: i64) -> Result<Arc<Vec<TreeNode>>> {
        let crate::goals::projection::Views { goals, org, bands } = self.views(a.tenant.0).await?;
        // Every cycle has its span in the projection: an unknown one is not found.
        if org.unit(unit).is_none() || !goals.spans.contains_key(&cycle) {
            return Err(crate::AppError::NotFound);
        }
        let key = (a.tenant.0, unit, cycle);
        let kept = self.dashboards.trees.lock().ok().and_then(|t| t.get(&key).cloned()).filter(|t| {
            t.goals_version == goals.version
                && std::sync::Weak::ptr_eq(&t.org, &Arc::downgrade(&org))
                && t.bands == bands
        });
        if let Some(t) = kept {
            return Ok(t.nodes.clone());
        }
        let shared = Self::unit_places(unit, &goals, &org).into_iter().all(|i| {
            let o = &goals.objectives[i];
            o.cycle_id != cycle || o.ever_published()
        });
        let nodes = Arc::new(Self::tree_nodes(a, unit, cycle, &goals, &org, bands));
        if shared && nodes.len() <= SHARED_TREE_MAX_NODES {
            let kept = Arc::new(SharedTree {
                goals_version: goals.version,
                org: Arc::downgrade(&org),
                bands,
                nodes: nodes.clone(),
            });
            if let Ok(mut t) = self.dashboards.trees.lock() {
                if t.len() >= SHARED_TREES_MAX {
                    t.clear();
                }
                t.insert(key, kept);
            }
        }
        Ok(nodes)
    }

    fn tree_nodes(
        a: &Actor,
        unit: i64,
        cycle: i64,
        goals: &crate::goals::snapshot::GoalSnapshot,
        org: &crate::org::chart::OrgSnapshot,
        bands: tandem_domain::score::BandThresholds,
    ) -> Vec<TreeNode> {
        let f = ObjectiveFilter { cycle: Some(cycle), unit: Some(unit), ..Default::default() };
        let mut out = vec![];
        for o in Self::matching(a, &f, goals, org) {
            let (score, rollup) = goals.scores(o.id);
            out.push(TreeNode {
                kind: "objective",
                id: o.id,
                parent: o.parent_id,
                title: o.title.clone(),
                owner_name: crate::org::owners::owner_name(owner_of(&o.owner_type, o.owner_id), org),
                status: Some(o.status.clone()),
                current: None,
                target: None,
                score: score.unwrap_or(0.0),
                rollup: Some(rollup.unwrap_or(0.0)),
                band: bands.band(rollup.unwrap_or(0.0)),
            });
            for k in goals.key_results_of(o.id) {
                let s = crate::goals::snapshot::kr_row_score(k);
                out.push(TreeNode {
                    kind: "key_result",
                    id: k.id,
                    parent: Some(o.id),
                    title: k.title.clone(),
                    owner_name: String::new(),
                    status: None,
                    current: Some(k.current),
                    target: Some(k.target),
                    score: s,
                    rollup: None,
                    band: bands.band(s),
                });
            }
        }
        out
    }
}

/// One node of a unit's tree: an objective (its parent is the objective it aligns to) or a key
/// result (its parent is its objective).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TreeNode {
    /// `objective` or `key_result`.
    pub kind: &'static str,
    pub id: i64,
    pub parent: Option<i64>,
    pub title: String,
    /// An objective's owner (empty for a key result).
    pub owner_name: String,
    /// An objective's status.
    pub status: Option<String>,
    /// A key result's value and target.
    pub current: Option<f64>,
    pub target: Option<f64>,
    pub score: f64,
    /// An objective's roll-up with everything aligned below it.
    pub rollup: Option<f64>,
    /// The band of the roll-up (objective) or score (key result).
    pub band: Band,
}
