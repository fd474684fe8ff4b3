//! The org tree and the reporting lines derived from it.
//!
//! A person's manager is not stored: it is the manager of their org unit, or, for the unit's
//! own manager, the nearest manager further up. One source of truth keeps the chain (and so
//! KPI privacy) consistent when the org chart changes.

use crate::ids::{OrgUnitId, PersonId};
use crate::{Invalid, Rule};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct OrgUnit {
    pub id: OrgUnitId,
    pub name: String,
    pub parent: Option<OrgUnitId>,
    pub manager: Option<PersonId>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Membership {
    pub person: PersonId,
    pub unit: Option<OrgUnitId>,
}

/// An index over a tenant's org units and memberships, answering tree questions without I/O.
#[derive(Debug, Default, Clone)]
pub struct OrgTree {
    units: HashMap<OrgUnitId, OrgUnit>,
    unit_of: HashMap<PersonId, OrgUnitId>,
    children: HashMap<OrgUnitId, Vec<OrgUnitId>>,
}

impl OrgTree {
    pub fn new(units: Vec<OrgUnit>, members: impl IntoIterator<Item = Membership>) -> Self {
        let mut children: HashMap<OrgUnitId, Vec<OrgUnitId>> = HashMap::new();
        for u in &units {
            if let Some(p) = u.parent {
                children.entry(p).or_default().push(u.id);
            }
        }
        for c in children.values_mut() {
            c.sort();
        }
        OrgTree {
            units: units.into_iter().map(|u| (u.id, u)).collect(),
            unit_of: members.into_iter().filter_map(|m| m.unit.map(|u| (m.person, u))).collect(),
            children,
        }
    }

    pub fn unit(&self, id: OrgUnitId) -> Option<&OrgUnit> {
        self.units.get(&id)
    }

    pub fn unit_of(&self, person: PersonId) -> Option<OrgUnitId> {
        self.unit_of.get(&person).copied()
    }

    pub fn children(&self, id: OrgUnitId) -> &[OrgUnitId] {
        self.children.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Root units, sorted by id.
    pub fn roots(&self) -> Vec<OrgUnitId> {
        let mut r: Vec<_> = self.units.values().filter(|u| u.parent.is_none()).map(|u| u.id).collect();
        r.sort();
        r
    }

    /// The unit and its ancestors, nearest first. Stops on a broken or cyclic chain.
    pub fn unit_path(&self, id: OrgUnitId) -> Vec<OrgUnitId> {
        let mut out = Vec::new();
        let mut cur = Some(id);
        while let Some(u) = cur {
            if out.contains(&u) || !self.units.contains_key(&u) {
                break;
            }
            out.push(u);
            cur = self.units[&u].parent;
        }
        out
    }

    /// The person's manager: the manager of their unit, or the next manager up for a unit's
    /// own manager. `None` at the top of the company.
    pub fn manager_of(&self, person: PersonId) -> Option<PersonId> {
        // Up the unit path without collecting it (a privacy check runs this per row); a broken
        // chain ends the walk, and a cyclic one ends once every unit could have been seen.
        let mut cur = self.unit_of(person);
        for _ in 0..=self.units.len() {
            let unit = self.units.get(&cur?)?;
            if let Some(m) = unit.manager.filter(|m| *m != person) {
                return Some(m);
            }
            cur = unit.parent;
        }
        None
    }

    /// Everyone above the person, nearest first, without repeats.
    pub fn management_chain(&self, person: PersonId) -> Vec<PersonId> {
        let mut chain = Vec::new();
        let mut cur = person;
        while let Some(m) = self.manager_of(cur) {
            if m == person || chain.contains(&m) {
                break;
            }
            chain.push(m);
            cur = m;
        }
        chain
    }

    /// Whether `boss` is somewhere above `person`.
    pub fn is_above(&self, boss: PersonId, person: PersonId) -> bool {
        // `management_chain(person).contains(&boss)`, stopping at the first match and
        // collecting nothing: the chain ends where it meets the person again, and on a cycle it
        // only repeats managers already compared.
        let mut cur = person;
        for _ in 0..=self.units.len() {
            match self.manager_of(cur) {
                Some(m) if m == person => return false,
                Some(m) if m == boss => return true,
                Some(m) => cur = m,
                None => return false,
            }
        }
        false
    }

    /// Checks that moving `unit` under `new_parent` keeps the org a tree.
    pub fn check_reparent(&self, unit: OrgUnitId, new_parent: Option<OrgUnitId>) -> Result<(), Invalid> {
        let Some(p) = new_parent else { return Ok(()) };
        if !self.units.contains_key(&p) {
            return Err(Invalid::new("parent", Rule::UnknownRef));
        }
        if self.unit_path(p).contains(&unit) {
            return Err(Invalid::new("parent", Rule::Cycle));
        }
        Ok(())
    }

    /// Units in depth-first order with their depth, for drawing the chart.
    pub fn walk(&self) -> Vec<(OrgUnitId, usize)> {
        let mut out = Vec::with_capacity(self.units.len());
        let mut stack: Vec<(OrgUnitId, usize)> = self.roots().into_iter().rev().map(|r| (r, 0)).collect();
        while let Some((u, d)) = stack.pop() {
            out.push((u, d));
            for c in self.children(u).iter().rev() {
                stack.push((*c, d + 1));
            }
        }
        out
    }

    /// The unit and every unit below it.
    pub fn subtree(&self, id: OrgUnitId) -> Vec<OrgUnitId> {
        let mut out = vec![];
        // Seen units in a set: a company's root has tens of thousands below it.
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![id];
        while let Some(u) = stack.pop() {
            if !seen.insert(u) {
                continue;
            }
            out.push(u);
            stack.extend(self.children(u).iter().copied());
        }
        out
    }
}

/// An existing unit whose name is one typo away from `name` (one character added, dropped or
/// changed, or only letter case differing): "华东大去" for "华东大区". A file that names a unit
/// that does not exist yet may mean a new unit, or a typo of an old one; the import preview asks.
pub fn similar_name<'a>(name: &str, existing: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let a: Vec<char> = name.trim().to_lowercase().chars().collect();
    if a.len() < 2 {
        return None;
    }
    existing.into_iter().find(|e| {
        let b: Vec<char> = e.trim().to_lowercase().chars().collect();
        e.trim() != name.trim() && b.len() >= 2 && (b == a || within_one_edit(&a, &b))
    })
}

fn within_one_edit(a: &[char], b: &[char]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[prefix + 1..] == long[prefix + 1..]
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_name_one_typo_away_is_noticed() {
        let units = ["华东大区", "上海南京西路店", "Finance"];
        assert_eq!(similar_name("华东大去", units), Some("华东大区"), "one character changed");
        assert_eq!(similar_name("华东区", units), Some("华东大区"), "one dropped");
        assert_eq!(similar_name("上海南京西路分店", units), Some("上海南京西路店"), "one added");
        assert_eq!(similar_name("finance", units), Some("Finance"), "only the case differs");
        assert_eq!(similar_name(" Finance ", units), None, "the same name");
        assert_eq!(similar_name("华南大区", ["华东大区"]), Some("华东大区"));
        assert_eq!(similar_name("成都春熙路店", units), None);
        assert_eq!(similar_name("店", ["厂"]), None, "too short to judge");
    }

    fn u(id: i64, parent: Option<i64>, manager: Option<i64>) -> OrgUnit {
        OrgUnit {
            id: OrgUnitId(id),
            name: format!("u{id}"),
            parent: parent.map(OrgUnitId),
            manager: manager.map(PersonId),
        }
    }
    fn m(p: i64, unit: i64) -> Membership {
        Membership { person: PersonId(p), unit: Some(OrgUnitId(unit)) }
    }

    /// HQ (ceo 1) → East region (manager 2) → Store A (manager 3, staff 4) ; Store B (no manager, staff 5)
    fn sample() -> OrgTree {
        OrgTree::new(
            vec![u(1, None, Some(1)), u(2, Some(1), Some(2)), u(3, Some(2), Some(3)), u(4, Some(2), None)],
            vec![m(1, 1), m(2, 2), m(3, 3), m(4, 3), m(5, 4)],
        )
    }

    #[test]
    fn managers_are_derived_from_the_tree() {
        let t = sample();
        assert_eq!(t.manager_of(PersonId(4)), Some(PersonId(3)));
        assert_eq!(t.manager_of(PersonId(3)), Some(PersonId(2)), "a unit manager reports up");
        assert_eq!(t.manager_of(PersonId(5)), Some(PersonId(2)), "unit without manager: next one up");
        assert_eq!(t.manager_of(PersonId(1)), None);
        assert_eq!(t.management_chain(PersonId(4)), vec![PersonId(3), PersonId(2), PersonId(1)]);
        assert!(t.is_above(PersonId(1), PersonId(4)));
        assert!(!t.is_above(PersonId(4), PersonId(3)));
        assert!(!t.is_above(PersonId(3), PersonId(5)), "a peer store's manager is not above");
    }

    #[test]
    fn reparenting_cannot_make_a_cycle() {
        let t = sample();
        assert!(t.check_reparent(OrgUnitId(2), Some(OrgUnitId(3))).is_err());
        assert!(t.check_reparent(OrgUnitId(2), Some(OrgUnitId(2))).is_err());
        assert!(t.check_reparent(OrgUnitId(3), Some(OrgUnitId(1))).is_ok());
        assert!(t.check_reparent(OrgUnitId(3), Some(OrgUnitId(99))).is_err());
    }

    #[test]
    fn walk_is_depth_first_with_depths() {
        let t = sample();
        let w: Vec<_> = t.walk().into_iter().map(|(u, d)| (u.0, d)).collect();
        assert_eq!(w, vec![(1, 0), (2, 1), (3, 2), (4, 2)]);
        assert_eq!(t.subtree(OrgUnitId(2)).len(), 3);
    }

    use proptest::prelude::*;

    /// The reference: a person's manager by collecting the unit path, as first written.
    fn manager_by_path(t: &OrgTree, person: PersonId) -> Option<PersonId> {
        let unit = t.unit_of(person)?;
        t.unit_path(unit).into_iter().filter_map(|u| t.units[&u].manager).find(|m| *m != person)
    }

    proptest! {
        /// On any org, however broken (missing parents, cycles, managers of several units),
        /// the walking `manager_of` and `is_above` answer what the path and the chain say.
        #[test]
        fn managers_and_chains_match_their_definitions(
            units in prop::collection::vec((prop::option::of(0i64..12), prop::option::of(0i64..10)), 1..12),
            members in prop::collection::vec((0i64..10, prop::option::of(0i64..14)), 0..10),
        ) {
            let t = OrgTree::new(
                units.iter().enumerate().map(|(i, (p, m))| u(i as i64, *p, *m)).collect(),
                members.iter().map(|(p, unit)| Membership { person: PersonId(*p), unit: unit.map(OrgUnitId) }),
            );
            for p in 0..10 {
                let p = PersonId(p);
                prop_assert_eq!(t.manager_of(p), manager_by_path(&t, p));
                let chain = t.management_chain(p);
                for boss in 0..10 {
                    prop_assert_eq!(t.is_above(PersonId(boss), p), chain.contains(&PersonId(boss)));
                }
            }
        }
    }
}
