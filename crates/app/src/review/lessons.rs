//! The knowledge base: every lesson of every retro — an objective's, or a unit's team retro —
//! searchable in Chinese and English, filtered by unit, cause type, tag and cycle, and seen by
//! whoever may see the objective it came from (a team retro's, by everyone, as unit goals are).

use crate::error::{AppError, Result};
use crate::{Actor, App};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tandem_domain::ids::OrgUnitId;
use tandem_domain::relevance::TextIndex;
use tandem_domain::retro::CauseType;
use tandem_store::reviews::{self, LessonRow};

/// What to look for. Every part is optional; no query lists the newest lessons first.
#[derive(Debug, Clone, Default)]
pub struct LessonFilter {
    pub q: String,
    /// Lessons of this unit's objectives, the units below it, and their people's.
    pub unit: Option<i64>,
    /// Lessons of retros that name a cause of this type.
    pub kind: Option<CauseType>,
    pub tag: Option<String>,
    pub cycle: Option<i64>,
    pub limit: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LessonView {
    pub id: i64,
    pub text: String,
    pub tags: Vec<String>,
    /// The objective whose retro it is in (none: the unit's team retro).
    pub objective: Option<i64>,
    pub objective_title: String,
    pub cycle: i64,
    /// The unit the objective belongs to (a unit's own, or its owner's), or the team retro's.
    pub unit: Option<i64>,
    pub unit_name: String,
    /// The cause types its retro names.
    pub types: Vec<CauseType>,
    /// How well it matched the query (0 without one).
    pub score: f64,
}

/// A tenant's lessons, ready to search: read and indexed once per lessons version.
pub(crate) struct LessonIndex {
    version: i64,
    rows: Vec<LessonRow>,
    /// Per retro, the cause types it names.
    types: HashMap<Source, Vec<CauseType>>,
    text: TextIndex,
}

/// The retro a lesson is in: an objective's, or a unit's for a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Source {
    Objective(i64),
    Team(i64, i64),
}

fn source_of(l: &LessonRow) -> Source {
    match (l.objective_id, l.unit_id) {
        (Some(o), _) => Source::Objective(o),
        (None, u) => Source::Team(u.unwrap_or_default(), l.cycle_id),
    }
}

/// The distinct cause types a retro names.
fn types_of(input: &tandem_domain::retro::RetroInput) -> Vec<CauseType> {
    let mut ts: Vec<CauseType> = input.causes.iter().filter_map(|c| CauseType::parse("type", &c.kind).ok()).collect();
    ts.sort();
    ts.dedup();
    ts
}

/// Each tenant's lesson index, as last read.
#[derive(Default)]
pub(crate) struct LessonCache(Mutex<HashMap<i64, Arc<LessonIndex>>>);

impl App {
    /// The tenant's lessons at `version` or newer: the cached index, or read and indexed anew.
    async fn lesson_index(&self, tenant: i64, version: i64) -> Result<Arc<LessonIndex>> {
        let cached = |c: &LessonCache| -> Result<Option<Arc<LessonIndex>>> {
            let map = c.0.lock().map_err(|_| AppError::Internal("lesson cache poisoned".into()))?;
            Ok(map.get(&tenant).filter(|ix| ix.version >= version).cloned())
        };
        if let Some(ix) = cached(&self.lessons)? {
            return Ok(ix);
        }
        let (rows, retros, teams) = tokio::try_join!(
            async { Ok::<_, AppError>(reviews::lessons(&self.db, tenant).await?) },
            async { Ok::<_, AppError>(reviews::retros(&self.db, tenant).await?) },
            async { Ok::<_, AppError>(reviews::team_retros(&self.db, tenant).await?) },
        )?;
        let mut types: HashMap<Source, Vec<CauseType>> = retros
            .iter()
            .filter_map(|r| {
                Some((Source::Objective(r.objective_id), types_of(&crate::review::retros::stored_input(r)?)))
            })
            .collect();
        types.extend(teams.iter().filter_map(|r| {
            let input = serde_json::from_str(&r.body).ok()?;
            Some((Source::Team(r.unit_id, r.cycle_id), types_of(&input)))
        }));
        // Read after the version was: what was read is at least that new.
        let text = TextIndex::new(rows.iter().map(|l| l.text.as_str()));
        let ix = Arc::new(LessonIndex { version, rows, types, text });
        let mut map = self.lessons.0.lock().map_err(|_| AppError::Internal("lesson cache poisoned".into()))?;
        if map.get(&tenant).is_none_or(|old| old.version <= version) {
            map.insert(tenant, ix.clone());
        }
        Ok(ix)
    }

    /// Lessons the caller may see, best match first.
    pub async fn lessons(&self, a: &Actor, f: &LessonFilter) -> Result<Vec<LessonView>> {
        let version = reviews::lessons_version(&self.db, a.tenant.0).await?;
        let ix = self.lesson_index(a.tenant.0, version).await?;
        let (rows, types) = (&ix.rows, &ix.types);
        let v = self.views(a.tenant.0).await?;
        let below: Option<HashSet<i64>> =
            f.unit.map(|u| v.org.tree.subtree(OrgUnitId(u)).into_iter().map(|x| x.0).collect());
        let unit_of = |o: &tandem_store::goals::ObjectiveRow| v.org.unit_of_owner(&o.owner_type, o.owner_id);
        let tag = f.tag.as_deref().map(str::trim).filter(|t| !t.is_empty());
        // Where a lesson sits: its objective (when it is one's) and its unit; none when its
        // objective is gone or the caller may not see it.
        let place = |l: &LessonRow| -> Option<(Option<&tandem_store::goals::ObjectiveRow>, Option<i64>)> {
            match source_of(l) {
                Source::Objective(id) => {
                    let o = v.goals.objective(id).filter(|o| Self::visible(a, o, &v.org))?;
                    Some((Some(o), unit_of(o)))
                }
                Source::Team(unit, _) => Some((None, Some(unit))),
            }
        };
        let keep = |i: usize| {
            let l = &rows[i];
            let Some((_, unit)) = place(l) else { return false };
            f.cycle.is_none_or(|c| c == l.cycle_id)
                && tag.is_none_or(|t| l.tags.split(',').any(|x| x == t))
                && f.kind.is_none_or(|k| types.get(&source_of(l)).is_some_and(|ts| ts.contains(&k)))
                && below.as_ref().is_none_or(|b| unit.is_some_and(|u| b.contains(&u)))
        };
        let limit = if f.limit == 0 { 50 } else { f.limit.min(200) };
        let hits: Vec<(f64, usize)> = if f.q.trim().is_empty() {
            (0..rows.len()).rev().filter(|&i| keep(i)).take(limit).map(|i| (0.0, i)).collect()
        } else {
            ix.text.search(&f.q, limit, keep)
        };
        Ok(hits
            .into_iter()
            .filter_map(|(score, i)| {
                let l = &rows[i];
                let (o, unit) = place(l)?;
                Some(LessonView {
                    id: l.id,
                    text: l.text.clone(),
                    tags: l.tags.split(',').filter(|t| !t.is_empty()).map(String::from).collect(),
                    objective: o.map(|o| o.id),
                    objective_title: o.map(|o| o.title.clone()).unwrap_or_default(),
                    cycle: l.cycle_id,
                    unit,
                    unit_name: unit.and_then(|u| v.org.unit(u)).map(|u| u.name.clone()).unwrap_or_default(),
                    types: types.get(&source_of(l)).cloned().unwrap_or_default(),
                    score,
                })
            })
            .collect())
    }
}
