//! Carry-over: when a cycle closes, each retro's decisions are recorded, and those that continue
//! or revise a key result become drafts in the next cycle of the same kind — one draft objective
//! per objective, its key results starting where the old ones ended — linked back to where they
//! came from. A decision to drop or to turn a key result into a KPI is recorded and creates
//! nothing. The next cycle is the one starting within a month of this one's end, while it is
//! planned or running; when there is none yet, the decisions wait and are drafted when it is
//! created.

use crate::error::{AppError, Result};
use crate::goals::key_results::kr_row;
use crate::{Actor, App, Change, record};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use tandem_domain::cycle::parse_date;
use tandem_domain::goal::KeyResultSpec;
use tandem_domain::retro::{CarryOver, RetroInput};
use tandem_store::Tx;
use tandem_store::cycles::CycleRow;
use tandem_store::goals::{self, ObjectiveRow};
use tandem_store::reviews::{self, CarryRow};

/// How far after a cycle's end the next one may start and still take its carry-overs.
const NEXT_WITHIN_DAYS: i64 = 31;

/// Whether `next` follows `prev` closely enough to take its carry-overs.
fn follows(prev: &CycleRow, next: &CycleRow) -> bool {
    let (Ok(end), Ok(start)) = (parse_date("end", &prev.end_date), parse_date("start", &next.start_date)) else {
        return false;
    };
    next.kind == prev.kind && start > end && start - end <= time::Duration::days(NEXT_WITHIN_DAYS)
}

/// Records the closed `cycle`'s decisions and drafts them into the next cycle when there is one,
/// inside the write that closes it. Answers how many drafts were made.
pub(crate) async fn carry_forward(tx: &mut Tx, actor: &Actor, cycle: i64, now: i64) -> Result<usize> {
    let tenant = actor.tenant.0;
    for r in reviews::retros_of_cycle_in(tx, tenant, cycle).await? {
        if reviews::carried_in(tx, tenant, r.objective_id).await? {
            continue;
        }
        let Some(input) = crate::review::retros::stored_input(&r) else { continue };
        let mut rows: Vec<CarryRow> = vec![];
        for d in &input.carry_over {
            let Ok(decision) = CarryOver::parse("decision", &d.decision) else { continue };
            if goals::key_result_in(tx, tenant, d.key_result).await?.is_none() {
                continue;
            }
            rows.push(CarryRow {
                tenant_id: tenant,
                id: tx.next_id().await?,
                from_objective: r.objective_id,
                from_kr: d.key_result,
                decision: decision.as_str().into(),
                to_cycle: None,
                to_objective: None,
                to_kr: None,
                created_at: now,
            });
        }
        reviews::insert_carries(tx, &rows).await?;
    }
    let cycles = tandem_store::cycles::list_in(tx, tenant).await?;
    let this = cycles.iter().find(|c| c.id == cycle).ok_or(AppError::NotFound)?;
    let next = cycles
        .iter()
        .filter(|c| c.kind == this.kind && c.start_date > this.end_date)
        .min_by(|a, b| a.start_date.cmp(&b.start_date))
        .filter(|c| follows(this, c) && (c.state == "planning" || c.state == "active"));
    match next {
        Some(next) => draft_pending(tx, actor, cycle, next.id, now).await,
        None => Ok(0),
    }
}

/// Drafts the waiting carry-overs of the closed cycle that `cycle` (just created) follows, inside
/// the write that creates it. Answers how many drafts were made.
pub(crate) async fn carry_into_new(tx: &mut Tx, actor: &Actor, cycle: &CycleRow, now: i64) -> Result<usize> {
    let cycles = tandem_store::cycles::list_in(tx, actor.tenant.0).await?;
    // The closest closed cycle before it, if nothing else sits between them.
    let prev = cycles
        .iter()
        .filter(|c| c.id != cycle.id && c.kind == cycle.kind && c.end_date < cycle.start_date)
        .max_by(|a, b| a.end_date.cmp(&b.end_date))
        .filter(|p| p.state == "closed" && follows(p, cycle));
    match prev {
        Some(prev) => draft_pending(tx, actor, prev.id, cycle.id, now).await,
        None => Ok(0),
    }
}

/// Turns the recorded, not yet drafted decisions to continue or revise key results of `from`'s
/// objectives into drafts in `to`: one draft objective per objective.
async fn draft_pending(tx: &mut Tx, actor: &Actor, from: i64, to: i64, now: i64) -> Result<usize> {
    let tenant = actor.tenant.0;
    let pending = reviews::pending_carries_in(tx, tenant, from).await?;
    let finals = reviews::finals_of_cycle_in(tx, tenant, from).await?;
    let mut by_objective: BTreeMap<i64, Vec<CarryRow>> = BTreeMap::new();
    for r in pending {
        by_objective.entry(r.from_objective).or_default().push(r);
    }
    let mut drafts = 0;
    for (from_objective, rows) in by_objective {
        let Some(source) = goals::objective_in(tx, tenant, from_objective).await? else { continue };
        let author = reviews::retro_in(tx, tenant, from_objective).await?.map_or(source.author_id, |r| r.author_id);
        let id = tx.next_id().await?;
        let draft = ObjectiveRow {
            tenant_id: tenant,
            id,
            cycle_id: to,
            title: source.title.clone(),
            description: source.description.clone(),
            kind: source.kind.clone(),
            owner_type: source.owner_type.clone(),
            owner_id: source.owner_id,
            parent_id: None,
            status: "draft".into(),
            author_id: author,
            created_at: now,
            updated_at: now,
            published_at: None,
        };
        goals::insert_objective(tx, &draft).await?;
        for (position, row) in rows.iter().enumerate() {
            let Some(k) = goals::key_result_in(tx, tenant, row.from_kr).await? else { continue };
            // It starts where the old one ended (its frozen value), toward the same target.
            let start = finals.iter().find(|f| f.kr_id == k.id).map_or(k.current, |f| f.value);
            // (Reached already, a start at its target is no key result: keep the old baseline.)
            let spec = KeyResultSpec::parse(&k.title, &k.measure, start, k.target, &k.unit, k.weight)
                .or_else(|_| KeyResultSpec::parse(&k.title, &k.measure, k.baseline, k.target, &k.unit, k.weight))?;
            let start = spec.baseline;
            let new = kr_row(tenant, tx.next_id().await?, id, spec, start, position as i64, now);
            goals::insert_key_result(tx, &new).await?;
            reviews::set_carry_target(tx, tenant, row.id, to, id, new.id).await?;
        }
        let mut c = Change::create(
            "objective",
            id,
            serde_json::json!({"title": draft.title, "cycle": to, "status": "draft", "carried_from": source.id}),
        );
        c.action = "carry_over";
        record(tx, Some(actor), tenant, now, c).await?;
        drafts += 1;
    }
    if drafts > 0 {
        goals::bump_version(tx, tenant).await?;
    }
    Ok(drafts)
}

