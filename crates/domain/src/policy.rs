//! Who may do what: the one place where roles turn into rights.
//!
//! A check hands back a capability value or nothing. The use cases that write take the
//! capability as an argument, so code that did not pass the check cannot call them.

use crate::goal::Owner;
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

/// May approve or reject KPI change requests (HR).
#[derive(Debug, Clone, Copy)]
pub struct DecideKpiChanges(());

/// May keep the KPI library (HR).
#[derive(Debug, Clone, Copy)]
pub struct ManageKpiLibrary(());

pub fn manage_kpi_library(a: &Actor) -> Option<ManageKpiLibrary> {
    a.has(Role::Hr).then_some(ManageKpiLibrary(()))
}

pub fn decide_kpi_changes(a: &Actor) -> Option<DecideKpiChanges> {
    a.has(Role::Hr).then_some(DecideKpiChanges(()))
}

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

/// The person who answers for a goal: its owner, or for a unit the nearest manager up the tree.
pub fn owner_lead(owner: Owner, org: &OrgTree) -> Option<PersonId> {
    match owner {
        Owner::Person(p) => Some(p),
        Owner::OrgUnit(u) => org.unit_path(u).into_iter().find_map(|x| org.unit(x).and_then(|x| x.manager)),
    }
}

/// May write goals (objectives, KPIs) for `owner`: the owner themself, or the unit's manager,
/// or anyone above them. Managers set their team's goals; nobody sets a peer's.
pub fn may_set_goals_for(a: &Actor, owner: Owner, org: &OrgTree) -> bool {
    match owner_lead(owner, org) {
        Some(lead) => lead == a.person || org.is_above(a.person, lead),
        // A unit with no manager anywhere above it: the tenant admin steps in.
        None => a.has(Role::Admin),
    }
}

/// May change an objective: its author, or whoever may set goals for its owner.
pub fn may_edit_objective(a: &Actor, author: PersonId, owner: Owner, org: &OrgTree) -> bool {
    a.person == author || may_set_goals_for(a, owner, org)
}

/// Published objectives are for the whole tenant; a draft is for its author, the people who
/// may edit it, and the author's management chain.
pub fn may_see_objective(a: &Actor, published: bool, author: PersonId, owner: Owner, org: &OrgTree) -> bool {
    published || may_edit_objective(a, author, owner, org) || org.is_above(a.person, author)
}

/// May see a KPI (and its numbers): the owner, the owner's management chain, and HR. For a
/// unit's KPI the "owner" is the unit's manager.
pub fn may_see_kpi(a: &Actor, owner: Owner, org: &OrgTree) -> bool {
    a.has(Role::Hr) || owner_lead(owner, org).is_some_and(|lead| may_see_private_of(a, lead, org))
}

/// May read a metric's points. A metric's data is business data, except where it feeds KPIs:
/// then it is those KPIs' numbers. HR and the tenant admin (who runs the integrations that
/// feed it) always may; anyone else only where they may see every KPI the metric feeds.
pub fn may_read_metric(a: &Actor, feeds_kpis_of: &[Owner], org: &OrgTree) -> bool {
    a.has(Role::Hr) || a.has(Role::Admin) || feeds_kpis_of.iter().all(|o| may_see_kpi(a, *o, org))
}

/// May bind a subject (a key result or a KPI) to a metric, so that the subject shows what the
/// metric's points say. A key result is public and a KPI is seen by its own circle, so whoever
/// binds must see every *other* KPI the metric feeds (`feeds_other_kpis_of`), admin or not:
/// otherwise one binding would republish a private KPI's numbers.
pub fn may_bind_metric(a: &Actor, feeds_other_kpis_of: &[Owner], org: &OrgTree) -> bool {
    feeds_other_kpis_of.iter().all(|o| may_see_kpi(a, *o, org))
}

