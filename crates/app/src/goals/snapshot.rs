//! A tenant's goals in memory: objectives, key results, owners, links, check-ins and cycle
//! spans, with every score and roll-up in a `ScoreGraph`. Built from rows and kept current by
//! [`super::projection`]; everything that reads goals reads this.

use std::collections::HashMap;
use std::sync::Arc;
use tandem_domain::goal::ObjectiveKind;
use tandem_domain::rollup::ScoreGraph;
use tandem_domain::score::{Measure, kr_score};
use tandem_domain::search::SearchIndex;
use tandem_store::goals::{KeyResultRow, KrOwnerRow, ObjectiveRow, SupportRow};

/// The roll-up graph of a tenant's goals, with each key result weighted and scored by `kr`
/// (weight 0: not started). Archived objectives drop out of every roll-up.
/// Also answers each key result's slot in the graph, by its place in `key_results`.
fn score_graph(
    objectives: &[ObjectiveRow],
    key_results: &[KeyResultRow],
    kr: impl Fn(&KeyResultRow) -> (f64, f64),
) -> (ScoreGraph, HashMap<i64, usize>, Vec<Option<usize>>) {
    let mut graph = ScoreGraph::new();
    let mut node_of = HashMap::new();
    for o in objectives.iter().filter(|o| o.status != "archived") {
        node_of.insert(o.id, graph.add_objective(None, 1.0));
    }
    for o in objectives.iter().filter(|o| o.status != "archived") {
        if let (Some(p), Some(&n)) = (o.parent_id.and_then(|p| node_of.get(&p)), node_of.get(&o.id)) {
            // Links were checked when written; a loop in old data is skipped, not fatal.
            let _ = graph.set_parent(n, Some(*p));
        }
    }
    let slots = key_results
        .iter()
        .map(|k| {
            node_of.get(&k.objective_id).map(|&n| {
                let (weight, score) = kr(k);
                graph.add_key_result(n, weight, score)
            })
        })
        .collect();
    (graph, node_of, slots)
}

/// A cycle still running (planning or active): its key results not yet started count for
/// nothing in roll-ups. Unknown cycles count as ended.
fn cycle_open(states: &HashMap<i64, String>, cycle: i64) -> bool {
    states.get(&cycle).is_some_and(|s| s == "planning" || s == "active")
}

/// A key result's weight in its objective's score as things are now: none while it has not
/// started in a running cycle (see [`tandem_domain::pace::not_started`]).
fn live_weight(k: &KeyResultRow, checked_in: bool, cycle_open: bool) -> f64 {
    let idle =
        tandem_domain::pace::not_started(checked_in, k.current, k.baseline, k.override_score.is_some(), cycle_open);
    if idle { 0.0 } else { k.weight }
}

/// What a search entry is: its objective's index and its key result's index (none: the
/// objective's own title).
pub type TitleOf = (usize, Option<usize>);

/// A tenant's goals with every score and roll-up computed, as of one goals version.
#[derive(Clone)]
pub struct GoalSnapshot {
    pub version: i64,
    pub objectives: Vec<ObjectiveRow>,
    pub key_results: Vec<KeyResultRow>,
    pub kr_owners: Vec<KrOwnerRow>,
    pub supports: Vec<SupportRow>,
    /// Check-ins per key result, oldest first: (time µs, value, confidence).
    pub check_ins: HashMap<i64, Vec<(i64, f64, i64)>>,
    /// What each checked-in key result held before its first check-in.
    pub before_first: HashMap<i64, f64>,
    /// Cycle spans in µs: id → (start, end).
    pub spans: HashMap<i64, (i64, i64)>,
    /// Each cycle's state (`planning`, `active`, …): every change to a cycle bumps the version.
    pub cycle_states: HashMap<i64, String>,
    pub(crate) graph: ScoreGraph,
    node_of: HashMap<i64, usize>,
    /// Each key result's slot in `graph`, by its place in `key_results` (none when archived).
    pub(crate) kr_slot: Vec<Option<usize>>,
    /// Writes of this server waiting for an earlier version to be applied first (see `live`).
    pub(crate) pending: std::collections::BTreeMap<i64, Vec<crate::goals::projection::Applied>>,
    krs_of: HashMap<i64, Vec<usize>>,
    /// Each key result's owners (places in `kr_owners`), each objective's supported objectives.
    owners_at: HashMap<i64, Vec<usize>>,
    supports_at: HashMap<i64, Vec<i64>>,
    /// Each owner's objectives (places in `objectives`), by person or unit id.
    pub(crate) owned: HashMap<i64, Vec<usize>>,
    /// Where each objective and key result sits in its list, by id.
    obj_at: HashMap<i64, usize>,
    pub(crate) kr_at: HashMap<i64, usize>,
    /// Every objective and key result title, indexed for search, with what each entry is: its
    /// objective's index and its key result's index. Titles change only with a rebuild, so
    /// copies of the projection share it.
    pub search: Arc<(SearchIndex, Vec<TitleOf>)>,
}