/// One carry-over, as the retro and the draft's page show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CarryView {
    pub from_objective: i64,
    pub from_title: String,
    pub from_kr: i64,
    pub decision: CarryOver,
    pub to_objective: Option<i64>,
    pub to_cycle_name: Option<String>,
}

impl App {
    /// The carry-overs from or into an objective the caller may see (a draft only its circle sees).
    pub async fn carries(&self, a: &Actor, objective: i64) -> Result<Vec<CarryView>> {
        let rows = reviews::carries(&self.db, a.tenant.0, objective).await?;
        let cycles = tandem_store::cycles::list(&self.db, a.tenant.0).await?;
        let v = self.views(a.tenant.0).await?;
        v.goals.objective(objective).filter(|o| Self::visible(a, o, &v.org)).ok_or(AppError::NotFound)?;
        Ok(rows
            .into_iter()
            .filter(|r| {
                r.to_objective.is_none_or(|t| v.goals.objective(t).is_some_and(|o| Self::visible(a, o, &v.org)))
            })
            .filter_map(|r| {
                Some(CarryView {
                    from_objective: r.from_objective,
                    from_title: v.goals.objective(r.from_objective)?.title.clone(),
                    from_kr: r.from_kr,
                    decision: CarryOver::parse("decision", &r.decision).ok()?,
                    to_objective: r.to_objective,
                    to_cycle_name: r.to_cycle.and_then(|c| cycles.iter().find(|x| x.id == c)).map(|c| c.name.clone()),
                })
            })
            .collect())
    }
}

/// A draft carried into a cycle: where it came from and what its retro asked.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CarriedDraft {
    pub objective: i64,
    pub title: String,
    /// `draft` until someone publishes it (or whatever became of it).
    pub status: String,
    pub owner_name: String,
    pub from_objective: i64,
    pub from_cycle_name: String,
    /// Per key result: its title and whether it continues or is to be revised.
    pub key_results: Vec<(String, CarryOver)>,
    /// What the retro said did not work, and its lessons: what to change.
    pub did_not: Vec<String>,
    pub lessons: Vec<String>,
}

impl App {
    /// What was carried into `cycle` from the retros of the one before, drafts the caller may see.
    pub async fn carried_into(&self, a: &Actor, cycle: i64) -> Result<Vec<CarriedDraft>> {
        let rows = reviews::carries_into_cycle(&self.db, a.tenant.0, cycle).await?;
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let cycles = tandem_store::cycles::list(&self.db, a.tenant.0).await?;
        let mut inputs: HashMap<i64, RetroInput> = HashMap::new();
        for r in &rows {
            if let std::collections::hash_map::Entry::Vacant(e) = inputs.entry(r.from_objective)
                && let Some(input) = reviews::retro(&self.db, a.tenant.0, r.from_objective)
                    .await?
                    .as_ref()
                    .and_then(crate::review::retros::stored_input)
            {
                e.insert(input);
            }
        }
        let v = self.views(a.tenant.0).await?;
        let mut by_draft: BTreeMap<i64, Vec<CarryRow>> = BTreeMap::new();
        for r in rows {
            if let Some(to) = r.to_objective {
                by_draft.entry(to).or_default().push(r);
            }
        }
        let mut out = vec![];
        for (to, rows) in by_draft {
            let Some(draft) = v.goals.objective(to).filter(|o| Self::visible(a, o, &v.org)) else { continue };
            let from_id = rows[0].from_objective;
            let Some(from) = v.goals.objective(from_id) else { continue };
            let input = inputs.remove(&from_id);
            out.push(CarriedDraft {
                objective: to,
                title: draft.title.clone(),
                status: draft.status.clone(),
                owner_name: crate::org::owners::owner_name(
                    crate::org::owners::owner_of(&draft.owner_type, draft.owner_id),
                    &v.org,
                ),
                from_objective: from_id,
                from_cycle_name: cycles
                    .iter()
                    .find(|c| c.id == from.cycle_id)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                key_results: rows
                    .iter()
                    .filter_map(|r| {
                        let k = v.goals.key_result(r.from_kr)?;
                        Some((k.title.clone(), CarryOver::parse("decision", &r.decision).ok()?))
                    })
                    .collect(),
                did_not: input.as_ref().map(|i| i.did_not.clone()).unwrap_or_default(),
                lessons: input.map(|i| i.lessons.into_iter().map(|l| l.text).collect()).unwrap_or_default(),
            });
        }
        Ok(out)
    }
}
