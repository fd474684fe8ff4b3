//! Who owns a goal or a KPI: a person or an org unit, as the API names them and as the org
//! chart knows them.

use crate::error::Result;
use crate::org::chart::OrgSnapshot;
use serde::Serialize;
use tandem_domain::goal::Owner;
use tandem_domain::ids::{OrgUnitId, PersonId};
use tandem_domain::{Invalid, Rule};

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

pub(crate) fn check_owner(field: &str, o: Owner, org: &OrgSnapshot) -> Result<(), Invalid> {
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
