//! Scores and roll-ups as a compact in-memory graph, updated incrementally.
//!
//! An objective's own score is the weighted mean of its key results. Its roll-up is the
//! weighted mean of its own score (weight 1, when it has key results) and of the roll-ups of
//! the objectives aligned to it. A node with neither counts for nothing upstream, so an empty
//! draft does not drag its parent to red.
//!
//! Each node keeps the sums its roll-up is made of and the contribution it last handed to its
//! parent. A changed key result updates its objective, then walks up only as long as a
//! contribution actually changed: a check-in costs O(depth), reads cost O(1).

use crate::{Invalid, Rule};

const NONE: u32 = u32::MAX;
const EPS: f64 = 1e-9;

#[derive(Debug, Clone, Default)]
pub struct ScoreGraph {
    parent: Vec<u32>,
    weight: Vec<f64>,
    own_sum: Vec<f64>,
    own_w: Vec<f64>,
    child_sum: Vec<f64>,
    child_w: Vec<f64>,
    /// What the node currently adds to its parent's sums: (weight, weight × roll-up).
    contrib: Vec<(f64, f64)>,
    kr_node: Vec<u32>,
    kr_weight: Vec<f64>,
    kr_score: Vec<f64>,
}

impl ScoreGraph {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn objective_count(&self) -> usize {
        self.parent.len()
    }

    pub fn key_result_count(&self) -> usize {
        self.kr_node.len()
    }

    /// Adds an objective aligned under `parent` with its weight in the parent's roll-up.
    pub fn add_objective(&mut self, parent: Option<usize>, weight: f64) -> usize {
        let id = self.parent.len();
        self.parent.push(parent.map_or(NONE, |p| p as u32));
        self.weight.push(weight);
        self.own_sum.push(0.0);
        self.own_w.push(0.0);
        self.child_sum.push(0.0);
        self.child_w.push(0.0);
        self.contrib.push((0.0, 0.0));
        id
    }

    /// Adds a key result to an objective and rolls its score up.
    pub fn add_key_result(&mut self, objective: usize, weight: f64, score: f64) -> usize {
        let id = self.kr_node.len();
        self.kr_node.push(objective as u32);
        self.kr_weight.push(weight);
        self.kr_score.push(0.0);
        self.own_w[objective] += weight;
        self.set_key_result_score(id, score);
        self.propagate(objective);
        id
    }

    /// A key result's new score (a check-in); updates every ancestor that changes.
    pub fn set_key_result_score(&mut self, kr: usize, score: f64) {
        let score = if score.is_finite() { score.clamp(0.0, 1.0) } else { 0.0 };
        let node = self.kr_node[kr] as usize;
        self.own_sum[node] += self.kr_weight[kr] * (score - self.kr_score[kr]);
        self.kr_score[kr] = score;
        self.propagate(node);
    }

    /// A key result's new weight in its objective (0: it counts for nothing, as a key result not
    /// yet started); updates every ancestor that changes.
    pub fn set_key_result_weight(&mut self, kr: usize, weight: f64) {
        let weight = if weight.is_finite() { weight.max(0.0) } else { 0.0 };
        let node = self.kr_node[kr] as usize;
        let old = self.kr_weight[kr];
        self.own_w[node] += weight - old;
        self.own_sum[node] += (weight - old) * self.kr_score[kr];
        // Sums kept by deltas may leave a residue of rounding when the last weight leaves.
        if self.own_w[node] < EPS {
            self.own_w[node] = 0.0;
            self.own_sum[node] = 0.0;
        }
        self.kr_weight[kr] = weight;
        self.propagate(node);
    }

    pub fn key_result_score(&self, kr: usize) -> f64 {
        self.kr_score[kr]
    }

    /// Re-aligns an objective under a new parent, refusing a loop.
    pub fn set_parent(&mut self, node: usize, parent: Option<usize>) -> Result<(), Invalid> {
        if let Some(p) = parent {
            let mut cur = p as u32;
            while cur != NONE {
                if cur as usize == node {
                    return Err(Invalid::new("parent", Rule::AlignmentLoop));
                }
                cur = self.parent[cur as usize];
            }
        }
        let (w, s) = self.contrib[node];
        let old = self.parent[node];
        if old != NONE {
            self.child_w[old as usize] -= w;
            self.child_sum[old as usize] -= s;
            self.propagate(old as usize);
        }
        self.parent[node] = parent.map_or(NONE, |p| p as u32);
        if let Some(p) = parent {
            self.child_w[p] += w;
            self.child_sum[p] += s;
            self.propagate(p);
        }
        Ok(())
    }

