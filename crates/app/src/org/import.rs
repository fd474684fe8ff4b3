//! Org-chart import from CSV: every row is checked first, then everything is written in one
//! transaction, or nothing is and the caller gets every problem with its row and column.
//!
//! Columns (English or Chinese headers, any order): `name`/姓名, `email`/邮箱, `unit`/部门
//! (required); `parent_unit`/上级部门, `title`/职位, `roles`/角色 (e.g. `hr;admin`),
//! `manager`/负责人 (yes/no: this person manages the unit). Units are matched by name and
//! created when new; people are matched by email and updated when they exist.

use crate::error::{AppError, Result, RowError};
use crate::org::accounts::{parse_roles, roles_text};
use crate::org::chart::unit_json;
use crate::org::people::{optional_text, person_json};
use crate::{Actor, App, Change, record};
use serde::Serialize;
use std::collections::HashMap;
use tandem_domain::policy::{self, ManageOrg, Role};
use tandem_domain::text::{Email, Name};
use tandem_domain::{Invalid, Lang, Rule};
use tandem_store::org::{self, OrgUnitRow};
use tandem_store::people::{self, PersonRow};

pub const MAX_ROWS: usize = 20_000;

/// Up to this many new units, the preview points out those one typo away from an existing unit.
const MAX_TYPO_HINTS: usize = 200;

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct ImportReport {
    pub dry_run: bool,
    pub rows: usize,
    pub units_created: usize,
    pub people_created: usize,
    pub people_updated: usize,
    /// Every unit the file would create, by name, with its parent, its first row and an
    /// existing unit one typo away (a misspelt department is a new department otherwise).
    pub new_units: Vec<NewUnitLine>,
    /// Every existing person the file changes, and what changes.
    pub changed_people: Vec<PersonChangeLine>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NewUnitLine {
    pub name: String,
    pub parent: Option<String>,
    pub row: usize,
    pub similar_to: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PersonChangeLine {
    pub row: usize,
    pub name: String,
    pub email: String,
    /// (field, before, after): `name`, `unit`, `title`, `roles`.
    pub changes: Vec<(&'static str, String, String)>,
}

struct Row {
    line: usize,
    name: String,
    email: String,
    unit: String,
    parent_unit: Option<String>,
    title: String,
    roles: Option<Vec<Role>>,
    manager: bool,
}

const COLUMNS: [(&str, &[&str]); 7] = [
    ("name", &["name", "姓名"]),
    ("email", &["email", "邮箱", "电子邮件"]),
    ("unit", &["unit", "部门", "组织"]),
    ("parent_unit", &["parent_unit", "上级部门", "上级组织"]),
    ("title", &["title", "职位", "岗位"]),
    ("roles", &["roles", "角色"]),
    ("manager", &["manager", "负责人", "是否负责人"]),
];

fn parse_flag(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "" | "no" | "n" | "false" | "0" | "否" => Some(false),
        "yes" | "y" | "true" | "1" | "是" => Some(true),
        _ => None,
    }
}

fn err(line: usize, column: &str, reason: String) -> RowError {
    RowError { row: line, column: column.into(), reason }
}

/// Reads and checks every row; returns the rows or every problem found.
fn parse(csv_bytes: &[u8], lang: Lang) -> std::result::Result<Vec<Row>, Vec<RowError>> {
    let (text, _) = crate::sheets::table_text(csv_bytes, lang).map_err(|e| vec![e])?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![err(1, "", format!("{}: {e}", lang.pick("无法读取表头", "Cannot read the header")))]);
        }
    };
    let mut idx: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().to_lowercase();
        if let Some((key, _)) = COLUMNS.iter().find(|(_, names)| names.contains(&h.as_str())) {
            idx.insert(key, i);
        }
    }
    let missing: Vec<_> = ["name", "email", "unit"].into_iter().filter(|c| !idx.contains_key(c)).collect();
    if !missing.is_empty() {
        return Err(missing
            .into_iter()
            .map(|c| err(1, c, lang.pick("缺少必需的列", "Required column is missing").into()))
            .collect());
    }
    let mut rows = vec![];
    let mut errors = vec![];
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        if rows.len() + errors.len() >= MAX_ROWS {
            errors.push(err(
                line,
                "",
                format!("{} {MAX_ROWS}", lang.pick("行数超过上限", "Too many rows; the limit is")),
            ));
            break;
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(err(line, "", format!("{}: {e}", lang.pick("无法解析该行", "Cannot parse this row"))));
                continue;
            }
        };
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |c: &str| idx.get(c).and_then(|i| rec.get(*i)).unwrap_or("").to_string();
        let before = errors.len();
        let name = Name::parse("name", &get("name")).map_err(|e| errors.push(err(line, "name", e.message(lang)))).ok();
        let email =
            Email::parse("email", &get("email")).map_err(|e| errors.push(err(line, "email", e.message(lang)))).ok();
        if let Some(e) = &email
            && let Some(first) = seen.insert(e.as_str().to_string(), line)
        {
            errors.push(err(
                line,
                "email",
                match lang {
                    Lang::Zh => format!("邮箱与第 {first} 行重复"),
                    Lang::En => format!("Same email as row {first}"),
                },
            ));
        }
        let unit = Name::parse("unit", &get("unit")).map_err(|e| errors.push(err(line, "unit", e.message(lang)))).ok();
        let parent_raw = get("parent_unit");
        let parent_unit = if parent_raw.trim().is_empty() {
            None
        } else {
            Name::parse("parent_unit", &parent_raw)
                .map_err(|e| errors.push(err(line, "parent_unit", e.message(lang))))
                .ok()
                .map(Name::into_string)
        };
        let title =
            optional_text("title", &get("title")).map_err(|e| errors.push(err(line, "title", e.message(lang)))).ok();
        let roles_raw = get("roles");
        let roles = if roles_raw.trim().is_empty() {
            Some(None)
        } else {
            Role::parse_list("roles", roles_raw.split([';', ',', '|', '，', '；']))
                .map(Some)
                .map_err(|e| errors.push(err(line, "roles", e.message(lang))))
                .ok()
        };
        let manager = parse_flag(&get("manager"));
        if manager.is_none() {
            errors.push(err(line, "manager", lang.pick("请填写 是/否（yes/no）", "Use yes or no").into()));
        }
        if errors.len() == before
            && let (Some(name), Some(email), Some(unit), Some(title), Some(roles), Some(manager)) =
                (name, email, unit, title, roles, manager)
        {
            rows.push(Row {
                line,
                name: name.into_string(),
                email: email.into_string(),
                unit: unit.into_string(),
                parent_unit,
                title,
                roles,
                manager,
            });
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(err(2, "", lang.pick("文件中没有数据行", "The file has no data rows").into()));
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}