impl GoalSnapshot {
    pub(crate) fn build(
        version: i64,
        objectives: Vec<ObjectiveRow>,
        key_results: Vec<KeyResultRow>,
        kr_owners: Vec<KrOwnerRow>,
        supports: Vec<SupportRow>,
        checks: Vec<tandem_store::checkins::HistoryRow>,
        cycles: Vec<tandem_store::cycles::CycleRow>,
    ) -> Self {
        let spans = cycles.iter().filter_map(|c| Some((c.id, cycle_span_us(&c.start_date, &c.end_date)?))).collect();
        let cycle_states: HashMap<i64, String> = cycles.into_iter().map(|c| (c.id, c.state)).collect();
        let mut check_ins: HashMap<i64, Vec<(i64, f64, i64)>> = HashMap::new();
        let mut before_first = HashMap::new();
        for (kr, at, value, confidence, previous) in checks {
            before_first.entry(kr).or_insert(previous);
            check_ins.entry(kr).or_default().push((at, value, confidence));
        }
        let cycle_of: HashMap<i64, i64> = objectives.iter().map(|o| (o.id, o.cycle_id)).collect();
        let (graph, node_of, kr_slot) = score_graph(&objectives, &key_results, |k| {
            let open = cycle_of.get(&k.objective_id).is_some_and(|c| cycle_open(&cycle_states, *c));
            (live_weight(k, check_ins.contains_key(&k.id), open), kr_row_score(k))
        });
        let mut krs_of: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, k) in key_results.iter().enumerate() {
            krs_of.entry(k.objective_id).or_default().push(i);
        }
        let mut owners_at: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, w) in kr_owners.iter().enumerate() {
            owners_at.entry(w.kr_id).or_default().push(i);
        }
        let mut supports_at: HashMap<i64, Vec<i64>> = HashMap::new();
        for x in &supports {
            supports_at.entry(x.objective_id).or_default().push(x.supports_id);
        }
        let mut owned: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, o) in objectives.iter().enumerate() {
            owned.entry(o.owner_id).or_default().push(i);
        }
        let obj_at: HashMap<i64, usize> = objectives.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
        let kr_at = key_results.iter().enumerate().map(|(i, k)| (k.id, i)).collect();
        let mut titles: Vec<(&str, usize, Option<usize>)> =
            objectives.iter().enumerate().map(|(i, o)| (o.title.as_str(), i, None)).collect();
        for (j, k) in key_results.iter().enumerate() {
            if let Some(&i) = obj_at.get(&k.objective_id) {
                titles.push((k.title.as_str(), i, Some(j)));
            }
        }
        let search =
            Arc::new((SearchIndex::new(titles.iter().map(|t| t.0)), titles.iter().map(|&(_, i, j)| (i, j)).collect()));
        GoalSnapshot {
            search,
            obj_at,
            kr_at,
            version,
            objectives,
            key_results,
            kr_owners,
            supports,
            check_ins,
            before_first,
            spans,
            cycle_states,
            graph,
            node_of,
            kr_slot,
            pending: Default::default(),
            krs_of,
            owners_at,
            supports_at,
            owned,
        }
    }

    /// A key result's value at time `t`: its last check-in at or before `t`; before any, what it
    /// held before its first check-in (or now, if it never had one).
    pub fn kr_value_at(&self, k: &KeyResultRow, t: i64) -> f64 {
        let history = self.check_ins.get(&k.id).map(Vec::as_slice).unwrap_or(&[]);
        match history.iter().rev().find(|(at, _, _)| *at <= t) {
            Some((_, v, _)) => *v,
            None if history.is_empty() => k.current,
            None => self.before_first.get(&k.id).copied().unwrap_or(k.baseline),
        }
    }

    /// Every objective's roll-up at time `t`, from its key results' values then.
    pub fn rollups_at(&self, t: i64) -> HashMap<i64, f64> {
        let (graph, node_of, _) =
            score_graph(&self.objectives, &self.key_results, |k| (self.kr_weight_at(k, t), self.kr_score_at(k, t)));
        node_of.into_iter().filter_map(|(id, n)| Some((id, graph.rollup(n)?))).collect()
    }

    /// An objective's own score at time `t`: the weighted mean of its key results' scores then.
    pub fn score_at(&self, objective: i64, t: i64) -> Option<f64> {
        let krs = self.key_results_of(objective);
        tandem_domain::rollup::weighted_mean(krs.map(|k| (self.kr_weight_at(k, t), self.kr_score_at(k, t))))
    }

    /// A key result's weight in its objective at time `t`: none while, then, it had not started
    /// and its cycle had not ended.
    fn kr_weight_at(&self, k: &KeyResultRow, t: i64) -> f64 {
        let span = self.objective(k.objective_id).and_then(|o| self.spans.get(&o.cycle_id));
        let open = span.is_some_and(|&(_, end)| t < end);
        let checked_in = self.check_ins.get(&k.id).is_some_and(|h| h.first().is_some_and(|c| c.0 <= t));
        let idle = tandem_domain::pace::not_started(checked_in, self.kr_value_at(k, t), k.baseline, false, open);
        if idle { 0.0 } else { k.weight }
    }

    /// The key result at place `i` weighted and scored as it is now, in the roll-up graph.
    pub(crate) fn rescore(&mut self, i: usize) {
        let Some(slot) = self.kr_slot[i] else { return };
        let k = &self.key_results[i];
        let open = self.objective(k.objective_id).is_some_and(|o| cycle_open(&self.cycle_states, o.cycle_id));
        let weight = live_weight(k, self.check_ins.contains_key(&k.id), open);
        let score = kr_row_score(k);
        self.graph.set_key_result_score(slot, score);
        self.graph.set_key_result_weight(slot, weight);
    }

    /// Whether key result `k` has not started yet in its running cycle.
    pub fn not_started(&self, k: &KeyResultRow) -> bool {
        let open = self.objective(k.objective_id).is_some_and(|o| cycle_open(&self.cycle_states, o.cycle_id));
        live_weight(k, self.check_ins.contains_key(&k.id), open) == 0.0 && k.weight > 0.0
    }

    /// A key result's score at time `t`: by its value then, or, from its cycle's end on, the
    /// manager's final score where one was set (it is given at review, for the cycle as a whole).
    fn kr_score_at(&self, k: &KeyResultRow, t: i64) -> f64 {
        let ended =
            self.objective(k.objective_id).and_then(|o| self.spans.get(&o.cycle_id)).is_some_and(|&(_, end)| t >= end);
        if let Some(score) = k.override_score.filter(|_| ended) {
            return score.clamp(0.0, 1.0);
        }
        let measure = Measure::parse("measure", &k.measure).unwrap_or(Measure::Increase);
        kr_score(measure, k.baseline, k.target, self.kr_value_at(k, t))
    }

    /// A key result's score and the progress expected of it at `now` (the elapsed share of its
    /// cycle since it started).
    pub fn kr_progress(&self, kr: i64, now: i64) -> Option<(f64, f64)> {
        let k = self.key_result(kr)?;
        let o = self.objective(k.objective_id)?;
        self.spans.get(&o.cycle_id)?;
        let (start, end) = kr_window(k, o, self, now);
        Some((kr_row_score(k), share_between(start, end, now)))
    }

    pub fn objective(&self, id: i64) -> Option<&ObjectiveRow> {
        self.obj_at.get(&id).map(|&i| &self.objectives[i])
    }

    pub fn key_result(&self, id: i64) -> Option<&KeyResultRow> {
        self.kr_at.get(&id).map(|&i| &self.key_results[i])
    }

    /// The objective's own score (weighted mean of its KRs) and its roll-up with what is aligned to it.
    pub fn scores(&self, id: i64) -> (Option<f64>, Option<f64>) {
        match self.node_of.get(&id) {
            Some(&n) => (self.graph.score(n), self.graph.rollup(n)),
            None => (None, None),
        }
    }

    /// The owners of key result `kr`, with their weights.
    pub fn owners_of_kr(&self, kr: i64) -> impl Iterator<Item = &KrOwnerRow> {
        self.owners_at.get(&kr).into_iter().flatten().map(|i| &self.kr_owners[*i])
    }

    /// The objectives that objective `id` supports besides its parent.
    pub fn supports_of(&self, id: i64) -> impl Iterator<Item = i64> + '_ {
        self.supports_at.get(&id).into_iter().flatten().copied()
    }

    pub fn key_results_of(&self, id: i64) -> impl Iterator<Item = &KeyResultRow> {
        self.krs_of.get(&id).into_iter().flatten().map(|i| &self.key_results[*i])
    }

    /// `a` is `b` or one of its ancestors through parent links.
    pub(crate) fn is_ancestor(&self, a: i64, b: i64) -> bool {
        let mut cur = Some(b);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == a {
                return true;
            }
            steps += 1;
            if steps > self.objectives.len() {
                return false;
            }
            cur = self.objective(c).and_then(|o| o.parent_id);
        }
        false
    }
}