/// May set or change a KPI: HR, or a manager above its owner (a person does not set their own
/// KPIs; a unit's manager may set the unit's).
pub fn may_edit_kpi(a: &Actor, owner: Owner, org: &OrgTree) -> bool {
    if a.has(Role::Hr) {
        return true;
    }
    match (owner, owner_lead(owner, org)) {
        (Owner::Person(p), _) => org.is_above(a.person, p),
        (Owner::OrgUnit(_), Some(lead)) => lead == a.person || org.is_above(a.person, lead),
        (Owner::OrgUnit(_), None) => false,
    }
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
    fn goals_follow_the_reporting_lines() {
        // HQ (1) → A (2, staff 4) ; B (3, staff 5) ; HR person 6 in HQ
        let units = vec![
            OrgUnit { id: OrgUnitId(1), name: "HQ".into(), parent: None, manager: Some(PersonId(1)) },
            OrgUnit { id: OrgUnitId(2), name: "A".into(), parent: Some(OrgUnitId(1)), manager: Some(PersonId(2)) },
            OrgUnit { id: OrgUnitId(3), name: "B".into(), parent: Some(OrgUnitId(1)), manager: Some(PersonId(3)) },
        ];
        let members = [(1, 1), (2, 2), (3, 3), (4, 2), (5, 3), (6, 1)]
            .map(|(p, u)| Membership { person: PersonId(p), unit: Some(OrgUnitId(u)) });
        let org = OrgTree::new(units, members);
        let m = |p| actor(p, &[Role::Member]);
        let hr = actor(6, &[Role::Hr, Role::Member]);
        let four = Owner::Person(PersonId(4));
        let unit_a = Owner::OrgUnit(OrgUnitId(2));
        assert_eq!(owner_lead(unit_a, &org), Some(PersonId(2)));
        assert!(
            may_set_goals_for(&m(4), four, &org)
                && may_set_goals_for(&m(2), four, &org)
                && may_set_goals_for(&m(1), four, &org)
        );
        assert!(!may_set_goals_for(&m(5), four, &org) && !may_set_goals_for(&m(3), four, &org));
        assert!(may_set_goals_for(&m(2), unit_a, &org) && !may_set_goals_for(&m(4), unit_a, &org));
        // Drafts: author, editors and the author's chain; published: everyone.
        assert!(may_see_objective(&m(5), true, PersonId(4), four, &org));
        assert!(!may_see_objective(&m(5), false, PersonId(4), four, &org));
        assert!(may_see_objective(&m(2), false, PersonId(4), four, &org));
        assert!(!may_see_objective(&hr, false, PersonId(4), four, &org), "HR does not read drafts");
        // KPIs: owner, chain and HR see; the manager above edits, the owner does not.
        assert!(may_see_kpi(&m(4), four, &org) && may_see_kpi(&m(1), four, &org) && may_see_kpi(&hr, four, &org));
        assert!(!may_see_kpi(&m(5), four, &org) && !may_see_kpi(&m(3), four, &org));
        assert!(
            may_see_kpi(&m(2), unit_a, &org) && !may_see_kpi(&m(4), unit_a, &org),
            "staff do not see the unit's KPI numbers"
        );
        assert!(may_edit_kpi(&m(2), four, &org) && may_edit_kpi(&hr, four, &org) && !may_edit_kpi(&m(4), four, &org));
    }

    #[test]
    fn a_metric_feeding_a_kpi_is_that_kpis_data() {
        // HQ (1) → A (2, staff 4) ; B (3, staff 5) ; HR person 6, admin 7 in HQ
        let units = vec![
            OrgUnit { id: OrgUnitId(1), name: "HQ".into(), parent: None, manager: Some(PersonId(1)) },
            OrgUnit { id: OrgUnitId(2), name: "A".into(), parent: Some(OrgUnitId(1)), manager: Some(PersonId(2)) },
            OrgUnit { id: OrgUnitId(3), name: "B".into(), parent: Some(OrgUnitId(1)), manager: Some(PersonId(3)) },
        ];
        let members = [(1, 1), (2, 2), (3, 3), (4, 2), (5, 3), (6, 1), (7, 1)]
            .map(|(p, u)| Membership { person: PersonId(p), unit: Some(OrgUnitId(u)) });
        let org = OrgTree::new(units, members);
        let m = |p| actor(p, &[Role::Member]);
        let hr = actor(6, &[Role::Hr, Role::Member]);
        let admin = actor(7, &[Role::Admin, Role::Member]);
        let kpi_of_four = [Owner::Person(PersonId(4))];
        // Business data: anyone may read and bind.
        assert!(may_read_metric(&m(5), &[], &org) && may_bind_metric(&m(5), &[], &org));
        // Feeding 4's KPI: 4, 4's chain and HR; not a peer team, not the admin for binding.
        for who in [m(4), m(2), m(1), hr.clone()] {
            assert!(may_bind_metric(&who, &kpi_of_four, &org), "{who:?}");
        }
        for who in [m(5), m(3)] {
            assert!(!may_read_metric(&who, &kpi_of_four, &org) && !may_bind_metric(&who, &kpi_of_four, &org));
        }
        assert!(may_read_metric(&admin, &kpi_of_four, &org), "the admin runs the feeds");
        assert!(!may_bind_metric(&admin, &kpi_of_four, &org), "but may not republish a KPI it cannot see");
        // Two KPIs: the binder must see both.
        let two = [Owner::Person(PersonId(4)), Owner::Person(PersonId(5))];
        assert!(!may_bind_metric(&m(2), &two, &org) && may_bind_metric(&m(1), &two, &org));
    }

    #[test]
    fn role_lists_always_include_member() {
        assert_eq!(Role::parse_list("roles", ["hr", "HR", ""]), Ok(vec![Role::Hr, Role::Member]));
        assert!(Role::parse_list("roles", ["boss"]).is_err());
    }
}
