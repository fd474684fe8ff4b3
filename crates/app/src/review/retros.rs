//! The 复盘 of an objective: read by whoever may see the objective, written by its owner (or its
//! author) while its cycle is in review or closed, acknowledged by a manager above
//! the owner. Self scores sit beside the computed and the manager's final score of each key
//! result; the retro's traps are named as hints; its lessons go to the knowledge base in the same
//! write.

use crate::error::{AppError, Result};
use crate::goals::snapshot::GoalSnapshot;
use crate::goals::snapshot::kr_rule_score;
use crate::org::chart::OrgSnapshot;
use crate::org::owners::owner_of;
use crate::review::scores::{Provenance, provenance};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::cycle::CycleState;
use tandem_domain::goal::ObjectiveKind;
use tandem_domain::ids::PersonId;
use tandem_domain::lint::Finding;
use tandem_domain::retro::{self, Outcome, Retro, RetroInput};
use tandem_domain::{Invalid, Lang, Rule, policy};
use tandem_store::goals::ObjectiveRow;
use tandem_store::reviews::{self, KrFinalRow, LessonRow, RetroRow};

/// A key result at review: its computed score (frozen when the cycle went into review), the
/// owner's self score and the manager's final score.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KrReview {
    pub key_result: i64,
    pub title: String,
    pub unit: String,
    pub target: f64,
    /// The value as frozen (or the current one, before the cycle went into review).
    pub value: f64,
    pub computed_score: f64,
    pub self_score: Option<f64>,
    pub self_note: String,
    /// The manager's final score and its reason, when they set one.
    pub final_score: Option<f64>,
    pub final_reason: Option<String>,
    /// The score that counts: the final one, else the computed one.
    pub score: f64,
    pub frozen: Option<Provenance>,
}

/// An objective's retro as its readers see it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RetroView {
    pub objective: i64,
    pub objective_title: String,
    pub cycle: i64,
    pub cycle_state: String,
    pub committed: bool,
    #[serde(flatten)]
    pub retro: Retro,
    pub key_results: Vec<KrReview>,
    /// The retro's traps (a miss with no cause, only outside causes, …).
    pub hints: Vec<Finding>,
    /// Whether anything was written beyond self scores.
    pub written: bool,
    pub author: Option<i64>,
    pub updated_at: Option<i64>,
    pub acknowledged_by: Option<i64>,
    pub acknowledged_by_name: Option<String>,
    pub acknowledged_at: Option<i64>,
    /// Whether the caller may write it now, acknowledge it, and set final scores (a manager
    /// above the owner, while the cycle is in review).
    pub can_edit: bool,
    pub can_acknowledge: bool,
    pub can_finalize: bool,
    /// Whom its actions may go to: the owner's team (its unit and the units below) and the
    /// owner's management chain (at most 300 people).
    pub assignees: Vec<(i64, String)>,
}

/// The owner's team and management chain, active people only.
fn assignees(o: &ObjectiveRow, org: &OrgSnapshot) -> Vec<(i64, String)> {
    assignees_of(owner_of(&o.owner_type, o.owner_id), org)
}

