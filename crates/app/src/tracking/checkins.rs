//! Check-ins: a key result's new value, a confidence and the three weekly questions. A check-in
//! moves the KR's score, its objective's score and the roll-up of every objective above it;
//! the answer carries them all.

use crate::error::{AppError, Result};
use crate::goals::key_results::KeyResultView;
use crate::goals::objectives::ObjectiveView;
use crate::goals::projection::{KrWrite, Views};
use crate::org::owners::owner_of;
use crate::{Actor, App, Change, record};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use tandem_domain::checkin::CheckIn;
use tandem_domain::cycle::CycleState;
use tandem_domain::ids::PersonId;
use tandem_domain::policy;
use tandem_domain::{Invalid, Rule};
use tandem_store::checkins::{self, CheckInRow};
use tandem_store::{Tx, goals};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckInView {
    pub id: i64,
    pub key_result: i64,
    pub author: i64,
    pub author_name: String,
    pub value: f64,
    pub previous: f64,
    /// 0–10; none for a value that arrived from a bound metric.
    pub confidence: Option<i64>,
    /// '' for a person's check-in; `metric:<id>` when the value came from a bound metric.
    pub source: String,
    pub progress: String,
    pub blockers: String,
    pub help: String,
    /// The status its author reported (`on_track`, `at_risk`, `delayed`), if any, and why.
    pub status: Option<String>,
    pub status_reason: String,
    pub created_at: i64,
    /// The viewer wrote it, it is the latest on its KR and the edit window is still open.
    pub can_edit: bool,
}

/// One objective's scores after a check-in.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RolledUp {
    pub objective: i64,
    pub title: String,
    pub rollup: f64,
    pub band: &'static str,
}

/// The scores after a check-in on a whole objective.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ObjectiveCheckInOutcome {
    /// One per key result, in the order given.
    pub check_ins: Vec<CheckInView>,
    pub objective: ObjectiveView,
    pub ancestors: Vec<RolledUp>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckInOutcome {
    pub check_in: CheckInView,
    pub key_result: KeyResultView,
    pub objective: ObjectiveView,
    /// Every objective above, nearest first, with its new roll-up.
    pub ancestors: Vec<RolledUp>,
}

/// How long the author of a check-in may still correct it, while it is the latest on its KR.
pub const EDIT_WINDOW_US: i64 = 30 * 60 * 1_000_000;

fn view_of(c: CheckInRow, org: &crate::org::chart::OrgSnapshot, viewer: &Actor, latest: bool, now: i64) -> CheckInView {
    let can_edit =
        latest && c.source.is_empty() && c.author_id == viewer.person.0 && now - c.created_at < EDIT_WINDOW_US;
    CheckInView {
        id: c.id,
        key_result: c.kr_id,
        author: c.author_id,
        author_name: org.person(c.author_id).map(|p| p.name.clone()).unwrap_or_default(),
        value: c.value,
        previous: c.previous,
        confidence: (c.confidence >= 0).then_some(c.confidence),
        source: c.source,
        progress: c.progress,
        blockers: c.blockers,
        help: c.help,
        status: (!c.status.is_empty()).then_some(c.status),
        status_reason: c.status_reason,
        created_at: c.created_at,
        can_edit,
    }
}

/// A key result's owners with their contribution weights, as the event log records them.
fn owners_of(goals: &crate::goals::snapshot::GoalSnapshot, kr: i64) -> Vec<(String, i64, f64)> {
    goals.owners_of_kr(kr).map(|w| (w.owner_type.clone(), w.owner_id, w.weight)).collect()
}

/// What a check-in says: a person's value, confidence and answers, or a value that arrived from
/// a bound metric (no confidence, no answers).
pub(crate) enum Said {
    Person(CheckIn),
    Data { value: f64, metric: i64 },
}

