//! Carry-over: when a cycle closes, each retro's decisions become drafts in the next cycle of the
//! same kind — one draft objective per objective that continues or revises a key result, its key
//! results starting where the old ones ended — linked back to where they came from. A decision to
//! drop or to turn a key result into a KPI is recorded and creates nothing. Without a next cycle
//! (one starting within a month of this one's end) that is still planned or running, the
//! decisions stay recorded and nothing is drafted.

use crate::error::{AppError, Result};
use crate::goals::key_results::kr_row;
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::cycle::parse_date;
use tandem_domain::goal::KeyResultSpec;
use tandem_domain::retro::{CarryOver, RetroInput};
use tandem_store::Tx;
use tandem_store::goals::{self, ObjectiveRow};
use tandem_store::reviews::{self, CarryRow};

/// Carries the closed `cycle`'s decisions forward, inside the write that closes it. Answers how
/// many drafts were made.
pub(crate) async fn carry_forward(tx: &mut Tx, actor: &Actor, cycle: i64, now: i64) -> Result<usize> {
    let tenant = actor.tenant.0;
    let cycles = tandem_store::cycles::list_in(tx, tenant).await?;
    let this = cycles.iter().find(|c| c.id == cycle).ok_or(AppError::NotFound)?;
    // The cycle that follows this one (starting within a month of its end), if it is still
    // planned or running.
    let end = parse_date("end", &this.end_date)?;
    let next = cycles
        .iter()
        .filter(|c| c.kind == this.kind && c.start_date > this.end_date)
        .min_by(|a, b| a.start_date.cmp(&b.start_date))
        .filter(|c| parse_date("start", &c.start_date).is_ok_and(|s| s - end <= time::Duration::days(31)))
        .filter(|c| c.state == "planning" || c.state == "active");
    let finals = reviews::finals_of_cycle_in(tx, tenant, cycle).await?;
    let mut drafts = 0;
    for r in reviews::retros_of_cycle_in(tx, tenant, cycle).await? {
        if reviews::carried_in(tx, tenant, r.objective_id).await? {
            continue;
        }
        let Some(from) = goals::objective_in(tx, tenant, r.objective_id).await? else { continue };
        let Ok(input) = serde_json::from_str::<RetroInput>(&r.body) else { continue };
        let mut rows: Vec<CarryRow> = vec![];
        let mut carried = vec![];
        for d in &input.carry_over {
            let Ok(decision) = CarryOver::parse("decision", &d.decision) else { continue };
            let Some(k) = goals::key_result_in(tx, tenant, d.key_result).await? else { continue };
            let keeps = matches!(decision, CarryOver::Continue | CarryOver::Revise);
            rows.push(CarryRow {
                tenant_id: tenant,
                id: tx.next_id().await?,
                from_objective: from.id,
                from_kr: k.id,
                decision: decision.as_str().into(),
                to_cycle: None,
                to_objective: None,
                to_kr: None,
                created_at: now,
            });
            if keeps {
                carried.push((rows.len() - 1, k));
            }
        }
        if let (Some(next), false) = (next, carried.is_empty()) {
            let id = tx.next_id().await?;
            let draft = ObjectiveRow {
                tenant_id: tenant,
                id,
                cycle_id: next.id,
                title: from.title.clone(),
                description: from.description.clone(),
                kind: from.kind.clone(),
                owner_type: from.owner_type.clone(),
                owner_id: from.owner_id,
                parent_id: None,
                status: "draft".into(),
                author_id: r.author_id,
                created_at: now,
                updated_at: now,
                published_at: None,
            };
            goals::insert_objective(tx, &draft).await?;
            for (position, (row, k)) in carried.iter().enumerate() {
                // It starts where the old one ended (its frozen value), toward the same target.
                let start = finals.iter().find(|f| f.kr_id == k.id).map_or(k.current, |f| f.value);
                // (Reached already, a start at its target is no key result: keep the old baseline.)
                let spec = KeyResultSpec::parse(&k.title, &k.measure, start, k.target, &k.unit, k.weight)
                    .or_else(|_| KeyResultSpec::parse(&k.title, &k.measure, k.baseline, k.target, &k.unit, k.weight))?;
                let start = spec.baseline;
                let new = kr_row(tenant, tx.next_id().await?, id, spec, start, position as i64, now);
                goals::insert_key_result(tx, &new).await?;
                rows[*row].to_cycle = Some(next.id);
                rows[*row].to_objective = Some(id);
                rows[*row].to_kr = Some(new.id);
            }
            let mut c = Change::create(
                "objective",
                id,
                serde_json::json!({"title": draft.title, "cycle": next.id, "status": "draft", "carried_from": from.id}),
            );
            c.action = "carry_over";
            record(tx, Some(actor), tenant, now, c).await?;
            drafts += 1;
        }
        reviews::insert_carries(tx, &rows).await?;
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