impl App {
    /// Imports an org chart. With `dry_run` nothing is written, and the report says what would be.
    pub async fn import_org_chart(
        &self,
        _cap: ManageOrg,
        a: &Actor,
        csv_bytes: &[u8],
        dry_run: bool,
        create_units: bool,
        lang: Lang,
    ) -> Result<ImportReport> {
        let owned = csv_bytes.to_vec();
        let rows = crate::cpu::run(move || parse(&owned, lang)).await?.map_err(AppError::ImportRejected)?;
        let now = self.now();
        let tenant = a.tenant.0;
        let mut tx = self.db.begin().await?;
        let units = org::list_in(&mut tx, tenant).await?;
        let existing_people = people::list_in(&mut tx, tenant).await?;
        let mut errors = vec![];

        // Units by name: existing ones (a name used twice is ambiguous) and new ones with their parent.
        let mut by_name: HashMap<String, Vec<i64>> = HashMap::new();
        for u in &units {
            by_name.entry(u.name.clone()).or_default().push(u.id);
        }
        let mut new_units: Vec<(String, Option<String>, usize)> = vec![];
        for r in &rows {
            match by_name.get(&r.unit).map(Vec::len) {
                Some(n) if n > 1 => errors.push(err(
                    r.line,
                    "unit",
                    match lang {
                        Lang::Zh => format!("有 {n} 个部门都叫“{}”，无法确定是哪一个", r.unit),
                        Lang::En => format!("{n} units are named “{}”; cannot tell which", r.unit),
                    },
                )),
                Some(_) => {
                    let id = by_name[&r.unit][0];
                    let current_parent = units.iter().find(|u| u.id == id).and_then(|u| u.parent_id);
                    let parent_name =
                        current_parent.and_then(|p| units.iter().find(|u| u.id == p)).map(|u| u.name.clone());
                    if r.parent_unit.is_some() && r.parent_unit != parent_name {
                        errors.push(err(
                            r.line,
                            "parent_unit",
                            match lang {
                                Lang::Zh => format!(
                                    "部门“{}”已存在，上级为“{}”；请在组织架构页面调整",
                                    r.unit,
                                    parent_name.unwrap_or_default()
                                ),
                                Lang::En => format!(
                                    "Unit “{}” exists under “{}”; move it on the org chart page",
                                    r.unit,
                                    parent_name.unwrap_or_default()
                                ),
                            },
                        ));
                    }
                }
                None => match new_units.iter().find(|(n, _, _)| *n == r.unit) {
                    Some((_, p, first)) if r.parent_unit.is_some() && *p != r.parent_unit => errors.push(err(
                        r.line,
                        "parent_unit",
                        match lang {
                            Lang::Zh => format!("与第 {first} 行给出的上级部门不一致"),
                            Lang::En => {
                                format!("Differs from the parent unit given on row {first}")
                            }
                        },
                    )),
                    Some(_) => {}
                    None => new_units.push((r.unit.clone(), r.parent_unit.clone(), r.line)),
                },
            }
        }
        // Every parent must exist or be created here, and new units must not form a loop.
        for (name, parent, line) in &new_units {
            let Some(p) = parent else { continue };
            if !by_name.contains_key(p) && !new_units.iter().any(|(n, _, _)| n == p) {
                errors.push(err(
                    *line,
                    "parent_unit",
                    match lang {
                        Lang::Zh => format!("上级部门“{p}”不存在，也未在文件中出现"),
                        Lang::En => {
                            format!("Parent unit “{p}” neither exists nor appears in the file")
                        }
                    },
                ));
                continue;
            }
            let mut cur = Some(p.clone());
            let mut steps = 0;
            while let Some(c) = cur {
                if c == *name || steps > new_units.len() {
                    errors.push(err(
                        *line,
                        "parent_unit",
                        lang.pick("部门之间形成了循环上下级", "Units would form a loop").into(),
                    ));
                    break;
                }
                steps += 1;
                cur = new_units.iter().find(|(n, _, _)| *n == c).and_then(|(_, p, _)| p.clone());
            }
        }
        // One manager per unit.
        let mut managers: HashMap<&str, usize> = HashMap::new();
        for r in rows.iter().filter(|r| r.manager) {
            if let Some(first) = managers.insert(&r.unit, r.line) {
                errors.push(err(
                    r.line,
                    "manager",
                    match lang {
                        Lang::Zh => format!("第 {first} 行已指定该部门的负责人"),
                        Lang::En => format!("Row {first} already names this unit's manager"),
                    },
                ));
            }
        }
        // Role changes obey the same grants as the people page.
        for r in &rows {
            let Some(roles) = &r.roles else { continue };
            let before = existing_people
                .iter()
                .find(|p| p.email == r.email)
                .map(|p| parse_roles(&p.roles))
                .unwrap_or(vec![Role::Member]);
            if roles.iter().chain(&before).any(|x| roles.contains(x) != before.contains(x) && !policy::may_grant(a, *x))
            {
                errors.push(err(
                    r.line,
                    "roles",
                    lang.pick("你无权授予或撤销该角色", "You may not grant or remove this role").into(),
                ));
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.row);
            return Err(AppError::ImportRejected(errors));
        }

        let mut report =
            ImportReport { dry_run, rows: rows.len(), units_created: new_units.len(), ..Default::default() };
        report.people_updated = rows.iter().filter(|r| existing_people.iter().any(|p| p.email == r.email)).count();
        report.people_created = rows.len() - report.people_updated;
        report.new_units = new_units
            .iter()
            .map(|(name, parent, row)| NewUnitLine {
                name: name.clone(),
                parent: parent.clone(),
                row: *row,
                // Typo hints compare every new unit with every existing one: for a file that
                // creates hundreds of units (a first import), none are looked for.
                similar_to: (new_units.len() <= MAX_TYPO_HINTS)
                    .then(|| tandem_domain::org::similar_name(name, units.iter().map(|u| u.name.as_str())))
                    .flatten()
                    .map(String::from),
            })
            .collect();
        let unit_name = |id: Option<i64>| id.and_then(|i| units.iter().find(|u| u.id == i)).map(|u| u.name.clone());
        for r in &rows {
            let Some(p) = existing_people.iter().find(|p| p.email == r.email) else { continue };
            let mut changes = vec![];
            let before_unit = unit_name(p.org_unit_id).unwrap_or_default();
            if p.name != r.name {
                changes.push(("name", p.name.clone(), r.name.clone()));
            }
            if before_unit != r.unit {
                changes.push(("unit", before_unit, r.unit.clone()));
            }
            if !r.title.is_empty() && p.title != r.title {
                changes.push(("title", p.title.clone(), r.title.clone()));
            }
            if let Some(roles) = &r.roles
                && roles_text(roles) != p.roles
            {
                changes.push(("roles", p.roles.clone(), roles_text(roles)));
            }
            if !changes.is_empty() {
                report.changed_people.push(PersonChangeLine {
                    row: r.line,
                    name: r.name.clone(),
                    email: r.email.clone(),
                    changes,
                });
            }
        }
        if dry_run {
            return Ok(report);
        }
        if !create_units && !new_units.is_empty() {
            let names: Vec<&str> = new_units.iter().map(|(n, _, _)| n.as_str()).collect();
            return Err(Invalid::new("create_units", Rule::ConfirmNewUnits { names: names.join("、") }).into());
        }

        // Parents first: repeat passes until every new unit is placed (loops were refused above).
        let mut unit_id: HashMap<String, i64> = by_name.iter().map(|(n, ids)| (n.clone(), ids[0])).collect();
        let mut pending = new_units.clone();
        while !pending.is_empty() {
            let before = pending.len();
            let mut rest = vec![];
            for (name, parent, line) in pending {
                let parent_id = match &parent {
                    None => None,
                    Some(p) => match unit_id.get(p) {
                        Some(id) => Some(*id),
                        None => {
                            rest.push((name, parent, line));
                            continue;
                        }
                    },
                };
                let row = OrgUnitRow {
                    tenant_id: tenant,
                    id: tx.next_id().await?,
                    name: name.clone(),
                    parent_id,
                    manager_id: None,
                    created_at: now,
                };
                org::insert(&mut tx, &row).await?;
                record(&mut tx, Some(a), tenant, now, Change::create("org_unit", row.id, unit_json(&row))).await?;
                unit_id.insert(name, row.id);
            }
            if rest.len() == before {
                return Err(AppError::Internal("unplaceable units after validation".into()));
            }
            pending = rest;
        }
        let mut person_id: HashMap<String, i64> = HashMap::new();
        for r in &rows {
            let unit = unit_id.get(&r.unit).copied();
            match existing_people.iter().find(|p| p.email == r.email) {
                Some(before) => {
                    let mut after = before.clone();
                    after.name = r.name.clone();
                    after.org_unit_id = unit;
                    if !r.title.is_empty() {
                        after.title = r.title.clone();
                    }
                    if let Some(roles) = &r.roles {
                        after.roles = roles_text(roles);
                    }
                    if after != *before {
                        people::update(&mut tx, &after).await?;
                        record(
                            &mut tx,
                            Some(a),
                            tenant,
                            now,
                            Change::update("person", after.id, person_json(before), person_json(&after)),
                        )
                        .await?;
                    }
                    person_id.insert(r.email.clone(), after.id);
                }
                None => {
                    let row = PersonRow {
                        tenant_id: tenant,
                        id: tx.next_id().await?,
                        name: r.name.clone(),
                        email: r.email.clone(),
                        org_unit_id: unit,
                        title: r.title.clone(),
                        roles: roles_text(r.roles.as_deref().unwrap_or(&[Role::Member])),
                        lang: "zh".into(),
                        password_hash: None,
                        active: 1,
                        created_at: now,
                    };
                    people::insert(&mut tx, &row).await?;
                    record(&mut tx, Some(a), tenant, now, Change::create("person", row.id, person_json(&row))).await?;
                    person_id.insert(r.email.clone(), row.id);
                }
            }
        }
        let all_units = org::list_in(&mut tx, tenant).await?;
        for r in rows.iter().filter(|r| r.manager) {
            let (Some(uid), Some(pid)) = (unit_id.get(&r.unit), person_id.get(&r.email)) else {
                continue;
            };
            if let Some(before) = all_units.iter().find(|u| u.id == *uid)
                && before.manager_id != Some(*pid)
            {
                let after = OrgUnitRow { manager_id: Some(*pid), ..before.clone() };
                org::update(&mut tx, &after).await?;
                record(
                    &mut tx,
                    Some(a),
                    tenant,
                    now,
                    Change::update("org_unit", *uid, unit_json(before), unit_json(&after)),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_checked_before_anything_else() {
        let csv = "姓名,邮箱,部门,上级部门,角色,负责人\n张三,zhang@x.cn,门店A,华东,,是\n,bad,门店A,,boss,maybe\n李四,zhang@x.cn,门店B,,,\n";
        let Err(errs) = parse(csv.as_bytes(), Lang::En) else { panic!("expected errors") };
        let cols: Vec<_> = errs.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(cols, vec![(3, "name"), (3, "email"), (3, "roles"), (3, "manager"), (4, "email")]);
    }

    #[test]
    fn missing_columns_and_empty_files() {
        let Err(errs) = parse(b"name,email\nA,a@x.cn\n", Lang::Zh) else { panic!("expected errors") };
        assert_eq!(errs[0].column, "unit");
        assert!(parse(b"name,email,unit\n", Lang::Zh).is_err());
        assert!(parse(&[0xff, 0xfe, 0x00], Lang::Zh).is_err());
        let ok = parse("\u{feff}name,email,unit\nA,a@x.cn,HQ\n".as_bytes(), Lang::Zh);
        assert!(matches!(ok, Ok(ref r) if r.len() == 1));
    }
}