/// Writes one check-in inside `tx`: the row, the KR's new current value and the event, stamped
/// no earlier than `at` and after the KR's last change (taken under the KR's row lock, so
/// check-ins on one KR are stamped in the order they commit). Callers decide who may, bump the
/// goals version, and hand the answered change to the live projection once committed.
pub(crate) async fn write_check_in(
    tx: &mut Tx,
    a: &Actor,
    kr: i64,
    owners: &[(String, i64, f64)],
    said: Said,
    at: i64,
) -> Result<(CheckInRow, KrWrite)> {
    let before = goals::lock_key_result(tx, a.tenant.0, kr).await?.ok_or(AppError::NotFound)?;
    let now = at.max(before.updated_at + 1);
    let (value, confidence, progress, blockers, help, source, status) = match said {
        Said::Person(c) => (c.value, i64::from(c.confidence), c.progress, c.blockers, c.help, String::new(), c.status),
        Said::Data { value, metric } => {
            (value, -1, String::new(), String::new(), String::new(), format!("metric:{metric}"), None)
        }
    };
    let (status, status_reason) = match status {
        Some((s, why)) => (s.as_str().to_string(), why),
        None => (String::new(), String::new()),
    };
    // A value its unit cannot have (−5 minutes) is refused, from a person or from data alike.
    tandem_domain::goal::plausible("value", &before.unit, value)?;
    let c = CheckInRow {
        tenant_id: a.tenant.0,
        id: tx.next_id().await?,
        kr_id: kr,
        author_id: a.person.0,
        value,
        previous: before.current,
        confidence,
        progress,
        blockers,
        help,
        created_at: now,
        source,
        status,
        status_reason,
    };
    checkins::insert(tx, &c).await?;
    checkins::set_current(tx, a.tenant.0, kr, c.value, now).await?;
    let mut after = before.clone();
    after.current = c.value;
    let mut change = Change::update(
        "key_result",
        kr,
        crate::goals::key_results::kr_json(&before, owners),
        crate::goals::key_results::kr_json(&after, owners),
    );
    change.action = "check_in";
    if !c.source.is_empty() {
        change.reason = Some(c.source.clone());
    }
    record(tx, Some(a), a.tenant.0, now, change).await?;
    let write = KrWrite {
        kr,
        current: c.value,
        at: now,
        check_in: (now, c.value, c.confidence),
        previous: c.previous,
        edited: false,
    };
    Ok((c, write))
}

impl App {
    pub async fn check_ins(&self, a: &Actor, kr: i64) -> Result<Vec<CheckInView>> {
        Ok(self.check_in_page(a, kr, 0, usize::MAX).await?.0)
    }

    /// A page of a key result's check-ins, newest first (page 0 holds the newest `per_page`),
    /// and how many it has in all: what a page shows of a log that may run to thousands.
    pub async fn check_in_page(
        &self,
        a: &Actor,
        kr: i64,
        page: usize,
        per_page: usize,
    ) -> Result<(Vec<CheckInView>, usize)> {
        self.get_key_result(a, kr).await?;
        let limit = i64::try_from(per_page).unwrap_or(i64::MAX);
        let offset = i64::try_from(page.saturating_mul(per_page)).unwrap_or(i64::MAX);
        let t = a.tenant.0;
        // The whole log needs no count; a page does.
        let whole = page == 0 && per_page == usize::MAX;
        let (rows, counted, org) = tokio::try_join!(
            async { Ok::<_, AppError>(checkins::page_for_kr(&self.db, t, kr, limit, offset).await?) },
            async {
                Ok::<_, AppError>(if whole { None } else { Some(checkins::count_for_kr(&self.db, t, kr).await?) })
            },
            self.org_snapshot(t)
        )?;
        let now = self.now();
        let total = counted.map_or(rows.len(), |n| n as usize);
        Ok((rows.into_iter().enumerate().map(|(i, c)| view_of(c, &org, a, page == 0 && i == 0, now)).collect(), total))
    }

