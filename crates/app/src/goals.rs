//! Objectives and key results: writing them, aligning them, and reading them with their scores.
//!
//! Scores and roll-ups come from a per-tenant projection ([`GoalSnapshot`]) held in memory and
//! keyed by the tenant's goals version, which every goal write bumps inside its transaction.
//! A read costs one primary-key lookup to confirm the projection is current; any app server
//! that sees a newer version rebuilds its copy, so a write through one server is visible
//! through all of them.

use crate::error::{AppError, Result};
use crate::org::OrgSnapshot;
use crate::{Actor, App, Change, record};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tandem_domain::cycle::CycleState;
use tandem_domain::goal::{KeyResultSpec, ObjectiveKind, Owner, Weight};
use tandem_domain::ids::{OrgUnitId, PersonId};
use tandem_domain::policy;
use tandem_domain::rollup::ScoreGraph;
use tandem_domain::score::{Band, BandThresholds, Measure, kr_score};
use tandem_domain::search::SearchIndex;
use tandem_domain::text::Name;
use tandem_domain::{Invalid, Rule};
use tandem_store::goals::{self, KeyResultRow, KrOwnerRow, ObjectiveRow, SupportRow};

/// The roll-up graph of a tenant's goals, with each key result scored by `score`. Archived
/// objectives drop out of every roll-up.
/// Also answers each key result's slot in the graph, by its place in `key_results`.
fn score_graph(
    objectives: &[ObjectiveRow],
    key_results: &[KeyResultRow],
    score: impl Fn(&KeyResultRow) -> f64,
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
        .map(|k| node_of.get(&k.objective_id).map(|&n| graph.add_key_result(n, k.weight, score(k))))
        .collect();
    (graph, node_of, slots)
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
    pub(crate) pending: std::collections::BTreeMap<i64, Vec<crate::live::KrWrite>>,
    krs_of: HashMap<i64, Vec<usize>>,
    /// Each key result's owners (places in `kr_owners`), each objective's supported objectives.
    owners_at: HashMap<i64, Vec<usize>>,
    supports_at: HashMap<i64, Vec<i64>>,
    /// Each owner's objectives (places in `objectives`), by person or unit id.
    owned: HashMap<i64, Vec<usize>>,
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
        spans: HashMap<i64, (i64, i64)>,
    ) -> Self {
        let mut check_ins: HashMap<i64, Vec<(i64, f64, i64)>> = HashMap::new();
        let mut before_first = HashMap::new();
        for (kr, at, value, confidence, previous) in checks {
            before_first.entry(kr).or_insert(previous);
            check_ins.entry(kr).or_default().push((at, value, confidence));
        }
        let (graph, node_of, kr_slot) = score_graph(&objectives, &key_results, kr_row_score);
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
            cycle_states: HashMap::new(),
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
        let (graph, node_of, _) = score_graph(&self.objectives, &self.key_results, |k| {
            let measure = Measure::parse("measure", &k.measure).unwrap_or(Measure::Increase);
            kr_score(measure, k.baseline, k.target, self.kr_value_at(k, t))
        });
        node_of.into_iter().filter_map(|(id, n)| Some((id, graph.rollup(n)?))).collect()
    }

    /// An objective's own score at time `t`: the weighted mean of its key results' scores then.
    pub fn score_at(&self, objective: i64, t: i64) -> Option<f64> {
        let krs = self.key_results_of(objective);
        tandem_domain::rollup::weighted_mean(krs.map(|k| {
            let measure = Measure::parse("measure", &k.measure).unwrap_or(Measure::Increase);
            (k.weight, kr_score(measure, k.baseline, k.target, self.kr_value_at(k, t)))
        }))
    }

    /// A key result's score and the progress expected of it at `now` (its cycle's elapsed share).
    pub fn kr_progress(&self, kr: i64, now: i64) -> Option<(f64, f64)> {
        let k = self.key_result(kr)?;
        let o = self.objective(k.objective_id)?;
        let (start, end) = self.spans.get(&o.cycle_id).copied()?;
        Some((kr_row_score(k), ((now - start) as f64 / (end - start).max(1) as f64).clamp(0.0, 1.0)))
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
    fn is_ancestor(&self, a: i64, b: i64) -> bool {
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
    if let Some(o) = k.override_score {
        return o.clamp(0.0, 1.0);
    }
    Measure::parse("measure", &k.measure).map(|m| kr_score(m, k.baseline, k.target, k.current)).unwrap_or(0.0)
}

pub fn owner_of(owner_type: &str, owner_id: i64) -> Owner {
    if owner_type == "org_unit" { Owner::OrgUnit(OrgUnitId(owner_id)) } else { Owner::Person(PersonId(owner_id)) }
}

pub fn owner_parts(o: Owner) -> (&'static str, i64) {
    match o {
        Owner::Person(p) => ("person", p.0),
        Owner::OrgUnit(u) => ("org_unit", u.0),
    }
}

/// A reference to an owner as the API takes it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, Serialize)]
pub struct OwnerRef {
    #[serde(rename = "type")]
    pub kind: OwnerKind,
    pub id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerKind {
    Person,
    OrgUnit,
}

impl OwnerRef {
    pub fn owner(self) -> Owner {
        match self.kind {
            OwnerKind::Person => Owner::Person(PersonId(self.id)),
            OwnerKind::OrgUnit => Owner::OrgUnit(OrgUnitId(self.id)),
        }
    }
}

fn check_owner(field: &str, o: Owner, org: &OrgSnapshot) -> Result<(), Invalid> {
    let exists = match o {
        Owner::Person(p) => org.person(p.0).is_some_and(|p| p.active == 1),
        Owner::OrgUnit(u) => org.unit(u.0).is_some(),
    };
    if exists { Ok(()) } else { Err(Invalid::new(field, Rule::UnknownRef)) }
}

pub fn owner_name(o: Owner, org: &OrgSnapshot) -> String {
    match o {
        Owner::Person(p) => org.person(p.0).map(|p| p.name.clone()),
        Owner::OrgUnit(u) => org.unit(u.0).map(|u| u.name.clone()),
    }
    .unwrap_or_default()
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KrOwnerView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: i64,
    pub name: String,
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyResultView {
    pub id: i64,
    pub objective: i64,
    pub title: String,
    pub measure: String,
    pub baseline: f64,
    pub target: f64,
    pub current: f64,
    pub unit: String,
    pub weight: f64,
    pub score: f64,
    pub band: Band,
    pub owners: Vec<KrOwnerView>,
    /// Where the score should be now: the elapsed share of the cycle.
    pub expected: f64,
    /// The end-of-cycle score the check-in history points to.
    pub forecast: f64,
    pub at_risk: bool,
    /// The latest self-reported confidence (0–10), if any.
    pub confidence: Option<i64>,
    /// Confidence far from the forecast (optimism or pessimism showing).
    pub confidence_disagrees: bool,
    pub last_check_in: Option<i64>,
    /// Why a manager overrode the final score (the score shown is then the override).
    pub override_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ObjectiveView {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub kind: String,
    pub owner: Owner,
    pub owner_name: String,
    pub cycle: i64,
    pub parent: Option<i64>,
    pub supports: Vec<i64>,
    /// `draft`, `published` or `archived`.
    pub status: String,
    pub author: i64,
    /// Weighted mean of the key results (0 when it has none; see `scored`).
    pub score: f64,
    pub band: Band,
    pub scored: bool,
    /// Progress including everything aligned below it.
    pub rollup: f64,
    pub rollup_band: Band,
    pub key_results: Vec<KeyResultView>,
    /// Whether the caller may change it.
    pub can_edit: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ObjectiveFilter {
    pub cycle: Option<i64>,
    /// A person or org-unit id (ids are unique across kinds).
    pub owner: Option<i64>,
    /// Objectives of this unit, the units below it and their people.
    pub unit: Option<i64>,
    pub include_archived: bool,
}

#[derive(Debug, Clone, Default)]
pub struct NewObjective {
    pub title: String,
    pub description: String,
    pub kind: String,
    pub owner: Option<Owner>,
    pub cycle: i64,
    pub parent: Option<i64>,
    pub supports: Vec<i64>,
    pub publish: bool,
    /// Written in the same transaction: the objective and its key results land together or not at all.
    pub key_results: Vec<NewKeyResult>,
}

#[derive(Debug, Clone, Default)]
pub struct ObjectivePatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub kind: Option<String>,
    pub owner: Option<Owner>,
    pub parent: Option<Option<i64>>,
    pub supports: Option<Vec<i64>>,
    pub status: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewKeyResult {
    pub title: String,
    pub measure: String,
    pub baseline: f64,
    pub target: f64,
    pub current: Option<f64>,
    pub unit: String,
    pub weight: Option<f64>,
    pub owners: Vec<(Owner, f64)>,
}

#[derive(Debug, Clone, Default)]
pub struct KeyResultPatch {
    pub title: Option<String>,
    pub measure: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub unit: Option<String>,
    pub weight: Option<f64>,
    pub owners: Option<Vec<(Owner, f64)>>,
    pub reason: Option<String>,
}

impl App {
    pub async fn bands_of(&self, tenant: i64) -> Result<BandThresholds> {
        Ok(App::bands(&self.tenant(tandem_domain::ids::TenantId(tenant)).await?))
    }

    pub(crate) fn visible(a: &Actor, o: &ObjectiveRow, org: &OrgSnapshot) -> bool {
        policy::may_see_objective(
            a,
            o.ever_published(),
            PersonId(o.author_id),
            owner_of(&o.owner_type, o.owner_id),
            &org.tree,
        )
    }

    pub(crate) fn objective_view(
        a: &Actor,
        o: &ObjectiveRow,
        goals: &GoalSnapshot,
        org: &OrgSnapshot,
        bands: &BandThresholds,
        now: i64,
    ) -> ObjectiveView {
        let (score, rollup) = goals.scores(o.id);
        let owner = owner_of(&o.owner_type, o.owner_id);
        let key_results = goals
            .key_results_of(o.id)
            .map(|k| {
                let s = kr_row_score(k);
                let pace = pace_of(k, o, goals, now);
                KeyResultView {
                    expected: pace.expected,
                    forecast: pace.forecast,
                    // Only a published goal is under way; a draft is not yet at risk.
                    at_risk: pace.at_risk && o.status == "published",
                    confidence: pace.confidence,
                    confidence_disagrees: pace.disagrees,
                    last_check_in: pace.last,
                    override_reason: k.override_reason.clone(),
                    id: k.id,
                    objective: k.objective_id,
                    title: k.title.clone(),
                    measure: k.measure.clone(),
                    baseline: k.baseline,
                    target: k.target,
                    current: k.current,
                    unit: k.unit.clone(),
                    weight: k.weight,
                    score: s,
                    band: bands.band(s),
                    owners: goals
                        .owners_of_kr(k.id)
                        .map(|w| {
                            let ow = owner_of(&w.owner_type, w.owner_id);
                            KrOwnerView {
                                kind: owner_parts(ow).0,
                                id: w.owner_id,
                                name: owner_name(ow, org),
                                weight: w.weight,
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        ObjectiveView {
            id: o.id,
            title: o.title.clone(),
            description: o.description.clone(),
            kind: o.kind.clone(),
            owner,
            owner_name: owner_name(owner, org),
            cycle: o.cycle_id,
            parent: o.parent_id,
            supports: goals.supports_of(o.id).collect(),
            status: o.status.clone(),
            author: o.author_id,
            score: score.unwrap_or(0.0),
            band: bands.band(score.unwrap_or(0.0)),
            scored: score.is_some(),
            rollup: rollup.unwrap_or(0.0),
            rollup_band: bands.band(rollup.unwrap_or(0.0)),
            key_results,
            can_edit: policy::may_edit_objective(a, PersonId(o.author_id), owner, &org.tree),
        }
    }

    pub async fn list_objectives(&self, a: &Actor, f: &ObjectiveFilter) -> Result<Vec<ObjectiveView>> {
        let crate::live::Views { goals, org, bands } = self.views(a.tenant.0).await?;
        Ok(Self::matching(a, f, &goals, &org)
            .into_iter()
            .map(|o| Self::objective_view(a, o, &goals, &org, &bands, self.now()))
            .collect())
    }

    /// The objectives `f` asks for that `a` may see, in the projection's order. With a unit,
    /// only the objectives of its units and their people are visited, not the whole tenant.
    pub(crate) fn matching<'g>(
        a: &'g Actor,
        f: &'g ObjectiveFilter,
        goals: &'g GoalSnapshot,
        org: &'g OrgSnapshot,
    ) -> Vec<&'g ObjectiveRow> {
        let keep = |o: &&ObjectiveRow| {
            (f.include_archived || o.status != "archived")
                && f.cycle.is_none_or(|c| o.cycle_id == c)
                && f.owner.is_none_or(|w| o.owner_id == w)
                && Self::visible(a, o, org)
        };
        match f.unit {
            None => goals.objectives.iter().filter(keep).collect(),
            Some(u) => {
                Self::unit_places(u, goals, org).into_iter().map(|i| &goals.objectives[i]).filter(keep).collect()
            }
        }
    }

    /// Where the objectives of a unit, the units below it and their people sit in the
    /// projection, in order (found through the owner index, not a scan of the tenant).
    pub(crate) fn unit_places(unit: i64, goals: &GoalSnapshot, org: &OrgSnapshot) -> Vec<usize> {
        let mut places: Vec<usize> = vec![];
        for u in org.tree.subtree(OrgUnitId(unit)) {
            let owners = std::iter::once(u.0).chain(org.members_of(u.0).iter().copied());
            places.extend(owners.flat_map(|w| goals.owned.get(&w).into_iter().flatten().copied()));
        }
        places.sort_unstable();
        places.dedup();
        places
    }

    pub async fn get_objective(&self, a: &Actor, id: i64) -> Result<ObjectiveView> {
        Self::seen_objective(a, &self.views(a.tenant.0).await?, id, self.now())
    }

    /// Objective `id` as `a` sees it (not found when `a` may not).
    pub(crate) fn seen_objective(a: &Actor, v: &crate::live::Views, id: i64, now: i64) -> Result<ObjectiveView> {
        let o = v.goals.objective(id).filter(|o| Self::visible(a, o, &v.org)).ok_or(AppError::NotFound)?;
        Ok(Self::objective_view(a, o, &v.goals, &v.org, &v.bands, now))
    }

    /// Checks the links of an objective: parent and supported objectives exist, are visible to
    /// the writer, and the parent chain has no loop.
    fn check_links(
        a: &Actor,
        id: Option<i64>,
        parent: Option<i64>,
        supports: &[i64],
        goals: &GoalSnapshot,
        org: &OrgSnapshot,
    ) -> Result<()> {
        if let Some(p) = parent {
            let po = goals.objective(p).filter(|o| Self::visible(a, o, org) && o.status != "archived");
            if po.is_none() {
                return Err(Invalid::new("parent", Rule::UnknownRef).into());
            }
            if id.is_some_and(|id| goals.is_ancestor(id, p)) {
                return Err(Invalid::new("parent", Rule::AlignmentLoop).into());
            }
        }
        for s in supports {
            if Some(*s) == id || goals.objective(*s).filter(|o| Self::visible(a, o, org)).is_none() {
                return Err(Invalid::new("supports", Rule::UnknownRef).into());
            }
        }
        Ok(())
    }

    async fn cycle_state(&self, tenant: i64, cycle: i64) -> Result<CycleState> {
        let c = tandem_store::cycles::get(&self.db, tenant, cycle)
            .await?
            .ok_or_else(|| Invalid::new("cycle", Rule::UnknownRef))?;
        Ok(CycleState::parse("state", &c.state)?)
    }

    pub async fn create_objective(&self, a: &Actor, new: NewObjective) -> Result<ObjectiveView> {
        let title = Name::parse("title", &new.title)?;
        let kind = ObjectiveKind::parse("kind", if new.kind.is_empty() { "aspirational" } else { &new.kind })?;
        let description = long_text("description", &new.description)?;
        let (goals, org) = tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0))?;
        let owner = new.owner.unwrap_or(Owner::Person(a.person));
        check_owner("owner", owner, &org)?;
        if !policy::may_set_goals_for(a, owner, &org.tree) {
            return Err(AppError::Forbidden);
        }
        if self.cycle_state(a.tenant.0, new.cycle).await? == CycleState::Closed {
            return Err(AppError::Conflict("cycle_closed"));
        }
        let mut supports = new.supports.clone();
        supports.sort();
        supports.dedup();
        Self::check_links(a, None, new.parent, &supports, &goals, &org)?;
        let mut krs = Vec::with_capacity(new.key_results.len());
        for (i, k) in new.key_results.iter().enumerate() {
            let at = |e: Invalid| Invalid::new(format!("key_results[{i}].{}", e.field), e.rule);
            let spec =
                KeyResultSpec::parse(&k.title, &k.measure, k.baseline, k.target, &k.unit, k.weight.unwrap_or(1.0))
                    .map_err(at)?;
            let current = tandem_domain::goal::finite("current", k.current.unwrap_or(k.baseline)).map_err(at)?;
            krs.push((spec, current, Self::check_kr_owners(&k.owners, &org)?));
        }
        let now = self.now();
        let (owner_type, owner_id) = owner_parts(owner);
        let mut tx = self.db.begin().await?;
        let row = ObjectiveRow {
            tenant_id: a.tenant.0,
            id: tx.next_id().await?,
            cycle_id: new.cycle,
            title: title.into_string(),
            description,
            kind: kind.as_str().into(),
            owner_type: owner_type.into(),
            owner_id,
            parent_id: new.parent,
            status: if new.publish { "published" } else { "draft" }.into(),
            author_id: a.person.0,
            created_at: now,
            updated_at: now,
            published_at: new.publish.then_some(now),
        };
        goals::insert_objective(&mut tx, &row).await?;
        goals::set_supports(&mut tx, a.tenant.0, row.id, &supports).await?;
        record(&mut tx, Some(a), a.tenant.0, now, Change::create("objective", row.id, objective_json(&row, &supports)))
            .await?;
        for (position, (spec, current, owners)) in krs.into_iter().enumerate() {
            let kr = kr_row(a.tenant.0, tx.next_id().await?, row.id, spec, current, position as i64, now);
            goals::insert_key_result(&mut tx, &kr).await?;
            goals::set_kr_owners(&mut tx, a.tenant.0, kr.id, &owners).await?;
            record(&mut tx, Some(a), a.tenant.0, now, Change::create("key_result", kr.id, kr_json(&kr, &owners)))
                .await?;
        }
        goals::bump_version(&mut tx, a.tenant.0).await?;
        tx.commit().await?;
        self.get_objective(a, row.id).await
    }

    pub async fn update_objective(&self, a: &Actor, id: i64, patch: ObjectivePatch) -> Result<ObjectiveView> {
        let (goals, org) = tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0))?;
        let before = goals.objective(id).filter(|o| Self::visible(a, o, &org)).cloned().ok_or(AppError::NotFound)?;
        let owner = owner_of(&before.owner_type, before.owner_id);
        if !policy::may_edit_objective(a, PersonId(before.author_id), owner, &org.tree) {
            return Err(AppError::Forbidden);
        }
        if self.cycle_state(a.tenant.0, before.cycle_id).await? == CycleState::Closed {
            return Err(AppError::Conflict("cycle_closed"));
        }
        let mut after = before.clone();
        if let Some(t) = &patch.title {
            after.title = Name::parse("title", t)?.into_string();
        }
        if let Some(d) = &patch.description {
            after.description = long_text("description", d)?;
        }
        if let Some(k) = &patch.kind {
            after.kind = ObjectiveKind::parse("kind", k)?.as_str().into();
        }
        if let Some(o) = patch.owner {
            check_owner("owner", o, &org)?;
            if !policy::may_set_goals_for(a, o, &org.tree) {
                return Err(AppError::Forbidden);
            }
            let (t, i) = owner_parts(o);
            after.owner_type = t.into();
            after.owner_id = i;
        }
        if let Some(s) = &patch.status {
            after.status = match (before.status.as_str(), s.trim()) {
                (_, "archived") => "archived",
                ("draft" | "published", "published") => "published",
                ("archived", "published") => "published",
                ("draft", "draft") => "draft",
                _ => return Err(Invalid::new("status", Rule::OneOf(&["draft", "published", "archived"])).into()),
            }
            .into();
        }
        let before_supports: Vec<i64> = goals.supports_of(id).collect();
        let mut supports = patch.supports.clone().unwrap_or_else(|| before_supports.clone());
        supports.sort();
        supports.dedup();
        if let Some(p) = patch.parent {
            after.parent_id = p;
        }
        Self::check_links(
            a,
            Some(id),
            after.parent_id,
            if patch.supports.is_some() { &supports } else { &[] },
            &goals,
            &org,
        )?;
        // Once the cycle runs, changing what an objective says needs a written reason.
        let reason = patch.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(String::from);
        let running = self.cycle_state(a.tenant.0, before.cycle_id).await? != CycleState::Planning;
        if running
            && before.status == "published"
            && (after.title != before.title || after.kind != before.kind)
            && reason.is_none()
        {
            return Err(Invalid::new("reason", Rule::Required).into());
        }
        if after == before && supports == before_supports {
            return self.get_objective(a, id).await;
        }
        let now = self.now();
        after.updated_at = now;
        if after.status == "published" && after.published_at.is_none() {
            after.published_at = Some(now);
        }
        let mut tx = self.db.begin().await?;
        goals::update_objective(&mut tx, &after).await?;
        if supports != before_supports {
            goals::set_supports(&mut tx, a.tenant.0, id, &supports).await?;
        }
        goals::bump_version(&mut tx, a.tenant.0).await?;
        let action = if after.status == "archived" && before.status != "archived" {
            "archive"
        } else if after.status == "published" && before.status == "draft" {
            "publish"
        } else {
            "update"
        };
        let mut change = Change::update(
            "objective",
            id,
            objective_json(&before, &before_supports),
            objective_json(&after, &supports),
        );
        change.action = action;
        // Those aligned below hear of a change in what a published objective says, or its end.
        if before.status == "published"
            && (after.title != before.title || after.kind != before.kind || action == "archive")
        {
            let what = if action == "archive" {
                ("已归档".to_string(), "archived".to_string())
            } else if after.title != before.title {
                (format!("改为「{}」", after.title), format!("now “{}”", after.title))
            } else {
                (format!("类型改为 {}", after.kind), format!("kind now {}", after.kind))
            };
            crate::notices::queue_upstream_notice(
                &mut tx,
                &goals,
                &org,
                &before,
                (&what.0, &what.1),
                reason.as_deref(),
                now,
            )
            .await?;
        }
        change.reason = reason;
        record(&mut tx, Some(a), a.tenant.0, now, change).await?;
        tx.commit().await?;
        self.get_objective(a, id).await
    }

    /// What happened to an objective and its key results, oldest first: visible to whoever
    /// may see the objective (adjustments are made in the open).
    pub async fn objective_history(&self, a: &Actor, id: i64) -> Result<Vec<crate::history::StoredEvent>> {
        let o = self.get_objective(a, id).await?;
        let mut events = tandem_store::events::for_entity(&self.db, a.tenant.0, "objective", id).await?;
        for k in &o.key_results {
            events.extend(tandem_store::events::for_entity(&self.db, a.tenant.0, "key_result", k.id).await?);
        }
        events.sort_by_key(|e| (e.at, e.seq));
        // Until it was published it was a draft: that part of its history is for those who
        // could see the draft. Everyone else's history starts at publication.
        let (goals_now, org) = tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0))?;
        let published_at = goals_now.objective(id).and_then(|r| r.published_at);
        if let Some(cut) = published_at
            && !policy::may_see_objective(a, false, PersonId(o.author), o.owner, &org.tree)
        {
            events = from_publication(events, cut);
        }
        Ok(events)
    }

    /// At cycle close (reviewing), a manager above the KR's owner sets its final score, with a
    /// written reason. A closed cycle is read-only.
    pub async fn override_kr_score(&self, a: &Actor, kr: i64, score: f64, reason: &str) -> Result<KeyResultView> {
        let (goals_now, org) = tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0))?;
        let k = goals_now.key_result(kr).cloned().ok_or(AppError::NotFound)?;
        let o = self.get_objective(a, k.objective_id).await?;
        let lead = policy::owner_lead(o.owner, &org.tree);
        if !lead.is_some_and(|l| org.tree.is_above(a.person, l)) {
            return Err(AppError::Forbidden);
        }
        match self.cycle_state(a.tenant.0, o.cycle).await? {
            CycleState::Reviewing => {}
            CycleState::Closed => return Err(AppError::Conflict("cycle_closed")),
            _ => return Err(AppError::Conflict("not_reviewing")),
        }
        if !(score.is_finite() && (0.0..=1.0).contains(&score)) {
            return Err(Invalid::new("score", Rule::OutOfRange { min: 0.0, max: 1.0 }).into());
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Invalid::new("reason", Rule::Required).into());
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        goals::set_override(&mut tx, a.tenant.0, kr, Some(score), Some(reason)).await?;
        goals::bump_version(&mut tx, a.tenant.0).await?;
        let mut c = Change::update(
            "key_result",
            kr,
            serde_json::json!({"score": kr_row_score(&k)}),
            serde_json::json!({"score": score, "override": true}),
        );
        c.action = "override";
        c.reason = Some(reason.into());
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        self.get_key_result(a, kr).await
    }

    pub async fn archive_objective(&self, a: &Actor, id: i64) -> Result<()> {
        self.update_objective(a, id, ObjectivePatch { status: Some("archived".into()), ..Default::default() })
            .await
            .map(|_| ())
    }

    fn check_kr_owners(owners: &[(Owner, f64)], org: &OrgSnapshot) -> Result<Vec<(String, i64, f64)>> {
        let mut out: Vec<(String, i64, f64)> = vec![];
        for (o, w) in owners {
            check_owner("owners", *o, org)?;
            let w = Weight::parse("owners.weight", *w)?.get();
            let (t, i) = owner_parts(*o);
            if out.iter().any(|(ot, oi, _)| ot == t && *oi == i) {
                return Err(Invalid::new("owners", Rule::Duplicate).into());
            }
            out.push((t.into(), i, w));
        }
        Ok(out)
    }

    pub async fn add_key_result(&self, a: &Actor, objective: i64, new: NewKeyResult) -> Result<KeyResultView> {
        let spec = KeyResultSpec::parse(
            &new.title,
            &new.measure,
            new.baseline,
            new.target,
            &new.unit,
            new.weight.unwrap_or(1.0),
        )?;
        let current = tandem_domain::goal::finite("current", new.current.unwrap_or(new.baseline))?;
        let (goals, org) = tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0))?;
        let o = goals.objective(objective).filter(|o| Self::visible(a, o, &org)).cloned().ok_or(AppError::NotFound)?;
        if !policy::may_edit_objective(a, PersonId(o.author_id), owner_of(&o.owner_type, o.owner_id), &org.tree) {
            return Err(AppError::Forbidden);
        }
        if self.cycle_state(a.tenant.0, o.cycle_id).await? == CycleState::Closed {
            return Err(AppError::Conflict("cycle_closed"));
        }
        let owners = Self::check_kr_owners(&new.owners, &org)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let position = goals.key_results_of(objective).count() as i64;
        let row = kr_row(a.tenant.0, tx.next_id().await?, objective, spec, current, position, now);
        goals::insert_key_result(&mut tx, &row).await?;
        goals::set_kr_owners(&mut tx, a.tenant.0, row.id, &owners).await?;
        goals::bump_version(&mut tx, a.tenant.0).await?;
        record(&mut tx, Some(a), a.tenant.0, now, Change::create("key_result", row.id, kr_json(&row, &owners))).await?;
        tx.commit().await?;
        self.get_key_result(a, row.id).await
    }

    pub async fn get_key_result(&self, a: &Actor, id: i64) -> Result<KeyResultView> {
        let v = self.views(a.tenant.0).await?;
        let k = v.goals.key_result(id).ok_or(AppError::NotFound)?;
        let o = Self::seen_objective(a, &v, k.objective_id, self.now())?;
        o.key_results.into_iter().find(|k| k.id == id).ok_or(AppError::NotFound)
    }

    pub async fn update_key_result(&self, a: &Actor, id: i64, patch: KeyResultPatch) -> Result<KeyResultView> {
        let (goals, org) = tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0))?;
        let before = goals.key_result(id).cloned().ok_or(AppError::NotFound)?;
        let o = goals
            .objective(before.objective_id)
            .filter(|o| Self::visible(a, o, &org))
            .cloned()
            .ok_or(AppError::NotFound)?;
        if !policy::may_edit_objective(a, PersonId(o.author_id), owner_of(&o.owner_type, o.owner_id), &org.tree) {
            return Err(AppError::Forbidden);
        }
        let state = self.cycle_state(a.tenant.0, o.cycle_id).await?;
        if state == CycleState::Closed {
            return Err(AppError::Conflict("cycle_closed"));
        }
        let spec = KeyResultSpec::parse(
            patch.title.as_deref().unwrap_or(&before.title),
            patch.measure.as_deref().unwrap_or(&before.measure),
            patch.baseline.unwrap_or(before.baseline),
            patch.target.unwrap_or(before.target),
            patch.unit.as_deref().unwrap_or(&before.unit),
            patch.weight.unwrap_or(before.weight),
        )?;
        let before_owners: Vec<(String, i64, f64)> =
            goals.owners_of_kr(id).map(|w| (w.owner_type.clone(), w.owner_id, w.weight)).collect();
        let owners = match &patch.owners {
            Some(ow) => Self::check_kr_owners(ow, &org)?,
            None => before_owners.clone(),
        };
        let mut after = before.clone();
        after.title = spec.title.into_string();
        after.measure = spec.measure.as_str().into();
        after.baseline = spec.baseline;
        after.target = spec.target;
        after.unit = spec.unit;
        after.weight = spec.weight.get();
        // OKRs are adjustable mid-cycle, openly: a changed target or wording needs a reason.
        let reason = patch.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(String::from);
        let meaning_changed = after.title != before.title
            || after.target != before.target
            || after.baseline != before.baseline
            || after.measure != before.measure;
        if state != CycleState::Planning && o.status == "published" && meaning_changed && reason.is_none() {
            return Err(Invalid::new("reason", Rule::Required).into());
        }
        if after == before && owners == before_owners {
            return self.get_key_result(a, id).await;
        }
        let now = self.now();
        after.updated_at = now;
        let mut tx = self.db.begin().await?;
        goals::update_key_result(&mut tx, &after).await?;
        if owners != before_owners {
            goals::set_kr_owners(&mut tx, a.tenant.0, id, &owners).await?;
        }
        goals::bump_version(&mut tx, a.tenant.0).await?;
        let mut change = Change::update("key_result", id, kr_json(&before, &before_owners), kr_json(&after, &owners));
        if o.status == "published" && meaning_changed {
            let n = |v: f64| crate::export::num_text(v);
            let what = (
                format!(
                    "关键结果「{}」→「{}」，{} → {} {}",
                    before.title,
                    after.title,
                    n(before.target),
                    n(after.target),
                    after.unit
                ),
                format!(
                    "key result “{}” → “{}”, {} → {} {}",
                    before.title,
                    after.title,
                    n(before.target),
                    n(after.target),
                    after.unit
                ),
            );
            crate::notices::queue_upstream_notice(
                &mut tx,
                &goals,
                &org,
                &o,
                (&what.0, &what.1),
                reason.as_deref(),
                now,
            )
            .await?;
        }
        change.reason = reason;
        record(&mut tx, Some(a), a.tenant.0, now, change).await?;
        tx.commit().await?;
        self.get_key_result(a, id).await
    }
}

