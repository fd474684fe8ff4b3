//! The cascade's feedback: when an upstream objective or key result changes, the owners of
//! what was aligned to it or derived from it see exactly what changed, before and after.

use crate::error::Result;
use crate::goals::objectives::ObjectiveFilter;
use crate::kpis::kpi::KpiFilter;
use crate::{Actor, App};
use serde::Serialize;
use serde_json::Value;
use tandem_domain::goal::Owner;
use tandem_domain::kpi::DerivedFrom;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UpstreamChange {
    /// What is mine: `objective` or `kpi`, with its id and title.
    pub mine_kind: &'static str,
    pub mine_id: i64,
    pub mine_title: String,
    /// What changed upstream: `objective` or `key_result`.
    pub upstream_kind: &'static str,
    pub upstream_id: i64,
    pub upstream_title: String,
    pub at: i64,
    pub actor: Option<i64>,
    pub action: String,
    pub reason: Option<String>,
    pub changes: Vec<FieldChange>,
}

fn field_changes(before: &Option<Value>, after: &Option<Value>) -> Vec<FieldChange> {
    let (Some(Value::Object(b)), Some(Value::Object(a))) = (before, after) else { return vec![] };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v) && k.as_str() != "current")
        .map(|(k, v)| FieldChange {
            field: k.clone(),
            before: b.get(k).cloned().unwrap_or(Value::Null),
            after: v.clone(),
        })
        .collect()
}

impl App {
    /// Changes to what my objectives are aligned to and my KPIs were derived from, made after
    /// mine were set, newest first.
    pub async fn upstream_changes(&self, a: &Actor) -> Result<Vec<UpstreamChange>> {
        let org = self.org_snapshot(a.tenant.0).await?;
        let led: Vec<i64> = org.units.iter().filter(|u| u.manager_id == Some(a.person.0)).map(|u| u.id).collect();
        let mine = |o: Owner| match o {
            Owner::Person(p) => p == a.person,
            Owner::OrgUnit(u) => led.contains(&u.0),
        };
        let objectives = self.list_objectives(a, &ObjectiveFilter::default()).await?;
        let kpis = self.list_kpis(a, &KpiFilter::default()).await?;
        let created: std::collections::HashMap<i64, i64> = {
            let goals = self.live_goals(a.tenant.0).await?;
            objectives.iter().filter_map(|o| Some((o.id, goals.objective(o.id)?.created_at))).collect()
        };
        let created = |id: i64| created.get(&id).copied().unwrap_or(0);
        // (mine kind, mine id, mine title, since, upstream kind, upstream id)
        let mut links: Vec<(&'static str, i64, String, i64, &'static str, i64)> = vec![];
        for o in objectives.iter().filter(|o| mine(o.owner)) {
            if let Some(p) = o.parent {
                links.push(("objective", o.id, o.title.clone(), created(o.id), "objective", p));
            }
        }
        let kpi_rows = tandem_store::goals::kpis(&self.db, a.tenant.0).await?;
        for k in kpis.iter().filter(|k| mine(k.owner)) {
            let since = kpi_rows.iter().find(|r| r.id == k.id).map(|r| r.created_at).unwrap_or(0);
            match k.derived_from {
                Some(DerivedFrom::KeyResult(r)) => links.push(("kpi", k.id, k.name.clone(), since, "key_result", r.0)),
                Some(DerivedFrom::Objective(o)) => links.push(("kpi", k.id, k.name.clone(), since, "objective", o.0)),
                None => {}
            }
        }
        let mut out = vec![];
        for (mine_kind, mine_id, mine_title, since, up_kind, up_id) in links {
            // Only what the caller may see upstream.
            let title = match up_kind {
                "objective" => objectives.iter().find(|o| o.id == up_id).map(|o| o.title.clone()),
                _ => objectives
                    .iter()
                    .flat_map(|o| o.key_results.iter())
                    .find(|k| k.id == up_id)
                    .map(|k| k.title.clone()),
            };
            let Some(upstream_title) = title else { continue };
            for e in tandem_store::events::for_entity(&self.db, a.tenant.0, up_kind, up_id).await? {
                if e.at <= since || e.action == "create" {
                    continue;
                }
                let changes = field_changes(&e.before, &e.after);
                // Progress is not a change to the goal: check-ins move `current` only.
                if changes.is_empty() && matches!(e.action.as_str(), "update" | "check_in" | "check_in_edited") {
                    continue;
                }
                out.push(UpstreamChange {
                    mine_kind,
                    mine_id,
                    mine_title: mine_title.clone(),
                    upstream_kind: up_kind,
                    upstream_id: up_id,
                    upstream_title: upstream_title.clone(),
                    at: e.at,
                    actor: e.actor_id,
                    action: e.action.clone(),
                    reason: e.reason.clone(),
                    changes,
                });
            }
        }
        out.sort_by_key(|x| std::cmp::Reverse(x.at));
        out.truncate(50);
        Ok(out)
    }
}
