//! The open format: a cycle's OKRs and KPIs as one YAML/JSON document (the lint draft shape,
//! extended with ids, owners, links and KPIs), so no customer is ever stranded.
//!
//! Export writes what the caller may see (a KPI outside their circle is not in their file).
//! Import checks the whole document first and writes it in one transaction; ids in the file
//! only tie its parts together (parent, supports, derived_from) and new ids are given.

use crate::error::{AppError, Result};
use crate::kpis::kpi::KpiFilter;
use crate::org::owners::{OwnerRef, owner_parts};
use crate::{Actor, App, Change, record};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tandem_domain::cycle::CycleState;
use tandem_domain::goal::{KeyResultSpec, ObjectiveKind, Owner, Weight, finite};
use tandem_domain::kpi::{DerivedFrom, Direction, Thresholds};
use tandem_domain::policy;
use tandem_domain::text::Name;
use tandem_domain::{Invalid, Rule};
use tandem_store::goals::{self, KpiRow, ObjectiveRow};

pub const FORMAT: &str = "tandem/v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub format: String,
    #[serde(default)]
    pub cycle: Option<CycleRef>,
    #[serde(default)]
    pub objectives: Vec<ObjectiveDoc>,
    #[serde(default)]
    pub kpis: Vec<KpiDoc>,
    /// The units' team retros of the cycle (exported; an import leaves retros alone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub team_retros: Vec<TeamRetroDoc>,
}

/// A unit's team retro in the open format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamRetroDoc {
    pub unit: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit_name: String,
    /// As `GET /api/v1/org-units/{id}/retro` reads it: worked, did_not, causes, lessons, actions.
    pub retro: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CycleRef {
    pub id: i64,
    pub name: String,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnerDoc {
    #[serde(flatten)]
    pub owner: OwnerRef,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveDoc {
    pub id: i64,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "aspirational")]
    pub kind: String,
    pub owner: OwnerDoc,
    #[serde(default)]
    pub parent: Option<i64>,
    #[serde(default)]
    pub supports: Vec<i64>,
    #[serde(default = "published")]
    pub status: String,
    #[serde(default)]
    pub key_results: Vec<KeyResultDoc>,
    /// Its 复盘 as written (self scores, worked, did_not, causes, lessons, actions, carry_over):
    /// exported; an import leaves retros alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retro: Option<serde_json::Value>,
}

