//! Objectives: writing them, aligning them (`parent`, `supports`), publishing and archiving
//! them, and reading them with their scores as the caller may see them.

use crate::error::{AppError, Result};
use crate::goals::key_results::{KeyResultView, KrOwnerView, NewKeyResult, kr_json, kr_row};
use crate::goals::snapshot::{GoalSnapshot, kr_row_score, pace_of};
use crate::org::chart::OrgSnapshot;
use crate::org::owners::{check_owner, owner_name, owner_of, owner_parts};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use std::collections::BTreeMap;
use tandem_domain::cycle::CycleState;
use tandem_domain::goal::{KeyResultSpec, ObjectiveKind, Owner};
use tandem_domain::ids::{OrgUnitId, PersonId};
use tandem_domain::policy;
use tandem_domain::score::{Band, BandThresholds};
use tandem_domain::text::Name;
use tandem_domain::{Invalid, Rule};
use tandem_store::goals::{self, ObjectiveRow};

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
    /// Objectives aligned directly to this one.
    pub parent: Option<i64>,
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
                    not_started: goals.not_started(k),
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
        let crate::goals::projection::Views { goals, org, bands } = self.views(a.tenant.0).await?;
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
                && f.parent.is_none_or(|p| o.parent_id == Some(p))
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
    pub(crate) fn seen_objective(
        a: &Actor,
        v: &crate::goals::projection::Views,
        id: i64,
        now: i64,
    ) -> Result<ObjectiveView> {
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

    pub(crate) async fn cycle_state(&self, tenant: i64, cycle: i64) -> Result<CycleState> {
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
            let current =
                tandem_domain::goal::plausible("current", &spec.unit, k.current.unwrap_or(k.baseline)).map_err(at)?;
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
            crate::goals::upstream::queue_upstream_notice(
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

    /// What objective `id` may be aligned to or support, as (id, "owner · title"): published
    /// objectives of its cycle the caller may see, other than itself and those below it. With
    /// `q`, the best `limit` whose titles (or key results' titles) hold it; without, all of them
    /// when there are at most `limit`, else the likely ones (its current parent and supported
    /// objectives, its owner's manager's and its unit's objectives). The flag says whether
    /// there are more than are answered, so a page offers a search rather than a list of
    /// thousands.
    pub async fn alignment_choices(
        &self,
        a: &Actor,
        id: i64,
        q: &str,
        limit: usize,
    ) -> Result<(Vec<(i64, String)>, bool)> {
        let crate::goals::projection::Views { goals, org, .. } = self.views(a.tenant.0).await?;
        let me = goals.objective(id).filter(|o| Self::visible(a, o, &org)).ok_or(AppError::NotFound)?;
        let fits = |o: &ObjectiveRow| {
            o.id != id
                && o.cycle_id == me.cycle_id
                && o.status == "published"
                && !goals.is_ancestor(id, o.id)
                && Self::visible(a, o, &org)
        };
        let label = |o: &ObjectiveRow| {
            format!("{} · {}", crate::org::owners::owner_name(owner_of(&o.owner_type, o.owner_id), &org), o.title)
        };
        let q = q.trim().to_lowercase();
        if !q.is_empty() {
            let (index, entries) = &*goals.search;
            let mut seen = std::collections::HashSet::new();
            // Ask the index for more than needed: some hits are other cycles' or key results of
            // the same objective.
            let hits = index.search(&q, 100, |e| fits(&goals.objectives[entries[e].0]));
            let out: Vec<(i64, String)> = hits
                .into_iter()
                .map(|(_, e)| &goals.objectives[entries[e].0])
                .filter(|o| seen.insert(o.id))
                .map(|o| (o.id, label(o)))
                .collect();
            let more = out.len() > limit;
            return Ok((out.into_iter().take(limit).collect(), more));
        }
        let all: Vec<&ObjectiveRow> = goals.objectives.iter().filter(|o| fits(o)).take(limit + 1).collect();
        if all.len() <= limit {
            return Ok((all.into_iter().map(|o| (o.id, label(o))).collect(), false));
        }
        // Too many to list: the ones it is, or most likely would be, aligned with.
        let owner = owner_of(&me.owner_type, me.owner_id);
        let near: Vec<i64> = match owner {
            Owner::Person(p) => {
                [org.tree.manager_of(p).map(|m| m.0), org.tree.unit_of(p).map(|u| u.0)].into_iter().flatten().collect()
            }
            Owner::OrgUnit(u) => {
                let parent = org.tree.unit(u).and_then(|x| x.parent).map(|p| p.0);
                let head = parent.and_then(|p| org.unit(p)).and_then(|x| x.manager_id);
                [parent, head].into_iter().flatten().collect()
            }
        };
        let mut ids: Vec<i64> = me.parent_id.into_iter().chain(goals.supports_of(id)).collect();
        for w in near {
            ids.extend(goals.owned.get(&w).into_iter().flatten().map(|&i| goals.objectives[i].id));
        }
        let mut seen = std::collections::HashSet::new();
        let out = ids
            .into_iter()
            .filter(|i| seen.insert(*i))
            .filter_map(|i| goals.objective(i))
            .filter(|o| fits(o) || Some(o.id) == me.parent_id)
            .take(limit)
            .map(|o| (o.id, label(o)))
            .collect();
        Ok((out, true))
    }

    /// One page of [`Self::objective_history`], oldest first within the page: page 0 is the
    /// newest `per_page` events. Answers the page and how many events there are in all. Only
    /// the page is read, so an objective with tens of thousands of check-ins costs no more than
    /// one with ten.
    pub async fn objective_history_page(
        &self,
        a: &Actor,
        id: i64,
        page: usize,
        per_page: usize,
    ) -> Result<(Vec<crate::history::StoredEvent>, usize)> {
        let o = self.get_objective(a, id).await?;
        let krs: Vec<i64> = o.key_results.iter().map(|k| k.id).collect();
        let (goals_now, org) = tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0))?;
        let cut = goals_now
            .objective(id)
            .and_then(|r| r.published_at)
            .filter(|_| !policy::may_see_objective(a, false, PersonId(o.author), o.owner, &org.tree));
        let limit = i64::try_from(per_page.max(1)).unwrap_or(i64::MAX);
        let offset = i64::try_from(page.saturating_mul(per_page)).unwrap_or(i64::MAX);
        let db = &self.db;
        let t = a.tenant.0;
        match cut {
            None => {
                let (page, total) =
                    tandem_store::events::for_objective_page(db, t, id, &krs, (i64::MIN, i64::MAX), limit, offset)
                        .await?;
                Ok((page.into_iter().rev().collect(), total as usize))
            }
            // Before publication, those who could not see the draft see one "created" per entity
            // (see `from_publication`); those come last, being oldest.
            Some(cut) => {
                let (late, n_late) =
                    tandem_store::events::for_objective_page(db, t, id, &krs, (cut, i64::MAX), limit, offset).await?;
                let (early, _) =
                    tandem_store::events::for_objective_page(db, t, id, &krs, (i64::MIN, cut), i64::MAX, 0).await?;
                let early = from_publication(early.into_iter().rev().collect(), cut);
                let total = n_late as usize + early.len();
                let mut page: Vec<_> = late.into_iter().rev().collect();
                // The part of the page past the late events takes the newest of the early ones.
                let skip_early = (offset as usize).saturating_sub(n_late as usize);
                let room = (limit as usize).saturating_sub(page.len());
                let take: Vec<_> = early.into_iter().rev().skip(skip_early).take(room).collect();
                page.splice(0..0, take.into_iter().rev());
                Ok((page, total))
            }
        }
    }

    pub async fn archive_objective(&self, a: &Actor, id: i64) -> Result<()> {
        self.update_objective(a, id, ObjectivePatch { status: Some("archived".into()), ..Default::default() })
            .await
            .map(|_| ())
    }
}

pub(crate) fn long_text(field: &str, s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    if t.chars().count() > 4000 { Err(Invalid::new(field, Rule::TooLong { max: 4000 })) } else { Ok(t.to_string()) }
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
