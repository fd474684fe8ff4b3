//! Check-ins: a key result's new value, a confidence and the three weekly questions. A check-in
//! moves the KR's score, its objective's score and the roll-up of every objective above it;
//! the answer carries them all.

use crate::error::{AppError, Result};
use crate::goals::{KeyResultView, ObjectiveView, owner_of};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::checkin::CheckIn;
use tandem_domain::cycle::CycleState;
use tandem_domain::ids::PersonId;
use tandem_domain::policy;
use tandem_store::checkins::{self, CheckInRow};
use tandem_store::goals;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckInView {
    pub id: i64,
    pub key_result: i64,
    pub author: i64,
    pub author_name: String,
    pub value: f64,
    pub previous: f64,
    pub confidence: i64,
    pub progress: String,
    pub blockers: String,
    pub help: String,
    pub created_at: i64,
}

/// One objective's scores after a check-in.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RolledUp {
    pub objective: i64,
    pub title: String,
    pub rollup: f64,
    pub band: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckInOutcome {
    pub check_in: CheckInView,
    pub key_result: KeyResultView,
    pub objective: ObjectiveView,
    /// Every objective above, nearest first, with its new roll-up.
    pub ancestors: Vec<RolledUp>,
}

impl App {
    pub async fn check_ins(&self, a: &Actor, kr: i64) -> Result<Vec<CheckInView>> {
        self.get_key_result(a, kr).await?;
        let (rows, org) = tokio::try_join!(
            async { Ok::<_, AppError>(checkins::for_kr(&self.db, a.tenant.0, kr).await?) },
            self.org_snapshot(a.tenant.0)
        )?;
        Ok(rows
            .into_iter()
            .map(|c| CheckInView {
                id: c.id,
                key_result: c.kr_id,
                author: c.author_id,
                author_name: org.person(c.author_id).map(|p| p.name.clone()).unwrap_or_default(),
                value: c.value,
                previous: c.previous,
                confidence: c.confidence,
                progress: c.progress,
                blockers: c.blockers,
                help: c.help,
                created_at: c.created_at,
            })
            .collect())
    }