    /// The newest `limit` check-ins on the key results of some objectives the caller may see
    /// (a person's), newest first, with each one's key result title and objective.
    pub async fn latest_check_ins_on(
        &self,
        a: &Actor,
        objectives: &[i64],
        limit: usize,
    ) -> Result<Vec<(CheckInView, String, i64)>> {
        let (krs, titles) = {
            let v = self.views(a.tenant.0).await?;
            let mut krs = vec![];
            let mut titles = std::collections::HashMap::new();
            for id in objectives {
                let Some(o) = v.goals.objective(*id).filter(|o| Self::visible(a, o, &v.org)) else { continue };
                for k in v.goals.key_results_of(o.id) {
                    krs.push(k.id);
                    titles.insert(k.id, (k.title.clone(), o.id));
                }
            }
            (krs, titles)
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (rows, org) = tokio::try_join!(
            async { Ok::<_, AppError>(checkins::latest_for_krs(&self.db, a.tenant.0, &krs, limit).await?) },
            self.org_snapshot(a.tenant.0)
        )?;
        let now = self.now();
        Ok(rows
            .into_iter()
            .filter_map(|c| {
                let (title, objective) = titles.get(&c.kr_id).cloned()?;
                Some((view_of(c, &org, a, false, now), title, objective))
            })
            .collect())
    }

    /// Whether `a` may check in on `kr` now: its objective's editors and the KR's owners may,
    /// while the cycle runs and the objective is not archived. Answers the objective's id and
    /// the KR's owners.
    async fn may_check_in(&self, a: &Actor, kr: i64) -> Result<(i64, Vec<(String, i64, f64)>)> {
        let (objective, running, archived, owners) = {
            let v = self.views(a.tenant.0).await?;
            let k = v.goals.key_result(kr).ok_or(AppError::NotFound)?;
            let o =
                v.goals.objective(k.objective_id).filter(|o| Self::visible(a, o, &v.org)).ok_or(AppError::NotFound)?;
            let carries = v
                .goals
                .owners_of_kr(kr)
                .any(|w| policy::may_set_goals_for(a, owner_of(&w.owner_type, w.owner_id), &v.org.tree));
            let owner = owner_of(&o.owner_type, o.owner_id);
            if !(carries || policy::may_edit_objective(a, PersonId(o.author_id), owner, &v.org.tree)) {
                return Err(AppError::Forbidden);
            }
            let running = v.goals.cycle_states.get(&o.cycle_id).is_some_and(|s| s == CycleState::Active.as_str());
            (o.id, running, o.status == "archived", owners_of(&v.goals, kr))
        };
        if !running || archived {
            return Err(AppError::Conflict("not_running"));
        }
        Ok((objective, owners))
    }

    /// Records a check-in. The answer holds the KR's, the objective's and every ancestor's new
    /// scores.
    pub async fn check_in(&self, a: &Actor, kr: i64, input: CheckIn) -> Result<CheckInOutcome> {
        let (objective, owners) = self.may_check_in(a, kr).await?;
        let notes = [input.progress.as_str(), input.blockers.as_str(), input.help.as_str()].join("\n");
        let mentioned = self.mentioned(a, objective, notes.trim()).await?;
        let live = self.goal_write();
        let mut tx = self.db.begin().await?;
        let (c, write) = write_check_in(&mut tx, a, kr, &owners, Said::Person(input), self.now()).await?;
        mentioned.tell(&mut tx, a.tenant.0, c.created_at).await?;
        let version = goals::bump_version(&mut tx, a.tenant.0).await?;
        tx.commit().await?;
        live.apply(a.tenant.0, version, vec![write]);
        self.outcome(a, objective, kr, c).await
    }

    /// Corrects a check-in: only its author, within `EDIT_WINDOW_US` of writing it, while it is
    /// still the latest on its KR and the cycle runs. The KR takes the corrected value.
    pub async fn edit_check_in(&self, a: &Actor, id: i64, input: CheckIn) -> Result<CheckInOutcome> {
        let c = checkins::get(&self.db, a.tenant.0, id).await?.ok_or(AppError::NotFound)?;
        let (objective, owners) = self.may_check_in(a, c.kr_id).await?;
        if c.author_id != a.person.0 {
            return Err(AppError::Forbidden);
        }
        let now = self.now();
        let live = self.goal_write();
        let mut tx = self.db.begin().await?;
        let before = goals::lock_key_result(&mut tx, a.tenant.0, c.kr_id).await?.ok_or(AppError::NotFound)?;
        let latest = checkins::latest_in(&mut tx, a.tenant.0, c.kr_id).await?;
        if latest != Some(id) || now - c.created_at >= EDIT_WINDOW_US || !c.source.is_empty() {
            return Err(AppError::Conflict("check_in_locked"));
        }
        tandem_domain::goal::plausible("value", &before.unit, input.value)?;
        let edited = CheckInRow {
            value: input.value,
            confidence: i64::from(input.confidence),
            progress: input.progress,
            blockers: input.blockers,
            help: input.help,
            status: input.status.as_ref().map(|(s, _)| s.as_str().to_string()).unwrap_or_default(),
            status_reason: input.status.map(|(_, why)| why).unwrap_or_default(),
            ..c
        };
        checkins::update(&mut tx, &edited).await?;
        let at = now.max(before.updated_at + 1);
        checkins::set_current(&mut tx, a.tenant.0, c.kr_id, edited.value, at).await?;
        let mut after = before.clone();
        after.current = edited.value;
        let mut change = Change::update(
            "key_result",
            c.kr_id,
            crate::goals::key_results::kr_json(&before, &owners),
            crate::goals::key_results::kr_json(&after, &owners),
        );
        change.action = "check_in_edited";
        record(&mut tx, Some(a), a.tenant.0, at, change).await?;
        let version = goals::bump_version(&mut tx, a.tenant.0).await?;
        tx.commit().await?;
        let write = KrWrite {
            kr: edited.kr_id,
            current: edited.value,
            at,
            check_in: (edited.created_at, edited.value, edited.confidence),
            previous: edited.previous,
            edited: true,
        };
        live.apply(a.tenant.0, version, vec![write]);
        self.outcome(a, objective, edited.kr_id, edited).await
    }

    /// A weekly check-in on a whole objective: a new value for each of the key results named
    /// (each of them its own check-in, with one confidence and one set of answers), written in
    /// one transaction — all of them or none.
    pub async fn check_in_objective(
        &self,
        a: &Actor,
        objective: i64,
        values: &[(i64, f64)],
        answers: CheckIn,
    ) -> Result<ObjectiveCheckInOutcome> {
        if values.is_empty() {
            return Err(Invalid::new("values", Rule::Required).into());
        }
        let o = self.get_objective(a, objective).await?;
        let mut seen = std::collections::HashSet::new();
        let mut plan = vec![];
        for (kr, value) in values {
            if !o.key_results.iter().any(|k| k.id == *kr) {
                return Err(Invalid::new("key_result", Rule::UnknownRef).into());
            }
            if !seen.insert(*kr) {
                return Err(Invalid::new("key_result", Rule::Duplicate).into());
            }
            let input = CheckIn::parse(*value, i64::from(answers.confidence), "", "", "")?;
            let (_, owners) = self.may_check_in(a, *kr).await?;
            plan.push((
                *kr,
                owners,
                CheckIn {
                    progress: answers.progress.clone(),
                    blockers: answers.blockers.clone(),
                    help: answers.help.clone(),
                    ..input
                },
            ));
        }
        let now = self.now();
        let live = self.goal_write();
        let mut tx = self.db.begin().await?;
        let (mut rows, mut writes) = (vec![], vec![]);
        for (kr, owners, input) in plan {
            let (c, w) = write_check_in(&mut tx, a, kr, &owners, Said::Person(input), now).await?;
            rows.push(c);
            writes.push(w);
        }
        let version = goals::bump_version(&mut tx, a.tenant.0).await?;
        tx.commit().await?;
        live.apply(a.tenant.0, version, writes);
        let v = self.views(a.tenant.0).await?;
        let now = self.now();
        let objective = Self::seen_objective(a, &v, objective, now)?;
        let ancestors = Self::ancestors(a, &v, &objective, now);
        let check_ins = rows.into_iter().map(|c| view_of(c, &v.org, a, true, now)).collect();
        Ok(ObjectiveCheckInOutcome { check_ins, objective, ancestors })
    }

    /// Every objective above `o` that `a` may see, nearest first, with its roll-up.
    fn ancestors(a: &Actor, v: &Views, o: &ObjectiveView, now: i64) -> Vec<RolledUp> {
        let mut ancestors = vec![];
        let mut cur = o.parent;
        while let Some(p) = cur {
            if ancestors.len() > 64 {
                break;
            }
            let Ok(po) = Self::seen_objective(a, v, p, now) else { break };
            ancestors.push(RolledUp {
                objective: po.id,
                title: po.title.clone(),
                rollup: po.rollup,
                band: po.rollup_band.as_str(),
            });
            cur = po.parent;
        }
        ancestors
    }

    /// The scores after the check-in `c` on `kr`: the KR, its objective and every objective
    /// above, from one read of the live projection.
    async fn outcome(&self, a: &Actor, objective: i64, kr: i64, c: CheckInRow) -> Result<CheckInOutcome> {
        let v = self.views(a.tenant.0).await?;
        let now = self.now();
        let objective = Self::seen_objective(a, &v, objective, now)?;
        let key_result = objective.key_results.iter().find(|x| x.id == kr).cloned().ok_or(AppError::NotFound)?;
        let ancestors = Self::ancestors(a, &v, &objective, now);
        let check_in = view_of(c, &v.org, a, true, now);
        Ok(CheckInOutcome { check_in, key_result, objective, ancestors })
    }
}

/// A key result waiting for its owner's weekly check-in, or a KPI waiting for this period's value
/// from the owner's manager.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Owed {
    /// `key_result` or `kpi`.
    pub kind: &'static str,
    pub key_result: Option<i64>,
    pub kpi: Option<i64>,
    pub title: String,
    pub objective: Option<i64>,
    pub objective_title: Option<String>,
    /// For a KPI: whose it is and the period whose value is missing.
    pub owner_name: Option<String>,
    pub period: Option<String>,
    /// When it was last checked in (µs), if ever.
    pub last_check_in: Option<i64>,
}

