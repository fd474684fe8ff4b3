//! Who may do what: the one place where roles turn into rights.
//!
//! A check hands back a capability value or nothing. The use cases that write take the
//! capability as an argument, so code that did not pass the check cannot call them.

use crate::ids::{PersonId, TenantId};
use crate::org::OrgTree;
use crate::{Invalid, Rule};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Tenant admin: org structure, people, integrations, tokens.
    Admin,
    /// HR / performance admin: cycles, KPI libraries, sees every KPI.
    Hr,
    /// Everyone has this.
    Member,
}

impl Role {
    pub const ALL: [&'static str; 3] = ["admin", "hr", "member"];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Hr => "hr",
            Role::Member => "member",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Role, Invalid> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "hr" => Ok(Role::Hr),
            "member" => Ok(Role::Member),
            _ => Err(Invalid::new(field, Rule::OneOf(&Self::ALL))),
        }
    }

    /// Parses a list, always including `member`, sorted and without repeats.
    pub fn parse_list<'a>(field: &str, items: impl IntoIterator<Item = &'a str>) -> Result<Vec<Role>, Invalid> {
        let mut out = vec![Role::Member];
        for s in items {
            if s.trim().is_empty() {
                continue;
            }
            out.push(Role::parse(field, s)?);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    pub fn label(self, lang: crate::Lang) -> &'static str {
        match self {
            Role::Admin => lang.pick("管理员", "Admin"),
            Role::Hr => lang.pick("HR", "HR"),
            Role::Member => lang.pick("员工", "Member"),
        }
    }
}

/// The signed-in caller, as the policy sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub tenant: TenantId,
    pub person: PersonId,
    pub roles: Vec<Role>,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// May change the org structure and people (tenant admin).
#[derive(Debug, Clone, Copy)]
pub struct ManageOrg(());

/// May define cycles and move them through their states (HR or admin).
#[derive(Debug, Clone, Copy)]
pub struct ManageCycles(());

/// May manage people records and their roles (admin or HR).
#[derive(Debug, Clone, Copy)]
pub struct ManagePeople(());

pub fn manage_org(a: &Actor) -> Option<ManageOrg> {
    a.has(Role::Admin).then_some(ManageOrg(()))
}

pub fn manage_people(a: &Actor) -> Option<ManagePeople> {
    (a.has(Role::Admin) || a.has(Role::Hr)).then_some(ManagePeople(()))
}

pub fn manage_cycles(a: &Actor) -> Option<ManageCycles> {
    (a.has(Role::Admin) || a.has(Role::Hr)).then_some(ManageCycles(()))
}

/// Only an admin may hand out the admin role; HR may grant HR and member.
pub fn may_grant(a: &Actor, role: Role) -> bool {
    match role {
        Role::Admin => a.has(Role::Admin),
        Role::Hr => a.has(Role::Admin) || a.has(Role::Hr),
        Role::Member => true,
    }
}

/// Whether the actor may see a private record (a KPI, an appraisal) owned by `owner`:
/// the owner, anyone in the owner's management chain, and HR.
pub fn may_see_private_of(a: &Actor, owner: PersonId, org: &OrgTree) -> bool {
    a.person == owner || a.has(Role::Hr) || org.is_above(a.person, owner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OrgUnitId;
    use crate::org::{Membership, OrgUnit};

    fn actor(p: i64, roles: &[Role]) -> Actor {
        Actor { tenant: TenantId(1), person: PersonId(p), roles: roles.to_vec() }
    }

    #[test]
    fn capabilities_follow_roles() {
        assert!(manage_org(&actor(1, &[Role::Admin, Role::Member])).is_some());
        assert!(manage_org(&actor(1, &[Role::Hr, Role::Member])).is_none());
        assert!(manage_cycles(&actor(1, &[Role::Hr, Role::Member])).is_some());
        assert!(manage_cycles(&actor(1, &[Role::Member])).is_none());
        assert!(manage_people(&actor(1, &[Role::Member])).is_none());
        assert!(!may_grant(&actor(1, &[Role::Hr]), Role::Admin));
        assert!(may_grant(&actor(1, &[Role::Hr]), Role::Hr));
    }

    #[test]
    fn private_records_are_for_owner_chain_and_hr() {
        let units = vec![
            OrgUnit { id: OrgUnitId(1), name: "HQ".into(), parent: None, manager: Some(PersonId(1)) },
            OrgUnit { id: OrgUnitId(2), name: "A".into(), parent: Some(OrgUnitId(1)), manager: Some(PersonId(2)) },
            OrgUnit { id: OrgUnitId(3), name: "B".into(), parent: Some(OrgUnitId(1)), manager: Some(PersonId(3)) },
        ];
        let members = [(1, 1), (2, 2), (3, 3), (4, 2), (5, 3), (6, 1)]
            .map(|(p, u)| Membership { person: PersonId(p), unit: Some(OrgUnitId(u)) });
        let org = OrgTree::new(units, members);
        let owner = PersonId(4);
        assert!(may_see_private_of(&actor(4, &[Role::Member]), owner, &org), "owner");
        assert!(may_see_private_of(&actor(2, &[Role::Member]), owner, &org), "manager");
        assert!(may_see_private_of(&actor(1, &[Role::Member]), owner, &org), "manager's manager");
        assert!(may_see_private_of(&actor(6, &[Role::Hr, Role::Member]), owner, &org), "HR");
        assert!(!may_see_private_of(&actor(5, &[Role::Member]), owner, &org), "other team");
        assert!(!may_see_private_of(&actor(3, &[Role::Member]), owner, &org), "other team's manager");
        assert!(!may_see_private_of(&actor(6, &[Role::Admin, Role::Member]), owner, &org), "admin is not HR");
    }

    #[test]
    fn role_lists_always_include_member() {
        assert_eq!(Role::parse_list("roles", ["hr", "HR", ""]), Ok(vec![Role::Hr, Role::Member]));
        assert!(Role::parse_list("roles", ["boss"]).is_err());
    }
}