/// Whom a retro's actions may go to: the owner's team (its unit and the units below) and the
/// owner's management chain (at most 300 people).
pub(crate) fn assignees_of(owner: tandem_domain::goal::Owner, org: &OrgSnapshot) -> Vec<(i64, String)> {
    let lead = policy::owner_lead(owner, &org.tree);
    let unit = match owner {
        tandem_domain::goal::Owner::OrgUnit(u) => Some(u),
        tandem_domain::goal::Owner::Person(p) => org.tree.unit_of(p),
    };
    let units: std::collections::HashSet<i64> =
        unit.map(|u| org.tree.subtree(u).into_iter().map(|x| x.0).collect()).unwrap_or_default();
    let chain: Vec<i64> =
        lead.map(|l| org.tree.management_chain(l).into_iter().map(|p| p.0).collect()).unwrap_or_default();
    let mut out: Vec<(i64, String)> = org
        .people
        .iter()
        .filter(|p| p.active == 1)
        .filter(|p| {
            p.org_unit_id.is_some_and(|u| units.contains(&u))
                || chain.contains(&p.id)
                || Some(p.id) == lead.map(|l| l.0)
        })
        .take(300)
        .map(|p| (p.id, p.name.clone()))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// A retro's lessons as the knowledge base stores them, in order, with new ids: of an objective's
/// retro (`(Some(objective), None)`) or a unit's team retro (`(None, Some(unit))`).
pub(crate) async fn lesson_rows(
    tx: &mut tandem_store::Tx,
    tenant: i64,
    (objective, unit): (Option<i64>, Option<i64>),
    cycle: i64,
    retro: &Retro,
    now: i64,
) -> Result<Vec<LessonRow>> {
    let mut rows = vec![];
    for (i, l) in retro.lessons.iter().enumerate() {
        rows.push(LessonRow {
            tenant_id: tenant,
            id: tx.next_id().await?,
            objective_id: objective,
            unit_id: unit,
            cycle_id: cycle,
            position: i as i64,
            text: l.text.clone(),
            tags: l.tags.join(","),
            created_at: now,
        });
    }
    Ok(rows)
}

/// Every action's owner is an active person of the tenant.
pub(crate) fn check_action_owners(retro: &Retro, org: &OrgSnapshot) -> Result<()> {
    for (i, act) in retro.actions.iter().enumerate() {
        if let Some(p) = act.owner
            && org.person(p).is_none_or(|p| p.active != 1)
        {
            return Err(Invalid::new(format!("actions[{i}].owner"), Rule::UnknownRef).into());
        }
    }
    Ok(())
}

pub(crate) fn in_review(state: &str) -> bool {
    state == CycleState::Reviewing.as_str() || state == CycleState::Closed.as_str()
}

/// A stored retro's input as written (it was checked then), for readers that take what they can:
/// the knowledge base, mining, carry-over.
pub(crate) fn stored_input(row: &RetroRow) -> Option<RetroInput> {
    serde_json::from_str(&row.body).ok()
}

/// A stored retro, read back (it was checked when written; the objective's key results bound it).
fn stored(row: &RetroRow, krs: &[i64]) -> Result<Retro> {
    let input: RetroInput = serde_json::from_str(&row.body)
        .map_err(|e| AppError::Internal(format!("retro of objective {}: {e}", row.objective_id)))?;
    Retro::parse(&input, krs).map_err(|e| AppError::Internal(format!("retro of objective {}: {e}", row.objective_id)))
}

/// The owner (a unit's objective: the unit's manager) or its author writes the retro: it is their
/// account of the cycle, which managers acknowledge and score beside, but do not rewrite.
fn may_write(a: &Actor, o: &ObjectiveRow, org: &OrgSnapshot) -> bool {
    a.person == PersonId(o.author_id) || leads(a, owner_of(&o.owner_type, o.owner_id), org)
}

/// Whether the actor answers for `owner` (is the person, or the unit's nearest manager).
pub(crate) fn leads(a: &Actor, owner: tandem_domain::goal::Owner, org: &OrgSnapshot) -> bool {
    policy::owner_lead(owner, &org.tree).is_some_and(|l| l == a.person)
}

/// A manager above the owner (a unit's objective: above the unit's manager).
fn may_acknowledge(a: &Actor, o: &ObjectiveRow, org: &OrgSnapshot) -> bool {
    above_lead(a, owner_of(&o.owner_type, o.owner_id), org)
}

/// Whether the actor is a manager above whoever answers for `owner`.
pub(crate) fn above_lead(a: &Actor, owner: tandem_domain::goal::Owner, org: &OrgSnapshot) -> bool {
    policy::owner_lead(owner, &org.tree).is_some_and(|l| org.tree.is_above(a.person, l))
}

impl App {
    /// The objective's key results at review, scored.
    pub(crate) fn kr_reviews(
        goals: &GoalSnapshot,
        id: i64,
        retro: &Retro,
        finals: &[KrFinalRow],
        org: &OrgSnapshot,
    ) -> Vec<KrReview> {
        goals
            .key_results_of(id)
            .map(|k| {
                let frozen = finals.iter().find(|f| f.kr_id == k.id);
                let own = retro.self_scores.iter().find(|s| s.key_result == k.id);
                // The rule's own score of the value (the manager's final score is shown beside it).
                let value = frozen.map_or(k.current, |f| f.value);
                let computed = kr_rule_score(k, value);
                KrReview {
                    key_result: k.id,
                    title: k.title.clone(),
                    unit: k.unit.clone(),
                    target: k.target,
                    value,
                    computed_score: computed,
                    self_score: own.map(|s| s.score),
                    self_note: own.map(|s| s.note.clone()).unwrap_or_default(),
                    final_score: k.override_score,
                    final_reason: k.override_reason.clone(),
                    score: k.override_score.unwrap_or(computed).clamp(0.0, 1.0),
                    frozen: frozen.map(|f| provenance(f, |p| org.person(p).map(|p| p.name.clone()))),
                }
            })
            .collect()
    }

    /// The objective's retro (an empty one until written). 404 to whoever may not see the objective.
    pub async fn retro(&self, a: &Actor, objective: i64, lang: Lang) -> Result<RetroView> {
        let (row, finals) = tokio::try_join!(
            async { Ok::<_, AppError>(reviews::retro(&self.db, a.tenant.0, objective).await?) },
            async { Ok::<_, AppError>(reviews::finals_of_objective(&self.db, a.tenant.0, objective).await?) },
        )?;
        let v = self.views(a.tenant.0).await?;
        let o = v.goals.objective(objective).filter(|o| Self::visible(a, o, &v.org)).ok_or(AppError::NotFound)?;
        let krs: Vec<i64> = v.goals.key_results_of(o.id).map(|k| k.id).collect();
        let retro = match &row {
            Some(r) => stored(r, &krs)?,
            None => Retro::default(),
        };
        let state = v.goals.cycle_states.get(&o.cycle_id).cloned().unwrap_or_default();
        let committed = ObjectiveKind::parse("kind", &o.kind).is_ok_and(|k| k == ObjectiveKind::Committed);
        let key_results = Self::kr_reviews(&v.goals, o.id, &retro, &finals, &v.org);
        let outcomes: Vec<Outcome> =
            key_results.iter().map(|k| Outcome { key_result: k.key_result, score: k.score, committed }).collect();
        let hints = if in_review(&state) { retro::check(&retro, &outcomes, lang) } else { vec![] };
        let ack_by = row.as_ref().and_then(|r| r.acknowledged_by);
        Ok(RetroView {
            objective: o.id,
            objective_title: o.title.clone(),
            cycle: o.cycle_id,
            cycle_state: state.clone(),
            committed,
            written: retro.is_written(),
            retro,
            key_results,
            hints,
            author: row.as_ref().map(|r| r.author_id),
            updated_at: row.as_ref().map(|r| r.updated_at),
            acknowledged_by: ack_by,
            acknowledged_by_name: ack_by.and_then(|p| v.org.person(p)).map(|p| p.name.clone()),
            acknowledged_at: row.as_ref().and_then(|r| r.acknowledged_at),
            can_edit: in_review(&state) && o.published_at.is_some() && may_write(a, o, &v.org),
            can_acknowledge: row.is_some() && ack_by.is_none() && may_acknowledge(a, o, &v.org),
            can_finalize: state == CycleState::Reviewing.as_str() && may_acknowledge(a, o, &v.org),
            assignees: assignees(o, &v.org),
        })
    }

    /// Writes the objective's retro whole. Its owner (or author) writes it while the cycle is in
    /// review or closed; once closed, self scores stay as they were.
    pub async fn save_retro(&self, a: &Actor, objective: i64, input: &RetroInput, lang: Lang) -> Result<RetroView> {
        let (o, krs, state, retro) = {
            let v = self.views(a.tenant.0).await?;
            let o = v.goals.objective(objective).filter(|o| Self::visible(a, o, &v.org)).ok_or(AppError::NotFound)?;
            if !may_write(a, o, &v.org) {
                return Err(AppError::Forbidden);
            }
            let krs: Vec<i64> = v.goals.key_results_of(o.id).map(|k| k.id).collect();
            let state = v.goals.cycle_states.get(&o.cycle_id).cloned().unwrap_or_default();
            let retro = Retro::parse(input, &krs)?;
            check_action_owners(&retro, &v.org)?;
            (o.clone(), krs, state, retro)
        };
        if !in_review(&state) {
            return Err(AppError::Conflict("not_in_review"));
        }
        if o.published_at.is_none() {
            return Err(AppError::Conflict("never_published"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let before = reviews::retro_in(&mut tx, a.tenant.0, objective).await?;
        let before_retro = before.as_ref().map(|b| stored(b, &krs)).transpose()?;
        if state == CycleState::Closed.as_str() {
            let old = before_retro.as_ref().map(|r| r.self_scores.clone()).unwrap_or_default();
            let same =
                old.len() == retro.self_scores.len() && retro.self_scores.iter().all(|s| old.iter().any(|o| o == s));
            if !same {
                return Err(AppError::Conflict("cycle_closed"));
            }
        }
        let body = serde_json::to_value(&retro).map_err(|e| AppError::Internal(e.to_string()))?;
        reviews::save_retro(
            &mut tx,
            &RetroRow {
                tenant_id: a.tenant.0,
                objective_id: objective,
                cycle_id: o.cycle_id,
                body: body.to_string(),
                author_id: a.person.0,
                created_at: before.as_ref().map_or(now, |b| b.created_at),
                updated_at: now,
                acknowledged_by: None,
                acknowledged_at: None,
            },
        )
        .await?;
        let lessons = lesson_rows(&mut tx, a.tenant.0, (Some(objective), None), o.cycle_id, &retro, now).await?;
        reviews::replace_lessons(&mut tx, a.tenant.0, objective, &lessons).await?;
        let change = match &before {
            Some(b) => Change::update(
                "retro",
                objective,
                serde_json::from_str(&b.body).map_err(|e| AppError::Internal(e.to_string()))?,
                body,
            ),
            None => Change::create("retro", objective, body),
        };
        record(&mut tx, Some(a), a.tenant.0, now, change).await?;
        tx.commit().await?;
        self.retro(a, objective, lang).await
    }

    /// A manager above the owner acknowledges the retro (once).
    pub async fn acknowledge_retro(&self, a: &Actor, objective: i64, lang: Lang) -> Result<RetroView> {
        {
            let v = self.views(a.tenant.0).await?;
            let o = v.goals.objective(objective).filter(|o| Self::visible(a, o, &v.org)).ok_or(AppError::NotFound)?;
            if !may_acknowledge(a, o, &v.org) {
                return Err(AppError::Forbidden);
            }
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let row = reviews::retro_in(&mut tx, a.tenant.0, objective).await?.ok_or(AppError::Conflict("no_retro"))?;
        if row.acknowledged_by.is_some() {
            return Err(AppError::Conflict("already_acknowledged"));
        }
        reviews::acknowledge(&mut tx, a.tenant.0, objective, a.person.0, now).await?;
        let mut c = Change::update(
            "retro",
            objective,
            serde_json::json!({"acknowledged_by": null}),
            serde_json::json!({"acknowledged_by": a.person.0}),
        );
        c.action = "acknowledge";
        record(&mut tx, Some(a), a.tenant.0, now, c).await?;
        tx.commit().await?;
        self.retro(a, objective, lang).await
    }
}
