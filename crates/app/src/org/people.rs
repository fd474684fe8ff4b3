//! People: the company directory, and the admin's door to change it.

use crate::error::{AppError, Result};
use crate::org::accounts::{hash_password, parse_roles, roles_text};
use crate::org::chart::OrgSnapshot;
use crate::{Actor, App, Change, record};
use serde::Serialize;
use tandem_domain::ids::PersonId;
use tandem_domain::policy::{self, ManagePeople, Role};
use tandem_domain::text::{Email, Name, NewPassword};
use tandem_domain::{Invalid, Lang, Rule};
use tandem_store::people::{self, PersonRow};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PersonView {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub title: String,
    pub org_unit: Option<i64>,
    pub org_unit_name: Option<String>,
    pub manager: Option<i64>,
    pub manager_name: Option<String>,
    pub roles: Vec<Role>,
    pub lang: Lang,
    pub active: bool,
}

impl OrgSnapshot {
    pub fn person_view(&self, p: &PersonRow) -> PersonView {
        let manager = self.tree.manager_of(PersonId(p.id)).map(|m| m.0);
        PersonView {
            id: p.id,
            name: p.name.clone(),
            email: p.email.clone(),
            title: p.title.clone(),
            org_unit: p.org_unit_id,
            org_unit_name: p.org_unit_id.and_then(|u| self.unit(u)).map(|u| u.name.clone()),
            manager,
            manager_name: manager.and_then(|m| self.person(m)).map(|m| m.name.clone()),
            roles: parse_roles(&p.roles),
            lang: Lang::parse(&p.lang).unwrap_or_default(),
            active: p.active == 1,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewPerson {
    pub name: String,
    pub email: String,
    pub title: String,
    pub org_unit: Option<i64>,
    pub roles: Vec<String>,
    pub lang: Option<String>,
    /// An initial password; without one the person cannot sign in until an admin sets one.
    pub password: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PersonPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub org_unit: Option<Option<i64>>,
    pub roles: Option<Vec<String>>,
    pub lang: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    pub unit: Option<i64>,
    pub q: Option<String>,
}

fn check_grants(a: &Actor, roles: &[Role], before: &[Role]) -> Result<()> {
    for r in roles.iter().chain(before) {
        let changed = roles.contains(r) != before.contains(r);
        if changed && !policy::may_grant(a, *r) {
            return Err(AppError::Forbidden);
        }
    }
    Ok(())
}

impl App {
    pub async fn list_people(&self, a: &Actor, f: &PeopleFilter) -> Result<Vec<PersonView>> {
        let snap = self.org_snapshot(a.tenant.0).await?;
        let units = f.unit.map(|u| snap.tree.subtree(tandem_domain::ids::OrgUnitId(u)));
        let q = f.q.as_deref().map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
        Ok(snap
            .people
            .iter()
            .filter(|p| match &units {
                Some(us) => p.org_unit_id.is_some_and(|u| us.iter().any(|x| x.0 == u)),
                None => true,
            })
            .filter(|p| match &q {
                Some(q) => {
                    p.name.to_lowercase().contains(q) || p.email.contains(q) || p.title.to_lowercase().contains(q)
                }
                None => true,
            })
            .map(|p| snap.person_view(p))
            .collect())
    }

    pub async fn get_person(&self, a: &Actor, id: i64) -> Result<PersonView> {
        let snap = self.org_snapshot(a.tenant.0).await?;
        snap.person(id).map(|p| snap.person_view(p)).ok_or(AppError::NotFound)
    }

    pub async fn create_person(&self, _cap: ManagePeople, a: &Actor, new: NewPerson) -> Result<PersonView> {
        let roles = Role::parse_list("roles", new.roles.iter().map(String::as_str))?;
        check_grants(a, &roles, &[Role::Member])?;
        let id = self.insert_person(Some(a), a.tenant.0, new).await?;
        self.get_person(a, id).await
    }

    /// Validates and stores a new person; shared by the admin API and the `tandem admin` CLI
    /// (which has no signed-in actor: whoever runs it already holds the database).
    pub(crate) async fn insert_person(&self, a: Option<&Actor>, tenant: i64, new: NewPerson) -> Result<i64> {
        let name = Name::parse("name", &new.name)?;
        let email = Email::parse("email", &new.email)?;
        let title = optional_text("title", &new.title)?;
        let roles = Role::parse_list("roles", new.roles.iter().map(String::as_str))?;
        let lang = parse_lang(new.lang.as_deref())?;
        let hash = match new.password.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => Some(hash_password(&NewPassword::parse(p)?)?),
            None => None,
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if let Some(u) = new.org_unit
            && !tandem_store::org::list_in(&mut tx, tenant).await?.iter().any(|x| x.id == u)
        {
            return Err(Invalid::new("org_unit", Rule::UnknownRef).into());
        }
        let row = PersonRow {
            tenant_id: tenant,
            id: tx.next_id().await?,
            name: name.into_string(),
            email: email.into_string(),
            org_unit_id: new.org_unit,
            title,
            roles: roles_text(&roles),
            lang: lang.code().into(),
            password_hash: hash,
            active: 1,
            created_at: now,
        };
        people::insert(&mut tx, &row).await.map_err(email_conflict)?;
        record(&mut tx, a, tenant, now, Change::create("person", row.id, person_json(&row))).await?;
        tx.commit().await?;
        Ok(row.id)
    }

    pub async fn update_person(
        &self,
        _cap: ManagePeople,
        a: &Actor,
        id: i64,
        patch: PersonPatch,
    ) -> Result<PersonView> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let all = people::list_in(&mut tx, a.tenant.0).await?;
        let before = all.iter().find(|p| p.id == id).cloned().ok_or(AppError::NotFound)?;
        let mut after = before.clone();
        if let Some(n) = &patch.name {
            after.name = Name::parse("name", n)?.into_string();
        }
        if let Some(e) = &patch.email {
            after.email = Email::parse("email", e)?.into_string();
        }
        if let Some(t) = &patch.title {
            after.title = optional_text("title", t)?;
        }
        if let Some(u) = patch.org_unit {
            if let Some(u) = u
                && !tandem_store::org::list_in(&mut tx, a.tenant.0).await?.iter().any(|x| x.id == u)
            {
                return Err(Invalid::new("org_unit", Rule::UnknownRef).into());
            }
            after.org_unit_id = u;
        }
        if let Some(r) = &patch.roles {
            let roles = Role::parse_list("roles", r.iter().map(String::as_str))?;
            check_grants(a, &roles, &parse_roles(&before.roles))?;
            if a.person.0 == id && !roles.contains(&Role::Admin) && a.has(Role::Admin) {
                // An admin cannot lock the tenant out by removing their own admin role.
                return Err(AppError::Conflict("last_admin"));
            }
            after.roles = roles_text(&roles);
        }
        if let Some(l) = &patch.lang {
            after.lang = parse_lang(Some(l))?.code().into();
        }
        if let Some(act) = patch.active {
            if a.person.0 == id && !act {
                return Err(AppError::Conflict("self_deactivate"));
            }
            after.active = i64::from(act);
        }
        if after != before {
            people::update(&mut tx, &after).await.map_err(email_conflict)?;
            if after.active == 0 && before.active == 1 {
                tandem_store::credentials::revoke_all_except(&mut tx, a.tenant.0, id, None, now).await?;
            }
            record(
                &mut tx,
                Some(a),
                a.tenant.0,
                now,
                Change::update("person", id, person_json(&before), person_json(&after)),
            )
            .await?;
            tx.commit().await?;
        }
        self.get_person(a, id).await
    }
}

pub(crate) fn optional_text(field: &str, s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    if t.chars().count() > Name::MAX {
        return Err(Invalid::new(field, Rule::TooLong { max: Name::MAX }));
    }
    Ok(t.to_string())
}

pub(crate) fn parse_lang(s: Option<&str>) -> Result<Lang, Invalid> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Lang::Zh),
        Some(s) => Lang::parse(s).ok_or_else(|| Invalid::new("lang", Rule::OneOf(&["zh", "en"]))),
    }
}

fn email_conflict(e: tandem_store::StoreError) -> AppError {
    match e {
        tandem_store::StoreError::Conflict => AppError::Conflict("email_taken"),
        other => other.into(),
    }
}

pub(crate) fn person_json(p: &PersonRow) -> serde_json::Value {
    serde_json::json!({
        "name": p.name, "email": p.email, "title": p.title, "org_unit": p.org_unit_id,
        "roles": p.roles, "lang": p.lang, "active": p.active == 1,
    })
}