/// A cycle's first and last moment in µs (UTC).
pub fn cycle_span_us(start: &str, end: &str) -> Option<(i64, i64)> {
    let s = tandem_domain::cycle::parse_date("start", start).ok()?;
    let e = tandem_domain::cycle::parse_date("end", end).ok()?.next_day()?;
    Some((
        s.midnight().assume_utc().unix_timestamp() * 1_000_000,
        e.midnight().assume_utc().unix_timestamp() * 1_000_000 - 1,
    ))
}

/// A key result's score: a manager's final override when there is one, else the rule.
pub fn kr_row_score(k: &KeyResultRow) -> f64 {
    score_that_counts(k.override_score, &k.measure, k.baseline, k.target, k.current)
}

/// The score the rule gives a key result at `value` (no manager's final score).
pub fn kr_rule_score(k: &KeyResultRow, value: f64) -> f64 {
    rule_score(&k.measure, k.baseline, k.target, value)
}

/// The rule's score of a value, for a key result measured by `measure` (as stored).
pub fn rule_score(measure: &str, baseline: f64, target: f64, value: f64) -> f64 {
    Measure::parse("measure", measure).map(|m| kr_score(m, baseline, target, value)).unwrap_or(0.0)
}

/// The manager's final score where set, else the rule's.
pub fn score_that_counts(final_score: Option<f64>, measure: &str, baseline: f64, target: f64, value: f64) -> f64 {
    final_score.map_or_else(|| rule_score(measure, baseline, target, value), |o| o.clamp(0.0, 1.0))
}