pub(crate) fn long_text(field: &str, s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    if t.chars().count() > 4000 { Err(Invalid::new(field, Rule::TooLong { max: 4000 })) } else { Ok(t.to_string()) }
}

/// A new key result's row from its checked spec.
pub(crate) fn kr_row(
    tenant: i64,
    id: i64,
    objective: i64,
    spec: KeyResultSpec,
    current: f64,
    position: i64,
    now: i64,
) -> KeyResultRow {
    KeyResultRow {
        tenant_id: tenant,
        id,
        objective_id: objective,
        title: spec.title.into_string(),
        measure: spec.measure.as_str().into(),
        baseline: spec.baseline,
        target: spec.target,
        current,
        unit: spec.unit,
        weight: spec.weight.get(),
        position,
        created_at: now,
        updated_at: now,
        override_score: None,
        override_reason: None,
    }
}

pub(crate) struct Pace {
    pub expected: f64,
    pub forecast: f64,
    pub at_risk: bool,
    pub confidence: Option<i64>,
    pub disagrees: bool,
    pub last: Option<i64>,
}

/// A key result's pace, forecast and risk from its check-ins and its cycle's span.
pub(crate) fn pace_of(k: &KeyResultRow, o: &ObjectiveRow, goals: &GoalSnapshot, now: i64) -> Pace {
    use tandem_domain::pace;
    let (start, end) = goals.spans.get(&o.cycle_id).copied().unwrap_or((now, now + 1));
    let frac = |t: i64| ((t - start) as f64 / (end - start).max(1) as f64).clamp(0.0, 1.0);
    let measure = Measure::parse("measure", &k.measure).unwrap_or(Measure::Increase);
    let history = goals.check_ins.get(&k.id).map(Vec::as_slice).unwrap_or(&[]);
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
    let kind = ObjectiveKind::parse("kind", &o.kind).unwrap_or(ObjectiveKind::Aspirational);
    // The latest confidence a person gave (values from a metric carry none).
    let confidence = history.iter().rev().map(|(_, _, c)| *c).find(|c| *c >= 0);
    Pace {
        expected: frac(now),
        forecast,
        at_risk: pace::at_risk(kind, forecast, days),
        confidence,
        disagrees: confidence.is_some_and(|c| pace::confidence_disagrees(c.clamp(0, 10) as u8, forecast)),
        last,
    }
}