    /// Records a check-in. Its objective's editors and the KR's owners may check in, while the
    /// cycle is active.
    pub async fn check_in(&self, a: &Actor, kr: i64, input: CheckIn) -> Result<CheckInOutcome> {
        let (goals_now, org) = tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0))?;
        let k = goals_now.key_result(kr).cloned().ok_or(AppError::NotFound)?;
        let o = self.get_objective(a, k.objective_id).await?;
        let row = goals_now.objective(o.id).cloned().ok_or(AppError::NotFound)?;
        let carries = goals_now
            .kr_owners
            .iter()
            .filter(|w| w.kr_id == kr)
            .any(|w| policy::may_set_goals_for(a, owner_of(&w.owner_type, w.owner_id), &org.tree));
        if !(carries || policy::may_edit_objective(a, PersonId(row.author_id), o.owner, &org.tree)) {
            return Err(AppError::Forbidden);
        }
        let state =
            tandem_store::cycles::get(&self.db, a.tenant.0, o.cycle).await?.map(|c| c.state).unwrap_or_default();
        if state != CycleState::Active.as_str() || o.status == "archived" {
            return Err(AppError::Conflict("not_running"));
        }
        let mut tx = self.db.begin().await?;
        checkins::lock_kr(&mut tx, a.tenant.0, kr).await?;
        let before = goals::key_result_in(&mut tx, a.tenant.0, kr).await?.ok_or(AppError::NotFound)?;
        // Taken under the row lock: check-ins on one KR are stamped in the order they commit.
        let now = self.now().max(before.updated_at + 1);
        let c = CheckInRow {
            tenant_id: a.tenant.0,
            id: tx.next_id().await?,
            kr_id: kr,
            author_id: a.person.0,
            value: input.value,
            previous: before.current,
            confidence: i64::from(input.confidence),
            progress: input.progress,
            blockers: input.blockers,
            help: input.help,
            created_at: now,
        };
        checkins::insert(&mut tx, &c).await?;
        checkins::set_current(&mut tx, a.tenant.0, kr, c.value, now).await?;
        let mut after = before.clone();
        after.current = c.value;
        let owners: Vec<(String, i64, f64)> = goals_now
            .kr_owners
            .iter()
            .filter(|w| w.kr_id == kr)
            .map(|w| (w.owner_type.clone(), w.owner_id, w.weight))
            .collect();
        let mut change = Change::update(
            "key_result",
            kr,
            crate::goals::kr_json(&before, &owners),
            crate::goals::kr_json(&after, &owners),
        );
        change.action = "check_in";
        record(&mut tx, Some(a), a.tenant.0, now, change).await?;
        goals::bump_version(&mut tx, a.tenant.0).await?;
        tx.commit().await?;

        let objective = self.get_objective(a, o.id).await?;
        let key_result = objective.key_results.iter().find(|x| x.id == kr).cloned().ok_or(AppError::NotFound)?;
        let mut ancestors = vec![];
        let mut cur = objective.parent;
        while let Some(p) = cur {
            if ancestors.len() > 64 {
                break;
            }
            match self.get_objective(a, p).await {
                Ok(po) => {
                    ancestors.push(RolledUp {
                        objective: po.id,
                        title: po.title.clone(),
                        rollup: po.rollup,
                        band: po.rollup_band.as_str(),
                    });
                    cur = po.parent;
                }
                Err(_) => break,
            }
        }
        let check_in = self.check_ins(a, kr).await?.into_iter().find(|x| x.id == c.id).ok_or(AppError::NotFound)?;
        Ok(CheckInOutcome { check_in, key_result, objective, ancestors })
    }
}

/// A key result waiting for its owner's weekly check-in.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Owed {
    pub key_result: i64,
    pub title: String,
    pub objective: i64,
    pub objective_title: String,
    /// When it was last checked in (µs), if ever.
    pub last_check_in: Option<i64>,
}

const WEEK_US: i64 = 7 * 24 * 3600 * 1_000_000;

impl App {
    /// What do I owe: the key results I carry in running cycles with no check-in for a week.
    pub async fn owed_check_ins(&self, a: &Actor) -> Result<Vec<Owed>> {
        let (goals_now, org, cycles) =
            tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0), self.list_cycles(a))?;
        let active: Vec<i64> = cycles.iter().filter(|c| c.state == CycleState::Active.as_str()).map(|c| c.id).collect();
        let led: Vec<i64> = org.units.iter().filter(|u| u.manager_id == Some(a.person.0)).map(|u| u.id).collect();
        let mine = |t: &str, id: i64| (t == "person" && id == a.person.0) || (t == "org_unit" && led.contains(&id));
        let now = self.now();
        let mut out = vec![];
        for o in goals_now.objectives.iter().filter(|o| o.status == "published" && active.contains(&o.cycle_id)) {
            for k in goals_now.key_results_of(o.id) {
                let owners: Vec<_> = goals_now.kr_owners.iter().filter(|w| w.kr_id == k.id).collect();
                let carries = if owners.is_empty() {
                    mine(&o.owner_type, o.owner_id)
                } else {
                    owners.iter().any(|w| mine(&w.owner_type, w.owner_id))
                };
                if !carries {
                    continue;
                }
                let last = checkins::for_kr(&self.db, a.tenant.0, k.id).await?.first().map(|c| c.created_at);
                if last.is_none_or(|t| now - t >= WEEK_US) {
                    out.push(Owed {
                        key_result: k.id,
                        title: k.title.clone(),
                        objective: o.id,
                        objective_title: o.title.clone(),
                        last_check_in: last,
                    });
                }
            }
        }
        Ok(out)
    }
}
