//! The org chart: units, their managers, and the reporting lines derived from them.

use crate::error::{AppError, Result};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::ids::{OrgUnitId, PersonId};
use tandem_domain::org::{Membership, OrgTree, OrgUnit};
use tandem_domain::policy::ManageOrg;
use tandem_domain::text::Name;
use tandem_domain::{Invalid, Rule};
use tandem_store::org::{self, OrgUnitRow};
use tandem_store::people::{self, PersonRow};

/// A tenant's org as of one read: the rows and the tree built over them.
pub struct OrgSnapshot {
    pub units: Vec<OrgUnitRow>,
    pub people: Vec<PersonRow>,
    pub tree: OrgTree,
    /// Where each person and unit sits in its list, by id.
    person_at: std::collections::HashMap<i64, usize>,
    unit_at: std::collections::HashMap<i64, usize>,
    /// Each unit's own people (not those of the units below), by unit id.
    members: std::collections::HashMap<i64, Vec<i64>>,
}

impl OrgSnapshot {
    /// The people whose unit is `unit` itself.
    pub fn members_of(&self, unit: i64) -> &[i64] {
        self.members.get(&unit).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn build(units: Vec<OrgUnitRow>, people: Vec<PersonRow>) -> Self {
        let tree = OrgTree::new(
            units
                .iter()
                .map(|u| OrgUnit {
                    id: OrgUnitId(u.id),
                    name: u.name.clone(),
                    parent: u.parent_id.map(OrgUnitId),
                    manager: u.manager_id.map(PersonId),
                })
                .collect(),
            people.iter().map(|p| Membership { person: PersonId(p.id), unit: p.org_unit_id.map(OrgUnitId) }),
        );
        let person_at = people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        let unit_at = units.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
        let mut members: std::collections::HashMap<i64, Vec<i64>> = Default::default();
        for p in &people {
            if let Some(u) = p.org_unit_id {
                members.entry(u).or_default().push(p.id);
            }
        }
        OrgSnapshot { units, people, tree, person_at, unit_at, members }
    }

    pub fn person(&self, id: i64) -> Option<&PersonRow> {
        self.person_at.get(&id).map(|&i| &self.people[i])
    }

    /// The unit a goal belongs to: the unit that owns it, or its owner's unit.
    pub fn unit_of_owner(&self, owner_type: &str, owner_id: i64) -> Option<i64> {
        if owner_type == "org_unit" { Some(owner_id) } else { self.person(owner_id).and_then(|p| p.org_unit_id) }
    }

    pub fn unit(&self, id: i64) -> Option<&OrgUnitRow> {
        self.unit_at.get(&id).map(|&i| &self.units[i])
    }

    pub fn unit_view(&self, u: &OrgUnitRow) -> OrgUnitView {
        OrgUnitView {
            id: u.id,
            name: u.name.clone(),
            parent: u.parent_id,
            manager: u.manager_id,
            manager_name: u.manager_id.and_then(|m| self.person(m)).map(|p| p.name.clone()),
            member_count: self.people.iter().filter(|p| p.org_unit_id == Some(u.id) && p.active == 1).count(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OrgUnitView {
    pub id: i64,
    pub name: String,
    pub parent: Option<i64>,
    pub manager: Option<i64>,
    pub manager_name: Option<String>,
    pub member_count: usize,
}

#[derive(Debug, Clone, Default)]
pub struct NewUnit {
    pub name: String,
    pub parent: Option<i64>,
    pub manager: Option<i64>,
}

/// Fields to change; `Some(None)` clears a link.
#[derive(Debug, Clone, Default)]
pub struct UnitPatch {
    pub name: Option<String>,
    pub parent: Option<Option<i64>>,
    pub manager: Option<Option<i64>>,
}

impl App {
    /// The tenant's org chart, kept in memory while the tenant's org version stays the same
    /// (one cheap read per call; a rebuild after any write to units or people).
    pub async fn org_snapshot(&self, tenant: i64) -> Result<std::sync::Arc<OrgSnapshot>> {
        let version = org::version(&self.db, tenant).await?;
        self.org_snapshot_at(tenant, version).await
    }

    /// The org chart as of `version` (read now when the cached one is older).
    pub(crate) async fn org_snapshot_at(&self, tenant: i64, version: i64) -> Result<std::sync::Arc<OrgSnapshot>> {
        if let Some((v, s)) =
            self.org_cache.lock().map_err(|_| AppError::Internal("cache poisoned".into()))?.get(&tenant)
            && *v == version
        {
            return Ok(s.clone());
        }
        let (units, people) = tokio::try_join!(org::list(&self.db, tenant), people::list(&self.db, tenant))?;
        let snap = std::sync::Arc::new(OrgSnapshot::build(units, people));
        let mut cache = self.org_cache.lock().map_err(|_| AppError::Internal("cache poisoned".into()))?;
        if cache.get(&tenant).is_none_or(|(v, _)| *v <= version) {
            cache.insert(tenant, (version, snap.clone()));
        }
        Ok(snap)
    }

    pub async fn list_units(&self, a: &Actor) -> Result<Vec<OrgUnitView>> {
        let snap = self.org_snapshot(a.tenant.0).await?;
        Ok(snap.tree.walk().into_iter().filter_map(|(id, _)| snap.unit(id.0)).map(|u| snap.unit_view(u)).collect())
    }

    pub async fn get_unit(&self, a: &Actor, id: i64) -> Result<OrgUnitView> {
        let snap = self.org_snapshot(a.tenant.0).await?;
        snap.unit(id).map(|u| snap.unit_view(u)).ok_or(AppError::NotFound)
    }

    pub async fn create_unit(&self, _cap: ManageOrg, a: &Actor, new: NewUnit) -> Result<OrgUnitView> {
        let name = Name::parse("name", &new.name)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let units = org::list_in(&mut tx, a.tenant.0).await?;
        if let Some(p) = new.parent
            && !units.iter().any(|u| u.id == p)
        {
            return Err(Invalid::new("parent", Rule::UnknownRef).into());
        }
        if let Some(m) = new.manager
            && !people::list_in(&mut tx, a.tenant.0).await?.iter().any(|p| p.id == m)
        {
            return Err(Invalid::new("manager", Rule::UnknownRef).into());
        }
        let row = OrgUnitRow {
            tenant_id: a.tenant.0,
            id: tx.next_id().await?,
            name: name.into_string(),
            parent_id: new.parent,
            manager_id: new.manager,
            created_at: now,
        };
        org::insert(&mut tx, &row).await?;
        record(&mut tx, Some(a), a.tenant.0, now, Change::create("org_unit", row.id, unit_json(&row))).await?;
        tx.commit().await?;
        self.get_unit(a, row.id).await
    }

    pub async fn update_unit(&self, _cap: ManageOrg, a: &Actor, id: i64, patch: UnitPatch) -> Result<OrgUnitView> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let units = org::list_in(&mut tx, a.tenant.0).await?;
        let before = units.iter().find(|u| u.id == id).cloned().ok_or(AppError::NotFound)?;
        let mut after = before.clone();
        if let Some(n) = &patch.name {
            after.name = Name::parse("name", n)?.into_string();
        }
        if let Some(p) = patch.parent {
            let tree = OrgSnapshot::build(units.clone(), vec![]).tree;
            tree.check_reparent(OrgUnitId(id), p.map(OrgUnitId))?;
            after.parent_id = p;
        }
        if let Some(m) = patch.manager {
            if let Some(m) = m
                && !people::list_in(&mut tx, a.tenant.0).await?.iter().any(|p| p.id == m)
            {
                return Err(Invalid::new("manager", Rule::UnknownRef).into());
            }
            after.manager_id = m;
        }
        if after != before {
            org::update(&mut tx, &after).await?;
            record(
                &mut tx,
                Some(a),
                a.tenant.0,
                now,
                Change::update("org_unit", id, unit_json(&before), unit_json(&after)),
            )
            .await?;
            tx.commit().await?;
        }
        self.get_unit(a, id).await
    }
}

pub(crate) fn unit_json(u: &OrgUnitRow) -> serde_json::Value {
    serde_json::json!({"name": u.name, "parent": u.parent_id, "manager": u.manager_id})
}