impl App {
    /// What do I owe this week (weeks start on Monday): the key results I carry in running
    /// cycles with no check-in since Monday, and the KPIs of my direct reports with no value for
    /// the current period.
    pub async fn owed_check_ins(&self, a: &Actor) -> Result<Vec<Owed>> {
        let me = HashSet::from([a.person.0]);
        Ok(self.owed_by_person(a.tenant.0, Some(&me)).await?.remove(&a.person.0).unwrap_or_default())
    }

    /// The key-result check-ins the caller's direct reports still owe this week: (person id,
    /// name, how many), most owed first. (What a report's KPIs owe is owed by the caller.)
    pub async fn team_owed(&self, a: &Actor) -> Result<Vec<(i64, String, usize)>> {
        let org = self.org_snapshot(a.tenant.0).await?;
        let led: Vec<i64> = org.units.iter().filter(|u| u.manager_id == Some(a.person.0)).map(|u| u.id).collect();
        let mut reports: HashSet<i64> = HashSet::new();
        for u in &led {
            reports.extend(org.members_of(*u).iter().copied().filter(|p| *p != a.person.0));
            let below = org.tree.children(tandem_domain::ids::OrgUnitId(*u));
            reports.extend(below.iter().filter_map(|c| org.unit(c.0)).filter_map(|c| c.manager_id));
        }
        if reports.is_empty() {
            return Ok(vec![]);
        }
        let owed = self.owed_by_person(a.tenant.0, Some(&reports)).await?;
        let mut out: Vec<(i64, String, usize)> = owed
            .into_iter()
            .filter_map(|(p, items)| {
                let n = items.iter().filter(|o| o.kind == "key_result").count();
                (n > 0).then(|| (p, org.person(p).map(|x| x.name.clone()).unwrap_or_default(), n))
            })
            .collect();
        out.sort_by(|x, y| y.2.cmp(&x.2).then_with(|| x.1.cmp(&y.1)));
        Ok(out)
    }