fn aspirational() -> String {
    "aspirational".into()
}
fn published() -> String {
    "published".into()
}
fn increase() -> String {
    "increase".into()
}
fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KrOwnerDoc {
    #[serde(flatten)]
    pub owner: OwnerRef,
    #[serde(default = "one")]
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyResultDoc {
    pub id: i64,
    pub title: String,
    #[serde(default = "increase")]
    pub measure: String,
    #[serde(default)]
    pub baseline: f64,
    pub target: f64,
    #[serde(default)]
    pub current: Option<f64>,
    #[serde(default)]
    pub unit: String,
    #[serde(default = "one")]
    pub weight: f64,
    #[serde(default)]
    pub owners: Vec<KrOwnerDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiDoc {
    pub id: i64,
    pub name: String,
    pub owner: OwnerDoc,
    #[serde(default)]
    pub granularity: String,
    #[serde(default)]
    pub direction: String,
    pub target: f64,
    pub pass: f64,
    #[serde(default)]
    pub warn: Option<f64>,
    #[serde(default)]
    pub unit: String,
    #[serde(default = "one")]
    pub weight: f64,
    #[serde(default)]
    pub derived_from: Option<DerivedFrom>,
}

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct ImportSummary {
    pub objectives: usize,
    pub key_results: usize,
    pub kpis: usize,
}

impl App {
    /// The caller's view of a cycle's goals, in the open format.
    pub async fn export_cycle(&self, a: &Actor, cycle: i64) -> Result<Document> {
        let c = self.get_cycle(a, cycle).await?;
        let objs = self
            .list_objectives(a, &crate::goals::objectives::ObjectiveFilter { cycle: Some(cycle), ..Default::default() })
            .await?;
        let kpis = self.list_kpis(a, &KpiFilter { cycle: Some(cycle), owner: None }).await?;
        // Retros as stored (each was checked when written), of the objectives listed above only.
        let (retros, teams) = tokio::try_join!(
            async {
                Ok::<_, crate::AppError>(tandem_store::reviews::retros_of_cycle(&self.db, a.tenant.0, cycle).await?)
            },
            async { Ok::<_, crate::AppError>(tandem_store::reviews::team_retros(&self.db, a.tenant.0).await?) },
        )?;
        let retro_of: std::collections::HashMap<i64, serde_json::Value> =
            retros.iter().filter_map(|r| Some((r.objective_id, serde_json::from_str(&r.body).ok()?))).collect();
        let org = self.org_snapshot(a.tenant.0).await?;
        let owner_doc = |o: Owner, name: &str| {
            let (t, id) = owner_parts(o);
            let kind = if t == "org_unit" {
                crate::org::owners::OwnerKind::OrgUnit
            } else {
                crate::org::owners::OwnerKind::Person
            };
            OwnerDoc { owner: OwnerRef { kind, id }, name: name.to_string() }
        };
        Ok(Document {
            format: FORMAT.into(),
            cycle: Some(CycleRef { id: c.id, name: c.name, start: c.start, end: c.end }),
            objectives: objs
                .iter()
                .map(|o| ObjectiveDoc {
                    id: o.id,
                    title: o.title.clone(),
                    description: o.description.clone(),
                    kind: o.kind.clone(),
                    owner: owner_doc(o.owner, &o.owner_name),
                    parent: o.parent,
                    supports: o.supports.clone(),
                    status: o.status.clone(),
                    key_results: o
                        .key_results
                        .iter()
                        .map(|k| KeyResultDoc {
                            id: k.id,
                            title: k.title.clone(),
                            measure: k.measure.clone(),
                            baseline: k.baseline,
                            target: k.target,
                            current: Some(k.current),
                            unit: k.unit.clone(),
                            weight: k.weight,
                            owners: k
                                .owners
                                .iter()
                                .map(|w| KrOwnerDoc {
                                    owner: OwnerRef {
                                        kind: if w.kind == "org_unit" {
                                            crate::org::owners::OwnerKind::OrgUnit
                                        } else {
                                            crate::org::owners::OwnerKind::Person
                                        },
                                        id: w.id,
                                    },
                                    weight: w.weight,
                                })
                                .collect(),
                        })
                        .collect(),
                    retro: retro_of.get(&o.id).cloned(),
                })
                .collect(),
            team_retros: teams
                .iter()
                .filter(|t| t.cycle_id == cycle)
                .filter_map(|t| {
                    Some(TeamRetroDoc {
                        unit: t.unit_id,
                        unit_name: org.unit(t.unit_id).map(|u| u.name.clone()).unwrap_or_default(),
                        retro: serde_json::from_str(&t.body).ok()?,
                    })
                })
                .collect(),
            kpis: kpis
                .iter()
                .map(|k| KpiDoc {
                    id: k.id,
                    name: k.name.clone(),
                    owner: owner_doc(k.owner, &k.owner_name),
                    granularity: k.granularity.clone(),
                    direction: k.direction.clone(),
                    target: k.target,
                    pass: k.pass,
                    warn: k.warn,
                    unit: k.unit.clone(),
                    weight: k.weight,
                    derived_from: k.derived_from,
                })
                .collect(),
        })
    }

    /// Writes a document's objectives, key results and KPIs into `cycle`, all or nothing.
    pub async fn import_cycle(&self, a: &Actor, cycle: i64, doc: &Document) -> Result<ImportSummary> {
        if doc.format != FORMAT {
            return Err(Invalid::new("format", Rule::OneOf(&[FORMAT])).into());
        }
        let target = self.get_cycle(a, cycle).await?;
        if target.state == CycleState::Closed.as_str() {
            return Err(AppError::Conflict("cycle_closed"));
        }
        let (existing, org) = tokio::try_join!(self.goal_snapshot(a.tenant.0), self.org_snapshot(a.tenant.0))?;
        let owner_ok = |field: &str, o: Owner| -> Result<(), Invalid> {
            let ok = match o {
                Owner::Person(p) => org.person(p.0).is_some_and(|p| p.active == 1),
                Owner::OrgUnit(u) => org.unit(u.0).is_some(),
            };
            if ok { Ok(()) } else { Err(Invalid::new(field, Rule::UnknownRef)) }
        };
        // Check everything before writing anything.
        let file_ids: Vec<i64> = doc.objectives.iter().map(|o| o.id).collect();
        let kr_ids: Vec<i64> = doc.objectives.iter().flat_map(|o| o.key_results.iter().map(|k| k.id)).collect();
        for (i, o) in doc.objectives.iter().enumerate() {
            let at = |e: Invalid| Invalid::new(format!("objectives[{i}].{}", e.field), e.rule);
            Name::parse("title", &o.title).map_err(at)?;
            ObjectiveKind::parse("kind", &o.kind).map_err(at)?;
            owner_ok("owner", o.owner.owner.owner()).map_err(at)?;
            if !policy::may_set_goals_for(a, o.owner.owner.owner(), &org.tree) {
                return Err(AppError::Forbidden);
            }
            if let Some(p) = o.parent
                && !file_ids.contains(&p)
                && existing.objective(p).is_none()
            {
                return Err(at(Invalid::new("parent", Rule::UnknownRef)).into());
            }
            for (j, k) in o.key_results.iter().enumerate() {
                let at = |e: Invalid| Invalid::new(format!("objectives[{i}].key_results[{j}].{}", e.field), e.rule);
                KeyResultSpec::parse(&k.title, &k.measure, k.baseline, k.target, &k.unit, k.weight).map_err(at)?;
                for w in &k.owners {
                    owner_ok("owners", w.owner.owner()).map_err(at)?;
                    Weight::parse("owners.weight", w.weight).map_err(at)?;
                }
            }
        }
        // Parents inside the file must not loop.
        for o in &doc.objectives {
            let mut cur = o.parent;
            let mut steps = 0;
            while let Some(c) = cur.filter(|c| file_ids.contains(c)) {
                steps += 1;
                if c == o.id || steps > file_ids.len() {
                    return Err(Invalid::new("parent", Rule::AlignmentLoop).into());
                }
                cur = doc.objectives.iter().find(|x| x.id == c).and_then(|x| x.parent);
            }
        }
        for (i, k) in doc.kpis.iter().enumerate() {
            let at = |e: Invalid| Invalid::new(format!("kpis[{i}].{}", e.field), e.rule);
            Name::parse("name", &k.name).map_err(at)?;
            owner_ok("owner", k.owner.owner.owner()).map_err(at)?;
            let dir =
                Direction::parse("direction", if k.direction.is_empty() { "higher_is_better" } else { &k.direction })
                    .map_err(at)?;
            Thresholds::new(dir, k.pass, k.warn).map_err(at)?;
            finite("target", k.target).map_err(at)?;
            Weight::parse("weight", k.weight).map_err(at)?;
            if !policy::may_edit_kpi(a, k.owner.owner.owner(), &org.tree) {
                return Err(AppError::Forbidden);
            }
            if let Some(DerivedFrom::KeyResult(r)) = k.derived_from
                && !kr_ids.contains(&r.0)
                && existing.key_result(r.0).is_none()
            {
                return Err(at(Invalid::new("derived_from", Rule::UnknownRef)).into());
            }
        }

        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut new_obj: HashMap<i64, i64> = HashMap::new();
        let mut new_kr: HashMap<i64, i64> = HashMap::new();
        for o in &doc.objectives {
            new_obj.insert(o.id, tx.next_id().await?);
        }
        let mut summary = ImportSummary::default();
        for o in &doc.objectives {
            let (owner_type, owner_id) = owner_parts(o.owner.owner.owner());
            let row = ObjectiveRow {
                tenant_id: a.tenant.0,
                id: new_obj[&o.id],
                cycle_id: cycle,
                title: Name::parse("title", &o.title)?.into_string(),
                description: o.description.trim().to_string(),
                kind: ObjectiveKind::parse("kind", &o.kind)?.as_str().into(),
                owner_type: owner_type.into(),
                owner_id,
                parent_id: o.parent.map(|p| new_obj.get(&p).copied().unwrap_or(p)),
                status: if o.status == "draft" { "draft" } else { "published" }.into(),
                author_id: a.person.0,
                created_at: now,
                updated_at: now,
                published_at: (o.status != "draft").then_some(now),
            };
            goals::insert_objective(&mut tx, &row).await?;
            let supports: Vec<i64> =
                o.supports.iter().map(|s| new_obj.get(s).copied().unwrap_or(*s)).filter(|s| *s != row.id).collect();
            goals::set_supports(&mut tx, a.tenant.0, row.id, &supports).await?;
            let mut c = Change::create("objective", row.id, crate::goals::objectives::objective_json(&row, &supports));
            c.reason = Some("import".into());
            record(&mut tx, Some(a), a.tenant.0, now, c).await?;
            summary.objectives += 1;
            for (pos, k) in o.key_results.iter().enumerate() {
                let spec = KeyResultSpec::parse(&k.title, &k.measure, k.baseline, k.target, &k.unit, k.weight)?;
                let id = tx.next_id().await?;
                new_kr.insert(k.id, id);
                let current = tandem_domain::goal::plausible("current", &spec.unit, k.current.unwrap_or(k.baseline))?;
                let kr = crate::goals::key_results::kr_row(a.tenant.0, id, row.id, spec, current, pos as i64, now);
                goals::insert_key_result(&mut tx, &kr).await?;
                let owners: Vec<(String, i64, f64)> = k
                    .owners
                    .iter()
                    .map(|w| {
                        let (t, i) = owner_parts(w.owner.owner());
                        (t.to_string(), i, w.weight)
                    })
                    .collect();
                goals::set_kr_owners(&mut tx, a.tenant.0, id, &owners).await?;
                record(
                    &mut tx,
                    Some(a),
                    a.tenant.0,
                    now,
                    Change::create("key_result", id, crate::goals::key_results::kr_json(&kr, &owners)),
                )
                .await?;
                summary.key_results += 1;
            }
        }
        for k in &doc.kpis {
            let (owner_type, owner_id) = owner_parts(k.owner.owner.owner());
            let dir =
                Direction::parse("direction", if k.direction.is_empty() { "higher_is_better" } else { &k.direction })?;
            let (derived_type, derived_id) = match k.derived_from {
                Some(DerivedFrom::KeyResult(r)) => {
                    (Some("key_result".to_string()), Some(new_kr.get(&r.0).copied().unwrap_or(r.0)))
                }
                Some(DerivedFrom::Objective(o)) => {
                    (Some("objective".to_string()), Some(new_obj.get(&o.0).copied().unwrap_or(o.0)))
                }
                None => (None, None),
            };
            let row = KpiRow {
                tenant_id: a.tenant.0,
                id: tx.next_id().await?,
                cycle_id: cycle,
                name: Name::parse("name", &k.name)?.into_string(),
                owner_type: owner_type.into(),
                owner_id,
                granularity: if k.granularity.is_empty() { "month".into() } else { k.granularity.clone() },
                direction: dir.as_str().into(),
                target: k.target,
                pass_threshold: k.pass,
                warn_threshold: k.warn,
                unit: k.unit.trim().into(),
                weight: k.weight,
                derived_type,
                derived_id,
                created_at: now,
                updated_at: now,
            };
            goals::insert_kpi(&mut tx, &row).await?;
            record(
                &mut tx,
                Some(a),
                a.tenant.0,
                now,
                Change::create("kpi", row.id, serde_json::json!({"name": row.name})),
            )
            .await?;
            summary.kpis += 1;
        }
        goals::bump_version(&mut tx, a.tenant.0).await?;
        tx.commit().await?;
        Ok(summary)
    }
}

/// Reads a document from YAML or JSON text.
pub fn parse_document(text: &str) -> Result<Document> {
    // A parser spends time out of all proportion on deep nesting (200 KB of brackets took
    // 38 s): measure it first, in one pass. A tandem/v1 document nests about five levels.
    if nesting(text) > MAX_NESTING {
        return Err(Invalid::new("document", Rule::TooDeep { max: MAX_NESTING }).into());
    }
    serde_yaml_ng::from_str(text).map_err(|e| Invalid::new(format!("document ({e})"), Rule::Required).into())
}

/// [`parse_document`] off the async workers (see [`crate::cpu`]).
pub async fn parse_document_off(text: String) -> Result<Document> {
    crate::cpu::run(move || parse_document(&text)).await?
}

const MAX_NESTING: usize = 32;

/// How deep a YAML or JSON text nests: flow brackets (`[`, `{`) outside quoted scalars and
/// comments, plus block indentation (counted in steps of one level per deeper indent). An
/// over-estimate is harmless (the limit is far above what the format needs); an under-estimate
/// would let a slow parse through, so anything that may open a level counts.
pub fn nesting(text: &str) -> usize {
    let mut deepest = 0usize;
    let mut flow = 0usize;
    let mut indents: Vec<usize> = vec![];
    for line in text.lines() {
        let body = line.trim_start_matches([' ', '-']);
        if flow == 0 && !body.is_empty() && !body.starts_with('#') {
            let indent = line.len() - body.len();
            while indents.last().is_some_and(|&i| i >= indent) {
                indents.pop();
            }
            indents.push(indent);
        }
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match quote {
                Some('"') if c == '\\' => {
                    chars.next();
                }
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    '"' | '\'' if matches!(prev, ' ' | '\t' | ':' | ',' | '[' | '{' | '-') => quote = Some(c),
                    '#' if matches!(prev, ' ' | '\t') => break,
                    '[' | '{' => flow += 1,
                    ']' | '}' => flow = flow.saturating_sub(1),
                    _ => {}
                },
            }
            prev = c;
            deepest = deepest.max(flow + indents.len());
        }
        deepest = deepest.max(flow + indents.len());
    }
    deepest
}