/// The span a key result is paced over (µs): from its start (see
/// [`tandem_domain::pace::kr_start`]) to its cycle's end.
fn kr_window(k: &KeyResultRow, o: &ObjectiveRow, goals: &GoalSnapshot, now: i64) -> (i64, i64) {
    let (cycle_start, end) = goals.spans.get(&o.cycle_id).copied().unwrap_or((now, now + 1));
    let first = goals.check_ins.get(&k.id).and_then(|h| h.first()).map(|c| c.0);
    (tandem_domain::pace::kr_start(cycle_start, k.created_at, first).min(end - 1), end)
}

/// The share of `[start, end]` elapsed at `t`, in [0, 1].
fn share_between(start: i64, end: i64, t: i64) -> f64 {
    ((t - start) as f64 / (end - start).max(1) as f64).clamp(0.0, 1.0)
}

pub(crate) struct Pace {
    pub expected: f64,
    pub forecast: f64,
    pub at_risk: bool,
    /// Its pace may be judged (see [`tandem_domain::pace::judged`]): red lights may fire.
    pub judged: bool,
    pub confidence: Option<i64>,
    pub disagrees: bool,
    pub last: Option<i64>,
}

/// A key result's pace, forecast and risk from its check-ins, over the part of its cycle since
/// it started (see [`tandem_domain::pace::kr_start`]).
pub(crate) fn pace_of(k: &KeyResultRow, o: &ObjectiveRow, goals: &GoalSnapshot, now: i64) -> Pace {
    use tandem_domain::pace;
    let history = goals.check_ins.get(&k.id).map(Vec::as_slice).unwrap_or(&[]);
    let (start, end) = kr_window(k, o, goals, now);
    let frac = |t: i64| share_between(start, end, t);
    let measure = Measure::parse("measure", &k.measure).unwrap_or(Measure::Increase);
    let points: Vec<pace::Point> = history
        .iter()
        .map(|(t, v, _)| pace::Point { t: frac(*t), score: kr_score(measure, k.baseline, k.target, *v) })
        .collect();
    let start_score = kr_score(measure, k.baseline, k.target, k.baseline);
    // Without check-ins, the value the KR was set up with is the one observation there is.
    let points = if points.is_empty() {
        vec![pace::Point { t: frac(k.updated_at.min(now)), score: kr_row_score(k) }]
    } else {
        points
    };
    let forecast = pace::forecast(start_score, &points);
    let last = history.last().map(|(t, _, _)| *t);
    // Stale counts from the last check-in, or from when the KR was set for one never checked in.
    let days = Some((now - last.unwrap_or(k.created_at)) as f64 / 86_400_000_000.0);
    let judged = pace::judged(!history.is_empty(), (now - start) as f64 / 86_400_000_000.0);
    let kind = ObjectiveKind::parse("kind", &o.kind).unwrap_or(ObjectiveKind::Aspirational);
    // The latest confidence a person gave (values from a metric carry none).
    let confidence = history.iter().rev().map(|(_, _, c)| *c).find(|c| *c >= 0);
    Pace {
        expected: frac(now),
        forecast,
        at_risk: pace::at_risk(kind, forecast, days, judged),
        judged,
        confidence,
        disagrees: confidence.is_some_and(|c| pace::confidence_disagrees(c.clamp(0, 10) as u8, forecast)),
        last,
    }
}