    /// What everyone (or only `only`) owes this week, by person, in one pass over the tenant:
    /// a key result is owed by its owners (a unit's by the unit's manager), or by its
    /// objective's owner when it has none; a KPI's value by the owner's manager.
    pub(crate) async fn owed_by_person(
        &self,
        tenant: i64,
        only: Option<&HashSet<i64>>,
    ) -> Result<HashMap<i64, Vec<Owed>>> {
        let cycles = tandem_store::cycles::list(&self.db, tenant).await?;
        let active: HashSet<i64> =
            cycles.iter().filter(|c| c.state == CycleState::Active.as_str()).map(|c| c.id).collect();
        let kpi_snap = self.kpi_snapshot(tenant).await?;
        let kpis = kpi_snap.rows.iter().filter(|k| k.owner_type == "person" && active.contains(&k.cycle_id));
        let org = self.org_snapshot(tenant).await?;
        // The week begins on Monday in the tenant's local time.
        let since = self.tenant_zone(tenant).await?.week_start(self.now());
        let goals_now = self.live_goals(tenant).await?;
        let carrier = |t: &str, id: i64| if t == "person" { Some(id) } else { org.unit(id).and_then(|u| u.manager_id) };
        let wanted = |p: i64| only.is_none_or(|x| x.contains(&p));
        let mut out: HashMap<i64, Vec<Owed>> = HashMap::new();
        for o in goals_now.objectives.iter().filter(|o| o.status == "published" && active.contains(&o.cycle_id)) {
            for k in goals_now.key_results_of(o.id) {
                let last = goals_now.check_ins.get(&k.id).and_then(|h| h.last()).map(|(t, _, _)| *t);
                if last.is_some_and(|t| t >= since) {
                    continue;
                }
                let owners: Vec<_> = goals_now.owners_of_kr(k.id).collect();
                let mut who: Vec<i64> = if owners.is_empty() {
                    carrier(&o.owner_type, o.owner_id).into_iter().collect()
                } else {
                    owners.iter().filter_map(|w| carrier(&w.owner_type, w.owner_id)).collect()
                };
                who.sort_unstable();
                who.dedup();
                for p in who.into_iter().filter(|p| wanted(*p)) {
                    out.entry(p).or_default().push(Owed {
                        kind: "key_result",
                        key_result: Some(k.id),
                        kpi: None,
                        title: k.title.clone(),
                        objective: Some(o.id),
                        objective_title: Some(o.title.clone()),
                        owner_name: None,
                        period: None,
                        last_check_in: last,
                    });
                }
            }
        }
        drop(goals_now);
        // KPI values are entered by the owner's manager.
        let today = self.clock.today();
        for k in kpis {
            let Some(manager) = org.tree.manager_of(PersonId(k.owner_id)).filter(|m| wanted(m.0)) else { continue };
            let Ok(g) = tandem_domain::cycle::PeriodKind::parse("granularity", &k.granularity) else { continue };
            let Some(period) = tandem_domain::kpi::period_of(g, today) else { continue };
            let mine = kpi_snap.values_of(k.id);
            if mine.iter().any(|v| v.period.as_str() == period) {
                continue;
            }
            out.entry(manager.0).or_default().push(Owed {
                kind: "kpi",
                key_result: None,
                kpi: Some(k.id),
                title: k.name.clone(),
                objective: None,
                objective_title: None,
                owner_name: org.person(k.owner_id).map(|p| p.name.clone()),
                period: Some(period),
                last_check_in: mine.iter().map(|v| v.at).max(),
            });
        }
        Ok(out)
    }
}