pub fn to_yaml(doc: &Document) -> Result<String> {
    serde_yaml_ng::to_string(doc).map_err(|e| AppError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_domain::Lang;

    #[test]
    fn nesting_counts_flow_and_block_levels_but_not_quoted_text() {
        assert_eq!(nesting("format: tandem/v1\n"), 1);
        assert_eq!(nesting("a:\n  b:\n    - c: 1\n      d: [1, {e: 2}]\n"), 5);
        assert_eq!(nesting(r#"{"a": [[1], {"b": "[[[[[["}]}"#), 4, "JSON; brackets in strings do not count");
        assert_eq!(nesting("title: '[[[[[[' # [[[[\n"), 1, "quoted and commented brackets do not count");
        assert_eq!(nesting("title: it's [not] quoted\n"), 2, "an apostrophe inside a plain scalar opens no quote");
        let deep = format!("objectives: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(nesting(&deep), 100_001);
    }

    #[test]
    fn a_deep_document_is_refused_at_once() {
        let deep = format!("format: tandem/v1\nobjectives: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let t0 = std::time::Instant::now();
        let e = parse_document(&deep).expect_err("refused");
        assert!(t0.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(e.message(Lang::En), "“document” nests too deeply (at most 32 levels); nothing was read");
        let mut block = String::from("format: tandem/v1\n");
        for i in 0..40 {
            block.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
        }
        assert!(parse_document(&block).is_err(), "block nesting counts too");
    }
}