    /// The objective's own score (weighted mean of its key results), if it has any.
    pub fn score(&self, node: usize) -> Option<f64> {
        (self.own_w[node] > 0.0).then(|| clamp01(self.own_sum[node] / self.own_w[node]))
    }

    /// The objective's roll-up, if anything below it (or itself) is scored.
    pub fn rollup(&self, node: usize) -> Option<f64> {
        let (w, s) = self.totals(node);
        (w > 0.0).then(|| clamp01(s / w))
    }

    fn totals(&self, node: usize) -> (f64, f64) {
        // Sums kept by deltas may leave a residue of rounding when the last child leaves.
        let (mut w, mut s) =
            if self.child_w[node] > EPS { (self.child_w[node], self.child_sum[node]) } else { (0.0, 0.0) };
        if let Some(own) = self.score(node) {
            w += 1.0;
            s += own;
        }
        (w, s)
    }

    fn propagate(&mut self, mut node: usize) {
        loop {
            let new = match self.rollup(node) {
                Some(r) => (self.weight[node], self.weight[node] * r),
                None => (0.0, 0.0),
            };
            let old = self.contrib[node];
            if new == old {
                return;
            }
            self.contrib[node] = new;
            let p = self.parent[node];
            if p == NONE {
                return;
            }
            let p = p as usize;
            self.child_w[p] += new.0 - old.0;
            self.child_sum[p] += new.1 - old.1;
            node = p;
        }
    }

    /// Every roll-up computed from nothing but the key results and the links: the reference
    /// the incremental updates are tested against, and a repair after a bulk load.
    pub fn rollups_from_scratch(&self) -> Vec<Option<f64>> {
        let n = self.parent.len();
        let mut own_sum = vec![0.0; n];
        let mut own_w = vec![0.0; n];
        for k in 0..self.kr_node.len() {
            let o = self.kr_node[k] as usize;
            own_sum[o] += self.kr_weight[k] * self.kr_score[k];
            own_w[o] += self.kr_weight[k];
        }
        // Children before parents: order nodes by depth, deepest first.
        let depth: Vec<usize> = (0..n)
            .map(|i| {
                let mut d = 0;
                let mut cur = self.parent[i];
                while cur != NONE {
                    d += 1;
                    cur = self.parent[cur as usize];
                }
                d
            })
            .collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|a, b| depth[*b].cmp(&depth[*a]));
        let mut child_sum = vec![0.0; n];
        let mut child_w = vec![0.0; n];
        let mut out = vec![None; n];
        for i in order {
            let (mut w, mut s) = (child_w[i], child_sum[i]);
            if own_w[i] > 0.0 {
                w += 1.0;
                s += clamp01(own_sum[i] / own_w[i]);
            }
            let r = (w > 0.0).then(|| clamp01(s / w));
            out[i] = r;
            let p = self.parent[i];
            if let Some(r) = r.filter(|_| p != NONE) {
                child_w[p as usize] += self.weight[i];
                child_sum[p as usize] += self.weight[i] * r;
            }
        }
        out
    }
}

fn clamp01(x: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
}