/// The history as someone who never saw the draft may read it: each objective and key result
/// as it stood when published, as one version at that moment, then every later change.
fn from_publication(events: Vec<crate::history::StoredEvent>, cut: i64) -> Vec<crate::history::StoredEvent> {
    let (early, late): (Vec<_>, Vec<_>) = events.into_iter().partition(|e| e.at <= cut);
    let mut last: BTreeMap<(String, i64), crate::history::StoredEvent> = BTreeMap::new();
    for e in early {
        last.insert((e.entity.clone(), e.entity_id), e);
    }
    let mut out: Vec<_> = last
        .into_values()
        .filter(|e| e.after.is_some())
        .map(|mut e| {
            e.at = cut;
            e.before = None;
            e.action = "create".into();
            e.reason = None;
            e
        })
        .collect();
    out.sort_by_key(|e| e.seq);
    out.extend(late);
    out
}

pub(crate) fn objective_json(o: &ObjectiveRow, supports: &[i64]) -> serde_json::Value {
    serde_json::json!({
        "title": o.title, "description": o.description, "kind": o.kind, "owner": {"type": o.owner_type, "id": o.owner_id},
        "cycle": o.cycle_id, "parent": o.parent_id, "supports": supports, "status": o.status,
    })
}

pub(crate) fn kr_json(k: &KeyResultRow, owners: &[(String, i64, f64)]) -> serde_json::Value {
    serde_json::json!({
        "objective": k.objective_id, "title": k.title, "measure": k.measure, "baseline": k.baseline, "target": k.target,
        "current": k.current, "unit": k.unit, "weight": k.weight,
        "owners": owners.iter().map(|(t, i, w)| serde_json::json!({"type": t, "id": i, "weight": w})).collect::<Vec<_>>(),
    })
}