/// The weighted mean of `(weight, value)` pairs; `None` when the weights add to nothing.
pub fn weighted_mean(items: impl IntoIterator<Item = (f64, f64)>) -> Option<f64> {
    let (w, s) = items.into_iter().fold((0.0, 0.0), |(w, s), (wi, vi)| (w + wi, s + wi * vi));
    (w > 0.0).then(|| s / w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn objective_score_is_weighted_mean_of_krs() {
        let mut g = ScoreGraph::new();
        let o = g.add_objective(None, 1.0);
        assert_eq!(g.score(o), None);
        assert_eq!(g.rollup(o), None);
        g.add_key_result(o, 1.0, 0.2);
        g.add_key_result(o, 3.0, 0.6);
        assert!((g.score(o).unwrap_or(-1.0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn parent_rolls_up_children_and_ignores_empty_ones() {
        let mut g = ScoreGraph::new();
        let company = g.add_objective(None, 1.0);
        let east = g.add_objective(Some(company), 1.0);
        let west = g.add_objective(Some(company), 1.0);
        let _empty = g.add_objective(Some(company), 1.0);
        let k1 = g.add_key_result(east, 1.0, 0.8);
        g.add_key_result(west, 1.0, 0.4);
        assert!((g.rollup(company).unwrap_or(-1.0) - 0.6).abs() < 1e-12);
        g.set_key_result_score(k1, 0.0);
        assert!((g.rollup(company).unwrap_or(-1.0) - 0.2).abs() < 1e-12);
        g.set_parent(west, None).ok();
        assert!((g.rollup(company).unwrap_or(-1.0)).abs() < 1e-12);
        assert!(g.set_parent(company, Some(east)).is_err(), "no loops");
    }

    #[test]
    fn equal_children_roll_up_to_the_child() {
        let mut g = ScoreGraph::new();
        let p = g.add_objective(None, 1.0);
        for w in [1.0, 2.0, 5.0] {
            let c = g.add_objective(Some(p), w);
            g.add_key_result(c, 1.0, 0.37);
        }
        assert!((g.rollup(p).unwrap_or(-1.0) - 0.37).abs() < 1e-12);
    }

    #[derive(Debug, Clone)]
    enum Op {
        AddObjective {
            parent: usize,
            weight: f64,
        },
        AddKr {
            node: usize,
            weight: f64,
            score: f64,
        },
        Score {
            kr: usize,
            score: f64,
        },
        Move {
            node: usize,
            parent: usize,
        },
        /// A key result started (its weight given) or not (weight 0).
        Weight {
            kr: usize,
            weight: f64,
        },
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(
            prop_oneof![
                (any::<usize>(), 0.1f64..5.0).prop_map(|(parent, weight)| Op::AddObjective { parent, weight }),
                (any::<usize>(), 0.1f64..5.0, 0.0f64..=1.0)
                    .prop_map(|(node, weight, score)| { Op::AddKr { node, weight, score } }),
                (any::<usize>(), -0.5f64..1.5).prop_map(|(kr, score)| Op::Score { kr, score }),
                (any::<usize>(), any::<usize>()).prop_map(|(node, parent)| Op::Move { node, parent }),
                (any::<usize>(), prop_oneof![Just(0.0), 0.1f64..5.0])
                    .prop_map(|(kr, weight)| Op::Weight { kr, weight }),
            ],
            1..200,
        )
    }

    proptest! {
        #[test]
        fn incremental_rollups_equal_a_recomputation(ops in ops()) {
            let mut g = ScoreGraph::new();
            g.add_objective(None, 1.0);
            for op in ops {
                let n = g.objective_count();
                match op {
                    // parent index n means "no parent"
                    Op::AddObjective { parent, weight } => {
                        let p = parent % (n + 1);
                        g.add_objective((p < n).then_some(p), weight);
                    }
                    Op::AddKr { node, weight, score } => { g.add_key_result(node % n, weight, score); }
                    Op::Score { kr, score } => {
                        if g.key_result_count() > 0 { g.set_key_result_score(kr % g.key_result_count(), score); }
                    }
                    Op::Move { node, parent } => {
                        let p = parent % (n + 1);
                        let _ = g.set_parent(node % n, (p < n).then_some(p));
                    }
                    Op::Weight { kr, weight } => {
                        if g.key_result_count() > 0 { g.set_key_result_weight(kr % g.key_result_count(), weight); }
                    }
                }
            }
            let fresh = g.rollups_from_scratch();
            for (i, want) in fresh.iter().enumerate() {
                let got = g.rollup(i);
                prop_assert_eq!(got.is_some(), want.is_some(), "node {}", i);
                if let (Some(a), Some(b)) = (got, want) {
                    prop_assert!((a - b).abs() < 1e-9, "node {}: {} vs {}", i, a, b);
                    prop_assert!((0.0..=1.0).contains(&a));
                }
            }
        }

        #[test]
        fn weighted_mean_of_equal_values_is_the_value(v in 0.0f64..=1.0, ws in prop::collection::vec(0.01f64..100.0, 1..20)) {
            let m = weighted_mean(ws.iter().map(|w| (*w, v))).unwrap_or(-1.0);
            prop_assert!((m - v).abs() < 1e-9);
        }
    }
}
